"""A council's lead answers, saves, recovers from problems and submits, in a real browser.

Bob (lead of Council A) goes through the questionnaire: axe-core on every page in each state,
autosave, a conflict with another lead, edits made offline, a keyboard-only run from signing in
to submitting, and the plain Save button without JavaScript. Victor (viewer) reads it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from diagnostic.accounts.models import Role
from diagnostic.assessments import services
from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import create_open_round
from diagnostic.browser_tests.base import MOBILE, TIMEOUT_MS, BrowserTestCase
from diagnostic.browser_tests.test_keyboard import FOCUS_YELLOW, FOCUSED_JS, MAX_TABS
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.testing import PASSWORD, make_user

pytestmark = pytest.mark.browser

SAVED = re.compile(r"^Saved \d")
# The edits autosave.js keeps on this device until they are saved, by value code.
PENDING_JS = "JSON.parse(localStorage.getItem('nps-unsaved:' + location.pathname) || '{}')"


def expect(locator):
    """Playwright's web-first assertions, waiting as long as the other browser steps."""
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=TIMEOUT_MS)
    return playwright_expect(locator)


class AssessmentJourneyTestCase(BrowserTestCase):
    """The shipped framework, an open round, and a draft response for Council A and B."""

    def setUp(self):
        super().setUp()
        self.framework = load_framework_file(NPS_2018).version
        self.round, (self.response_a, self.response_b) = create_open_round(
            self.framework, [self.council_a, self.council_b]
        )
        self.codes = list(self.framework.valuecodes.order_by("position"))

    # --- Paths ------------------------------------------------------------------------------
    @property
    def home_path(self) -> str:
        return f"/responses/{self.response_a.pk}/"

    def area_path(self, area: str = "EC") -> str:
        return f"/responses/{self.response_a.pk}/areas/{area}/"

    @property
    def details_path(self) -> str:
        return f"/responses/{self.response_a.pk}/details/"

    @property
    def submit_path(self) -> str:
        return f"/responses/{self.response_a.pk}/submit/"

    # --- Data behind the pages --------------------------------------------------------------
    def answer(self, code: str) -> Answer | None:
        return Answer.objects.filter(response=self.response_a, value_code__code=code).first()

    def fill_answers(self, *, skip: set[str] = frozenset(), only: set[str] | None = None):
        """Complete answers for Council A, as if Bob had saved them, straight into the database."""
        now = timezone.now()
        Answer.objects.bulk_create(
            Answer(
                response=self.response_a, value_code=vc, current_level=3, target_level=4,
                priority="medium", comment="Filled in for the test.", version=1,
                updated_at=now, updated_by=self.bob,
            )
            for vc in self.codes
            if vc.code not in skip and (only is None or vc.code in only)
        )  # fmt: skip
        Response.objects.filter(pk=self.response_a.pk).update(
            answered_count=Answer.objects.filter(
                response=self.response_a, current_level__isnull=False
            ).count(),
            started_at=now,
            last_activity_at=now,
        )

    def fill_details(self, **fields):
        values = {
            "officer_name": "Pat Lee",
            "officer_email": "pat.lee@example.org",
            "signed_off_name": "Sam Roe",
            "signed_off_role": "Director of Resources",
            "signed_off_on": timezone.localdate() - dt.timedelta(days=1),
        }
        values.update(fields)
        Response.objects.filter(pk=self.response_a.pk).update(**values)

    def make_second_lead(self):
        return make_user("lena", "Lena Ward", Role.LEAD, organisation=self.council_a)

    # --- Pages ------------------------------------------------------------------------------
    def assert_saved(self, page, code: str) -> None:
        expect(page.locator(f"#status-{code}")).to_have_text(SAVED)

    def no_js_page(self):
        """A page in a browser with JavaScript turned off, signed in as Bob."""
        page = self.new_page(java_script_enabled=False)
        self.sign_in(page, self.bob)
        return page

    def assert_accessible_as_served(self, html: str, url: str, name: str) -> None:
        """axe-core runs inside the page, so it cannot run where JavaScript is off. Check the
        HTML a browser without JavaScript was served instead: shown at the same address, with
        the site's own scripts blocked so the page stays exactly as that browser showed it."""
        page = self.new_page()
        page.route(re.compile(r"\.js(\?|$)"), lambda route: route.abort())
        page.route(
            url,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html
            ),
        )
        page.goto(url)
        self.assert_accessible(page, name)

    def assert_no_sideways_scrolling(self, page, name: str) -> None:
        width = page.viewport_size["width"]
        self.assertLessEqual(
            page.evaluate("document.documentElement.scrollWidth"),
            width,
            f"{name} scrolls sideways at {width}px",
        )


class AssessmentPagesAccessibilityTests(AssessmentJourneyTestCase):
    def test_every_page_of_the_lead_s_journey_in_each_state(self):
        page = self.page
        self.sign_in(page, self.bob)

        self.visit(page, self.home_path)
        expect(page.locator("main")).to_contain_text(f"0 of {len(self.codes)} value codes answered")
        self.assert_accessible(page, "Response home, nothing answered")
        self.visit(page, self.area_path())
        self.assert_accessible(page, "Questionnaire, nothing answered")
        self.visit(page, self.details_path)
        self.assert_accessible(page, "About this response, empty")
        self.visit(page, self.submit_path)
        expect(page.locator(".error-summary")).to_contain_text(
            f"{len(self.codes) + 4} things to finish before you can submit"
        )
        self.assert_accessible(page, "Check and submit, nothing answered")

        self.fill_answers(only={"EC1", "EC2", "ESM1"})
        self.visit(page, self.home_path)
        expect(page.locator("main")).to_contain_text(f"3 of {len(self.codes)} value codes answered")
        self.assert_accessible(page, "Response home, part answered")
        self.visit(page, self.area_path())
        expect(page.locator("#EC1-current-3")).to_be_checked()
        self.assert_saved(page, "EC1")
        self.assert_accessible(page, "Questionnaire, part answered")

        # The details page with errors: a bad email and a sign-off date in the future.
        self.visit(page, self.details_path)
        page.get_by_label("Responsible officer's email").fill("not an email")
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        page.get_by_label("Date of sign-off").fill(tomorrow.isoformat())
        page.get_by_role("button", name="Save").click()
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("Enter a valid email address.")
        expect(summary).to_contain_text("The date of sign-off cannot be in the future.")
        self.assertTrue(page.title().startswith("Error:"), page.title())
        self.assert_accessible(page, "About this response, with errors")

        self.fill_answers(skip={"EC1", "EC2", "ESM1"})
        self.fill_details()
        self.visit(page, self.submit_path)
        submit = page.get_by_role("button", name="Submit Council A's response")
        expect(submit).to_be_visible()
        self.assert_accessible(page, "Check and submit, complete")
        submit.click()
        self.wait_for_path(page, self.home_path)
        expect(page.locator(".notices")).to_contain_text("has been submitted")
        self.assertEqual(Response.objects.get(pk=self.response_a.pk).status, "submitted")
        self.assert_accessible(page, "Response home, submitted")

        self.visit(page, self.area_path())
        expect(page.locator("main")).to_contain_text("It can no longer be changed")
        self.assertEqual(page.get_by_role("button", name=re.compile("^Save")).count(), 0)
        expect(page.locator("#EC1-current-3")).to_be_disabled()
        self.assert_accessible(page, "Questionnaire, submitted (read only)")

    def test_a_viewer_reads_the_questionnaire(self):
        self.fill_answers(only={"EC1"})
        self.sign_in(self.page, self.victor)
        self.visit(self.page, self.area_path())
        expect(self.page.locator("main")).to_contain_text("You can read this response")
        expect(self.page.locator("#EC1-current-3")).to_be_checked()
        expect(self.page.locator("#EC1-current-3")).to_be_disabled()
        expect(self.page.locator("#id_EC1-comment")).to_be_disabled()
        self.assertEqual(self.page.get_by_role("button", name=re.compile("^Save")).count(), 0)
        self.assert_accessible(self.page, "Questionnaire for a viewer (read only)")

    def test_the_questionnaire_on_a_phone(self):
        page = self.page
        page.set_viewport_size(MOBILE)
        self.sign_in(page, self.bob)
        self.visit(page, self.area_path())
        self.assert_no_sideways_scrolling(page, "The questionnaire")
        self.assert_accessible(page, "Questionnaire on a phone, nothing answered")
        self.fill_answers(only={"EC1", "EC2"})
        self.visit(page, self.area_path())
        self.assert_no_sideways_scrolling(page, "The questionnaire, part answered")
        self.assert_accessible(page, "Questionnaire on a phone, part answered")
        # Another lead changes EC3 meanwhile: the conflict's table fits the phone too.
        services.do_save_answer(
            response=self.response_a, value_code=self.codes[2], by=self.make_second_lead(),
            expected_version=0, current_level=2, priority="low",
            comment="Checked against the constitution and the scheme of delegation in 2024.",
        )  # fmt: skip
        page.locator("label[for=EC3-current-4]").click()
        expect(page.locator("#conflict-EC3")).to_contain_text("Someone else changed EC3")
        self.assert_no_sideways_scrolling(page, "The questionnaire with a conflict")
        self.assert_accessible(page, "Questionnaire on a phone with a conflict")

    def test_a_validation_error_shown_without_javascript(self):
        page = self.no_js_page()
        self.visit(page, self.area_path())
        page.locator("#EC1-current-4").check()
        page.get_by_label("Where do you aim to be?").first.select_option("2")
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.get_by_role("button", name="Save EC1").click()
        self.assertEqual(posted.value.status, 422)
        html = posted.value.text()
        self.assertTrue(page.title().startswith("Error:"), page.title())
        summary = page.locator("#vc-EC1 .error-summary")
        expect(summary).to_contain_text("There is a problem with EC1")
        expect(summary).to_contain_text("The target cannot be below where you are now.")
        # What was entered is kept, for the person to correct; the error is read with the field,
        # and the summary's link takes them there.
        expect(page.locator("#EC1-current-4")).to_be_checked()
        target = page.locator("#id_EC1-target_level")
        expect(target).to_have_value("2")
        expect(target).to_have_accessible_description(
            "Error: The target cannot be below where you are now."
        )
        summary.get_by_role("link", name="The target cannot be below where you are now.").click()
        expect(target).to_be_focused()
        self.assertIsNone(self.answer("EC1"))
        self.assert_accessible_as_served(html, page.url, "Questionnaire with an error (no JS)")


class AutosaveTests(AssessmentJourneyTestCase):
    def test_choosing_a_level_and_typing_a_comment_are_saved_as_you_go(self):
        page = self.page
        self.sign_in(page, self.bob)
        self.visit(page, self.area_path())
        status = page.locator("#status-EC1")
        expect(status).to_have_text("")

        page.evaluate("window.statusOnLoad = document.getElementById('status-EC1')")
        page.locator("label[for=EC1-current-2]").click()
        self.assert_saved(page, "EC1")
        expect(status).to_have_class("save-status save-status--saved")
        # The status is a live region: screen readers announce a change to its text, but not
        # a new element put in its place.
        self.assertTrue(
            page.evaluate("window.statusOnLoad === document.getElementById('status-EC1')"),
            "The save status was replaced rather than updated",
        )
        answer = self.answer("EC1")
        self.assertEqual(
            (answer.current_level, answer.version, answer.updated_by), (2, 1, self.bob)
        )

        comment = page.get_by_label("Evidence and next steps").first
        with page.expect_response(lambda r: "/answers/EC1/" in r.url) as saved:
            comment.press_sequentially("Members briefed quarterly", delay=10)
            # Typing is not saved key by key: only after a pause.
            self.assertEqual(self.answer("EC1").comment, "")
        self.assertEqual(saved.value.status, 200)
        self.assert_saved(page, "EC1")
        answer = self.answer("EC1")
        self.assertEqual(
            (answer.comment, answer.current_level, answer.version),
            ("Members briefed quarterly", 2, 2),
        )
        # The form is not redrawn: the person keeps typing where they were.
        expect(comment).to_be_focused()
        self.assert_accessible(page, "Questionnaire after autosaves")

    def test_a_change_made_meanwhile_is_shown_as_a_conflict_and_can_be_overwritten(self):
        page = self.page
        lena = self.make_second_lead()
        self.sign_in(page, self.bob)
        self.visit(page, self.area_path())
        # Lena saves EC1 after Bob opened the page.
        services.do_save_answer(
            response=self.response_a, value_code=self.codes[0], by=lena, expected_version=0,
            current_level=2, target_level=3, priority="low", comment="Lena's view",
        )  # fmt: skip

        page.locator("label[for=EC1-current-4]").click()
        conflict = page.locator("#conflict-EC1")
        expect(conflict).to_contain_text("Someone else changed EC1 while you were editing")
        expect(page.locator("#status-EC1")).to_have_text("Not saved: someone else changed this")
        rows = {
            row.locator("th").inner_text(): [td.inner_text() for td in row.locator("td").all()]
            for row in conflict.locator("tbody tr").all()
        }
        self.assertEqual(rows["Current level"], ["2", "4"])
        self.assertEqual(rows["Comment"], ["Lena's view", "–"])
        self.assertEqual(rows["Priority"], ["Low", "–"])
        self.assertIn("Saved by Lena Ward", conflict.locator("thead").inner_text())
        answer = self.answer("EC1")
        self.assertEqual(
            (answer.current_level, answer.comment, answer.version), (2, "Lena's view", 1)
        )
        self.assert_accessible(page, "Questionnaire with a conflict")

        # Saving again is a deliberate overwrite of Lena's answer.
        page.get_by_role("button", name="Save EC1").click()
        self.assert_saved(page, "EC1")
        expect(conflict).to_be_empty()
        answer = self.answer("EC1")
        self.assertEqual(
            (answer.current_level, answer.comment, answer.version, answer.updated_by),
            (4, "", 2, self.bob),
        )

    def test_edits_made_offline_are_saved_when_the_connection_returns(self):
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        page = self.new_page()
        self.sign_in(page, self.bob)
        self.visit(page, self.area_path())
        page.context.set_offline(True)
        self.addCleanup(page.context.set_offline, False)

        page.locator("label[for=EC1-current-3]").click()
        page.locator("label[for=EC2-current-1]").click()
        page.locator("#id_EC2-priority").select_option("high")
        for code in ("EC1", "EC2"):
            expect(page.locator(f"#status-{code}")).to_have_text(
                "Not saved: offline. Kept on this page."
            )
        banner = page.locator("#offline-banner")
        expect(banner).to_contain_text("You are offline")
        self.assertIsNone(self.answer("EC1"))
        self.assertIsNone(self.answer("EC2"))
        self.assert_accessible(page, "Questionnaire offline with unsaved changes")

        self.assertEqual(sorted(page.evaluate(PENDING_JS)), ["EC1", "EC2"])

        page.evaluate("addEventListener('online', () => { window.sawOnline = true; })")
        page.context.set_offline(False)
        try:
            page.wait_for_function("window.sawOnline", timeout=2000)
        except PlaywrightTimeoutError:
            # Chromium fires `online` when the connection returns; should it ever not, do.
            page.evaluate("window.dispatchEvent(new Event('online'))")
        for code in ("EC1", "EC2"):
            self.assert_saved(page, code)
        expect(banner).to_have_count(0)
        self.assertEqual(self.answer("EC1").current_level, 3)
        self.assertEqual(
            (self.answer("EC2").current_level, self.answer("EC2").priority), (1, "high")
        )
        self.assertEqual(page.evaluate(PENDING_JS), {})

    def test_edits_left_unsaved_when_the_page_is_reloaded_are_restored_and_sent(self):
        page = self.new_page()
        self.sign_in(page, self.bob)
        self.visit(page, self.area_path())
        # The connection drops every save, as a flaky network would.
        page.route("**/answers/**", lambda route: route.abort("internetdisconnected"))
        page.locator("label[for=EC1-current-5]").click()
        page.get_by_label("Evidence and next steps").nth(1).fill("Written on the train")
        page.locator("#id_EC2-priority").select_option("low")
        for code in ("EC1", "EC2"):
            expect(page.locator(f"#status-{code}")).to_have_text(
                "Not saved: offline. Kept on this page."
            )
        self.assertIsNone(self.answer("EC1"))

        # The connection is back, and the page is reloaded before anything was resent.
        page.unroute("**/answers/**")
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
        page.reload()
        # The page warned that leaving it would lose the unsaved edits.
        self.assertEqual(dialogs, ["beforeunload"])
        for code in ("EC1", "EC2"):
            self.assert_saved(page, code)
        expect(page.locator("#EC1-current-5")).to_be_checked()
        expect(page.locator("#id_EC2-comment")).to_have_value("Written on the train")
        self.assertEqual(self.answer("EC1").current_level, 5)
        ec2 = self.answer("EC2")
        self.assertEqual((ec2.comment, ec2.priority), ("Written on the train", "low"))

    def test_without_javascript_the_save_button_saves_and_returns_to_the_item(self):
        page = self.no_js_page()
        self.visit(page, self.area_path("ESM"))
        item = page.locator("#vc-ESM2")
        item.locator("label[for=ESM2-current-3]").click()
        item.get_by_label("Where do you aim to be?").select_option("4")
        item.get_by_label("Priority").select_option("medium")
        item.get_by_label("Evidence and next steps").fill("Spend analysis done yearly.")
        item.get_by_label("We would welcome support here").check()
        item.get_by_role("button", name="Save ESM2").click()
        page.wait_for_url(re.compile(rf"{re.escape(self.area_path('ESM'))}#vc-ESM2$"))
        expect(page.locator(".notice--success")).to_contain_text("Saved ESM2")
        answer = self.answer("ESM2")
        self.assertEqual(
            (answer.current_level, answer.target_level, answer.priority, answer.comment,
             answer.want_support, answer.could_share, answer.version),
            (3, 4, "medium", "Spend analysis done yearly.", True, False, 1),
        )  # fmt: skip
        # The page shows the saved answer, and a second save from it is not a conflict.
        expect(item.locator("#ESM2-current-3")).to_be_checked()
        expect(page.locator("#status-ESM2")).to_contain_text("Saved")
        item.get_by_label("Priority").select_option("high")
        item.get_by_role("button", name="Save ESM2").click()
        expect(page.locator(".notice--success")).to_contain_text("Saved ESM2")
        self.assertEqual((self.answer("ESM2").priority, self.answer("ESM2").version), ("high", 2))

    def test_without_javascript_a_conflict_keeps_your_change_to_save_again(self):
        page = self.no_js_page()
        self.visit(page, self.area_path())
        services.do_save_answer(
            response=self.response_a, value_code=self.codes[0], by=self.make_second_lead(),
            expected_version=0, current_level=2, target_level=3, priority="low",
            comment="Lena's view",
        )  # fmt: skip
        item = page.locator("#vc-EC1")
        item.locator("label[for=EC1-current-4]").click()
        item.get_by_label("Where do you aim to be?").select_option("5")
        item.get_by_label("Priority").select_option("high")
        item.get_by_label("Evidence and next steps").fill("Bob's view")
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            item.get_by_role("button", name="Save EC1").click()
        self.assertEqual(posted.value.status, 409)
        conflict = item.locator(".conflict")
        expect(conflict).to_contain_text("Someone else changed EC1 while you were editing")
        rows = {
            row.locator("th").inner_text(): [td.inner_text() for td in row.locator("td").all()]
            for row in conflict.locator("tbody tr").all()
        }
        self.assertEqual(rows["Current level"], ["2", "4"])
        self.assertEqual(rows["Priority"], ["Low", "High"])
        self.assertEqual(rows["Comment"], ["Lena's view", "Bob's view"])
        self.assertEqual(self.answer("EC1").comment, "Lena's view")
        # The form still holds Bob's change, so Save replaces Lena's answer as the panel says.
        expect(item.locator("#EC1-current-4")).to_be_checked()
        expect(item.get_by_label("Evidence and next steps")).to_have_value("Bob's view")
        self.assert_accessible_as_served(
            posted.value.text(), page.url, "Questionnaire with a conflict (no JS)"
        )
        item.get_by_role("button", name="Save EC1").click()
        expect(page.locator(".notice--success")).to_contain_text("Saved EC1")
        answer = self.answer("EC1")
        self.assertEqual(
            (answer.current_level, answer.target_level, answer.priority, answer.comment,
             answer.version, answer.updated_by),
            (4, 5, "high", "Bob's view", 2, self.bob),
        )  # fmt: skip


class KeyboardAssessmentJourneyTests(AssessmentJourneyTestCase):
    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUSED_JS)

    def tab_to(self, describe: str, matches, *, backwards: bool = False) -> dict:
        """Press Tab (or Shift+Tab) until the focused element matches; fail if never reached."""
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            el = self.focused()
            if el and matches(el):
                return el
        self.fail(f"Could not reach {describe} with the Tab key from {self.page.url}")

    def assert_focus_visible(self, el: dict) -> None:
        self.assertTrue(
            el["background"] == FOCUS_YELLOW or not el["outline"].startswith("none"),
            f"No visible focus indicator on {el}",
        )

    def answer_with_keyboard(self, code: str) -> None:
        """From just before the item: level 3 with the arrow keys, target 4, priority high."""
        keyboard = self.page.keyboard
        el = self.tab_to(f"{code}'s levels", lambda el: el["name"] == f"{code}-current_level")
        self.assertEqual(el["id"], f"{code}-current-1")
        self.assert_focus_visible(el)
        keyboard.press("ArrowDown")
        keyboard.press("ArrowDown")
        self.assertEqual(self.focused()["id"], f"{code}-current-3")
        expect(self.page.locator(f"#{code}-current-3")).to_be_checked()
        keyboard.press("Tab")
        el = self.focused()
        self.assertEqual(el["id"], f"id_{code}-target_level")
        self.assert_focus_visible(el)
        for _ in range(4):
            keyboard.press("ArrowDown")
        self.assertEqual(self.page.input_value(f"#id_{code}-target_level"), "4")
        el = self.tab_to(f"{code}'s priority", lambda el: el["id"] == f"id_{code}-priority")
        # Wait for the save that carries all three choices: an earlier one may still be going.
        final = [f"{code}-current_level=3", f"{code}-target_level=4", f"{code}-priority=high"]
        with self.page.expect_response(
            lambda r: (
                f"/answers/{code}/" in r.url
                and all(field in (r.request.post_data or "") for field in final)
            )
        ) as saved:
            keyboard.press("ArrowDown")
            self.assertEqual(self.page.input_value(f"#id_{code}-priority"), "high")
        self.assertEqual(saved.value.status, 200)
        self.assert_saved(self.page, code)

    def test_from_signing_in_to_submitting_with_the_keyboard_alone(self):
        page = self.page
        keyboard = page.keyboard
        last = self.codes[-1].code

        # Sign in: the email field has focus on arrival.
        self.visit(page, "/sign-in/")
        keyboard.type(self.bob.email)
        keyboard.press("Tab")
        keyboard.type(PASSWORD)
        keyboard.press("Enter")
        # Signing in takes the lead straight to the assessment, and on to its first item.
        self.wait_for_path(page, self.home_path)
        el = self.tab_to("Start the assessment", lambda el: el["text"] == "Start the assessment")
        self.assert_focus_visible(el)
        keyboard.press("Enter")
        page.wait_for_url(re.compile(r"#vc-EC1$"))
        self.answer_with_keyboard("EC1")
        answer = self.answer("EC1")
        self.assertEqual(
            (answer.current_level, answer.target_level, answer.priority), (3, 4, "high")
        )

        # About this response: a mistake in the email, found through the error summary.
        self.tab_to(
            "About this response", lambda el: el["text"] == "About this response", backwards=True
        )
        keyboard.press("Enter")
        self.wait_for_path(page, self.details_path)
        self.tab_to("the officer's name", lambda el: el["id"] == "id_officer_name")
        keyboard.type("Pat Lee")
        self.tab_to("the officer's email", lambda el: el["id"] == "id_officer_email")
        keyboard.type("pat.lee-at-example.org")
        self.tab_to("the sign-off name", lambda el: el["id"] == "id_signed_off_name")
        keyboard.type("Sam Roe")
        keyboard.press("Tab")
        self.assertEqual(self.focused()["id"], "id_signed_off_role")
        keyboard.type("Director of Resources")
        el = self.tab_to("Save", lambda el: el["tag"] == "button" and el["text"] == "Save")
        keyboard.press("Enter")
        expect(page.locator(".error-summary")).to_be_focused()
        self.assertTrue(page.title().startswith("Error:"), page.title())
        keyboard.press("Tab")
        el = self.focused()
        self.assertEqual(el["text"], "Enter a valid email address.")
        self.assert_focus_visible(el)
        keyboard.press("Enter")
        expect(page.locator("#id_officer_email")).to_be_focused()
        keyboard.press("Control+A")
        keyboard.type("pat.lee@example.org")
        keyboard.press("Enter")
        self.wait_for_path(page, self.home_path)
        expect(page.locator(".notice--success")).to_have_text("Details saved.")
        response = Response.objects.get(pk=self.response_a.pk)
        self.assertEqual(
            (response.officer_email, response.signed_off_name), ("pat.lee@example.org", "Sam Roe")
        )

        # Everything else is answered already, but for the very last item.
        self.fill_answers(skip={"EC1", last})
        Response.objects.filter(pk=self.response_a.pk).update(signed_off_on=timezone.localdate())
        self.visit(page, self.home_path)
        self.tab_to(
            "Continue with the next unanswered item",
            lambda el: el["text"] == "Continue with the next unanswered item",
        )
        keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"#vc-{last}$"))
        self.answer_with_keyboard(last)

        # Nothing is left: the next unanswered item is the check page.
        self.tab_to(
            "Go to the next unanswered item",
            lambda el: el["text"] == "Go to the next unanswered item",
        )
        keyboard.press("Enter")
        self.wait_for_path(page, self.submit_path)
        expect(page.locator(".notice--success")).to_have_text("Every value code has an answer.")
        el = self.tab_to("Submit", lambda el: el["text"] == "Submit Council A's response")
        self.assert_focus_visible(el)
        keyboard.press("Enter")
        self.wait_for_path(page, self.home_path)
        expect(page.locator(".notices")).to_contain_text("has been submitted")
        response = Response.objects.get(pk=self.response_a.pk)
        self.assertEqual((response.status, response.submitted_by), ("submitted", self.bob))
