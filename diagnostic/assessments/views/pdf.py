"""The response as PDF (draft at any time, or as submitted) and the blank questionnaire."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from diagnostic.accounts import access
from diagnostic.assessments import queries
from diagnostic.reports.pdf import pdf_response, render_pdf


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


@login_required
def response_pdf(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_user(request.user, response_id)
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
    }
    pdf = render_pdf("assessments/pdf/response.html", ctx)
    stem = slugify(f"{response.organisation.short_name} {response.round.name}")
    return pdf_response(pdf, f"{stem}{'-draft' if ctx['draft'] else ''}.pdf")


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
