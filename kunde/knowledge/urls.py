"""URLs of the knowledge base: the staff pages under /knowledge/, the public help centre under /help/."""

from django.urls import URLPattern, URLResolver, path

from kunde.knowledge import public_views, views

app_name = "knowledge"

urlpatterns: list[URLPattern | URLResolver] = [
    path("knowledge/", views.ArticleListView.as_view(), name="article_list"),
    path("knowledge/new/", views.article_create_view, name="article_create"),
    path("knowledge/preview/", views.article_preview, name="article_preview"),
    path("knowledge/suggest/", views.article_suggest, name="article_suggest"),
    path("knowledge/<int:pk>/", views.article_detail, name="article_detail"),
    path("knowledge/<int:pk>/edit/", views.article_edit_view, name="article_edit"),
    path("knowledge/<int:pk>/publish/", views.article_publish_view, name="article_publish"),
    path("knowledge/<int:pk>/unpublish/", views.article_unpublish_view, name="article_unpublish"),
    path("knowledge/<int:pk>/archive/", views.article_archive_view, name="article_archive"),
    path("help/", public_views.help_root, name="help_root"),
    path("help/<str:language>/", public_views.help_home, name="help_home"),
    path("help/<str:language>/search/", public_views.help_search, name="help_search"),
    path("help/<str:language>/category/<slug:key>/", public_views.help_category, name="help_category"),
    path("help/<str:language>/<slug:slug>/", public_views.help_article, name="help_article"),
]
