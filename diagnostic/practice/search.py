"""Full-text search of case studies: one function, on SQLite (FTS5) and PostgreSQL.

On SQLite the words live in the FTS5 table `practice_casestudy_fts`, kept in step with
`practice_casestudy` by triggers (migration 0002): every insert, update and delete of a case
study rewrites its row there, so no code path can forget to. On PostgreSQL a tsvector column of the
same columns (English configuration, title weighted above the rest) is kept by a trigger and
indexed with GIN (migration 0003). Both give a `rank` (higher is
better) for sorting by relevance.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Case, FloatField, QuerySet, Value, When

FTS_TABLE = "practice_casestudy_fts"
BODY_COLUMNS = ["summary", "what_was_done", "results", "differently", "contact_role"]
MAX_TERMS = 12
# bm25 is lower for better matches; negated so that higher is better, as on PostgreSQL. Title
# words weigh ten times body words.
FTS_BEST = (
    "SELECT rowid FROM practice_casestudy_fts WHERE practice_casestudy_fts MATCH %s "
    "ORDER BY bm25(practice_casestudy_fts, 10.0, 1.0) LIMIT %s"
)
# A search lists at most this many best matches (of any state: the caller's queryset decides
# which of them a person may see). Far more than anyone pages through.
PG_MATCH = "practice_casestudy.search_vector @@ plainto_tsquery('english', %s)"
PG_RANK = "ts_rank(practice_casestudy.search_vector, plainto_tsquery('english', %s))"
MAX_MATCHES = 1000
EXACT_TOP = 40
BLOCK = 50


def words(query: str) -> list[str]:
    """The words of a query: letters and digits only, so no search syntax gets through."""
    return re.findall(r"\w+", query or "", flags=re.UNICODE)[:MAX_TERMS]


def search_case_studies(queryset: QuerySet, query: str) -> QuerySet:
    """The case studies in `queryset` matching every word of `query`, annotated with `rank`
    (higher is better: on SQLite, minus the place in bm25 order, see below).

    An empty query (or one with no words) returns the queryset unchanged with rank 0.
    """
    terms = words(query)
    if not terms:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    if connection.vendor == "postgresql":
        # The stored, GIN-indexed vector of migration 0003 (title weighted A, the rest B).
        text = " ".join(terms)
        return queryset.extra(  # noqa: S610 - constant SQL; the words are a parameter
            select={"rank": PG_RANK},
            select_params=[text],
            where=[PG_MATCH],
            params=[text],
        )
    # FTS5: each word quoted (so it is a word, never an operator) and matched as a prefix. One
    # query asks the index for the best matches in bm25 order (constant SQL, the words a
    # parameter). The case studies are then those ids, with a `rank` from their place in that
    # order: the best EXACT_TOP one by one, the rest in blocks of BLOCK (a CASE of a few dozen
    # branches, where one branch per match made SQLite compare every row with every match).
    # Joining the index into the main query instead let the planner run the MATCH per row.
    match = " ".join('"{}"*'.format(t.replace('"', "")) for t in terms)
    with connection.cursor() as cursor:
        cursor.execute(FTS_BEST, [match, MAX_MATCHES])
        ranked = [row[0] for row in cursor.fetchall()]
    if not ranked:
        return queryset.none().annotate(rank=Value(0.0, output_field=FloatField()))
    whens = [When(pk=pk, then=Value(float(-i))) for i, pk in enumerate(ranked[:EXACT_TOP])]
    for start in range(EXACT_TOP, len(ranked), BLOCK):
        whens.append(When(pk__in=ranked[start : start + BLOCK], then=Value(float(-start))))
    rank = Case(*whens, default=Value(float(-MAX_MATCHES)), output_field=FloatField())
    return queryset.filter(pk__in=ranked).annotate(rank=rank)
