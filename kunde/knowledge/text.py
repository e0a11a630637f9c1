"""Article text: safe rendering (Markdown or restricted HTML, always through nh3) and the
words search sees (folded, stop words dropped, Snowball-stemmed per language).

Stemming happens here rather than in the database: SQLite's FTS5 has only an English
(Porter) tokenizer, and doing it in Python gives both databases the same tokens, with
the same Snowball algorithms PostgreSQL's `german` and `english` configurations use.
"""

from __future__ import annotations

import functools
import html as html_module
import re
import unicodedata

import markdown
import nh3
import snowballstemmer

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
MAX_QUERY_TERMS = 32

_WORD = re.compile(r"[^\W_]+")
_GERMAN_STOP_WORDS = (
    "aber alle als also am an auch auf aus bei bin bis bitte da dann das dass dem den der des "
    "die dies diese dieser doch du ein eine einem einen einer es für gibt habe haben hat "
    "hatte ich ihr ihre im in ist ja kann kein keine mein meine meinem meinen meiner mich "
    "mir mit nach nicht noch nun nur oder sehr sich sie sind so um und uns unser vom von "
    "vor war warum was weil wenn wer wie wieder wir wird wo zu zum zur guten tag hallo "
    "danke gruß grüße freundlichen damen herren"
)
_ENGLISH_STOP_WORDS = (
    "a about all am an and any are as at be been but by can could do does for from had has "
    "have hello hi how i if in into is it its me my no not of on or our please so some "
    "than thank thanks that the their them then there these they this to was we were "
    "what when where which who why will with would you your regards dear"
)
# Unimportant words of a customer's message; the rest carries its meaning.
STOP_WORDS = {"de": frozenset(_GERMAN_STOP_WORDS.split()), "en": frozenset(_ENGLISH_STOP_WORDS.split())}
_STEMMERS = {"de": "german", "en": "english"}


def render_body(body: str, body_format: str) -> str:
    """Return the body as safe HTML: Markdown rendered, then everything sanitised by nh3."""
    html = markdown.markdown(body, extensions=["extra", "sane_lists"]) if body_format == "markdown" else body
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(body: str, body_format: str) -> str:
    """The body's words without markup (for the index and excerpts)."""
    html = render_body(body, body_format)
    return " ".join(html_module.unescape(nh3.clean(html, tags=set())).split())


def fold(text: str) -> str:
    """Lower-case and strip diacritics other than umlauts (the German stemmer reads those)."""
    lowered = text.casefold()
    return "".join(
        ch if ch in "äöüß" else "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        for ch in lowered
    )


@functools.cache
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_STEMMERS.get(language, "english"))


def stems(text: str, language: str, *, drop_stop_words: bool = False) -> list[str]:
    """The stemmed words of `text` in `language`, umlauts folded (ä → a) after stemming."""
    stop = STOP_WORDS.get(language, frozenset()) if drop_stop_words else frozenset()
    words = [word for word in _WORD.findall(fold(text)) if word not in stop]
    stemmed = _stemmer(language).stemWords(words)
    return [unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode() or s for s in stemmed]


def query_terms(text: str, language: str) -> list[str]:
    """The distinct stems of a query or a ticket's text, in order, without stop words."""
    terms = dict.fromkeys(term for term in stems(text, language, drop_stop_words=True) if len(term) > 1)
    return list(terms)[:MAX_QUERY_TERMS]


def excerpt(text: str, length: int = 180) -> str:
    """The first `length` characters of `text`, cut at a word boundary."""
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + " …"
