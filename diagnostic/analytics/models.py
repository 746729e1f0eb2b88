from django.conf import settings
from django.db import models


class Publication(models.Model):
    """A round whose national aggregates are published on the public results page."""

    round = models.OneToOneField(
        "assessments.Round", on_delete=models.CASCADE, related_name="publication"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.round} published {self.published_at:%Y-%m-%d}"


# --- Summaries: the figures' raw counts, kept up to date with every submission ---------------
# Maintained by `analytics/summaries.py` in the same transaction as each submission and
# reopening; rebuilt from the answers by `manage.py rebuild_summaries`. They hold raw counts:
# small numbers are hidden on reading, as before (analytics/suppression.py). See
# docs/decisions/0026-figures-from-summaries.md.
class SummaryState(models.Model):
    """A round whose summaries are built, and the state of its submitted responses they are
    built from (`summaries.fingerprint`). When that state is not the round's, the summaries are
    rebuilt from the answers on reading (`summaries.ensure_built`)."""

    round = models.OneToOneField(
        "assessments.Round", on_delete=models.CASCADE, related_name="summary_state"
    )
    built_at = models.DateTimeField()
    submitted = models.PositiveIntegerField(default=0)
    versions = models.BigIntegerField(default=0, help_text="The sum of their versions.")
    ids = models.BigIntegerField(default=0, help_text="The sum of their ids.")

    def __str__(self) -> str:
        return f"{self.round} summaries built {self.built_at:%Y-%m-%d %H:%M}"


class _Cell(models.Model):
    """The councils a count is over: one round, region, council type and nation."""

    round = models.ForeignKey("assessments.Round", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("organisations.Region", on_delete=models.CASCADE, related_name="+")
    org_type = models.CharField(max_length=32)
    nation = models.CharField(max_length=20)

    class Meta:
        abstract = True


class LevelCount(_Cell):
    """How many answers of submitted responses are at each current (or target) level."""

    class Kind(models.TextChoices):
        CURRENT = "c", "current level"
        TARGET = "t", "target level"

    value_code = models.ForeignKey(
        "frameworks.ValueCode", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=1, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(null=True, help_text="Empty: no current level.")
    n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["round", "region", "org_type", "nation"])]

    def __str__(self) -> str:
        return f"{self.n} at {self.get_kind_display()} {self.level}"


class ValueCodeCount(_Cell):
    """Per value code: answers, priorities and flags of submitted responses; and, over the
    answers with a current level, support targeting's demand and supply (support/measures.py)."""

    value_code = models.ForeignKey(
        "frameworks.ValueCode", on_delete=models.CASCADE, related_name="+"
    )
    answers = models.PositiveIntegerField(default=0)
    high = models.PositiveIntegerField(default=0)
    medium = models.PositiveIntegerField(default=0)
    low = models.PositiveIntegerField(default=0)
    none = models.PositiveIntegerField(default=0)
    want_support = models.PositiveIntegerField(default=0)
    could_share = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0, help_text="With a current level.")
    demand = models.PositiveIntegerField(default=0)
    wanting = models.PositiveIntegerField(default=0)
    weighted_gap = models.PositiveIntegerField(default=0)
    peers = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["round", "region", "org_type", "nation"])]

    def __str__(self) -> str:
        return f"{self.answers} answers"


class CouncilCount(_Cell):
    """One submitted response's answers in one theme or key area, folded: for the counts of
    councils (a council counts once however many of its answers are there). `enablers`,
    `support_enablers` and `share_enablers` are bit sets over the version's enablers (in id
    order): the enablers of the value codes answered, ticked "would welcome support", ticked
    "could share" here. The support columns are over the answers with a current level."""

    class Kind(models.TextChoices):
        THEME = "theme", "theme"
        KEY_AREA = "key_area", "key area"

    response = models.ForeignKey("assessments.Response", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    item_id = models.PositiveIntegerField(help_text="The theme's or key area's id.")
    want_support = models.BooleanField(default=False)
    could_share = models.BooleanField(default=False)
    enablers = models.BigIntegerField(default=0)
    support_enablers = models.BigIntegerField(default=0)
    share_enablers = models.BigIntegerField(default=0)
    answered = models.PositiveSmallIntegerField(default=0, help_text="1: a current level here.")
    needs = models.PositiveSmallIntegerField(default=0)
    wanting = models.PositiveSmallIntegerField(default=0)
    weighted_gap = models.PositiveIntegerField(default=0)
    peers = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["round", "kind", "region"]),
            models.Index(fields=["response"]),
        ]

    def __str__(self) -> str:
        return f"response {self.response_id}, {self.kind} {self.item_id}"
