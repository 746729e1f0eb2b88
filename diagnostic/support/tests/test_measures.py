"""Demand, supply, unmet demand and the effect measure on a small hand-made round.

Every expected number below was worked out by hand from the answers in `ROUND` (the working is
in the comments, and the same round is the worked example in docs/metrics.md).
"""

from unittest import TestCase

from diagnostic.support import measures as m
from diagnostic.support.measures import AdviserFact, AnswerFact

R1, R2 = 1, 2  # regions
KA10, KA20 = 10, 20  # key areas: value codes 101 and 102 are in KA10, 201 in KA20
DISTRICT, UNITARY = "district", "unitary"


def a(org, region, vc, cur, tgt=None, pri="", want=False, share=False, typ=UNITARY):
    return AnswerFact(
        organisation_id=org, region_id=region, value_code_id=vc, key_area_id=vc // 10,
        current=cur, target=tgt, priority=pri, want_support=want, could_share=share, org_type=typ,
    )  # fmt: skip


# gap = (target − current) × weight (high 3, medium 2, low 1, not chosen 1, not a priority 0)
ROUND = [
    # Council 1 (R1, district): 101 gap (4−2)×3 = 6; 102 no gap but wants support; 201 Leader, shares.
    a(1, R1, 101, 2, 4, "high", typ=DISTRICT),
    a(1, R1, 102, 3, 3, "high", want=True, typ=DISTRICT),
    a(1, R1, 201, 4, share=True, typ=DISTRICT),
    # Council 2 (R1): 101 gap 1×1 = 1; 102 not yet assessed: no gap; 201 "not a priority": 0.
    a(2, R1, 101, 1, 2, "low"),
    a(2, R1, 102, 0, 3, "high"),
    a(2, R1, 201, 2, 3, "none"),
    # Council 3 (R1): 101 Innovator, shares; 102 gap 2×2 = 4; 201 gap 1, priority not chosen: 1.
    a(3, R1, 101, 5, share=True),
    a(3, R1, 102, 3, 5, "medium"),
    a(3, R1, 201, 3, 4, ""),
    # Council 4 (R2, district): 101 gap 1×2 = 2; 102 Leader, shares; 201 gap 2×3 = 6.
    a(4, R2, 101, 2, 3, "medium", typ=DISTRICT),
    a(4, R2, 102, 4, share=True, typ=DISTRICT),
    a(4, R2, 201, 1, 3, "high", typ=DISTRICT),
    # Council 5 (R2): 101 at Mature would share, but Mature is not Leader or above; 201 wants support.
    a(5, R2, 101, 3, share=True),
    a(5, R2, 201, 2, 2, "low", want=True),
]
ADVISERS = [
    # 2 days over two regions: 1 day in each, for key area 20 (so value code 201).
    AdviserFact(adviser_id=1, days=2, region_ids=frozenset({R1, R2}), key_area_ids=frozenset({KA20})),
    # 1 day in R1 for value code 101 (so it counts for key area 10 too).
    AdviserFact(adviser_id=2, days=1, region_ids=frozenset({R1}), value_code_ids=frozenset({101})),
]  # fmt: skip
EXPERT = frozenset({4, 5})


class ExpertLevelsTests(TestCase):
    def test_it_takes_the_levels_above_the_middle_of_the_versions_scale(self):
        for numbers, expected in [
            ([1, 2, 3, 4, 5], {4, 5}),
            ([5, 4, 3, 2, 1], {4, 5}),
            ([1, 2, 3, 4], {3, 4}),
            ([1, 2, 3, 4, 5, 6], {4, 5, 6}),
            ([1, 2, 3], {3}),
            ([1], set()),
            ([], set()),
        ]:
            with self.subTest(numbers=numbers):
                self.assertEqual(m.expert_levels(numbers), expected)


class WeightedGapTests(TestCase):
    def test_it_weights_the_gap_by_priority(self):
        for current, target, priority, expected in [
            (2, 4, "high", 6),
            (1, 2, "medium", 2),
            (1, 2, "low", 1),
            (1, 5, "", 4),  # priority not chosen counts as low
            (1, 5, "none", 0),
            (3, 3, "high", 0),
            (4, 2, "high", 0),  # a target below the current level is no gap
            (0, 3, "high", 0),  # not yet assessed
            (None, 3, "high", 0),
            (2, None, "high", 0),
        ]:
            with self.subTest(current=current, target=target, priority=priority):
                self.assertEqual(m.weighted_gap(current, target, priority), expected)


def figures(cell):
    return (cell.organisations, cell.demand, cell.wanting, cell.weighted_gap,
            cell.peers, cell.adviser_days, cell.supply, cell.unmet)  # fmt: skip


class KeyAreaCellTests(TestCase):
    def test_demand_supply_and_unmet_demand_per_region_and_key_area(self):
        got = m.cells(ROUND, ADVISERS, by="key_area", expert=EXPERT)
        expected = {
            # R1 KA10: councils 1 (gap 6 and wants support), 2 (gap 1), 3 (gap 4) need support: 3;
            # gap 6+1+4 = 11; council 3 shares: 1; adviser 2: 1 day; supply 2; unmet 3−2 = 1.
            (R1, KA10): (3, 3, 1, 11, 1, 1.0, 2.0, 1.0),
            # R1 KA20: only council 3 (gap 1); council 1 shares; adviser 1: 1 day; unmet 0.
            (R1, KA20): (3, 1, 0, 1, 1, 1.0, 2.0, 0.0),
            # R2 KA10: council 4 (gap 2); council 4 shares on 102 (council 5 is only Mature); 0.
            (R2, KA10): (2, 1, 0, 2, 1, 0.0, 1.0, 0.0),
            # R2 KA20: council 4 (gap 6), council 5 (wants support): 2; adviser 1: 1 day; unmet 1.
            (R2, KA20): (2, 2, 1, 6, 0, 1.0, 1.0, 1.0),
        }
        self.assertEqual({k: figures(c) for k, c in got.items()}, expected)

    def test_totals_add_regions_and_unmet_demand_is_counted_region_by_region(self):
        totals = m.totals(m.cells(ROUND, ADVISERS, by="key_area", expert=EXPERT))
        ka20 = totals[KA20]
        # KA20 over both regions: demand 1+2 = 3, supply 2+1 = 3, but unmet is 0 + 1 = 1:
        # R1's spare peer does not cover R2's council.
        self.assertEqual((ka20.demand, ka20.peers, ka20.adviser_days, ka20.unmet), (3, 1, 2.0, 1.0))
        ka10 = totals[KA10]
        self.assertEqual(
            (ka10.organisations, ka10.demand, ka10.wanting, ka10.weighted_gap, ka10.peers,
             ka10.adviser_days, ka10.unmet, ka10.regions),
            (5, 4, 1, 13, 2, 1.0, 1.0, 2),
        )  # fmt: skip

    def test_ranking_puts_unmet_demand_first_then_the_weighted_gap(self):
        totals = m.totals(m.cells(ROUND, ADVISERS, by="key_area", expert=EXPERT))
        # Both have unmet demand 1; KA10's weighted gap 13 beats KA20's 7 (1 + 6).
        self.assertEqual([t.item_id for t in m.ranked(totals, {KA10: 2, KA20: 1})], [KA10, KA20])
        # Without advisers, unmet: KA10 R1 3−1 = 2, R2 1−1 = 0 → 2; KA20 R1 1−1 = 0, R2 2 → 2.
        # Tied at 2: the weighted gap still decides.
        bare = m.totals(m.cells(ROUND, [], by="key_area", expert=EXPERT))
        self.assertEqual((bare[KA10].unmet, bare[KA20].unmet), (2.0, 2.0))
        self.assertEqual([t.item_id for t in m.ranked(bare, {KA10: 2, KA20: 1})], [KA10, KA20])

    def test_a_filter_narrows_demand_but_every_council_of_the_region_supplies(self):
        got = m.cells(ROUND, ADVISERS, by="key_area", expert=EXPERT,
                      include=lambda f: f.org_type == DISTRICT)  # fmt: skip
        # R1 KA10, districts only: council 1 (gap 6, wants support); council 3 (a unitary)
        # still shares; adviser 1 day: supply 2, demand 1, unmet 0.
        self.assertEqual(figures(got[(R1, KA10)]), (1, 1, 1, 6, 1, 1.0, 2.0, 0.0))
        # R2 KA20: council 4 only (gap 6); adviser 1 day: unmet 0.
        self.assertEqual(figures(got[(R2, KA20)]), (1, 1, 0, 6, 0, 1.0, 1.0, 0.0))


class IntroductionTests(TestCase):
    """The broker's accepted introductions as supply (docs/metrics.md, worked example)."""

    # Accepted introductions between councils 1 and 4, 2 and 3, 1 and 3, and 5 and 3.
    PAIRS = [(1, 4), (2, 3), (1, 3), (5, 3)]

    def test_councils_covered_per_region_and_key_area(self):
        got = m.introduced(ROUND, self.PAIRS, by="key_area", expert=EXPERT)
        # 1–4: council 1 wants support on 102 where 4 is Leader and shares (KA10, R1); council 4
        #      has gap 6 on 201 where 1 is Leader and shares (KA20, R2). 4's gap on 101: 1 is
        #      at 2 there, cannot share.
        # 2–3: council 2 has gap 1 on 101 where 3 is Innovator and shares (KA10, R1).
        # 1–3: council 1's gap 6 on 101, 3 shares there: council 1 again, counted once in KA10;
        #      and council 3's gap 1 on 201, where 1 is Leader and shares (KA20, R1).
        # 5–3: 5 wants support on 201 but 3 (Mature, not sharing) cannot help; 3 needs 102 and
        #      201 where 5 has no answer or is at 2 without sharing: nothing.
        self.assertEqual(got, {(R1, KA10): 2, (R1, KA20): 1, (R2, KA20): 1})

    def test_per_value_code(self):
        got = m.introduced(ROUND, self.PAIRS, by="value_code", expert=EXPERT)
        self.assertEqual(got, {(R1, 101): 2, (R1, 102): 1, (R1, 201): 1, (R2, 201): 1})

    def test_they_count_as_supply_and_lower_unmet_demand(self):
        cell_map = m.cells(ROUND, ADVISERS, by="key_area", expert=EXPERT)
        m.add_introductions(cell_map, m.introduced(ROUND, self.PAIRS, by="key_area", expert=EXPERT))
        # R1 KA10: demand 3; peers 1 + adviser 1 day + introduced 2 = supply 4; unmet 0 (was 1).
        # R2 KA20: demand 2; adviser 1 day + introduced 1 = 2; unmet 0 (was 1).
        self.assertEqual(figures(cell_map[(R1, KA10)]), (3, 3, 1, 11, 1, 1.0, 4.0, 0.0))
        self.assertEqual(figures(cell_map[(R2, KA20)]), (2, 2, 1, 6, 0, 1.0, 2.0, 0.0))
        # R1 KA20: demand 1 (council 3); peers 1 + adviser 1 day + introduced 1 = 3; unmet 0.
        self.assertEqual(figures(cell_map[(R1, KA20)]), (3, 1, 0, 1, 1, 1.0, 3.0, 0.0))
        self.assertEqual((cell_map[(R2, KA10)].introduced, cell_map[(R2, KA10)].unmet), (0, 0.0))
        totals = m.totals(cell_map)
        self.assertEqual((totals[KA10].introduced, totals[KA10].unmet), (2, 0.0))
        self.assertEqual((totals[KA20].introduced, totals[KA20].unmet), (2, 0.0))

    def test_a_filter_counts_only_the_councils_it_keeps(self):
        got = m.introduced(ROUND, self.PAIRS, by="key_area", expert=EXPERT,
                           include=lambda f: f.org_type == DISTRICT)  # fmt: skip
        # Districts are councils 1 and 4: councils 2 and 3 (unitaries) are left out.
        self.assertEqual(got, {(R1, KA10): 1, (R2, KA20): 1})

    def test_no_introductions_no_supply(self):
        self.assertEqual(m.introduced(ROUND, [], by="key_area", expert=EXPERT), {})
        self.assertEqual(m.introduced(ROUND, [(3, 3)], by="key_area", expert=EXPERT), {})


class ValueCodeCellTests(TestCase):
    def test_value_code_cells(self):
        got = m.cells(ROUND, ADVISERS, by="value_code", expert=EXPERT)
        expected = {
            # 101 R1: councils 1 (gap 6), 2 (gap 1); council 3 shares; adviser 2's day: unmet 0.
            (R1, 101): (3, 2, 0, 7, 1, 1.0, 2.0, 0.0),
            # 102 R1: council 1 wants support, council 3 gap 4; nobody shares, no adviser: 2.
            (R1, 102): (3, 2, 1, 4, 0, 0.0, 0.0, 2.0),
            # 201 R1: council 3 (gap 1); council 1 shares; adviser 1 covers key area 20: 1 day.
            (R1, 201): (3, 1, 0, 1, 1, 1.0, 2.0, 0.0),
            # 101 R2: council 4 (gap 2); council 5 is only Mature: no supply; unmet 1.
            (R2, 101): (2, 1, 0, 2, 0, 0.0, 0.0, 1.0),
            # 102 R2: only council 4 answered, at Leader, sharing; no demand.
            (R2, 102): (1, 0, 0, 0, 1, 0.0, 1.0, 0.0),
            # 201 R2: councils 4 (gap 6) and 5 (wants support); adviser 1: 1 day; unmet 1.
            (R2, 201): (2, 2, 1, 6, 0, 1.0, 1.0, 1.0),
        }
        self.assertEqual({k: figures(c) for k, c in got.items()}, expected)


class AdviserTests(TestCase):
    def test_days_are_split_evenly_between_the_regions_covered(self):
        adviser = AdviserFact(adviser_id=1, days=3, region_ids=frozenset({1, 2, 3}))
        self.assertEqual([adviser.days_in(r) for r in (1, 2, 3, 4)], [1.0, 1.0, 1.0, 0.0])

    def test_expertise_in_a_key_area_covers_its_value_codes_and_the_reverse(self):
        vc_area = {101: 10, 102: 10, 201: 20}
        by_area = AdviserFact(1, 1, frozenset({1}), key_area_ids=frozenset({10}))
        by_code = AdviserFact(2, 1, frozenset({1}), value_code_ids=frozenset({102}))
        self.assertEqual(
            [by_area.covers(i, "value_code", vc_area) for i in (101, 102, 201)], [True, True, False]
        )
        self.assertEqual(
            [by_code.covers(i, "value_code", vc_area) for i in (101, 102, 201)],
            [False, True, False],
        )
        self.assertEqual([by_code.covers(i, "key_area", vc_area) for i in (10, 20)], [True, False])


class GroupTests(TestCase):
    def test_demand_by_council_type(self):
        got = m.by_group(ROUND, lambda f: [f.org_type])
        # Districts 1 and 4: both need support; 1 wants support; gap 6 + 2 + 6 = 14.
        # Unitaries 2, 3, 5: all need support; 5 wants support; gap 1 + 4 + 1 = 6.
        self.assertEqual(
            got,
            {
                DISTRICT: {"organisations": 2, "demand": 2, "wanting": 1, "weighted_gap": 14},
                UNITARY: {"organisations": 3, "demand": 3, "wanting": 1, "weighted_gap": 6},
            },
        )

    def test_a_council_in_two_clusters_counts_in_both(self):
        clusters = {1: [7], 2: [7, 8], 3: [], 4: [8], 5: []}
        got = m.by_group(ROUND, lambda f: clusters[f.organisation_id])
        self.assertEqual(got[7], {"organisations": 2, "demand": 2, "wanting": 1, "weighted_gap": 7})
        self.assertEqual(got[8], {"organisations": 2, "demand": 2, "wanting": 0, "weighted_gap": 9})


class EffectTests(TestCase):
    def test_took_part_against_similar_councils_that_did_not(self):
        before = {1: 2, 2: 3, 3: 2, 4: 2, 5: 3, 6: 4}
        after = {1: 3, 2: 4, 3: 2, 4: 2, 5: 3, 7: 3}
        got = m.effect(before, after, took_part={1, 2, 3, 8})
        # Took part, in both rounds: 1 (2→3), 2 (3→4), 3 (2→2); 8 has no levels.
        # Before (2+3+2)/3 = 7/3, after (3+4+2)/3 = 3, change 2/3.
        tp = got["took_part"]
        self.assertEqual(tp["n"], 3)
        self.assertAlmostEqual(tp["before"], 7 / 3)
        self.assertAlmostEqual(tp["after"], 3)
        self.assertAlmostEqual(tp["change"], 2 / 3)
        # Others starting at 2 or 3 and in both rounds: 4 (2→2), 5 (3→3); 6 started at 4 and
        # has no later level; 7 has no earlier level. Change 0.
        self.assertEqual(got["others"], {"n": 2, "before": 2.5, "after": 2.5, "change": 0.0})
        self.assertAlmostEqual(got["difference"], 2 / 3)

    def test_nobody_in_both_rounds_gives_no_figures(self):
        got = m.effect({1: 2}, {2: 3}, took_part={1})
        self.assertEqual(got["took_part"]["n"], 0)
        self.assertEqual(got["others"]["n"], 0)
        self.assertIsNone(got["difference"])

    def test_key_area_levels_are_means_and_match_on_the_whole_level(self):
        # Mean levels over a key area: 2.5 matches others starting at 2.x, not 3.
        got = m.effect({1: 2.5, 2: 2.0, 3: 3.0}, {1: 3.5, 2: 2.5, 3: 3.0}, took_part={1})
        self.assertEqual(got["others"]["n"], 1)
        self.assertAlmostEqual(got["took_part"]["change"], 1.0)
        self.assertAlmostEqual(got["difference"], 0.5)
