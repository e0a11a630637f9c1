"""URLs of contracts."""

from django.urls import path

from kunde.contracts import views

app_name = "contracts"

urlpatterns = [
    path("contracts/", views.ContractListView.as_view(), name="contract_list"),
    path("contracts/expiring/", views.expiring, name="expiring"),
    path("contracts/new/", views.contract_create_view, name="contract_create"),
    path("contracts/plans/", views.plan_admin, name="plan_admin"),
    path("contracts/plans/<int:pk>/", views.plan_admin, name="plan_edit"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/<str:action>/", views.contract_action, name="contract_action"),
]
