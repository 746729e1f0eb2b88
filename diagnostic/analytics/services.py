"""Writes of the analytics app: publishing a round's national results, and withdrawing them.

Only a closed round can be published: the public page calls what it shows "the national
results", which an open round's figures are not (they change with every submission). A round
whose results are published cannot be opened again until they are withdrawn
(`assessments.services.do_set_round_status`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from diagnostic.accounts import access
from diagnostic.accounts.models import User
from diagnostic.analytics.models import Publication
from diagnostic.assessments.models import Round
from diagnostic.audit.services import record


def publication_of(round: Round) -> Publication | None:
    return Publication.objects.filter(round=round).select_related("published_by").first()


def can_publish(round: Round) -> bool:
    return round.status == Round.Status.CLOSED


def do_publish_results(*, by: User, round: Round) -> Publication:
    """Publish a closed round's national results (aggregates only, small numbers hidden)."""
    access.require_national_admin(by)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if not can_publish(locked):
            raise ValidationError(
                f"{locked.name} is {locked.get_status_display().lower()}: only a closed round's "
                "results can be published. Close the round first."
            )
        publication, created = Publication.objects.get_or_create(
            round=locked, defaults={"published_by": by}
        )
        if created:
            record("results.published", actor=by, obj=locked)
    return publication


def do_withdraw_results(*, by: User, round: Round) -> bool:
    """Take a round's results off the public page. Returns whether they were published."""
    access.require_national_admin(by)
    with transaction.atomic():
        deleted, _ = Publication.objects.filter(round=round).delete()
        if deleted:
            record("results.withdrawn", actor=by, obj=round)
    return bool(deleted)
