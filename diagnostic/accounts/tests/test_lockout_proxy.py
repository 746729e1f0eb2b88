"""Sign-in lockout counts failures by account and client address together, with and without
the reverse proxy, so an attacker cannot lock a real person out (v5.0.0-6.1.1 documented and
preventing malicious lockout, v5.0.0-6.3.1 brute force, v5.0.0-4.1.3 headers set by an
intermediary are trusted only from it)."""

from django.test import override_settings
from django.urls import reverse

from diagnostic.accounts.client_ip import client_ip
from diagnostic.testing import PASSWORD, BaseTestCase

PROXY = "127.0.0.1"
ATTACKER = "198.51.100.7"
BOB_AT_WORK = "203.0.113.5"


class LockoutTestCase(BaseTestCase):
    url = reverse("accounts:sign_in")

    def attempt(self, password, **meta):
        self.client.logout()
        return self.client.post(self.url, {"username": "bob@example.org", "password": password},
                                **meta)  # fmt: skip

    def assertLocked(self, r):
        self.assertContains(r, "Too many sign-in attempts", status_code=429)

    def assertSignedIn(self, r):
        self.assertRedirects(r, reverse("assessments:mine"))


@override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1)
class BehindTheProxy(LockoutTestCase):
    def test_an_attacker_locks_only_their_own_address_not_bob(self):
        for _ in range(5):
            self.attempt("wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
        self.assertLocked(self.attempt(PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER))
        # Bob, through the same proxy from his own address, still signs in.
        self.assertSignedIn(
            self.attempt(PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=BOB_AT_WORK)
        )

    def test_a_forged_header_does_not_buy_fresh_attempts(self):
        """The client's own X-Forwarded-For entries are to the left of what the proxy appends."""
        for i in range(5):
            self.attempt("wrong", REMOTE_ADDR=PROXY,
                         HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, {ATTACKER}")  # fmt: skip
        r = self.attempt(PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"10.9.9.9, {ATTACKER}")
        self.assertLocked(r)

    def test_a_forged_header_cannot_put_bob_in_the_attackers_bucket(self):
        for _ in range(5):
            self.attempt(
                "wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{BOB_AT_WORK}, {ATTACKER}"
            )
        self.assertSignedIn(
            self.attempt(PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=BOB_AT_WORK)
        )

    def test_the_address_is_the_one_the_proxy_saw(self):
        from django.test import RequestFactory

        rf = RequestFactory()
        cases = [
            ({"HTTP_X_FORWARDED_FOR": BOB_AT_WORK}, BOB_AT_WORK),
            ({"HTTP_X_FORWARDED_FOR": f"1.2.3.4, {BOB_AT_WORK}"}, BOB_AT_WORK),
            ({"HTTP_X_FORWARDED_FOR": " 2001:db8::1 "}, "2001:db8::1"),
            ({"HTTP_X_FORWARDED_FOR": "not-an-address"}, PROXY),
            ({"HTTP_X_FORWARDED_FOR": ""}, PROXY),
            ({}, PROXY),
        ]
        for meta, expected in cases:
            with self.subTest(meta):
                self.assertEqual(client_ip(rf.get("/", REMOTE_ADDR=PROXY, **meta)), expected)
        with self.settings(TRUSTED_PROXY_COUNT=2):  # a load balancer in front of nginx
            r = rf.get(
                "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {BOB_AT_WORK}, 10.0.0.2"
            )
            self.assertEqual(client_ip(r), BOB_AT_WORK)


@override_settings(BEHIND_PROXY=False)
class WithoutAProxy(LockoutTestCase):
    def test_the_header_is_ignored_so_it_cannot_dodge_the_lock(self):
        for i in range(5):
            self.attempt("wrong", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
        self.assertLocked(
            self.attempt(PASSWORD, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=BOB_AT_WORK)
        )

    def test_bob_from_another_address_still_signs_in(self):
        for _ in range(5):
            self.attempt("wrong", REMOTE_ADDR=ATTACKER)
        self.assertLocked(self.attempt(PASSWORD, REMOTE_ADDR=ATTACKER))
        self.assertSignedIn(self.attempt(PASSWORD, REMOTE_ADDR=BOB_AT_WORK))

    def test_other_accounts_from_the_locked_address_are_not_locked(self):
        for _ in range(5):
            self.attempt("wrong", REMOTE_ADDR=ATTACKER)
        self.client.logout()
        r = self.client.post(self.url, {"username": "alice@example.org", "password": PASSWORD},
                             REMOTE_ADDR=ATTACKER)  # fmt: skip
        self.assertSignedIn(r)
