"""Every page passes axe-core's WCAG 2.2 AA checks in a real browser, in its usual states."""

from __future__ import annotations

import datetime as dt

import pytest

from diagnostic.browser_tests.base import MOBILE, BrowserTestCase
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.organisations.models import Organisation

pytestmark = pytest.mark.browser


class PublicPagesAccessibilityTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.version = load_framework_file(NPS_2018).version

    def test_the_home_page(self):
        self.visit(self.page, "/")
        self.assert_accessible(self.page, "Home page")

    def test_the_home_page_on_a_phone(self):
        page = self.page
        page.set_viewport_size(MOBILE)
        self.visit(page, "/")
        self.assertLessEqual(
            page.evaluate("document.documentElement.scrollWidth"),
            MOBILE["width"],
            "The home page scrolls sideways on a phone",
        )
        self.assert_accessible(page, "Home page on a phone")

    def test_the_information_pages(self):
        for path, name in [
            ("/privacy/", "Privacy notice"),
            ("/accessibility/", "Accessibility statement"),
            ("/about-the-data/", "About the data"),
        ]:
            self.visit(self.page, path)
            self.assert_accessible(self.page, name)

    def test_the_framework_index(self):
        self.visit(self.page, "/framework/")
        self.assert_accessible(self.page, "Framework index")

    def test_a_framework_version(self):
        self.visit(self.page, "/framework/nps/2018/")
        self.assert_accessible(self.page, "Framework version")

    def test_a_key_area_with_its_level_descriptors_open(self):
        self.visit(self.page, "/framework/nps/2018/key-areas/OSV/")
        self.assert_accessible(self.page, "Key area")
        summary = self.page.locator("summary").first
        summary.click()
        self.assert_accessible(self.page, "Key area with the level descriptors open")

    def test_a_value_code(self):
        self.visit(self.page, "/framework/nps/2018/value-codes/MCR3/")
        self.assert_accessible(self.page, "Value code")

    def test_the_page_not_found(self):
        self.visit(self.page, "/no-such-page/", status=404)
        self.assert_accessible(self.page, "Page not found")


class SignInPagesAccessibilityTests(BrowserTestCase):
    def test_the_sign_in_page(self):
        self.visit(self.page, "/sign-in/")
        self.assert_accessible(self.page, "Sign in")

    def test_the_sign_in_page_after_a_failed_sign_in(self):
        self.visit(self.page, "/sign-in/")
        self.page.get_by_label("Email address").fill(self.bob.email)
        self.page.get_by_label("Password").fill("not the password")
        self.page.get_by_role("button", name="Sign in").click()
        summary = self.page.locator(".error-summary")
        summary.wait_for()
        self.assertIn("Enter a correct email address and password", summary.inner_text())
        self.assert_accessible(self.page, "Sign in with an error")

    def test_the_sign_in_page_on_a_phone_with_empty_fields_submitted(self):
        page = self.page
        page.set_viewport_size(MOBILE)
        self.visit(page, "/sign-in/")
        self.assert_accessible(page, "Sign in on a phone")
        page.get_by_role("button", name="Sign in").click()
        page.locator(".error-summary").wait_for()
        self.assert_accessible(page, "Sign in on a phone with errors")

    def test_the_password_reset_page(self):
        self.visit(self.page, "/password-reset/")
        self.assert_accessible(self.page, "Password reset")
        self.page.get_by_role("button", name="Send the link").click()
        self.page.locator(".error-summary").wait_for()
        self.assert_accessible(self.page, "Password reset with an error")


class SignedInPagesAccessibilityTests(BrowserTestCase):
    def test_the_account_home_page_of_each_persona(self):
        for user in [self.bob, self.alice, self.erin, self.dana, self.zoe]:
            self.sign_out_everywhere()
            self.sign_in(self.page, user)
            self.assert_accessible(self.page, f"Account home as {user.full_name}")

    def test_the_people_page_of_a_council_for_its_lead(self):
        self.sign_in(self.page, self.bob)
        self.visit(self.page, f"/organisations/{self.council_a.pk}/people/")
        self.assert_accessible(self.page, "People (Council A)")
        self.page.get_by_role("button", name="Send invitation").click()
        self.page.locator(".error-summary").wait_for()
        self.assert_accessible(self.page, "People (Council A) with a form error")

    def test_the_national_people_pages(self):
        self.sign_in(self.page, self.erin)
        self.visit(self.page, "/manage/people/")
        self.assert_accessible(self.page, "Manage people")
        self.visit(self.page, "/manage/people/invite/")
        self.assert_accessible(self.page, "Invite someone")
        self.page.get_by_role("button", name="Send invitation").click()
        self.page.locator(".error-summary").wait_for()
        self.assert_accessible(self.page, "Invite someone with errors")

    def test_the_bulk_invitation_page_and_its_problems_list(self):
        self.sign_in(self.page, self.erin)
        self.visit(self.page, "/manage/people/invite-leads/")
        self.assert_accessible(self.page, "Invite councils' leads")
        bad_csv = (
            "organisation_code,name,email\n"
            "E99999999,Pat Example,pat@example.org\n"
            f"{self.council_b.gss_code},,not-an-email\n"
        )
        self.page.get_by_label("CSV file of leads").set_input_files(
            files=[{"name": "leads.csv", "mimeType": "text/csv", "buffer": bad_csv.encode()}]
        )
        self.page.get_by_role("button", name="Check the file").click()
        problems = self.page.locator(".error-summary")
        problems.wait_for()
        self.assertIn("no organisation with code E99999999", problems.inner_text())
        self.assert_accessible(self.page, "Invite councils' leads with problems in the file")

    def test_the_organisation_register_and_an_organisation(self):
        Organisation.objects.create(
            gss_code="W06000015",
            name="Cardiff Council",
            short_name="Cardiff",
            name_cy="Cyngor Caerdydd",
            type="unitary",
            region=self.wales,
            nation="Wales",
        )
        abolished = Organisation.objects.create(
            gss_code="E07000001",
            name="Old District Council",
            short_name="Old District",
            type="non_metropolitan_district",
            region=self.south_east,
            nation="England",
            parent=self.council_b,
            end_date=dt.date(2020, 3, 31),
            replaced_by_codes=self.council_b.gss_code,
        )
        self.sign_in(self.page, self.erin)
        self.visit(self.page, "/organisations/")
        self.assert_accessible(self.page, "Organisation register")
        self.visit(self.page, "/organisations/?on=2019-01-01")
        self.assert_accessible(self.page, "Organisation register on a past date")
        self.visit(self.page, f"/organisations/{self.council_a.pk}/")
        self.assert_accessible(self.page, "Organisation (Council A)")
        self.visit(self.page, f"/organisations/{abolished.pk}/")
        self.assert_accessible(self.page, "Organisation (abolished)")
