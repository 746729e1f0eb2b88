"""Colleagues' own views on a council's response, the lead's consolidation of them, and the
senior officer's sign-off.

A contributor's views never change the agreed answers (`assessments.Answer`) directly: the
lead adopts a level for each value code (`Decision`), which is saved to the agreed answer
through `assessments.services.do_save_answer` like any other change.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from diagnostic.assessments.models import Priority, Response
from diagnostic.frameworks.models import KeyArea, ValueCode


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Assignment(models.Model):
    """The lead's request for one colleague's views: on every value code or on chosen key areas.

    `user` is set once the colleague first opens their page signed in with the invited email
    address (an invitation to the contributor role is sent when they have no account).
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="assignments")
    email = models.EmailField()
    full_name = models.CharField(max_length=150)
    department = models.CharField(max_length=150, help_text="For example Adult Social Care.")
    job_role = models.CharField(
        "role", max_length=150, help_text="Their role, for example Category manager."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
    )
    invitation = models.ForeignKey(
        "accounts.Invitation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    all_value_codes = models.BooleanField(default=True)
    key_areas = models.ManyToManyField(KeyArea, blank=True, related_name="+")
    due_on = models.DateField("due date", null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveIntegerField(default=0)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "email"], name="one_assignment_per_person_per_response"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.department}) – {self.response}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def label(self) -> str:
        """How the consolidation view names this person: name, department and role."""
        return f"{self.full_name}, {self.job_role}, {self.department}"

    def value_codes(self):
        """The value codes this person was asked about, in framework order."""
        codes = ValueCode.objects.filter(version_id=self.response.round.framework_version_id)
        if not self.all_value_codes:
            codes = codes.filter(key_area__in=self.key_areas.all())
        return codes.select_related("key_area__theme").order_by("position")


class ContributorAnswer(models.Model):
    """One contributor's own view on one value code. `version` rises with every accepted save."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="answers")
    value_code = models.ForeignKey(ValueCode, on_delete=models.PROTECT, related_name="+")
    current_level = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="A level of the round's framework version, or 0 for 'not yet assessed'; "
        "empty if unanswered. Checked against the version's levels by the services.",
    )
    target_level = models.PositiveSmallIntegerField(null=True, blank=True)
    priority = models.CharField(max_length=8, choices=Priority.choices, blank=True)
    comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    last_request_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["value_code__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "value_code"], name="one_view_per_value_code"
            ),
            # Which numbers are levels comes from the framework version: the services check.
            models.CheckConstraint(
                condition=Q(target_level__isnull=True) | Q(target_level__gte=1),
                name="view_target_level_is_a_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment.full_name} {self.value_code.code}"

    def values(self) -> dict:
        return {f: getattr(self, f) for f in CONTRIBUTOR_FIELDS}


CONTRIBUTOR_FIELDS = ["current_level", "target_level", "priority", "comment"]


class Decision(models.Model):
    """The lead's consolidation of one value code: the level adopted, what was suggested, the
    views it was drawn from, who decided, when and why. Every decision is kept; the latest
    one for a value code is the one in force."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="decisions")
    value_code = models.ForeignKey(ValueCode, on_delete=models.PROTECT, related_name="+")
    adopted_level = models.PositiveSmallIntegerField(
        help_text="A level of the round's framework version, or 0 for not yet assessed."
    )
    suggested_level = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The median of the views when the decision was made."
    )
    adopted_suggestion = models.BooleanField(default=False)
    views = models.JSONField(
        default=list, help_text="Each contributor's level at the time: [{name, department, ...}]."
    )
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["response", "value_code", "-decided_at"])]
        # No range constraint: which numbers are levels comes from the framework version, and
        # `services.do_adopt_level` checks against it.

    def __str__(self) -> str:
        return f"{self.response} {self.value_code.code} → {self.adopted_level}"


class SignOffRequest(models.Model):
    """The lead asks a named senior officer to approve the response before it is submitted.

    The officer needs no account: the email carries a single-use link (only its hash is kept).
    An approval is also written to the response's sign-off fields.
    """

    class Decision(models.TextChoices):
        PENDING = "", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Not approved"

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="sign_off_requests"
    )
    officer_name = models.CharField(max_length=150)
    officer_email = models.EmailField()
    officer_role = models.CharField(max_length=150)
    message = models.TextField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"Sign-off of {self.response} by {self.officer_name}"

    @property
    def status(self) -> str:
        if self.decision:
            return self.decision
        if self.withdrawn_at:
            return "withdrawn"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    @property
    def status_label(self) -> str:
        return {
            "approved": "Approved",
            "declined": "Not approved",
            "withdrawn": "Withdrawn",
            "expired": "Expired without a decision",
            "pending": "Waiting for a decision",
        }[self.status]
