"""Mutual benefit between two councils, with its reasons: pure functions, no database.

Defined in plain words in docs/metrics.md ("The relationship broker"). The levels come from
the framework version as a `LevelScale` (`diagnostic/frameworks/levels.py`, the one definition
of a framework's levels: their numbers in order and their names), so nothing
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
from dataclasses import dataclass

import numpy as np

from diagnostic.frameworks.levels import LevelScale

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
    matrices: GainMatrices | None = None,
) -> list[Match]:
    """`subject`'s suggested partners, best first; councils not suggestable never appear.

    Ties (equal scores) are broken by the partner's name, then its id, so the order is stable.
    Scores come from `prepare`d needs and offers (`prepared`, by council id, when the caller
    keeps them), or from the round's `GainMatrices` (every candidate at once, the same sums);
    reasons are worked out only for the partners returned.
    """
    prepared = prepared or {}

    def prep(c: Council) -> Prepared:
        return prepared.get(c.id) or prepare(c, scale)

    others = [o for o in candidates if o.suggestable and o.id != subject.id]
    if (
        matrices is not None
        and subject.id in matrices.row
        and all(o.id in matrices.row for o in others)
    ):
        # Both directions' gains for every candidate at once (the same sums as `fast_gain`).
        rows = np.array([matrices.row[o.id] for o in others], dtype=np.int64)
        s = matrices.row[subject.id]
        if len(rows):
            g1s = matrices.offer[rows] @ matrices.need[s]
            g2s = matrices.need[rows] @ matrices.offer[s]
        else:
            g1s = g2s = np.zeros(0)
        mutual = np.flatnonzero((g1s > 0) & (g2s > 0))
        pairs = [(others[k], float(g1s[k]), float(g2s[k])) for k in mutual.tolist()]
    else:
        strong = scale.strong_position
        s_needs, s_offers = prep(subject)
        pairs = []
        for other in others:
            o_needs, o_offers = prep(other)
            g1 = fast_gain(s_needs, o_offers, strong)
            if g1 <= 0:
                continue
            g2 = fast_gain(o_needs, s_offers, strong)
            if g2 > 0:
                pairs.append((other, g1, g2))
    ranked = []
    for other, g1, g2 in pairs:
        score = balance(g1, g2) * (1 + fit(subject, other, neighbours)[0])
        ranked.append((-round(score, TIE_DIGITS), other.name, other.id, other))
    ranked.sort(key=lambda r: r[:3])
    chosen = ranked[:limit] if limit else ranked
    return [match(subject, other, scale, neighbours) for *_, other in chosen]


@dataclass(frozen=True)
class PairArrays:
    """Every mutual pair as arrays: `a` < `b` (council ids) and the pair's `score`."""

    a: np.ndarray
    b: np.ndarray
    score: np.ndarray

    def as_dict(self) -> dict[tuple[int, int], float]:
        return dict(
            zip(
                zip(self.a.tolist(), self.b.tolist(), strict=True), self.score.tolist(), strict=True
            )
        )

    def __len__(self) -> int:
        return len(self.score)


def gain_matrices(pool: list[Council], scale: LevelScale, prepared=None):
    """Two matrices over (offer position, value code) columns such that `need @ offer.T` gives
    every `fast_gain` at once: `need[i, (p, code)]` is what council i gains on `code` from a
    council that offers it at position p (the rule of `item_gain`), `offer[j, (p, code)]` is 1
    when council j offers `code` at position p. Gains are multiples of 0.5 and small, so the
    sums are exact. Columns nobody offers are dropped (they add nothing)."""
    prepared = prepared or {}
    preps = [prepared.get(c.id) or prepare(c, scale) for c in pool]
    codes = sorted({code for needs, offers in preps for code in (*needs, *offers)})
    col = {code: k for k, code in enumerate(codes)}
    n, m, levels = len(pool), len(codes), len(scale.numbers)
    a = np.full((n, m), -1, dtype=np.int16)  # the receiver's position, -1 when no need
    t = np.zeros((n, m), dtype=np.int16)
    w = np.zeros((n, m), dtype=np.float64)
    b = np.full((n, m), -1, dtype=np.int16)  # the giver's position, -1 when it does not offer
    for i, (needs, offers) in enumerate(preps):
        for code, (pa, pt, pw) in needs.items():
            k = col[code]
            a[i, k], t[i, k], w[i, k] = pa, pt, pw
        for code, pb in offers.items():
            b[i, col[code]] = pb
    strong = scale.strong_position
    need_blocks, offer_blocks = [], []
    for p in range(levels):
        offered = b == p
        if not offered.any():
            continue
        has_need = a >= 0
        ok = has_need & ((p >= strong) | (p >= a + 2))
        steps = np.where(ok, np.minimum(p, t) - a, 0)
        need_blocks.append(np.where(steps > 0, steps * w, 0).astype(np.float64))
        offer_blocks.append(offered.astype(np.float64))
    if not need_blocks:
        return np.zeros((n, 0), np.float64), np.zeros((n, 0), np.float64)
    return np.hstack(need_blocks), np.hstack(offer_blocks)


@dataclass(frozen=True)
class GainMatrices:
    """`gain_matrices` for a round's councils, with each council's row (`row[id]`)."""

    row: Mapping[int, int]
    need: np.ndarray
    offer: np.ndarray

    @classmethod
    def of(cls, councils: list[Council], scale: LevelScale, prepared=None) -> GainMatrices:
        need, offer = gain_matrices(councils, scale, prepared)
        return cls({c.id: k for k, c in enumerate(councils)}, need, offer)


def _fit_arrays(pool: list[Council], neighbours):
    """Per council: type, spend band, region (as small integers, -1 when not given) and whether
    it works in a shared service; and which regions neighbour which."""
    types = {t: k for k, t in enumerate(sorted({c.type for c in pool if c.type}))}
    regions = sorted({c.region_id for c in pool if c.region_id is not None})
    rindex = {r: k for k, r in enumerate(regions)}
    typ = np.array([types.get(c.type, -1) if c.type else -1 for c in pool], dtype=np.int32)
    band = np.array([-1 if c.spend_band is None else c.spend_band for c in pool], dtype=np.int32)
    reg = np.array([rindex.get(c.region_id, -1) for c in pool], dtype=np.int32)
    shared = np.array([c.shared_service in SHARED_ARRANGEMENTS for c in pool], dtype=bool)
    near = np.zeros((len(regions) + 1, len(regions) + 1), dtype=bool)  # last row: no region
    for x, y in neighbours:
        if x in rindex and y in rindex:
            near[rindex[x], rindex[y]] = near[rindex[y], rindex[x]] = True
    return typ, band, reg, shared, near


def pair_arrays(
    councils: list[Council],
    scale: LevelScale,
    neighbours: frozenset[tuple[int, int]] = frozenset(),
    *,
    progress=None,
    prepared: Mapping[int, Prepared] | None = None,
    block: int = 512,
) -> PairArrays:
    """Every mutual pair among the suggestable councils and its score, the numbers of `match`
    (tested on random rounds), worked out with numpy rather than pair by pair.

    Pruned before scoring: a council with no need or nothing to offer cannot be in a mutual
    pair, so it is left out; then all gains come from one matrix product (`gain_matrices`), and
    the practical fit and the balance are worked out only for the pairs in which each gains.
    `progress(done, total)` is called after each block of councils."""
    pool = [c for c in councils if c.suggestable]
    preps = {c.id: (prepared or {}).get(c.id) or prepare(c, scale) for c in pool}
    pool = [c for c in pool if preps[c.id][0] and preps[c.id][1]]
    pool.sort(key=lambda c: c.id)
    empty = np.zeros(0, dtype=np.int64)
    if len(pool) < 2:
        if progress:
            progress(1, 1)
        return PairArrays(empty, empty, np.zeros(0))
    need, offer = gain_matrices(pool, scale, preps)
    ids = np.array([c.id for c in pool], dtype=np.int64)
    typ, band, reg, shared, near = _fit_arrays(pool, neighbours)
    n = len(pool)
    out_a, out_b, out_s = [], [], []
    for start in range(0, n, block):
        stop = min(n, start + block)
        g_ij = need[start:stop] @ offer[start:].T  # what i gains from j (j from `start` on)
        g_ji = offer[start:stop] @ need[start:].T  # what j gains from i
        rows, cols = np.nonzero((g_ij > 0) & (g_ji > 0))
        cols += start
        keep = cols > rows + start  # each pair once, i < j (ids ascending with the index)
        rows, cols = rows[keep], cols[keep]
        g1 = g_ij[rows, cols - start]
        g2 = g_ji[rows, cols - start]
        i, j = rows + start, cols
        # The practical fit, added up in the order of `fit` so the numbers are the same.
        f = np.zeros(len(i))
        f = np.where((typ[i] >= 0) & (typ[i] == typ[j]), f + FIT_SAME_TYPE, f)
        known = (band[i] >= 0) & (band[j] >= 0)
        f = np.where(known & (band[i] == band[j]), f + FIT_SAME_BAND, f)
        f = np.where(known & (np.abs(band[i] - band[j]) == 1), f + FIT_NEAR_BAND, f)
        same = (reg[i] >= 0) & (reg[i] == reg[j])
        f = np.where(same, f + FIT_SAME_REGION, f)
        f = np.where(~same & near[reg[i], reg[j]], f + FIT_NEIGHBOUR_REGION, f)
        f = np.where(shared[i] & shared[j], f + FIT_SHARED_SERVICES, f)
        out_a.append(ids[i])
        out_b.append(ids[j])
        out_s.append(2 * g1 * g2 / (g1 + g2) * (1 + f))
        if progress:
            progress(stop, n)
    return PairArrays(np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_s))


def all_pairs(
    councils: list[Council],
    scale: LevelScale,
    neighbours: frozenset[tuple[int, int]] = frozenset(),
    *,
    progress=None,
) -> dict[tuple[int, int], float]:
    """Every mutual pair among the suggestable councils: {(lower id, higher id): score}
    (`pair_arrays` as a dictionary)."""
    return pair_arrays(councils, scale, neighbours, progress=progress).as_dict()


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
