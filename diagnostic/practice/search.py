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
from django.db.models import CharField, FloatField, Func, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat

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
    # parameter). The case studies are then those ids, ranked by their place in that order:
    # the ids go in as one string ",12,7,40," and a row's rank is minus the position of
    # ",<id>," in it, one `instr` per row (a CASE with a branch per match made SQLite compare
    # every row with every branch). Joining the index into the main query instead let the
    # planner run the MATCH per row.
    match = " ".join('"{}"*'.format(t.replace('"', "")) for t in terms)
    with connection.cursor() as cursor:
        cursor.execute(FTS_BEST, [match, MAX_MATCHES])
        ranked = [row[0] for row in cursor.fetchall()]
    if not ranked:
        return queryset.none().annotate(rank=Value(0.0, output_field=FloatField()))
    order = "," + ",".join(str(pk) for pk in ranked) + ","
    position = Func(
        Value(order),
        Concat(Value(","), Cast("pk", CharField()), Value(",")),
        function="instr",
        output_field=FloatField(),
    )
    # The same best matches as a subquery (SQLite runs it once, as a list), not a thousand
    # bound parameters that Django and SQLite would each go through for the count and the page.
    best = RawSQL(FTS_BEST, [match, MAX_MATCHES])  # noqa: S611 - constant SQL, words a parameter
    return queryset.filter(pk__in=best).annotate(rank=-position)
