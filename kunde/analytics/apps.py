from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "kunde.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.analytics.panel import customer_panel_context
        from kunde.core import extensions

        extensions.register_nav(extensions.NavItem("analytics", _("Analytics"), "analytics:dashboard", order=70))
        extensions.register_admin_section(extensions.NavItem("analytics.settings", _("Analytics"),
                                                             "analytics:settings", order=80))
        extensions.register_customer_panel(extensions.CustomerPanel(
            key="analytics_scores", template="analytics/_customer_panel.html", context=customer_panel_context,
            order=15))
