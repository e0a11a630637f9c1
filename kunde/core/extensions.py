"""Extension points where later apps plug into shared pages without editing them.

An app registers its navigation entries and its panels on the 360° customer page in
its `AppConfig.ready()`. The shared templates iterate what is registered, so adding
sales or service never touches the contacts templates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kunde.core.permissions import is_admin


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation; `admin_only` hides it from non-admins.

    An entry with a `group` (a key of NAV_GROUPS) is listed in that group's menu instead of
    on the bar itself, so the bar stays one line however many apps are installed.
    """

    key: str
    label: Any  # a lazy translation
    url_name: str
    order: int = 100
    admin_only: bool = False
    group: str = ""


# The menus of the navigation bar, by key; a group shows where its first entry would.
NAV_GROUPS: dict[str, Any] = {
    "sales": _("Sales"),
    "service": _("Service"),
    "marketing": _("Marketing"),
    "retention": _("Retention"),
    "data": _("Data"),
}


@dataclass(frozen=True)
class CustomerPanel:
    """A card on the 360° page of a person or organisation.

    `context(user, customer)` returns the template's context, or None to leave the panel
    out (nothing to show, or the user may not see it). `column` is "side" (left, below the
    key figures) or "main" (right, above the timeline).
    """

    key: str
    template: str
    context: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 100
    column: str = "side"


@dataclass(frozen=True)
class PortalSection:
    """A card on the customer portal's start page (/portal/), e.g. loyalty points or ideas.

    `context(person)` returns what the template sees as `card`, or None to leave the card out. The
    person is the one signed in to the portal (never a staff user); the section's own pages
    find them with `kunde.service.portal.portal_person_or_login(request)`.
    """

    key: str
    template: str
    context: Callable[[Any], dict[str, Any] | None]
    order: int = 100


_nav: dict[str, NavItem] = {}
_admin_sections: dict[str, NavItem] = {}
_panels: dict[str, CustomerPanel] = {}
_history_kinds: dict[str, Any] = {}
_portal_sections: dict[str, PortalSection] = {}


def register_nav(item: NavItem) -> None:
    _nav[item.key] = item


def register_admin_section(item: NavItem) -> None:
    """A tab of the administration area (e.g. mailboxes, webhooks); shown to administrators only."""
    _admin_sections[item.key] = item


def register_customer_panel(panel: CustomerPanel) -> None:
    if panel.column not in {"side", "main"}:
        raise ValueError(f"unknown panel column {panel.column!r}")
    _panels[panel.key] = panel


def register_portal_section(section: PortalSection) -> None:
    _portal_sections[section.key] = section


def portal_sections_for(person: Any) -> list[dict[str, Any]]:
    """The portal cards to show `person`, in order: [{"key", "template", "context"}]."""
    sections = []
    for section in sorted(_portal_sections.values(), key=lambda entry: (entry.order, entry.key)):
        context = section.context(person)
        if context is not None:
            sections.append({"key": section.key, "template": section.template, "context": context})
    return sections


def register_history_kind(kind: str, label: Any) -> None:
    """Name an app's history entry kind ("sales.deal_won") for the timeline, e.g. gettext_lazy("Deal won")."""
    _history_kinds[kind] = label


def history_kind_label(kind: str) -> Any | None:
    return _history_kinds.get(kind)


def registered_panels() -> list[str]:
    return sorted(_panels)


def nav_items(user: Any, registry: dict[str, NavItem] | None = None) -> list[dict[str, Any]]:
    """The registered navigation entries this user may see, in order, with their URLs.

    Grouped entries come as one entry per group: {"key", "label", "children": [entries]}.
    """
    items: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for item in sorted((_nav if registry is None else registry).values(), key=lambda entry: (entry.order, entry.key)):
        if item.admin_only and not is_admin(user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # an app whose pages are not wired (yet) adds no dead link
        entry = {"key": item.key, "label": item.label, "url": url}
        if item.group not in NAV_GROUPS:
            items.append(entry)
            continue
        if item.group not in groups:
            groups[item.group] = {"key": item.group, "label": NAV_GROUPS[item.group], "children": []}
            items.append(groups[item.group])
        groups[item.group]["children"].append(entry)
    return items


def customer_panels_for(user: Any, customer: Any) -> dict[str, list[dict[str, Any]]]:
    """The panels to show on `customer`'s page, by column: [{"template", "context"}]."""
    columns: dict[str, list[dict[str, Any]]] = {"side": [], "main": []}
    for panel in sorted(_panels.values(), key=lambda entry: (entry.order, entry.key)):
        context = panel.context(user, customer)
        if context is not None:
            columns[panel.column].append({"key": panel.key, "template": panel.template, "context": context})
    return columns


def navigation(request: Any) -> dict[str, Any]:
    """Template context processor: the extra navigation entries for the current user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"extra_nav_items": [], "extra_admin_sections": []}
    admin_sections = nav_items(user, _admin_sections) if is_admin(user) else []
    return {"extra_nav_items": nav_items(user), "extra_admin_sections": admin_sections}
