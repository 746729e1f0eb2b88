"""The second factor: an authenticator app (TOTP, django-otp) and recovery codes.

Required for national admins, national analysts and regional leads (`REQUIRED_ROLES`),
optional for everyone else. After the password, a person with an authenticator app, or one
whose role requires it, must pass the second step before any other page
(`middleware.SecondFactorMiddleware`). See docs/decisions/0019-second-factor.md.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from diagnostic.accounts.models import Membership, Role, User
from diagnostic.audit.services import record
from diagnostic.twofactor.models import RecoveryCode

REQUIRED_ROLES = (Role.NATIONAL_ADMIN, Role.NATIONAL_ANALYST, Role.REGIONAL_LEAD)
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # 31 symbols, no look-alikes: 25 of them ≈ 124 bits

# Session keys: what this sign-in still needs ("verify" or "enrol"), and how it was passed.
PENDING_KEY = "second_factor_pending"
VERIFIED_KEY = "second_factor_verified"


def requires_second_factor(user: User) -> bool:
    return Membership.objects.filter(user=user, role__in=REQUIRED_ROLES).exists()


def authenticator_of(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def note_what_sign_in_needs(sender, request, user, **kwargs) -> None:
    """On sign-in (`user_logged_in`): note whether this session must pass the second step."""
    if authenticator_of(user) is not None:
        request.session[PENDING_KEY] = "verify"
    elif requires_second_factor(user):
        request.session[PENDING_KEY] = "enrol"
    else:
        request.session.pop(PENDING_KEY, None)
    request.session.pop(VERIFIED_KEY, None)


def mark_verified(request, how: str) -> None:
    """The session passed the second step: a new session key (ASVS 7.2.4), nothing pending."""
    request.session.cycle_key()
    request.session.pop(PENDING_KEY, None)
    request.session[VERIFIED_KEY] = how


def is_pending(request) -> str | None:
    return request.session.get(PENDING_KEY) or None


# --- Enrolment -------------------------------------------------------------------------------
def do_start_enrolment(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator key for `user` (any earlier unconfirmed one goes)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def pending_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def do_confirm_enrolment(*, user: User, token: str) -> list[str] | None:
    """Confirm the pending key with a code from the app; replaces any earlier app and issues
    new recovery codes (returned once, never stored in clear). None if the code is wrong."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None or not device.verify_token(_digits(token)):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    record("second_factor.enrolled", actor=user, obj=user)
    return codes


@transaction.atomic
def do_new_recovery_codes(*, user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    record("second_factor.recovery_codes_replaced", actor=user, obj=user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(25))
        codes.append("-".join(raw[i : i + 5] for i in range(0, 25, 5)))
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash(c)) for c in codes])
    return codes


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- The second step at sign-in --------------------------------------------------------------
@transaction.atomic
def verify(*, user: User, token: str) -> str | None:
    """ "app" or "recovery code" if `token` passes (each usable once: ASVS 6.5.1), else None.

    Wrong codes slow the next attempts (django-otp's throttling: 1, 2, 4, 8 … seconds)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    cleaned = token.strip().lower().replace(" ", "")
    if device is not None and not device.verify_is_allowed()[0]:
        return None
    if len(cleaned.replace("-", "")) == 25:
        code = (
            RecoveryCode.objects.select_for_update()
            .filter(user=user, code_hash=_hash(_grouped(cleaned)), used_at__isnull=True)
            .first()
        )
        if code is not None:
            code.used_at = timezone.now()
            code.save(update_fields=["used_at"])
            if device is not None:
                device.throttle_reset()
            record("second_factor.recovery_code_used", actor=user, obj=user,
                   left=recovery_codes_left(user))  # fmt: skip
            return "recovery code"
        if device is not None:
            device.throttle_increment()
        record("second_factor.failed", actor=user, obj=user)
        return None
    if device is not None and device.verify_token(_digits(cleaned)):
        return "app"
    record("second_factor.failed", actor=user, obj=user)
    return None


def throttled_until(user: User):
    device = authenticator_of(user)
    if device is None:
        return None
    allowed, data = device.verify_is_allowed()
    return None if allowed else data.get("locked_until")


# --- Removal and reset -----------------------------------------------------------------------
@transaction.atomic
def do_remove(*, user: User) -> None:
    """A person removes their own second factor (only when their roles do not require it)."""
    if requires_second_factor(user):
        raise PermissionError("Your role requires a second factor.")
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    record("second_factor.removed", actor=user, obj=user)


@transaction.atomic
def do_reset(*, by: User, user: User) -> int:
    """A national admin resets someone's second factor (a lost phone and no recovery codes),
    after checking who they are by other means: the app and codes are removed, every session
    of theirs ends, and at their next sign-in they set up a new one if required. Recorded."""
    from diagnostic.accounts import access
    from diagnostic.accounts.sessions import end_sessions_of

    access.require_national_admin(by)
    had = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    ended = end_sessions_of(user.pk)
    record("second_factor.reset", actor=by, obj=user, had_app=had, sessions_ended=ended)
    return ended


# --- Helpers ---------------------------------------------------------------------------------
def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _grouped(cleaned: str) -> str:
    raw = cleaned.replace("-", "")
    return "-".join(raw[i : i + 5] for i in range(0, 25, 5))


def _digits(token: str) -> str:
    return "".join(ch for ch in str(token) if not ch.isspace())


def current_code(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code the app would show now (`offset` steps later): for tests and the demo."""
    import time

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():0{device.digits}d}"
