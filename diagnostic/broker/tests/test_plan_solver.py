"""The plan solvers against an exhaustive search on small random cases, and their guarantees."""

import random
from collections import Counter
from unittest import TestCase

from diagnostic.broker.plan import exhaustive, solve


def random_scores(rng, n, density=0.5):
    return {
        (a, b): round(rng.uniform(0.5, 20), 3)
        for a in range(1, n + 1)
        for b in range(a + 1, n + 1)
        if rng.random() < density
    }


class SolverTests(TestCase):
    def test_it_is_optimal_against_exhaustive_search(self):
        rng = random.Random(2026)
        for trial in range(40):
            scores = random_scores(rng, rng.randint(2, 8), rng.uniform(0.2, 0.9))
            if len(scores) > 16:
                continue
            for capacity in (1, 2, 3):
                with self.subTest(trial=trial, capacity=capacity):
                    plan = solve(scores, capacity)
                    self.assertTrue(plan.optimal)
                    self.assertAlmostEqual(plan.total, exhaustive(scores, capacity), places=6)
                    if capacity == 1:
                        ip = solve(scores, 1, method="ip")
                        self.assertAlmostEqual(ip.total, plan.total, places=6)

    def test_every_capacity_is_respected_and_only_mutual_pairs_are_used(self):
        rng = random.Random(7)
        scores = random_scores(rng, 40, 0.3)
        scores[(1, 2)] = 0.0  # not mutual: never planned
        for capacity in (1, 2, 3):
            plan = solve(scores, capacity)
            load = Counter(v for p in plan.pairs for v in p)
            self.assertLessEqual(max(load.values()), capacity)
            self.assertNotIn((1, 2), plan.pairs)
            self.assertTrue(set(plan.pairs) <= set(scores))
            self.assertAlmostEqual(plan.total, sum(scores[p] for p in plan.pairs))

    def test_a_greedy_choice_is_not_what_it_does(self):
        # Greedy takes (2, 3) = 10 and stops; the optimum is (1, 2) + (3, 4) = 18.
        for method in ("ip", "matching"):
            plan = solve({(1, 2): 9, (2, 3): 10, (3, 4): 9}, 1, method=method)
            self.assertEqual(plan.pairs, [(1, 2), (3, 4)])
            self.assertEqual(plan.total, 18)

    def test_empty_and_bad_capacity(self):
        self.assertEqual(solve({}, 1).pairs, [])
        with self.assertRaises(ValueError):
            solve({(1, 2): 1.0}, 0)
        with self.assertRaises(ValueError):
            solve({(1, 2): 1.0}, 2, method="matching")


class PrunedTests(TestCase):
    """At national scale the solvers work on each council's best pairs and prove with LP prices
    that no left-out pair could give a better plan (docs/decisions/0029). Here every problem is
    pruned (PRUNE_ABOVE = 0) and each council keeps only one or two pairs at first, so the
    certificate has to bring left-out pairs back for the plan to stay optimal."""

    def setUp(self):
        from diagnostic.broker import plan

        self.plan = plan
        saved = plan.PRUNE_ABOVE, plan.KEEP_PER_COUNCIL, plan.KEEP_MORE_PER_N
        plan.PRUNE_ABOVE, plan.KEEP_PER_COUNCIL, plan.KEEP_MORE_PER_N = 0, 1, 1
        self.addCleanup(setattr, plan, "PRUNE_ABOVE", saved[0])
        self.addCleanup(setattr, plan, "KEEP_PER_COUNCIL", saved[1])
        self.addCleanup(setattr, plan, "KEEP_MORE_PER_N", saved[2])

    def test_optimal_against_exhaustive_search_and_networkx(self):
        rng = random.Random(29)
        for trial in range(40):
            scores = random_scores(rng, rng.randint(3, 9), rng.uniform(0.3, 0.9))
            if len(scores) > 16 or not scores:
                continue
            for capacity in (1, 2, 3):
                with self.subTest(trial=trial, capacity=capacity):
                    got = solve(scores, capacity)
                    self.assertIn("certified", got.method)
                    self.assertTrue(got.optimal)
                    self.assertAlmostEqual(got.total, exhaustive(scores, capacity), places=6)
                    if capacity == 1:
                        nx = solve(scores, 1, method="networkx")
                        self.assertAlmostEqual(got.total, nx.total, places=6)

    def test_larger_rounds_match_the_unpruned_solvers(self):
        rng = random.Random(30)
        scores = random_scores(rng, 120, 0.2)
        got = solve(scores, 1)
        self.assertTrue(got.optimal)
        self.assertLess(got.pairs_kept, got.pairs_considered)
        self.assertAlmostEqual(got.total, solve(scores, 1, method="networkx").total, places=6)
        three = solve(scores, 3)
        full = solve(scores, 3, method="ip")
        self.assertGreaterEqual(three.total, full.total * (1 - max(three.gap, full.gap)) - 1e-6)
        self.assertLessEqual(three.total, full.total / (1 - full.gap) + 1e-6)
        load = Counter(v for p in three.pairs for v in p)
        self.assertLessEqual(max(load.values()), 3)

    def test_the_fallback_from_the_lp_respects_every_capacity(self):
        import numpy as np

        rng = random.Random(31)
        edges = self.plan.Edges.of(random_scores(rng, 40, 0.4))
        x = np.array([rng.choice([0.0, 0.5, 1.0]) for _ in range(len(edges))])
        for capacity in (1, 2, 3):
            take = self.plan._rounded(edges, x, capacity)
            load = Counter(v for p in edges.subset(take).pairs() for v in p)
            self.assertLessEqual(max(load.values()), capacity)
