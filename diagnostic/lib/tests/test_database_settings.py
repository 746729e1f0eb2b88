"""The database settings read from the environment (decision 0036): PostgreSQL sends values
apart from the SQL and prepares hot statements, unless told not to; SQLite is left alone."""

import json
import os
import subprocess
import sys

from django.conf import settings
from django.test import SimpleTestCase

PRINT_OPTIONS = (
    "import json, diagnostic.settings as s; "
    "d = s.DATABASES['default']; print(json.dumps([d['ENGINE'], d.get('OPTIONS', {})]))"
)


def run_settings(**env) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("DB_") and k != "DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_OPTIONS], env={**environment, **env},
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def database_settings(**env) -> tuple[str, dict]:
    result = run_settings(**env)
    result.check_returncode()
    engine, options = json.loads(result.stdout)
    return engine, options


PG = "postgres://u@db.example:5432/nps"


class DatabaseSettingsTests(SimpleTestCase):
    def test_postgresql_binds_on_the_server_and_prepares_after_five_runs(self):
        engine, options = database_settings(DATABASE_URL=PG)
        self.assertEqual(engine, "diagnostic.lib.postgresql")
        self.assertEqual(options, {"server_side_binding": True, "prepare_threshold": 5})

    def test_the_threshold_can_be_changed_or_turned_off_for_a_pooler(self):
        _, options = database_settings(DATABASE_URL=PG, DB_PREPARE_THRESHOLD="20")
        self.assertEqual(options["prepare_threshold"], 20)
        _, options = database_settings(DATABASE_URL=PG, DB_PREPARE_THRESHOLD="off")
        self.assertEqual(options, {"server_side_binding": True, "prepare_threshold": None})
        _, options = database_settings(DATABASE_URL=PG, DB_PREPARE_THRESHOLD=" OFF ")
        self.assertIsNone(options["prepare_threshold"])

    def test_a_threshold_that_is_neither_a_number_nor_off_stops_the_service(self):
        for bad in ["five", "-1", "2.5", "", "no"]:
            with self.subTest(bad):
                result = run_settings(DATABASE_URL=PG, DB_PREPARE_THRESHOLD=bad)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("DB_PREPARE_THRESHOLD must be a whole number or 'off'", result.stderr)

    def test_server_side_binding_can_be_turned_off(self):
        _, options = database_settings(DATABASE_URL=PG, DB_SERVER_SIDE_BINDING="false")
        self.assertNotIn("server_side_binding", options)
        self.assertNotIn("prepare_threshold", options)

    def test_sqlite_is_left_alone(self):
        engine, options = database_settings(SQLITE_PATH="/tmp/never-opened.sqlite3")
        self.assertEqual(engine, "django.db.backends.sqlite3")
        self.assertNotIn("server_side_binding", options)
        self.assertEqual(options["transaction_mode"], "IMMEDIATE")
