"""The agreed answers of a response, or one contributor's own views, as a workbook to fill in
offline; and the whole-file check and careful merge of one uploaded back.

The round trip (docs/spreadsheet-round-trip.md):

- Download: an "Answers" sheet, one row per value code, with the editable cells unlocked and
  drop-downs of the allowed values; hidden columns keep each row's version and values as
  downloaded, with a check (an HMAC under the site's secret) so a changed hidden cell is
  caught. A "Levels" sheet holds the framework text, an "About" sheet says what the file is.
- Upload: `read_answers_sheet` reads the whole file and raises `InvalidFile` listing every
  problem by sheet, row and column; nothing is stored if there is one. Then, with the response
  row locked, `plan_changes` compares each cell three ways: what was downloaded, what the file
  says and what the app holds now. A cell the person changed whose app value also moved since
  the download is a conflict: never overwritten. Cells the person left alone never touch the
  app, so a change made in the app meanwhile stays.
- `do_upload_agreed_answers` and `do_upload_views` store the changes in one transaction
  through the same services as the screens (`do_save_answer`, `do_save_view`), passing only
  the changed fields; any failure rolls every change back.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify

from diagnostic.accounts.models import User
from diagnostic.assessments import services as assessment_services
from diagnostic.assessments.models import ANSWER_FIELDS, Answer, Priority, Response
from diagnostic.assessments.services import COMMENT_MAX, ResponseLocked
from diagnostic.audit.services import record
from diagnostic.consolidation import services
from diagnostic.consolidation.models import CONTRIBUTOR_FIELDS, Assignment, ContributorAnswer
from diagnostic.frameworks.models import Level, LevelDescriptor, ValueCode
from diagnostic.lib.problems import InvalidFile, Problem
from diagnostic.lib.spreadsheets import neutralise_sheet

MAX_BYTES = 2 * 1024 * 1024
# An xlsx is a zip: a small file can unpack to gigabytes. Ours unpack to well under 1 MB.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_ROWS = 1000
# Rows a worksheet may declare (its <dimension> or its <row> elements, empty or not) before any
# cell is read: ours have about 60; 750,000 empty rows would take seconds to walk (ASVS 5.2.1).
MAX_SHEET_ROWS = 5000
MAX_PROBLEMS = 200  # a wholly wrong file would list thousands; the first ones are enough

ANSWERS = "Answers"
LEVELS = "Levels"
ABOUT = "About"
NOT_ASSESSED = "Not yet assessed"
YES, NO = "Yes", "No"
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 1, 1)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SALT = "diagnostic.consolidation.spreadsheet"

INFO_HEADINGS = ["Code", "Key area", "Value code", "Description"]
HEADINGS = {
    "current_level": "Current level",
    "target_level": "Target level",
    "target_date": "Target date",
    "priority": "Priority",
    "comment": "Comment",
    "could_share": "We could share practice",
    "want_support": "We would welcome support",
}
HIDDEN_HEADINGS = ["Version at download", "Downloaded values", "Check"]
WIDTHS = {
    "Code": 8,
    "Key area": 22,
    "Value code": 34,
    "Description": 60,
    "Current level": 16,
    "Target level": 13,
    "Target date": 13,
    "Priority": 15,
    "Comment": 60,
    "We could share practice": 14,
    "We would welcome support": 14,
}


# --- What a file is for -----------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """The columns of one kind of file: the agreed answers, or a contributor's own views."""

    kind: str  # "agreed" or "views"
    fields: tuple[str, ...]

    @property
    def headings(self) -> list[str]:
        return INFO_HEADINGS + [HEADINGS[f] for f in self.fields] + HIDDEN_HEADINGS

    def column_of(self, name: str) -> int:
        """1-based column number of a field or a hidden column."""
        heading = HEADINGS.get(name, name)
        return self.headings.index(heading) + 1

    @property
    def version_column(self) -> int:
        return len(INFO_HEADINGS) + len(self.fields) + 1


AGREED = Layout("agreed", tuple(ANSWER_FIELDS))
VIEWS = Layout("views", tuple(CONTRIBUTOR_FIELDS))


def scope_of_response(response: Response) -> str:
    return f"response:{response.pk}"


def scope_of_assignment(assignment: Assignment) -> str:
    return f"assignment:{assignment.pk}"


def _check(scope: str, code: str, version: int, values_text: str) -> str:
    """Ties a row's hidden columns to this file's response or person, its code and values."""
    return salted_hmac(
        _SALT, f"{scope}|{code}|{version}|{values_text}", algorithm="sha256"
    ).hexdigest()[:32]


def column_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def where(row: int, column: int, layout: Layout) -> str:
    return f"{ANSWERS}, row {row}, column {column_letter(column)} ({layout.headings[column - 1]})"


# --- Values: between the app and the cells ------------------------------------------------------
def to_json(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def from_json(values: dict, fields: Iterable[str]) -> dict:
    out = {}
    for f in fields:
        v = values.get(f)
        if f == "target_date" and v:
            v = dt.date.fromisoformat(v)
        elif f in ("priority", "comment"):
            v = v or ""
        elif f in ("could_share", "want_support"):
            v = bool(v)
        out[f] = v
    return out


def normalise(values: dict) -> dict:
    """The app's values as a cell would give them back (comments stripped, line ends \\n)."""
    out = dict(values)
    if "comment" in out:
        out["comment"] = _text(out["comment"])
    if "priority" in out:
        out["priority"] = out["priority"] or ""
    return out


def _text(value) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def cell_value(name: str, value):
    """What goes in the cell for a field's value."""
    if name == "current_level":
        return NOT_ASSESSED if value == 0 else value
    if name == "priority":
        return Priority(value).label if value else None
    if name in ("could_share", "want_support"):
        return YES if value else NO
    if name == "comment":
        return value or None
    return value


def display(name: str, value) -> str:
    """A field's value in words, for the conflict and result pages."""
    if name in ("current_level", "target_level"):
        if value is None:
            return "(empty)"
        return NOT_ASSESSED if value == 0 else str(value)
    if name == "target_date":
        return value.strftime("%d/%m/%Y") if value else "(empty)"
    if name == "priority":
        return Priority(value).label if value else "(empty)"
    if name in ("could_share", "want_support"):
        return YES if value else NO
    text = value or ""
    return (text[:200] + "…") if len(text) > 200 else (text or "(empty)")


class CellError(ValueError):
    """A cell's value is not allowed; the message says what to enter instead."""


def _shown(raw) -> str:
    text = str(raw)
    return text if len(text) <= 40 else text[:40] + "…"


def _span(level_names: dict[str, int]) -> str:
    numbers = sorted(level_names.values())
    return f"{numbers[0]} to {numbers[-1]}" if numbers else "a level"


def parse_level(raw, level_names: dict[str, int]) -> int | None:
    """A current level: a level number of the framework version (`level_names` maps each
    level's name, lower-cased, to its number), its name, both ('3 Mature'), or not assessed."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    numbers = set(level_names.values())
    problem = f"'{_shown(raw)}' is not a level; choose {_span(level_names)} or {NOT_ASSESSED}"
    if isinstance(raw, bool):
        raise CellError(problem)
    if isinstance(raw, (int, float)):
        if not math.isfinite(raw) or raw != int(raw) or int(raw) not in numbers | {0}:
            raise CellError(problem)
        return int(raw)
    if not isinstance(raw, str):
        raise CellError(problem)
    text = " ".join(raw.lower().split())
    if text in ("not yet assessed", "not assessed", "0"):
        return 0
    if text in level_names:
        return level_names[text]
    m = re.fullmatch(r"(?:level )?(\d{1,3})(?:\.0)?(?:\s*[-–:]?\s*(.+))?", text)
    if (
        m
        and int(m.group(1)) in numbers
        and (m.group(2) is None or level_names.get(m.group(2)) == int(m.group(1)))
    ):
        return int(m.group(1))
    raise CellError(problem)


def parse_target(raw, level_names: dict[str, int]) -> int | None:
    try:
        level = parse_level(raw, level_names)
    except CellError:
        level = -1
    if level == 0 or level == -1:
        raise CellError(
            f"'{_shown(raw)}' is not a target; choose a level from {_span(level_names)}"
        )
    return level


def parse_date(raw) -> dt.date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    problem = f"'{_shown(raw)}' is not a date; enter it like 31/03/2027"
    value = None
    if isinstance(raw, dt.datetime):
        value = raw.date()
    elif isinstance(raw, dt.date):
        value = raw
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        # A date whose format was lost (pasted as a number) is Excel's day count.
        from openpyxl.utils.datetime import from_excel

        try:
            value = from_excel(raw).date()
        except (ValueError, OverflowError, TypeError):
            raise CellError(problem) from None
    elif isinstance(raw, str):
        text = raw.strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y"):
            try:
                value = dt.datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
    if value is None:
        raise CellError(problem)
    if not (EARLIEST <= value <= LATEST):
        raise CellError(f"{value:%d/%m/%Y} is not a date between 2000 and 2100")
    return value


PRIORITY_WORDS = {
    **{p.label.lower(): p.value for p in Priority},
    **{p.value: p.value for p in Priority},
    "none": Priority.NONE.value,
}


def parse_priority(raw) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    text = " ".join(str(raw).lower().split())
    if text in PRIORITY_WORDS:
        return PRIORITY_WORDS[text]
    labels = ", ".join(p.label for p in list(Priority)[:-1]) + f" or {Priority.NONE.label}"
    raise CellError(f"'{_shown(raw)}' is not a priority; choose {labels}")


def parse_comment(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw == int(raw):
        raw = int(raw)
    text = _text(raw.isoformat() if isinstance(raw, (dt.date, dt.datetime)) else str(raw))
    if len(text) > COMMENT_MAX:
        raise CellError(
            f"the comment is {len(text)} characters long; keep it to {COMMENT_MAX} or fewer"
        )
    return text


def parse_yes_no(raw) -> bool:
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in ("", "no", "n", "false", "0"):
        return False
    if text in ("yes", "y", "true", "1"):
        return True
    raise CellError(f"'{_shown(raw)}' is not an answer here; choose {YES} or {NO}")


def parse_field(name: str, raw, level_names: dict[str, int]):
    if name == "current_level":
        return parse_level(raw, level_names)
    if name == "target_level":
        return parse_target(raw, level_names)
    if name == "target_date":
        return parse_date(raw)
    if name == "priority":
        return parse_priority(raw)
    if name == "comment":
        return parse_comment(raw)
    return parse_yes_no(raw)


def target_below(values: dict) -> bool:
    current, target = values.get("current_level"), values.get("target_level")
    return bool(current and target and target < current)


# --- Download -----------------------------------------------------------------------------------
@dataclass
class RowOut:
    value_code: ValueCode
    version: int
    values: dict


def _codes(version_id: int, value_codes=None) -> list[ValueCode]:
    qs = value_codes if value_codes is not None else ValueCode.objects.filter(version_id=version_id)
    return list(qs.select_related("key_area").order_by("position"))


def _descriptors(codes: list[ValueCode]) -> dict[int, dict[int, str]]:
    out: dict[int, dict[int, str]] = {}
    for d in LevelDescriptor.objects.filter(value_code__in=codes).select_related("level"):
        out.setdefault(d.value_code_id, {})[d.level.number] = d.text
    return out


def agreed_rows(response: Response) -> list[RowOut]:
    codes = _codes(response.round.framework_version_id)
    answers = {a.value_code_id: a for a in Answer.objects.filter(response=response)}
    empty = Answer()
    return [
        RowOut(vc, answers[vc.pk].version if vc.pk in answers else 0,
               normalise(answers.get(vc.pk, empty).values()))
        for vc in codes
    ]  # fmt: skip


def view_rows(assignment: Assignment) -> list[RowOut]:
    codes = _codes(assignment.response.round.framework_version_id, assignment.value_codes())
    answers = {a.value_code_id: a for a in ContributorAnswer.objects.filter(assignment=assignment)}
    empty = ContributorAnswer()
    return [
        RowOut(vc, answers[vc.pk].version if vc.pk in answers else 0,
               normalise(answers.get(vc.pk, empty).values()))
        for vc in codes
    ]  # fmt: skip


def filename(response: Response, what: str) -> str:
    return slugify(f"{response.organisation.short_name} {response.round.name} {what}") + ".xlsx"


def upload_url(layout: Layout, response: Response) -> str:
    name = "response_upload" if layout is AGREED else "contribution_upload"
    return settings.SITE_ROOT + reverse(f"consolidation:{name}", args=[response.pk])


def build_workbook(
    *,
    layout: Layout,
    scope: str,
    response: Response,
    rows: list[RowOut],
    about: list[tuple[str, str]],
) -> bytes:
    """The workbook: Answers (editable cells unlocked, drop-downs), Levels and About."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils.datetime import to_excel
    from openpyxl.worksheet.datavalidation import DataValidation

    levels = list(
        Level.objects.filter(version_id=response.round.framework_version_id).order_by("number")
    )
    level_hint = "; ".join(f"{lv.number} {lv.name}" for lv in levels)
    descriptors = _descriptors([r.value_code for r in rows])

    wb = Workbook()
    ws = wb.active
    ws.title = ANSWERS
    headings = layout.headings
    ws.append(headings)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDDDDD")
    locked_fill = PatternFill("solid", fgColor="F3F2F1")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    first_field, last_field = len(INFO_HEADINGS) + 1, len(INFO_HEADINGS) + len(layout.fields)
    for r in rows:
        vc = r.value_code
        values_text = json.dumps(to_json(r.values), sort_keys=True, separators=(",", ":"))
        ws.append(
            [vc.code, vc.key_area.name, vc.title, vc.description]
            + [cell_value(f, r.values.get(f)) for f in layout.fields]
            + [r.version, values_text, _check(scope, vc.code, r.version, values_text)]
        )
    last_row = max(ws.max_row, 2)
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if first_field <= cell.column <= last_field:
                cell.protection = Protection(locked=False)
            else:
                cell.fill = locked_fill
    if "target_date" in layout.fields:
        for (cell,) in ws.iter_rows(min_row=2, min_col=layout.column_of("target_date"),
                                    max_col=layout.column_of("target_date")):  # fmt: skip
            cell.number_format = "dd/mm/yyyy"
    for i, heading in enumerate(headings, start=1):
        letter = column_letter(i)
        ws.column_dimensions[letter].width = WIDTHS.get(heading, 14)
        if heading in HIDDEN_HEADINGS:
            ws.column_dimensions[letter].hidden = True
    ws.freeze_panes = "C2"

    def validate(name: str, dv: DataValidation) -> None:
        col = column_letter(layout.column_of(name))
        dv.add(f"{col}2:{col}{last_row}")
        dv.showErrorMessage = True
        dv.showInputMessage = True
        dv.errorTitle = "Not an allowed value"
        ws.add_data_validation(dv)

    numbers = ",".join(str(level.number) for level in levels)
    span = f"{levels[0].number} to {levels[-1].number}"
    validate("current_level", DataValidation(
        type="list", formula1=f'"{numbers},{NOT_ASSESSED}"', allow_blank=True,
        promptTitle="Current level", prompt=f"Choose {span} or {NOT_ASSESSED}. {level_hint}"[:255],
        error=f"Choose {span} or {NOT_ASSESSED} (the Levels sheet describes each level).",
    ))  # fmt: skip
    validate("target_level", DataValidation(
        type="list", formula1=f'"{numbers}"', allow_blank=True, promptTitle="Target level",
        prompt=f"Where you aim to be: {span}, not below the current level.",
        error=f"Choose a target level from {span}.",
    ))  # fmt: skip
    validate("priority", DataValidation(
        type="list", formula1='"' + ",".join(p.label for p in Priority) + '"', allow_blank=True,
        promptTitle="Priority", prompt="Choose High, Medium, Low or Not a priority.",
        error="Choose High, Medium, Low or Not a priority.",
    ))  # fmt: skip
    validate("comment", DataValidation(
        type="textLength", operator="lessThanOrEqual", formula1=str(COMMENT_MAX),
        allow_blank=True, promptTitle="Comment", prompt="Evidence and next steps.",
        error=f"Keep the comment to {COMMENT_MAX} characters or fewer.",
    ))  # fmt: skip
    if "target_date" in layout.fields:
        validate("target_date", DataValidation(
            type="date", operator="between", formula1=str(int(to_excel(EARLIEST))),
            formula2=str(int(to_excel(LATEST))), allow_blank=True, promptTitle="Target date",
            prompt="By when, for example 31/03/2027.", error="Enter a date between 2000 and 2100.",
        ))  # fmt: skip
    for name in ("could_share", "want_support"):
        if name in layout.fields:
            validate(name, DataValidation(
                type="list", formula1=f'"{YES},{NO}"', allow_blank=True,
                promptTitle=HEADINGS[name], prompt=f"Choose {YES} or {NO}.",
                error=f"Choose {YES} or {NO}.",
            ))  # fmt: skip
    # Locked cells stay locked; no password, so this guards against slips, not people.
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # people may widen columns
    ws.protection.formatRows = False
    ws.protection.autoFilter = False

    lv = wb.create_sheet(LEVELS)
    lv.append(["Code", "Value code"] + [f"{level.number} {level.name}" for level in levels])
    for cell in lv[1]:
        cell.font = bold
        cell.fill = header_fill
    for r in rows:
        texts = descriptors.get(r.value_code.pk, {})
        lv.append(
            [r.value_code.code, r.value_code.title]
            + [texts.get(level.number, "") for level in levels]
        )
    for row in lv.iter_rows(min_row=1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    lv.column_dimensions["A"].width = 8
    lv.column_dimensions["B"].width = 30
    for i in range(len(levels)):
        lv.column_dimensions[column_letter(3 + i)].width = 45
    lv.freeze_panes = "C2"
    lv.protection.sheet = True
    lv.protection.formatColumns = False
    lv.protection.formatRows = False

    info = wb.create_sheet(ABOUT)
    for label, text in about:
        info.append([label, text])
    for (label_cell, text_cell) in info.iter_rows(min_row=1, max_col=2):  # fmt: skip
        label_cell.font = bold
        label_cell.alignment = Alignment(vertical="top")
        text_cell.alignment = Alignment(wrap_text=True, vertical="top")
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 100
    info.protection.sheet = True
    for sheet in wb.worksheets:
        neutralise_sheet(sheet)  # people's text stays text (diagnostic/lib/spreadsheets.py)

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _about_common(layout: Layout, response: Response, by: User) -> list[tuple[str, str]]:
    now = timezone.localtime()
    span = _span(_level_names(response))
    hidden = f"{column_letter(layout.version_column)} to {column_letter(layout.version_column + 2)}"
    editable = (
        f"{column_letter(len(INFO_HEADINGS) + 1)} to "
        f"{column_letter(len(INFO_HEADINGS) + len(layout.fields))}"
    )
    return [
        ("Organisation", response.organisation.name),
        ("Round", response.round.name),
        ("Framework", response.round.framework_version.display_label),
        ("Downloaded", now.strftime("%d/%m/%Y %H:%M") + " (UK time)"),
        ("Downloaded by", f"{by.full_name} ({by.email})"),
        ("How to fill it in",
         f"Change only columns {editable} of the Answers sheet (the white cells); the grey ones "
         f"are locked. Choose from the drop-downs: levels are {span} or 'Not yet assessed', and "
         "the Levels sheet says what each level looks like for each value code. Empty a cell to "
         "clear the answer. Rows you delete are left as they are in the app."),
        ("How to upload",
         f"Sign in and go to {upload_url(layout, response)} , choose this file and press Upload. "
         "The whole file is checked first: if any cell has a problem, nothing is stored and "
         "every problem is listed by sheet, row and column, so you can fix them all and upload "
         "again. Only the cells you changed are stored."),
        ("Conflicts",
         "If someone changes an answer in the app after you download this file, and you change "
         "the same cell here, the upload reports a conflict showing both values and stores "
         "nothing. You can then upload the file again ticking 'Keep the app's values for the "
         "conflicting cells and store my other changes', or download a fresh copy. A cell you did "
         "not change never overwrites the app."),
        ("Hidden columns",
         f"Columns {hidden} of the Answers sheet record what you downloaded, so the upload can "
         "tell what you changed. Do not change them: a changed one makes the upload refuse that "
         "row."),
    ]  # fmt: skip


def response_workbook(response: Response, *, by: User, can_upload: bool) -> bytes:
    about = [
        ("What this file is",
         f"The agreed answers of {response.organisation.name}'s response to {response.round.name}, "
         "as they stood when this file was downloaded."
         + ("" if can_upload else " Only your organisation's lead can upload changes.")),
    ] + _about_common(AGREED, response, by)  # fmt: skip
    return build_workbook(
        layout=AGREED, scope=scope_of_response(response), response=response,
        rows=agreed_rows(response), about=about,
    )  # fmt: skip


def views_workbook(assignment: Assignment, *, by: User) -> bytes:
    response = assignment.response
    about = [
        ("What this file is",
         f"Your own views ({assignment.label}) on the value codes {response.organisation.name}'s "
         f"lead asked you about for {response.round.name}. They are yours, not the agreed "
         "answers: the lead sees them beside your colleagues' views."),
    ] + _about_common(VIEWS, response, by)  # fmt: skip
    return build_workbook(
        layout=VIEWS, scope=scope_of_assignment(assignment), response=response,
        rows=view_rows(assignment), about=about,
    )  # fmt: skip


# --- Upload: reading the whole file -------------------------------------------------------------
@dataclass
class RowIn:
    """One row of an uploaded Answers sheet, checked."""

    row: int
    value_code: ValueCode
    version: int
    downloaded: dict
    sheet: dict


def _open(data: bytes):
    """The workbook in `data`, or InvalidFile saying why it cannot be read."""
    from openpyxl import load_workbook

    if len(data) > MAX_BYTES:
        raise InvalidFile([Problem(
            "The file", f"is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_BYTES // 1024 // 1024} MB. Upload the file you downloaded from this page.",
        )])  # fmt: skip
    not_xlsx = Problem(
        "The file",
        "is not an Excel workbook (.xlsx) or is damaged. Save it as 'Excel Workbook (.xlsx)' and "
        "upload it again, or download a fresh copy.",
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InvalidFile([not_xlsx]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidFile(
            [Problem("The file", "unpacks to more than 20 MB; it is not one of ours.")]
        )
    _check_parts(data)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds on a damaged file; all mean the same here
        raise InvalidFile([not_xlsx]) from None


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s[^>]*ref=\"[A-Z]*\d*:?[A-Z]*(\d+)\"")
_ROW = re.compile(rb"<(?:\w+:)?row[\s/>]")


def _check_parts(data: bytes) -> None:
    """Refuse, before any cell is read, a workbook whose XML declares entities or whose
    worksheets declare or hold more rows than any of ours (ASVS 1.5.1, 5.2.1, 5.2.3).

    openpyxl parses with defusedxml (a dependency), which refuses entities too; this check
    names the problem, and the row count stops a sheet of empty rows being walked.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename.endswith((".xml", ".rels")):
                continue
            text = archive.read(info)
            if b"<!ENTITY" in text or b"<!DOCTYPE" in text:
                raise InvalidFile([Problem(
                    "The file", "contains XML entity or document type definitions, which "
                    "spreadsheets saved by Excel or LibreOffice never do. Download a fresh copy.",
                )])  # fmt: skip
            if not info.filename.startswith("xl/worksheets/"):
                continue
            declared = _DIMENSION.search(text)
            rows = len(_ROW.findall(text))
            if rows > MAX_SHEET_ROWS or (declared and int(declared.group(1)) > MAX_SHEET_ROWS):
                raise InvalidFile([Problem(
                    "The file", f"has a sheet of more than {MAX_SHEET_ROWS:,} rows; it is not "
                    "one of ours. Download a fresh copy.",
                )])  # fmt: skip


def read_answers_sheet(
    data: bytes, *, layout: Layout, scope: str, codes: dict[str, ValueCode],
    asked: set[str] | None = None, level_names: dict[str, int],
) -> list[RowIn]:  # fmt: skip
    """Read and check a whole uploaded file; raise InvalidFile listing every problem.

    `codes` are the round's value codes by code; `asked`, for a contributor, the codes they
    were asked about. Returns the rows that name a value code, each with its values as
    downloaded and as in the file.
    """
    wb = _open(data)
    try:
        return _read(wb, layout=layout, scope=scope, codes=codes, asked=asked,
                     level_names=level_names)  # fmt: skip
    finally:
        wb.close()


def _rows_or_damaged(rows):
    """The sheet's rows; a sheet's XML is parsed as its rows are read, so damage (broken XML,
    entities refused by defusedxml, a cell openpyxl cannot decode) shows only here."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except (ParseError, DefusedXmlException, ValueError, KeyError, TypeError):
            raise InvalidFile([Problem(
                "The file", "is damaged: a sheet's contents cannot be read. Save it again as "
                "'Excel Workbook (.xlsx)' and upload it, or download a fresh copy.",
            )]) from None  # fmt: skip
        yield row


def _read(wb, *, layout, scope, codes, asked, level_names) -> list[RowIn]:
    if ANSWERS not in wb.sheetnames:
        raise InvalidFile([Problem(
            "The file", f"has no sheet called '{ANSWERS}' (it has {', '.join(wb.sheetnames)}). "
            "Upload the file you downloaded, with its sheets as they were named.",
        )])  # fmt: skip
    ws = wb[ANSWERS]
    headings = layout.headings
    rows = _rows_or_damaged(ws.iter_rows(max_col=len(headings)))
    header = [c.value for c in next(rows, ())]
    header += [None] * (len(headings) - len(header))
    found = [str(h).strip() if h is not None else "" for h in header]
    if [h.lower() for h in found] != [h.lower() for h in headings]:
        other = VIEWS if layout is AGREED else AGREED
        trimmed = [h.lower() for h in found]
        while trimmed and not trimmed[-1]:
            trimmed.pop()
        if len(trimmed) > len(INFO_HEADINGS) and trimmed == [
            h.lower() for h in other.headings[: len(trimmed)]
        ]:
            what = "one contributor's own views" if layout is AGREED else "the agreed answers"
            raise InvalidFile([Problem(
                f"{ANSWERS}, row 1", f"this file holds {what}, not what this page takes. "
                "Upload it on its own page, or download the file from this page.",
            )])  # fmt: skip
        problems = [
            Problem(
                f"{ANSWERS}, row 1, column {column_letter(i)}",
                f"the heading should be '{want}'"
                + (f" but is '{_shown(got)}'" if got else " but the cell is empty")
                + ". Download a fresh copy rather than moving or renaming columns.",
            )
            for i, (want, got) in enumerate(zip(headings, found, strict=True), start=1)
            if want.lower() != got.lower()
        ]
        raise InvalidFile(problems)

    problems: list[Problem] = []
    out: list[RowIn] = []
    seen: dict[str, int] = {}
    first_field = len(INFO_HEADINGS)
    content_rows = 0
    for number, cells in enumerate(rows, start=2):
        cells = list(cells) + [None] * (len(headings) - len(cells))
        values = [getattr(c, "value", None) for c in cells]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        content_rows += 1
        if content_rows > MAX_ROWS:
            problems.append(
                Problem(ANSWERS, f"has more than {MAX_ROWS} rows; it is not one of ours.")
            )
            break
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(
                ANSWERS, f"the first {MAX_PROBLEMS} problems are listed; there are more "
                f"from row {number} on",
            ))  # fmt: skip
            break
        code = str(values[0]).strip() if values[0] is not None else ""
        if not code:
            problems.append(Problem(where(number, 1, layout),
                            "no value code; a row needs the code it was downloaded with"))  # fmt: skip
            continue
        vc = codes.get(code)
        if vc is None:
            problems.append(Problem(where(number, 1, layout),
                            f"'{_shown(code)}' is not a value code of this round's framework"))  # fmt: skip
            continue
        if asked is not None and code not in asked:
            problems.append(Problem(where(number, 1, layout),
                            f"you were not asked about {code}; remove this row"))  # fmt: skip
            continue
        if code in seen:
            problems.append(Problem(where(number, 1, layout),
                            f"{code} is also on row {seen[code]}; keep one row for each value code"))  # fmt: skip
            continue
        seen[code] = number

        # The hidden columns: what was downloaded, and their check.
        version_raw, values_raw, check_raw = values[
            layout.version_column - 1 : layout.version_column + 2
        ]
        downloaded = None
        hidden_ok = True
        try:
            version = int(version_raw)
            if version != version_raw and str(version) != str(version_raw).strip():
                raise ValueError
            values_text = str(values_raw)
            if not constant_time_compare(str(check_raw), _check(scope, code, version, values_text)):
                raise ValueError
            downloaded = from_json(json.loads(values_text), layout.fields)
        except (TypeError, ValueError, AttributeError):
            problems.append(Problem(
                where(number, layout.version_column, layout),
                "the hidden columns recording what you downloaded were changed, or this row comes "
                "from a file downloaded for another response or person; the upload cannot tell what "
                "you changed. Download a fresh copy and make your changes in it.",
            ))  # fmt: skip
            hidden_ok = False  # the visible cells are still checked, so every problem is listed

        sheet: dict = {}
        row_ok = hidden_ok
        for i, name in enumerate(layout.fields):
            cell = cells[first_field + i]
            raw = values[first_field + i]
            column = first_field + i + 1
            if getattr(cell, "data_type", None) == "f":
                problems.append(Problem(where(number, column, layout),
                                f"'{_shown(raw)}' is a formula; type the value itself"))  # fmt: skip
                row_ok = False
                continue
            try:
                sheet[name] = parse_field(name, raw, level_names)
            except CellError as exc:
                problems.append(Problem(where(number, column, layout), str(exc)))
                row_ok = False
        if not row_ok:
            continue
        if target_below(sheet):
            problems.append(Problem(
                where(number, layout.column_of("target_level"), layout),
                f"the target {sheet['target_level']} is below the current level "
                f"{sheet['current_level']}; aim at the current level or higher",
            ))  # fmt: skip
            continue
        out.append(RowIn(number, vc, version, downloaded, sheet))
    if problems:
        raise InvalidFile(problems)
    return out


# --- Upload: what changes, what conflicts ---------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One cell the person changed: from what they downloaded to what the file says."""

    row: int
    column: int
    code: str
    title: str
    field: str
    downloaded: object
    sheet: object
    app: object  # the app's value now

    @property
    def heading(self) -> str:
        return HEADINGS[self.field]

    def summary(self, layout: Layout) -> dict:
        """For the result and conflict pages (and the session, between POST and GET)."""
        return {
            "where": where(self.row, self.column, layout),
            "code": self.code,
            "title": self.title,
            "heading": self.heading,
            "downloaded": display(self.field, self.downloaded),
            "sheet": display(self.field, self.sheet),
            "app": display(self.field, self.app),
        }


@dataclass
class Plan:
    layout: Layout
    changes: list[Cell] = field(default_factory=list)
    conflicts: list[Cell] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)  # the app's version now, by code
    value_codes: dict[str, ValueCode] = field(default_factory=dict)

    def changes_by_code(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for c in self.changes:
            out.setdefault(c.code, {})[c.field] = c.sheet
        return out


def plan_changes(layout: Layout, rows: list[RowIn], current: dict[str, tuple[int, dict]]) -> Plan:
    """Compare each cell three ways (downloaded, file, app now). Pure.

    A cell the person did not change is left alone, whatever the app holds now. A changed cell
    whose app value also moved since the download is a conflict, unless both now agree.
    """
    plan = Plan(layout)
    for r in rows:
        version, app = current.get(r.value_code.code, (0, None))
        app = app or from_json({}, layout.fields)
        plan.versions[r.value_code.code] = version
        plan.value_codes[r.value_code.code] = r.value_code
        for name in layout.fields:
            mine, before, now = r.sheet[name], r.downloaded[name], app[name]
            if mine in (before, now):
                continue
            cell = Cell(r.row, layout.column_of(name), r.value_code.code, r.value_code.title,
                        name, before, mine, now)  # fmt: skip
            (plan.conflicts if now != before else plan.changes).append(cell)
    return plan


def check_merged(plan: Plan, current: dict[str, tuple[int, dict]]) -> list[Problem]:
    """A target and current level that each look fine may not fit together once merged with a
    current level (or target) changed in the app meanwhile."""
    problems = []
    rows = {c.code: c.row for c in plan.changes}
    for code, changes in plan.changes_by_code().items():
        _version, app = current.get(code, (0, None))
        merged = {**(app or {}), **changes}
        if target_below(merged):
            name = "target_level" if "target_level" in changes else "current_level"
            problems.append(Problem(
                where(rows[code], plan.layout.column_of(name), plan.layout),
                f"with the app's values now, the target {merged['target_level']} would be below "
                f"the current level {merged['current_level']}; check the app and this row",
            ))  # fmt: skip
    return problems


class Conflicts(Exception):
    """Cells changed both in the file and in the app since the download; nothing was stored."""

    def __init__(self, plan: Plan):
        self.plan = plan
        super().__init__(f"{len(plan.conflicts)} conflict(s)")


class SaveFailed(Exception):
    """A save was refused part-way (a race, or a rule of the service); everything was undone."""


@dataclass
class Outcome:
    plan: Plan

    @property
    def cells(self) -> int:
        return len(self.plan.changes)

    @property
    def value_codes(self) -> int:
        return len({c.code for c in self.plan.changes})

    def summary(self) -> dict:
        return {
            "cells": self.cells,
            "value_codes": self.value_codes,
            "changes": [c.summary(self.plan.layout) for c in self.plan.changes],
            "kept": [c.summary(self.plan.layout) for c in self.plan.conflicts],
        }


def _level_names(response: Response) -> dict[str, int]:
    return {
        " ".join(lv.name.lower().split()): lv.number
        for lv in Level.objects.filter(version_id=response.round.framework_version_id)
    }


def _all_codes(response: Response) -> dict[str, ValueCode]:
    return {
        vc.code: vc
        for vc in ValueCode.objects.filter(version_id=response.round.framework_version_id)
    }


def _lock(response: Response) -> Response:
    locked = Response.objects.select_for_update().select_related("round").get(pk=response.pk)
    if not locked.is_editable:
        raise ResponseLocked(response.pk)
    return locked


def _apply(plan: Plan, keep_app_values: bool, current, save) -> None:
    if plan.conflicts and not keep_app_values:
        raise Conflicts(plan)
    problems = check_merged(plan, current)
    if problems:
        raise InvalidFile(problems)
    rows = {c.code: c.row for c in plan.changes}
    for code, changes in plan.changes_by_code().items():
        try:
            save(plan.value_codes[code], plan.versions[code], changes)
        except assessment_services.StaleAnswer:
            raise SaveFailed(
                f"{code} was saved by someone else while your file was being stored."
            ) from None
        except ValidationError as exc:
            layout = plan.layout
            found = []
            for field, messages in getattr(exc, "error_dict", {"": exc.error_list}).items():
                text = "; ".join(m for e in messages for m in e.messages)
                if field in layout.fields:
                    found.append(Problem(where(rows[code], layout.column_of(field), layout), text))
                else:
                    found.append(Problem(f"{ANSWERS}, row {rows[code]}", text))
            raise InvalidFile(found) from None


def do_upload_agreed_answers(
    *, by: User, response: Response, data: bytes, keep_app_values: bool = False
) -> Outcome:
    """Store the changed cells of an uploaded agreed-answers file, all or nothing.

    Raises InvalidFile (every problem), Conflicts (nothing stored unless `keep_app_values`),
    ResponseLocked, SaveFailed or PermissionDenied (only the lead changes agreed answers).
    """
    assessment_services.check_can_answer(by, response)
    rows = read_answers_sheet(
        data, layout=AGREED, scope=scope_of_response(response), codes=_all_codes(response),
        level_names=_level_names(response),
    )  # fmt: skip
    with transaction.atomic():
        locked = _lock(response)
        current = {
            a.value_code.code: (a.version, normalise(a.values()))
            for a in Answer.objects.filter(response=locked).select_related("value_code")
        }
        plan = plan_changes(AGREED, rows, current)

        def save(vc, version, changes):
            assessment_services.do_save_answer(
                response=locked, value_code=vc, by=by, expected_version=version, **changes
            )

        _apply(plan, keep_app_values, current, save)
        outcome = Outcome(plan)
        record(
            "answers.uploaded", actor=by, obj=locked, organisation_id=locked.organisation_id,
            cells=outcome.cells, value_codes=outcome.value_codes,
            conflicts_kept=len(plan.conflicts), rows=len(rows),
        )  # fmt: skip
    return outcome


def do_upload_views(
    *, by: User, assignment: Assignment, data: bytes, keep_app_values: bool = False
) -> Outcome:
    """Store the changed cells of a contributor's uploaded file of their own views.

    Only the value codes they were asked about; the same rules as `do_upload_agreed_answers`.
    """
    response = assignment.response
    codes = _all_codes(response)
    asked = {vc.code for vc in assignment.value_codes()}
    rows = read_answers_sheet(
        data, layout=VIEWS, scope=scope_of_assignment(assignment), codes=codes, asked=asked,
        level_names=_level_names(response),
    )  # fmt: skip
    with transaction.atomic():
        _lock(response)
        current = {
            a.value_code.code: (a.version, normalise(a.values()))
            for a in ContributorAnswer.objects.filter(assignment=assignment).select_related(
                "value_code"
            )
        }
        plan = plan_changes(VIEWS, rows, current)

        def save(vc, version, changes):
            try:
                services.do_save_view(
                    assignment=assignment, value_code=vc, by=by, expected_version=version,
                    **changes,
                )  # fmt: skip
            except services.NotAsked:
                raise SaveFailed(f"You are no longer asked about {vc.code}.") from None

        _apply(plan, keep_app_values, current, save)
        outcome = Outcome(plan)
        record(
            "views.uploaded", actor=by, obj=assignment, organisation_id=response.organisation_id,
            cells=outcome.cells, value_codes=outcome.value_codes,
            conflicts_kept=len(plan.conflicts), rows=len(rows),
        )  # fmt: skip
    return outcome
