"""The API's web pages in a real browser: the token page (empty, with errors, with a new token
shown once, with tokens listed) and the reference page pass axe-core's WCAG 2.2 AA checks, with
no CSP errors (the base class fails on any), and work by keyboard."""

from __future__ import annotations

import pytest

from diagnostic.api.models import ApiToken
from diagnostic.browser_tests.base import BrowserTestCase

pytestmark = pytest.mark.browser


class ApiPagesTests(BrowserTestCase):
    def test_the_reference_page(self):
        self.visit(self.page, "/api/v1/reference/")
        self.assert_accessible(self.page, "API reference")

    def test_making_a_token_and_revoking_it(self):
        page = self.page
        self.sign_in(page, self.bob)
        self.visit(page, "/account/api-tokens/")
        self.assert_accessible(page, "API tokens, none yet")
        # An error first: no name.
        page.get_by_label("Name").fill("")
        page.get_by_role("button", name="Make token").click()
        page.wait_for_selector(".error-summary")
        self.assert_accessible(page, "API tokens, with an error")
        page.get_by_label("Name").fill("Performance system")
        page.get_by_label("Write: requests that change data").check()
        page.get_by_role("button", name="Make token").click()
        secret = page.get_by_role("textbox", name="Token", exact=True).input_value()
        self.assertTrue(secret.startswith("nps_"))
        self.assertEqual(ApiToken.objects.get().scopes, ["read", "write"])
        self.assert_accessible(page, "API tokens, a new token shown")
        page.get_by_role("button", name="Revoke Performance system").click()
        page.wait_for_selector("text=no longer works")
        self.assertEqual(ApiToken.objects.get().status, "revoked")
        self.assertEqual(page.locator("#new-token").count(), 0)
        self.assert_accessible(page, "API tokens, one revoked")
