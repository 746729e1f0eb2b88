"""The relationship broker in a browser: axe-core on the suggestions, an introduction at each
stage (proposed, accepted with contacts, outcome, declined), the disclosure choice, the plan,
the cluster/region coverage view and the broker dashboard."""

from __future__ import annotations

from diagnostic.accounts.models import Role
from diagnostic.assessments.testing import create_open_round
from diagnostic.broker import services
from diagnostic.broker.models import Introduction, Outcome
from diagnostic.broker.testing import STRONG, choose, need, run_queued_tasks, submit_with
from diagnostic.browser_tests.base import BrowserTestCase
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.organisations.models import Organisation
from diagnostic.testing import make_user


class BrokerPagesTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        framework = load_framework_file(NPS_2018).version
        self.council_c = Organisation.objects.create(
            gss_code="E07000105", name="Council C District Council", short_name="Council C",
            type="non_metropolitan_district", region=self.south_east, nation="England",
        )  # fmt: skip
        self.cleo = make_user("cleo", "Cleo Grant", Role.LEAD, organisation=self.council_c)
        self.round, (self.response_a, self.response_b, self.response_c) = create_open_round(
            framework, [self.council_a, self.council_b, self.council_c]
        )
        codes = list(framework.valuecodes.all())
        submit_with(self.response_a, {"MCR2": STRONG, "OSV1": need()}, codes)
        submit_with(self.response_b, {"MCR2": need(support=True), "OSV1": STRONG}, codes)
        submit_with(self.response_c, {"MCR2": need(3, 4, "low"), "OSV1": STRONG}, codes)
        for org in (self.council_a, self.council_b, self.council_c):
            choose(self.round, org)

    def test_a_lead_asks_for_an_introduction_and_the_other_accepts(self):
        page = self.page
        self.sign_in(page, self.bob)
        self.visit(page, f"/responses/{self.response_a.pk}/partners/")
        self.assertIn(
            "Council A is Leader in MCR2 where Council B is Developing and wants support",
            page.locator(f"#partner-{self.council_b.pk}").inner_text(),
        )
        self.assert_accessible(page, "the suggestions")
        page.get_by_role("button", name="Ask for an introduction to Council B").click()
        page.wait_for_selector("#intro-status")
        self.assertEqual(page.locator("#intro-status").inner_text(), "Waiting for answers")
        self.assertIn(
            "only once both councils have accepted", page.locator("#no-contact").inner_text()
        )
        self.assert_accessible(page, "an introduction waiting for the other council")
        intro = Introduction.objects.get()

        other = self.new_page()
        self.sign_in(other, self.charlie)
        self.visit(other, f"/introductions/{intro.pk}/")
        self.assertEqual(other.locator("#contact").count(), 0)
        self.assert_accessible(other, "an introduction to answer")
        other.get_by_label("Accept: share our contact details once they accept too").check()
        other.get_by_role("button", name="Send your answer").click()
        other.wait_for_selector("#contact")
        self.assertIn("bob@example.org", other.locator("#contact").inner_text())
        self.assert_accessible(other, "an accepted introduction with contact details")
        other.get_by_role("link", name="Tell us what came of it").click()
        other.get_by_role("button", name="Save").click()
        other.wait_for_selector(".error-summary")
        self.assert_accessible(other, "the outcome form with an error")
        other.get_by_label("We met").check()
        other.get_by_label("MCR2", exact=False).first.check()
        other.get_by_role("button", name="Save").click()
        other.wait_for_selector("#outcome")
        self.assertEqual(Outcome.objects.get().met, True)
        self.assert_accessible(other, "an introduction with an outcome")
        self.assertEqual(page.csp_errors + other.csp_errors, [])

    def test_a_declined_introduction_and_the_disclosure_choice(self):
        intro = services.do_propose(
            rnd=self.round, a=self.council_a, b=self.council_c, by=self.erin
        )
        services.do_answer(
            introduction=intro,
            organisation=self.council_c,
            accept=False,
            note="Not now",
            by=self.cleo,
        )
        page = self.page
        self.sign_in(page, self.erin)
        self.visit(page, f"/introductions/{intro.pk}/")
        self.assertEqual(page.locator("#intro-status").inner_text(), "Declined")
        self.assert_accessible(page, "a declined introduction, as the national team sees it")
        other = self.new_page()
        self.sign_in(other, self.bob)
        self.visit(other, f"/responses/{self.response_a.pk}/partners/who-can-see-us/")
        self.assert_accessible(other, "the disclosure choice")
        other.get_by_label("Not at all").check()
        other.get_by_role("button", name="Save").click()
        other.wait_for_selector("#disclosure-summary")
        self.assertIn("Not at all", other.locator("#disclosure-summary").inner_text())
        self.assert_accessible(other, "the suggestions after choosing not at all")

    def test_the_plan_coverage_and_dashboard(self):
        page = self.page
        self.sign_in(page, self.erin)
        self.visit(page, f"/rounds/{self.round.pk}/broker/plan/")
        self.assert_accessible(page, "the plan form")
        page.get_by_label("Introductions per council, at most").select_option("2")
        page.get_by_role("button", name="Work out the plan").click()
        # Worked out in the background (docs/decisions/0033): first the run waits for the worker.
        page.wait_for_selector("progress")
        self.assertEqual(page.locator("#plan-summary").inner_text(), "Waiting to start")
        self.assert_accessible(page, "a plan waiting for the worker")
        run_queued_tasks()
        page.wait_for_selector("#plan", timeout=10_000)  # the page polls every 2 s
        self.assertIn("2 introductions", page.locator("#plan-summary").inner_text())
        self.assert_accessible(page, "the plan")
        page.get_by_role("button", name="Propose introducing Council A and Council B").click()
        page.wait_for_selector("#intro-status")
        self.visit(page, f"/rounds/{self.round.pk}/broker/coverage/?capacity=1&region=E12000008")
        self.assertIn("Council B, Council C", page.locator("#vc-MCR2").inner_text())
        self.assert_accessible(page, "the coverage of a region")
        self.visit(page, f"/rounds/{self.round.pk}/broker/dashboard/")
        self.assert_accessible(page, "the broker dashboard")
        self.assertEqual(page.csp_errors, [])
