from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "kunde.retention"
    label = "retention"
    verbose_name = "Retention"

    def ready(self) -> None:
        pass
