"""Analytics API: the permission matrix, KPIs over visible customers, scores, diagnostics."""

from __future__ import annotations

import pytest

from kunde.analytics.tests.test_views import WHO, scored  # noqa: F401 - the fixture
from kunde.core.testing.api import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", WHO)
def test_api_matrix(world, scored, who):  # noqa: F811
    client = client_for(world, who)
    anonymous = who == "anonymous"
    sees = who in {"read_only", "teammate", "owner", "manager", "admin"}
    kpis = client.get("/analytics/kpis", {"kind": "month", "period": "2026-11"})
    assert kpis.status_code == (401 if anonymous else 200)
    one = client.get(f"/analytics/people/{scored.pk}/scores")
    assert one.status_code == (401 if anonymous else 200 if sees else 404)
    listed = client.get("/analytics/scores")
    assert listed.status_code == (401 if anonymous else 200)
    if not anonymous:
        people = {item["person"] for item in listed.json()["items"]}
        assert (scored.pk in people) is sees
        revenue = {k["key"]: k["value"] for k in kpis.json()["kpis"]}["revenue"]
        # Roles that see all records add up every pair; team roles only their team's.
        expected = {"admin": 8120.0, "manager": 8120.0, "other_team": 8000.0}.get(who, 120.0)
        assert revenue == pytest.approx(expected)
    assert client.get("/analytics/models").status_code == (401 if anonymous else 200)
    refresh = client.post("/analytics/refresh")
    assert refresh.status_code == {"anonymous": 401, "admin": 202}.get(who, 403)


def test_scores_page_by_cursor_and_filter(world, scored):  # noqa: F811
    client = client_for(world, "admin")
    first = client.get("/analytics/scores", {"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next"] is not None
    second = client.get("/analytics/scores", {"limit": 1, "after": first["next"]}).json()
    assert second["items"][0]["person"] != first["items"][0]["person"]
    bad = client.get("/analytics/scores", {"min_churn_risk": 2})
    assert bad.status_code == 422
    score = client.get(f"/analytics/people/{scored.pk}/scores").json()
    assert score["purchases"] == 2 and score["rfm_segment"]
    assert client.get("/analytics/kpis", {"kind": "week"}).status_code == 422


def test_kpis_carry_their_trend_up_to_the_chosen_period(world, scored):  # noqa: F811
    body = client_for(world, "owner").get("/analytics/kpis", {"kind": "month", "period": "2026-11"}).json()
    revenue = next(k for k in body["kpis"] if k["key"] == "revenue")
    assert revenue["series"][-1] == pytest.approx(120.0) and len(revenue["series"]) == 12
    # December 2025 to November 2026: Anna's order of November 2025 (60 EUR) is just outside.
    assert sum(revenue["series"]) == pytest.approx(120.0)
