from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "kunde.mail"
    label = "mail"
    verbose_name = "E-mail channel"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from kunde.core.extensions import NavItem, register_admin_section

        register_admin_section(NavItem("mail", _("Incoming e-mail"), "mail:inbound_list"))
