"""Analytics pages: who may open what, what they show, exports, settings, the 360° card."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse

from kunde.analytics import refresh
from kunde.analytics.models import AnalyticsSettings, CustomerScore, RelationshipCost
from kunde.analytics.tests.test_refresh import TODAY, buy
from kunde.core.models import AuditEntry
from kunde.core.testing.api import client_for
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "read_only", "teammate", "other_team", "owner", "manager", "admin"]


def client_as(world, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    return client


@pytest.fixture
def scored(world):
    anna = make_person(world.owner, first_name="Anna", last_name="Privat")
    buy(world.owner, anna, dt.date(2026, 11, 3), "120.00")
    buy(world.owner, anna, dt.date(2025, 11, 3), "60.00")
    stranger = make_person(world.other_team, last_name="Fremd")
    buy(world.other_team, stranger, dt.date(2026, 11, 10), "8000.00")
    refresh.run(today=TODAY)
    return anna


@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(world, scored, who):
    client = client_as(world, who)
    pages = ["analytics:dashboard", "analytics:at_risk", "analytics:models"]
    for name in pages:
        response = client.get(reverse(name))
        assert response.status_code == (302 if who == "anonymous" else 200), name
    export = client.get(reverse("analytics:export", args=["kpis", "csv"]))
    assert export.status_code == (302 if who == "anonymous" else 200)
    admin_only = client.get(reverse("analytics:settings"))
    assert admin_only.status_code == {"anonymous": 302, "admin": 200}.get(who, 403)
    refreshed = client.post(reverse("analytics:refresh"))
    assert refreshed.status_code == {"anonymous": 302, "admin": 302}.get(who, 403)
    person_page = client.get(scored.get_absolute_url())
    sees_person = who in {"read_only", "teammate", "owner", "manager", "admin"}
    if sees_person:
        assert 'id="customer-scores"' in person_page.content.decode()
    else:
        assert person_page.status_code in {302, 404}


def test_the_dashboard_shows_only_the_figures_of_visible_customers(world, scored):
    mine = client_as(world, "owner").get(reverse("analytics:dashboard"), {"kind": "month", "period": "2026-11"})
    admin = client_as(world, "admin").get(reverse("analytics:dashboard"), {"kind": "month", "period": "2026-11"})

    def revenue(response):
        return response.context["dash"]["kpis"][[k["key"] for k in response.context["dash"]["kpis"]].index(
            "revenue")]["value"]

    assert revenue(mine) == pytest.approx(120.0)
    assert revenue(admin) == pytest.approx(8120.0)
    body = mine.content.decode()
    assert 'data-kpi="churn_rate"' in body and "<svg" in body
    assert "Customers with at least one purchase up to the end of the period." in body  # the definition


def test_chart_export_is_the_charts_data_and_is_audited(world, scored):
    response = client_as(world, "owner").get(reverse("analytics:export", args=["kpis", "csv"]),
                                             {"kind": "month", "period": "2026-11"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    revenue = next(row for row in rows if row[0] == "Revenue")
    assert float(revenue[2]) == pytest.approx(120.0)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, object_type="analytics.dashboard").exists()
    xlsx = client_as(world, "owner").get(reverse("analytics:export", args=["cohorts", "xlsx"]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client_as(world, "owner").get(reverse("analytics:export", args=["secrets", "csv"])).status_code == 404


def test_at_risk_lists_the_owners_slipping_customers_with_reasons(world, scored):
    CustomerScore.objects.filter(person=scored).update(churn_risk=0.8, churn_factors=[["days_since_last_order",
                                                                                      1.2]])
    body = client_as(world, "owner").get(reverse("analytics:at_risk")).content.decode()
    assert "Anna Privat" in body or "Privat" in body
    assert "Long time since the last order" in body
    other = client_as(world, "other_team").get(reverse("analytics:at_risk"), {"scope": "all"}).content.decode()
    assert "Privat" not in other


def test_settings_reject_bad_input_and_keep_the_old_values(world):
    client = client_as(world, "admin")
    current = AnalyticsSettings.load()
    response = client.post(reverse("analytics:settings"), {
        "form": "settings", "version": current.version, "inactivity_days": "3", "hourly_rate": "abc",
        "prediction_days": "90", "clv_horizon_months": "12", "annual_discount_rate": "10"})
    assert response.status_code == 200
    assert "Enter a number." in response.content.decode()
    assert AnalyticsSettings.load().inactivity_days == 365
    saved = client.post(reverse("analytics:settings"), {
        "form": "settings", "version": current.version, "inactivity_days": "180", "hourly_rate": "75",
        "prediction_days": "60", "clv_horizon_months": "24", "annual_discount_rate": "8"})
    assert saved.status_code == 302
    assert AnalyticsSettings.load().inactivity_days == 180
    stale = client.post(reverse("analytics:settings"), {
        "form": "settings", "version": current.version, "inactivity_days": "200", "hourly_rate": "75",
        "prediction_days": "60", "clv_horizon_months": "24", "annual_discount_rate": "8"})
    assert "Someone else changed the settings" in stale.content.decode()
    assert AnalyticsSettings.load().inactivity_days == 180


def test_costs_count_in_return_on_relationship(world, scored):
    client = client_as(world, "admin")
    bad = client.post(reverse("analytics:settings"), {"form": "cost", "kind": "event", "incurred_on": "2026-11-05",
                                                      "amount": "-5", "description": "Sommerfest"})
    assert "cannot be negative" in bad.content.decode() and not RelationshipCost.objects.exists()
    client.post(reverse("analytics:settings"), {"form": "cost", "kind": "event", "incurred_on": "2026-11-05",
                                                "amount": "100", "description": "Sommerfest"})
    refresh.run(today=TODAY)
    dash = client.get(reverse("analytics:dashboard"), {"kind": "month", "period": "2026-11"}).context["dash"]
    values = {k["key"]: k["value"] for k in dash["kpis"]}
    assert values["relationship_cost"] == pytest.approx(100.0)
    assert values["return_on_relationship"] == pytest.approx(8120.0 / 100.0)


def test_the_dashboard_filters_by_a_segment_within_visibility(world, scored):
    from kunde.audience.models import Segment

    segment = Segment.objects.create(name="Anna", definition={"op": "and", "rules": [
        {"field": "name", "operator": "eq", "value": "Anna Privat"}]}, owner=world.owner, team=world.team_a)
    params = {"kind": "month", "period": "2026-11", "segment": segment.pk}
    admin = client_as(world, "admin").get(reverse("analytics:dashboard"), params)
    values = {k["key"]: k["value"] for k in admin.context["dash"]["kpis"]}
    assert values["revenue"] == pytest.approx(120.0)  # only Anna, not the other team's customer
    assert values["customers"] == 1
    assert "Customers of the segment" in admin.content.decode()
    # A segment the user may not see is no filter at all (not an error page that reveals it).
    other = client_as(world, "other_team").get(reverse("analytics:dashboard"), params)
    assert other.context["dash"]["segment"] is None
    api = client_for(world, "other_team").get("/analytics/kpis", params)
    assert api.status_code == 404


def test_people_list_shows_scores_and_filters_by_them(world, scored):
    CustomerScore.objects.filter(person=scored).update(churn_risk=0.8, rfm_segment="at_risk")
    client = client_as(world, "owner")
    listed = client.get(reverse("contacts:person_list"), {"churn_risk_min": "0.5"}).content.decode()
    assert "Privat" in listed and "80 %" in listed and "At risk" in listed
    assert "Müller" not in listed  # no scores of his own: not matched
    none = client.get(reverse("contacts:person_list"), {"rfm_segment": "champions"}).content.decode()
    assert "Privat" not in none
    api = client_for(world, "owner").get("/people", {"churn_risk_min": 0.5}).json()
    assert [item["id"] for item in api["items"]] == [scored.pk]


def test_refresh_now_queues_once_and_a_lost_run_does_not_block_it(world):
    import datetime as _dt

    from django.utils import timezone

    from kunde.analytics.models import RefreshRun
    from kunde.analytics.services import refresh_request

    stuck = RefreshRun.objects.create(started_at=timezone.now(), status=RefreshRun.Status.RUNNING)
    assert refresh_request(actor=world.admin) is False  # one is running
    RefreshRun.objects.filter(pk=stuck.pk).update(started_at=timezone.now() - _dt.timedelta(hours=4))
    assert refresh_request(actor=world.admin) is True  # the tests' task backend runs it at once
    assert RefreshRun.objects.filter(trigger="manual", status=RefreshRun.Status.DONE,
                                     requested_by=world.admin).exists()


def test_a_segments_figures_are_computed_in_the_worker_not_in_the_request(world, scored, settings):
    from kunde.analytics.tasks import compute_segment_figures
    from kunde.audience.models import Segment

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # nothing runs
    segment = Segment.objects.create(name="Anna", definition={"op": "and", "rules": [
        {"field": "name", "operator": "eq", "value": "Anna Privat"}]}, owner=world.owner, team=world.team_a)
    params = {"kind": "month", "period": "2026-11", "segment": segment.pk}
    waiting = client_as(world, "admin").get(reverse("analytics:dashboard"), params)
    assert waiting.context["dash"]["segment_pending"] is True
    assert "being computed in the background" in waiting.content.decode()
    assert client_for(world, "admin").get("/analytics/kpis", params).json()["segment_pending"] is True

    compute_segment_figures.call(segment_id=segment.pk)  # what the worker does

    done = client_as(world, "admin").get(reverse("analytics:dashboard"), params)
    assert done.context["dash"]["segment_pending"] is False
    assert {k["key"]: k["value"] for k in done.context["dash"]["kpis"]}["revenue"] == pytest.approx(120.0)
