"""Checking an uploaded attachment by its content, never by its name (decision 0016).

Accepted: PDF, Word (DOCX), Excel (XLSX), PowerPoint (PPTX), PNG and JPEG. The type is read
from the first bytes; an Office file must also be a well-formed zip holding the parts its type
requires, with no entry that escapes the archive, no macros, and a total uncompressed size and
compression ratio below limits (a "zip bomb" is refused without being expanded).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

MAX_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 2000


class UploadRefused(Exception):
    """The file is not accepted; the message says why, in words for the person uploading."""


@dataclass(frozen=True)
class Checked:
    kind: str  # the file extension we store it under
    content_type: str


OOXML = {
    "docx": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}  # fmt: skip
ACCEPTED = "PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), PNG or JPEG"


def _ooxml_kind(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UploadRefused(
            "The file looks like an Office document but is damaged: it cannot be opened."
        ) from None
    if len(infos) > MAX_ENTRIES:
        raise UploadRefused("The Office document holds too many parts to be checked safely.")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
        raise UploadRefused(
            "The Office document expands to far more than its size (a “zip bomb”), so it was "
            "refused."
        )
    names = {i.filename for i in infos}
    for name in names:
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            raise UploadRefused("The Office document has a part with an unsafe name.")
        if name.lower().endswith("vbaproject.bin"):
            raise UploadRefused("Documents with macros are not accepted: save it without them.")
    if "[Content_Types].xml" not in names:
        raise UploadRefused("The file is a zip archive, not a Word, Excel or PowerPoint document.")
    for kind, (part, _) in OOXML.items():
        if part in names:
            try:
                with archive.open(part) as f:
                    head = f.read(4096)
                with archive.open("[Content_Types].xml") as f:
                    f.read(MAX_UNCOMPRESSED)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError):
                raise UploadRefused(
                    "The Office document is damaged: a part of it cannot be read."
                ) from None
            if not head.lstrip().startswith(b"<"):
                raise UploadRefused("The Office document is damaged: its main part is not XML.")
            return kind
    raise UploadRefused("The file is a zip archive, not a Word, Excel or PowerPoint document.")


def check_upload(data: bytes, *, max_bytes: int = MAX_BYTES) -> Checked:
    """The kind of an uploaded file found from its content, or UploadRefused saying why."""
    if not data:
        raise UploadRefused("The file is empty.")
    if len(data) > max_bytes:
        raise UploadRefused(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the largest accepted is "
            f"{max_bytes // (1024 * 1024)} MB."
        )
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise UploadRefused("The PDF is incomplete or damaged: it has no end marker.")
        return Checked("pdf", "application/pdf")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Checked("png", "image/png")
    if data.startswith(b"\xff\xd8\xff"):
        return Checked("jpg", "image/jpeg")
    if data.startswith(b"PK\x03\x04"):
        kind = _ooxml_kind(data)
        return Checked(kind, OOXML[kind][1])
    if data.startswith(b"MZ") or data.startswith(b"\x7fELF") or data.startswith(b"#!"):
        raise UploadRefused(f"The file is a program, not a document. Accepted: {ACCEPTED}.")
    raise UploadRefused(f"The file's content is not a type we accept. Accepted: {ACCEPTED}.")
