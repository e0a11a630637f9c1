"""URLs of campaigns and automation."""

from django.urls import URLPattern, URLResolver, path

from kunde.campaigns import views

app_name = "campaigns"

urlpatterns: list[URLPattern | URLResolver] = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/start", views.campaign_start_view, name="campaign_start"),
    path("campaigns/<int:pk>/export.csv", views.campaign_export, name="campaign_export"),
    path("campaigns/templates/new", views.template_form, name="template_new"),
    path("campaigns/templates/<int:pk>/edit", views.template_form, name="template_edit"),
    path("campaigns/templates/<int:pk>/preview", views.template_preview, name="template_preview"),
    path("campaigns/templates/<int:pk>/preview/<int:person_pk>/html", views.template_preview_html,
         name="template_preview_html"),
    path("campaigns/templates/<int:pk>/test", views.template_test_send, name="template_test_send"),
    path("campaigns/surveys/new", views.survey_new, name="survey_new"),
    path("campaigns/surveys/<int:pk>/", views.survey_report, name="survey_report"),
    path("campaigns/rules/new", views.rule_new, name="rule_new"),
    path("campaigns/rules/<int:pk>/", views.rule_detail, name="rule_detail"),
    # Public, no login: signed links from e-mails.
    path("s/<str:token>", views.survey_answer_page, name="survey_answer"),
    path("c/<str:token>", views.click, name="click"),
    path("c/o/<str:token>", views.open_pixel, name="open"),
]
