"""The response as PDF (draft at any time, or as submitted) and the blank questionnaire.

The response PDF carries its sign-off, and on the lead's request (`?appendix=views`) an
appendix of colleagues' views and the consolidation decisions. Only the lead may ask for it:
the views are named colleagues' own judgements, gathered to reach the council's answer, so
they are the lead's to include or leave out; anyone else asking gets 403 rather than a PDF
that silently lacks what they asked for.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from diagnostic.accounts import access
from diagnostic.accounts.models import Role
from diagnostic.assessments import queries
from diagnostic.assessments.models import Response
from diagnostic.consolidation import queries as consolidation_queries
from diagnostic.consolidation.sign_off_status import sign_off_status
from diagnostic.reports.pdf import pdf_response, render_pdf

APPENDIX_VIEWS = "views"


def _sections(items: list[queries.Item], outline) -> list[dict]:
    """Group items by theme and key area, in order, for the templates."""
    by_area: dict[int, list] = {}
    for item in items:
        by_area.setdefault(item.value_code.key_area_id, []).append(item)
    return [
        {
            "theme": theme,
            "areas": [{"area": a, "items": by_area.get(a.pk, [])} for a in theme.key_areas.all()],
        }
        for theme in outline
    ]


def _level_label(number: int | None, level_by_number: dict) -> str:
    if number is None:
        return "No level given"
    if number == 0:
        return "Not yet assessed"
    level = level_by_number.get(number)
    return f"{number} {level.name}" if level else str(number)


def _views_appendix(response: Response, level_by_number: dict) -> dict:
    """Colleagues' views and the decisions in force, per value code that has either, grouped
    by key area; and who was asked what. A fixed number of queries."""
    assignments = consolidation_queries.assignments_of(response)
    rows = consolidation_queries.consolidation_rows(response, assignments=assignments)
    areas: list[dict] = []
    for row in rows:
        answered = [v for v in row.views if v.answer and (v.level is not None or v.answer.comment)]
        if not answered and row.decision is None:
            continue
        area = row.value_code.key_area
        if not areas or areas[-1]["area"].pk != area.pk:
            areas.append({"area": area, "rows": []})
        d = row.decision
        areas[-1]["rows"].append({
            "row": row,
            "agreed": _level_label(row.agreed.current_level, level_by_number)
            if row.agreed and row.agreed.current_level is not None else "Not answered",
            "views": [
                {"assignment": v.assignment, "level": _level_label(v.level, level_by_number),
                 "comment": v.answer.comment if v.answer else ""}
                for v in row.views
            ],
            "decision": d and {
                "level": _level_label(d.adopted_level, level_by_number),
                "suggested": _level_label(d.suggested_level, level_by_number)
                if d.suggested_level is not None else "No suggestion (no views)",
                "adopted_suggestion": d.adopted_suggestion,
                "by": d.decided_by.full_name if d.decided_by else "Someone no longer registered",
                "at": d.decided_at,
                "reason": d.reason,
            },
        })  # fmt: skip
    return {
        "areas": areas,
        "progress": consolidation_queries.progress_of(response, assignments),
        "value_codes": sum(len(a["rows"]) for a in areas),
    }


@login_required
@require_safe
def response_pdf(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_user(request.user, response_id)
    with_views = request.GET.get("appendix") == APPENDIX_VIEWS
    if with_views and access.role_in(request.user, response.organisation) != Role.LEAD:
        raise PermissionDenied(
            "Only the organisation's lead can include colleagues' views in the PDF."
        )
    version_id = response.round.framework_version_id
    items = queries.items_for(response)
    outline = queries.framework_outline(version_id)
    levels = queries.levels_of(version_id)
    ctx = {
        "response": response,
        "organisation": response.organisation,
        "round": response.round,
        "sections": _sections(items, outline),
        "levels": levels,
        "level_by_number": {lv.number: lv for lv in levels},
        "heatmap": [
            {"area": a, "items": [i for i in items if i.value_code.key_area_id == a.pk]}
            for t in outline
            for a in t.key_areas.all()
        ],
        "generated_at": timezone.now(),
        "draft": not response.is_submitted,
        "sign_off": sign_off_status(response),
    }
    # Every row of the heat map as wide as the widest key area, padded with empty cells, so the
    # table has one column count (WeasyPrint drops cells beyond the first row's, with a warning).
    widest = max((len(row["items"]) for row in ctx["heatmap"]), default=0)
    for row in ctx["heatmap"]:
        row["padding"] = range(widest - len(row["items"]))
    if with_views:
        ctx["appendix"] = _views_appendix(response, ctx["level_by_number"])
    pdf = render_pdf("assessments/pdf/response.html", ctx)
    stem = slugify(f"{response.organisation.short_name} {response.round.name}")
    suffix = ("-draft" if ctx["draft"] else "") + ("-with-views" if with_views else "")
    return pdf_response(pdf, f"{stem}{suffix}.pdf")


@require_safe
def blank_pdf(request: HttpRequest, framework_code: str, version: str) -> HttpResponse:
    """A blank questionnaire to gather colleagues' views on paper. Public: framework text only."""
    fv = access.get_framework_version(framework_code, version)
    from django.db.models import Prefetch

    from diagnostic.frameworks.models import LevelDescriptor, ValueCode

    codes = (
        ValueCode.objects.filter(version=fv)
        .select_related("key_area__theme")
        .prefetch_related(
            Prefetch(
                "descriptors",
                queryset=LevelDescriptor.objects.select_related("level").order_by("level__number"),
            )
        )
        .order_by("position")
    )
    items = [queries.Item(vc, None, list(vc.descriptors.all())) for vc in codes]
    outline = queries.framework_outline(fv.pk)
    ctx = {
        "version": fv,
        "sections": _sections(items, outline),
        "levels": queries.levels_of(fv.pk),
        "blank": True,
    }
    pdf = render_pdf("assessments/pdf/blank.html", ctx)
    return pdf_response(pdf, f"{slugify(fv.name)}-blank-questionnaire.pdf")
