"""Pure functions for summarising levels: no database. Definitions in docs/metrics.md."""

from __future__ import annotations

from collections.abc import Mapping

# Names kept for code written before analytics/suppression.py existed: they are that module's
# threshold and rule, not a second copy. New code imports from analytics/suppression.py.
from diagnostic.analytics.suppression import THRESHOLD as MIN_GROUP  # noqa: F401
from diagnostic.analytics.suppression import must_hide as suppressed  # noqa: F401


def _levels(counts: Mapping[int, int]) -> list[int]:
    """The levels present, in order. Levels are numbered from 1 (the framework version says how
    many there are); 0 means "not yet assessed" and is never a level."""
    return sorted(lv for lv in counts if lv is not None and lv >= 1)


def median_from_counts(counts: Mapping[int, int]) -> float | None:
    """The median of a distribution given as {level: count}; the mean of the two middle values
    when the count is even. 0 (not yet assessed) is ignored."""
    values = [(lv, counts.get(lv, 0)) for lv in _levels(counts)]
    n = sum(c for _, c in values)
    if n == 0:
        return None
    lower_pos, upper_pos = (n - 1) // 2, n // 2
    lower = upper = None
    seen = 0
    for level, count in values:
        if lower is None and seen + count > lower_pos:
            lower = level
        if seen + count > upper_pos:
            upper = level
            break
        seen += count
    return (lower + upper) / 2


def mean_from_counts(counts: Mapping[int, int]) -> float | None:
    levels = _levels(counts)
    n = sum(counts.get(lv, 0) for lv in levels)
    if n == 0:
        return None
    return sum(lv * counts.get(lv, 0) for lv in levels) / n


def shares(counts: Mapping[int, int], levels) -> dict[int, float]:
    """Each level's share of the answers at a level (not "not yet assessed"), as fractions
    summing to 1. `levels`: the framework version's level numbers."""
    n = sum(counts.get(lv, 0) for lv in levels)
    return {lv: (counts.get(lv, 0) / n if n else 0.0) for lv in levels}


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
