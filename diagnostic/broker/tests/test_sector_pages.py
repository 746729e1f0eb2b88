"""The plan of introductions, proposing, coverage and the broker dashboard, over HTTP."""

from io import StringIO

from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from diagnostic.broker import services
from diagnostic.broker.models import Introduction, Outcome, Visibility
from diagnostic.broker.testing import BrokerTestCase, choose

AB = 2 * 6 * 9 / 15  # A gains 6 in OSV1, B gains 9 in MCR2 (docs/metrics.md)
BD = AB  # B gains 9 in MCR2 from D, D gains 6 in EC1 from B
AC = CD = 2 * 6 * 1 / 7


class PlanCommandTests(BrokerTestCase):
    def test_the_command_prints_the_same_plan(self):
        out, err = StringIO(), StringIO()
        call_command(
            "broker_plan", self.round.name, "-n", "2", "--progress", stdout=out, stderr=err
        )
        self.assertEqual(len(out.getvalue().strip().splitlines()), 4)
        self.assertIn("Scoring councils [", err.getvalue())
        self.assertIn("4 introductions among 4 councils", err.getvalue())
        self.assertIn("(optimal;", err.getvalue())


class ProposeTests(BrokerTestCase):
    def propose(self, user, a, b):
        self.client.force_login(user)
        return self.client.post(
            reverse("broker:propose", args=[self.round.pk]), {"first": a.pk, "second": b.pk}
        )

    def test_the_national_admin_proposes_and_both_leads_are_asked(self):
        r = self.propose(self.erin, self.council_b, self.council_a)
        intro = Introduction.objects.get()
        self.assertRedirects(r, reverse("broker:introduction", args=[intro.pk]))
        self.assertEqual(
            (intro.first, intro.second, intro.proposed_as, intro.first_answer),
            (self.council_a, self.council_b, "national", ""),
        )
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox), ["bob@example.org", "charlie@example.org"]
        )

    def test_who_may_propose_what(self):
        self.assertEqual(self.propose(self.nina, self.council_a, self.council_b).status_code, 403)
        self.assertEqual(self.propose(self.bob, self.council_a, self.council_b).status_code, 403)
        self.assertEqual(
            self.propose(self.dana, self.council_b, self.council_c).status_code, 403
        )  # not her region
        self.propose(self.dana, self.council_a, self.council_d)  # her region, but not mutual
        self.assertFalse(Introduction.objects.exists())
        choose(self.round, self.council_b, Visibility.LGA_REGION)  # visible to the South East only
        self.propose(self.dana, self.council_a, self.council_b)
        self.assertFalse(Introduction.objects.exists())
        choose(self.round, self.council_b, Visibility.NONE)
        self.propose(self.erin, self.council_a, self.council_b)
        self.assertFalse(Introduction.objects.exists())
        choose(self.round, self.council_b, Visibility.NAMED)
        self.propose(self.dana, self.council_a, self.council_b)
        self.assertEqual(Introduction.objects.get().proposed_as, "regional")

    def test_bad_input(self):
        self.client.force_login(self.erin)
        url = reverse("broker:propose", args=[self.round.pk])
        for data in [{}, {"first": "x", "second": "y"}, {"first": self.council_a.pk, "second": self.council_a.pk}, {"first": self.council_a.pk, "second": 987654}]:  # fmt: skip
            self.assertEqual(self.client.post(url, data).status_code, 302)
        self.assertEqual(self.client.get(url).status_code, 405)
        self.assertFalse(Introduction.objects.exists())


class CoverageTests(BrokerTestCase):
    def coverage(self, user, **params):
        self.client.force_login(user)
        return self.client.get(reverse("broker:coverage", args=[self.round.pk]), params)

    def row(self, r, code):
        return next(x["row"] for x in r.context["rows"] if x["row"].code == code)

    def test_who_needs_who_gives_and_the_gaps_inside_a_region(self):
        r = self.coverage(self.erin, capacity=1, region="E12000008")
        mcr2 = self.row(r, "MCR2")
        self.assertEqual(
            (mcr2.needs, mcr2.gives, mcr2.uncovered),
            (("Council B", "Council C"), (), ("Council B", "Council C")),
        )
        osv1 = self.row(r, "OSV1")
        self.assertEqual(
            (osv1.needs, osv1.gives, osv1.uncovered), ((), ("Council B", "Council C"), ())
        )
        self.assertEqual(r.context["gaps"], 1)
        self.assertTrue(r.context["chart"]["src"].startswith("/"))
        national = self.row(self.coverage(self.erin), "MCR2")
        self.assertEqual(national.uncovered, ())
        self.assertEqual(national.gives, ("Council A", "Council D"))

    def test_councils_not_visible_to_the_viewer_are_left_out(self):
        choose(self.round, self.council_c, Visibility.NONE)
        r = self.coverage(self.erin, capacity=1, region="E12000008")
        self.assertNotContains(r, "Council C")
        choose(self.round, self.council_d, Visibility.LGA_REGION)
        r = self.coverage(self.dana)
        self.assertIn("Council D", self.row(r, "MCR2").gives)
        self.assertEqual(self.coverage(self.bob).status_code, 403)


class DashboardTests(BrokerTestCase):
    def test_counts_per_region_and_suppression_for_regional_leads(self):
        intro = services.do_propose(
            rnd=self.round, a=self.council_a, b=self.council_b, by=self.erin
        )
        services.do_answer(
            introduction=intro, organisation=self.council_a, accept=True, note="", by=self.bob
        )
        services.do_answer(
            introduction=intro, organisation=self.council_b, accept=True, note="", by=self.charlie
        )
        intro.refresh_from_db()
        services.do_record_outcome(
            introduction=intro, organisation=self.council_a, by=self.bob, met=True, joint_work=True
        )
        services.do_propose(rnd=self.round, a=self.council_c, b=self.council_d, by=self.erin)
        self.client.force_login(self.erin)
        r = self.client.get(reverse("broker:dashboard", args=[self.round.pk]))
        rows = {
            row["region"].name: (row["proposed"], row["accepted"], row["met"], row["useful"])
            for row in r.context["rows"]
        }
        self.assertEqual(rows, {"North West": (2, 1, 1, 1), "South East": (2, 1, 1, 1)})
        self.client.force_login(self.dana)
        r = self.client.get(reverse("broker:dashboard", args=[self.round.pk]))
        self.assertEqual(
            [(row["region"].name, row["suppressed"], row["proposed"]) for row in r.context["rows"]],
            [("North West", True, None)],
        )
        self.assertContains(r, "Fewer than 5 councils: not shown")
        self.assertEqual(Outcome.objects.count(), 1)
        self.client.force_login(self.bob)
        self.assertEqual(
            self.client.get(reverse("broker:dashboard", args=[self.round.pk])).status_code, 403
        )
