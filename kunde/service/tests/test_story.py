"""The Fidelis story end to end with a real IMAP server (Dovecot) and a real SMTP server.

Herr Müller writes an e-mail to the service mailbox; the poller fetches it and it becomes
a ticket on his record, routed to the service team, with the SLA running; his advisor sees
it on the 360° page; the agent's reply is sent threaded through the outbox and SMTP;
Herr Müller's answer threads onto the same ticket; the ticket is solved, the satisfaction
question goes out and is answered.
"""

from __future__ import annotations

import re

import pytest

from kunde.accounts.models import Role
from kunde.contacts.models import CustomerGroup
from kunde.core.testing.factories import make_team, make_user
from kunde.mail.inbound import poll_all
from kunde.mail.services import outbox_send_due
from kunde.service.models import RoutingRule, SlaPolicy, Ticket, TicketStatus
from kunde.service.services import default_calendar, ticket_change_status, ticket_reply

pytestmark = pytest.mark.django_db(transaction=True)

RAW = """From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <j.mueller@gunther-glas.de>
To: service@fidelis-invest.de
Subject: Depotauszug Q3 fehlt
Message-ID: <mueller-1@gunther-glas.de>
Content-Type: text/plain; charset=utf-8

Sehr geehrte Damen und Herren,
mir fehlt der Depotauszug für das dritte Quartal.
Mit freundlichen Grüßen
Jürgen Müller
""".encode()


def test_fidelis_story(world, smtp_server, imap_server, client):
    service_team = make_team("Kundenservice")
    agent = make_user(Role.MEMBER, team=service_team, username="agentin")
    key_accounts = CustomerGroup.objects.first()
    world.person.customer_group = key_accounts
    world.person.save()
    RoutingRule.objects.create(name="Depot an Kundenservice", keywords="depot", set_team=service_team,
                               set_priority="high")
    SlaPolicy.objects.create(name="Key accounts", customer_group=key_accounts, calendar=default_calendar(),
                             first_response_minutes=60, resolution_minutes=480)

    imap_server.mailbox(purpose="service")
    imap_server.append(RAW)
    assert poll_all()["processed"] == 1
    ticket = Ticket.objects.get()
    assert ticket.person == world.person and ticket.organisation == world.organisation
    assert ticket.team == service_team and ticket.priority == "high"
    assert ticket.sla_policy is not None and ticket.first_response_due_at is not None

    client.force_login(world.owner)  # the advisor
    page = client.get(world.person.get_absolute_url())
    panel = page.content.decode().split('id="panel-tickets"', 1)[1]
    assert ticket.number in panel.split("</section>", 1)[0]

    ticket_reply(actor=agent, ticket=ticket, text="Guten Tag Herr Müller, anbei Ihr Auszug.")
    outbox_send_due()
    sent = smtp_server.wait_for(1)[0]
    assert sent["In-Reply-To"] == "<mueller-1@gunther-glas.de>"
    assert "<mueller-1@gunther-glas.de>" in sent["References"]
    assert ticket.token in sent["Subject"]

    answer = RAW.replace(b"Subject: Depotauszug Q3 fehlt", f"Subject: AW: {sent['Subject']}".encode()) \
        .replace(b"Message-ID: <mueller-1@gunther-glas.de>",
                 f"Message-ID: <mueller-2@gunther-glas.de>\nIn-Reply-To: {sent['Message-ID']}".encode())
    imap_server.append(answer)
    imap_server.append(answer)  # delivered twice: handled once
    poll_all()
    assert Ticket.objects.get() == ticket
    assert ticket.messages.count() == 3

    ticket.refresh_from_db()
    ticket_change_status(actor=agent, ticket=ticket, status=TicketStatus.objects.get(key="solved"))
    outbox_send_due()
    question = smtp_server.wait_for(2)[1]
    assert ticket.token in question["Subject"]
    link = re.search(r"https?://[^/\s]+(/satisfaction/\S+)", question.get_body(("plain",)).get_content()).group(1)
    assert client.post(link.split("?")[0], {"score": "5", "comment": "Sehr schnell"}).status_code == 200
    ticket.refresh_from_db()
    assert ticket.csat_score == 5
