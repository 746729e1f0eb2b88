"""Nothing tied to one process: two gunicorn servers on one database and no Redis, as the README
allows. A chart put on a page by one server is served by the other, and a submission through
one is in the dashboard the other serves at once (docs/decisions/0028-nothing-tied-to-one-
process.md). Each server has two workers, so workers of one server are exercised too.
"""

from __future__ import annotations

import http.client
import re
import time

from django.test import TransactionTestCase
from django.utils import timezone

from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.tests.test_durability import Server, free_port
from diagnostic.twofactor.testing import VerifyingClient

CSRF = "k" * 32
CHART_RE = re.compile(r'src="([^"]*charts/[0-9a-f]{64}-[0-9a-f]+\.svg)"')


class TwoServers(Server):
    """The durability test's gunicorn, with two workers and the shared cache in the database."""

    def __init__(self, port: int):
        super().__init__(port)
        self.env.pop("REDIS_URL", None)

    def start(self) -> None:
        import subprocess

        from diagnostic.assessments.tests.test_durability import ROOT

        self.proc = subprocess.Popen(  # noqa: S603 (our own program and arguments)
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "diagnostic.wsgi", "--workers", "2",
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "30", "--graceful-timeout", "1"],
            cwd=ROOT, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn on {self.port} did not start")

    def get(self, path: str, session: str) -> tuple[int, str]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", path, headers={"Cookie": f"sessionid={session}"})
        r = c.getresponse()
        return r.status, r.read().decode()

    def post(self, path: str, session: str) -> tuple[int, str]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", path, body="", headers={
            "Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF,
            "Content-Type": "application/x-www-form-urlencoded",
        })  # fmt: skip
        r = c.getresponse()
        return r.status, r.read().decode()


class SeveralProcessesTests(TransactionTestCase):
    def setUp(self):
        from diagnostic.analytics.tests.test_figures import GeneratedRoundTestCase

        class Data(GeneratedRoundTestCase):
            pass

        Data.setUpTestData()  # committed: the servers read the same database
        self.data = Data
        self.servers = [TwoServers(free_port()), TwoServers(free_port())]
        for server in self.servers:
            self.addCleanup(server.stop)
            server.start()
        for server in self.servers:
            server.wait()

    @staticmethod
    def session_for(user) -> str:
        """A signed-in session (second step passed) stored in the database, as sign-in would."""
        client = VerifyingClient()
        client.force_login(user)
        return client.cookies["sessionid"].value

    def test_charts_and_fresh_figures_whichever_process_answers(self):
        a, b = self.servers
        erin = self.session_for(self.data.erin)

        # A chart minted on a page from one server is served by the other (and by both
        # workers of each: every URL many times).
        status, page = a.get("/dashboards/national/", erin)
        self.assertEqual(status, 200)
        self.assertIn("13 of 19", page)
        charts = sorted(set(CHART_RE.findall(page)))
        self.assertGreaterEqual(len(charts), 3, "the national dashboard shows charts")
        for _ in range(4):
            for server in (b, a):
                for url in charts:
                    status, svg = server.get(url, erin)
                    self.assertEqual(status, 200, (server.port, url))
                    self.assertIn("<svg", svg)
        # Another person cannot use Erin's chart URLs, whichever server they ask…
        nina = self.session_for(self.data.nina)
        self.assertEqual(b.get(charts[0], nina)[0], 404)
        # …but the same dashboard, its figures cached by Erin's views, gives Nina URLs of her
        # own, which work on both servers.
        for _ in range(3):
            status, page = a.get("/dashboards/national/", nina)
            self.assertEqual(status, 200)
            hers = sorted(set(CHART_RE.findall(page)))
            self.assertEqual(len(hers), len(charts))
            self.assertFalse(set(hers) & set(charts))
            for url in hers:
                for server in (a, b):
                    self.assertEqual(server.get(url, nina)[0], 200, (server.port, url))

        # Both of B's workers have the figures cached; a submission through A is in them at once.
        for _ in range(6):
            status, page = b.get("/dashboards/national/", erin)
            self.assertIn("13 of 19", page)
        complete = (
            Response.objects.filter(
                round=self.data.round, status="draft",
                organisation__region=self.data.south_east,
            )
            .exclude(pk=self.data.response_b.pk)
            .first()
        )  # fmt: skip
        Response.objects.filter(pk=complete.pk).update(
            officer_name="A", signed_off_name="B", signed_off_role="C",
            signed_off_on=timezone.localdate(),
        )  # fmt: skip
        Answer.objects.filter(response=complete).update(
            current_level=3, target_level=4, priority="low"
        )
        from diagnostic.accounts.models import Role
        from diagnostic.testing import make_user

        lead = make_user(f"lead-{complete.pk}", "Lead", Role.LEAD,
                         organisation=complete.organisation)  # fmt: skip
        status, _ = a.post(f"/responses/{complete.pk}/submit/", self.session_for(lead))
        self.assertEqual(status, 302)
        self.assertEqual(Response.objects.get(pk=complete.pk).status, "submitted")
        for _ in range(6):
            status, page = b.get("/dashboards/national/", erin)
            self.assertEqual(status, 200)
            self.assertIn("14 of 19", page)
