"""The two UPDATEs of every answer saved, as fixed SQL built once per database (decision 0032).

Django compiles a queryset's `.update()` afresh each time; for the save of one answer (the
answer's UPDATE and the response's progress) that was about a fifth of an autosave's CPU. These
build the same statements once, from the models' own table and column names, and pass each
value through its field's `get_db_prep_save`, as Django's compiler does. They run only inside
`assessments.services.do_save_answer`'s transaction; `tests/test_statements.py` checks that they
write exactly what Django's `.update()` writes, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.db import connections, router, transaction

from diagnostic.assessments.models import Answer, Response

_SQL: dict[tuple, str] = {}


def _connection(model):
    db = router.db_for_write(model)
    return db, connections[db]


def update_answer(
    *, response_id: int, value_code_id: int, expected_version: int, changes: dict
) -> int:
    """`Answer.objects.filter(response_id=…, value_code_id=…, version=expected_version)
    .update(version=F("version") + 1, **changes)`: the optimistic write. Returns the number of
    rows changed (0 when the answer is no longer at `expected_version`, or does not exist)."""
    db, connection = _connection(Answer)
    fields = [Answer._meta.get_field(name) for name in changes]
    key = ("answer", db, connection.vendor, tuple(changes))
    sql = _SQL.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        table = qn(Answer._meta.db_table)

        def col(name: str) -> str:
            return f"{table}.{qn(Answer._meta.get_field(name).column)}"

        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        sql = _SQL[key] = (
            f"UPDATE {table} SET {sets}, {qn('version')} = ({col('version')} + 1) "  # noqa: S608 (names from metadata)
            f"WHERE ({col('response')} = %s AND {col('value_code')} = %s AND {col('version')} = %s)"
        )
    params = [_value(f, changes[f.name], connection) for f in fields]
    params += [response_id, value_code_id, expected_version]
    with transaction.mark_for_rollback_on_error(using=db), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def update_progress(*, response_id: int, now) -> None:
    """The response's progress after one of its answers changed, as
    `Response.objects.filter(pk=…).update(answered_count=<its answers with a level>,
    last_activity_at=now, started_at=Coalesce(F("started_at"), now))`."""
    db, connection = _connection(Response)
    key = ("progress", db, connection.vendor)
    sql = _SQL.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        table, answers = qn(Response._meta.db_table), qn(Answer._meta.db_table)

        def col(name: str) -> str:
            return qn(Response._meta.get_field(name).column)

        def answer(name: str) -> str:
            return f"{answers}.{qn(Answer._meta.get_field(name).column)}"

        sql = _SQL[key] = (
            f"UPDATE {table} SET "  # noqa: S608 (names from metadata)
            f"{col('answered_count')} = (SELECT COUNT(*) FROM {answers} "
            f"WHERE {answer('response')} = %s AND {answer('current_level')} IS NOT NULL), "
            f"{col('last_activity_at')} = %s, "
            f"{col('started_at')} = COALESCE({table}.{col('started_at')}, %s) "
            f"WHERE {table}.{col('id')} = %s"
        )
    when = _value(Response._meta.get_field("last_activity_at"), now, connection)
    with transaction.mark_for_rollback_on_error(using=db), connection.cursor() as cursor:
        cursor.execute(sql, [response_id, when, when, response_id])


def _value(field, value, connection):
    if hasattr(value, "_meta"):  # a related object, as `.update(updated_by=user)` takes it
        value = value.pk
    return field.get_db_prep_save(value, connection=connection)
