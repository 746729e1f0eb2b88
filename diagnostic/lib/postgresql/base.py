"""Django's PostgreSQL backend, with the connection's health check made without a round trip
when nothing says the connection broke (decision 0037).

`CONN_HEALTH_CHECKS` makes Django check a connection kept from an earlier request before the
request's first query, by running `SELECT 1`: a round trip to the server on every request, for
a connection that is almost always fine. When a server closes a connection (a restart, an
administrator ending the session, an idle timeout, a pooler going away) it says so on the
socket: a final error message and then the end of the stream, both of which make the idle
connection's socket readable. So: if libpq still calls the connection good, no transaction is
open on it and nothing is waiting to be read, the connection is as good as `SELECT 1` would
have found it; otherwise Django's own check runs (`SELECT 1`, and a new connection if it
fails). A connection that failed during a request (`errors_occurred`) is still checked with
`SELECT 1` at the next request's start, as Django does.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq

_READABLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def idle_and_quiet(connection) -> bool:
    """Whether a psycopg connection is open, idle outside any transaction, and has nothing
    waiting on its socket (no error, no notice, no end of stream from the server)."""
    try:
        pgconn = connection.pgconn
        if (
            connection.closed
            or pgconn.status != pq.ConnStatus.OK
            or pgconn.transaction_status != pq.TransactionStatus.IDLE
        ):
            return False
        poller = select.poll()
        poller.register(pgconn.socket, _READABLE)
        return not poller.poll(0)
    except Exception:  # noqa: BLE001 (any doubt: let Django's own check decide)
        return False


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and idle_and_quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
