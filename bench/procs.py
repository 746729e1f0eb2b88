#!/usr/bin/env python
"""Two app servers sharing PostgreSQL and Redis (a benchmark, not a test).

    .venv/bin/python bench/procs.py --database-url postgres://postgres@127.0.0.1:5432/bench_x \\
        --redis-url redis://127.0.0.1:6379/4 [--seconds 20] [--write]

Seeds PostgreSQL with bench/run.py's `seed` (scale 1: 350 open responses, about half answered),
starts two gunicorn servers (A and B, `--workers 2` each, sync) on free ports with the same
DATABASE_URL and REDIS_URL, as two app servers behind a proxy would be, and checks what must
hold when any request may reach either of them (docs/decisions/0028):

1. **Sessions shared**: every client signs in over HTTP on A; each then opens its response on B
   (200, not a redirect to sign in) and autosaves through both.
2. **No lost saves**: `--clients` leads autosave their own responses for `--seconds`, each
   alternating A and B request by request. Every acknowledged save (200) must be one more
   answer version and one `answer.saved` audit event, counted in the database afterwards
   (`run.database_facts`), as bench/run.py counts them.
3. **A submission on one is in the other's dashboards at once**: meanwhile a national admin
   keeps the national dashboard warm on B (both workers), a lead submits a complete response
   through A `--submissions` times, and right after each 302 the admin's next requests to B
   (four, so both workers answer) must show the new number of councils submitted.

The Redis database given by --redis-url is emptied first (use one of your own). The
PostgreSQL database is dropped and created (run.fresh_database) and dropped at the end unless
--keep-db. Prints a Markdown section; --write puts it into docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import random
import re
import signal
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if "bench_run" in sys.modules:
    run = sys.modules["bench_run"]
else:
    spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
    run = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = run
    spec.loader.exec_module(run)

CSRF = "k" * 32  # a CSRF secret the bench sets as the cookie and sends as the form's token
SUBMITTED_RE = re.compile(r"(\d[\d,]*) of (\d[\d,]*) eligible councils have submitted")
DETAILS = {
    "officer_name": "Bench Officer",
    "signed_off_name": "Bench Director",
    "signed_off_role": "Director of Resources",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database-url", default=run.DEFAULT_PG_URL)
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="emptied first")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    p.add_argument("--clients", type=int, default=16, help="leads autosaving through A and B")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--submissions", type=int, default=5)
    p.add_argument("--quiet-wait", type=float, default=30)
    p.add_argument("--keep-db", action="store_true")
    p.add_argument(
        "--write", action="store_true", help="write the section into docs/performance.md"
    )
    args = p.parse_args(argv)
    args.database, args.threads, args.scale = "postgres", 1, 1
    return args


# --- Shared with bench/soak.py -------------------------------------------------------------
def interrupt_on_signals() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so `finally` blocks stop the servers."""

    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)


def set_up_with(args, redis_url: str, *, scale: int = 1) -> run.Seeded:
    """A fresh database seeded at `scale`, Django configured in this process, with Redis when
    `redis_url` is given (its database emptied first) and without it otherwise."""
    import os

    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)
    run.QUIET["wait"] = args.quiet_wait
    run.VAR.mkdir(parents=True, exist_ok=True)
    log("== Fresh PostgreSQL database")
    run.fresh_database(args)
    run.configure_django(args)
    log(f"== Seeding at scale {scale}")
    seeded = run.seed(scale, log)
    log(f"  {seeded.responses} responses, {seeded.answers} answers in {seeded.seconds:.0f}s")
    return seeded


def signed_in(port: int, user, response_id: int = 0) -> run.Session:
    """A browser session for `user` stored in the database as signing in would store it (the
    second step passed for staff), without an Argon2 check per user: `run.Session.sign_in` is
    the HTTP way, used where signing in is what is measured."""
    from diagnostic.twofactor.testing import VerifyingClient

    client = VerifyingClient()
    client.force_login(user)
    s = run.Session(port, user.email, response_id)
    s.cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}
    s.csrf = CSRF
    return s


def twin(s: run.Session, port: int) -> run.Session:
    """The same browser talking to another server: one cookie jar and one set of versions."""
    t = run.Session(port, s.email, s.response_id)
    t.cookies, t.versions, t.csrf = s.cookies, s.versions, s.csrf
    return t


class Servers:
    """Several run.Server as one, for run.run_phase's CPU accounting and log."""

    def __init__(self, servers: list):
        self.servers = servers
        self.args = servers[0].args
        self.log_path = servers[0].log_path
        self.describe = " + ".join(s.describe for s in servers)

    def pids(self) -> list[int]:
        return [p for s in self.servers for p in s.pids()]


def make_complete(response_ids: list[int]) -> None:
    """Give complete responses the details a submission needs (as the lead would have)."""
    from django.utils import timezone

    from diagnostic.assessments.models import Response

    Response.objects.filter(pk__in=response_ids).update(
        signed_off_on=timezone.localdate(), **DETAILS
    )


def complete_responses(seeded: run.Seeded) -> list[int]:
    from diagnostic.assessments.models import Response

    return list(
        Response.objects.filter(
            answered_count=len(seeded.value_codes), status=Response.Status.DRAFT
        ).values_list("pk", flat=True)
    )


def submitted_on_dashboard(html: str) -> int | None:
    m = SUBMITTED_RE.search(html)
    return int(m.group(1).replace(",", "")) if m else None


# --- Main ----------------------------------------------------------------------------------
def main(argv=None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()
    started = time.monotonic()
    seeded = set_up_with(args, args.redis_url)
    servers: list = []
    try:
        from diagnostic.accounts.models import User

        facts = {"software": run.software(args)}
        rng = random.Random(5)
        by_response = {r: e for e, r in seeded.leads}
        complete = complete_responses(seeded)
        rng.shuffle(complete)
        # Five submitted beforehand, so the dashboards show figures (small numbers are hidden).
        to_submit, pre = (
            complete[: args.submissions],
            complete[args.submissions : args.submissions + 5],
        )
        make_complete(to_submit + pre)
        from django.utils import timezone

        from diagnostic.assessments.models import Response

        Response.objects.filter(pk__in=pre).update(
            status=Response.Status.SUBMITTED, submitted_at=timezone.now()
        )
        busy = set(complete)
        leads = [(e, r) for e, r in seeded.leads if r not in busy][: args.clients]
        admin = User.objects.get(email=f"bench-admin@{run.EMAIL_DOMAIN}")
        versions_before, audited_before = run.database_facts()

        for name in ("a", "b"):
            path = run.VAR / f"procs-{name}.log"
            path.unlink(missing_ok=True)
            servers.append(run.Server(args, threads=1, log_path=path))
        a, b = servers
        for s in servers:
            log(f"== gunicorn {s.describe} on port {s.port}")
            s.start()

        log(f"== {len(leads)} leads sign in on A (over HTTP)")
        on_a = [run.Session(a.port, e, r) for e, r in leads]
        run.sign_in_all(on_a, log)
        on_b = [twin(s, b.port) for s in on_a]
        shared_ok = 0
        for s in on_b:
            status, text, _ = s.request("GET", f"/responses/{s.response_id}/")
            shared_ok += status == 200 and "csrfmiddlewaretoken" in text
        log(f"  {shared_ok} of {len(on_b)} sessions signed in on A open their response on B")
        run.load_versions(on_a)  # new dicts: the twins on B must share them
        for s, t in zip(on_a, on_b, strict=True):
            t.versions = s.versions

        admin_b = signed_in(b.port, admin)
        checks: list[dict] = []
        problems: list[str] = []

        def freshness() -> None:
            """Submit through A; the admin's next requests to B must show it."""
            load_started.wait(args.quiet_wait + 120)
            time.sleep(1)
            for pk in to_submit:
                expected = None
                for _ in range(4):  # warm: both of B's workers have the figures cached
                    status, html, _ = admin_b.request("GET", "/dashboards/national/")
                    expected = submitted_on_dashboard(html)
                if expected is None:
                    problems.append(f"dashboard on B: HTTP {status}, no submitted count")
                    return
                lead = User.objects.get(email=by_response[pk])
                s = signed_in(a.port, lead, pk)
                t0 = time.perf_counter()
                status, _, _ = s.request(
                    "POST", f"/responses/{pk}/submit/", {"csrfmiddlewaretoken": CSRF}
                )
                submit_ms = (time.perf_counter() - t0) * 1000
                if status != 302:
                    problems.append(f"submission of {pk} through A: HTTP {status}")
                    continue
                seen = []
                for _ in range(4):
                    status, html, ms = admin_b.request("GET", "/dashboards/national/")
                    seen.append((status, submitted_on_dashboard(html), ms))
                fresh = all(st == 200 and n == expected + 1 for st, n, _ in seen)
                checks.append({"before": expected, "seen": [n for _, n, _ in seen],
                               "fresh": fresh, "submit_ms": submit_ms,
                               "dashboard_ms": max(ms for _, _, ms in seen)})  # fmt: skip
                log(f"  submitted {pk} on A: B shows {[n for _, n, _ in seen]} (was {expected})")
                time.sleep(1)
            run.close_connections()

        load_started = threading.Event()

        def alternate(s: run.Session, i: int, deadline: float, budget, record) -> None:
            load_started.set()
            pair = (s, on_b[i])
            codes = seeded.value_codes
            r = random.Random(100 + i)
            n = (i * 7) % len(codes)
            while time.monotonic() < deadline and budget.take():
                status, ms = pair[n % 2].autosave(codes[n % len(codes)], r, n)
                record((ms, status, n))
                n += 1

        log(
            f"== Autosave through A and B, {args.seconds:.0f}s, with {args.submissions} submissions"
        )
        checker = threading.Thread(target=freshness, daemon=True)
        phase = run.Phase(f"autosave through A and B, {len(on_a)} clients", len(on_a),
                          args.seconds, "autosave")  # fmt: skip
        run.QUIET["wait"] = args.quiet_wait
        checker.start()
        run.run_phase(phase, on_a, alternate, Servers(servers), log)
        checker.join(120)
        acked = sum(phase.ok_saves.values())
        versions_after, audited_after = run.database_facts()
        run.close_connections()
    finally:
        for s in servers:
            s.stop()
        with contextlib.suppress(Exception):
            run.close_connections()
        run.drop_database(args)

    section = render(args, phase, facts, acked, versions_after - versions_before,
                     audited_after - audited_before, shared_ok, len(on_b), checks, problems)  # fmt: skip
    print(section)
    if args.write:
        run.write_doc("two-app-servers", section)
        log(f"== Written to {run.DOC.relative_to(run.ROOT)}")
    log(f"== Done in {time.monotonic() - started:.0f}s")
    ok = (acked == versions_after - versions_before == audited_after - audited_before
          and shared_ok == len(on_b) and not problems and checks
          and all(c["fresh"] for c in checks) and phase.errors == 0)  # fmt: skip
    return 0 if ok else 1


def render(args, p, facts, acked, versions, audited, shared_ok, sessions, checks, problems) -> str:
    import datetime as dt

    fresh = sum(c["fresh"] for c in checks)
    lines = [
        "## Two app servers sharing PostgreSQL and Redis",
        "",
        f"`bench/procs.py`, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Machine: {run.machine()}.",
        f"{facts['software']}. Two gunicorn servers ({p.server}), one PostgreSQL database and",
        "one Redis database; each client alternates the two servers request by request.",
        "",
        "| check | result |",
        "|---|---|",
        f"| sessions signed in on A that open their response on B | {shared_ok} of {sessions} |",
        f"| autosaves acknowledged (200) | {acked} |",
        f"| answer versions added / `answer.saved` events | {versions} / {audited} "
        f"({'none lost' if acked == versions == audited else 'MISMATCH'}) |",
        f"| submissions through A shown at once by B (both workers) | {fresh} of {len(checks)} |",
        f"| autosave through both: requests/s, p50, p95 | {p.rps:.0f}/s, {p.pct(50):.1f} ms, "
        f"{p.pct(95):.1f} ms |",
        f"| statuses | {dict(sorted(p.statuses.items()))} |",
        f"| CPU: servers / PostgreSQL / other processes | {p.per_request_ms(p.server_cpu):.1f} ms "
        f"per request / {p.per_request_ms(p.db_cpu):.1f} ms / {p.other_cpu:.2f} cores |",
    ]
    if checks:
        lines.append(
            f"| a submission through A (POST) / B's dashboard right after, slowest of 4 | "
            f"{max(c['submit_ms'] for c in checks):.0f} ms / "
            f"{max(c['dashboard_ms'] for c in checks):.0f} ms |"
        )
    for problem in problems:
        lines.append(f"| problem | {problem} |")
    return "\n".join(lines) + "\n\n"


if __name__ == "__main__":
    sys.exit(main())
