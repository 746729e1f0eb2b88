"""Sign-off in a real browser: the lead asks a senior officer, the officer decides through the
emailed link; axe-core on every page in each state (empty, with errors, waiting, decided,
unusable) and on the check-and-submit page that shows the sign-off."""

from __future__ import annotations

import re

import pytest

from diagnostic.assessments.testing import create_open_round
from diagnostic.browser_tests.base import BrowserTestCase
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file

pytestmark = pytest.mark.browser


class SignOffPagesTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        framework = load_framework_file(NPS_2018).version
        _round, (self.response_a,) = create_open_round(framework, [self.council_a])

    def test_the_lead_asks_and_the_officer_approves(self):
        page = self.page
        ask = f"/responses/{self.response_a.pk}/sign-off/"
        self.sign_in(page, self.bob)
        self.visit(page, ask)
        self.assert_accessible(page, "Sign-off, nothing asked yet")

        page.get_by_label("Their email address").fill("not an email")
        page.get_by_role("button", name="Email the sign-off link").click()
        page.wait_for_selector(".error-summary")
        self.assert_accessible(page, "Sign-off, with errors")

        page.get_by_label("Their name").fill("Sam Senior")
        page.get_by_label("Their email address").fill("sam.senior@example.org")
        page.get_by_label("Their role").fill("Director of Finance")
        page.get_by_role("button", name="Email the sign-off link").click()
        page.wait_for_selector("text=We have emailed Sam Senior")
        self.assert_accessible(page, "Sign-off, waiting")

        self.visit(page, f"/responses/{self.response_a.pk}/submit/")
        self.assert_accessible(page, "Check and submit, waiting for sign-off")

        link = re.search(r"/sign-off/[\w-]+/", self.mail_body()).group(0)
        officer = self.new_page()
        self.visit(officer, link)
        self.assert_accessible(officer, "The officer's page")
        officer.get_by_label("Do not approve").check()
        officer.get_by_role("button", name="Send my decision").click()
        officer.wait_for_selector(".error-summary")
        self.assert_accessible(officer, "The officer's page, with a note missing")
        officer.get_by_label("Approve", exact=True).check()
        officer.get_by_role("button", name="Send my decision").click()
        officer.wait_for_selector("text=You approved the response")
        self.assert_accessible(officer, "The officer's page, approved")

        self.visit(page, ask)
        self.assertIn("Signed off by Sam Senior", page.content())
        self.assert_accessible(page, "Sign-off, approved")

        # A new request withdraws nothing decided; withdrawing it kills its link.
        page.get_by_label("Their name").fill("Priya Shah")
        page.get_by_label("Their email address").fill("priya@example.org")
        page.get_by_label("Their role").fill("Chief Executive")
        page.get_by_role("button", name="Email the sign-off link").click()
        page.wait_for_selector("text=We have emailed Priya Shah")
        page.get_by_role("button", name="Withdraw the request to Priya Shah").click()
        page.wait_for_selector("text=The request to Priya Shah is withdrawn")
        second = re.search(r"/sign-off/[\w-]+/", self.mail_body()).group(0)
        self.visit(officer, second, status=410)
        self.assert_accessible(officer, "A withdrawn link")

    def mail_body(self) -> str:
        from django.core import mail

        return mail.outbox[-1].body
