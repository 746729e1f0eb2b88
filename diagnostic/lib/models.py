"""What a later request needs from an earlier one, kept where every worker and app server sees
it (docs/decisions/0028-nothing-tied-to-one-process.md)."""

from __future__ import annotations

from django.db import models


class SharedVersion(models.Model):
    """A version that cached figures are keyed by (a round's results, the support register).
    A change writes a new random value; a request reads every row once (`analytics.cache`)."""

    key = models.CharField(primary_key=True, max_length=100)
    value = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"


class ChartImage(models.Model):
    """A chart's SVG behind its URL (`analytics.charts.url_for`): the page that shows it may be
    built by one worker and the browser's request for the image answered by another.
    `minted_at` is the last time a page put it on; `manage.py apply_retention` deletes images
    not put on a page for `charts.CHART_URL_DAYS` days."""

    digest = models.CharField(primary_key=True, max_length=64)
    svg = models.TextField()
    minted_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.digest


class SharedCounter(models.Model):
    """A whole-number value of the "shared" cache without Redis, such as an API token's request
    count in its window (`lib.shared_cache`): counted in one atomic statement."""

    key = models.CharField(primary_key=True, max_length=255)
    count = models.BigIntegerField()
    expires = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key} = {self.count}"
