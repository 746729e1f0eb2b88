"""PDFs fit for a committee paper (issue 15): the blank questionnaire's tick boxes have their
"Now" and "Aim" headings, the response PDF's tables have one column count (no WeasyPrint
warning), and the results report has a cover that says something."""

from __future__ import annotations

import re

from django.urls import reverse

from diagnostic.assessments.tests.test_pdf import text_of
from diagnostic.consolidation.testing import ConsolidationTestCase
from diagnostic.plans.testing import give_answers


class PdfForCommitteesTests(ConsolidationTestCase):
    def test_the_blank_questionnaire_heads_its_boxes_now_and_aim(self):
        r = self.client.get(reverse("assessments:blank_pdf", args=["nps", "2018"]))
        text = text_of(r.content)
        # Once per value code, above its boxes.
        self.assertEqual(len(re.findall(r"Now\s*Aim\s*Level", text)), len(self.codes))

    def test_the_response_pdf_draws_every_heat_map_cell(self):
        give_answers(
            self.response_a, {vc.code: (3, 4, "high", "", False, None) for vc in self.codes},
            self.codes,
        )  # fmt: skip
        self.client.force_login(self.bob)
        with self.assertNoLogs("weasyprint", level="WARNING"):
            r = self.client.get(reverse("assessments:response_pdf", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 200)
        text = text_of(r.content)
        for vc in self.codes:  # the widest key areas' last cells too
            self.assertIn(vc.code, text)

    def test_the_results_report_has_a_cover_with_the_headlines(self):
        give_answers(
            self.response_a, {vc.code: (2, 4, "high", "", False, None) for vc in self.codes[:10]},
            self.codes,
        )  # fmt: skip
        self.client.force_login(self.bob)
        r = self.client.get(reverse("analytics:council_report", args=[self.response_a.pk]))
        text = text_of(r.content)
        first_page = text.split("Levels by theme")[0]
        self.assertIn("At a glance", first_page)
        self.assertIn("Value codes rated", first_page)
        self.assertIn("10 of 59", first_page)
        self.assertIn("Largest gaps, weighted by priority", first_page)
        self.assertIn("Engaging councillors", first_page)
        self.assertIn("Compared with other councils", first_page)  # the contents

    def test_every_page_of_a_councils_pdfs_names_the_round_not_only_the_framework(self):
        import io

        from pypdf import PdfReader

        give_answers(
            self.response_a, {vc.code: (2, 4, "high", "", False, None) for vc in self.codes[:10]},
            self.codes,
        )  # fmt: skip
        rnd = self.response_a.round
        rnd.name = "Spring 2027 round"  # not the framework's label, so the two can be told apart
        rnd.save(update_fields=["name"])
        self.client.force_login(self.bob)
        for name in ("assessments:response_pdf", "analytics:council_report", "plans:export_pdf"):
            with self.subTest(name):
                r = self.client.get(reverse(name, args=[self.response_a.pk]))
                self.assertEqual(r.status_code, 200)
                pages = [p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages]
                head = f"NPS Diagnostic · Spring 2027 round (framework: {rnd.framework_version.display_label})"
                self.assertIn(head, pages[0])
                for number, text in enumerate(pages, 1):  # the running foot of every page
                    self.assertIn(f"{self.council_a.short_name} – Spring 2027 round", text, number)
