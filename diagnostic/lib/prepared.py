"""A query that runs on nearly every request, with its SQL compiled once per process.

Django builds a query's SQL afresh each time it runs; for the few lookups that every signed-in
request makes (the person and their memberships, the response named in the URL) that was most
of their CPU. `Prepared` compiles a queryset once per database, with a placeholder for its one
parameter, and afterwards only runs the SQL and turns rows into objects the way Django's own
iterator does (`ModelIterable`: `from_db` and the `select_related` populators).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

_PLACEHOLDER = -2_000_000_001  # never an id


class Prepared:
    """`Prepared(lambda value: queryset)(value)` is `list(queryset)`, without compiling the
    SQL each time. The queryset may take its one parameter only once (an integer id), and may
    not use `.annotate()`, `.values()`, `.only()`/`.defer()` or prefetching: anything unexpected
    and it is run the ordinary way."""

    def __init__(self, build: Callable[[int], QuerySet]):
        self._build = build
        self._model = None
        self._compiled: dict[tuple[str, str], tuple | None] = {}
        self._lock = threading.Lock()

    def __call__(self, value: int) -> list:
        if self._model is None:
            self._model = self._build(_PLACEHOLDER).model
        db = router.db_for_read(self._model)
        connection = connections[db]
        key = (db, connection.vendor)
        prepared = self._compiled.get(key, ())
        if prepared == ():
            with self._lock:
                prepared = self._compile(db)
                self._compiled[key] = prepared
        if prepared is None:
            return list(self._build(value))
        model, compiler, sql, names, start, end, populators = prepared
        with connection.cursor() as cursor:
            cursor.execute(sql, [value])
            rows = cursor.fetchall()
        out = []
        for row in compiler.results_iter([rows]):
            obj = model.from_db(db, names, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            out.append(obj)
        return out

    def _compile(self, db: str) -> tuple | None:
        queryset = self._build(_PLACEHOLDER)
        query = queryset.query
        if (
            queryset._prefetch_related_lookups
            or query.annotations
            or query.deferred_loading != (frozenset(), True)
            or queryset._iterable_class.__name__ != "ModelIterable"
        ):
            return None
        compiler = query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        if list(params) != [_PLACEHOLDER] or compiler.annotation_col_map:
            return None
        info, select = compiler.klass_info, compiler.select
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        names = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(info, select, db)
        return info["model"], compiler, sql, names, start, end, populators
