from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.lib.problems import InvalidFile


class Command(BaseCommand):
    help = (
        "Validate a framework file (YAML or JSON, see docs/framework-format.md) and load it as "
        "a published version. With any problem nothing is stored and every problem is listed. "
        "Loading the same content again does nothing; changed content becomes a new revision."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", nargs="?", default=str(NPS_2018), help="Defaults to the shipped NPS 2018 file."
        )

    def handle(self, *args, path, **options):
        try:
            result = load_framework_file(Path(path))
        except InvalidFile as exc:
            raise CommandError(f"{path} was not loaded. {exc}\n{exc.report()}") from None
        version = result.version
        counts = (
            f"{version.themes.count()} themes, {version.keyareas.count()} key areas, "
            f"{version.valuecodes.count()} value codes, {version.levels.count()} levels, "
            f"{version.enablers.count()} enablers"
        )
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Loaded {version.display_label}: {counts}."))
        else:
            self.stdout.write(
                f"{version.display_label} is already loaded ({counts}); nothing changed."
            )
