from django.apps import AppConfig


class CustomerEventsConfig(AppConfig):
    name = "kunde.customer_events"
    label = "customer_events"
    verbose_name = "Customer events"

    def ready(self) -> None:
        pass
