"""Sessions in our own table, read with the signed-in person and their memberships in one
statement (decision 0032); sign-in, sign-out, expiry and ending sessions behave as before
(ASVS 7.2.4, 7.4.1, 7.4.2, 8.2.1)."""

import datetime as dt
import io

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.backends import ModelBackend, memberships_with_person
from diagnostic.accounts.models import Membership, Session
from diagnostic.accounts.sessions import SessionStore, current_session, end_sessions_of
from diagnostic.testing import PASSWORD, BaseTestCase


def statements(client, url):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    return r, [q["sql"] for q in ctx.captured_queries]


class SessionRowTests(BaseTestCase):
    def test_signing_in_keeps_the_persons_id_in_the_session_row(self):
        self.client.post(reverse("accounts:sign_in"), {"username": "bob@example.org", "password": PASSWORD})  # fmt: skip
        row = Session.objects.get(session_key=self.client.session.session_key)
        self.assertEqual(row.user_id, self.bob.pk)
        self.assertEqual(row.get_decoded()[SESSION_KEY], str(self.bob.pk))

    def test_a_session_nobody_signed_in_to_has_no_person(self):
        s = SessionStore()
        s["something"] = 1
        s.create()
        self.assertIsNone(Session.objects.get(session_key=s.session_key).user_id)
        loaded = SessionStore(s.session_key)
        self.assertEqual(loaded["something"], 1)
        self.assertIsNone(loaded.memberships_loaded_for(self.bob.pk))

    def test_an_expired_or_unknown_session_loads_nothing(self):
        self.client.force_login(self.bob)
        key = self.client.session.session_key
        Session.objects.filter(session_key=key).update(
            expire_date=timezone.now() - dt.timedelta(seconds=1)
        )
        s = SessionStore(key)
        self.assertEqual(s.load(), {})
        self.assertIsNone(s.session_key)
        self.assertEqual(SessionStore("x" * 32).load(), {})
        r = self.client.get(reverse("accounts:home"))
        self.assertRedirects(r, f"{reverse('accounts:sign_in')}?next={reverse('accounts:home')}")


class OneStatementTests(BaseTestCase):
    def test_a_signed_in_healthz_runs_two_statements(self):
        """The session with the person and their memberships, then the health check's own."""
        self.client.force_login(self.bob)
        self.client.get("/")  # the first request after signing in also writes the session
        r, sql = statements(self.client, "/healthz")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(len(sql), 2, "\n".join(sql))
        self.assertIn('FROM "accounts_session" LEFT OUTER JOIN', sql[0])
        self.assertIn('"accounts_membership"', sql[0])
        self.assertIn('"accounts_user"', sql[0])

    def test_the_session_gives_the_same_person_and_memberships_as_the_backend_alone(self):
        for user in (self.alice, self.bob, self.victor, self.dana, self.erin, self.nina):
            with self.subTest(user=user.email):
                client = Client()
                client.force_login(user)
                store = SessionStore(client.session.session_key)
                with CaptureQueriesContext(connection) as ctx:
                    store.load()
                    token = current_session.set(store)
                    try:
                        loaded = ModelBackend().get_user(user.pk)
                    finally:
                        current_session.reset(token)
                    held = access.memberships_of(loaded)
                self.assertEqual(len(ctx.captured_queries), 1)
                expected = memberships_with_person(user.pk)
                self.assertEqual(loaded, user)
                self.assertEqual([m.pk for m in held], [m.pk for m in expected])
                for a, b in zip(held, expected, strict=True):
                    self.assertEqual(
                        (a.role, a.organisation, a.region), (b.role, b.organisation, b.region)
                    )
                    self.assertIs(a.user, loaded)
                self.assertEqual(
                    {f.attname: getattr(loaded, f.attname) for f in loaded._meta.concrete_fields},
                    {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields},
                )

    def test_the_backend_reads_the_person_itself_when_the_session_loaded_someone_else(self):
        self.client.force_login(self.bob)
        store = SessionStore(self.client.session.session_key)
        store.load()
        token = current_session.set(store)
        try:
            with CaptureQueriesContext(connection) as ctx:
                loaded = ModelBackend().get_user(self.alice.pk)
        finally:
            current_session.reset(token)
        self.assertEqual(loaded, self.alice)
        self.assertEqual(len(ctx.captured_queries), 1)  # Alice's own memberships query

    def test_someone_with_no_role_is_signed_in_with_one_statement_more(self):
        self.client.force_login(self.zoe)
        self.client.get("/")
        r, sql = statements(self.client, "/healthz")
        self.assertEqual(r.status_code, 200)
        self.assertEqual(len(sql), 3, "\n".join(sql))  # session (no membership); Zoe; the check
        r = self.client.get(reverse("accounts:home"))
        self.assertNotEqual(r.status_code, 302)

    def test_a_role_taken_away_is_gone_on_the_next_request(self):
        """ASVS 8.2.1: the memberships come from the database on every request."""
        self.client.force_login(self.bob)
        self.client.get(reverse("accounts:home"))
        Membership.objects.filter(user=self.bob).delete()
        store = SessionStore(self.client.session.session_key)
        store.load()
        self.assertEqual(store.memberships_loaded_for(self.bob.pk), [])
        self.assertEqual(access.memberships_of(ModelBackend().get_user(self.bob.pk)), [])

    def test_an_inactive_person_is_signed_out(self):
        self.client.force_login(self.bob)
        self.bob.is_active = False
        self.bob.save()
        r = self.client.get(reverse("accounts:home"))
        self.assertRedirects(r, f"{reverse('accounts:sign_in')}?next={reverse('accounts:home')}")

    def test_a_changed_password_ends_other_sessions(self):
        """Django's session hash check still runs on the person loaded with the session."""
        self.client.force_login(self.bob)
        self.bob.set_password("a completely new passphrase")
        self.bob.save()
        r = self.client.get(reverse("accounts:home"))
        self.assertRedirects(r, f"{reverse('accounts:sign_in')}?next={reverse('accounts:home')}")


class EndingSessionsTests(BaseTestCase):
    def test_end_sessions_of_deletes_that_persons_sessions_only(self):
        bob_1, bob_2, alice = Client(), Client(), Client()
        bob_1.force_login(self.bob)
        bob_2.force_login(self.bob)
        alice.force_login(self.alice)
        self.assertEqual(end_sessions_of(self.bob.pk), 2)
        self.assertFalse(Session.objects.filter(user_id=self.bob.pk).exists())
        self.assertTrue(Session.objects.filter(session_key=alice.session.session_key).exists())
        r = bob_1.get(reverse("accounts:home"))
        self.assertEqual(r.status_code, 302)

    def test_clearsessions_removes_ended_sessions_from_our_table(self):
        live = Client()
        live.force_login(self.bob)
        Session.objects.create(session_key="y" * 32, session_data="",
                               expire_date=timezone.now() - dt.timedelta(minutes=1))  # fmt: skip
        call_command("clearsessions", stdout=io.StringIO())
        self.assertFalse(Session.objects.filter(session_key="y" * 32).exists())
        self.assertTrue(Session.objects.filter(session_key=live.session.session_key).exists())

    def test_the_engine_is_ours(self):
        self.assertEqual(settings.SESSION_ENGINE, "diagnostic.accounts.sessions")
        self.assertIs(Client().session.__class__, SessionStore)

    def test_sessions_stay_in_the_database_with_redis_too(self):
        """Every worker and app server reads the same session rows (decisions 0028, 0032)."""
        import os
        import subprocess
        import sys

        code = "from django.conf import settings; print(settings.SESSION_ENGINE, settings.CACHES['default']['BACKEND'])"
        for redis, cache in [("", "locmem"), ("redis://127.0.0.1:6379/8", "redis")]:
            env = {
                **os.environ,
                "REDIS_URL": redis,
                "DJANGO_SETTINGS_MODULE": "diagnostic.settings",
            }
            out = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR,
                                 capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
            self.assertEqual(out[0], "diagnostic.accounts.sessions")
            self.assertIn(cache, out[1].lower())
