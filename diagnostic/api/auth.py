"""Token authentication for the API: `Authorization: Bearer nps_…`, and nothing else.

The API never reads the session cookie, so a page on another site cannot make a signed-in
person's browser call it: that is why the API needs no CSRF token, and why the rest of the
site keeps Django's CSRF protection untouched (docs/decisions/0024-json-api.md).

For each request with a usable token, in this order: rate limit (per token, in the shared
cache, so every worker counts together when Redis is configured) → scope (GET needs `read`,
anything else `write`) → last used and one audit event → the request runs as the token's
owner, with exactly the roles that person holds now.
"""

from __future__ import annotations

from django.conf import settings
from django_ratelimit.core import get_usage
from ninja.security import HttpBearer

from diagnostic.accounts.access import forget_memberships
from diagnostic.api import services
from diagnostic.api.problems import RateLimited, ScopeMissing

READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def _token_key(group, request) -> str:
    return str(request._api_token.pk)


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        api_token = services.token_for_secret(token)
        if api_token is None:
            return None
        request._api_token = api_token
        usage = get_usage(
            request, group="api-token", key=_token_key, rate=settings.API_RATE_LIMIT,
            increment=True,
        )  # fmt: skip
        if usage is not None and usage["should_limit"]:
            raise RateLimited(usage["time_left"])
        needed = "read" if request.method in READ_METHODS else "write"
        if not api_token.allows(needed):
            raise ScopeMissing(needed)
        services.do_record_use(token=api_token, method=request.method, path=request.path)
        user = api_token.user
        forget_memberships(user)
        request.user = user
        return api_token


token_auth = TokenAuth()
