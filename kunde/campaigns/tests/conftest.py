"""Stand-ins for the audience consent and the mail outbox while those apps are being built.

`consent.allow(person)` grants e-mail consent; `outbox.messages` records what `deliver`
enqueued, keyed (like the real outbox) by dedupe key. Tests that need the real apps use
`real_mail` and skip until they are there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from kunde.campaigns import integration


@dataclass
class FakeConsent:
    allowed: set[int] = field(default_factory=set)
    calls: list[tuple[int, str, str]] = field(default_factory=list)

    def allow(self, *people: Any) -> None:
        self.allowed |= {p.pk for p in people}

    def withdraw(self, person: Any) -> None:
        self.allowed.discard(person.pk)

    def __call__(self, person: Any, *, purpose: str, channel: str = "email", address: str | None = None) -> bool:
        self.calls.append((person.pk, purpose, channel))
        return person.pk in self.allowed


@dataclass
class FakeOutbox:
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __call__(self, **kwargs: Any) -> Any:
        key = kwargs["dedupe_key"]
        if key not in self.messages:
            self.messages[key] = {**kwargs, "pk": len(self.messages) + 1}
        row = self.messages[key]
        return type("Outbound", (), {"pk": row["pk"], "message_id": f"<{row['pk']}@test>"})()

    def to(self, address: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["to"] == address]


@pytest.fixture
def consent(monkeypatch) -> FakeConsent:
    fake = FakeConsent()
    monkeypatch.setattr(integration, "may_contact", fake)
    monkeypatch.setattr(integration, "unsubscribe_headers", lambda person, purpose: {
        "List-Unsubscribe": f"<https://kunde.test/u/{person.pk}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    monkeypatch.setattr(integration, "unsubscribe_url", lambda person, purpose: f"https://kunde.test/u/{person.pk}")
    return fake


@pytest.fixture
def outbox(monkeypatch) -> FakeOutbox:
    fake = FakeOutbox()
    monkeypatch.setattr(integration, "outbox_enqueue", fake)
    return fake
