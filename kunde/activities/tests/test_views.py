"""The customer history in the web UI: logging contacts and tasks with htmx, paging the
timeline, completing tasks, "my tasks", the dashboard and the search page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kunde.activities.models import Activity
from kunde.activities.services import contact_log, task_complete, task_create
from kunde.core.models import AuditEntry
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def contact_url(kind: str, pk: int) -> str:
    return f"/customers/{kind}/{pk}/contacts/"


def task_url(kind: str, pk: int) -> str:
    return f"/customers/{kind}/{pk}/tasks/"


def timeline_url(kind: str, pk: int) -> str:
    return f"/customers/{kind}/{pk}/timeline/"


def contact_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "contact-channel": "phone", "contact-direction": "in", "contact-occurred_at": "2026-03-02T10:15",
        "contact-duration_minutes": "12", "contact-subject": "Frage zum Ringmaterial", "contact-mood": "2",
        "contact-notes": "Wollte wissen, ob Silber.", "contact-outcome": "Katalog geschickt",
    }
    data.update(overrides)
    return data


# --- logging a contact ------------------------------------------------------------


def test_htmx_contact_log_returns_the_partial_and_writes_exactly_one_entry(client, world):
    """The answer is a fresh form plus out-of-band timeline entry, key figures and mood chart."""
    client.force_login(world.owner)
    before = Activity.objects.count()
    response = client.post(contact_url("person", world.person.pk), contact_data(), **HTMX)
    assert response.status_code == 200
    assert Activity.objects.count() == before + 1
    entry = Activity.objects.latest("id")
    assert (entry.person, entry.organisation, entry.channel, entry.direction, entry.mood) == (
        world.person, world.organisation, "phone", "in", 2)
    assert (entry.subject, entry.duration_minutes, entry.outcome, entry.created_by) == (
        "Frage zum Ringmaterial", 12, "Katalog geschickt", world.owner)
    assert timezone.localtime(entry.occurred_at).strftime("%Y-%m-%d %H:%M") == "2026-03-02 10:15"
    html = response.content.decode()
    assert html.lstrip().startswith("<form") and "<html" not in html
    assert 'id="log-contact"' in html and 'name="contact-subject" maxlength="200" required' in html
    assert 'value="Frage zum Ringmaterial"' not in html  # the form is fresh for the next contact
    assert 'hx-swap-oob="afterbegin:#timeline-entries"' in html and f'id="entry-{entry.pk}"' in html
    assert re.search(r'id="key-figures"[^>]*hx-swap-oob="true"', html)
    assert re.search(r'id="mood-trend"[^>]*hx-swap-oob="true"', html)
    assert 'data-figure="contacts">1<' in html
    assert "Mood: Negative" in html and "Contact “Frage zum Ringmaterial” logged." in html


def test_contact_on_an_organisation_with_a_person_lands_on_both(client, world):
    client.force_login(world.owner)
    data = contact_data(**{"contact-person": str(world.person.pk), "contact-mood": ""})
    response = client.post(contact_url("organisation", world.organisation.pk), data, **HTMX)
    assert response.status_code == 200
    entry = Activity.objects.get()
    assert (entry.person, entry.organisation, entry.mood) == (world.person, world.organisation, None)


def test_participants_are_stored(client, world):
    colleague = make_person(world.owner, last_name="Kollege", organisation=world.organisation)
    client.force_login(world.owner)
    html = client.get(f"/people/{world.person.pk}/").content.decode()
    assert f'value="{colleague.pk}"' in html  # offered as a participant: works at the same organisation
    data = contact_data(**{"contact-participant_people": [str(colleague.pk)],
                           "contact-participant_users": [str(world.teammate.pk)]})
    client.post(contact_url("person", world.person.pk), data, **HTMX)
    entry = Activity.objects.get()
    assert list(entry.participant_people.all()) == [colleague]
    assert list(entry.participant_users.all()) == [world.teammate]


def test_invalid_contact_re_renders_the_form_with_inline_errors_and_saves_nothing(client, world):
    client.force_login(world.owner)
    data = contact_data(**{"contact-subject": "", "contact-mood": "7", "contact-duration_minutes": "-3"})
    response = client.post(contact_url("person", world.person.pk), data, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_contact-subject_error"' in html
    assert 'id="id_contact-mood_error"' in html
    assert 'id="id_contact-duration_minutes_error"' in html
    assert "hx-swap-oob" not in html
    assert 'value="Wollte wissen, ob Silber."' in html or "Wollte wissen, ob Silber." in html
    assert Activity.objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="activities.activity").exists()


def test_contact_without_javascript_redirects_with_a_message(client, world):
    client.force_login(world.owner)
    response = client.post(contact_url("person", world.person.pk), contact_data(), follow=True)
    assert response.redirect_chain == [(f"/people/{world.person.pk}/", 302)]
    assert "Contact “Frage zum Ringmaterial” logged." in response.content.decode()
    assert Activity.objects.count() == 1


def test_invalid_contact_without_javascript_shows_the_full_page_with_errors(client, world):
    client.force_login(world.owner)
    response = client.post(contact_url("person", world.person.pk), contact_data(**{"contact-subject": ""}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and 'id="id_contact-subject_error"' in html and "Jürgen Müller" in html
    assert Activity.objects.count() == 0


@pytest.mark.parametrize(("who", "status"), [("read_only", 403), ("teammate", 403), ("other_team", 404)])
def test_users_who_may_not_write_history_get_no_entry(client, world, who, status):
    client.force_login(getattr(world, who))
    assert client.post(contact_url("person", world.person.pk), contact_data(), **HTMX).status_code == status
    assert client.post(task_url("person", world.person.pk), {
        "task-subject": "x", "task-due_at": "2026-03-02T10:00", "task-assignee": str(world.owner.pk)},
        **HTMX).status_code == status
    assert Activity.objects.count() == 0


def test_unknown_customer_type_is_404(client, world):
    client.force_login(world.owner)
    assert client.post(contact_url("deal", world.person.pk), contact_data(), **HTMX).status_code == 404
    assert client.get(contact_url("person", world.person.pk)).status_code == 405


# --- tasks ------------------------------------------------------------------------


def test_htmx_task_create_and_mark_done_inline(client, world):
    client.force_login(world.owner)
    response = client.post(task_url("person", world.person.pk), {
        "task-subject": "Angebot nachfassen", "task-due_at": "2020-01-01T09:00",
        "task-assignee": str(world.owner.pk), "task-notes": ""}, **HTMX)
    assert response.status_code == 200
    task = Activity.objects.get()
    assert (task.kind, task.assignee, task.subject) == ("task", world.owner, "Angebot nachfassen")
    html = response.content.decode()
    assert 'id="log-task"' in html and "Overdue" in html
    assert 'data-figure="open-tasks">1 <span class="badge text-bg-danger">1 overdue' in html
    response = client.post(f"/history-entries/{task.pk}/done/", {"context": "person", "done": "1"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<li class="timeline-entry kind-task is-done mb-3" id="entry-{task.pk}"')
    assert "Reopen" in html and 'data-figure="open-tasks">0<' in html
    task.refresh_from_db()
    assert task.done_at is not None
    client.post(f"/history-entries/{task.pk}/done/", {"context": "tasks", "done": "0"}, **HTMX)
    task.refresh_from_db()
    assert task.done_at is None


def test_task_without_due_date_is_an_inline_error(client, world):
    client.force_login(world.owner)
    response = client.post(task_url("person", world.person.pk), {
        "task-subject": "Ohne Termin", "task-due_at": "", "task-assignee": str(world.owner.pk)}, **HTMX)
    assert 'id="id_task-due_at_error"' in response.content.decode()
    assert Activity.objects.count() == 0


def test_read_only_cannot_complete_a_task(client, world):
    task = task_create(actor=world.owner, person=world.person, subject="x", due_at=timezone.now())
    client.force_login(world.read_only)
    assert client.post(f"/history-entries/{task.pk}/done/", {"context": "tasks"}, **HTMX).status_code == 403
    client.force_login(world.other_team)
    assert client.post(f"/history-entries/{task.pk}/done/", {"context": "tasks"}, **HTMX).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_done_on_a_contact_entry_is_404(client, world):
    entry = contact_log(actor=world.owner, person=world.person, channel="phone", subject="x")
    client.force_login(world.owner)
    assert client.post(f"/history-entries/{entry.pk}/done/", **HTMX).status_code == 404


def test_my_tasks_lists_open_tasks_assigned_to_me_with_overdue_marked(client, world):
    now, day = timezone.now(), dt.timedelta(days=1)
    overdue = task_create(actor=world.owner, person=world.person, subject="Überfällig", due_at=now - 2 * day)
    upcoming = task_create(actor=world.owner, person=world.person, subject="Demnächst", due_at=now + 2 * day)
    task_create(actor=world.admin, person=world.person, subject="Für Admin", due_at=now, assignee=world.admin)
    done = task_create(actor=world.owner, person=world.person, subject="Erledigt", due_at=now)
    task_complete(actor=world.owner, task=done)
    client.force_login(world.owner)
    html = client.get("/tasks/").content.decode()
    assert html.index("Überfällig") < html.index("Demnächst")
    assert "Für Admin" not in html and "Erledigt" not in html
    row = re.search(rf'<li class="([^"]*)" id="task-{overdue.pk}"', html)
    assert row and "list-group-item-danger" in row.group(1)
    row = re.search(rf'<li class="([^"]*)" id="task-{upcoming.pk}"', html)
    assert row and "list-group-item-danger" not in row.group(1)
    assert "Für Admin" in client.get("/tasks/?all=1").content.decode()


# --- the timeline -----------------------------------------------------------------


def _contacts(world, count: int) -> list[Activity]:
    start = timezone.now() - dt.timedelta(days=count)
    return [
        contact_log(actor=world.owner, person=world.person, channel="email", subject=f"Eintrag {index:02d}",
                    occurred_at=start + dt.timedelta(days=index), mood=3)
        for index in range(count)
    ]


def test_timeline_pages_with_more_button_and_htmx(client, world):
    _contacts(world, 25)
    client.force_login(world.owner)
    html = client.get(f"/people/{world.person.pk}/").content.decode()
    assert "Eintrag 24" in html and "Eintrag 05" in html and "Eintrag 04" not in html
    more = re.search(r'hx-get="(/customers/person/\d+/timeline/\?cursor=[^"]+)"', html)
    assert more and "Show older entries" in html
    response = client.get(more.group(1).replace("&amp;", "&"), **HTMX)
    assert response.status_code == 200
    part = response.content.decode()
    assert "<html" not in part
    assert [f"Eintrag {i:02d}" for i in (4, 3, 2, 1, 0)] == re.findall(r"Eintrag \d\d", part)
    assert "Show older entries" not in part
    assert 'data-autofocus' in part


def test_timeline_without_javascript_and_with_a_bad_cursor(client, world):
    _contacts(world, 25)
    client.force_login(world.owner)
    html = client.get(f"/people/{world.person.pk}/").content.decode()
    link = re.search(r'href="(/people/\d+/\?cursor=[^"#]+)#timeline"', html)
    assert link
    page_two = client.get(link.group(1)).content.decode()
    assert "Eintrag 04" in page_two and "Eintrag 05" not in page_two and "Newest entries" in page_two
    assert client.get(timeline_url("person", world.person.pk) + "?cursor=broken", **HTMX).status_code == 400
    assert client.get(f"/people/{world.person.pk}/?cursor=broken").status_code == 400


def test_timeline_of_an_invisible_customer_is_404(client, world):
    client.force_login(world.other_team)
    assert client.get(timeline_url("person", world.person.pk), **HTMX).status_code == 404


def test_timeline_query_count_does_not_grow(client, world):
    """The "more" partial costs the same queries for 3 and for 20 entries per page."""
    entries = _contacts(world, 45)
    for entry in entries[:10]:
        entry.participant_users.add(world.teammate)
    client.force_login(world.owner)
    html = client.get(f"/people/{world.person.pk}/").content.decode()
    cursor = re.search(r'hx-get="(/customers/person/\d+/timeline/\?cursor=[^"]+)"', html).group(1)
    with CaptureQueriesContext(connection) as full:
        client.get(cursor, **HTMX)
    second = re.search(r'hx-get="(/customers/person/\d+/timeline/\?cursor=[^"]+)"',
                       client.get(cursor, **HTMX).content.decode()).group(1)
    with CaptureQueriesContext(connection) as last:
        response = client.get(second, **HTMX)
    assert len(re.findall(r"Eintrag \d\d", response.content.decode())) == 5
    assert len(full) == len(last) <= TIMELINE_PARTIAL_QUERIES


TIMELINE_PARTIAL_QUERIES = 16


# --- dashboard and search ---------------------------------------------------------


def test_dashboard_shows_my_tasks_and_my_recent_contacts(client, world):
    task_create(actor=world.owner, person=world.person, subject="Rückruf Müller",
                due_at=timezone.now() - dt.timedelta(hours=1))
    contact_log(actor=world.owner, person=world.person, channel="meeting", subject="Besuch vor Ort", mood=5)
    contact_log(actor=world.admin, person=world.person, channel="phone", subject="Anruf vom Admin")
    client.force_login(world.owner)
    html = client.get("/").content.decode()
    assert "Rückruf Müller" in html and "Overdue" in html
    assert "Besuch vor Ort" in html and "Very positive" in html
    assert "Anruf vom Admin" not in html
    assert 'href="/people/new/"' in html


def test_dashboard_for_read_only_has_no_create_links(client, world):
    client.force_login(world.read_only)
    html = client.get("/").content.decode()
    assert 'href="/people/new/"' not in html and "Nothing to do" in html


def test_search_page_renders_hits_and_a_helpful_empty_state(client, world, monkeypatch):
    from kunde.core import search as engine

    client.force_login(world.owner)
    monkeypatch.setattr(engine, "search", lambda user, query, limit=20: [])
    html = client.get("/search/?q=Zzyzx").content.decode()
    assert "Nothing found for “Zzyzx”." in html and "Phone numbers are found in any format" in html
    hits = [{"title": "Jürgen Müller", "subtitle": "Gunther Glas GmbH", "url": f"/people/{world.person.pk}/",
             "type_label": "Person"}]
    seen: list[tuple[Any, str]] = []

    def fake(user: Any, query: str, limit: int = 20) -> list[dict[str, str]]:
        seen.append((user, query))
        return hits

    monkeypatch.setattr(engine, "search", fake)
    html = client.get("/search/?q=  030 1234567 ").content.decode()
    assert seen == [(world.owner, "030 1234567")]
    assert f'<a class="fw-semibold" href="/people/{world.person.pk}/">Jürgen Müller</a>' in html
    assert "Gunther Glas GmbH" in html and "1 result for “030 1234567”" in html


def test_search_page_without_query_asks_for_one(client, world):
    client.force_login(world.owner)
    response = client.get("/search/")
    assert response.status_code == 200
    assert "Type a name, an e-mail address, a phone number or a city." in response.content.decode()


def test_expired_session_on_an_htmx_request_reloads_into_the_login_page(client, world):
    """htmx must not swap the login page into the form: it gets a client-side redirect instead."""
    page = f"/people/{world.person.pk}/"
    response = client.post(contact_url("person", world.person.pk), contact_data(),
                           HTTP_HX_CURRENT_URL=f"http://testserver{page}", **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fpeople%2F" + f"{world.person.pk}%2F"
    assert Activity.objects.count() == 0
    response = client.post(contact_url("person", world.person.pk), contact_data())
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


def test_german_interface_parses_iso_inputs_and_shows_german_dates(client, world, settings):
    """Date inputs send ISO values in every language; the timeline shows dates the German way."""
    client.force_login(world.owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    response = client.post(contact_url("person", world.person.pk), contact_data(), **HTMX)
    assert response.status_code == 200
    entry = Activity.objects.get()
    assert timezone.localtime(entry.occurred_at).strftime("%Y-%m-%d %H:%M") == "2026-03-02 10:15"
    html = client.get(f"/people/{world.person.pk}/").content.decode()
    assert '<html lang="de">' in html
    assert "02.03.2026 10:15" in html
