from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AudienceConfig(AppConfig):
    name = "kunde.audience"
    label = "audience"
    verbose_name = "Segments and consent"

    def ready(self) -> None:
        from kunde.audience import consent
        from kunde.core import extensions
        from kunde.core.events import subscribe

        extensions.register_history_kind(consent.CONSENT_CHANGED, _("Consent changed"))
        subscribe("mail.message_bounced", consent.on_message_bounced)
        extensions.register_nav(extensions.NavItem("audience_segments", _("Segments"), "audience:segment_list",
                                                   order=45, group="marketing"))
        extensions.register_admin_section(extensions.NavItem("audience_consent", _("Consent"),
                                                             "audience:consent_settings", order=45))
        from kunde.audience.panel import consent_panel

        extensions.register_customer_panel(extensions.CustomerPanel(
            key="audience_consent", template="audience/_consent_panel.html", context=consent_panel,
            order=40, column="side",
        ))
