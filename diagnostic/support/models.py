"""People who can help councils, the support offered, and who was invited, came and replied."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from diagnostic.assessments.models import Round
from diagnostic.frameworks.models import KeyArea, ValueCode
from diagnostic.organisations.models import Organisation, Region


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter holding `day`: its first and last days."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    end = (
        dt.date(day.year + 1, 1, 1) if first_month == 10 else dt.date(day.year, first_month + 3, 1)
    ) - dt.timedelta(days=1)
    return start, end


class Adviser(models.Model):
    """Someone who can help councils: an LGA adviser, regional hub staff or an associate."""

    class Kind(models.TextChoices):
        LGA = "lga", "LGA adviser"
        HUB = "hub", "Regional procurement hub staff"
        ASSOCIATE = "associate", "Associate"

    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    employer = models.CharField(max_length=200, blank=True)
    regions = models.ManyToManyField(Region, related_name="advisers")
    key_areas = models.ManyToManyField(KeyArea, related_name="advisers", blank=True)
    value_codes = models.ManyToManyField(ValueCode, related_name="advisers", blank=True)
    days_per_quarter = models.PositiveSmallIntegerField(
        help_text="Days this person can give councils in each calendar quarter."
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """Support offered to chosen councils on one value code or key area."""

    class Kind(models.TextChoices):
        WORKSHOP = "workshop", "Workshop"
        ADVISER_DAYS = "adviser_days", "Adviser days"
        WEBINAR = "webinar", "Webinar"
        PEER_MENTORING = "peer_mentoring", "Peer mentoring"
        TOOLKIT = "toolkit", "Toolkit"

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="support_offers")
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="support_offers",
        help_text="The region it is for; blank for a national offer.",
    )  # fmt: skip
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    key_area = models.ForeignKey(KeyArea, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="support_offers")  # fmt: skip
    value_code = models.ForeignKey(ValueCode, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="support_offers")  # fmt: skip
    starts_on = models.DateField()
    ends_on = models.DateField()
    capacity = models.PositiveSmallIntegerField(help_text="How many councils can take part.")
    adviser = models.ForeignKey(
        Adviser, on_delete=models.PROTECT, null=True, blank=True, related_name="offers"
    )
    adviser_days = models.PositiveSmallIntegerField(
        default=0, help_text="Days of the adviser's time it books, in the quarter it starts."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(key_area__isnull=True, value_code__isnull=False)
                | Q(key_area__isnull=False, value_code__isnull=True),
                name="offer_aims_at_one_value_code_or_key_area",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="offer_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def aim(self):
        return self.value_code or self.key_area

    @property
    def aim_label(self) -> str:
        if self.value_code_id:
            return f"{self.value_code.code} {self.value_code.title}"
        return self.key_area.name


class Invitation(models.Model):
    """A council chosen for an offer: invited (by email to its leads), its reply, attendance."""

    class Status(models.TextChoices):
        CHOSEN = "chosen", "Chosen, not yet invited"
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="support_invitations"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHOSEN)
    invited_at = models.DateTimeField(null=True, blank=True)
    emails_sent = models.PositiveSmallIntegerField(default=0)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attended = models.BooleanField(null=True, blank=True, help_text="Blank: not recorded yet.")

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "organisation"], name="one_invitation_per_council_per_offer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.offer}"
