#!/usr/bin/env python
"""Benchmark the support-targeting ranking page ("where to focus") at 10× data (not a test).

    .venv/bin/python bench/support.py                       # SQLite, scale 10
    .venv/bin/python bench/support.py --database postgres   # PostgreSQL on 127.0.0.1
    .venv/bin/python bench/support.py --scale 1 --quick     # try it out
    ... --write                                             # update docs/performance.md

Seeds with bench/run.py's `seed` (as bench/dashboards.py does: scale 10 is about 3,600
organisations, three rounds, about 520,000 answers), adds ten advisers, then measures in this
process through Django's test client, on the closed round with every response submitted:

- the ranking page **as served** (figures and charts cached), national team and a regional lead;
- the page's **uncached figures** (`support.queries.where_to_focus`: ranking, heat map, map,
  breakdowns; charts excluded), ranking key areas and ranking value codes;
- the page right after a change (the support cache version bumped: recomputed once).
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("bench_dashboards", HERE / "dashboards.py")
dash = importlib.util.module_from_spec(spec)
sys.modules["bench_dashboards"] = dash
spec.loader.exec_module(dash)
run = dash.run


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url", default=run.DEFAULT_PG_URL)
    p.add_argument("--scale", type=int, default=10)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--write", action="store_true")
    p.add_argument("--keep-db", action="store_true")
    args = p.parse_args(argv)
    run.QUIET["wait"] = 30
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    run.VAR.mkdir(parents=True, exist_ok=True)
    run.fresh_database(args)
    try:
        run.configure_django(args)
        log(f"== Seeding at scale {args.scale}")
        seeded = run.seed(args.scale, log)
        log(
            f"  {seeded.organisations} organisations, {seeded.answers} answers in {seeded.seconds:.0f}s"
        )
        rows = measure(args, log)
    finally:
        run.close_connections()
        run.drop_database(args)
    section = render(args, seeded, rows)
    print(section)
    if args.write:
        run.write_doc(f"support-{args.database}", section)
        log(f"== Wrote {run.DOC}")
    return 0


def advisers() -> None:
    from diagnostic.frameworks.models import KeyArea
    from diagnostic.organisations.models import Region
    from diagnostic.support.models import Adviser

    regions = list(Region.objects.order_by("code"))
    areas = list(KeyArea.objects.order_by("position"))
    for i in range(10):
        a = Adviser.objects.create(name=f"Bench adviser {i}", kind="lga", days_per_quarter=5 + i)
        a.regions.set(regions[i % len(regions) : i % len(regions) + 2])
        a.key_areas.set(areas[i % len(areas) : i % len(areas) + 3])


def measure(args, log) -> list[dict]:
    from django.core.cache import cache

    from diagnostic.accounts.models import Membership, Role, User
    from diagnostic.assessments.models import Round
    from diagnostic.organisations.models import Region
    from diagnostic.support import queries
    from diagnostic.twofactor.testing import VerifyingClient as Client

    advisers()
    if args.database == "postgres":
        # Fresh statistics, as autovacuum would have them: straight after the bulk seed the
        # planner thinks the round has one response and loops over every answer by index.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    n_served, n_uncached = (5, 3) if args.quick else (60, 12)
    admin = User.objects.get(email__startswith="bench-admin")
    region = Region.objects.get(code="E12000002")
    lead = User.objects.create_user(
        "bench-region@bench.example", "x" * 20, full_name="Bench Region"
    )
    Membership.objects.create(user=lead, role=Role.REGIONAL_LEAD, region=region)
    closed = (
        Round.objects.filter(status=Round.Status.CLOSED).order_by("-opens_on").first()
        or Round.objects.first()
    )
    url = f"/support/?round={closed.pk}"
    out = []
    log("== Support ranking")
    run.wait_for_quiet(log)
    cache.clear()
    for who, user in (("national team", admin), ("regional lead", lead)):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        t = time.perf_counter()
        assert client.get(url).status_code == 200
        first = (time.perf_counter() - t) * 1000
        served = dash.timed(lambda c=client: c.get(url), n_served)
        out.append({"what": f"ranking page as served (cached), {who}", "n": n_served,
                    "p50": dash.pct(served, 50), "p95": dash.pct(served, 95), "bar": "p95 ≤ 100 ms",
                    "ok": dash.pct(served, 95) <= 100, "extra": f"first, cold, with charts: {first:.0f} ms"})  # fmt: skip
    bar = 600 if args.database == "sqlite" else 200
    for by in ("key_area", "value_code"):
        scope = queries.SupportScope(closed.pk, by=by)
        uncached = dash.timed(lambda s=scope: queries.where_to_focus(s, national=True), n_uncached)
        out.append({"what": f"the page's figures uncached, national, ranking {by.replace('_', ' ')}s",
                    "n": n_uncached, "p50": dash.pct(uncached, 50), "p95": dash.pct(uncached, 95),
                    "bar": "≤ 200 ms PostgreSQL, ≤ 600 ms SQLite", "ok": dash.pct(uncached, 95) <= bar})  # fmt: skip
    scope = queries.SupportScope(closed.pk)
    answers = dash.timed(lambda: queries.where_to_focus(scope, national=True, from_answers=True),
                         max(3, n_uncached // 4))  # fmt: skip
    out.append({"what": "the same figures from the answers, not the summaries (before issue 16), key areas",
                "n": len(answers), "p50": dash.pct(answers, 50), "p95": dash.pct(answers, 95),
                "bar": "—", "ok": None})  # fmt: skip
    scope = queries.SupportScope(closed.pk, region_id=region.pk)
    uncached = dash.timed(lambda: queries.where_to_focus(scope, national=False), n_uncached)
    out.append({"what": "the page's figures uncached, one region", "n": n_uncached,
                "p50": dash.pct(uncached, 50), "p95": dash.pct(uncached, 95),
                "bar": "≤ 200 ms PostgreSQL, ≤ 600 ms SQLite", "ok": dash.pct(uncached, 95) <= bar})  # fmt: skip
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    client.get(url)
    queries.bump_support()
    t = time.perf_counter()
    client.get(url)
    after = (time.perf_counter() - t) * 1000
    out.append({"what": "ranking page right after an adviser or offer changed (recomputed)", "n": 1,
                "p50": after, "p95": after, "bar": "—", "ok": None})  # fmt: skip
    return out


def render(args, seeded, rows) -> str:
    import django

    lines = [
        f"## Support targeting: {args.database}, scale {args.scale}",
        "",
        f"- **Run**: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, `.venv/bin/python bench/support.py --database {args.database}"
        f"{' --scale ' + str(args.scale) if args.scale != 10 else ''}`",
        f"- **Machine**: nproc {run.os.cpu_count()}, Python {platform.python_version()}, Django {django.get_version()}",
        f"- **Data**: {seeded.organisations} organisations, {seeded.rounds} rounds, {seeded.answers} answers; 10 advisers",
        "- **How**: in-process through Django's test client (no web server); the closed round with every response submitted",
        "",
        "| what | requests | p50 ms | p95 ms | bar | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        result = "—" if r["ok"] is None else ("pass" if r["ok"] else "**FAIL**")
        extra = f" ({r['extra']})" if r.get("extra") else ""
        lines.append(
            f"| {r['what']}{extra} | {r['n']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['bar']} | {result} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
