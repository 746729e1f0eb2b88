"""The PostgreSQL backend's health check (lib/postgresql, decision 0037): a connection kept from
an earlier request is used without a `SELECT 1` when its socket shows nothing wrong, and is
replaced, as Django's own check would, when the server has ended it."""

import select
import time
import unittest
from unittest import mock

import psycopg
from django.db import close_old_connections, connection, connections
from django.test import TransactionTestCase

from diagnostic.lib.postgresql.base import DatabaseWrapper, idle_and_quiet

postgresql_only = unittest.skipUnless(
    connection.vendor == "postgresql", "PostgreSQL's backend (SQLite has no health check)"
)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    """End a session from another connection, as an administrator or a restart would."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def wait_until_readable(conn, seconds=10.0) -> None:
    poller = select.poll()
    poller.register(conn.pgconn.socket, select.POLLIN | select.POLLHUP | select.POLLERR)
    deadline = time.monotonic() + seconds
    while not poller.poll(50):
        if time.monotonic() > deadline:
            raise AssertionError("the server did not end the session")


@postgresql_only
class HealthCheckTests(TransactionTestCase):
    # Outside any test transaction: a request's connection is idle between requests.

    def setUp(self):
        self.assertIsInstance(connections["default"], DatabaseWrapper)
        self.assertTrue(connection.health_check_enabled)
        self.checks = []
        real = connection.is_usable

        def counted():
            usable = real()
            self.checks.append(usable)
            return usable

        patcher = mock.patch.object(connection, "is_usable", side_effect=counted)
        patcher.start()
        self.addCleanup(patcher.stop)

    def next_request(self):
        """What Django does when a request starts and then runs its first query."""
        close_old_connections()
        return backend_pid()

    def test_a_sound_connection_is_used_without_a_round_trip(self):
        first = backend_pid()
        for _ in range(3):
            self.assertEqual(self.next_request(), first)
            self.assertTrue(connection.health_check_done)
        self.assertEqual(self.checks, [])

    def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(self):
        first = backend_pid()
        terminate(first)
        wait_until_readable(connection.connection)
        second = self.next_request()
        self.assertNotEqual(second, first)
        self.assertEqual(self.checks, [False])  # Django's own check ran, failed, reconnected
        self.assertEqual(self.next_request(), second)
        self.assertEqual(self.checks, [False])

    def test_a_connection_after_an_error_is_still_checked_with_select_1(self):
        first = backend_pid()
        connection.errors_occurred = True
        self.assertEqual(self.next_request(), first)
        self.assertEqual(self.checks, [True])


@postgresql_only
class IdleAndQuietTests(TransactionTestCase):
    # Outside any test transaction: a request's connection is idle between requests.

    def setUp(self):
        params = connection.get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
        self.conn = psycopg.connect(**params, autocommit=True)
        self.addCleanup(self.conn.close)

    def test_an_idle_connection_with_nothing_to_read_is_quiet(self):
        self.conn.execute("SELECT 1").fetchall()
        self.assertTrue(idle_and_quiet(self.conn))

    def test_a_connection_inside_a_transaction_is_not(self):
        self.conn.autocommit = False
        self.conn.execute("SELECT 1").fetchall()
        self.assertFalse(idle_and_quiet(self.conn))
        self.conn.rollback()
        self.assertTrue(idle_and_quiet(self.conn))

    def test_a_connection_ended_by_the_server_is_not(self):
        terminate(self.conn.info.backend_pid)
        wait_until_readable(self.conn)
        self.assertFalse(idle_and_quiet(self.conn))

    def test_a_closed_connection_is_not(self):
        self.conn.close()
        self.assertFalse(idle_and_quiet(self.conn))
