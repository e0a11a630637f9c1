from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "kunde.contacts"
    label = "contacts"
    verbose_name = "People and organisations"
