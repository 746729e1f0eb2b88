"""A council's action plan for one response: actions with an owner, a due date and a status.

Actions start from suggestions drawn from the council's gaps (`plans/rules.py`), from the
lead's own ideas, or from the previous round's plan (carried forward). `version` rises with
every accepted change, as answers' do (docs/decisions/0006), so nothing is overwritten.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from diagnostic.assessments.models import Response
from diagnostic.frameworks.models import ValueCode
from diagnostic.plans.rules import TITLE_MAX

DESCRIPTION_MAX = 5000
OWNER_MAX = 150


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


# Still to do: the statuses whose value codes a suggestion need not cover again.
OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS)


class Origin(models.TextChoices):
    SUGGESTED = "suggested", "Suggested from the assessment"
    OWN = "own", "Added by the council"
    CARRIED_FORWARD = "carried_forward", "Carried forward from the previous round"


class Action(models.Model):
    """One thing the council will do, serving one or more value codes of its round."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(blank=True)
    owner = models.CharField(
        max_length=OWNER_MAX, blank=True, help_text="A named officer, in the council's words."
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    value_codes = models.ManyToManyField(ValueCode, related_name="actions", blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.OWN)
    suggestion_key = models.CharField(
        max_length=200,
        blank=True,
        help_text="The suggestion this action was accepted from, so it is not suggested again.",
    )
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
        help_text="The previous round's action this one continues.",
    )
    position = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    request_id = models.CharField(
        max_length=64, blank=True, help_text="From the form that created it: a resend adds nothing."
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["response", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "suggestion_key"],
                condition=~models.Q(suggestion_key=""),
                name="action_accepted_once_per_suggestion",
            ),
            models.UniqueConstraint(
                fields=["response", "request_id"],
                condition=~models.Q(request_id=""),
                name="action_created_once_per_request",
            ),
            models.UniqueConstraint(
                fields=["response", "carried_from"],
                condition=models.Q(carried_from__isnull=False),
                name="action_carried_forward_once",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="action_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_date is not None and self.due_date < today


class DismissedSuggestion(models.Model):
    """A suggestion the lead turned down; it is not offered again unless restored."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="dismissed_suggestions"
    )
    key = models.CharField(max_length=200)
    title = models.CharField(max_length=TITLE_MAX, help_text="As it was offered.")
    dismissed_at = models.DateTimeField(default=timezone.now)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["response", "dismissed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["response", "key"], name="suggestion_dismissed_once")
        ]

    def __str__(self) -> str:
        return self.title
