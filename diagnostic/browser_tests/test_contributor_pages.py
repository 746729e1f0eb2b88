"""A contributor gives her own views, and the lead asks colleagues, in a real browser.

axe-core runs on each page in each state (empty, part-filled, with an error, a conflict,
shared views, read-only after submission); autosave is checked end to end, and the plain Save
button without JavaScript.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import create_open_round
from diagnostic.browser_tests.base import MOBILE, BrowserTestCase
from diagnostic.browser_tests.test_assessment_journey import expect
from diagnostic.consolidation.models import Assignment, ContributorAnswer
from diagnostic.consolidation.testing import make_assignment, make_view
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file

pytestmark = pytest.mark.browser

SAVED = re.compile(r"^Saved \d")


class ContributorPagesTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        framework = load_framework_file(NPS_2018).version
        _, (self.response,) = create_open_round(framework, [self.council_a])
        self.mine = make_assignment(
            self.response, self.alice, department="Adult Social Care",
            job_role="Commissioning manager", areas=["EC", "ESM"],
        )  # fmt: skip
        self.carol = make_assignment(
            self.response, email="carol@example.org", name="Carol Finch",
            department="Finance", job_role="Head of finance",
        )  # fmt: skip
        make_view(self.carol, "EC1", 4, comment="Finance sees a full contract register.")
        self.path = f"/responses/{self.response.pk}/my-views/"

    def view(self, code: str) -> ContributorAnswer | None:
        return ContributorAnswer.objects.filter(assignment=self.mine, value_code__code=code).first()

    def test_alice_gives_her_views_with_autosave(self):
        page = self.page
        self.sign_in(page, self.alice)
        self.visit(page, self.path)
        self.assert_accessible(page, "the contributor's page, empty")
        # Only what she was asked about, and not Carol's view (sharing is off).
        self.assertEqual(page.locator("#vc-EC1").count(), 1)
        self.assertEqual(page.locator("#vc-PSP1").count(), 0)
        self.assertNotIn("Finance sees a full contract register.", page.content())
        page.locator("#EC1-current-2").check()
        expect(page.locator("#status-EC1")).to_have_text(SAVED)
        self.assertEqual(self.view("EC1").current_level, 2)
        # Typing is saved after a pause, with no button pressed.
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.locator("#vc-EC1 textarea").fill("Social care contracts are not on the register.")
        self.assertEqual(posted.value.status, 200)
        expect(page.locator("#status-EC1")).to_have_text(SAVED)
        self.assertEqual(self.view("EC1").comment, "Social care contracts are not on the register.")
        self.assert_accessible(page, "the contributor's page, part-filled")
        self.assertEqual(page.csp_errors, [])

    def test_an_error_and_a_conflict_are_shown_accessibly(self):
        page = self.page
        self.sign_in(page, self.alice)
        self.visit(page, self.path)
        # A target below where she is now is refused, and says why.
        page.locator("#EC1-current-4").check()
        expect(page.locator("#status-EC1")).to_have_text(SAVED)
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.locator("#vc-EC1 select").first.select_option("2")
        self.assertEqual(posted.value.status, 422)
        expect(page.locator("#status-EC1")).to_contain_text("Not saved")
        self.assert_accessible(page, "the contributor's page with an error")
        # Someone (Alice in another tab) saves EC2 first: this page's save is a conflict.
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.locator("#vc-EC1 select").first.select_option("5")
        self.assertEqual(posted.value.status, 200)
        expect(page.locator("#status-EC1")).to_have_text(SAVED)
        # One value code at a time: on to EC2.
        page.locator("a[rel=next]").first.click()
        page.locator("#vc-EC2").wait_for()
        make_view(self.mine, "EC2", 3, comment="Saved in another tab.")
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.locator("#EC2-current-1").check()
        self.assertEqual(posted.value.status, 409)
        expect(page.locator("#status-EC2")).to_contain_text("Not saved")
        self.assertIn("Saved in another tab.", page.locator("#vc-EC2").inner_text())
        self.assert_accessible(page, "the contributor's page with a conflict")
        self.assertEqual(self.view("EC2").current_level, 3)

    def test_shared_views_and_the_read_only_page_after_submission(self):
        Response.objects.filter(pk=self.response.pk).update(contributors_see_each_other=True)
        page = self.page
        self.sign_in(page, self.alice)
        self.visit(page, self.path)
        self.assertIn("Finance sees a full contract register.", page.content())
        self.assert_accessible(page, "the contributor's page with colleagues' views")
        Response.objects.filter(pk=self.response.pk).update(status=Response.Status.SUBMITTED)
        self.visit(page, self.path)
        self.assertTrue(page.locator("#EC1-current-1").is_disabled())
        self.assertEqual(page.locator("#vc-EC1").get_by_role("button", name="Save").count(), 0)
        self.assert_accessible(page, "the contributor's page after submission")

    def test_without_javascript_the_save_button_works(self):
        page = self.new_page(java_script_enabled=False)
        self.sign_in(page, self.alice)
        self.visit(page, self.path)
        page.locator("#EC1-current-3").check()
        page.locator("#vc-EC1").get_by_role("button", name="Save").click()
        page.wait_for_selector(".notice--success, .messages, [role=status]")
        self.assertEqual(self.view("EC1").current_level, 3)
        # (axe-core needs JavaScript: this page's markup is the one checked above with it.)
        self.assertIn("Saved your view on EC1", page.inner_text("body"))

    def test_on_a_phone(self):
        page = self.new_page(MOBILE)
        self.sign_in(page, self.alice)
        self.visit(page, self.path)
        self.assert_accessible(page, "the contributor's page on a phone")
        self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), 375)

    def test_every_value_code_is_short_and_saves_without_javascript(self):
        """Asked about all 59 value codes, every one's page is under 6,000 px tall at
        1280 px (it was about 78,000 px with everything on one page), and following Next
        without JavaScript reaches each one, whose Save button stores her level."""
        Assignment.objects.filter(pk=self.mine.pk).update(all_value_codes=True)
        self.mine.key_areas.clear()
        page = self.new_page(java_script_enabled=False)
        page.set_viewport_size({"width": 1280, "height": 900})
        self.sign_in(page, self.alice)
        self.visit(page, self.path)
        seen, tallest = [], 0
        while True:
            code = page.locator("section.value-code").get_attribute("id").removeprefix("vc-")
            seen.append(code)
            tallest = max(tallest, page.evaluate("document.documentElement.scrollHeight"))
            page.locator(f"#{code}-current-2").check()
            with page.expect_navigation():
                page.locator(f"#vc-{code}").get_by_role("button", name="Save").click()
            self.assertIn(f"code={code}", page.url)
            self.assertIn(f"Saved your view on {code}", page.inner_text("body"))
            following = page.locator('a[rel="next"]')
            if not following.count():
                break
            with page.expect_navigation():
                following.first.click()
        self.assertEqual(len(seen), 59)
        self.assertEqual(len(set(seen)), 59)
        self.assertLess(tallest, 6000)
        self.assertEqual(
            ContributorAnswer.objects.filter(assignment=self.mine, current_level=2).count(), 59
        )


class LeadContributorsPagesTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        framework = load_framework_file(NPS_2018).version
        _, (self.response,) = create_open_round(framework, [self.council_a])
        self.base = f"/responses/{self.response.pk}/contributors/"

    def test_the_lead_asks_colleagues_and_reminds_them(self):
        page = self.page
        self.sign_in(page, self.bob)
        self.visit(page, self.base)
        self.assert_accessible(page, "the contributors page, nobody asked yet")
        self.visit(page, self.base + "ask/")
        self.assert_accessible(page, "the ask page")
        page.get_by_role("button", name="Ask for their views").click()
        page.locator(".error-summary").wait_for()
        self.assert_accessible(page, "the ask page with errors")
        page.get_by_label("Email address").fill("carol@example.org")
        page.get_by_label("Full name").fill("Carol Finch")
        page.get_by_label("Department").fill("Finance")
        page.get_by_label("Role", exact=True).fill("Head of finance")
        page.get_by_role("button", name="Ask for their views").click()
        self.wait_for_path(page, self.base)
        self.assertIn("Carol Finch", page.locator("table").inner_text())
        self.assertEqual(Assignment.objects.get().email, "carol@example.org")
        self.assertEqual([m.to for m in mail.outbox], [["carol@example.org"]])
        self.assert_accessible(page, "the contributors page with one colleague asked")
        self.visit(page, self.base + "remind/")
        self.assert_accessible(page, "the reminder preview")


class SpreadsheetUploadPagesTests(BrowserTestCase):
    """The lead uploads a spreadsheet: the form, the list of problems, a conflict, the result."""

    def setUp(self):
        super().setUp()
        framework = load_framework_file(NPS_2018).version
        _, (self.response,) = create_open_round(framework, [self.council_a])
        self.upload_path = f"/responses/{self.response.pk}/upload/"

    def download(self, page):
        import io

        from openpyxl import load_workbook

        r = page.request.get(f"/responses/{self.response.pk}/response.xlsx")
        self.assertEqual(r.status, 200)
        return load_workbook(io.BytesIO(r.body()))

    def upload(self, page, wb, name: str):
        import tempfile
        from pathlib import Path

        from diagnostic.consolidation.tests.test_spreadsheet import xlsx

        path = Path(tempfile.mkdtemp()) / name
        path.write_bytes(xlsx(wb))
        self.visit(page, self.upload_path)
        page.locator("input[type=file]").set_input_files(str(path))
        page.get_by_role("button", name="Upload").click()

    def test_problems_conflicts_and_the_result_are_accessible(self):
        from diagnostic.assessments import services
        from diagnostic.consolidation.tests.test_spreadsheet import put
        from diagnostic.frameworks.models import ValueCode

        page = self.page
        self.sign_in(page, self.bob)
        self.visit(page, self.upload_path)
        self.assert_accessible(page, "the upload page")
        # One bad cell among good ones: nothing stored, the cell named.
        wb = self.download(page)
        put(wb, "EC1", "Current level", 3)
        put(wb, "EC2", "Current level", "six")
        self.upload(page, wb, "bad.xlsx")
        page.locator("#problems").wait_for()
        self.assertIn("row 3, column E", page.locator("#problems").inner_text())
        self.assertFalse(Answer.objects.filter(response=self.response).exists())
        self.assert_accessible(page, "the upload page with a problem")
        # A cell changed in the app since the download: a conflict, not overwritten.
        wb = self.download(page)
        put(wb, "EC1", "Current level", 3)
        vc = ValueCode.objects.get(version=self.response.round.framework_version, code="EC1")
        services.do_save_answer(response=self.response, value_code=vc, by=self.bob,
                                expected_version=0, current_level=4)  # fmt: skip
        self.upload(page, wb, "stale.xlsx")
        page.locator("#conflicts").wait_for()
        self.assertEqual(Answer.objects.get(response=self.response).current_level, 4)
        self.assert_accessible(page, "the upload page with a conflict")
        # A good file: stored, and the result page says what changed.
        wb = self.download(page)
        put(wb, "EC2", "Current level", 2)
        self.upload(page, wb, "good.xlsx")
        page.wait_for_selector("h1")
        self.assertEqual(
            Answer.objects.get(response=self.response, value_code__code="EC2").current_level, 2
        )
        self.assert_accessible(page, "the upload result")
