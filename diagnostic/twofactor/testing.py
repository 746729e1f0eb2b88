"""Test helpers for the second factor: enrol a person, and a code their app would show."""

from __future__ import annotations

from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from diagnostic.twofactor import services


def enrol(user) -> TOTPDevice:
    """A confirmed authenticator app for `user` (as if they had set one up)."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def fresh_code(user) -> str:
    """A code the user's app shows that has not been used yet (codes are single-use, so a
    second sign-in within the same 30 seconds takes the next step's code)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    offset = 0 if device.last_t < totp.t() else device.last_t - totp.t() + 1
    return services.current_code(device, offset=offset)


class VerifyingClient(Client):
    """The test client whose `force_login` also passes the second step, as the person would
    with their app: a staff persona enrols first if they have no app yet. Tests of the second
    factor itself sign in through the forms (or use `force_login(user, verify=False)`)."""

    def force_login(self, user, backend=None, *, verify: bool = True):
        super().force_login(user, backend)
        if not verify:
            return
        session = self.session
        pending = session.get(services.PENDING_KEY)
        if not pending:
            return
        if pending == "enrol" and services.authenticator_of(user) is None:
            enrol(user)
        session.pop(services.PENDING_KEY, None)
        session[services.VERIFIED_KEY] = "test client"
        session.save()
