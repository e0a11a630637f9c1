from django.db import migrations


def create_reasons(apps, schema_editor):  # type: ignore[no-untyped-def]
    from kunde.contracts.defaults import ensure_default_cancellation_reasons

    ensure_default_cancellation_reasons(apps.get_model("contracts", "CancellationReason"))


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]

    operations = [migrations.RunPython(create_reasons, migrations.RunPython.noop)]
