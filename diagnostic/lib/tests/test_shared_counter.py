"""The shared cache without Redis counts in one statement per call, atomically, and an expired
count starts again (ASVS 2.4.1: anti-automation limits hold across workers)."""

from __future__ import annotations

import time

from django.core.cache import caches
from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext

from diagnostic.lib.models import SharedCounter

DB_SHARED = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "diagnostic.lib.shared_cache.SharedDatabaseCache",
        "LOCATION": "lib_shared_cache",
    },
}


@override_settings(CACHES=DB_SHARED)
class CounterTests(TestCase):
    def setUp(self):
        self.cache = caches["shared"]

    def test_add_then_incr_is_one_statement_each(self):
        with CaptureQueriesContext(connection) as ctx:
            self.assertTrue(self.cache.add("rl:a", 0, 60))
            self.assertEqual(self.cache.incr("rl:a"), 1)
            self.assertFalse(self.cache.add("rl:a", 0, 60))
            self.assertEqual(self.cache.incr("rl:a"), 2)
        self.assertEqual(len(ctx), 4)
        self.assertEqual(self.cache.get("rl:a"), 2)
        self.assertEqual(SharedCounter.objects.get().count, 2)

    def test_an_expired_count_starts_again(self):
        self.assertTrue(self.cache.add("rl:b", 0, 1))
        self.assertEqual(self.cache.incr("rl:b", 5), 5)
        time.sleep(1.1)
        self.assertIsNone(self.cache.get("rl:b"))
        self.assertTrue(self.cache.add("rl:b", 0, 60))
        self.assertEqual(self.cache.incr("rl:b"), 1)

    def test_retention_deletes_expired_counters_only(self):
        from django.core.management import call_command

        self.cache.add("rl:old", 0, 1)
        self.cache.add("rl:new", 0, 600)
        time.sleep(1.1)
        call_command("apply_retention", stdout=__import__("io").StringIO())
        self.assertEqual(list(SharedCounter.objects.values_list("key", flat=True)),
                         [self.cache.make_key("rl:new")])  # fmt: skip

    def test_other_values_still_go_to_the_database_cache(self):
        self.cache.set("v", {"x": 1}, 60)
        self.assertEqual(self.cache.get("v"), {"x": 1})
        self.assertTrue(self.cache.add("flag", True, 60))
        self.assertIs(self.cache.get("flag"), True)
        self.assertEqual(SharedCounter.objects.count(), 0)
        self.cache.add("rl:c", 0, 60)
        self.cache.delete("rl:c")
        self.assertIsNone(self.cache.get("rl:c"))
        with self.assertRaises(ValueError):
            self.cache.incr("missing")


@override_settings(CACHES=DB_SHARED)
class ConcurrentCounterTests(TransactionTestCase):
    def test_no_increment_is_lost(self):
        cache = caches["shared"]
        cache.add("rl:race", 0, 60)

        import threading

        from django.db import connections

        errors = []

        def hit():
            try:
                for _ in range(10):
                    caches["shared"].incr("rl:race")
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=hit) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(cache.get("rl:race"), 40)
