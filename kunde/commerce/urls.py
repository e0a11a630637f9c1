"""URLs of orders."""

from django.urls import path

from kunde.commerce import views

app_name = "commerce"

urlpatterns = [
    path("orders/", views.OrderListView.as_view(), name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/pdf/", views.quote_pdf, name="quote_pdf"),
    path("quotes/<int:pk>/send/", views.quote_send_view, name="quote_send"),
    path("quotes/<int:pk>/revise/", views.quote_revise_view, name="quote_revise"),
    path("q/<str:token>/", views.quote_answer_view, name="quote_answer"),
]
