from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kunde.accounts"
    label = "accounts"
    verbose_name = "Users, teams and roles"
