"""The people, organisation and link endpoints: permissions, validation, filters, paging,
concurrency and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kunde.accounts.models import ApiToken
from kunde.contacts.models import Employment, Organisation, Person
from kunde.contacts.services import employment_create, person_delete
from kunde.core.models import AuditEntry, CustomFieldDefinition
from kunde.core.testing.api import ApiClient, client_for
from kunde.core.testing.factories import make_organisation, make_person

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]


def expect(**codes: int) -> list[tuple[str, int]]:
    """Parametrize rows (who, status) in the matrix's column order."""
    return [(who, codes[who]) for who in WHO]


def written() -> int:
    """Every service writes an audit entry: an unchanged count means nothing was written."""
    return AuditEntry.objects.count()


# --- people: permission matrix ----------------------------------------------------


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_get_person_matrix(world, who, status):
    response = client_for(world, who).get(f"/people/{world.person.pk}")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert body["id"] == world.person.pk
        assert body["last_name"] == "Müller"
        assert response["ETag"] == 'W/"1"'
    else:
        assert "ETag" not in response
        assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize(("who", "visible"), [("read_only", True), ("teammate", True), ("other_team", False),
                                              ("owner", True), ("manager", True), ("admin", True)])
def test_list_people_shows_only_visible_records(world, who, visible):
    mine = make_person(world.other_team, last_name="Süd")
    response = client_for(world, who).get("/people")
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["items"]]
    expected = {world.person.pk} if visible else set()
    if who in ("other_team", "manager", "admin"):
        expected |= {mine.pk}
    assert set(ids) == expected


def test_list_people_anonymous_is_401(world):
    response = ApiClient().get("/people")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="kunde"'
    assert response.json()["errors"] == []


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=201, other_team=201,
                                                   owner=201, manager=201, admin=201))
def test_create_person_matrix(world, who, status):
    client = client_for(world, who)
    before, audit = Person.objects.count(), written()
    response = client.post("/people", {"last_name": "Neu", "emails": [{"email": "neu@example.de"}]})
    assert response.status_code == status
    if status == 201:
        body = response.json()
        person = Person.objects.get(pk=body["id"])
        assert person.owner == getattr(world, who)
        assert body["owner"] == person.owner_id
        assert [e["email"] for e in body["emails"]] == ["neu@example.de"]
        assert response["ETag"] == 'W/"1"'
    else:
        assert (Person.objects.count(), written()) == (before, audit)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_patch_person_matrix(world, who, status):
    client = client_for(world, who)
    audit = written()
    response = client.patch(f"/people/{world.person.pk}", {"first_name": "Jörg"})
    assert response.status_code == status
    world.person.refresh_from_db()
    if status == 200:
        assert world.person.first_name == "Jörg"
        assert world.person.version == 2
        assert response.json()["first_name"] == "Jörg"
        assert response["ETag"] == 'W/"2"'
    else:
        assert (world.person.first_name, world.person.version, written()) == ("Jürgen", 1, audit)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_put_person_matrix(world, who, status):
    client = client_for(world, who)
    audit = written()
    response = client.put(f"/people/{world.person.pk}", {"last_name": "Meier", "version": 1})
    assert response.status_code == status
    world.person.refresh_from_db()
    if status == 200:
        assert world.person.last_name == "Meier"
    else:
        assert (world.person.last_name, world.person.version, written()) == ("Müller", 1, audit)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=403, manager=204, admin=204))
def test_delete_person_matrix(world, who, status):
    client = client_for(world, who)
    audit = written()
    response = client.delete(f"/people/{world.person.pk}")
    assert response.status_code == status
    deleted = Person.all_objects.get(pk=world.person.pk).deleted_at is not None
    assert deleted is (status == 204)
    if status == 204:
        assert response.content == b""
        assert client.get(f"/people/{world.person.pk}").status_code == 404
    else:
        assert written() == audit


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=404, teammate=404, other_team=404,
                                                   owner=404, manager=200, admin=200))
def test_restore_person_matrix(world, who, status):
    person_delete(actor=world.admin, person=world.person)
    client = client_for(world, who)
    response = client.post(f"/people/{world.person.pk}/restore")
    assert response.status_code == status
    restored = Person.all_objects.get(pk=world.person.pk).deleted_at is None
    assert restored is (status == 200)
    if status == 200:
        assert response.json()["id"] == world.person.pk


@pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
def test_read_token_may_not_write(world, method):
    client = ApiClient(world.owner, scope=ApiToken.TokenScope.READ)
    assert client.get(f"/people/{world.person.pk}").status_code == 200
    audit, count = written(), Person.all_objects.count()
    path = "/people" if method == "post" else f"/people/{world.person.pk}"
    args = () if method == "delete" else ({"last_name": "X", "version": 1},)
    response = getattr(client, method)(path, *args)
    assert response.status_code == 403
    assert "read" in response.json()["detail"]
    world.person.refresh_from_db()
    assert (written(), Person.all_objects.count(), world.person.last_name) == (audit, count, "Müller")


# --- people: output and writes ----------------------------------------------------


def test_person_output_has_contact_points_links_and_custom_fields(world):
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="segment", label="Segment",
                                         field_type="choice", choices=["A", "B"])
    client = ApiClient(world.owner)
    response = client.patch(f"/people/{world.person.pk}", {
        "lifecycle_stage": "customer", "tags": ["VIP", "Newsletter"], "custom_fields": {"segment": "B"},
        "addresses": [{"street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"}],
    })
    assert response.status_code == 200, response.json()
    body = client.get(f"/people/{world.person.pk}").json()
    assert body["lifecycle_stage"] == "customer"
    assert body["tags"] == ["Newsletter", "VIP"]
    assert body["custom_fields"] == {"segment": "B"}
    assert body["phones"] == [{"id": body["phones"][0]["id"], "number": "+49301234567", "kind": "work",
                               "is_primary": True}]
    assert [(a["street"], a["postal_code"], a["city"], a["country"]) for a in body["addresses"]] == [
        ("Hauptstr. 1", "10115", "Berlin", "DE")]
    assert body["organisations"] == [{
        "employment": Employment.objects.get(person=world.person).pk, "organisation": world.organisation.pk,
        "name": "Gunther Glas", "role": "Einkauf", "department": "", "is_primary_contact": False,
    }]
    assert body["owner"] == world.owner.pk
    assert body["team"] == world.team_a.pk
    assert body["version"] == 2


def test_person_shows_only_current_links_to_visible_organisations(world):
    hidden = make_organisation(world.other_team, name="Verborgen AG")
    employment_create(actor=None, person=world.person, organisation=hidden, role="Beirat")
    past = make_organisation(world.owner, name="Früher GmbH")
    employment_create(actor=None, person=world.person, organisation=past, role="Azubi",
                      start_date="2001-01-01", end_date="2003-01-01")
    client = ApiClient(world.owner)
    detail = client.get(f"/people/{world.person.pk}").json()
    listed = client.get("/people").json()["items"][0]
    assert [o["name"] for o in detail["organisations"]] == ["Gunther Glas"]
    assert listed["organisations"] == detail["organisations"]
    assert [o["name"] for o in ApiClient(world.admin).get(f"/people/{world.person.pk}").json()["organisations"]] \
        == ["Gunther Glas", "Verborgen AG"]


def test_create_person_with_organisation_link(world):
    response = ApiClient(world.owner).post("/people", {
        "salutation": "ms", "first_name": "Anna", "last_name": "Schmidt", "organisation": world.organisation.pk,
        "role": "Geschäftsführerin", "phones": [{"number": "0171 2345678", "kind": "mobile"}],
    })
    assert response.status_code == 201
    body = response.json()
    assert body["phones"][0]["number"] == "+491712345678"
    assert [(o["organisation"], o["role"]) for o in body["organisations"]] == [
        (world.organisation.pk, "Geschäftsführerin")]


def test_invalid_input_answers_422_with_field_paths_and_saves_nothing(world):
    client = ApiClient(world.owner)
    count, audit = Person.objects.count(), written()
    response = client.post("/people", {
        "last_name": "Neu", "lifecycle_stage": "nope",
        "emails": [{"email": "ok@example.de"}, {"email": "not-an-address"}],
        "phones": [{"number": "12"}],
    })
    assert response.status_code == 422
    body = response.json()
    paths = sorted(tuple(e["path"]) for e in body["errors"])
    assert paths == [("body", "emails", 1, "email"), ("body", "lifecycle_stage"), ("body", "phones", 0, "number")]
    assert body["detail"] == "The request is invalid."
    assert all(e["message"] for e in body["errors"])
    assert (Person.objects.count(), written()) == (count, audit)


def test_request_shape_errors_use_the_same_schema(world):
    response = ApiClient(world.owner).post("/people", {"emails": [{"email": 5}], "salutation": "sir"})
    assert response.status_code == 422
    paths = sorted(tuple(map(str, e["path"])) for e in response.json()["errors"])
    assert paths == [("body", "emails", "0", "email"), ("body", "last_name"), ("body", "salutation")]


def test_malformed_json_is_400(world):
    count = Person.objects.count()
    response = ApiClient(world.owner).post("/people", "{not json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": ["body"], "message": "Send a JSON document."}]
    assert Person.objects.count() == count


def test_invalid_custom_field_value_path(world):
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="since", label="Since",
                                         field_type="date")
    response = ApiClient(world.owner).patch(f"/people/{world.person.pk}", {"custom_fields": {"since": "gestern",
                                                                                            "colour": "blue"}})
    assert response.status_code == 422
    errors = {tuple(e["path"]): e["message"] for e in response.json()["errors"]}
    assert errors == {("body", "custom_fields", "since"): "Enter a date as YYYY-MM-DD.",
                      ("body", "custom_fields", "colour"): "Unknown custom field."}
    world.person.refresh_from_db()
    assert (world.person.custom_fields, world.person.version) == ({}, 1)


def test_patch_changes_only_fields_sent_and_null_clears(world):
    client = ApiClient(world.owner)
    assert client.patch(f"/people/{world.person.pk}", {"birthday": "1970-05-01"}).status_code == 200
    response = client.patch(f"/people/{world.person.pk}", {"birthday": None})
    assert response.status_code == 200
    body = response.json()
    assert (body["birthday"], body["first_name"], len(body["emails"])) == (None, "Jürgen", 1)
    assert client.patch(f"/people/{world.person.pk}", {"last_name": None}).status_code == 422


def test_put_replaces_lists_and_custom_fields(world):
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="segment", label="Segment",
                                         field_type="text")
    client = ApiClient(world.owner)
    client.patch(f"/people/{world.person.pk}", {"custom_fields": {"segment": "B2B"}, "tags": ["VIP"]})
    response = client.put(f"/people/{world.person.pk}", {"last_name": "Müller", "first_name": "Jürgen"},
                          headers={"If-Match": 'W/"2"'})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["emails"], body["phones"], body["tags"], body["custom_fields"]) == ([], [], [], {})
    assert body["owner"] == world.owner.pk  # omitted owner is kept
    assert body["organisations"][0]["name"] == "Gunther Glas"  # links are not part of PUT


def test_put_refuses_organisation_link(world):
    response = ApiClient(world.owner).put(f"/people/{world.person.pk}", {
        "last_name": "Müller", "organisation": world.organisation.pk, "version": 1})
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == [["body", "organisation"]]


def test_member_may_not_give_a_record_to_another_team(world):
    response = ApiClient(world.owner).patch(f"/people/{world.person.pk}", {"owner": world.other_team.pk})
    assert response.status_code == 403
    world.person.refresh_from_db()
    assert world.person.owner == world.owner
    assert ApiClient(world.admin).patch(f"/people/{world.person.pk}", {"owner": world.other_team.pk}).json()[
        "owner"] == world.other_team.pk


def test_unknown_owner_is_a_field_error(world):
    response = ApiClient(world.admin).patch(f"/people/{world.person.pk}", {"owner": 999999})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": ["body", "owner"], "message": "Unknown user."}]


# --- concurrency ------------------------------------------------------------------


def test_stale_if_match_is_412_and_changes_nothing(world):
    client = ApiClient(world.owner)
    etag = client.get(f"/people/{world.person.pk}")["ETag"]
    assert client.patch(f"/people/{world.person.pk}", {"title": "Dr."}, headers={"If-Match": etag}).status_code \
        == 200
    response = client.patch(f"/people/{world.person.pk}", {"first_name": "Jörg"}, headers={"If-Match": etag})
    assert response.status_code == 412
    assert response["ETag"] == 'W/"2"'
    assert "version 2" in response.json()["detail"]
    world.person.refresh_from_db()
    assert (world.person.first_name, world.person.title, world.person.version) == ("Jürgen", "Dr.", 2)


def test_version_in_body_is_checked_like_if_match(world):
    client = ApiClient(world.owner)
    assert client.patch(f"/people/{world.person.pk}", {"first_name": "A", "version": 5}).status_code == 412
    response = client.patch(f"/people/{world.person.pk}", {"first_name": "A", "version": 1})
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_if_match_and_body_version_must_agree(world):
    response = ApiClient(world.owner).patch(f"/people/{world.person.pk}", {"first_name": "A", "version": 1},
                                            headers={"If-Match": '"2"'})
    assert response.status_code == 412
    world.person.refresh_from_db()
    assert world.person.first_name == "Jürgen"


def test_put_needs_a_precondition(world):
    client = ApiClient(world.owner)
    response = client.put(f"/people/{world.person.pk}", {"last_name": "Meier"})
    assert response.status_code == 428
    world.person.refresh_from_db()
    assert world.person.last_name == "Müller"
    response = client.put(f"/people/{world.person.pk}", {"last_name": "Meier"}, headers={"If-Match": "*"})
    assert response.status_code == 200


def test_strong_and_weak_tags_are_accepted_and_malformed_is_400(world):
    client = ApiClient(world.owner)
    assert client.patch(f"/people/{world.person.pk}", {"title": "Dr."}, headers={"If-Match": '"1"'}).status_code \
        == 200
    response = client.patch(f"/people/{world.person.pk}", {"title": "Prof."}, headers={"If-Match": "2"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == ["header", "If-Match"]


def test_stale_delete_is_412(world):
    client = ApiClient(world.admin)
    response = client.delete(f"/people/{world.person.pk}", headers={"If-Match": 'W/"7"'})
    assert response.status_code == 412
    assert Person.objects.filter(pk=world.person.pk).exists()
    assert client.delete(f"/people/{world.person.pk}", headers={"If-Match": 'W/"1"'}).status_code == 204


# --- lists: filters, sorting, paging, query counts ---------------------------------


def test_unknown_filter_sort_value_and_cursor_are_400(world):
    client = ApiClient(world.owner)
    cases = {
        "colour=blue": ["query", "colour"],
        "sort=password": ["query", "sort"],
        "owner=someone": ["query", "owner"],
        "cursor=%%%": ["query", "cursor"],
        "q=Müller": ["query", "q"],
        "page=2": ["query", "page"],
    }
    for query, path in cases.items():
        response = client.client.get(f"/api/v1/people?{query}", headers=client.headers)
        assert response.status_code == 400, query
        assert [e["path"] for e in response.json()["errors"]] == [path], query
    assert client.get("/organisations", {"size": "huge"}).status_code == 400


def test_filters_are_those_of_the_list_page(world):
    tagged = make_person(world.owner, last_name="Berliner", tags=["VIP"],
                         addresses=[{"street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin"}])
    CustomFieldDefinition.objects.create(object_type="contacts.person", key="newsletter", label="Newsletter",
                                         field_type="boolean")
    flagged = make_person(world.owner, last_name="Leser", custom_fields={"newsletter": "yes"})
    client = ApiClient(world.owner)

    def ids(**params: str) -> list[int]:
        response = client.get("/people", params)
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["items"]]

    assert ids(tag="VIP") == [tagged.pk]
    assert ids(city="berlin") == [tagged.pk]
    assert ids(organisation=str(world.organisation.pk)) == [world.person.pk]
    assert ids(cf_newsletter="ja") == [flagged.pk]
    assert ids(sort="-name") == [world.person.pk, flagged.pk, tagged.pk]
    assert client.get("/people", {"cf_newsletter": "vielleicht"}).status_code == 400


def test_keyset_pages_forward_and_back(world):
    for index in range(5):
        make_person(world.owner, last_name=f"Zeta{index}")
    client = ApiClient(world.owner)
    first = client.get("/people", {"page_size": "2"}).json()
    assert [r["last_name"] for r in first["items"]] == ["Müller", "Zeta0"]
    assert first["previous_cursor"] is None
    second = client.get("/people", {"page_size": "2", "cursor": first["next_cursor"]}).json()
    assert [r["last_name"] for r in second["items"]] == ["Zeta1", "Zeta2"]
    third = client.get("/people", {"page_size": "2", "cursor": second["next_cursor"]}).json()
    assert [r["last_name"] for r in third["items"]] == ["Zeta3", "Zeta4"]
    assert third["next_cursor"] is None
    back = client.get("/people", {"page_size": "2", "cursor": third["previous_cursor"]}).json()
    assert [r["last_name"] for r in back["items"]] == ["Zeta1", "Zeta2"]


def _list_queries(client: ApiClient, path: str) -> tuple[int, int]:
    client.get(path)  # warm up: the token's last-use stamp is written at most once a minute
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries), len(response.json()["items"])


@pytest.mark.parametrize("path", ["/people", "/organisations"])
def test_list_query_count_does_not_grow_with_rows(world, path, django_assert_max_num_queries):
    client = ApiClient(world.manager)
    organisation = make_organisation(world.owner, name="Zweite AG", tags=["B2B"],
                                     emails=[{"email": "info@zweite.de"}], phones=[{"number": "030 555"}])
    make_person(world.owner, last_name="Zwei", tags=["VIP"], emails=[{"email": "z@example.de"}],
                addresses=[{"street": "Weg 1", "postal_code": "10115", "city": "Berlin"}],
                organisation=organisation)
    small, rows_small = _list_queries(client, path)
    for index in range(18):
        owner = world.owner if index % 2 else world.teammate
        org = make_organisation(owner, name=f"Firma {index}", tags=[f"T{index}"],
                                addresses=[{"street": "Weg 1", "postal_code": "10115", "city": "Berlin"}],
                                emails=[{"email": f"info{index}@firma.de"}])
        make_person(owner, last_name=f"Person {index}", tags=[f"T{index}"], organisation=org,
                    emails=[{"email": f"p{index}@example.de"}], phones=[{"number": f"030 {1000 + index}"}],
                    addresses=[{"street": "Weg 2", "postal_code": "10115", "city": "Berlin"}])
    large, rows_large = _list_queries(client, path)
    assert (rows_small, rows_large) == (2, 20)
    assert large == small
    with django_assert_max_num_queries(12):
        client.get(path)


# --- organisations ----------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_get_organisation_matrix(world, who, status):
    response = client_for(world, who).get(f"/organisations/{world.organisation.pk}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["name"] == "Gunther Glas"
        assert response["ETag"] == 'W/"1"'


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=201, other_team=201,
                                                   owner=201, manager=201, admin=201))
def test_create_organisation_matrix(world, who, status):
    client = client_for(world, who)
    before, audit = Organisation.objects.count(), written()
    response = client.post("/organisations", {"name": "Topp Desk", "legal_form": "AG", "vat_id": "DE 136 695 976"})
    assert response.status_code == status
    if status == 201:
        assert response.json()["vat_id"] == "DE136695976"
    else:
        assert (Organisation.objects.count(), written()) == (before, audit)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_patch_organisation_matrix(world, who, status):
    client = client_for(world, who)
    audit = written()
    response = client.patch(f"/organisations/{world.organisation.pk}", {"industry": "Glas"})
    assert response.status_code == status
    world.organisation.refresh_from_db()
    if status == 200:
        assert (world.organisation.industry, response["ETag"]) == ("Glas", 'W/"2"')
    else:
        assert (world.organisation.industry, world.organisation.version, written()) == ("", 1, audit)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_put_organisation_matrix(world, who, status):
    response = client_for(world, who).put(f"/organisations/{world.organisation.pk}", {"name": "Gunther Glas AG"},
                                          headers={"If-Match": 'W/"1"'})
    assert response.status_code == status
    world.organisation.refresh_from_db()
    assert world.organisation.name == ("Gunther Glas AG" if status == 200 else "Gunther Glas")


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=403, manager=204, admin=204))
def test_delete_organisation_matrix(world, who, status):
    client = client_for(world, who)
    response = client.delete(f"/organisations/{world.organisation.pk}")
    assert response.status_code == status
    alive = Organisation.objects.filter(pk=world.organisation.pk).exists()
    assert alive is (status != 204)
    assert Employment.objects.filter(organisation=world.organisation).count() == 1  # links stay


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=404, teammate=404, other_team=404,
                                                   owner=404, manager=200, admin=200))
def test_restore_organisation_matrix(world, who, status):
    ApiClient(world.admin).delete(f"/organisations/{world.organisation.pk}")
    response = client_for(world, who).post(f"/organisations/{world.organisation.pk}/restore")
    assert response.status_code == status
    assert Organisation.objects.filter(pk=world.organisation.pk).exists() is (status == 200)


def test_invalid_vat_id_and_parent_cycle(world):
    client = ApiClient(world.owner)
    response = client.post("/organisations", {"name": "X", "vat_id": "DE123"})
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == [["body", "vat_id"]]
    child = client.post("/organisations", {"name": "Tochter", "parent": world.organisation.pk}).json()
    assert child["parent"] == world.organisation.pk
    response = client.patch(f"/organisations/{world.organisation.pk}", {"parent": child["id"]})
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == [["body", "parent"]]


def test_parent_outside_scope_reads_unknown(world):
    hidden = make_organisation(world.other_team, name="Fremd GmbH")
    response = ApiClient(world.owner).post("/organisations", {"name": "Y", "parent": hidden.pk})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"path": ["body", "parent"], "message": "Unknown organisation."}]


# --- employments ------------------------------------------------------------------


@pytest.fixture
def employment(world) -> Employment:
    return Employment.objects.get(person=world.person, organisation=world.organisation)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=422,
                                                   owner=201, manager=201, admin=201))
def test_create_employment_matrix(world, who, status):
    other = make_organisation(world.owner, name="Zweitjob GmbH")
    client = client_for(world, who)
    response = client.post("/employments", {"person": world.person.pk, "organisation": other.pk, "role": "Berater",
                                            "start_date": "2024-01-01"})
    assert response.status_code == status
    links = Employment.objects.filter(person=world.person, organisation=other)
    assert links.exists() is (status == 201)
    if status == 201:
        assert response.json()["role"] == "Berater"
        assert response.json()["is_current"] is True
    if status == 422:
        assert [e["path"] for e in response.json()["errors"]] == [["body", "person"], ["body", "organisation"]]


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_get_employment_matrix(world, employment, who, status):
    response = client_for(world, who).get(f"/employments/{employment.pk}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["person"] == world.person.pk


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_patch_employment_matrix(world, employment, who, status):
    response = client_for(world, who).patch(f"/employments/{employment.pk}", {"end_date": "2030-12-31"})
    assert response.status_code == status
    employment.refresh_from_db()
    assert (str(employment.end_date) if employment.end_date else None) == ("2030-12-31" if status == 200 else None)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=404,
                                                   owner=204, manager=204, admin=204))
def test_delete_employment_matrix(world, employment, who, status):
    response = client_for(world, who).delete(f"/employments/{employment.pk}")
    assert response.status_code == status
    assert Employment.objects.filter(pk=employment.pk).exists() is (status != 204)


def test_employment_end_before_start_is_422(world, employment):
    response = ApiClient(world.owner).patch(f"/employments/{employment.pk}",
                                            {"start_date": "2024-05-01", "end_date": "2024-01-01"})
    assert response.status_code == 422
    assert [e["path"] for e in response.json()["errors"]] == [["body", "end_date"]]


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=404,
                                                   owner=200, manager=200, admin=200))
def test_link_lists_of_person_and_organisation(world, employment, who, status):
    client = client_for(world, who)
    by_person = client.get(f"/people/{world.person.pk}/employments")
    by_organisation = client.get(f"/organisations/{world.organisation.pk}/employments")
    assert (by_person.status_code, by_organisation.status_code) == (status, status)
    if status == 200:
        assert [e["id"] for e in by_person.json()] == [employment.pk]
        assert [e["id"] for e in by_organisation.json()] == [employment.pk]


def test_organisation_links_leave_out_deleted_and_past(world, employment):
    former = make_person(world.owner, last_name="Ehemalig", organisation=world.organisation)
    Employment.objects.filter(person=former).update(end_date="2001-01-01")
    gone = make_person(world.owner, last_name="Gelöscht", organisation=world.organisation)
    person_delete(actor=world.admin, person=gone)
    client = ApiClient(world.owner)
    current = client.get(f"/organisations/{world.organisation.pk}/employments").json()
    everyone = client.get(f"/organisations/{world.organisation.pk}/employments", {"current": "false"}).json()
    assert [e["person"] for e in current] == [world.person.pk]
    assert sorted(e["person"] for e in everyone) == sorted([world.person.pk, former.pk])


@pytest.mark.parametrize(("who", "visible"), [("read_only", True), ("teammate", True), ("other_team", False),
                                              ("owner", True), ("manager", True), ("admin", True)])
def test_list_organisations_shows_only_visible_records(world, who, visible):
    response = client_for(world, who).get("/organisations")
    assert response.status_code == 200
    assert [o["id"] for o in response.json()["items"]] == ([world.organisation.pk] if visible else [])


def test_contact_points_read_can_be_sent_back(world):
    client = ApiClient(world.owner)
    body = client.get(f"/people/{world.person.pk}").json()
    emails = [*body["emails"], {"email": "privat@example.de", "kind": "home"}]
    response = client.patch(f"/people/{world.person.pk}", {"emails": emails, "phones": body["phones"]})
    assert response.status_code == 200, response.json()
    assert [(e["email"], e["kind"], e["is_primary"]) for e in response.json()["emails"]] == [
        ("j.mueller@gunther-glas.de", "work", True), ("privat@example.de", "home", False)]
    assert [p["number"] for p in response.json()["phones"]] == ["+49301234567"]
    typo = client.patch(f"/people/{world.person.pk}", {"emails": [{"emial": "x@example.de"}]})
    assert typo.status_code == 422
    assert sorted(tuple(map(str, e["path"])) for e in typo.json()["errors"]) == [
        ("body", "emails", "0", "email"), ("body", "emails", "0", "emial")]


# --- customer groups ----------------------------------------------------------------


def test_customer_group_is_set_read_filtered_and_validated(world):
    client = ApiClient(world.owner)
    response = client.post("/people", {"last_name": "Händler", "customer_group": "dealer"})
    assert response.status_code == 201
    dealer = Person.objects.get(pk=response.json()["id"])
    assert (dealer.customer_group.key, response.json()["customer_group"]) == ("dealer", "dealer")
    listed = client.get("/people?customer_group=dealer").json()["items"]
    assert [item["id"] for item in listed] == [dealer.pk]
    before = written()
    response = client.patch(f"/people/{dealer.pk}", {"customer_group": "nope"})
    assert response.status_code == 422
    assert [error["path"] for error in response.json()["errors"]] == [["body", "customer_group"]]
    assert written() == before
    response = client.patch(f"/organisations/{world.organisation.pk}", {"customer_group": "key_account"})
    assert response.status_code == 200
    assert response.json()["customer_group"] == "key_account"
