"""A real CardDAV client (vdirsyncer) syncs the address book from a real HTTP server to .vcf files."""

from __future__ import annotations

import base64
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import vobject
from defusedxml.ElementTree import fromstring

from kunde.accounts.services import api_token_create
from kunde.contacts.services import person_delete, person_update
from kunde.core.testing.factories import make_person

pytestmark = pytest.mark.django_db(transaction=True)

VDIRSYNCER = Path(sys.executable).parent / "vdirsyncer"


@dataclass
class Phone:
    """One vdirsyncer setup: a carddav storage on the live server and a folder of .vcf files."""

    config: Path
    folder: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(VDIRSYNCER), "-c", str(self.config), *args], input="y\n" * 5,  # noqa: S603
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def sync(self) -> dict[str, vobject.base.Component]:
        self.run("sync")
        return self.cards()

    def files(self) -> dict[Path, tuple[int, str]]:
        """Every .vcf file with its modification time and text."""
        return {path: (path.stat().st_mtime_ns, path.read_text(encoding="utf-8"))
                for path in self.folder.rglob("*.vcf")}

    def cards(self) -> dict[str, vobject.base.Component]:
        """The cards on disk by full name."""
        cards = {}
        for path in sorted(self.folder.rglob("*.vcf")):
            card = vobject.readOne(path.read_text(encoding="utf-8"))
            cards[card.fn.value] = card
        return cards


def phone_for(tmp_path: Path, live_server, user, secret: str | None = None, name: str = "phone") -> Phone:
    secret = secret or api_token_create(user=user, name="vdirsyncer")[1]
    base = tmp_path / name
    folder = base / "cards"
    config = base / "config"
    base.mkdir()
    # Discovery from the server root (current-user-principal → addressbook-home-set → book), as phones do.
    config.write_text(f"""[general]
status_path = "{base / 'status'}/"

[pair kunde]
a = "kunde_remote"
b = "kunde_local"
collections = ["from a"]

[storage kunde_remote]
type = "carddav"
url = "{live_server.url}/"
username = "{user.username}"
password = "{secret}"
read_only = true

[storage kunde_local]
type = "filesystem"
path = "{folder}/"
fileext = ".vcf"
""", encoding="utf-8")
    phone = Phone(config=config, folder=folder)
    phone.run("discover")
    return phone


def test_owner_syncs_exactly_the_people_they_may_see_and_follows_changes(world, live_server, tmp_path):
    anna = make_person(world.teammate, first_name="Anna-Lena", last_name="Çelik-Øster",
                       emails=[{"email": "anna@example.de"}])
    moved = make_person(world.owner, first_name="Wechselt", last_name="Team")
    gone = make_person(world.owner, first_name="Wird", last_name="Gelöscht")
    make_person(world.other_team, first_name="Nicht", last_name="Sichtbar")
    phone = phone_for(tmp_path, live_server, world.owner)

    cards = phone.sync()
    assert set(cards) == {"Jürgen Müller", "Anna-Lena Çelik-Øster", "Wechselt Team", "Wird Gelöscht"}
    assert cards["Anna-Lena Çelik-Øster"].email.value == "anna@example.de"
    assert cards["Jürgen Müller"].org.value == ["Gunther Glas"]
    assert cards["Jürgen Müller"].uid.value == f"kunde-person-{world.person.pk}@kunde.local"

    person_update(actor=world.admin, person=anna, expected_version=None, changes={"last_name": "Çelik"},
                  phones=[{"number": "+49 40 123456", "kind": "mobile"}])
    person_update(actor=world.admin, person=moved, expected_version=None,
                  changes={"owner": world.other_team, "team": world.team_b})
    person_delete(actor=world.admin, person=gone)
    cards = phone.sync()
    assert set(cards) == {"Jürgen Müller", "Anna-Lena Çelik"}
    assert cards["Anna-Lena Çelik"].tel.value == "+4940123456"

    before = phone.files()
    phone.sync()
    assert phone.files() == before  # nothing changed: no file rewritten


def test_another_team_never_receives_the_owners_people(world, live_server, tmp_path):
    make_person(world.other_team, first_name="Eigene", last_name="Kundin")
    cards = phone_for(tmp_path, live_server, world.other_team).sync()
    assert set(cards) == {"Eigene Kundin"}


def test_a_client_with_a_wrong_token_syncs_nothing(world, live_server, tmp_path):
    base = tmp_path / "bad"
    base.mkdir()
    config = base / "config"
    config.write_text(f"""[general]
status_path = "{base / 'status'}/"

[pair kunde]
a = "kunde_remote"
b = "kunde_local"
collections = ["from a"]

[storage kunde_remote]
type = "carddav"
url = "{live_server.url}/"
username = "owner"
password = "kunde_wrong"

[storage kunde_local]
type = "filesystem"
path = "{base / 'cards'}/"
fileext = ".vcf"
""", encoding="utf-8")
    result = subprocess.run([str(VDIRSYNCER), "-c", str(config), "discover"], input="y\n",  # noqa: S603
                            capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode != 0
    assert "401" in result.stdout + result.stderr
    assert not list(base.rglob("*.vcf"))


# --- raw protocol over the live server ------------------------------------------------


def _request(url: str, method: str, user, secret: str, body: str = "", depth: str = "1") -> tuple[int, bytes]:
    credentials = base64.b64encode(f"{user.username}:{secret}".encode()).decode()
    request = urllib.request.Request(url, data=body.encode() or None, method=method, headers={  # noqa: S310
        "Authorization": f"Basic {credentials}", "Depth": depth, "Content-Type": "application/xml"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_sync_collection_over_http_streams_changes_and_removals(world, live_server):
    secret = api_token_create(user=world.owner, name="raw")[1]
    url = f"{live_server.url}/dav/addressbooks/owner/contacts/"
    body = ('<d:sync-collection xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:sync-token>{}'
            "</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/><card:address-data/></d:prop>"
            "</d:sync-collection>")
    status, answer = _request(url, "REPORT", world.owner, secret, body.format(""))
    assert status == 207
    root = fromstring(answer)
    token = root.findtext("{DAV:}sync-token")
    assert len(root.findall("{DAV:}response")) == 1
    person_update(actor=world.owner, person=world.person, expected_version=None, changes={"first_name": "Jörg"})
    added = make_person(world.owner, first_name="Neu", last_name="Hinzu")
    status, answer = _request(url, "REPORT", world.owner, secret, body.format(token))
    root = fromstring(answer)
    names = sorted(vobject.readOne(node.findtext(".//{urn:ietf:params:xml:ns:carddav}address-data")).fn.value
                   for node in root.findall("{DAV:}response"))
    assert status == 207 and names == ["Jörg Müller", "Neu Hinzu"]
    person_delete(actor=world.admin, person=added)
    status, answer = _request(url, "REPORT", world.owner, secret, body.format(root.findtext("{DAV:}sync-token")))
    (removed,) = fromstring(answer).findall("{DAV:}response")
    assert removed.findtext("{DAV:}status") == "HTTP/1.1 404 Not Found"
    assert removed.findtext("{DAV:}href").endswith(f"kunde-person-{added.pk}@kunde.local.vcf")


def test_over_http_wrong_password_is_401_and_foreign_book_404(world, live_server):
    secret = api_token_create(user=world.other_team, name="raw")[1]
    url = f"{live_server.url}/dav/addressbooks/owner/contacts/"
    assert _request(url, "PROPFIND", world.other_team, secret)[0] == 404
    assert _request(url, "PROPFIND", world.owner, "kunde_wrong")[0] == 401
    status, body = _request(f"{live_server.url}/dav/", "PROPFIND", world.other_team, secret, depth="0")
    assert status == 207
    assert fromstring(body).findtext(".//{DAV:}current-user-principal/{DAV:}href") == "/dav/principals/other/"
