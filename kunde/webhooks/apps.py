from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "kunde.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.core import events
        from kunde.core.extensions import NavItem, register_admin_section
        from kunde.webhooks.services import record_event

        events.subscribe("*", record_event)
        register_admin_section(NavItem("webhooks", _("Webhooks"), "webhooks:subscription_list"))
