"""The library of good practice: case studies, their attachments and history, invitations to
write one up, and related guidance curated by the national team.

A case study belongs to one council and one framework version; it shows one level of that
version ("what good looks like" there) on one or more of its value codes. Its text is Markdown,
stored as written and rendered through the sanitiser in `practice/markdown.py`
(`docs/decisions/0016-good-practice-storage-and-sanitising.md`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from diagnostic.frameworks.models import (
    Enabler,
    FrameworkVersion,
    KeyArea,
    Level,
    ValueCode,
)
from diagnostic.organisations.models import Organisation


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for moderation"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETURNED = "returned", "Returned with comments"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Everyone"
    COUNCILS = "councils", "Signed-in councils only"
    SECTOR_BODIES = "sector_bodies", "The LGA and regions only"


# The fields a council writes; the autosave compares and saves exactly these.
TEXT_FIELDS = [
    "title",
    "summary",
    "what_was_done",
    "results",
    "differently",
    "contact_role",
]
EDIT_FIELDS = [*TEXT_FIELDS, "visibility", "named"]


class CaseStudy(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="case_studies"
    )
    framework_version = models.ForeignKey(
        FrameworkVersion, on_delete=models.PROTECT, related_name="case_studies"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField(default=1)
    last_request_id = models.CharField(max_length=64, blank=True)

    title = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True, help_text="Markdown.")
    value_codes = models.ManyToManyField(ValueCode, related_name="case_studies", blank=True)
    level = models.ForeignKey(
        Level, on_delete=models.PROTECT, null=True, blank=True, related_name="case_studies"
    )
    key_area = models.ForeignKey(
        KeyArea, on_delete=models.PROTECT, null=True, blank=True, related_name="case_studies"
    )
    enablers = models.ManyToManyField(Enabler, related_name="case_studies", blank=True)
    what_was_done = models.TextField(blank=True, help_text="Markdown.")
    results = models.TextField(blank=True, help_text="Markdown: results, with figures.")
    differently = models.TextField(blank=True, help_text="Markdown.")
    contact_role = models.CharField(max_length=150, blank=True)
    visibility = models.CharField(
        max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    named = models.BooleanField(
        "show our council's name",
        default=True,
        help_text="Otherwise it appears as, for example, “a district council in the North West”.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "visibility", "-published_at", "-id"]),
            # A signed-in reader sees several visibilities: newest first straight from an index,
            # stopping after a page, instead of joining and sorting every published one.
            models.Index(fields=["state", "-published_at", "-id"], name="practice_cs_state_newest"),
            models.Index(fields=["organisation", "state"]),
            models.Index(fields=["state", "title", "id"]),
        ]
        verbose_name_plural = "case studies"

    def __str__(self) -> str:
        return self.title or f"Untitled case study {self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.state in (State.DRAFT, State.RETURNED)

    @property
    def is_published(self) -> bool:
        return self.state == State.PUBLISHED

    @property
    def author_label(self) -> str:
        """The council's name, or "a district council in the North West" when anonymous."""
        org = self.organisation
        if self.named:
            return org.name
        kind = org.get_type_display()
        kind = kind[0].lower() + kind[1:] if kind else "council"
        article = "an" if kind[:1] in "aeiou" else "a"
        region = getattr(org.region, "name", "")
        return f"{article} {kind} in {region}" if region else f"{article} {kind}"

    @property
    def short_summary(self) -> str:
        """The summary cut at a word near 300 characters, for lists."""
        text = self.summary.strip()
        if len(text) <= 300:
            return text
        return text[:300].rsplit(" ", 1)[0].rstrip(",.;:") + "…"

    def values(self) -> dict:
        """The fields a person edits, for comparing and showing conflicts."""
        return {f: getattr(self, f) for f in EDIT_FIELDS}


class CaseStudyEvent(models.Model):
    """One step of a case study's life: who did it, when, and any comment (shown on its page)."""

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_study_id} {self.action} at {self.at:%Y-%m-%d %H:%M}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploaded name: a random one, with the extension of the checked kind.
    return f"practice/{uuid.uuid4().hex}.{instance.kind}"


class Attachment(models.Model):
    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, help_text="The type found in its content: pdf, docx, …")
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class WriteUpInvitation(models.Model):
    """The national team or a regional lead asks a council to write up practice on one value code.

    One per council, value code and round: nobody is asked twice for the same thing in a round.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Being written"
        DECLINED = "declined", "Declined"

    round = models.ForeignKey(
        "assessments.Round", on_delete=models.CASCADE, related_name="write_up_invitations"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="write_up_invitations"
    )
    value_code = models.ForeignKey(ValueCode, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(help_text="Why they were chosen; quoted in the email.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(blank=True)
    case_study = models.ForeignKey(
        CaseStudy, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )

    class Meta:
        ordering = ["-invited_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "organisation", "value_code"], name="one_write_up_invitation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.value_code.code} ({self.round})"


class Guidance(models.Model):
    """A resource the national team recommends beside the case studies of a value code or key
    area. Links are checked for format, never fetched."""

    class Kind(models.TextChoices):
        TOOLKIT = "toolkit", "Toolkit"
        TEMPLATE = "template", "Template"
        GUIDANCE = "guidance", "Guidance"
        TRAINING = "training", "Training"

    title = models.CharField(max_length=200)
    url = models.URLField("link", max_length=500, blank=True)
    file = models.FileField(upload_to=attachment_path, max_length=200, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField("file kind", max_length=8, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    publisher = models.CharField(max_length=150)
    published_on = models.DateField("date")
    type = models.CharField(max_length=10, choices=Kind.choices)
    value_code = models.ForeignKey(
        ValueCode, on_delete=models.CASCADE, null=True, blank=True, related_name="related_guidance"
    )
    key_area = models.ForeignKey(
        KeyArea, on_delete=models.CASCADE, null=True, blank=True, related_name="related_guidance"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "title"]
        verbose_name_plural = "guidance"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value_code__isnull=True, key_area__isnull=False)
                | models.Q(value_code__isnull=False, key_area__isnull=True),
                name="guidance_for_one_value_code_or_key_area",
            ),
            models.CheckConstraint(
                condition=~models.Q(url="") | ~models.Q(file=""),
                name="guidance_has_a_link_or_a_file",
            ),
        ]

    def __str__(self) -> str:
        return self.title
