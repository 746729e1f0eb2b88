"""The plan page and its exports cost the same number of queries for 2 or 20 actions."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnostic.assessments.models import Round
from diagnostic.assessments.testing import create_open_round
from diagnostic.plans.models import DismissedSuggestion
from diagnostic.plans.testing import PlanTestCase, make_action


class QueryCountTests(PlanTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.bob)
        self.client.get("/")  # the first request after signing in also writes the session
        DismissedSuggestion.objects.create(response=self.response_a, key="WP2", title="WP2")
        # A previous round with a plan, so the page also offers to carry it forward.
        old_round, (old_a,) = create_open_round(self.framework, [self.council_a], name="NPS 2022")
        make_action(old_a, "Last round's action", codes=["EC1"])
        Round.objects.filter(pk=self.round.pk).update(previous_round=old_round)

    def count(self, name) -> int:
        with CaptureQueriesContext(connection) as ctx:
            r = self.client.get(reverse(name, args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 200)
        return len(ctx.captured_queries)

    def test_the_page_and_exports_do_not_grow_with_the_plan(self):
        for i in range(2):
            make_action(self.response_a, f"Action {i}", codes=["EC1", "EC2"])
        few = {name: self.count(name) for name in ["plans:plan", "plans:export_csv"]}
        for i in range(18):
            make_action(self.response_a, f"More {i}", codes=["WP1", "ESS2"], updated_by=self.bob)
        many = {name: self.count(name) for name in ["plans:plan", "plans:export_csv"]}
        self.assertEqual(few, many)
        self.assertLessEqual(many["plans:plan"], 10)
        r = self.client.get(reverse("plans:plan", args=[self.response_a.pk]))
        self.assertEqual(r.context["offer"].count, 1)
