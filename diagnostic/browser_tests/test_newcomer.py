"""What a newcomer tripped over (issue 15), in a real browser: the skip link lands on the
question, the questionnaire's contents fold on a phone and open on a desktop, the consolidation
page works through one value code at a time, and htmx updates raise no CSP error."""

from __future__ import annotations

import pytest

from diagnostic.assessments.testing import create_open_round
from diagnostic.browser_tests.base import DESKTOP, BrowserTestCase
from diagnostic.consolidation.testing import make_assignment, make_view
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


class QuestionnaireFirstTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.framework = load_framework_file(NPS_2018).version
        _, (self.response,) = create_open_round(self.framework, [self.council_a])
        self.area = f"/responses/{self.response.pk}/areas/EC/"

    def test_the_skip_link_lands_on_the_question_not_the_contents(self):
        page = self.page
        self.sign_in(page, self.bob)
        self.visit(page, self.area)
        page.keyboard.press("Tab")
        self.assertEqual(
            page.evaluate("document.activeElement.textContent"), "Skip to main content"
        )
        page.keyboard.press("Enter")
        page.wait_for_function("document.activeElement && document.activeElement.id === 'content'")
        # The next Tab goes into the question's column, not the 13 contents links.
        page.keyboard.press("Tab")
        inside = page.evaluate(
            "!!document.activeElement.closest('#content') && !document.activeElement.closest('.contents')"
        )
        self.assertTrue(inside)
        self.assert_accessible(page, "Questionnaire after the skip link")

    def test_on_a_phone_the_question_comes_first_and_the_contents_fold(self):
        page = self.new_page(PHONE)
        self.sign_in(page, self.bob)
        self.visit(page, self.area)
        self.assertFalse(page.locator(".contents details").evaluate("d => d.open"))
        # The key area's heading is on the first screen, the contents folded in one line
        # above it.
        top = page.locator("h1").bounding_box()["y"]
        self.assertLess(top, PHONE["height"] * 0.7, "the key area is below the first screen")
        page.locator(".contents summary").click()
        self.assertTrue(page.locator(".contents details").evaluate("d => d.open"))
        self.assert_accessible(page, "Questionnaire on a phone, contents open")

    def test_on_a_desktop_the_contents_are_open(self):
        page = self.new_page(DESKTOP)
        self.sign_in(page, self.bob)
        self.visit(page, self.area)
        self.assertTrue(page.locator(".contents details").evaluate("d => d.open"))
        self.assertTrue(page.get_by_role("link", name="Engaging senior managers").is_visible())


class ConsolidationOneAtATimeTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.framework = load_framework_file(NPS_2018).version
        _, (self.response,) = create_open_round(self.framework, [self.council_a])
        a = make_assignment(self.response, self.alice, by=self.bob)
        b = make_assignment(self.response, email="carol@example.org", name="Carol", by=self.bob)
        for code, (x, y) in {"EC1": (1, 4), "EC2": (2, 2), "EC3": (3, 5)}.items():
            make_view(a, code, x)
            make_view(b, code, y)

    def test_the_lead_works_through_value_codes_one_at_a_time(self):
        page = self.page
        self.sign_in(page, self.bob)
        self.visit(page, f"/responses/{self.response.pk}/consolidation/?open=1")
        self.assertEqual(page.locator("section.value-code").count(), 1)
        self.assertIn("EC1", page.locator("section.value-code h3").inner_text())
        self.assertIn(
            "The median, 2.5, falls between 1 and 4: the lower of the two is suggested.",
            page.locator("#vc-EC1").inner_text(),
        )
        page.locator("#adopt-EC1-suggested").click()
        page.locator("#vc-EC1 .notice--success").wait_for()
        self.assertIn("EC2", page.locator("a[rel=next]").first.inner_text())
        page.locator("a[rel=next]").first.click()
        page.locator("#vc-EC3").wait_for()  # EC1 is decided, so the second waiting is EC3
        self.assert_accessible(page, "Consolidation, one value code at a time")
        self.assertLessEqual(page.evaluate("document.documentElement.scrollHeight"), 4000)
        self.assertEqual(page.csp_errors, [])
