"""Reference data for the demo generator: places, names, industries, topics of contact.

Cities come with a plausible postal code range and their real dialling code, so an
address and a phone number of one customer fit together.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    name: str
    region: str
    postal_codes: tuple[int, int]  # inclusive range, formatted per country
    dialling_codes: tuple[str, ...]  # national area codes without the trunk prefix
    weight: int = 1
    postal_prefixes: tuple[str, ...] = ()  # GB outward codes


@dataclass(frozen=True)
class Country:
    code: str
    faker_locale: str
    language: str  # preferred language of its people ("de"/"en")
    domain: str  # company web sites
    mail_providers: tuple[str, ...]
    cities: tuple[City, ...]
    mobile_prefixes: tuple[str, ...]


GERMANY = Country(
    code="DE", faker_locale="de_DE", language="de", domain="de",
    mail_providers=("gmx.de", "web.de", "t-online.de", "gmail.com", "outlook.de", "posteo.de", "freenet.de"),
    mobile_prefixes=("151", "152", "157", "160", "162", "163", "170", "171", "172", "173", "175", "176", "177",
                     "178", "179"),
    cities=(
        City("Berlin", "Berlin", (10115, 14199), ("30",), 8),
        City("Hamburg", "Hamburg", (20095, 22769), ("40",), 6),
        City("München", "Bayern", (80331, 81929), ("89",), 6),
        City("Köln", "Nordrhein-Westfalen", (50667, 51149), ("221",), 4),
        City("Frankfurt am Main", "Hessen", (60306, 60599), ("69",), 4),
        City("Stuttgart", "Baden-Württemberg", (70173, 70629), ("711",), 4),
        City("Düsseldorf", "Nordrhein-Westfalen", (40210, 40629), ("211",), 3),
        City("Leipzig", "Sachsen", (4103, 4357), ("341",), 3),
        City("Dortmund", "Nordrhein-Westfalen", (44135, 44388), ("231",), 2),
        City("Essen", "Nordrhein-Westfalen", (45127, 45359), ("201",), 2),
        City("Bremen", "Bremen", (28195, 28779), ("421",), 2),
        City("Dresden", "Sachsen", (1067, 1328), ("351",), 2),
        City("Hannover", "Niedersachsen", (30159, 30669), ("511",), 2),
        City("Nürnberg", "Bayern", (90402, 90491), ("911",), 2),
        City("Bielefeld", "Nordrhein-Westfalen", (33602, 33739), ("521",), 1),
        City("Bonn", "Nordrhein-Westfalen", (53111, 53229), ("228",), 1),
        City("Münster", "Nordrhein-Westfalen", (48143, 48167), ("251",), 1),
        City("Karlsruhe", "Baden-Württemberg", (76131, 76229), ("721",), 1),
        City("Mannheim", "Baden-Württemberg", (68159, 68309), ("621",), 1),
        City("Augsburg", "Bayern", (86150, 86199), ("821",), 1),
        City("Wiesbaden", "Hessen", (65183, 65207), ("611",), 1),
        City("Freiburg im Breisgau", "Baden-Württemberg", (79098, 79117), ("761",), 1),
        City("Kiel", "Schleswig-Holstein", (24103, 24159), ("431",), 1),
        City("Rostock", "Mecklenburg-Vorpommern", (18055, 18147), ("381",), 1),
        City("Regensburg", "Bayern", (93047, 93059), ("941",), 1),
        City("Ulm", "Baden-Württemberg", (89073, 89081), ("731",), 1),
        City("Heidelberg", "Baden-Württemberg", (69115, 69126), ("6221",), 1),
        City("Osnabrück", "Niedersachsen", (49074, 49090), ("541",), 1),
        City("Würzburg", "Bayern", (97070, 97084), ("931",), 1),
        City("Erfurt", "Thüringen", (99084, 99099), ("361",), 1),
        City("Magdeburg", "Sachsen-Anhalt", (39104, 39130), ("391",), 1),
        City("Potsdam", "Brandenburg", (14467, 14482), ("331",), 1),
        City("Saarbrücken", "Saarland", (66111, 66133), ("681",), 1),
        City("Mainz", "Rheinland-Pfalz", (55116, 55131), ("6131",), 1),
        City("Ingolstadt", "Bayern", (85049, 85057), ("841",), 1),
        City("Göttingen", "Niedersachsen", (37073, 37085), ("551",), 1),
        City("Lübeck", "Schleswig-Holstein", (23552, 23570), ("451",), 1),
    ),
)

AUSTRIA = Country(
    code="AT", faker_locale="de_AT", language="de", domain="at",
    mail_providers=("gmx.at", "aon.at", "gmail.com", "chello.at", "outlook.com"),
    mobile_prefixes=("650", "660", "664", "676", "677", "699"),
    cities=(
        City("Wien", "Wien", (1010, 1230), ("1",), 5),
        City("Graz", "Steiermark", (8010, 8055), ("316",), 2),
        City("Linz", "Oberösterreich", (4020, 4040), ("732",), 2),
        City("Salzburg", "Salzburg", (5020, 5026), ("662",), 1),
        City("Innsbruck", "Tirol", (6020, 6080), ("512",), 1),
        City("Klagenfurt am Wörthersee", "Kärnten", (9020, 9073), ("463",), 1),
    ),
)

SWITZERLAND = Country(
    code="CH", faker_locale="de_CH", language="de", domain="ch",
    mail_providers=("bluewin.ch", "gmx.ch", "gmail.com", "sunrise.ch", "hispeed.ch"),
    mobile_prefixes=("76", "77", "78", "79"),
    cities=(
        City("Zürich", "ZH", (8001, 8057), ("44",), 4),
        City("Basel", "BS", (4001, 4059), ("61",), 2),
        City("Bern", "BE", (3001, 3030), ("31",), 2),
        City("Luzern", "LU", (6003, 6006), ("41",), 1),
        City("St. Gallen", "SG", (9000, 9016), ("71",), 1),
        City("Winterthur", "ZH", (8400, 8411), ("52",), 1),
    ),
)

UNITED_STATES = Country(
    code="US", faker_locale="en_US", language="en", domain="com",
    mail_providers=("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com", "hotmail.com"),
    mobile_prefixes=(),  # US mobile and landline numbers share the area codes
    cities=(
        City("New York", "NY", (10001, 10282), ("212", "646", "917"), 4),
        City("Chicago", "IL", (60601, 60661), ("312", "773"), 3),
        City("Boston", "MA", (2108, 2137), ("617", "857"), 2),
        City("Seattle", "WA", (98101, 98199), ("206",), 2),
        City("Austin", "TX", (78701, 78759), ("512", "737"), 2),
        City("Denver", "CO", (80202, 80239), ("303", "720"), 1),
        City("San Francisco", "CA", (94102, 94134), ("415", "628"), 2),
        City("Atlanta", "GA", (30303, 30363), ("404", "470"), 1),
        City("Minneapolis", "MN", (55401, 55488), ("612",), 1),
        City("Portland", "OR", (97201, 97239), ("503", "971"), 1),
        City("Philadelphia", "PA", (19102, 19154), ("215", "267"), 1),
        City("Charlotte", "NC", (28202, 28288), ("704", "980"), 1),
    ),
)

UNITED_KINGDOM = Country(
    code="GB", faker_locale="en_GB", language="en", domain="co.uk",
    mail_providers=("gmail.com", "btinternet.com", "outlook.com", "yahoo.co.uk", "sky.com"),
    mobile_prefixes=("7400", "7500", "7700", "7800", "7900", "7911", "7723", "7812"),
    cities=(
        City("London", "Greater London", (0, 0), ("20",), 5,
             ("EC1A", "EC2M", "WC2N", "SE1", "N1", "E14", "W1D", "SW1A", "NW1")),
        City("Manchester", "Greater Manchester", (0, 0), ("161",), 2, ("M1", "M2", "M3", "M4", "M15")),
        City("Birmingham", "West Midlands", (0, 0), ("121",), 2, ("B1", "B2", "B3", "B4", "B15")),
        City("Leeds", "West Yorkshire", (0, 0), ("113",), 1, ("LS1", "LS2", "LS11")),
        City("Bristol", "Bristol", (0, 0), ("117",), 1, ("BS1", "BS2", "BS8")),
        City("Edinburgh", "Scotland", (0, 0), ("131",), 1, ("EH1", "EH2", "EH3")),
        City("Glasgow", "Scotland", (0, 0), ("141",), 1, ("G1", "G2", "G3")),
    ),
)

# Share of customers per country (a German company with international customers).
COUNTRY_WEIGHTS = ((GERMANY, 58), (AUSTRIA, 8), (SWITZERLAND, 6), (UNITED_STATES, 18), (UNITED_KINGDOM, 10))

# The most common German names (the demo's German people should sound German).
GERMAN_FIRST_NAMES_FEMALE = (
    "Anna", "Maria", "Ursula", "Monika", "Petra", "Elisabeth", "Sabine", "Renate", "Helga", "Karin",
    "Brigitte", "Ingrid", "Erika", "Andrea", "Gisela", "Claudia", "Susanne", "Gabriele", "Christa",
    "Christine", "Birgit", "Stefanie", "Julia", "Katrin", "Nicole", "Sandra", "Anja", "Tanja",
    "Melanie", "Christina", "Daniela", "Jessica", "Lisa", "Laura", "Sarah", "Lena", "Hannah", "Lea",
    "Katharina", "Johanna", "Sophie", "Marie", "Franziska", "Jana", "Miriam", "Simone", "Heike",
    "Silke", "Kerstin", "Martina", "Nadine", "Vanessa", "Carina", "Leonie", "Emily", "Mia",
)
GERMAN_FIRST_NAMES_MALE = (
    "Peter", "Michael", "Thomas", "Andreas", "Wolfgang", "Klaus", "Jürgen", "Günter", "Stefan",
    "Christian", "Uwe", "Werner", "Horst", "Frank", "Dieter", "Manfred", "Gerhard", "Hans", "Bernd",
    "Torsten", "Matthias", "Markus", "Alexander", "Martin", "Sven", "Jan", "Tobias", "Florian",
    "Sebastian", "Daniel", "Tim", "Philipp", "Jonas", "Felix", "Lukas", "Maximilian", "Paul",
    "Leon", "Niklas", "Moritz", "Jens", "Dirk", "Holger", "Ralf", "Oliver", "Carsten", "Björn",
    "Marco", "Fabian", "Benjamin", "Simon", "Johannes", "David", "Kai", "Rainer", "Heinz",
)
GERMAN_LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner",
    "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann",
    "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller",
    "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich", "Keller", "Günther", "Frank", "Berger",
    "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke", "Albrecht", "Schuster", "Simon",
    "Ludwig", "Böhm", "Winter", "Kraus", "Martin", "Schumacher", "Krämer", "Vogt", "Stein", "Jäger",
    "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt", "Haas", "Schreiber", "Graf", "Dietrich",
    "Ziegler", "Kuhn", "Kühn", "Pohl", "Engel", "Horn", "Busch", "Bergmann", "Thomas", "Voigt",
    "Sauer", "Arnold", "Wolff", "Pfeiffer", "Gruber", "Steiner", "Moser", "Brunner", "Wyss", "Meili",
)
GERMAN_STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Dorfstraße", "Bergstraße",
    "Birkenweg", "Lindenstraße", "Kirchstraße", "Waldstraße", "Ringstraße", "Schillerstraße",
    "Goethestraße", "Am Markt", "Industriestraße", "Gewerbestraße", "Mühlenweg", "Feldstraße",
    "Rosenstraße", "Friedrichstraße", "Kastanienallee", "Parkstraße", "Uhlandstraße", "Talstraße",
    "Wiesenweg", "Eichenweg", "Mozartstraße", "Beethovenstraße", "Poststraße", "Marktplatz",
    "Hafenstraße", "Kantstraße", "Lessingstraße", "Sonnenstraße", "Am Sportplatz", "Brunnenstraße",
    "Im Gewerbepark", "Max-Planck-Straße", "Robert-Bosch-Straße", "Carl-Benz-Straße", "Siemensstraße",
)
SWISS_STREET_SUFFIX = ("strasse", "weg", "gasse")  # Swiss spelling has no ß

ACADEMIC_TITLES = {"DE": ("Dr.", "Dr.", "Dr.", "Prof. Dr."), "AT": ("Dr.", "Mag.", "DI"), "CH": ("Dr.",)}

# label (en), label (de), name words (de), name words (en), weight
INDUSTRIES = (
    ("Mechanical engineering", "Maschinenbau", ("Maschinenbau", "Anlagenbau", "Präzisionstechnik"),
     ("Machinery", "Engineering", "Precision Tools"), 5),
    ("Automotive supply", "Automobilzulieferer", ("Fahrzeugtechnik", "Autoteile"), ("Automotive", "Auto Parts"), 3),
    ("Retail", "Einzelhandel", ("Handel", "Fachhandel", "Warenhaus"), ("Retail", "Stores", "Outfitters"), 4),
    ("Wholesale", "Großhandel", ("Großhandel", "Handelsgesellschaft"), ("Wholesale", "Distribution", "Supply"), 3),
    ("Logistics", "Logistik", ("Logistik", "Spedition", "Transporte"), ("Logistics", "Freight", "Shipping"), 3),
    ("IT services", "IT-Dienstleistungen", ("IT-Systeme", "Software", "Digital"),
     ("Software", "IT Solutions", "Digital"), 5),
    ("Construction", "Bauwesen", ("Bau", "Hochbau", "Bauunternehmung"), ("Construction", "Builders"), 3),
    ("Healthcare", "Gesundheitswesen", ("Medizintechnik", "Praxisbedarf"), ("Medical", "Health Care"), 3),
    ("Hospitality", "Gastgewerbe", ("Hotel", "Gastronomie"), ("Hospitality", "Hotels"), 2),
    ("Financial services", "Finanzdienstleistungen", ("Finanzberatung", "Vermögensverwaltung"),
     ("Capital", "Financial", "Advisors"), 2),
    ("Energy", "Energie", ("Energie", "Solartechnik"), ("Energy", "Solar", "Power"), 2),
    ("Food production", "Lebensmittelherstellung", ("Feinkost", "Backwaren", "Lebensmittel"),
     ("Foods", "Bakery", "Provisions"), 2),
    ("Furniture", "Möbel", ("Möbelwerk", "Büromöbel", "Einrichtung"), ("Furniture", "Interiors", "Office Design"), 3),
    ("Printing and media", "Druck und Medien", ("Druckerei", "Medien", "Verlag"), ("Printing", "Media", "Press"), 2),
    ("Consulting", "Unternehmensberatung", ("Consulting", "Beratung", "Partner"),
     ("Consulting", "Partners", "Advisory"), 3),
    ("Chemicals", "Chemie", ("Chemie", "Kunststoffe"), ("Chemicals", "Plastics"), 1),
    ("Education", "Bildung", ("Akademie", "Bildungswerk"), ("Academy", "Learning"), 1),
    ("Glass and ceramics", "Glas und Keramik", ("Glas", "Glastechnik", "Keramik"), ("Glass", "Ceramics"), 1),
)

GERMAN_NAME_PREFIXES = (
    "Rheintal", "Elbe", "Nord", "Süd", "Alpen", "Isar", "Main", "Spree", "Weser", "Harz", "Bodensee",
    "Allgäu", "Hanse", "Ostsee", "Schwarzwald", "Mosel", "Donau", "Neckar", "Taunus", "Eifel",
)
ENGLISH_NAME_PREFIXES = (
    "Summit", "Pioneer", "Redwood", "Granite", "Bluewater", "Northstar", "Evergreen", "Lakeside",
    "Ironwood", "Silverline", "Keystone", "Harbor", "Crescent", "Beacon", "Cedar", "Atlas",
)

# legal forms by country and company size class ("small" = micro/small, "large" = the rest)
LEGAL_FORMS: dict[str, dict[str, tuple[tuple[str, int], ...]]] = {
    "DE": {"small": (("GmbH", 50), ("e.K.", 12), ("UG (haftungsbeschränkt)", 10), ("GbR", 8), ("OHG", 5),
                     ("KG", 5), ("GmbH & Co. KG", 10)),
           "large": (("GmbH", 45), ("GmbH & Co. KG", 25), ("AG", 25), ("KG", 5))},
    "AT": {"small": (("GmbH", 80), ("KG", 20)), "large": (("GmbH", 60), ("AG", 40))},
    "CH": {"small": (("GmbH", 65), ("AG", 35)), "large": (("AG", 85), ("GmbH", 15))},
    "US": {"small": (("LLC", 65), ("Inc.", 35)), "large": (("Inc.", 85), ("LLC", 15))},
    "GB": {"small": (("Ltd", 95), ("plc", 5)), "large": (("Ltd", 55), ("plc", 45))},
}

# size value, weight, number of contacts (min, max)
COMPANY_SIZES = (("1-9", 22, (1, 1)), ("10-49", 34, (1, 2)), ("50-249", 26, (2, 3)), ("250-999", 12, (2, 4)),
                 ("1000+", 6, (3, 4)))

# (German role for women, for men, English role, department de, department en)
B2B_ROLES = (
    ("Geschäftsführerin", "Geschäftsführer", "Managing Director", "Geschäftsführung", "Management"),
    ("Leiterin Einkauf", "Leiter Einkauf", "Head of Procurement", "Einkauf", "Procurement"),
    ("Einkäuferin", "Einkäufer", "Purchasing Manager", "Einkauf", "Procurement"),
    ("IT-Leiterin", "IT-Leiter", "IT Manager", "IT", "IT"),
    ("Leiterin Vertrieb", "Vertriebsleiter", "Sales Director", "Vertrieb", "Sales"),
    ("Buchhalterin", "Buchhalter", "Accounts Manager", "Buchhaltung", "Finance"),
    ("Office-Managerin", "Office-Manager", "Office Manager", "Verwaltung", "Administration"),
    ("Projektleiterin", "Projektleiter", "Project Manager", "Projekte", "Projects"),
    ("Leiterin Marketing", "Leiter Marketing", "Marketing Director", "Marketing", "Marketing"),
    ("Technische Leiterin", "Technischer Leiter", "Head of Operations", "Technik", "Operations"),
    ("Finanzvorständin", "Finanzvorstand", "Chief Financial Officer", "Finanzen", "Finance"),
)

# lifecycle stage key, weight for organisations, weight for private customers
STAGES = (("customer", 50, 45), ("prospect", 16, 8), ("lead", 14, 14), ("subscriber", 6, 18),
          ("former_customer", 14, 15))

TAGS_B2B = {
    "en": ("VIP", "Newsletter", "Trade fair 2025", "Framework contract", "Key account", "Reseller",
           "Reference customer"),
    "de": ("VIP", "Newsletter", "Messe 2025", "Rahmenvertrag", "Key Account", "Wiederverkäufer", "Referenzkunde"),
}
TAGS_B2C = {
    "en": ("Newsletter", "Regular customer", "Online shop", "In store", "Jewellery", "Birthday campaign", "VIP"),
    "de": ("Newsletter", "Stammkunde", "Onlineshop", "Filiale", "Schmuck", "Geburtstagsaktion", "VIP"),
}

PRODUCTS_B2B = {
    "de": ("Bürostuhl ErgoPro", "Schreibtisch Flex 160", "Wartungsvertrag Premium", "Ersatzteilpaket",
           "Lagerregal-System", "Softwarelizenz Kunde Pro", "Schulungspaket", "Servicepauschale", "Akustikwand"),
    "en": ("ErgoPro office chair", "Flex 160 desk", "Premium maintenance contract", "spare parts kit",
           "shelving system", "Kunde Pro software licence", "training package", "service flat rate",
           "acoustic panels"),
}
PRODUCTS_B2C = {
    "de": ("Halskette „Aurora“", "Ring aus Weißgold", "Armbanduhr Classic", "Ledertasche", "Kaffeevollautomat",
           "Laufschuhe", "Ohrringe „Perla“", "Geschenkgutschein"),
    "en": ("“Aurora” necklace", "white gold ring", "Classic wristwatch", "leather bag", "espresso machine",
           "running shoes", "“Perla” earrings", "gift card"),
}
ISSUES = {
    "de": ("Kratzer an der Tischplatte", "falsche Lieferadresse", "fehlende Teile", "defektes Netzteil",
           "unvollständige Lieferung", "falsche Farbe geliefert"),
    "en": ("scratched desktop", "wrong delivery address", "missing parts", "faulty power supply",
           "incomplete delivery", "wrong colour delivered"),
}
FAIRS = ("ORGATEC", "Hannover Messe", "CeBIT Home", "EuroShop", "Ambiente", "LogiMAT")
WEBINARS = {
    "de": ("Ergonomie im Büro", "Neuheiten 2025", "Nachhaltig einkaufen", "Service-Portal kennenlernen"),
    "en": ("Ergonomics at work", "What's new in 2025", "Sustainable purchasing", "Getting to know the portal"),
}


@dataclass(frozen=True)
class Topic:
    """A kind of contact with a customer: what it is about and how it tends to feel."""

    key: str
    subject_de: str
    subject_en: str
    mood_bias: float
    channels: tuple[str, ...]
    direction: str  # "in" / "out"
    audience: str  # "b2b", "b2c" or "both"
    weight: int
    follow_up_de: str = ""  # a task this contact creates
    follow_up_en: str = ""


TOPICS = (
    Topic("inquiry", "Anfrage zu {product}", "Inquiry about {product}", 0.1, ("email", "phone", "web"), "in",
          "b2b", 8, "Angebot zu {product} erstellen", "Prepare a quote for {product}"),
    Topic("intro", "Erstgespräch", "Introductory call", 0.2, ("phone", "video"), "out", "b2b", 4,
          "Unterlagen schicken", "Send documentation"),
    Topic("quote", "Angebot {ref} besprochen", "Discussed quote {ref}", 0.3, ("phone", "video", "meeting"), "out",
          "b2b", 7, "Beim Angebot {ref} nachfassen", "Follow up on quote {ref}"),
    Topic("quote_follow_up", "Nachfass zum Angebot {ref}", "Follow-up on quote {ref}", 0.0, ("phone", "email"), "out",
          "b2b", 5),
    Topic("order", "Auftragsbestätigung {ref}", "Order confirmation {ref}", 0.8, ("email",), "out", "b2b", 5),
    Topic("delay", "Lieferverzug bei Auftrag {ref}", "Delivery delay on order {ref}", -1.3, ("phone", "email"), "in",
          "b2b", 3, "Neuen Liefertermin für {ref} klären", "Confirm a new delivery date for {ref}"),
    Topic("complaint", "Reklamation: {issue}", "Complaint: {issue}", -1.6, ("phone", "email", "letter"), "in",
          "both", 4, "Reklamation klären: {issue}", "Resolve complaint: {issue}"),
    Topic("resolved", "Reklamation gelöst, Gutschrift erteilt", "Complaint resolved, credit note issued", 0.6,
          ("phone", "email"), "out", "both", 2),
    Topic("review", "Jahresgespräch {year}", "Annual account review {year}", 0.4, ("meeting", "video"), "out", "b2b",
          3, "Protokoll zum Jahresgespräch versenden", "Send the minutes of the annual review"),
    Topic("demo", "Produktvorführung: {product}", "Product demo: {product}", 0.5, ("video", "meeting"), "out",
          "b2b", 3),
    Topic("fair", "Gespräch am Messestand ({fair})", "Talk at our booth ({fair})", 0.6, ("event",), "in", "b2b", 2,
          "Kontakt von der {fair} nachfassen", "Follow up the {fair} contact"),
    Topic("invoice", "Rückfrage zur Rechnung {ref}", "Question about invoice {ref}", -0.3, ("email", "phone"), "in",
          "both", 4),
    Topic("reminder", "Zahlungserinnerung {ref}", "Payment reminder {ref}", -0.6, ("email", "letter"), "out", "b2b", 2),
    Topic("renewal", "Vertragsverlängerung {year}", "Contract renewal {year}", 0.5, ("meeting", "email", "video"),
          "out", "b2b", 2, "Verlängerung {year} vorbereiten", "Prepare the {year} renewal"),
    Topic("price", "Information zur Preisanpassung", "Price adjustment notice", -0.8, ("email", "letter"), "out", "b2b",
          1),
    Topic("support", "Technische Frage zu {product}", "Technical question about {product}", -0.2,
          ("phone", "email", "chat"), "in", "both", 4, "Rückruf Technik zu {product}",
          "Call back about {product}"),
    Topic("webinar", "Teilnahme am Webinar „{webinar}“", "Attended the webinar “{webinar}”", 0.4, ("web",), "in",
          "both", 2),
    Topic("newsletter", "Newsletter-Anmeldung", "Newsletter sign-up", 0.3, ("web",), "in", "both", 2),
    Topic("order_question", "Frage zur Bestellung {ref}", "Question about order {ref}", 0.0, ("chat", "email", "phone"),
          "in", "b2c", 7),
    Topic("advice", "Beratung zu {product}", "Advice on {product}", 0.5, ("chat", "phone", "meeting"), "in", "b2c", 6,
          "Rückruf wegen {product}", "Call back about {product}"),
    Topic("return", "Rücksendung zur Bestellung {ref}", "Return of order {ref}", -0.7, ("email", "chat", "web"), "in",
          "b2c", 3, "Rücksendung {ref} erstatten", "Refund the return of {ref}"),
    Topic("damaged", "Ware beschädigt angekommen", "Item arrived damaged", -1.6, ("email", "phone", "chat"), "in",
          "b2c", 2, "Ersatz für beschädigte Ware senden", "Send a replacement for the damaged item"),
    Topic("birthday", "Geburtstagsgutschein verschickt", "Birthday voucher sent", 0.7, ("email",), "out", "b2c", 2),
    Topic("thanks", "Dank für die positive Bewertung", "Thanks for the positive review", 1.0, ("email", "social"),
          "out", "b2c", 2),
    Topic("social", "Kommentar auf Instagram", "Comment on Instagram", 0.2, ("social",), "in", "b2c", 2),
    Topic("satisfaction", "Zufriedenheitsanruf nach dem Kauf", "Satisfaction call after the purchase", 0.5, ("phone",),
          "out", "b2c", 3),
    Topic("shipping", "Versandbenachrichtigung {ref}", "Shipping notification {ref}", 0.0, ("sms", "email"), "out",
          "b2c", 3),
)

MOOD_NOTES = {
    "de": ("Kunde sehr verärgert.", "Kunde unzufrieden.", "Sachliches Gespräch.",
           "Kunde zufrieden.", "Kunde begeistert, möchte uns weiterempfehlen."),
    "en": ("Customer very upset.", "Customer unhappy.", "Matter-of-fact conversation.",
           "Customer satisfied.", "Customer delighted, wants to recommend us."),
}
NEXT_STEPS = {
    "de": ("Angebot bis Freitag senden.", "Rückruf nächste Woche.", "Muster zuschicken.", "Technik informieren.",
           "Termin vor Ort vereinbaren.", "Keine weiteren Schritte nötig."),
    "en": ("Send the quote by Friday.", "Call back next week.", "Send samples.", "Inform the technicians.",
           "Arrange an on-site visit.", "No further steps needed."),
}
# The demo company's staff: role, team key, language of the name
STAFF = (
    ("admin", None, "de"),
    ("manager", "dach", "de"),
    ("member", "dach", "de"),
    ("member", "dach", "de"),
    ("manager", "international", "en"),
    ("member", "international", "en"),
    ("member", "service", "de"),
    ("member", "service", "de"),
    ("readonly", "service", "de"),
)
TEAMS = {
    "dach": {"en": "Sales DACH", "de": "Vertrieb DACH"},
    "international": {"en": "International Sales", "de": "Internationaler Vertrieb"},
    "service": {"en": "Customer Service", "de": "Kundenservice"},
}
STAFF_EMAIL_DOMAIN = "kunde-demo.example"

# Per topic: outcomes (de, en) and a note sentence (de, en) that fit what happened.
TOPIC_DETAILS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "inquiry": (("Angebot angefordert", "Unterlagen gesendet", "Rückruf vereinbart"),
                ("Quote requested", "Documentation sent", "Call back arranged"),
                ("Fragt nach Staffelpreisen und Lieferzeit.", "Braucht die Ware bis Quartalsende."),
                ("Asks about volume pricing and lead times.", "Needs the goods by the end of the quarter.")),
    "intro": (("Termin vereinbart", "Unterlagen gesendet", "Kein Bedarf"),
              ("Meeting arranged", "Documentation sent", "No need at present"),
              ("Kennt uns von der Website.", "Wurde von einem Bestandskunden empfohlen."),
              ("Found us through the website.", "Was referred by an existing customer.")),
    "quote": (("Angebot angenommen", "Angebot wird geprüft", "Nachbesserung gewünscht"),
              ("Quote accepted", "Quote under review", "Revision requested"),
              ("Preis im Rahmen, Entscheidung bis Monatsende.", "Wünscht 3 % Skonto."),
              ("Price is within budget, decision by month end.", "Asks for a 3% early payment discount.")),
    "quote_follow_up": (("Auftrag in Aussicht", "Noch in Abstimmung", "Kein Interesse"),
                        ("Order expected", "Still being discussed", "Not interested"),
                        ("Budget wird intern freigegeben.", "Vergleicht noch mit einem Wettbewerber."),
                        ("Budget approval is under way.", "Still comparing with a competitor.")),
    "order": (("Auftrag erteilt",), ("Order placed",),
              ("Liefertermin bestätigt.", "Lieferung in zwei Teilen vereinbart."),
              ("Delivery date confirmed.", "Agreed to deliver in two parts.")),
    "delay": (("Neuer Liefertermin zugesagt", "Eskaliert an Teamleitung", "Teillieferung vereinbart"),
              ("New delivery date promised", "Escalated to team lead", "Partial delivery agreed"),
              ("Ware steckt beim Spediteur fest.", "Zulieferer hat Engpässe."),
              ("Goods are stuck with the carrier.", "Our supplier is short of parts.")),
    "complaint": (("Ersatz zugesagt", "Gutschrift zugesagt", "Techniker beauftragt"),
                  ("Replacement promised", "Credit note promised", "Technician sent"),
                  ("Fotos der Schäden liegen vor.", "Zweite Reklamation in diesem Jahr."),
                  ("Photos of the damage received.", "Second complaint this year.")),
    "resolved": (("Problem gelöst",), ("Problem solved",),
                 ("Kunde bedankt sich für die schnelle Lösung.", "Gutschrift wurde verrechnet."),
                 ("Customer thanked us for the quick fix.", "Credit note has been applied.")),
    "review": (("Jahresziele vereinbart", "Rahmenvertrag besprochen"), ("Goals agreed", "Framework contract discussed"),
               ("Umsatz über Vorjahr, Ausbau des Sortiments geplant.", "Wünscht feste Ansprechpartner im Service."),
               ("Revenue above last year, plans to widen the range.", "Wants a named contact in service.")),
    "demo": (("Testinstallation vereinbart", "Angebot angefordert"), ("Trial arranged", "Quote requested"),
             ("Team war von der Bedienung überzeugt.", "Fragen zur Integration ins ERP."),
             ("The team liked how easy it is to use.", "Questions about ERP integration.")),
    "fair": (("Kontakt aufgenommen", "Termin vereinbart"), ("Contact made", "Meeting arranged"),
             ("Interesse an der neuen Produktlinie.", "Besuch am Stand mit zwei Kollegen."),
             ("Interested in the new product line.", "Visited the booth with two colleagues.")),
    "invoice": (("Frage beantwortet", "Rechnung korrigiert"), ("Question answered", "Invoice corrected"),
                ("Skonto war nicht abgezogen.", "Lieferadresse auf der Rechnung falsch."),
                ("The discount was missing.", "Wrong delivery address on the invoice.")),
    "reminder": (("Zahlung zugesagt", "Ratenzahlung vereinbart"), ("Payment promised", "Instalments agreed"),
                 ("Zweite Mahnstufe.", "Rechnung war in der Buchhaltung untergegangen."),
                 ("Second reminder.", "The invoice had got lost in accounts.")),
    "renewal": (("Vertrag verlängert", "Verlängerung in Prüfung"), ("Contract renewed", "Renewal under review"),
                ("Laufzeit zwei Jahre, Preis unverändert.", "Wünscht zusätzliche Schulungstage."),
                ("Two-year term, price unchanged.", "Asks for extra training days.")),
    "price": (("Zur Kenntnis genommen", "Einwand erhoben"), ("Acknowledged", "Objection raised"),
              ("Anpassung um 4 % ab Januar.", "Kunde verweist auf Wettbewerbsangebote."),
              ("Prices rise by 4% from January.", "Customer points to competitors' offers.")),
    "support": (("Frage beantwortet", "An Technik weitergeleitet"), ("Question answered", "Passed to technicians"),
                ("Anleitung per E-Mail geschickt.", "Firmware-Update empfohlen."),
                ("Sent instructions by e-mail.", "Recommended a firmware update.")),
    "webinar": (("Teilgenommen",), ("Attended",),
                ("Hat eine Frage im Chat gestellt.", "Bis zum Ende geblieben."),
                ("Asked a question in the chat.", "Stayed until the end.")),
    "newsletter": (("Angemeldet",), ("Signed up",), ("Double-Opt-in bestätigt.",), ("Double opt-in confirmed.",)),
    "order_question": (("Frage beantwortet", "Lieferung umgeleitet"), ("Question answered", "Delivery redirected"),
                       ("Sendungsverfolgung geschickt.", "Lieferung an die Packstation gewünscht."),
                       ("Sent the tracking link.", "Wants delivery to a parcel locker.")),
    "advice": (("Kauf geplant", "Reservierung angelegt", "Noch unentschlossen"),
               ("Plans to buy", "Item reserved", "Still undecided"),
               ("Sucht ein Geschenk zum Jahrestag.", "Fragt nach Material und Pflege."),
               ("Looking for an anniversary present.", "Asks about material and care.")),
    "return": (("Rücksendung angenommen", "Umtausch vereinbart"), ("Return accepted", "Exchange agreed"),
               ("Größe passt nicht.", "Farbe anders als auf dem Foto."),
               ("Wrong size.", "Colour differs from the photo.")),
    "damaged": (("Ersatz verschickt", "Erstattung veranlasst"), ("Replacement sent", "Refund issued"),
                ("Paket war eingedrückt.", "Verschluss defekt."), ("The parcel was crushed.", "The clasp is broken.")),
    "birthday": (("Gutschein versendet",), ("Voucher sent",), ("10 % auf den nächsten Einkauf.",),
                 ("10% off the next purchase.",)),
    "thanks": (("Dank ausgesprochen",), ("Thanked",), ("Fünf Sterne im Shop.",), ("Five stars in the shop.",)),
    "social": (("Beantwortet",), ("Replied",), ("Fragt nach der neuen Kollektion.", "Lob für die Beratung."),
               ("Asks about the new collection.", "Praises the advice she got.")),
    "satisfaction": (("Kunde zufrieden", "Verbesserungsvorschlag notiert"),
                     ("Customer satisfied", "Suggestion noted"),
                     ("Würde wieder kaufen.", "Wünscht sich schnellere Lieferung."),
                     ("Would buy again.", "Would like faster delivery.")),
    "shipping": (("Versendet",), ("Shipped",), ("Zustellung in 1–2 Werktagen.",), ("Delivery in 1–2 working days.",)),
}
