"""Staff pages (queue, detail, reply, status) and the customer portal with magic links."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from kunde.core.links import make_token
from kunde.core.testing.factories import make_person
from kunde.mail.models import OutboundMessage
from kunde.service.models import ReplyTemplate, TicketStatus
from kunde.service.portal import SESSION_KEY, magic_link
from kunde.service.services import ticket_create, ticket_reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(world):
    return ticket_create(actor=world.owner, subject="Depotauszug fehlt", description="Bitte senden",
                         person=world.person, channel="email", team=world.team_a)


def test_queue_and_detail_for_the_team(client, world, ticket):
    client.force_login(world.teammate)
    page = client.get("/tickets/?state=open")
    assert page.status_code == 200 and ticket.number.encode() in page.content
    ReplyTemplate.objects.create(name="Gruß", body="Guten Tag {salutation} {last_name}, zu {number}: {unknown}")
    detail = client.get(f"/tickets/{ticket.pk}/")
    assert detail.status_code == 200 and b"Bitte senden" in detail.content
    assert f"Müller, zu {ticket.number}: {{unknown}}".encode() in detail.content


def test_other_team_cannot_open_the_ticket(client, world, ticket):
    client.force_login(world.other_team)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 404
    assert ticket.number.encode() not in client.get("/tickets/").content


def test_reply_note_and_status_from_the_page(client, world, ticket):
    client.force_login(world.teammate)
    url = f"/tickets/{ticket.pk}/"
    assert client.post(url, {"text": "Anbei der Auszug", "action": "reply"}).status_code == 302
    assert client.post(url, {"text": "intern", "internal": "on", "action": "reply"}).status_code == 302
    assert OutboundMessage.objects.filter(purpose="service").count() == 1
    solved = TicketStatus.objects.get(key="solved")
    assert client.post(url, {"action": "status", "status": solved.pk}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == solved


def test_read_only_sees_but_cannot_reply(client, world, ticket):
    client.force_login(world.read_only)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 200
    assert client.post(f"/tickets/{ticket.pk}/", {"text": "x", "action": "reply"}).status_code == 403


def test_my_tickets_and_dashboard(client, world, ticket):
    client.force_login(world.manager)
    assert client.get("/tickets/mine/").status_code == 302
    assert client.get("/tickets/dashboard/").status_code == 200


def test_open_tickets_panel_on_the_360_page(client, world, ticket):
    client.force_login(world.owner)
    page = client.get(world.person.get_absolute_url())
    assert page.status_code == 200 and ticket.number.encode() in page.content


# --- portal ---

def _portal_login(client, person):
    link = magic_link(person)
    path = link.split("localhost:8000", 1)[-1] if "localhost:8000" in link else link
    response = client.post(path)
    assert response.status_code == 302
    return link


def test_magic_link_by_mail_then_own_tickets_only(client, world, ticket):
    other = make_person(world.owner, last_name="Fremd", emails=[{"email": "fremd@example.org"}])
    foreign = ticket_create(actor=world.owner, subject="Fremdes Anliegen", person=other)
    assert client.post("/portal/login/", {"email": "J.Mueller@gunther-glas.de"}).status_code == 200
    mail = OutboundMessage.objects.get(purpose="service.portal")
    path = re.search(r"https?://[^/]+(/portal/login/\S+)", mail.text).group(1)
    for _scanner in range(3):  # a mail scanner opening the link does not use it up
        assert b"Sign in to the portal" in client.get(path).content
    assert SESSION_KEY not in client.session
    assert client.post(path).status_code == 302
    home = client.get("/portal/")
    assert ticket.number.encode() in home.content and foreign.number.encode() not in home.content
    assert client.get(f"/portal/tickets/{foreign.number}/").status_code == 404
    assert client.get("/portal/tickets/T-999999/").status_code == 404
    ticket_reply(actor=world.owner, ticket=ticket, text="Hier ist Ihr Auszug")
    ticket_reply(actor=world.owner, ticket=ticket, text="GEHEIME NOTIZ", internal=True)
    detail = client.get(f"/portal/tickets/{ticket.number}/")
    assert b"Hier ist Ihr Auszug" in detail.content and b"GEHEIME NOTIZ" not in detail.content
    assert client.post(f"/portal/tickets/{ticket.number}/", {"text": "Danke!"}).status_code == 302
    assert ticket.messages.filter(direction="in", body_text="Danke!").exists()
    new = client.post("/portal/new/", {"subject": "Adresse ändern", "text": "Neue Adresse"})
    assert new.status_code == 302
    # reused link
    again = client.get(path)
    assert again.status_code == 410 and b"already been used" in again.content
    assert client.post(path).status_code == 410


def test_unknown_address_sends_nothing(client, world):
    assert client.post("/portal/login/", {"email": "niemand@example.org"}).status_code == 200
    assert not OutboundMessage.objects.exists()


def test_expired_and_forged_links(client, world):
    token = make_token("service.portal", world.person.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        expired = client.get(f"/portal/login/{token}/")
        assert client.post(f"/portal/login/{token}/").status_code == 410
    assert expired.status_code == 410 and b"expired" in expired.content
    assert client.get("/portal/login/nonsense/").status_code == 410
    assert client.post("/portal/login/nonsense/").status_code == 410


def test_organisation_primary_contact_sees_colleagues_tickets(client, world):
    employment = world.person.employments.get()
    employment.is_primary_contact = True
    employment.save()
    colleague = make_person(world.owner, last_name="Kollege", organisation=world.organisation)
    theirs = ticket_create(actor=world.owner, subject="Kollegen-Ticket", person=colleague)
    client.post(f"/portal/login/{make_token('service.portal', world.person.pk)}/")
    assert client.get(f"/portal/tickets/{theirs.number}/").status_code == 200


STAFF_PAGES = ["/", "/tickets/", "/tickets/{t}/", "/tickets/{t}/edit/", "/tickets/new/", "/tickets/mine/",
               "/tickets/dashboard/", "/tickets/{t}/attachments/1/", "/tickets/settings/",
               "/tickets/settings/mailboxes/", "/admin-area/mail/", "/people/", "/people/{p}/", "/organisations/"]
STAFF_API = ["/api/v1/tickets", "/api/v1/tickets/{t}", "/api/v1/tickets/{t}/messages", "/api/v1/people",
             "/api/v1/people/{p}", "/api/v1/search?q=M%C3%BCller"]


@pytest.mark.parametrize("path", STAFF_PAGES + STAFF_API)
def test_portal_session_never_reaches_staff_pages_or_api(client, world, ticket, path):
    """The portal matrix: a signed-in customer is nobody on the staff side."""
    client.post(f"/portal/login/{make_token('service.portal', world.person.pk)}/")
    assert client.session[SESSION_KEY] == world.person.pk
    response = client.get(path.format(t=ticket.pk, p=world.person.pk))
    if path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(f"/tickets/{ticket.pk}/", {"text": "von der Kundin", "action": "reply"}).status_code == 302
    assert not ticket.messages.filter(body_text="von der Kundin").exists()


def test_portal_without_session_redirects_to_login(client):
    assert client.get("/portal/").status_code == 302
    assert client.get("/portal/tickets/T-1/").status_code == 302


def test_settings_for_administrators_only(client, world):
    client.force_login(world.manager)
    assert client.get("/tickets/settings/sla/").status_code == 403
    client.force_login(world.admin)
    assert client.get("/tickets/settings/").status_code == 200
    response = client.post("/tickets/settings/routing/new/", {
        "name": "Depot", "position": "1", "is_active": "on", "keywords": "depot", "set_priority": "high"})
    assert response.status_code == 302
    assert client.get("/tickets/settings/routing/").content.count(b"Depot") >= 1
    calendar = client.post("/tickets/settings/calendars/new/", {
        "name": "Bayern", "working_days": "[0, 1, 2, 3, 4]", "start_time": "08:00", "end_time": "16:00",
        "state": "BY", "time_zone": "Europe/Berlin"})
    assert calendar.status_code == 302
    assert client.get("/tickets/settings/nope/").status_code == 404


def test_bulk_status_and_assign_from_the_queue(client, world, ticket):
    client.force_login(world.teammate)
    solved = TicketStatus.objects.get(key="solved")
    response = client.post("/tickets/", {"op": "bulk", "action": "change_status", "ids": [ticket.pk],
                                         "change_status-status": solved.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == solved
    client.post("/tickets/", {"op": "bulk", "action": "change_owner", "ids": [ticket.pk],
                              "change_owner-owner": world.teammate.pk})
    ticket.refresh_from_db()
    assert ticket.owner == world.teammate


def test_calendar_without_working_days_is_refused(world):
    from django.core.exceptions import ValidationError

    from kunde.service.models import BusinessCalendar

    with pytest.raises(ValidationError):
        BusinessCalendar(name="x", working_days=[], state="BE").full_clean()


def test_calendar_with_an_unknown_state_is_refused_in_the_settings(client, world):
    from kunde.service.models import BusinessCalendar

    client.force_login(world.admin)
    page = client.post("/tickets/settings/calendars/new/", {
        "name": "Irgendwo", "working_days": "[0, 1, 2, 3, 4]", "start_time": "08:00", "end_time": "16:00",
        "state": "XX", "time_zone": "Europe/Berlin"})
    assert page.status_code == 200 and "Unknown German state" in page.content.decode()
    assert not BusinessCalendar.objects.filter(name="Irgendwo").exists()
    calendar = BusinessCalendar(name="Bayern klein", working_days=[0, 1, 2, 3, 4], state="by")
    calendar.full_clean()
    assert calendar.state == "BY"


def test_sign_in_links_are_rate_limited(client, world):
    from django.core.cache import cache

    cache.clear()
    start = timezone.now()
    for minute in range(7):
        with time_machine.travel(start + dt.timedelta(minutes=minute), tick=False):
            client.post("/portal/login/", {"email": "j.mueller@gunther-glas.de"})
    assert OutboundMessage.objects.filter(purpose="service.portal").count() == 5


@pytest.fixture
def ticket_with_files(world):
    from kunde.mail.models import InboundAttachment, InboundMessage, Mailbox
    from kunde.service.inbound import handle_inbound

    mailbox = Mailbox.objects.create(name="Service", address="service@fidelis-invest.de", host="localhost",
                                     username="service")
    message = InboundMessage.objects.create(
        mailbox=mailbox, uidvalidity=1, uid=1, message_id="<dateien@gunther-glas.de>", subject="Dateien",
        from_address=world.person.emails.first().email, text="Anbei", raw=b"")
    kept = InboundAttachment.objects.create(message=message, filename="auszug.pdf", mimetype="application/pdf",
                                            size=4, content=b"%PDF")
    quarantined = InboundAttachment.objects.create(message=message, filename="tool.exe", size=2, content=b"MZ",
                                                   mimetype="application/x-msdownload", quarantined=True,
                                                   reason="executable")
    ticket = handle_inbound(message)
    ticket.team = world.team_a
    ticket.save()
    return ticket, kept, quarantined


@pytest.mark.parametrize("who, status", [
    ("anonymous", 302), ("read_only", 200), ("other_team", 404), ("teammate", 200), ("owner", 200),
    ("manager", 200), ("admin", 200),
])
def test_attachment_download_matrix(client, world, ticket_with_files, who, status):
    ticket, kept, _quarantined = ticket_with_files
    if who != "anonymous":
        client.force_login(getattr(world, who))
    response = client.get(f"/tickets/{ticket.pk}/attachments/{kept.pk}/")
    assert response.status_code == status
    if status == 200:
        assert response.content == b"%PDF" and "attachment" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"


def test_quarantined_and_foreign_attachments_are_not_handed_out(client, world, ticket_with_files, ticket):
    with_files, kept, quarantined = ticket_with_files
    client.force_login(world.admin)
    page = client.get(f"/tickets/{with_files.pk}/").content.decode()
    assert "auszug.pdf" in page and "tool.exe" not in page
    assert client.get(f"/tickets/{with_files.pk}/attachments/{quarantined.pk}/").status_code == 404
    assert client.get(f"/tickets/{ticket.pk}/attachments/{kept.pk}/").status_code == 404  # not this ticket's file


def test_administrators_connect_a_mailbox_and_its_password_stays_secret(client, world):
    from kunde.core.models import AuditEntry
    from kunde.mail.models import Mailbox

    client.force_login(world.admin)
    fields = {"name": "Service", "purpose": "service", "address": "service@fidelis-invest.de",
              "host": "imap.fidelis-invest.de", "port": "993", "security": "ssl", "username": "service",
              "password": "geheim-123", "folder": "INBOX", "is_active": "on"}
    assert client.post("/tickets/settings/mailboxes/new/", fields).status_code == 302
    mailbox = Mailbox.objects.get()
    assert mailbox.password == "geheim-123"
    edit = client.get(f"/tickets/settings/mailboxes/{mailbox.pk}/").content.decode()
    assert "geheim-123" not in edit
    assert client.post(f"/tickets/settings/mailboxes/{mailbox.pk}/",
                       {**fields, "password": "", "folder": "Support"}).status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.password, mailbox.folder) == ("geheim-123", "Support")  # blank kept the password
    entries = AuditEntry.objects.filter(object_type__endswith="mailbox")
    assert entries.count() == 2 and all("geheim" not in str(e.changes) for e in entries)
    client.force_login(world.manager)
    assert client.get("/tickets/settings/mailboxes/").status_code == 403


def test_an_agent_opens_a_ticket_from_the_customer_page_and_edits_it(client, world):
    from kunde.service.models import Ticket, TicketCategory

    category = TicketCategory.objects.create(key="depot", label_en="Depot", label_de="Depot")
    client.force_login(world.owner)
    person_page = client.get(world.person.get_absolute_url()).content.decode()
    assert f"/tickets/new/?person={world.person.pk}" in person_page
    form = client.get(f"/tickets/new/?person={world.person.pk}")
    assert form.status_code == 200 and str(world.person) in form.content.decode()
    created = client.post(f"/tickets/new/?person={world.person.pk}", {
        "subject": "Rückruf zum Depot", "description": "Kunde bittet um Rückruf", "channel": "phone",
        "priority": "high", "person": world.person.pk, "category": category.pk, "team": world.team_a.pk,
        "owner": world.owner.pk})
    ticket = Ticket.objects.get(subject="Rückruf zum Depot")
    assert created.status_code == 302 and created["Location"] == f"/tickets/{ticket.pk}/"
    assert (ticket.person, ticket.organisation, ticket.priority, ticket.category, ticket.team, ticket.owner) == (
        world.person, world.organisation, "high", category, world.team_a, world.owner)
    assert ticket.messages.get().direction == "out"  # written by the agent, not received from the customer

    fields = {"subject": "Rückruf zum Depot (dringend)", "description": "Kunde bittet um Rückruf",
              "channel": "phone", "priority": "urgent", "due_date": "2026-12-03", "language": "de",
              "person": world.person.pk, "organisation": world.organisation.pk, "category": category.pk,
              "team": world.team_a.pk, "owner": world.owner.pk, "version": ticket.version}
    edited = client.post(f"/tickets/{ticket.pk}/edit/", fields)
    assert edited.status_code == 302, edited.context["form"].errors
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority, str(ticket.due_date)) == (
        "Rückruf zum Depot (dringend)", "urgent", "2026-12-03")
    stale = client.post(f"/tickets/{ticket.pk}/edit/", {**fields, "subject": "Alt", "version": 1})
    assert stale.status_code == 200 and "Someone else changed this ticket" in stale.content.decode()
    assert client.post(f"/tickets/{ticket.pk}/edit/", {**fields, "subject": "", "version": ticket.version}
                       ).status_code == 200


@pytest.mark.parametrize("who, new, edit", [
    ("anonymous", 302, 302), ("read_only", 403, 403), ("other_team", 200, 404), ("teammate", 200, 200),
    ("owner", 200, 200), ("manager", 200, 200), ("admin", 200, 200),
])
def test_ticket_form_matrix(client, world, ticket, who, new, edit):
    if who != "anonymous":
        client.force_login(getattr(world, who))
    assert client.get("/tickets/new/").status_code == new
    assert client.get(f"/tickets/{ticket.pk}/edit/").status_code == edit
