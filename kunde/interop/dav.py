"""CardDAV over HTTP (RFC 4918, 6352, 6578): a read-only address book per user.

URLs: `/.well-known/carddav` → `/dav/`; the principal `/dav/principals/<username>/`; the
home `/dav/addressbooks/<username>/`; the book `.../contacts/`; cards `.../contacts/<uid>.vcf`.
Requests are authenticated by HTTP Basic (username and personal API token) on every
request, without session or CSRF; another user's URL answers 404, so its existence never
leaks. Request XML is parsed with defusedxml (no DTDs, no entities); answers are written
by hand so that the namespace prefixes stay fixed and long answers can be streamed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast
from urllib.parse import quote, unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kunde.accounts.models import User
from kunde.contacts.models import Person
from kunde.core.export import export_audit
from kunde.interop.carddav import (
    Card,
    Locked,
    carddav_authenticate,
    carddav_card,
    carddav_cards,
    carddav_etags,
    carddav_sync_state_issue,
    representation_etag,
    sync_state_get,
    sync_state_snapshot,
    sync_state_token,
)
from kunde.interop.models import CardDavSyncState
from kunde.interop.vcard import VERSIONS, current_employment, uid_of

D, C, CS = "DAV:", "urn:ietf:params:xml:ns:carddav", "http://calendarserver.org/ns/"
PREFIXES = {D: "d", C: "card", CS: "cs"}
XML_TYPE = 'application/xml; charset="utf-8"'
VCARD_TYPE = "text/vcard; charset=utf-8"
READ_METHODS = ("OPTIONS", "GET", "HEAD", "PROPFIND", "REPORT")
WRITE_METHODS = frozenset({"PUT", "DELETE", "POST", "PATCH", "MKCOL", "PROPPATCH", "COPY", "MOVE", "LOCK", "UNLOCK",
                           "MKCALENDAR", "ACL"})
MAX_BODY = 1024 * 1024  # a multiget of 10,000 hrefs is about 1 MB
_CARD_NAME = re.compile(r"^kunde-person-(\d+)@[^/]+\.vcf$")


def clark(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _sep, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def element(tag: str, inner: str = "") -> str:
    """`tag` (Clark notation) as XML, declaring its namespace inline when it has no fixed prefix."""
    namespace, name = _split(tag)
    prefix = PREFIXES.get(namespace)
    if prefix is not None:
        opening = closing = f"{prefix}:{name}"
    else:
        closing = f"x:{name}" if namespace else name
        opening = f"{closing} xmlns:x={quoteattr(namespace)}" if namespace else f'{name} xmlns=""'
    return f"<{opening}>{inner}</{closing}>" if inner else f"<{opening}/>"


def _href(path: str) -> str:
    return element(clark(D, "href"), escape(path))


STATUS = {200: "HTTP/1.1 200 OK", 404: "HTTP/1.1 404 Not Found", 507: "HTTP/1.1 507 Insufficient Storage"}
MULTISTATUS_OPEN = ('<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus xmlns:d="DAV:" '
                    f'xmlns:card="{C}" xmlns:cs="{CS}">\n')


def response_xml(path: str, found: dict[str, str], missing: Iterable[str] = ()) -> str:
    """One `<d:response>`: the found properties with 200, the unknown ones in a 404 propstat."""
    parts = [_href(path)]
    if found:
        props = "".join(element(tag, inner) for tag, inner in found.items())
        parts.append(f"<d:propstat><d:prop>{props}</d:prop><d:status>{STATUS[200]}</d:status></d:propstat>")
    missing = list(missing)
    if missing:
        props = "".join(element(tag) for tag in missing)
        parts.append(f"<d:propstat><d:prop>{props}</d:prop><d:status>{STATUS[404]}</d:status></d:propstat>")
    return f"<d:response>{''.join(parts)}</d:response>\n"


def status_xml(path: str, status: int) -> str:
    return f"<d:response>{_href(path)}<d:status>{STATUS[status]}</d:status></d:response>\n"


def multistatus(chunks: Iterable[str], book: Book | None = None, what: str = "") -> StreamingHttpResponse:
    """A streamed 207 answer; when it carried cards, the export is audited once it is sent."""

    def body() -> Iterator[bytes]:
        yield MULTISTATUS_OPEN.encode()
        for chunk in chunks:
            yield chunk.encode()
        yield b"</d:multistatus>\n"
        if book is not None:
            book.audit_export(what)

    return StreamingHttpResponse(body(), status=207, content_type=XML_TYPE)


class DavError(Exception):
    """An answer other than 207: a status, a text for people and optionally a DAV precondition."""

    def __init__(self, status: int, message: str, precondition: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.precondition = status, message, precondition

    def response(self) -> HttpResponse:
        if self.precondition:
            body = (f'<?xml version="1.0" encoding="utf-8"?>\n<d:error xmlns:d="DAV:" xmlns:card="{C}">'
                    f"{element(self.precondition)}<d:responsedescription>{escape(self.message)}"
                    "</d:responsedescription></d:error>\n")
            return HttpResponse(body, status=self.status, content_type=XML_TYPE)
        return HttpResponse(self.message + "\n", status=self.status, content_type="text/plain; charset=utf-8")


# --- resources --------------------------------------------------------------------------


@dataclass
class Book:
    """The request's view of the user's address book; ETags and sync state computed once, when asked."""

    user: User
    _etags: dict[int, str] | None = None
    _state: CardDavSyncState | None = None
    request_id: str = ""
    exported: int = 0

    def audit_export(self, what: str) -> None:
        """Record in the audit log how many cards (with personal data) this request sent."""
        if self.exported:
            export_audit(actor=self.user, object_type="contacts.person", label="CardDAV", fmt="carddav",
                         rows=self.exported, query=what, complete=True, request_id=self.request_id)

    @property
    def etags(self) -> dict[int, str]:
        if self._etags is None:
            self._etags = carddav_etags(self.user)
        return self._etags

    @property
    def state(self) -> CardDavSyncState:
        if self._state is None:
            self._state = carddav_sync_state_issue(user=self.user, etags=self.etags)
        return self._state


@dataclass
class Resource:
    """What a DAV URL names: root, principal, home, book or one card."""

    kind: str
    path: str
    book: Book
    card: Card | None = None
    children: Callable[[], Iterable[Resource]] | None = field(default=None, repr=False)


def principal_path(user: User) -> str:
    return reverse("interop:dav_principal", kwargs={"username": user.get_username()})


def home_path(user: User) -> str:
    return reverse("interop:dav_home", kwargs={"username": user.get_username()})


def book_path(user: User) -> str:
    return reverse("interop:dav_book", kwargs={"username": user.get_username()})


@dataclass(frozen=True)
class _PersonId:
    """Just the primary key, all `uid_of` reads: a Person() instance costs far more per card."""

    pk: int


def card_name(person_id: int) -> str:
    return f"{uid_of(cast(Person, _PersonId(person_id)))}.vcf"


@lru_cache(maxsize=1024)
def _book_prefix(username: str) -> str:
    return reverse("interop:dav_book", kwargs={"username": username})


def card_path(user: User, person_id: int) -> str:
    # reverse() per card costs about a millisecond: a 100k-card listing builds paths by hand.
    return _book_prefix(user.get_username()) + quote(card_name(person_id), safe="@")


def person_id_of(name: str) -> int | None:
    """The person id a card file name names, if it is one Kunde gave out."""
    match = _CARD_NAME.match(name)
    if match is None or card_name(int(match.group(1))) != name:
        return None
    return int(match.group(1))


# --- properties -------------------------------------------------------------------------

PRIVILEGES = "<d:privilege><d:read/></d:privilege><d:privilege><d:read-current-user-privilege-set/></d:privilege>"
REPORTS = "".join(f"<d:supported-report><d:report>{element(report)}</d:report></d:supported-report>"
                  for report in (clark(C, "addressbook-multiget"), clark(C, "addressbook-query"),
                                 clark(D, "sync-collection")))
ADDRESS_DATA_TYPES = "".join(f'<card:address-data-type content-type="text/vcard" version="{version}"/>'
                             for version in VERSIONS)


def _collection_props(resource: Resource) -> dict[str, Callable[[], str]]:
    user = resource.book.user
    common: dict[str, Callable[[], str]] = {
        clark(D, "current-user-principal"): lambda: _href(principal_path(user)),
        clark(D, "principal-URL"): lambda: _href(principal_path(user)),
        clark(D, "owner"): lambda: _href(principal_path(user)),
        clark(D, "current-user-privilege-set"): lambda: PRIVILEGES,
        clark(C, "addressbook-home-set"): lambda: _href(home_path(user)),
    }
    if resource.kind == "principal":
        return common | {
            clark(D, "resourcetype"): lambda: "<d:collection/><d:principal/>",
            clark(D, "displayname"): lambda: escape(user.get_full_name() or user.get_username()),
        }
    if resource.kind == "book":
        book = resource.book
        return common | {
            clark(D, "resourcetype"): lambda: "<d:collection/><card:addressbook/>",
            clark(D, "displayname"): lambda: escape(_("Kunde contacts")),
            clark(C, "addressbook-description"): lambda: escape(
                _("The people you may see in Kunde (read-only).")),
            clark(CS, "getctag"): lambda: escape(book.state.digest),
            clark(D, "sync-token"): lambda: escape(sync_state_token(book.state)),
            clark(D, "supported-report-set"): lambda: REPORTS,
            clark(C, "supported-address-data"): lambda: ADDRESS_DATA_TYPES,
        }
    return common | {
        clark(D, "resourcetype"): lambda: "<d:collection/>",
        clark(D, "displayname"): lambda: "Kunde",
    }


# The card properties that need no more than the ETag; anything else reads the person.
LIGHT_CARD_PROPS = frozenset({clark(D, "getetag"), clark(D, "getcontenttype"), clark(D, "resourcetype")})
CARD_PROPS = (clark(D, "getetag"), clark(D, "getcontenttype"), clark(D, "resourcetype"),
              clark(D, "getlastmodified"), clark(D, "getcontentlength"), clark(C, "address-data"))
ALLPROP_CARD = CARD_PROPS[:5]  # address-data only when asked for (RFC 6352, 8.6)


def _card_value(tag: str, etag: str, card: Card | None, version: str, rendered: dict[str, str]) -> str | None:
    def body() -> str:
        if "body" not in rendered and card is not None:
            rendered["body"] = card.render(version)
        return rendered.get("body", "")

    if tag == clark(D, "getetag"):
        return escape(representation_etag(etag, version))
    if tag == clark(D, "getcontenttype"):
        return VCARD_TYPE if version == "3.0" else "text/vcard; charset=utf-8; version=4.0"
    if tag == clark(D, "resourcetype"):
        return ""
    if card is None:
        return None
    if tag == clark(D, "getlastmodified"):
        return http_date(card.person.updated_at.timestamp())
    if tag == clark(D, "getcontentlength"):
        return str(len(body().encode()))
    if tag == clark(C, "address-data"):
        return escape(body())
    return None


def card_response(path: str, etag: str, card: Card | None, props: Iterable[str], version: str = "3.0",
                  book: Book | None = None) -> str:
    found, missing, rendered = {}, [], {}  # type: ignore[var-annotated]
    for tag in props:
        value = _card_value(tag, etag, card, version, rendered)
        if value is None:
            missing.append(tag)
        else:
            found[tag] = value
    if book is not None and clark(C, "address-data") in found:
        book.exported += 1
    return response_xml(path, found, missing)


# --- request parsing --------------------------------------------------------------------


def parse_body(request: HttpRequest) -> Element | None:
    """The request's XML document, or None for an empty body; DTDs and entities are refused."""
    length = request.headers.get("Content-Length") or "0"
    if not length.isdigit():
        raise DavError(400, _("The Content-Length header must be a number."))
    if int(length) > MAX_BODY:
        raise DavError(413, _("The request body is too large."))
    body = request.body
    if not body.strip():
        return None
    try:
        root: Element = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise DavError(400, _("The request XML contains a DTD or entities, which are refused.")) from None
    except ParseError as error:
        raise DavError(400, _("The request body is not well-formed XML: %(error)s") % {"error": error}) from None
    return root


@dataclass
class PropRequest:
    """What a PROPFIND or REPORT asks for: named properties, all of them, or their names."""

    mode: str = "allprop"  # "prop", "allprop" or "propname"
    names: list[str] = field(default_factory=list)
    version: str = "3.0"


def prop_request(parent: Element | None) -> PropRequest:
    if parent is None:
        return PropRequest()
    if parent.find(clark(D, "propname")) is not None:
        return PropRequest(mode="propname")
    prop = parent.find(clark(D, "prop"))
    if prop is None:
        return PropRequest()
    names, version = [], "3.0"
    for child in prop:
        if not isinstance(child.tag, str):
            continue
        names.append(child.tag)
        if child.tag == clark(C, "address-data"):
            version = child.get("version", "3.0")
            content_type = child.get("content-type", "text/vcard")
            if version not in VERSIONS or content_type.lower() != "text/vcard":
                raise DavError(403, _("Only text/vcard in version 3.0 or 4.0 can be served."),
                               clark(C, "supported-address-data"))
    return PropRequest(mode="prop", names=names, version=version)


def depth_of(request: HttpRequest) -> str:
    depth = request.headers.get("Depth", "infinity").strip().lower()
    if depth not in {"0", "1", "infinity"}:
        raise DavError(400, _("The Depth header must be 0, 1 or infinity."))
    return depth


# --- methods ----------------------------------------------------------------------------


def _resource_response(resource: Resource, wanted: PropRequest) -> str:
    if resource.kind == "card":
        card = resource.card
        assert card is not None
        if wanted.mode == "propname":
            return response_xml(resource.path, dict.fromkeys(CARD_PROPS, ""))
        names = wanted.names if wanted.mode == "prop" else list(ALLPROP_CARD)
        return card_response(resource.path, card.etag, card, names, wanted.version, resource.book)
    props = _collection_props(resource)
    if wanted.mode == "propname":
        return response_xml(resource.path, dict.fromkeys(props, ""))
    names = wanted.names if wanted.mode == "prop" else list(props)
    found = {name: props[name]() for name in names if name in props}
    return response_xml(resource.path, found, [name for name in names if name not in props])


def _book_members(book: Book, wanted: PropRequest) -> Iterator[str]:
    user = book.user
    if wanted.mode == "prop" and set(wanted.names) <= LIGHT_CARD_PROPS:
        for person_id, etag in book.etags.items():
            yield card_response(card_path(user, person_id), etag, None, wanted.names, wanted.version)
        return
    for card in carddav_cards(user):
        yield _resource_response(Resource("card", card_path(user, card.person_id), book, card), wanted)


def propfind(request: HttpRequest, resource: Resource) -> HttpResponseBase:
    root = parse_body(request)
    if root is not None and root.tag != clark(D, "propfind"):
        raise DavError(400, _("A PROPFIND body must be a DAV:propfind element."))
    wanted = prop_request(root)
    depth = depth_of(request)
    # Cards are leaves, so "infinity" below a collection is the same as depth 1 here.

    def chunks() -> Iterator[str]:
        yield _resource_response(resource, wanted)
        if depth == "0":
            return
        if resource.kind == "home":
            yield _resource_response(_book(resource.book), wanted)
        elif resource.kind == "book":
            yield from _book_members(resource.book, wanted)

    return multistatus(chunks(), resource.book, "propfind")


def _hrefs_to_ids(user: User, hrefs: Iterable[str]) -> tuple[dict[int, str], list[str]]:
    """Map requested hrefs to person ids; hrefs that name no card of this book are returned apart."""
    book = unquote(book_path(user))  # compared with the unquoted request path
    ids, unknown = {}, []
    for href in hrefs:
        path = unquote(urlsplit(href.strip()).path)
        person_id = person_id_of(path.removeprefix(book)) if path.startswith(book) else None
        if person_id is None:
            unknown.append(href.strip())
        else:
            ids[person_id] = href.strip()
    return ids, unknown


def report_multiget(root: Element, book: Book) -> HttpResponseBase:
    wanted = prop_request(root)
    if wanted.mode != "prop":
        wanted = PropRequest(mode="prop", names=[clark(D, "getetag"), clark(C, "address-data")])
    hrefs = [node.text or "" for node in root.findall(clark(D, "href"))]
    ids, unknown = _hrefs_to_ids(book.user, hrefs)

    def chunks() -> Iterator[str]:
        seen = set()
        for card in carddav_cards(book.user, ids):
            seen.add(card.person_id)
            yield card_response(ids[card.person_id], card.etag, card, wanted.names, wanted.version, book)
        for person_id, href in ids.items():
            if person_id not in seen:  # not (or no longer) visible to this user: like it never existed
                yield status_xml(href, 404)
        for href in unknown:
            yield status_xml(href, 404)

    return multistatus(chunks(), book, "addressbook-multiget")


MATCH_TYPES = {"equals", "contains", "starts-with", "ends-with"}
COLLATIONS: dict[str, Callable[[str], str]] = {
    "i;unicode-casemap": str.casefold, "i;ascii-casemap": str.lower, "i;octet": str,
}


@dataclass(frozen=True)
class TextMatch:
    text: str
    match_type: str
    negate: bool
    fold: Callable[[str], str]

    def matches(self, value: str) -> bool:
        needle, haystack = self.fold(self.text), self.fold(value)
        result = {
            "equals": haystack == needle, "contains": needle in haystack,
            "starts-with": haystack.startswith(needle), "ends-with": haystack.endswith(needle),
        }[self.match_type]
        return result != self.negate


@dataclass(frozen=True)
class PropFilter:
    name: str
    is_not_defined: bool
    matches: tuple[TextMatch, ...]
    all_of: bool


def _card_values(card: Card, name: str) -> list[str]:
    person = card.person
    if name == "FN":
        return [person.full_name or person.last_name]
    if name == "EMAIL":
        return [email.email for email in person.emails.all()]
    if name == "TEL":
        return [phone.number for phone in person.phones.all()]
    if name == "UID":
        return [uid_of(person)]
    if name == "ORG":
        organisation = current_employment(person)[0]
        return [organisation] if organisation else []
    return []  # a property Kunde does not write is "not defined" on every card


def _prop_filter_matches(flt: PropFilter, card: Card) -> bool:
    values = _card_values(card, flt.name)
    if flt.is_not_defined:
        return not values
    if not values:
        return False
    if not flt.matches:
        return True
    results = [any(match.matches(value) for value in values) for match in flt.matches]
    return all(results) if flt.all_of else any(results)


def parse_filter(node: Element | None) -> tuple[list[PropFilter], bool]:
    if node is None:
        return [], False
    filters = []
    for prop_filter in node.findall(clark(C, "prop-filter")):
        if prop_filter.find(clark(C, "param-filter")) is not None:
            raise DavError(403, _("Filters on parameters are not supported."), clark(C, "supported-filter"))
        matches = []
        for text_match in prop_filter.findall(clark(C, "text-match")):
            match_type = text_match.get("match-type", "contains")
            collation = text_match.get("collation", "i;unicode-casemap")
            if match_type not in MATCH_TYPES:
                raise DavError(400, _("Unknown match-type %(type)s.") % {"type": match_type})
            if collation not in COLLATIONS:
                raise DavError(403, _("Unsupported collation %(name)s.") % {"name": collation},
                               clark(C, "supported-collation"))
            matches.append(TextMatch(text=text_match.text or "", match_type=match_type,
                                     negate=text_match.get("negate-condition", "no") == "yes",
                                     fold=COLLATIONS[collation]))
        filters.append(PropFilter(name=prop_filter.get("name", "").upper(),
                                  is_not_defined=prop_filter.find(clark(C, "is-not-defined")) is not None,
                                  matches=tuple(matches), all_of=prop_filter.get("test", "anyof") == "allof"))
    return filters, node.get("test", "anyof") == "allof"


def _limit(root: Element) -> int | None:
    node = root.find(f"{clark(C, 'limit')}/{clark(C, 'nresults')}")
    if node is None:
        return None
    try:
        return max(0, int((node.text or "").strip()))
    except ValueError:
        raise DavError(400, _("nresults must be a number.")) from None


def report_query(root: Element, book: Book, path: str) -> HttpResponseBase:
    wanted = prop_request(root)
    filters, all_of = parse_filter(root.find(clark(C, "filter")))
    limit = _limit(root)

    def chunks() -> Iterator[str]:
        count = 0
        for card in carddav_cards(book.user):
            results = [_prop_filter_matches(flt, card) for flt in filters]
            if filters and not (all(results) if all_of else any(results)):
                continue
            if limit is not None and count >= limit:
                yield status_xml(path, 507)  # truncated: RFC 6352, 8.6.1
                return
            count += 1
            yield _resource_response(Resource("card", card_path(book.user, card.person_id), book, card), wanted)

    return multistatus(chunks(), book, "addressbook-query")


def _sync_limit(root: Element) -> int | None:
    node = root.find(f"{clark(D, 'limit')}/{clark(D, 'nresults')}")
    if node is None:
        return None
    text = (node.text or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise DavError(400, _("nresults must be a positive number."))
    return int(text)


def report_sync(root: Element, book: Book) -> HttpResponseBase:
    token = (root.findtext(clark(D, "sync-token")) or "").strip()
    level = (root.findtext(clark(D, "sync-level")) or "1").strip()
    if level not in {"1", "infinite"}:  # an address book has no sub-collections: both are the same
        raise DavError(400, _("sync-level must be 1 or infinite."))
    wanted = prop_request(root)
    if wanted.mode != "prop":
        wanted = PropRequest(mode="prop", names=[clark(D, "getetag")])
    previous: dict[int, str] = {}
    if token:
        state = sync_state_get(book.user, token)
        if state is None:
            raise DavError(403, _("The sync token is unknown or expired; sync again without a token."),
                           clark(D, "valid-sync-token"))
        previous = sync_state_snapshot(state)
    current = book.etags
    changed = [person_id for person_id, etag in current.items() if previous.get(person_id) != etag]
    removed = [person_id for person_id in previous if person_id not in current]
    limit = _sync_limit(root)
    truncated = limit is not None and len(changed) + len(removed) > limit
    if limit is not None and truncated:
        # RFC 6578 3.6: send the first `limit` differences and a token for exactly that much
        # progress (the old snapshot with them applied); the client asks again with it.
        changed, removed = changed[:limit], removed[:max(0, limit - len(changed))]
        partial = dict(previous) | {person_id: current[person_id] for person_id in changed}
        for person_id in removed:
            del partial[person_id]
        new_token = sync_state_token(carddav_sync_state_issue(user=book.user, etags=partial))
    else:
        new_token = sync_state_token(book.state)

    def chunks() -> Iterator[str]:
        if set(wanted.names) <= LIGHT_CARD_PROPS:
            for person_id in changed:
                yield card_response(card_path(book.user, person_id), current[person_id], None, wanted.names,
                                    wanted.version)
        else:
            sent = set()
            for card in carddav_cards(book.user, changed):
                sent.add(card.person_id)
                yield card_response(card_path(book.user, card.person_id), card.etag, card, wanted.names,
                                    wanted.version, book)
            # Gone between the two reads: removed now, as the next snapshot will say too.
            removed.extend(person_id for person_id in changed if person_id not in sent)
        for person_id in removed:
            yield status_xml(card_path(book.user, person_id), 404)
        if truncated:
            yield status_xml(book_path(book.user), 507)
        yield f"<d:sync-token>{escape(new_token)}</d:sync-token>\n"

    return multistatus(chunks(), book, "sync-collection")


def report(request: HttpRequest, resource: Resource) -> HttpResponseBase:
    root = parse_body(request)
    if root is None:
        raise DavError(400, _("A REPORT needs a body."))
    if resource.kind != "book":
        raise DavError(403, _("Reports are answered on the address book only."), clark(D, "supported-report"))
    if root.tag == clark(C, "addressbook-multiget"):
        return report_multiget(root, resource.book)
    if root.tag == clark(C, "addressbook-query"):
        return report_query(root, resource.book, resource.path)
    if root.tag == clark(D, "sync-collection"):
        return report_sync(root, resource.book)
    raise DavError(403, _("This report is not supported."), clark(D, "supported-report"))


def _accepts_version(request: HttpRequest) -> str:
    """vCard 4.0 when the client asks for it in Accept (`text/vcard; version=4.0`), else 3.0."""
    for item in request.headers.get("Accept", "").split(","):
        media, *params = (part.strip().lower() for part in item.split(";"))
        if media in {"text/vcard", "text/*", "*/*"} and "version=4.0" in params:
            return "4.0"
    return "3.0"


def get_card(request: HttpRequest, resource: Resource) -> HttpResponse:
    card = resource.card
    if card is None:  # GET on a collection: say what it is instead of listing it
        return HttpResponse(_("This is a CardDAV address book; connect a CardDAV client.") + "\n",
                            content_type="text/plain; charset=utf-8")
    version = _accepts_version(request)
    etag = representation_etag(card.etag, version)
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        response = HttpResponse(status=304)
    else:
        body = card.render(version).encode()
        response = HttpResponse(b"" if request.method == "HEAD" else body,
                                content_type=VCARD_TYPE if version == "3.0" else VCARD_TYPE + "; version=4.0")
        response["Content-Length"] = str(len(body))
    response["ETag"] = etag
    response["Last-Modified"] = http_date(card.person.updated_at.timestamp())
    response["Vary"] = "Accept"
    return response


def options() -> HttpResponse:
    response = HttpResponse(status=200)
    response["DAV"] = "1, 3, addressbook"
    response["Allow"] = ", ".join(READ_METHODS)
    response["Content-Length"] = "0"
    return response


def unauthorized() -> HttpResponse:
    response = HttpResponse(_("Sign in with your Kunde username and a personal API token as the password.") + "\n",
                            status=401, content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = 'Basic realm="Kunde", charset="UTF-8"'
    return response


def _book(book: Book) -> Resource:
    return Resource("book", book_path(book.user), book)


def resolve(kind: str, user: User, name: str, request_id: str = "") -> Resource | None:
    book = Book(user, request_id=request_id)
    if kind == "root":
        return Resource("root", reverse("interop:dav_root"), book)
    if kind == "principal":
        return Resource("principal", principal_path(user), book)
    if kind == "home":
        return Resource("home", home_path(user), book)
    if kind == "book":
        return _book(book)
    person_id = person_id_of(name)
    card = carddav_card(user, person_id) if person_id is not None else None
    return Resource("card", card_path(user, card.person_id), book, card) if card is not None else None


@csrf_exempt
def dav(request: HttpRequest, kind: str, username: str = "", name: str = "") -> HttpResponseBase:
    """Every CardDAV URL: authenticate, keep to the user's own book, answer the method."""
    if request.method == "OPTIONS":
        return options()
    try:
        user = carddav_authenticate(request)
    except Locked:
        return DavError(429, _("Too many failed sign-ins; try again later.")).response()
    if user is None:
        return unauthorized()
    try:
        # Another user's URL is answered as if it did not exist.
        if kind != "root" and username != user.get_username():
            raise DavError(404, _("Not found."))
        if request.method in WRITE_METHODS:
            raise DavError(403, _("This address book is read-only: change people in Kunde itself."),
                           clark(D, "need-privileges"))
        resource = resolve(kind, user, name, getattr(request, "request_id", ""))
        if resource is None:
            raise DavError(404, _("Not found."))
        if request.method == "PROPFIND":
            return propfind(request, resource)
        if request.method == "REPORT":
            return report(request, resource)
        if request.method in {"GET", "HEAD"}:
            return get_card(request, resource)
        response = DavError(405, _("Method not allowed.")).response()
        response["Allow"] = ", ".join(READ_METHODS)
        return response
    except DavError as error:
        return error.response()


@csrf_exempt
def well_known(request: HttpRequest) -> HttpResponse:
    """RFC 6764 service discovery: the DAV root answers current-user-principal."""
    response = HttpResponse(status=301)
    response["Location"] = reverse("interop:dav_root")
    return response

