"""Demo data people can trust (issue 15): comments about their own value code, levels like real
councils', most councils with a lead, and dates that follow each round's story."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.test import TestCase

from diagnostic.accounts.models import Membership, Role
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.consolidation.models import Assignment, ContributorAnswer
from diagnostic.demo.responses import COMMENTS, comments_for
from diagnostic.demo.seed import COUNCIL_A, STEPS, DemoContext
from diagnostic.frameworks.models import FrameworkVersion, ValueCode


class DemoStoryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.ctx = DemoContext(log=lambda line: None)
        for step in STEPS:
            step(cls.ctx)
        cls.current = Round.objects.get(status=Round.Status.OPEN)

    def test_comments_are_about_their_own_value_code(self):
        ec1 = ValueCode.objects.get(code="EC1")  # ward councillors' input
        for band in ("low", "mid", "high"):
            bank = comments_for(ec1, band)
            self.assertTrue(bank)
            self.assertTrue(all("ward" in t.lower() for t in bank), (band, bank))
        # Every comment given in the demo comes from its own value code's bank.
        for a in Answer.objects.exclude(comment="").select_related("value_code__key_area")[:400]:
            band = "low" if a.current_level <= 2 else "mid" if a.current_level == 3 else "high"
            bank = comments_for(a.value_code, band)
            self.assertTrue(
                any(a.comment.startswith(t) for t in bank), (a.value_code.code, a.comment[:60])
            )
        self.assertTrue(set(COMMENTS["EC"]["low"]) - set(comments_for(ec1, "low")))

    def test_levels_look_like_real_councils(self):
        levels = Counter(
            Answer.objects.filter(response__round=self.current, current_level__gte=1).values_list(
                "current_level", flat=True
            )
        )
        total = sum(levels.values())
        self.assertGreater((levels[2] + levels[3]) / total, 0.65)  # most Developing or Mature
        self.assertLess(levels[4] / total, 0.15)  # few Leaders
        self.assertLess(levels[5] / total, 0.03)  # fewer Innovators
        wigan = Counter(
            Answer.objects.filter(
                response__round=self.current, response__organisation__gss_code=COUNCIL_A
            ).values_list("current_level", flat=True)
        )
        self.assertLess(wigan[5], sum(wigan.values()) / 4)  # not Innovator everywhere

    def test_most_councils_have_a_lead_to_remind(self):
        responses = Response.objects.filter(round=self.current)
        led = set(
            Membership.objects.filter(role=Role.LEAD).values_list("organisation_id", flat=True)
        )
        with_lead = sum(1 for r in responses if r.organisation_id in led)
        self.assertGreater(with_lead / responses.count(), 0.75)
        self.assertLess(with_lead, responses.count())  # and a few without, as in life
        # The fictional leads cannot sign in.
        lead = Membership.objects.filter(role=Role.LEAD, user__email__contains="@").last().user
        self.assertTrue(lead.is_demo)

    def test_dates_follow_the_story(self):
        version = FrameworkVersion.objects.get()
        first = Round.objects.order_by("opens_on").first()
        self.assertLess(version.published_at.date(), first.opens_on)
        self.assertEqual(version.published_at.year, 2018)
        for a in Assignment.objects.filter(withdrawn_at__isnull=False):
            last = (
                ContributorAnswer.objects.filter(assignment=a)
                .order_by("-updated_at")
                .values_list("updated_at", flat=True)
                .first()
            )
            if last:
                self.assertLess(last, a.withdrawn_at, a.full_name)
            self.assertLess(a.created_at, a.withdrawn_at - dt.timedelta(hours=1))
