"""Full-text search of case studies: one function, on SQLite (FTS5) and PostgreSQL.

On SQLite the words live in the FTS5 table `practice_casestudy_fts`, kept in step with
`practice_casestudy` by triggers (migration 0002): every insert, update and delete of a case
study rewrites its row there, so no code path can forget to. On PostgreSQL a tsvector column of the
same columns (English configuration, title weighted above the rest) is kept by a trigger and
indexed with GIN (migration 0003). Both give a `rank` (higher is
better) for sorting by relevance.
"""

from __future__ import annotations

import json
import re

from django.db import connection
from django.db.models import BooleanField, CharField, Expression, FloatField, Func, QuerySet, Value
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
MAX_MATCHES = 1000
JSON_IDS = "SELECT value FROM json_each(%s)"


class StoredVector(Expression):
    """PostgreSQL's `search_vector` column of practice_casestudy (migration 0003; not a model
    field), under whatever alias the query gives the table: `practice_casestudy` in a query of
    its own, `U0` when the query is a subquery of another (raw SQL naming the table would then
    read the outer query's row)."""

    def __init__(self, alias: str | None = None):
        super().__init__(output_field=CharField())
        self.alias = alias

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False,
                           for_save=False):  # fmt: skip
        c = self.copy()
        c.alias = query.get_initial_alias()
        return c

    def relabeled_clone(self, change_map):
        c = self.copy()
        c.alias = change_map.get(self.alias, self.alias)
        return c

    def get_group_by_cols(self):
        return [self]

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(self.alias)}.search_vector", []


def _pg_query(text: str) -> Func:
    return Func(Value(text), template="plainto_tsquery('english'::regconfig, %(expressions)s)")


def words(query: str) -> list[str]:
    """The words of a query: letters and digits only, so no search syntax gets through."""
    return re.findall(r"\w+", query or "", flags=re.UNICODE)[:MAX_TERMS]


class Search:
    """A query's words, worked out once per request: `matching(qs)` keeps the case studies that
    match every word; `ranked(qs)` adds their `rank` (higher is better). Kept apart so that a
    list sorted by date never ranks, and a page can rank just its own rows (queries.library_page).

    On SQLite the FTS5 index is asked once, here, for the best matches in bm25 order (constant
    SQL, the words a parameter); each word is quoted (a word, never an operator) and matched as a
    prefix. A row's rank is minus its place in that order: the ids go in as one string
    ",12,7,40," and the rank is minus the position of ",<id>," in it, one `instr` per row (a CASE
    with a branch per match made SQLite compare every row with every branch; joining the index
    into the main query let the planner run the MATCH per row). On PostgreSQL the stored,
    GIN-indexed vector of migration 0003 (title weighted A, the rest B) and `ts_rank`.
    """

    def __init__(self, query: str):
        self.terms = words(query)
        self.nothing = False  # SQLite: the index found no match at all
        if not self.terms:
            return
        if connection.vendor == "postgresql":
            self.text = " ".join(self.terms)
            return
        self.match = " ".join('"{}"*'.format(t.replace('"', "")) for t in self.terms)
        with connection.cursor() as cursor:
            cursor.execute(FTS_BEST, [self.match, MAX_MATCHES])
            ranked = [row[0] for row in cursor.fetchall()]
        self.nothing = not ranked
        self.order = "," + ",".join(str(pk) for pk in ranked) + ","
        self.ids_json = json.dumps(ranked)
        self.positions = {pk: i for i, pk in enumerate(ranked)}

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matching(self, queryset: QuerySet) -> QuerySet:
        if not self.terms:
            return queryset
        if self.nothing:
            return queryset.none()
        if connection.vendor == "postgresql":
            return queryset.filter(
                Func(StoredVector(), _pg_query(self.text), template="%(expressions)s",
                     arg_joiner=" @@ ", output_field=BooleanField())
            )  # fmt: skip
        # The best matches found above, as one JSON parameter that SQLite reads as a list (not
        # a thousand bound parameters that Django and SQLite would each go through, and not
        # the FTS5 query again in every statement).
        best = RawSQL(JSON_IDS, [self.ids_json])  # noqa: S611 - constant SQL
        return queryset.filter(pk__in=best)

    def in_rank_order(self, queryset: QuerySet) -> list[int] | None:
        """The ids in `queryset` (already `matching`, and on PostgreSQL `ranked` and sorted by
        relevance), best first, from one narrow query: their number is the count and a page is
        a slice, so the matches are found and ranked once, not once for the count and again for
        the page. On SQLite each one's rank is already known here (its place in bm25 order) and
        Python sorts by it: sorting in the database compared each row with the list of every
        match. None when there are no words to search for."""
        if not self.terms:
            return None
        if self.nothing:
            return []
        if connection.vendor == "postgresql":
            return list(queryset.values_list("pk", flat=True))
        ids = queryset.order_by().values_list("pk", flat=True)
        return sorted(ids, key=self.positions.__getitem__)

    def rank(self) -> Expression:
        if not self.terms or self.nothing:
            return Value(0.0, output_field=FloatField())
        if connection.vendor == "postgresql":
            return Func(StoredVector(), _pg_query(self.text), function="ts_rank",
                        output_field=FloatField())  # fmt: skip
        position = Func(
            Value(self.order),
            Concat(Value(","), Cast("pk", CharField()), Value(",")),
            function="instr",
            output_field=FloatField(),
        )
        return -position

    def ranked(self, queryset: QuerySet) -> QuerySet:
        return queryset.annotate(rank=self.rank())


def search_case_studies(queryset: QuerySet, query: str) -> QuerySet:
    """The case studies in `queryset` matching every word of `query`, annotated with `rank`
    (higher is better: on SQLite, minus the place in bm25 order, see `Search`).

    An empty query (or one with no words) returns the queryset unchanged with rank 0.
    """
    search = Search(query)
    return search.ranked(search.matching(queryset))
