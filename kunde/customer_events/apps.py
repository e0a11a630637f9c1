from django.apps import AppConfig


class CustomerEventsConfig(AppConfig):
    name = "kunde.customer_events"
    label = "customer_events"
    verbose_name = "Customer events"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.core import extensions
        from kunde.customer_events.panel import customer_panel_context, portal_card_context
        from kunde.customer_events.services import HistoryKind

        extensions.register_nav(extensions.NavItem("customer_events", _("Events"), "customer_events:event_list",
                                                   order=65, group="marketing"))
        extensions.register_customer_panel(extensions.CustomerPanel(
            key="customer_events", template="customer_events/_customer_panel.html",
            context=customer_panel_context, order=40))
        extensions.register_portal_section(extensions.PortalSection(
            key="customer_events", template="customer_events/_portal_card.html", context=portal_card_context,
            order=40))
        for kind, label in (
            (HistoryKind.INVITED, _("Invited to an event")),
            (HistoryKind.REGISTERED, _("Registered for an event")),
            (HistoryKind.WAITLISTED, _("On an event's waiting list")),
            (HistoryKind.MOVED_UP, _("Moved up from the waiting list")),
            (HistoryKind.CANCELLED, _("Event registration cancelled")),
            (HistoryKind.ATTENDED, _("Attended an event")),
            (HistoryKind.NO_SHOW, _("Did not attend an event")),
        ):
            extensions.register_history_kind(kind, label)
