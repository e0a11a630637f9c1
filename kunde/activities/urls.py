"""URLs of the customer history pages and htmx endpoints."""

from django.urls import path

from kunde.activities import views

app_name = "activities"

urlpatterns = [
    path("tasks/", views.task_list_view, name="task_list"),
    path("history-entries/<int:pk>/done/", views.task_done_view, name="task_done"),
    path("customers/<str:customer_type>/<int:pk>/contacts/", views.contact_log_view, name="contact_log"),
    path("customers/<str:customer_type>/<int:pk>/tasks/", views.task_create_view, name="task_create"),
    path("customers/<str:customer_type>/<int:pk>/timeline/", views.timeline_view, name="timeline"),
]
