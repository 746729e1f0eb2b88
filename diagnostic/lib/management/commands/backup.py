"""Take a consistent backup of the database while the service runs."""

from pathlib import Path

from django.core.management.base import BaseCommand

from diagnostic.lib import backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup API; pg_dump for PostgreSQL), with a manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="File to write (default var/backups/nps-<time>.*)")

    def handle(self, *args, output=None, **options):
        result = backup.backup(Path(output) if output else None)
        rows = sum(result.manifest["tables"].values())
        self.stdout.write(f"Backed up to {result.path} ({len(result.manifest['tables'])} tables, "
                          f"{rows} rows; manifest {result.path}.json)")  # fmt: skip
