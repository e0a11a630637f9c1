"""`kunde createadmin`: create a superuser with the admin role, through the accounts service."""

from __future__ import annotations

import getpass
import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kunde.accounts.models import Role, User
from kunde.accounts.services import user_create
from kunde.core.context import request_id_scope

PASSWORD_ENV = "KUNDE_ADMIN_PASSWORD"  # noqa: S105 (the variable's name, not a password)


class Command(BaseCommand):
    help = (
        "Create an administrator (superuser with the admin role). The password comes from "
        f"--password, the {PASSWORD_ENV} environment variable, or a prompt."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin", help="Login name (default: %(default)s).")
        parser.add_argument("--email", default="", help="E-mail address.")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--password",
            help=f"The password (visible in the process list; prefer the prompt or {PASSWORD_ENV}).",
        )
        parser.add_argument("--no-input", action="store_false", dest="interactive", help="Never prompt.")
        parser.add_argument(
            "--if-missing", action="store_true", help="Do nothing, successfully, when the user exists."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"].strip()
        if not username:
            raise CommandError("The username must not be empty.")
        if User.objects.filter(username=username).exists():
            if options["if_missing"]:
                self.stdout.write(f"User {username} exists already; nothing to do.")
                return
            raise CommandError(f"A user named {username!r} exists already.")
        password = options["password"] or os.environ.get(PASSWORD_ENV)
        candidate = User(username=username, email=options["email"],
                         first_name=options["first_name"], last_name=options["last_name"])
        if password:
            self._validate(password, candidate)
        elif options["interactive"] and sys.stdin.isatty():
            password = self._prompt(candidate)
        else:
            raise CommandError(f"No password: pass --password, set {PASSWORD_ENV}, or run in a terminal.")
        with request_id_scope():
            try:
                user = user_create(
                    actor=None, username=username, password=password, role_key=Role.ADMIN,
                    email=options["email"], first_name=options["first_name"],
                    last_name=options["last_name"], is_superuser=True,
                )
            except ValidationError as exc:
                raise CommandError(_messages(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Administrator {user.username} created."))

    def _validate(self, password: str, user: User) -> None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("The password is too weak: " + " ".join(exc.messages)) from None

    def _prompt(self, user: User) -> str:
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords differ; try again.")
                continue
            try:
                validate_password(password, user)
            except ValidationError as exc:
                self.stderr.write(" ".join(exc.messages))
                continue
            return password


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)
