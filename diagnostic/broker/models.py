"""Each council's choice about being suggested, introductions (double opt-in) and outcomes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from diagnostic.assessments.models import Round
from diagnostic.frameworks.models import ValueCode
from diagnostic.organisations.models import Organisation


class Visibility(models.TextChoices):
    NAMED = "named", "Suggest us to other councils, by name"
    LGA_REGION = "lga_region", "Only to the LGA and our regional body"
    NONE = "none", "Not at all"


class Disclosure(models.Model):
    """A council's choice for one round. No row means the cautious default: not at all."""

    DEFAULT = Visibility.NONE

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=DEFAULT)
    show_levels = models.BooleanField(
        "show all our levels to a partner once both of us have accepted an introduction",
        default=False,
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation"], name="one_disclosure_per_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.round}: {self.get_visibility_display()}"


class Introduction(models.Model):
    """Two councils put in touch in a round. Contact details only once both leads accept.

    `first` is always the council with the lower id, so a pair has one row however it was
    proposed; only one proposal per pair and round can be open (proposed or accepted) at once.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for answers"
        ACCEPTED = "accepted", "Both accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired without both answers"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class ProposedAs(models.TextChoices):
        NATIONAL = "national", "the LGA programme team"
        REGIONAL = "regional", "a regional body"
        COUNCIL = "council", "one of the two councils"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposed_as = models.CharField(max_length=10, choices=ProposedAs.choices)
    proposer_organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    score = models.FloatField(default=0)
    reasons = models.JSONField(
        default=dict,
        help_text="The reasons at proposal: {'first': [...], 'second': [...], 'fit': [...]}",
    )
    first_answer = models.CharField(max_length=8, blank=True)  # accepted / declined
    first_note = models.TextField(blank=True)
    first_answered_at = models.DateTimeField(null=True, blank=True)
    first_answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    second_answer = models.CharField(max_length=8, blank=True)
    second_note = models.TextField(blank=True)
    second_answered_at = models.DateTimeField(null=True, blank=True)
    second_answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    outcome_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="introduction_pair_ordered"
            ),
            models.UniqueConstraint(
                fields=["round", "first", "second"],
                condition=Q(status__in=["proposed", "accepted"]),
                name="one_open_introduction_per_pair",
            ),
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return f"{self.first} and {self.second} ({self.get_status_display()})"

    def side(self, organisation_id: int) -> str | None:
        """ "first" or "second" for a council of the pair, else None."""
        if organisation_id == self.first_id:
            return "first"
        if organisation_id == self.second_id:
            return "second"
        return None

    def other(self, organisation_id: int) -> Organisation:
        return self.second if organisation_id == self.first_id else self.first

    def answer_of(self, organisation_id: int) -> str:
        return getattr(self, f"{self.side(organisation_id)}_answer")

    @property
    def both_accepted(self) -> bool:
        return self.status == self.Status.ACCEPTED


class Outcome(models.Model):
    """What one council of an accepted introduction says came of it."""

    introduction = models.ForeignKey(
        Introduction, on_delete=models.CASCADE, related_name="outcomes"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    met = models.BooleanField("we met", default=False)
    shared_documents = models.BooleanField("we shared documents", default=False)
    joint_work = models.BooleanField("we started joint work", default=False)
    not_useful = models.BooleanField("it was not useful", default=False)
    improved = models.ManyToManyField(ValueCode, blank=True, related_name="+")
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["introduction", "organisation"], name="one_outcome_per_side"
            )
        ]

    def __str__(self) -> str:
        return f"Outcome for {self.organisation} of {self.introduction}"

    @property
    def useful(self) -> bool:
        return not self.not_useful and (self.met or self.shared_documents or self.joint_work)


class PlanRun(models.Model):
    """One request for a plan of introductions, worked out in the background by the task queue
    (`broker/tasks.py`, docs/decisions/0033): what was asked, how far it has got, and the plan.

    `key` names the question (round, scope, N, time limit and the audience the plan is for):
    while a run is queued or running, asking the same question again gets that run."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Working it out"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    # The scope: neither (the nation), a region, or a cluster.
    region = models.ForeignKey(
        "organisations.Region", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    cluster = models.ForeignKey(
        "organisations.Cluster", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    capacity = models.PositiveSmallIntegerField("introductions per council, at most")
    time_limit = models.FloatField("seconds the solver may take for N > 1")
    # Who the plan is for: the national team sees every council that agreed to be suggested to
    # the LGA; regional leads only theirs (`queries.Audience`). Empty list: national.
    audience_regions = models.JSONField(default=list, blank=True)
    national = models.BooleanField(default=True)
    key = models.CharField(max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=100, blank=True)
    fraction = models.FloatField(default=0.0)
    # The plan as the page shows it: {"rows": [...], "total", "optimal", "gap", "method",
    # "councils", "pairs_considered"} (`services.do_work_out_plan`).
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One queued or running run per question (two requests at once: one run).
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(status__in=["queued", "running"]),
                name="broker_one_active_plan_run_per_question",
            )
        ]
        indexes = [models.Index(fields=["round", "-created_at"])]

    def __str__(self):
        return f"Plan run {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def is_stale(self, now=None) -> bool:
        """Queued or running with no progress for STALE_AFTER: its worker died or none runs."""
        from django.utils import timezone

        now = now or timezone.now()
        return self.status in self.ACTIVE and now - self.progress_at > STALE_AFTER

    @property
    def audience(self):
        from diagnostic.broker.queries import NATIONAL, Audience

        if self.national:
            return NATIONAL
        return Audience("regional", frozenset(self.audience_regions))


# A queued or running plan with no progress for this long is shown as stopped, with "run again"
# (its worker died, or no worker is running). The slowest step without progress reports, the
# solver at 10x, takes well under a minute (docs/performance.md).
STALE_AFTER = dt.timedelta(minutes=10)
