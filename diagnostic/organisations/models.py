"""The register of organisations that take part: councils, their regions and groupings."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q


class Nation(models.TextChoices):
    ENGLAND = "England"
    WALES = "Wales"
    NORTHERN_IRELAND = "Northern Ireland"
    SCOTLAND = "Scotland"


class OrganisationType(models.TextChoices):
    COUNTY = "county", "County council"
    DISTRICT = "non_metropolitan_district", "District council"
    UNITARY = "unitary", "Unitary authority"
    METROPOLITAN_BOROUGH = "metropolitan_borough", "Metropolitan borough"
    LONDON_BOROUGH = "london_borough", "London borough"
    CITY_OF_LONDON = "city_of_london", "City of London Corporation"
    ISLES_OF_SCILLY = "isles_of_scilly", "Council of the Isles of Scilly"
    WELSH_PRINCIPAL_AREA = "welsh_principal_area", "Welsh principal area"
    NI_DISTRICT = "ni_district", "Northern Ireland district council"
    SCOTTISH_COUNCIL_AREA = "scottish_council_area", "Scottish council area"


class Region(models.Model):
    """An English region, or a nation that acts as its own region (Wales, NI, Scotland)."""

    code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=100, unique=True)
    nation = models.CharField(max_length=20, choices=Nation.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class OrganisationQuerySet(models.QuerySet):
    def alive_on(self, date: dt.date) -> OrganisationQuerySet:
        """Organisations that existed on `date` (start and end dates are inclusive)."""
        return self.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=date),
            Q(end_date__isnull=True) | Q(end_date__gte=date),
        )

    def current(self) -> OrganisationQuerySet:
        from django.utils import timezone

        return self.alive_on(timezone.localdate())


class Organisation(models.Model):
    """A council (or other body) in the register, keyed on its latest ONS/GSS code."""

    gss_code = models.CharField("ONS code", max_length=9, unique=True)
    gss_code_2018 = models.CharField("ONS code in 2018", max_length=9, blank=True)
    former_gss_codes = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=100)
    ons_name = models.CharField("ONS name", max_length=200, blank=True)
    name_cy = models.CharField("Welsh name", max_length=200, blank=True)
    type = models.CharField(max_length=32, choices=OrganisationType.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organisations")
    nation = models.CharField(max_length=20, choices=Nation.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="For district councils, the county council over them.",
    )
    start_date = models.DateField(null=True, blank=True, help_text="Blank: before 2009.")
    end_date = models.DateField(
        null=True, blank=True, help_text="Last day of existence; blank while it exists."
    )
    replaced_by_codes = models.CharField(max_length=200, blank=True)
    mysoc_code = models.CharField(max_length=8, blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["short_name"]
        indexes = [
            models.Index(fields=["region", "type"]),
            models.Index(fields=["nation"]),
            models.Index(fields=["start_date", "end_date"]),
        ]

    def __str__(self) -> str:
        return self.name

    def existed_on(self, date: dt.date) -> bool:
        return (self.start_date is None or self.start_date <= date) and (
            self.end_date is None or self.end_date >= date
        )

    def combined_authorities_on(self, date: dt.date):
        return CombinedAuthority.objects.filter(
            Q(memberships__start_date__isnull=True) | Q(memberships__start_date__lte=date),
            Q(memberships__end_date__isnull=True) | Q(memberships__end_date__gte=date),
            memberships__organisation=self,
        ).distinct()


class CombinedAuthority(models.Model):
    """A combined authority, combined county authority or the GLA."""

    ca_id = models.CharField(max_length=16, unique=True)
    gss_code = models.CharField(max_length=9, blank=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=100)
    type = models.CharField(max_length=40)
    region_name = models.CharField(max_length=100, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "combined authorities"

    def __str__(self) -> str:
        return self.name


class CombinedAuthorityMembership(models.Model):
    """A constituent council of a combined authority, with its membership dates."""

    combined_authority = models.ForeignKey(
        CombinedAuthority, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="combined_authority_memberships"
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["combined_authority", "organisation", "start_date"],
                name="unique_ca_membership",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.combined_authority}"


class Cluster(models.Model):
    """A named group of organisations that support each other, usually within a region."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="clusters"
    )
    organisations = models.ManyToManyField(Organisation, related_name="clusters", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="unique_cluster_name")
        ]

    def __str__(self) -> str:
        return self.name
