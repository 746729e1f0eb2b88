"""The organisation register, for the national team and regional leads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from diagnostic.accounts import access
from diagnostic.accounts.models import Membership, Role
from diagnostic.lib.http import posted, require_get_or_post
from diagnostic.organisations import services
from diagnostic.organisations.forms import ClusterForm, RegisterFilterForm
from diagnostic.organisations.models import Cluster, Organisation
from diagnostic.organisations.queries import filter_register


@login_required
@require_safe
def register(request: HttpRequest) -> HttpResponse:
    access.require_register_reader(request.user)
    form = RegisterFilterForm(request.GET or None)
    on = timezone.localdate()
    qs = Organisation.objects.select_related("region", "parent")
    if form.is_valid():
        data = form.cleaned_data
        on = data["on"]
        qs = filter_register(
            qs.alive_on(on),
            q=data["q"],
            region=data["region"],
            org_type=data["type"],
            nation=data["nation"],
        )
    else:
        qs = qs.alive_on(on)
    page = Paginator(qs.order_by("name"), 50).get_page(request.GET.get("page"))
    # Link only the organisations the reader may open (access.get_organisation_for_user): a
    # regional lead reads the whole register but opens only their region's councils.
    national = access.is_national(request.user)
    led = set(access.led_region_ids(request.user))
    for org in page:
        org.can_open = national or org.region_id in led or bool(access.role_in(request.user, org))
    params = request.GET.copy()
    params.pop("page", None)
    ctx = {"form": form, "page": page, "on": on, "query_string": params.urlencode()}
    template = (
        "organisations/register.html#results" if request.htmx else "organisations/register.html"
    )
    return render(request, template, ctx)


@login_required
@require_safe
def detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    org = access.get_organisation_for_user(request.user, organisation_id)
    can_manage = access.role_in(request.user, org) == Role.LEAD or access.is_national_admin(
        request.user
    )
    leads = Membership.objects.filter(organisation=org, role=Role.LEAD).select_related("user")
    ctx = {
        "organisation": org,
        "can_manage": can_manage,
        "leads": leads,
        "children": org.children.order_by("name"),
        "combined_authorities": org.combined_authorities_on(timezone.localdate()),
        "successors": Organisation.objects.filter(gss_code__in=org.replaced_by_codes.split(";")),
    }
    return render(request, "organisations/detail.html", ctx)


@login_required
@require_safe
def clusters(request: HttpRequest) -> HttpResponse:
    access.require_register_reader(request.user)
    qs = Cluster.objects.select_related("region").annotate(size=Count("organisations"))
    if not access.is_national(request.user):
        qs = qs.filter(region__in=access.led_region_ids(request.user))
    can_create = bool(services.regions_user_can_cluster(request.user))
    return render(
        request, "organisations/clusters.html", {"clusters": qs, "can_create": can_create}
    )


@login_required
@require_get_or_post
def cluster_edit(request: HttpRequest, cluster_id: int | None = None) -> HttpResponse:
    """Create a cluster, or change one (its name, description and member councils)."""
    cluster = (
        access.get_cluster_for_user(request.user, cluster_id, manage=True) if cluster_id else None
    )
    regions = services.regions_user_can_cluster(request.user)
    if not regions:
        raise PermissionDenied("Only national admins and regional leads can form clusters.")
    initial = {}
    if cluster:
        initial = {
            "name": cluster.name,
            "description": cluster.description,
            "region": cluster.region,
            "organisations": list(cluster.organisations.all()),
        }
    form = ClusterForm(posted(request), regions=regions, initial=initial)
    if request.method == "POST" and request.POST.get("delete") and cluster:
        services.do_delete_cluster(by=request.user, cluster=cluster)
        messages.success(request, f"The cluster {cluster.name} was deleted.")
        return redirect("organisations:clusters")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = services.do_save_cluster(
                by=request.user, name=d["name"], description=d["description"], region=d["region"],
                organisations=list(d["organisations"]), cluster=cluster,
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, f"Cluster {saved.name} saved with {saved.organisations.count()} councils."
            )
            return redirect("organisations:clusters")
    ctx = {"form": form, "cluster": cluster}
    return render(
        request, "organisations/cluster_edit.html", ctx, status=400 if form.errors else 200
    )
