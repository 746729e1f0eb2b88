import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

SESSION_ACTIVE_KEY = "active_organisation_id"
SESSION_SEEN_KEY = "last_seen"


class IdleTimeoutMiddleware:
    """Sign a person out after SESSION_IDLE_MINUTES without a request (ASVS 7.3.1)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
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
