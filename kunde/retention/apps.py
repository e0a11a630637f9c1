from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "kunde.retention"
    label = "retention"
    verbose_name = "Retention"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.core import extensions
        from kunde.retention.derived import register_builtin_sources
        from kunde.retention.panel import customer_panel_context

        register_builtin_sources()
        extensions.register_nav(extensions.NavItem("retention", _("Retention plans"), "retention:plan_list",
                                                   order=65, group="retention"))
        extensions.register_customer_panel(extensions.CustomerPanel(
            key="retention_causes", template="retention/_customer_panel.html", context=customer_panel_context,
            order=18))
        extensions.register_history_kind("retention.binding_cause_set", _("Binding cause set"))
