"""URLs of the duplicate review queue."""

from django.urls import path

from kunde.dedupe import views

app_name = "dedupe"

urlpatterns = [
    path("duplicates/", views.queue, name="queue"),
    path("duplicates/<int:pk>/", views.candidate_detail, name="candidate"),
    path("duplicates/<int:pk>/dismiss/", views.candidate_dismiss, name="dismiss"),
    path("duplicates/<int:pk>/reopen/", views.candidate_reopen, name="reopen"),
    path("duplicates/merges/", views.merge_list, name="merge_list"),
    path("duplicates/merges/<int:pk>/", views.merge_detail, name="merge_detail"),
    path("duplicates/merges/<int:pk>/undo/", views.merge_undo, name="merge_undo"),
    path("data-quality/", views.quality_dashboard, name="quality"),
    path("data-quality/<slug:key>/", views.quality_records, name="quality_records"),
]
