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
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.constants import INNER

_PLACEHOLDER = -2_000_000_001  # never an id


class Prepared:
    """`Prepared(lambda value: queryset)(value)` is `list(queryset)`, without compiling the
    SQL each time. The queryset may take its one parameter only once (an integer id), and may
    not use `.annotate()`, `.values()`, `.only()`/`.defer()` or prefetching: anything unexpected
    and it is run the ordinary way.

    `rewrite(sql, connection)`, if given, returns the SQL to run instead of Django's, for what
    the ORM cannot say (a lock of one strength on one table and another on another); it must
    keep the columns and the one parameter as they are."""

    def __init__(
        self,
        build: Callable[[int], QuerySet],
        rewrite: Callable[[str, object], str] | None = None,
    ):
        self._build = build
        self._rewrite = rewrite
        self._model = None
        self._compiled: dict[tuple[str, str], Compiled | None] = {}
        self._lock = threading.Lock()

    def __call__(self, value: int) -> list:
        db, connection, prepared = self.compiled()
        if prepared is None:
            return list(self._build(value))
        with connection.cursor() as cursor:
            cursor.execute(prepared.sql, [value])
            rows = cursor.fetchall()
        return self.objects(db, prepared, rows)

    def compiled(self) -> tuple[str, object, Compiled | None]:
        """(database alias, its connection, the query compiled for it, or None when it must run
        the ordinary way)."""
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
        return db, connection, prepared

    @staticmethod
    def objects(db: str, prepared: Compiled, rows) -> list:
        """Rows whose first columns are the query's own (anything after them is left alone),
        as objects, the way Django's `ModelIterable` makes them. A row whose primary key is
        NULL (an outer join that found nothing) gives no object."""
        out = []
        if prepared.converters:  # as `compiler.results_iter` does, without finding them each time
            rows = prepared.compiler.apply_converters(rows, prepared.converters)
        for row in rows:
            if row[prepared.pk_index] is None:
                continue
            obj = prepared.model.from_db(db, prepared.names, row[prepared.start : prepared.end])
            for populator in prepared.populators:
                populator.populate(row, obj)
            out.append(obj)
        return out

    def _compile(self, db: str) -> Compiled | None:
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
        parts = _parts(compiler, sql)
        if self._rewrite is not None:
            sql = self._rewrite(sql, compiler.connection)
        info, select = compiler.klass_info, compiler.select
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        names = [f[0].target.attname for f in select[start:end]]
        populators = get_related_populators(info, select, db)
        model = info["model"]
        # The columns' converters (from the database's values to Python's), which Django's
        # `results_iter` looks up afresh for every query: about a tenth of an autosave's CPU.
        fields = [s[0] for s in select[: compiler.col_count]]
        if compiler.has_composite_fields(fields):
            return None
        converters = compiler.get_converters(fields)
        return Compiled(
            model=model, compiler=compiler, sql=sql, names=names, start=start, end=end,
            populators=populators, pk_index=start + names.index(model._meta.pk.attname),
            parts=parts, converters=converters,
        )  # fmt: skip


@dataclass(frozen=True)
class Parts:
    """A compiled query's SQL in pieces, for a caller that joins it to another table:
    `SELECT {columns} FROM {from_} WHERE {parameter} = %s ORDER BY {order_by}`, where `from_`
    is `{table} {joins}` with its joins as Django wrote them; `outer_joins` are the same joins
    all made LEFT OUTER, so that the caller's row is kept when `table` has none for it."""

    columns: str
    from_: str
    table: str  # the first table, whose column `parameter` is
    outer_joins: str
    parameter: str  # the column compared with the query's one parameter
    order_by: str  # "" when unordered


@dataclass(frozen=True)
class Compiled:
    model: type
    compiler: object
    sql: str
    names: list
    start: int
    end: int
    populators: list
    pk_index: int
    parts: Parts | None
    converters: dict


def _parts(compiler, sql: str) -> Parts | None:
    """`sql` cut at the pieces Django's compiler made it from. The pieces are checked by
    putting them back together: if that does not give `sql` exactly, there are no parts."""
    # A compiler of its own, set up as `as_sql` sets one up (which then forgets its joins).
    compiler = compiler.query.clone().get_compiler(using=compiler.using)
    _extra, ordering, _group_by = compiler.pre_sql_setup()
    if any(params for _expr, (_sql, params, _is_ref) in ordering):
        return None
    order_by = ", ".join(sql for _expr, (sql, _params, _is_ref) in ordering)
    where = compiler.where
    if where is None or len(where.children) != 1 or where.negated:
        return None
    [lookup] = where.children
    if getattr(lookup, "lookup_name", None) != "exact" or lookup.rhs != _PLACEHOLDER:
        return None
    parameter, parameter_params = compiler.compile(lookup.lhs)
    from_clause, from_params = compiler.get_from_clause()
    if parameter_params or from_params:
        return None
    from_, table = " ".join(from_clause), from_clause[0]
    if not parameter.startswith(f"{table}."):
        return None
    middle = f" FROM {from_} WHERE {parameter} = %s"
    head, found, _rest = sql.partition(middle)
    if not found or not head.startswith("SELECT "):
        return None
    columns = head.removeprefix("SELECT ")
    # The same joins, each LEFT OUTER (nested joins instead would make SQLite read every row of
    # the first table).
    query = compiler.query
    query.alias_map = {
        alias: join.promote() if getattr(join, "join_type", None) == INNER else join
        for alias, join in query.alias_map.items()
    }
    outer_clause, _ = compiler.get_from_clause()
    if len(outer_clause) != len(from_clause) or outer_clause[0] != table:
        return None
    parts = Parts(
        columns=columns, from_=from_, table=table, outer_joins=" ".join(outer_clause[1:]),
        parameter=parameter, order_by=order_by,
    )  # fmt: skip
    rebuilt = f"SELECT {columns}{middle}" + (f" ORDER BY {order_by}" if order_by else "")
    return parts if rebuilt == sql else None


class PreparedInsert:
    """`PreparedInsert(Model)(obj)` is `obj.save(force_insert=True)` for a new `obj`, with the
    INSERT's SQL compiled once per database instead of every time: every concrete field but an
    automatic primary key, each through `pre_save` (`auto_now_add`) and `get_db_prep_save` as
    Django's compiler does, and the primary key read back (`RETURNING`, or the last insert id).
    A model with save signals listened to, a parent model, or database defaults is saved the
    ordinary way."""

    def __init__(self, model):
        self._model = model
        self._compiled: dict[tuple[str, str], tuple | None] = {}
        self._lock = threading.Lock()

    def __call__(self, obj):
        from django.db import transaction
        from django.db.models import signals

        model = self._model
        db = router.db_for_write(model, instance=obj)
        connection = connections[db]
        key = (db, connection.vendor)
        compiled = self._compiled.get(key, ())
        if compiled == ():
            with self._lock:
                compiled = self._compiled[key] = self._compile(db, obj)
        if (
            compiled is None
            or obj.pk is not None
            or signals.pre_save.has_listeners(model)
            or signals.post_save.has_listeners(model)
        ):
            obj.save(force_insert=True, using=db)
            return obj
        sql, fields, returning, auto = compiled
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection=connection) for f in fields]
        with transaction.mark_for_rollback_on_error(using=db), connection.cursor() as cursor:
            cursor.execute(sql, params)
            if returning:
                values = cursor.fetchone()
            else:
                values = (connection.ops.last_insert_id(cursor, model._meta.db_table, auto.column),)
        for field, value in zip(returning or [auto], values, strict=True):
            setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = db
        return obj

    def insert_select(self, db: str) -> tuple[str, list, object] | None:
        """The INSERT as `INSERT INTO t (c, …) SELECT %s::<type>, …` (each value cast to its
        column's type, as nothing else in a SELECT list tells PostgreSQL), for a caller to end
        with `FROM …` and `RETURNING …`: `(sql, fields, automatic primary key field)`. Each
        value is `f.get_db_prep_save(f.pre_save(obj, True), connection=…)` for `f` in
        `fields`. Built once per database. None for a model that must be saved the ordinary
        way (see the class), which the caller then does."""
        from django.db.models import signals

        model = self._model
        if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
            return None
        key = ("select", db)
        built = self._compiled.get(key, ())
        if built == ():
            connection = connections[db]
            meta = model._meta
            auto = meta.auto_field
            if not _plain(meta):
                self._compiled[key] = None
                return None
            fields = [f for f in meta.local_concrete_fields if f is not auto]
            qn = connection.ops.quote_name
            columns = ", ".join(qn(f.column) for f in fields)
            values = ", ".join(f"%s::{_select_cast(f, connection)}" for f in fields)
            sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) SELECT {values}"  # noqa: S608 (names from metadata)
            built = self._compiled[key] = (sql, fields, auto)
        return built

    def _compile(self, db: str, obj) -> tuple | None:
        from django.db.models import sql as sql_module

        meta = self._model._meta
        auto = meta.auto_field
        if not _plain(meta):
            return None
        fields = [f for f in meta.local_concrete_fields if f is not auto]
        returning = list(meta.db_returning_fields)
        query = sql_module.InsertQuery(self._model)
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(using=db)
        compiler.returning_fields = returning
        statements = compiler.as_sql()
        if len(statements) != 1:
            return None
        sql, _params = statements[0]
        can_return = compiler.connection.features.can_return_columns_from_insert
        return sql, fields, (returning if can_return else None), auto


def _select_cast(field, connection) -> str:
    """The type a value is cast to in `insert_select`'s SELECT list: the column's, except that
    text is cast to `varchar` with no length. PostgreSQL cuts a value short, silently, when it
    is cast to `varchar(n)`, but refuses one that is too long when it is stored in a
    `varchar(n)` column; so the column, not the cast, checks the length, as in an ordinary
    INSERT."""
    from django.db.models import CharField

    if isinstance(field, CharField):
        return "varchar"
    return field.cast_db_type(connection)


def _plain(meta) -> bool:
    """Whether rows of a model can be inserted by fixed SQL: no parent model, an automatic
    primary key that is the only column read back, and no column with a database default or
    its own placeholder."""
    auto = meta.auto_field
    return not (
        meta.parents
        or auto is None
        or list(meta.db_returning_fields) != [auto]
        or any(f.has_db_default() or hasattr(f, "get_placeholder") for f in meta.concrete_fields)
    )
