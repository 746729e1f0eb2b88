"""Work out the plan of introductions for a round, with a progress bar, and print it.

The plan page does the same in the background (`broker/tasks.py`), with the same stages."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from diagnostic.assessments.models import Round
from diagnostic.broker import queries
from diagnostic.broker.progress import ProgressBar
from diagnostic.organisations.models import Cluster, Organisation, Region


class Command(BaseCommand):
    help = "Plan introductions for a round: each council in at most N, the most total benefit."

    def add_arguments(self, parser):
        parser.add_argument("round", help="The round's name or id.")
        parser.add_argument(
            "--per-council",
            "-n",
            type=int,
            default=1,
            help="At most N introductions each (default 1).",
        )
        parser.add_argument("--region", default="", help="Only councils of this region (ONS code).")
        parser.add_argument("--cluster", type=int, help="Only councils of this cluster (id).")
        parser.add_argument(
            "--progress", action="store_true", help="Show the bar even when not a terminal."
        )

        parser.add_argument(
            "--time-limit", type=float, default=queries.PLAN_TIME_LIMIT,
            help="Seconds the solver may take for N > 1 before returning its best plan with its "
            "proven gap (default %(default)s; 0: no limit, until it proves the best plan).",
        )  # fmt: skip

    def handle(self, *args, **options):
        rnd = Round.objects.filter(name=options["round"]).first()
        if rnd is None and options["round"].isdigit():
            rnd = Round.objects.filter(pk=int(options["round"])).first()
        if rnd is None:
            raise CommandError(f"No round called {options['round']!r}.")
        if options["per_council"] < 1:
            raise CommandError("--per-council must be at least 1.")
        region = cluster = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"No region {options['region']!r}.")
        if options["cluster"]:
            cluster = Cluster.objects.filter(pk=options["cluster"]).first()
            if cluster is None:
                raise CommandError(f"No cluster {options['cluster']!r}.")
        ids = queries.scope_organisation_ids(rnd, region=region, cluster=cluster)
        bar = None
        if options["progress"] or self.stderr.isatty():
            bar = ProgressBar(lambda text: self.stderr.write(text, ending=""))
        started = time.perf_counter()
        plan, councils = queries.plan_for(
            rnd, queries.NATIONAL, options["per_council"], organisation_ids=ids, progress=bar,
            time_limit=options["time_limit"] or None,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        names = dict(Organisation.objects.filter(pk__in=list(councils)).values_list("pk", "name"))
        for a, b in plan.pairs:
            self.stdout.write(f"{names[a]}\t{names[b]}")
        state = "optimal" if plan.optimal else f"best found, within {plan.gap:.3%}"
        self.stderr.write(
            f"{len(plan.pairs)} introductions among {len(councils)} councils, total {plan.total:.1f} "
            f"({state}; {plan.method}) in {seconds:.1f} s"
        )
