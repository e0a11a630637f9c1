from django.db import migrations

DEFAULT_ROLES = [
    # key, name, view scope, edit scope, may delete, administrator
    ("admin", "Administrator", "all", "all", True, True),
    ("manager", "Manager", "all", "team", True, False),
    ("member", "Member", "team", "own", False, False),
    ("readonly", "Read-only", "team", "none", False, False),
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for key, name, view, edit, delete, admin in DEFAULT_ROLES:
        Role.objects.get_or_create(
            key=key,
            defaults={"name": name, "view_scope": view, "edit_scope": edit, "can_delete": delete, "is_admin": admin},
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
