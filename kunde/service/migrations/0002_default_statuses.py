from django.db import migrations

STATUSES = [
    ("new", "New", "Neu", "new"),
    ("open", "Open", "Offen", "open"),
    ("waiting_customer", "Waiting for customer", "Wartet auf Kunde", "waiting_customer"),
    ("waiting_third_party", "Waiting for third party", "Wartet auf Dritte", "waiting_third_party"),
    ("solved", "Solved", "Gelöst", "solved"),
    ("closed", "Closed", "Geschlossen", "closed"),
]


def forwards(apps, schema_editor):
    TicketStatus = apps.get_model("service", "TicketStatus")
    BusinessCalendar = apps.get_model("service", "BusinessCalendar")
    for position, (key, en, de, category) in enumerate(STATUSES):
        TicketStatus.objects.get_or_create(
            key=key, defaults={"label_en": en, "label_de": de, "category": category, "position": position})
    BusinessCalendar.objects.get_or_create(name="Standard", defaults={"working_days": [0, 1, 2, 3, 4]})


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
