# The article search index: FTS5 (bm25) over the document table on SQLite; a weighted,
# generated tsvector with a GIN index on PostgreSQL. The SQL is written out here, not
# imported, so this migration never changes.

from django.db import migrations

from kunde.core.db import run_for_vendor

SQLITE = [
    "CREATE VIRTUAL TABLE knowledge_articlesearch_fts USING fts5(title, body, "
    "content='knowledge_articlesearchdocument', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER knowledge_articlesearch_ai AFTER INSERT ON knowledge_articlesearchdocument BEGIN "
    "INSERT INTO knowledge_articlesearch_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER knowledge_articlesearch_ad AFTER DELETE ON knowledge_articlesearchdocument BEGIN "
    "INSERT INTO knowledge_articlesearch_fts(knowledge_articlesearch_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER knowledge_articlesearch_au AFTER UPDATE ON knowledge_articlesearchdocument BEGIN "
    "INSERT INTO knowledge_articlesearch_fts(knowledge_articlesearch_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO knowledge_articlesearch_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS knowledge_articlesearch_au",
    "DROP TRIGGER IF EXISTS knowledge_articlesearch_ad",
    "DROP TRIGGER IF EXISTS knowledge_articlesearch_ai",
    "DROP TABLE IF EXISTS knowledge_articlesearch_fts",
]
POSTGRESQL = [
    "ALTER TABLE knowledge_articlesearchdocument ADD COLUMN vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B')) STORED",
    "CREATE INDEX knowledge_articlesearch_vector ON knowledge_articlesearchdocument USING gin (vector)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS knowledge_articlesearch_vector",
    "ALTER TABLE knowledge_articlesearchdocument DROP COLUMN IF EXISTS vector",
]


def forwards(apps, schema_editor):
    run_for_vendor(schema_editor, sqlite=SQLITE, postgresql=POSTGRESQL)


def backwards(apps, schema_editor):
    run_for_vendor(schema_editor, sqlite=SQLITE_REVERSE, postgresql=POSTGRESQL_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
