from django.db import migrations

from kunde.contacts.defaults import ensure_default_customer_groups


def create_groups(apps, schema_editor):
    ensure_default_customer_groups(apps.get_model("contacts", "CustomerGroup"))


class Migration(migrations.Migration):
    dependencies = [("contacts", "0005_customer_groups")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
