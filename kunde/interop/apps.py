from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "kunde.interop"
    label = "interop"
    verbose_name = "vCard and iCalendar"
