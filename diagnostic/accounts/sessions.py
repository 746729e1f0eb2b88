"""Sessions: the session engine (`SESSION_ENGINE = "diagnostic.accounts.sessions"`), and ending a
person's sessions from outside them (a second factor reset, erasure).

Django's database engine, with two changes (decision 0032):

- the session row (`accounts.Session`) keeps the signed-in person's id in a column of its own,
  taken from the session's data whenever it is saved;
- loading a session reads its row joined to that person and their memberships in one
  statement: the person query of `accounts/backends.py` (compiled once, `lib/prepared.py`), its
  first table joined to the session row. The authentication backend then takes the person loaded
  with this request's session instead of reading them again (`backends.ModelBackend.get_user`),
  after which Django checks, as always, that they are active and that the session's hash
  matches their password's.

Everything else (expiry, `cycle_key`, sign-out, `clearsessions`) is Django's own.
"""

from __future__ import annotations

import contextvars

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

# The session of the request whose user is being loaded (set by
# `accounts.middleware.AuthenticationMiddleware` only while it loads them).
current_session: contextvars.ContextVar[SessionStore | None] = contextvars.ContextVar(
    "current_session", default=None
)


class SessionStore(DatabaseSessionStore):
    """Django's database session store, on `accounts.Session`, loading the person with the
    session."""

    _person: tuple[int, list] | None = None  # (user id, their memberships), set by load()

    @classmethod
    def get_model_class(cls):
        from diagnostic.accounts.models import Session

        return Session

    def create_model_instance(self, data):
        obj = super().create_model_instance(data)
        obj.user_id = _user_id(data.get(SESSION_KEY))
        return obj

    async def acreate_model_instance(self, data):
        obj = await super().acreate_model_instance(data)
        obj.user_id = _user_id(data.get(SESSION_KEY))
        return obj

    def load(self):
        self._person = None
        found = session_with_person(self.session_key)
        if found is None:
            self._session_key = None
            return {}
        session_data, user_id, memberships = found
        if user_id is not None:
            self._person = (user_id, memberships)
        return self.decode(session_data)

    def memberships_loaded_for(self, user_id) -> list | None:
        """The memberships (each with `.user`) loaded with this session for `user_id`: None
        when this session did not load that person, [] when they hold no membership."""
        if self._person is None or self._person[0] != _user_id(user_id):
            return None
        return self._person[1]


def _user_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def session_with_person(session_key: str) -> tuple[str, int | None, list] | None:
    """(session data, its user id, that person's memberships with the person) for a live
    session, in one statement; None when there is no such session.

    The person's memberships are `backends.memberships_with_person`'s query (the same compiled
    columns, joins and order) with its first table LEFT JOINed to the session row on the user id
    and its own joins made LEFT too, so a session with nobody signed in, or someone with no
    membership, still gives its one row.
    If that query cannot be taken apart (`Prepared`'s parts), the session is read by Django and
    the person is left to the backend (two statements, as before)."""
    from diagnostic.accounts.backends import _memberships_with_person
    from diagnostic.accounts.models import Session

    now = timezone.now()
    db, connection, prepared = _memberships_with_person.compiled()
    if prepared is None or prepared.parts is None:
        row = (
            Session.objects.filter(session_key=session_key, expire_date__gt=now)
            .values_list("session_data", "user_id")
            .first()
        )
        return None if row is None else (row[0], None, [])
    key = (db, connection.vendor)
    sql = _SQL.get(key)
    if sql is None:
        sql = _SQL[key] = _session_sql(connection, prepared.parts)
    expire = Session._meta.get_field("expire_date").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [session_key, expire])
        rows = cursor.fetchall()
    if not rows:
        return None
    session_data, user_id = rows[0][-2:]
    return session_data, user_id, _memberships_with_person.objects(db, prepared, rows)


_SQL: dict[tuple[str, str], str] = {}


def _session_sql(connection, parts) -> str:
    from diagnostic.accounts.models import Session

    qn = connection.ops.quote_name
    table = qn(Session._meta.db_table)

    def column(name: str) -> str:
        return f"{table}.{qn(Session._meta.get_field(name).column)}"

    return (
        f"SELECT {parts.columns}, {column('session_data')}, {column('user_id')} "  # noqa: S608 (names from metadata)
        f"FROM {table} LEFT OUTER JOIN {parts.table} ON ({parts.parameter} = {column('user_id')}) "
        f"{parts.outer_joins} "
        f"WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
        + (f" ORDER BY {parts.order_by}" if parts.order_by else "")
    )


def end_sessions_of(user_id: int) -> int:
    """Delete every session signed in as this user; returns how many (ASVS 7.4.2, 7.4.5)."""
    from diagnostic.accounts.models import Session

    return Session.objects.filter(user_id=user_id).delete()[0]
