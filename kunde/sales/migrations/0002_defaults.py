from django.db import migrations

from kunde.sales.defaults import ensure_default_lost_reasons, ensure_default_pipeline


def create_defaults(apps, schema_editor):
    ensure_default_pipeline(apps.get_model("sales", "Pipeline"), apps.get_model("sales", "Stage"))
    ensure_default_lost_reasons(apps.get_model("sales", "LostReason"))


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
