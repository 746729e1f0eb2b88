"""Attachments are checked by content: type, size, zip bombs, damaged and disguised files."""

import io
import zipfile

from django.test import SimpleTestCase

from diagnostic.practice.uploads import MAX_BYTES, UploadRefused, check_upload

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def ooxml(main_part: str, *, extra: dict | None = None, content_types: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if content_types:
            z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr(main_part, '<?xml version="1.0"?><document/>')
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def docx() -> bytes:
    return ooxml("word/document.xml")


class CheckUploadTests(SimpleTestCase):
    def test_each_accepted_kind_is_recognised_by_content(self):
        for data, kind in [
            (PDF, "pdf"), (PNG, "png"), (JPEG, "jpg"), (docx(), "docx"),
            (ooxml("xl/workbook.xml"), "xlsx"), (ooxml("ppt/presentation.xml"), "pptx"),
        ]:  # fmt: skip
            with self.subTest(kind=kind):
                self.assertEqual(check_upload(data).kind, kind)

    def refused(self, data: bytes, words: str, **kw):
        with self.assertRaises(UploadRefused) as ctx:
            check_upload(data, **kw)
        self.assertIn(words, str(ctx.exception))

    def test_a_renamed_executable_is_refused(self):
        self.refused(b"MZ\x90\x00" + b"\x00" * 200, "a program")
        self.refused(b"\x7fELF\x02\x01" + b"\x00" * 200, "a program")
        self.refused(b"#!/bin/sh\nrm -rf /\n", "a program")

    def test_other_content_is_refused_listing_what_is_accepted(self):
        self.refused(b"<html><script>alert(1)</script></html>", "PDF, Word (.docx)")
        self.refused(b"GIF89a....", "not a type we accept")

    def test_empty_and_oversized_files_are_refused(self):
        self.refused(b"", "empty")
        self.refused(PDF + b"x" * 100, "largest accepted is 0 MB", max_bytes=20)
        self.refused(b"%PDF-" + b"x" * (MAX_BYTES + 1), "largest accepted is 10 MB")

    def test_a_truncated_pdf_is_refused(self):
        self.refused(b"%PDF-1.7\n1 0 obj", "incomplete")

    def test_a_malformed_docx_is_refused(self):
        self.refused(b"PK\x03\x04" + b"garbage" * 50, "damaged")
        self.refused(docx()[:-40], "damaged")

    def test_a_plain_zip_is_not_an_office_document(self):
        self.refused(ooxml("readme.txt"), "not a Word, Excel or PowerPoint")
        self.refused(ooxml("word/document.xml", content_types=False), "not a Word")

    def test_a_zip_bomb_is_refused_without_being_expanded(self):
        self.refused(
            ooxml("word/document.xml", extra={"word/media/big.bin": b"\x00" * (60 * 1024 * 1024)}),
            "zip bomb",
        )

    def test_a_high_compression_ratio_is_refused(self):
        self.refused(
            ooxml("word/document.xml", extra={"word/media/big.bin": b"\x00" * (5 * 1024 * 1024)}),
            "zip bomb",
        )

    def test_macros_and_path_tricks_are_refused(self):
        self.refused(ooxml("word/document.xml", extra={"word/vbaProject.bin": "x"}), "macros")
        self.refused(ooxml("word/document.xml", extra={"../evil.xml": "x"}), "unsafe name")

    def test_a_docx_whose_main_part_is_not_xml_is_refused(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("word/document.xml", b"\x00\x01binary")
        self.refused(buf.getvalue(), "not XML")
