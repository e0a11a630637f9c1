from django.db import migrations

DEFAULT_STAGES = [
    ("subscriber", "Subscriber", "Abonnent", 10),
    ("lead", "Lead", "Lead", 20),
    ("prospect", "Prospect", "Interessent", 30),
    ("customer", "Customer", "Kunde", 40),
    ("former_customer", "Former customer", "Ehemaliger Kunde", 50),
]


def create_stages(apps, schema_editor):
    LifecycleStage = apps.get_model("contacts", "LifecycleStage")
    for key, label_en, label_de, position in DEFAULT_STAGES:
        LifecycleStage.objects.get_or_create(
            key=key, defaults={"label_en": label_en, "label_de": label_de, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]
    operations = [migrations.RunPython(create_stages, migrations.RunPython.noop)]
