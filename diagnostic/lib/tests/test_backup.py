"""Backups are proven to restore: a database holding demo-like data is backed up while the
service could be running, restored into a fresh database, and every table's row count and a
checksum of the answers compared; restoring into the configured database brings back what was
lost. On SQLite (online backup API) and PostgreSQL (pg_dump of one exported snapshot)
(v5.0.0-14.2.4 integrity of data, v5.0.0-15.2.2 availability; backups are expected by the
service's own quality bar)."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import TransactionTestCase

from diagnostic.assessments.models import Answer
from diagnostic.assessments.testing import create_open_round
from diagnostic.audit.services import record
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.lib import backup
from diagnostic.plans.testing import make_action
from diagnostic.testing import create_personas


class BackupRestoreTests(TransactionTestCase):
    def setUp(self):
        people = create_personas()
        framework = load_framework_file(NPS_2018).version
        _, responses = create_open_round(framework, [people["council_a"], people["council_b"]])
        codes = list(framework.valuecodes.order_by("position"))
        Answer.objects.bulk_create(
            [Answer(response=r, value_code=vc, current_level=(i + j) % 6, target_level=5,
                    priority="high", comment=f"Comment {j}-{vc.code} ünïcödé, “quoted”", version=1)
             for j, r in enumerate(responses) for i, vc in enumerate(codes)]
        )  # fmt: skip
        make_action(responses[0], "Refresh the contract register", owner="Bob")
        record("test.event", actor=people["erin"], note="before the backup")
        self.tmp = Path(tempfile.mkdtemp(prefix="nps-backup-test-"))
        self.fresh_pg = None

    def tearDown(self):
        if self.fresh_pg:
            self._pg_admin(f'DROP DATABASE IF EXISTS "{self.fresh_pg}"')
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)

    def _pg_admin(self, sql: str):
        import psycopg

        with psycopg.connect(backup.pg_url_for("postgres"), autocommit=True,
                             password=backup._pg_password()) as conn:  # fmt: skip
            conn.execute(sql)

    def fresh_target(self) -> str:
        """An empty database to restore into: a new file, or a new PostgreSQL database."""
        if connection.vendor == "sqlite":
            return str(self.tmp / "fresh.sqlite3")
        self.fresh_pg = f"{connection.settings_dict['NAME']}_restore"[:60]
        self._pg_admin(f'DROP DATABASE IF EXISTS "{self.fresh_pg}"')
        self._pg_admin(f'CREATE DATABASE "{self.fresh_pg}"')
        return backup.pg_url_for(self.fresh_pg)

    def take_backup(self) -> Path:
        path = self.tmp / ("nps.sqlite3" if connection.vendor == "sqlite" else "nps.dump")
        out = io.StringIO()
        call_command("backup", output=str(path), stdout=out)
        self.assertIn(f"Backed up to {path}", out.getvalue())
        return path

    def test_a_backup_restores_into_a_fresh_database_with_every_row(self):
        before = backup.live_state()
        self.assertEqual(before["tables"]["assessments_answer"], 118)
        path = self.take_backup()
        manifest = json.loads(Path(f"{path}.json").read_text())
        self.assertEqual(manifest["tables"], before["tables"])
        self.assertEqual(manifest["answers_sha256"], before["answers_sha256"])
        into = self.fresh_target()
        out = io.StringIO()
        call_command("restore", str(path), into=into, stdout=out)
        self.assertIn("Restored and checked", out.getvalue())
        restored = backup.restore(path, into=into)  # again: restoring is repeatable
        self.assertEqual(restored["tables"], before["tables"])
        self.assertEqual(restored["answers_sha256"], before["answers_sha256"])
        self.assertGreater(len(restored["tables"]), 30)
        for table in ("accounts_user", "assessments_answer", "plans_action", "audit_auditevent",
                      "frameworks_valuecode", "django_migrations"):  # fmt: skip
            self.assertGreater(restored["tables"][table], 0, table)

    def test_a_restore_that_differs_from_its_manifest_is_reported(self):
        path = self.take_backup()
        manifest_path = Path(f"{path}.json")
        manifest = json.loads(manifest_path.read_text())
        manifest["tables"]["assessments_answer"] += 1
        manifest["answers_sha256"] = "0" * 64
        manifest_path.write_text(json.dumps(manifest))
        with self.assertRaisesMessage(
            CommandError, "assessments_answer: 119 rows backed up, 118 restored"
        ):
            call_command("restore", str(path), into=self.fresh_target(), stdout=io.StringIO())

    def test_restoring_over_the_configured_database_brings_back_what_was_lost(self):
        path = self.take_backup()
        before = backup.live_state()
        with self.assertRaisesMessage(CommandError, "Add --yes"):
            call_command("restore", str(path), stdout=io.StringIO())
        Answer.objects.filter(comment__startswith="Comment 1-").delete()
        self.assertEqual(Answer.objects.count(), 59)
        call_command("restore", str(path), yes=True, stdout=io.StringIO())
        connection.close()
        self.assertEqual(Answer.objects.count(), 118)
        self.assertEqual(backup.live_state(), before)

    def test_a_missing_backup_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, "No backup at"):
            call_command(
                "restore", str(self.tmp / "nope.sqlite3"), into=str(self.tmp / "x.sqlite3")
            )
