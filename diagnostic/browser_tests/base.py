"""The base class for browser tests: a live server, the test personas and headless Chromium.

One Chromium, one browser context and one page (`self.page`) per test class, reused by its
tests; each test starts with no cookies. `new_page()` gives a page with a context of its own.
Pages are checked with axe-core (the copy bundled with the PyPI package axe-playwright-python)
against WCAG 2.2 AA.

Debian's Chromium at /usr/bin/chromium is used; Playwright's own browser downloads are not.
Without it the tests are skipped locally and fail in CI (when the CI variable is set).
"""

from __future__ import annotations

import os
import unittest
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core import mail

from diagnostic.accounts.models import User
from diagnostic.testing import PASSWORD, create_personas

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
# axe-core does not fail aria-describedby or aria-labelledby naming an id that is missing (a
# hint or error message a screen reader would then never read), so that is checked as well.
MISSING_REFERENCES_JS = """() => {
  const found = [];
  for (const el of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const attr of ["aria-describedby", "aria-labelledby"]) {
      for (const id of (el.getAttribute(attr) || "").split(/\\s+/)) {
        if (id && !document.getElementById(id)) {
          found.push(`<${el.tagName.toLowerCase()} id="${el.id}"> ${attr}="${id}"`);
        }
      }
    }
  }
  return found;
}"""
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 375, "height": 812}
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    """Fail in CI, where the browser tests must run; skip with the reason elsewhere."""
    if os.environ.get("CI"):
        raise RuntimeError(f"Browser tests cannot run in CI: {reason}")
    raise unittest.SkipTest(f"Browser tests skipped: {reason}")


@pytest.mark.browser
class BrowserTestCase(StaticLiveServerTestCase):
    """A live server with the personas of diagnostic.testing, and a Chromium page per class.

    The personas (alice, bob, victor, charlie, dana, nina, erin, zoe) and north_west,
    south_east, wales, council_a and council_b are attributes, as in BaseTestCase; they are
    created in setUp because a live server test empties the database after each test.
    """

    viewport = DESKTOP

    @classmethod
    def setUpClass(cls):
        if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
            _unavailable(f"{CHROMIUM} is missing; install Debian's chromium package.")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            _unavailable("Playwright is not installed; pip install -e '.[dev]'.")
        # Playwright's sync API runs an event loop in this thread; the ORM calls the tests
        # make from here are still synchronous.
        cls._async_unsafe_before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        cls._playwright = sync_playwright().start()
        try:
            cls.browser = cls._playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            # One context and page for the class: a new one costs a renderer process. Each
            # test starts signed out (cookies cleared) at the class's viewport.
            cls.context = cls._new_context()
            cls.page = cls._new_page_in(cls.context)
        except Exception:
            cls._playwright.stop()
            super().tearDownClass()
            cls._restore_env()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.browser.close()
            cls._playwright.stop()
        finally:
            super().tearDownClass()
            cls._restore_env()

    @classmethod
    def _restore_env(cls):
        if cls._async_unsafe_before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = cls._async_unsafe_before

    @classmethod
    def _new_context(cls, viewport: dict | None = None, *, java_script_enabled: bool = True):
        context = cls.browser.new_context(
            base_url=cls.live_server_url,
            viewport=viewport or cls.viewport,
            locale="en-GB",
            java_script_enabled=java_script_enabled,
        )
        context.set_default_timeout(TIMEOUT_MS)
        return context

    @classmethod
    def _new_page_in(cls, context):
        page = context.new_page()
        page.csp_errors = []
        page.on("console", lambda msg: cls._note_csp_error(page, msg))
        return page

    @staticmethod
    def _note_csp_error(page, msg) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            page.csp_errors.append(msg.text)

    def setUp(self):
        super().setUp()
        mail.outbox = []
        for name, obj in create_personas().items():
            setattr(self, name, obj)
        self.sign_out_everywhere()
        self.page.set_viewport_size(self.viewport)
        self.page.csp_errors.clear()

    # --- Pages ------------------------------------------------------------------------------
    def sign_out_everywhere(self) -> None:
        """Forget the class's browser session (its cookies), as if opening a new browser."""
        self.context.clear_cookies()

    def new_page(self, viewport: dict | None = None, *, java_script_enabled: bool = True):
        """A page in a browser context of its own (own cookies and storage), closed after the
        test; with `java_script_enabled=False`, a browser with JavaScript turned off."""
        context = self._new_context(viewport, java_script_enabled=java_script_enabled)
        self.addCleanup(context.close)
        return self._new_page_in(context)

    def visit(self, page, path: str, status: int = 200):
        """Open a path on the live server and check the response status."""
        response = page.goto(path)
        self.assertIsNotNone(response, path)
        self.assertEqual(response.status, status, f"{path} answered {response.status}")
        return response

    def wait_for_path(self, page, path: str) -> None:
        """Wait for a page load at this path, whatever the query or fragment."""
        page.wait_for_url(lambda url: urlsplit(url).path == path)

    # --- Signing in -------------------------------------------------------------------------
    def sign_in(self, page, user: User, password: str = PASSWORD) -> None:
        """Sign in through the real sign-in form and wait for where it lands (the person's
        assessment, region or the national dashboard: accounts.views.landing_for)."""
        page.goto("/sign-in/")
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: urlsplit(url).path != "/sign-in/")
        verify = "/account/second-factor/verify/"
        if urlsplit(page.url).path == verify:  # staff: the code from their authenticator app
            from diagnostic.twofactor.testing import fresh_code

            page.get_by_label("Code").fill(fresh_code(user))
            page.get_by_role("button", name="Continue").click()
            page.wait_for_url(lambda url: urlsplit(url).path != verify)
        page.wait_for_load_state()

    # --- Accessibility ----------------------------------------------------------------------
    def assert_accessible(self, page, name: str) -> None:
        """Run axe-core (WCAG 2.2 AA) on the page as it is now; fail listing each violation."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(page, options=AXE_OPTIONS).response
        violations = results["violations"]
        problems = []
        for v in violations:
            problems.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                problems.append(f"    at {target}: {node['html'][:200]}")
                summary = (node.get("failureSummary") or "").replace("\n", " ")
                if summary:
                    problems.append(f"      {summary}")
        missing = page.evaluate(MISSING_REFERENCES_JS)
        if missing:
            problems.append("- ARIA references to ids that are not on the page:")
            problems.extend(f"    {m}" for m in missing)
        if page.csp_errors:
            problems.append("- Content Security Policy violations:")
            problems.extend(f"    {e}" for e in page.csp_errors)
        if problems:
            self.fail(
                f"{name} ({page.url}): {len(violations)} axe violation(s)\n" + "\n".join(problems)
            )
