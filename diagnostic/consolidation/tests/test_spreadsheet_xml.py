"""Uploaded workbooks whose XML is damaged, declares entities or holds huge sheets are refused
with a clear problem, never a 500, for the agreed answers and a contributor's views
(v5.0.0-1.5.1 restrictive XML parsing, v5.0.0-5.2.1 size it can process, v5.0.0-5.2.3
compressed files checked before unpacking, v5.0.0-16.5.3 fails gracefully)."""

from __future__ import annotations

import io
import time
import zipfile
from unittest import mock

from diagnostic.audit.models import AuditEvent
from diagnostic.consolidation import spreadsheet as sheets
from diagnostic.consolidation.tests.test_spreadsheet import SpreadsheetTestCase, xlsx

ANSWERS_PART = "xl/worksheets/sheet1.xml"

LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
)


def rewrite(data: bytes, part: str, change) -> bytes:
    """The workbook with one part's bytes passed through `change`."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info.filename, change(body) if info.filename == part else body)
    return out.getvalue()


def with_entities(body: bytes) -> bytes:
    rest = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
    return LAUGHS + rest.lstrip().replace(b"<sheetData>", b"<sheetData>&lol3;", 1)


def broken(body: bytes) -> bytes:
    # An element left open in the middle of the sheet data.
    at = body.index(b"</row>", body.index(b"</row>") + 1)
    return body[:at] + b"<c r='A9'><v>1</v>" + body[at:]


def empty_rows(count: int, *, declare: bool):
    def change(body: bytes) -> bytes:
        start = body.index(b"<sheetData>") + len(b"<sheetData>")
        end = body.index(b"</sheetData>")
        first = body[start : body.index(b"</row>", start) + len(b"</row>")]
        rows = b"".join(b'<row r="%d"/>' % n for n in range(2, count + 2))
        out = body[:start] + first + rows + body[end:]
        if not declare:
            import re

            out = re.sub(rb"<dimension [^>]*/>", b"", out)
        return out

    return change


class BadXmlTests(SpreadsheetTestCase):
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

    def both(self):
        """(downloaded file, upload URL, who) for the agreed answers and Alice's own views."""
        agreed = xlsx(self.download(self.bob))
        views = xlsx(self.download(self.alice, self.views_xlsx))
        return [(agreed, self.response_upload, self.bob), (views, self.views_upload, self.alice)]

    def test_a_sheet_with_an_unclosed_element(self):
        for data, url, who in self.both():
            with self.subTest(url):
                self.client.force_login(who)
                self.assertRefused(
                    rewrite(data, ANSWERS_PART, broken),
                    "The file: is damaged: a sheet&#x27;s contents cannot be read",
                    url=url,
                )

    def test_a_sheet_cut_short(self):
        for data, url, who in self.both():
            with self.subTest(url):
                self.client.force_login(who)
                cut = rewrite(data, ANSWERS_PART, lambda b: b[: len(b) * 2 // 3])
                self.assertRefused(cut, "is damaged", url=url)

    def test_entity_definitions_in_the_sheet(self):
        for data, url, who in self.both():
            with self.subTest(url):
                self.client.force_login(who)
                self.assertRefused(rewrite(data, ANSWERS_PART, with_entities),
                                   "contains XML entity or document type definitions", url=url)  # fmt: skip

    def test_entity_definitions_in_the_workbook_part(self):
        data, url, who = self.both()[0]
        self.client.force_login(who)
        evil = rewrite(data, "xl/workbook.xml", with_entities)
        self.assertRefused(evil, "contains XML entity or document type definitions", url=url)

    def test_defusedxml_refuses_entities_even_past_the_first_check(self):
        """Defence in depth: with the byte check switched off, the parser still refuses."""
        import openpyxl.xml

        self.assertTrue(openpyxl.xml.DEFUSEDXML)
        data, url, who = self.both()[0]
        self.client.force_login(who)
        with mock.patch.object(sheets, "_check_parts"):
            self.assertRefused(rewrite(data, ANSWERS_PART, with_entities), "is damaged", url=url)

    def test_750000_empty_rows_are_refused_before_any_cell_is_read(self):
        for declare in (True, False):
            for data, url, who in self.both():
                with self.subTest(url=url, declare=declare):
                    self.client.force_login(who)
                    huge = rewrite(data, ANSWERS_PART, empty_rows(750_000, declare=declare))
                    self.assertLess(len(huge), sheets.MAX_BYTES)
                    started = time.monotonic()
                    with mock.patch.object(sheets, "_read") as read:
                        self.assertRefused(huge, "has a sheet of more than 5,000 rows", url=url)
                    read.assert_not_called()
                    self.assertLess(time.monotonic() - started, 4.0)  # walking them took 5.5 s

    def test_a_huge_declared_dimension_is_refused(self):
        data, url, who = self.both()[0]
        self.client.force_login(who)
        import re

        huge = rewrite(data, ANSWERS_PART,
                       lambda b: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:W1048576"', b))  # fmt: skip
        self.assertRefused(huge, "has a sheet of more than 5,000 rows", url=url)

    def test_an_ordinary_file_still_goes_through(self):
        wb = self.download()
        from diagnostic.consolidation.tests.test_spreadsheet import put

        put(wb, "EC1", "Comment", "Checked again.")
        r = self.upload(wb)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(self.answer("EC1").comment, "Checked again.")
