"""Good practice in a real browser: axe-core on the library, a case study, the editor (empty,
with errors, in conflict) and the moderation queue; moderating with the keyboard alone."""

from __future__ import annotations

import pytest

from diagnostic.browser_tests.base import BrowserTestCase
from diagnostic.browser_tests.test_keyboard import FOCUSED_JS, MAX_TABS
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.practice.models import CaseStudy, State, Visibility
from diagnostic.practice.testing import make_case_study

pytestmark = pytest.mark.browser


class PracticePagesTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.version = load_framework_file(NPS_2018).version
        self.published = make_case_study(
            self.council_b, self.version, title="One contract register",
            body="# How\n\n- **one** owner\n- [guide](https://example.org)\n\n<script>alert(1)</script>",
        )  # fmt: skip
        make_case_study(self.council_a, self.version, title="Anonymous one", named=False,
                        visibility=Visibility.COUNCILS)  # fmt: skip
        self.submitted = make_case_study(self.council_a, self.version, title="Waiting for you",
                                         state=State.SUBMITTED)  # fmt: skip

    def test_the_library_public_and_signed_in_with_a_search(self):
        self.visit(self.page, "/good-practice/")
        self.assert_accessible(self.page, "Library, public")
        self.sign_in(self.page, self.bob)
        self.visit(self.page, "/good-practice/?q=owner&sort=relevance")
        self.assertEqual(
            self.page.locator(".case-study-list h2").all_inner_texts(), ["One contract register"]
        )
        self.assert_accessible(self.page, "Library, signed in, searched")

    def test_a_case_study_page(self):
        self.visit(self.page, f"/good-practice/{self.published.pk}/")
        self.assertEqual(self.page.locator("main script").count(), 0)
        self.assert_accessible(self.page, "Case study")

    def test_the_editor_empty_with_errors_and_in_conflict(self):
        page = self.page
        self.sign_in(page, self.bob)
        self.visit(page, "/good-practice/yours/")
        self.assert_accessible(page, "Your council's case studies")
        page.get_by_role("button", name="Write a case study").click()
        page.wait_for_url("**/edit/")
        cs = CaseStudy.objects.get(organisation=self.council_a, state=State.DRAFT)
        self.assert_accessible(page, "Editor, empty")
        # Autosave: type a title and see it saved.
        page.get_by_label("Title", exact=True).fill("Our register")
        page.locator("#status-cs.save-status--saved").wait_for()
        cs.refresh_from_db()
        self.assertEqual(cs.title, "Our register")
        # Errors: submit while incomplete.
        page.get_by_role("button", name="Submit for moderation").click()
        page.locator(".error-summary").first.wait_for()
        self.assertIn(
            "Choose at least one value code.", page.locator(".error-summary").first.inner_text()
        )
        self.assert_accessible(page, "Editor with errors")
        # Conflict: someone else saves first; this page's next save is refused, both shown.
        CaseStudy.objects.filter(pk=cs.pk).update(title="Their title", version=cs.version + 5)
        page.get_by_label("Contact role").fill("Head of procurement")
        page.locator("#conflict-cs table").wait_for()
        self.assertIn("Their title", page.locator("#conflict-cs").inner_text())
        self.assert_accessible(page, "Editor in conflict")
        cs.refresh_from_db()
        self.assertEqual((cs.title, cs.contact_role), ("Their title", ""))

    def test_the_moderation_queue_and_moderating_with_the_keyboard_alone(self):
        page = self.page
        self.sign_in(page, self.dana)
        self.visit(page, "/good-practice/moderation/")
        self.assert_accessible(page, "Moderation queue")
        keyboard = page.keyboard

        def tab_to(matches, what):
            for _ in range(MAX_TABS):
                keyboard.press("Tab")
                el = page.evaluate(FOCUSED_JS)
                if el and matches(el):
                    return el
            self.fail(f"Could not reach {what} with Tab")

        tab_to(
            lambda el: el["tag"] == "a" and el["text"] == "Waiting for you", "the case study link"
        )
        keyboard.press("Enter")
        page.wait_for_url(f"**/good-practice/{self.submitted.pk}/**")
        self.assert_accessible(page, "Case study, for a moderator")
        # Return without a comment: an error, fixed, then returned.
        tab_to(lambda el: el["tag"] == "button" and el["text"].startswith("Return"), "Return")
        keyboard.press("Enter")
        page.locator(".error-summary").wait_for()
        self.assert_accessible(page, "Moderation with an error")
        tab_to(lambda el: el["tag"] == "textarea", "the comment box")
        keyboard.type("Please add the figures.")
        tab_to(lambda el: el["tag"] == "button" and el["text"].startswith("Return"), "Return")
        keyboard.press("Enter")
        page.wait_for_url("**/good-practice/moderation/")
        self.submitted.refresh_from_db()
        self.assertEqual(self.submitted.state, State.RETURNED)
        self.assertEqual(self.submitted.events.last().comment, "Please add the figures.")
