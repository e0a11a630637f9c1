from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "kunde.mail"
    label = "mail"
    verbose_name = "E-mail channel"
