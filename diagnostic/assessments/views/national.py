"""The national team runs rounds: create, open, extend, close, follow councils' progress,
remind the leads of councils that have not submitted, and reopen a response."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.assessments import queries, services
from diagnostic.assessments.forms import (
    ReminderForm,
    ReopenForm,
    RoundDatesForm,
    RoundForm,
    TrackingFilterForm,
)
from diagnostic.assessments.models import Response, Round
from diagnostic.lib.http import posted, require_get_or_post


def _with_counts(qs):
    return qs.annotate(
        eligible=Count("responses"),
        submitted=Count("responses", filter=Q(responses__status=Response.Status.SUBMITTED)),
        started=Count("responses", filter=Q(responses__started_at__isnull=False)),
    )


@login_required
@require_safe
def rounds(request: HttpRequest) -> HttpResponse:
    access.require_national(request.user)
    qs = _with_counts(Round.objects.select_related("framework_version", "publication"))
    return render(request, "assessments/rounds.html", {"rounds": qs})


@login_required
@require_get_or_post
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


def _filter_query(request: HttpRequest) -> str:
    """The page's filters as a query string, without the page number."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_get_or_post
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    """Admins run the round here; the national team follows every council's progress."""
    rnd = access.get_round_for_tracking(request.user, round_id)
    can_manage = access.is_national_admin(request.user)
    region_ids = access.tracked_region_ids(request.user)
    if request.method == "POST":
        access.require_national_admin(request.user)
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
    filter_form = TrackingFilterForm(request.GET, round=rnd, region_ids=region_ids)
    # Invalid filters (a region that does not exist) are shown as errors, and nothing is hidden.
    filters = filter_form.filters() if filter_form.is_valid() else {}
    responses = _in_regions(queries.round_responses(rnd, **filters), region_ids)
    # The totals break the selection down by stage, so they ignore the stage filter.
    totals_base = _in_regions(queries.round_responses(rnd, **(filters | {"stage": ""})), region_ids)
    page = Paginator(responses, 50).get_page(request.GET.get("page"))
    total_items = rnd.framework_version.valuecodes.count()
    for r in page:
        r.percent_complete = (
            100 if r.is_submitted else 100 * min(r.answered_count, total_items) // total_items
        ) if total_items else 0  # fmt: skip
    ctx = {
        "round": rnd,
        "can_manage": can_manage,
        "dates_form": dates_form,
        "filter_form": filter_form,
        "page": page,
        "stage": filters.get("stage", ""),
        "query_string": _filter_query(request),
        "total_items": total_items,
        "by_region": queries.progress_totals(totals_base, by="region"),
        "by_type": queries.progress_totals(totals_base, by="type"),
        "reminder_count": rnd.reminders.count() if can_manage else 0,
        "can_remind": access.can_remind(request.user) and rnd.is_accepting_answers(),
        "regional": region_ids is not None,
    }
    template = "assessments/round_detail.html"
    if request.htmx and request.method == "GET":
        template += "#tracking"
    return render(request, template, ctx, status=400 if dates_form.errors else 200)


def _in_regions(responses, region_ids: set[int] | None):
    """A regional lead's view of a round: their region's councils only."""
    if region_ids is None:
        return responses
    return responses.filter(organisation__region_id__in=region_ids)


@login_required
@require_get_or_post
def reminder_new(request: HttpRequest, round_id: int) -> HttpResponse:
    """Preview a reminder to the leads of the councils on the round page's filters, then send it.

    The filters travel in the query string, on GET and POST alike; only POST "send" sends.
    """
    rnd = access.get_round_for_tracking(request.user, round_id)
    if not access.can_remind(request.user):
        raise PermissionDenied("Only national administrators and regional leads can do this.")
    region_ids = access.tracked_region_ids(request.user)
    filter_form = TrackingFilterForm(request.GET, round=rnd, region_ids=region_ids)
    subject, body = services.default_reminder_text(rnd)
    form = ReminderForm(
        posted(request), initial={"subject": subject, "body": body, "request_id": uuid.uuid4().hex}
    )
    ctx = {
        "round": rnd,
        "filter_form": filter_form,
        "form": form,
        "query_string": _filter_query(request),
    }
    if not filter_form.is_valid():
        # Never widen a reminder to everyone because a filter was not understood.
        return render(request, "assessments/reminder_new.html", ctx, status=400)
    selection = _in_regions(queries.round_responses(rnd, **filter_form.filters()), region_ids)
    if request.method == "POST" and form.is_valid() and request.POST.get("action") == "send":
        try:
            result = services.do_send_reminders(
                by=request.user, round=rnd, responses=selection,
                subject=form.cleaned_data["subject"], body=form.cleaned_data["body"],
                filter_description=filter_form.describe(), request_id=form.cleaned_data["request_id"],
            )  # fmt: skip
        except services.AlreadySent as exc:
            messages.info(request, "That reminder was sent already; it was not sent again.")
            return redirect("assessments:reminder", round_id=rnd.pk, reminder_id=exc.reminder.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            reminder = result.reminder
            text = (
                f"Reminder sent to {reminder.recipient_count} "
                f"lead{'s' if reminder.recipient_count != 1 else ''} at "
                f"{reminder.organisation_count} "
                f"council{'s' if reminder.organisation_count != 1 else ''}."
            )
            if result.skipped:
                n = len(result.skipped)
                text += (
                    f" {n} council{'s were' if n != 1 else ' was'} skipped because "
                    f"{'they have' if n != 1 else 'it has'} no lead."
                )
            messages.success(request, text)
            url = reverse("assessments:round", args=[rnd.pk])
            return redirect(f"{url}?{ctx['query_string']}" if ctx["query_string"] else url)
    plan = queries.reminder_plan(rnd, selection)
    # The email as the first lead will get it: the default text, or the text as edited.
    preview = None
    if not form.is_bound:
        text = (subject, body)
    else:
        text = (
            (form.cleaned_data["subject"], form.cleaned_data["body"]) if form.is_valid() else None
        )
    if plan.targets and text is not None:
        first = plan.targets[0]
        first.round = rnd
        preview_subject, preview_body = services.render_reminder(first, *text)
        preview = {
            "to": first.organisation.leads[0].user,
            "organisation": first.organisation,
            "subject": preview_subject,
            "body": preview_body,
        }
    ctx |= {
        "plan": plan,
        "preview": preview,
        "description": filter_form.describe(),
        "can_send": rnd.is_accepting_answers(),
        "show_form": rnd.is_accepting_answers() and bool(plan.targets),
        "from_email": settings.DEFAULT_FROM_EMAIL,
    }
    return render(request, "assessments/reminder_new.html", ctx, status=400 if form.errors else 200)


@login_required
@require_safe
def reminders(request: HttpRequest, round_id: int) -> HttpResponse:
    """Every reminder sent in the round, newest first."""
    rnd = access.get_round_for_admin(request.user, round_id)
    qs = rnd.reminders.select_related("sent_by")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "assessments/reminders.html", {"round": rnd, "page": page})


@login_required
@require_safe
def reminder_detail(request: HttpRequest, round_id: int, reminder_id: int) -> HttpResponse:
    """One reminder as it was written, and the address of every lead it went to."""
    reminder = access.get_reminder_for_admin(request.user, round_id, reminder_id)
    recipients = reminder.recipients.select_related("organisation")
    return render(
        request,
        "assessments/reminder_detail.html",
        {"round": reminder.round, "reminder": reminder, "recipients": recipients},
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
@require_get_or_post
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
