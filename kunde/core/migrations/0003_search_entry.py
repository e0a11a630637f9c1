# The search index: a plain table written by kunde.core.search, plus the vendor's
# full-text machinery over it (SQLite FTS5 with triggers; PostgreSQL tsvector + GIN and
# pg_trgm). The SQL is written out here, not imported, so this migration never changes.

import django.utils.timezone
from django.db import migrations, models

from kunde.core.db import run_for_vendor

_SCOPE = "'o' || coalesce({row}.owner_id, 'x') || ' t' || coalesce({row}.team_id, 'x')"

SQLITE = [
    # FTS5 reads its content from a view so that the scope column is derived, not stored.
    "CREATE VIEW core_searchentry_fts_source AS SELECT id, names, other, "
    + _SCOPE.format(row="core_searchentry") + " AS scope FROM core_searchentry",
    # The prefix index turns one- to three-letter prefixes (typing as you go) into a
    # single lookup instead of a merge over every word with that prefix.
    "CREATE VIRTUAL TABLE core_searchentry_fts USING fts5(names, other, scope, "
    "content='core_searchentry_fts_source', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    "CREATE TRIGGER core_searchentry_ai AFTER INSERT ON core_searchentry BEGIN "
    "INSERT INTO core_searchentry_fts(rowid, names, other, scope) VALUES "
    "(new.id, new.names, new.other, " + _SCOPE.format(row="new") + "); END",
    "CREATE TRIGGER core_searchentry_ad AFTER DELETE ON core_searchentry BEGIN "
    "INSERT INTO core_searchentry_fts(core_searchentry_fts, rowid, names, other, scope) VALUES "
    "('delete', old.id, old.names, old.other, " + _SCOPE.format(row="old") + "); END",
    "CREATE TRIGGER core_searchentry_au AFTER UPDATE ON core_searchentry BEGIN "
    "INSERT INTO core_searchentry_fts(core_searchentry_fts, rowid, names, other, scope) VALUES "
    "('delete', old.id, old.names, old.other, " + _SCOPE.format(row="old") + "); "
    "INSERT INTO core_searchentry_fts(rowid, names, other, scope) VALUES "
    "(new.id, new.names, new.other, " + _SCOPE.format(row="new") + "); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_searchentry_au",
    "DROP TRIGGER IF EXISTS core_searchentry_ad",
    "DROP TRIGGER IF EXISTS core_searchentry_ai",
    "DROP TABLE IF EXISTS core_searchentry_fts",
    "DROP VIEW IF EXISTS core_searchentry_fts_source",
]

POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # to_tsvector with an explicit configuration is immutable, so it can be generated.
    "ALTER TABLE core_searchentry ADD COLUMN vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, names), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, other), 'B')) STORED",
    "CREATE INDEX core_searchentry_vector ON core_searchentry USING gin (vector)",
    "CREATE INDEX core_searchentry_names_trgm ON core_searchentry USING gin (names gin_trgm_ops)",
    "CREATE INDEX core_searchentry_owner ON core_searchentry (owner_id)",
    "CREATE INDEX core_searchentry_team ON core_searchentry (team_id)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS core_searchentry_team",
    "DROP INDEX IF EXISTS core_searchentry_owner",
    "DROP INDEX IF EXISTS core_searchentry_names_trgm",
    "DROP INDEX IF EXISTS core_searchentry_vector",
    "ALTER TABLE core_searchentry DROP COLUMN IF EXISTS vector",
]


def create_fulltext(apps, schema_editor):
    run_for_vendor(schema_editor, sqlite=SQLITE, postgresql=POSTGRESQL)


def drop_fulltext(apps, schema_editor):
    run_for_vendor(schema_editor, sqlite=SQLITE_REVERSE, postgresql=POSTGRESQL_REVERSE)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_periodic_job_run'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_type', models.CharField(max_length=60)),
                ('object_id', models.BigIntegerField()),
                ('owner_id', models.BigIntegerField(blank=True, null=True)),
                ('team_id', models.BigIntegerField(blank=True, null=True)),
                ('title', models.CharField(max_length=300)),
                ('subtitle', models.CharField(blank=True, max_length=300)),
                ('names', models.TextField(blank=True)),
                ('other', models.TextField(blank=True)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name_plural': 'search entries',
                'constraints': [models.UniqueConstraint(fields=('object_type', 'object_id'), name='uniq_search_entry')],
            },
        ),
        migrations.RunPython(create_fulltext, drop_fulltext, elidable=False),
    ]
