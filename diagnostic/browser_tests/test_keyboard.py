"""The main journey works with a keyboard alone: skip link, sign-in with an error, inviting."""

from __future__ import annotations

import pytest
from django.core import mail

from diagnostic.browser_tests.base import MOBILE, BrowserTestCase
from diagnostic.testing import PASSWORD

pytestmark = pytest.mark.browser

FOCUS_YELLOW = "rgb(255, 221, 0)"
MAX_TABS = 80

FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: el.getAttribute("name") || "",
    cls: el.className || "",
    text: (el.innerText || el.value || "").trim(),
    background: style.backgroundColor,
    outline: style.outlineStyle + " " + style.outlineWidth,
  };
}"""


class KeyboardJourneyTests(BrowserTestCase):
    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUSED_JS)

    def tab_to(self, describe: str, matches) -> dict:
        """Press Tab until the focused element matches; fail if it is never reached."""
        for _ in range(MAX_TABS):
            self.page.keyboard.press("Tab")
            el = self.focused()
            if el and matches(el):
                return el
        self.fail(f"Could not reach {describe} with the Tab key from {self.page.url}")

    def assert_focus_visible(self, el: dict) -> None:
        self.assertTrue(
            el["background"] == FOCUS_YELLOW or not el["outline"].startswith("none"),
            f"No visible focus indicator on {el}",
        )

    def wait_for_focus(self, selector: str) -> None:
        self.page.wait_for_function(
            "(sel) => document.activeElement && document.activeElement.matches(sel)", arg=selector
        )

    def test_skip_link_sign_in_with_a_mistake_then_invite_a_colleague(self):
        page = self.page
        keyboard = page.keyboard

        # The skip link is the first thing Tab reaches; it shows itself and moves focus to main.
        self.visit(page, "/")
        keyboard.press("Tab")
        el = self.focused()
        self.assertEqual(el["text"], "Skip to main content")
        self.assertIn("skip-link", el["cls"])
        box = page.locator(".skip-link").bounding_box()
        viewport = page.viewport_size
        self.assertTrue(
            box and box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0, f"skip link at {box}"
        )
        self.assertLessEqual(box["x"] + box["width"], viewport["width"])
        self.assert_focus_visible(el)
        keyboard.press("Enter")
        self.wait_for_focus("main#main")

        # The next Tab is the first control in main: the Sign in button.
        keyboard.press("Tab")
        el = self.focused()
        self.assertEqual((el["tag"], el["text"]), ("a", "Sign in"))
        self.assert_focus_visible(el)
        keyboard.press("Enter")
        self.wait_for_path(page, "/sign-in/")

        # The email field has focus on arrival. A wrong password first.
        self.wait_for_focus("#id_username")
        keyboard.type(self.bob.email)
        keyboard.press("Tab")
        self.assertEqual(self.focused()["id"], "id_password")
        keyboard.type("not my password")
        keyboard.press("Enter")

        # The error summary takes focus; its link takes focus to the field to correct.
        self.wait_for_focus(".error-summary")
        self.assertIn("Error:", page.title())
        keyboard.press("Tab")
        el = self.focused()
        self.assertEqual(el["text"], "Enter a correct email address and password.")
        self.assert_focus_visible(el)
        # Its focused link keeps its contrast at phone size too, where the text is smaller.
        page.set_viewport_size(MOBILE)
        self.assert_accessible(page, "Sign in on a phone with the error summary's link focused")
        page.set_viewport_size(self.viewport)
        keyboard.press("Enter")
        self.wait_for_focus("#id_username")
        self.assertEqual(page.input_value("#id_username"), self.bob.email)
        keyboard.press("Tab")
        self.assertEqual(self.focused()["id"], "id_password")
        keyboard.type(PASSWORD)
        keyboard.press("Enter")
        # A lead lands on their assessment (here: no round is open yet); on to the account page.
        self.wait_for_path(page, "/assessment/")
        self.tab_to("Your account", lambda el: el["tag"] == "a" and el["text"] == "Your account")
        keyboard.press("Enter")
        self.wait_for_path(page, "/account/")
        self.assertEqual(page.locator("h1").inner_text(), "Welcome, Bob")

        # From the account page to People, and an invitation sent with the keyboard alone.
        self.tab_to("the People link", lambda el: el["tag"] == "a" and el["text"] == "People")
        keyboard.press("Enter")
        self.wait_for_path(page, f"/organisations/{self.council_a.pk}/people/")
        self.tab_to("the invitation's email field", lambda el: el["id"] == "id_email")
        keyboard.type("new.colleague@example.org")
        keyboard.press("Tab")
        self.assertEqual(self.focused()["id"], "id_full_name")
        keyboard.type("Nova Colleague")
        keyboard.press("Tab")
        self.assertEqual(self.focused()["id"], "id_role")
        keyboard.press("ArrowDown")
        self.assertEqual(page.input_value("#id_role"), "contributor")
        keyboard.press("Tab")
        self.assertEqual(self.focused()["id"], "id_department")
        keyboard.type("Adult social care")
        el = self.tab_to("the Send invitation button", lambda el: el["text"] == "Send invitation")
        self.assert_focus_visible(el)
        keyboard.press("Enter")

        notice = page.get_by_role("status")
        notice.wait_for()
        self.assertEqual(notice.inner_text(), "Invitation sent to new.colleague@example.org.")
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, ["new.colleague@example.org"])
        self.assertIn("/invitations/", mail.outbox[0].body)
        self.assertIn("new.colleague@example.org", page.locator("main").inner_text())
        self.assert_accessible(page, "People after sending an invitation")
