from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "kunde.analytics"
    label = "analytics"
    verbose_name = "Analytics"
