"""The organisation register, for the national team and regional leads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.models import Membership, Role
from diagnostic.organisations.forms import RegisterFilterForm
from diagnostic.organisations.models import Organisation
from diagnostic.organisations.queries import filter_register


@login_required
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
    params = request.GET.copy()
    params.pop("page", None)
    ctx = {"form": form, "page": page, "on": on, "query_string": params.urlencode()}
    template = (
        "organisations/register.html#results" if request.htmx else "organisations/register.html"
    )
    return render(request, template, ctx)


@login_required
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
