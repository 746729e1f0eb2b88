from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diagnostic.lib.problems import InvalidFile
from diagnostic.organisations.loaders import DATA_DIR, load_register


class Command(BaseCommand):
    help = (
        "Load (or refresh) the organisation register from a folder holding regions.csv, "
        "councils.csv, combined_authorities.csv and combined_authority_members.csv. "
        "The files are validated whole; with any problem nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", default=str(DATA_DIR))

    def handle(self, *args, directory, **options):
        try:
            result = load_register(Path(directory))
        except InvalidFile as exc:
            raise CommandError(f"{exc}\n{exc.report()}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Register loaded: {result.regions} regions, {result.created} organisations "
                f"created, {result.updated} updated, {result.combined_authorities} combined "
                f"authorities, {result.memberships} memberships."
            )
        )
