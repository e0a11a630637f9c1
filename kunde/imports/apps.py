from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "kunde.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.core import extensions

        extensions.register_nav(extensions.NavItem("imports", _("Import"), "imports:list", order=95,
                                                        group="data"))
