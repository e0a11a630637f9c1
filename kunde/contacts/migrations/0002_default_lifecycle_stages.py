from django.db import migrations

from kunde.contacts.defaults import ensure_default_stages


def create_stages(apps, schema_editor):
    ensure_default_stages(apps.get_model("contacts", "LifecycleStage"))


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]
    operations = [migrations.RunPython(create_stages, migrations.RunPython.noop)]
