from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "kunde.partners"
    label = "partners"
    verbose_name = "Partners"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.core import extensions
        from kunde.partners.causes import register

        extensions.register_nav(extensions.NavItem("partners", _("Partners"), "partners:list", order=60,
                                                   group="retention"))
        extensions.register_customer_panel(extensions.CustomerPanel(
            key="partners", template="partners/_customer_panel.html", context=_panel, order=40, column="side"))
        for kind, label in (
            ("partners.partner_marked", _("Marked as partner")),
            ("partners.partner_user_granted", _("Partner portal access granted")),
            ("partners.partner_user_revoked", _("Partner portal access revoked")),
            ("partners.record_shared", _("Shared with a partner")),
            ("partners.share_revoked", _("Share with a partner revoked")),
            ("partners.lead_handed_over", _("Lead handed over to a partner")),
            ("partners.lead_accepted", _("Lead accepted by the partner")),
            ("partners.lead_declined", _("Lead declined by the partner")),
            ("partners.lead_handover_withdrawn", _("Lead handover withdrawn")),
            ("partners.partner_activity", _("Partner activity")),
        ):
            extensions.register_history_kind(kind, label)
        register()


def _panel(user: object, customer: object) -> dict[str, object] | None:
    from kunde.partners.views import customer_panel_context  # imported late: no views at app loading

    return customer_panel_context(user, customer)
