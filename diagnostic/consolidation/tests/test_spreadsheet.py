"""The spreadsheet round-trip: download the agreed answers (or a contributor's own views) as
XLSX, upload it back, validated whole, with conflicts reported rather than overwritten."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.services import do_save_answer
from diagnostic.audit.models import AuditEvent
from diagnostic.consolidation import spreadsheet as sheets
from diagnostic.consolidation.models import ContributorAnswer
from diagnostic.consolidation.testing import ConsolidationTestCase, make_view


def xlsx(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row_of(ws, code: str) -> int:
    for (cell,) in ws.iter_rows(min_col=1, max_col=1):
        if cell.value == code:
            return cell.row
    raise AssertionError(f"{code} not in the sheet")


def col_of(ws, heading: str) -> int:
    for cell in ws[1]:
        if cell.value == heading:
            return cell.column
    raise AssertionError(f"no column {heading}")


def cell(wb: Workbook, code: str, heading: str):
    ws = wb[sheets.ANSWERS]
    return ws.cell(row=row_of(ws, code), column=col_of(ws, heading))


def put(wb: Workbook, code: str, heading: str, value) -> None:
    cell(wb, code, heading).value = value


class SpreadsheetTestCase(ConsolidationTestCase):
    def setUp(self):
        super().setUp()
        self.vc = {vc.code: vc for vc in self.codes}
        self.response_xlsx = reverse("consolidation:response_xlsx", args=[self.response_a.pk])
        self.response_upload = reverse("consolidation:response_upload", args=[self.response_a.pk])
        self.views_xlsx = reverse("consolidation:contribution_xlsx", args=[self.response_a.pk])
        self.views_upload = reverse("consolidation:contribution_upload", args=[self.response_a.pk])
        # Council A's lead has answered three value codes in the app.
        self.save("EC1", current_level=2, target_level=4, priority="high",
                  comment="Contract register covers most spend.")  # fmt: skip
        self.save("EC2", current_level=0, comment="Not looked at yet.")
        self.save("EC3", current_level=3, target_level=3, target_date=dt.date(2027, 3, 31),
                  could_share=True)  # fmt: skip

    def save(self, code: str, by=None, **fields) -> Answer:
        current = Answer.objects.filter(response=self.response_a, value_code=self.vc[code]).first()
        return do_save_answer(
            response=self.response_a, value_code=self.vc[code], by=by or self.bob,
            expected_version=current.version if current else 0, **fields,
        ).answer  # fmt: skip

    def download(self, user=None, url=None) -> Workbook:
        self.client.force_login(user or self.bob)
        r = self.client.get(url or self.response_xlsx)
        self.assertEqual(r.status_code, 200)
        return load_workbook(io.BytesIO(r.content))

    def upload(self, data, *, keep: bool = False, url=None, user=None):
        if user is not None:
            self.client.force_login(user)
        if isinstance(data, Workbook):
            data = xlsx(data)
        payload = {"file": SimpleUploadedFile("answers.xlsx", data, content_type=sheets.XLSX_TYPE)}
        if keep:
            payload["keep_app_values"] = "on"
        return self.client.post(url or self.response_upload, payload, follow=True)

    def state(self) -> list:
        """Every agreed answer and view, with its version: to prove nothing changed."""
        answers = [
            (a.value_code.code, a.version, a.values())
            for a in Answer.objects.select_related("value_code").order_by("pk")
        ]
        views = [
            (v.assignment_id, v.value_code.code, v.version, v.values())
            for v in ContributorAnswer.objects.select_related("value_code").order_by("pk")
        ]
        return [answers, views]

    def answer(self, code: str) -> Answer:
        return Answer.objects.get(response=self.response_a, value_code=self.vc[code])


class DownloadTests(SpreadsheetTestCase):
    def test_it_holds_what_the_screen_holds(self):
        r = self.client.get(self.response_xlsx)
        self.assertEqual(r.status_code, 302)  # signed out
        self.client.force_login(self.bob)
        r = self.client.get(self.response_xlsx)
        self.assertEqual(r["Content-Type"], sheets.XLSX_TYPE)
        self.assertIn('filename="council-a-nps-2026-agreed-answers.xlsx"', r["Content-Disposition"])
        wb = load_workbook(io.BytesIO(r.content))
        self.assertEqual(wb.sheetnames, ["Answers", "Levels", "About"])
        ws = wb["Answers"]
        self.assertEqual(
            [c.value for c in ws[1]][:11],
            ["Code", "Key area", "Value code", "Description", "Current level", "Target level",
             "Target date", "Priority", "Comment", "We could share practice",
             "We would welcome support"],
        )  # fmt: skip
        self.assertEqual(
            [c.value for c in ws["A"][1:]], [vc.code for vc in self.codes]
        )  # every value code, in framework order
        self.assertEqual(cell(wb, "EC1", "Current level").value, 2)
        self.assertEqual(cell(wb, "EC1", "Target level").value, 4)
        self.assertEqual(cell(wb, "EC1", "Priority").value, "High")
        self.assertEqual(cell(wb, "EC1", "Comment").value, "Contract register covers most spend.")
        self.assertEqual(cell(wb, "EC1", "Value code").value, self.vc["EC1"].title)
        self.assertEqual(cell(wb, "EC2", "Current level").value, "Not yet assessed")
        self.assertEqual(cell(wb, "EC3", "Target date").value.date(), dt.date(2027, 3, 31))
        self.assertEqual(cell(wb, "EC3", "We could share practice").value, "Yes")
        self.assertEqual(cell(wb, "EC3", "We would welcome support").value, "No")
        self.assertIsNone(cell(wb, "EC4", "Current level").value)
        self.assertEqual(cell(wb, "EC1", "Version at download").value, 1)

    def test_it_has_drop_downs_protection_hidden_columns_and_frozen_panes(self):
        wb = self.download()
        ws = wb["Answers"]
        by_column = {}
        for dv in ws.data_validations.dataValidation:
            for rng in dv.sqref.ranges:
                by_column[rng.coord.split(":")[0].rstrip("0123456789")] = dv
        self.assertEqual(by_column["E"].type, "list")
        self.assertIn("Not yet assessed", by_column["E"].formula1)
        self.assertIn("1,2,3,4,5", by_column["E"].formula1)
        self.assertEqual(by_column["F"].formula1, '"1,2,3,4,5"')
        self.assertEqual(by_column["G"].type, "date")
        self.assertEqual(by_column["H"].formula1, '"High,Medium,Low,Not a priority"')
        self.assertEqual(by_column["I"].type, "textLength")
        self.assertEqual(by_column["J"].formula1, '"Yes,No"')
        self.assertIn(f"E2:E{len(self.codes) + 1}", str(by_column["E"].sqref))
        self.assertTrue(ws.protection.sheet)
        self.assertFalse(ws.protection.password)
        self.assertTrue(cell(wb, "EC1", "Code").protection.locked)
        self.assertFalse(cell(wb, "EC1", "Current level").protection.locked)
        self.assertFalse(cell(wb, "EC1", "Comment").protection.locked)
        for letter in ("L", "M", "N"):
            self.assertTrue(ws.column_dimensions[letter].hidden, letter)
        self.assertFalse(ws.column_dimensions["E"].hidden)
        self.assertEqual(ws.freeze_panes, "C2")
        self.assertTrue(cell(wb, "EC1", "Description").alignment.wrap_text)

    def test_it_has_the_framework_text_and_explains_itself(self):
        wb = self.download()
        levels = wb["Levels"]
        self.assertEqual(
            [c.value for c in levels[1]],
            ["Code", "Value code", "1 Minimum", "2 Developing", "3 Mature", "4 Leader",
             "5 Innovator"],
        )  # fmt: skip
        ec1 = self.vc["EC1"].descriptors.select_related("level").order_by("level__number")
        self.assertEqual([c.value for c in levels[2]][2:], [d.text for d in ec1])
        about = {row[0].value: row[1].value for row in wb["About"].iter_rows()}
        self.assertEqual(about["Organisation"], "Council A Metropolitan Borough Council")
        self.assertEqual(about["Round"], "NPS 2026")
        self.assertIn("Bob Hughes", about["Downloaded by"])
        self.assertIn(self.response_upload, about["How to upload"])
        self.assertIn("conflict", about["Conflicts"])
        self.assertIn("agreed answers", about["What this file is"])

    def test_its_download_is_audited(self):
        self.download()
        event = AuditEvent.objects.get(action="answers.downloaded")
        self.assertEqual(event.actor, self.bob)
        self.assertEqual(event.object_id, str(self.response_a.pk))

    def test_readers_may_download_but_contributors_and_other_councils_may_not(self):
        wb = self.download(self.victor)
        about = {r[0].value: r[1].value for r in wb["About"].iter_rows()}
        self.assertIn("Only your organisation's lead", about["What this file is"])
        self.download(self.nina)
        for user, status in [(self.alice, 403), (self.charlie, 404), (self.zoe, 404)]:
            self.client.force_login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(self.response_xlsx).status_code, status)

    def test_a_contributor_gets_only_their_own_views_on_what_they_were_asked(self):
        make_view(self.assignment_b, "EC2", 4, comment="Beth's view", priority="low")
        url = reverse("consolidation:contribution_xlsx", args=[self.response_b.pk])
        wb = self.download(self.beth, url)
        ws = wb["Answers"]
        ec = [vc.code for vc in self.codes if vc.key_area.code == "EC"]
        self.assertEqual([c.value for c in ws["A"][1:]], ec)
        self.assertEqual(
            [c.value for c in ws[1]][4:8], ["Current level", "Target level", "Priority", "Comment"]
        )
        self.assertEqual(cell(wb, "EC2", "Current level").value, 4)
        self.assertEqual(cell(wb, "EC2", "Comment").value, "Beth's view")
        self.assertEqual(cell(wb, "EC2", "Priority").value, "Low")
        self.assertEqual([c.value for c in wb["Levels"]["A"][1:]], ec)
        # Not the agreed answers: Council B's lead answer is not in her file.
        self.assertIn("Your own views", wb["About"]["B1"].value)

    def test_a_contributor_file_is_refused_to_others(self):
        url = reverse("consolidation:contribution_xlsx", args=[self.response_b.pk])
        for user in [self.alice, self.bob, self.charlie, self.zoe]:
            self.client.force_login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(url).status_code, 404)


class RoundTripTests(SpreadsheetTestCase):
    def test_the_upload_page_explains_and_links_the_download(self):
        self.client.force_login(self.bob)
        r = self.client.get(self.response_upload)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, self.response_xlsx)
        self.assertContains(r, '<label class="label" for="id_file">Spreadsheet file')
        self.assertNotContains(r, "Keep the app's values")

    def test_it_refuses_an_empty_form(self):
        self.client.force_login(self.bob)
        r = self.client.post(self.response_upload, {})
        self.assertEqual(r.status_code, 400)
        self.assertContains(r, "Choose the spreadsheet file to upload.", status_code=400)

    def test_a_file_with_no_edits_stores_nothing_and_says_so(self):
        before = self.state()
        r = self.upload(self.download())
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "Nothing changed")
        self.assertEqual(self.state(), before)
        event = AuditEvent.objects.get(action="answers.uploaded")
        self.assertEqual(event.detail["cells"], 0)

    def test_edits_are_stored_with_versions_bumped_and_listed(self):
        wb = self.download()
        put(wb, "EC1", "Current level", 3)
        put(wb, "EC1", "Comment", "Now covers all spend.")
        put(wb, "EC2", "Current level", "4")
        put(wb, "EC2", "Target level", 5)
        put(wb, "EC2", "Target date", dt.datetime(2028, 3, 31))
        put(wb, "EC2", "Priority", "medium")
        put(wb, "EC4", "Current level", "Not yet assessed")
        put(wb, "EC5", "We would welcome support", "Yes")
        put(wb, "EC3", "We could share practice", "No")
        r = self.upload(wb)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "Your file was stored")
        self.assertContains(r, "9 cells changed in 5 value codes")
        self.assertContains(r, "Answers, row 2, column E (Current level)")
        ec1, ec2 = self.answer("EC1"), self.answer("EC2")
        self.assertEqual(
            (ec1.version, ec1.current_level, ec1.comment), (2, 3, "Now covers all spend.")
        )
        self.assertEqual(ec1.target_level, 4)  # untouched fields stay
        self.assertEqual(
            (ec2.version, ec2.current_level, ec2.target_level, ec2.target_date, ec2.priority),
            (2, 4, 5, dt.date(2028, 3, 31), "medium"),
        )
        self.assertEqual((self.answer("EC4").version, self.answer("EC4").current_level), (1, 0))
        self.assertTrue(self.answer("EC5").want_support)
        self.assertFalse(self.answer("EC3").could_share)
        self.assertEqual(self.answer("EC5").updated_by, self.bob)
        event = AuditEvent.objects.get(action="answers.uploaded")
        self.assertEqual((event.detail["cells"], event.detail["value_codes"]), (9, 5))
        self.assertEqual(event.actor, self.bob)
        # The same file again changes nothing: a replay is harmless.
        before = self.state()
        r = self.upload(wb)
        self.assertContains(r, "Nothing changed")
        self.assertEqual(self.state(), before)

    def test_it_accepts_numbers_and_words_for_levels_and_dates_as_text(self):
        wb = self.download()
        put(wb, "EC1", "Current level", "3 Mature")
        put(wb, "EC4", "Current level", "developing")
        put(wb, "EC5", "Current level", 1.0)
        put(wb, "EC2", "Current level", "Level 4")
        put(wb, "EC2", "Target date", "31/03/2029")
        r = self.upload(wb)
        self.assertContains(r, "Your file was stored")
        self.assertEqual(self.answer("EC1").current_level, 3)
        self.assertEqual(self.answer("EC4").current_level, 2)
        self.assertEqual(self.answer("EC5").current_level, 1)
        self.assertEqual(self.answer("EC2").current_level, 4)
        self.assertEqual(self.answer("EC2").target_date, dt.date(2029, 3, 31))

    def test_emptying_a_cell_clears_it(self):
        wb = self.download()
        put(wb, "EC1", "Comment", None)
        put(wb, "EC1", "Priority", None)
        self.upload(wb)
        ec1 = self.answer("EC1")
        self.assertEqual((ec1.comment, ec1.priority, ec1.version), ("", "", 2))

    def test_a_comment_that_looks_like_a_formula_stays_text(self):
        self.save("EC1", comment="=SUM(A1:A2) is not a formula")
        wb = self.download()
        self.assertEqual(cell(wb, "EC1", "Comment").value, "=SUM(A1:A2) is not a formula")
        self.assertEqual(cell(wb, "EC1", "Comment").data_type, "s")
        before = self.state()
        self.assertContains(self.upload(wb), "Nothing changed")
        self.assertEqual(self.state(), before)


class BadFileTests(SpreadsheetTestCase):
    """Every bad input: 400, the sheet, row and column named, and the database unchanged."""

    def assertRefused(self, data, *expected: str, url=None):
        before = self.state()
        events = AuditEvent.objects.filter(action__endswith=".uploaded").count()
        r = self.upload(data, url=url)
        self.assertEqual(r.status_code, 400)
        self.assertContains(r, "Nothing from it was stored", status_code=400)
        for text in expected:
            self.assertContains(r, text, status_code=400, html=False)
        self.assertEqual(self.state(), before)
        self.assertEqual(AuditEvent.objects.filter(action__endswith=".uploaded").count(), events)
        return r

    def test_not_an_xlsx(self):
        self.client.force_login(self.bob)
        self.assertRefused(b"code,current_level\nEC1,3\n", "The file: is not an Excel workbook")

    def test_a_damaged_xlsx(self):
        data = xlsx(self.download())
        self.assertRefused(data[: len(data) // 2], "is not an Excel workbook (.xlsx) or is damaged")

    def test_a_zip_that_is_not_a_workbook(self):
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("hello.txt", "hello")
        self.client.force_login(self.bob)
        self.assertRefused(buf.getvalue(), "is not an Excel workbook")

    def test_a_zip_that_unpacks_to_too_much(self):
        import zipfile

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/worksheets/sheet1.xml", b"0" * (sheets.MAX_UNPACKED_BYTES + 1))
        self.client.force_login(self.bob)
        self.assertLess(len(buf.getvalue()), sheets.MAX_BYTES)
        self.assertRefused(buf.getvalue(), "unpacks to more than 20 MB")

    def test_too_big(self):
        self.client.force_login(self.bob)
        self.assertRefused(b"x" * (sheets.MAX_BYTES + 10), "the limit is 2 MB")

    def test_a_missing_sheet(self):
        wb = self.download()
        wb["Answers"].title = "My answers"
        self.assertRefused(wb, "has no sheet called &#x27;Answers&#x27;")

    def test_a_missing_or_renamed_heading(self):
        wb = self.download()
        wb["Answers"]["E1"].value = "Level now"
        wb["Answers"]["H1"].value = None
        self.assertRefused(
            wb,
            "Answers, row 1, column E: the heading should be &#x27;Current level&#x27; but is "
            "&#x27;Level now&#x27;",
            "Answers, row 1, column H: the heading should be &#x27;Priority&#x27; but the cell is empty",
        )

    def test_an_unknown_value_code(self):
        wb = self.download()
        put(wb, "EC4", "Code", "ZZ9")
        self.assertRefused(
            wb, "Answers, row 5, column A (Code): &#x27;ZZ9&#x27; is not a value code of this round"
        )

    def test_a_duplicate_value_code(self):
        wb = self.download()
        ws = wb["Answers"]
        ws.append([c.value for c in ws[2]])
        last = ws.max_row
        self.assertRefused(
            wb, f"Answers, row {last}, column A (Code): EC1 is also on row 2; keep one row"
        )

    def test_a_row_with_values_but_no_code(self):
        wb = self.download()
        put(wb, "EC4", "Code", None)
        self.assertRefused(wb, "Answers, row 5, column A (Code): no value code")

    def test_a_bad_level(self):
        wb = self.download()
        put(wb, "EC4", "Current level", "six")
        put(wb, "EC5", "Current level", 7)
        self.assertRefused(
            wb,
            "Answers, row 5, column E (Current level): &#x27;six&#x27; is not a level; choose 1 "
            "to 5 or Not yet assessed",
            "Answers, row 6, column E (Current level): &#x27;7&#x27; is not a level",
        )

    def test_a_level_whose_words_disagree_with_its_number(self):
        wb = self.download()
        put(wb, "EC4", "Current level", "3 Innovator")
        self.assertRefused(wb, "Answers, row 5, column E (Current level): &#x27;3 Innovator&#x27;")

    def test_a_bad_target(self):
        wb = self.download()
        put(wb, "EC4", "Target level", "Not yet assessed")
        self.assertRefused(
            wb,
            "Answers, row 5, column F (Target level): &#x27;Not yet assessed&#x27; is not a target",
        )

    def test_a_target_below_the_current_level(self):
        wb = self.download()
        put(wb, "EC1", "Target level", 1)
        self.assertRefused(
            wb, "Answers, row 2, column F (Target level): the target 1 is below the current level 2"
        )

    def test_a_bad_priority(self):
        wb = self.download()
        put(wb, "EC4", "Priority", "Urgent")
        self.assertRefused(
            wb,
            "Answers, row 5, column H (Priority): &#x27;Urgent&#x27; is not a priority; choose High",
        )

    def test_a_bad_date(self):
        wb = self.download()
        put(wb, "EC4", "Target date", "next spring")
        put(wb, "EC5", "Target date", dt.datetime(1999, 12, 31))
        self.assertRefused(
            wb,
            "Answers, row 5, column G (Target date): &#x27;next spring&#x27; is not a date",
            "Answers, row 6, column G (Target date): 31/12/1999 is not a date between 2000 and 2100",
        )

    def test_a_bad_yes_no(self):
        wb = self.download()
        put(wb, "EC4", "We could share practice", "Maybe")
        self.assertRefused(
            wb,
            "Answers, row 5, column J (We could share practice): &#x27;Maybe&#x27; is not an answer here",
        )

    def test_a_comment_too_long(self):
        wb = self.download()
        put(wb, "EC4", "Comment", "x" * 5001)
        self.assertRefused(
            wb,
            "Answers, row 5, column I (Comment): the comment is 5001 characters long; keep it to 5000",
        )

    def test_a_formula(self):
        wb = self.download()
        put(wb, "EC4", "Current level", "=1+2")
        self.assertRefused(
            wb, "Answers, row 5, column E (Current level): &#x27;=1+2&#x27; is a formula"
        )

    def test_a_tampered_hidden_version(self):
        wb = self.download()
        put(wb, "EC1", "Version at download", 7)
        put(wb, "EC1", "Current level", 4)
        self.assertRefused(
            wb,
            "Answers, row 2, column L (Version at download): the hidden columns recording what you downloaded were changed",
        )

    def test_a_tampered_row_still_has_its_other_cells_checked(self):
        wb = self.download()
        put(wb, "EC1", "Version at download", 7)
        put(wb, "EC1", "Current level", "six")
        r = self.assertRefused(
            wb,
            "Answers, row 2, column L (Version at download)",
            "Answers, row 2, column E (Current level)",
        )
        self.assertContains(r, "2 problems", status_code=400)

    def test_tampered_downloaded_values(self):
        wb = self.download()
        put(wb, "EC1", "Downloaded values", '{"current_level": 5}')
        self.assertRefused(wb, "Answers, row 2, column L (Version at download)")

    def test_a_file_downloaded_for_another_response(self):
        # Council B's file, uploaded by Council A's lead: its checks do not match Council A.
        self.client.force_login(self.charlie)
        r = self.client.get(reverse("consolidation:response_xlsx", args=[self.response_b.pk]))
        self.client.force_login(self.bob)
        self.assertRefused(r.content, "Answers, row 2, column L (Version at download)")

    def test_a_contributor_file_uploaded_as_the_agreed_answers(self):
        wb = self.download(self.alice, self.views_xlsx)
        self.client.force_login(self.bob)
        self.assertRefused(wb, "Answers, row 1: this file holds one contributor&#x27;s own views")

    def test_one_bad_cell_among_many_good_ones_stores_nothing(self):
        wb = self.download()
        for vc in self.codes[:30]:
            put(wb, vc.code, "Current level", 4)
            put(wb, vc.code, "Target level", 5)
            put(wb, vc.code, "Comment", f"Good change to {vc.code}")
        put(wb, self.codes[40].code, "Priority", "Very high")
        r = self.assertRefused(wb, "column H (Priority): &#x27;Very high&#x27;")
        self.assertContains(r, "1 problem", status_code=400)

    def test_every_problem_is_listed_at_once(self):
        wb = self.download()
        put(wb, "EC1", "Current level", "six")
        put(wb, "EC4", "Priority", "Urgent")
        put(wb, "EC5", "Target date", "soon")
        r = self.assertRefused(wb, "row 2, column E", "row 5, column H", "row 6, column G")
        self.assertContains(r, "3 problems", status_code=400)


class ConflictTests(SpreadsheetTestCase):
    def test_a_stale_cell_is_a_conflict_and_is_not_overwritten(self):
        wb = self.download()
        put(wb, "EC1", "Current level", 3)  # the person's change
        put(wb, "EC4", "Current level", 2)  # a change with no conflict
        self.save("EC1", current_level=4)  # meanwhile in the app
        before = self.state()
        r = self.upload(wb)
        self.assertEqual(r.status_code, 409)
        self.assertContains(r, "Nothing was stored: 1 cell changed in the app", status_code=409)
        self.assertContains(
            r, '<th scope="row">Answers, row 2, column E (Current level)</th>', status_code=409
        )
        self.assertContains(r, "<td>2</td><td>4</td><td>3</td>", status_code=409, html=False)
        self.assertContains(
            r, "Keep the app&#x27;s values for the conflicting cells", status_code=409
        )
        self.assertContains(r, "your 1 other change", status_code=409)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.answer("EC1").current_level, 4)

    def test_a_cell_changed_in_the_app_but_untouched_in_the_file_keeps_the_apps_value(self):
        wb = self.download()
        put(wb, "EC1", "Comment", "Changed in the file.")
        self.save("EC1", current_level=5, target_level=5, by=self.bob)
        r = self.upload(wb)
        self.assertContains(r, "1 cell changed in 1 value code")
        ec1 = self.answer("EC1")
        self.assertEqual(
            (ec1.current_level, ec1.comment, ec1.version), (5, "Changed in the file.", 3)
        )

    def test_the_same_change_in_the_file_and_the_app_is_not_a_conflict(self):
        wb = self.download()
        put(wb, "EC1", "Current level", 4)
        self.save("EC1", current_level=4)
        before = self.state()
        r = self.upload(wb)
        self.assertContains(r, "Nothing changed")
        self.assertEqual(self.state(), before)

    def test_ticking_the_box_stores_only_the_changes_that_do_not_conflict(self):
        wb = self.download()
        put(wb, "EC1", "Current level", 3)
        put(wb, "EC1", "Comment", "From the file.")
        put(wb, "EC4", "Current level", 2)
        self.save("EC1", current_level=4)
        r = self.upload(wb, keep=True)
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "2 cells changed in 2 value codes")
        self.assertContains(r, "the app's values were kept")
        ec1 = self.answer("EC1")
        self.assertEqual((ec1.current_level, ec1.comment), (4, "From the file."))
        self.assertEqual(self.answer("EC4").current_level, 2)
        event = AuditEvent.objects.get(action="answers.uploaded")
        self.assertEqual((event.detail["cells"], event.detail["conflicts_kept"]), (2, 1))

    def test_a_target_that_no_longer_fits_the_apps_current_level_is_refused(self):
        wb = self.download()
        put(wb, "EC1", "Target level", 3)  # fine against the downloaded level 2
        self.save("EC1", current_level=4)  # the app moved on
        before = self.state()
        r = self.upload(wb)
        self.assertEqual(r.status_code, 400)
        self.assertContains(
            r,
            "Answers, row 2, column F (Target level): with the app&#x27;s values now, the target 3",
            status_code=400,
        )
        self.assertEqual(self.state(), before)


class ContributorUploadTests(SpreadsheetTestCase):
    def test_a_contributor_stores_their_own_views(self):
        make_view(self.assignment_a, "EC1", 2, comment="My view")
        wb = self.download(self.alice, self.views_xlsx)
        put(wb, "EC1", "Current level", 3)
        put(wb, "EC2", "Current level", 1)
        put(wb, "EC2", "Priority", "High")
        answers_before = self.state()[0]
        r = self.upload(wb, url=self.views_upload)
        self.assertContains(r, "3 cells changed in 2 value codes")
        views = {
            v.value_code.code: v
            for v in ContributorAnswer.objects.filter(assignment=self.assignment_a)
        }
        self.assertEqual((views["EC1"].current_level, views["EC1"].version, views["EC1"].comment),
                         (3, 2, "My view"))  # fmt: skip
        self.assertEqual((views["EC2"].current_level, views["EC2"].priority), (1, "high"))
        self.assertEqual(self.state()[0], answers_before)  # the agreed answers are untouched
        self.assertTrue(AuditEvent.objects.filter(action="views.uploaded", actor=self.alice))

    def test_a_contributor_upload_is_limited_to_their_codes(self):
        url = reverse("consolidation:contribution_xlsx", args=[self.response_b.pk])
        upload_url = reverse("consolidation:contribution_upload", args=[self.response_b.pk])
        wb = self.download(self.beth, url)
        put(wb, "EC1", "Current level", 3)
        put(wb, "EC2", "Code", "ESM1")
        before = self.state()
        r = self.upload(wb, url=upload_url)
        self.assertEqual(r.status_code, 400)
        self.assertContains(
            r, "Answers, row 3, column A (Code): you were not asked about ESM1", status_code=400
        )
        self.assertEqual(self.state(), before)

    def test_a_view_changed_in_the_app_since_the_download_is_a_conflict(self):
        make_view(self.assignment_a, "EC1", 2)
        wb = self.download(self.alice, self.views_xlsx)
        put(wb, "EC1", "Current level", 3)
        ContributorAnswer.objects.filter(assignment=self.assignment_a).update(
            current_level=5, version=2
        )
        before = self.state()
        r = self.upload(wb, url=self.views_upload)
        self.assertEqual(r.status_code, 409)
        self.assertContains(r, "<td>2</td><td>5</td><td>3</td>", status_code=409)
        self.assertEqual(self.state(), before)

    def test_the_agreed_answers_file_is_not_taken_as_views(self):
        wb = self.download(self.bob)
        before = self.state()
        r = self.upload(wb, url=self.views_upload, user=self.alice)
        self.assertContains(r, "this file holds the agreed answers", status_code=400)
        self.assertEqual(self.state(), before)


class AccessTests(SpreadsheetTestCase):
    def test_only_the_lead_uploads_the_agreed_answers(self):
        data = xlsx(self.download())
        before = self.state()
        for user, status in [(self.victor, 403), (self.alice, 403), (self.nina, 403),
                             (self.charlie, 404), (self.dana, 404), (self.zoe, 404)]:  # fmt: skip
            self.client.force_login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(self.response_upload).status_code, status)
                r = self.upload(data)
                self.assertEqual(r.status_code, status)
        self.assertEqual(self.state(), before)

    def test_council_b_people_cannot_reach_council_a_contributions(self):
        data = xlsx(self.download(self.alice, self.views_xlsx))
        for user in [self.beth, self.charlie, self.zoe, self.bob]:
            self.client.force_login(user)
            with self.subTest(user=user.email):
                self.assertEqual(self.client.get(self.views_upload).status_code, 404)
                self.assertEqual(self.upload(data, url=self.views_upload).status_code, 404)

    def test_a_withdrawn_contributor_cannot_upload(self):
        data = xlsx(self.download(self.alice, self.views_xlsx))
        self.assignment_a.withdrawn_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        self.assignment_a.save()
        r = self.upload(data, url=self.views_upload, user=self.alice)
        self.assertEqual(r.status_code, 404)

    def test_a_locked_response_is_refused_with_a_message(self):
        wb = self.download()
        put(wb, "EC1", "Current level", 5)
        views = self.download(self.alice, self.views_xlsx)
        put(views, "EC1", "Current level", 5)
        Response.objects.filter(pk=self.response_a.pk).update(status=Response.Status.SUBMITTED)
        before = self.state()
        self.client.force_login(self.bob)
        r = self.client.get(self.response_upload)
        self.assertContains(r, "This response can no longer be changed")
        self.assertNotContains(r, 'type="file"')
        r = self.upload(wb)
        self.assertEqual(r.status_code, 423)
        self.assertContains(r, "it has been submitted", status_code=423)
        r = self.upload(views, url=self.views_upload, user=self.alice)
        self.assertEqual(r.status_code, 423)
        self.assertEqual(self.state(), before)

    def test_a_closed_round_is_refused_too(self):
        wb = self.download()
        put(wb, "EC1", "Current level", 5)
        self.round.status = "closed"
        self.round.save()
        r = self.upload(wb)
        self.assertContains(r, "its round is not accepting answers", status_code=423)
        self.assertEqual(self.answer("EC1").current_level, 2)


class CellTests(SimpleTestCase):
    """The pure reading of one cell, by table."""

    NAMES = {"minimum": 1, "developing": 2, "mature": 3, "leader": 4, "innovator": 5}

    def test_levels(self):
        for raw, expected in [
            (None, None), ("", None), ("  ", None), (3, 3), (3.0, 3), ("3", 3), (" 3 ", 3),
            ("Level 4", 4), ("4 Leader", 4), ("4 - Leader", 4), ("leader", 4), ("Innovator", 5),
            ("Not yet assessed", 0), ("not assessed", 0), (0, 0), ("0", 0),
        ]:  # fmt: skip
            with self.subTest(raw=raw):
                self.assertEqual(sheets.parse_level(raw, self.NAMES), expected)
        for raw in [6, -1, 2.5, "six", "3 Innovator", True, "Level", float("nan"), "=1+2"]:
            with self.subTest(raw=raw), self.assertRaises(sheets.CellError):
                sheets.parse_level(raw, self.NAMES)

    def test_targets(self):
        self.assertEqual(sheets.parse_target("5", self.NAMES), 5)
        self.assertIsNone(sheets.parse_target(None, self.NAMES))
        for raw in [0, "Not yet assessed", 9, "x"]:
            with self.subTest(raw=raw), self.assertRaises(sheets.CellError):
                sheets.parse_target(raw, self.NAMES)

    def test_dates(self):
        d = dt.date(2027, 3, 31)
        for raw, expected in [
            (None, None), ("", None), (dt.datetime(2027, 3, 31), d), (d, d), ("2027-03-31", d),
            ("31/03/2027", d), ("31-03-2027", d), ("31 March 2027", d), ("31 Mar 2027", d),
            (46477, d),
        ]:  # fmt: skip
            with self.subTest(raw=raw):
                self.assertEqual(sheets.parse_date(raw), expected)
        for raw in ["next spring", "31/02/2027", "03/31/2027", dt.date(1999, 1, 1), 5, True]:
            with self.subTest(raw=raw), self.assertRaises(sheets.CellError):
                sheets.parse_date(raw)

    def test_priorities_yes_no_and_comments(self):
        for raw, expected in [("High", "high"), ("not a priority", "none"), ("LOW", "low"),
                              ("medium", "medium"), (None, ""), ("", "")]:  # fmt: skip
            with self.subTest(raw=raw):
                self.assertEqual(sheets.parse_priority(raw), expected)
        with self.assertRaises(sheets.CellError):
            sheets.parse_priority("Urgent")
        for raw, expected in [("Yes", True), ("no", False), (None, False), (True, True),
                              ("Y", True), ("", False)]:  # fmt: skip
            with self.subTest(raw=raw):
                self.assertEqual(sheets.parse_yes_no(raw), expected)
        with self.assertRaises(sheets.CellError):
            sheets.parse_yes_no("Maybe")
        self.assertEqual(sheets.parse_comment("  a\r\nb  "), "a\nb")
        self.assertEqual(sheets.parse_comment(42.0), "42")
        self.assertEqual(sheets.parse_comment(None), "")
        with self.assertRaises(sheets.CellError):
            sheets.parse_comment("x" * 5001)


class PlanTests(SimpleTestCase):
    """The three-way comparison, by table: downloaded, file, app now."""

    def test_each_case(self):
        from diagnostic.frameworks.models import ValueCode

        vc = ValueCode(code="EC1", title="A value code")
        for downloaded, sheet, app, expected in [
            (2, 2, 2, "nothing"),
            (2, 2, 4, "nothing"),  # changed in the app only: the app's value stays
            (2, 3, 2, "change"),
            (2, 3, 4, "conflict"),
            (2, 3, 3, "nothing"),  # the same change on both sides
            (None, 3, None, "change"),
            (2, None, 2, "change"),  # emptied in the file
        ]:
            with self.subTest(downloaded=downloaded, sheet=sheet, app=app):
                base = sheets.from_json({}, sheets.VIEWS.fields)
                row = sheets.RowIn(
                    2,
                    vc,
                    1,
                    {**base, "current_level": downloaded},
                    {**base, "current_level": sheet},
                )
                plan = sheets.plan_changes(
                    sheets.VIEWS, [row], {"EC1": (2, {**base, "current_level": app})}
                )
                got = "conflict" if plan.conflicts else "change" if plan.changes else "nothing"
                self.assertEqual(got, expected)
                if plan.changes:
                    self.assertEqual(plan.changes_by_code(), {"EC1": {"current_level": sheet}})
