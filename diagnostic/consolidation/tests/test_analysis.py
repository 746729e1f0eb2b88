"""Analysis inside the council: levels by department and by role, and who contributed what."""

from __future__ import annotations

import re
import statistics

from django.urls import reverse
from django.utils import timezone

from diagnostic.consolidation.models import Assignment
from diagnostic.consolidation.testing import ConsolidationTestCase, make_assignment, make_view


def cell(html: str, caption_id: str, group: str) -> list[str]:
    """The cells of one group's row in a table, as text."""
    table = re.search(rf'<caption id="{caption_id}">.*?</table>', html, re.S).group(0)
    row = re.search(rf'<th scope="row">{re.escape(group)}.*?</tr>', table, re.S).group(0)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


class AnalysisTests(ConsolidationTestCase):
    """Alice (Adult Social Care, Commissioning manager), Carol (Finance, Category manager) and
    Dev (Finance, Head of finance, asked about EC only) give views on EC and ESM."""

    VIEWS = {
        "alice": {"EC1": 1, "EC2": 2, "EC3": 0, "ESM1": 5},
        "carol": {"EC1": 3, "EC2": 4, "EC4": 4, "ESM1": 2, "ESM2": 3},
        "dev": {"EC1": 4, "EC2": 5, "EC5": None},
    }

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.carol = make_assignment(
            cls.response_a, email="carol@example.org", name="Carol Finch",
            department="Finance", job_role="Category manager", by=cls.bob,
        )  # fmt: skip
        cls.dev = make_assignment(
            cls.response_a, email="dev@example.org", name="Dev Anand", department="Finance",
            job_role="Head of finance", areas=["EC"], by=cls.bob,
        )  # fmt: skip
        people = {"alice": cls.assignment_a, "carol": cls.carol, "dev": cls.dev}
        for who, views in cls.VIEWS.items():
            for code, level in views.items():
                make_view(people[who], code, level)
        Assignment.objects.filter(pk=cls.carol.pk).update(finished_at=timezone.now())

    def setUp(self):
        super().setUp()
        self.url = reverse("consolidation:analysis", args=[self.response_a.pk])

    def page(self) -> str:
        self.client.force_login(self.bob)
        r = self.client.get(self.url)
        self.assertEqual(r.status_code, 200)
        return r.content.decode()

    def expected(self, groups: dict[str, list[str]], area: str) -> dict[str, tuple]:
        """An independent calculation: the median and count of levels 1–5 per group."""
        out = {}
        for group, people in groups.items():
            levels = [
                lv
                for who in people
                for code, lv in self.VIEWS[who].items()
                if code.rstrip("0123456789") == area and lv
            ]
            out[group] = (statistics.median(levels), len(levels)) if levels else None
        return out

    def test_it_gives_the_median_level_by_department_per_key_area(self):
        html = self.page()
        departments = {"Adult Social Care": ["alice"], "Finance": ["carol", "dev"]}
        for area, column in [("EC", 0), ("ESM", 1)]:
            for group, want in self.expected(departments, area).items():
                got = cell(html, "caption-department", group)[column]
                self.assertEqual(got, f"{want[0]:g} ({want[1]})", (group, area))
        # Finance in EC: 3, 4, 4, 4, 5 -> 4 from five levels.
        self.assertEqual(cell(html, "caption-department", "Finance")[0], "4 (5)")
        # Nobody answered about WP.
        self.assertEqual(cell(html, "caption-department", "Finance")[2], "–No views")

    def test_it_gives_the_median_level_by_role_per_key_area(self):
        html = self.page()
        roles = {
            "Commissioning manager": ["alice"],
            "Category manager": ["carol"],
            "Head of finance": ["dev"],
        }
        for area, column in [("EC", 0), ("ESM", 1)]:
            for group, want in self.expected(roles, area).items():
                got = cell(html, "caption-job_role", group)[column]
                if want is None:
                    self.assertEqual(got, "–No views")
                else:
                    self.assertEqual(got, f"{want[0]:g} ({want[1]})", (group, area))
        # Alice's EC: 1, 2 (and one "not yet assessed", left out) -> 1.5 from two.
        self.assertEqual(cell(html, "caption-job_role", "Commissioning manager")[0], "1.5 (2)")

    def test_each_table_has_a_chart_with_alternative_text(self):
        html = self.page()
        self.assertEqual(html.count('<figure class="chart" role="region"'), 2)
        self.assertIn('alt="Heat map of the median current level that each department gave', html)
        src = re.search(r'<img src="([^"]+)"', html).group(1)
        svg = self.client.get(src)
        self.assertEqual(svg.status_code, 200)
        self.assertEqual(svg["Content-Type"], "image/svg+xml")

    def test_it_lists_who_has_contributed_what(self):
        html = self.page()
        table = re.search(r'<caption id="caption-progress">.*?</table>', html, re.S).group(0)
        rows = {
            re.sub(r"<[^>]+>", "", m.group(1)).strip(): [
                re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c)).strip()
                for c in re.findall(r"<td[^>]*>(.*?)</td>", m.group(2), re.S)
            ]
            for m in re.finditer(r'<th scope="row">(.*?)</th>(.*?)</tr>', table, re.S)
        }
        self.assertEqual(
            [r[:4] for r in rows.values()],
            [
                ["Adult Social Care", "Commissioning manager", "59", "4 (7%)"],
                ["Finance", "Category manager", "59", "5 (8%)"],
                ["Finance", "Head of finance", "5", "2 (40%)"],
            ],
        )
        self.assertEqual(list(rows), ["Alice Marsh", "Carol Finch", "Dev Anand"])
        self.assertTrue(rows["Carol Finch"][5].startswith("Finished"))
        self.assertEqual(rows["Alice Marsh"][5], "Not yet")

    def test_withdrawn_colleagues_are_listed_but_their_views_are_left_out(self):
        Assignment.objects.filter(pk=self.dev.pk).update(withdrawn_at=timezone.now())
        html = self.page()
        self.assertIn('Dev Anand <span class="tag tag--grey">Withdrawn</span>', html)
        # Finance in EC is now Carol's alone: 3, 4, 4.
        self.assertEqual(cell(html, "caption-department", "Finance")[0], "4 (3)")
        self.assertNotIn("Head of finance</th>", html)

    def test_views_no_longer_asked_about_are_not_counted(self):
        make_view(self.dev, "WP1", 3)  # from before the lead narrowed Dev's request to EC
        html = self.page()
        self.assertIn('<td class="num">5</td>', html)
        self.assertNotIn("3 (60%)", html)  # Dev: still 2 of the 5 he is asked about
        self.assertIn('2 <span class="hint small">(40%)</span>', html)
        self.assertEqual(cell(html, "caption-department", "Finance")[2], "–No views")  # WP


class AnalysisEmptyTests(ConsolidationTestCase):
    def test_with_nobody_asked_it_says_so(self):
        self.assignment_a.delete()
        self.client.force_login(self.bob)
        r = self.client.get(reverse("consolidation:analysis", args=[self.response_a.pk]))
        self.assertContains(r, "Nobody has been asked for views yet")
        self.assertNotContains(r, '<figure class="chart" role="region"')

    def test_with_no_views_yet_it_says_so_and_lists_who_was_asked(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("consolidation:analysis", args=[self.response_a.pk]))
        self.assertContains(r, "No views yet")
        self.assertNotContains(r, '<figure class="chart" role="region"')
        self.assertContains(r, "Alice Marsh")


class AnalysisAccessTests(ConsolidationTestCase):
    def test_only_the_lead_may_see_it(self):
        url = reverse("consolidation:analysis", args=[self.response_a.pk])
        expected = {
            "alice": 403, "victor": 403, "nina": 403, "erin": 403,
            "charlie": 404, "dana": 404, "zoe": 404, "bob": 200,
        }  # fmt: skip
        got = {}
        for key, user in self.personas.items():
            self.client.force_login(user)
            got[key] = self.client.get(url).status_code
        self.assertEqual(got, expected)

    def test_another_councils_analysis_is_not_found(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("consolidation:analysis", args=[self.response_b.pk]))
        self.assertEqual(r.status_code, 404)
