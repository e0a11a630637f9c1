"""Demo catalogue and purchase history: furniture (Topp Desk) for companies, jewellery (HandelBlitz) for people."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from kunde.accounts.models import User
from kunde.commerce.models import Product, ProductCategory
from kunde.commerce.services import order_create
from kunde.contacts.models import Organisation, Person

CATEGORIES = [
    ("desks", "Desks", "Tische"), ("chairs", "Chairs", "Stühle"), ("storage", "Storage", "Stauraum"),
    ("necklaces", "Necklaces", "Halsketten"), ("rings", "Rings", "Ringe"), ("earrings", "Earrings", "Ohrringe"),
]
PRODUCTS = [
    ("TD-HV-160", "Höhenverstellbarer Schreibtisch 160 cm", "489.00", "desks", "b2b"),
    ("TD-HV-180", "Höhenverstellbarer Schreibtisch 180 cm", "559.00", "desks", "b2b"),
    ("TD-ST-01", "Bürostuhl Ergo", "219.90", "chairs", "b2b"),
    ("TD-ST-02", "Bürostuhl Ergo Plus", "329.00", "chairs", "b2b"),
    ("TD-RC-05", "Rollcontainer", "149.00", "storage", "b2b"),
    ("HB-KE-11", "Halskette „Morgentau“ Silber", "79.00", "necklaces", "b2c"),
    ("HB-KE-12", "Halskette „Perlenbogen“", "129.00", "necklaces", "b2c"),
    ("HB-RI-21", "Ring „Welle“ Silber", "59.00", "rings", "b2c"),
    ("HB-RI-22", "Ring „Sternsaphir“ Gold", "249.00", "rings", "b2c"),
    ("HB-OH-31", "Ohrstecker „Tropfen“", "45.00", "earrings", "b2c"),
]


def load_demo_catalogue() -> dict[str, list[Product]]:
    """The demo categories and products (created once), by audience."""
    categories = {}
    for key, name_en, name_de in CATEGORIES:
        categories[key], _created = ProductCategory.objects.get_or_create(
            key=key, defaults={"name_en": name_en, "name_de": name_de})
    catalogue: dict[str, list[Product]] = {"b2b": [], "b2c": []}
    for sku, name, price, category, audience in PRODUCTS:
        product, _created = Product.objects.get_or_create(
            sku=sku, defaults={"name": name, "net_price": Decimal(price), "category": categories[category]})
        catalogue[audience].append(product)
    return catalogue


def demo_orders(rng: random.Random, *, owner: User, catalogue: dict[str, list[Product]], person: Person,
                organisation: Organisation | None, start: dt.datetime, end: dt.datetime) -> int:
    """One to four orders between `start` and `end` (no later than today): the customer's purchase history."""
    products = catalogue["b2b" if organisation is not None else "b2c"]
    count = rng.randint(1, 4)
    first, last = start.date(), min(end.date(), timezone.localdate())
    if last <= first:
        return 0
    for _number in range(count):
        day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
        picks = rng.sample(products, k=rng.randint(1, min(3, len(products))))
        quantity = (lambda: rng.choice([5, 10, 20, 50])) if organisation is not None else (lambda: 1)
        order_create(actor=owner, person=person, organisation=organisation, ordered_on=day, status="fulfilled",
                     lines=[{"product": product, "quantity": quantity()} for product in picks],
                     discount_percent=rng.choice([0, 0, 0, 3, 5]) if organisation is not None else 0)
    return count
