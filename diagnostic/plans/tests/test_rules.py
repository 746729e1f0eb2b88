"""Table-driven tests of the pure suggestion rules (no database)."""

import datetime as dt

from django.test import SimpleTestCase

from diagnostic.plans.rules import (
    AnswerFacts,
    add_months,
    gap_of,
    group_gaps,
    suggest,
    suggestion_key,
    title_for,
    weight,
)

NAMES = {1: "Minimum", 2: "Developing", 3: "Mature", 4: "Leader", 5: "Innovator"}
CLOSE = dt.date(2026, 3, 31)

# Two key areas: "CR" with positions 1-3, "SV" with positions 4-6.
AREAS = {"CR": "Managing contracts and relationships", "SV": "Obtaining social value"}


def facts(code, current, target, priority="high", **kw) -> AnswerFacts:
    area = code[:2]
    position = int(code[2:]) + (0 if area == "CR" else 3)
    return AnswerFacts(
        code=code,
        title=kw.pop("title", f"Title of {code}"),
        position=position,
        key_area_code=area,
        key_area_name=AREAS[area],
        current=current,
        target=target,
        priority=priority,
        **kw,
    )


def keys(suggestions) -> list[str]:
    return [s.key for s in suggestions]


class WeightAndGapTests(SimpleTestCase):
    def test_weight_of_each_priority(self):
        for priority, expected in [("high", 3), ("medium", 2), ("low", 1), ("none", 0), ("", 1)]:
            with self.subTest(priority=priority):
                self.assertEqual(weight(priority), expected)

    GAPS = [
        # current, target, priority -> (gap size, score) or None
        ((2, 4, "high"), (2, 6)),
        ((1, 5, "medium"), (4, 8)),
        ((3, 4, "low"), (1, 1)),
        ((3, 4, ""), (1, 1)),  # no priority chosen yet: counts as low
        ((2, 4, "none"), None),  # not a priority: nothing suggested
        ((0, 3, "high"), None),  # not yet assessed
        ((None, 3, "high"), None),  # not answered
        ((2, None, "high"), None),  # no target
        ((3, 3, "high"), None),  # already there
        ((4, 3, "high"), None),  # above target
    ]

    def test_gap_of_each_answer(self):
        for (current, target, priority), expected in self.GAPS:
            with self.subTest(current=current, target=target, priority=priority):
                g = gap_of(facts("CR1", current, target, priority))
                self.assertEqual(None if g is None else (g.size, g.score), expected)


class RankingTests(SimpleTestCase):
    CASES = [
        (
            "higher score first",
            [facts("CR1", 3, 4, "high"), facts("SV1", 1, 4, "high")],
            ["SV1", "CR1"],
        ),
        (
            "priority weighs the gap: medium gap 2 (4) beats high gap 1 (3)",
            [facts("CR1", 3, 4, "high"), facts("SV1", 2, 4, "medium")],
            ["SV1", "CR1"],
        ),
        (
            "equal scores: higher priority first (high 1×3 vs low 3×1)",
            [facts("SV1", 1, 4, "low"), facts("CR1", 3, 4, "high")],
            ["CR1", "SV1"],
        ),
        (
            "equal scores and priority: the framework's order",
            [facts("SV1", 2, 3, "high"), facts("CR1", 2, 3, "high")],
            ["CR1", "SV1"],
        ),
        (
            "equal scores, priority beats the larger gap (medium 3×2 vs high 2×3)",
            [facts("SV1", 1, 4, "medium"), facts("CR1", 2, 4, "high")],
            ["CR1", "SV1"],
        ),
        (
            "equal score and weight: the larger single gap first",
            [facts("CR1", 3, 4, "high"), facts("CR2", 3, 4, "high"), facts("SV1", 1, 3, "high")],
            ["SV1", "CR1+CR2"],
        ),
        (
            "not assessed, no target and not a priority are left out",
            [
                facts("CR1", 0, 4),
                facts("CR2", 2, None),
                facts("CR3", 1, 4, "none"),
                facts("SV1", None, 3),
                facts("SV2", 2, 3, "low"),
            ],  # fmt: skip
            ["SV2"],
        ),
        (
            "one key area and one priority make one suggestion, scored as a whole (3+6 > 6)",
            [facts("CR1", 2, 3, "high"), facts("CR3", 2, 4, "high"), facts("SV1", 1, 3, "high")],
            ["CR1+CR3", "SV1"],
        ),
        (
            "a different priority in the same key area stands alone",
            [facts("CR1", 2, 3, "high"), facts("CR2", 2, 3, "low"), facts("CR3", 2, 3, "high")],
            ["CR1+CR3", "CR2"],
        ),
        ("nothing to suggest", [], []),
    ]

    def test_suggestions_come_in_this_order(self):
        for label, answers, expected in self.CASES:
            with self.subTest(label):
                got = suggest(answers, close_date=CLOSE, level_names=NAMES)
                self.assertEqual(keys(got), expected)

    def test_the_order_of_the_input_does_not_matter(self):
        answers = [facts("SV2", 2, 3), facts("CR1", 2, 3), facts("SV1", 2, 3, "low"),
                   facts("CR2", 1, 3, "medium")]  # fmt: skip
        first = keys(suggest(answers, close_date=CLOSE, level_names=NAMES))
        again = keys(suggest(list(reversed(answers)), close_date=CLOSE, level_names=NAMES))
        self.assertEqual(first, again)
        # CR2 medium gap 2 (4); CR1 and SV2 high gap 1 (3, tied: framework order); SV1 low (1).
        self.assertEqual(first, ["CR2", "CR1", "SV2", "SV1"])

    def test_handled_keys_and_covered_codes_are_left_out(self):
        answers = [facts("CR1", 2, 3), facts("CR2", 2, 3), facts("SV1", 2, 4)]
        self.assertEqual(
            keys(suggest(answers, close_date=CLOSE, level_names=NAMES, handled_keys={"SV1"})),
            ["CR1+CR2"],
        )
        # A code an open action already serves leaves the group; the rest is a new suggestion.
        self.assertEqual(
            keys(suggest(answers, close_date=CLOSE, level_names=NAMES, exclude_codes={"CR1"})),
            ["SV1", "CR2"],
        )


class WordingTests(SimpleTestCase):
    def test_a_single_value_code_is_named_with_its_levels(self):
        [s] = suggest(
            [facts("CR1", 2, 3, "high", title="Contract register and segmentation")],
            close_date=CLOSE,
            level_names=NAMES,
        )
        self.assertEqual(
            s.title, "Move 'Contract register and segmentation' from Developing to Mature"
        )
        self.assertEqual(
            s.description,
            "CR1 Contract register and segmentation: from 2 Developing to 3 Mature, high priority.",
        )

    def test_a_group_is_named_by_its_key_area(self):
        same = group_gaps([gap_of(facts("CR1", 2, 3)), gap_of(facts("CR2", 1, 3))])[0]
        mixed = group_gaps([gap_of(facts("CR1", 2, 3)), gap_of(facts("CR2", 1, 4))])[0]
        self.assertEqual(
            title_for(same, NAMES),
            "Move 2 value codes in 'Managing contracts and relationships' to Mature",
        )
        self.assertEqual(
            title_for(mixed, NAMES),
            "Move 2 value codes in 'Managing contracts and relationships' up to their targets",
        )

    def test_the_description_quotes_the_councils_comment_and_support_wish(self):
        [s] = suggest(
            [
                facts(
                    "SV1",
                    1,
                    2,
                    "medium",
                    comment="  No social value policy yet.\nDraft due.  ",
                    want_support=True,
                )
            ],  # fmt: skip
            close_date=CLOSE,
            level_names=NAMES,
        )
        self.assertIn("Your notes: “No social value policy yet. Draft due.”", s.description)
        self.assertIn("You said you would welcome support here.", s.description)
        self.assertTrue(s.want_support)

    def test_a_long_comment_is_shortened_and_a_long_title_fits(self):
        [s] = suggest(
            [facts("SV1", 1, 2, comment="x" * 2000, title="T" * 200)],
            close_date=CLOSE,
            level_names=NAMES,
        )
        notes = s.description.split("Your notes: ")[1]
        self.assertEqual(len(notes), 600 + 2)  # the quotation marks
        self.assertTrue(notes.endswith("…”"))
        self.assertEqual(len(s.title), 200)

    def test_an_unchosen_priority_is_said_so(self):
        [s] = suggest([facts("SV1", 1, 2, "")], close_date=CLOSE, level_names=NAMES)
        self.assertIn("priority not chosen yet", s.description)
        self.assertEqual(s.priority_label, "Priority not chosen")


class DueDateTests(SimpleTestCase):
    def test_due_dates(self):
        cases = [
            ("the answer's target date", [facts("CR1", 2, 3, target_date=dt.date(2027, 6, 30))],
             dt.date(2027, 6, 30)),
            ("none: 12 months after the round closes", [facts("CR1", 2, 3)], dt.date(2027, 3, 31)),
            ("a group: its earliest target date",
             [facts("CR1", 2, 3, target_date=dt.date(2028, 1, 1)), facts("CR2", 2, 3),
              facts("CR3", 2, 3, target_date=dt.date(2027, 9, 1))], dt.date(2027, 9, 1)),
        ]  # fmt: skip
        for label, answers, expected in cases:
            with self.subTest(label):
                [s] = suggest(answers, close_date=CLOSE, level_names=NAMES)
                self.assertEqual(s.due_date, expected)

    def test_add_months(self):
        for day, months, expected in [
            (dt.date(2026, 3, 31), 12, dt.date(2027, 3, 31)),
            (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
            (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
            (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 15)),
        ]:
            with self.subTest(day=day, months=months):
                self.assertEqual(add_months(day, months), expected)

    def test_keys_join_codes(self):
        self.assertEqual(suggestion_key(["EC1", "EC3"]), "EC1+EC3")
