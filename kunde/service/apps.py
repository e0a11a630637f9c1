from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _open_tickets_panel(user, customer):  # type: ignore[no-untyped-def]
    from kunde.core.permissions import can_create
    from kunde.service.selectors import open_tickets_for

    tickets = list(open_tickets_for(user, customer)[:10])
    may_open = can_create(user)
    if not tickets and not may_open:
        return None
    return {"tickets": tickets, "new_query": f"{customer._meta.model_name}={customer.pk}", "may_open": may_open}


class ServiceConfig(AppConfig):
    name = "kunde.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self) -> None:
        from kunde.core.extensions import (
            CustomerPanel,
            NavItem,
            register_admin_section,
            register_customer_panel,
            register_history_kind,
            register_nav,
        )
        from kunde.service import inbound

        register_nav(NavItem(key="tickets", label=_("Tickets"), url_name="service:ticket_list", order=50,
                             group="service"))
        register_nav(NavItem(key="tickets_dashboard", label=_("Service dashboard"), url_name="service:dashboard",
                             order=51, group="service"))
        register_admin_section(NavItem("service", _("Service desk"), "service:settings_home"))
        register_customer_panel(CustomerPanel(key="service.open_tickets", template="service/_panel.html",
                                              context=_open_tickets_panel, order=30, column="main"))
        for kind, label in {
            "service.ticket_created": _("Ticket opened"),
            "service.ticket_assigned": _("Ticket assigned"),
            "service.status_changed": _("Ticket status changed"),
            "service.reply_sent": _("Ticket reply sent"),
            "service.note_added": _("Internal ticket note"),
            "service.message_received": _("Ticket message received"),
            "service.csat_answered": _("Satisfaction answered"),
        }.items():
            register_history_kind(kind, label)
        inbound.register()
