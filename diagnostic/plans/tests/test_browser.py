"""The action plan in a real browser, without JavaScript: axe-core (WCAG 2.2 AA) on each page
in its usual states, no CSP violations, and the lead's journey from suggestion to owner."""

from __future__ import annotations

import pytest

from diagnostic.assessments.testing import create_open_round
from diagnostic.browser_tests.base import MOBILE, BrowserTestCase
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.plans import services
from diagnostic.plans.models import Action
from diagnostic.plans.testing import GAP_ANSWERS, give_answers

pytestmark = pytest.mark.browser


class ActionPlanBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        framework = load_framework_file(NPS_2018).version
        _, (self.response,) = create_open_round(framework, [self.council_a])
        give_answers(self.response, GAP_ANSWERS, framework.valuecodes.all())
        self.url = f"/responses/{self.response.pk}/action-plan/"

    def test_the_lead_accepts_a_suggestion_and_names_its_owner_without_javascript(self):
        page = self.new_page(java_script_enabled=False)
        self.sign_in(page, self.bob)
        self.visit(page, self.url)
        page.get_by_role("button", name="Accept suggestion “Move 2 value codes in 'Engaging councillors'",
                         exact=False).click()  # fmt: skip
        self.wait_for_path(page, self.url)
        self.assertIn("Added to the plan", page.locator(".notice").first.inner_text())
        page.get_by_role("link", name="Edit action 1", exact=False).click()
        page.get_by_role("textbox", name="Owner").fill("Sam Jones, Category Manager")
        page.get_by_role("button", name="Save").click()
        self.wait_for_path(page, self.url)
        self.assertEqual(Action.objects.get().owner, "Sam Jones, Category Manager")
        page.get_by_label("Status of action 1").select_option("in_progress")
        page.get_by_role("button", name="Change status of action 1").click()
        self.wait_for_path(page, self.url)
        self.assertEqual(Action.objects.get().status, "in_progress")
        page.get_by_role(
            "button", name="Dismiss suggestion “Move 'Choosing and using", exact=False
        ).click()
        self.wait_for_path(page, self.url)
        self.assertIn("Dismissed suggestions (1)", page.content())

    def test_each_state_of_the_plan_is_accessible(self):
        # axe-core runs inside the page, so these pages are checked with JavaScript on.
        page = self.page
        self.sign_in(page, self.bob)
        self.visit(page, self.url)
        self.assert_accessible(page, "Action plan with suggestions, no actions")
        action = services.do_accept_suggestion(response=self.response, key="EC1+EC3", by=self.bob)
        services.do_dismiss_suggestion(response=self.response, key="WP2", by=self.bob)
        self.visit(page, self.url)
        page.get_by_text("Dismissed suggestions (1)").click()  # open the list
        self.assert_accessible(page, "Action plan with an action and a dismissed suggestion")
        self.visit(page, f"{self.url}{action.pk}/")
        self.assert_accessible(page, "Edit action")
        self.visit(page, f"{self.url}{action.pk}/delete/")
        self.assert_accessible(page, "Delete an action")
        self.assertEqual(page.csp_errors, [])

    def test_the_form_with_errors_and_a_conflict(self):
        page = self.new_page()
        self.sign_in(page, self.bob)
        self.visit(page, self.url + "new/")
        page.get_by_role("button", name="Add to the plan").click()
        page.wait_for_selector(".error-summary")
        self.assert_accessible(page, "New action with errors")
        action = services.do_create_action(response=self.response, by=self.bob, title="Mine")
        self.visit(page, f"{self.url}{action.pk}/")
        services.do_update_action(action=action, by=self.bob, expected_version=1, owner="Theirs")
        page.get_by_role("textbox", name="Owner").fill("Mine")
        page.get_by_role("button", name="Save").click()
        page.wait_for_selector(".conflict")
        self.assert_accessible(page, "Edit action with a conflict")
        self.assertEqual(page.csp_errors, [])

    def test_a_viewer_on_a_phone(self):
        services.do_accept_suggestion(response=self.response, key="WP2", by=self.bob)
        page = self.new_page(MOBILE)
        self.sign_in(page, self.victor)
        self.visit(page, self.url)
        self.assertIn("Only your organisation's lead can change it", page.content())
        self.assert_accessible(page, "Action plan read by a viewer on a phone")
