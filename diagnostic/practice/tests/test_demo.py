"""The demo's good practice: a dozen case studies at every stage, each visibility, candidates."""

from django.test import TestCase
from django.urls import reverse
from django.utils.html import escape

from diagnostic.accounts.models import User
from diagnostic.demo.seed import STEPS, DemoContext
from diagnostic.practice.models import CaseStudy, WriteUpInvitation
from diagnostic.twofactor.testing import VerifyingClient


class GoodPracticeDemoTests(TestCase):
    client_class = VerifyingClient  # staff sign in with their second factor

    @classmethod
    def setUpTestData(cls):
        cls.lines: list[str] = []
        cls.ctx = DemoContext(log=cls.lines.append)
        for step in STEPS:
            step(cls.ctx)

    def test_a_dozen_case_studies_at_every_stage_across_all_themes(self):
        self.assertEqual(CaseStudy.objects.count(), 12)
        states = set(CaseStudy.objects.values_list("state", flat=True))
        self.assertEqual(
            states, {"draft", "submitted", "in_review", "published", "returned", "withdrawn"}
        )
        themes = set(CaseStudy.objects.values_list("key_area__theme__code", flat=True))
        self.assertEqual(themes, set(self.ctx.framework.themes.values_list("code", flat=True)))
        published = CaseStudy.objects.filter(state="published")
        self.assertEqual(
            set(published.values_list("visibility", flat=True)),
            {"public", "councils", "sector_bodies"},
        )
        self.assertEqual(set(published.values_list("named", flat=True)), {True, False})
        for cs in CaseStudy.objects.exclude(state="draft"):
            self.assertTrue(cs.events.filter(action="submitted").exists(), cs)

    def test_invitations_at_each_answer_and_candidates_still_waiting(self):
        self.assertEqual(
            sorted(WriteUpInvitation.objects.values_list("status", flat=True)),
            ["accepted", "declined", "pending"],
        )
        self.client.force_login(User.objects.get(email__startswith="erin@"))
        r = self.client.get(reverse("practice:candidates"),
                            {"round": WriteUpInvitation.objects.first().round_id})  # fmt: skip
        waiting = [c for g in r.context["groups"] for c in g.candidates if c.invitation is None]
        self.assertGreater(len(waiting), 5)
        # Folded one value code at a time (issue 15: the page was about 69,000 px tall): each
        # group is a closed details element whose summary names the value code and its counts.
        html = r.content.decode()
        self.assertEqual(html.count('<details class="candidates"'), len(r.context["groups"]))
        self.assertNotIn('<details class="candidates" open', html)
        first = r.context["groups"][0]
        title = escape(f"{first.value_code.code} {first.value_code.title}")
        self.assertIn(f'class="summary-heading">{title}</h2>', html)

    def test_the_library_shows_the_published_ones(self):
        r = self.client.get(reverse("practice:library"))
        self.assertEqual(
            r.context["page"].paginator.count,
            CaseStudy.objects.filter(state="published", visibility="public").count(),
        )
        self.assertContains(r, "One contract register for every department")
        self.assertNotContains(r, "Spend analysis every quarter")  # withdrawn

    def test_running_the_step_again_adds_nothing(self):
        from diagnostic.practice.demo import step_good_practice

        step_good_practice(self.ctx)
        self.assertEqual(CaseStudy.objects.count(), 12)
