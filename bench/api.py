#!/usr/bin/env python
"""Benchmark the JSON API's lists at 10× data (not a test).

    .venv/bin/python bench/api.py                       # SQLite, scale 10
    .venv/bin/python bench/api.py --database postgres   # PostgreSQL on 127.0.0.1
    .venv/bin/python bench/api.py --scale 1 --quick     # try it out
    ... --write                                         # update docs/performance.md

Seeds with bench/run.py's `seed` (scale 10: about 3,600 organisations, three rounds, about
520,000 answers), publishes the latest closed round, then, in this process through Django's
test client (no web server, so the figures are the application's own time), measures p50/p95
of repeated requests to:

- the open published figures (`/api/v1/rounds/{id}/figures`, one page of 200 rows), as served
  (the public results' cached aggregates) and right after a submission (recomputed once);
- the open council register (`/api/v1/organisations`, a page of 200 in the middle);
- with a national admin's token: the responses list and the flat export (a page of 200 rows in
  the middle of about 200,000), and a round's progress by council.

The bar is QUALITY's for "library, support-targeting and API list pages, 10× data": the page
and dashboard bars (p95 ≤ 100 ms as served).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
run = importlib.util.module_from_spec(spec)
sys.modules["bench_run"] = run
spec.loader.exec_module(run)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = fn()
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.content[:300]
    return out


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
    p.add_argument("--quiet-wait", type=float, default=30)
    args = p.parse_args(argv)
    run.QUIET["wait"] = args.quiet_wait
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
        rows, facts = measure(args, log)
    finally:
        run.close_connections()
        run.drop_database(args)
    section = render(args, seeded, rows, facts)
    print(section)
    if args.write:
        run.write_doc(f"api-{args.database}", section)
        log(f"== Wrote {run.DOC}")
    return 0


def measure(args, log):
    import datetime as dt

    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from diagnostic.accounts.models import User
    from diagnostic.analytics.cache import bump
    from diagnostic.analytics.models import Publication
    from diagnostic.api.services import do_create_token
    from diagnostic.assessments.models import Answer, Response, Round
    from diagnostic.organisations.models import Organisation

    n = 5 if args.quick else 60
    admin = User.objects.get(email__startswith="bench-admin")
    closed = Round.objects.filter(status=Round.Status.CLOSED).order_by("-opens_on").first()
    closed = closed or Round.objects.order_by("-opens_on").first()
    Publication.objects.get_or_create(round=closed, defaults={"published_by": admin})
    _, secret = do_create_token(
        by=admin,
        name="bench",
        scopes=["read"],
        expires_on=timezone.localdate() + dt.timedelta(days=2),
    )
    from django.conf import settings

    settings.API_RATE_LIMIT = "1000000/m"
    client = Client(HTTP_HOST="127.0.0.1")
    token = {"Authorization": f"Bearer {secret}"}
    orgs = Organisation.objects.count()
    answers = Answer.objects.filter(response__round=closed, response__status="submitted").count()
    responses = Response.objects.count()
    mid = lambda total: max(1, total // 200 // 2)  # noqa: E731
    urls = [
        ("open: published figures, a page of 200 (as served)", f"/api/v1/rounds/{closed.pk}/figures?page_size=200", {}),
        ("open: council register, a page of 200", f"/api/v1/organisations?page_size=200&page={mid(orgs)}", {}),
        ("token: responses, a page of 200", f"/api/v1/responses?page_size=200&page={mid(responses)}", token),
        ("token: round progress by council, a page of 200", f"/api/v1/sector/rounds/{closed.pk}/progress/councils?page_size=200&page={mid(orgs)}", token),
        ("token: flat export, a page of 200 rows", f"/api/v1/sector/rounds/{closed.pk}/export?page_size=200&page={mid(answers)}", token),
    ]  # fmt: skip
    log("== API")
    run.wait_for_quiet(log)
    cache.clear()
    rows = []
    for what, url, headers in urls:
        client.get(url, headers=headers)  # warm
        times = timed(lambda url=url, headers=headers: client.get(url, headers=headers), n)
        rows.append({"what": what, "n": n, "p50": pct(times, 50), "p95": pct(times, 95)})
        log(f"  {what}: p50 {rows[-1]['p50']:.0f} ms, p95 {rows[-1]['p95']:.0f} ms")
    bump(closed.pk)
    t = time.perf_counter()
    assert client.get(urls[0][1]).status_code == 200
    after = (time.perf_counter() - t) * 1000
    rows.insert(1, {"what": "open: published figures, first request after a submission", "n": 1,
                    "p50": after, "p95": after, "bar": "fresh within 60 s", "ok": True})  # fmt: skip
    for r in rows:
        r.setdefault("bar", "p95 ≤ 100 ms")
        r.setdefault("ok", r["p95"] <= 100)
    return rows, {"organisations": orgs, "responses": responses, "answers": answers}


def render(args, seeded, rows, facts) -> str:
    lines = [
        f"## JSON API lists: {args.database}, scale {args.scale}",
        "",
        f"- **Run**: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, `.venv/bin/python bench/api.py --database {args.database}`",
        f"- **Machine**: {run.machine()}",
        f"- **Data**: {facts['organisations']} organisations, {facts['responses']} responses, "
        f"{seeded.answers} answers ({facts['answers']} in the published round's export)",
        "- **How**: in-process through Django's test client (no web server), after a warm-up request each",
        "",
        "| what | requests | p50 ms | p95 ms | bar | result |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        result = "pass" if r["ok"] else "**FAIL**"
        lines.append(
            f"| {r['what']} | {r['n']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['bar']} | {result} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
