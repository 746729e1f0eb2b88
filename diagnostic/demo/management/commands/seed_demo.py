import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings

from diagnostic.demo.seed import STEPS, DemoContext, sign_in_table


class Command(BaseCommand):
    help = (
        "Empty the database and fill it with demo data: the NPS 2018 framework, the council "
        "register and one demo user per role. Refuses to run on anything but SQLite unless "
        "--force is given, because it deletes everything."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow a non-SQLite database.")
        parser.add_argument("--url", default=settings.SITE_ROOT, help="Printed with the sign-ins.")

    def handle(self, *args, force, url, **options):
        if connection.vendor != "sqlite" and not force:
            raise CommandError(
                "seed_demo deletes every row; use --force to run it on this database."
            )
        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("flush", verbosity=0, interactive=False)
        ctx = DemoContext(log=lambda line: self.stdout.write(f"  {line}"))
        # DEBUG would keep every query in memory; the demo makes tens of thousands.
        with override_settings(DEBUG=False), transaction.atomic():
            for step in STEPS:
                step(ctx)
            # The demo's answers go in in bulk, not through the submission service: build the
            # figures' summaries from them (analytics/summaries.py).
            call_command("rebuild_summaries", stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s.")
        )
        self.stdout.write("")
        self.stdout.write(f"NPS Diagnostic demo: {url}/")
        self.stdout.write("Demo sign-ins (demo data only; never use these anywhere real):")
        for role, name, email, password in sign_in_table():
            self.stdout.write(f"  {role:<45} {name:<16} {email:<42} {password}")
        for note in ctx.notes:
            self.stdout.write(note)
