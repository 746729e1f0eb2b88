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
