"""No code path of this app sends marketing mail without consent: the outbox is called in
exactly one place, `sending.deliver` (which checks `may_contact` first), and the test-send
to the user's own address; and `deliver` refuses without consent."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kunde.campaigns import sending
from kunde.campaigns.services import template_create

APP = Path(__file__).resolve().parents[1]


def calls_to(name: str) -> list[tuple[str, str]]:
    found = []
    for path in APP.rglob("*.py"):
        if "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call):
                        func = inner.func
                        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                        if called == name:
                            found.append((path.name, node.name))
    return found


def test_the_outbox_is_called_only_by_deliver_and_the_self_test():
    assert sorted(set(calls_to("outbox_enqueue"))) == [("sending.py", "deliver"), ("sending.py", "send_test")]
    # The mail app's outbox is imported in the adapter only.
    importing = {p.name for p in APP.rglob("*.py") if "tests" not in p.parts and "mail.services" in p.read_text()}
    assert importing == {"integration.py"}
    source = (APP / "sending.py").read_text()
    deliver_src = source[source.index("def deliver("):source.index("def send_test(")]
    assert deliver_src.index("may_contact(") < deliver_src.index("outbox_enqueue(")
    # The self-test goes to the user's own address, never to the person.
    send_test_src = source[source.index("def send_test("):]
    assert "to=address" in send_test_src and 'address = getattr(actor, "email", "")' in send_test_src


def test_other_modules_send_only_through_deliver():
    senders = {f"{module}:{func}" for module, func in calls_to("deliver")}
    assert senders == {"dispatch.py:_send_one", "rules.py:_execute"}


@pytest.mark.django_db
def test_deliver_refuses_without_consent(world, consent, outbox):
    template = template_create(actor=world.owner, name="T", subject_de="Hallo", text_de="x")
    result = sending.deliver(person=world.person, template=template, dedupe_key="k")
    assert not result.sent and "consent" in result.reason
    assert outbox.messages == {}
    consent.allow(world.person)
    assert sending.deliver(person=world.person, template=template, dedupe_key="k").sent


@pytest.mark.django_db
def test_without_the_audience_app_nobody_may_be_contacted(world):
    from kunde.campaigns import integration

    try:
        import kunde.audience.consent  # noqa: F401
    except ImportError:
        assert integration.may_contact(world.person, purpose="offers") is False
