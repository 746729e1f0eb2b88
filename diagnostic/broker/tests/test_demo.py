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
