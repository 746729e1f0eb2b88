"""Where support is needed: demand, supply and unmet demand. Pure functions, no database.

Definitions in plain words, with a worked example, are in docs/metrics.md ("Support
targeting"). This module is the definition; `support/queries.py` computes the same counts in
the database for speed, and a test checks the two agree on generated data.

- A council **needs support** on a value code when it ticked "we would welcome support here",
  or its target is above its current level with a priority other than "not a priority". Its
  **weighted gap** is (target − current) × the priority's weight (the action plan's weights).
- A council **can share** on a value code when it rated itself at the framework version's
  upper levels (`expert_levels`: Leader or above in NPS 2018) and ticked "we could share
  practice here".
- **Supply** inside a region: each council that can share covers one council, each adviser
  day covers one council, and each council whose need is already met by an accepted
  introduction of the relationship broker (`introduced`) counts as covered. An adviser's days
  are split evenly between the regions they cover.
- **Unmet demand** = councils needing support − supply, never below zero, worked out region by
  region: spare supply in one region never covers demand in another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from diagnostic.plans.rules import UNCHOSEN_WEIGHT, WEIGHTS

COUNCILS_PER_SHARING_COUNCIL = 1
COUNCILS_PER_ADVISER_DAY = 1
COUNCILS_PER_INTRODUCTION = 1


def expert_levels(level_numbers: Iterable[int]) -> frozenset[int]:
    """The levels at which a council counts as able to help: those above the middle of the
    framework version's scale (with five levels, the fourth and fifth: Leader and Innovator in
    NPS 2018). Derived from the version's levels, so a framework with another number of levels
    gets its own upper half."""
    numbers = sorted(set(level_numbers))
    if not numbers:
        return frozenset()
    middle = median(numbers)
    return frozenset(n for n in numbers if n > middle)


def weighted_gap(current: int | None, target: int | None, priority: str) -> int:
    """(target − current) × priority weight; 0 without a current level (or "not yet assessed",
    0) or without a higher target."""
    if not current or not target or target <= current:
        return 0
    return (target - current) * WEIGHTS.get(priority, UNCHOSEN_WEIGHT)


@dataclass(frozen=True)
class AnswerFact:
    """One submitted answer, with what the measures need about its council and value code."""

    organisation_id: int
    region_id: int
    value_code_id: int
    key_area_id: int
    current: int | None
    target: int | None = None
    priority: str = ""
    want_support: bool = False
    could_share: bool = False
    org_type: str = ""
    cluster_ids: frozenset[int] = frozenset()

    @property
    def gap(self) -> int:
        return weighted_gap(self.current, self.target, self.priority)

    @property
    def needs_support(self) -> bool:
        return self.want_support or self.gap > 0

    def can_share(self, expert: frozenset[int]) -> bool:
        return self.could_share and self.current in expert


@dataclass(frozen=True)
class AdviserFact:
    """An adviser's days available in the period, where they work and what they know."""

    adviser_id: int
    days: float
    region_ids: frozenset[int]
    key_area_ids: frozenset[int] = frozenset()
    value_code_ids: frozenset[int] = frozenset()

    def covers(self, item_id: int, by: str, vc_area: dict[int, int]) -> bool:
        if by == "key_area":
            return item_id in self.key_area_ids or any(
                vc_area.get(vc) == item_id for vc in self.value_code_ids
            )
        return item_id in self.value_code_ids or vc_area.get(item_id) in self.key_area_ids

    def days_in(self, region_id: int) -> float:
        if region_id not in self.region_ids:
            return 0.0
        return self.days / len(self.region_ids)


@dataclass
class Cell:
    """Demand, supply and unmet demand for one item (key area or value code) in one region."""

    region_id: int
    item_id: int
    organisations: int = 0  # councils whose answers are counted (the base for suppression)
    demand: int = 0  # councils needing support
    wanting: int = 0  # councils ticking "we would welcome support"
    weighted_gap: int = 0
    peers: int = 0  # councils able to share
    adviser_days: float = 0.0
    introduced: int = 0  # councils needing support covered by an accepted introduction

    @property
    def supply(self) -> float:
        return (
            self.peers * COUNCILS_PER_SHARING_COUNCIL
            + self.adviser_days * COUNCILS_PER_ADVISER_DAY
            + self.introduced * COUNCILS_PER_INTRODUCTION
        )

    @property
    def unmet(self) -> float:
        return max(0.0, self.demand - self.supply)


def cells(
    answers: Iterable[AnswerFact],
    advisers: Sequence[AdviserFact],
    *,
    by: str,
    expert: frozenset[int],
    include: Callable[[AnswerFact], bool] | None = None,
) -> dict[tuple[int, int], Cell]:
    """Every (region, item) cell. `by` is "key_area" or "value_code".

    `include` narrows the demand side (e.g. one council type or cluster); supply always counts
    every council of the region, since any council there can help. (`support/queries.py`
    computes the same counts in the database; a test checks the two agree.)
    """
    key = (lambda a: a.key_area_id) if by == "key_area" else (lambda a: a.value_code_id)
    sets: dict[tuple[int, int], dict] = {}
    gaps: dict[tuple[int, int], int] = defaultdict(int)
    vc_area: dict[int, int] = {}
    for a in answers:
        vc_area[a.value_code_id] = a.key_area_id
        k = (a.region_id, key(a))
        s = sets.setdefault(
            k, {"orgs": set(), "needing": set(), "wanting": set(), "sharing": set()}
        )
        if a.can_share(expert):
            s["sharing"].add(a.organisation_id)
        if include is not None and not include(a):
            continue
        s["orgs"].add(a.organisation_id)
        gaps[k] += a.gap
        if a.needs_support:
            s["needing"].add(a.organisation_id)
        if a.want_support:
            s["wanting"].add(a.organisation_id)
    out = {
        k: Cell(region_id=k[0], item_id=k[1], organisations=len(s["orgs"]),
                demand=len(s["needing"]), wanting=len(s["wanting"]), weighted_gap=gaps[k],
                peers=len(s["sharing"]))
        for k, s in sets.items()
    }  # fmt: skip
    add_advisers(out, advisers, by=by, vc_area=vc_area)
    return out


def add_advisers(
    cell_map: dict[tuple[int, int], Cell],
    advisers: Sequence[AdviserFact],
    *,
    by: str,
    vc_area: dict[int, int],
) -> None:
    """Put each cell's adviser days in: the days of every adviser covering its region and item."""
    for cell in cell_map.values():
        cell.adviser_days = sum(
            ad.days_in(cell.region_id) for ad in advisers if ad.covers(cell.item_id, by, vc_area)
        )


def introduced(
    answers: Iterable[AnswerFact],
    pairs: Iterable[tuple[int, int]],
    *,
    by: str,
    expert: frozenset[int],
    include: Callable[[AnswerFact], bool] | None = None,
) -> dict[tuple[int, int], int]:
    """The broker's introductions already made, as supply: {(region, item): councils}.

    `pairs`: the councils of each accepted introduction in the round. A council counts in a
    (region, item) cell when it needs support on a value code (of the key area) and a council
    it has an accepted introduction with can share there (the rule of `AnswerFact.can_share`);
    in its own region, wherever the partner is, and once however many partners cover it.
    `include` narrows the councils counted, as it narrows demand in `cells`."""
    partners: dict[int, set[int]] = defaultdict(set)
    for x, y in pairs:
        if x != y:
            partners[x].add(y)
            partners[y].add(x)
    facts: dict[int, dict[int, AnswerFact]] = defaultdict(dict)
    for a in answers:
        if a.organisation_id in partners:
            facts[a.organisation_id][a.value_code_id] = a
    covered: dict[tuple[int, int], set[int]] = defaultdict(set)
    for org, mine in facts.items():
        for vc, a in mine.items():
            if not a.needs_support or (include is not None and not include(a)):
                continue
            if any(
                (other := facts.get(p, {}).get(vc)) is not None and other.can_share(expert)
                for p in partners[org]
            ):
                item = a.key_area_id if by == "key_area" else a.value_code_id
                covered[(a.region_id, item)].add(org)
    return {k: len(v) for k, v in covered.items()}


def add_introductions(
    cell_map: dict[tuple[int, int], Cell], counts: dict[tuple[int, int], int]
) -> None:
    """Put each cell's `introduced` in (from `introduced`); cells without demand get none."""
    for key, n in counts.items():
        if key in cell_map:
            cell_map[key].introduced = n


@dataclass
class Total:
    """One item's figures over the regions in view: the sum of its regions' cells."""

    item_id: int
    organisations: int = 0
    demand: int = 0
    wanting: int = 0
    weighted_gap: int = 0
    peers: int = 0
    adviser_days: float = 0.0
    introduced: int = 0
    unmet: float = 0.0
    regions: int = 0


def totals(cell_map: dict[tuple[int, int], Cell]) -> dict[int, Total]:
    """Per item, the sum over regions. Unmet demand is added up region by region, so it can be
    larger than (demand − supply) over the whole nation."""
    out: dict[int, Total] = {}
    for cell in cell_map.values():
        t = out.setdefault(cell.item_id, Total(cell.item_id))
        t.organisations += cell.organisations
        t.demand += cell.demand
        t.wanting += cell.wanting
        t.weighted_gap += cell.weighted_gap
        t.peers += cell.peers
        t.adviser_days += cell.adviser_days
        t.introduced += cell.introduced
        t.unmet += cell.unmet
        t.regions += 1
    return out


def ranked(item_totals: dict[int, Total], order: dict[int, int]) -> list[Total]:
    """Largest unmet demand first; then the larger weighted gap, more councils needing support,
    and the framework's order (`order`: item id → position), so the same data always ranks the
    same way."""
    return sorted(
        item_totals.values(),
        key=lambda t: (-t.unmet, -t.weighted_gap, -t.demand, order.get(t.item_id, 0)),
    )


def by_group(answers: Iterable[AnswerFact], group_of: Callable[[AnswerFact], Iterable]) -> dict:
    """Demand per group of councils (council type, cluster): councils answering, councils
    needing support on at least one value code, councils ticking "would welcome support" on at
    least one, and the weighted gap. A council in two clusters counts in both."""
    groups: dict = defaultdict(lambda: {"organisations": set(), "needing": set(), "wanting": set(),
                                        "weighted_gap": 0})  # fmt: skip
    for a in answers:
        for g in group_of(a):
            row = groups[g]
            row["organisations"].add(a.organisation_id)
            row["weighted_gap"] += a.gap
            if a.needs_support:
                row["needing"].add(a.organisation_id)
            if a.want_support:
                row["wanting"].add(a.organisation_id)
    return {
        g: {"organisations": len(r["organisations"]), "demand": len(r["needing"]),
            "wanting": len(r["wanting"]), "weighted_gap": r["weighted_gap"]}
        for g, r in groups.items()
    }  # fmt: skip


# --- Whether it helped ------------------------------------------------------------------------
def effect(before: dict[int, float], after: dict[int, float], took_part: Iterable[int]) -> dict:
    """Change in level for councils that took part in support, against similar councils that
    did not.

    `before` / `after`: each council's level on the support's value code (or its mean level
    over the key area's value codes) in the round the support was planned from and in the next
    round. Only councils with a level in both rounds count. "Similar" councils did not take
    part and started at the same whole level as at least one council that did. Returns both
    groups' size, mean level before and after, and mean change, and the difference in mean
    change. This compares groups; it is not proof that the support caused the change.
    """
    took = {o for o in took_part if o in before and o in after}
    starts = {int(before[o]) for o in took}
    others = {
        o for o in before if o in after and o not in took and int(before[o]) in starts
    }  # fmt: skip

    def group(orgs: set[int]) -> dict:
        n = len(orgs)
        if not n:
            return {"n": 0, "before": None, "after": None, "change": None}
        b = sum(before[o] for o in orgs) / n
        a = sum(after[o] for o in orgs) / n
        return {"n": n, "before": b, "after": a, "change": a - b}

    tp, ot = group(took), group(others)
    difference = (
        tp["change"] - ot["change"]
        if tp["change"] is not None and ot["change"] is not None
        else None
    )
    return {"took_part": tp, "others": ot, "difference": difference}
