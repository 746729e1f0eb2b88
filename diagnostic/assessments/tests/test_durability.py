"""Durability under kill -9: autosaves from many clients against a real gunicorn server, the
whole service killed with SIGKILL mid-run, then only its master (orphaning the workers),
restarted each time on the same port; every acknowledged save is stored exactly once, and the
orphaned workers let go of the port by themselves (v5.0.0-2.3.3 transactions all or nothing,
v5.0.0-15.2.2 availability, v5.0.0-16.5.3 fails securely). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test import TransactionTestCase

from diagnostic.accounts.middleware import SESSION_SEEN_KEY, SESSION_SIGNED_IN_KEY
from diagnostic.accounts.sessions import SessionStore
from diagnostic.assessments.models import Answer
from diagnostic.assessments.testing import create_open_round
from diagnostic.audit.models import AuditEvent
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.testing import create_personas

ROOT = Path(settings.BASE_DIR)
SAVES_PER_CLIENT = 30
CSRF = "k" * 32
VERSION_RE = re.compile(r'name="(?P<code>[A-Z]+\d+)-version" value="(?P<v>\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Server:
    """gunicorn as deployed (README), on a given port and the test's database."""

    def __init__(self, port: int):
        self.port = port
        self.proc: subprocess.Popen | None = None
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
        db = connection.settings_dict
        if connection.vendor == "sqlite":
            env["SQLITE_PATH"] = str(db["NAME"])
        else:
            env["DATABASE_URL"] = (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or 'localhost'}"
                                   f":{db['PORT'] or 5432}/{db['NAME']}")  # fmt: skip
        env.update(DEBUG="0", SECRET_KEY=settings.SECRET_KEY, MANIFEST_STATIC="false",
                   ALLOWED_HOSTS="127.0.0.1", AXES_ENABLED="false", PDF_RENDER_IN_SUBPROCESS="false")  # fmt: skip
        self.env = env

    def start(self) -> None:
        deadline = time.monotonic() + 20
        while port_in_use(self.port):  # the previous server must have let go
            if time.monotonic() > deadline:
                raise AssertionError(f"port {self.port} still held")
            time.sleep(0.1)
        self.proc = subprocess.Popen(  # noqa: S603 (our own program and arguments)
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "diagnostic.wsgi", "--workers", "3",
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "30", "--graceful-timeout", "1"],
            cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)  # noqa: S603, S607
        return [int(p) for p in out.stdout.split()]

    def kill_everything(self) -> None:
        """kill -9 of the whole service: master and workers (its process group)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def kill_master_only(self) -> list[int]:
        """kill -9 of the master alone: its workers are orphaned, still holding the socket."""
        workers = self.worker_pids()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        return workers

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class KillNineTests(TransactionTestCase):
    def setUp(self):
        people = create_personas()
        framework = load_framework_file(NPS_2018).version
        self.round, responses = create_open_round(
            framework, [people["council_a"], people["council_b"]]
        )
        codes = [vc.code for vc in framework.valuecodes.order_by("position")[:4]]
        # One client per (response, value code): the lead of each council, one session each.
        self.jobs = []
        for response, lead in zip(responses, (people["bob"], people["charlie"]), strict=True):
            for code in codes:
                self.jobs.append((response, code, self.session_for(lead)))
        self.server = Server(free_port())
        self.addCleanup(self.server.stop)

    @staticmethod
    def session_for(user) -> str:
        s = SessionStore()
        s[SESSION_KEY] = str(user.pk)
        s[BACKEND_SESSION_KEY] = "diagnostic.accounts.backends.ModelBackend"
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        s[SESSION_SIGNED_IN_KEY] = s[SESSION_SEEN_KEY] = int(time.time())
        s.create()
        return s.session_key

    def post_until_answered(self, path: str, body: str, cookie: str) -> tuple[int, str]:
        """One save, retried (same request id) through resets and restarts until answered."""
        deadline = time.monotonic() + 120
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=20)
                c.request("POST", path, body=body, headers={
                    "Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true",
                    "Cookie": cookie, "X-CSRFToken": CSRF,
                })  # fmt: skip
                r = c.getresponse()
                text = r.read().decode()
                if r.status < 500:
                    return r.status, text
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer for {path}")
            time.sleep(0.05)

    def run_client(self, i, response, code, session, acks, errors):
        from urllib.parse import urlencode

        version = 0
        cookie = f"sessionid={session}; csrftoken={CSRF}"
        path = f"/responses/{response.pk}/answers/{code}/"
        try:
            for k in range(SAVES_PER_CLIENT):
                level = k % 5 + 1
                body = urlencode({f"{code}-current_level": level, f"{code}-comment": f"save {k}",
                                  f"{code}-version": version, f"{code}-request_id": f"c{i}-{k}",
                                  f"{code}-priority": "", f"{code}-target_level": "", f"{code}-target_date": ""})  # fmt: skip
                status, text = self.post_until_answered(path, body, cookie)
                if status != 200:
                    errors.append((i, k, status, text[:200]))
                    return
                version = int(next(m["v"] for m in VERSION_RE.finditer(text) if m["code"] == code))
                acks.append((response.pk, code, k, version, level))
        except Exception as exc:  # reported to the test
            errors.append((i, repr(exc)))

    def test_every_acknowledged_save_is_stored_exactly_once_through_two_kill_nines(self):
        from django.urls import reverse

        self.assertEqual(
            reverse("assessments:save_answer", args=[1, "EC1"]), "/responses/1/answers/EC1/"
        )
        self.server.start()
        acks, errors = [], []
        threads = [threading.Thread(target=self.run_client, args=(i, r, c, s, acks, errors))
                   for i, (r, c, s) in enumerate(self.jobs)]  # fmt: skip
        for t in threads:
            t.start()
        total = SAVES_PER_CLIENT * len(self.jobs)

        def wait_for(n):
            deadline = time.monotonic() + 120
            while len(acks) < n and not errors and time.monotonic() < deadline:
                time.sleep(0.02)

        wait_for(total // 3)
        self.server.kill_everything()  # kill -9 of the whole service, mid-run
        deadline = time.monotonic() + 5
        while port_in_use(self.server.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(port_in_use(self.server.port))
        self.server.start()
        wait_for(2 * total // 3)
        orphans = self.server.kill_master_only()  # kill -9 of the master alone
        self.assertTrue(orphans)
        # Orphaned gunicorn workers notice their parent is gone and exit, freeing the port.
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in orphans) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse([p for p in orphans if _alive(p)], "orphaned workers kept running")
        self.server.start()
        for t in threads:
            t.join(timeout=300)
        self.server.stop()
        self.assertEqual(errors, [])
        self.assertEqual(len(acks), total)
        for response, code, _session in self.jobs:
            mine = sorted((k, v, lvl) for r, c, k, v, lvl in acks if (r, c) == (response.pk, code))
            # Each acknowledged save produced the next version: none lost, none applied twice.
            self.assertEqual([v for _, v, _ in mine], list(range(1, SAVES_PER_CLIENT + 1)), code)
            answer = Answer.objects.get(response=response, value_code__code=code)
            self.assertEqual(answer.version, SAVES_PER_CLIENT)
            self.assertEqual(
                (answer.current_level, answer.comment),
                (mine[-1][2], f"save {SAVES_PER_CLIENT - 1}"),
            )
            events = AuditEvent.objects.filter(
                action="answer.saved", object_id=f"{response.pk}:{code}"
            )
            self.assertEqual(
                sorted(e.detail["version"] for e in events), list(range(1, SAVES_PER_CLIENT + 1))
            )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) holds no socket.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


if sys.platform != "linux":  # pragma: no cover
    KillNineTests = None  # noqa: F811  (pgrep and /proc are Linux's)
