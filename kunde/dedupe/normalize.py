"""Normalisation for matching: names, organisation names, e-mails, phones, streets.

Everything here is a pure function of strings, so the nightly scan, the check of new
records and the tests use exactly the same rules. The results are matching keys, never
shown to users and never written back to the records.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.conf import settings

# German spellings first (ä → ae), then everything folded to plain letters; the key
# functions below fold "ae"/"oe"/"ue" back to "a"/"o"/"u", so Müller, Mueller and
# Muller meet.
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "œ": "oe", "ł": "l",
                         "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_VOWEL_E = re.compile(r"(?<=[aou])e")
_NON_WORD = re.compile(r"[^a-z0-9]+")

# Given names and their common short forms (German and English). Both sides map to the
# first (canonical) name, so "Hans Müller" and "Johannes Mueller" compare as the same name.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "johannes": ("hans", "johann", "jan", "hannes", "john", "jo"),
    "josef": ("sepp", "seppl", "joseph", "jupp", "beppo"),
    "katharina": ("kathi", "kati", "katja", "kathrin", "katrin", "kate", "katie", "catherine", "katherine",
                  "käthe", "trina"),
    "william": ("bill", "billy", "will", "willy", "liam"),
    "wilhelm": ("willi", "helm"),
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "richard": ("dick", "rick", "ricky", "rich"),
    "elisabeth": ("elizabeth", "lisa", "liesl", "elise", "betty", "beth", "liz", "lizzy", "sissi", "ilse"),
    "margarete": ("margarethe", "margaret", "grete", "gretel", "greta", "maggie", "meg", "marga", "gretchen"),
    "michael": ("michi", "micha", "mike", "mick"),
    "thomas": ("tom", "tommy", "thommy"),
    "alexander": ("alex", "sascha", "xander", "sandro"),
    "alexandra": ("alexa", "sandra", "sasha"),
    "christian": ("chris", "christl"),
    "christina": ("christine", "tina", "stina"),
    "franziska": ("franzi", "fanny"),
    "franz": ("francis", "frank"),
    "friedrich": ("fritz", "friedel", "fred"),
    "gottfried": ("friedl", "gotti"),
    "heinrich": ("heinz", "heiner", "henry", "hinrich"),
    "jakob": ("jacob", "jake", "jockel"),
    "joachim": ("achim", "jochen"),
    "johanna": ("hanna", "hanne", "jo"),
    "karl": ("carl", "charles", "charlie", "kalle"),
    "konstantin": ("constantin", "konsti", "tino"),
    "magdalena": ("magda", "lena", "leni", "madeleine"),
    "maria": ("mary", "marie", "mia", "mizzi", "ria"),
    "matthias": ("mathias", "matthew", "matt", "hias", "thias"),
    "nikolaus": ("nikolas", "nicholas", "klaus", "claus", "nick", "niko"),
    "patricia": ("patty", "trish", "tricia"),
    "peter": ("pete", "piet"),
    "rudolf": ("rudi", "rolf", "dolf"),
    "stefan": ("stephan", "steffen", "steve", "steven", "stephen"),
    "susanne": ("susanna", "susi", "sanne", "suse", "susan", "sue"),
    "theodor": ("theo", "ted", "teddy"),
    "barbara": ("babsi", "barbel", "bärbel", "babs"),
    "benjamin": ("ben", "benni", "benny"),
    "daniel": ("dani", "danny", "dan"),
    "dorothea": ("dora", "doris", "thea", "dorothy"),
    "edward": ("ed", "eddie", "ted"),
    "eduard": ("edi", "edu"),
    "gabriele": ("gabi", "gaby", "gabriela"),
    "gerhard": ("gerd", "gert"),
    "james": ("jim", "jimmy", "jamie"),
    "jennifer": ("jenny", "jenni"),
    "ludwig": ("lutz", "louis", "lewis"),
    "manfred": ("manni", "fred"),
    "ulrich": ("uli", "ulli"),
    "walter": ("walther", "walt", "wally"),
    "wolfgang": ("wolf", "wolfi"),
    "zacharias": ("zach", "zack"),
}
_CANONICAL: dict[str, str] = {}
for _name, _forms in NICKNAMES.items():
    for _form in (_name, *_forms):
        _CANONICAL.setdefault(_form.translate(_GERMAN), _name)

# Legal forms, longest first so "GmbH & Co. KG" goes before "GmbH" and "KG". They are
# removed wherever they stand as words (after the name, and in "GmbH & Co. KG" style chains).
LEGAL_FORMS = (
    "gmbh & co. kgaa", "gmbh & co. kg", "gmbh & co kg", "gmbh & co. ohg", "ag & co. kg", "ug & co. kg",
    "se & co. kg", "ug (haftungsbeschrankt)", "ug (haftungsbeschränkt)", "ug haftungsbeschrankt",
    "mbh", "ggmbh", "gmbh", "kgaa", "ag", "kg", "ohg", "gbr", "ug", "e.k.", "e. k.", "ek", "e.kfm.", "e.kfr.",
    "e.v.", "ev", "eg", "partg mbb", "partg", "se", "ltd.", "ltd", "limited", "plc", "inc.", "inc",
    "incorporated", "corp.", "corp", "corporation", "llc", "l.l.c.", "llp", "lp", "co.", "co", "company",
    "s.a.", "sa", "s.a.r.l.", "sarl", "s.r.l.", "srl", "s.p.a.", "spa", "b.v.", "bv", "n.v.", "nv",
    "a/s", "as", "ab", "oy", "sp. z o.o.", "s.l.", "sl", "k.k.", "kk", "pty", "pty ltd", "& co.", "& co",
    "und co.", "und co", "u. co.", "holding",
)
# Words that say little about which company is meant.
_ORGANISATION_NOISE = frozenset({"und", "and", "the", "der", "die", "das", "von", "fur", "for", "zu"})

_STREET_SUFFIX = re.compile(r"(strasse|str\.?|straße)(?=\s|\d|$)")
_STREET_WORDS = {"strasse": "str", "straße": "str", "str": "str", "platz": "pl", "pl": "pl", "weg": "weg",
                 "allee": "allee", "gasse": "g", "g": "g"}

_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def fold(text: str) -> str:
    """Lower-case `text`, write umlauts the German way (ü → ue, ß → ss) and strip other accents."""
    german = text.casefold().translate(_GERMAN)
    decomposed = unicodedata.normalize("NFKD", german)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Built from the folded spellings, since names are folded before the legal forms are removed.
_LEGAL_FORM = re.compile(
    r"(?<![\w])("
    + "|".join(re.escape(form) for form in sorted({fold(f) for f in LEGAL_FORMS}, key=len, reverse=True))
    + r")(?![\w])"
)


def name_key(text: str) -> str:
    """A name folded for comparison: Müller, Mueller and Muller all become "muller"."""
    return _NON_WORD.sub(" ", _VOWEL_E.sub("", fold(text))).strip()


def canonical_first_name(first_name: str) -> str:
    """The canonical given name of each word of `first_name` (Hans → johannes, Bill → william)."""
    words = _NON_WORD.sub(" ", fold(first_name)).split()
    return " ".join(name_key(_CANONICAL.get(word, word)) for word in words)


def person_name(first_name: str, last_name: str) -> str:
    """The comparable full name: canonical given names, then the surname, folded."""
    return f"{canonical_first_name(first_name)} {name_key(last_name)}".strip()


def organisation_name(name: str) -> str:
    """An organisation's name without legal forms, punctuation and filler words.

    "Müller GmbH & Co. KG", "Mueller GmbH" and "MÜLLER AG" all become "muller".
    """
    text = fold(name).replace("+", " & ")
    previous = None
    while previous != text:  # "… GmbH & Co. KG" leaves "& Co." after the first pass
        previous = text
        text = _LEGAL_FORM.sub(" ", text)
    text = _VOWEL_E.sub("", text)
    words = [word for word in _NON_WORD.sub(" ", text).split() if word not in _ORGANISATION_NOISE]
    # A name that is nothing but a legal form ("AG") keeps its words rather than matching every other.
    return " ".join(words) or name_key(name)


def email_key(address: str) -> str:
    """The address lower-cased (mail providers treat local parts case-insensitively in practice)."""
    return address.strip().lower()


def mailbox_key(address: str) -> str:
    """The mailbox an address reaches: "+tag" sub-addresses dropped, and at Gmail also dots.

    Sub-addressing (RFC 5233 style `name+tag@`) is offered by most large providers, so the tag
    is dropped for every domain. Dots are only ignored by Google (gmail.com/googlemail.com);
    elsewhere "j.doe" and "jdoe" can be two people, so they are kept.
    """
    local, _sep, domain = email_key(address).rpartition("@")
    if not local:
        return email_key(address)
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def email_domain(address: str) -> str:
    return email_key(address).rpartition("@")[2]


def phone_key(number: str, region: str | None = None) -> str:
    """The number in E.164 ("+49301234567"); digits only when it cannot be parsed.

    Stored numbers are E.164 already (contacts normalises on write); parsing again makes
    numbers written by older imports or by hand in other notations meet as well.
    """
    raw = number.strip()
    if not raw:
        return ""
    try:
        parsed = phonenumbers.parse(raw, (region or settings.KUNDE_DEFAULT_REGION).upper())
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", raw)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def street_key(street: str) -> str:
    """A street with "Straße", "Strasse", "Str." written one way, spaces and punctuation gone.

    "Hauptstraße 5", "Hauptstr. 5" and "Haupt-Strasse 5" all become "hauptstr5".
    """
    text = fold(street)  # ß → ss already
    text = _STREET_SUFFIX.sub("str ", text)
    words = [_STREET_WORDS.get(word, word) for word in _NON_WORD.sub(" ", text).split()]
    return "".join(words)


def address_key(street: str, postal_code: str, city: str, country: str = "") -> str:
    """Street and postal code (or city when there is no postal code), folded."""
    place = _NON_WORD.sub("", fold(postal_code)) or name_key(city).replace(" ", "")
    street_part = street_key(street)
    if not street_part or not place:
        return ""
    return f"{(country or '').lower()}:{place}:{street_part}"


def website_domain(url: str) -> str:
    """The host of a website without "www." ("https://www.Firma.de/kontakt" → "firma.de")."""
    text = url.strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    host = re.split(r"[/?#:]", text, maxsplit=1)[0]
    return host.removeprefix("www.")


# --- phonetic key ----------------------------------------------------------------------

_COLOGNE_GROUPS = {
    **dict.fromkeys("aeijouy", "0"), "h": "", "b": "1", **dict.fromkeys("fvw", "3"),
    **dict.fromkeys("gkq", "4"), "l": "5", **dict.fromkeys("mn", "6"), "r": "7", **dict.fromkeys("sz", "8"),
}


def cologne_phonetics(text: str) -> str:
    """The Kölner Phonetik code of `text` (German sound-alike key: Meier = Mayer = Maier = 67).

    Used for blocking only: two names with the same code are compared in detail.
    """
    word = re.sub(r"[^a-z]", "", fold(text))
    codes: list[str] = []
    for index, char in enumerate(word):
        before = word[index - 1] if index else ""
        after = word[index + 1] if index + 1 < len(word) else ""
        if char in _COLOGNE_GROUPS:
            code = _COLOGNE_GROUPS[char]
        elif char == "p":
            code = "3" if after == "h" else "1"
        elif char in "dt":
            code = "8" if after in ("c", "s", "z") else "2"
        elif char == "c":
            if index == 0:
                code = "4" if after in "ahkloqrux" else "8"
            else:
                code = "8" if before in ("s", "z") or after not in "ahkoqux" else "4"
        elif char == "x":
            code = "8" if before in ("c", "k", "q") else "48"
        else:
            code = ""
        codes.append(code)
    collapsed: list[str] = []
    for code in "".join(codes):
        if not collapsed or collapsed[-1] != code:
            collapsed.append(code)
    result = "".join(collapsed)
    return result[0] + result[1:].replace("0", "") if result else ""
