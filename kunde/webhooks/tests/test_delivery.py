"""Events reach subscribed URLs after commit, signed, retried with backoff, recorded and replayable."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from kunde.contacts.services import person_create
from kunde.core.testing.api import client_for
from kunde.webhooks.delivery import MAX_ATTEMPTS
from kunde.webhooks.models import WebhookDelivery
from kunde.webhooks.services import deliver_due, delivery_replay, subscription_create

pytestmark = pytest.mark.django_db


def subscribe(world, receiver, events=("contacts.person_created",)):
    return subscription_create(actor=world.admin, name="ERP", url=receiver.url, event_types=list(events))


def create_person(world, django_capture_on_commit_callbacks, **fields):
    with django_capture_on_commit_callbacks(execute=True):
        return person_create(actor=world.owner, last_name="Glas", first_name="Gunther", **fields)


def test_event_is_delivered_signed_after_commit_with_ids_only(world, receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(world, receiver)
    person = create_person(world, django_capture_on_commit_callbacks, emails=[{"email": "gg@glas.example"}])
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hooks/kunde?source=test"
    document = json.loads(request.body)
    assert document["type"] == "contacts.person_created"
    assert document["data"] == {"id": person.pk}
    assert b"Glas" not in request.body and b"gg@glas.example" not in request.body
    signed = request.headers["X-Kunde-Timestamp"].encode() + b"." + request.body
    expected = hmac.new(subscription.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert request.headers["X-Kunde-Signature"] == f"sha256={expected}"
    assert request.headers["X-Kunde-Event"] == "contacts.person_created"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert request.headers["X-Kunde-Delivery"] == str(delivery.event_id) == document["id"]


def test_rolled_back_change_sends_nothing(world, receiver, django_capture_on_commit_callbacks):
    subscribe(world, receiver)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        person_create(actor=world.owner, last_name="Nie")
        raise RuntimeError("rolled back")
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_only_subscribed_events_and_active_subscriptions(world, receiver, django_capture_on_commit_callbacks):
    subscribe(world, receiver, events=["sales.deal_won"])
    create_person(world, django_capture_on_commit_callbacks)
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_failure_is_retried_with_backoff_until_it_succeeds(world, receiver, django_capture_on_commit_callbacks):
    subscribe(world, receiver)
    receiver.status = 503
    with time_machine.travel("2026-11-23 10:00Z", tick=False):
        create_person(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
    assert delivery.next_attempt_at == dt.datetime(2026, 11, 23, 10, 0, 30, tzinfo=dt.UTC)
    with time_machine.travel("2026-11-23 10:00:20Z", tick=False):
        assert deliver_due() == 0  # not due yet
    receiver.status = 200
    with time_machine.travel("2026-11-23 10:00:31Z", tick=False):
        assert deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body  # the same event, not a new one


def test_gives_up_after_the_last_attempt(world, receiver, django_capture_on_commit_callbacks):
    subscribe(world, receiver)
    receiver.status = 500
    create_person(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    for _attempt in range(MAX_ATTEMPTS - 1):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        deliver_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert deliver_due() == 0


def test_redirects_are_not_followed(world, receiver, second_receiver, django_capture_on_commit_callbacks):
    subscribe(world, receiver)
    receiver.status, receiver.location = 302, second_receiver.url
    create_person(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert second_receiver.requests == []
    assert (delivery.status, delivery.last_status_code, delivery.last_error) == (
        "pending", 302, "redirects are not followed")


def test_url_that_turned_internal_is_refused_at_send_time(world, receiver, settings,
                                                         django_capture_on_commit_callbacks):
    subscribe(world, receiver)
    settings.KUNDE_WEBHOOK_ALLOWED_NETWORKS = []
    create_person(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == "pending" and "internal address" in delivery.last_error


def test_replay_sends_the_same_event_again(world, receiver, django_capture_on_commit_callbacks):
    subscribe(world, receiver)
    create_person(world, django_capture_on_commit_callbacks)
    first = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        replay = delivery_replay(actor=world.admin, delivery=first)
    replay.refresh_from_db()
    assert (replay.status, replay.replay_of, replay.event_id) == ("succeeded", first, first.event_id)
    assert len(receiver.requests) == 2


def test_internal_url_is_refused_when_subscribing(world):
    response = client_for(world, "admin").post("/webhooks", {"name": "x", "url": "http://2130706433/",
                                                             "event_types": ["*"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == ["body", "url"]
    assert "internal address" in response.json()["errors"][0]["message"]


WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]
ONLY_ADMIN = {"anonymous": 401, **dict.fromkeys(WHO[1:-1], 403)}


@pytest.mark.parametrize("who", WHO)
def test_webhook_api_matrix(world, receiver, who):
    client = client_for(world, who)
    subscription = subscribe(world, receiver)
    calls = [
        ("get", "/webhooks", None, 200),
        ("post", "/webhooks", {"name": "Shop", "url": receiver.url, "event_types": ["*"]}, 201),
        ("get", f"/webhooks/{subscription.pk}", None, 200),
        ("patch", f"/webhooks/{subscription.pk}", {"is_active": False}, 200),
        ("get", f"/webhooks/{subscription.pk}/deliveries", None, 200),
        ("delete", f"/webhooks/{subscription.pk}", None, 204),
    ]
    for method, path, body, success in calls:
        response = getattr(client, method)(path, body) if body is not None else getattr(client, method)(path)
        assert response.status_code == ONLY_ADMIN.get(who, success), (method, path)


@pytest.mark.parametrize("who", WHO)
def test_webhook_pages_matrix(world, receiver, who, client):
    subscription = subscribe(world, receiver)
    if who != "anonymous":
        client.force_login(getattr(world, who))
    for url in ("/admin-area/webhooks/", f"/admin-area/webhooks/{subscription.pk}/"):
        response = client.get(url)
        expected = {"anonymous": 302, "admin": 200}.get(who, 403)
        assert response.status_code == expected, url
    if who == "admin":
        assert subscription.secret in client.get(f"/admin-area/webhooks/{subscription.pk}/").content.decode()
