"""Assessment rounds, each council's one response per round, and its answers."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.db import models
from django.utils import timezone

from diagnostic.frameworks.models import FrameworkVersion, ValueCode
from diagnostic.organisations.models import Organisation

UK = zoneinfo.ZoneInfo("Europe/London")


class Round(models.Model):
    """One national exercise, on one framework version, open between two UK dates."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Not yet opened"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=120, unique=True)
    framework_version = models.ForeignKey(
        FrameworkVersion, on_delete=models.PROTECT, related_name="rounds"
    )
    opens_on = models.DateField(
        help_text="Answers can be given from the start of this day (UK time)."
    )
    closes_on = models.DateField(
        help_text="Answers can be given until the end of this day (UK time)."
    )
    nations = models.JSONField(default=list, help_text="The nations whose organisations take part.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    eligibility_date = models.DateField(
        help_text="Organisations that existed on this date are eligible (normally the opening day)."
    )
    previous_round = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-opens_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")),
                name="round_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def opens_at(self) -> dt.datetime:
        return dt.datetime.combine(self.opens_on, dt.time.min, tzinfo=UK)

    @property
    def closes_at(self) -> dt.datetime:
        """The first moment after the closing day, UK time."""
        return dt.datetime.combine(self.closes_on + dt.timedelta(days=1), dt.time.min, tzinfo=UK)

    def is_accepting_answers(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now < self.closes_at

    @property
    def phase(self) -> str:
        """What a person should be told: not yet open, open, or closed."""
        now = timezone.now()
        if self.status == self.Status.CLOSED or now >= self.closes_at:
            return "closed"
        if self.status == self.Status.DRAFT or now < self.opens_at:
            return "not_open"
        return "open"

    def days_left(self) -> int:
        return max(0, (self.closes_on - timezone.localdate()).days)


class Priority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    NONE = "none", "Not a priority"


class SpendBand(models.TextChoices):
    UNDER_50M = "under_50m", "Under £50 million"
    FROM_50M = "50m_150m", "£50 million to £150 million"
    FROM_150M = "150m_500m", "£150 million to £500 million"
    OVER_500M = "over_500m", "Over £500 million"


class TeamSize(models.TextChoices):
    UNDER_5 = "under_5", "Fewer than 5 people"
    FROM_5 = "5_15", "5 to 15 people"
    FROM_15 = "15_40", "15 to 40 people"
    OVER_40 = "over_40", "More than 40 people"


class SharedService(models.TextChoices):
    NONE = "none", "No shared arrangement"
    SHARED_TEAM = "shared_team", "A procurement team shared with other councils"
    HOSTS = "hosts", "We host a shared service for others"
    OUTSOURCED = "outsourced", "Procurement is provided by another body"


class Response(models.Model):
    """An organisation's one consolidated response to a round."""

    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        SUBMITTED = "submitted", "Submitted"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="responses")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="responses"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=0)

    # About the response
    officer_name = models.CharField("responsible officer", max_length=150, blank=True)
    officer_email = models.EmailField("responsible officer's email", blank=True)
    officer_role = models.CharField("responsible officer's role", max_length=150, blank=True)
    spend_band = models.CharField(
        "third-party spend", max_length=12, choices=SpendBand.choices, blank=True
    )
    team_size = models.CharField(
        "procurement team size", max_length=10, choices=TeamSize.choices, blank=True
    )
    shared_service = models.CharField(
        "shared-service arrangement", max_length=12, choices=SharedService.choices, blank=True
    )
    consent_regional_sharing = models.BooleanField(
        "share our named response with our regional body", default=False
    )
    contributors_see_each_other = models.BooleanField(
        "contributors can see each other's views",
        default=False,
        help_text="If ticked, each contributor sees the other contributors' views on the value "
        "codes they were asked about. The lead always sees every view.",
    )
    signed_off_name = models.CharField("signed off by", max_length=150, blank=True)
    signed_off_role = models.CharField("their role", max_length=150, blank=True)
    signed_off_on = models.DateField("date of sign-off", null=True, blank=True)

    # Progress
    answered_count = models.PositiveIntegerField(
        default=0, help_text="Value codes with a current level."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "organisation"], name="one_response_per_round")
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.round}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_editable(self) -> bool:
        return not self.is_submitted and self.round.is_accepting_answers()

    @property
    def stage(self) -> str:
        if self.is_submitted:
            return "submitted"
        return "in_progress" if self.started_at else "not_started"

    @property
    def stage_label(self) -> str:
        return {
            "submitted": "Submitted",
            "in_progress": "In progress",
            "not_started": "Not started",
        }[self.stage]


class Answer(models.Model):
    """A council's answer for one value code. `version` rises with every accepted save."""

    NOT_ASSESSED = 0

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    value_code = models.ForeignKey(ValueCode, on_delete=models.PROTECT, related_name="answers")
    current_level = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="A level of the round's framework version, or 0 for 'not yet assessed'; "
        "empty if unanswered. Checked against the version's levels by the services.",
    )
    target_level = models.PositiveSmallIntegerField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=8, choices=Priority.choices, blank=True)
    comment = models.TextField(blank=True)
    could_share = models.BooleanField("we could share practice here", default=False)
    want_support = models.BooleanField("we would welcome support here", default=False)
    carried_forward = models.BooleanField(
        default=False, help_text="Copied from the previous round and not yet confirmed."
    )
    version = models.PositiveIntegerField(default=0)
    last_request_id = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["value_code__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["response", "value_code"], name="one_answer_per_value_code"
            ),
            # The levels come from the framework version, so which numbers are levels is
            # checked by the services (`clean_answer_fields`); a target is never "not assessed".
            models.CheckConstraint(
                condition=models.Q(target_level__isnull=True) | models.Q(target_level__gte=1),
                name="target_level_is_a_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response} {self.value_code.code}"

    @property
    def is_answered(self) -> bool:
        return self.current_level is not None

    def values(self) -> dict:
        """The fields a person edits, for comparing and showing conflicts."""
        return {f: getattr(self, f) for f in ANSWER_FIELDS}


ANSWER_FIELDS = [
    "current_level",
    "target_level",
    "target_date",
    "priority",
    "comment",
    "could_share",
    "want_support",
]


class Submission(models.Model):
    """A submitted response as it stood, kept when an administrator reopens it."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="submissions")
    number = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    snapshot = models.JSONField(help_text="Response details and every answer at submission.")
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "number"]
        constraints = [
            models.UniqueConstraint(fields=["response", "number"], name="unique_submission_number")
        ]

    def __str__(self) -> str:
        return f"{self.response} submission {self.number}"


class Reminder(models.Model):
    """An email sent to the leads of councils that had not submitted, kept as it was written.

    `subject` and `body` are the text before the placeholders were filled in; each lead got
    them with their own council's name, deadline and link.
    """

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reminders")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    stages = models.JSONField(
        default=list, help_text="The stages of the councils reminded: not_started, in_progress."
    )
    filter_description = models.CharField(
        max_length=500, blank=True, help_text="The filters on the round page, in words."
    )
    subject = models.CharField(max_length=150)
    body = models.TextField()
    recipient_count = models.PositiveIntegerField(default=0, help_text="Emails sent.")
    organisation_count = models.PositiveIntegerField(default=0, help_text="Councils reminded.")
    skipped_count = models.PositiveIntegerField(
        default=0, help_text="Councils in the selection left out because they have no lead."
    )
    request_id = models.CharField(
        max_length=64, blank=True, help_text="From the preview form: a second click sends nothing."
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request_id"], condition=~models.Q(request_id=""), name="reminder_sent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.round} reminder of {self.sent_at:%Y-%m-%d %H:%M}"

    @property
    def stage_labels(self) -> list[str]:
        labels = {"not_started": "Not started", "in_progress": "In progress"}
        return [labels.get(s, s) for s in self.stages]


class ReminderRecipient(models.Model):
    """One email of a reminder: which council's lead it went to, at which address."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="recipients")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()

    class Meta:
        ordering = ["organisation__name", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "organisation", "email"], name="one_email_per_lead_per_reminder"
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.organisation})"
