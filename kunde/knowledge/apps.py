from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "kunde.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from kunde.core.extensions import NavItem, register_nav

        register_nav(NavItem(key="knowledge", label=_("Knowledge base"), url_name="knowledge:article_list", order=55,
                             group="service"))
