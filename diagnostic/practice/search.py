"""Full-text search of case studies: one function, on SQLite (FTS5) and PostgreSQL.

On SQLite the words live in the FTS5 table `practice_casestudy_fts`, kept in step with
`practice_casestudy` by triggers (migration 0002): every insert, update and delete of a case
study rewrites its row there, so no code path can forget to. On PostgreSQL the search vector
is built from the same columns with the English configuration. Both give a `rank` (higher is
better) for sorting by relevance.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import F, FloatField, QuerySet, Value
from django.db.models.expressions import RawSQL

FTS_TABLE = "practice_casestudy_fts"
BODY_COLUMNS = ["summary", "what_was_done", "results", "differently", "contact_role"]
MAX_TERMS = 12
FTS_IDS_SQL = "SELECT rowid FROM practice_casestudy_fts WHERE practice_casestudy_fts MATCH %s"
# bm25 is lower for better matches; negated so that higher is better, as on PostgreSQL. Title
# words weigh ten times body words.
FTS_RANK_SQL = (
    "SELECT -bm25(practice_casestudy_fts, 10.0, 1.0) FROM practice_casestudy_fts "
    "WHERE practice_casestudy_fts MATCH %s AND practice_casestudy_fts.rowid = practice_casestudy.id"
)


def words(query: str) -> list[str]:
    """The words of a query: letters and digits only, so no search syntax gets through."""
    return re.findall(r"\w+", query or "", flags=re.UNICODE)[:MAX_TERMS]


def search_case_studies(queryset: QuerySet, query: str) -> QuerySet:
    """The case studies in `queryset` matching every word of `query`, annotated with `rank`.

    An empty query (or one with no words) returns the queryset unchanged with rank 0.
    """
    terms = words(query)
    if not terms:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("title", weight="A", config="english") + SearchVector(
            *BODY_COLUMNS, weight="B", config="english"
        )
        q = SearchQuery(" ".join(terms), search_type="plain", config="english")
        return (
            queryset.annotate(search=vector)
            .filter(search=q)
            .annotate(rank=SearchRank(F("search"), q))
        )
    # FTS5: each word quoted (so it is a word, never an operator) and matched as a prefix. The
    # SQL is constant; the words travel as a parameter.
    match = " ".join('"{}"*'.format(t.replace('"', "")) for t in terms)
    return queryset.filter(pk__in=RawSQL(FTS_IDS_SQL, [match])).annotate(  # noqa: S611
        rank=RawSQL(FTS_RANK_SQL, [match], output_field=FloatField())  # noqa: S611
    )
