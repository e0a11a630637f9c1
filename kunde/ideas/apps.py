from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class IdeasConfig(AppConfig):
    name = "kunde.ideas"
    label = "ideas"
    verbose_name = "Ideas"

    def ready(self) -> None:
        from django.db.models.signals import post_delete
        from django.utils.translation import gettext_lazy as _

        from kunde.core import extensions
        from kunde.ideas.models import Vote
        from kunde.ideas.signals import vote_deleted

        post_delete.connect(vote_deleted, sender=Vote, dispatch_uid="ideas.vote_deleted")

        extensions.register_nav(extensions.NavItem("ideas.ideas", _("Ideas"), "ideas:idea_list", order=75,
                                                   group="retention"))
        extensions.register_history_kind("ideas.idea_submitted", _("Idea submitted"))
        extensions.register_history_kind("ideas.idea_status_changed", _("Idea status changed"))
        extensions.register_history_kind("ideas.idea_merged", _("Idea merged"))
        extensions.register_customer_panel(extensions.CustomerPanel(
            key="ideas", template="ideas/_customer_panel.html", context=_panel, order=80))
        extensions.register_portal_section(extensions.PortalSection(
            key="ideas", template="ideas/portal/_card.html", context=_portal_card, order=50))


def _panel(user: Any, customer: Any) -> dict[str, Any] | None:
    from kunde.ideas.selectors import customer_ideas

    summary = customer_ideas(user, customer)
    return summary if summary["count"] else None


def _portal_card(person: Any) -> dict[str, Any] | None:
    from kunde.ideas.selectors import portal_summary

    return portal_summary(person)
