"""URL census: every page and every API operation refuses anonymous visitors, unless it is public on purpose.

The test walks the real URL map and the API's OpenAPI operations, so a new view or endpoint
is covered the day it is added: either it refuses anonymous access (a redirect to a sign-in
page, 401 or 403) or it is on PUBLIC below, with the reason it may be reached without an
account. Dummy ids (999999) and tokens ("x") are used, so a public page must also cope with
a forged link without a server error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kunde.api import api

pytestmark = pytest.mark.django_db

# URL name -> why it may be reached without an account.
PUBLIC = {
    "login": "the sign-in page", "logout": "signing out",
    "set_language": "the language switch of every page",
    "service:csat": "satisfaction survey (signed link)",
    "service:portal_login": "customer portal sign-in", "service:portal_magic": "customer portal (signed link)",
    "service:portal_logout": "customer portal sign-out",
    "knowledge:help_root": "public help centre", "knowledge:help_home": "public help centre",
    "knowledge:help_search": "public help centre", "knowledge:help_category": "public help centre",
    "knowledge:help_article": "public help centre",
    "audience:unsubscribe": "one-click unsubscribe (signed link)",
    "audience:consent_confirm": "double opt-in (signed link)", "audience:preferences": "preferences (signed link)",
    "campaigns:survey_answer": "survey (signed link)", "campaigns:click": "tracked link (signed)",
    "campaigns:open": "open pixel (signed)",
    "sales:public_lead_form": "the embeddable web form",
    "commerce:quote_answer": "quote acceptance (signed link)",
    "interop:calendar_feed": "calendar subscription (secret URL)",
    "interop:dav_well_known": "CardDAV discovery (RFC 6764)",
    "customer_events:public_registration": "event registration (personal signed link)",
    "partners:portal_login": "partner portal sign-in", "partners:portal_magic": "partner portal (signed link)",
    "partners:portal_logout": "partner portal sign-out",
}
SIGN_IN = re.compile(r"^/(accounts|portal|partner)/login/")
REFUSED = {401, 403}


def _dummy(route: str) -> str:
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "x", route)  # regex routes first: their groups look like <name>
    route = re.sub(r"<int:\w+>", "999999", route)
    route = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", route)
    route = re.sub(r"<(?:\w+:)?\w+>", "x", route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def pages(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(dummy URL, URL name) of every view outside the API, Django's admin and static files."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
            yield from pages(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if route.startswith(("api/v1/", "django-admin/", "static/")):
                continue
            yield _dummy(route), f"{namespace}:{pattern.name}".strip(":") if pattern.name else route


PAGES = sorted(set(pages(get_resolver().url_patterns)))


def test_the_public_list_names_only_real_pages():
    assert sorted(set(PUBLIC) - {name for _, name in PAGES}) == []


def _refused(response) -> bool:
    if response.status_code in REFUSED:
        return True
    return response.status_code in {301, 302} and bool(SIGN_IN.match(response.get("Location", "")))


@pytest.mark.parametrize("url, name", PAGES, ids=[name for _, name in PAGES])
def test_every_page_refuses_anonymous_visitors_unless_public(url, name, default_rows):
    client = Client(raise_request_exception=False)
    answers = {method: getattr(client, method)(url) for method in ("get", "post")}
    if name in PUBLIC:
        assert all(r.status_code < 500 for r in answers.values()), f"{name}: {answers}"
        return
    served = {method: r for method, r in answers.items() if r.status_code != 405}
    assert served, f"{name} ({url}) answers neither GET nor POST"
    leaks = {method: (r.status_code, r.get("Location")) for method, r in served.items() if not _refused(r)}
    assert not leaks, f"{name} ({url}) is served to anonymous visitors: {leaks}; protect it or add it to PUBLIC"


def operations() -> Iterator[tuple[str, str, bool]]:
    """(method, dummy path, needs authentication) of every operation in the OpenAPI document."""
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, re.sub(r"\{\w+\}", "999999", path.removeprefix("/api/v1")), bool(operation.get("security"))


OPERATIONS = sorted(operations())
PUBLIC_OPERATIONS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("method, path, secured", OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_api_operation_answers_401_without_credentials(method, path, secured):
    if (method, path) in PUBLIC_OPERATIONS:
        return
    assert secured, f"{method.upper()} {path} declares no authentication"
    client = Client(raise_request_exception=False)
    body = {} if method in {"get", "delete"} else {"data": "{}", "content_type": "application/json"}
    response = getattr(client, method)("/api/v1" + path, **body)
    assert response.status_code == 401, f"{method.upper()} {path}: {response.status_code}"
