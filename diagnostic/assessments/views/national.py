"""The national team runs rounds: create, open, extend, close, and reopen a response."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from diagnostic.accounts import access
from diagnostic.assessments import services
from diagnostic.assessments.forms import ReopenForm, RoundDatesForm, RoundForm
from diagnostic.assessments.models import Response, Round
from diagnostic.lib.http import posted


def _with_counts(qs):
    return qs.annotate(
        eligible=Count("responses"),
        submitted=Count("responses", filter=Q(responses__status=Response.Status.SUBMITTED)),
        started=Count("responses", filter=Q(responses__started_at__isnull=False)),
    )


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    access.require_national(request.user)
    qs = _with_counts(Round.objects.select_related("framework_version"))
    return render(request, "assessments/rounds.html", {"rounds": qs})


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    access.require_national_admin(request.user)
    form = RoundForm(posted(request))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        rnd = services.do_create_round(
            by=request.user, name=d["name"], framework_version=d["framework_version"],
            opens_on=d["opens_on"], closes_on=d["closes_on"], nations=d["nations"],
            previous_round=d["previous_round"],
        )  # fmt: skip
        messages.success(
            request,
            f"{rnd.name} created with {rnd.responses.count()} eligible organisations. Open it when you are ready.",
        )
        return redirect("assessments:round", round_id=rnd.pk)
    return render(
        request, "assessments/round_new.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = access.get_round_for_admin(request.user, round_id)
    rnd = _with_counts(Round.objects.filter(pk=rnd.pk)).select_related("framework_version").get()
    dates_form = RoundDatesForm(
        posted(request), initial={"opens_on": rnd.opens_on, "closes_on": rnd.closes_on}
    )
    if request.method == "POST" and dates_form.is_valid():
        services.do_change_round_dates(
            by=request.user, round=rnd, opens_on=dates_form.cleaned_data["opens_on"],
            closes_on=dates_form.cleaned_data["closes_on"],
        )  # fmt: skip
        messages.success(request, "Dates saved.")
        return redirect("assessments:round", round_id=rnd.pk)
    responses = rnd.responses.select_related("organisation__region").order_by("organisation__name")
    stage = request.GET.get("stage", "")
    if stage == "submitted":
        responses = responses.filter(status=Response.Status.SUBMITTED)
    elif stage == "in_progress":
        responses = responses.filter(status=Response.Status.DRAFT, started_at__isnull=False)
    elif stage == "not_started":
        responses = responses.filter(status=Response.Status.DRAFT, started_at__isnull=True)
    page = Paginator(responses, 50).get_page(request.GET.get("page"))
    ctx = {
        "round": rnd,
        "dates_form": dates_form,
        "page": page,
        "stage": stage,
        "query_string": f"stage={stage}" if stage else "",
        "total_items": rnd.framework_version.valuecodes.count(),
    }
    return render(
        request, "assessments/round_detail.html", ctx, status=400 if dates_form.errors else 200
    )


@login_required
@require_POST
def round_status(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = access.get_round_for_admin(request.user, round_id)
    try:
        services.do_set_round_status(
            by=request.user, round=rnd, status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{rnd.name} is now {rnd.get_status_display().lower()}.")
    return redirect("assessments:round", round_id=rnd.pk)


@login_required
def reopen(request: HttpRequest, response_id: int) -> HttpResponse:
    access.require_national_admin(request.user)
    response = access.get_response_for_user(request.user, response_id)
    form = ReopenForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.do_reopen(
                response=response, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"{response.organisation.name}'s response is open for changes again."
            )
        return redirect("assessments:response", response_id=response.pk)
    return render(
        request,
        "assessments/reopen.html",
        {"response": response, "form": form},
        status=400 if form.errors else 200,
    )
