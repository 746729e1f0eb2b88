"""Every submitted response as one flat table: one row per organisation × value code."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from diagnostic.assessments.models import Answer, Round
from diagnostic.frameworks.levels import scale_for
from diagnostic.lib.spreadsheets import neutralise_row, write_only_row

COLUMNS = [
    "round", "organisation_code", "organisation", "region", "type", "nation", "submitted_at",
    "spend_band", "team_size", "shared_service", "consent_regional_sharing", "theme", "key_area",
    "value_code", "value_code_title", "current_level", "not_yet_assessed", "target_level",
    "target_date", "priority", "could_share", "want_support", "comment",
]  # fmt: skip


def answers(rnd: Round):
    """The answers of the round's submitted responses, in export order (a queryset, so the
    API can page it)."""
    return (
        Answer.objects.filter(response__round=rnd, response__status="submitted")
        .select_related("response__organisation__region", "value_code__key_area__theme")
        .order_by("response__organisation__name", "value_code__position")
    )


def rows(rnd: Round) -> Iterator[list]:
    for a in answers(rnd).iterator(chunk_size=2000):
        yield row(rnd, a)


def row(rnd: Round, a: Answer) -> list:
    """One answer as one row of COLUMNS."""
    r, o, vc = a.response, a.response.organisation, a.value_code
    return [
        rnd.name, o.gss_code, o.name, o.region.name, o.get_type_display(), o.nation,
        r.submitted_at.isoformat() if r.submitted_at else "", r.get_spend_band_display(),
        r.get_team_size_display(), r.get_shared_service_display(), "yes" if r.consent_regional_sharing else "no",
        vc.key_area.theme.name, vc.key_area.name, vc.code, vc.title,
        a.current_level if a.current_level else "", "yes" if a.current_level == 0 else "no",
        a.target_level or "", a.target_date.isoformat() if a.target_date else "", a.get_priority_display(),
        "yes" if a.could_share else "no", "yes" if a.want_support else "no", a.comment,
    ]  # fmt: skip


class _Echo:
    def write(self, value):
        return value


def csv_stream(rnd: Round) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so Excel opens it as UTF-8
    yield writer.writerow(COLUMNS)
    for row in rows(rnd):
        yield writer.writerow(neutralise_row(row))


def xlsx_bytes(rnd: Round) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Responses")
    ws.append(COLUMNS)
    for row in rows(rnd):
        ws.append(write_only_row(ws, row))
    about = wb.create_sheet("About")
    for line in [
        [
            "Dataset",
            f"Every submitted response to {rnd.name}, one row per organisation and value code",
        ],
        ["Framework", rnd.framework_version.display_label],
        [
            "Levels",
            "current_level "
            + " · ".join(scale_for(rnd.framework_version_id).labels)
            + "; not_yet_assessed = yes when the council chose that",
        ],
        ["Audience", "National team only: this file names councils. Do not publish it."],
    ]:
        about.append(write_only_row(about, line))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
