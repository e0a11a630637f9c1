from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kunde.sales"
    label = "sales"
    verbose_name = "Sales"

    def ready(self) -> None:
        from kunde.core import extensions

        for kind, label in (
            ("sales.deal_created", _("Deal created")),
            ("sales.deal_stage_changed", _("Deal stage changed")),
            ("sales.deal_won", _("Deal won")),
            ("sales.deal_lost", _("Deal lost")),
            ("sales.deal_reopened", _("Deal reopened")),
            ("sales.lead_converted", _("Lead converted")),
        ):
            extensions.register_history_kind(kind, label)
        from kunde.sales import registry

        registry.register()
