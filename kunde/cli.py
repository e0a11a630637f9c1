"""The `kunde` command: Kunde's own commands first, then every Django management command.

`kunde <command> [options]` runs the management command of that name with
`DJANGO_SETTINGS_MODULE=kunde.settings`; `kunde` alone or `kunde help` lists the
commands, `kunde help <command>` shows one command's options.
"""

from __future__ import annotations

import os
import sys
import textwrap
from importlib.metadata import PackageNotFoundError, version

# Kunde's commands in the order a new user needs them; other Kunde commands follow by name.
PREFERRED_ORDER = (
    "serve", "worker", "demo", "import", "createadmin", "backup", "restore", "bench", "reindex", "openapi",
)


def kunde_version() -> str:
    try:
        return version("kunde")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown"


def _first_line(text: str, limit: int = 90) -> str:
    """The first sentence of a command's help, cut to fit one line."""
    text = " ".join(str(text).split())
    sentence, dot, _rest = text.partition(". ")
    sentence += "." if dot else ""
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip(" ,:;") + "…"


def _commands() -> tuple[list[tuple[str, str]], list[str]]:
    """Return Kunde's commands with their one-line help, and every other command's name."""
    from django.core.management import get_commands, load_command_class

    own: list[tuple[str, str]] = []
    others: list[str] = []
    for name, app in get_commands().items():
        if app.startswith("kunde."):
            try:
                summary = _first_line(load_command_class(app, name).help)
            except Exception as exc:  # a broken command must not hide the others
                summary = f"(cannot load: {exc})"
            own.append((name, summary))
        else:
            others.append(name)
    rank = {name: index for index, name in enumerate(PREFERRED_ORDER)}
    own.sort(key=lambda item: (rank.get(item[0], len(rank)), item[0]))
    return own, sorted(others)


def _where() -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        target = f"SQLite ({database['NAME']})"
    else:
        engine = database["ENGINE"].rsplit(".", 1)[-1]
        target = f"{engine} ({database.get('NAME', '')} on {database.get('HOST') or 'localhost'})"
    return f"Data directory: {settings.DATA_DIR}\nDatabase: {target}\n"


def main_help() -> str:
    """Return the overview printed by `kunde` and `kunde help`."""
    lines = [f"Kunde {kunde_version()} - the command line.", "", "Usage: kunde <command> [options]", ""]
    try:
        import django

        django.setup()
        own, others = _commands()
    except Exception as exc:  # e.g. KUNDE_ENV=production without SECRET_KEY
        lines += [f"Kunde cannot load its settings: {exc}", ""]
        return "\n".join(lines)
    width = max(len(name) for name, _summary in own) + 2 if own else 12
    lines.append("Kunde commands:")
    for name, summary in own:
        lines.append(f"  {name.ljust(width)}{summary}")
    lines += ["", "Other commands (Django and installed apps):"]
    lines += textwrap.wrap(", ".join(others), width=88, initial_indent="  ", subsequent_indent="  ")
    lines += ["", "Type 'kunde help <command>' for the options of a command.", "", _where()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run `kunde` with `argv` (default: the process arguments)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kunde.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args in (["help"], ["-h"], ["--help"]):
        sys.stdout.write(main_help())
        return
    if args in (["--version"], ["version"]):
        sys.stdout.write(f"kunde {kunde_version()}\n")
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kunde", *args])


if __name__ == "__main__":
    main()
