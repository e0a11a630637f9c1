"""Demo articles of Fidelis Invest's help centre, in German and English.

Called by the demo generator (`kunde demo`); safe to call again: articles whose address
already exists are left alone.
"""

from __future__ import annotations

from typing import Any

from kunde.knowledge.models import Article
from kunde.knowledge.services import article_create, article_publish, category_ensure

CATEGORIES = [
    ("konto", "Konto und Depot", "Account and custody", 10),
    ("sicherheit", "Sicherheit", "Security", 20),
    ("service", "Service und Kontakt", "Service and contact", 30),
]

# (category, German slug, title, body, English slug, title, body); None: no translation.
ARTICLES: list[tuple[str, str, str, str, str | None, str, str]] = [
    (
        "sicherheit", "ungewoehnliche-transaktion-melden", "Ungewöhnliche Transaktion melden",
        "Sie sehen auf Ihrem Konto oder in Ihrem Depot eine **Abbuchung** oder Transaktion, die Sie nicht "
        "kennen? So gehen Sie vor:\n\n"
        "1. Lassen Sie Ihren Online-Zugang sofort sperren: rund um die Uhr unter 0800 123 45 67.\n"
        "2. Schreiben Sie uns an service@fidelis-invest.example mit Datum, Betrag und Empfänger der Buchung.\n"
        "3. Wir prüfen die Transaktion und melden uns innerhalb eines Werktags.\n\n"
        "Unberechtigte Lastschriften können Sie bis zu acht Wochen nach der Belastung zurückgeben lassen.",
        "report-unusual-transaction", "Report an unusual transaction",
        "You see a **debit** or a transaction on your account or in your custody account that you do not "
        "recognise? Here is what to do:\n\n"
        "1. Have your online access blocked at once: around the clock at +49 800 123 45 67.\n"
        "2. Write to service@fidelis-invest.example with the date, amount and payee of the transaction.\n"
        "3. We check the transaction and get back to you within one working day.\n\n"
        "Unauthorised direct debits can be reversed up to eight weeks after they were charged.",
    ),
    (
        "konto", "depotauszug-anfordern", "Depotauszug anfordern",
        "Ihren aktuellen **Depotauszug** finden Sie jederzeit im Kundenportal unter *Dokumente*. "
        "Einen Auszug zu einem bestimmten Stichtag (etwa für die Steuererklärung oder eine Erbschaft) "
        "fordern Sie formlos per E-Mail an; wir senden ihn innerhalb von fünf Werktagen per Post.",
        "request-custody-statement", "Request a custody account statement",
        "Your current **custody account statement** is always available in the customer portal under "
        "*Documents*. For a statement as of a given date (for your tax return or an inheritance), send us "
        "an e-mail; we post it within five working days.",
    ),
    (
        "konto", "adresse-aendern", "Adresse ändern",
        "Sie sind umgezogen? Teilen Sie uns Ihre neue Anschrift im Kundenportal unter *Persönliche Daten* "
        "mit. Aus Sicherheitsgründen bestätigen wir die Änderung mit einem Brief an die neue Adresse.",
        "change-address", "Change your address",
        "You have moved? Enter your new address in the customer portal under *Personal details*. For your "
        "security we confirm the change with a letter to the new address.",
    ),
    (
        "konto", "freistellungsauftrag-erteilen", "Freistellungsauftrag erteilen",
        "Mit einem **Freistellungsauftrag** bleiben Kapitalerträge bis zum Sparerpauschbetrag steuerfrei. "
        "Sie erteilen oder ändern ihn im Kundenportal unter *Steuern*; Ehepaare erteilen einen gemeinsamen "
        "Auftrag.",
        None, "", "",
    ),
    (
        "sicherheit", "online-zugang-gesperrt", "Online-Zugang gesperrt",
        "Nach dreimaliger falscher PIN-Eingabe sperren wir Ihren Online-Zugang zu Ihrem Schutz. Einen neuen "
        "Zugang fordern Sie telefonisch unter 0800 123 45 67 an; die neue PIN kommt per Post.",
        "online-access-locked", "Online access locked",
        "After three wrong PIN entries we lock your online access for your protection. Request new access by "
        "phone at +49 800 123 45 67; the new PIN comes by post.",
    ),
    (
        "sicherheit", "phishing-erkennen", "Phishing-E-Mails erkennen",
        "Fidelis Invest fragt **nie** per E-Mail oder Telefon nach Ihrer PIN oder TAN. Öffnen Sie keine Links "
        "in verdächtigen Nachrichten und leiten Sie sie an phishing@fidelis-invest.example weiter.",
        "recognise-phishing", "Recognise phishing e-mails",
        "Fidelis Invest **never** asks for your PIN or TAN by e-mail or phone. Do not open links in suspicious "
        "messages; forward them to phishing@fidelis-invest.example.",
    ),
    (
        "service", "kontakt-und-erreichbarkeit", "Kontakt und Erreichbarkeit",
        "Unser Kundenservice ist montags bis freitags von 8 bis 18 Uhr erreichbar: telefonisch unter "
        "0800 123 45 67 oder per E-Mail an service@fidelis-invest.example.",
        "contact-and-opening-hours", "Contact and opening hours",
        "Our customer service is available Monday to Friday, 8 am to 6 pm (CET): by phone at "
        "+49 800 123 45 67 or by e-mail to service@fidelis-invest.example.",
    ),
]

# A draft shows the editorial workflow: visible to staff, never in the help centre.
DRAFT = ("konto", "kosten-und-gebuehren", "Kosten und Gebühren (Entwurf)",
         "Das neue Preis- und Leistungsverzeichnis gilt ab dem 1. Januar.")


def load_demo_articles(*, author: Any = None) -> int:
    """Create the demo categories and articles (published, translations linked); return how many were new.

    `author` (a user, e.g. a demo manager) becomes owner and author; None writes as the system.
    """
    categories = {key: category_ensure(key=key, name_de=de, name_en=en, position=position)
                  for key, de, en, position in CATEGORIES}
    created = 0
    for category_key, de_slug, de_title, de_body, en_slug, en_title, en_body in ARTICLES:
        category = categories[category_key]
        german = Article.objects.filter(language="de", slug=de_slug).first()
        if german is None:
            german = article_create(actor=author, language="de", slug=de_slug, title=de_title, body=de_body,
                                    category=category)
            article_publish(actor=None, article=german)
            created += 1
        if en_slug and not Article.objects.filter(language="en", slug=en_slug).exists():
            english = article_create(actor=author, language="en", slug=en_slug, title=en_title, body=en_body,
                                     category=category, translation_of=german)
            article_publish(actor=None, article=english)
            created += 1
    category_key, slug, title, body = DRAFT
    if not Article.objects.filter(language="de", slug=slug).exists():
        article_create(actor=author, language="de", slug=slug, title=title, body=body,
                       category=categories[category_key])
        created += 1
    return created
