"""The national team's flat export of every submitted response."""

import csv
import io

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.testing import AssessmentTestCase
from diagnostic.audit.models import AuditEvent


class ExportTests(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Answer.objects.bulk_create([Answer(response=cls.response_a, value_code=vc, current_level=(i % 6), target_level=5,
                                           priority="high", comment=f"note {vc.code}", version=1)
                                    for i, vc in enumerate(cls.codes)])  # fmt: skip
        Answer.objects.create(
            response=cls.response_b, value_code=cls.codes[0], current_level=4, version=1
        )
        Response.objects.filter(pk=cls.response_a.pk).update(
            status="submitted", submitted_at=timezone.now()
        )

    def test_the_csv_has_one_row_per_value_code_of_each_submitted_response(self):
        self.client.force_login(self.nina)
        r = self.client.get(reverse("analytics:export_csv", args=[self.round.pk]))
        text = b"".join(r.streaming_content).decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(len(rows), 59)  # Council B is a draft: not exported
        self.assertEqual(
            {row["organisation"] for row in rows}, {"Council A Metropolitan Borough Council"}
        )
        first = rows[0]
        self.assertEqual(
            (first["value_code"], first["current_level"], first["not_yet_assessed"]),
            (self.codes[0].code, "", "yes"),
        )
        self.assertEqual(rows[3]["current_level"], "3")
        self.assertEqual(rows[3]["comment"], f"note {self.codes[3].code}")
        self.assertTrue(
            AuditEvent.objects.filter(action="responses.exported", actor=self.nina).exists()
        )

    def test_the_xlsx_holds_the_same_rows(self):
        self.client.force_login(self.erin)
        r = self.client.get(reverse("analytics:export_xlsx", args=[self.round.pk]))
        wb = load_workbook(io.BytesIO(r.content), read_only=True)
        rows = list(wb["Responses"].iter_rows(values_only=True))
        self.assertEqual(len(rows), 60)
        self.assertEqual(rows[0][0], "round")
        self.assertIn("About", wb.sheetnames)

    def test_only_the_national_team_can_export(self):
        for user in [self.bob, self.alice, self.dana, self.charlie, self.zoe]:
            self.client.force_login(user)
            self.assertEqual(
                self.client.get(reverse("analytics:export_csv", args=[self.round.pk])).status_code,
                403,
            )
        self.client.force_login(self.nina)
        self.assertEqual(
            self.client.get(reverse("analytics:export_csv", args=[99999])).status_code, 404
        )
