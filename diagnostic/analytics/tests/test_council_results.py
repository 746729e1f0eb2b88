"""A council's results: its own levels, comparisons with groups of other councils, the report."""

import io
import statistics
from unittest import mock

from django.urls import reverse
from pypdf import PdfReader

from diagnostic.analytics import council
from diagnostic.analytics.tests.test_figures import GeneratedRoundTestCase
from diagnostic.assessments.models import Answer, Response


class CouncilResultsTests(GeneratedRoundTestCase):
    def test_own_levels_and_weighted_gaps_match_a_brute_force_count(self):
        own = council.own_levels(self.response_a)
        answers = list(
            Answer.objects.filter(response=self.response_a).select_related("value_code__key_area")
        )
        weights = {"high": 3, "medium": 2, "low": 1, "none": 0, "": 1}
        for row in own["areas"]:
            mine = [a for a in answers if a.value_code.key_area.code == row["code"]]
            levels = [a.current_level for a in mine if a.current_level]
            self.assertEqual(
                row["median"], statistics.median(levels) if levels else None, row["code"]
            )
            gaps = [(a.target_level - a.current_level, a.priority) for a in mine
                    if a.current_level and a.target_level and a.target_level > a.current_level]  # fmt: skip
            self.assertEqual(row["gap"], sum(g for g, _ in gaps))
            self.assertEqual(row["weighted_gap"], sum(g * weights[p] for g, p in gaps))
        self.assertEqual(
            own["priorities"], sorted(own["priorities"], key=lambda r: -r["weighted_gap"])
        )

    def test_groups_leave_the_council_out_use_only_submitted_and_hide_small_groups(self):
        comp = council.comparisons(self.response_a)
        groups = {g["key"]: g for g in comp["groups"]}
        # North West: 7 submitted including Council A -> 6 others. Nation: 13 - 1 = 12.
        self.assertEqual(groups["region"]["size"], 6)
        self.assertEqual(groups["nation"]["size"], 12)
        # Metropolitan boroughs other than Council A: none submitted -> too few to compare.
        self.assertTrue(groups["type"]["too_few"])
        # The region's median for each key area, computed by hand from the other councils.
        others = Answer.objects.filter(
            response__round=self.round, response__status="submitted", response__organisation__region=self.north_west,
            current_level__gte=1,
        ).exclude(response=self.response_a).select_related("value_code__key_area")  # fmt: skip
        for row in comp["table"]:
            cell = next(c for c in row["cells"] if c["group"] == "region")
            expected = statistics.median(
                [a.current_level for a in others if a.value_code.key_area.code == row["code"]]
            )
            self.assertEqual(cell["median"], expected, row["code"])
            self.assertTrue(next(c for c in row["cells"] if c["group"] == "type")["too_few"])

    def test_the_results_page_shows_too_few_to_compare_and_names_no_other_council(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("analytics:council_results", args=[self.response_a.pk]))
        self.assertContains(r, "Too few to compare")
        self.assertContains(r, "Councils in North West (6)")
        self.assertNotContains(r, "Test North West")
        self.assertNotContains(r, "Council B")

    def test_only_people_who_may_read_the_response_see_its_results(self):
        for user, status in [
            (self.alice, 200),
            (self.victor, 200),
            (self.nina, 200),
            (self.charlie, 404),
            (self.dana, 404),
            (self.zoe, 404),
        ]:
            self.client.force_login(user)
            with self.subTest(user=user.email):
                self.assertEqual(
                    self.client.get(
                        reverse("analytics:council_results", args=[self.response_a.pk])
                    ).status_code,
                    status,
                )

    def test_the_pdf_report_holds_what_the_page_shows(self):
        self.client.force_login(self.bob)
        with mock.patch("urllib.request.urlopen") as network:
            r = self.client.get(reverse("analytics:council_report", args=[self.response_a.pk]))
        network.assert_not_called()
        self.assertEqual(r["Content-Type"], "application/pdf")
        reader = PdfReader(io.BytesIO(r.content))
        text = "\n".join(p.extract_text() for p in reader.pages)
        for heading in [
            "Summary",
            "Levels by key area",
            "Compared with other councils",
            "Every value code",
            "The detail, value code by value code",
        ]:
            self.assertIn(heading, text)
        self.assertIn("Too few to compare", text)
        self.assertIn("/StructTreeRoot", reader.trailer["/Root"])
        self.assertEqual(reader.trailer["/Root"]["/Lang"], "en-GB")

    def test_previous_rounds_show_the_councils_own_progress(self):
        import datetime as dt

        from diagnostic.assessments.models import Round

        earlier = Round.objects.create(name="NPS 2018", framework_version=self.framework, opens_on=dt.date(2018, 7, 1),
                                       closes_on=dt.date(2018, 10, 31), eligibility_date=dt.date(2018, 7, 1),
                                       nations=["England"], status="closed")  # fmt: skip
        old = Response.objects.create(
            round=earlier, organisation=self.council_a, status="submitted"
        )
        Answer.objects.bulk_create(
            [Answer(response=old, value_code=vc, current_level=1, version=1) for vc in self.codes]
        )
        prev = council.previous_rounds(self.response_a)
        self.assertEqual([p["round"].name for p in prev], ["NPS 2018"])
        self.assertTrue(all(a["median"] == 1 for a in prev[0]["areas"].values()))
        self.client.force_login(self.bob)
        self.assertContains(
            self.client.get(reverse("analytics:council_results", args=[self.response_a.pk])),
            "Progress since earlier rounds",
        )
