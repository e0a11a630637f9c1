"""`kunde demo`: load realistic demo customers with a year of history."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kunde.accounts.models import User
from kunde.contacts.models import Person
from kunde.demo.data import STAFF_EMAIL_DOMAIN

PASSWORD_ENV = "KUNDE_DEMO_PASSWORD"  # noqa: S105 (the variable's name, not a password)


class Command(BaseCommand):
    help = (
        "Load demo customers with a year of history. German and English companies with their "
        "contacts, private customers and a team of users; deterministic for a seed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--customers", type=int, default=200,
                            help="Customers to create: companies and private customers (default: %(default)s).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument(
            "--password",
            help=f"Password for the demo users (or set {PASSWORD_ENV}); without one they cannot log in.",
        )
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the database already has people (for first starts).")
        parser.add_argument("--force", action="store_true",
                            help="Add another batch even though demo data is already loaded.")

    def handle(self, *args: Any, **options: Any) -> None:
        from kunde.demo.generator import DemoGenerator

        customers = options["customers"]
        if customers < 1:
            raise CommandError("--customers must be at least 1.")
        if options["if_empty"] and Person.all_objects.exists():
            self.stdout.write("The database already has people; no demo data loaded.")
            return
        if not options["force"] and User.objects.filter(email__iendswith=f"@{STAFF_EMAIL_DOMAIN}").exists():
            self.stdout.write(
                "Demo data is loaded already (the demo users exist); nothing to do. "
                "Pass --force to add another batch (use another --seed for other names)."
            )
            return
        generator = DemoGenerator(
            seed=options["seed"], customers=customers,
            staff_password=options["password"] or os.environ.get(PASSWORD_ENV),
            progress=options["verbosity"] > 0,
        )
        result = generator.run()
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded in {result.seconds:.1f} s: {result.organisations} organisations and "
            f"{result.private_customers} private customers ({result.people} people), "
            f"{result.contacts} contacts in their history, {result.tasks} tasks ({result.open_tasks} open), "
            f"{result.orders} orders, {result.users} new users."
        ))
        if options["verbosity"] > 1 or result.users:
            self.stdout.write("Demo users:")
            for username, role, team in result.logins:
                self.stdout.write(f"  {username:<24} {role:<9} {team}")
