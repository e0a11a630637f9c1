from django.apps import AppConfig


class IdeasConfig(AppConfig):
    name = "kunde.ideas"
    label = "ideas"
    verbose_name = "Ideas"

    def ready(self) -> None:
        pass
