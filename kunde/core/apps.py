from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kunde.core"
    label = "core"
    verbose_name = "Kunde core"
