"""URLs of the webhook administration."""

from django.urls import path

from kunde.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("admin-area/webhooks/", views.subscription_list_view, name="subscription_list"),
    path("admin-area/webhooks/<int:pk>/", views.subscription_detail, name="subscription_detail"),
    path("admin-area/webhooks/<int:pk>/delete/", views.subscription_delete_view, name="subscription_delete"),
    path("admin-area/webhooks/deliveries/<int:pk>/replay/", views.delivery_replay_view, name="delivery_replay"),
]
