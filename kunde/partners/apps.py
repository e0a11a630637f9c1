from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "kunde.partners"
    label = "partners"
    verbose_name = "Partners"

    def ready(self) -> None:
        pass
