"""Issue 13: levels come from the framework version everywhere.

A whole round — answering, the spreadsheet, submitting, the dashboards, a council's results,
the PDFs, publishing, the public page and its downloads — on two frameworks kept in the test
suite that are not NPS 2018: one with 4 levels and one with 6, with other numbers of themes,
key areas, enablers and value codes, and other names. Before the fix, the 4-level round gave
500s (`KeyError: 5`) and stored a level 5; the 6-level round refused level 6.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import create_open_round
from diagnostic.consolidation import spreadsheet as sheets
from diagnostic.frameworks.loaders import load_framework_file
from diagnostic.frameworks.models import Level, ValueCode
from diagnostic.testing import BaseTestCase

DATA = Path(__file__).resolve().parent / "data"
HTMX = {"HX-Request": "true"}


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


class RoundOnAnotherFramework:
    """Mixed into a BaseTestCase with FILE, LEVELS (names in order)."""

    FILE: Path
    LEVELS: list[str]

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.version = load_framework_file(cls.FILE).version
        cls.round, (cls.response_a, cls.response_b) = create_open_round(
            cls.version, [cls.council_a, cls.council_b], name="Other framework round"
        )
        cls.codes = list(ValueCode.objects.filter(version=cls.version).order_by("position"))
        cls.top = len(cls.LEVELS)

    # --- helpers ---------------------------------------------------------------------------
    def save(self, response, code, *, version=0, **fields):
        data = {"current_level": "1", "target_level": "", "target_date": "", "priority": "low",
                "comment": "", "version": str(version), "request_id": ""}  # fmt: skip
        data.update({k: str(v) for k, v in fields.items()})
        url = reverse("assessments:save_answer", args=[response.pk, code])
        return self.client.post(url, {f"{code}-{k}": v for k, v in data.items()}, headers=HTMX)

    def complete_details(self, response):
        Response.objects.filter(pk=response.pk).update(
            officer_name="Officer", signed_off_name="Director", signed_off_role="Director",
            signed_off_on=timezone.localdate(),
        )  # fmt: skip

    # --- the round -------------------------------------------------------------------------
    def test_the_levels_are_the_frameworks(self):
        self.assertEqual(
            list(Level.objects.filter(version=self.version).values_list("name", flat=True)),
            self.LEVELS,
        )

    def test_a_level_above_the_top_is_refused_and_nothing_is_stored(self):
        self.client.force_login(self.bob)
        code = self.codes[0].code
        r = self.save(self.response_a, code, current_level=self.top + 1)
        self.assertEqual(r.status_code, 422)
        r = self.save(self.response_a, code, current_level=self.top, target_level=self.top + 1)
        self.assertEqual(r.status_code, 422)
        self.assertFalse(Answer.objects.filter(response=self.response_a).exists())

    def test_the_top_level_is_offered_and_saved(self):
        self.client.force_login(self.bob)
        area = self.codes[0].key_area
        page = self.client.get(reverse("assessments:area", args=[self.response_a.pk, area.code]))
        self.assertEqual(page.status_code, 200)
        code = self.codes[0].code
        self.assertContains(page, f'id="{code}-current-{self.top}"')
        self.assertNotContains(page, f'id="{code}-current-{self.top + 1}"')
        self.assertContains(page, f"{self.top} {self.LEVELS[-1]}")
        r = self.save(self.response_a, code, current_level=self.top, target_level=self.top)
        self.assertEqual(r.status_code, 200)
        answer = Answer.objects.get(response=self.response_a, value_code=self.codes[0])
        self.assertEqual((answer.current_level, answer.target_level), (self.top, self.top))

    def test_the_spreadsheet_offers_the_frameworks_levels_and_refuses_others(self):
        self.client.force_login(self.bob)
        r = self.client.get(reverse("consolidation:response_xlsx", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 200)
        wb = load_workbook(io.BytesIO(r.content))
        numbers = ",".join(str(n) for n in range(1, self.top + 1))
        formulas = [dv.formula1 for dv in wb[sheets.ANSWERS].data_validations.dataValidation]
        self.assertIn(f'"{numbers},{sheets.NOT_ASSESSED}"', formulas)
        self.assertIn(f'"{numbers}"', formulas)
        headings = [c.value for c in wb[sheets.LEVELS][1]]
        self.assertEqual(headings[2:], [f"{i} {n}" for i, n in enumerate(self.LEVELS, 1)])

        ws = wb[sheets.ANSWERS]
        header = [c.value for c in ws[1]]
        current = header.index("Current level") + 1
        ws.cell(row=2, column=current).value = self.top + 1
        upload = reverse("consolidation:response_upload", args=[self.response_a.pk])

        def send(workbook):
            buf = io.BytesIO()
            workbook.save(buf)
            f = SimpleUploadedFile("a.xlsx", buf.getvalue(), content_type=sheets.XLSX_TYPE)
            return self.client.post(upload, {"file": f}, follow=True)

        r = send(wb)
        self.assertContains(r, f"is not a level; choose 1 to {self.top} or", status_code=400)
        self.assertFalse(Answer.objects.filter(response=self.response_a).exists())
        ws.cell(row=2, column=current).value = f"{self.top} {self.LEVELS[-1]}"
        send(wb)
        answer = Answer.objects.get(response=self.response_a, value_code=self.codes[0])
        self.assertEqual(answer.current_level, self.top)

    def test_a_whole_round(self):
        # Council A answers every value code at the top level; Council B at level 1, with one
        # value code not yet assessed.
        self.client.force_login(self.bob)
        for vc in self.codes:
            r = self.save(self.response_a, vc.code, current_level=self.top,
                          target_level=self.top, priority="high")  # fmt: skip
            self.assertEqual(r.status_code, 200, vc.code)
        self.complete_details(self.response_a)
        r = self.client.post(reverse("assessments:submit", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 302)
        self.client.force_login(self.charlie)
        for i, vc in enumerate(self.codes):
            fields = {"current_level": 0, "priority": "none"} if i == 0 else {
                "current_level": 1, "target_level": 2, "priority": "medium"}  # fmt: skip
            self.assertEqual(self.save(self.response_b, vc.code, **fields).status_code, 200)
        self.complete_details(self.response_b)
        self.client.post(reverse("assessments:submit", args=[self.response_b.pk]))
        self.assertEqual(
            set(Response.objects.filter(round=self.round).values_list("status", flat=True)),
            {"submitted"},
        )

        # The national dashboard: every level's column, the right counts.
        self.client.force_login(self.nina)
        r = self.client.get(reverse("analytics:national"), {"round": self.round.pk})
        self.assertEqual(r.status_code, 200)
        for i, name in enumerate(self.LEVELS, start=1):
            self.assertContains(r, f'<th scope="col" class="num">{i} {name}</th>')
        self.assertNotContains(r, "Innovator")
        self.assertContains(r, f"Answers at {self.LEVELS[-2]} or {self.LEVELS[-1]}")
        first_area = self.codes[0].key_area_id
        for row in r.context["by_area"]:
            n = sum(1 for vc in self.codes if vc.key_area_id == row["id"])
            ones = n - 1 if row["id"] == first_area else n
            expected = [ones] + [0] * (self.top - 2) + [n]
            self.assertEqual(row["level_counts"], expected, row["name"])
            self.assertEqual(row["not_assessed"], 1 if row["id"] == first_area else 0)
            self.assertEqual(row["top"], n)
        # Drill-down to a key area.
        r = self.client.get(reverse("analytics:key_area", args=[first_area]),
                            {"round": self.round.pk})  # fmt: skip
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, f"{self.top} {self.LEVELS[-1]}")

        # The regional lead's dashboard (one council: hidden, but the page works).
        self.client.force_login(self.dana)
        r = self.client.get(reverse("analytics:regional", args=[self.north_west.code]))
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "Fewer than 5 councils: not shown")

        # Council A's results, on screen and as a PDF report; the response PDF.
        self.client.force_login(self.bob)
        r = self.client.get(reverse("analytics:council_results", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 200)
        for row in r.context["own"]["areas"]:
            n = sum(1 for vc in self.codes if vc.key_area_id == row["id"])
            self.assertEqual(row["level_counts"], [0] * (self.top - 1) + [n])
            self.assertEqual(row["median"], self.top)
        r = self.client.get(reverse("analytics:council_report", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 200)
        self.assertIn(f"{self.top} {self.LEVELS[-1]}", pdf_text(r.content))
        r = self.client.get(reverse("assessments:response_pdf", args=[self.response_a.pk]))
        self.assertEqual(r.status_code, 200)
        self.assertIn(f"{self.top} {self.LEVELS[-1]}", pdf_text(r.content))

        # Closed, published; the public page and downloads have the framework's levels.
        self.client.force_login(self.erin)
        self.client.post(reverse("assessments:round_status", args=[self.round.pk]),
                         {"status": "closed"})  # fmt: skip
        self.client.post(reverse("analytics:publish", args=[self.round.pk]), {"action": "publish"})
        self.client.logout()
        r = self.client.get(reverse("analytics:public_round", args=[self.round.pk]))
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, f"from 1 ({self.LEVELS[0]}) to {self.top} ({self.LEVELS[-1]})")
        r = self.client.get(reverse("analytics:public_csv", args=[self.round.pk]))
        header = next(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        self.assertEqual(
            [h for h in header if h.startswith("level_")],
            [f"level_{i}" for i in range(1, self.top + 1)],
        )


class FourLevelRoundTests(RoundOnAnotherFramework, BaseTestCase):
    FILE = DATA / "four-levels.yaml"
    LEVELS = ["Basic", "Established", "Advanced", "Exemplary"]


class SixLevelRoundTests(RoundOnAnotherFramework, BaseTestCase):
    FILE = DATA / "six-levels.yaml"
    LEVELS = ["Absent", "Emerging", "Partial", "Solid", "Strong", "Transformative"]
