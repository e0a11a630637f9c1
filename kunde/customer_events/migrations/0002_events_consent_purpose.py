from django.db import migrations


def forwards(apps, schema_editor):
    from kunde.customer_events.services import ensure_events_purpose

    ensure_events_purpose(apps.get_model("audience", "ConsentPurpose"), apps.get_model("audience", "ConsentWording"))


class Migration(migrations.Migration):
    """Add the consent purpose "events": invitations need consent to be invited, not to newsletters or offers."""

    dependencies = [("customer_events", "0001_initial"), ("audience", "0002_default_purposes")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
