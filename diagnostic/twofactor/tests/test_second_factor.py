"""The second factor: required for national admins, analysts and regional leads, optional
for everyone else; enrolment, the step after the password, recovery codes for a lost phone,
and a reset by a national admin that is recorded (v5.0.0-6.3.3 multi-factor, 6.3.4 no
undocumented pathway, 6.4.3 reset does not bypass it, 6.4.4 lost factor, 6.5.1 single use,
6.5.2 recovery codes hashed, 6.5.3 CSPRNG, 6.5.5 TOTP lifetime, 7.2.4 new session token,
7.4.2/7.4.5 sessions ended, 16.3.1 logged)."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from diagnostic.accounts.models import Membership, Role, Session
from diagnostic.audit.models import AuditEvent
from diagnostic.testing import PASSWORD, BaseTestCase, make_user
from diagnostic.twofactor import services
from diagnostic.twofactor.models import RecoveryCode
from diagnostic.twofactor.testing import fresh_code

VERIFY = reverse("twofactor:verify")
SET_UP = reverse("twofactor:set_up")
HOME = reverse("accounts:home")


class SecondFactorTestCase(BaseTestCase):
    def sign_in(self, user, client=None):
        client = client or self.client
        r = client.post(reverse("accounts:sign_in"), {"username": user.email, "password": PASSWORD})
        self.assertEqual(r.status_code, 302)
        return client

    def code_for_pending(self, client=None):
        """The set-up page's key, as the app would read it from the QR code."""
        device = TOTPDevice.objects.filter(confirmed=False).order_by("-pk").first()
        return services.current_code(device)


class RequiredForStaffTests(SecondFactorTestCase):
    def test_each_staff_role_must_pass_the_second_step_before_any_page(self):
        for user in (self.erin, self.nina, self.dana):
            with self.subTest(user.email):
                self.client.logout()
                self.sign_in(user)
                for url in [HOME, reverse("analytics:national"), "/organisations/",
                            reverse("twofactor:status")]:  # fmt: skip
                    r = self.client.get(url)
                    self.assertEqual(r.status_code, 302, url)
                    self.assertTrue(r["Location"].startswith(VERIFY), (url, r["Location"]))
                # POSTs are stopped too, not only pages.
                r = self.client.post(reverse("accounts:manage_invite"), {"email": "x@example.org"})
                self.assertTrue(r["Location"].startswith(VERIFY))
                r = self.client.post(VERIFY, {"code": fresh_code(user)})
                self.assertRedirects(r, HOME, fetch_redirect_response=False)
                self.assertEqual(self.client.get(HOME).status_code, 200)

    def test_a_new_analyst_without_an_app_must_set_one_up_first(self):
        newbie = make_user("newbie", "New Analyst", Role.NATIONAL_ANALYST)
        self.sign_in(newbie)
        r = self.client.get(reverse("analytics:national"))
        self.assertRedirects(
            r, SET_UP + "?next=%2Fdashboards%2Fnational%2F", fetch_redirect_response=False
        )
        self.assertRedirects(self.client.get(VERIFY), SET_UP, fetch_redirect_response=False)
        r = self.client.get(SET_UP)
        self.assertContains(r, "Your role requires a second factor")
        self.assertContains(r, "<svg")
        secret = re.search(r'class="secret">([A-Z2-7 ]+)<', r.content.decode()).group(1)
        device = TOTPDevice.objects.get(user=newbie, confirmed=False)
        import base64

        self.assertEqual(
            base64.b32decode(
                secret.replace(" ", "") + "===="[: (8 - len(secret.replace(" ", "")) % 8) % 8]
            ).hex(),
            device.key,
        )
        # A wrong code is refused and nothing is confirmed.
        r = self.client.post(SET_UP, {"code": "000000"})
        self.assertContains(r, "That code is not right", status_code=400)
        self.assertFalse(TOTPDevice.objects.filter(user=newbie, confirmed=True).exists())
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)  # no wait
        device.refresh_from_db()
        r = self.client.post(
            SET_UP, {"code": services.current_code(device), "next": "/dashboards/national/"}
        )
        self.assertEqual(r.status_code, 200)
        codes = re.findall(r"<code>([a-z2-9-]{29})</code>", r.content.decode())
        self.assertEqual(len(codes), 10)
        self.assertEqual(len(set(codes)), 10)
        self.assertTrue(TOTPDevice.objects.get(user=newbie).confirmed)
        # Stored only as hashes.
        stored = set(RecoveryCode.objects.filter(user=newbie).values_list("code_hash", flat=True))
        self.assertEqual(len(stored), 10)
        self.assertFalse(stored & set(codes))
        self.assertEqual(self.client.get(reverse("analytics:national")).status_code, 200)
        self.assertTrue(
            AuditEvent.objects.filter(action="second_factor.enrolled", actor=newbie).exists()
        )

    def test_the_session_key_changes_when_the_second_step_is_passed(self):
        self.sign_in(self.erin)
        before = self.client.session.session_key
        self.client.post(VERIFY, {"code": fresh_code(self.erin)})
        self.assertNotEqual(self.client.session.session_key, before)
        self.assertFalse(Session.objects.filter(session_key=before).exists())

    def test_a_code_works_once(self):
        code = fresh_code(self.erin)
        self.sign_in(self.erin)
        self.assertRedirects(
            self.client.post(VERIFY, {"code": code}), HOME, fetch_redirect_response=False
        )
        other = self.sign_in(self.erin, Client())
        r = other.post(VERIFY, {"code": code})
        self.assertContains(r, "That code is not right", status_code=400)
        self.assertEqual(other.get(HOME).status_code, 302)

    def test_wrong_codes_slow_down_the_next_attempts(self):
        self.sign_in(self.erin)
        r = self.client.post(VERIFY, {"code": "000000"})
        self.assertContains(r, "That code is not right", status_code=400)
        r = self.client.post(VERIFY, {"code": fresh_code(self.erin)})
        self.assertContains(r, "Too many wrong codes", status_code=400)
        self.assertEqual(self.client.get(HOME).status_code, 302)
        self.assertEqual(
            AuditEvent.objects.filter(action="second_factor.failed", actor=self.erin).count(), 1
        )

    def test_staff_cannot_remove_it(self):
        self.client.force_login(self.nina)
        r = self.client.post(reverse("twofactor:remove"))
        self.assertEqual(r.status_code, 403)
        self.assertTrue(TOTPDevice.objects.filter(user=self.nina, confirmed=True).exists())

    def test_a_password_reset_does_not_skip_it(self):
        """Signing in after a password reset still asks for the code (6.4.3)."""
        self.erin.set_password("a brand new long password 42")
        self.erin.save()
        r = self.client.post(reverse("accounts:sign_in"),
                             {"username": self.erin.email, "password": "a brand new long password 42"})  # fmt: skip
        self.assertEqual(r.status_code, 302)
        self.assertTrue(self.client.get(HOME)["Location"].startswith(VERIFY))


class OptionalForOthersTests(SecondFactorTestCase):
    def test_a_lead_without_an_app_goes_straight_in(self):
        self.sign_in(self.bob)
        self.assertEqual(self.client.get(HOME).status_code, 200)

    def test_a_lead_can_set_one_up_and_is_then_asked_for_it(self):
        self.sign_in(self.bob)
        self.assertContains(self.client.get(reverse("twofactor:status")), "optional for your role")
        self.client.get(SET_UP)
        r = self.client.post(SET_UP, {"code": self.code_for_pending()})
        self.assertContains(r, "Your recovery codes")
        self.client.logout()
        self.sign_in(self.bob)
        self.assertTrue(self.client.get(HOME)["Location"].startswith(VERIFY))
        self.client.post(VERIFY, {"code": fresh_code(self.bob)})
        self.assertEqual(self.client.get(HOME).status_code, 200)
        # And remove it again.
        self.client.post(reverse("twofactor:remove"))
        self.assertFalse(TOTPDevice.objects.filter(user=self.bob).exists())
        self.assertFalse(RecoveryCode.objects.filter(user=self.bob).exists())
        self.assertTrue(
            AuditEvent.objects.filter(action="second_factor.removed", actor=self.bob).exists()
        )

    def test_a_stolen_password_cannot_swap_the_app(self):
        """While the second step is pending, the set-up page is not open to replace the app."""
        self.sign_in(self.erin)
        self.assertRedirects(self.client.get(SET_UP), VERIFY, fetch_redirect_response=False)
        r = self.client.post(SET_UP, {"code": "123456"})
        self.assertRedirects(r, VERIFY, fetch_redirect_response=False)
        self.assertEqual(TOTPDevice.objects.filter(user=self.erin).count(), 1)


class LostPhoneTests(SecondFactorTestCase):
    def setUp(self):
        super().setUp()
        self.codes = services.do_new_recovery_codes(user=self.nina)

    def test_a_recovery_code_signs_in_once(self):
        self.sign_in(self.nina)
        r = self.client.post(VERIFY, {"code": self.codes[0].upper()})
        self.assertRedirects(r, reverse("twofactor:status"), fetch_redirect_response=False)
        self.assertContains(self.client.get(reverse("twofactor:status")), "9 unused recovery codes")
        self.assertTrue(
            AuditEvent.objects.filter(
                action="second_factor.recovery_code_used", actor=self.nina
            ).exists()
        )
        other = self.sign_in(self.nina, Client())
        r = other.post(VERIFY, {"code": self.codes[0]})
        self.assertContains(r, "That code is not right", status_code=400)

    def test_then_a_new_phone(self):
        self.sign_in(self.nina)
        self.client.post(VERIFY, {"code": self.codes[1]})
        old = TOTPDevice.objects.get(user=self.nina)
        self.client.get(SET_UP)
        r = self.client.post(SET_UP, {"code": self.code_for_pending()})
        self.assertEqual(r.status_code, 200)
        self.assertFalse(TOTPDevice.objects.filter(pk=old.pk).exists())
        self.assertEqual(TOTPDevice.objects.filter(user=self.nina, confirmed=True).count(), 1)
        self.assertEqual(services.recovery_codes_left(self.nina), 10)  # fresh codes, old ones gone
        self.assertIsNone(services.verify(user=self.nina, token=self.codes[2]))

    def test_new_recovery_codes_replace_the_old(self):
        self.client.force_login(self.nina)
        r = self.client.post(reverse("twofactor:recovery_codes"))
        new = re.findall(r"<code>([a-z2-9-]{29})</code>", r.content.decode())
        self.assertEqual(len(new), 10)
        self.assertIsNone(services.verify(user=self.nina, token=self.codes[0]))
        TOTPDevice.objects.filter(user=self.nina).update(throttling_failure_count=0)  # no wait
        self.assertEqual(services.verify(user=self.nina, token=new[0]), "recovery code")


class ResetByANationalAdminTests(SecondFactorTestCase):
    def test_an_admin_resets_a_colleagues_second_factor_and_it_is_recorded(self):
        nina_browser = Client()
        nina_browser.force_login(self.nina)
        nina_session = nina_browser.session.session_key
        url = reverse("twofactor:reset", args=[self.nina.pk])
        self.client.force_login(self.erin)
        r = self.client.get(url)
        self.assertContains(r, "Second factor of Nina Patel")
        r = self.client.post(url, follow=True)
        self.assertContains(r, "Nina Patel&#x27;s second factor was reset and 1 session(s) ended")
        self.assertFalse(TOTPDevice.objects.filter(user=self.nina).exists())
        self.assertFalse(Session.objects.filter(session_key=nina_session).exists())
        event = AuditEvent.objects.get(action="second_factor.reset")
        self.assertEqual((event.actor, event.object_id), (self.erin, str(self.nina.pk)))
        self.assertEqual(event.detail, {"had_app": True, "sessions_ended": 1})
        # Nina signs in again and must set up a new app.
        self.client.logout()
        self.sign_in(self.nina)
        self.assertTrue(self.client.get(HOME)["Location"].startswith(SET_UP))

    def test_only_national_admins_may_reset(self):
        url = reverse("twofactor:reset", args=[self.nina.pk])
        for user in (self.nina, self.dana, self.bob, self.alice, self.zoe):
            with self.subTest(user.email):
                self.client.force_login(user)
                self.assertEqual(self.client.get(url).status_code, 403)
                self.assertEqual(self.client.post(url).status_code, 403)
        self.assertTrue(TOTPDevice.objects.filter(user=self.nina).exists())
        self.client.force_login(self.erin)
        self.assertEqual(
            self.client.get(reverse("twofactor:reset", args=[987654])).status_code, 404
        )


class TestHelperTests(BaseTestCase):
    def test_the_verifying_client_enrols_a_staff_member_without_an_app(self):
        """The helper other tests use does what the person would do, nothing more."""
        temp = make_user("temp", "Temp Admin", Role.NATIONAL_ADMIN)
        self.client.force_login(temp)
        self.assertEqual(self.client.get(HOME).status_code, 200)
        self.assertTrue(TOTPDevice.objects.filter(user=temp, confirmed=True).exists())
        plain = Client()
        plain.force_login(temp)
        self.assertTrue(plain.get(HOME)["Location"].startswith(VERIFY))
        self.assertTrue(Membership.objects.filter(user=temp).exists())


class DemoCodeTests(BaseTestCase):
    def test_it_prints_a_demo_persons_code_and_refuses_real_people(self):
        from io import StringIO

        from django.core.management import CommandError, call_command

        from diagnostic.accounts.models import User

        User.objects.filter(pk=self.erin.pk).update(is_demo=True)
        out = StringIO()
        call_command("demo_code", self.erin.email, stdout=out)
        code = out.getvalue().strip()
        self.assertRegex(code, r"^\d{6}$")
        self.assertEqual(services.verify(user=self.erin, token=code), "app")
        with self.assertRaises(CommandError):
            call_command("demo_code", self.nina.email, stdout=StringIO())
