#!/usr/bin/env python
"""Benchmark the sector dashboards at 10× data and the council PDF report (not a test).

    .venv/bin/python bench/dashboards.py                       # SQLite, scale 10
    .venv/bin/python bench/dashboards.py --database postgres   # PostgreSQL on 127.0.0.1
    .venv/bin/python bench/dashboards.py --scale 1 --quick     # try it out
    ... --write                                                # update docs/performance.md

Seeds with bench/run.py's `seed` (scale 10: about 3,600 organisations, three rounds, about
520,000 answers), then, in this process through Django's test client (no web server, so the
figures are the application's own time):

- the national dashboard **as served** (aggregates and charts cached), p50/p95 over repeated
  requests, and right after a submission (the round's cache version bumped: recomputed once);
- the **uncached aggregates** (the fallback path: every figure on the dashboard computed from
  the database, charts excluded), p50/p95;
- the council **results report PDF**, p50/p95 over several councils, rendered in a fresh
  process (the "web process": Django, the template, the charts) that hands each document's
  WeasyPrint step to a short-lived child process (diagnostic/reports/pdf.py; the charts are
  drawn by the web process's chart-drawing child, diagnostic/analytics/chart_process.py, while
  the rendering child reads the HTML). CPU time per report (medians) is reported for the web
  process, the rendering child and the chart-drawing child: less disturbed by other load than
  the times. Peak memory is reported for the web process, the rendering processes (the largest
  of every rendering child and the fork server they are forked from) and the chart-drawing
  process; the bar is judged on the largest. The same reports are then rendered with
  `PDF_RENDER_IN_SUBPROCESS=false` and `CHARTS_DRAW_IN_SUBPROCESS=false` (everything in the web
  process), for comparison. Before the dashboards and each PDF phase
  the benchmark waits (up to `--quiet-wait` seconds) for other processes to go quiet; the PDF
  rows say how much CPU other processes used meanwhile.

Peak memory is VmHWM (Linux), the high-water mark of a process's own address space. Not
ru_maxrss: a process started by exec begins with its parent's high-water mark as its ru_maxrss,
so the PDF process started by this (seeded, large) benchmark, and the fork server started by the
PDF process, would report their parent's peak. RUSAGE_CHILDREN is printed to stderr alongside.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import resource
import statistics
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
        fn()
        out.append((time.perf_counter() - t) * 1000)
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
    p.add_argument(
        "--demo", action="store_true",
        help="seed with seed_demo instead (1x: the real register, three rounds) rather than --scale",
    )  # fmt: skip
    p.add_argument(
        "--quiet-wait", type=float, default=60,
        help="seconds to wait, before the dashboards and each PDF phase, for other processes to go quiet (default 60)",
    )  # fmt: skip
    p.add_argument("--skip-pdf", action="store_true", help="measure the dashboards only")
    p.add_argument("--pdf-round", type=int, help=argparse.SUPPRESS)
    p.add_argument("--pdf-count", type=int, default=10, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.pdf_round:
        return pdf_only(args)
    run.QUIET["wait"] = args.quiet_wait
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

    run.VAR.mkdir(parents=True, exist_ok=True)
    run.fresh_database(args)
    try:
        run.configure_django(args)
        if args.demo:
            seeded = seed_demo(log)
            args.scale = 1
        else:
            log(f"== Seeding at scale {args.scale}")
            seeded = run.seed(args.scale, log)
        log(
            f"  {seeded.organisations} organisations, {seeded.answers} answers in {seeded.seconds:.0f}s"
        )
        speed = [run.speed_probe()]
        rows = measure(args, seeded, log)
        speed.append(run.speed_probe())
        args.speed = speed
    finally:
        run.close_connections() if hasattr(run, "close_connections") else None
        run.drop_database(args)
    section = render(args, seeded, rows)
    print(section)
    if args.write:
        run.write_doc(f"dashboards-{args.database}{'-demo' if args.demo else ''}", section)
        log(f"== Wrote {run.DOC}")
    return 0


def measure(args, seeded, log) -> list[dict]:
    from django.core.cache import cache

    from diagnostic.accounts.models import User
    from diagnostic.analytics import queries
    from diagnostic.assessments.models import Round
    from diagnostic.twofactor.testing import VerifyingClient as Client

    n_served, n_uncached, n_pdf = (5, 3, 2) if args.quick else (60, 12, 10)
    if args.database == "postgres":
        # Fresh statistics, as autovacuum would have them after the bulk seed (bench/support.py).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    admin = User.objects.get(email__startswith="bench-admin")
    closed = (
        Round.objects.filter(status=Round.Status.CLOSED).order_by("-opens_on").first()
        or Round.objects.first()
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    url = f"/dashboards/national/?round={closed.pk}"
    log("== Dashboards")
    run.wait_for_quiet(log)
    cache.clear()
    t = time.perf_counter()
    got = client.get(url)
    assert got.status_code == 200, (got.status_code, got.get("Location"))
    first = (time.perf_counter() - t) * 1000
    log(f"  first (cold) dashboard: {first:.0f} ms")
    served = timed(lambda: client.get(url), n_served)

    scope = queries.Scope(closed.pk)

    def aggregates():
        queries.participation(scope)
        queries.participation_by(scope, "region")
        queries.participation_by(scope, "type")
        queries.participation_by(scope, "nation")
        queries.levels_by(scope, "theme")
        queries.levels_by(scope, "key_area")
        queries.heatmap(scope, "region")
        queries.heatmap(scope, "type")

    def from_answers():  # the same figures aggregated from the answers (before issue 16)
        queries.participation(scope)
        queries.participation_by(scope, "region")
        queries.participation_by(scope, "type")
        queries.participation_by(scope, "nation")
        queries.levels_by(scope, "theme", from_answers=True)
        queries.levels_by(scope, "key_area", from_answers=True)
        queries.heatmap(scope, "region", from_answers=True)
        queries.heatmap(scope, "type", from_answers=True)

    from diagnostic.analytics import summaries

    t = time.perf_counter()
    summaries.rebuild(closed.pk)
    rebuild_ms = (time.perf_counter() - t) * 1000
    uncached = timed(aggregates, n_uncached)
    answers = timed(from_answers, max(3, n_uncached // 4))
    one = timed(lambda: queries.levels_by(scope, "key_area"), n_uncached)

    # Freshness: a submission bumps the round's cache version; the next request recomputes.
    from diagnostic.analytics.cache import bump

    bump(closed.pk)
    t = time.perf_counter()
    client.get(url)
    after_submission = (time.perf_counter() - t) * 1000

    pdf_rows = []
    if not args.skip_pdf:
        pdf = pdf_in_subprocess(args, closed.pk, n_pdf, log, in_child=True)
        pdf_here = pdf_in_subprocess(args, closed.pk, n_pdf, log, in_child=False)
        pdf_rows = [pdf_row(pdf), pdf_row(pdf_here)]
    return [
        {"what": "national dashboard as served (cached)", "n": n_served, "p50": pct(served, 50), "p95": pct(served, 95),
         "bar": "p95 ≤ 100 ms", "ok": pct(served, 95) <= 100},
        {"what": "national dashboard, first request after a submission", "n": 1, "p50": after_submission, "p95": after_submission,
         "bar": "fresh within 60 s", "ok": True},
        {"what": "every dashboard aggregate, uncached (fallback path)", "n": n_uncached, "p50": pct(uncached, 50), "p95": pct(uncached, 95),
         "bar": "≤ 200 ms PostgreSQL, ≤ 600 ms SQLite", "ok": pct(uncached, 95) <= (600 if args.database == "sqlite" else 200)},
        {"what": "the same aggregates from the answers, not the summaries (before issue 16)", "n": len(answers),
         "p50": pct(answers, 50), "p95": pct(answers, 95), "bar": "—", "ok": None},
        {"what": "rebuilding the round's summaries from its answers (`rebuild_summaries`)", "n": 1,
         "p50": rebuild_ms, "p95": rebuild_ms, "bar": "—", "ok": None},
        {"what": "one aggregate (levels by key area), uncached", "n": n_uncached, "p50": pct(one, 50), "p95": pct(one, 95),
         "bar": "—", "ok": None},
        *pdf_rows,
    ]  # fmt: skip


def pdf_row(pdf: dict) -> dict:
    """The PDF row: time and peak memory, judged on the larger of the web and rendering processes."""
    peak = max(pdf["rss_mb"], pdf["child_rss_mb"], pdf.get("chart_rss_mb") or 0)
    other = f"; other processes used {pdf['other_cores']:.2f} cores meanwhile"
    if pdf["in_child"]:
        what = f"council results PDF, WeasyPrint in a child process (median {pdf['pages']} pages)"
        cpu = (
            f"; CPU per report: web process {pdf['web_cpu_ms']:.0f} ms"
            + (
                f", rendering process {pdf['child_cpu_ms']:.0f} ms"
                if pdf.get("child_cpu_ms")
                else ""
            )
            + (
                f", chart-drawing process {pdf['chart_cpu_ms']:.0f} ms"
                if pdf.get("chart_cpu_ms")
                else ""
            )
        )
        charts = (
            f", chart-drawing process {pdf['chart_rss_mb']:.0f} MB"
            if pdf.get("chart_rss_mb")
            else ""
        )
        extra = (
            f"peak memory: web process {pdf['rss_mb']:.0f} MB, rendering processes "
            f"{pdf['child_rss_mb']:.0f} MB (each child {pdf['child_min_mb']:.0f}–{pdf['child_max_mb']:.0f} MB, "
            f"fork server {pdf['forkserver_mb']:.0f} MB){charts}{cpu}{other}"
        )
    else:
        what = (
            "council results PDF, WeasyPrint and the charts in the web process (`PDF_RENDER_IN_SUBPROCESS=false`, "
            f"`CHARTS_DRAW_IN_SUBPROCESS=false`; median {pdf['pages']} pages)"
        )
        extra = f"peak memory: web process {pdf['rss_mb']:.0f} MB; CPU per report {pdf['web_cpu_ms']:.0f} ms{other}"
    return {"what": what, "n": pdf["n"], "p50": pdf["p50"], "p95": pdf["p95"],
            "bar": "p95 ≤ 3 s, peak memory ≤ 250 MB", "ok": pdf["p95"] <= 3000 and peak <= 250,
            "extra": extra}  # fmt: skip


def seed_demo(log):
    """The demo data: the real register (1x), three rounds, realistic answers."""
    from io import StringIO

    from django.core.management import call_command

    from diagnostic.accounts.models import Membership, Role, User
    from diagnostic.assessments.models import Answer, Response, Round
    from diagnostic.organisations.models import Organisation

    log("== Seeding the demo data")
    started = time.monotonic()
    call_command("seed_demo", "--force", stdout=StringIO())
    admin = User.objects.create_user("bench-admin@bench.example", "x", full_name="Bench Admin")
    Membership.objects.create(user=admin, role=Role.NATIONAL_ADMIN)
    return run.Seeded(
        organisations=Organisation.objects.count(), responses=Response.objects.count(),
        value_codes=[], key_areas=[], leads=[], answers=Answer.objects.count(),
        rounds=Round.objects.count(), seconds=time.monotonic() - started,
    )  # fmt: skip


def pdf_in_subprocess(args, round_id: int, n: int, log, *, in_child: bool) -> dict:
    """Render the reports in a fresh process, so its peak memory is the report's, not the seed's."""
    import json
    import os
    import subprocess

    from django.db import connections

    connections.close_all()
    cmd = [sys.executable, __file__, "--database", args.database, "--database-url", args.database_url,
           "--pdf-round", str(round_id), "--pdf-count", str(n)]  # fmt: skip
    flag = "1" if in_child else "0"
    env = {**os.environ, "PDF_RENDER_IN_SUBPROCESS": flag, "CHARTS_DRAW_IN_SUBPROCESS": flag}
    log(
        f"== Council PDFs, WeasyPrint and the charts {'in child processes' if in_child else 'in the web process'}"
    )
    run.wait_for_quiet(log)
    busy0, _ = run.system_cpu()
    ours0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=900, env=env)  # noqa: S603 (our own script)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(
            f"The PDF process failed (exit code {out.returncode}); its errors are above"
        )
    elapsed = time.monotonic() - t0
    busy1, _ = run.system_cpu()
    ours1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the PDF process and all it waited for
    ours = (ours1.ru_utime + ours1.ru_stime) - (ours0.ru_utime + ours0.ru_stime)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["other_cores"] = max(0.0, (busy1 - busy0) / run.TICK - ours) / elapsed
    log(f"  {json.dumps(figures)}")
    return figures


def pdf_only(args) -> int:
    """Child process: render `--pdf-count` council reports of one round; print JSON figures.

    This process plays the web process. With PDF_RENDER_IN_SUBPROCESS (the default) each
    report's WeasyPrint step runs in a child forked from a fork server; the children's peaks are
    read from their own reports (logged by diagnostic.reports.pdf), the fork server's from /proc.
    """
    import io
    import json
    import logging
    import multiprocessing.forkserver

    run.configure_django(args)
    from django.conf import settings
    from pypdf import PdfReader

    from diagnostic.twofactor.testing import VerifyingClient as Client

    child_peaks_kb: list[int] = []
    child_cpu_ms: list[float] = []
    chart_peaks_kb: list[int] = []
    chart_cpu_ms: list[float] = []

    class Peaks(logging.Handler):
        """Collects `<prefix>_peak_kb` and `<prefix>_cpu_ms` from the records a child's
        logger writes for each document or chart."""

        def __init__(self, prefix: str, peaks: list, cpu: list):
            super().__init__(logging.DEBUG)
            self.prefix, self.peaks, self.cpu = prefix, peaks, cpu

        def emit(self, record):
            if hasattr(record, f"{self.prefix}_peak_kb"):
                self.peaks.append(getattr(record, f"{self.prefix}_peak_kb"))
            if getattr(record, f"{self.prefix}_cpu_ms", None) is not None:
                self.cpu.append(getattr(record, f"{self.prefix}_cpu_ms"))

    for name, handler in (
        ("diagnostic.reports.pdf", Peaks("pdf_child", child_peaks_kb, child_cpu_ms)),
        ("diagnostic.analytics.chart_process", Peaks("chart_child", chart_peaks_kb, chart_cpu_ms)),
    ):
        child_logger = logging.getLogger(name)
        child_logger.addHandler(handler)
        child_logger.setLevel(logging.DEBUG)
        child_logger.propagate = False

    from diagnostic.accounts.models import Membership, Role, User
    from diagnostic.assessments.models import Response

    user, _ = User.objects.get_or_create(
        email="bench-reader@bench.example", defaults={"full_name": "Reader"}
    )
    Membership.objects.get_or_create(user=user, role=Role.NATIONAL_ANALYST)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    ids = list(
        Response.objects.filter(round_id=args.pdf_round, status="submitted")
        .order_by("pk")
        .values_list("pk", flat=True)[: args.pdf_count + 1]
    )
    client.get(f"/responses/{ids[0]}/results.pdf")  # warm: fonts, the chart engine
    child_cpu_ms.clear()
    times, cpu, pdfs, chart_cpu = [], [], [], []
    for pk in ids[1:]:
        t, c, drawn = time.perf_counter(), time.process_time(), len(chart_cpu_ms)
        resp = client.get(f"/responses/{pk}/results.pdf")
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)  # this process only (threads included)
        chart_cpu.append(sum(chart_cpu_ms[drawn:]))  # the chart-drawing child, for this report
        assert resp.status_code == 200, resp.status_code
        pdfs.append(resp.content)
    web_mb = vm_hwm_mb("self")  # before pypdf counts the pages: a web process does not do that
    pages = [len(PdfReader(io.BytesIO(content)).pages) for content in pdfs]
    from diagnostic.analytics import chart_process

    chart_process.stop()
    server = multiprocessing.forkserver._forkserver  # private, but this is a benchmark
    forkserver_mb = 0.0
    if getattr(server, "_forkserver_pid", None):
        forkserver_mb = vm_hwm_mb(server._forkserver_pid)
        server._stop()  # closes its "alive" pipe and waits for it: now RUSAGE_CHILDREN counts it
    children_mb = [kb / 1024 for kb in child_peaks_kb]
    print(json.dumps({
        "n": len(times), "p50": pct(times, 50), "p95": pct(times, 95), "pages": statistics.median(pages),
        "in_child": settings.PDF_RENDER_IN_SUBPROCESS,
        "rss_mb": web_mb, "child_rss_mb": max([*children_mb, forkserver_mb]),
        "child_min_mb": min(children_mb, default=0), "child_max_mb": max(children_mb, default=0),
        "forkserver_mb": forkserver_mb,
        # The chart-drawing child (analytics/chart_process.py): its peak, and its CPU per report.
        "chart_rss_mb": max(chart_peaks_kb, default=0) / 1024,
        "chart_cpu_ms": statistics.median(chart_cpu) if chart_peaks_kb else None,
        # CPU per report, medians: this process, and each rendering child (its own report).
        "web_cpu_ms": statistics.median(cpu), "child_cpu_ms": statistics.median(child_cpu_ms) if child_cpu_ms else None,
        # For comparison only (see the module docstring): inflated by exec.
        "ru_maxrss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "ru_maxrss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))  # fmt: skip
    return 0


def vm_hwm_mb(pid: int | str) -> float:
    """A live process's peak resident memory (VmHWM), in MB; `pid` may be "self"."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def render(args, seeded, rows) -> str:
    import django

    lines = [
        f"## Dashboards and reports: {args.database}, {'the demo data (1x, three rounds)' if args.demo else f'scale {args.scale}'}",
        "",
        f"- **Run**: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, `.venv/bin/python bench/dashboards.py --database {args.database}"
        f"{' --demo' if args.demo else (' --scale ' + str(args.scale) if args.scale != 10 else '')}`",
        f"- **Machine**: nproc {run.os.cpu_count()}, Python {platform.python_version()}, Django {django.get_version()}",
        f"- **Data**: {seeded.organisations} organisations, {seeded.rounds} rounds, {seeded.answers} answers",
        *(
            [
                f"- **Machine speed**: a fixed pure-Python loop took {args.speed[0]:.1f} ms and {args.speed[1]:.1f} ms "
                "(before and after the measurements; lower is faster; bench/run.py:speed_probe)"
            ]
            if getattr(args, "speed", None)
            else []
        ),  # fmt: skip
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
