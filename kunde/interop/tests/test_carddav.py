"""The CardDAV protocol, request by request: discovery, PROPFIND, reports, sync tokens, auth and refusals."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
import vobject
from defusedxml.ElementTree import fromstring
from django.test import Client

from kunde.accounts.models import User
from kunde.accounts.services import api_token_create, api_token_revoke
from kunde.contacts.models import Person
from kunde.contacts.services import person_delete, person_update
from kunde.core.testing.factories import make_person
from kunde.dedupe.services import record_merge
from kunde.interop.carddav import KEEP_STATES
from kunde.interop.models import CardDavSyncState

pytestmark = pytest.mark.django_db

D, C, CS = "{DAV:}", "{urn:ietf:params:xml:ns:carddav}", "{http://calendarserver.org/ns/}"
BOOK = "/dav/addressbooks/{}/contacts/"


def dav_client(user, secret: str | None = None, *, password: str | None = None) -> Client:
    """A client that sends HTTP Basic with `user`'s name and a fresh read token (or `password`)."""
    if password is None:
        secret = secret or api_token_create(user=user, name="phone")[1]
    credentials = base64.b64encode(f"{user.username}:{password or secret}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {credentials}")


def call(client: Client, method: str, path: str, body: str = "", depth: str | None = None, **headers):
    extra = {"HTTP_DEPTH": depth} if depth is not None else {}
    extra |= {f"HTTP_{key.upper()}": value for key, value in headers.items()}
    return client.generic(method, path, body.encode(), content_type="application/xml; charset=utf-8", **extra)


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def multistatus(response) -> dict[str, ET.Element]:
    """The <response> elements of a 207 answer by href."""
    assert response.status_code == 207, content(response)
    assert response["Content-Type"].startswith("application/xml")
    root = fromstring(content(response))
    assert root.tag == f"{D}multistatus"
    return {node.findtext(f"{D}href"): node for node in root.findall(f"{D}response")}


def found(response_node: ET.Element) -> dict[str, ET.Element]:
    """The properties answered with 200 in one <response>."""
    props = {}
    for propstat in response_node.findall(f"{D}propstat"):
        if propstat.findtext(f"{D}status") == "HTTP/1.1 200 OK":
            props |= {prop.tag: prop for prop in propstat.find(f"{D}prop")}
    return props


def missing(response_node: ET.Element) -> set[str]:
    return {prop.tag for propstat in response_node.findall(f"{D}propstat")
            if propstat.findtext(f"{D}status") == "HTTP/1.1 404 Not Found" for prop in propstat.find(f"{D}prop")}


def card_href(user, person) -> str:
    return f"{BOOK.format(user.username)}kunde-person-{person.pk}@kunde.local.vcf"


PROPFIND_BOOK = """<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/"
 xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:x="urn:example:unknown"><d:prop><d:resourcetype/><d:displayname/>
 <cs:getctag/><d:sync-token/><d:supported-report-set/><card:supported-address-data/><d:getetag/><x:colour/>
 </d:prop></d:propfind>"""


def sync_body(token: str = "", props: str = "<d:getetag/>") -> str:
    return (f'<d:sync-collection xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">'
            f"<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop>{props}</d:prop>"
            "</d:sync-collection>")


def sync(client: Client, user, token: str = "", props: str = "<d:getetag/>") -> tuple[dict[str, ET.Element], str]:
    response = call(client, "REPORT", BOOK.format(user.username), sync_body(token, props))
    assert response.status_code == 207, content(response)
    root = fromstring(content(response))
    responses = {node.findtext(f"{D}href"): node for node in root.findall(f"{D}response")}
    return responses, root.findtext(f"{D}sync-token")


# --- discovery -------------------------------------------------------------------------


def test_well_known_redirects_to_the_dav_root(client):
    response = client.generic("PROPFIND", "/.well-known/carddav")
    assert response.status_code == 301 and response["Location"] == "/dav/"


def test_discovery_leads_from_the_root_to_the_address_book(world):
    client = dav_client(world.owner)
    root = multistatus(call(client, "PROPFIND", "/dav/", '<d:propfind xmlns:d="DAV:"><d:prop>'
                            "<d:current-user-principal/></d:prop></d:propfind>", depth="0"))["/dav/"]
    principal = found(root)[f"{D}current-user-principal"].findtext(f"{D}href")
    assert principal == "/dav/principals/owner/"
    answer = multistatus(call(client, "PROPFIND", principal, '<d:propfind xmlns:d="DAV:" '
                              'xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><card:addressbook-home-set/>'
                              "</d:prop></d:propfind>", depth="0"))[principal]
    home = found(answer)[f"{C}addressbook-home-set"].findtext(f"{D}href")
    assert home == "/dav/addressbooks/owner/"
    listing = multistatus(call(client, "PROPFIND", home, PROPFIND_BOOK, depth="1"))
    assert set(listing) == {home, BOOK.format("owner")}
    book = found(listing[BOOK.format("owner")])
    assert {child.tag for child in book[f"{D}resourcetype"]} == {f"{D}collection", f"{C}addressbook"}
    assert book[f"{D}displayname"].text == "Kunde contacts"


def test_options_announce_carddav_without_credentials(client):
    response = client.options("/dav/addressbooks/owner/contacts/")
    assert response.status_code == 200
    assert response["DAV"] == "1, 3, addressbook"
    assert "REPORT" in response["Allow"] and "PUT" not in response["Allow"]


# --- PROPFIND --------------------------------------------------------------------------


def test_propfind_depth_0_describes_the_book_and_puts_unknown_properties_in_404(world):
    answer = multistatus(call(dav_client(world.owner), "PROPFIND", BOOK.format("owner"), PROPFIND_BOOK, depth="0"))
    assert list(answer) == [BOOK.format("owner")]
    props = found(answer[BOOK.format("owner")])
    reports = {report[0][0].tag for report in props[f"{D}supported-report-set"]}
    assert reports == {f"{C}addressbook-multiget", f"{C}addressbook-query", f"{D}sync-collection"}
    assert {(node.get("content-type"), node.get("version")) for node in props[f"{C}supported-address-data"]} == {
        ("text/vcard", "3.0"), ("text/vcard", "4.0")}
    assert props[f"{CS}getctag"].text and props[f"{D}sync-token"].text.startswith("http")
    assert missing(answer[BOOK.format("owner")]) == {f"{D}getetag", "{urn:example:unknown}colour"}


def test_propfind_depth_1_lists_exactly_the_visible_cards_with_etags(world):
    anna = make_person(world.teammate, first_name="Anna", last_name="Schmidt")  # same team: visible
    make_person(world.other_team, first_name="Nicht", last_name="Sichtbar")
    gone = make_person(world.owner, last_name="Gelöscht")
    person_delete(actor=world.admin, person=gone)
    body = '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>'
    answer = multistatus(call(dav_client(world.owner), "PROPFIND", BOOK.format("owner"), body, depth="1"))
    cards = {href: found(node) for href, node in answer.items() if href.endswith(".vcf")}
    assert set(cards) == {card_href(world.owner, world.person), card_href(world.owner, anna)}
    for props in cards.values():
        assert props[f"{D}getetag"].text.startswith('"') and props[f"{D}getcontenttype"].text.startswith("text/vcard")


def test_allprop_on_a_card_gives_its_etag_but_no_address_data(world):
    answer = multistatus(call(dav_client(world.owner), "PROPFIND", card_href(world.owner, world.person), "",
                              depth="0"))
    props = found(answer[card_href(world.owner, world.person)])
    assert f"{D}getetag" in props and f"{C}address-data" not in props


# --- GET -------------------------------------------------------------------------------


def test_get_serves_vcard_3_by_default_and_4_on_request_with_distinct_etags(world):
    client = dav_client(world.owner)
    href = card_href(world.owner, world.person)
    three = client.get(href)
    assert three.status_code == 200 and three["Content-Type"] == "text/vcard; charset=utf-8"
    card = vobject.readOne(three.content.decode())
    assert (card.version.value, card.fn.value, card.org.value) == ("3.0", "Jürgen Müller", ["Gunther Glas"])
    four = client.get(href, HTTP_ACCEPT="text/vcard; version=4.0")
    assert vobject.readOne(four.content.decode()).version.value == "4.0"
    assert three["ETag"] != four["ETag"] and three["ETag"].startswith('"')
    assert client.get(href, HTTP_IF_NONE_MATCH=three["ETag"]).status_code == 304
    head = client.head(href)
    assert head.status_code == 200 and head.content == b"" and head["ETag"] == three["ETag"]


def test_etag_changes_when_the_person_or_their_employment_changes(world):
    client = dav_client(world.owner)
    href = card_href(world.owner, world.person)
    before = client.get(href)["ETag"]
    assert client.get(href)["ETag"] == before
    person_update(actor=world.owner, person=world.person, expected_version=None, changes={"first_name": "Jörg"})
    after_name = client.get(href)["ETag"]
    assert after_name != before
    from kunde.contacts.services import organisation_update

    organisation_update(actor=world.owner, organisation=world.organisation, expected_version=None,
                        changes={"name": "Gunther Glas & Söhne"})
    response = client.get(href)
    assert response["ETag"] != after_name
    assert vobject.readOne(response.content.decode()).org.value == ["Gunther Glas & Söhne"]


# --- REPORT ----------------------------------------------------------------------------


def test_multiget_returns_the_asked_cards_and_404_for_others(world):
    anna = make_person(world.owner, first_name="Anna", last_name="Schmidt", emails=[{"email": "anna@example.de"}])
    foreign = make_person(world.other_team, last_name="Fremd")
    hrefs = [card_href(world.owner, world.person), card_href(world.owner, anna), card_href(world.owner, foreign),
             BOOK.format("owner") + "nonsense.vcf"]
    body = ('<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop>'
            '<d:getetag/><card:address-data version="4.0"/></d:prop>'
            + "".join(f"<d:href>{href}</d:href>" for href in hrefs) + "</card:addressbook-multiget>")
    answer = multistatus(call(dav_client(world.owner), "REPORT", BOOK.format("owner"), body, depth="1"))
    assert set(answer) == set(hrefs)
    card = vobject.readOne(found(answer[hrefs[1]])[f"{C}address-data"].text)
    assert (card.version.value, card.fn.value, card.email.value) == ("4.0", "Anna Schmidt", "anna@example.de")
    assert found(answer[hrefs[1]])[f"{D}getetag"].text.endswith('-v4"')
    for href in hrefs[2:]:
        assert answer[href].findtext(f"{D}status") == "HTTP/1.1 404 Not Found"


def test_addressbook_query_matches_text_in_name_and_email(world):
    make_person(world.owner, first_name="Anna", last_name="Schmidt", emails=[{"email": "anna@example.de"}])
    make_person(world.owner, first_name="Bernd", last_name="Schmitz", emails=[{"email": "bernd@muster.de"}])

    def query(filters: str, test: str = "anyof") -> list[str]:
        body = ('<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">'
                f'<d:prop><card:address-data/></d:prop><card:filter test="{test}">{filters}</card:filter>'
                "</card:addressbook-query>")
        answer = multistatus(call(dav_client(world.owner), "REPORT", BOOK.format("owner"), body, depth="1"))
        return sorted(vobject.readOne(found(node)[f"{C}address-data"].text).fn.value for node in answer.values())

    assert query('<card:prop-filter name="FN"><card:text-match>SCHMI</card:text-match></card:prop-filter>') == [
        "Anna Schmidt", "Bernd Schmitz"]
    assert query('<card:prop-filter name="EMAIL"><card:text-match match-type="ends-with">@muster.de'
                 "</card:text-match></card:prop-filter>") == ["Bernd Schmitz"]
    assert query('<card:prop-filter name="FN"><card:text-match match-type="starts-with">jürgen'
                 "</card:text-match></card:prop-filter>") == ["Jürgen Müller"]
    assert query("") == ["Anna Schmidt", "Bernd Schmitz", "Jürgen Müller"]


def test_sync_collection_gives_everything_then_only_changes_and_removals(world):
    client = dav_client(world.owner)
    anna = make_person(world.owner, first_name="Anna", last_name="Schmidt")
    moved = make_person(world.owner, first_name="Wechselt", last_name="Team")
    responses, first_token = sync(client, world.owner)
    assert set(responses) == {card_href(world.owner, p) for p in (world.person, anna, moved)}
    unchanged, same_token = sync(client, world.owner, first_token)
    assert unchanged == {} and same_token == first_token

    person_update(actor=world.owner, person=anna, expected_version=None, changes={"last_name": "Schmidt-Öz"})
    # Reassigned to a user of the other team: out of the owner's scope from now on.
    person_update(actor=world.admin, person=moved, expected_version=None,
                  changes={"owner": world.other_team, "team": world.team_b})
    person_delete(actor=world.admin, person=world.person)
    responses, second_token = sync(client, world.owner, first_token, "<d:getetag/><card:address-data/>")
    assert second_token != first_token
    assert set(responses) == {card_href(world.owner, p) for p in (world.person, anna, moved)}
    card = vobject.readOne(found(responses[card_href(world.owner, anna)])[f"{C}address-data"].text)
    assert card.fn.value == "Anna Schmidt-Öz"
    for person in (world.person, moved):
        assert responses[card_href(world.owner, person)].findtext(f"{D}status") == "HTTP/1.1 404 Not Found"
    assert sync(client, world.owner, second_token)[0] == {}


def test_a_merge_removes_the_merged_person_and_updates_the_survivor(world):
    client = dav_client(world.owner)
    twin = make_person(world.owner, first_name="Jürgen", last_name="Müller", emails=[{"email": "jm@privat.de"}])
    _responses, token = sync(client, world.owner)
    record_merge(actor=world.admin, survivor=world.person, loser=twin, survivor_version=None, loser_version=None)
    responses, _token = sync(client, world.owner, token, "<d:getetag/><card:address-data/>")
    assert responses[card_href(world.owner, twin)].findtext(f"{D}status") == "HTTP/1.1 404 Not Found"
    survivor = vobject.readOne(found(responses[card_href(world.owner, world.person)])[f"{C}address-data"].text)
    assert {line.value for line in survivor.contents["email"]} == {"j.mueller@gunther-glas.de", "jm@privat.de"}


def test_an_unknown_or_foreign_sync_token_is_refused_with_the_precondition(world):
    _responses, owner_token = sync(dav_client(world.owner), world.owner)
    for user, token in ((world.owner, "http://kunde.invalid/ns/sync/999999-0000000000000000"),
                        (world.owner, "garbage"), (world.teammate, owner_token)):
        response = call(dav_client(user), "REPORT", BOOK.format(user.username), sync_body(token))
        assert response.status_code == 403
        assert fromstring(response.content).find(f"{D}valid-sync-token") is not None


def test_only_the_latest_sync_states_are_kept(world):
    client = dav_client(world.owner)
    _responses, oldest = sync(client, world.owner)
    for number in range(KEEP_STATES):
        make_person(world.owner, last_name=f"Neu{number}")
        sync(client, world.owner)
    assert CardDavSyncState.objects.filter(user=world.owner).count() == KEEP_STATES
    response = call(client, "REPORT", BOOK.format("owner"), sync_body(oldest))
    assert response.status_code == 403


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "DELETE", "MKCOL", "PROPPATCH", "MOVE"])
def test_the_address_book_is_read_only(world, method):
    href = card_href(world.owner, world.person)
    response = call(dav_client(world.owner), method, href, "BEGIN:VCARD\r\nEND:VCARD\r\n")
    assert response.status_code == 403
    assert b"read-only" in response.content
    assert Person.objects.filter(pk=world.person.pk, last_name="Müller").exists()


def test_a_write_token_does_not_make_it_writable(world):
    secret = api_token_create(user=world.owner, name="rw", scope="write")[1]
    response = call(dav_client(world.owner, secret), "DELETE", card_href(world.owner, world.person))
    assert response.status_code == 403 and Person.objects.filter(pk=world.person.pk).exists()


@pytest.mark.parametrize("body", [
    "<d:propfind xmlns:d='DAV:'><d:prop>",
    "not xml at all",
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><d:propfind xmlns:d="DAV:">&a;</d:propfind>',
])
def test_bad_xml_is_a_400_with_a_reason(world, body):
    response = call(dav_client(world.owner), "PROPFIND", BOOK.format("owner"), body, depth="0")
    assert response.status_code == 400
    assert response.content.strip()


def test_an_unknown_report_is_refused(world):
    response = call(dav_client(world.owner), "REPORT", BOOK.format("owner"),
                    '<d:expand-property xmlns:d="DAV:"/>')
    assert response.status_code == 403
    assert fromstring(response.content).find(f"{D}supported-report") is not None


def test_bad_depth_is_a_400(world):
    assert call(dav_client(world.owner), "PROPFIND", BOOK.format("owner"), "", depth="2").status_code == 400


# --- authentication and scope ----------------------------------------------------------


@pytest.mark.parametrize("credentials", ["none", "wrong-token", "login-password", "other-users-token"])
def test_wrong_credentials_get_401_with_a_basic_challenge(world, credentials):
    if credentials == "none":
        client = Client()
    elif credentials == "wrong-token":
        client = dav_client(world.owner, password="kunde_not-a-real-token")
    elif credentials == "login-password":
        client = dav_client(world.owner, password="password")
    else:
        client = dav_client(world.owner, api_token_create(user=world.teammate, name="x")[1])
    response = call(client, "PROPFIND", BOOK.format("owner"), "", depth="0")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="Kunde"')


def test_a_revoked_token_or_deactivated_user_gets_401(world):
    token, secret = api_token_create(user=world.owner, name="phone")
    client = dav_client(world.owner, secret)
    assert call(client, "PROPFIND", BOOK.format("owner"), "", depth="0").status_code == 207
    api_token_revoke(user=world.owner, token=token)
    assert call(client, "PROPFIND", BOOK.format("owner"), "", depth="0").status_code == 401
    secret = api_token_create(user=world.teammate, name="phone")[1]
    User.objects.filter(pk=world.teammate.pk).update(is_active=False)  # no service for this yet
    assert call(dav_client(world.teammate, secret), "PROPFIND", BOOK.format("teammate"), "",
                depth="0").status_code == 401


def test_repeated_failures_lock_the_username(world):
    bad = dav_client(world.owner, password="kunde_wrong")
    for _attempt in range(5):
        call(bad, "PROPFIND", BOOK.format("owner"), "", depth="0")
    response = call(dav_client(world.owner), "PROPFIND", BOOK.format("owner"), "", depth="0")
    assert response.status_code == 429


@pytest.mark.parametrize("path", ["/dav/principals/owner/", "/dav/addressbooks/owner/",
                                  "/dav/addressbooks/owner/contacts/"])
def test_another_users_book_is_not_found(world, path):
    response = call(dav_client(world.other_team), "PROPFIND", path, "", depth="1")
    assert response.status_code == 404
    assert b"owner" not in response.content


def test_another_teams_card_in_ones_own_book_is_not_found(world):
    foreign = make_person(world.other_team, last_name="Fremd")
    assert dav_client(world.owner).get(card_href(world.owner, foreign)).status_code == 404


def test_a_read_only_user_syncs_the_team_but_cannot_write(world):
    client = dav_client(world.read_only)
    responses, _token = sync(client, world.read_only)
    assert set(responses) == {card_href(world.read_only, world.person)}
    response = call(client, "PUT", card_href(world.read_only, world.person), "BEGIN:VCARD\r\nEND:VCARD\r\n")
    assert response.status_code == 403


# --- settings page ---------------------------------------------------------------------


def test_settings_page_shows_the_urls_and_how_to_connect(world):
    client = Client()
    client.force_login(world.owner)
    response = client.get("/carddav/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "http://testserver/dav/addressbooks/owner/contacts/" in page
    assert "DAVx⁵" in page and "Thunderbird" in page and "/accounts/tokens/" in page


def test_pruning_drops_old_states_but_keeps_each_users_newest(world):
    import datetime as dt

    from django.utils import timezone

    from kunde.interop.tasks import prune_carddav_sync_states

    client = dav_client(world.owner)
    _responses, old_token = sync(client, world.owner)
    make_person(world.owner, last_name="Neu")
    _responses, new_token = sync(client, world.owner)
    CardDavSyncState.objects.update(created_at=timezone.now() - dt.timedelta(days=91))
    assert prune_carddav_sync_states() == {"deleted": 1}
    assert call(client, "REPORT", BOOK.format("owner"), sync_body(old_token)).status_code == 403
    assert sync(client, world.owner, new_token)[0] == {}


def test_cards_sent_are_audited_as_an_export_but_etag_listings_are_not(world):
    from kunde.core.models import AuditEntry

    client = dav_client(world.owner)
    anna = make_person(world.owner, first_name="Anna", last_name="Schmidt")
    _responses, _token = sync(client, world.owner)  # ETags only: no personal data left
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).exists()
    body = ('<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop>'
            f"<d:getetag/><card:address-data/></d:prop><d:href>{card_href(world.owner, world.person)}</d:href>"
            f"<d:href>{card_href(world.owner, anna)}</d:href></card:addressbook-multiget>")
    multistatus(call(client, "REPORT", BOOK.format("owner"), body, depth="1"))
    audit = AuditEntry.objects.get(action=AuditEntry.Action.EXPORT)
    assert (audit.actor_id, audit.object_type) == (world.owner.pk, "contacts.person")
    assert audit.changes["_extra"] == {"format": "carddav", "rows": 2, "query": "addressbook-multiget",
                                           "complete": True}


def test_a_username_with_special_characters_works_in_every_url(world):
    from kunde.accounts.models import Role
    from kunde.core.testing.factories import make_user

    user = make_user(Role.MEMBER, team=world.team_b, username="eva.öz@firma.de")
    person = make_person(user, first_name="Ida", last_name="Ärger")
    client = dav_client(user)
    book = "/dav/addressbooks/eva.%C3%B6z@firma.de/contacts/"
    responses, _token = sync(client, user)
    (href,) = responses
    assert href.startswith(book)
    body = ('<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop>'
            f"<card:address-data/></d:prop><d:href>{href}</d:href></card:addressbook-multiget>")
    answer = multistatus(call(client, "REPORT", book, body, depth="1"))
    assert vobject.readOne(found(answer[href])[f"{C}address-data"].text).fn.value == "Ida Ärger"
    assert client.get(href).status_code == 200 and person.pk


def test_sync_collection_with_a_limit_hands_out_the_changes_in_pages(world):
    client = dav_client(world.owner)
    make_person(world.owner, last_name="Zwei")
    make_person(world.owner, last_name="Drei")

    def page(token: str) -> tuple[set[str], bool, str]:
        body = sync_body(token).replace("</d:sync-collection>",
                                        "<d:limit><d:nresults>2</d:nresults></d:limit></d:sync-collection>")
        root = fromstring(content(call(client, "REPORT", BOOK.format("owner"), body)))
        statuses = {node.findtext(f"{D}href"): node.findtext(f"{D}status") for node in root.findall(f"{D}response")}
        truncated = statuses.pop(BOOK.format("owner"), None) == "HTTP/1.1 507 Insufficient Storage"
        return set(statuses), truncated, root.findtext(f"{D}sync-token")

    first, truncated, token = page("")
    assert len(first) == 2 and truncated
    second, truncated, token = page(token)
    assert len(second) == 1 and not truncated and not first & second
    assert page(token)[:2] == (set(), False)


def test_settings_page_speaks_german(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(world.owner)
    page = client.get("/carddav/").content.decode()
    assert "Adressbuch (CardDAV)" in page and "derzeit 1 Person." in page
