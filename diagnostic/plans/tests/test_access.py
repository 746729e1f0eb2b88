"""Who reaches each action plan route (ASVS 8.2.1, 8.2.2).

Council A's members and the national team read the plan and its exports; only Council A's
lead changes it (others who can read get 403); everybody else gets 404, the same as for an id
that does not exist. Regional leads do not read it, even with the council's consent to share
its named response (docs/decisions/0009).
"""

from unittest import mock

from django.urls import reverse

from diagnostic.accounts.models import Role
from diagnostic.assessments.models import Response
from diagnostic.plans.models import Action, DismissedSuggestion
from diagnostic.plans.testing import PlanTestCase, make_action
from diagnostic.testing import make_user

READ_ROUTES = ["plans:plan", "plans:export_csv", "plans:export_xlsx", "plans:export_pdf"]
WRITE_PAGES = ["plans:new"]  # GET shows a form only to the lead
ACTION_PAGES = ["plans:edit", "plans:delete"]
WRITE_POSTS = ["plans:accept", "plans:dismiss", "plans:restore", "plans:carry_forward"]
ACTION_POSTS = ["plans:status"]


class PlanAccessTests(PlanTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.action_a = make_action(cls.response_a, "Council A's action", codes=["EC1"])

    def setUp(self):
        super().setUp()
        patcher = mock.patch("diagnostic.plans.views.render_pdf", return_value=b"%PDF-1.7 stub")
        patcher.start()
        self.addCleanup(patcher.stop)

    def urls(self, response, action):
        out = {}
        for name in READ_ROUTES + WRITE_PAGES + WRITE_POSTS:
            out[name] = reverse(name, args=[response.pk])
        for name in ACTION_PAGES + ACTION_POSTS:
            out[name] = reverse(name, args=[response.pk, action.pk])
        return out

    def status(self, method, url):
        data = {"key": "WP2", "status": "done", "version": "1", "title": "x"}
        return getattr(self.client, method)(url, data if method == "post" else None).status_code

    def assert_unchanged(self):
        self.assertEqual(
            list(Action.objects.order_by("pk").values_list("title", "status", "version")),
            [
                ("Council B's own action", "not_started", 1),
                ("Council A's action", "not_started", 1),
            ],
        )
        self.assertFalse(DismissedSuggestion.objects.exists())

    def test_the_lead_reaches_every_route(self):
        self.client.force_login(self.bob)
        urls = self.urls(self.response_a, self.action_a)
        for name in READ_ROUTES + WRITE_PAGES + ACTION_PAGES:
            with self.subTest(name=name):
                self.assertEqual(self.client.get(urls[name]).status_code, 200)

    def test_a_contributor_reads_the_plan_only_once_the_response_is_submitted(self):
        # Its suggestions quote the agreed answers, which contributors do not see in draft.
        self.client.force_login(self.alice)
        urls = self.urls(self.response_a, self.action_a)
        for name in READ_ROUTES:
            with self.subTest(name=name, state="draft"):
                self.assertEqual(self.client.get(urls[name]).status_code, 403)
        Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.SUBMITTED)
        for name in READ_ROUTES:
            with self.subTest(name=name, state="submitted"):
                self.assertEqual(self.client.get(urls[name]).status_code, 200)

    def test_members_and_the_national_team_read_but_do_not_write(self):
        for user in [self.victor, self.nina, self.erin]:
            self.client.force_login(user)
            urls = self.urls(self.response_a, self.action_a)
            for name in READ_ROUTES:
                with self.subTest(user=user.email, name=name):
                    self.assertEqual(self.client.get(urls[name]).status_code, 200)
            for name in WRITE_PAGES + ACTION_PAGES:
                for method in ["get", "post"]:
                    with self.subTest(user=user.email, name=name, method=method):
                        self.assertEqual(self.status(method, urls[name]), 403)
            for name in WRITE_POSTS + ACTION_POSTS:
                with self.subTest(user=user.email, name=name):
                    self.assertEqual(self.status("post", urls[name]), 403)
        self.assert_unchanged()

    def test_the_page_offers_changes_only_to_the_lead(self):
        self.client.force_login(self.victor)
        r = self.client.get(reverse("plans:plan", args=[self.response_a.pk]))
        self.assertContains(r, "Only your organisation's lead can change it.")
        self.assertNotContains(r, reverse("plans:new", args=[self.response_a.pk]))
        self.assertNotContains(
            r, reverse("plans:edit", args=[self.response_a.pk, self.action_a.pk])
        )
        self.client.force_login(self.bob)
        r = self.client.get(reverse("plans:plan", args=[self.response_a.pk]))
        self.assertNotContains(r, "Only your organisation's lead can change it.")
        self.assertContains(r, reverse("plans:edit", args=[self.response_a.pk, self.action_a.pk]))

    def test_everyone_else_gets_404_as_for_a_missing_id(self):
        Response.objects.filter(pk=self.response_a.pk).update(consent_regional_sharing=True)
        outsider = make_user("lead-b2", "Another Lead", Role.LEAD, organisation=self.council_b)
        for user in [self.charlie, self.dana, self.zoe, outsider]:
            self.client.force_login(user)
            urls = self.urls(self.response_a, self.action_a)
            for name, url in urls.items():
                for method in ["get", "post"]:
                    with self.subTest(user=user.email, name=name, method=method):
                        status = self.status(method, url)
                        self.assertIn(status, (404, 405))
                        missing = url.replace(f"/{self.response_a.pk}/", "/987654321/", 1)
                        self.assertEqual(self.status(method, missing), status)
        self.assert_unchanged()

    def test_signed_out_visitors_are_sent_to_sign_in(self):
        for name, url in self.urls(self.response_a, self.action_a).items():
            with self.subTest(name=name):
                r = self.client.get(url)
                self.assertEqual(r.status_code, 302)
                self.assertTrue(r.url.startswith(reverse("accounts:sign_in")))

    def test_changes_need_a_post(self):
        """CSRF and no state change on GET: the write routes refuse GET."""
        self.client.force_login(self.bob)
        urls = self.urls(self.response_a, self.action_a)
        for name in WRITE_POSTS + ACTION_POSTS:
            with self.subTest(name=name):
                self.assertEqual(self.client.get(urls[name]).status_code, 405)
        self.assert_unchanged()

    def test_a_lead_of_two_councils_edits_each_plan_in_its_own_right(self):
        from diagnostic.accounts.models import Membership

        Membership.objects.create(user=self.victor, role=Role.LEAD, organisation=self.council_b)
        self.client.force_login(self.victor)
        b = self.urls(self.response_b, self.action_b)
        a = self.urls(self.response_a, self.action_a)
        self.assertEqual(self.client.get(b["plans:edit"]).status_code, 200)
        self.assertEqual(self.client.get(a["plans:edit"]).status_code, 403)  # a viewer in A
