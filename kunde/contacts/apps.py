from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "kunde.contacts"
    label = "contacts"
    verbose_name = "People and organisations"

    def ready(self) -> None:
        from kunde.contacts.models import Organisation, Person
        from kunde.core.changes import register_change_feed

        register_change_feed(Person)
        register_change_feed(Organisation)
