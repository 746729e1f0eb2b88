"""The writes of every answer saved, as fixed SQL built once per database (decisions 0032, 0037).

Django compiles a queryset's `.update()` afresh each time; for the save of one answer (the
answer's UPDATE and the response's progress) that was about a fifth of an autosave's CPU. These
build the same statements once, from the models' own table and column names, and pass each
value through its field's `get_db_prep_save`, as Django's compiler does. They run only inside
`assessments.services.do_save_answer`'s transaction; `tests/test_statements.py` checks that they
write exactly what Django's `.update()` writes, on SQLite and PostgreSQL.

`save_answer` is the change of an existing answer with its consequences: the optimistic UPDATE,
then, only if it changed the answer, the response's progress and the audit event. On
PostgreSQL these are one statement (data-modifying `WITH` clauses, one round trip instead of
three; decision 0037); elsewhere three, one after the other.
"""

from __future__ import annotations

from django.db import connections, router, transaction

from diagnostic.assessments.models import Answer, Response
from diagnostic.audit import services as audit

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
    sql, fields = _answer_sql(db, connection, tuple(changes))
    params = [_value(f, changes[f.name], connection) for f in fields]
    params += [response_id, value_code_id, expected_version]
    with transaction.mark_for_rollback_on_error(using=db), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _answer_sql(db, connection, names: tuple) -> tuple[str, list]:
    """The answer's optimistic UPDATE setting `names` (and the version): its SQL, with the
    changes' placeholders first, then the response, the value code and the expected version."""
    fields = [Answer._meta.get_field(name) for name in names]
    key = ("answer", db, connection.vendor, names)
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
    return sql, fields


def update_progress(*, response_id: int, now) -> None:
    """The response's progress after one of its answers changed, as
    `Response.objects.filter(pk=…).update(answered_count=<its answers with a level>,
    last_activity_at=now, started_at=Coalesce(F("started_at"), now))`."""
    db, connection = _connection(Response)
    when = _value(Response._meta.get_field("last_activity_at"), now, connection)
    with transaction.mark_for_rollback_on_error(using=db), connection.cursor() as cursor:
        cursor.execute(_progress_sql(db, connection), [response_id, when, when, response_id])


def _progress_sql(db, connection, *, one_apart: bool = False) -> str:
    """The progress UPDATE. Its placeholders: the response (for the count), [with `one_apart`:
    a value code left out of the count, and a number added to it], the last activity, the
    start, the response."""
    key = ("progress", db, connection.vendor, one_apart)
    sql = _SQL.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        table, answers = qn(Response._meta.db_table), qn(Answer._meta.db_table)

        def col(name: str) -> str:
            return qn(Response._meta.get_field(name).column)

        def answer(name: str) -> str:
            return f"{answers}.{qn(Answer._meta.get_field(name).column)}"

        apart = f" AND {answer('value_code')} <> %s) + (%s" if one_apart else ""
        sql = _SQL[key] = (
            f"UPDATE {table} SET "  # noqa: S608 (names from metadata)
            f"{col('answered_count')} = (SELECT COUNT(*) FROM {answers} "
            f"WHERE {answer('response')} = %s AND {answer('current_level')} IS NOT NULL{apart}), "
            f"{col('last_activity_at')} = %s, "
            f"{col('started_at')} = COALESCE({table}.{col('started_at')}, %s) "
            f"WHERE {table}.{col('id')} = %s"
        )
    return sql


def save_answer(
    *, response_id: int, value_code_id: int, expected_version: int, changes: dict, now, event
) -> bool:
    """Change an existing answer if it is still at `expected_version` (`update_answer`), and
    only then update the response's progress (`update_progress`) and write `event`, an audit
    event not yet saved (`audit.services.event`). Returns whether the answer changed; when it
    did not, nothing was written."""
    db, connection = _connection(Answer)
    together = audit.insert_select(db) if connection.vendor == "postgresql" else None
    if together is None:
        if not update_answer(
            response_id=response_id, value_code_id=value_code_id,
            expected_version=expected_version, changes=changes,
        ):  # fmt: skip
            return False
        update_progress(response_id=response_id, now=now)
        audit.write(event)
        return True
    # One statement: the UPDATE's RETURNING is what the other two read, so they write only
    # when it changed a row. Every part of it reads the database as it was before the
    # statement, so the progress count leaves this answer out and adds its new level itself.
    names = tuple(changes)
    one_apart = "current_level" in changes
    key = ("save", db, names, one_apart)
    sql = _SQL.get(key)
    insert, event_fields, returned = together
    if sql is None:
        qn = connection.ops.quote_name
        answer_sql, _ = _answer_sql(db, connection, names)
        sql = _SQL[key] = (
            f"WITH {qn('saved')} AS ({answer_sql} RETURNING 1), "  # noqa: S608 (names from metadata)
            f"{qn('progress')} AS ({_progress_sql(db, connection, one_apart=one_apart)} "
            f"AND EXISTS (SELECT 1 FROM {qn('saved')})), "
            f"{qn('event')} AS ({insert} FROM {qn('saved')} RETURNING {qn(returned.column)}) "
            f"SELECT (SELECT {qn(returned.column)} FROM {qn('event')})"
        )
    _, fields = _answer_sql(db, connection, names)
    when = _value(Response._meta.get_field("last_activity_at"), now, connection)
    params = [_value(f, changes[f.name], connection) for f in fields]
    params += [response_id, value_code_id, expected_version, response_id]
    if one_apart:
        params += [value_code_id, 0 if changes["current_level"] is None else 1]
    params += [when, when, response_id]
    params += [
        f.get_db_prep_save(f.pre_save(event, True), connection=connection) for f in event_fields
    ]
    with transaction.mark_for_rollback_on_error(using=db), connection.cursor() as cursor:
        cursor.execute(sql, params)
        (event_id,) = cursor.fetchone()
    if event_id is None:
        return False
    setattr(event, returned.attname, event_id)
    event._state.adding, event._state.db = False, db
    return True


def _value(field, value, connection):
    if hasattr(value, "_meta"):  # a related object, as `.update(updated_by=user)` takes it
        value = value.pk
    return field.get_db_prep_save(value, connection=connection)
