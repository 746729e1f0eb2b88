"""Writes about API tokens: made, revoked and used. Keyword-only, transactional, audited.

The secret itself is returned once by `do_create_token` and never stored, logged or audited;
the audit trail names the token by its id and prefix.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.models import User, hash_token
from diagnostic.api.models import ApiToken, Scope
from diagnostic.audit.services import record

TOKEN_PREFIX = "nps_"
NAME_MAX = 100
MAX_DAYS = 366
MAX_ACTIVE_TOKENS = 20


def new_secret() -> str:
    """A 256-bit random token, recognisable by its `nps_` prefix (for secret scanners)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def clean_token_fields(*, name: str, scopes: list[str], expires_on: dt.date | None) -> dict:
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Enter a name, so you can tell this token from others."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name to {NAME_MAX} characters or fewer."
    scopes = sorted(set(scopes or []))
    if not scopes:
        errors["scopes"] = "Choose at least one scope: read or write."
    elif set(scopes) - set(Scope.values):
        errors["scopes"] = "Choose read, write or both."
    today = timezone.localdate()
    if expires_on is None:
        errors["expires_on"] = "Enter the date the token stops working."
    elif expires_on <= today:
        errors["expires_on"] = "The expiry date must be in the future."
    elif expires_on > today + dt.timedelta(days=MAX_DAYS):
        errors["expires_on"] = "A token can last a year at most."
    if errors:
        raise ValidationError(errors)
    return {"name": name, "scopes": scopes, "expires_on": expires_on}


def do_create_token(
    *, by: User, name: str, scopes: list[str], expires_on: dt.date | None
) -> tuple[ApiToken, str]:
    """Make a token for `by`; return it and its secret (shown once, never stored).

    Only someone holding a role makes one: without a role a token reaches nothing the open
    endpoints (which need none) do not show."""
    if not access.memberships_of(by):
        raise PermissionDenied("You need a role in an organisation, a region or the national team.")
    values = clean_token_fields(name=name, scopes=scopes, expires_on=expires_on)
    # The end of the expiry day, UK time: "works until 3 March" means all of 3 March.
    expires_at = dt.datetime.combine(
        values["expires_on"] + dt.timedelta(days=1),
        dt.time.min,
        tzinfo=timezone.get_current_timezone(),
    )
    with transaction.atomic():
        active = (
            ApiToken.objects.select_for_update()
            .filter(user=by, revoked_at__isnull=True, expires_at__gt=timezone.now())
            .count()
        )
        if active >= MAX_ACTIVE_TOKENS:
            raise ValidationError(
                {"name": f"You have {active} tokens in use; revoke one before making another."}
            )
        secret = new_secret()
        token = ApiToken.objects.create(
            user=by,
            name=values["name"],
            prefix=secret[: len(TOKEN_PREFIX) + 6],
            token_hash=hash_token(secret),
            scopes=values["scopes"],
            expires_at=expires_at,
        )
        record(
            "api_token.created", actor=by, obj=token, name=token.name, prefix=token.prefix,
            scopes=token.scopes, expires_at=token.expires_at.isoformat(),
        )  # fmt: skip
    return token, secret


def do_revoke_token(*, by: User, token: ApiToken) -> ApiToken:
    """Stop a token working at once. Only its owner revokes it (or an admin through the owner's
    account being made inactive). Revoking twice changes nothing."""
    if token.user_id != by.pk:
        raise PermissionDenied("You can only revoke your own tokens.")
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            record("api_token.revoked", actor=by, obj=token, prefix=token.prefix)
    token.refresh_from_db()
    return token


def token_for_secret(secret: str) -> ApiToken | None:
    """The usable token behind a secret, with its owner, or None (unknown, expired, revoked,
    or its owner can no longer sign in)."""
    if not secret or len(secret) > 100 or not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(
            token_hash=hash_token(secret), revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token


def do_record_use(*, token: ApiToken, method: str, path: str) -> None:
    """Every accepted request: last used, and one line in the audit trail (no secret in it)."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    record(
        "api_token.used", actor=token.user, obj=token, method=method, path=path[:200],
    )  # fmt: skip
