#!/usr/bin/env python
"""Benchmark: autosave and questionnaire pages served by gunicorn, against the QUALITY bars.

    .venv/bin/python bench/run.py                          # SQLite, scale 1, print the table
    .venv/bin/python bench/run.py --database postgres      # PostgreSQL (nps_bench on 127.0.0.1)
    .venv/bin/python bench/run.py --write                  # also update docs/performance.md

It builds its own database (var/bench/bench.sqlite3, or the PostgreSQL database named in
--database-url, dropped and created afresh), seeds it through the project's own loaders,
services and models, starts gunicorn on a free loopback port, signs in client sessions over
HTTP and measures with bounded loops (every phase has a duration and a request cap). gunicorn
is stopped at the end, also on error or Ctrl-C. See bench/README.md.

Only the standard library is used on the client side (http.client, threads).
"""

# The subprocesses are gunicorn and the PostgreSQL client tools, with arguments built here.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import http.cookies
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
DOC = ROOT / "docs" / "performance.md"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/nps_bench"
SECRET_KEY = "bench-only-secret-key-" + "x" * 40
PASSWORD = "bench-lead-passphrase"
EMAIL_DOMAIN = "bench.nps-diagnostic.example"
HOST = "127.0.0.1"
MAX_REQUESTS_PER_PHASE = 100_000  # a hard cap on top of each phase's duration
VERSION_INPUT_RE = re.compile(r'<input\b[^>]*\bid="version-([^"]+)"[^>]*>')
VALUE_RE = re.compile(r'\bvalue="(\d+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# The bars from the shared design QUALITY.md (Performance).
BAR_AUTOSAVE_RPS = 300
BAR_AUTOSAVE_P95 = 100
BAR_PAGE_P95 = 200
BAR_PAGE_SINGLE_P50 = 25


# --- Command line --------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url", default=DEFAULT_PG_URL, help="for --database postgres")
    p.add_argument("--scale", type=int, default=1, help="1: the real register, one open round")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    p.add_argument("--threads", type=int, default=1, help="threads per worker (1 = sync)")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients for (a) and (b)")
    p.add_argument("--writers", type=int, default=64, help="concurrent writers for (c)")
    p.add_argument(
        "--writer-threads",
        type=int,
        default=16,
        help="threads per worker in the second run of (c), so every writer is served at once "
        "(0 to skip it)",
    )
    p.add_argument("--autosave-seconds", type=float, default=20)
    p.add_argument("--page-seconds", type=float, default=15)
    p.add_argument("--writer-seconds", type=float, default=10)
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="seconds to wait before each phase for other processes to go quiet (default 60)",
    )
    p.add_argument("--quick", action="store_true", help="2-second phases, for trying it out")
    p.add_argument("--write", action="store_true", help="write the results into " + str(DOC))
    p.add_argument("--profile", action="store_true", help="cProfile one page and one autosave")
    p.add_argument("--seed-only", action="store_true", help="build the database, then stop")
    p.add_argument("--keep-db", action="store_true", help="do not drop the PostgreSQL database")
    args = p.parse_args(argv)
    if args.quick:
        args.autosave_seconds = args.page_seconds = args.writer_seconds = 2
    return args


# --- Database and seed data (in this process, through the project's own code) ---------------
def configure_django(args) -> None:
    """Settings are read from the environment at import, so set it before django.setup()."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "diagnostic.settings"
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ["MANIFEST_STATIC"] = "0"
    os.environ["AXES_ENABLED"] = "0"
    os.environ["STATIC_ROOT"] = str(VAR / "static")  # empty; only so WhiteNoise does not warn
    (VAR / "static").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if args.database == "postgres":
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(VAR / "bench.sqlite3")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def pg_command(args, tool: str, *extra: str) -> list[str]:
    u = urllib.parse.urlparse(args.database_url)
    cmd = [tool, "-h", u.hostname or HOST, "-p", str(u.port or 5432)]
    if u.username:
        cmd += ["-U", u.username]
    return cmd + list(extra) + [u.path.lstrip("/")]


_LOCK: list = []  # the open lock file, held until this process exits


def one_benchmark_at_a_time(log=print) -> None:
    """Benchmarks share var/bench/bench.sqlite3 and the nps_bench database, and would skew each
    other's timings anyway: take an exclusive lock on var/bench/lock, waiting for any other."""
    import fcntl

    if _LOCK:
        return
    VAR.mkdir(parents=True, exist_ok=True)
    f = (VAR / "lock").open("a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        log(f"== Waiting for another benchmark to finish ({f.read().strip() or 'unknown'})")
        fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0)
    f.truncate()
    f.write(f"pid {os.getpid()}: {' '.join(sys.argv)}")
    f.flush()
    _LOCK.append(f)


def fresh_database(args) -> None:
    one_benchmark_at_a_time(lambda m: print(m, file=sys.stderr, flush=True))
    VAR.mkdir(parents=True, exist_ok=True)
    if args.database == "postgres":
        subprocess.run(pg_command(args, "dropdb", "--if-exists", "--force"), check=True)
        subprocess.run(pg_command(args, "createdb"), check=True)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{VAR / 'bench.sqlite3'}{suffix}").unlink(missing_ok=True)


def drop_database(args) -> None:
    if args.database == "postgres" and not args.keep_db:
        subprocess.run(pg_command(args, "dropdb", "--if-exists", "--force"), check=False)


@dataclass
class Seeded:
    organisations: int
    responses: int
    value_codes: list[str]
    key_areas: list[str]
    leads: list[tuple[str, int]]  # (email, response id), one per organisation
    answers: int
    rounds: int
    seconds: float


def seed(scale: int, log) -> Seeded:
    """Scale 1: the real register, the NPS 2018 framework, one open round with every eligible
    organisation, one lead per organisation, and about half the answers already given (as
    mid-way through a round). Scale k > 1 adds k - 1 synthetic copies of every organisation and
    two earlier, closed and fully answered rounds (scale 10: about 3,600 organisations, 3,500
    responses per round and 520,000 answers; scale 2 seeds in about 15 s on SQLite)."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from diagnostic.accounts.models import Membership, Role, User
    from diagnostic.assessments import services
    from diagnostic.assessments.models import Answer, Response, Round
    from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
    from diagnostic.organisations.loaders import load_register
    from diagnostic.organisations.models import Organisation

    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"  migrated ({time.monotonic() - started:.1f}s)")
    rng = random.Random(1)
    nations = ["England", "Wales", "Northern Ireland"]
    today = timezone.localdate()
    with transaction.atomic():
        version = load_framework_file(NPS_2018).version
        load_register()
        codes = list(version.valuecodes.order_by("position"))
        if scale > 1:
            real = list(Organisation.objects.alive_on(today).filter(nation__in=nations))
            copies = [
                Organisation(
                    gss_code=f"Z{copy:02d}{i:06d}",
                    name=f"{o.name} ({copy})",
                    short_name=f"{o.short_name} ({copy})",
                    type=o.type,
                    region_id=o.region_id,
                    nation=o.nation,
                )
                for copy in range(2, scale + 1)
                for i, o in enumerate(real)
            ]
            Organisation.objects.bulk_create(copies, batch_size=1000)
        admin = User.objects.create_user(
            f"bench-admin@{EMAIL_DOMAIN}", PASSWORD, full_name="Bench Admin"
        )
        Membership.objects.create(user=admin, role=Role.NATIONAL_ADMIN)
        previous = None
        rounds = []
        if scale > 1:
            for years_ago in (8, 4):
                opens = today.replace(year=today.year - years_ago)
                previous = services.do_create_round(
                    by=admin, name=f"Bench {opens.year}", framework_version=version,
                    opens_on=opens, closes_on=opens + dt.timedelta(days=90), nations=nations,
                    previous_round=previous,
                )  # fmt: skip
                services.do_set_round_status(by=admin, round=previous, status=Round.Status.CLOSED)
                rounds.append(previous)
        current = services.do_create_round(
            by=admin, name=f"Bench {today.year}", framework_version=version,
            opens_on=today - dt.timedelta(days=14), closes_on=today + dt.timedelta(days=30),
            nations=nations, previous_round=previous,
        )  # fmt: skip
        services.do_set_round_status(by=admin, round=current, status=Round.Status.OPEN)
        rounds.append(current)

        # One lead per organisation. One Argon2 hash, reused: hashing each would take minutes.
        responses = list(
            Response.objects.filter(round=current).select_related("organisation").order_by("pk")
        )
        hashed = make_password(PASSWORD)
        users = User.objects.bulk_create(
            [
                User(
                    email=f"lead-{r.organisation.gss_code.lower()}@{EMAIL_DOMAIN}",
                    full_name=f"Lead of {r.organisation.short_name}"[:150],
                    password=hashed,
                )
                for r in responses
            ],
            batch_size=1000,
        )
        Membership.objects.bulk_create(
            [
                Membership(user=u, role=Role.LEAD, organisation_id=r.organisation_id)
                for u, r in zip(users, responses, strict=True)
            ],
            batch_size=1000,
        )

        # Answers: earlier rounds complete and submitted; the open one part-way.
        now = timezone.now()
        answer_count = 0

        def answers_for(resp, chosen, when):
            out = []
            for vc in chosen:
                level = rng.randint(1, 5)
                out.append(
                    Answer(
                        response_id=resp.pk, value_code_id=vc.pk, current_level=level,
                        target_level=min(5, level + rng.randint(0, 2)),
                        priority=rng.choice(["high", "medium", "low"]),
                        comment="Contract register covers most spend; next: category plans.",
                        version=1, updated_at=when,
                    )
                )  # fmt: skip
            return out

        for rnd in rounds[:-1]:
            when = timezone.make_aware(dt.datetime.combine(rnd.closes_on, dt.time(12)))
            batch = []
            for resp in Response.objects.filter(round=rnd).only("pk"):
                batch += answers_for(resp, codes, when)
                if len(batch) >= 20_000:
                    Answer.objects.bulk_create(batch, batch_size=2000)
                    answer_count += len(batch)
                    batch = []
            Answer.objects.bulk_create(batch, batch_size=2000)
            answer_count += len(batch)
            Response.objects.filter(round=rnd).update(
                status=Response.Status.SUBMITTED, answered_count=len(codes), started_at=when,
                submitted_at=when, last_activity_at=when,
            )  # fmt: skip
        batch = []
        for resp in responses:
            share = rng.random()
            n = 0 if share < 0.3 else len(codes) if share > 0.75 else rng.randint(4, 58)
            chosen = sorted(rng.sample(codes, n), key=lambda v: v.position)
            batch += answers_for(resp, chosen, now)
            resp.answered_count = n
            resp.started_at = resp.last_activity_at = now if n else None
        Answer.objects.bulk_create(batch, batch_size=2000)
        answer_count += len(batch)
        Response.objects.bulk_update(
            responses, ["answered_count", "started_at", "last_activity_at"], batch_size=1000
        )
    # The answers went in without the submission service: build the figures' summaries.
    from diagnostic.analytics import summaries

    for rnd in rounds:
        summaries.rebuild(rnd.pk)
    log(f"  summaries built ({time.monotonic() - started:.1f}s)")
    return Seeded(
        organisations=Organisation.objects.count(),
        responses=len(responses),
        value_codes=[vc.code for vc in codes],
        key_areas=list(version.keyareas.order_by("position").values_list("code", flat=True)),
        leads=[(u.email, r.pk) for u, r in zip(users, responses, strict=True)],
        answers=answer_count,
        rounds=len(rounds),
        seconds=time.monotonic() - started,
    )


def answer_versions(response_ids) -> dict[tuple[int, str], int]:
    from diagnostic.assessments.models import Answer

    rows = Answer.objects.filter(response_id__in=list(response_ids)).values_list(
        "response_id", "value_code__code", "version"
    )
    return {(r, c): v for r, c, v in rows}


def database_facts() -> tuple[int, int]:
    """(sum of answer versions, number of answer.saved audit events)."""
    from django.db.models import Sum

    from diagnostic.assessments.models import Answer
    from diagnostic.audit.models import AuditEvent

    total = Answer.objects.aggregate(s=Sum("version"))["s"] or 0
    return total, AuditEvent.objects.filter(action="answer.saved").count()


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


# --- The server ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """gunicorn in its own process group, so stopping it stops every worker."""

    def __init__(self, args, *, threads: int, log_path: Path):
        self.args, self.threads, self.log_path = args, threads, log_path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def describe(self) -> str:
        kind = "sync" if self.threads == 1 else "gthread"
        return f"`--workers {self.args.workers} --threads {self.threads}` ({kind})"

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DJANGO_SETTINGS_MODULE", "LOG_LEVEL", "DATABASE_URL")
        }
        env.update(
            DEBUG="0", SECRET_KEY=SECRET_KEY, ALLOWED_HOSTS=HOST, AXES_ENABLED="0",
            MANIFEST_STATIC="0", PYTHONUNBUFFERED="1",
        )  # fmt: skip
        if self.args.database == "postgres":
            env["DATABASE_URL"] = self.args.database_url
        else:
            env["SQLITE_PATH"] = str(VAR / "bench.sqlite3")
        return env

    def start(self) -> None:
        cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"), "diagnostic.wsgi",
            "--bind", f"{HOST}:{self.port}", "--workers", str(self.args.workers),
            "--threads", str(self.threads), "--chdir", str(ROOT), "--timeout", "60",
        ]  # fmt: skip
        logf = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env(), stdout=logf, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        logf.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            try:
                c = http.client.HTTPConnection(HOST, self.port, timeout=5)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    c.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz in 60 s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        return [self.proc.pid] + [p for p, ppid, _ in proc_table() if ppid == self.proc.pid]

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


# --- CPU accounting (Linux /proc) -----------------------------------------------------------
TICK = os.sysconf("SC_CLK_TCK")


def proc_table() -> list[tuple[int, int, str]]:
    """(pid, ppid, command name) of every process we can read."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
                out.append((int(entry), ppid, name))
    return out


def cpu_by_pid(pids) -> dict[int, float]:
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
    return out


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots; processes started in between count in full (ones
    that ended in between are missed)."""
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def postgres_pids() -> list[int]:
    return [pid for pid, _, name in proc_table() if name.startswith("postgres")]


def system_cpu() -> tuple[int, int]:
    """(busy, total) jiffies across all CPUs."""
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


# --- The HTTP client -----------------------------------------------------------------------
def parse_version(html: str, code: str) -> int | None:
    """The value of `<input … id="version-CODE" …>`, as the page and autosave fragments carry it."""
    for m in VERSION_INPUT_RE.finditer(html):
        if m.group(1) == code:
            value = VALUE_RE.search(m.group(0))
            return int(value.group(1)) if value else None
    return None


class Session:
    """One signed-in browser: cookies, CSRF token, and the versions its page showed."""

    def __init__(self, port: int, email: str, response_id: int):
        self.port, self.email, self.response_id = port, email, response_id
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.versions: dict[str, int] = {}
        self.origin = f"http://{HOST}:{port}"

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        """(status, body text, milliseconds). Status 0 means the connection failed."""
        h = {"Host": f"{HOST}:{self.port}", "User-Agent": "nps-bench"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
            h["Origin"] = self.origin
        h.update(headers or {})
        t0 = time.perf_counter()
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, path, body=data, headers=h)
                resp = self.conn.getresponse()
                text = resp.read().decode("utf-8", "replace")
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                # A kept-alive connection the server has since closed (gthread closes idle ones
                # after 2 s): retry once on a new one, as a browser does.
                if not reused or attempt == 2:
                    return 0, "", (time.perf_counter() - t0) * 1000
        ms = (time.perf_counter() - t0) * 1000
        for header in resp.msg.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for k, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(k, None)
                else:
                    self.cookies[k] = morsel.value
        if resp.will_close:
            self.conn.close()
        return resp.status, text, ms

    def sign_in(self) -> None:
        status, text, _ = self.request("GET", "/sign-in/")
        m = CSRF_RE.search(text)
        if status != 200 or not m:
            raise RuntimeError(f"sign-in page: HTTP {status}")
        form = {"csrfmiddlewaretoken": m.group(1), "username": self.email, "password": PASSWORD}
        status, _, _ = self.request("POST", "/sign-in/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"sign-in for {self.email}: HTTP {status}")
        # Signing in rotates the CSRF token: take the new one from the first key-area page.
        self.refresh_csrf()

    def refresh_csrf(self) -> None:
        status, text, _ = self.request("GET", f"/responses/{self.response_id}/")
        m = CSRF_RE.search(text)
        if status != 200 or not m:
            raise RuntimeError(f"response home for {self.email}: HTTP {status}")
        self.csrf = m.group(1)

    def autosave(self, code: str, rng: random.Random, n: int):
        level = rng.randint(1, 5)
        fields = {
            "current_level": level,
            "target_level": min(5, level + rng.randint(0, 2)),
            "target_date": "",
            "priority": rng.choice(["high", "medium", "low"]),
            "comment": f"Bench autosave {n}: contract register covers most spend.",
            "version": self.versions.get(code, 0),
            "request_id": uuid.uuid4().hex,
        }
        body = {f"{code}-{k}": v for k, v in fields.items()}
        body["csrfmiddlewaretoken"] = self.csrf
        status, text, ms = self.request(
            "POST",
            f"/responses/{self.response_id}/answers/{code}/",
            body,
            {"HX-Request": "true", "HX-Current-URL": self.origin + "/"},
        )
        if status in (200, 409):
            version = parse_version(text, code)
            if version is None:
                return -2, ms  # answered, but without the new version: count it as an error
            self.versions[code] = version
        return status, ms


# --- Phases --------------------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    clients: int
    seconds: float
    kind: str  # autosave | page
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    ok_saves: dict[int, int] = field(default_factory=dict)  # response id -> 200s
    elapsed: float = 0.0
    cpu_busy: float = 0.0
    server_cpu: float = 0.0
    db_cpu: float = 0.0
    client_cpu: float = 0.0
    other_cpu: float = 0.0  # cores used by processes that are not part of the benchmark
    locked_in_log: int = 0
    server: str = ""

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    @property
    def conflicts(self) -> int:
        return self.statuses.get(409, 0)

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s not in (200, 409))

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)  # nearest rank
        return xs[min(len(xs) - 1, max(0, math.ceil(q / 100 * len(xs)) - 1))]

    def per_request_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.count if self.count else float("nan")


class Budget:
    def __init__(self, n: int):
        self.n, self.lock = n, threading.Lock()

    def take(self) -> bool:
        with self.lock:
            self.n -= 1
            return self.n >= 0


QUIET = {"wait": 60.0}  # seconds to wait, before each phase, for other work to finish


def wait_for_quiet(log) -> None:
    """Other processes (a test run, a build) on a 2-core machine skew every figure: wait a
    little for them, and report what they used during each phase either way."""
    give_up = time.monotonic() + QUIET["wait"]
    while True:
        table = proc_table()
        names = {pid: name for pid, _, name in table}
        before = cpu_by_pid(names)
        busy0, total0 = system_cpu()
        time.sleep(1)
        busy1, total1 = system_cpu()
        used = cpu_by_pid(names)
        share = (busy1 - busy0) / max(1, total1 - total0)
        if share < 0.15:
            return
        top = sorted(((v - before.get(p, 0.0), p) for p, v in used.items()), reverse=True)[:2]
        who = ", ".join(f"{names[p]} (pid {p}) {v:.0%} of a core" for v, p in top if v > 0.05)
        if time.monotonic() >= give_up:
            log(
                f"  warning: the machine is {share:.0%} busy with other work ({who}); measuring anyway"
            )
            return
        log(f"  waiting: the machine is {share:.0%} busy with other work ({who})")
        time.sleep(2)


def run_phase(phase: Phase, sessions, work, server: Server, log) -> Phase:
    """Run `work(session, index, deadline, budget, record)` in one thread per session."""
    wait_for_quiet(log)
    records: list[list[tuple[float, int, int]]] = [[] for _ in sessions]
    budget = Budget(MAX_REQUESTS_PER_PHASE)
    barrier = threading.Barrier(len(sessions) + 1)
    log_size = server.log_path.stat().st_size if server.log_path.exists() else 0

    def runner(i: int, s: Session) -> None:
        barrier.wait()
        work(s, i, deadline, budget, records[i].append)

    threads = [
        threading.Thread(target=runner, args=(i, s), daemon=True) for i, s in enumerate(sessions)
    ]
    for t in threads:
        t.start()

    def db_pids():
        return postgres_pids() if server.args.database == "postgres" else []

    busy0, total0 = system_cpu()
    srv0, db0, cli0 = cpu_by_pid(server.pids()), cpu_by_pid(db_pids()), time.process_time()
    t0 = time.monotonic()
    deadline = t0 + phase.seconds
    barrier.wait()
    for t in threads:
        t.join(phase.seconds + 120)
    phase.elapsed = time.monotonic() - t0
    busy1, total1 = system_cpu()
    phase.cpu_busy = (busy1 - busy0) / max(1, total1 - total0)
    phase.server_cpu = cpu_used(srv0, cpu_by_pid(server.pids()))
    phase.db_cpu = cpu_used(db0, cpu_by_pid(db_pids()))
    phase.client_cpu = time.process_time() - cli0
    ours = phase.server_cpu + phase.db_cpu + phase.client_cpu
    phase.other_cpu = max(0.0, (busy1 - busy0) / TICK - ours) / phase.elapsed  # in cores
    phase.server = server.describe
    for recs, s in zip(records, sessions, strict=True):
        for ms, status, _ in recs:
            phase.latencies.append(ms)
            phase.statuses[status] = phase.statuses.get(status, 0) + 1
            if status == 200 and phase.kind == "autosave":
                phase.ok_saves[s.response_id] = phase.ok_saves.get(s.response_id, 0) + 1
    with server.log_path.open("rb") as f:
        f.seek(log_size)
        phase.locked_in_log = (
            f.read().decode("utf-8", "replace").lower().count("database is locked")
        )
    log(
        f"  {phase.name}: {phase.count} requests in {phase.elapsed:.1f}s = {phase.rps:.0f}/s, "
        f"p50 {phase.pct(50):.1f} ms, p95 {phase.pct(95):.1f} ms, statuses {phase.statuses}"
    )
    return phase


def autosave_work(codes: list[str]):
    def work(s: Session, i: int, deadline: float, budget: Budget, record) -> None:
        rng = random.Random(1000 + i)
        n = (i * 7) % len(codes)  # each client starts somewhere else in the questionnaire
        while time.monotonic() < deadline and budget.take():
            code = codes[n % len(codes)]
            status, ms = s.autosave(code, rng, n)
            record((ms, status, n))
            n += 1

    return work


def page_work(paths_for):
    def work(s: Session, i: int, deadline: float, budget: Budget, record) -> None:
        paths = paths_for(s)
        n = i
        while time.monotonic() < deadline and budget.take():
            status, text, ms = s.request("GET", paths[n % len(paths)])
            if status == 200 and "</html>" not in text and not text.startswith("{"):
                status = -1  # truncated or not the page
            record((ms, status, n))
            n += 1

    return work


def sign_in_all(sessions: list[Session], log) -> None:
    t0 = time.monotonic()
    errors: list[Exception] = []

    def go(chunk):
        for s in chunk:
            try:
                s.sign_in()
            except Exception as exc:  # reported below
                errors.append(exc)

    chunks = [sessions[i::8] for i in range(8)]
    threads = [threading.Thread(target=go, args=(c,), daemon=True) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    if errors:
        raise RuntimeError(f"{len(errors)} sign-in(s) failed, first: {errors[0]}")
    log(f"  signed in {len(sessions)} sessions in {time.monotonic() - t0:.1f}s")


def load_versions(sessions: list[Session]) -> None:
    """What each client's page would show now (read from the database, not over HTTP)."""
    known = answer_versions({s.response_id for s in sessions})
    for s in sessions:
        s.versions = {c: v for (r, c), v in known.items() if r == s.response_id}
    close_connections()


# --- Profiling one request in-process ------------------------------------------------------
def profile_requests(seeded: Seeded, out: Path, log) -> str:
    import cProfile
    import io
    import pstats

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from diagnostic.accounts.models import User

    email, response_id = seeded.leads[-1]
    client = Client()
    client.force_login(User.objects.get(email=email))
    area = seeded.key_areas[0]
    page = f"/responses/{response_id}/areas/{area}/"
    client.get(page)
    report = io.StringIO()
    for label, call in [
        (f"GET {page}", lambda: client.get(page)),
        ("autosave", None),
    ]:
        if call is None:
            versions = {"v": answer_versions([response_id]).get((response_id, "EC1"), 0)}

            def call(versions=versions):
                r = client.post(
                    f"/responses/{response_id}/answers/EC1/",
                    {
                        "EC1-current_level": "3", "EC1-target_level": "4", "EC1-priority": "high",
                        "EC1-comment": "profiled", "EC1-version": str(versions["v"]),
                        "EC1-request_id": uuid.uuid4().hex,
                    },
                    headers={"HX-Request": "true"},
                )  # fmt: skip
                v = parse_version(r.content.decode(), "EC1")
                if v is not None:
                    versions["v"] = v
                return r

        reset_queries()  # each request clears the log; start from an empty one
        with CaptureQueriesContext(connection) as q:
            status = call().status_code
        queries = len(q.captured_queries)  # read now: the next request clears the log
        t0 = time.perf_counter()
        for _ in range(50):
            call()
        plain = (time.perf_counter() - t0) * 1000 / 50
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        for _ in range(50):
            call()
        prof.disable()
        each = (time.perf_counter() - t0) * 1000 / 50
        report.write(
            f"\n## {label}: HTTP {status}, {queries} queries, in-process {plain:.1f} ms each "
            f"({each:.1f} ms under cProfile; 50 calls each)\n\n"
        )
        prof.dump_stats(str(out.with_suffix(f".{'page' if 'GET' in label else 'autosave'}.prof")))
        stats = pstats.Stats(prof, stream=report)
        stats.sort_stats("cumulative").print_stats(
            r"diagnostic/|django/(template|forms|db/models/query)", 40
        )
        stats.sort_stats("tottime").print_stats(20)
    out.write_text(report.getvalue())
    for line in report.getvalue().splitlines():
        if line.startswith("## "):
            log("  " + line[3:])
    log(f"  profile written to {out.relative_to(ROOT)}")
    return report.getvalue()


# --- Report --------------------------------------------------------------------------------
def speed_probe() -> float:
    """Milliseconds for a fixed pure-Python workload, the best of five: how fast this machine
    is at that moment. A shared host's speed drifts (the same code's anonymous `/healthz`
    measured 1,049 and 2,027 req/s 20 minutes apart), so runs compare only at similar figures."""

    def work() -> int:
        counts: dict[int, int] = {}
        for i in range(200_000):
            counts[i % 1000] = counts.get(i % 1000, 0) + i
        return len(counts)

    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    return f"nproc {len(os.sched_getaffinity(0))}, {model}{mem}, Linux {platform.release()}"


def software(args) -> str:
    import django
    import gunicorn

    if args.database == "postgres":
        from django.db import connection

        with connection.cursor() as c:
            c.execute("SHOW server_version")
            db = f"PostgreSQL {c.fetchone()[0].split()[0]}"
        close_connections()
    else:
        import sqlite3

        db = f"SQLite {sqlite3.sqlite_version} (WAL)"
    code = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run(
            git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True
        )
        dirty = subprocess.run(git + ["status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True)  # fmt: skip
        code = f"commit {head.stdout.strip()}" + (
            " + uncommitted changes" if dirty.stdout.strip() else ""
        )
    return (
        f"NPS Diagnostic {code}; Python {platform.python_version()}, Django "
        f"{django.get_version()}, gunicorn {gunicorn.__version__}, {db}"
    )


def fmt(x: float) -> str:
    return "–" if x != x else (f"{x:.0f}" if x >= 100 else f"{x:.1f}")


def verdict(ok: bool, why: str = "") -> str:
    return "pass" if ok else f"**FAIL**{' (' + why + ')' if why else ''}"


def judge(p: Phase, which: str) -> tuple[str, str]:
    """(bar, verdict) for a phase."""
    if which == "healthz":
        return "— (the stack's ceiling)", "—"
    if which == "autosave":
        misses = []
        if p.rps < BAR_AUTOSAVE_RPS:
            misses.append(f"{p.rps:.0f} req/s")
        if p.pct(95) > BAR_AUTOSAVE_P95:
            misses.append(f"p95 {p.pct(95):.0f} ms")
        if p.errors or p.conflicts:
            misses.append(f"{p.errors + p.conflicts} errors")
        return "≥ 300 req/s, p95 ≤ 100 ms, 0 errors", verdict(not misses, ", ".join(misses))
    if which == "page":
        ok = p.pct(95) <= BAR_PAGE_P95 and not p.errors
        return "p95 ≤ 200 ms", verdict(ok, f"p95 {p.pct(95):.0f} ms" if not ok else "")
    if which == "single":
        ok = p.pct(50) <= BAR_PAGE_SINGLE_P50 and not p.errors
        return "p50 ≤ 25 ms", verdict(ok, f"p50 {p.pct(50):.0f} ms" if not ok else "")
    if which == "writers":
        ok = p.locked_in_log == 0 and p.errors == 0
        return '0 "database is locked" (and 0 errors)', verdict(ok)
    return "— (no bar; 409s expected)", "—"


def render(args, seeded: Seeded, results: list[tuple[Phase, str]], facts: dict) -> str:
    db = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = f".venv/bin/python bench/run.py --database {args.database}"
    if args.scale != 1:
        cmd += f" --scale {args.scale}"
    lines = [
        f"## {db}",
        "",
        f"- **Run**: {when}, `{cmd}`{' (quick mode)' if args.quick else ''}",
        f"- **Machine**: {machine()}",
        "- **Machine speed**: a fixed pure-Python loop took "
        + " and ".join(f"{ms:.1f} ms" for ms in facts.get("speed", []))
        + " (before the `/healthz` phase, after the autosave phases; lower is faster; "
        "bench/run.py:speed_probe)",
        f"- **Software**: {facts['software']}",
        f"- **Server**: gunicorn {results[0][0].server}, DEBUG=0, in-process cache, "
        "access log off; the load generator runs on the same machine (loopback)",
        f"- **Data**: scale {args.scale}: {seeded.organisations} organisations, "
        f"{seeded.rounds} round(s), {seeded.responses} responses in the open round, one lead "
        f"per organisation, {len(seeded.value_codes)} value codes in {len(seeded.key_areas)} "
        f"key areas, {seeded.answers} answers seeded (seeded in {seeded.seconds:.0f}s)",
        "",
        "| what | clients | requests | req/s | p50 ms | p95 ms | p99 ms | errors | 409s | bar | result |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p, which in results:
        bar, result = judge(p, which)
        lines.append(
            f"| {p.name} | {p.clients} | {p.count} | {p.rps:.0f} | {fmt(p.pct(50))} | "
            f"{fmt(p.pct(95))} | {fmt(p.pct(99))} | {p.errors} | {p.conflicts} | {bar} | {result} |"
        )
    lines += [
        "",
        "Where the time went (CPU seconds from /proc over each phase, divided by requests):",
        "",
        "| what | server | CPU busy (all cores) | gunicorn CPU ms/request | "
        + ("PostgreSQL CPU ms/request | " if args.database == "postgres" else "")
        + 'load generator CPU ms/request | other processes, cores | "database is locked" in log |',
        "|---|---|---|---|" + ("---|" if args.database == "postgres" else "") + "---|---|---|",
    ]
    for p, _ in results:
        lines.append(
            f"| {p.name} | {p.server} | {p.cpu_busy:.0%} | {fmt(p.per_request_ms(p.server_cpu))} | "
            + (f"{fmt(p.per_request_ms(p.db_cpu))} | " if args.database == "postgres" else "")
            + f"{fmt(p.per_request_ms(p.client_cpu))} | {p.other_cpu:.2f} | {p.locked_in_log} |"
        )
    by_name = {p.name: p for p, _ in results}
    ceiling, save = (
        by_name.get("/healthz (anonymous)"),
        by_name.get("autosave, different responses"),
    )
    if ceiling and save and ceiling.rps:
        lines += [
            "",
            f"Autosave against the stack's ceiling in the same run: {save.rps:.0f} req/s is "
            f"{save.rps / ceiling.rps:.0%} of `/healthz`'s {ceiling.rps:.0f} req/s (bar: at least "
            f"50 %); server CPU {fmt(save.per_request_ms(save.server_cpu))} ms per save against "
            f"{fmt(ceiling.per_request_ms(ceiling.server_cpu))} ms per `/healthz`.",
        ]
    acked, added, audited = facts["acked"], facts["versions_added"], facts["audited"]
    lines += [
        "",
        f"Check after the run: {acked} autosaves answered 200; answer versions in the database "
        f"rose by {added} and {audited} `answer.saved` audit events were written "
        + (
            "(equal: every acknowledged save is stored, none twice)."
            if acked == added == audited
            else "(**not equal**: some request failed after its save committed, or a save was lost)."
        ),
    ]
    return "\n".join(lines) + "\n"


INTRO = """# Performance

Measured by `bench/run.py` against the bars in `the shared design QUALITY.md` (Performance):
on this project's 2-core machine, loopback only. Timings are never asserted in tests; this
file is where they are written down. Query counts per request are asserted in the test suite.

## How to run it

```sh
.venv/bin/python bench/run.py --database sqlite --write      # about 2.5 minutes each
.venv/bin/python bench/run.py --database postgres --write    # needs PostgreSQL on 127.0.0.1
```

Each run builds a fresh database (`var/bench/bench.sqlite3`, or `nps_bench` on PostgreSQL,
dropped afterwards), seeds it at scale 1 (the real register, 430 organisations; the NPS 2018
framework; one open round for England, Wales and Northern Ireland with its 350 eligible
organisations; one lead per organisation; about half the answers already given), starts
gunicorn with 4 sync workers (`--workers 4 --threads 1`, two per core) on a free port, signs
client sessions in over HTTP (standard library `http.client`, one thread per client) and
measures, with every phase capped in time and requests. `bench/README.md` has the details.

- **autosave**: 8 clients, each the lead of a different council, each posting one answer at a
  time as the questionnaire's HTMX autosave does (`HX-Request: true`, the version it got back
  from the previous save), cycling through the 59 value codes, for 20 s. Then the same with all
  8 clients on one council's response (409s are expected there and counted apart).
- **questionnaire pages**: the key-area page (`/responses/<id>/areas/<code>/`, cycling through
  the 10 key areas) and the response home page, 8 clients for 15 s and one client alone.
- **64 concurrent writers**: 64 leads autosaving their own responses for 10 s, counting errors
  and "database is locked" in the server log; first with the same 4 sync workers (so at most 4
  requests reach the database at once), then with `--threads 16` (64 server threads, so every
  writer is in the database at once).

Bars (from QUALITY.md): autosave at 8 clients ≥ 300 requests/s, p95 ≤ 100 ms, 0 errors; the
questionnaire page p95 ≤ 200 ms at 8 clients and p50 ≤ 25 ms for one user; SQLite with 64
concurrent writers: 0 "database is locked". Any status other than 200 counts as an error (409s
are shown in their own column). The response home page has no bar of its own; the page bars
are applied to it too. Before each phase the benchmark waits up to a minute for other processes
to go quiet, and each section shows how much CPU anything else used during each phase ("other
processes"; above about 0.2 cores the figures are disturbed). Each database's section below is
replaced when the benchmark is run again with `--write`; other sections are kept.
"""


def write_doc(db: str, section: str) -> None:
    start, end = f"<!-- bench:{db}:start -->", f"<!-- bench:{db}:end -->"
    block = f"{start}\n{section}{end}\n"
    text = DOC.read_text() if DOC.exists() else INTRO
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        text = before + block + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    DOC.write_text(text)


# --- Main ----------------------------------------------------------------------------------
def main(argv=None) -> int:
    args = parse_args(argv)
    QUIET["wait"] = args.quiet_wait

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    # SIGTERM (and SIGHUP) unwind like Ctrl-C, so the finally blocks stop gunicorn.
    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)

    t_start = time.monotonic()
    VAR.mkdir(parents=True, exist_ok=True)
    log(f"== Fresh {args.database} database")
    fresh_database(args)
    servers: list[Server] = []
    try:
        configure_django(args)
        log(f"== Seeding at scale {args.scale}")
        seeded = seed(args.scale, log)
        log(
            f"  {seeded.organisations} organisations, {seeded.responses} responses, "
            f"{seeded.answers} answers in {seeded.seconds:.1f}s"
        )
        if args.seed_only:
            args.keep_db = True
            log(f"== Seeded only; the database is kept ({args.database})")
            return 0
        facts = {"software": software(args)}
        versions_before, audited_before = database_facts()
        close_connections()

        log_path = VAR / f"gunicorn-{args.database}.log"
        log_path.unlink(missing_ok=True)
        server = Server(args, threads=args.threads, log_path=log_path)
        servers.append(server)
        log(f"== gunicorn {server.describe} on port {server.port} (log: {log_path})")
        server.start()

        rng = random.Random(7)
        leads = list(seeded.leads)
        rng.shuffle(leads)
        n, w = args.clients, args.writers
        distinct = [Session(server.port, e, r) for e, r in leads[:n]]
        shared_lead = leads[n]
        shared = [Session(server.port, *shared_lead) for _ in range(n)]
        single = [Session(server.port, *leads[n + 1])]
        writers = [Session(server.port, e, r) for e, r in leads[n + 2 : n + 2 + w]]
        log("== Signing in")
        sign_in_all(distinct + shared + single + writers, log)

        codes = seeded.value_codes
        areas = seeded.key_areas
        results: list[tuple[Phase, str]] = []

        def area_paths(s):
            return [f"/responses/{s.response_id}/areas/{a}/" for a in areas]

        def home_paths(s):
            return [f"/responses/{s.response_id}/"]

        log("== Warming up (not reported)")
        load_versions(distinct)
        run_phase(
            Phase("warm-up pages", n, 3, "page"), distinct, page_work(area_paths), server, log
        )
        warm = run_phase(
            Phase("warm-up autosave", n, 3, "autosave"), distinct, autosave_work(codes), server, log
        )
        acked = sum(warm.ok_saves.values())

        facts["speed"] = [speed_probe()]
        log("== (0) the stack alone: /healthz, anonymous, same server")
        anonymous = [Session(server.port, "", 0) for _ in range(n)]
        p = Phase("/healthz (anonymous)", n, args.page_seconds / 2, "page")
        healthz = run_phase(p, anonymous, page_work(lambda s: ["/healthz"]), server, log)
        results.append((healthz, "healthz"))

        log("== (a) autosave")
        load_versions(distinct)
        p = Phase("autosave, different responses", n, args.autosave_seconds, "autosave")
        results.append((run_phase(p, distinct, autosave_work(codes), server, log), "autosave"))
        load_versions(shared)
        p = Phase("autosave, all on one response", n, args.autosave_seconds / 2, "autosave")
        results.append((run_phase(p, shared, autosave_work(codes), server, log), "info"))
        facts["speed"].append(speed_probe())

        log("== (b) questionnaire pages")
        p = Phase("key-area page", n, args.page_seconds, "page")
        results.append((run_phase(p, distinct, page_work(area_paths), server, log), "page"))
        p = Phase("response home page", n, args.page_seconds / 2, "page")
        results.append((run_phase(p, distinct, page_work(home_paths), server, log), "page"))
        p = Phase("key-area page, one client", 1, args.page_seconds / 2, "page")
        results.append((run_phase(p, single, page_work(area_paths), server, log), "single"))
        p = Phase("response home page, one client", 1, args.page_seconds / 3, "page")
        results.append((run_phase(p, single, page_work(home_paths), server, log), "single"))

        log(f"== (c) {w} concurrent writers")
        load_versions(writers)
        p = Phase(f"{w} writers, different responses", w, args.writer_seconds, "autosave")
        results.append((run_phase(p, writers, autosave_work(codes), server, log), "writers"))
        server.stop()

        if args.writer_threads > 1:
            server2 = Server(args, threads=args.writer_threads, log_path=log_path)
            servers.append(server2)
            log(f"== gunicorn {server2.describe} on port {server2.port}")
            server2.start()
            for s in writers:  # sessions live in the database and survive the restart
                s.port, s.origin = server2.port, f"http://{HOST}:{server2.port}"
                s.conn = http.client.HTTPConnection(HOST, server2.port, timeout=60)
            load_versions(writers)
            p = Phase(f"{w} writers, {w} server threads", w, args.writer_seconds, "autosave")
            results.append((run_phase(p, writers, autosave_work(codes), server2, log), "writers"))
            server2.stop()

        acked += sum(sum(p.ok_saves.values()) for p, _ in results)
        versions_after, audited_after = database_facts()
        facts.update(
            acked=acked,
            versions_added=versions_after - versions_before,
            audited=audited_after - audited_before,
        )
        if args.profile:
            log("== Profiling in-process")
            profile_requests(seeded, VAR / f"profile-{args.database}.txt", log)
        close_connections()
    finally:
        for s in servers:
            s.stop()
        with contextlib.suppress(Exception):
            close_connections()
        drop_database(args)

    section = render(args, seeded, results, facts)
    print(section)
    if args.write:
        write_doc(args.database, section)
        log(f"== Written to {DOC.relative_to(ROOT)}")
    log(f"== Done in {time.monotonic() - t_start:.0f}s")
    return 0


if __name__ == "__main__":
    if not (ROOT / ".venv" / "bin" / "gunicorn").exists():
        sys.exit("Run bin/setup first: .venv/bin/gunicorn is missing.")
    if shutil.which("dropdb") is None and "--database" in sys.argv and "postgres" in sys.argv:
        sys.exit("dropdb/createdb (PostgreSQL client tools) are needed for --database postgres.")
    sys.exit(main())
