"""Maturity frameworks as data: a framework has immutable published versions.

A version holds themes → key areas → value codes, the maturity levels, one descriptor per
value code per level, and the enablers each value code depends on. Answers point at value
codes of one version, so a published version is never edited: a changed file is loaded as a
new version (see `frameworks/loaders.py`).
"""

from __future__ import annotations

from django.db import models


class PublishedVersionIsImmutable(Exception):
    """Something tried to change a row that belongs to a published framework version."""


class Framework(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FrameworkVersion(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="versions")
    label = models.CharField(max_length=40, help_text="As written in the file, e.g. 2018.")
    revision = models.PositiveIntegerField(
        default=1, help_text="Goes up when a changed file with the same label is loaded."
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the file's content.")
    source_name = models.CharField(max_length=200, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["framework__name", "label", "revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "label", "revision"], name="unique_version_revision"
            ),
            models.UniqueConstraint(fields=["framework", "checksum"], name="unique_version_file"),
        ]

    def __str__(self) -> str:
        return self.display_label

    @property
    def display_label(self) -> str:
        if self.revision > 1:
            return f"{self.name} (revision {self.revision})"
        return self.name

    @property
    def slug(self) -> str:
        return self.label if self.revision == 1 else f"{self.label}-r{self.revision}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class VersionPart(models.Model):
    """A row belonging to a framework version: frozen once the version is published."""

    version = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="%(class)ss"
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and self.version.is_published:
            raise PublishedVersionIsImmutable(f"{self.version} is published; load a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.version.is_published:
            raise PublishedVersionIsImmutable(f"{self.version} is published; load a new version.")
        return super().delete(*args, **kwargs)


class Level(VersionPart):
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=60)
    colour = models.CharField(max_length=7, help_text="Hex colour, e.g. #d4351c.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="unique_level_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def ink(self) -> str:
        """Black or white text, whichever reads better on this level's colour."""
        return ink_on(self.colour)


def ink_on(colour: str) -> str:
    """#0b0c0c on a light colour, #ffffff on a dark one (WCAG relative luminance)."""
    try:
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    except (TypeError, ValueError):
        return "#0b0c0c"
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    # Contrast with white (1.05 / (L + 0.05)) against contrast with near-black.
    return "#ffffff" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.0555 else "#0b0c0c"


class Enabler(VersionPart):
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_enabler_code")
        ]

    def __str__(self) -> str:
        return self.name


class Theme(VersionPart):
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_theme_code")
        ]

    def __str__(self) -> str:
        return self.name


class KeyArea(VersionPart):
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="key_areas")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_key_area_code")
        ]

    def __str__(self) -> str:
        return self.name


class ValueCode(VersionPart):
    """One statement a council rates itself on ("Things That Matter")."""

    key_area = models.ForeignKey(KeyArea, on_delete=models.CASCADE, related_name="value_codes")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    description = models.TextField()
    guidance = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(help_text="Order across the whole version.")
    enablers = models.ManyToManyField(Enabler, related_name="value_codes", blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_value_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class LevelDescriptor(models.Model):
    """What a value code looks like at one maturity level ("What Good Looks Like")."""

    value_code = models.ForeignKey(ValueCode, on_delete=models.CASCADE, related_name="descriptors")
    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="descriptors")
    text = models.TextField()

    class Meta:
        ordering = ["value_code", "level__number"]
        constraints = [
            models.UniqueConstraint(fields=["value_code", "level"], name="unique_descriptor")
        ]

    def __str__(self) -> str:
        return f"{self.value_code.code} level {self.level.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and self.level.version.is_published:
            raise PublishedVersionIsImmutable("Descriptors of a published version are frozen.")
        super().save(*args, **kwargs)


class VersionMapping(models.Model):
    """Which value codes of one framework version correspond to which of another.

    Loaded from a mapping file (docs/framework-mapping-format.md, `frameworks/mappings.py`) and
    never edited. Only with one can two rounds on different versions be compared, or a council
    start from its answers to a round on another version. None is shipped.
    """

    from_version = models.ForeignKey(
        FrameworkVersion, on_delete=models.PROTECT, related_name="mappings_from"
    )
    to_version = models.ForeignKey(
        FrameworkVersion, on_delete=models.PROTECT, related_name="mappings_to"
    )
    description = models.TextField(blank=True)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the file's content.")
    source_name = models.CharField(max_length=200, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_version", "to_version"], name="one_mapping_per_pair_of_versions"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_version} → {self.to_version}"


class ValueCodeCorrespondence(models.Model):
    """One value code of the earlier version and the value code it became in the later one."""

    mapping = models.ForeignKey(
        VersionMapping, on_delete=models.CASCADE, related_name="correspondences"
    )
    from_value_code = models.ForeignKey(ValueCode, on_delete=models.PROTECT, related_name="+")
    to_value_code = models.ForeignKey(ValueCode, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mapping", "from_value_code"], name="one_correspondence_from_a_code"
            ),
            models.UniqueConstraint(
                fields=["mapping", "to_value_code"], name="one_correspondence_to_a_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_value_code.code} → {self.to_value_code.code}"
