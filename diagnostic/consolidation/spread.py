"""The spread of colleagues' views on one value code: pure functions, no database.

Rules (docs/decisions/0011-consolidation.md):
- a view is a level (1, 2, … as the framework version has them), 0 for "not yet
  assessed", or None for "not answered yet";
- only levels count towards the minimum, median, maximum and the suggestion: "not yet
  assessed" says the person cannot judge, not that the council is at a level below 1;
- the median of an even number of levels is the mean of the two middle ones (it may be x.5);
  the suggested level is then the lower of the two: a council should not claim a level that
  half of its own officers doubt;
- views differ (the disagreement flag) when the highest and lowest levels are two or more
  apart;
- with no level but at least one "not yet assessed", the suggestion is 0 (not yet
  assessed); with no views at all there is no suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DISAGREEMENT_GAP = 2


@dataclass(frozen=True)
class Spread:
    levels: tuple[int, ...]  # the levels given (not 'not yet assessed'), sorted
    not_assessed: int  # views of "not yet assessed"
    unanswered: int  # people asked who have not given a level yet
    minimum: int | None
    median: float | None
    maximum: int | None
    suggested: int | None

    @property
    def assessed(self) -> int:
        return len(self.levels)

    @property
    def gap(self) -> int:
        return 0 if not self.levels else self.maximum - self.minimum

    @property
    def disagreement(self) -> bool:
        return self.gap >= DISAGREEMENT_GAP

    @property
    def has_views(self) -> bool:
        return bool(self.levels) or self.not_assessed > 0

    @property
    def middle(self) -> tuple[int, ...]:
        """The level in the middle, or the two middle levels of an even number of levels."""
        n = len(self.levels)
        if not n:
            return ()
        return self.levels[n // 2 - 1 : n // 2 + 1] if n % 2 == 0 else (self.levels[n // 2],)

    @property
    def median_between_levels(self) -> bool:
        """The median falls between two levels (so the lower of the two is suggested)."""
        return len(self.middle) == 2 and self.middle[0] != self.middle[1]

    @property
    def median_label(self) -> str:
        if self.median is None:
            return "–"
        return f"{self.median:g}"


def spread(views: Iterable[int | None], *, scale: Iterable[int] | None = None) -> Spread:
    """Summarise a list of views (levels, 0 for not yet assessed, None for no answer).

    `scale`: the framework version's level numbers; a view outside them is refused. Without
    it, any whole number of 1 or more counts as a level (views read back from the database were
    checked against the version's levels when they were saved)."""
    allowed = None if scale is None else frozenset(scale)
    levels: list[int] = []
    not_assessed = unanswered = 0
    for v in views:
        # Only whole numbers: 0.0 or False must not pass for "not yet assessed", nor True for 1.
        if v is None:
            unanswered += 1
        elif isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"not a level: {v!r}")
        elif allowed is not None and v != 0 and v not in allowed:
            raise ValueError(f"not a level of this framework: {v!r}")
        elif v == 0:
            not_assessed += 1
        else:
            levels.append(v)
    levels.sort()
    n = len(levels)
    if n == 0:
        return Spread((), not_assessed, unanswered, None, None, None, 0 if not_assessed else None)
    mid = n // 2
    if n % 2:
        median: float = float(levels[mid])
        suggested = levels[mid]
    else:
        median = (levels[mid - 1] + levels[mid]) / 2
        suggested = levels[mid - 1]
    return Spread(tuple(levels), not_assessed, unanswered, levels[0], median, levels[-1], suggested)


def group_levels(
    rows: Iterable[tuple[str, int | None]], *, scale: Iterable[int] | None = None
) -> dict[str, Spread]:
    """Spread of levels per group (a department, a role): `rows` are (group, level) pairs."""
    by: dict[str, list[int | None]] = {}
    for group, level in rows:
        by.setdefault(group, []).append(level)
    return {g: spread(v, scale=scale) for g, v in sorted(by.items())}
