"""The broker's demo step: Wigan and Kent suggested to each other with reasons, councils of
each disclosure choice, and introductions at every stage."""

from django.test import TestCase
from django.urls import reverse

from diagnostic.accounts.models import User
from diagnostic.assessments.models import Response, Round
from diagnostic.broker.demo import step_broker
from diagnostic.broker.models import Disclosure, Introduction, Outcome
from diagnostic.demo.seed import COUNCIL_A, PEOPLE, STEPS, DemoContext
from diagnostic.twofactor.testing import VerifyingClient


class BrokerDemoTests(TestCase):
    client_class = VerifyingClient  # staff sign in with their second factor

    @classmethod
    def setUpTestData(cls):
        cls.lines: list[str] = []
        cls.ctx = DemoContext(log=cls.lines.append)
        for step in STEPS:
            step(cls.ctx)
        cls.current = Round.objects.get(status=Round.Status.OPEN)
        cls.bob = User.objects.get(email=next(p.email for p in PEOPLE if p.key == "bob"))

    def test_bob_sees_kent_first_with_reasons_both_ways(self):
        wigan = Response.objects.get(round=self.current, organisation__gss_code=COUNCIL_A)
        self.client.force_login(self.bob)
        r = self.client.get(reverse("broker:partners", args=[wigan.pk]))
        top = r.context["rows"][0]["m"]
        self.assertEqual(top.second.name, "Kent")
        self.assertContains(r, "Wigan is Leader in MCR2 where Kent is Developing and wants support")
        self.assertContains(r, "Kent is Leader in OSV1 where Wigan is Developing")

    def test_councils_of_each_choice_and_introductions_at_every_stage(self):
        self.assertEqual(
            set(Disclosure.objects.filter(round=self.current).values_list("visibility", flat=True)),
            {"named", "lga_region", "none"},
        )
        statuses = set(
            Introduction.objects.filter(round=self.current).values_list("status", flat=True)
        )
        self.assertEqual(statuses, {"proposed", "accepted", "declined", "expired"})
        self.assertTrue(Outcome.objects.filter(not_useful=True).exists())
        self.assertTrue(Outcome.objects.filter(met=True, joint_work=True).exists())
        waiting_for_bob = [
            i for i in Introduction.objects.filter(round=self.current, status="proposed")
            if i.side(self.bob.memberships.get().organisation_id) and i.answer_of(self.bob.memberships.get().organisation_id) == ""
        ]  # fmt: skip
        self.assertEqual(len(waiting_for_bob), 1)
        self.assertTrue(any(line.startswith("Broker (") for line in self.lines))

    def test_running_the_step_again_changes_nothing(self):
        before = (Introduction.objects.count(), Disclosure.objects.count(), Outcome.objects.count())
        step_broker(self.ctx)
        self.assertEqual(
            before,
            (Introduction.objects.count(), Disclosure.objects.count(), Outcome.objects.count()),
        )

    # The broker's pages on the demo's numbers (issue 15): compact, with value codes named.

    def test_the_partners_page_shows_the_best_five_with_value_codes_named(self):
        wigan = Response.objects.get(round=self.current, organisation__gss_code=COUNCIL_A)
        self.client.force_login(self.bob)
        url = reverse("broker:partners", args=[wigan.pk])
        r = self.client.get(url)
        self.assertEqual(len(r.context["rows"]), 5)
        self.assertGreater(r.context["total"], 5)
        self.assertContains(r, 'id="show-more"')
        self.assertContains(r, "Show 5 more suggestions")
        self.assertContains(
            r, "<strong>Contract register and segmentation</strong>: Wigan is Leader in MCR1"
        )
        self.assertContains(r, 'class="more-reasons"')  # beyond three value codes, folded
        self.assertEqual(len(self.client.get(url, {"shown": 10}).context["rows"]), 10)
        self.assertEqual(len(self.client.get(url, {"shown": "x"}).context["rows"]), 5)

    def test_the_coverage_page_folds_the_names_behind_the_heat_map(self):
        erin = User.objects.get(email=next(p.email for p in PEOPLE if p.key == "erin"))
        self.client.force_login(erin)
        r = self.client.get(reverse("broker:coverage", args=[self.current.pk]))
        html = r.content.decode()
        self.assertIn('<details class="coverage-table">', html)  # closed: 250 councils
        self.assertIn('<details class="names"><summary>', html)
        before_table = html.split('<details class="coverage-table">')[0]
        self.assertIn('id="coverage-gaps"', before_table)
        # What shows before anyone opens the table: the heat map and where to look outside,
        # not 59 rows of every council's name (the page was about 42,000 px tall).
        self.assertLess(len(before_table), 15_000)

    def test_an_accepted_introduction_without_a_contact_does_not_say_wait_for_acceptance(self):
        org = self.bob.memberships.get().organisation_id
        intro = next(
            i for i in Introduction.objects.filter(round=self.current, status="accepted")
            if i.side(org)
        )  # fmt: skip
        side = intro.side(org)
        other = "second" if side == "first" else "first"
        Introduction.objects.filter(pk=intro.pk).update(**{f"{other}_answered_by": None})
        self.client.force_login(self.bob)
        r = self.client.get(reverse("broker:introduction", args=[intro.pk]))
        self.assertNotContains(r, "shared only once both councils have accepted")
        self.assertContains(r, "has no contact recorded")

    def test_an_introduction_asks_once(self):
        org = self.bob.memberships.get().organisation_id
        intro = next(
            i for i in Introduction.objects.filter(round=self.current, status="proposed")
            if i.side(org) and i.answer_of(org) == ""
        )  # fmt: skip
        self.client.force_login(self.bob)
        html = self.client.get(reverse("broker:introduction", args=[intro.pk])).content.decode()
        self.assertEqual(html.count("Your answer"), 1, "the summary's row only")
        self.assertIn("Would you like to be introduced to", html)
        self.assertEqual(html.count("(optional)"), 1)
        self.assertNotIn("Optional.", html)
        # Each value code by name, not only its code.
        self.assertRegex(html, r"<li><strong>[A-Z][^<]+</strong>: \w+ is \w+ in [A-Z]+[0-9]+ where")
