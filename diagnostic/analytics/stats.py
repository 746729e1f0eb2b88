"""Pure functions for summarising levels: no database. Definitions in docs/metrics.md."""

from __future__ import annotations

from collections.abc import Mapping

LEVELS = (1, 2, 3, 4, 5)
MIN_GROUP = 5  # cells built from fewer organisations are hidden outside the national team


def median_from_counts(counts: Mapping[int, int]) -> float | None:
    """The median of a distribution given as {level: count}; the mean of the two middle values
    when the count is even. Levels outside 1–5 (0 = not yet assessed) are ignored."""
    values = [(lv, counts.get(lv, 0)) for lv in LEVELS]
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
    n = sum(counts.get(lv, 0) for lv in LEVELS)
    if n == 0:
        return None
    return sum(lv * counts.get(lv, 0) for lv in LEVELS) / n


def shares(counts: Mapping[int, int]) -> dict[int, float]:
    """Each level's share of the answers at levels 1–5, as fractions summing to 1."""
    n = sum(counts.get(lv, 0) for lv in LEVELS)
    return {lv: (counts.get(lv, 0) / n if n else 0.0) for lv in LEVELS}


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def suppressed(n_organisations: int, *, national: bool) -> bool:
    """True when a figure must be hidden from this audience (fewer than 5 organisations)."""
    return not national and n_organisations < MIN_GROUP
