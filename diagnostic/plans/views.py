"""The action plan: suggestions, the plan by status, adding and editing actions, exports.

Every object comes through `accounts/access.py`; every change through `plans/services.py`.
Every form works without JavaScript (POST, then redirect).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.audit.services import record
from diagnostic.frameworks.models import ValueCode
from diagnostic.lib.http import posted, require_get_or_post
from diagnostic.plans import exports, queries, services
from diagnostic.plans.forms import ActionForm, StatusForm, SuggestionForm, VersionForm
from diagnostic.plans.models import Status
from diagnostic.reports.pdf import pdf_response, render_pdf


def _plan_url(response, action=None) -> str:
    url = reverse("plans:plan", args=[response.pk])
    return f"{url}#action-{action.pk}" if action is not None else url


@login_required
@require_safe
def plan(request: HttpRequest, response_id: int) -> HttpResponse:
    """The plan grouped by status, the suggestions still open, and what can be carried forward."""
    response = access.get_action_plan_response(request.user, response_id)
    can_edit = access.can_edit_action_plan(request.user, response)
    the_plan = queries.plan_for(response)
    dismissed = queries.dismissed_of(response)
    ctx = {
        "response": response,
        "round": response.round,
        "plan": the_plan,
        "suggestions": queries.suggestions_for(
            response, actions=the_plan.actions, dismissed=dismissed
        ),
        "dismissed": dismissed,
        "can_edit": can_edit,
        "offer": queries.carry_forward_offer(response) if can_edit else None,
        "statuses": Status.choices,
        "today": timezone.localdate(),
    }
    return render(request, "plans/plan.html", ctx)


# --- Suggestions ------------------------------------------------------------------------------
def _suggestion_key(request: HttpRequest) -> str | None:
    form = SuggestionForm(request.POST)
    return form.cleaned_data["key"] if form.is_valid() else None


GONE = "That suggestion is no longer offered: it was accepted or dismissed already, or the answers behind it have changed."


@login_required
@require_POST
def accept(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_action_plan_response(request.user, response_id, write=True)
    key = _suggestion_key(request)
    try:
        if key is None:
            raise services.SuggestionGone
        action = services.do_accept_suggestion(response=response, key=key, by=request.user)
    except services.SuggestionGone:
        messages.error(request, GONE)
        return redirect(_plan_url(response))
    messages.success(
        request,
        f"Added to the plan: “{action.title}”. Edit it to name an owner and check the date.",
    )
    return redirect(_plan_url(response, action))


@login_required
@require_POST
def dismiss(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_action_plan_response(request.user, response_id, write=True)
    key = _suggestion_key(request)
    try:
        if key is None:
            raise services.SuggestionGone
        dismissed = services.do_dismiss_suggestion(response=response, key=key, by=request.user)
    except services.SuggestionGone:
        messages.error(request, GONE)
        return redirect(_plan_url(response))
    messages.success(
        request,
        f"Dismissed “{dismissed.title}”. It will not be suggested again; you can restore it "
        "from the list of dismissed suggestions.",
    )
    return redirect(f"{_plan_url(response)}#suggestions")


@login_required
@require_POST
def restore(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_action_plan_response(request.user, response_id, write=True)
    key = _suggestion_key(request)
    if key is not None:
        services.do_restore_suggestion(response=response, key=key, by=request.user)
        messages.success(
            request, "The suggestion is offered again if your answers still call for it."
        )
    return redirect(f"{_plan_url(response)}#suggestions")


@login_required
@require_POST
def carry_forward(request: HttpRequest, response_id: int) -> HttpResponse:
    """Bring the previous round's plan into this one (the lead, once per action)."""
    response = access.get_action_plan_response(request.user, response_id, write=True)
    offer = queries.carry_forward_offer(response)
    if offer is None:
        messages.info(request, "There is nothing to carry forward from the previous round.")
        return redirect(_plan_url(response))
    result = services.do_carry_forward(
        from_response=offer.previous, to_response=response, by=request.user
    )
    n = len(result.actions)
    text = f"Carried forward {n} action{'s' if n != 1 else ''} from {offer.previous.round.name}, with their statuses."
    if result.unmapped:
        lost = sorted({c for codes in result.unmapped.values() for c in codes})
        text += f" This round's framework has no value code {', '.join(lost)}: those links were left off."
    messages.success(request, text)
    return redirect(_plan_url(response))


# --- Actions ----------------------------------------------------------------------------------
def _round_codes(response) -> list[ValueCode]:
    return list(
        ValueCode.objects.filter(version_id=response.round.framework_version_id)
        .select_related("key_area")
        .order_by("position")
    )


def _code_groups(codes: list[ValueCode], selected: set[str], *, open_all: bool) -> list[dict]:
    """Value codes by key area for the checkboxes; areas holding a chosen code start open."""
    groups: list[dict] = []
    for i, vc in enumerate(codes):
        if not groups or groups[-1]["area"].pk != vc.key_area_id:
            groups.append({"area": vc.key_area, "codes": [], "chosen": 0, "open": open_all})
        checked = vc.code in selected
        groups[-1]["codes"].append({"vc": vc, "index": i, "checked": checked})
        groups[-1]["chosen"] += checked
        groups[-1]["open"] = groups[-1]["open"] or checked
    return groups


def _add_errors(form: ActionForm, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _form_page(request, response, form, codes, *, action=None, conflict=None, status=200):
    selected = set(form["value_codes"].value() or [])
    ctx = {
        "response": response,
        "round": response.round,
        "form": form,
        "action": action,
        "code_groups": _code_groups(codes, selected, open_all=bool(form["value_codes"].errors)),
        "conflict": conflict,
        "status_labels": dict(Status.choices),
    }
    return render(request, "plans/action_form.html", ctx, status=status)


@login_required
@require_get_or_post
def new_action(request: HttpRequest, response_id: int) -> HttpResponse:
    """The lead adds an action of their own."""
    response = access.get_action_plan_response(request.user, response_id, write=True)
    codes = _round_codes(response)
    form = ActionForm(
        posted(request),
        value_codes=codes,
        initial={"status": Status.NOT_STARTED, "request_id": uuid.uuid4().hex},
    )
    if request.method == "POST" and form.is_valid():
        try:
            action = services.do_create_action(
                response=response,
                by=request.user,
                request_id=form.cleaned_data["request_id"],
                **form.values(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Added “{action.title}” to the plan.")
            return redirect(_plan_url(response, action))
    return _form_page(request, response, form, codes, status=400 if form.errors else 200)


@login_required
@require_get_or_post
def edit_action(request: HttpRequest, response_id: int, action_id: int) -> HttpResponse:
    """Change an action. A change based on an old version is refused and both are shown."""
    action = access.get_action_for_user(request.user, response_id, action_id, write=True)
    response = action.response
    codes = _round_codes(response)
    initial = {
        "title": action.title, "description": action.description, "owner": action.owner,
        "due_date": action.due_date, "status": action.status, "version": action.version,
        "value_codes": [vc.code for vc in action.value_codes.all()],
    }  # fmt: skip
    form = ActionForm(posted(request), value_codes=codes, initial=initial)
    form.fields["version"].required = True
    if request.method != "POST" or not form.is_valid():
        return _form_page(request, response, form, codes, action=action,
                          status=400 if form.errors else 200)  # fmt: skip
    try:
        saved = services.do_update_action(
            action=action,
            by=request.user,
            expected_version=form.cleaned_data["version"],
            **form.values(),
        )
    except services.StaleAction as exc:
        if exc.action is None:
            messages.error(request, "Someone else removed this action while you were editing.")
            return redirect(_plan_url(response))
        # Show theirs and mine. The form now carries their version, so saving again keeps
        # mine deliberately; leaving the page keeps theirs.
        data = request.POST.copy()
        data["version"] = str(exc.action.version)
        mine = form.cleaned_data
        form = ActionForm(data, value_codes=codes, initial=initial)
        form.is_valid()
        conflict = {"theirs": exc.action, "mine": mine,
                    "theirs_codes": [vc.code for vc in exc.action.value_codes.all()]}  # fmt: skip
        return _form_page(request, response, form, codes, action=exc.action, conflict=conflict,
                          status=409)  # fmt: skip
    except ValidationError as exc:
        _add_errors(form, exc)
        return _form_page(request, response, form, codes, action=action, status=400)
    messages.success(request, f"Saved “{saved.title}”.")
    return redirect(_plan_url(response, saved))


@login_required
@require_POST
def change_status(request: HttpRequest, response_id: int, action_id: int) -> HttpResponse:
    """The plan page's quick status change."""
    action = access.get_action_for_user(request.user, response_id, action_id, write=True)
    response = action.response
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Choose a status from the list for “{action.title}”.")
        return redirect(_plan_url(response, action))
    labels = dict(Status.choices)
    try:
        saved = services.do_set_action_status(
            action=action, by=request.user, status=form.cleaned_data["status"],
            expected_version=form.cleaned_data["version"],
        )  # fmt: skip
    except services.StaleAction as exc:
        if exc.action is None:
            messages.error(request, "Someone else removed that action.")
            return redirect(_plan_url(response))
        who = f" by {exc.action.updated_by.full_name}" if exc.action.updated_by else ""
        messages.error(
            request,
            f"“{exc.action.title}” was changed{who} while you were looking: its status is now "
            f"{labels[exc.action.status]}. Your change to {labels[form.cleaned_data['status']]} "
            "was not saved; choose again if you still want it.",
        )
        return redirect(_plan_url(response, exc.action))
    messages.success(request, f"“{saved.title}” is now {labels[saved.status].lower()}.")
    return redirect(_plan_url(response, saved))


@login_required
@require_get_or_post
def delete_action(request: HttpRequest, response_id: int, action_id: int) -> HttpResponse:
    """Ask, then remove an action. Dropping it instead keeps it on record."""
    action = access.get_action_for_user(request.user, response_id, action_id, write=True)
    response = action.response
    if request.method == "POST":
        form = VersionForm(request.POST)
        if form.is_valid():
            try:
                services.do_delete_action(
                    action=action, by=request.user, expected_version=form.cleaned_data["version"]
                )
            except services.StaleAction:
                messages.error(
                    request,
                    "Someone else changed this action while you were deciding. Check it and delete it again if you still want to.",
                )
                return redirect("plans:edit", response_id=response.pk, action_id=action.pk)
            messages.success(request, f"Deleted “{action.title}”.")
            return redirect(_plan_url(response))
    return render(request, "plans/delete.html", {"response": response, "action": action})


# --- Exports ----------------------------------------------------------------------------------
@login_required
@require_safe
def export(request: HttpRequest, response_id: int, fmt: str) -> HttpResponse:
    """The plan as CSV, XLSX or a committee paper (PDF), in the order the page shows it."""
    response = access.get_action_plan_response(request.user, response_id)
    the_plan = queries.plan_for(response)
    record("action_plan.exported", actor=request.user, obj=response,
           organisation_id=response.organisation_id, format=fmt)  # fmt: skip
    stem = slugify(f"{response.organisation.short_name} {response.round.name} action plan")
    if fmt == "pdf":
        ctx = exports.paper_context(the_plan)
        return pdf_response(render_pdf("plans/pdf/plan.html", ctx), f"{stem}.pdf")
    if fmt == "xlsx":
        out = HttpResponse(
            exports.xlsx_bytes(the_plan),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        out = HttpResponse(exports.csv_text(the_plan), content_type="text/csv; charset=utf-8")
    out["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    out["Cache-Control"] = "private, no-store"
    return out
