"""The second factor, the audit trail and "your data" in a real browser: the journeys work
without shortcuts and every page passes axe-core (WCAG 2.2 AA) with no CSP errors."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from diagnostic.accounts.models import Role
from diagnostic.browser_tests.base import BrowserTestCase
from diagnostic.testing import make_user
from diagnostic.twofactor import services
from diagnostic.twofactor.testing import fresh_code

pytestmark = pytest.mark.browser


class SecondFactorPagesTests(BrowserTestCase):
    def test_a_new_analyst_sets_up_the_app_then_is_asked_for_a_code(self):
        newbie = make_user("newbie", "New Analyst", Role.NATIONAL_ANALYST)
        page = self.new_page()
        page.goto("/sign-in/")
        page.get_by_label("Email address").fill(newbie.email)
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        self.wait_for_path(page, "/account/second-factor/set-up/")
        self.assertTrue(page.locator(".qr svg").is_visible())
        self.assert_accessible(page, "Second factor set-up")
        page.get_by_label("Code from your app").fill("000000")
        page.get_by_role("button", name="Check the code").click()
        self.assertIn("That code is not right", page.content())
        self.assert_accessible(page, "Second factor set-up with an error")
        TOTPDevice.objects.filter(user=newbie).update(throttling_failure_count=0)
        device = TOTPDevice.objects.get(user=newbie, confirmed=False)
        page.get_by_label("Code from your app").fill(services.current_code(device))
        page.get_by_role("button", name="Check the code").click()
        page.get_by_role("heading", name="Your recovery codes").wait_for()
        self.assertEqual(page.locator(".recovery-codes li").count(), 10)
        self.assert_accessible(page, "Recovery codes")
        page.get_by_role("link", name="I have kept them: continue").click()
        self.wait_for_path(page, "/dashboards/national/")  # where an analyst lands
        self.assertEqual(page.csp_errors, [])

    def test_the_verify_page_the_status_page_and_the_audit_trail(self):
        page = self.new_page()
        page.goto("/sign-in/")
        page.get_by_label("Email address").fill(self.erin.email)
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in").click()
        self.wait_for_path(page, "/account/second-factor/verify/")
        self.assert_accessible(page, "Second factor code")
        page.get_by_label("Code").fill(fresh_code(self.erin))
        page.get_by_role("button", name="Continue").click()
        self.wait_for_path(page, "/dashboards/national/")  # where a national admin lands
        for path, name in [("/account/second-factor/", "Second factor status"),
                           ("/manage/audit-trail/", "Audit trail"),
                           ("/account/my-data/", "Your data"),
                           (f"/manage/people/{self.nina.pk}/second-factor/", "A person's second factor"),
                           (f"/manage/people/{self.bob.pk}/erase/", "Erase a person")]:  # fmt: skip
            with self.subTest(name):
                self.visit(page, path)
                self.assert_accessible(page, name)
        self.assertEqual(page.csp_errors, [])
