#!/usr/bin/env python
"""Benchmark the library of good practice with 2,000 published case studies (not a test).

    .venv/bin/python bench/library.py                         # SQLite (FTS5)
    .venv/bin/python bench/library.py --database postgres --database-url postgres://…/name
    ... --count 2000 --requests 60 --write                    # update docs/performance.md

Seeds its own database (bench/run.py's `fresh_database`: var/bench/bench.sqlite3, or the
PostgreSQL database named, dropped and created afresh) with the framework, the real council
register and `--count` case studies spread over councils, value codes, levels and the three
visibility choices (a tenth of them withdrawn or in moderation), written with bulk inserts so
SQLite's FTS5 triggers index every one. Then, in this process through Django's test client (no
web server, so the figures are the application's own time, single user), it measures p50/p95
of the library page as the public and as a signed-in council, a full-text search, the filters,
a deep page and one case study page, and the number of queries of each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
run = importlib.util.module_from_spec(spec)
sys.modules["bench_run"] = run
spec.loader.exec_module(run)

# A working vocabulary of procurement words, and many rarer ones (as real text has), so that a
# search word matches a realistic share of the case studies rather than nearly all of them.
COMMON = [
    "contract",
    "register",
    "supplier",
    "social",
    "value",
    "category",
    "spend",
    "analysis",
    "tender",
    "lotting",
    "framework",
    "councillors",
    "training",
    "resilience",
    "contingency",
    "fraud",
    "audit",
    "youth",
    "consortium",
    "highways",
    "salt",
    "partnership",
    "commissioning",
    "evaluation",
    "mobilisation",
    "performance",
    "payment",
    "local",
    "business",
    "voluntary",
    "sector",
    "carbon",
    "emissions",
    "fleet",
    "housing",
    "repairs",
    "care",
]
RARE = [f"{a}{b}" for a in ("pro", "con", "sub", "inter", "re", "co", "de", "pre") for b in (
    "curement", "tract", "vision", "mission", "sourcing", "design", "valuation", "scribe",
    "sponse", "venant", "livery", "ference", "tention", "gration", "volution", "ordinate",
)]  # fmt: skip
WORDS = COMMON


def words(rng, n: int) -> str:
    return " ".join(
        rng.choice(RARE) if rng.random() < 0.5 else rng.choice(COMMON) for _ in range(n)
    )


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))]


def seed(count: int, log) -> dict:
    from django.core.management import call_command
    from django.utils import timezone

    from diagnostic.accounts.models import Membership, Role, User
    from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
    from diagnostic.organisations.loaders import load_register
    from diagnostic.organisations.models import Organisation
    from diagnostic.practice.models import CaseStudy

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    version = load_framework_file(NPS_2018).version
    load_register()
    orgs = list(Organisation.objects.all())
    vcs = list(version.valuecodes.select_related("key_area"))
    levels = list(version.levels.all())
    enablers = list(version.enablers.all())
    rng = random.Random(10)
    now = timezone.now()
    rows = []
    for i in range(count):
        vc = rng.choice(vcs)
        text = words(rng, 120)
        # "apprenticeships" in about one case study in twenty, as a specific subject would be.
        if rng.random() < 0.05:
            text += " apprenticeships"
        state = "published" if i % 10 else rng.choice(["withdrawn", "submitted", "in_review"])
        rows.append(CaseStudy(
            organisation=rng.choice(orgs), framework_version=version, state=state,
            title=f"{vc.title} at {rng.choice(WORDS)} {i}", summary=text[:400],
            what_was_done=f"# What we did\n\n{text}\n\n- **{rng.choice(WORDS)}**",
            results=f"Up from {rng.randint(10, 60)}% to {rng.randint(61, 99)}%.",
            differently=text[:200], contact_role="Head of Procurement",
            level=rng.choice(levels), key_area=vc.key_area,
            visibility=rng.choice(["public", "public", "councils", "sector_bodies"]),
            named=rng.random() < 0.7, updated_at=now, submitted_at=now,
            published_at=(now - dt.timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60)))
            if state == "published" else None,
        ))  # fmt: skip
        rows[-1]._vc = vc
    CaseStudy.objects.bulk_create(rows, batch_size=500)
    through = CaseStudy.value_codes.through
    ethrough = CaseStudy.enablers.through
    through.objects.bulk_create(
        [through(casestudy_id=cs.pk, valuecode_id=cs._vc.pk) for cs in rows], batch_size=1000
    )
    ethrough.objects.bulk_create(
        [ethrough(casestudy_id=cs.pk, enabler_id=rng.choice(enablers).pk) for cs in rows],
        batch_size=1000,
    )
    lead = User.objects.create_user("bench-lead@bench.example", "bench-passphrase-1")
    Membership.objects.create(user=lead, role=Role.LEAD, organisation=orgs[0])
    # A live database's statistics are kept by autovacuum (PostgreSQL) or `PRAGMA optimize`;
    # a freshly bulk-loaded one has none, and the planner then guesses one row per table.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(
        f"  seeded {count} case studies over {len(orgs)} councils in {time.perf_counter() - t:.0f}s"
    )
    return {"lead": lead, "vc": vcs[0].code, "level": levels[-1].number,
            "case_study": next(cs.pk for cs in rows if cs.state == "published" and cs.visibility == "public"), "organisations": len(orgs)}  # fmt: skip


def measure(seeded: dict, n: int, log) -> list[dict]:
    from django.db import connection
    from django.test import Client

    public = Client(HTTP_HOST="127.0.0.1")
    council = Client(HTTP_HOST="127.0.0.1")
    council.force_login(seeded["lead"])
    council.get("/")
    cases = [
        ("library, public", public, "/good-practice/"),
        ("library, signed-in council", council, "/good-practice/"),
        ("search for one word", public, "/good-practice/?q=apprenticeships"),
        ("search for two words", council, "/good-practice/?q=procurement+covenant"),
        ("value code and level filters", public,
         f"/good-practice/?value_code={seeded['vc']}&level={seeded['level']}"),
        ("page 50, sorted by title", public, "/good-practice/?sort=title&page=50"),
        ("one case study", public, f"/good-practice/{seeded['case_study']}/"),
        ("library CSV (every match)", public, "/good-practice.csv"),
    ]  # fmt: skip
    rows = []
    for what, client, url in cases:
        r = client.get(url)
        assert r.status_code in (200, 404), (url, r.status_code)
        seen: list[str] = []

        def counted(execute, sql, params, many, context, seen=seen):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            client.get(url)
        times, cpu = [], []
        for _ in range(n):
            t, c = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        count = r.context["page"].paginator.count if r.context and "page" in r.context else None
        rows.append({"what": what, "n": n, "p50": pct(times, 50), "p95": pct(times, 95), "cpu": pct(cpu, 50),
                     "queries": len(seen), "matches": count})  # fmt: skip
        log(f"  {what}: p50 {rows[-1]['p50']:.1f} ms, p95 {rows[-1]['p95']:.1f} ms")
    return rows


def render(args, seeded, rows) -> str:
    import django

    lines = [
        f"## Library of good practice: {args.database}, {args.count} case studies",
        "",
        f"- **Run**: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"`.venv/bin/python bench/library.py --database {args.database} --count {args.count}`",
        f"- **Machine**: nproc {run.os.cpu_count()}, load average {run.os.getloadavg()[0]:.1f} at the end, Python {sys.version.split()[0]}, "
        f"Django {django.get_version()} (shared with other work while it ran: noisy)",
        f"- **Data**: {args.count} case studies (nine in ten published, visibility mixed) from "
        f"{seeded['organisations']} councils",
        "- **How**: in-process through Django's test client, one user, no web server; CPU is "
        "this process's own CPU time per request (less disturbed by other load than the time)",
        "",
        "| what | requests | p50 ms | p95 ms | CPU p50 ms | queries | bar | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        page = r["what"] != "library CSV (every match)"
        bar = "p50 ≤ 25 ms, p95 ≤ 200 ms, ≤ 10 queries" if page else "—"
        ok = r["p50"] <= 25 and r["p95"] <= 200 and r["queries"] <= 10
        result = ("pass" if ok else "**FAIL**") if page else "—"
        what = r["what"] + (f" ({r['matches']} matches)" if r["matches"] is not None else "")
        lines.append(f"| {what} | {r['n']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | {r['queries']} "
                     f"| {bar} | {result} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url", default=run.DEFAULT_PG_URL)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--requests", type=int, default=60)
    p.add_argument("--write", action="store_true")
    p.add_argument("--keep-db", action="store_true")
    args = p.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    run.VAR.mkdir(parents=True, exist_ok=True)
    run.fresh_database(args)
    try:
        run.configure_django(args)
        log(f"== Seeding {args.count} case studies ({args.database})")
        seeded = seed(args.count, log)
        log("== Measuring")
        rows = measure(seeded, args.requests, log)
    finally:
        run.close_connections()
        run.drop_database(args)
    section = render(args, seeded, rows)
    print(section)
    if args.write:
        run.write_doc(f"library-{args.database}", section)
        log(f"== Wrote {run.DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
