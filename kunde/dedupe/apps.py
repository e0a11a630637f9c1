from django.apps import AppConfig


class DedupeConfig(AppConfig):
    name = "kunde.dedupe"
    label = "dedupe"
    verbose_name = "Duplicates"
