"""URLs of retention."""

from django.urls import path

from kunde.retention import views

app_name = "retention"

urlpatterns = [
    path("retention/", views.plan_list, name="plan_list"),
    path("retention/plans/new/", views.plan_edit, name="plan_new"),
    path("retention/plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("retention/plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("retention/plans/<int:pk>/delete/", views.plan_delete, name="plan_delete"),
    path("retention/plans/<int:pk>/care/", views.care_cadence_new, name="care_cadence_new"),
    path("retention/causes/<str:kind>/<int:pk>/", views.customer_cause_set, name="customer_cause_set"),
    path("retention/causes/<str:kind>/<int:pk>/evidence/", views.customer_cause_evidence,
         name="customer_cause_evidence"),
]
