"""Examples where each value code is read: the questionnaire, the results, the action plan."""

from django.urls import reverse
from django.utils import timezone

from diagnostic.assessments.models import Answer
from diagnostic.practice.models import State, Visibility
from diagnostic.practice.testing import PracticeTestCase, make_case_study


class InContextTests(PracticeTestCase):
    def setUp(self):
        super().setUp()
        self.levels = list(self.framework.levels.order_by("number"))
        self.mine = self.levels[-2]  # Council A's level on EC1: the one below the top
        Answer.objects.create(
            response=self.response_a, value_code=self.framework.valuecodes.get(code="EC1"),
            current_level=self.mine.number, version=1, updated_at=timezone.now(),
        )  # fmt: skip
        self.above = make_case_study(self.council_b, self.framework, title="One level above",
                                     level_rank=-1)  # fmt: skip
        self.same = make_case_study(self.council_b, self.framework, title="At our own level",
                                    level_rank=-2)  # fmt: skip
        self.hidden = make_case_study(
            self.council_b, self.framework, title="Above but for the LGA only", level_rank=-1,
            visibility=Visibility.SECTOR_BODIES,
        )  # fmt: skip
        self.withdrawn = make_case_study(self.council_b, self.framework, title="Above, withdrawn",
                                         level_rank=-1, state=State.WITHDRAWN)  # fmt: skip
        self.client.force_login(self.bob)

    def test_the_questionnaire_links_quietly_to_the_next_level(self):
        r = self.client.get(reverse("assessments:area", args=[self.response_a.pk, "EC"]))
        self.assertContains(
            r, f'href="/good-practice/?value_code=EC1&amp;above={self.mine.number}"'
        )
        # Unanswered value codes look from the bottom.
        self.assertContains(r, 'href="/good-practice/?value_code=EC2&amp;above=0"')

    def test_the_link_leads_to_examples_at_the_next_level_only(self):
        r = self.client.get(
            reverse("practice:library"), {"value_code": "EC1", "above": self.mine.number}
        )
        self.assertEqual([cs.title for cs in r.context["page"].object_list], ["One level above"])

    def test_the_results_show_examples_one_level_above(self):
        r = self.client.get(reverse("analytics:council_results", args=[self.response_a.pk]))
        self.assertContains(r, "See how others moved up a level")
        self.assertContains(r, "One level above")
        for title in ["At our own level", "Above but for the LGA only", "Above, withdrawn"]:
            self.assertNotContains(r, title)

    def test_the_action_plan_loads_them_after_the_page(self):
        r = self.client.get(reverse("plans:plan", args=[self.response_a.pk]))
        url = reverse("practice:examples_for_response", args=[self.response_a.pk])
        self.assertContains(r, f'hx-get="{url}"')
        r = self.client.get(url, headers={"HX-Request": "true"})
        self.assertContains(r, "One level above")
        self.assertNotContains(r, "<html")
        self.assertNotContains(r, "At our own level")
        r = self.client.get(url)  # without JavaScript, a page of its own
        self.assertContains(r, "<h1>How others moved up a level</h1>", html=False)
        self.assertContains(r, "One level above")

    def test_the_national_team_also_sees_the_restricted_one(self):
        self.client.force_login(self.nina)
        r = self.client.get(reverse("practice:examples_for_response", args=[self.response_a.pk]))
        self.assertContains(r, "Above but for the LGA only")
        self.assertNotContains(r, "Above, withdrawn")

    def test_another_councils_examples_page_is_not_found(self):
        self.client.force_login(self.charlie)
        r = self.client.get(reverse("practice:examples_for_response", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 404)

    def test_a_council_already_at_the_top_gets_no_examples(self):
        Answer.objects.filter(response=self.response_a).update(current_level=self.levels[-1].number)
        r = self.client.get(reverse("analytics:council_results", args=[self.response_a.pk]))
        self.assertNotContains(r, "See how others moved up a level")
