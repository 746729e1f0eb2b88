"""Mutual benefit between two councils, with its reasons: pure functions, no database.

Defined in plain words in docs/metrics.md ("The relationship broker"). The levels come from
the framework version as a `LevelScale` (their numbers in order and their names), so nothing
here knows how many levels there are or what they are called: "Leader" is the second-highest
level of the version, whatever its name.

What A gains from B, per value code: B is strong there (at the second-highest level or
above, or at least two levels above A) and willing to share (ticked "we could share practice
here"), and A is below its own target there. The gain is the number of levels B can lift A
towards its target (never past it, never past B), times A's priority weight, times 1.5 when A
asked for support. A pair is suggested only when each gains from the other; its score is the
harmonic mean of the two gains (so balance is rewarded: 9 and 1 score 1.8, 5 and 5 score 5),
times a practical-fit factor between 1 and 1.35.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

PRIORITY_WEIGHTS = {"high": 3.0, "medium": 2.0, "low": 1.0, "": 1.0, "none": 0.0}
SUPPORT_FACTOR = 1.5
FIT_SAME_TYPE = 0.10
FIT_SAME_BAND = 0.10
FIT_NEAR_BAND = 0.05
FIT_SAME_REGION = 0.10
FIT_NEIGHBOUR_REGION = 0.05
FIT_SHARED_SERVICES = 0.05
SHARED_ARRANGEMENTS = frozenset({"shared_team", "hosts"})
TIE_DIGITS = 9  # scores equal to this many decimals are ties, broken by name then id


@dataclass(frozen=True)
class LevelScale:
    """A framework version's levels: their numbers in ascending order and their names."""

    numbers: tuple[int, ...]
    names: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self):
        if not self.numbers or list(self.numbers) != sorted(set(self.numbers)):
            raise ValueError("A level scale needs at least one level, in ascending order.")

    def position(self, number: int | None) -> int | None:
        """0 for the lowest level, 1 for the next …; None for "not assessed" or unknown."""
        try:
            return self.numbers.index(number)
        except ValueError:
            return None

    @property
    def strong_position(self) -> int:
        """The second-highest level ("Leader" in NPS 2018); the only level if there is one."""
        return max(0, len(self.numbers) - 2)

    def name(self, number: int) -> str:
        return self.names.get(number, str(number))


@dataclass(frozen=True)
class Item:
    """One council's answer for one value code."""

    level: int | None
    target: int | None = None
    priority: str = ""
    could_share: bool = False
    want_support: bool = False


@dataclass(frozen=True)
class Council:
    """What the score needs to know about one council in one round."""

    id: int
    name: str
    answers: Mapping[str, Item]
    type: str = ""
    region_id: int | None = None
    spend_band: int | None = None  # position in the ordered list of bands; None if not given
    shared_service: str = ""
    suggestable: bool = True  # the council agreed to be suggested to this audience
    answers_from: str = ""  # the earlier round the answers come from, if not this one


@dataclass(frozen=True)
class Reason:
    """One value code where `giver` can help `receiver`."""

    code: str
    giver: str
    receiver: str
    giver_level: str
    receiver_level: str
    receiver_target: str
    wants_support: bool
    priority: str
    gain: float

    @property
    def text(self) -> str:
        support = " and wants support" if self.wants_support else ""
        return (
            f"{self.giver} is {self.giver_level} in {self.code} where {self.receiver} is "
            f"{self.receiver_level}{support}"
        )


@dataclass(frozen=True)
class Match:
    """A suggested pair, from `first`'s point of view."""

    first: Council
    second: Council
    first_gains: float  # what `first` gains from `second`
    second_gains: float
    fit: float
    score: float
    first_reasons: tuple[Reason, ...]  # where `second` helps `first`
    second_reasons: tuple[Reason, ...]
    fit_reasons: tuple[str, ...]

    @property
    def sort_key(self) -> tuple:
        return (-round(self.score, TIE_DIGITS), self.second.name, self.second.id)


def priority_weight(priority: str) -> float:
    return PRIORITY_WEIGHTS.get(priority or "", 1.0)


def item_gain(need: Item | None, offer: Item | None, scale: LevelScale) -> float:
    """What a council with answer `need` gains from one with answer `offer` on one value code."""
    if need is None or offer is None or not offer.could_share:
        return 0.0
    a, b, t = scale.position(need.level), scale.position(offer.level), scale.position(need.target)
    if a is None or b is None or t is None or t <= a:
        return 0.0
    if not (b >= scale.strong_position or b >= a + 2):
        return 0.0
    steps = min(b, t) - a
    if steps <= 0:
        return 0.0
    weight = priority_weight(need.priority) * (SUPPORT_FACTOR if need.want_support else 1.0)
    return steps * weight


Prepared = tuple[dict[str, tuple[int, int, float]], dict[str, int]]


def prepare(council: Council, scale: LevelScale) -> Prepared:
    """A council's needs {code: (position, target position, weight)} and offers
    {code: position}, worked out once so that scoring many pairs is quick. `fast_gain` on these
    equals `gain` (tested)."""
    needs, offers = {}, {}
    for code, item in council.answers.items():
        a = scale.position(item.level)
        if a is None:
            continue
        if item.could_share:
            offers[code] = a
        t = scale.position(item.target)
        if t is not None and t > a:
            w = priority_weight(item.priority) * (SUPPORT_FACTOR if item.want_support else 1.0)
            if w > 0:
                needs[code] = (a, t, w)
    return needs, offers


def fast_gain(needs: dict, offers: dict, strong_position: int) -> float:
    """What a council with `needs` gains from one with `offers` (see `item_gain`)."""
    total = 0.0
    for code, (a, t, w) in needs.items():
        b = offers.get(code)
        if b is not None and (b >= strong_position or b >= a + 2):
            steps = min(b, t) - a
            if steps > 0:
                total += steps * w
    return total


def reasons(receiver: Council, giver: Council, scale: LevelScale) -> tuple[Reason, ...]:
    """Every value code where `giver` can help `receiver`, largest gain first, then by code."""
    out = []
    small, large = receiver.answers, giver.answers
    for code, need in small.items():
        g = item_gain(need, large.get(code), scale)
        if g > 0:
            offer = large[code]
            out.append(
                Reason(
                    code=code,
                    giver=giver.name,
                    receiver=receiver.name,
                    giver_level=scale.name(offer.level),
                    receiver_level=scale.name(need.level),
                    receiver_target=scale.name(need.target),
                    wants_support=need.want_support,
                    priority=need.priority,
                    gain=g,
                )
            )
    out.sort(key=lambda r: (-r.gain, r.code))
    return tuple(out)


def gain(receiver: Council, giver: Council, scale: LevelScale) -> float:
    """What `receiver` gains from `giver`: the sum of the value codes' gains."""
    return sum(
        item_gain(need, giver.answers.get(code), scale) for code, need in receiver.answers.items()
    )


def balance(g1: float, g2: float) -> float:
    """The harmonic mean of the two gains: 0 unless both gain; highest when they are equal."""
    if g1 <= 0 or g2 <= 0:
        return 0.0
    return 2 * g1 * g2 / (g1 + g2)


def fit(
    a: Council, b: Council, neighbours: frozenset[tuple[int, int]] = frozenset()
) -> tuple[float, tuple[str, ...]]:
    """Practical fit, 0 to 0.35, and its reasons in words."""
    score, why = 0.0, []
    if a.type and a.type == b.type:
        score += FIT_SAME_TYPE
        why.append("the same type of council")
    if a.spend_band is not None and b.spend_band is not None:
        if a.spend_band == b.spend_band:
            score += FIT_SAME_BAND
            why.append("the same third-party spend band")
        elif abs(a.spend_band - b.spend_band) == 1:
            score += FIT_NEAR_BAND
            why.append("neighbouring spend bands")
    if a.region_id is not None and a.region_id == b.region_id:
        score += FIT_SAME_REGION
        why.append("the same region")
    elif (a.region_id, b.region_id) in neighbours or (b.region_id, a.region_id) in neighbours:
        score += FIT_NEIGHBOUR_REGION
        why.append("neighbouring regions")
    if a.shared_service in SHARED_ARRANGEMENTS and b.shared_service in SHARED_ARRANGEMENTS:
        score += FIT_SHARED_SERVICES
        why.append("both work in shared procurement services")
    return score, tuple(why)


def match(
    a: Council,
    b: Council,
    scale: LevelScale,
    neighbours: frozenset[tuple[int, int]] = frozenset(),
) -> Match | None:
    """The pair as `a` would see it, or None when either would gain nothing from the other."""
    if a.id == b.id:
        return None
    a_reasons = reasons(a, b, scale)
    if not a_reasons:
        return None
    b_reasons = reasons(b, a, scale)
    if not b_reasons:
        return None
    ga, gb = sum(r.gain for r in a_reasons), sum(r.gain for r in b_reasons)
    f, fit_why = fit(a, b, neighbours)
    return Match(
        first=a, second=b, first_gains=ga, second_gains=gb, fit=f,
        score=balance(ga, gb) * (1 + f),
        first_reasons=a_reasons, second_reasons=b_reasons, fit_reasons=fit_why,
    )  # fmt: skip


def pair_score(a: Council, b: Council, scale: LevelScale, neighbours=frozenset()) -> float:
    """The score of a pair (the same whichever way round), 0 when it is not mutual."""
    m = match(a, b, scale, neighbours)
    return m.score if m else 0.0


def best_partners(
    subject: Council,
    candidates: Iterable[Council],
    scale: LevelScale,
    neighbours: frozenset[tuple[int, int]] = frozenset(),
    *,
    limit: int | None = None,
    prepared: Mapping[int, Prepared] | None = None,
) -> list[Match]:
    """`subject`'s suggested partners, best first; councils not suggestable never appear.

    Ties (equal scores) are broken by the partner's name, then its id, so the order is stable.
    Scores come from `prepare`d needs and offers (`prepared`, by council id, when the caller
    keeps them); reasons are worked out only for the partners returned.
    """
    prepared = prepared or {}

    def prep(c: Council) -> Prepared:
        return prepared.get(c.id) or prepare(c, scale)

    strong = scale.strong_position
    s_needs, s_offers = prep(subject)
    ranked = []
    for other in candidates:
        if not other.suggestable or other.id == subject.id:
            continue
        o_needs, o_offers = prep(other)
        g1 = fast_gain(s_needs, o_offers, strong)
        if g1 <= 0:
            continue
        g2 = fast_gain(o_needs, s_offers, strong)
        if g2 <= 0:
            continue
        score = balance(g1, g2) * (1 + fit(subject, other, neighbours)[0])
        ranked.append((-round(score, TIE_DIGITS), other.name, other.id, other))
    ranked.sort(key=lambda r: r[:3])
    chosen = ranked[:limit] if limit else ranked
    return [match(subject, other, scale, neighbours) for *_, other in chosen]


def all_pairs(
    councils: list[Council],
    scale: LevelScale,
    neighbours: frozenset[tuple[int, int]] = frozenset(),
    *,
    progress=None,
) -> dict[tuple[int, int], float]:
    """Every mutual pair among the suggestable councils: {(lower id, higher id): score}.

    Built from an index of who offers what, so only pairs with something in common are
    scored. `progress(done, total)` is called after each council.
    """
    pool = [c for c in councils if c.suggestable]
    by_id = {c.id: c for c in pool}
    strong = scale.strong_position
    prepped = {c.id: prepare(c, scale) for c in pool}
    offerers: dict[str, list[tuple[int, int]]] = {}
    for c in pool:
        for code, b in prepped[c.id][1].items():
            offerers.setdefault(code, []).append((c.id, b))
    gains: dict[tuple[int, int], float] = {}  # (receiver, giver) -> gain
    for n, a in enumerate(pool, 1):
        a_id = a.id
        for code, (pa, pt, w) in prepped[a_id][0].items():
            for b_id, pb in offerers.get(code, ()):
                if b_id != a_id and (pb >= strong or pb >= pa + 2):
                    steps = min(pb, pt) - pa
                    if steps > 0:
                        key = (a_id, b_id)
                        gains[key] = gains.get(key, 0.0) + steps * w
        if progress:
            progress(n, len(pool))
    out = {}
    for (a_id, b_id), g_ab in gains.items():
        if a_id < b_id and (g_ba := gains.get((b_id, a_id))):
            f, _ = fit(by_id[a_id], by_id[b_id], neighbours)
            out[(a_id, b_id)] = balance(g_ab, g_ba) * (1 + f)
    return out


@dataclass(frozen=True)
class Coverage:
    """For one value code in a group of councils: who needs help, who can give it, and the
    councils nobody in the group can lift towards their target."""

    code: str
    needs: tuple[str, ...]
    gives: tuple[str, ...]
    uncovered: tuple[str, ...]


def needs_help(item: Item | None, scale: LevelScale) -> bool:
    """Below its own target, in a value code it did not mark "not a priority"."""
    if item is None:
        return False
    a, t = scale.position(item.level), scale.position(item.target)
    return a is not None and t is not None and t > a and priority_weight(item.priority) > 0


def coverage(councils: list[Council], codes: list[str], scale: LevelScale) -> list[Coverage]:
    """Per value code (in the order given), over the suggestable councils of a group."""
    pool = sorted((c for c in councils if c.suggestable), key=lambda c: (c.name, c.id))
    out = []
    for code in codes:
        needers = [c for c in pool if needs_help(c.answers.get(code), scale)]
        givers = [
            c for c in pool
            if (i := c.answers.get(code)) and i.could_share
            and (p := scale.position(i.level)) is not None and p >= scale.strong_position
        ]  # fmt: skip
        sharers = [c for c in pool if (i := c.answers.get(code)) and i.could_share]
        uncovered = [
            n for n in needers
            if not any(g.id != n.id and item_gain(n.answers[code], g.answers.get(code), scale) > 0 for g in sharers)
        ]  # fmt: skip
        out.append(
            Coverage(
                code,
                tuple(c.name for c in needers),
                tuple(c.name for c in givers),
                tuple(c.name for c in uncovered),
            )
        )
    return out
