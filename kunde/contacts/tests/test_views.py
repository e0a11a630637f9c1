"""The people and organisation pages: 360° view, forms with rows, conflicts, delete/restore,
links, lists and the permission matrix as a user of the web UI meets it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kunde.activities.services import contact_log, task_create
from kunde.contacts.models import Employment, Organisation, Person
from kunde.contacts.services import organisation_update, person_update
from kunde.core.extensions import registered_panels
from kunde.core.models import AuditEntry, CustomFieldDefinition
from kunde.core.testing.factories import make_organisation, make_person

pytestmark = pytest.mark.django_db


def person_url(person: Person, suffix: str = "") -> str:
    return f"/people/{person.pk}/{suffix}"


def organisation_url(organisation: Organisation, suffix: str = "") -> str:
    return f"/organisations/{organisation.pk}/{suffix}"


def rows(prefix: str, items: list[dict[str, Any]], *, initial: int = 0) -> dict[str, Any]:
    """Formset POST data for `items` under `prefix` (management form included)."""
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(items)), f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(items):
        for key, value in item.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def person_data(owner, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "salutation": "ms", "title": "Dr.", "first_name": "Anna", "last_name": "Schmidt",
        "birthday": "1985-04-12", "preferred_language": "de", "preferred_channel": "email",
        "lifecycle_stage": "", "owner": str(owner.pk), "tags": "VIP, Schmuck", "notes": "Mag Ringe.",
        "organisation": "", "role": "",
        **rows("emails", [{"kind": "home", "email": "Anna.Schmidt@Example.DE", "is_primary": "on"},
                          {"kind": "work", "email": "anna@firma.de"}]),
        **rows("phones", [{"kind": "mobile", "number": "0151 23456789"}]),
        **rows("addresses", [{"kind": "home", "street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin",
                              "country": "DE"}]),
    }
    data.update(overrides)
    return data


def edit_data(person: Person, **overrides: Any) -> dict[str, Any]:
    """What the edit form of `person` posts when the user changes nothing but `overrides`."""
    emails = [{"kind": e.kind, "email": e.email, "is_primary": "on" if e.is_primary else ""}
              for e in person.emails.all()]
    phones = [{"kind": p.kind, "number": p.number} for p in person.phones.all()]
    data: dict[str, Any] = {
        "version": str(person.version), "salutation": person.salutation, "title": person.title,
        "first_name": person.first_name, "last_name": person.last_name, "birthday": "",
        "preferred_language": person.preferred_language, "preferred_channel": person.preferred_channel,
        "lifecycle_stage": "", "owner": str(person.owner_id), "notes": person.notes,
        "tags": ", ".join(t.name for t in person.tags.all()),
        **rows("emails", emails, initial=len(emails)), **rows("phones", phones, initial=len(phones)),
        **rows("addresses", []),
    }
    data.update(overrides)
    return data


# --- pages render for the owner ---------------------------------------------------


def test_person_page_shows_master_data_links_figures_and_history(client, world):
    """The 360° page shows contact data, the organisation link, key figures, mood and timeline."""
    contact_log(actor=world.owner, person=world.person, channel="phone", subject="Angebot besprochen", mood=5)
    client.force_login(world.owner)
    response = client.get(person_url(world.person))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1" in html and "Jürgen Müller" in html
    assert 'href="mailto:j.mueller@gunther-glas.de"' in html
    assert "+49 30 1234567" in html
    assert f'href="/organisations/{world.organisation.pk}/"' in html and "Einkauf" in html
    assert 'data-figure="contacts">1<' in html
    assert "Angebot besprochen" in html and "Mood: Very positive" in html
    assert 'role="img"' in html and "<desc id=" in html and 'class="visually-hidden"' in html
    assert f'href="/history/contacts.person/{world.person.pk}/"' in html
    assert 'id="log-contact"' in html and f'href="{person_url(world.person, "edit/")}"' in html


def test_organisation_page_lists_its_people_and_their_contacts(client, world):
    contact_log(actor=world.owner, person=world.person, channel="meeting", subject="Werksbesuch")
    client.force_login(world.owner)
    html = client.get(organisation_url(world.organisation)).content.decode()
    assert "Gunther Glas GmbH" in html
    assert f'href="/people/{world.person.pk}/"' in html
    assert "Werksbesuch" in html and "with" in html
    assert f'/people/new/?organisation={world.organisation.pk}' in html


@pytest.mark.parametrize("path", ["", "edit/", "links/add/"])
def test_person_pages_render_for_the_owner(client, world, path):
    client.force_login(world.owner)
    assert client.get(person_url(world.person, path)).status_code == 200


@pytest.mark.parametrize("path", ["/people/", "/organisations/", "/people/new/", "/organisations/new/"])
def test_list_and_create_pages_render(client, world, path):
    client.force_login(world.owner)
    response = client.get(path)
    assert response.status_code == 200


def test_anonymous_is_sent_to_the_login_page(client, world):
    for path in (person_url(world.person), "/people/", "/people/new/", organisation_url(world.organisation)):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


# --- permissions ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "edit/", "delete/", "links/add/"])
def test_other_team_gets_404_for_a_person(client, world, path):
    client.force_login(world.other_team)
    assert client.get(person_url(world.person, path)).status_code == 404


def test_other_team_gets_404_for_writes_and_nothing_changes(client, world):
    client.force_login(world.other_team)
    before = (world.person.last_name, world.person.version)
    response = client.post(person_url(world.person, "edit/"), edit_data(world.person, last_name="Hacked"))
    assert response.status_code == 404
    assert client.post(person_url(world.person, "delete/")).status_code == 404
    assert client.get(organisation_url(world.organisation)).status_code == 404
    world.person.refresh_from_db()
    assert (world.person.last_name, world.person.version) == before
    assert world.person.deleted_at is None


def test_read_only_sees_the_page_without_edit_buttons(client, world):
    client.force_login(world.read_only)
    response = client.get(person_url(world.person))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Jürgen Müller" in html
    assert person_url(world.person, "edit/") not in html
    assert person_url(world.person, "delete/") not in html
    assert 'id="log-contact"' not in html and 'id="log-task"' not in html
    assert "links/add/" not in html


def test_read_only_writes_are_forbidden_and_change_nothing(client, world):
    client.force_login(world.read_only)
    before = Person.objects.count()
    assert client.get(person_url(world.person, "edit/")).status_code == 403
    response = client.post(person_url(world.person, "edit/"), edit_data(world.person, last_name="Changed"))
    assert response.status_code == 403
    assert client.get("/people/new/").status_code == 403
    assert client.post("/people/new/", person_data(world.read_only)).status_code == 403
    assert client.post(person_url(world.person, "delete/")).status_code == 403
    world.person.refresh_from_db()
    assert world.person.last_name == "Müller" and world.person.deleted_at is None
    assert Person.objects.count() == before


def test_read_only_list_has_no_new_button(client, world):
    client.force_login(world.read_only)
    html = client.get("/people/").content.decode()
    assert "Jürgen Müller" in html
    assert 'href="/people/new/"' not in html


def test_list_shows_only_visible_people(client, world):
    hidden = make_person(world.other_team, last_name="Verborgen")
    client.force_login(world.owner)
    html = client.get("/people/").content.decode()
    assert "Jürgen Müller" in html and "Gunther Glas GmbH" in html
    assert hidden.last_name not in html


# --- create and edit --------------------------------------------------------------


def test_create_person_with_rows_tags_and_organisation(client, world):
    """All fields and repeatable rows arrive normalised; the current organisation is linked."""
    client.force_login(world.owner)
    data = person_data(world.owner, organisation=str(world.organisation.pk), role="Einkaufsleitung")
    response = client.post("/people/new/", data)
    person = Person.objects.get(last_name="Schmidt")
    assert response.status_code == 302 and response["Location"] == person_url(person)
    assert (person.salutation, person.title, person.first_name, str(person.birthday)) == (
        "ms", "Dr.", "Anna", "1985-04-12")
    assert [(e.email, e.kind, e.is_primary) for e in person.emails.all()] == [
        ("Anna.Schmidt@example.de", "home", True), ("anna@firma.de", "work", False)]
    assert [p.number for p in person.phones.all()] == ["+4915123456789"]
    assert [(a.city, a.postal_code) for a in person.addresses.all()] == [("Berlin", "10115")]
    assert sorted(t.name for t in person.tags.all()) == ["Schmuck", "VIP"]
    link = Employment.objects.get(person=person)
    assert (link.organisation, link.role) == (world.organisation, "Einkaufsleitung")
    assert person.owner == world.owner and person.team == world.team_a
    assert AuditEntry.objects.filter(object_type="contacts.person", object_id=str(person.pk),
                                     action="create").count() == 1


def test_create_from_organisation_page_preselects_it(client, world):
    client.force_login(world.owner)
    html = client.get(f"/people/new/?organisation={world.organisation.pk}").content.decode()
    assert re.search(rf'<option value="{world.organisation.pk}" selected>Gunther Glas GmbH</option>', html)


def test_invalid_row_is_marked_inline_and_nothing_is_saved(client, world):
    """A bad second e-mail shows at that row; no person, row or audit entry is written."""
    client.force_login(world.owner)
    persons, audits = Person.objects.count(), AuditEntry.objects.count()
    data = person_data(world.owner, **rows("emails", [{"kind": "home", "email": "ok@example.de"},
                                                      {"kind": "work", "email": "kaputt@@example"}]))
    response = client.post("/people/new/", data)
    assert response.status_code == 200
    html = response.content.decode()
    error = re.search(r'id="id_emails-1-email_error">([^<]+)<', html)
    assert error and "valid e-mail" in error.group(1)
    assert 'id="id_emails-0-email_error"' not in html
    assert 'value="kaputt@@example"' in html and 'value="Schmidt"' in html
    assert Person.objects.count() == persons and AuditEntry.objects.count() == audits


def test_invalid_phone_and_postal_code_map_to_their_rows(client, world):
    client.force_login(world.owner)
    data = person_data(
        world.owner,
        **rows("phones", [{"kind": "work", "number": "030 1234567"}, {"kind": "work", "number": "12"}]),
        **rows("addresses", [{"kind": "home", "street": "Ring 2", "postal_code": "1234", "city": "Köln",
                              "country": "DE"}]),
    )
    html = client.post("/people/new/", data).content.decode()
    assert 'id="id_phones-1-number_error"' in html and 'id="id_phones-0-number_error"' not in html
    assert 'id="id_addresses-0-postal_code_error"' in html
    assert not Person.objects.filter(last_name="Schmidt").exists()


def test_blank_and_removed_rows_are_skipped_so_errors_keep_their_row(client, world):
    """Service error indexes count only the rows sent; a removed row before a bad one must not shift it."""
    client.force_login(world.owner)
    data = person_data(world.owner, **rows("emails", [
        {"kind": "home", "email": "weg@example.de", "DELETE": "on"},
        {"kind": "home", "email": ""},
        {"kind": "work", "email": "nope"},
    ]))
    html = client.post("/people/new/", data).content.decode()
    assert 'id="id_emails-2-email_error"' in html
    assert 'id="id_emails-0-email_error"' not in html


def test_custom_fields_are_rendered_validated_and_saved(client, world):
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="shoe_size", label="Shoe size",
                                         field_type="number")
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="segment", label="Segment",
                                         field_type="choice", choices=["A", "B"], required=True)
    client.force_login(world.owner)
    html = client.get("/people/new/").content.decode()
    assert 'name="cf_shoe_size"' in html and "Shoe size" in html and 'name="cf_segment"' in html
    response = client.post("/people/new/", person_data(world.owner, cf_shoe_size="viel", cf_segment="A"))
    assert response.status_code == 200
    assert re.search(r'id="id_cf_shoe_size_error">Enter a number', response.content.decode())
    assert not Person.objects.filter(last_name="Schmidt").exists()
    response = client.post("/people/new/", person_data(world.owner, cf_shoe_size="41,5", cf_segment="B"))
    assert response.status_code == 302
    assert Person.objects.get(last_name="Schmidt").custom_fields == {"shoe_size": 41.5, "segment": "B"}


def test_edit_person_replaces_rows_and_bumps_the_version(client, world):
    client.force_login(world.owner)
    data = edit_data(world.person, first_name="Jürgen K.", tags="Stammkunde",
                     **rows("phones", [{"kind": "mobile", "number": "+49 171 1234567"}], initial=1))
    response = client.post(person_url(world.person, "edit/"), data)
    assert response.status_code == 302
    world.person.refresh_from_db()
    assert world.person.first_name == "Jürgen K." and world.person.version == 2
    assert [p.number for p in world.person.phones.all()] == ["+491711234567"]
    assert [t.name for t in world.person.tags.all()] == ["Stammkunde"]


def test_edit_conflict_keeps_the_input_and_shows_the_stored_values(client, world):
    """A save based on an old version changes nothing and shows the newer values beside the input."""
    client.force_login(world.owner)
    stale = edit_data(world.person, last_name="Müller-Lüdenscheidt", notes="Meine Notiz")
    person_update(actor=world.admin, person=world.person, expected_version=1,
                  changes={"last_name": "Mueller", "notes": "Notiz vom Admin"})
    response = client.post(person_url(world.person, "edit/"), stale)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else changed this record" in html
    assert 'value="Müller-Lüdenscheidt"' in html and "Meine Notiz" in html
    assert re.search(r'Stored now</span> Mueller<', html)
    assert re.search(r'Stored now</span> Notiz vom Admin<', html)
    assert 'name="version" value="2"' in html
    world.person.refresh_from_db()
    assert (world.person.last_name, world.person.version) == ("Mueller", 2)
    # Saving again on purpose builds on the version now shown and keeps the user's input.
    response = client.post(person_url(world.person, "edit/"), {**stale, "version": "2"})
    assert response.status_code == 302
    world.person.refresh_from_db()
    assert (world.person.last_name, world.person.notes, world.person.version) == (
        "Müller-Lüdenscheidt", "Meine Notiz", 3)


def test_owner_change_moves_the_record_to_the_new_owners_team(client, world):
    client.force_login(world.manager)
    response = client.post(person_url(world.person, "edit/"), edit_data(world.person, owner=str(world.teammate.pk)))
    assert response.status_code == 302
    world.person.refresh_from_db()
    assert world.person.owner == world.teammate and world.person.team == world.team_a


def test_owner_outside_the_allowed_users_is_refused(client, world):
    client.force_login(world.owner)
    response = client.post(person_url(world.person, "edit/"), edit_data(world.person, owner=str(world.admin.pk)))
    assert response.status_code == 200
    assert 'id="id_owner_error"' in response.content.decode()
    world.person.refresh_from_db()
    assert world.person.owner == world.owner and world.person.version == 1


# --- organisations ----------------------------------------------------------------


def organisation_data(owner, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Topp Desk", "legal_form": "AG", "industry": "Möbel", "size": "50-249",
        "website": "topp-desk.example", "vat_id": "DE 136 695 976", "parent": "", "lifecycle_stage": "",
        "owner": str(owner.pk), "tags": "B2B", "notes": "",
        **rows("emails", [{"kind": "work", "email": "info@topp-desk.example"}]),
        **rows("phones", []),
        **rows("addresses", [{"kind": "billing", "street": "Bahnhofstr. 5", "postal_code": "8001",
                              "city": "Zürich", "country": "CH"}]),
    }
    data.update(overrides)
    return data


def test_create_organisation_normalises_vat_id_and_website(client, world):
    client.force_login(world.owner)
    response = client.post("/organisations/new/", organisation_data(world.owner, parent=str(world.organisation.pk)))
    organisation = Organisation.objects.get(name="Topp Desk")
    assert response.status_code == 302 and response["Location"] == organisation_url(organisation)
    assert organisation.vat_id == "DE136695976"
    assert organisation.website == "https://topp-desk.example"
    assert organisation.parent == world.organisation
    assert [a.city for a in organisation.addresses.all()] == ["Zürich"]


def test_invalid_vat_id_is_a_field_error_and_nothing_is_saved(client, world):
    client.force_login(world.owner)
    before = Organisation.objects.count()
    response = client.post("/organisations/new/", organisation_data(world.owner, vat_id="DE123"))
    assert response.status_code == 200
    assert re.search(r'id="id_vat_id_error">Enter a valid VAT ID', response.content.decode())
    assert Organisation.objects.count() == before


def test_organisation_parent_cycle_is_refused(client, world):
    child = make_organisation(world.owner, name="Tochter", parent=world.organisation)
    client.force_login(world.owner)
    data = organisation_data(world.owner, name="Gunther Glas", legal_form="GmbH", vat_id="", version="1",
                             parent=str(child.pk), **rows("addresses", []), **rows("emails", []))
    response = client.post(organisation_url(world.organisation, "edit/"), data)
    assert response.status_code == 200
    assert 'id="id_parent_error"' in response.content.decode()
    world.organisation.refresh_from_db()
    assert world.organisation.parent is None


def test_organisation_edit_conflict(client, world):
    client.force_login(world.owner)
    data = organisation_data(world.owner, name="Gunther Glas Neu", legal_form="GmbH", vat_id="", version="1")
    organisation_update(actor=world.owner, organisation=world.organisation, expected_version=1,
                        changes={"industry": "Glas"})
    html = client.post(organisation_url(world.organisation, "edit/"), data).content.decode()
    assert "Someone else changed this record" in html and re.search(r"Stored now</span> Glas<", html)
    world.organisation.refresh_from_db()
    assert world.organisation.name == "Gunther Glas"


def test_organisation_options_only_offer_visible_organisations(client, world):
    make_organisation(world.other_team, name="Gunther Geheim")
    client.force_login(world.owner)
    html = client.get("/organisations/options/?q=gunther").content.decode()
    assert "Gunther Glas GmbH" in html and "Geheim" not in html
    assert "1 match" in html


# --- delete and restore -----------------------------------------------------------


def test_manager_deletes_and_restores_a_person(client, world):
    contact_log(actor=world.owner, person=world.person, channel="phone", subject="x")
    client.force_login(world.manager)
    confirm = client.get(person_url(world.person, "delete/"))
    assert confirm.status_code == 200 and "It has 1 history entry." in confirm.content.decode()
    response = client.post(person_url(world.person, "delete/"))
    assert response.status_code == 302 and response["Location"] == "/people/"
    assert Person.all_objects.get(pk=world.person.pk).deleted_at is not None
    assert client.get(person_url(world.person)).status_code == 404
    deleted = client.get("/people/deleted/").content.decode()
    assert "Jürgen Müller" in deleted and f"/people/{world.person.pk}/restore/" in deleted
    response = client.post(person_url(world.person, "restore/"))
    assert response.status_code == 302 and response["Location"] == person_url(world.person)
    assert client.get(person_url(world.person)).status_code == 200
    actions = list(AuditEntry.objects.filter(object_type="contacts.person", object_id=str(world.person.pk))
                   .values_list("action", flat=True))
    assert "delete" in actions and "restore" in actions


def test_member_may_not_delete_or_see_deleted_records(client, world):
    client.force_login(world.owner)
    html = client.get(person_url(world.person)).content.decode()
    assert person_url(world.person, "delete/") not in html
    assert client.post(person_url(world.person, "delete/")).status_code == 403
    assert client.get("/people/deleted/").status_code == 403
    world.person.refresh_from_db()
    assert world.person.deleted_at is None


def test_restore_of_a_live_or_invisible_record_is_404(client, world):
    client.force_login(world.manager)
    assert client.post(person_url(world.person, "restore/")).status_code == 404
    assert client.get(person_url(world.person, "restore/")).status_code == 405


def test_manager_deletes_an_organisation_people_stay(client, world):
    client.force_login(world.manager)
    response = client.post(organisation_url(world.organisation, "delete/"))
    assert response.status_code == 302 and response["Location"] == "/organisations/"
    assert client.get(person_url(world.person)).status_code == 200
    assert client.post(organisation_url(world.organisation, "restore/")).status_code == 302
    world.organisation.refresh_from_db()
    assert world.organisation.deleted_at is None


# --- links ------------------------------------------------------------------------


def test_add_edit_end_and_remove_a_link(client, world):
    other = make_organisation(world.owner, name="Topp Desk")
    client.force_login(world.owner)
    response = client.post(person_url(world.person, "links/add/"), {
        "organisation": str(other.pk), "role": "Beirat", "department": "", "start_date": "2024-01-01",
        "end_date": "", "is_primary_contact": "on"})
    assert response.status_code == 302
    link = Employment.objects.get(person=world.person, organisation=other)
    assert (link.role, link.is_primary_contact) == ("Beirat", True)
    response = client.post(person_url(world.person, f"links/{link.pk}/edit/"), {
        "role": "Vorsitz", "department": "Aufsicht", "start_date": "2024-01-01", "end_date": "2023-01-01"})
    assert response.status_code == 200
    assert 'id="id_end_date_error"' in response.content.decode()
    link.refresh_from_db()
    assert link.role == "Beirat"
    client.post(person_url(world.person, f"links/{link.pk}/end/"))
    link.refresh_from_db()
    assert link.end_date == timezone.localdate()
    client.post(person_url(world.person, f"links/{link.pk}/remove/"))
    assert not Employment.objects.filter(pk=link.pk).exists()


def test_link_to_an_invisible_organisation_is_refused(client, world):
    hidden = make_organisation(world.other_team, name="Geheim")
    client.force_login(world.owner)
    response = client.post(person_url(world.person, "links/add/"), {"organisation": str(hidden.pk), "role": ""})
    assert response.status_code == 200
    assert 'id="id_organisation_error"' in response.content.decode()
    assert not Employment.objects.filter(organisation=hidden).exists()


def test_read_only_cannot_touch_links(client, world):
    link = world.person.employments.get()
    client.force_login(world.read_only)
    assert client.post(person_url(world.person, f"links/{link.pk}/end/")).status_code == 403
    assert client.post(person_url(world.person, f"links/{link.pk}/remove/")).status_code == 403
    link.refresh_from_db()
    assert link.end_date is None


# --- query-count baselines --------------------------------------------------------


def _history(world, count: int) -> None:
    for index in range(count):
        entry = contact_log(actor=world.owner, person=world.person, channel="phone", subject=f"Anruf {index}",
                            mood=(index % 5) + 1, participant_users=[world.teammate])
        if index % 3 == 0:
            task_create(actor=world.owner, person=world.person, subject=f"Rückruf {index}",
                        due_at=entry.occurred_at)


@pytest.mark.parametrize("entries", [3, 30])
def test_person_page_query_count_does_not_grow_with_history(client, world, django_assert_max_num_queries, entries):
    """The 360° page needs the same number of queries for 3 and for 30 history entries."""
    _history(world, entries)
    client.force_login(world.owner)
    client.get(person_url(world.person))  # warm caches (content types, session)
    with django_assert_max_num_queries(PERSON_PAGE_QUERIES):
        assert client.get(person_url(world.person)).status_code == 200


@pytest.mark.parametrize("entries", [3, 30])
def test_organisation_page_query_count_does_not_grow_with_history(client, world, django_assert_max_num_queries,
                                                                  entries):
    _history(world, entries)
    client.force_login(world.owner)
    client.get(organisation_url(world.organisation))
    with django_assert_max_num_queries(ORGANISATION_PAGE_QUERIES):
        assert client.get(organisation_url(world.organisation)).status_code == 200


def test_query_counts_are_equal_for_small_and_large_histories(client, world, django_assert_num_queries):
    """Exactly equal counts, not just under a ceiling: N+1 would make the second one larger."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.owner)
    _history(world, 3)
    client.get(person_url(world.person))
    with CaptureQueriesContext(connection) as small:
        client.get(person_url(world.person))
    _history(world, 27)
    with CaptureQueriesContext(connection) as large:
        client.get(person_url(world.person))
    assert len(small) == len(large)


# Session, user, role, teams, the record with its rows and tags, custom field definitions,
# permission checks, links, one timeline page with participants, key figures (3), mood trend,
# users for the forms, and the session save.
# The page itself, plus a budget per panel other apps register (deals, tickets, consent …):
# a panel that needs more than three queries must batch its reads.
PANEL_QUERIES = 3
PERSON_PAGE_QUERIES = 25 + PANEL_QUERIES * len(registered_panels())
ORGANISATION_PAGE_QUERIES = 26 + PANEL_QUERIES * len(registered_panels())  # current and former links: two


def test_service_errors_without_a_field_become_form_errors(client, world, monkeypatch):
    """A ValidationError for an unknown key still shows (as a form-wide error), never a 500."""
    from kunde.contacts import views

    def broken(**kwargs: Any) -> None:
        raise ValidationError({"something_else": ["Out of order."]})

    monkeypatch.setattr(views, "person_create", broken)
    client.force_login(world.owner)
    response = client.post("/people/new/", person_data(world.owner))
    assert response.status_code == 200
    assert "something_else: Out of order." in response.content.decode()


def test_forbidden_and_missing_pages_explain_themselves(client, world):
    client.force_login(world.read_only)
    response = client.get(person_url(world.person, "edit/"))
    assert response.status_code == 403 and "You may not do this" in response.content.decode()
    client.force_login(world.other_team)
    response = client.get(person_url(world.person))
    assert response.status_code == 404
    assert "not allowed to see" in response.content.decode()
    assert "Jürgen" not in response.content.decode()


def test_organisation_page_separates_current_and_former_people(client, world):
    from kunde.contacts.services import employment_update

    former = make_person(world.owner, first_name="Ex", last_name="Kollegin", organisation=world.organisation)
    link = former.employments.get()
    employment_update(actor=world.owner, employment=link,
                      changes={"end_date": timezone.localdate() - dt.timedelta(days=3)})
    client.force_login(world.owner)
    html = client.get(organisation_url(world.organisation)).content.decode()
    current = html[html.index('id="people-heading"'):html.index("<details")]
    assert "Jürgen Müller" in current and "Ex Kollegin" not in current
    assert "1 former contact" in html and "Ex Kollegin" in html[html.index("<details"):]


@pytest.mark.parametrize("path", ["/people/", "/organisations/"])
def test_list_pages_cost_the_same_queries_for_few_and_many_rows(client, world, path):
    """The columns (organisation, e-mail, phone, city, tags, owner) come from prefetches, not per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count: int) -> None:
        for index in range(count):
            organisation = make_organisation(world.owner, name=f"Firma {index}", tags=["B2B"],
                                             addresses=[{"street": "Weg 1", "postal_code": "10115", "city": "Berlin"}])
            make_person(world.owner, last_name=f"Person {index}", organisation=organisation, tags=["VIP"],
                        emails=[{"email": f"p{index}@example.de"}], phones=[{"number": "030 1234567"}])

    client.force_login(world.owner)
    add(2)
    client.get(path)
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    add(20)
    with CaptureQueriesContext(connection) as many:
        html = client.get(path).content.decode()
    assert "Firma 19" in html
    assert len(few) == len(many)
