"""The action plan as CSV, XLSX and the context of its committee paper (PDF).

Every format takes the same `queries.Plan`, so each holds the rows the page shows, numbered
and ordered as the page numbers and orders them.
"""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from diagnostic.lib.spreadsheets import neutralise_row, neutralise_sheet
from diagnostic.plans.queries import Plan

COLUMNS = ["number", "action", "details", "owner", "due_date", "status", "overdue",
           "value_codes", "origin", "last_updated"]  # fmt: skip


def rows(plan: Plan, *, dates_as_text: bool = True) -> list[list]:
    today = timezone.localdate()
    out = []
    for a in plan.actions:
        due = a.due_date.isoformat() if dates_as_text and a.due_date else a.due_date
        out.append([
            a.number, a.title, a.description, a.owner, due or "", a.get_status_display(),
            "yes" if a.is_overdue(today) else "no",
            ", ".join(vc.code for vc in a.value_codes.all()), a.get_origin_display(),
            timezone.localtime(a.updated_at).strftime("%Y-%m-%d %H:%M"),
        ])  # fmt: skip
    return out


def csv_text(plan: Plan) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")  # so Excel opens it as UTF-8
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for row in rows(plan):
        writer.writerow(neutralise_row(row))
    return buf.getvalue()


def about(plan: Plan) -> list[list]:
    r = plan.response
    lines = [
        ["Organisation", r.organisation.name],
        ["Round", r.round.name],
        ["Framework", r.round.framework_version.display_label],
        ["Downloaded", timezone.localtime().strftime("%d %B %Y %H:%M")],
        ["Actions", plan.total],
    ]
    lines += [[label, count] for label, count in plan.summary]
    lines.append(["Overdue", plan.overdue])
    return lines


def xlsx_bytes(plan: Plan) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Action plan"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows(plan, dates_as_text=False):
        ws.append(row)
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    widths = {
        "A": 8,
        "B": 50,
        "C": 70,
        "D": 28,
        "E": 12,
        "F": 14,
        "G": 9,
        "H": 20,
        "I": 30,
        "J": 17,
    }
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2, min_col=2, max_col=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    info = wb.create_sheet("About")
    for line in about(plan):
        info.append(line)
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 60
    for sheet in wb.worksheets:
        neutralise_sheet(sheet)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def paper_context(plan: Plan) -> dict:
    """What the committee paper template needs."""
    r = plan.response
    return {
        "plan": plan,
        "response": r,
        "organisation": r.organisation,
        "round": r.round,
        "generated_at": timezone.localtime(),
        "today": timezone.localdate(),
    }
