"""A council's results: on screen (the accessible HTML version) and as a PDF report."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from diagnostic.accounts import access
from diagnostic.analytics import charts, council
from diagnostic.assessments import queries as assessment_queries
from diagnostic.reports.pdf import LateImages, pdf_response, render_pdf


def _chart_rows(area_rows: list[dict], scale) -> list[dict]:
    return [
        {
            "name": r["name"],
            "counts": {lv: r["counts"].get(lv, 0) for lv in (0, *scale.numbers)},
            "answers": sum(r["counts"].get(lv, 0) for lv in scale.numbers),
        }
        for r in area_rows
    ]


def results_context(
    request: HttpRequest, response, *, late_images: LateImages | None = None
) -> dict:
    """The results page's context; with `late_images` (the PDF report), the charts are drawn
    while the PDF renders (`reports.pdf.LateImages`) instead of now."""
    own = council.own_levels(response)
    comp = council.comparisons(response, own)
    previous = council.previous_rounds(response)
    scale = own["scale"]
    name = response.organisation.short_name

    def mk(make_spec, alt_text):
        if late_images is not None:
            return charts.late_chart(make_spec, alt_text=alt_text, late_images=late_images)
        return charts.chart(make_spec(), alt_text=alt_text)

    ctx = {
        "response": response,
        "organisation": response.organisation,
        "round": response.round,
        "own": own,
        "comparison": comp,
        "previous": previous,
        "levels": scale.as_list(),
        "charts": {
            "grid": mk(
                lambda: charts.value_code_grid(
                    own["answers"],
                    title=f"{name}: current level of every value code",
                    scale=scale,
                ),
                "Grid of every value code coloured by its current level; the levels are listed in the tables below.",
            ),
            "areas": mk(
                lambda: charts.level_distribution(
                    _chart_rows(own["areas"], scale),
                    title=f"{name}: levels by key area",
                    scale=scale,
                ),
                "Stacked bars of the share of value codes at each level in each key area; the figures are in the table below.",
            ),
            "compare": mk(
                lambda: charts.comparison_dots(
                    comp["table"],
                    comp["groups"],
                    title=f"{name} compared with other councils (median level)",
                    scale=scale,
                    own_label=name,
                ),
                "Dots showing the council's median level in each key area beside the median of each comparison group; the figures are in the table below.",
            ),
        },  # fmt: skip
        "generated_at": timezone.now(),
    }
    if response.round_id and hasattr(response, "actions"):
        ctx["actions"] = list(
            response.actions.prefetch_related("value_codes").order_by("position", "pk")
        )
    return ctx


@login_required
@require_safe
def results(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_user(request.user, response_id)
    return render(request, "analytics/council_results.html", results_context(request, response))


@login_required
@require_safe
def report_pdf(request: HttpRequest, response_id: int) -> HttpResponse:
    """The results as a report for the council's leadership (the same content as the page)."""
    response = access.get_response_for_user(request.user, response_id)
    late_images = LateImages()
    ctx = results_context(request, response, late_images=late_images)
    ctx["items"] = assessment_queries.items_for(response)
    pdf = render_pdf("analytics/council_report_pdf.html", ctx, late_images=late_images)
    return pdf_response(
        pdf, f"{slugify(response.organisation.short_name + ' ' + response.round.name)}-results.pdf"
    )
