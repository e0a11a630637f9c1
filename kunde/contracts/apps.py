from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "kunde.contracts"
    label = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        pass
