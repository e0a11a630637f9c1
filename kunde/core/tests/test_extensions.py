"""Apps plug navigation entries, 360° panels and history-kind labels into the shared pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from kunde.activities.services import activity_record
from kunde.core import extensions
from kunde.core.extensions import CustomerPanel, NavItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry() -> Iterator[None]:
    """Leave the registries as the apps made them."""
    nav, panels, kinds = dict(extensions._nav), dict(extensions._panels), dict(extensions._history_kinds)
    admin = dict(extensions._admin_sections)
    yield
    extensions._nav.clear(), extensions._nav.update(nav)
    extensions._admin_sections.clear(), extensions._admin_sections.update(admin)
    extensions._panels.clear(), extensions._panels.update(panels)
    extensions._history_kinds.clear(), extensions._history_kinds.update(kinds)


def _page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_nav_entry_appears_for_whom_it_is_meant(world, registry):
    extensions.register_nav(NavItem("test.audit", "Audit trail (test)", "admin_audit", admin_only=True))
    extensions.register_nav(NavItem("test.tasks", "My work (test)", "activities:task_list"))
    extensions.register_nav(NavItem("test.missing", "Not wired (test)", "nowhere:page"))
    owner_page, admin_page = _page(world.owner, "/people/"), _page(world.admin, "/people/")
    assert "My work (test)" in owner_page and "My work (test)" in admin_page
    assert "Audit trail (test)" not in owner_page and "Audit trail (test)" in admin_page
    assert "Not wired (test)" not in admin_page


def test_customer_panel_shows_its_context_or_stays_away(world, registry, settings, tmp_path):
    (tmp_path / "panel.html").write_text('<section class="test-panel">Deals of {{ panel.name }}</section>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}]
    extensions.register_customer_panel(CustomerPanel(
        "test.deals", "panel.html",
        lambda user, customer: {"name": customer.last_name} if hasattr(customer, "last_name") else None,
    ))
    assert "Deals of Müller" in _page(world.owner, world.person.get_absolute_url())
    assert "test-panel" not in _page(world.owner, world.organisation.get_absolute_url())
    with pytest.raises(ValueError):
        extensions.register_customer_panel(CustomerPanel("test.bad", "panel.html", lambda u, c: {}, column="top"))


def test_history_kind_label_is_shown_on_the_timeline(world, registry):
    extensions.register_history_kind("test.deal_won", "Deal won (test)")
    activity_record(actor=world.owner, kind="test.deal_won", subject="Tische und Stühle", person=world.person)
    assert "Deal won (test)" in _page(world.owner, world.person.get_absolute_url())


def test_admin_section_is_a_tab_of_the_administration_for_admins_only(world, registry):
    extensions.register_admin_section(NavItem("test.section", "Mailboxes (test)", "admin_audit"))
    assert "Mailboxes (test)" in _page(world.admin, "/admin-area/")
    assert "Mailboxes (test)" not in _page(world.owner, "/people/")


def test_grouped_nav_entries_share_one_menu_at_the_first_entrys_place(world, registry):
    extensions._nav.clear()
    extensions.register_nav(NavItem("test.tasks", "My work (test)", "activities:task_list", order=10))
    extensions.register_nav(NavItem("test.b", "Second (test)", "activities:task_list", order=30, group="data"))
    extensions.register_nav(NavItem("test.a", "First (test)", "activities:task_list", order=20, group="data"))
    extensions.register_nav(NavItem("test.audit", "Audit (test)", "admin_audit", order=25, admin_only=True,
                                    group="data"))
    items = extensions.nav_items(world.owner)
    assert [item["key"] for item in items] == ["test.tasks", "data"]
    assert [child["label"] for child in items[1]["children"]] == ["First (test)", "Second (test)"]
    page = _page(world.owner, "/people/")
    menu = page[page.index('data-nav-group="data"'):]
    assert menu.index("First (test)") < menu.index("Second (test)") and "Audit (test)" not in page
