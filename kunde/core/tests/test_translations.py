"""The German catalog: complete, compiled, current with the source, and used by the pages."""

from __future__ import annotations

import ast
import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation

import kunde
from kunde.activities.choices import Mood
from kunde.contacts.choices import Salutation
from kunde.contacts.models import Person

PACKAGE_DIR = Path(kunde.__file__).resolve().parent
PO_PATH = PACKAGE_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po"
# The project catalog plus one per app that keeps its own (kunde/<app>/locale/): makemessages
# run in kunde/ files each string into the catalog of the nearest locale directory above it.
CATALOGS = sorted(path.relative_to(PACKAGE_DIR) for path in PACKAGE_DIR.glob("**/locale/de/LC_MESSAGES/django.po"))

# %(name)s, %(count)d, %s, %%; {name}; HTML tags and entities.
PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]"
                         r"|\{[A-Za-z_][A-Za-z0-9_]*\}|<[^>]+>|&[a-z]+;")


@dataclass
class Entry:
    """One message of a .po file."""

    msgid: str
    context: str | None = None
    plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural form -> text; 0 for a singular entry
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"{self.context + ' | ' if self.context else ''}{self.msgid!r}"


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """Return the header fields and the entries (obsolete ones left out) of the .po file at `path`."""
    entries: list[Entry] = []
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        flags: set[str] = set()
        key = None
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue  # translator comments, references, obsolete (#~) entries
            elif line.startswith('"'):
                assert key is not None, f"{path}: a string without a keyword in {block!r}"
                fields[key] += ast.literal_eval(line)
            else:
                key, _space, value = line.partition(" ")
                assert re.fullmatch(r"msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?", key), f"{path}: {line!r}"
                fields[key] = ast.literal_eval(value)
        if "msgid" in fields:
            forms = {int(k[7:-1]) if k != "msgstr" else 0: v for k, v in fields.items() if k.startswith("msgstr")}
            entries.append(Entry(msgid=fields["msgid"], context=fields.get("msgctxt"),
                                 plural=fields.get("msgid_plural"), msgstr=forms, flags=flags))
    header_entry = next(entry for entry in entries if entry.msgid == "" and entry.context is None)
    header = dict(item.split(": ", 1) for item in header_entry.msgstr[0].splitlines() if ": " in item)
    return header, [entry for entry in entries if entry is not header_entry]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module", params=CATALOGS, ids=str)
def catalog_path(request) -> Path:
    return PACKAGE_DIR / request.param


@pytest.fixture(scope="module")
def catalog(catalog_path) -> tuple[dict[str, str], list[Entry]]:
    return read_po(catalog_path)


def test_catalog_is_german_with_two_plural_forms(catalog):
    header, _entries = catalog
    assert header["Language"] == "de"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_project_catalog_holds_the_whole_ui():
    _header, entries = read_po(PO_PATH)
    assert len(entries) > 600  # the whole UI, not a sample


def test_every_entry_is_translated_and_none_is_fuzzy(catalog):
    _header, entries = catalog
    untranslated = [entry.label for entry in entries
                    if not all(entry.msgstr.get(form, "").strip() for form in ((0, 1) if entry.plural else (0,)))]
    fuzzy = [entry.label for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_placeholders_and_markup(catalog):
    """%(name)s, %s, {name}, tags and entities of the English text appear in the German text, and no others."""
    _header, entries = catalog
    broken = []
    for entry in entries:
        if entry.plural is None:
            if placeholders(entry.msgstr[0]) != placeholders(entry.msgid):
                broken.append(entry.label)
            continue
        # The singular may leave out the number ("last month"); the plural form must keep everything.
        allowed = set(placeholders(entry.msgid)) | set(placeholders(entry.plural))
        if (not set(placeholders(entry.msgstr[0])) <= allowed
                or placeholders(entry.msgstr[1]) != placeholders(entry.plural)):
            broken.append(entry.label)
    assert broken == []


def test_compiled_catalog_matches_the_po_file(catalog, catalog_path):
    """django.mo holds exactly the .po's translations: a forgotten compilemessages fails here."""
    _header, entries = catalog
    expected: dict[str | tuple[str, int], str] = {}
    for entry in entries:
        key = f"{entry.context}\x04{entry.msgid}" if entry.context else entry.msgid
        if entry.plural is None:
            expected[key] = entry.msgstr[0]
        else:
            for form, text in entry.msgstr.items():
                expected[(key, form)] = text
    with catalog_path.with_suffix(".mo").open("rb") as handle:
        compiled = dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)  # the header
    missing = sorted(str(key) for key in expected.keys() - compiled.keys())
    extra = sorted(str(key) for key in compiled.keys() - expected.keys())
    differing = sorted(str(key) for key in expected.keys() & compiled.keys() if expected[key] != compiled[key])
    assert (missing, extra, differing) == ([], [], [])


@pytest.mark.skipif(shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
                    reason="GNU gettext (xgettext, msgmerge) is not installed")
def test_catalog_covers_every_translatable_string_in_the_source(tmp_path, settings, monkeypatch):
    """`kunde makemessages -l de` on a copy of the source adds nothing untranslated to any catalog."""
    copy = tmp_path / "kunde"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo"))
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["de"], verbosity=0)
    new = []
    for path in sorted(copy.glob("**/locale/de/LC_MESSAGES/django.po")):
        _header, entries = read_po(path)
        new += [f"{path.relative_to(copy)}: {entry.label}" for entry in entries
                if "fuzzy" in entry.flags or not all(text.strip() for text in entry.msgstr.values())]
    assert new == [], ("run `kunde makemessages -l de` in kunde/ (or in kunde/<app>/ for an app with its own "
                       "locale/), translate the new entries, `kunde compilemessages`")


def test_key_labels_are_german():
    with translation.override("de"):
        assert translation.gettext("People") == "Personen"
        assert translation.gettext("Customer history") == "Kundenhistorie"
        assert [str(label) for _value, label in Mood.choices] == [
            "Sehr negativ", "Negativ", "Neutral", "Positiv", "Sehr positiv",
        ]
        assert [str(label) for _value, label in Salutation.choices] == ["—", "Herr", "Frau", "Divers"]
        assert str(Person._meta.verbose_name_plural) == "Personen"
        assert translation.ngettext("%(counter)s contact", "%(counter)s contacts", 3) % {"counter": 3} == "3 Kontakte"
    with translation.override("en"):
        assert translation.gettext("People") == "People"


NAVIGATION_DE = [">Übersicht</a>", ">Personen</a>", ">Organisationen</a>", ">Aufgaben</a>", "Abmelden (owner)"]
NAVIGATION_EN = [">Dashboard</a>", ">People</a>", ">Organisations</a>", ">Tasks</a>", "Log out (owner)"]


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["cookie", "accept-language"])
def test_people_page_is_german_when_german_is_chosen(world, how):
    client = Client(**({"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"} if how == "accept-language" else {}))
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    client.force_login(world.owner)
    response = client.get("/people/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert [text for text in NAVIGATION_DE if text not in html] == []
    assert [text for text in NAVIGATION_EN if text in html] == []
    assert "Jürgen Müller" in html


@pytest.mark.django_db
def test_people_page_stays_english_without_a_language_choice(client, world):
    client.force_login(world.owner)
    html = client.get("/people/").content.decode()
    assert '<html lang="en">' in html
    assert [text for text in NAVIGATION_EN if text not in html] == []
