"""Users, teams, roles and API tokens: who may see and change which records."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kunde.core.permissions import Scope
from kunde.core.personal_data import Category


class Role(models.Model):
    """A named bundle of record scopes (admin, manager, member, read-only, or custom)."""

    ADMIN = "admin"
    MANAGER = "manager"
    MEMBER = "member"
    READ_ONLY = "readonly"

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    view_scope = models.CharField(_("may view"), max_length=8, choices=Scope.choices)
    edit_scope = models.CharField(_("may change"), max_length=8, choices=Scope.choices)
    can_delete = models.BooleanField(_("may delete"), default=False)
    is_admin = models.BooleanField(_("administrator"), default=False)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of users; records owned by a team are visible to its members."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    lead = models.ForeignKey(
        "accounts.User", verbose_name=_("team lead"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who works in Kunde."""

    role = models.ForeignKey(
        Role, verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="members")
    language = models.CharField(_("language"), max_length=8, blank=True)

    personal_data = {
        "username": Category.IDENTITY, "first_name": Category.IDENTITY, "last_name": Category.IDENTITY,
        "email": Category.CONTACT,
    }

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def primary_team(self) -> Team | None:
        return self.teams.order_by("id").first()


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the secret is shown once."""

    class TokenScope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    PREFIX = "kunde_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=16, editable=False)
    scope = models.CharField(_("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.READ)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    personal_data: dict[str, Category] = {}

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def generate_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
