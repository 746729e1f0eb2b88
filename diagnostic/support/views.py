"""Support targeting: where to focus, advisers, offers and invitations, whether it helped.

For the national team (every region, every council named) and regional leads (their region,
small numbers hidden, councils named only with their consent). A council's lead replies to an
invitation. Every object in a URL is reached through accounts/access.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.analytics import charts
from diagnostic.analytics.cache import cached
from diagnostic.assessments.models import Round
from diagnostic.lib.http import require_get_or_post
from diagnostic.organisations.models import Organisation, Region
from diagnostic.support import charts as support_charts
from diagnostic.support import exports, queries, services
from diagnostic.support.forms import AdviserForm, AttendanceForm, FocusFilterForm, OfferForm
from diagnostic.support.models import Invitation


def _rounds():
    return (
        Round.objects.exclude(status=Round.Status.DRAFT)
        .select_related("framework_version")
        .order_by("-opens_on")
    )


def _viewer_regions(user) -> set[int] | None:
    """None for the national team (every region); otherwise the regions the user leads."""
    return None if access.is_national(user) else access.led_region_ids(user)


def _focus(request):
    """The filter form, round and scope of the ranking and its drill-down."""
    access.require_support_reader(request.user)
    national = access.is_national(request.user)
    rounds = _rounds()
    regions = (
        None if national else Region.objects.filter(pk__in=access.led_region_ids(request.user))
    )
    initial = {"round": rounds.first(), "region": regions.first() if regions is not None else None}
    form = FocusFilterForm(request.GET or None, rounds=rounds, regions=regions, national=national,
                           initial=initial)  # fmt: skip
    # Each valid filter counts even if another is not (a regional lead asking for another
    # region keeps the round they chose, in their own region).
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    rnd = data.get("round") or rounds.first()
    if rnd is None:
        return form, None, None, national
    # A regional lead is held to a region they lead, whatever the query says.
    region = data.get("region") or (regions.first() if regions is not None else None)
    cluster = data.get("cluster") if national else None
    scope = queries.SupportScope(
        round_id=rnd.pk, by=data.get("by") or "key_area",
        region_id=region.pk if region else None,
        org_type=data.get("type", "") if national else "",
        cluster_id=cluster.pk if cluster else None,
    )  # fmt: skip
    return form, rnd, scope, national


def _figures(rnd, scope, national):
    def compute():
        figures = queries.where_to_focus(scope, national=national)
        label = rnd.name
        figures["charts"] = {
            "heat": charts.chart(
                support_charts.unmet_heatmap(figures["heat"], title=f"Unmet demand by region and key area, {label}"),
                alt_text="Grid of unmet demand (councils) by region and key area; the figures are in the table beside it.",
            ),
            "map": charts.chart(
                support_charts.unmet_map(figures["by_region"], title=f"Share of demand unmet, by region, {label}"),
                alt_text="Map of the regions shaded by the share of councils needing support that supply in the region does not cover; the figures are in the table beside it.",
            ),
        }  # fmt: skip
        return figures

    return cached("support-focus", rnd.pk, (scope.key(), national, queries.support_version()),
                  compute)  # fmt: skip


@login_required
@require_safe
def focus(request: HttpRequest) -> HttpResponse:
    """Where to focus: the ranking, heat map, map and breakdowns."""
    form, rnd, scope, national = _focus(request)
    ctx = {"form": form, "round": rnd, "national": national,
           "can_plan": access.can_manage_support(request.user)}  # fmt: skip
    if rnd is not None:
        ctx.update(_figures(rnd, scope, national))
        ctx["scope"] = scope
        ctx["region"] = Region.objects.filter(pk=scope.region_id).first()
        ctx["query_string"] = request.GET.urlencode()
    return render(request, "support/focus.html", ctx)


def _item(rnd, by: str, item_id: int):
    return access.get_support_item(rnd, by, item_id)


@login_required
@require_safe
def councils(request: HttpRequest, item_id: int) -> HttpResponse:
    """Drill-down: the councils behind one ranked figure, named only where allowed."""
    form, rnd, scope, national = _focus(request)
    if rnd is None:
        raise Http404
    item = _item(rnd, scope.by, item_id)
    figures = _figures(rnd, scope, national)
    row = next((r for r in figures["ranking"] if r["id"] == item.pk), None)
    hidden = row is None or row["suppressed"]
    named = None if national else access.led_region_ids(request.user)
    unnamed_few = not hidden and not national and _few_unnamed(scope, item, row)
    rows = (
        [] if hidden or unnamed_few
        else queries.councils_behind(scope, item.pk, named_region_ids=named)
    )  # fmt: skip
    ctx = {"round": rnd, "item": item, "row": row, "hidden": hidden, "councils": rows,
           "unnamed_few": unnamed_few,
           "national": national, "scope": scope, "query_string": request.GET.urlencode(),
           "can_plan": access.can_manage_support(request.user)}  # fmt: skip
    return render(request, "support/councils.html", ctx)


def _few_unnamed(scope, item, row) -> bool:
    """Between 1 and 4 councils behind the figure did not agree to be named: listing the others
    would reveal their total by subtraction (docs/decisions/0022-support-targeting.md)."""
    from diagnostic.analytics.suppression import must_hide as suppressed

    unnamed = queries.unnamed_councils(scope, item.pk, row["organisations"])
    return unnamed > 0 and suppressed(unnamed, national=False)


# --- Advisers -----------------------------------------------------------------------------------
def _current_version_id():
    rnd = _rounds().first()
    return rnd.framework_version_id if rnd else None


def _manageable_regions(user):
    if access.is_national_admin(user):
        return Region.objects.all()
    return Region.objects.filter(pk__in=access.led_region_ids(user))


@login_required
@require_safe
def advisers(request: HttpRequest) -> HttpResponse:
    access.require_support_reader(request.user)
    regions = _viewer_regions(request.user)
    rows = list(queries.advisers_for(regions))
    free = {f.adviser_id: f.days for f in queries.adviser_facts(_current_version_id() or 0)}
    can_manage = access.can_manage_support(request.user)
    national_admin, led = (
        access.is_national_admin(request.user),
        set(access.led_region_ids(request.user)),
    )
    for a in rows:
        a.free_days = free.get(a.pk, 0)
        # Linked only when this reader may edit it (access.get_adviser_for_user, manage=True):
        # a regional lead edits advisers who cover only their regions.
        regions = {r.pk for r in a.regions.all()}
        a.can_edit = can_manage and (national_admin or bool(led and regions and regions <= led))
    ctx = {"advisers": rows, "can_manage": can_manage}
    return render(request, "support/advisers.html", ctx)


@login_required
@require_get_or_post
def adviser_edit(request: HttpRequest, adviser_id: int | None = None) -> HttpResponse:
    access.require_support_manager(request.user)
    adviser = None
    if adviser_id is not None:
        adviser = access.get_adviser_for_user(request.user, adviser_id, manage=True)
    version_id = _current_version_id()
    if version_id is None:
        raise Http404
    form = AdviserForm(request.POST or None, instance=adviser,
                       regions=_manageable_regions(request.user), version_id=version_id)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            saved = services.do_save_adviser(
                by=request.user, adviser=adviser, name=d["name"], email=d["email"], kind=d["kind"],
                employer=d["employer"], regions=list(d["regions"]), key_areas=list(d["key_areas"]),
                value_codes=list(d["value_codes"]), days_per_quarter=d["days_per_quarter"],
                active=d["active"],
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            queries.bump_support()
            messages.success(request, f"{saved.name} is in the adviser register.")
            return redirect("support:advisers")
    return render(request, "support/adviser_form.html", {"form": form, "adviser": adviser})


# --- Offers -------------------------------------------------------------------------------------
@login_required
@require_safe
def offers(request: HttpRequest) -> HttpResponse:
    access.require_support_reader(request.user)
    rows = queries.offers_for(_viewer_regions(request.user))
    ctx = {"offers": rows, "can_manage": access.can_manage_support(request.user)}
    return render(request, "support/offers.html", ctx)


@login_required
@require_get_or_post
def offer_new(request: HttpRequest, item_id: int) -> HttpResponse:
    """Plan an offer from the ranking: the item and the councils needing support there come
    from the ranking's filters; the planner ticks which to invite, in one form."""
    access.require_support_manager(request.user)
    form_f, rnd, scope, national = _focus(request)
    if rnd is None:
        raise Http404
    item = _item(rnd, scope.by, item_id)
    region = Region.objects.filter(pk=scope.region_id).first()
    if not access.is_national_admin(request.user) and region is None:
        raise Http404
    named = None if national else access.led_region_ids(request.user)
    row = next((r for r in _figures(rnd, scope, national)["ranking"] if r["id"] == item.pk), None)
    if not national and (row is None or row["suppressed"] or _few_unnamed(scope, item, row)):
        candidates = []  # no council can be named here (see `councils`)
    else:
        candidates = [c for c in queries.councils_behind(scope, item.pk, named_region_ids=named)
                      if c["needs"]]  # fmt: skip
    choices = [(c["organisation"].pk, f"{c['organisation'].name}: {', '.join(c['needs'])}")
               for c in candidates]  # fmt: skip
    adv = queries.advisers_for(None if region is None else {region.pk}).filter(active=True)
    form = OfferForm(request.POST or None, advisers=adv, councils=choices,
                     initial={"councils": [c for c, _ in choices],
                              "capacity": max(1, len(choices)),
                              "title": f"Support on {getattr(item, 'title', None) or item.name}"})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        orgs = list(Organisation.objects.filter(pk__in=d["councils"]))
        try:
            offer = services.do_create_offer(
                by=request.user, round=rnd, region=region, kind=d["kind"], title=d["title"],
                description=d["description"], starts_on=d["starts_on"], ends_on=d["ends_on"],
                capacity=d["capacity"], organisations=orgs, adviser=d["adviser"],
                adviser_days=d["adviser_days"],
                key_area=item if scope.by == "key_area" else None,
                value_code=item if scope.by == "value_code" else None,
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            queries.bump_support()
            messages.success(
                request, f"Offer planned for {len(orgs)} councils. Send the invitations when ready."
            )
            return redirect("support:offer", offer_id=offer.pk)
    ctx = {"form": form, "round": rnd, "item": item, "region": region,
           "query_string": request.GET.urlencode()}  # fmt: skip
    return render(request, "support/offer_form.html", ctx)


@login_required
@require_safe
def offer(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_offer_for_user(request.user, offer_id)
    invitations = list(
        offer.invitations.select_related("organisation").order_by("organisation__name")
    )
    invited = [i for i in invitations if i.status != Invitation.Status.CHOSEN]
    can_manage = _can_manage(request.user, offer)
    form = AttendanceForm(invitations=invited,
                          initial={"attended": [i.pk for i in invited if i.attended]})  # fmt: skip
    ctx = {"offer": offer, "invitations": invitations, "invited": invited,
           "attendance_form": form, "can_manage": can_manage}  # fmt: skip
    return render(request, "support/offer.html", ctx)


def _can_manage(user, offer) -> bool:
    try:
        access.get_offer_for_user(user, offer.pk, manage=True)
    except Http404:
        return False
    return True


@login_required
@require_POST
def offer_invite(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_offer_for_user(request.user, offer_id, manage=True)
    councils, emails = services.do_send_invitations(by=request.user, offer=offer)
    messages.success(request, f"Invited {councils} councils ({emails} emails to their leads).")
    return redirect("support:offer", offer_id=offer.pk)


@login_required
@require_POST
def offer_attendance(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = access.get_offer_for_user(request.user, offer_id, manage=True)
    invited = list(offer.invitations.exclude(status=Invitation.Status.CHOSEN)
                   .select_related("organisation"))  # fmt: skip
    form = AttendanceForm(request.POST, invitations=invited)
    if not form.is_valid():
        messages.error(request, "Tick only councils that were invited.")
        return redirect("support:offer", offer_id=offer.pk)
    n = services.do_record_attendance(by=request.user, offer=offer,
                                      attended_ids=set(form.cleaned_data["attended"]))  # fmt: skip
    messages.success(request, f"Attendance recorded: {n} councils attended.")
    return redirect("support:offer", offer_id=offer.pk)


@login_required
@require_get_or_post
def invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """A council's lead reads an invitation and accepts or declines it."""
    inv = access.get_support_invitation_for_lead(request.user, invitation_id)
    if request.method == "POST":
        reply = request.POST.get("reply")
        if reply not in ("accept", "decline"):
            messages.error(request, "Choose accept or decline.")
        else:
            try:
                inv = services.do_reply(by=request.user, invitation=inv, accept=reply == "accept")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, "Thank you: your reply is recorded.")
            return redirect("support:invitation", invitation_id=inv.pk)
    return render(request, "support/invitation.html", {"invitation": inv, "offer": inv.offer})


@login_required
@require_safe
def my_invitations(request: HttpRequest) -> HttpResponse:
    """Support offered to the councils the user leads (invitations sent, newest first)."""
    rows = queries.invitations_for_lead(request.user)
    return render(request, "support/my_invitations.html", {"invitations": rows})


# --- Whether it helped ----------------------------------------------------------------------------
@login_required
@require_safe
def effect(request: HttpRequest) -> HttpResponse:
    access.require_support_reader(request.user)
    national = access.is_national(request.user)
    regions = _viewer_regions(request.user)
    offers_qs = queries.offers_for(regions)
    region_id = None
    if not national:
        # A regional lead compares councils of their region (the offers' region) only.
        region_id = sorted(regions)[0] if regions else None
        offers_qs = offers_qs.filter(region_id=region_id)
    rows = queries.effect_rows(list(offers_qs), national=national, region_id=region_id)
    return render(request, "support/effect.html", {"rows": rows, "national": national})


# --- Downloads ----------------------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_safe
def ranking_xlsx(request: HttpRequest) -> HttpResponse:
    form, rnd, scope, national = _focus(request)
    if rnd is None:
        raise Http404
    figures = _figures(rnd, scope, national)
    region = Region.objects.filter(pk=scope.region_id).first()
    body = exports.ranking_xlsx(rnd, scope, figures, national=national, region=region)
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="support-ranking-{rnd.pk}.xlsx"'
    return response


@login_required
@require_safe
def offers_xlsx(request: HttpRequest) -> HttpResponse:
    access.require_support_reader(request.user)
    rows = list(queries.offers_for(_viewer_regions(request.user)))
    invitations = list(
        Invitation.objects.filter(offer__in=rows).select_related("organisation", "offer")
        .order_by("offer__starts_on", "organisation__name")
    )  # fmt: skip
    response = HttpResponse(exports.offers_xlsx(rows, invitations), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="support-offers.xlsx"'
    return response
