from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "kunde.loyalty"
    label = "loyalty"
    verbose_name = "Loyalty"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.commerce.deductions import register_deduction_provider
        from kunde.core import events, extensions
        from kunde.loyalty import panel
        from kunde.loyalty.selectors import redemption_deductions
        from kunde.loyalty.services import HistoryKind, on_order_created
        from kunde.retention.causes import BindingCause, CauseSource, register_cause_source

        events.subscribe("commerce.order_created", on_order_created)
        register_deduction_provider(redemption_deductions)
        for kind, label in ((HistoryKind.EARNED, _("Loyalty points earned")),
                            (HistoryKind.REDEEMED, _("Loyalty points redeemed")),
                            (HistoryKind.EXPIRED, _("Loyalty points expired")),
                            (HistoryKind.REVERSED, _("Loyalty points taken back")),
                            (HistoryKind.ADJUSTED, _("Loyalty points adjusted")),
                            (HistoryKind.TIER_CHANGED, _("Loyalty tier"))):
            extensions.register_history_kind(kind, label)
        extensions.register_admin_section(extensions.NavItem("loyalty.settings", _("Loyalty programme"),
                                                             "loyalty:settings", order=85))
        extensions.register_customer_panel(extensions.CustomerPanel(
            key="loyalty_points", template="loyalty/_customer_panel.html", context=panel.customer_panel_context,
            order=35))
        extensions.register_portal_section(extensions.PortalSection(
            key="loyalty_points", template="loyalty/_portal_card.html", context=panel.portal_card_context,
            order=20))
        register_cause_source(CauseSource(
            key="loyalty.tier", cause=BindingCause.PSYCHOLOGICAL, label=_("Loyalty tier above the base tier"),
            people=panel.tier_holders("person_id"), organisations=panel.tier_holders("organisation_id")))
