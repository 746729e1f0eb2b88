"""Signing in with an email and password, and loading the signed-in person on each request."""

from __future__ import annotations

from django.contrib.auth import backends

from diagnostic.accounts.models import Membership
from diagnostic.lib.prepared import Prepared


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend, except that each request loads the person with their memberships
    (organisations and regions) in one query instead of two: nearly every signed-in request
    asks what they hold (`access.memberships_of`), and the autosave counts every statement.

    The memberships are the request's own, read from the database on every request as before:
    a role taken away is gone on the next request. When this request's session was loaded with
    its person (`accounts/sessions.py`, the same query joined to the session row), that person
    is taken, if they are the one asked for; otherwise they are read here. Someone with no
    membership at all is read by Django's own query.
    """

    def get_user(self, user_id):
        from diagnostic.accounts.sessions import current_session

        session = current_session.get()
        memberships = None
        if session is not None and hasattr(session, "memberships_loaded_for"):
            memberships = session.memberships_loaded_for(user_id)
        if memberships is None:
            memberships = memberships_with_person(user_id)
        if not memberships:
            user = super().get_user(user_id)
            if user is not None:
                user._memberships_cache = []
            return user
        user = memberships[0].user
        for m in memberships:
            m.user = user  # one object for the person, as a prefetch would give
        user._memberships_cache = memberships
        return user if self.user_can_authenticate(user) else None


def _queryset(user_id):
    return (
        Membership.objects.filter(user_id=user_id)
        .select_related("user", "organisation", "region")
        .order_by("organisation__short_name", "region__name", "role")
    )


_memberships_with_person = Prepared(_queryset)


def memberships_with_person(user_id) -> list[Membership]:
    """`_queryset(user_id)`, with its SQL compiled once per process and database instead of on
    every request (Django's compiler took about two thirds of this query's 1.6 ms of CPU)."""
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return []
    return _memberships_with_person(user_id)
