"""Helpers for API tests: tokens for the personas, and a client that sends them."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from diagnostic.accounts.models import Membership, hash_token
from diagnostic.api.models import ApiToken
from diagnostic.api.services import do_create_token, new_secret

V1 = "/api/v1"


def make_token(user, *, scopes=("read", "write"), days: int = 30, name: str = "Test") -> str:
    """A usable token for `user`; returns its secret. For someone with no role (who cannot
    make one) it is stored directly: a token made before its owner lost every role."""
    if not Membership.objects.filter(user=user).exists():
        secret = new_secret()
        ApiToken.objects.create(
            user=user, name=name, prefix=secret[:10], token_hash=hash_token(secret),
            scopes=list(scopes), expires_at=timezone.now() + dt.timedelta(days=days),
        )  # fmt: skip
        return secret
    _, secret = do_create_token(
        by=user, name=name, scopes=list(scopes),
        expires_on=timezone.localdate() + dt.timedelta(days=days),
    )  # fmt: skip
    return secret


class TokenClient(Client):
    """A test client that sends `Authorization: Bearer <secret>` with every request."""

    def __init__(self, secret: str | None, **kwargs):
        super().__init__(**kwargs)
        self.secret = secret

    def generic(self, method, path, data="", content_type="application/octet-stream", secure=False, *, headers=None, **extra):  # fmt: skip
        headers = dict(headers or {})
        if self.secret:
            headers.setdefault("Authorization", f"Bearer {self.secret}")
        return super().generic(method, path, data, content_type, secure, headers=headers, **extra)

    def put_json(self, path, body: dict):
        return self.put(path, body, content_type="application/json")
