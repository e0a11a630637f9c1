"""URLs of sales."""

from django.urls import URLPattern, URLResolver, path

from kunde.sales import views

app_name = "sales"

urlpatterns: list[URLPattern | URLResolver] = [
    path("deals/", views.DealListView.as_view(), name="deal_list"),
    path("deals/new/", views.deal_create_view, name="deal_create"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", views.deal_move_view, name="deal_move"),
    path("deals/<int:pk>/win/", views.deal_win_view, name="deal_win"),
    path("deals/<int:pk>/lose/", views.deal_lose_view, name="deal_lose"),
    path("deals/<int:pk>/reopen/", views.deal_reopen_view, name="deal_reopen"),
    path("pipelines/", views.board_default, name="board_default"),
    path("pipelines/<int:pk>/board/", views.board, name="board"),
    path("leads/", views.LeadListView.as_view(), name="lead_list"),
    path("leads/new/", views.lead_create_view, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/qualify/", views.lead_qualify_view, name="lead_qualify"),
    path("leads/<int:pk>/disqualify/", views.lead_disqualify_view, name="lead_disqualify"),
    path("leads/<int:pk>/convert/", views.lead_convert_view, name="lead_convert"),
    path("forms/lead/<slug:key>/", views.public_lead_form, name="public_lead_form"),
    path("sales/settings/", views.sales_settings, name="settings"),
    path("sales/dashboard/", views.dashboard, name="dashboard"),
    path("sales/settings/pipelines/new/", views.pipeline_settings, name="pipeline_create"),
    path("sales/settings/pipelines/<int:pk>/", views.pipeline_settings, name="pipeline_settings"),
]
