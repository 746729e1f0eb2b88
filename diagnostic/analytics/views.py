"""National and regional dashboards, drill-down, publication and the public results."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from diagnostic.accounts import access
from diagnostic.analytics import charts, queries
from diagnostic.analytics.cache import cached
from diagnostic.analytics.forms import DashboardFilterForm
from diagnostic.analytics.models import Publication
from diagnostic.assessments.models import Round
from diagnostic.audit.services import record
from diagnostic.frameworks.models import KeyArea, Level, Theme, ValueCode


def _rounds():
    return (
        Round.objects.exclude(status=Round.Status.DRAFT)
        .select_related("framework_version")
        .order_by("-opens_on")
    )


def _scope_from(request, *, region=None):
    rounds = _rounds()
    form = DashboardFilterForm(request.GET or None, rounds=rounds, fixed_region=region,
                               initial={"round": rounds.first()})  # fmt: skip
    data = form.cleaned_data if form.is_valid() else {}
    rnd = data.get("round") or rounds.first()
    if rnd is None:
        return form, None, None
    scope = queries.Scope(
        round_id=rnd.pk,
        region_id=region.pk if region else (data.get("region").pk if data.get("region") else None),
        org_type=data.get("type", ""),
        nation=data.get("nation", ""),
        enabler=data.get("enabler", ""),
    )
    return form, rnd, (scope, data.get("compare"))


def _colours(rnd) -> dict[int, str]:
    return {
        lv.number: lv.colour for lv in Level.objects.filter(version_id=rnd.framework_version_id)
    }


def _dashboard(request, *, region=None, national: bool):
    form, rnd, parts = _scope_from(request, region=region)
    ctx = {"form": form, "round": rnd, "region": region, "national": national}
    if rnd is None:
        return render(request, "analytics/dashboard.html", ctx)
    scope, compare = parts
    k = (scope.key(), national)

    def compute():
        by_theme = queries.levels_by(scope, "theme", national=national)
        by_area = queries.levels_by(scope, "key_area", national=national)
        part_region = queries.participation_by(scope, "region")
        heat_region = queries.heatmap(scope, "region", national=national)
        heat_type = queries.heatmap(scope, "type", national=national)
        colours = _colours(rnd)
        label = f"{rnd.name}{' – ' + region.name if region else ''}"
        return {
            "participation": queries.participation(scope),
            "by_region": part_region,
            "by_type": queries.participation_by(scope, "type"),
            "by_nation": queries.participation_by(scope, "nation"),
            "by_theme": by_theme,
            "by_area": by_area,
            "heat_region": heat_region,
            "heat_type": heat_type,
            "charts": {
                "areas": charts.chart(charts.level_distribution(by_area, title=f"Current levels by key area, {label}", colours=colours),
                                      alt_text="Stacked bars of the share of answers at each level for each key area; the figures are in the table below."),
                "themes": charts.chart(charts.level_distribution(by_theme, title=f"Current levels by theme, {label}", colours=colours),
                                       alt_text="Stacked bars of the share of answers at each level for each theme; the figures are in the table below."),
                "map": charts.chart(charts.participation_map(part_region, title=f"Share of eligible councils that submitted, {rnd.name}"),
                                    alt_text="Map of the regions shaded by the share of eligible councils that submitted; the figures are in the table beside it."),
                "heat_region": charts.chart(charts.heatmap(heat_region, title="Median current level, region by key area", colours=colours),
                                            alt_text="Grid of median levels by region and key area; the figures are in the table below."),
                "heat_type": charts.chart(charts.heatmap(heat_type, title="Median current level, council type by key area", colours=colours),
                                          alt_text="Grid of median levels by council type and key area; the figures are in the table below."),
            },
        }  # fmt: skip

    def compute_region_map():
        from diagnostic.assessments.models import Response

        stages = {
            r.organisation.gss_code: (r.organisation.short_name, r.stage_label)
            for r in Response.objects.filter(round_id=rnd.pk, organisation__region=region)
            .select_related("organisation")
            .only("status", "started_at", "organisation__gss_code", "organisation__short_name")
        }
        return charts.chart(
            charts.council_stage_map(stages, title=f"{region.name}: each council's stage, {rnd.name}"),
            alt_text="Map of the region's councils shaded by stage: not started, in progress or submitted; the round page lists each council by name.",
        )  # fmt: skip

    ctx.update(cached("dashboard", rnd.pk, k, compute))
    if region is not None:
        # A region is one shape on the regions map: its own councils instead.
        ctx["charts"] = {
            **ctx["charts"],
            "map": cached("region-map", rnd.pk, (region.pk,), compute_region_map),
        }
    if compare and compare.pk != rnd.pk:
        ctx["compare"] = compare
        ctx["change"] = cached(
            "change",
            rnd.pk,
            (k, compare.pk),
            lambda: queries.change_between(scope, compare.pk, national=national),
        )
    ctx["themes"] = Theme.objects.filter(version_id=rnd.framework_version_id).order_by("position")
    ctx["query_string"] = request.GET.urlencode()
    template = "analytics/dashboard.html#panel" if request.htmx else "analytics/dashboard.html"
    return render(request, template, ctx)


@login_required
def national(request: HttpRequest) -> HttpResponse:
    access.require_national(request.user)
    return _dashboard(request, national=True)


@login_required
def regional(request: HttpRequest, region_code: str) -> HttpResponse:
    region = access.get_region_for_user(request.user, region_code)
    # The national team sees a region with every figure; a regional lead with small cells hidden.
    return _dashboard(request, region=region, national=access.is_national(request.user))


@login_required
def my_region(request: HttpRequest) -> HttpResponse:
    regions = sorted(access.led_region_ids(request.user))
    if not regions:
        raise Http404
    from diagnostic.organisations.models import Region

    return redirect("analytics:regional", region_code=Region.objects.get(pk=regions[0]).code)


def _drill_down(request):
    """The round, scope and audience of a drill-down page, which keeps the dashboard's filters."""
    form, rnd, parts = _scope_from(request, region=_region_param(request))
    if rnd is None:
        raise Http404
    scope, _ = parts
    return form, rnd, scope, _national_view(request, scope)


@login_required
def key_area(request: HttpRequest, area_id: int) -> HttpResponse:
    """Drill-down: one key area's value codes, in the current filters."""
    form, rnd, scope, national = _drill_down(request)
    area = (
        KeyArea.objects.filter(pk=area_id, version_id=rnd.framework_version_id)
        .select_related("theme")
        .first()
    )
    if area is None:
        raise Http404
    # Suppressed rows keep their key area, so one cached list serves every key area.
    all_rows = cached("levels-vc", rnd.pk, (scope.key(), national),
                      lambda: queries.levels_by(scope, "value_code", national=national))  # fmt: skip
    rows = [r for r in all_rows if r.get("key_area_id") == area.pk]
    chart = charts.chart(charts.level_distribution(rows, title=f"Current levels, {area.name}", colours=_colours(rnd)),
                         alt_text="Stacked bars of the share of answers at each level for each value code; the figures are in the table below.")  # fmt: skip
    ctx = {
        "form": form,
        "round": rnd,
        "area": area,
        "rows": rows,
        "chart": chart,
        "national": national,
        "query_string": request.GET.urlencode(),
    }
    return render(request, "analytics/key_area.html", ctx)


@login_required
def value_code(request: HttpRequest, vc_id: int) -> HttpResponse:
    """Drill-down to the councils behind one value code, named only where allowed."""
    form, rnd, scope, national = _drill_down(request)
    vc = (
        ValueCode.objects.filter(pk=vc_id, version_id=rnd.framework_version_id)
        .select_related("key_area")
        .first()
    )
    if vc is None:
        raise Http404
    named_regions = None if national else access.led_region_ids(request.user)
    councils = queries.councils_at(scope, vc.pk, named_region_ids=named_regions)
    ctx = {
        "round": rnd,
        "vc": vc,
        "councils": councils,
        "national": national,
        "query_string": request.GET.urlencode(),
    }
    return render(request, "analytics/value_code.html", ctx)


def _region_param(request):
    """Drill-down keeps the region of a regional dashboard; regional leads are held to theirs."""
    from diagnostic.organisations.models import Region

    code = request.GET.get("in_region", "")
    if code:
        return access.get_region_for_user(request.user, code)
    if access.is_national(request.user):
        return None
    led = access.led_region_ids(request.user)
    if not led:
        raise Http404
    return Region.objects.get(pk=sorted(led)[0])


def _national_view(request, scope) -> bool:
    if access.is_national(request.user):
        return True
    if scope.region_id in access.led_region_ids(request.user):
        return False
    raise Http404


@login_required
@cache_control(private=True, max_age=7 * 24 * 3600, immutable=True)
def chart_svg(request: HttpRequest, digest: str) -> HttpResponse:
    """A rendered chart for signed-in pages, by the hash of its spec (which cannot be guessed).
    Public pages embed their charts inline instead."""
    svg = charts.svg_for_digest(digest) if len(digest) == 64 else None
    if svg is None:
        raise Http404
    return HttpResponse(svg, content_type="image/svg+xml")


@login_required
def export_responses(request: HttpRequest, round_id: int, fmt: str) -> HttpResponse:
    """Every submitted response as one flat CSV or XLSX, for the national team's analysts."""
    from django.http import StreamingHttpResponse

    from diagnostic.analytics import exports

    access.require_national(request.user)
    rnd = Round.objects.select_related("framework_version").filter(pk=round_id).first()
    if rnd is None:
        raise Http404
    record("responses.exported", actor=request.user, obj=rnd, format=fmt)
    name = f"nps-responses-{rnd.pk}"
    if fmt == "csv":
        response = StreamingHttpResponse(
            exports.csv_stream(rnd), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            exports.xlsx_bytes(rnd),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- Publication and the public results ----------------------------------------------------------
@login_required
@require_POST
def publish(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = access.get_round_for_admin(request.user, round_id)
    if request.POST.get("action") == "withdraw":
        Publication.objects.filter(round=rnd).delete()
        record("results.withdrawn", actor=request.user, obj=rnd)
        messages.success(request, f"The results of {rnd.name} are no longer published.")
    else:
        Publication.objects.get_or_create(round=rnd, defaults={"published_by": request.user})
        record("results.published", actor=request.user, obj=rnd)
        messages.success(request, f"The national results of {rnd.name} are now public.")
    return redirect("assessments:rounds")


def _public_round(round_id=None):
    published = Round.objects.filter(publication__isnull=False).order_by("-opens_on")
    if round_id is None:
        return published.first(), published
    rnd = published.filter(pk=round_id).first()
    if rnd is None:
        raise Http404
    return rnd, published


def public_results(request: HttpRequest, round_id: int | None = None) -> HttpResponse:
    rnd, published = _public_round(round_id)
    ctx = {"round": rnd, "published": published}
    if rnd is not None:
        ctx.update(cached("public", rnd.pk, (), lambda: public_figures(rnd)))
    return render(request, "analytics/public_results.html", ctx)


def public_figures(rnd: Round) -> dict:
    """The published figures: every cell from fewer than 5 organisations is hidden."""
    scope = queries.Scope(rnd.pk)
    by_theme = queries.levels_by(scope, "theme", national=False)
    by_area = queries.levels_by(scope, "key_area", national=False)
    by_region = [_suppress_participation(r) for r in queries.participation_by(scope, "region")]
    colours = _colours(rnd)
    return {
        "participation": queries.participation(scope),
        "by_region": by_region,
        "by_theme": by_theme,
        "by_area": by_area,
        "charts": {
            "areas": charts.chart(
                charts.level_distribution(
                    by_area, title=f"Current levels by key area, {rnd.name}", colours=colours
                ),
                alt_text="Stacked bars of the share of answers at each level for each key area; the figures are in the table below.",
                inline=True,
            ),
        },  # fmt: skip
    }


def _suppress_participation(row: dict) -> dict:
    # Participation by region: a region with fewer than 5 submissions shows no figures, so a
    # single council's participation can never be inferred.
    if row["submitted"] < 5:
        return {"key": row["key"], "label": row["label"], "suppressed": True}
    return {**row, "suppressed": False}


PUBLIC_COLUMNS = ["section", "group", "organisations", "answers", "level_1", "level_2", "level_3",
                  "level_4", "level_5", "not_yet_assessed", "median", "mean"]  # fmt: skip


def _public_rows(figures: dict) -> list[list]:
    rows = []
    for section, items in (("theme", figures["by_theme"]), ("key area", figures["by_area"])):
        for r in items:
            if r["suppressed"]:
                rows.append([section, r["name"], "fewer than 5", *[""] * 9])
                continue
            rows.append([section, r["name"], r["organisations"], r["answers"], *[r["counts"][lv] for lv in range(1, 6)],
                         r["not_assessed"], r["median"], round(r["mean"], 2) if r["mean"] is not None else ""])  # fmt: skip
    for r in figures["by_region"]:
        if r["suppressed"]:
            rows.append(["participation", r["label"], "fewer than 5", *[""] * 9])
        else:
            rows.append(["participation", r["label"], r["submitted"], r["eligible"], *[""] * 8])
    return rows


def public_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd, _ = _public_round(round_id)
    figures = cached("public", rnd.pk, (), lambda: public_figures(rnd))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(PUBLIC_COLUMNS)
    writer.writerows(_public_rows(figures))
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="nps-results-{rnd.pk}.csv"'
    return response


def public_xlsx(request: HttpRequest, round_id: int) -> HttpResponse:
    from openpyxl import Workbook

    rnd, _ = _public_round(round_id)
    figures = cached("public", rnd.pk, (), lambda: public_figures(rnd))
    wb = Workbook()
    ws = wb.active
    ws.title = "Results"
    ws.append(PUBLIC_COLUMNS)
    for row in _public_rows(figures):
        ws.append(row)
    meta = wb.create_sheet("About")
    for row in [
        ["Dataset", f"NPS Diagnostic national results: {rnd.name}"],
        ["Framework", rnd.framework_version.display_label],
        ["Round dates", f"{rnd.opens_on:%d %B %Y} to {rnd.closes_on:%d %B %Y}"],
        ["Published", f"{rnd.publication.published_at:%d %B %Y}"],
        ["Downloaded", f"{timezone.now():%d %B %Y %H:%M}"],
        ["Eligible organisations", figures["participation"]["eligible"]],
        ["Submitted responses", figures["participation"]["submitted"]],
        ["Definitions", "Levels 1 Minimum to 5 Innovator. Counts are answers from submitted responses only; "
                        "'organisations' is how many councils a row is built from. Median and mean of levels 1–5; "
                        "'not yet assessed' answers are counted separately and excluded from both. See docs/metrics.md."],
        ["Suppression", "Any figure built from fewer than 5 organisations is withheld ('fewer than 5')."],
        ["Licence", "Open Government Licence v3.0. Contains data from mySociety's UK Local Authority Names and Codes (CC BY 4.0)."],
    ]:  # fmt: skip
        meta.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="nps-results-{rnd.pk}.xlsx"'
    return response
