# PostgreSQL: a tsvector of the names alone. Restricting the combined vector to weight A
# ("names only") hides the restriction from the planner's statistics: it then expects
# every row with the word anywhere to match and walks the primary key backwards through
# the whole table when the name-only match is rare. Nothing changes on SQLite.

from django.db import migrations

from kunde.core.db import run_for_vendor

POSTGRESQL = [
    "ALTER TABLE core_searchentry ADD COLUMN names_vector tsvector GENERATED ALWAYS AS ("
    "to_tsvector('simple'::regconfig, names)) STORED",
    "CREATE INDEX core_searchentry_names_vector ON core_searchentry USING gin (names_vector)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS core_searchentry_names_vector",
    "ALTER TABLE core_searchentry DROP COLUMN IF EXISTS names_vector",
]


def add_names_vector(apps, schema_editor):
    run_for_vendor(schema_editor, postgresql=POSTGRESQL)


def drop_names_vector(apps, schema_editor):
    run_for_vendor(schema_editor, postgresql=POSTGRESQL_REVERSE)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_search_entry'),
    ]

    operations = [
        migrations.RunPython(add_names_vector, drop_names_vector, elidable=False),
    ]
