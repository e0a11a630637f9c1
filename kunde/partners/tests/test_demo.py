"""The demo partner of the Topp Desk story: loads once, the same every time."""

from __future__ import annotations

import pytest

from kunde.core.testing.factories import make_organisation
from kunde.partners.demo import load_demo_partners
from kunde.partners.models import HandoverStatus, LeadHandover, PartnerUser, Share
from kunde.sales.defaults import ensure_sales_defaults

pytestmark = pytest.mark.django_db


def test_demo_partner_is_idempotent(world):
    ensure_sales_defaults()
    for index in range(4):
        make_organisation(world.owner, name=f"Kunde {index} GmbH")
    partner = load_demo_partners(actor=None)
    counts = (Share.objects.count(), LeadHandover.objects.count(), PartnerUser.objects.count())
    assert load_demo_partners(actor=None) == partner
    assert (Share.objects.count(), LeadHandover.objects.count(), PartnerUser.objects.count()) == counts
    assert partner.role == "installation" and str(partner) == "Montageservice Becker GmbH"
    assert Share.objects.filter(partner=partner, organisation__isnull=False).count() == 3
    statuses = sorted(LeadHandover.objects.values_list("status", flat=True))
    assert statuses == [HandoverStatus.ACCEPTED, HandoverStatus.DECLINED]
    assert Share.objects.filter(partner=partner, lead__isnull=False).count() == 1  # the accepted lead
