"""The HandelBlitz story with real purchases: Anna's necklace in her e-mail, her next order attributed.

Skipped until the commerce app provides `order_create` (and the mail app its SMTP fixture).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

pytest.importorskip("kunde.mail.testing")
commerce_services = pytest.importorskip("kunde.commerce.services")
if not hasattr(commerce_services, "order_create"):
    pytest.skip("commerce has no orders yet", allow_module_level=True)

import time_machine  # noqa: E402

from kunde.activities.models import Activity  # noqa: E402
from kunde.activities.services import contact_log  # noqa: E402
from kunde.campaigns import dispatch  # noqa: E402
from kunde.campaigns.models import Conversion  # noqa: E402
from kunde.campaigns.services import campaign_create, template_create  # noqa: E402
from kunde.commerce.models import Product, ProductCategory  # noqa: E402
from kunde.core.testing.factories import make_person  # noqa: E402
from kunde.mail.services import outbox_send_due  # noqa: E402

pytestmark = pytest.mark.django_db

TEXT = (
    "{{ person.greeting }},\n"
    "{% if last_purchase %}Ihre {{ last_purchase.product }} ({{ last_purchase.category }})"
    " ist ein Klassiker.{% endif %}\n"
    "{% if last_interest %}Sie fragten nach {{ last_interest.topic_name }}.{% endif %}\n"
)


def test_anna_necklace_ring_question_and_attributed_order(world, consent, smtp_server,
                                                          django_capture_on_commit_callbacks):
    necklaces = ProductCategory.objects.create(key="necklaces", name_en="Necklaces", name_de="Ketten")
    rings = ProductCategory.objects.create(key="rings", name_en="Rings", name_de="Ringe")
    luna = Product.objects.create(sku="K-LUNA", name="Kette Luna", net_price=Decimal("89.00"), category=necklaces)
    ring = Product.objects.create(sku="R-SOL", name="Ring Sol", net_price=Decimal("129.00"), category=rings)
    anna = make_person(world.owner, first_name="Anna", last_name="Berg", salutation="ms",
                       emails=[{"email": "anna@example.org"}])
    consent.allow(anna)
    now = dt.datetime.now(dt.UTC)
    commerce_services.order_create(actor=world.owner, person=anna, lines=[{"product": luna, "quantity": 1}],
                                   ordered_on=(now - dt.timedelta(days=180)).date())
    contact_log(actor=world.owner, channel="chat", subject="Material des Rings?", person=anna, topic="rings")
    template = template_create(actor=world.owner, name="Kollektion", subject_de="{{ person.first_name }}, neu!",
                               text_de=TEXT)
    campaign = campaign_create(actor=world.owner, name="Kollektion", template=template,
                               segment_definition={"person_ids": [anna.pk]})
    dispatch.campaign_start(actor=world.owner, campaign=campaign)
    dispatch.campaign_send_all(campaign.pk)
    outbox_send_due(limit=10)
    smtp_server.wait_for(1)
    [message] = smtp_server.messages
    body = message.get_body(("plain",)).get_content()
    assert "Sehr geehrte Frau Berg" in body
    assert "Ihre Kette Luna (Ketten) ist ein Klassiker." in body
    assert "Sie fragten nach Ringe." in body
    assert message["List-Unsubscribe"]
    assert Activity.objects.filter(person=anna, kind="campaigns.email_sent").count() == 1
    with time_machine.travel(now + dt.timedelta(days=10)), django_capture_on_commit_callbacks(execute=True):
        order = commerce_services.order_create(actor=world.owner, person=anna, lines=[{"product": ring}])
    conversion = Conversion.objects.get()
    assert conversion.campaign == campaign and conversion.order_id == order.pk
    assert dispatch.campaign_results(campaign)["revenue"] == Decimal("129.00")


def test_offer_rule_skips_who_bought_the_category_meanwhile(world, consent, outbox):
    from kunde.campaigns import rules
    from kunde.campaigns.demo import handelblitz_offer_rule
    from kunde.campaigns.models import RuleRun

    rings = ProductCategory.objects.create(key="rings", name_en="Rings", name_de="Ringe")
    ring = Product.objects.create(sku="R-SOL", name="Ring Sol", net_price=Decimal("129.00"), category=rings)
    offer = template_create(actor=world.owner, name="Ringe", subject_de="Ringe", text_de="{{ person.greeting }}")
    handelblitz_offer_rule(templates_by_topic={"rings": offer.pk})
    buyer, waiter = (make_person(world.owner, last_name=name, emails=[{"email": f"{name}@example.org"}])
                     for name in ("kauft", "wartet"))
    consent.allow(buyer, waiter)
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for person in (buyer, waiter):
            entry = contact_log(actor=world.owner, channel="chat", subject="Ringe?", person=person, topic="rings")
            rules.handle_event("activities.activity_recorded", {"id": entry.pk})
    with time_machine.travel(start + dt.timedelta(days=3), tick=False):
        commerce_services.order_create(actor=world.owner, person=buyer, lines=[{"product": ring}])
    with time_machine.travel(start + dt.timedelta(days=7, minutes=5), tick=False):
        assert rules.run_due_rule_runs() == 2
    status = dict(RuleRun.objects.values_list("person__last_name", "status"))
    assert status == {"kauft": "skipped", "wartet": "done"}
    assert [m["to"] for m in outbox.messages.values()] == ["wartet@example.org"]
