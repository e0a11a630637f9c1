"""The API machinery: authentication, the error schema, body limits, idempotency keys,
custom field definitions and the search endpoint."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import timezone

from kunde.accounts.models import ApiToken
from kunde.accounts.services import api_token_create, api_token_revoke
from kunde.contacts.models import Person
from kunde.core.api import idempotency
from kunde.core.models import AuditEntry, CustomFieldDefinition, IdempotencyRecord
from kunde.core.tasks import purge_idempotency_records
from kunde.core.testing.api import API, ApiClient, client_for

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]


def expect(**codes: int) -> list[tuple[str, int]]:
    return [(who, codes[who]) for who in WHO]


# --- authentication ---------------------------------------------------------------


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_token_authenticates_and_records_use(world):
    token, secret = api_token_create(user=world.owner, name="ERP")
    response = Client().get(f"{API}/people", headers=_bearer(secret))
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", [
    "Bearer kunde_not-a-real-token",
    "Bearer ",
    "Token kunde_whatever",
    "Basic dXNlcjpwYXNz",
])
def test_bad_credentials_are_401(world, header):
    response = Client().get(f"{API}/people", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")


def test_expired_and_revoked_tokens_are_401(world):
    _expired, expired_secret = api_token_create(user=world.owner, name="old",
                                                expires_at=timezone.now() - dt.timedelta(minutes=1))
    revoked, revoked_secret = api_token_create(user=world.owner, name="revoked")
    api_token_revoke(user=world.owner, token=revoked)
    assert Client().get(f"{API}/people", headers=_bearer(expired_secret)).status_code == 401
    assert Client().get(f"{API}/people", headers=_bearer(revoked_secret)).status_code == 401


def test_token_of_deactivated_user_is_401(world):
    _token, secret = api_token_create(user=world.owner, name="ERP")
    world.owner.is_active = False
    world.owner.save()
    assert Client().get(f"{API}/people", headers=_bearer(secret)).status_code == 401


def test_read_token_reads_but_never_writes(world):
    client = ApiClient(world.owner, scope=ApiToken.TokenScope.READ)
    assert client.get("/people").status_code == 200
    count = Person.objects.count()
    response = client.post("/people", {"last_name": "Neu"})
    assert response.status_code == 403
    assert response.json() == {"detail": "This API token may only read; create a token with write scope.",
                               "errors": []}
    assert Person.objects.count() == count


def _session_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_session_reads_and_writes_with_csrf(world):
    client = _session_client(world.owner)
    assert client.get(f"{API}/people/{world.person.pk}").status_code == 200
    count = Person.objects.count()
    body = json.dumps({"last_name": "Neu"})
    refused = client.post(f"{API}/people", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert Person.objects.count() == count
    docs = client.get(f"{API}/docs")  # the interactive docs hand the CSRF token to Swagger UI
    token = client.cookies["csrftoken"].value
    assert f'data-csrf-token="{token}"'.encode() not in docs.content  # masked per page, not the raw cookie
    assert b'data-api-csrf="true"' in docs.content
    created = client.post(f"{API}/people", body, content_type="application/json", headers={"X-CSRFToken": token})
    assert created.status_code == 201
    assert Person.objects.count() == count + 1


def test_wrong_token_is_not_rescued_by_the_session(world):
    client = _session_client(world.owner)
    response = client.get(f"{API}/people", headers={"Authorization": "Bearer kunde_wrong"})
    assert response.status_code == 401


# --- error schema and limits ------------------------------------------------------


def test_unknown_record_and_bad_id_are_404(world):
    client = ApiClient(world.admin)
    assert client.get("/people/999999").json() == {"detail": "Not found.", "errors": []}
    assert client.get("/people/999999").status_code == 404


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_unknown_api_paths_are_404_in_the_error_schema(world, method):
    response = getattr(ApiClient(world.owner), method)("/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": []}
    assert ApiClient().get("/people/").status_code == 404


def test_oversized_body_is_413_and_creates_nothing(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    client = ApiClient(world.owner)
    count, audit = Person.objects.count(), AuditEntry.objects.count()
    response = client.post("/people", {"last_name": "Neu", "notes": "x" * 5000})
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large.", "errors": []}
    assert (Person.objects.count(), AuditEntry.objects.count()) == (count, audit)
    assert client.post("/people", {"last_name": "Neu", "notes": "x" * 100}).status_code == 201


def test_chunked_body_without_length_is_411(world):
    """Django reads Content-Length bytes only: a chunked body must not pass as an empty one."""
    response = Client().generic("PATCH", f"{API}/people/{world.person.pk}", b"", content_type="application/json",
                                headers={"Authorization": ApiClient(world.owner).headers["Authorization"],
                                         "Transfer-Encoding": "chunked"})
    assert response.status_code == 411
    world.person.refresh_from_db()
    assert world.person.version == 1


def test_oversized_patch_is_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    response = ApiClient(world.owner).patch(f"/people/{world.person.pk}", {"notes": "x" * 5000})
    assert response.status_code == 413
    world.person.refresh_from_db()
    assert world.person.notes == ""


def test_unexpected_errors_answer_500_in_the_error_schema(world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("kunde.contacts.api.person_page", broken)
    response = ApiClient(world.owner).get("/people")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error.", "errors": []}


# --- idempotency keys -------------------------------------------------------------


def _create(client: ApiClient, body: dict, key: str = "order-4711"):
    return client.post("/people", body, headers={"Idempotency-Key": key})


def test_same_key_and_body_replays_the_first_answer(world):
    client = ApiClient(world.owner)
    first = _create(client, {"last_name": "Neu", "first_name": "Nina"})
    count = Person.objects.count()
    again = _create(client, {"first_name": "Nina", "last_name": "Neu"})  # same JSON, other key order
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Person.objects.count() == count
    assert IdempotencyRecord.objects.filter(user=world.owner, key="order-4711").count() == 1


def test_same_key_other_body_is_422(world):
    client = ApiClient(world.owner)
    _create(client, {"last_name": "Neu"})
    count = Person.objects.count()
    response = _create(client, {"last_name": "Anders"})
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert response.json()["errors"] == [{"path": ["header", "Idempotency-Key"],
                                          "message": "Already used with another body."}]
    assert Person.objects.count() == count


def test_same_key_on_another_endpoint_is_422(world):
    client = ApiClient(world.owner)
    assert client.post("/organisations", {"name": "Neu AG"}, headers={"Idempotency-Key": "k1"}).status_code == 201
    assert _create(client, {"name": "Neu AG"}, key="k1").status_code == 422


def test_keys_belong_to_their_user(world):
    first = _create(ApiClient(world.owner), {"last_name": "Neu"})
    second = _create(ApiClient(world.teammate), {"last_name": "Neu"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


def test_failed_request_is_not_stored_and_can_be_retried(world):
    client = ApiClient(world.owner)
    failed = _create(client, {"last_name": "Neu", "emails": [{"email": "kaputt"}]})
    assert failed.status_code == 422
    assert not IdempotencyRecord.objects.exists()
    fixed = _create(client, {"last_name": "Neu", "emails": [{"email": "neu@example.de"}]})
    assert fixed.status_code == 201


def test_records_expire_after_24_hours(world):
    client = ApiClient(world.owner)
    first = _create(client, {"last_name": "Neu"})
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    second = _create(client, {"last_name": "Neu"})
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert IdempotencyRecord.objects.count() == 1
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert purge_idempotency_records() == {"deleted": 1}
    assert not IdempotencyRecord.objects.exists()


def test_concurrent_duplicate_is_rolled_back_and_replays_the_winner(world, monkeypatch):
    """The loser of a race on one key creates nothing and answers as the winner did."""
    client = ApiClient(world.owner)
    winner = _create(client, {"last_name": "Neu"})
    count = Person.objects.count()
    real_stored = idempotency._stored
    calls = []

    def not_yet_visible(user, key):
        calls.append(key)
        return None if len(calls) == 1 else real_stored(user, key)

    monkeypatch.setattr(idempotency, "_stored", not_yet_visible)
    loser = _create(client, {"last_name": "Neu"})
    assert loser.status_code == 201
    assert loser.json() == winner.json()
    assert loser["Idempotent-Replayed"] == "true"
    assert Person.objects.count() == count


def test_invalid_key_is_400(world):
    response = _create(ApiClient(world.owner), {"last_name": "Neu"}, key="x" * 201)
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == ["header", "Idempotency-Key"]


def test_without_key_each_post_creates(world):
    client = ApiClient(world.owner)
    count = Person.objects.count()
    client.post("/people", {"last_name": "Neu"})
    client.post("/people", {"last_name": "Neu"})
    assert Person.objects.count() == count + 2
    assert not IdempotencyRecord.objects.exists()


# --- custom field definitions -----------------------------------------------------


@pytest.fixture
def definition(world) -> CustomFieldDefinition:
    return CustomFieldDefinition.objects.create(object_type="contacts.person", key="segment", label="Segment",
                                                field_type="choice", choices=["A", "B"])


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=200,
                                                   owner=200, manager=200, admin=200))
def test_list_custom_fields_matrix(world, definition, who, status):
    response = client_for(world, who).get("/custom-fields")
    assert response.status_code == status
    if status == 200:
        assert [(d["key"], d["choices"]) for d in response.json()] == [("segment", ["A", "B"])]


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=200,
                                                   owner=200, manager=200, admin=200))
def test_get_custom_field_matrix(world, definition, who, status):
    response = client_for(world, who).get(f"/custom-fields/{definition.pk}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["field_type"] == "choice"


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=403,
                                                   owner=403, manager=403, admin=201))
def test_create_custom_field_matrix(world, who, status):
    response = client_for(world, who).post("/custom-fields", {
        "object_type": "contacts.organisation", "key": "rating", "label": "Rating", "field_type": "number"})
    assert response.status_code == status
    assert CustomFieldDefinition.objects.filter(key="rating").exists() is (status == 201)


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=403,
                                                   owner=403, manager=403, admin=200))
def test_update_custom_field_matrix(world, definition, who, status):
    response = client_for(world, who).patch(f"/custom-fields/{definition.pk}", {"label": "Kundensegment"})
    assert response.status_code == status
    definition.refresh_from_db()
    assert definition.label == ("Kundensegment" if status == 200 else "Segment")


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=403, teammate=403, other_team=403,
                                                   owner=403, manager=403, admin=204))
def test_delete_custom_field_matrix(world, definition, who, status):
    response = client_for(world, who).delete(f"/custom-fields/{definition.pk}")
    assert response.status_code == status
    assert CustomFieldDefinition.objects.filter(pk=definition.pk).exists() is (status != 204)


def test_custom_field_definition_validation(world, definition):
    client = ApiClient(world.admin)

    def errors(response) -> dict:
        assert response.status_code == 422
        return {tuple(e["path"]): e["message"] for e in response.json()["errors"]}

    duplicate = client.post("/custom-fields", {"object_type": "contacts.person", "key": "segment", "label": "S",
                                               "field_type": "text"})
    assert errors(duplicate) == {("body",): "Custom field definition with this Object type and Key already exists."}
    no_choices = client.post("/custom-fields", {"object_type": "contacts.person", "key": "tier", "label": "Tier",
                                                "field_type": "choice"})
    assert list(errors(no_choices)) == [("body", "choices")]
    bad_type = client.post("/custom-fields", {"object_type": "accounts.user", "key": "x", "label": "X",
                                              "field_type": "text"})
    assert list(errors(bad_type)) == [("body", "object_type")]
    fixed_key = client.patch(f"/custom-fields/{definition.pk}", {"key": "other"})
    assert list(errors(fixed_key)) == [("body", "key")]
    definition.refresh_from_db()
    assert definition.key == "segment"
    assert CustomFieldDefinition.objects.count() == 1


def test_defined_custom_field_is_usable_at_once(world):
    admin = ApiClient(world.admin)
    created = admin.post("/custom-fields", {"object_type": "contacts.person", "key": "tier", "label": "Tier",
                                            "field_type": "choice", "choices": ["gold", "silver"]})
    assert created.status_code == 201
    client = ApiClient(world.owner)
    assert client.patch(f"/people/{world.person.pk}", {"custom_fields": {"tier": "gold"}}).status_code == 200
    assert [p["id"] for p in client.get("/people", {"cf_tier": "gold"}).json()["items"]] == [world.person.pk]
    assert client.patch(f"/people/{world.person.pk}", {"custom_fields": {"tier": "bronze"}}).status_code == 422


# --- search -----------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """What `core.search.search` returns per hit (its interface, not its implementation)."""

    type: str
    id: int
    title: str
    subtitle: str
    url: str


@pytest.mark.parametrize(("who", "status"), expect(anonymous=401, read_only=200, teammate=200, other_team=200,
                                                   owner=200, manager=200, admin=200))
def test_search_matrix_and_shape(world, who, status, monkeypatch):
    asked = []

    def fake_search(user, query, *, limit=20):
        asked.append((user, query, limit))
        return [Hit(type="contacts.person", id=world.person.pk, title="Jürgen Müller",
                          subtitle="Gunther Glas", url=f"/people/{world.person.pk}/")]

    monkeypatch.setattr("kunde.core.search.search", fake_search)
    response = client_for(world, who).get("/search", {"q": "müll", "limit": "5"})
    assert response.status_code == status
    if status == 200:
        assert response.json() == {"items": [{"type": "contacts.person", "id": world.person.pk,
                                              "title": "Jürgen Müller", "subtitle": "Gunther Glas",
                                              "url": f"/people/{world.person.pk}/"}]}
        assert asked == [(getattr(world, who), "müll", 5)]
    else:
        assert asked == []


def test_search_needs_a_query_and_bounds_the_limit(world):
    client = ApiClient(world.owner, scope=ApiToken.TokenScope.READ)
    missing = client.get("/search")
    assert missing.status_code == 422
    assert [e["path"] for e in missing.json()["errors"]] == [["query", "q"]]
    assert client.get("/search", {"q": "x", "limit": "500"}).status_code == 422
    real = client.get("/search", {"q": "Müller"})
    assert real.status_code == 200
    assert isinstance(real.json()["items"], list)
