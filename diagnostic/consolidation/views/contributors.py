"""Colleagues' views: the contributor's own page (with autosave), and the lead's pages for
asking colleagues, following their progress, reminding and withdrawing them."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.consolidation import queries, services
from diagnostic.consolidation.forms import AskForm, FinishedForm, SharingForm, ViewForm
from diagnostic.consolidation.models import CONTRIBUTOR_FIELDS, Assignment, ContributorAnswer
from diagnostic.frameworks.levels import scale_of
from diagnostic.frameworks.models import LevelDescriptor
from diagnostic.lib.http import posted, require_get_or_post

LOCKED = "This response can no longer be changed."


# --- The contributor's own page -------------------------------------------------------------------
# Fifty-nine value codes, each with five level descriptions, made a page about 78,000 px tall:
# the page shows one value code at a time, with previous and next, and the contents list every
# key area (and the current one's value codes) with how many have the contributor's level.
# Every value code is a link away, and each form saves without JavaScript.
def _contribution_url(response_id: int, code: str = "") -> str:
    url = reverse("consolidation:contribution", args=[response_id])
    if code:
        url += f"?code={code}#vc-{code}"
    return url


def _form_for(vc, answer: ContributorAnswer | None, scale) -> ViewForm:
    initial = {"version": answer.version if answer else 0, "request_id": uuid.uuid4().hex}
    if answer is not None:
        initial.update(answer.values())
    return ViewForm(initial=initial, prefix=vc.code, scale=scale)


def _others_views(assignment: Assignment, codes) -> dict[int, list[queries.View]]:
    """The other active contributors' views on these value codes, when the lead shares them:
    three queries however many colleagues were asked."""
    response = assignment.response
    if not response.contributors_see_each_other:
        return {}
    others = [a for a in queries.assignments_of(response) if a.pk != assignment.pk]
    if not others:
        return {}
    answers = ContributorAnswer.objects.filter(
        assignment__in=[a.pk for a in others], value_code__in=[vc.pk for vc in codes]
    ).exclude(current_level__isnull=True, comment="")
    by_key = {(a.assignment_id, a.value_code_id): a for a in answers}
    out: dict[int, list[queries.View]] = {}
    for vc in codes:
        out[vc.pk] = [
            queries.View(a, by_key[(a.pk, vc.pk)])
            for a in others
            if queries.asks_about(a, vc) and (a.pk, vc.pk) in by_key
        ]
    return out


def _current_code(codes: list, answers: dict, *, code: str, area_code: str):
    """The value code to show: the one named, else the named key area's first, else the first
    without the contributor's level yet (where they left off), else the first."""
    if code:
        vc = next((vc for vc in codes if vc.code == code), None)
        if vc is None:
            raise Http404("You were not asked about this value code.")
        return vc
    if area_code:
        vc = next((vc for vc in codes if vc.key_area.code == area_code), None)
        if vc is None:
            raise Http404("You were not asked about this key area.")
        return vc
    without_level = (
        vc for vc in codes if answers.get(vc.pk) is None or answers[vc.pk].current_level is None
    )
    return next(without_level, codes[0] if codes else None)


def _contents(codes: list, answers: dict, current) -> list[dict]:
    """Each key area asked about, with how many of its value codes have a level; the current
    value code's area lists its value codes too."""
    areas: list[dict] = []
    for vc in codes:
        if not areas or areas[-1]["area"].pk != vc.key_area_id:
            areas.append({"area": vc.key_area, "codes": [], "answered": 0})
        given = answers.get(vc.pk) is not None and answers[vc.pk].current_level is not None
        areas[-1]["codes"].append({"vc": vc, "given": given})
        areas[-1]["answered"] += given
    for a in areas:
        a["is_current"] = current is not None and a["area"].pk == current.key_area_id
    return areas


def _contribution_context(
    request: HttpRequest,
    assignment: Assignment,
    *,
    code: str = "",
    area_code: str = "",
    forms_by_code: dict | None = None,
    conflicts: dict | None = None,
) -> dict:
    response = assignment.response
    forms_by_code, conflicts = forms_by_code or {}, conflicts or {}
    codes = list(assignment.value_codes())
    answers = {a.value_code_id: a for a in ContributorAnswer.objects.filter(assignment=assignment)}
    current = _current_code(codes, answers, code=code, area_code=area_code)
    asked_ids = {vc.pk for vc in codes}
    answered = sum(
        1 for a in answers.values() if a.value_code_id in asked_ids and a.current_level is not None
    )
    groups: list[dict] = []
    position, previous, following = 0, None, None
    if current is not None:
        i = codes.index(current)
        position = i + 1
        previous = codes[i - 1] if i > 0 else None
        following = codes[i + 1] if i + 1 < len(codes) else None
        descriptors = list(
            LevelDescriptor.objects.filter(value_code=current)
            .select_related("level")
            .order_by("level__number")
        )
        answer = answers.get(current.pk)
        scale = scale_of(assignment.response.round.framework_version)
        groups.append({"area": current.key_area, "rows": [{
            "vc": current, "answer": answer, "descriptors": descriptors,
            "form": forms_by_code.get(current.code) or _form_for(current, answer, scale),
            "conflict": conflicts.get(current.code),
            "others": _others_views(assignment, [current]).get(current.pk, []),
        }]})  # fmt: skip
    return {
        "assignment": assignment,
        "response": response,
        "round": response.round,
        "contents": _contents(codes, answers, current),
        "area": current.key_area if current is not None else None,
        "current": current,
        "position": position,
        "previous": previous,
        "next": following,
        "groups": groups,
        "asked": len(codes),
        "answered": answered,
        "can_write": response.is_editable,
        "sharing": response.contributors_see_each_other,
    }


@login_required
@require_safe
def contribution(request: HttpRequest, response_id: int) -> HttpResponse:
    """What the contributor was asked about, their own view on one value code at a time, and
    their progress. `?code=` names the value code, `?area=` a key area (its first value code)."""
    assignment = access.get_contribution_for_user(request.user, response_id)
    ctx = _contribution_context(
        request, assignment, code=request.GET.get("code", ""), area_code=request.GET.get("area", "")
    )
    return render(request, "consolidation/contribution.html", ctx)


@login_required
@require_POST
def finished(request: HttpRequest, response_id: int) -> HttpResponse:
    """The contributor says they have finished (or, again, that they have not)."""
    assignment = access.get_contribution_for_user(request.user, response_id)
    form = FinishedForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Choose whether you have finished.")
    done = form.cleaned_data["finished"]
    try:
        services.do_mark_finished(assignment=assignment, by=request.user, finished=done)
    except services.ResponseLocked:
        messages.error(request, LOCKED)
    else:
        if done:
            messages.success(
                request,
                "Thank you. Your lead can see you have finished. You can still change your "
                "views until the response is submitted.",
            )
        else:
            messages.info(request, "Marked as not finished yet.")
    return redirect("consolidation:contribution", response_id=assignment.response_id)


@login_required
@require_POST
def save_view(request: HttpRequest, response_id: int, code: str) -> HttpResponse:
    """Save one of the contributor's own views: HTMX autosave (fragments) or a plain post."""
    assignment = access.get_contribution_for_user(request.user, response_id)
    response = assignment.response
    vc = access.get_value_code_in_round(response, code)
    if not services.is_asked_about(assignment, vc):
        raise Http404("You were not asked about this value code.")
    scale = scale_of(response.round.framework_version)
    form = ViewForm(request.POST, prefix=code, scale=scale)
    status, conflict, saved, mine = 200, None, None, None
    if not form.is_valid():
        status = 422
    else:
        data = dict(form.cleaned_data)
        version, request_id = data.pop("version"), data.pop("request_id")
        try:
            saved = services.do_save_view(
                assignment=assignment, value_code=vc, by=request.user,
                expected_version=version, request_id=request_id, **data,
            ).answer  # fmt: skip
        except services.NotAsked as exc:
            raise Http404("You were not asked about this value code.") from exc
        except services.StaleAnswer as exc:
            status, conflict = 409, exc.answer
            mine = ContributorAnswer(**{f: form.cleaned_data[f] for f in CONTRIBUTOR_FIELDS})
        except services.ResponseLocked:
            status = 423
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            status = 422
    if request.htmx:
        ctx = {
            "code": code, "vc": vc, "form": form, "saved": saved, "conflict": conflict,
            "mine": mine, "status": status, "response": response,
        }  # fmt: skip
        return render(request, "consolidation/_view_save_result.html", ctx, status=status)
    # Without JavaScript: back to the same value code, or it again with the problem shown.
    if status == 200:
        messages.success(request, f"Saved your view on {vc.code} {vc.title}.")
        return redirect(_contribution_url(response.pk, vc.code))
    if status == 423:
        messages.error(request, LOCKED)
        return redirect(_contribution_url(response.pk))
    if conflict:
        # Keep the person's change, now based on the saved version, so that Save replaces
        # the saved view deliberately, as the conflict panel says.
        data = request.POST.copy()
        data[f"{code}-version"] = str(conflict.version)
        data[f"{code}-request_id"] = uuid.uuid4().hex
        form = ViewForm(data, prefix=code, scale=scale)
    ctx = _contribution_context(
        request, assignment, code=code, forms_by_code={code: form},
        conflicts={code: {"theirs": conflict, "mine": mine}} if conflict else {},
    )  # fmt: skip
    ctx["error_code"] = code
    return render(request, "consolidation/contribution.html", ctx, status=status)


# --- The lead: asking colleagues --------------------------------------------------------------------
@login_required
@require_safe
def contributors(request: HttpRequest, response_id: int) -> HttpResponse:
    """Everyone asked for their views, what about, and how far they have got."""
    response = access.get_response_for_lead(request.user, response_id)
    everyone = queries.assignments_of(response, include_withdrawn=True)
    progress = queries.progress_of(response, everyone)
    active = [p for p in progress if p.assignment.is_active]
    ctx = {
        "response": response,
        "round": response.round,
        "active": active,
        "withdrawn": [p for p in progress if not p.assignment.is_active],
        "finished_count": sum(1 for p in active if p.assignment.finished_at),
        "unfinished_count": sum(1 for p in active if not p.assignment.finished_at),
        "sharing_form": SharingForm(initial={"share": response.contributors_see_each_other}),
        "can_write": response.is_editable,
        "today": timezone.localdate(),
    }
    return render(request, "consolidation/contributors.html", ctx)


@login_required
@require_get_or_post
def ask(request: HttpRequest, response_id: int) -> HttpResponse:
    """Ask a colleague for their views: everything or chosen key areas, by a due date."""
    response = access.get_response_for_lead(request.user, response_id)
    form = AskForm(posted(request), response=response)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.do_ask_contributor(
                by=request.user, response=response, **form.service_kwargs()
            )
        except services.ResponseLocked:
            messages.error(request, LOCKED)
            return redirect("consolidation:contributors", response_id=response.pk)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if assignment.user_id:
                messages.success(
                    request,
                    f"{assignment.full_name} already has a role in "
                    f"{response.organisation.short_name}: we emailed {assignment.email} to "
                    "say their views are asked for.",
                )
            else:
                messages.success(
                    request,
                    f"We emailed an invitation to {assignment.email}. {assignment.full_name} "
                    "will see what you asked once they have accepted it.",
                )
            return redirect("consolidation:contributors", response_id=response.pk)
    ctx = {
        "response": response,
        "round": response.round,
        "form": form,
        "can_write": response.is_editable,
    }
    return render(request, "consolidation/ask.html", ctx, status=400 if form.errors else 200)


@login_required
@require_get_or_post
def remind(request: HttpRequest, response_id: int) -> HttpResponse:
    """Preview who would be reminded (GET), then email everyone who has not finished (POST)."""
    response = access.get_response_for_lead(request.user, response_id)
    if request.method == "POST":
        try:
            count = services.do_remind_contributors(by=request.user, response=response)
        except services.ResponseLocked:
            messages.error(request, LOCKED)
        else:
            if count:
                messages.success(request, f"Reminder sent to {count} colleague{pluralize(count)}.")
            else:
                messages.info(request, "Everyone asked has finished: no reminder was sent.")
        return redirect("consolidation:contributors", response_id=response.pk)
    ctx = {
        "response": response,
        "round": response.round,
        "recipients": list(services.unfinished(response)),
        "can_write": response.is_editable,
    }
    return render(request, "consolidation/remind.html", ctx)


@login_required
@require_POST
def sharing(request: HttpRequest, response_id: int) -> HttpResponse:
    """The lead lets contributors see each other's views, or stops them."""
    response = access.get_response_for_lead(request.user, response_id)
    form = SharingForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    share = bool(form.cleaned_data.get("share"))
    try:
        services.do_set_sharing(by=request.user, response=response, share=share)
    except services.ResponseLocked:
        messages.error(request, LOCKED)
    else:
        messages.success(
            request,
            "Contributors can now see each other's views."
            if share
            else "Contributors now see only their own views.",
        )
    return redirect("consolidation:contributors", response_id=response.pk)


@login_required
@require_get_or_post
def withdraw(request: HttpRequest, response_id: int, assignment_id: int) -> HttpResponse:
    """Stop asking a colleague (GET asks to confirm). Their views so far are kept."""
    assignment = access.get_assignment_for_lead(request.user, response_id, assignment_id)
    response = assignment.response
    if request.method == "POST":
        if not assignment.is_active:
            messages.info(request, f"{assignment.full_name} was already no longer asked.")
            return redirect("consolidation:contributors", response_id=response.pk)
        try:
            services.do_withdraw_assignment(by=request.user, assignment=assignment)
        except services.ResponseLocked:
            messages.error(request, LOCKED)
        else:
            messages.success(
                request,
                f"{assignment.full_name} is no longer asked for views. The views they gave "
                "are kept.",
            )
        return redirect("consolidation:contributors", response_id=response.pk)
    ctx = {
        "response": response,
        "round": response.round,
        "assignment": assignment,
        "can_write": response.is_editable,
    }
    return render(request, "consolidation/withdraw.html", ctx)
