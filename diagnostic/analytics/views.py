"""National and regional dashboards, drill-down, publication and the public results."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from diagnostic.accounts import access
from diagnostic.analytics import charts, queries, services, suppression
from diagnostic.analytics.cache import cached
from diagnostic.analytics.forms import DashboardFilterForm
from diagnostic.assessments.models import Round
from diagnostic.audit.services import record
from diagnostic.frameworks.levels import scale_for
from diagnostic.frameworks.models import Theme
from diagnostic.lib.http import require_get_or_post
from diagnostic.lib.spreadsheets import neutralise_row, neutralise_sheet


def _scope_from(request, *, region=None):
    rounds = access.rounds_for_dashboards(request.user)
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


def _dashboard(request, *, region=None, national: bool):
    form, rnd, parts = _scope_from(request, region=region)
    ctx = {"form": form, "round": rnd, "region": region, "national": national}
    if rnd is None:
        return render(request, "analytics/dashboard.html", ctx)
    if form.errors:
        # A filter that is not on offer (another framework's enabler, a round that cannot be
        # compared) is refused, never silently dropped or answered with zeros.
        template = "analytics/dashboard.html#panel" if request.htmx else "analytics/dashboard.html"
        return render(request, template, ctx, status=400)
    scope, compare = parts
    k = (scope.key(), national)

    def compute():
        scale = scale_for(rnd.framework_version_id)
        by_theme = queries.levels_by(scope, "theme", national=national, scale=scale)
        by_area = queries.levels_by(scope, "key_area", national=national, scale=scale)
        participation = queries.participation(scope)
        part_region = queries.participation_by(scope, "region")
        by_type = queries.participation_by(scope, "type")
        by_nation = queries.participation_by(scope, "nation")
        heat_region = queries.heatmap(scope, "region", national=national)
        heat_type = queries.heatmap(scope, "type", national=national)
        # Small-number suppression, complementary across council types (docs/metrics.md).
        rule = queries.type_partition(scope, national=national)
        if queries.scope_hidden(scope, national=national):
            participation = suppression.hide(participation)
            by_theme, by_area = _hide_all(by_theme), _hide_all(by_area)
            part_region, by_type, by_nation = (
                _hide_all(part_region),
                _hide_all(by_type),
                _hide_all(by_nation),
            )
            heat_region, heat_type = _hide_cells(heat_region), _hide_cells(heat_type)
        elif rule.hidden:
            by_type = [
                suppression.withhold(r) if r["key"] in rule.hidden else {**r, "suppressed": False}
                for r in by_type
            ]
            heat_type = _hide_cells(heat_type, keys=rule.hidden)
        label = f"{rnd.name}{' – ' + region.name if region else ''}"
        return {
            "levels": scale.as_list(),
            "top_levels": scale.top_names(2),
            "participation": participation,
            "by_region": part_region,
            "by_type": by_type,
            "by_nation": by_nation,
            "by_theme": by_theme,
            "by_area": by_area,
            "heat_region": heat_region,
            "heat_type": heat_type,
            "charts": {
                "areas": charts.chart(charts.level_distribution(by_area, title=f"Current levels by key area, {label}", scale=scale),
                                      alt_text="Stacked bars of the share of answers at each level for each key area; the figures are in the table below."),
                "themes": charts.chart(charts.level_distribution(by_theme, title=f"Current levels by theme, {label}", scale=scale),
                                       alt_text="Stacked bars of the share of answers at each level for each theme; the figures are in the table below."),
                "map": charts.chart(charts.participation_map(part_region, title=f"Share of eligible councils that submitted, {rnd.name}"),
                                    alt_text="Map of the regions shaded by the share of eligible councils that submitted; the figures are in the table beside it."),
                "heat_region": charts.chart(charts.heatmap(heat_region, title="Median current level, region by key area", scale=scale),
                                            alt_text="Grid of median levels by region and key area; the figures are in the table below."),
                "heat_type": charts.chart(charts.heatmap(heat_type, title="Median current level, council type by key area", scale=scale),
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

        def change():
            rows = queries.change_between(scope, compare.pk, national=national)
            earlier = replace(scope, round_id=compare.pk)
            if queries.scope_hidden(scope, national=national) or queries.scope_hidden(
                earlier, national=national
            ):
                rows = _hide_all(rows)
            return rows

        ctx["change"] = cached("change", rnd.pk, (k, compare.pk), change)
        # Support offered in the earlier round, and whether it helped (diagnostic/support).
        from diagnostic.support.queries import effect_between

        ctx["support_effect"] = effect_between(compare, rnd, region=region, national=national)
    ctx["themes"] = Theme.objects.filter(version_id=rnd.framework_version_id).order_by("position")
    ctx["query_string"] = request.GET.urlencode()
    template = "analytics/dashboard.html#panel" if request.htmx else "analytics/dashboard.html"
    return render(request, template, ctx)


def _hide_all(rows: list[dict]) -> list[dict]:
    return [suppression.hide(r) for r in rows]


def _hide_cells(matrix: dict, keys=None) -> dict:
    """A heat map with the rows of `keys` (every row if None) hidden."""
    rows = []
    for row in matrix["rows"]:
        if keys is None or row["key"] in keys:
            row = {**row, "cells": [
                {**suppression.hide(c), "area": c["area"], "area_code": c["area_code"]}
                for c in row["cells"]
            ]}  # fmt: skip
        rows.append(row)
    return {**matrix, "rows": rows}


@login_required
@require_safe
def national(request: HttpRequest) -> HttpResponse:
    access.require_national(request.user)
    return _dashboard(request, national=True)


@login_required
@require_safe
def regional(request: HttpRequest, region_code: str) -> HttpResponse:
    region = access.get_region_for_user(request.user, region_code)
    # The national team sees a region with every figure; a regional lead with small cells hidden.
    return _dashboard(request, region=region, national=access.is_national(request.user))


@login_required
@require_safe
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
    if form.errors:
        # A filter not on offer is refused (400), never silently dropped.
        raise BadRequest(" ".join(e for errors in form.errors.values() for e in errors))
    scope, _ = parts
    return form, rnd, scope, _national_view(request, scope)


@login_required
@require_safe
def key_area(request: HttpRequest, area_id: int) -> HttpResponse:
    """Drill-down: one key area's value codes, in the current filters."""
    form, rnd, scope, national = _drill_down(request)
    area = access.get_key_area_for_dashboard(rnd, area_id)
    scale = scale_for(rnd.framework_version_id)

    # Suppressed rows keep their key area, so one cached list serves every key area.
    def compute():
        rows = queries.levels_by(scope, "value_code", national=national, scale=scale)
        return _hide_all(rows) if queries.scope_hidden(scope, national=national) else rows

    all_rows = cached("levels-vc", rnd.pk, (scope.key(), national), compute)
    rows = [r for r in all_rows if r.get("key_area_id") == area.pk]
    chart = charts.chart(charts.level_distribution(rows, title=f"Current levels, {area.name}", scale=scale),
                         alt_text="Stacked bars of the share of answers at each level for each value code; the figures are in the table below.")  # fmt: skip
    ctx = {
        "levels": scale.as_list(),
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
@require_safe
def value_code(request: HttpRequest, vc_id: int) -> HttpResponse:
    """Drill-down to the councils behind one value code, named only where allowed."""
    form, rnd, scope, national = _drill_down(request)
    vc = access.get_value_code_for_dashboard(rnd, vc_id)
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
@require_safe
def chart_svg(request: HttpRequest, digest: str) -> HttpResponse:
    """A rendered chart for signed-in pages, by the hash of its spec signed for the person
    whose page it is on (`charts.url_for`). Public pages embed their charts inline instead."""
    svg = charts.svg_for_key(digest, request.user.pk)
    if svg is None:
        raise Http404
    return HttpResponse(svg, content_type="image/svg+xml")


@login_required
@require_safe
def export_responses(request: HttpRequest, round_id: int, fmt: str) -> HttpResponse:
    """Every submitted response as one flat CSV or XLSX, for the national team's analysts."""
    from django.http import StreamingHttpResponse

    from diagnostic.analytics import exports

    rnd = access.get_round_for_national(request.user, round_id)
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
@require_get_or_post
def publish(request: HttpRequest, round_id: int) -> HttpResponse:
    """Publish a closed round's national results, after a confirmation page; or withdraw them.

    GET shows what will become public and asks to confirm (no change on GET); POST publishes
    (`action=publish`) or withdraws (`action=withdraw`) through the service."""
    rnd = access.get_round_for_admin(request.user, round_id)
    published = services.publication_of(rnd)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "withdraw":
            if services.do_withdraw_results(by=request.user, round=rnd):
                messages.success(request, f"The results of {rnd.name} are no longer published.")
            return redirect("assessments:rounds")
        if action == "publish":
            try:
                services.do_publish_results(by=request.user, round=rnd)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("analytics:publish", round_id=rnd.pk)
            messages.success(request, f"The national results of {rnd.name} are now public.")
            return redirect("assessments:rounds")
        return HttpResponse("Choose to publish or to withdraw.", status=400)
    ctx = {
        "round": rnd,
        "published": published,
        "can_publish": services.can_publish(rnd),
        "participation": queries.participation(queries.Scope(rnd.pk)),
    }
    return render(request, "analytics/publish_confirm.html", ctx)


def _public_round(round_id=None):
    return access.get_published_round(round_id)


@require_safe
def public_results(request: HttpRequest, round_id: int | None = None) -> HttpResponse:
    rnd, published = _public_round(round_id)
    ctx = {"round": rnd, "published": published}
    if rnd is not None:
        ctx.update(cached("public", rnd.pk, (), lambda: public_figures(rnd)))
    return render(request, "analytics/public_results.html", ctx)


def public_figures(rnd: Round) -> dict:
    """The published figures, with small-number suppression (analytics/suppression.py)."""
    scope = queries.Scope(rnd.pk)
    scale = scale_for(rnd.framework_version_id)
    by_theme = queries.levels_by(scope, "theme", national=False, scale=scale)
    by_area = queries.levels_by(scope, "key_area", national=False, scale=scale)
    # Regions beside the national total: complementary suppression, so that no hidden region
    # comes back as the total minus the regions shown.
    by_region, total_hidden = suppression.apply_complementary(
        queries.participation_by(scope, "region")
    )
    participation = {**queries.participation(scope), "suppressed": False}
    return {
        "levels": scale.as_list(),
        "level_span": scale.span_named,
        "participation": suppression.hide(participation) if total_hidden else participation,
        "by_region": by_region,
        "by_theme": by_theme,
        "by_area": by_area,
        "charts": {
            "areas": charts.chart(
                charts.level_distribution(
                    by_area, title=f"Current levels by key area, {rnd.name}", scale=scale
                ),
                alt_text="Stacked bars of the share of answers at each level for each key area; the figures are in the table below.",
                inline=True,
            ),
        },  # fmt: skip
    }


PARTICIPATION_COLUMNS = ["eligible", "submitted", "in_progress", "not_started"]


def public_columns(figures: dict) -> list[str]:
    """The public download's columns (docs/metrics.md, "Downloads"): one per level of the
    round's framework version, then the participation figures, each in a column of its own."""
    return ["section", "group", "organisations", "answers",
            *[f"level_{lv['number']}" for lv in figures["levels"]],
            "not_yet_assessed", "median", "mean", *PARTICIPATION_COLUMNS]  # fmt: skip


HIDDEN = f"fewer than {suppression.THRESHOLD}"  # in a download's cell: withheld


def _public_rows(figures: dict) -> list[list]:
    """Levels rows fill the level columns; participation rows (every region, then all eligible
    councils) fill `organisations` (the councils that submitted) and the participation
    columns. A withheld row says so in `organisations` and is otherwise empty."""
    columns = public_columns(figures)
    blank = [""] * len(columns)
    rows = []

    def row(section, group, **values):
        out = [section, group, *blank[2:]]
        for name, value in values.items():
            out[columns.index(name)] = value
        return out

    for section, items in (("theme", figures["by_theme"]), ("key area", figures["by_area"])):
        for r in items:
            if r["suppressed"]:
                rows.append(row(section, r["name"], organisations=HIDDEN))
                continue
            levels = {
                f"level_{lv['number']}": n
                for lv, n in zip(figures["levels"], r["level_counts"], strict=True)
            }
            rows.append(row(section, r["name"], organisations=r["organisations"], answers=r["answers"],
                            not_yet_assessed=r["not_assessed"], median=r["median"],
                            mean=round(r["mean"], 2) if r["mean"] is not None else "", **levels))  # fmt: skip
    national = {**figures["participation"], "label": "All eligible councils"}
    for r in [*figures["by_region"], national]:
        if r.get("suppressed"):
            rows.append(row("participation", r["label"], organisations=HIDDEN))
        else:
            rows.append(row("participation", r["label"], organisations=r["submitted"],
                            **{c: r[c] for c in PARTICIPATION_COLUMNS}))  # fmt: skip
    return rows


@require_safe
def public_csv(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd, _ = _public_round(round_id)
    figures = cached("public", rnd.pk, (), lambda: public_figures(rnd))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(public_columns(figures))
    writer.writerows(neutralise_row(row) for row in _public_rows(figures))
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="nps-results-{rnd.pk}.csv"'
    return response


@require_safe
def public_xlsx(request: HttpRequest, round_id: int) -> HttpResponse:
    from openpyxl import Workbook

    rnd, _ = _public_round(round_id)
    figures = cached("public", rnd.pk, (), lambda: public_figures(rnd))
    wb = Workbook()
    ws = wb.active
    ws.title = "Results"
    ws.append(public_columns(figures))
    for row in _public_rows(figures):
        ws.append(row)
    meta = wb.create_sheet("About")
    for row in [
        ["Dataset", f"NPS Diagnostic national results: {rnd.name}"],
        ["Framework", rnd.framework_version.display_label],
        ["Round dates", f"{rnd.opens_on:%d %B %Y} to {rnd.closes_on:%d %B %Y}"],
        ["Published", f"{rnd.publication.published_at:%d %B %Y}"],
        ["Downloaded", f"{timezone.now():%d %B %Y %H:%M}"],
        ["Eligible organisations", figures["participation"]["eligible"] if not figures["participation"]["suppressed"] else HIDDEN],
        ["Submitted responses", figures["participation"]["submitted"] if not figures["participation"]["suppressed"] else HIDDEN],
        ["Definitions", f"Levels {' · '.join(lv['label'] for lv in figures['levels'])}. Counts are answers from submitted responses only; "
                        "'organisations' is how many councils a row is built from. Median and mean of the levels; "
                        "'not yet assessed' answers are counted separately and excluded from both. "
                        "Participation rows (one per region, then all eligible councils): 'eligible' organisations in the round, "
                        "'submitted', 'in_progress' (a draft with at least one saved change) and 'not_started'; "
                        "'organisations' is the number that submitted. See docs/metrics.md."],
        ["Suppression", f"Any figure built from fewer than {suppression.THRESHOLD} organisations is withheld ('{HIDDEN}'), "
                        "and so is any other figure from which a withheld one could be worked out by subtraction "
                        "(for example a second region, so that the national total minus the regions shown does not give a withheld one)."],
        ["Licence", "Open Government Licence v3.0. Contains data from mySociety's UK Local Authority Names and Codes (CC BY 4.0)."],
    ]:  # fmt: skip
        meta.append(row)
    for sheet in wb.worksheets:
        neutralise_sheet(sheet)
    buf = io.BytesIO()
    wb.save(buf)
    response = HttpResponse(
        buf.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="nps-results-{rnd.pk}.xlsx"'
    return response
