import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

SESSION_ACTIVE_KEY = "active_organisation_id"
SESSION_SEEN_KEY = "last_seen"
SESSION_SIGNED_IN_KEY = "signed_in_at"


def start_session_clock(sender, request, user, **kwargs):
    """On sign-in (`user_logged_in`): note when, and fix the session's expiry at that instant
    plus SESSION_COOKIE_AGE, so saving the session later never moves it (ASVS 7.3.2)."""
    import datetime as dt

    from django.utils import timezone

    request.session[SESSION_SIGNED_IN_KEY] = int(time.time())
    request.session.set_expiry(timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE))


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, except that while `request.user` is loaded the backend can see this request's
    session, so it takes the person the session engine loaded with the session row instead of
    reading them again (`accounts/sessions.py`, decision 0032). Nothing else differs: Django's
    `auth.get_user` still checks the backend, the person's id and the session's hash."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _get_user(request))


def _get_user(request):
    from diagnostic.accounts.sessions import current_session

    token = current_session.set(request.session)
    try:
        return auth_middleware.get_user(request)
    finally:
        current_session.reset(token)


class IdleTimeoutMiddleware:
    """Sign a person out after SESSION_IDLE_MINUTES without a request (ASVS 7.3.1), and
    SESSION_MAX_AGE_HOURS after signing in whatever they do (ASVS 7.3.2)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(SESSION_SIGNED_IN_KEY, now)
            if now - started > settings.SESSION_COOKIE_AGE:
                # The absolute limit, counted from sign-in; activity does not extend it.
                logout(request)
                hours = settings.SESSION_COOKIE_AGE // 3600
                messages.info(
                    request, f"You were signed out: a sign-in lasts at most {hours} hours."
                )
                return redirect(f"{reverse('accounts:sign_in')}?next={request.path}")
            last = request.session.get(SESSION_SEEN_KEY, now)
            if now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
                return redirect(f"{reverse('accounts:sign_in')}?next={request.path}")
            # Write at most once a minute so autosaves do not rewrite the session each time.
            if now - last >= 60 or SESSION_SEEN_KEY not in request.session:
                request.session[SESSION_SEEN_KEY] = now
        return self.get_response(request)


def _active_membership(request):
    from diagnostic.accounts.access import organisation_memberships

    org_memberships = organisation_memberships(request.user)
    if not org_memberships:
        return None
    wanted = request.session.get(SESSION_ACTIVE_KEY)
    for m in org_memberships:
        if m.organisation_id == wanted:
            return m
    return org_memberships[0]


class ActiveMembershipMiddleware:
    """`request.membership`: the organisation membership the person is working in now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _active_membership(request))
        return self.get_response(request)
