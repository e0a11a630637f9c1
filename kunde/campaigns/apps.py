from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "kunde.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns and automation"

    def ready(self) -> None:
        from kunde.campaigns import rules
        from kunde.campaigns.attribution import connect as connect_attribution
        from kunde.campaigns.panels import customer_panel_context
        from kunde.core.extensions import (
            CustomerPanel,
            NavItem,
            register_customer_panel,
            register_history_kind,
            register_nav,
        )

        register_nav(NavItem(key="campaigns", label=_("Campaigns"), url_name="campaigns:campaign_list", order=60,
                             group="marketing"))
        register_history_kind("campaigns.email_sent", _("Marketing e-mail sent"))
        register_history_kind("campaigns.survey_answered", _("Survey answered"))
        register_history_kind("campaigns.order_attributed", _("Order attributed to a campaign"))
        register_customer_panel(CustomerPanel(
            key="campaigns_marketing", template="campaigns/_customer_panel.html", context=customer_panel_context,
            order=40, column="side",
        ))
        rules.connect()
        connect_attribution()
