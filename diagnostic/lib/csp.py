"""The Content-Security-Policy header, built once per process instead of on every response."""

from __future__ import annotations

from csp import middleware as csp_middleware
from csp.constants import HEADER
from csp.utils import build_policy
from django.conf import settings

_PER_RESPONSE = (
    "_csp_config", "_csp_update", "_csp_replace",
    "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro",
)  # fmt: skip


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware (same header, ASVS 3.4.3), except that the site's one policy is
    built once and reused: django-csp builds it anew for every response (two `build_policy`
    calls and deep copies, about a fifth of an anonymous `/healthz`'s own CPU). Anything that
    makes one response's policy differ (a view's `csp_update`/`csp_replace`/`csp_exempt`, a
    nonce, a report-only policy, excluded prefixes, DEBUG's error pages) takes django-csp's
    own path. The policy is rebuilt when the settings object changes (`override_settings`)."""

    _for: tuple = ()
    _policy = ""

    def _site_policy(self) -> str | None:
        conf = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        if ro or not conf or conf.get("EXCLUDE_URL_PREFIXES"):
            return None
        if not (self._for and self._for[0] is conf):
            self._for, self._policy = (conf,), build_policy()
        return self._policy

    def process_response(self, request, response):
        policy = self._site_policy()
        if (
            policy is None
            or settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in _PER_RESPONSE)
        ):
            return super().process_response(request, response)
        if policy and HEADER not in response and not getattr(response, "_csp_exempt", False):
            response[HEADER] = policy
        # As django-csp does: asking for a nonce after the header is written is an error.
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
