from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "kunde.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self) -> None:
        pass
