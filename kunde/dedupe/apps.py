from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _duplicates_panel(user, customer):  # type: ignore[no-untyped-def]
    from kunde.dedupe.selectors import candidates_for_record

    candidates = candidates_for_record(user, customer)
    if not candidates:
        return None
    return {"candidates": candidates, "customer": customer}


class DedupeConfig(AppConfig):
    name = "kunde.dedupe"
    label = "dedupe"
    verbose_name = _("Duplicates")

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django_tasks.signals import task_finished

        from kunde.core import events
        from kunde.core.extensions import CustomerPanel, NavItem, register_customer_panel, register_nav
        from kunde.dedupe import tasks

        for event_type in (*tasks.EVENT_KINDS, *tasks.FLUSH_EVENTS):
            events.subscribe(event_type, tasks.queue_check)
        # The batch of waiting checks is flushed when the request or task that wrote the records ends.
        request_finished.connect(tasks.flush_checks, dispatch_uid="dedupe.flush_checks.request")
        task_finished.connect(tasks.flush_checks, dispatch_uid="dedupe.flush_checks.task")
        register_nav(NavItem(key="duplicates", label=_("Duplicates"), url_name="dedupe:queue", order=90,
                             group="data"))
        register_nav(NavItem(key="data_quality", label=_("Data quality"), url_name="dedupe:quality", order=91,
                             group="data"))
        register_customer_panel(CustomerPanel(key="dedupe.possible_duplicates", template="dedupe/_panel.html",
                                              context=_duplicates_panel, order=5, column="main"))
