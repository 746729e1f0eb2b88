"""The broker's score, table-driven (docs/metrics.md, "The relationship broker")."""

import dataclasses
import itertools
import random
from unittest import TestCase

from diagnostic.broker.scoring import (
    Council,
    GainMatrices,
    Item,
    LevelScale,
    all_pairs,
    balance,
    best_partners,
    fast_gain,
    fit,
    gain,
    item_gain,
    match,
    pair_arrays,
    pair_score,
    prepare,
)

SCALE = LevelScale((1, 2, 3, 4, 5), {1: "Minimum", 2: "Developing", 3: "Mature", 4: "Leader", 5: "Innovator"})  # fmt: skip
# A framework with three levels named differently: "strong" is its second-highest, "Good".
SMALL = LevelScale((1, 2, 3), {1: "Basic", 2: "Good", 3: "Great"})


def offer(level):
    return Item(level=level, could_share=True)


def need(level, target, priority="high", support=False):
    return Item(level=level, target=target, priority=priority, want_support=support)


def council(id_, name, answers, **kw):
    return Council(id=id_, name=name, answers=answers, **kw)


class ItemGainTests(TestCase):
    def test_the_table(self):
        rows = [
            # need, offer, gain, why
            (need(2, 4), offer(4), 6.0, "Leader lifts 2 levels (to target), high priority = 3"),
            (need(2, 4), offer(5), 6.0, "never past the target"),
            (need(2, 5), offer(4), 6.0, "never past the giver"),
            (need(1, 4), offer(3), 6.0, "two above, below Leader, still strong"),
            (need(2, 4), offer(3), 0.0, "one above and below Leader: not strong"),
            (need(2, 4), Item(level=4), 0.0, "strong but not willing to share"),
            (need(2, 2), offer(5), 0.0, "at target: no gap"),
            (need(2, None), offer(5), 0.0, "no target: no gap it asked for"),
            (need(0, 4), offer(5), 0.0, "not yet assessed"),
            (need(None, 4), offer(5), 0.0, "unanswered"),
            (need(2, 4, "medium"), offer(4), 4.0, "medium priority = 2"),
            (need(2, 4, "low"), offer(4), 2.0, "low priority = 1"),
            (need(2, 4, ""), offer(4), 2.0, "no priority chosen counts as low"),
            (need(2, 4, "none"), offer(4), 0.0, "not a priority"),
            (need(2, 4, "high", True), offer(4), 9.0, "asked for support: × 1.5"),
            (need(4, 5), offer(4), 0.0, "Leader cannot lift a Leader"),
            (need(4, 5), offer(5), 3.0, "Innovator lifts a Leader one level"),
            (need(2, 4), offer(0), 0.0, "the giver has not assessed itself"),
            (need(2, 4), None, 0.0, "the giver did not answer"),
        ]
        for n, o, expected, why in rows:
            with self.subTest(why):
                self.assertEqual(item_gain(n, o, SCALE), expected)

    def test_strong_is_the_second_highest_level_of_the_version(self):
        self.assertEqual(SCALE.strong_position, 3)  # "Leader" in NPS 2018
        self.assertEqual(SMALL.strong_position, 1)  # "Good" in a three-level framework
        self.assertEqual(item_gain(need(1, 2, "low"), offer(2), SMALL), 1.0)
        self.assertEqual(item_gain(need(1, 2, "low"), offer(2), SCALE), 0.0)

    def test_a_scale_must_be_ordered(self):
        for bad in [(), (3, 1, 2), (1, 1, 2)]:
            with self.subTest(bad), self.assertRaises(ValueError):
                LevelScale(bad)


WIGAN = council(1, "Wigan", {"MCR2": offer(4), "SV1": need(2, 4, "high")}, type="metropolitan_borough", region_id=10)  # fmt: skip
KENT = council(2, "Kent", {"MCR2": need(2, 4, "high", True), "SV1": offer(4)}, type="county", region_id=20)  # fmt: skip


class MatchTests(TestCase):
    def test_reasons_both_ways_value_code_by_value_code(self):
        m = match(WIGAN, KENT, SCALE)
        self.assertEqual(
            [r.text for r in m.second_reasons],
            ["Wigan is Leader in MCR2 where Kent is Developing and wants support"],
        )
        self.assertEqual(
            [r.text for r in m.first_reasons], ["Kent is Leader in SV1 where Wigan is Developing"]
        )
        self.assertEqual((m.first_gains, m.second_gains), (6.0, 9.0))
        self.assertAlmostEqual(m.score, 2 * 6 * 9 / 15)

    def test_no_pair_without_benefit_both_ways(self):
        one_way = council(3, "Solo", {"MCR2": need(2, 4)})
        self.assertIsNone(match(WIGAN, one_way, SCALE))
        self.assertIsNone(match(one_way, WIGAN, SCALE))
        self.assertEqual(pair_score(WIGAN, one_way, SCALE), 0.0)
        self.assertIsNone(match(WIGAN, WIGAN, SCALE))

    def test_balanced_beats_one_sided_with_the_same_total(self):
        subject = council(1, "S", {f"G{i}": need(2, 4, "low") for i in range(10)} | {f"O{i}": offer(5) for i in range(10)})  # fmt: skip
        # Balanced: S gains 5×2, gives 5×2. One-sided: S gains 9×2, gives 1×2.
        balanced = council(2, "Balanced", {**{f"G{i}": offer(4) for i in range(5)}, **{f"O{i}": need(3, 5, "low") for i in range(5)}})  # fmt: skip
        lopsided = council(3, "Lopsided", {**{f"G{i}": offer(4) for i in range(9)}, **{f"O{i}": need(4, 5, "low") for i in range(1)}})  # fmt: skip
        mb, ml = match(subject, balanced, SCALE), match(subject, lopsided, SCALE)
        self.assertEqual(mb.first_gains + mb.second_gains, 20.0)
        self.assertEqual(ml.first_gains + ml.second_gains, 19.0)
        self.assertGreater(mb.score, ml.score)
        self.assertEqual([m.second.name for m in best_partners(subject, [lopsided, balanced], SCALE)], ["Balanced", "Lopsided"])  # fmt: skip

    def test_balance_table(self):
        for g1, g2, expected in [(5, 5, 5.0), (9, 1, 1.8), (10, 0, 0.0), (0, 0, 0.0), (2, 6, 3.0)]:
            with self.subTest(g1=g1, g2=g2):
                self.assertAlmostEqual(balance(g1, g2), expected)

    def test_practical_fit_table(self):
        base = {
            "answers": {},
            "type": "county",
            "region_id": 1,
            "spend_band": 2,
            "shared_service": "none",
        }
        a = Council(id=1, name="A", **base)
        rows = [
            ({}, 0.30, ("the same type of council", "the same third-party spend band", "the same region")),
            ({"type": "unitary"}, 0.20, ("the same third-party spend band", "the same region")),
            ({"spend_band": 3}, 0.25, ("the same type of council", "neighbouring spend bands", "the same region")),
            ({"spend_band": 0}, 0.20, ("the same type of council", "the same region")),
            ({"spend_band": None}, 0.20, ("the same type of council", "the same region")),
            ({"region_id": 2}, 0.25, ("the same type of council", "the same third-party spend band", "neighbouring regions")),
            ({"region_id": 3}, 0.20, ("the same type of council", "the same third-party spend band")),
        ]  # fmt: skip
        for change, expected, why in rows:
            b = Council(id=2, name="B", **{**base, **change})
            with self.subTest(change):
                f, reasons = fit(a, b, frozenset({(1, 2)}))
                self.assertAlmostEqual(f, expected)
                self.assertEqual(reasons, why)
        shared = dict(base, shared_service="hosts")
        f, reasons = fit(Council(id=1, name="A", **shared), Council(id=2, name="B", **dict(shared, shared_service="shared_team")))  # fmt: skip
        self.assertAlmostEqual(f, 0.35)
        self.assertIn("both work in shared procurement services", reasons)

    def test_fit_multiplies_but_never_makes_a_pair(self):
        same = council(3, "Twin", {}, type="metropolitan_borough", region_id=10)
        self.assertIsNone(match(WIGAN, same, SCALE))
        kent_nearby = council(2, "Kent", KENT.answers, type="metropolitan_borough", region_id=10)
        self.assertAlmostEqual(match(WIGAN, kent_nearby, SCALE).score, match(WIGAN, KENT, SCALE).score * 1.2)  # fmt: skip


class SuggestionTests(TestCase):
    def test_unwilling_councils_never_appear(self):
        hidden = council(2, "Kent", KENT.answers, suggestable=False)
        self.assertEqual(best_partners(WIGAN, [hidden], SCALE), [])
        self.assertEqual(all_pairs([WIGAN, hidden], SCALE), {})
        self.assertEqual(list(all_pairs([WIGAN, KENT], SCALE)), [(1, 2)])

    def test_ties_are_stable_by_name_then_id(self):
        twins = [council(i, name, KENT.answers) for i, name in [(7, "Kent"), (5, "Kent"), (9, "Bury"), (3, "York")]]  # fmt: skip
        for order in itertools.permutations(twins):
            with self.subTest([c.id for c in order]):
                self.assertEqual([(m.second.name, m.second.id) for m in best_partners(WIGAN, order, SCALE)], [("Bury", 9), ("Kent", 5), ("Kent", 7), ("York", 3)])  # fmt: skip

    def test_limit(self):
        others = [council(i, f"C{i}", KENT.answers) for i in range(2, 8)]
        self.assertEqual(len(best_partners(WIGAN, others, SCALE, limit=3)), 3)


def random_round(rng: random.Random, n: int, codes: int = 8) -> list[Council]:
    councils = []
    for i in range(n):
        answers = {}
        for c in range(codes):
            level = rng.choice([None, 0, 1, 2, 3, 4, 5])
            target = rng.choice([None, 1, 2, 3, 4, 5])
            answers[f"V{c}"] = Item(
                level=level, target=target, priority=rng.choice(["high", "medium", "low", "", "none"]),
                could_share=rng.random() < 0.4, want_support=rng.random() < 0.3,
            )  # fmt: skip
        councils.append(
            Council(
                id=i + 1,
                name=f"Council {i % 5}",
                answers=answers,
                type=rng.choice("ab"),
                region_id=rng.choice([1, 2, 3]),
                spend_band=rng.choice([None, 0, 1, 2]),
                suggestable=rng.random() < 0.8,
            )  # fmt: skip
        )
    return councils


class PropertyTests(TestCase):
    """On random rounds: the fast all-pairs index agrees with scoring each pair on its own."""

    def test_all_pairs_agrees_with_pair_by_pair(self):
        rng = random.Random(11)
        neighbours = frozenset({(1, 2)})
        for _ in range(30):
            councils = random_round(rng, rng.randint(2, 25))
            fast = all_pairs(councils, SCALE, neighbours)
            willing = [c for c in councils if c.suggestable]
            slow = {}
            for a, b in itertools.combinations(sorted(willing, key=lambda c: c.id), 2):
                s = pair_score(a, b, SCALE, neighbours)
                if s:
                    slow[(a.id, b.id)] = s
                    # The same score whichever way round, and each side truly gains.
                    self.assertAlmostEqual(s, pair_score(b, a, SCALE, neighbours))
                    self.assertGreater(gain(a, b, SCALE), 0)
                    self.assertGreater(gain(b, a, SCALE), 0)
            self.assertEqual(fast.keys(), slow.keys())
            for k in fast:
                self.assertAlmostEqual(fast[k], slow[k])
            for m in best_partners(councils[0], councils, SCALE, neighbours):
                self.assertTrue(m.second.suggestable)
            for a, b in itertools.product(councils[:6], councils[:6]):
                fast = fast_gain(prepare(a, SCALE)[0], prepare(b, SCALE)[1], SCALE.strong_position)
                self.assertAlmostEqual(fast, gain(a, b, SCALE))
            # The ranking equals sorting every pair's own match.
            subject = councils[0]
            expected = sorted(
                (
                    m
                    for o in councils
                    if o.suggestable and (m := match(subject, o, SCALE, neighbours))
                ),
                key=lambda m: m.sort_key,
            )
            got = best_partners(subject, councils, SCALE, neighbours)
            self.assertEqual([m.second.id for m in got], [m.second.id for m in expected])


class VectorisedTests(TestCase):
    """`pair_arrays` (numpy over value codes, for a whole round) gives the numbers of the pure,
    table-tested `match`, exactly, on random rounds with every kind of fit and a framework of
    three levels as well as five."""

    def test_the_same_scores_as_the_pure_function(self):
        rng = random.Random(2027)
        neighbours = frozenset({(1, 2), (3, 2)})
        for trial in range(25):
            scale = SCALE if trial % 3 else SMALL
            councils = random_round(rng, rng.randint(2, 30))
            if scale is SMALL:  # levels of the three-level framework only
                councils = [
                    dataclasses.replace(c, answers={
                        k: dataclasses.replace(i, level=i.level and min(i.level, 3),
                                               target=i.target and min(i.target, 3))
                        for k, i in c.answers.items()
                    }, shared_service=rng.choice(["", "hosts", "shared_team", "none"]))
                    for c in councils
                ]  # fmt: skip
            arrays = pair_arrays(councils, scale, neighbours, block=rng.choice([1, 4, 512]))
            got = arrays.as_dict()
            willing = sorted((c for c in councils if c.suggestable), key=lambda c: c.id)
            expected = {}
            for a, b in itertools.combinations(willing, 2):
                if m := match(a, b, scale, neighbours):
                    expected[(a.id, b.id)] = m.score
            with self.subTest(trial=trial):
                self.assertEqual(got, expected)  # equal floats, not nearly equal
                self.assertTrue((arrays.a < arrays.b).all())

    def test_councils_that_cannot_gain_both_ways_are_pruned_first(self):
        only_gives = council(3, "Giver", {"MCR2": offer(5), "SV1": offer(5)})
        pairs = pair_arrays([WIGAN, KENT, only_gives], SCALE)
        self.assertEqual(list(zip(pairs.a.tolist(), pairs.b.tolist(), strict=True)), [(1, 2)])
        self.assertEqual(pairs.score.tolist(), [match(WIGAN, KENT, SCALE).score])

    def test_one_councils_partners_from_the_rounds_matrices_are_the_same(self):
        rng = random.Random(61)
        neighbours = frozenset({(1, 2)})
        for trial in range(20):
            councils = random_round(rng, rng.randint(2, 30))
            matrices = GainMatrices.of(councils, SCALE)
            for subject in councils[:4]:
                plain = best_partners(subject, councils, SCALE, neighbours)
                fast = best_partners(subject, councils, SCALE, neighbours, matrices=matrices)
                with self.subTest(trial=trial, subject=subject.id):
                    self.assertEqual(
                        [(m.second.id, m.score, m.first_gains, m.second_gains) for m in fast],
                        [(m.second.id, m.score, m.first_gains, m.second_gains) for m in plain],
                    )
