"""The spread of colleagues' views: table-driven tests of the pure rules in spread.py."""

from __future__ import annotations

import itertools

import pytest

from diagnostic.consolidation.spread import Spread, group_levels, spread

# views -> (minimum, median, maximum, suggested, disagreement, assessed, not_assessed, unanswered)
CASES = {
    "no views at all": ([], (None, None, None, None, False, 0, 0, 0)),
    "one level": ([3], (3, 3.0, 3, 3, False, 1, 0, 0)),
    "odd count: the middle one": ([1, 3, 4], (1, 3.0, 4, 3, True, 3, 0, 0)),
    "odd count, unsorted": ([5, 1, 2, 4, 3], (1, 3.0, 5, 3, True, 5, 0, 0)),
    "even count: mean of the middle two, suggest the lower": (
        [1, 2, 4, 5],
        (1, 3.0, 5, 2, True, 4, 0, 0),
    ),
    "even count with a half": ([2, 3], (2, 2.5, 3, 2, False, 2, 0, 0)),
    "tie in the middle": ([2, 2, 4, 4], (2, 3.0, 4, 2, True, 4, 0, 0)),
    "all the same": ([3, 3, 3], (3, 3.0, 3, 3, False, 3, 0, 0)),
    "two apart is a disagreement": ([1, 3], (1, 2.0, 3, 1, True, 2, 0, 0)),
    "one apart is not": ([2, 3, 3, 2], (2, 2.5, 3, 2, False, 4, 0, 0)),
    "four apart": ([1, 5], (1, 3.0, 5, 1, True, 2, 0, 0)),
    "not yet assessed is left out of the figures but counted": (
        [0, 2, 4],
        (2, 3.0, 4, 2, True, 2, 1, 0),
    ),
    "not yet assessed does not pull the median down": (
        [0, 0, 0, 4],
        (4, 4.0, 4, 4, False, 1, 3, 0),
    ),
    "only not yet assessed: suggest not yet assessed": (
        [0, 0],
        (None, None, None, 0, False, 0, 2, 0),
    ),
    "unanswered is counted, nothing else": (
        [None, 3, None],
        (3, 3.0, 3, 3, False, 1, 0, 2),
    ),
    "only unanswered: no suggestion": ([None, None], (None, None, None, None, False, 0, 0, 2)),
    "a mix of everything": (
        [None, 0, 1, 3, 4, 2],
        (1, 2.5, 4, 2, True, 4, 1, 1),
    ),
    "eight contributors": (
        [1, 2, 2, 3, 3, 3, 4, 5],
        (1, 3.0, 5, 3, True, 8, 0, 0),
    ),
}


@pytest.mark.parametrize("views,expected", CASES.values(), ids=CASES.keys())
def test_it_summarises_views(views, expected):
    s = spread(views)
    got = (
        s.minimum,
        s.median,
        s.maximum,
        s.suggested,
        s.disagreement,
        s.assessed,
        s.not_assessed,
        s.unanswered,
    )
    assert got == expected


@pytest.mark.parametrize("views,expected", CASES.values(), ids=CASES.keys())
def test_it_gives_the_same_answer_in_any_order(views, expected):
    results = {spread(list(p)) for p in itertools.islice(itertools.permutations(views), 200)}
    assert len(results) == 1


FIVE = (1, 2, 3, 4, 5)


@pytest.mark.parametrize("bad", [6, -1, "3", 3.0, 0.0, True, False, "", [3]])
def test_it_refuses_what_is_not_a_level(bad):
    with pytest.raises(ValueError):
        spread([3, bad], scale=FIVE)


@pytest.mark.parametrize("bad", [-1, "3", 3.0, 0.0, True, False, "", [3]])
def test_without_a_scale_it_still_refuses_what_is_not_a_whole_level(bad):
    with pytest.raises(ValueError):
        spread([3, bad])


def test_the_levels_are_the_framework_versions():
    """Issue 13: a 6-level framework's level 6 is a level; a 4-level framework's 5 is not."""
    six = spread([6, 6, 1], scale=(1, 2, 3, 4, 5, 6))
    assert (six.minimum, six.median, six.maximum, six.suggested) == (1, 6, 6, 6)
    with pytest.raises(ValueError):
        spread([3, 5], scale=(1, 2, 3, 4))


def test_it_reads_any_iterable_once():
    s = spread(v for v in [4, 2, 0, None])
    assert (s.levels, s.not_assessed, s.unanswered) == ((2, 4), 1, 1)


@pytest.mark.parametrize(
    "views,gap,label,has_views",
    [
        ([], 0, "–", False),
        ([None], 0, "–", False),
        ([0], 0, "–", True),
        ([2, 3], 1, "2.5", True),
        ([1, 4, 4], 3, "4", True),
    ],
)
def test_it_describes_the_gap_and_median(views, gap, label, has_views):
    s = spread(views)
    assert (s.gap, s.median_label, s.has_views) == (gap, label, has_views)


def test_the_disagreement_threshold_is_two_levels():
    assert [spread([1, top]).disagreement for top in range(1, 6)] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_it_groups_levels_by_department_in_name_order():
    rows = [
        ("Finance", 2),
        ("Adult Social Care", 4),
        ("Finance", 4),
        ("Adult Social Care", 0),
        ("Finance", None),
        ("Highways", 0),
    ]
    groups = group_levels(rows)
    assert list(groups) == ["Adult Social Care", "Finance", "Highways"]
    assert groups["Finance"] == Spread((2, 4), 0, 1, 2, 3.0, 4, 2)
    assert groups["Adult Social Care"] == Spread((4,), 1, 0, 4, 4.0, 4, 4)
    assert groups["Highways"].suggested == 0 and groups["Highways"].median is None


def test_it_groups_nothing_into_nothing():
    assert group_levels([]) == {}


def test_a_bad_level_in_a_group_is_refused():
    with pytest.raises(ValueError):
        group_levels([("Finance", 7)], scale=FIVE)
