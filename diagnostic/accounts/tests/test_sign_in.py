"""Signing in and out: sessions, lockout, idle timeout (ASVS 6.3.1, 7.2.4, 7.3.1, 7.4.1)."""

import time

from django.test import override_settings
from django.urls import reverse

from diagnostic.accounts.middleware import SESSION_SEEN_KEY
from diagnostic.testing import PASSWORD, BaseTestCase


class SignInTests(BaseTestCase):
    url = reverse("accounts:sign_in")

    def test_it_signs_in_with_email_and_password_and_lands_on_the_account_page(self):
        r = self.client.post(self.url, {"username": "bob@example.org", "password": PASSWORD})
        # A council's lead lands on their assessment (issue 15); the account page is still theirs.
        self.assertRedirects(r, reverse("assessments:mine"), fetch_redirect_response=False)
        r = self.client.get(reverse("accounts:home"))
        self.assertContains(r, "Welcome, Bob")
        self.assertContains(r, "Council A Metropolitan Borough Council")

    def test_the_email_is_not_case_sensitive(self):
        r = self.client.post(self.url, {"username": "BOB@Example.org", "password": PASSWORD})
        self.assertRedirects(r, reverse("assessments:mine"), fetch_redirect_response=False)

    def test_it_rotates_the_session_key_at_sign_in(self):
        """ASVS 7.2.4: a new session token on authentication."""
        self.client.get(self.url)
        self.client.session.save()
        before = self.client.session.session_key
        self.client.post(self.url, {"username": "bob@example.org", "password": PASSWORD})
        self.assertNotEqual(self.client.session.session_key, before)

    def test_a_wrong_password_gives_one_clear_message_and_no_hint_which_part_was_wrong(self):
        r = self.client.post(self.url, {"username": "bob@example.org", "password": "wrong"})
        self.assertContains(r, "Enter a correct email address and password.", status_code=200)
        self.assertContains(r, "There is a problem")
        r2 = self.client.post(self.url, {"username": "nobody@example.org", "password": "wrong"})
        self.assertContains(r2, "Enter a correct email address and password.")

    def test_it_honours_a_safe_next_url_and_ignores_another_site(self):
        r = self.client.post(
            f"{self.url}?next=/organisations/",
            {"username": "erin@example.org", "password": PASSWORD, "next": "/organisations/"},
        )
        self.assertRedirects(r, "/organisations/", fetch_redirect_response=False)
        # Erin is a national admin: the second step comes first, then the page she asked for.
        from diagnostic.twofactor.testing import fresh_code

        r = self.client.get("/organisations/")
        verify = reverse("twofactor:verify") + "?next=%2Forganisations%2F"
        self.assertRedirects(r, verify, fetch_redirect_response=False)
        r = self.client.post(verify, {"code": fresh_code(self.erin), "next": "/organisations/"})
        self.assertRedirects(r, "/organisations/")
        self.client.logout()
        r = self.client.post(
            self.url,
            {"username": "erin@example.org", "password": PASSWORD, "next": "https://evil.example/"},
        )
        self.assertRedirects(r, reverse("analytics:national"), fetch_redirect_response=False)

    def test_each_person_lands_on_what_they_came_for(self):
        for key, where in [
            ("bob", "assessments:mine"),
            ("alice", "assessments:mine"),
            ("victor", "assessments:mine"),
            ("dana", "analytics:my_region"),
            ("nina", "analytics:national"),
            ("erin", "analytics:national"),
            ("zoe", "accounts:home"),
        ]:
            with self.subTest(key):
                self.client.logout()
                r = self.client.post(
                    self.url, {"username": f"{key}@example.org", "password": PASSWORD}
                )
                self.assertRedirects(r, reverse(where), fetch_redirect_response=False)
                # And the page there answers (a lead with no round open is told so).
                self.assertEqual(self.client.get(r.url, follow=True).status_code, 200)

    def test_it_locks_sign_in_after_five_failures_even_with_the_right_password(self):
        """ASVS 6.3.1: throttling of repeated failed attempts."""
        for _ in range(5):
            self.client.post(self.url, {"username": "bob@example.org", "password": "nope"})
        r = self.client.post(self.url, {"username": "bob@example.org", "password": PASSWORD})
        self.assertContains(r, "Too many sign-in attempts", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)
        # Another account from the same address is unaffected.
        r = self.client.post(self.url, {"username": "alice@example.org", "password": PASSWORD})
        self.assertRedirects(r, reverse("assessments:mine"), fetch_redirect_response=False)

    def test_signed_in_users_are_sent_on_from_the_sign_in_page(self):
        self.client.force_login(self.bob)
        self.assertRedirects(
            self.client.get(self.url), reverse("assessments:mine"), fetch_redirect_response=False
        )


class SignOutTests(BaseTestCase):
    def test_sign_out_needs_post_and_ends_the_session(self):
        """ASVS 7.4.1: the session is invalidated at sign-out."""
        self.client.post(
            reverse("accounts:sign_in"), {"username": "bob@example.org", "password": PASSWORD}
        )
        old_key = self.client.session.session_key
        self.assertEqual(self.client.get(reverse("accounts:sign_out")).status_code, 405)
        r = self.client.post(reverse("accounts:sign_out"))
        self.assertRedirects(r, reverse("public:home"))
        from diagnostic.accounts.models import Session

        self.assertFalse(Session.objects.filter(session_key=old_key).exists())
        r = self.client.get(reverse("accounts:home"))
        self.assertRedirects(r, f"{reverse('accounts:sign_in')}?next={reverse('accounts:home')}")


class IdleTimeoutTests(BaseTestCase):
    @override_settings(SESSION_IDLE_TIMEOUT=600)
    def test_it_signs_out_after_the_idle_period(self):
        """ASVS 7.3.1: inactivity timeout."""
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(reverse("accounts:home")).status_code, 200)
        session = self.client.session
        session[SESSION_SEEN_KEY] = int(time.time()) - 601
        session.save()
        r = self.client.get(reverse("accounts:home"))
        self.assertRedirects(
            r,
            f"{reverse('accounts:sign_in')}?next={reverse('accounts:home')}",
            fetch_redirect_response=False,
        )
        self.assertNotIn("_auth_user_id", self.client.session)

    @override_settings(SESSION_IDLE_TIMEOUT=600)
    def test_activity_within_the_period_keeps_the_session(self):
        self.client.force_login(self.bob)
        self.client.get(reverse("accounts:home"))
        session = self.client.session
        session[SESSION_SEEN_KEY] = int(time.time()) - 500
        session.save()
        self.assertEqual(self.client.get(reverse("accounts:home")).status_code, 200)


class AbsoluteLifetimeTests(BaseTestCase):
    """v5.0.0-7.3.2: an absolute maximum session lifetime, counted from sign-in; v5.0.0-7.1.1."""

    def sign_in(self):
        r = self.client.post(
            reverse("accounts:sign_in"), {"username": "bob@example.org", "password": PASSWORD}
        )
        self.assertRedirects(r, reverse("assessments:mine"))

    def stored_expiry(self):
        from diagnostic.accounts.models import Session

        return Session.objects.get(session_key=self.client.session.session_key).expire_date

    @override_settings(SESSION_COOKIE_AGE=3 * 3600, SESSION_IDLE_TIMEOUT=600)
    def test_activity_does_not_move_the_end_of_the_session(self):
        self.sign_in()
        first = self.stored_expiry()
        for _ in range(3):
            session = self.client.session
            session[SESSION_SEEN_KEY] = int(time.time()) - 120  # the idle check writes again
            session.save()
            r = self.client.get(reverse("accounts:home"))
            self.assertEqual(r.status_code, 200)
            self.assertEqual(self.stored_expiry(), first)
        cookie = r.cookies.get("sessionid")
        if cookie is not None and cookie["max-age"]:
            self.assertLessEqual(int(cookie["max-age"]), 3 * 3600)

    @override_settings(SESSION_COOKIE_AGE=3 * 3600, SESSION_IDLE_TIMEOUT=600)
    def test_an_active_session_ends_at_the_limit_from_sign_in(self):
        from diagnostic.accounts.middleware import SESSION_SIGNED_IN_KEY

        self.sign_in()
        session = self.client.session
        session[SESSION_SIGNED_IN_KEY] = int(time.time()) - 3 * 3600 - 1
        session[SESSION_SEEN_KEY] = int(time.time()) - 5  # active a moment ago
        session.save()
        r = self.client.get(reverse("accounts:home"))
        self.assertRedirects(
            r, f"{reverse('accounts:sign_in')}?next={reverse('accounts:home')}",
            fetch_redirect_response=False,
        )  # fmt: skip
        self.assertNotIn("_auth_user_id", self.client.session)
        r = self.client.get(r["Location"])
        self.assertContains(r, "a sign-in lasts at most 3 hours")

    @override_settings(SESSION_COOKIE_AGE=3 * 3600)
    def test_the_stored_expiry_is_the_sign_in_time_plus_the_limit(self):
        import datetime as dt

        from django.utils import timezone

        before = timezone.now()
        self.sign_in()
        expiry = self.stored_expiry()
        self.assertGreaterEqual(expiry, before + dt.timedelta(hours=3) - dt.timedelta(seconds=1))
        self.assertLessEqual(expiry, timezone.now() + dt.timedelta(hours=3))
