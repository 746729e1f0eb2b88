"""Small-number suppression: the one rule, in one place (docs/metrics.md, "Who sees what").

Every query, page and download that shows a figure outside the national team asks this module
whether to hide it. Nothing else compares a count with the threshold.

- `must_hide(n, national=…)`: the rule itself. A figure built from fewer than `THRESHOLD`
  organisations is hidden from everyone but the national team.
- `complementary(counts)`: which cells of a set to hide when the set's total is shown too, so
  that no hidden cell can be had back by subtracting the shown cells from the total (or one
  shown figure from another). The cells below the threshold are hidden; then, while only one is
  hidden, or the hidden cells add up to fewer than the threshold, the smallest shown cell is
  hidden as well. If that still leaves the hidden cells adding up to fewer than the threshold
  (there is nothing left to hide), the total must be hidden too.
- `hide(row)`: a row with its labels kept and every figure blanked; `withhold(row)`: the labels
  only; `apply_complementary(rows)`: participation rows with the complementary rule applied.

Other apps (support targeting, the good-practice library, …) call these same functions.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

THRESHOLD = 5  # organisations
LABEL = f"Fewer than {THRESHOLD} councils: not shown"

# What a hidden row keeps: the names and ids that say which row it is, never a figure.
_LABELS = {"id", "code", "name", "theme_id", "key_area_id", "suppressed", "label", "key"}


def must_hide(n_organisations: int | None, *, national: bool = False) -> bool:
    """True when a figure built from `n_organisations` organisations must be hidden from this
    audience: anyone but the national team, when there are fewer than THRESHOLD."""
    if national:
        return False
    return (n_organisations or 0) < THRESHOLD


@dataclass(frozen=True)
class Complementary:
    hidden: frozenset  # the keys of the cells to hide
    total_hidden: bool  # the total of the set must be hidden as well


def complementary(counts: Mapping[Hashable, int], *, national: bool = False) -> Complementary:
    """The cells of a partition to hide when its total is shown beside them (see the module's
    docstring). `counts`: each cell's number of organisations, by key."""
    if national:
        return Complementary(frozenset(), False)
    hidden = {k for k, n in counts.items() if must_hide(n)}
    if not hidden:
        return Complementary(frozenset(), False)
    shown = sorted((n, str(k), k) for k, n in counts.items() if k not in hidden)

    def exposed() -> bool:
        return len(hidden) == 1 or must_hide(sum(counts[k] for k in hidden))

    while exposed() and shown:
        hidden.add(shown.pop(0)[2])
    return Complementary(frozenset(hidden), exposed())


def hide(row: dict) -> dict:
    """Blank every figure of a row, keeping its labels; mark it suppressed."""
    return {k: (v if k in _LABELS else None) for k, v in row.items()} | {"suppressed": True}


def withhold(row: dict) -> dict:
    """A row with its labels only: the figures are not there at all (participation rows)."""
    return {k: v for k, v in row.items() if k in _LABELS} | {"suppressed": True}


def apply_complementary(
    rows: list[dict], *, count: str = "submitted", national: bool = False
) -> tuple[list[dict], bool]:
    """Participation-style rows (each with a `key` and a count of organisations) with the
    complementary rule applied: hidden rows withheld (labels only), the others marked shown. Returns the rows
    and whether the total they add up to must be hidden too."""
    rule = complementary({r["key"]: r[count] or 0 for r in rows}, national=national)
    out = [withhold(r) if r["key"] in rule.hidden else {**r, "suppressed": False} for r in rows]
    return out, rule.total_hidden
