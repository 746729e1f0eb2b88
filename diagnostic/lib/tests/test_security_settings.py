"""Headers, CSRF and the production configuration check (ASVS 3.4, 3.5, 13.x)."""

import os
import subprocess
import sys

from django.conf import settings
from django.test import Client
from django.urls import reverse

from diagnostic.testing import PASSWORD, BaseTestCase


class SecurityHeaderTests(BaseTestCase):
    def test_every_page_sends_the_security_headers(self):
        """ASVS 3.4.3, 3.4.4, 3.4.5, 3.4.6: CSP, nosniff, referrer policy, framing."""
        for url in ["/", reverse("accounts:sign_in"), "/framework/", "/healthz"]:
            r = self.client.get(url)
            csp = r.headers["Content-Security-Policy"]
            self.assertIn("default-src 'self'", csp)
            self.assertIn("script-src 'self'", csp)
            self.assertIn("frame-ancestors 'none'", csp)
            self.assertNotIn("unsafe-inline", csp)
            self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
            self.assertEqual(r.headers["Referrer-Policy"], "same-origin")
            self.assertEqual(r.headers["X-Frame-Options"], "DENY")

    def test_session_and_csrf_cookies_are_http_only_and_same_site(self):
        r = self.client.post(
            reverse("accounts:sign_in"), {"username": "bob@example.org", "password": PASSWORD}
        )
        cookie = r.cookies[settings.SESSION_COOKIE_NAME]
        self.assertTrue(cookie["httponly"])
        self.assertEqual(cookie["samesite"], "Lax")

    def test_state_changing_routes_need_a_csrf_token(self):
        """ASVS 3.5.1."""
        client = Client(enforce_csrf_checks=True)
        r = client.post(
            reverse("accounts:sign_in"), {"username": "bob@example.org", "password": PASSWORD}
        )
        self.assertEqual(r.status_code, 403)
        client.force_login(self.bob)
        r = client.post(
            reverse("accounts:people", args=[self.council_a.pk]),
            {"email": "x@example.org", "role": "viewer"},
        )
        self.assertEqual(r.status_code, 403)
        r = client.post(reverse("accounts:sign_out"))
        self.assertEqual(r.status_code, 403)


def readme_deploy_environment() -> dict[str, str]:
    """The `export …` in README's "Deploying" section, as a dict."""
    import pathlib
    import re
    import shlex

    readme = (pathlib.Path(settings.BASE_DIR) / "README.md").read_text()
    section = readme.split("## Deploying", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    export = re.search(r"^export (.*?)(?<!\\)\n", block, re.S | re.M).group(1)
    words = shlex.split(export.replace("\\\n", " "))
    return dict(word.split("=", 1) for word in words)


class DeployCheckTests(BaseTestCase):
    def run_check(self, **env):
        base = {
            k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "DEBUG"}
        }
        base.update(env)
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=settings.BASE_DIR, env=base, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def test_production_settings_pass_check_deploy(self):
        result = self.run_check(
            DEBUG="0",
            SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-for-the-check-0123456789",
            DATABASE_URL="postgres://nps@127.0.0.1:5432/nps",
            SECURE="1",
            ALLOWED_HOSTS="nps.example.gov.uk",
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_the_readmes_deployment_settings_pass_check_deploy(self):
        """Exactly the variables README's "Deploying" exports (v5.0.0-13.4.2 debug off, 3.4.1 HSTS,
        secure cookies), with its elided values (…) filled in, pass `check --deploy` with no
        warning."""
        env = readme_deploy_environment()
        self.assertLessEqual({"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "SECURE",
                              "BEHIND_PROXY", "CSRF_TRUSTED_ORIGINS"}, set(env))  # fmt: skip
        self.assertEqual(env["DEBUG"], "0")
        fill = {"SECRET_KEY": "p" * 30 + "-documented-production-secret-key-0123456789abcdef",
                "DATABASE_URL": "postgres://nps@127.0.0.1:5432/nps"}  # fmt: skip
        env = {k: (fill[k] if "…" in v else v) for k, v in env.items()}
        self.assertNotIn("…", "".join(env.values()))
        result = self.run_check(**env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues", result.stdout)

    def test_the_development_key_fails_check_deploy(self):
        result = self.run_check(DEBUG="0", SECURE="1", DATABASE_URL="postgres://nps@127.0.0.1/nps")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("diagnostic.E001", result.stderr + result.stdout)
