"""Demo ideas: suggestions on the demo products (desks, chairs, jewellery), voted on by demo people."""

from __future__ import annotations

from typing import Any

from kunde.commerce.demo import load_demo_catalogue
from kunde.commerce.models import Product
from kunde.contacts.models import Person
from kunde.ideas.models import Idea
from kunde.ideas.services import idea_submit, idea_update, idea_vote

# title, description, product SKU, status, public answer, votes from the first N demo people
IDEAS: list[tuple[str, str, str, str, str, int]] = [
    ("Kabelkanal für den Schreibtisch", "Ein Kabelkanal unter der Tischplatte, passend zum höhenverstellbaren Tisch.",
     "TD-HV-160", Idea.Status.PLANNED, "Kommt im zweiten Quartal als Zubehör.", 6),
    ("Memory-Funktion mit vier Höhen", "Vier speicherbare Höhen statt zwei, für Büros mit Desk-Sharing.",
     "TD-HV-180", Idea.Status.UNDER_REVIEW, "", 4),
    ("Armlehnen nachrüstbar", "Armlehnen, die man auch später an den Ergo-Stuhl schrauben kann.",
     "TD-ST-01", Idea.Status.NEW, "", 3),
    ("Ringgrößen-Set zum Ausleihen", "Ein Set zum Ausmessen der Ringgröße, das man zurückschickt.",
     "HB-RI-21", Idea.Status.DONE, "Ab sofort bestellbar – kostenlos mit Rücksendeetikett.", 5),
    ("Gravur auf der Halskette", "Eine kurze Gravur auf dem Anhänger von „Morgentau“.",
     "HB-KE-11", Idea.Status.NEW, "", 2),
    ("Lieferung in Geschenkverpackung", "Eine Geschenkverpackung als Option beim Bestellen.",
     "", Idea.Status.DECLINED, "Wir legen jeder Bestellung ein Geschenkbeutelchen bei.", 1),
]


def load_demo_ideas(*, actor: Any) -> int:
    """Create the demo ideas once (by title), with deterministic votes from the first demo people; return how
    many were new. Running it again changes nothing."""
    catalogue = {product.sku: product for products in load_demo_catalogue().values() for product in products}
    people = list(Person.objects.filter(emails__isnull=False).order_by("id").distinct()[:8])
    created = 0
    for index, (title, description, sku, status, note, votes) in enumerate(IDEAS):
        if Idea.objects.filter(title=title).exists():
            continue
        product: Product | None = catalogue.get(sku) if sku else None
        submitter = people[index % len(people)] if people else None
        idea = idea_submit(actor=None, title=title, description=description, product=product, person=submitter,
                           source=Idea.Source.PORTAL if submitter else Idea.Source.STAFF, owner=actor)
        # Votes before the status (done ideas take no more votes); demo people get no e-mails.
        for person in people[:votes]:
            idea_vote(actor=None, idea=idea, person=person)
        if status != Idea.Status.NEW:
            idea_update(actor=None, idea=idea, changes={"status": status, "status_note": note},
                        expected_version=None, notify_voters=False)
        created += 1
    return created
