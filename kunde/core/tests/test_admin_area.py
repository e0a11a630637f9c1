"""The administration area (admins only), the audit browser and the per-record history page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kunde.accounts.models import Role, Team, User
from kunde.contacts.models import Person
from kunde.contacts.services import person_delete, person_update
from kunde.core.context import request_id_scope
from kunde.core.models import AuditEntry, CustomFieldDefinition
from kunde.core.testing.factories import PASSWORD, make_person, make_user

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin-area/", "/admin-area/users/", "/admin-area/users/new/", "/admin-area/users/{owner}/",
    "/admin-area/teams/", "/admin-area/teams/{team}/", "/admin-area/roles/", "/admin-area/roles/{role}/",
    "/admin-area/custom-fields/", "/admin-area/custom-fields/{field}/", "/admin-area/audit/",
    "/admin-area/audit/?format=csv", "/admin-area/users/?format=xlsx",
]


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def fill(url: str, world, role: Role, field: CustomFieldDefinition) -> str:
    return url.format(owner=world.owner.pk, team=world.team_a.pk, role=role.pk, field=field.pk)


@pytest.fixture
def custom_role(world) -> Role:
    return Role.objects.create(key="own-only", name="Own only", view_scope="own", edit_scope="own")


@pytest.fixture
def field(world) -> CustomFieldDefinition:
    return CustomFieldDefinition.objects.create(object_type="contacts.person", key="segment", label="Segment",
                                                field_type="choice", choices=["A", "B"])


# --- who may enter -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ADMIN_PAGES)
@pytest.mark.parametrize("who", ["manager", "teammate", "read_only"])
def test_non_admins_get_403(client, world, custom_role, field, url, who):
    client.force_login(getattr(world, who))
    assert client.get(fill(url, world, custom_role, field)).status_code == 403


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_anonymous_goes_to_login(client, world, custom_role, field, url):
    response = client.get(fill(url, world, custom_role, field))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admins_enter(client, world, custom_role, field, url):
    client.force_login(world.admin)
    assert client.get(fill(url, world, custom_role, field)).status_code == 200


def test_superuser_without_admin_role_enters(client, world):
    boss = make_user(Role.MEMBER, username="boss", is_superuser=True)
    client.force_login(boss)
    assert client.get("/admin-area/").status_code == 200


def test_non_admin_posts_change_nothing(client, world, custom_role, field):
    client.force_login(world.manager)
    posts = {
        "/admin-area/users/new/": {"username": "sneaky", "role": Role.objects.get(key="admin").pk,
                                   "password1": "Xy!93kdLq-z", "password2": "Xy!93kdLq-z"},
        f"/admin-area/users/{world.manager.pk}/": {"op": "save", "role": Role.objects.get(key="admin").pk,
                                                   "is_active": "on"},
        "/admin-area/teams/": {"name": "Sneaky team"},
        f"/admin-area/roles/{custom_role.pk}/": {"op": "save", "name": "X", "view_scope": "all",
                                                 "edit_scope": "all"},
        f"/admin-area/custom-fields/{field.pk}/": {"op": "delete"},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert not User.objects.filter(username="sneaky").exists()
    assert User.objects.get(pk=world.manager.pk).role.key == "manager"
    assert not Team.objects.filter(name="Sneaky team").exists()
    assert Role.objects.get(pk=custom_role.pk).view_scope == "own"
    assert CustomFieldDefinition.objects.filter(pk=field.pk).exists()


def test_navigation_shows_administration_only_to_admins(client, world):
    client.force_login(world.admin)
    assert 'href="/admin-area/"' in client.get("/accounts/tokens/").content.decode()
    client.force_login(world.manager)
    assert 'href="/admin-area/"' not in client.get("/accounts/tokens/").content.decode()


# --- users -------------------------------------------------------------------------------------


def user_rows(response) -> list[str]:
    return re.findall(r'href="/admin-area/users/\d+/">([^<]+)</a>', response.content.decode())


def test_user_list_filters_by_role_and_team(client, world):
    client.force_login(world.admin)
    assert user_rows(client.get("/admin-area/users/")) == [
        "admin", "manager", "other", "owner", "reader", "teammate"]
    member = Role.objects.get(key="member")
    assert user_rows(client.get("/admin-area/users/", {"role": member.pk})) == ["other", "owner", "teammate"]
    assert user_rows(client.get("/admin-area/users/", {"team": world.team_b.pk})) == ["other"]
    assert user_rows(client.get("/admin-area/users/", {"text": "MANA"})) == ["manager"]
    assert client.get("/admin-area/users/", {"sort": "password"}).status_code == 400


def create_user(client, **data):
    base = {"username": "neu", "first_name": "Nina", "last_name": "Neu", "email": "nina@example.de",
            "role": Role.objects.get(key="manager").pk, "teams": [], "password1": "Blau-Wal-1987!",
            "password2": "Blau-Wal-1987!"}
    return client.post("/admin-area/users/new/", {**base, **data})


def test_create_user_with_role_and_teams(client, world):
    client.force_login(world.admin)
    response = create_user(client, teams=[world.team_a.pk, world.team_b.pk])
    user = User.objects.get(username="neu")
    assert response.status_code == 302 and response["Location"] == f"/admin-area/users/{user.pk}/"
    assert (user.role.key, user.email, user.get_full_name()) == ("manager", "nina@example.de", "Nina Neu")
    assert sorted(t.name for t in user.teams.all()) == ["Vertrieb Nord", "Vertrieb Süd"]
    assert user.check_password("Blau-Wal-1987!")
    entry = AuditEntry.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert (entry.action, entry.actor_id) == ("create", world.admin.pk)
    assert "password" not in entry.changes


@pytest.mark.parametrize(("data", "error"), [
    ({"password2": "Anders-1987!"}, "The two passwords differ."),
    ({"password1": "123", "password2": "123"}, "This password is too short."),
    ({"username": "OWNER"}, "This username is taken."),
    ({"username": ""}, "This field is required."),
    ({"email": "kein-mail"}, "Enter a valid email address."),
])
def test_invalid_new_user_creates_nothing(client, world, data, error):
    client.force_login(world.admin)
    count = User.objects.count()
    response = create_user(client, **data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert User.objects.count() == count


def edit_user(client, user, **data):
    base = {"op": "save", "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "role": user.role_id, "teams": [t.pk for t in user.teams.all()], "is_active": "on"}
    return client.post(f"/admin-area/users/{user.pk}/", {**base, **data})


def test_change_role_and_teams(client, world):
    client.force_login(world.admin)
    manager_role = Role.objects.get(key="manager")
    response = edit_user(client, world.owner, role=manager_role.pk, teams=[world.team_b.pk])
    assert response.status_code == 302
    owner = User.objects.get(pk=world.owner.pk)
    assert owner.role == manager_role
    assert list(owner.teams.values_list("name", flat=True)) == ["Vertrieb Süd"]
    entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(owner.pk)).first()
    assert entry.action == "update"
    assert entry.changes["teams"] == [["Vertrieb Nord"], ["Vertrieb Süd"]]
    assert entry.changes["role_id"] == [Role.objects.get(key="member").pk, manager_role.pk]


def test_deactivated_user_cannot_log_in(client, world):
    client.force_login(world.admin)
    edit_user(client, world.owner, is_active="")
    assert User.objects.get(pk=world.owner.pk).is_active is False
    client.logout()
    client.post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_admin_cannot_deactivate_themselves(client, world):
    client.force_login(world.admin)
    response = edit_user(client, world.admin, is_active="")
    assert response.status_code == 400
    assert "You cannot deactivate yourself." in response.content.decode()
    assert User.objects.get(pk=world.admin.pk).is_active


def test_last_admin_keeps_the_admin_role(client, world):
    client.force_login(world.admin)
    response = edit_user(client, world.admin, role=Role.objects.get(key="member").pk)
    assert response.status_code == 400
    assert "This is the last active administrator" in response.content.decode()
    assert User.objects.get(pk=world.admin.pk).role.key == "admin"
    second = make_user(Role.ADMIN, username="admin2")
    assert edit_user(client, second, role=Role.objects.get(key="member").pk).status_code == 302


def test_admin_sets_a_password(client, world):
    client.force_login(world.admin)
    response = client.post(f"/admin-area/users/{world.owner.pk}/", {"op": "password", "new_password": "kurz"})
    assert response.status_code == 400
    assert User.objects.get(pk=world.owner.pk).check_password(PASSWORD)
    response = client.post(f"/admin-area/users/{world.owner.pk}/",
                           {"op": "password", "new_password": "Neues-Passwort-2026"})
    assert response.status_code == 302
    assert User.objects.get(pk=world.owner.pk).check_password("Neues-Passwort-2026")
    entry = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(world.owner.pk)).first()
    assert entry.changes == {"_extra": {"password": "changed"}}


# --- teams and roles -------------------------------------------------------------------------


def test_create_rename_and_delete_teams(client, world):
    client.force_login(world.admin)
    assert client.post("/admin-area/teams/", {"name": "Service"}).status_code == 302
    team = Team.objects.get(name="Service")
    assert client.post("/admin-area/teams/", {"name": "Service"}).status_code == 400
    response = client.post(f"/admin-area/teams/{team.pk}/", {"op": "save", "name": "Kundendienst",
                                                             "lead": world.manager.pk})
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.name, team.lead) == ("Kundendienst", world.manager)
    client.post(f"/admin-area/teams/{team.pk}/", {"op": "delete"})
    assert not Team.objects.filter(pk=team.pk).exists()


def test_team_with_members_is_not_deleted(client, world):
    client.force_login(world.admin)
    response = client.post(f"/admin-area/teams/{world.team_a.pk}/", {"op": "delete"})
    assert flashed(response) == ["Only a team without members can be deleted."]
    assert Team.objects.filter(pk=world.team_a.pk).exists()


def test_roles_page_lists_scopes(client, world):
    client.force_login(world.admin)
    html = client.get("/admin-area/roles/").content.decode()
    assert re.search(r"Member <span[^>]*>default</span> <code[^>]*>member</code></td>\s*"
                     r"<td>Own team&#x27;s records</td><td>Own records</td>", html)


def test_custom_role_scopes_decide_visibility(client, world):
    client.force_login(world.admin)
    response = client.post("/admin-area/roles/", {"key": "solo", "name": "Solo", "view_scope": "own",
                                                  "edit_scope": "own"})
    assert response.status_code == 302
    role = Role.objects.get(key="solo")
    edit_user(client, world.teammate, role=role.pk)
    teammate = User.objects.get(pk=world.teammate.pk)
    assert not Person.objects.for_user(teammate).filter(pk=world.person.pk).exists()
    client.post(f"/admin-area/roles/{role.pk}/", {"op": "save", "name": "Solo+", "view_scope": "team",
                                                  "edit_scope": "own"})
    role.refresh_from_db()
    assert (role.name, role.view_scope) == ("Solo+", "team")
    teammate = User.objects.get(pk=world.teammate.pk)
    assert Person.objects.for_user(teammate).filter(pk=world.person.pk).exists()


def test_role_may_not_change_more_than_it_sees(client, world, custom_role):
    client.force_login(world.admin)
    response = client.post(f"/admin-area/roles/{custom_role.pk}/", {
        "op": "save", "name": "X", "view_scope": "own", "edit_scope": "all"})
    assert response.status_code == 400
    assert "A role cannot change more records than it may see." in response.content.decode()
    custom_role.refresh_from_db()
    assert (custom_role.name, custom_role.edit_scope) == ("Own only", "own")


def test_default_roles_cannot_be_edited(client, world):
    client.force_login(world.admin)
    member = Role.objects.get(key="member")
    response = client.post(f"/admin-area/roles/{member.pk}/", {"op": "save", "name": "X", "view_scope": "all",
                                                               "edit_scope": "all"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.view_scope) == ("Member", "team")


def test_role_in_use_is_not_deleted(client, world, custom_role):
    client.force_login(world.admin)
    edit_user(client, world.teammate, role=custom_role.pk)
    client.post(f"/admin-area/roles/{custom_role.pk}/", {"op": "delete"})
    assert Role.objects.filter(pk=custom_role.pk).exists()
    edit_user(client, User.objects.get(pk=world.teammate.pk), role=Role.objects.get(key="member").pk)
    client.post(f"/admin-area/roles/{custom_role.pk}/", {"op": "delete"})
    assert not Role.objects.filter(pk=custom_role.pk).exists()


# --- custom fields ---------------------------------------------------------------------------


def test_create_custom_fields_of_each_type(client, world):
    client.force_login(world.admin)
    for key, kind, choices in [("note", "text", ""), ("score", "number", ""), ("since", "date", ""),
                               ("tier", "choice", "Gold\nSilber\n\nBronze"), ("vip", "boolean", "")]:
        response = client.post("/admin-area/custom-fields/", {
            "object_type": "contacts.organisation", "label": key.title(), "key": key, "field_type": kind,
            "choices": choices, "required": "", "position": "0"})
        assert response.status_code == 302, response.content.decode()
    rows = CustomFieldDefinition.objects.filter(object_type="contacts.organisation").order_by("key")
    assert [(d.key, d.field_type, d.choices) for d in rows] == [
        ("note", "text", []), ("score", "number", []), ("since", "date", []),
        ("tier", "choice", ["Gold", "Silber", "Bronze"]), ("vip", "boolean", [])]
    assert AuditEntry.objects.filter(object_type="core.customfielddefinition", action="create").count() == 5


@pytest.mark.parametrize(("data", "error"), [
    ({"field_type": "choice", "choices": ""}, "A choice field needs at least one choice."),
    ({"field_type": "text", "choices": "A"}, "Only a choice field has choices."),
    ({"key": "segment"}, "Custom field definition with this Object type and Key already exists."),
    ({"key": "kein key"}, "Enter a valid “slug”"),
    ({"object_type": "accounts.user"}, "Select a valid choice."),
])
def test_invalid_custom_field_creates_nothing(client, world, field, data, error):
    client.force_login(world.admin)
    base = {"object_type": "contacts.person", "label": "X", "key": "x", "field_type": "text", "choices": "",
            "position": "0"}
    response = client.post("/admin-area/custom-fields/", {**base, **data})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert list(CustomFieldDefinition.objects.values_list("key", flat=True)) == ["segment"]


def test_edit_custom_field_keeps_key_and_type(client, world, field):
    client.force_login(world.admin)
    response = client.post(f"/admin-area/custom-fields/{field.pk}/", {
        "op": "save", "label": "Kundensegment", "choices": "A\nB\nC", "required": "on", "position": "3",
        "key": "hacked", "field_type": "text"})
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.key, field.field_type, field.label, field.choices, field.required, field.position) == (
        "segment", "choice", "Kundensegment", ["A", "B", "C"], True, 3)


def test_delete_custom_field(client, world, field):
    client.force_login(world.admin)
    client.post(f"/admin-area/custom-fields/{field.pk}/", {"op": "delete"})
    assert not CustomFieldDefinition.objects.exists()
    assert AuditEntry.objects.filter(object_type="core.customfielddefinition", action="delete").count() == 1


# --- the audit browser --------------------------------------------------------------------------


def audit_ids(response) -> list[int]:
    body = response.content.decode().split("<tbody>", 1)[1]
    return [int(pk) for pk in re.findall(r'<tr data-pk="(\d+)">', body)]


@pytest.fixture
def trail(world):
    """A known slice of audit entries on top of the world's."""
    with request_id_scope("req-owner-1"):
        person = make_person(world.owner, last_name="Audit")
    with request_id_scope("req-manager-1"):
        person_update(actor=world.manager, person=person, expected_version=1, changes={"first_name": "Anna"})
    with request_id_scope("req-manager-2"):
        person_delete(actor=world.manager, person=person)
    old = AuditEntry.objects.filter(object_type="contacts.person", object_id=str(person.pk))
    return person, {e.action: e for e in old}


def test_audit_browser_filters(client, world, trail):
    person, entries = trail
    client.force_login(world.admin)
    url = "/admin-area/audit/"
    assert audit_ids(client.get(url, {"actor": world.manager.pk})) == [entries["delete"].pk, entries["update"].pk]
    assert audit_ids(client.get(url, {"request_id": "req-owner-1", "object_type": "contacts.person"})) == [
        entries["create"].pk]
    assert audit_ids(client.get(url, {"action": "update", "object_id": str(person.pk)})) == [entries["update"].pk]
    assert audit_ids(client.get(url, {"object_type": "contacts.person", "object_id": str(person.pk),
                                      "sort": "at"})) == [entries["create"].pk, entries["update"].pk,
                                                          entries["delete"].pk]
    assert client.get(url, {"action": "explode"}).status_code == 400


def test_audit_browser_date_range_is_inclusive(client, world, trail):
    person, entries = trail
    AuditEntry.objects.filter(pk=entries["create"].pk).update(at=timezone.make_aware(dt.datetime(2026, 1, 31, 23, 30)))
    AuditEntry.objects.filter(pk=entries["update"].pk).update(at=timezone.make_aware(dt.datetime(2026, 2, 1, 0, 30)))
    client.force_login(world.admin)
    base = {"object_id": str(person.pk), "object_type": "contacts.person"}
    assert audit_ids(client.get("/admin-area/audit/", {**base, "date_to": "2026-01-31"})) == [entries["create"].pk]
    assert audit_ids(client.get("/admin-area/audit/", {**base, "date_from": "2026-02-01",
                                                       "date_to": "2026-02-01"})) == [entries["update"].pk]


def test_audit_browser_shows_changes_readably(client, world, trail):
    person, _entries = trail
    client.force_login(world.admin)
    html = client.get("/admin-area/audit/", {"action": "update", "object_id": str(person.pk)}).content.decode()
    assert re.search(r"<dt>First name</dt>\s*<dd><del[^>]*>Erika</del> <span aria-hidden=\"true\">→</span>"
                     r"<span class=\"visually-hidden\">changed to</span> <ins>Anna</ins></dd>", html)
    html = client.get("/admin-area/audit/", {"action": "create", "object_id": str(person.pk),
                                             "object_type": "contacts.person"}).content.decode()
    # Foreign keys show the related record's name, not only its id.
    assert f"<dt>Owner</dt>\n  <dd><ins>owner (#{world.owner.pk})</ins></dd>" in html
    assert f'href="/history/contacts.person/{person.pk}/"' in html


def test_audit_browser_pages_by_keyset_with_constant_queries(client, world):
    client.force_login(world.admin)
    for index in range(3):
        make_person(world.owner, last_name=f"A{index}")
    with CaptureQueriesContext(connection) as small:
        first = client.get("/admin-area/audit/", {"page_size": "5"})
    for index in range(30):
        make_person(world.owner, last_name=f"B{index}")
    with CaptureQueriesContext(connection) as large:
        client.get("/admin-area/audit/", {"page_size": "50"})
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(audit_ids(first)) == 5
    assert "OFFSET" not in " ".join(q["sql"].upper() for q in large.captured_queries)


def test_audit_export_is_itself_audited(client, world):
    client.force_login(world.admin)
    response = client.get("/admin-area/audit/", {"format": "csv", "action": "create"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "When,Who,Action,Object,Name,Changes,Request id"
    assert len(lines) == 1 + AuditEntry.objects.filter(action="create").count()
    entry = AuditEntry.objects.get(action="export")
    assert (entry.object_type, entry.changes["_extra"]["query"]) == ("core.auditentry", "action=create")


# --- one record's history -------------------------------------------------------------------------


def test_history_visible_to_those_who_may_view_the_record(client, world, trail):
    person, _entries = trail
    url = f"/history/contacts.person/{person.pk}/"
    for who in ("owner", "teammate", "read_only", "manager", "admin"):
        client.force_login(getattr(world, who))
        response = client.get(url)
        assert response.status_code == 200, who
        html = response.content.decode()
        assert html.count('<li class="border-bottom py-2"') == 3
        assert "Deleted" in html and "Updated" in html and "Created" in html
    client.force_login(world.other_team)
    assert client.get(url).status_code == 404


def test_history_of_a_live_record_links_back(client, world):
    client.force_login(world.owner)
    html = client.get(f"/history/contacts.person/{world.person.pk}/").content.decode()
    assert f'href="/people/{world.person.pk}/"' in html


@pytest.mark.parametrize("url", [
    "/history/contacts.nothing/1/", "/history/auth.group/1/", "/history/contacts.person/abc/",
    "/history/contacts.person/999999/", "/history/nonsense/1/",
])
def test_history_of_unknown_records_is_404(client, world, url):
    client.force_login(world.admin)
    assert client.get(url).status_code == 404


def test_history_of_unscoped_models_is_for_admins(client, world):
    url = f"/history/accounts.user/{world.owner.pk}/"
    client.force_login(world.manager)
    assert client.get(url).status_code == 404
    client.force_login(world.admin)
    assert client.get(url).status_code == 200


def test_history_bad_cursor_is_400(client, world):
    client.force_login(world.owner)
    response = client.get(f"/history/contacts.person/{world.person.pk}/", {"cursor": "xyz"})
    assert response.status_code == 400


def test_history_pages_newest_first(client, world):
    person = world.person
    for version in range(1, 5):
        person_update(actor=world.owner, person=person, expected_version=version, changes={"title": f"T{version}"})
    client.force_login(world.owner)
    first = client.get(f"/history/contacts.person/{person.pk}/", {"page_size": "2"}).content.decode()
    assert re.findall(r"<ins>(T\d)</ins>", first) == ["T4", "T3"]
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    second = client.get(f"/history/contacts.person/{person.pk}/{older}").content.decode()
    assert re.findall(r"<ins>(T\d)</ins>", second) == ["T2", "T1"]


def test_history_names_only_related_records_the_viewer_may_see(client, world):
    """A parent organisation of another team shows as its id, not its name."""
    from kunde.contacts.services import organisation_create
    from kunde.core.testing.factories import make_organisation

    secret_parent = make_organisation(world.other_team, name="Geheim Holding")
    # An administrator may link across teams; the owner's teammates still cannot see the parent.
    child = organisation_create(actor=world.admin, owner=world.owner, team=world.team_a, name="Tochter",
                                parent=secret_parent)
    url = f"/history/contacts.organisation/{child.pk}/"
    client.force_login(world.teammate)
    html = client.get(url).content.decode()
    assert "Geheim Holding" not in html
    assert f"<ins>#{secret_parent.pk}</ins>" in html
    client.force_login(world.admin)
    assert f"<ins>Geheim Holding (#{secret_parent.pk})</ins>" in client.get(url).content.decode()
