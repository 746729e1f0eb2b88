"""The demo's support targeting: advisers in several regions, 2021 offers at every stage with
attendance, and an effect to see in the current round."""

from django.test import TestCase
from django.urls import reverse

from diagnostic.demo.seed import (
    DemoContext,
    step_current_round,
    step_framework,
    step_people,
    step_register,
    step_round_2018,
    step_round_2021,
)
from diagnostic.demo.support import step_support
from diagnostic.support.models import Adviser, Invitation, Offer
from diagnostic.twofactor.testing import VerifyingClient


class SupportDemoTests(TestCase):
    client_class = VerifyingClient  # staff sign in with their second factor

    @classmethod
    def setUpTestData(cls):
        cls.ctx = DemoContext(log=lambda m: None)
        for step in (step_framework, step_register, step_people, step_round_2018,
                     step_round_2021, step_current_round, step_support):  # fmt: skip
            step(cls.ctx)

    def test_advisers_work_in_several_regions(self):
        regions = set(Adviser.objects.values_list("regions__name", flat=True))
        self.assertGreaterEqual(len(regions), 6)
        self.assertEqual(
            set(Adviser.objects.values_list("kind", flat=True)), {"lga", "hub", "associate"}
        )

    def test_2021_offers_are_at_every_stage(self):
        offers = Offer.objects.filter(round=self.ctx.rounds["2021"])
        self.assertEqual(offers.count(), 6)
        statuses = set(Invitation.objects.values_list("status", flat=True))
        self.assertEqual(statuses, {"chosen", "invited", "accepted", "declined"})
        self.assertTrue(Invitation.objects.filter(attended=True).exists())
        self.assertTrue(Invitation.objects.filter(attended=None, status="accepted").exists())
        # Days were booked through the service: nobody past their days in a quarter.
        for adviser in Adviser.objects.all():
            booked = sum(o.adviser_days for o in adviser.offers.all())
            self.assertLessEqual(booked, adviser.days_per_quarter, adviser.name)

    def test_the_national_team_sees_an_effect_in_the_current_round(self):
        self.client.force_login(self.ctx.users["erin"])
        rows = self.client.get(reverse("support:effect")).context["rows"]
        shown = [r for r in rows if r["result"] and r["result"]["took_part"]["n"]]
        self.assertTrue(shown)
        self.assertTrue(all(r["later"] == self.ctx.rounds["current"] for r in shown))
        self.assertTrue(any(r["result"]["difference"] > 0 for r in shown))
        self.client.force_login(self.ctx.users["dana"])
        r = self.client.get(reverse("support:focus"), {"round": self.ctx.rounds["2021"].pk})
        self.assertEqual(r.status_code, 200)
        self.assertFalse(r.context["ranking"][0]["suppressed"])
