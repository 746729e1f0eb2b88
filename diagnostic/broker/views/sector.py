"""The broker for the national team and regional leads: the plan of introductions for a round,
proposing introductions, which value codes a region or cluster covers, and the dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.analytics import charts as analytics_charts
from diagnostic.broker import charts, queries, services
from diagnostic.broker.forms import PlanForm
from diagnostic.organisations.models import Cluster, Organisation, OrganisationType, Region


def _scope_choices(user):
    """Regions and clusters the user may plan for."""
    if access.is_national(user):
        return list(Region.objects.order_by("name")), list(Cluster.objects.order_by("name")), True
    ids = access.led_region_ids(user)
    return (
        list(Region.objects.filter(pk__in=ids).order_by("name")),
        list(Cluster.objects.filter(region_id__in=ids).order_by("name")),
        False,
    )


def _scope(request, rnd):
    """(form, region, cluster, organisation ids, description) from the query string."""
    regions, clusters, national = _scope_choices(request.user)
    data = request.GET if request.GET else None
    form = PlanForm(data, regions=regions, clusters=clusters, national=national)
    region = cluster = None
    if form.is_valid():
        if form.cleaned_data["cluster"]:
            cluster = access.get_cluster_for_user(request.user, form.cleaned_data["cluster"])
        elif form.cleaned_data["region"]:
            region = access.get_region_for_user(request.user, form.cleaned_data["region"])
    if region is None and cluster is None and not national and regions:
        region = regions[0]  # a regional lead always plans within their region
    ids = queries.scope_organisation_ids(rnd, region=region, cluster=cluster)
    where = (
        cluster.name
        if cluster
        else region.name
        if region
        else "England, Wales and Northern Ireland"
    )
    return form, region, cluster, ids, where


def _can_propose(user) -> bool:
    return access.is_national_admin(user) or bool(access.led_region_ids(user))


@login_required
@require_safe
def plan(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = access.get_round_for_broker(request.user, round_id)
    form, region, cluster, ids, where = _scope(request, rnd)
    ctx = {"round": rnd, "form": form, "where": where, "plan": None}
    if form.is_bound and form.is_valid():
        audience = queries.audience_for(request.user)
        result, councils = queries.plan_for(
            rnd, audience, form.cleaned_data["capacity"], organisation_ids=ids
        )
        scale = queries.level_scale(rnd.framework_version_id)
        neighbours = queries.neighbours()
        names = {c.id: c.name for c in councils.values()}
        from diagnostic.broker.scoring import match

        rows = []
        for a, b in result.pairs:
            m = match(councils[a], councils[b], scale, neighbours)
            rows.append({"a": a, "b": b, "a_name": names[a], "b_name": names[b], "m": m})
        ctx.update(
            plan=result, rows=rows, councils=len(councils), can_propose=_can_propose(request.user)
        )
    return render(request, "broker/plan.html", ctx)


@login_required
@require_POST
def propose(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = access.get_round_for_broker(request.user, round_id)
    if not _can_propose(request.user):
        raise PermissionDenied(
            "Only national administrators and regional leads propose introductions."
        )
    ids = []
    for key in ("first", "second"):
        try:
            ids.append(int(request.POST.get(key, "")))
        except ValueError:
            ids.append(None)
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=[i for i in ids if i])}
    back = request.POST.get("back", "")
    back = back if back.startswith("/") and not back.startswith("//") else ""
    if len(orgs) != 2:
        messages.error(request, "Choose two councils.")
        return redirect(back or "broker:plan", *([] if back else [rnd.pk]))
    try:
        intro = services.do_propose(rnd=rnd, a=orgs[ids[0]], b=orgs[ids[1]], by=request.user)
    except services.Refused as exc:
        messages.error(request, str(exc))
        return redirect(back or "broker:plan", *([] if back else [rnd.pk]))
    messages.success(request, "Introduction proposed: both councils' leads have been asked.")
    return redirect("broker:introduction", intro.pk)


@login_required
@require_safe
def coverage(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = access.get_round_for_broker(request.user, round_id)
    form, region, cluster, ids, where = _scope(request, rnd)
    rows, n = queries.coverage_for(rnd, queries.audience_for(request.user), ids)
    title = f"Value codes covered inside {where}, {rnd.name}"
    chart = None
    if n:
        chart = analytics_charts.chart(
            charts.coverage_heatmap(rows, title=title),
            alt_text=f"Heat map: for each value code, how many councils in {where} need help, "
            "can give it, and are not covered by anyone inside. The table below gives the same figures.",
        )
    return render(request, "broker/coverage.html", {
        "round": rnd, "form": form, "where": where, "rows": rows, "councils": n, "chart": chart,
        "gaps": sum(1 for r in rows if r["row"].uncovered),
    })  # fmt: skip


@login_required
@require_safe
def dashboard(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = access.get_round_for_broker(request.user, round_id)
    national = access.is_national(request.user)
    region_ids = None if national else set(access.led_region_ids(request.user))
    rows = queries.dashboard(rnd, region_ids, national=national)
    return render(request, "broker/dashboard.html", {"round": rnd, "rows": rows, "national": national,
                                                     "types": dict(OrganisationType.choices)})  # fmt: skip
