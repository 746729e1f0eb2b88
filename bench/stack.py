#!/usr/bin/env python
"""What the stack itself costs per request: each middleware in settings.MIDDLEWARE, in CPU µs.

    .venv/bin/python bench/stack.py                      # SQLite (var/bench/bench.sqlite3)
    .venv/bin/python bench/stack.py --database postgres --database-url postgres://…/bench_x

It seeds the benchmark's database (bench/run.py's seed, scale 1), then, in this process and
without a web server, sends requests straight to Django's WSGI handler built with the first k
middlewares of settings.MIDDLEWARE, for k = 0 … all: `/healthz` anonymous, `/healthz` with a
signed-in lead's session cookie, and (full chain only) the lead's key-area page, the response
home and an autosave. Each figure is the median of this thread's CPU time per request
(`time.thread_time`, so other processes on the machine disturb it little), and a
middleware's cost is the difference between the chain with it and the chain without it.
It also counts the SQL statements each request runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # noqa: E402  (bench/run.py: database, seed)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--database-url", default=bench.DEFAULT_PG_URL)
    p.add_argument("-n", type=int, default=300, help="requests per measurement (default 300)")
    p.add_argument("--keep-db", action="store_true")
    args = p.parse_args(argv)
    args.scale = 1

    bench.fresh_database(args)
    try:
        bench.configure_django(args)
        seeded = bench.seed(1, lambda m: print(m, file=sys.stderr))
        print(measure(args, seeded))
    finally:
        bench.close_connections()
        bench.drop_database(args)
    return 0


def measure(args, seeded) -> str:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import Client, RequestFactory
    from django.test.utils import CaptureQueriesContext

    from diagnostic.accounts.models import User

    settings.ALLOWED_HOSTS = ["testserver"]
    email, response_id = seeded.leads[-1]
    client = Client()
    client.force_login(User.objects.get(email=email))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    client.get(
        f"/responses/{response_id}/"
    )  # the first request after signing in writes the session
    csrf = client.cookies.get(settings.CSRF_COOKIE_NAME)
    factory = RequestFactory()
    everything = list(settings.MIDDLEWARE)
    version = {"v": bench.answer_versions([response_id]).get((response_id, "EC1"), 0)}

    def environ(path, signed_in, method="GET", body=b""):
        env = factory._base_environ(PATH_INFO=path, REQUEST_METHOD=method)
        if signed_in:
            env["HTTP_COOKIE"] = cookie + (f"; csrftoken={csrf.value}" if csrf else "")
        if method == "POST":
            import io

            env.update(
                CONTENT_TYPE="application/x-www-form-urlencoded", CONTENT_LENGTH=str(len(body)),
                HTTP_HX_REQUEST="true", HTTP_ORIGIN="http://testserver",
                HTTP_X_CSRFTOKEN=csrf.value if csrf else "", **{"wsgi.input": io.BytesIO(body)},
            )  # fmt: skip
        return env

    def autosave_body():
        import urllib.parse

        return urllib.parse.urlencode({
            "EC1-current_level": "3", "EC1-target_level": "4", "EC1-priority": "high",
            "EC1-comment": "stack", "EC1-version": str(version["v"]),
            "EC1-request_id": uuid.uuid4().hex,
        }).encode()  # fmt: skip

    def one(handler, path, signed_in, method="GET"):
        body = autosave_body() if method == "POST" else b""
        statuses = []
        result = handler(environ(path, signed_in, method, body), lambda s, h: statuses.append(s))
        content = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        if method == "POST":
            m = bench.VERSION_INPUT_RE.search(content.decode())
            value = m and bench.VALUE_RE.search(m.group(0))
            if value:
                version["v"] = int(value.group(1))
        return int(statuses[0].split()[0])

    def cpu_us(handler, path, signed_in, method="GET") -> tuple[float, int, int]:
        for _ in range(20):
            status = one(handler, path, signed_in, method)
        with CaptureQueriesContext(connection) as q:
            one(handler, path, signed_in, method)
        statements = len(q.captured_queries)
        times = []
        for _ in range(args.n):
            t0 = time.thread_time()
            one(handler, path, signed_in, method)
            times.append(time.thread_time() - t0)
        return statistics.median(times) * 1e6, status, statements

    def handler_with(middleware):
        settings.MIDDLEWARE = middleware
        h = WSGIHandler()
        return h

    lines = [
        f"Per-request CPU of the stack ({bench.machine()}; {args.database}; median of {args.n} "
        f"requests, thread CPU time, in-process without a web server):",
        "",
        "| middleware (added to the chain above it) | /healthz anonymous µs | + µs | "
        "/healthz signed in µs | + µs | statements (anonymous / signed in) |",
        "|---|---|---|---|---|---|",
    ]
    handlers = [handler_with(everything[:k]) for k in range(len(everything) + 1)]
    settings.MIDDLEWARE = everything
    # Interleaved: one request to each chain in turn, so drift in the machine's load falls on
    # every chain alike; then the median per chain.
    samples = {(k, who): [] for k in range(len(handlers)) for who in (False, True)}
    statements = {}
    for k, h in enumerate(handlers):
        for who in (False, True):
            for _ in range(10):
                one(h, "/healthz", who)
            with CaptureQueriesContext(connection) as q:
                one(h, "/healthz", who)
            statements[k, who] = len(q.captured_queries)
    for _ in range(args.n):
        for k, h in enumerate(handlers):
            for who in (False, True):
                t0 = time.thread_time()
                one(h, "/healthz", who)
                samples[k, who].append(time.thread_time() - t0)
    med = {key: statistics.median(v) * 1e6 for key, v in samples.items()}
    for k in range(len(handlers)):
        name = "(no middleware: URL, view, response)" if k == 0 else everything[k - 1]
        a, s = med[k, False], med[k, True]
        da = "" if k == 0 else f"{a - med[k - 1, False]:+.0f}"
        ds = "" if k == 0 else f"{s - med[k - 1, True]:+.0f}"
        lines.append(
            f"| `{name}` | {a:.0f} | {da} | {s:.0f} | {ds} | "
            f"{statements[k, False]} / {statements[k, True]} |"
        )
    h = handler_with(everything)
    lines += [
        "",
        "| full chain, signed-in lead | CPU µs | HTTP | statements |",
        "|---|---|---|---|",
    ]
    for label, path, method in [
        ("key-area page", f"/responses/{response_id}/areas/{seeded.key_areas[0]}/", "GET"),
        ("response home", f"/responses/{response_id}/", "GET"),
        ("autosave (HTMX)", f"/responses/{response_id}/answers/EC1/", "POST"),
    ]:
        us, status, statements = cpu_us(h, path, True, method)
        lines.append(f"| {label} | {us:.0f} | {status} | {statements} |")
    settings.MIDDLEWARE = everything
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
