"""The broker for the national team and regional leads: the plan of introductions for a round,
proposing introductions, which value codes a region or cluster covers, and the dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.analytics import charts as analytics_charts
from diagnostic.broker import charts, queries, services
from diagnostic.broker.forms import PlanForm
from diagnostic.broker.models import Disclosure, PlanRun
from diagnostic.lib.http import require_get_or_post, this_site
from diagnostic.organisations.models import Cluster, Organisation, OrganisationType, Region

NATION = "England, Wales and Northern Ireland"
PLAN_ROWS_PER_PAGE = 25


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
    form, region, cluster = _plan_scope(request, rnd, request.GET or None, default_if_invalid=True)
    ids = queries.scope_organisation_ids(rnd, region=region, cluster=cluster)
    where = cluster.name if cluster else region.name if region else NATION
    return form, region, cluster, ids, where


def _can_propose(user) -> bool:
    return access.is_national_admin(user) or bool(access.led_region_ids(user))


def _plan_scope(request, rnd, data, *, default_if_invalid=False):
    """(form, region, cluster) for the plan form bound to `data` (or unbound). A regional lead
    always works within their region: it is the default when the form names none (and, for the
    pages that read the scope from the query string, when the form is not valid)."""
    regions, clusters, national = _scope_choices(request.user)
    form = PlanForm(data, regions=regions, clusters=clusters, national=national)
    region = cluster = None
    valid = form.is_valid()
    if valid:
        if form.cleaned_data["cluster"]:
            cluster = access.get_cluster_for_user(request.user, form.cleaned_data["cluster"])
        elif form.cleaned_data["region"]:
            region = access.get_region_for_user(request.user, form.cleaned_data["region"])
    if (valid or default_if_invalid) and region is None and cluster is None and not national:
        region = regions[0] if regions else None
    return form, region, cluster


def _recent_runs(user, rnd, limit=5):
    """The last plans worked out in this round that the user may open (`access`'s rule)."""
    runs = (
        PlanRun.objects.filter(round=rnd)
        .select_related("region", "cluster")
        .order_by("-created_at", "-pk")
    )
    if not access.is_national(user):
        runs = runs.filter(national=False)
        led = access.led_region_ids(user)
        return [r for r in runs[:50] if r.audience_regions and set(r.audience_regions) <= led][
            :limit
        ]
    return list(runs[:limit])


@login_required
@require_get_or_post
def plan(request: HttpRequest, round_id: int) -> HttpResponse:
    """The plan form. Its POST asks for the plan, worked out in the background (a new run, or
    the one already on its way for the same question) and goes to the run's page."""
    rnd = access.get_round_for_broker(request.user, round_id)
    data = request.POST if request.method == "POST" else None
    form, region, cluster = _plan_scope(request, rnd, data)
    if request.method == "POST" and form.is_valid():
        try:
            run, created = services.do_request_plan(
                rnd=rnd, region=region, cluster=cluster, capacity=form.cleaned_data["capacity"],
                by=request.user,
            )  # fmt: skip
        except services.Refused as exc:
            messages.error(request, str(exc))
            return redirect("broker:plan", rnd.pk)
        if not created:
            messages.info(request, "This plan was already being worked out: here it is.")
        return redirect("broker:plan_run", rnd.pk, run.pk)
    return render(request, "broker/plan.html", {
        "round": rnd, "form": form, "runs": _recent_runs(request.user, rnd),
    })  # fmt: skip


def _where(run) -> str:
    return run.cluster.name if run.cluster else run.region.name if run.region else NATION


@login_required
@require_safe
def plan_run(request: HttpRequest, round_id: int, run_id: int) -> HttpResponse:
    """A plan worked out in the background: its progress (polled by htmx every 2 s, or the
    Refresh link), then the plan. Councils that have since chosen not to be seen by the plan's
    audience are left out of it (choices take effect at once)."""
    run = access.get_plan_run_for_user(request.user, round_id, run_id)
    rnd = run.round
    ctx = {"round": rnd, "run": run, "where": _where(run), "stale": run.is_stale(),
           "rows": [], "count": 0, "hidden": 0}  # fmt: skip
    if run.status == PlanRun.Status.DONE and run.result:
        choices = queries.visibilities(rnd.pk)
        default = (Disclosure.DEFAULT, False)
        audience = run.audience
        shown = []
        for row in run.result["rows"]:
            if all(
                audience.sees(choices.get(row[x], default)[0], row[f"{x}_region"])
                for x in ("a", "b")
            ):
                shown.append(row)
            else:
                ctx["hidden"] += 1
        # A national plan has hundreds of introductions (about 1,000 at 10x): a page at a time.
        page = Paginator(shown, PLAN_ROWS_PER_PAGE).get_page(request.GET.get("page"))
        ctx.update(page=page, rows=list(page.object_list), count=len(shown))
        ctx["gap_percent"] = f"{100 * run.result['gap']:.2f}"
        ctx["can_propose"] = _can_propose(request.user)
    ctx["again"] = {
        "capacity": run.capacity, "region": run.region.code if run.region else "",
        "cluster": run.cluster_id or "",
    }  # fmt: skip
    template = "broker/plan_run.html#run" if request.htmx else "broker/plan_run.html"
    return render(request, template, ctx)


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
    back = this_site(request, request.POST.get("back"))
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
