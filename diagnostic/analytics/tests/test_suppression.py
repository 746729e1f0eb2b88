"""Issue 13: small-number suppression is one rule in one function, and a hidden figure never
comes back by subtraction — on the public page and its downloads, and across the council-type
filter of a regional lead's dashboard.

The differencing check (`recoverable`) takes every figure of one measure shown to a person for
a set of groups that add up to a shown total, and tries the total minus every combination of
the shown groups, and every shown figure minus every other: none may equal a hidden figure.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

from django.test import SimpleTestCase
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from diagnostic.analytics import suppression
from diagnostic.analytics.models import Publication
from diagnostic.analytics.suppression import THRESHOLD, complementary, must_hide
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.assessments.testing import create_open_round
from diagnostic.frameworks.loaders import load_framework_file
from diagnostic.frameworks.models import ValueCode
from diagnostic.organisations.models import Organisation, Region
from diagnostic.testing import BaseTestCase

ROOT = Path(__file__).resolve().parents[2]
FOUR = ROOT / "frameworks" / "tests" / "data" / "four-levels.yaml"


def recoverable(total: int | None, shown: list[int], hidden: list[int]) -> list[int]:
    """The hidden figures that can be had back from the shown ones by subtraction."""
    found = []
    for h in hidden:
        if total is not None:
            for k in range(len(shown) + 1):
                if any(total - sum(c) == h for c in itertools.combinations(shown, k)):
                    found.append(h)
                    break
        if h not in found and any(a - b == h for a, b in itertools.permutations(shown, 2)):
            found.append(h)
    return found


class TheRuleTests(SimpleTestCase):
    def test_the_threshold_and_the_audience(self):
        self.assertEqual(THRESHOLD, 5)
        self.assertTrue(must_hide(4))
        self.assertTrue(must_hide(0))
        self.assertTrue(must_hide(None))
        self.assertFalse(must_hide(5))
        self.assertFalse(must_hide(1, national=True))

    def test_complementary_hides_a_second_cell_and_enough_to_reach_the_threshold(self):
        self.assertEqual(complementary({"a": 10, "b": 8, "c": 6}).hidden, frozenset())
        rule = complementary({"a": 10, "b": 8, "c": 3})
        self.assertEqual(rule.hidden, {"b", "c"})  # the smallest shown cell goes too
        self.assertFalse(rule.total_hidden)
        rule = complementary({"a": 10, "b": 2, "c": 1, "d": 6})
        self.assertEqual(rule.hidden, {"b", "c", "d"})  # 2 + 1 < 5: one more
        rule = complementary({"a": 3})
        self.assertEqual((rule.hidden, rule.total_hidden), ({"a"}, True))
        rule = complementary({"a": 2, "b": 1})
        self.assertEqual((rule.hidden, rule.total_hidden), ({"a", "b"}, True))
        self.assertEqual(complementary({"a": 1}, national=True).hidden, frozenset())

    def test_hide_keeps_labels_only(self):
        row = {"key": "x", "label": "X", "submitted": 3, "eligible": 9, "rate": 0.3}
        self.assertEqual(
            suppression.hide(row),
            {"key": "x", "label": "X", "submitted": None, "eligible": None, "rate": None,
             "suppressed": True},
        )  # fmt: skip

    def test_no_other_module_compares_a_count_with_the_threshold(self):
        """One rule: nothing else in the analytics code holds the threshold or a literal 5."""
        pattern = re.compile(r"(<|>=?)\s*(5|MIN_GROUP|THRESHOLD)\b|fewer than 5")
        offenders = []
        for path in (ROOT / "analytics").rglob("*.py"):
            if "tests" in path.parts or path.name == "suppression.py":
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.name}:{n}: {line.strip()}")
        for path in (ROOT / "analytics" / "templates").rglob("*.html"):
            if "ewer than 5" in path.read_text():
                offenders.append(path.name)
        self.assertEqual(offenders, [])


def make_councils(region: Region, org_type: str, n: int, start: int) -> list[Organisation]:
    return [
        Organisation.objects.create(
            gss_code=f"E{start + i:08d}",
            name=f"{org_type} {region.name} {i}",
            short_name=f"{org_type[:4]} {region.code[-2:]} {i}",
            type=org_type,
            region=region,
            nation="England",
        )  # fmt: skip
        for i in range(n)
    ]


class SuppressionTestCase(BaseTestCase):
    """A round on the 4-level test framework in which every council has submitted."""

    GROUPS: list[tuple[str, str, int]] = []  # (region attribute, type, councils)

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.version = load_framework_file(FOUR).version
        orgs, start = [], 1000
        for region, org_type, n in cls.GROUPS:
            orgs += make_councils(getattr(cls, region), org_type, n, start)
            start += 100
        cls.round, responses = create_open_round(cls.version, orgs, name="Suppression round")
        codes = list(ValueCode.objects.filter(version=cls.version).order_by("position"))
        Answer.objects.bulk_create([
            Answer(response=r, value_code=vc, current_level=1 + (i * 7 + j) % 4, priority="low",
                   version=1)
            for i, r in enumerate(responses) for j, vc in enumerate(codes)
        ])  # fmt: skip
        Response.objects.filter(round=cls.round).update(
            status="submitted", submitted_at=timezone.now(), started_at=timezone.now()
        )
        Round.objects.filter(pk=cls.round.pk).update(status=Round.Status.CLOSED)


class PublicPageTests(SuppressionTestCase):
    # The North West has 3 submissions (hidden); the others 6 and 8: the national total is 17.
    GROUPS = [("north_west", "unitary", 3), ("south_east", "unitary", 6), ("wales", "unitary", 8)]
    TRUE = {"North West": 3, "South East": 6, "Wales": 8}

    def setUp(self):
        super().setUp()
        Publication.objects.create(round=self.round, published_by=self.erin)

    def check(self, total, shown: dict[str, int]):
        hidden = [n for name, n in self.TRUE.items() if name not in shown]
        self.assertIn(3, hidden)  # the small region is never shown
        self.assertGreaterEqual(len(hidden), 2)
        self.assertEqual(recoverable(total, list(shown.values()), hidden), [])

    def test_no_hidden_region_comes_back_from_the_national_total_on_the_page(self):
        r = self.client.get(reverse("analytics:public_round", args=[self.round.pk]))
        total = r.context["participation"]["submitted"]
        self.assertEqual(total, 17)
        shown = {row["label"]: row["submitted"] for row in r.context["by_region"]
                 if not row["suppressed"]}  # fmt: skip
        self.assertEqual(shown, {"Wales": 8})
        self.check(total, shown)
        self.assertContains(r, "Fewer than 5 councils: not shown", count=2)

    def test_nor_from_the_downloads(self):
        r = self.client.get(reverse("analytics:public_csv", args=[self.round.pk]))
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        header = rows[0]
        part = [dict(zip(header, row, strict=True)) for row in rows[1:]
                if row[0] == "participation"]  # fmt: skip
        shown = {p["group"]: int(p["submitted"]) for p in part if p["submitted"]}
        self.assertEqual(shown.pop("All eligible councils"), 17)
        r = self.client.get(reverse("analytics:public_xlsx", args=[self.round.pk]))
        about = dict(load_workbook(io.BytesIO(r.content))["About"].iter_rows(values_only=True))
        total = about["Submitted responses"]
        self.assertEqual(total, 17)
        self.check(total, shown)
        self.assertEqual(set(shown), {"Wales"})


class RegionalTypeFilterTests(SuppressionTestCase):
    # Dana's North West: 3 district councils (hidden), 6 metropolitan boroughs, 8 unitaries.
    GROUPS = [("north_west", "non_metropolitan_district", 3),
              ("north_west", "metropolitan_borough", 6), ("north_west", "unitary", 8)]  # fmt: skip
    TYPES = {"non_metropolitan_district": 3, "metropolitan_borough": 6, "unitary": 8}

    def page(self, org_type=""):
        url = reverse("analytics:regional", args=[self.north_west.code])
        r = self.client.get(url, {"round": self.round.pk, "type": org_type})
        self.assertEqual(r.status_code, 200)
        return r.context

    def true_counts(self, org_type: str) -> dict[tuple[int, int], int]:
        """(key area id, level) → answers, computed here from the answers themselves."""
        out: dict = {}
        for a in Answer.objects.filter(
            response__round=self.round, response__organisation__type=org_type
        ).select_related("value_code"):
            key = (a.value_code.key_area_id, a.current_level)
            out[key] = out.get(key, 0) + 1
        return out

    def test_no_type_comes_back_by_subtraction_across_the_filter(self):
        self.client.force_login(self.dana)
        whole = self.page()
        pages = {t: self.page(t) for t in self.TYPES}
        # Participation: the region's total and each type's row, and each filtered page's lede.
        total = whole["participation"]["submitted"]
        self.assertEqual(total, 17)
        shown = {r["key"]: r["submitted"] for r in whole["by_type"] if not r.get("suppressed")}
        for t, ctx in pages.items():
            if not ctx["participation"].get("suppressed"):
                shown[t] = ctx["participation"]["submitted"]
        hidden = [n for t, n in self.TYPES.items() if t not in shown]
        self.assertIn(3, hidden)
        self.assertGreaterEqual(len(hidden), 2)
        self.assertEqual(recoverable(total, list(shown.values()), hidden), [])
        # Levels: each key area's count at each level on the whole-region page and on every
        # type's page that shows it.
        for area in whole["by_area"]:
            for i, level in enumerate(range(1, 5)):
                region_n = area["level_counts"][i]
                shown_n, hidden_n = [], []
                for t in self.TYPES:
                    row = next(r for r in pages[t]["by_area"] if r["id"] == area["id"])
                    true = self.true_counts(t).get((area["id"], level), 0)
                    if row["suppressed"]:
                        hidden_n.append(true)
                    else:
                        self.assertEqual(row["level_counts"][i], true)
                        shown_n.append(row["level_counts"][i])
                self.assertGreaterEqual(len(hidden_n), 2)
                self.assertEqual(
                    recoverable(region_n, shown_n, [h for h in hidden_n if h]),
                    [],
                    (area["name"], level),
                )

    def test_the_heat_map_by_type_hides_the_same_types(self):
        self.client.force_login(self.dana)
        whole = self.page()
        shown = {row["key"] for row in whole["heat_type"]["rows"]
                 if not all(c["suppressed"] for c in row["cells"])}  # fmt: skip
        self.assertEqual(shown, {"unitary"})

    def test_the_national_team_sees_every_type(self):
        self.client.force_login(self.nina)
        whole = self.page()
        self.assertEqual({r["key"]: r["submitted"] for r in whole["by_type"]}, self.TYPES)
        self.assertFalse(any(r["suppressed"] for r in whole["by_area"]))


class PublicDownloadColumnsTests(SuppressionTestCase):
    """Issue 13: the participation rows put submitted under `organisations` and eligible under
    `answers`, and left out in progress and not started. Each figure now has its own column."""

    GROUPS = [("south_east", "unitary", 6), ("wales", "unitary", 8), ("north_west", "unitary", 9)]

    def setUp(self):
        super().setUp()
        Publication.objects.create(round=self.round, published_by=self.erin)
        # In the South East: 2 drafts started and 1 not started; so 3 of 9 eligible submitted…
        extra = make_councils(self.south_east, "unitary", 3, 5000)
        drafts = [Response.objects.create(round=self.round, organisation=o) for o in extra]
        Response.objects.filter(pk__in=[d.pk for d in drafts[:2]]).update(started_at=timezone.now())

    def rows(self):
        r = self.client.get(reverse("analytics:public_csv", args=[self.round.pk]))
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]

    def test_the_participation_columns_say_what_they_hold(self):
        header, rows = self.rows()
        self.assertEqual(header[-4:], ["eligible", "submitted", "in_progress", "not_started"])
        part = {r["group"]: r for r in rows if r["section"] == "participation"}
        self.assertEqual(
            {k: part["South East"][k] for k in header[-4:] + ["organisations", "answers"]},
            {"eligible": "9", "submitted": "6", "in_progress": "2", "not_started": "1",
             "organisations": "6", "answers": ""},
        )  # fmt: skip
        self.assertEqual(
            {k: part["All eligible councils"][k] for k in header[-4:]},
            {"eligible": "26", "submitted": "23", "in_progress": "2", "not_started": "1"},
        )
        # Level rows leave the participation columns empty.
        theme = next(r for r in rows if r["section"] == "theme")
        self.assertEqual([theme[k] for k in header[-4:]], ["", "", "", ""])
        self.assertEqual(theme["organisations"], "23")

    def test_the_spreadsheet_has_the_same_columns(self):
        header, _ = self.rows()
        r = self.client.get(reverse("analytics:public_xlsx", args=[self.round.pk]))
        ws = load_workbook(io.BytesIO(r.content))["Results"]
        self.assertEqual([c.value for c in ws[1]], header)
