"""Restore a backup and check it against its manifest."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diagnostic.lib import backup


class Command(BaseCommand):
    help = (
        "Restore a backup into the configured database (stop the service first), or with --into "
        "into another one (a restore drill), then compare every table's row count and the "
        "answers' checksum with the backup's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--into", help="A SQLite file or a PostgreSQL URL to restore into instead"
        )
        parser.add_argument("--yes", action="store_true", help="Replace the configured database")

    def handle(self, *args, path, into=None, yes=False, **options):
        if into is None and not yes:
            raise CommandError("This replaces the configured database. Add --yes, or use --into.")
        manifest_path = Path(f"{path}.json")
        try:
            state = backup.restore(Path(path), into=into)
        except FileNotFoundError:
            raise CommandError(f"No backup at {path}") from None
        if not manifest_path.exists():
            self.stdout.write("Restored (no manifest to check against).")
            return
        problems = backup.verify(json.loads(manifest_path.read_text()), state)
        if problems:
            raise CommandError("Restored, but it differs from the backup:\n" + "\n".join(problems))
        rows = sum(state["tables"].values())
        self.stdout.write(f"Restored and checked: {len(state['tables'])} tables, {rows} rows, "
                          "answers' checksum matches.")  # fmt: skip
