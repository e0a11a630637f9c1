"""Full-text search over published articles, ranked by relevance, on SQLite and PostgreSQL.

The core search (`kunde.core.search`) finds records by name, newest first, with every
word required: right for "find Müller", wrong for "which article answers this ticket".
Here any query word may match and the best match comes first: FTS5's bm25 on SQLite, a
weighted tsvector with `ts_rank` on PostgreSQL (title words weigh more than body words).
The tokens are Snowball stems made in Python (`knowledge.text`), so both databases agree.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from kunde.knowledge.models import Article, ArticleSearchDocument
from kunde.knowledge.text import plain_text, stems

FTS_TABLE = "knowledge_articlesearch_fts"
DOCUMENT_TABLE = "knowledge_articlesearchdocument"
MIN_PREFIX_LENGTH = 4


def index_article(article: Article) -> None:
    """Write (or drop) the search row of `article` in the caller's transaction."""
    with transaction.atomic():
        ArticleSearchDocument.objects.filter(article_id=article.pk).delete()
        version = article.published_version
        if article.status != Article.Status.PUBLISHED or version is None or article.deleted_at is not None:
            return
        ArticleSearchDocument.objects.create(
            article=article,
            language=article.language,
            title=" ".join(stems(version.title, article.language)),
            body=" ".join(stems(plain_text(version.body, version.body_format), article.language)),
        )


def _fts5_expression(terms: list[str]) -> str:
    parts = []
    for term in terms:
        quoted = '"' + term.replace('"', '""') + '"'
        parts.append(f"{quoted}*" if len(term) >= MIN_PREFIX_LENGTH else quoted)
    return " OR ".join(parts)


def _tsquery_expression(terms: list[str]) -> str:
    parts = []
    for term in terms:
        quoted = "'" + term.replace("'", "''").replace("\\", "\\\\") + "'"
        parts.append(f"{quoted}:*" if len(term) >= MIN_PREFIX_LENGTH else quoted)
    return " | ".join(parts)


def ranked_article_ids(terms: list[str], *, language: str | None, limit: int) -> list[int]:
    """Ids of published articles matching any of `terms` (stems), best match first."""
    if not terms or limit <= 0:
        return []
    params: list[Any]
    if connection.vendor == "sqlite":
        params = [_fts5_expression(terms)]
        where = f"{FTS_TABLE} MATCH %s"
        if language:
            where += " AND d.language = %s"
            params.append(language)
        params.append(limit)
        sql = (
            f"SELECT d.article_id FROM {FTS_TABLE} f JOIN {DOCUMENT_TABLE} d ON d.id = f.rowid "  # noqa: S608
            f"WHERE {where} ORDER BY bm25({FTS_TABLE}, 4.0, 1.0), d.id DESC LIMIT %s"
        )
    else:
        params = [_tsquery_expression(terms)]
        where = "d.vector @@ q.query"
        if language:
            where += " AND d.language = %s"
            params.append(language)
        params.append(limit)
        sql = (
            f"SELECT d.article_id FROM {DOCUMENT_TABLE} d, "  # noqa: S608
            f"to_tsquery('simple', %s) AS q(query) "
            f"WHERE {where} ORDER BY ts_rank(d.vector, q.query) DESC, d.id DESC LIMIT %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def rebuild() -> int:
    """Rewrite the index of every article; return how many are searchable."""
    with transaction.atomic():
        ArticleSearchDocument.objects.all().delete()
        for article in Article.objects.published().select_related("published_version"):
            index_article(article)
        return ArticleSearchDocument.objects.count()
