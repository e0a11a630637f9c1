"""The retention pages: overview, plan page with effects, the form with its lists, the 360° card."""

from __future__ import annotations

import pytest
from django.test import Client

from kunde.activities.models import Activity
from kunde.retention.models import CareCadence, RetentionPlan
from kunde.retention.tests.factories import fixed_segment, make_plan

pytestmark = pytest.mark.django_db


def browser(user):
    client = Client()
    client.force_login(user)
    return client


def form_data(segment, **extra):
    data = {"name": "Fidelis Betreuung", "status": "active", "binding_object": "person", "segment": segment.pk,
            "budget_per_year": "1000", "holdout_percent": "10", "cadence": "quartalsweise",
            "causes-TOTAL_FORMS": "2", "causes-INITIAL_FORMS": "0",
            "causes-0-cause": "psychological", "causes-0-weight": "80", "causes-1-cause": "",
            "instruments-TOTAL_FORMS": "1", "instruments-INITIAL_FORMS": "0",
            "instruments-0-kind": "other", "instruments-0-name": "Webinar", "instruments-0-monthly_cost": "25",
            "instruments-0-one_off_cost": "0", "instruments-0-linked": "",
            "partners-TOTAL_FORMS": "1", "partners-INITIAL_FORMS": "0", "partners-0-organisation": "",
            "partners-0-role": ""}
    data.update(extra)
    return data


def test_a_plan_is_created_with_the_form_and_shown_with_its_answers(world):
    segment = fixed_segment(world.owner, [world.person], name="Privatkunden")
    client = browser(world.owner)
    assert client.get("/retention/plans/new/").status_code == 200
    response = client.post("/retention/plans/new/", form_data(segment))
    plan = RetentionPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/retention/plans/{plan.pk}/"
    page = client.get(f"/retention/plans/{plan.pk}/").content.decode()
    assert "Fidelis Betreuung" in page and "Privatkunden" in page and "Webinar" in page
    assert "No analytics refresh has run yet" in page
    overview = client.get("/retention/").content.decode()
    assert "Fidelis Betreuung" in overview and "Effect per 1,000 €" in overview


def test_bad_rows_come_back_on_the_form_and_nothing_is_saved(world):
    segment = fixed_segment(world.owner, [world.person])
    response = browser(world.owner).post("/retention/plans/new/", form_data(
        segment, **{"causes-1-cause": "psychological", "holdout_percent": "70"}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "less than or equal to 50" in page
    assert not RetentionPlan.objects.exists()
    response = browser(world.owner).post("/retention/plans/new/", form_data(segment, **{"causes-1-cause":
                                                                                         "psychological"}))
    assert "This cause is listed twice." in response.content.decode() and not RetentionPlan.objects.exists()


def test_pages_are_scoped(world):
    plan = make_plan(world.owner, fixed_segment(world.owner, [world.person]))
    assert browser(world.other_team).get(f"/retention/plans/{plan.pk}/").status_code == 404
    assert browser(world.other_team).get(f"/retention/plans/{plan.pk}/edit/").status_code == 404
    reader = browser(world.read_only)
    assert reader.get(f"/retention/plans/{plan.pk}/").status_code == 200
    assert reader.get(f"/retention/plans/{plan.pk}/edit/").status_code == 403
    assert reader.get("/retention/plans/new/").status_code == 403
    assert reader.post(f"/retention/plans/{plan.pk}/care/", {"name": "x", "every_days": "30", "task_subject": "y",
                                                             "due_days": "3"}).status_code == 403
    assert "Fidelis" not in browser(world.other_team).get("/retention/").content.decode()
    assert not CareCadence.objects.exists()


def test_a_care_cadence_is_added_as_an_instrument(world):
    plan = make_plan(world.owner, fixed_segment(world.owner, [world.person]))
    response = browser(world.owner).post(f"/retention/plans/{plan.pk}/care/", {
        "name": "Quartalsreview", "every_days": "90", "task_subject": "Review führen", "due_days": "7"})
    assert response.status_code == 302
    assert plan.instruments.get().linked_id == CareCadence.objects.get().pk


def test_the_360_card_shows_causes_and_the_owner_overrides_them(world):
    client = browser(world.owner)
    page = client.get(f"/people/{world.person.pk}/").content.decode()
    assert 'id="retention-causes"' in page and 'data-cause="contractual" data-bound="no"' in page
    response = client.post(f"/retention/causes/person/{world.person.pk}/", {"cause": "contractual", "state": "on",
                                                                             "note": "Depotvertrag"})
    assert response.status_code == 302
    page = client.get(f"/people/{world.person.pk}/").content.decode()
    assert 'data-cause="contractual" data-bound="yes"' in page and "Depotvertrag" in page
    assert Activity.objects.filter(person=world.person, kind="retention.binding_cause_set").count() == 1
    assert browser(world.read_only).post(f"/retention/causes/person/{world.person.pk}/", {
        "cause": "economic", "state": "on"}).status_code == 403
    assert browser(world.other_team).post(f"/retention/causes/person/{world.person.pk}/", {
        "cause": "economic", "state": "on"}).status_code == 404
    reader_page = browser(world.read_only).get(f"/people/{world.person.pk}/").content.decode()
    assert 'id="retention-causes"' in reader_page and "cause-state" not in reader_page


def test_the_360_card_loads_the_evidence_of_a_derived_cause_separately(world):
    from kunde.activities.services import contact_log

    for index in range(4):  # four staff calls in a year: a psychological binding cause
        contact_log(actor=world.owner, person=world.person, channel="phone", subject=f"Anruf {index}")
    client = browser(world.owner)
    page = client.get(f"/people/{world.person.pk}/").content.decode()
    assert 'data-cause="psychological" data-bound="yes"' in page
    url = f"/retention/causes/person/{world.person.pk}/evidence/"
    assert f'hx-get="{url}?cause=psychological"' in page
    assert "4 personal contacts in 12 months" not in page  # the page itself does not count them
    fragment = client.get(url, {"cause": "psychological"}).content.decode()
    assert 'data-evidence="psychological"' in fragment and "4 personal contacts in 12 months" in fragment
    assert client.get(url, {"cause": "nonsense"}).status_code == 404
    assert browser(world.other_team).get(url, {"cause": "psychological"}).status_code == 404
