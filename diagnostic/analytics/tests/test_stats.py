"""Table-driven tests of the pure summary functions."""

from django.test import SimpleTestCase

from diagnostic.analytics.stats import (
    mean_from_counts,
    median_from_counts,
    rate,
    shares,
)
from diagnostic.analytics.suppression import must_hide as suppressed


class MedianTests(SimpleTestCase):
    CASES = [
        ({}, None),
        ({3: 1}, 3),
        ({1: 1, 5: 1}, 3),  # even count: mean of the middle two
        ({2: 2, 3: 1}, 2),
        ({1: 1, 2: 1, 3: 1, 4: 1}, 2.5),
        ({4: 10, 5: 1}, 4),
        ({1: 3, 5: 3}, 3),
        ({0: 50, 2: 1}, 2),  # "not yet assessed" never counts
        ({1: 1, 2: 1, 3: 5}, 3),
    ]

    def test_median_from_counts(self):
        for counts, expected in self.CASES:
            with self.subTest(counts=counts):
                self.assertEqual(median_from_counts(counts), expected)

    def test_it_matches_a_brute_force_median(self):
        import random
        import statistics

        rng = random.Random(1)
        for _ in range(200):
            counts = {lv: rng.randint(0, 6) for lv in range(1, 6)}
            values = [lv for lv, c in counts.items() for _ in range(c)]
            expected = statistics.median(values) if values else None
            self.assertEqual(median_from_counts(counts), expected, counts)


class OtherStatsTests(SimpleTestCase):
    def test_mean_shares_rate_and_suppression(self):
        self.assertEqual(mean_from_counts({1: 1, 3: 1}), 2)
        self.assertIsNone(mean_from_counts({0: 4}))
        self.assertEqual(
            shares({1: 1, 3: 3}, (1, 2, 3, 4, 5)), {1: 0.25, 2: 0.0, 3: 0.75, 4: 0.0, 5: 0.0}
        )
        self.assertIsNone(rate(1, 0))
        self.assertEqual(rate(1, 4), 0.25)
        self.assertTrue(suppressed(4, national=False))
        self.assertFalse(suppressed(5, national=False))
        self.assertFalse(suppressed(1, national=True))
