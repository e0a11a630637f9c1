"""The binding cause partners know of: customers serviced by a partner are bound technically.

A customer whose installation or service is done by a partner of ours is tied to the
setup that partner keeps running (the installed product, the service contract behind
it): switching supplier means replacing that arrangement too. That is a
technical-functional bond (Bindungsursache "technisch-funktional"), not a
psychological one, so only partners whose role is installation or service count;
a reseller or consultant shares customers for selling, which binds nobody technically.
Only live shares of the customer themself to an active partner count: a share of a deal
is about selling, and a revoked share or inactive partner no longer services anyone.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kunde.partners.models import SERVICING_ROLES, Share
from kunde.retention.causes import BindingCause, CauseSource, register_cause_source

KEY = "partners.serviced_by_partner"


def _servicing_shares() -> QuerySet[Share]:
    return Share.objects.filter(revoked_at__isnull=True, partner__is_active=True,
                                partner__role__in=list(SERVICING_ROLES))


def serviced_people() -> QuerySet[Any]:
    return _servicing_shares().filter(person__isnull=False).values("person_id")


def serviced_organisations() -> QuerySet[Any]:
    return _servicing_shares().filter(organisation__isnull=False).values("organisation_id")


def register() -> None:
    register_cause_source(CauseSource(
        key=KEY, cause=BindingCause.TECHNICAL, label=_("Installed or serviced by a partner"),
        people=serviced_people, organisations=serviced_organisations))
