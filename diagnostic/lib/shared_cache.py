"""The "shared" cache without Redis: Django's database cache, with counters in one statement.

django-ratelimit counts an API token's requests with `cache.add(key, 0)` then `cache.incr(key)`.
On Django's `DatabaseCache` those two calls cost up to twelve statements (a cull count, a
savepoint, a read and a write each, the value pickled), which alone broke the API's budget of
ten statements per request. Here a whole-number value lives in its own table
(`lib.SharedCounter`): `add` is one `INSERT … ON CONFLICT … RETURNING` (which also replaces an
expired count), `incr` one `UPDATE … RETURNING`, both atomic on SQLite and PostgreSQL, so two
workers counting at once never lose a request. Every other value goes to the database cache as
before. With Redis (REDIS_URL) none of this is used.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router
from django.utils import timezone

TABLE = "lib_sharedcounter"
FOREVER = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)

ADD = (
    f"INSERT INTO {TABLE} (key, count, expires) VALUES (%s, %s, %s) "  # noqa: S608 - constant
    f"ON CONFLICT (key) DO UPDATE SET count = excluded.count, expires = excluded.expires "
    f"WHERE {TABLE}.expires <= %s RETURNING count"
)
INCR = f"UPDATE {TABLE} SET count = count + %s WHERE key = %s AND expires > %s RETURNING count"  # noqa: S608
GET = f"SELECT count FROM {TABLE} WHERE key = %s AND expires > %s"  # noqa: S608
DELETE = f"DELETE FROM {TABLE} WHERE key = %s"  # noqa: S608


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class SharedDatabaseCache(DatabaseCache):
    def _run(self, sql: str, params: list, *, write: bool):
        from diagnostic.lib.models import SharedCounter

        alias = (router.db_for_write if write else router.db_for_read)(SharedCounter)
        connection = connections[alias]
        params = [
            connection.ops.adapt_datetimefield_value(p) if isinstance(p, dt.datetime) else p
            for p in params
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    def _expires(self, timeout) -> dt.datetime:
        seconds = self.get_backend_timeout(timeout)
        if seconds is None:
            return FOREVER
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not _is_count(value):
            return super().add(key, value, timeout, version)
        key = self.make_and_validate_key(key, version=version)
        row = self._run(ADD, [key, value, self._expires(timeout), timezone.now()], write=True)
        return row is not None

    def incr(self, key, delta=1, version=None):
        made = self.make_and_validate_key(key, version=version)
        row = self._run(INCR, [delta, made, timezone.now()], write=True)
        if row is None:
            return super().incr(key, delta, version)
        return row[0]

    def get(self, key, default=None, version=None):
        made = self.make_and_validate_key(key, version=version)
        row = self._run(GET, [made, timezone.now()], write=False)
        if row is not None:
            return row[0]
        return super().get(key, default, version)

    def delete(self, key, version=None):
        made = self.make_and_validate_key(key, version=version)
        self._run(DELETE + " RETURNING key", [made], write=True)
        return super().delete(key, version)

    def clear(self):
        from diagnostic.lib.models import SharedCounter

        SharedCounter.objects.all().delete()
        super().clear()


def delete_expired_counters() -> int:
    """Counters whose window has passed (each window has a key of its own, so they are not
    reused): `manage.py apply_retention` deletes them."""
    from diagnostic.lib.models import SharedCounter

    return SharedCounter.objects.filter(expires__lte=timezone.now()).delete()[0]
