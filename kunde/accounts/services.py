"""Writes for users, teams and API tokens."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kunde.accounts.models import ApiToken, Role, Team, User, hash_token
from kunde.core.audit import audit_record, snapshot
from kunde.core.models import AuditEntry


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role_key: str = Role.MEMBER,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    teams: list[Team] | None = None,
    is_superuser: bool = False,
) -> User:
    """Create a user with a role and teams; the password is hashed with Argon2."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=Role.objects.get(key=role_key),
        is_superuser=is_superuser,
        is_staff=is_superuser,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    if teams:
        user.teams.set(teams)
    after = snapshot(user)
    after.pop("password", None)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=user, after=after)
    return user


@transaction.atomic
def team_create(*, actor: User | None, name: str, lead: User | None = None) -> Team:
    """Create a team."""
    team = Team(name=name, lead=lead)
    team.full_clean()
    team.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, instance=team, after=snapshot(team))
    return team


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scope: str = ApiToken.TokenScope.READ, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user`; return it with the secret, which is never stored."""
    secret = ApiToken.generate_secret()
    token = ApiToken(
        user=user, name=name, scope=scope, expires_at=expires_at,
        token_hash=hash_token(secret), hint=secret[: len(ApiToken.PREFIX) + 4],
    )
    token.full_clean()
    token.save()
    audit_record(actor=user, action=AuditEntry.Action.CREATE, instance=token,
                 after={"name": name, "scope": scope})
    return token, secret


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> ApiToken:
    """Revoke one of `user`'s own tokens."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=user, action=AuditEntry.Action.DELETE, instance=token)
    return token


def api_token_authenticate(secret: str) -> ApiToken | None:
    """Return the usable token matching `secret`, recording its use, or None."""
    if not secret.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.select_related("user", "user__role").filter(token_hash=hash_token(secret)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    # Written at most once a minute: a busy integration must not turn reads into writes.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
