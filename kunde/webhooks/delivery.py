"""Sending one delivery: sign, POST to the pinned address, record the outcome, schedule a retry.

The signature lets a receiver check origin and freshness: `X-Kunde-Signature: sha256=<hex>`
is HMAC-SHA256 with the subscription's secret over `<X-Kunde-Timestamp>.<body>`. A receiver
recomputes it and rejects timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from typing import Any

import urllib3
from django.utils import timezone

from kunde.webhooks.guard import UnsafeURL, check_url
from kunde.webhooks.models import WebhookDelivery

TIMEOUT = urllib3.Timeout(connect=5, read=10)
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(seconds=30)  # then 1, 2, 4 … minutes: 30 s · 2^(attempt-1)
USER_AGENT = "Kunde-Webhooks/1"


def body_of(delivery: WebhookDelivery) -> bytes:
    document = {"id": str(delivery.event_id), "type": delivery.event_type,
                "created_at": delivery.created_at.isoformat(), "data": delivery.payload}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def retry_delay(attempts: int) -> dt.timedelta:
    return FIRST_RETRY * (2 ** max(attempts - 1, 0))


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    target = check_url(url)
    pool: Any
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(target.address, target.port, timeout=TIMEOUT, retries=False,
                                           server_hostname=target.host, assert_hostname=target.host)
    else:
        pool = urllib3.HTTPConnectionPool(target.address, target.port, timeout=TIMEOUT, retries=False)
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    with pool:
        response = pool.urlopen("POST", target.path, body=body, headers={**headers, "Host": host_header},
                                redirect=False, retries=False, preload_content=False)
        response.drain_conn()
        return int(response.status)


def attempt(delivery: WebhookDelivery) -> WebhookDelivery:
    """Try to send `delivery` once and record the result on it (saved)."""
    body = body_of(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "X-Kunde-Event": delivery.event_type, "X-Kunde-Delivery": str(delivery.event_id),
        "X-Kunde-Timestamp": timestamp,
        "X-Kunde-Signature": signature(delivery.subscription.secret, timestamp, body),
    }
    delivery.attempts += 1
    status: int | None = None
    error = ""
    try:
        status = _post(delivery.subscription.url, body, headers)
        if not 200 <= status < 300:
            error = "redirects are not followed" if 300 <= status < 400 else f"answered {status}"
    except UnsafeURL as refused:
        error = str(refused)
    except urllib3.exceptions.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"
    delivery.last_status_code = status
    delivery.last_error = error[:500]
    if not error:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.delivered_at = timezone.now()
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at",
                                 "next_attempt_at"])
    return delivery
