from django.db import migrations

from kunde.accounts.defaults import ensure_default_roles


def create_roles(apps, schema_editor):
    ensure_default_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
