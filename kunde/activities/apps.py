from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "kunde.activities"
    label = "activities"
    verbose_name = "Customer history"
