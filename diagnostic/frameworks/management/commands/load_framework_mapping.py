from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diagnostic.frameworks.mappings import load_mapping_file
from diagnostic.lib.problems import InvalidFile


class Command(BaseCommand):
    help = (
        "Validate a mapping between two loaded framework versions (YAML, see "
        "docs/framework-mapping-format.md) and load it. With any problem nothing is stored and "
        "every problem is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        try:
            mapping = load_mapping_file(Path(path))
        except InvalidFile as exc:
            raise CommandError(f"{path} was not loaded. {exc}\n{exc.report()}") from None
        n = mapping.correspondences.count()
        self.stdout.write(self.style.SUCCESS(f"Loaded the mapping {mapping}: {n} value codes."))
