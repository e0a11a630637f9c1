from django.db import migrations


def forwards(apps, schema_editor):
    from kunde.audience.defaults import ensure_default_purposes

    ensure_default_purposes(apps.get_model("audience", "ConsentPurpose"), apps.get_model("audience", "ConsentWording"))


class Migration(migrations.Migration):
    dependencies = [("audience", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
