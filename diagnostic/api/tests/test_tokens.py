"""Personal API tokens: made on the account page, shown once, stored hashed, listed, revoked,
limited by scope, expiry and rate; every use recorded (ASVS 6.4.1, 7.2.1, 8.2.1, 16.2.1)."""

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from diagnostic.api.models import ApiToken
from diagnostic.api.services import do_create_token
from diagnostic.api.testing import V1, TokenClient, make_token
from diagnostic.audit.models import AuditEvent
from diagnostic.testing import BaseTestCase


class TokenPageTests(BaseTestCase):
    def make(self, **fields):
        data = {"name": "Performance system", "scopes": ["read", "write"],
                "expires_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat()}  # fmt: skip
        data.update(fields)
        return self.client.post(reverse("apiweb:tokens"), data)

    def test_a_token_is_shown_once_and_only_its_hash_is_kept(self):
        self.client.force_login(self.bob)
        r = self.make()
        self.assertEqual(r.status_code, 200)
        secret = r.context["secret"]
        self.assertTrue(secret.startswith("nps_"))
        self.assertGreaterEqual(len(secret), 46)
        self.assertContains(r, secret)
        self.assertEqual(r["Cache-Control"].count("no-store"), 1)
        token = ApiToken.objects.get(user=self.bob)
        self.assertEqual(token.token_hash, hashlib.sha256(secret.encode()).hexdigest())
        self.assertEqual(token.scopes, ["read", "write"])
        self.assertEqual(token.prefix, secret[:10])
        for value in ApiToken.objects.filter(pk=token.pk).values().first().values():
            self.assertNotEqual(value, secret)
        # The audit trail names the token, never its secret.
        event = AuditEvent.objects.get(action="api_token.created")
        self.assertNotIn(secret, str(event.detail))
        # Listed afterwards, but never shown again.
        r = self.client.get(reverse("apiweb:tokens"))
        self.assertNotContains(r, secret)
        self.assertContains(r, "Performance system")
        self.assertContains(r, token.prefix)

    def test_every_bad_input_is_named_and_nothing_is_made(self):
        self.client.force_login(self.bob)
        today = timezone.localdate()
        cases = [
            ({"name": ""}, "name"),
            ({"name": "x" * 101}, "name"),
            ({"scopes": []}, "scopes"),
            ({"scopes": ["admin"]}, "scopes"),
            ({"expires_on": today.isoformat()}, "expires_on"),
            ({"expires_on": (today - dt.timedelta(days=1)).isoformat()}, "expires_on"),
            ({"expires_on": (today + dt.timedelta(days=367)).isoformat()}, "expires_on"),
            ({"expires_on": "31/02/2027"}, "expires_on"),
            ({"expires_on": ""}, "expires_on"),
        ]
        for fields, field in cases:
            with self.subTest(fields=fields):
                r = self.make(**fields)
                self.assertEqual(r.status_code, 422)
                self.assertIn(field, r.context["form"].errors)
                self.assertIsNone(r.context["secret"])
        self.assertFalse(ApiToken.objects.exists())

    def test_the_page_needs_sign_in_and_csrf(self):
        r = self.client.get(reverse("apiweb:tokens"))
        self.assertEqual(r.status_code, 302)
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(self.bob)
        r = strict.post(reverse("apiweb:tokens"), {"name": "x", "scopes": ["read"],
                                                   "expires_on": "2099-01-01"})  # fmt: skip
        self.assertEqual(r.status_code, 403)
        self.assertFalse(ApiToken.objects.exists())

    def test_a_person_revokes_their_own_token_and_only_theirs(self):
        make_token(self.bob)
        bobs = ApiToken.objects.get(user=self.bob)
        self.client.force_login(self.charlie)
        self.assertEqual(
            self.client.post(reverse("apiweb:revoke", args=[bobs.pk])).status_code, 404
        )
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(reverse("apiweb:revoke", args=[bobs.pk])).status_code, 405)
        bobs.refresh_from_db()
        self.assertIsNone(bobs.revoked_at)
        r = self.client.post(reverse("apiweb:revoke", args=[bobs.pk]))
        self.assertRedirects(r, reverse("apiweb:tokens"))
        bobs.refresh_from_db()
        self.assertEqual(bobs.status, "revoked")
        self.assertEqual(AuditEvent.objects.filter(action="api_token.revoked").count(), 1)
        # Again: nothing more happens.
        self.client.post(reverse("apiweb:revoke", args=[bobs.pk]))
        self.assertEqual(AuditEvent.objects.filter(action="api_token.revoked").count(), 1)

    def test_the_account_page_links_to_tokens_for_people_with_a_role(self):
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(reverse("accounts:home")), reverse("apiweb:tokens"))
        self.client.force_login(self.zoe)
        self.assertNotContains(self.client.get(reverse("accounts:home")), reverse("apiweb:tokens"))
        self.assertEqual(self.client.get(reverse("apiweb:tokens")).status_code, 403)
        with self.assertRaises(PermissionDenied):
            do_create_token(
                by=self.zoe,
                name="x",
                scopes=["read"],
                expires_on=timezone.localdate() + dt.timedelta(days=3),
            )
        self.assertFalse(ApiToken.objects.exists())


class TokenUseTests(BaseTestCase):
    def test_a_token_acts_as_its_owner_and_each_use_is_recorded(self):
        secret = make_token(self.bob)
        r = TokenClient(secret).get(f"{V1}/me")
        self.assertEqual(r.status_code, 200)
        body = r.json()
        self.assertEqual(body["email"], self.bob.email)
        self.assertEqual(
            body["roles"],
            [{"role": "lead", "organisation": self.council_a.gss_code, "region": None}],
        )
        token = ApiToken.objects.get(user=self.bob)
        self.assertIsNotNone(token.last_used_at)
        used = AuditEvent.objects.filter(action="api_token.used")
        self.assertEqual(used.count(), 1)
        event = used.get()
        self.assertEqual((event.actor, event.object_id), (self.bob, str(token.pk)))
        self.assertEqual(event.detail, {"method": "GET", "path": f"{V1}/me"})

    def test_what_a_token_reads_is_not_kept_by_shared_caches(self):
        r = TokenClient(make_token(self.bob)).get(f"{V1}/me")
        self.assertEqual(r["Cache-Control"], "private, no-store")
        self.assertIn("Authorization", r["Vary"])

    def test_missing_unknown_expired_revoked_and_inactive_tokens_get_401(self):
        live = make_token(self.bob, name="live")
        expired = make_token(self.bob, name="expired")
        ApiToken.objects.filter(name="expired").update(expires_at=timezone.now())
        revoked = make_token(self.bob, name="revoked")
        ApiToken.objects.filter(name="revoked").update(revoked_at=timezone.now())
        inactive = make_token(self.victor)
        self.victor.is_active = False
        self.victor.save()
        for label, headers in [
            ("none", {}),
            ("unknown", {"Authorization": "Bearer nps_" + "x" * 43}),
            ("not ours", {"Authorization": "Bearer abc"}),
            ("basic", {"Authorization": f"Basic {live}"}),
            ("expired", {"Authorization": f"Bearer {expired}"}),
            ("revoked", {"Authorization": f"Bearer {revoked}"}),
            ("inactive owner", {"Authorization": f"Bearer {inactive}"}),
            ("too long", {"Authorization": "Bearer nps_" + "x" * 500}),
        ]:
            with self.subTest(label):
                r = Client().get(f"{V1}/me", headers=headers)
                self.assertEqual(r.status_code, 401)
                self.assertEqual(r["Content-Type"], "application/problem+json")
                self.assertIn("Bearer", r["WWW-Authenticate"])
        self.assertFalse(AuditEvent.objects.filter(action="api_token.used").exists())

    def test_scopes_limit_what_a_token_does(self):
        read_only = TokenClient(make_token(self.bob, scopes=["read"]))
        r = read_only.put_json(f"{V1}/responses/1/answers/EC1", {"version": 0})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()["type"], "/api/v1/reference/#problem-scope-missing")
        write_only = TokenClient(make_token(self.bob, scopes=["write"]))
        self.assertEqual(write_only.get(f"{V1}/me").status_code, 403)

    def test_a_session_never_authenticates_the_api(self):
        """The API reads no cookie: signed in on the site is not signed in to the API, so the
        API needs no CSRF token and cross-site requests get nothing (ASVS 3.5.1)."""
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(f"{V1}/me").status_code, 401)
        r = self.client.put(
            f"{V1}/responses/1/answers/EC1", {"version": 0}, content_type="application/json"
        )
        self.assertEqual(r.status_code, 401)

    def test_losing_a_role_narrows_the_token_at_once(self):
        token = TokenClient(make_token(self.bob))
        self.assertEqual(len(token.get(f"{V1}/me").json()["roles"]), 1)
        self.bob.memberships.all().delete()
        self.assertEqual(token.get(f"{V1}/me").json()["roles"], [])


@override_settings(API_RATE_LIMIT="3/m")
class RateLimitTests(BaseTestCase):
    def test_a_token_over_its_limit_gets_429_with_retry_after(self):
        first = TokenClient(make_token(self.bob, name="first"))
        second = TokenClient(make_token(self.bob, name="second"))
        self.assertEqual([first.get(f"{V1}/me").status_code for _ in range(3)], [200] * 3)
        r = first.get(f"{V1}/me")
        self.assertEqual(r.status_code, 429)
        self.assertEqual(r["Content-Type"], "application/problem+json")
        retry = int(r["Retry-After"])
        self.assertTrue(1 <= retry <= 60, retry)
        self.assertIn(str(retry), r.json()["detail"])
        # Per token: the other token is untouched; refused requests are not recorded as uses.
        self.assertEqual(second.get(f"{V1}/me").status_code, 200)
        self.assertEqual(AuditEvent.objects.filter(action="api_token.used").count(), 4)


REDIS_DB1 = "redis://127.0.0.1:6379/1"


def redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_DB1, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@override_settings(
    API_RATE_LIMIT="4/m",
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_DB1,
            "KEY_PREFIX": "nps-test-i17",
        }
    },
)
class SharedRateLimitTests(BaseTestCase):
    """With Redis configured, every worker counts against one limit per token."""

    def setUp(self):
        if not redis_reachable():
            self.skipTest("Redis is not running on 127.0.0.1:6379")
        super().setUp()

    def test_requests_from_separate_workers_share_one_count(self):
        from unittest import mock

        from django.conf import settings
        from django.core.cache.backends.redis import RedisCache

        secret = make_token(self.bob)
        client = TokenClient(secret)
        statuses = []
        for _ in range(3):
            # A cache object of its own, with its own connection pool: one gunicorn worker.
            worker_cache = RedisCache(REDIS_DB1, {"KEY_PREFIX": "nps-test-i17"})
            caches = {settings.RATELIMIT_USE_CACHE: worker_cache}
            with mock.patch("django_ratelimit.core.caches", caches):
                statuses += [client.get(f"{V1}/me").status_code for _ in range(2)]
        self.assertEqual(statuses, [200] * 4 + [429] * 2)
