"""Login page, lockout after failed logins, idle session expiry, API tokens in the UI."""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from kunde.accounts.models import ApiToken, hash_token
from kunde.accounts.services import api_token_authenticate, api_token_create
from kunde.core.models import AuditEntry
from kunde.core.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
TOKENS = "/accounts/tokens/"


def login(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- login and logout ----------------------------------------------------------------


def test_login_page_renders(client, default_rows, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Log in to Kunde" in html
    assert 'autocomplete="current-password"' in html
    assert "you are logged out after 30 minutes without activity" in html


def test_login_and_logout(client, world):
    response = login(client, "owner", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert is_logged_in(client)
    assert client.get("/accounts/logout/").status_code == 405  # logout is POST only
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not is_logged_in(client)


def test_login_redirects_only_to_this_site(client, world):
    response = client.post(LOGIN + "?next=https://evil.example/", {
        "username": "owner", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_wrong_password_shows_an_error(client, world):
    response = login(client, "owner", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    assert not is_logged_in(client)


def test_inactive_user_cannot_log_in(client, world):
    world.owner.is_active = False
    world.owner.save()
    login(client, "owner", PASSWORD)
    assert not is_logged_in(client)


def test_lockout_after_five_failures_with_cool_off(client, world):
    for _attempt in range(4):
        assert login(client, "owner", "wrong").status_code == 200
    response = login(client, "owner", "wrong")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Login locked for now" in html
    assert "There were 5 failed login attempts" in html
    assert "Try again in 15 minutes." in html
    # Even the right password is refused during the cool-off.
    response = login(client, "owner", PASSWORD)
    assert response.status_code == 429
    assert not is_logged_in(client)
    # Other accounts are not affected.
    login(client, "teammate", PASSWORD)
    assert is_logged_in(client)


def test_lockout_ends_after_the_cool_off(client, world):
    for _attempt in range(5):
        login(client, "owner", "wrong")
    assert login(client, "owner", PASSWORD).status_code == 429
    # Sixteen minutes pass (the cool-off is fifteen).
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    response = login(client, "owner", PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_success_resets_the_failure_count(client, world):
    for _attempt in range(4):
        login(client, "owner", "wrong")
    login(client, "owner", PASSWORD)
    client.post("/accounts/logout/")
    for _attempt in range(4):
        assert login(client, "owner", "wrong").status_code == 200
    assert login(client, "owner", PASSWORD).status_code == 302


# --- idle session timeout --------------------------------------------------------------


def test_session_expires_after_idle_time_but_not_while_active(client, world, settings):
    settings.SESSION_COOKIE_AGE = 30 * 60  # what SESSION_IDLE_TIMEOUT configures
    assert settings.SESSION_SAVE_EVERY_REQUEST
    login(client, "owner", PASSWORD)
    start = timezone.now()
    # Active every 20 minutes for an hour: still logged in (the expiry slides).
    for minutes in (20, 40, 60):
        with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(minutes=minutes)):
            response = client.get(TOKENS)
        assert response.status_code == 200, minutes
    # 31 idle minutes later the session is gone.
    with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(minutes=91)):
        response = client.get(TOKENS)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/tokens/"


# --- API tokens ----------------------------------------------------------------------


def create_token(client, **data):
    data = {"name": "ERP sync", "scope": "write", "expires_on": "", **data}
    return client.post(TOKENS, data)


def shown_secret(response) -> str:
    match = re.search(r'id="new-token" value="(kunde_[^"]+)"', response.content.decode())
    assert match, "the new secret is shown"
    return match.group(1)


def test_navigation_links_to_the_token_page(client, world):
    client.force_login(world.read_only)
    assert 'href="/accounts/tokens/">API tokens</a>' in client.get(TOKENS).content.decode()


def test_token_page_needs_login(client, default_rows):
    response = client.get(TOKENS)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_create_token_shows_the_secret_once_and_stores_only_its_hash(client, world):
    client.force_login(world.owner)
    response = create_token(client, expires_on=(timezone.localdate() + dt.timedelta(days=30)).isoformat())
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = shown_secret(response)
    token = ApiToken.objects.get(user=world.owner)
    assert (token.name, token.scope) == ("ERP sync", "write")
    assert token.token_hash == hash_token(secret)
    assert token.hint == secret[:10]
    assert timezone.localtime(token.expires_at).date() == timezone.localdate() + dt.timedelta(days=30)
    # The secret is stored nowhere in clear: not in the token row, not in the audit trail.
    stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=token.pk).values().get().values())
    assert secret not in stored
    assert not [e for e in AuditEntry.objects.all() if secret in str(e.changes) or secret in e.object_repr]
    # It works for the API, and it is never shown again.
    assert api_token_authenticate(secret) == token
    listing = client.get(TOKENS).content.decode()
    assert secret not in listing
    assert f"<code>{token.hint}…</code>" in listing
    assert "ERP sync" in listing and "Read and write" in listing


def test_token_list_shows_only_own_tokens_with_status(client, world):
    api_token_create(user=world.owner, name="Mine")
    expired, _secret = api_token_create(user=world.owner, name="Old")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    api_token_create(user=world.teammate, name="Someone else's")
    client.force_login(world.owner)
    html = client.get(TOKENS).content.decode()
    assert "Mine" in html and "Old" in html and "Someone else" not in html
    assert html.count(">active</span>") == 1
    assert html.count(">expired</span>") == 1
    assert "never" in html  # last used


@pytest.mark.parametrize(("data", "error"), [
    ({"name": ""}, "This field is required."),
    ({"expires_on": "2000-01-01"}, "Choose a date in the future."),
    ({"scope": "admin"}, "Select a valid choice."),
])
def test_invalid_token_form_creates_nothing(client, world, data, error):
    client.force_login(world.owner)
    response = create_token(client, **data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert 'id="new-token"' not in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_own_token(client, world):
    token, secret = api_token_create(user=world.owner, name="Mine")
    client.force_login(world.owner)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == TOKENS
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_token_authenticate(secret) is None
    assert ">revoked</span>" in client.get(TOKENS).content.decode()


def test_cannot_revoke_someone_elses_token(client, world):
    token, secret = api_token_create(user=world.teammate, name="Theirs")
    client.force_login(world.owner)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_token_authenticate(secret) == token
