#!/usr/bin/env python
"""Soak: 600 simulated users for 10 minutes on PostgreSQL (a benchmark, not a test).

    .venv/bin/python bench/soak.py --database-url postgres://postgres@127.0.0.1:5432/bench_x \\
        --redis-url redis://127.0.0.1:6379/4 [--minutes 10] [--write]

Seeds PostgreSQL at scale 2 with bench/run.py's `seed` (780 organisations, about 700 open
responses, two earlier rounds submitted), then starts gunicorn as the README deploys it
(`--workers 4`, sync, no `--max-requests`, so a leak would show) with REDIS_URL set when
--redis-url is given, and simulates `--users` people, each signed in with a session of their
own, each acting, then thinking for a while, for `--minutes`:

- **leads answering** (all but the others): every 20–40 s an autosave of their own response
  (as the questionnaire sends it), every fifth action a key-area page instead;
- **contributors** (`--contributors`, 60): every 20–40 s a save of their own view through
  `/my-views/answers/<code>/`, every fifth action their page instead;
- **national users** (`--national`, 6): every 20–40 s the national dashboard or a region's
  dashboard followed by every chart image on it (as a browser fetches them), and every fifth
  action a council's results report PDF from the last closed round.

A pool of client threads runs whichever users are due (`--threads`), so the client does not
need 600 threads; how late actions start (client lag) is reported, so a saturated client is
seen rather than hidden. Each minute: requests, p50/p95/max, errors (any status other than 200,
or 409 for a save), the resident memory (VmRSS) of every gunicorn worker and of the PDF fork
server, the load average and how much CPU other processes used. Bars: p95 ≤ 300 ms, 0 errors,
each worker's memory flat. The PostgreSQL database is dropped at the end unless --keep-db.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import heapq
import importlib.util
import os
import random
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("bench_procs", HERE / "procs.py")
procs = importlib.util.module_from_spec(spec)
sys.modules["bench_procs"] = procs
spec.loader.exec_module(procs)
run = procs.run
log = procs.log

CHART_RE = re.compile(r'src="([^"]*charts/[0-9a-f]{64}-[0-9a-f]+\.svg)"')
BAR_P95 = 300


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database-url", default=run.DEFAULT_PG_URL)
    p.add_argument("--redis-url", default="", help="emptied first; none: no Redis")
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--users", type=int, default=600)
    p.add_argument("--contributors", type=int, default=60)
    p.add_argument("--national", type=int, default=6)
    p.add_argument("--think", type=float, nargs=2, default=(20, 40), metavar=("MIN", "MAX"),
                   help="seconds between one user's actions (default 20 40)")  # fmt: skip
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    p.add_argument("--scale", type=int, default=2, help="seed scale (2: about 700 responses)")
    p.add_argument("--threads", type=int, default=48, help="client threads running users")
    p.add_argument("--quiet-wait", type=float, default=30)
    p.add_argument("--keep-db", action="store_true")
    p.add_argument(
        "--write", action="store_true", help="write the section into docs/performance.md"
    )
    args = p.parse_args(argv)
    args.database = "postgres"
    return args


# --- Users ---------------------------------------------------------------------------------
@dataclass
class User:
    kind: str  # lead | contributor | national
    session: run.Session
    rng: random.Random
    n: int = 0
    extra: dict = field(default_factory=dict)


@dataclass
class Sample:
    at: float
    kind: str
    ms: float
    status: int


class Recorder:
    def __init__(self):
        self.samples: list[Sample] = []
        self.lag: list[float] = []
        self.lock = threading.Lock()

    def add(self, kind: str, status: int, ms: float) -> None:
        with self.lock:
            self.samples.append(Sample(time.monotonic(), kind, ms, status))


def act(u: User, rec: Recorder, codes: list[str], areas: list[str]) -> None:
    s, r = u.session, u.rng
    u.n += 1
    if u.kind == "lead":
        if u.n % 5 == 0:
            status, text, ms = s.request(
                "GET", f"/responses/{s.response_id}/areas/{r.choice(areas)}/"
            )
            rec.add("lead: key-area page", page_status(status, text), ms)
        else:
            status, ms = s.autosave(codes[(u.extra["start"] + u.n) % len(codes)], r, u.n)
            rec.add("lead: autosave", status, ms)
    elif u.kind == "contributor":
        base = f"/responses/{s.response_id}/my-views/"
        if u.n % 5 == 0 or u.n == 1:
            status, text, ms = s.request("GET", base)
            rec.add("contributor: own views page", page_status(status, text), ms)
        else:
            code = codes[(u.extra["start"] + u.n) % len(codes)]
            level = r.randint(1, 5)
            fields = {"current_level": level, "target_level": min(5, level + 1),
                      "priority": r.choice(["high", "medium", "low"]),
                      "comment": f"Soak view {u.n}.", "version": s.versions.get(code, 0),
                      "request_id": uuid.uuid4().hex}  # fmt: skip
            body = {f"{code}-{k}": v for k, v in fields.items()}
            body["csrfmiddlewaretoken"] = s.csrf
            status, text, ms = s.request("POST", base + f"answers/{code}/", body,
                                         {"HX-Request": "true"})  # fmt: skip
            if status in (200, 409):
                version = run.parse_version(text, code)
                if version is None:
                    status = -2
                else:
                    s.versions[code] = version
            rec.add("contributor: save view", status, ms)
    else:
        if u.n % 5 == 0 and u.extra["reports"]:
            pk = r.choice(u.extra["reports"])
            status, text, ms = s.request("GET", f"/responses/{pk}/results.pdf")
            ok = status == 200 and text.startswith("%PDF")
            rec.add("national: results report PDF", 200 if ok else status or -1, ms)
            return
        path = r.choice(u.extra["dashboards"])
        status, text, ms = s.request("GET", path)
        rec.add("national: dashboard", page_status(status, text), ms)
        for chart in sorted(set(CHART_RE.findall(text))):
            status, svg, ms = s.request("GET", chart)
            rec.add("national: chart image", 200 if status == 200 and "<svg" in svg else status, ms)


def page_status(status: int, text: str) -> int:
    return -1 if status == 200 and "</html>" not in text else status


# --- Memory and load -----------------------------------------------------------------------
def rss_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def processes(server) -> dict[str, int]:
    """gunicorn's workers, and the PDF fork servers, resource trackers and chart-drawing
    processes they started.

    Workers and fork servers by a stable label; a worker's chart-drawing process (spawned,
    analytics/chart_process.py) as "charts of worker N", whichever process that is now (it stops
    when idle or grown, and the next chart starts another)."""
    table = run.proc_table()
    workers = sorted(p for p, ppid, _ in table if ppid == server.proc.pid)
    out = {f"worker {i + 1}": pid for i, pid in enumerate(workers)}
    for pid, ppid, _ in sorted(table):
        if ppid not in workers:
            continue
        command = cmdline(pid)
        # Each worker has at most one of each: its chart-drawing process, multiprocessing's
        # resource tracker (small) and the PDF fork server.
        if "spawn_main" in command:
            kind = "charts"
        elif "resource_tracker" in command:
            kind = "resource tracker"
        else:
            kind = "PDF fork server"
        out[f"{kind} of worker {workers.index(ppid) + 1}"] = pid
    return out


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    return ""


@dataclass
class Minute:
    index: int
    rss: dict[str, float]
    load: str
    other_cores: float
    app_cpu: float = 0.0  # CPU seconds used by gunicorn and its children in the minute


def monitor(server, minutes: float, started: float, out: list[Minute], stop: threading.Event):
    """At the start and at the end of every minute: memory, load, other processes' CPU."""
    labels = processes(server)
    out.append(Minute(0, {k: rss_mb(p) or 0 for k, p in labels.items()}, load(), 0.0))
    busy0, total0 = run.system_cpu()
    ours0, app0, t0 = cpu_ours(server), cpu_app(server), time.monotonic()
    for i in range(1, int(minutes + 0.999) + 1):
        stopped = stop.wait(max(0.0, started + i * 60 - time.monotonic()))
        busy1, total1 = run.system_cpu()
        ours1, app1, t1 = cpu_ours(server), cpu_app(server), time.monotonic()
        ours = run.cpu_used(ours0, ours1)
        other = max(0.0, (busy1 - busy0) / run.TICK - ours) / max(1.0, t1 - t0)
        now = processes(server)
        labels.update({k: p for k, p in now.items() if k not in labels})
        # A chart-drawing process that stopped is shown as gone ("–"), its successor as itself.
        labels.update({k: now.get(k, 0) for k in labels if k.startswith("charts")})
        out.append(Minute(i, {k: rss_mb(p) or 0 for k, p in labels.items()}, load(), other,
                          run.cpu_used(app0, app1)))  # fmt: skip
        busy0, ours0, app0, t0 = busy1, ours1, app1, t1
        if stopped:
            return


def cpu_ours(server) -> dict[int, float]:
    pids = server.pids() + run.postgres_pids() + [os.getpid()]
    table = run.proc_table()
    pids += [p for p, ppid, _ in table if ppid in pids]  # PDF fork servers and their children
    return run.cpu_by_pid(set(pids))


def cpu_app(server) -> dict[int, float]:
    """gunicorn, its workers and what they started (PDF fork servers and rendering children)."""
    pids = set(server.pids())
    table = run.proc_table()
    for _ in range(3):
        pids |= {p for p, ppid, _ in table if ppid in pids}
    return run.cpu_by_pid(pids)


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- Setting up the people -----------------------------------------------------------------
def people(args, seeded: run.Seeded, port: int) -> list[User]:
    from django.contrib.auth.hashers import make_password

    from diagnostic.accounts.models import Membership, Role
    from diagnostic.accounts.models import User as Person
    from diagnostic.assessments.models import Response, Round
    from diagnostic.consolidation.testing import make_assignment
    from diagnostic.organisations.models import Region

    rng = random.Random(11)
    leads_n = args.users - args.contributors - args.national
    leads = list(seeded.leads)
    rng.shuffle(leads)
    if leads_n > len(leads):
        raise SystemExit(f"{leads_n} leads wanted, {len(leads)} responses seeded")
    users: list[User] = []
    by_email = {
        u.email: u for u in Person.objects.filter(email__in=[e for e, _ in leads[:leads_n]])
    }
    for i, (email, rid) in enumerate(leads[:leads_n]):
        s = procs.signed_in(port, by_email[email], rid)
        users.append(User("lead", s, random.Random(i), extra={"start": i * 7}))
    hashed = make_password(run.PASSWORD)
    others = [r for _, r in leads[leads_n:]] or [r for _, r in leads]
    for i in range(args.contributors):
        rid = others[i % len(others)]
        response = Response.objects.get(pk=rid)
        person = Person.objects.create(email=f"contributor-{i}@{run.EMAIL_DOMAIN}",
                                       full_name=f"Contributor {i}", password=hashed)  # fmt: skip
        Membership.objects.create(user=person, role=Role.CONTRIBUTOR,
                                  organisation_id=response.organisation_id)  # fmt: skip
        make_assignment(response, person)
        s = procs.signed_in(port, person, rid)
        users.append(User("contributor", s, random.Random(1000 + i), extra={"start": i * 11}))
    current = Round.objects.filter(status=Round.Status.OPEN).first()
    closed = Round.objects.filter(status=Round.Status.CLOSED).order_by("-opens_on").first()
    reports = list(
        Response.objects.filter(round=closed, status=Response.Status.SUBMITTED).values_list(
            "pk", flat=True
        )[:200]
    )
    regions = list(Region.objects.values_list("code", flat=True))
    dashboards = ["/dashboards/national/"] + [f"/dashboards/regions/{c}/" for c in regions]
    for i in range(args.national):
        person = Person.objects.create(email=f"national-{i}@{run.EMAIL_DOMAIN}",
                                       full_name=f"National {i}", password=hashed)  # fmt: skip
        role = Role.NATIONAL_ADMIN if i % 2 else Role.NATIONAL_ANALYST
        Membership.objects.create(user=person, role=role)
        s = procs.signed_in(port, person)
        users.append(User("national", s, random.Random(2000 + i),
                          extra={"reports": reports, "dashboards": dashboards}))  # fmt: skip
    run.load_versions([u.session for u in users if u.kind == "lead"])
    log(f"  {leads_n} leads, {args.contributors} contributors, {args.national} national users "
        f"(round {current.name}; reports from {closed.name if closed else 'no closed round'})")  # fmt: skip
    return users


# --- Running -------------------------------------------------------------------------------
def soak(args, users: list[User], seeded: run.Seeded, rec: Recorder) -> float:
    """Run every user until the end; returns the start time (monotonic)."""
    started = time.monotonic()
    end = started + args.minutes * 60
    lo, hi = args.think
    rng = random.Random(3)
    due = [(started + rng.uniform(0, hi), i) for i in range(len(users))]
    heapq.heapify(due)
    cv = threading.Condition()
    budget = run.Budget(run.MAX_REQUESTS_PER_PHASE * 10)

    def driver() -> None:
        while True:
            with cv:
                while True:
                    if not due or due[0][0] >= end:
                        return
                    wait = due[0][0] - time.monotonic()
                    if wait <= 0:
                        at, i = heapq.heappop(due)
                        break
                    cv.wait(min(wait, 1.0))
            rec.lag.append((time.monotonic() - at) * 1000)
            if not budget.take():
                return
            u = users[i]
            try:
                act(u, rec, seeded.value_codes, seeded.key_areas)
            except Exception as exc:  # counted, and the user goes on
                rec.add(f"{u.kind}: exception {type(exc).__name__}", -3, 0.0)
            with cv:
                heapq.heappush(due, (time.monotonic() + u.rng.uniform(lo, hi), i))
                cv.notify()

    threads = [threading.Thread(target=driver, daemon=True) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.minutes * 60 + 180)
    return started


def main(argv=None) -> int:
    args = parse_args(argv)
    procs.interrupt_on_signals()
    seeded = procs.set_up_with(args, args.redis_url, scale=args.scale)
    server = None
    minutes: list[Minute] = []
    rec = Recorder()
    try:
        facts = {"software": run.software(args)}
        path = run.VAR / "soak.log"
        path.unlink(missing_ok=True)
        server = run.Server(args, threads=1, log_path=path)
        log(f"== gunicorn {server.describe} on port {server.port}")
        server.start()
        log(f"== {args.users} users")
        users = people(args, seeded, server.port)
        run.close_connections()
        run.wait_for_quiet(log)
        log(f"== Soak for {args.minutes:g} minutes (load {load()})")
        stop = threading.Event()
        started_box: list[float] = [time.monotonic()]
        mon = threading.Thread(target=monitor, args=(server, args.minutes, started_box[0],
                                                     minutes, stop), daemon=True)  # fmt: skip
        mon.start()
        started = soak(args, users, seeded, rec)
        stop.set()
        mon.join(10)
        started = started_box[0]
    finally:
        if server is not None:
            server.stop()
        with contextlib.suppress(Exception):
            run.close_connections()
        run.drop_database(args)
    section = render(args, facts, rec, minutes, started)
    print(section)
    if args.write:
        run.write_doc("soak", section)
        log(f"== Written to {run.DOC.relative_to(run.ROOT)}")
    errors = sum(1 for x in rec.samples if not ok(x))
    return 0 if errors == 0 else 1


def ok(x: Sample) -> bool:
    return x.status == 200 or (x.status == 409 and "save" in x.kind)


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, -(-len(xs) * q // 100) - 1))]


def render(args, facts, rec: Recorder, minutes: list[Minute], started: float) -> str:
    samples = rec.samples
    all_ms = [x.ms for x in samples]
    errors = [x for x in samples if not ok(x)]
    p95 = pct(all_ms, 95)
    counted = [m for m in minutes if m.index > 0]
    app_ms = 1000 * sum(m.app_cpu for m in counted) / max(1, len(samples))
    other_mean = sum(m.other_cores for m in counted) / max(1, len(counted))
    lines = [
        f"## Soak: {args.users} users for {args.minutes:g} minutes on PostgreSQL",
        "",
        f"`bench/soak.py --minutes {args.minutes:g}`, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. "
        f"Machine: {run.machine()}. {facts['software']}; gunicorn `--workers {args.workers}` (sync, "
        f"no `--max-requests`), {'Redis' if args.redis_url else 'no Redis'}. Users think "
        f"{args.think[0]:g}–{args.think[1]:g} s between actions; {args.threads} client threads.",
        "",
        f"**Overall**: {len(samples)} requests, p50 {pct(all_ms, 50):.0f} ms, p95 {p95:.0f} ms "
        f"(bar {BAR_P95}: {'met' if p95 <= BAR_P95 else 'NOT met'}), {len(errors)} errors "
        f"(bar 0); client lag p95 {pct(rec.lag, 95):.0f} ms (how late actions started).",
        "",
        f"**Load-robust**: the service (gunicorn, its workers and PDF processes) used {app_ms:.1f} ms "
        f"of CPU per request over the run; at that cost the machine's 2 cores serve about "
        f"{2000 / app_ms if app_ms else float('nan'):.0f} requests/s if nothing else runs (PostgreSQL "
        f"not counted: the server is shared with other work), against the "
        f"{args.users / (sum(args.think) / 2):.0f}/s these users offer. Other processes used "
        f"{other_mean:.2f} of the 2 cores on average.",
        "",
        "| request | count | p50 ms | p95 ms | max ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for kind in sorted({x.kind for x in samples}):
        xs = [x for x in samples if x.kind == kind]
        ms = [x.ms for x in xs]
        bad = sum(1 for x in xs if not ok(x))
        lines.append(f"| {kind} | {len(xs)} | {pct(ms, 50):.0f} | {pct(ms, 95):.0f} | "
                     f"{max(ms):.0f} | {bad} |")  # fmt: skip
    labels = sorted({k for m in minutes for k in m.rss}, key=lambda k: (not k.startswith("w"), k))
    lines += [
        "",
        "Per minute (memory is VmRSS in MB at the end of the minute; minute 0 is the start):",
        "",
        "| minute | requests | p50 ms | p95 ms | errors | service CPU ms/request | "
        + " | ".join(labels)
        + " | load average | other processes (cores) |",
        "|---|---|---|---|---|---|" + "---|" * len(labels) + "---|---|",
    ]
    for m in minutes:
        xs = [x for x in samples if started + (m.index - 1) * 60 <= x.at < started + m.index * 60]
        ms = [x.ms for x in xs]
        bad = sum(1 for x in xs if not ok(x))
        rss = " | ".join(f"{m.rss[k]:.0f}" if m.rss.get(k) else "–" for k in labels)
        if m.index == 0:
            lines.append(f"| 0 | – | – | – | – | – | {rss} | {m.load} | – |")
        else:
            cpu = 1000 * m.app_cpu / len(xs) if xs else float("nan")
            lines.append(f"| {m.index} | {len(xs)} | {pct(ms, 50):.0f} | {pct(ms, 95):.0f} | "
                         f"{bad} | {cpu:.1f} | {rss} | {m.load} | {m.other_cores:.2f} |")  # fmt: skip
    if errors:
        first = errors[0]
        lines += ["", f"First error: {first.kind}, status {first.status}."]
    return "\n".join(lines) + "\n\n"


if __name__ == "__main__":
    sys.exit(main())
