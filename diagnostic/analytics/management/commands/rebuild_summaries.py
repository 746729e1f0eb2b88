"""Rebuild the figures' summary tables from the answers: every round, or one (analytics/summaries.py)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from diagnostic.analytics import summaries
from diagnostic.assessments.models import Round


class Command(BaseCommand):
    help = "Rebuild the summaries every dashboard, public and support figure is read from."

    def add_arguments(self, parser):
        parser.add_argument("--round", type=int, help="the id of one round (default: every round)")

    def handle(self, *args, **options):
        rounds = Round.objects.order_by("opens_on")
        if options["round"]:
            rounds = rounds.filter(pk=options["round"])
            if not rounds.exists():
                raise CommandError(f"No round with id {options['round']}.")
        total = rounds.count()
        for i, rnd in enumerate(rounds, start=1):
            started = time.monotonic()
            self.stdout.write(f"[{i}/{total}] {rnd.name}: ", ending="")
            self.stdout.flush()
            summaries.rebuild(
                rnd.pk,
                progress=lambda m, s=started: self.stdout.write(
                    f"{m} ({time.monotonic() - s:.1f} s)"
                ),
            )
        self.stdout.write(self.style.SUCCESS(f"Rebuilt the summaries of {total} round(s)."))
