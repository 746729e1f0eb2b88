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
import os
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


def cases(seeded: dict) -> list[tuple[str, bool, str]]:
    """(what, signed in?, URL) of each measured request."""
    return [
        ("library, public", False, "/good-practice/"),
        ("library, signed-in council", True, "/good-practice/"),
        ("search for one word", False, "/good-practice/?q=apprenticeships"),
        ("search for two words", True, "/good-practice/?q=procurement+covenant"),
        ("value code and level filters", False,
         f"/good-practice/?value_code={seeded['vc']}&level={seeded['level']}"),
        ("page 50, sorted by title", False, "/good-practice/?sort=title&page=50"),
        ("one case study", False, f"/good-practice/{seeded['case_study']}/"),
        ("library CSV (every match)", False, "/good-practice.csv"),
    ]  # fmt: skip


CSV = "library CSV (every match)"


def clients(seeded: dict):
    """(public, signed-in council) test clients, warmed up."""
    from django.test import Client

    public = Client(HTTP_HOST="127.0.0.1")
    council = Client(HTTP_HOST="127.0.0.1")
    council.force_login(seeded["lead"])
    council.get("/")
    return public, council


def measure(seeded: dict, n: int, log) -> list[dict]:
    from django.db import connection

    public, council = clients(seeded)
    rows = []
    for what, signed_in, url in cases(seeded):
        client = council if signed_in else public
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


def reseeded(log) -> dict:
    """What `seed` returns, read back from a database a previous `--keep-db` run left."""
    from diagnostic.accounts.models import User
    from diagnostic.organisations.models import Organisation
    from diagnostic.practice.models import CaseStudy
    from diagnostic.practice.queries import current_version

    version = current_version()
    count = CaseStudy.objects.count()
    log(f"  reusing {count} case studies")
    return {"lead": User.objects.get(email="bench-lead@bench.example"),
            "vc": version.valuecodes.order_by("position", "pk").first().code,
            "level": version.levels.order_by("-number").first().number,
            "case_study": CaseStudy.objects.filter(state="published", visibility="public")
            .order_by("pk").values_list("pk", flat=True).first(),
            "organisations": Organisation.objects.count(), "count": count}  # fmt: skip


# --- Where the time goes (--profile, --explain) -----------------------------------------------
# cProfile's cumulative time of these, per request: what each layer costs. They nest (the
# template renders the page's rows, so its time includes their queries): read them as parts.
LAYERS = [
    ("the whole request", "django/test/client.py", ("get",)),
    ("the signed-in person (session, user, roles)", "django/contrib/auth/__init__.py", ("get_user",)),
    ("the view (with its template)", "diagnostic/practice/views.py", ("library", "case_study")),
    ("the database (driver execute)", "django/db/backends/utils.py", ("_execute",)),
    ("Django's SQL compiler (as_sql)", "django/db/models/sql/compiler.py", ("as_sql",)),
    ("rows to values (results_iter)", "django/db/models/sql/compiler.py", ("results_iter",)),
    ("rows to objects (Model.from_db)", "django/db/models/base.py", ("from_db",)),
    ("templates (with the lazy queries they run)", "django/template/response.py", ("render",)),
    ("templates (with the lazy queries they run)", "django/shortcuts.py", ("render",)),
    ("context processors", "django/template/context.py", ("bind_template",)),
]  # fmt: skip


def layer_times(stats, calls: int) -> list[tuple[str, float]]:
    """ms per request of each layer: the cumulative time of its function (the outermost call of
    a recursive one is its largest cumulative time)."""
    out: dict[str, float] = {}
    for label, path, funcs in LAYERS:
        for (file, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
            if file.endswith(path) and name in funcs:
                out[label] = max(out.get(label, 0.0), ct * 1000 / calls)
    return [(label, out.get(label, 0.0)) for label in dict.fromkeys(lab for lab, *_ in LAYERS)]


def profile(seeded: dict, n: int, out: Path, log) -> str:
    """cProfile `n` requests of each page case; the layers' times and the top functions."""
    import cProfile
    import io
    import pstats

    public, council = clients(seeded)
    report = io.StringIO()
    for what, signed_in, url in cases(seeded):
        if what == CSV:
            continue
        client = council if signed_in else public
        for _ in range(5):
            client.get(url)
        t0 = time.perf_counter()
        for _ in range(n):
            client.get(url)
        plain = (time.perf_counter() - t0) * 1000 / n
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(n):
            client.get(url)
        prof.disable()
        stats = pstats.Stats(prof, stream=report)
        report.write(f"\n## {what}: {url} ({plain:.1f} ms each without the profiler)\n\n")
        for label, ms in layer_times(stats, n):
            report.write(f"- {label}: {ms:.1f} ms\n")
        report.write("\n")
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(r"diagnostic/|django/(template|db|core)", 30)
    out.write_text(report.getvalue())
    for line in report.getvalue().splitlines():
        if line.startswith(("## ", "- ")):
            log("  " + line)
    log(f"  profile written to {out}")
    return report.getvalue()


def explain(seeded: dict, out: Path, log) -> str:
    """EXPLAIN ANALYZE of every statement of each page case (PostgreSQL)."""
    from django.db import connection

    public, council = clients(seeded)
    report = []
    for what, signed_in, url in cases(seeded):
        if what == CSV:
            continue
        client = council if signed_in else public
        client.get(url)
        seen: list[tuple[str, object]] = []

        def counted(execute, sql, params, many, context, seen=seen):
            seen.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            client.get(url)
        report.append(f"\n## {what}: {url}\n")
        for sql, params in seen:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(r[0] for r in cursor.fetchall())
            report.append(f"```sql\n{sql[:1500]}\n```\n```\n{plan}\n```\n")
            timing = [line for line in plan.splitlines() if "Execution Time" in line]
            log(f"  {what}: {sql[:70]}… {timing[0].strip() if timing else ''}")
    text = "\n".join(report)
    out.write_text(text)
    log(f"  plans written to {out}")
    return text


# --- 8 concurrent clients through gunicorn (--concurrent) -------------------------------------
def concurrent(args, seeded: dict, log) -> list[dict]:
    """Each page case as `--clients` concurrent clients through gunicorn for `--seconds` (bench/
    run.py's server, HTTP client and phase runner): p50/p95, throughput, and where the CPU went."""
    procs = load_sibling("procs")
    path = run.VAR / f"gunicorn-library-{args.database}.log"
    path.unlink(missing_ok=True)
    server = run.Server(args, threads=1, log_path=path)
    if args.port:
        server.port = args.port
    rows = []
    try:
        log(f"== gunicorn {server.describe} on port {server.port}")
        server.start()
        run.QUIET["wait"] = args.quiet_wait
        signed = [procs.signed_in(server.port, seeded["lead"]) for _ in range(args.clients)]
        anonymous = [run.Session(server.port, "public", 0) for _ in range(args.clients)]
        run.close_connections()
        for what, signed_in, url in cases(seeded):
            if what == CSV:
                continue
            sessions = signed if signed_in else anonymous
            warm = run.Phase(f"warm-up, {what}", len(sessions), 2, "page")
            run.run_phase(warm, sessions, run.page_work(lambda s, url=url: [url]), server,
                          lambda m: None)  # fmt: skip
            phase = run.Phase(what, len(sessions), args.seconds, "page")
            run.run_phase(phase, sessions, run.page_work(lambda s, url=url: [url]), server, log)
            rows.append({"what": what, "phase": phase, "load": os.getloadavg()})
    finally:
        server.stop()
    return rows


def load_sibling(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def render(args, seeded, rows) -> str:
    import django

    lines = [
        f"## Library of good practice: {args.database}, {args.count} case studies",
        "",
        f"- **Run**: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"`.venv/bin/python bench/library.py {' '.join(sys.argv[1:])}`",
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


def render_concurrent(args, rows) -> str:
    lines = [
        "",
        f"**{args.clients} concurrent clients through gunicorn** (`--workers {args.workers}`, sync; "
        f"bench/run.py's server and HTTP client; {args.seconds:g} s per row, after a 2 s warm-up). "
        "Busy: the whole machine's CPU use during the row (2 cores = 100 %); other: cores used "
        "by processes that are not this benchmark; load: the 1-minute load average at its end.",
        "",
        "| what | requests | per s | p50 ms | p95 ms | errors | busy | other | load | bar | result |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        p = r["phase"]
        ok = p.pct(95) <= run.BAR_PAGE_P95 and p.errors == 0
        lines.append(
            f"| {r['what']} | {p.count} | {p.rps:.0f} | {p.pct(50):.1f} | {p.pct(95):.1f} "
            f"| {p.errors} | {p.cpu_busy:.0%} | {p.other_cpu:.2f} | {r['load'][0]:.1f} "
            f"| p95 ≤ {run.BAR_PAGE_P95} ms, 0 errors | {'pass' if ok else '**FAIL**'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url", default=run.DEFAULT_PG_URL)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--requests", type=int, default=60)
    p.add_argument("--write", action="store_true")
    p.add_argument("--keep-db", action="store_true", help="keep the database for --reuse-db")
    p.add_argument(
        "--reuse-db",
        action="store_true",
        help="measure the database a --keep-db run left (migrated, not re-seeded)",
    )
    p.add_argument(
        "--single",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the in-process, one-user measurement (--no-single to skip it)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="cProfile each page: where the time goes (var/bench/library-<db>.prof.txt)",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN ANALYZE every statement (PostgreSQL; var/bench/library-plans.md)",
    )
    p.add_argument(
        "--concurrent",
        action="store_true",
        help="also each page with --clients concurrent clients through gunicorn",
    )
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    p.add_argument("--seconds", type=float, default=10, help="per concurrent row")
    p.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    p.add_argument("--quiet-wait", type=float, default=10,
                   help="seconds to wait for the machine to go quiet before each concurrent row")  # fmt: skip
    args = p.parse_args(argv)
    if args.reuse_db:
        args.keep_db = True
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    run.VAR.mkdir(parents=True, exist_ok=True)
    if args.concurrent:
        load_sibling("procs").interrupt_on_signals()
    if args.reuse_db:
        run.one_benchmark_at_a_time(log)
    else:
        run.fresh_database(args)
    rows: list[dict] = []
    together: list[dict] = []
    try:
        run.configure_django(args)
        if args.reuse_db:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            seeded = reseeded(log)
            args.count = seeded["count"]
        else:
            log(f"== Seeding {args.count} case studies ({args.database})")
            seeded = seed(args.count, log)
        if args.single:
            log("== Measuring")
            rows = measure(seeded, args.requests, log)
        if args.profile:
            log("== Profiling")
            profile(seeded, 30, run.VAR / f"library-{args.database}.prof.txt", log)
        if args.explain and args.database == "postgres":
            log("== EXPLAIN ANALYZE")
            explain(seeded, run.VAR / "library-plans.md", log)
        run.close_connections()
        if args.concurrent:
            together = concurrent(args, seeded, log)
    finally:
        run.close_connections()
        run.drop_database(args)
    section = (
        render(args, seeded, rows)
        if rows
        else f"## Library of good practice: {args.database}, {args.count} case studies\n"
    )
    if together:
        section += render_concurrent(args, together)
    print(section)
    if args.write:
        run.write_doc(f"library-{args.database}", section)
        log(f"== Wrote {run.DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
