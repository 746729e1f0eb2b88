"""The plan as CSV, XLSX and a committee paper (PDF): each opens and holds what the page shows."""

import csv
import datetime as dt
import io

from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from diagnostic.assessments.models import Response
from diagnostic.audit.models import AuditEvent
from diagnostic.plans.models import Origin, Status
from diagnostic.plans.testing import PlanTestCase, make_action


class ExportTests(PlanTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Response.objects.filter(pk=cls.response_a.pk).update(officer_name="Pat Lee")
        # Created in this order; the plan shows not started, in progress, done, dropped.
        make_action(cls.response_a, "Brief ward members before local tenders", codes=["EC1", "EC3"],
                    owner="Sam Jones", status=Status.IN_PROGRESS, due_date=dt.date(2027, 6, 30),
                    description="Monthly briefing note.\nShared with scrutiny.",
                    origin=Origin.SUGGESTED)  # fmt: skip
        make_action(cls.response_a, "Review frameworks we use", codes=["WP2"], owner="Ali Khan",
                    status=Status.DONE, due_date=dt.date(2026, 1, 31))  # fmt: skip
        make_action(cls.response_a, "Publish the contract register", owner="",
                    due_date=dt.date(2020, 1, 1))  # overdue  # fmt: skip
        make_action(cls.response_a, "Old idea", status=Status.DROPPED)
        make_action(cls.response_a, '=HYPERLINK("http://evil.example","click")')

    ORDER = [  # number, title, status (as the page numbers them)
        (1, "Publish the contract register", "Not started"),
        (2, '=HYPERLINK("http://evil.example","click")', "Not started"),
        (3, "Brief ward members before local tenders", "In progress"),
        (4, "Review frameworks we use", "Done"),
        (5, "Old idea", "Dropped"),
    ]

    def setUp(self):
        super().setUp()
        self.client.force_login(self.victor)  # a viewer: exports are for every reader

    def get(self, name):
        return self.client.get(reverse(name, args=[self.response_a.pk]))

    def test_the_page_numbers_the_actions_in_this_order(self):
        r = self.get("plans:plan")
        shown = [(a.number, a.title, a.get_status_display()) for a in r.context["plan"].actions]
        self.assertEqual(shown, self.ORDER)
        self.assertContains(r, "1 overdue")
        self.assertContains(r, "<dt>In progress</dt><dd>1</dd>", html=True)

    def test_the_csv_holds_the_rows_of_the_page(self):
        r = self.get("plans:export_csv")
        self.assertEqual(r["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn(
            'attachment; filename="council-a-nps-2026-action-plan.csv"', r["Content-Disposition"]
        )
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        self.assertEqual(
            [(int(row["number"]), row["action"].lstrip("'"), row["status"]) for row in rows],
            self.ORDER,
        )
        brief = rows[2]
        self.assertEqual(
            (brief["owner"], brief["due_date"], brief["value_codes"], brief["overdue"], brief["origin"]),
            ("Sam Jones", "2027-06-30", "EC1, EC3", "no", "Suggested from the assessment"),
        )  # fmt: skip
        self.assertEqual(brief["details"], "Monthly briefing note.\nShared with scrutiny.")
        self.assertEqual((rows[0]["overdue"], rows[0]["owner"]), ("yes", ""))
        # A formula typed as a title stays text in a spreadsheet (CSV injection).
        self.assertTrue(rows[1]["action"].startswith("'="))
        event = AuditEvent.objects.get(action="action_plan.exported")
        self.assertEqual((event.actor, event.detail["format"]), (self.victor, "csv"))

    def test_the_xlsx_holds_the_same_rows(self):
        r = self.get("plans:export_xlsx")
        wb = load_workbook(io.BytesIO(r.content))
        ws = wb["Action plan"]
        rows = list(ws.iter_rows(values_only=True))
        self.assertEqual(
            rows[0][:6], ("number", "action", "details", "owner", "due_date", "status")
        )
        self.assertEqual([(row[0], row[1], row[5]) for row in rows[1:]], self.ORDER)
        self.assertEqual(rows[3][4].date(), dt.date(2027, 6, 30))  # a real date cell
        self.assertEqual(rows[3][7], "EC1, EC3")
        self.assertEqual(ws["B3"].data_type, "s")  # the formula-like title is text
        about = dict(wb["About"].iter_rows(values_only=True))
        self.assertEqual(about["Organisation"], "Council A Metropolitan Borough Council")
        self.assertEqual((about["Actions"], about["Not started"], about["Overdue"]), (5, 2, 1))

    def test_the_committee_paper_holds_the_plan(self):
        r = self.get("plans:export_pdf")
        self.assertEqual(r["Content-Type"], "application/pdf")
        self.assertIn("council-a-nps-2026-action-plan.pdf", r["Content-Disposition"])
        reader = PdfReader(io.BytesIO(r.content))
        text = "\n".join(page.extract_text() for page in reader.pages)
        flat = " ".join(text.split())
        for expected in [
            "Procurement action plan",
            "Council A Metropolitan Borough Council",
            "NPS 2026",
            "Pat Lee",
            "Actions in the plan 5",
            "In progress 1",
            "Overdue (past due and not done) 1",
            "Brief ward members before local tenders",
            "Monthly briefing note.",
            "Sam Jones",
            "30 Jun 2027",
            "EC1, EC3",
            "Not yet named",
            "Overdue",
            "Old idea",
        ]:
            with self.subTest(expected=expected):
                self.assertIn(expected, flat)
        # The order of the page.
        positions = [flat.index(title) for _, title, _ in self.ORDER if not title.startswith("=")]
        self.assertEqual(positions, sorted(positions))
        self.assertIn("/StructTreeRoot", reader.trailer["/Root"])  # tagged
        self.assertEqual(reader.trailer["/Root"]["/Lang"], "en-GB")

    def test_an_empty_plan_exports_too(self):
        self.client.force_login(self.charlie)
        from diagnostic.plans.models import Action

        Action.objects.filter(response=self.response_b).delete()
        for name in ["plans:export_csv", "plans:export_xlsx"]:
            r = self.client.get(reverse(name, args=[self.response_b.pk]))
            self.assertEqual(r.status_code, 200)
        rows = list(csv.reader(io.StringIO(self.client.get(
            reverse("plans:export_csv", args=[self.response_b.pk])).content.decode("utf-8-sig"))))  # fmt: skip
        self.assertEqual(len(rows), 1)
