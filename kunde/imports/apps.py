from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "kunde.imports"
    label = "imports"
    verbose_name = "Imports"
