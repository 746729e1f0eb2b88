"""A council answers its assessment: home, questionnaire, autosave, details, submission."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.accounts.models import Role
from diagnostic.assessments import queries, services
from diagnostic.assessments.forms import AnswerForm, DetailsForm
from diagnostic.assessments.models import ANSWER_FIELDS, Answer
from diagnostic.consolidation import queries as consolidation_queries
from diagnostic.consolidation import services as consolidation_services
from diagnostic.frameworks.levels import LevelScale, scale_of
from diagnostic.lib.http import posted, require_get_or_post


def _can_write(request: HttpRequest, response) -> bool:
    return access.role_in(request.user, response.organisation) == Role.LEAD and response.is_editable


@login_required
@require_safe
def my_assessment(request: HttpRequest) -> HttpResponse:
    """The active organisation's current response, or a page saying there is none."""
    membership = request.membership
    if not membership:
        messages.info(request, "You do not have a role in an organisation yet.")
        return redirect("accounts:home")
    response = queries.current_response_for(membership.organisation_id)
    if response is None:
        return render(
            request, "assessments/no_round.html", {"organisation": membership.organisation}
        )
    if membership.role == Role.CONTRIBUTOR and not response.is_submitted:
        # Straight to their own page, without a hop through the agreed answers' home.
        return _contributor_home(request, response)
    return redirect("assessments:response", response_id=response.pk)


def _contributor_home(request: HttpRequest, response) -> HttpResponse:
    """A contributor on a draft response: their own views if they were asked, else a note.

    The agreed answers are the lead's until submission (access.AgreedAnswersHidden).
    """
    try:
        access.get_contribution_for_user(request.user, response.pk)
    except Http404:
        ctx = {"response": response, "round": response.round}
        return render(request, "consolidation/not_asked.html", ctx)
    return redirect("consolidation:contribution", response_id=response.pk)


@login_required
@require_safe
def response_home(request: HttpRequest, response_id: int) -> HttpResponse:
    """The organisation's home for one round: deadline, progress, contributors, next step."""
    try:
        response = access.get_response_for_user(request.user, response_id)
    except access.AgreedAnswersHidden as hidden:
        return _contributor_home(request, hidden.response)
    summary = queries.home_summary(response)  # one query for a published framework version
    if summary is not None:
        areas, to_confirm = summary.areas, summary.to_confirm
        any_answers, next_item = summary.any_answers, summary.next_item
        missing = {"answers": summary.answers, "codes": summary.codes}
    else:
        areas = queries.progress_by_key_area(response)
        to_confirm = services.carried_forward_by_area(response)
        for a in areas:
            a.to_confirm = to_confirm.get(a.pk, 0)
        any_answers, next_item = None, queries.next_unanswered(response)
        missing = {}
    total = sum(a.total for a in areas)
    offer = None
    if not response.is_submitted and response.round.phase == "open":
        if any_answers is None:
            any_answers = response.answers.exists()
        if not any_answers:
            offer = services.previous_response(response)
    ctx = {
        "response": response,
        "round": response.round,
        "areas": areas,
        "total": total,
        "answered": sum(a.answered for a in areas),
        "next_item": next_item,
        "contributors": queries.contributors(response),
        "can_write": _can_write(request, response),
        "is_lead": access.role_in(request.user, response.organisation) == Role.LEAD,
        "missing_count": (
            len(services.missing_items(response, **missing)) if not response.is_submitted else 0
        ),
        "submissions": response.submissions.select_related("submitted_by", "reopened_by"),
        "previous_offer": offer,
        "carried_count": sum(to_confirm.values()),
        "first_to_confirm": next((a for a in areas if a.to_confirm), None),
    }
    # The action plan is linked for those who may read it (access.get_action_plan_response):
    # the council's members and the national team, not a regional lead.
    own = access.role_in(request.user, response.organisation)
    ctx["can_read_plan"] = access.is_national(request.user) or (
        own is not None and not (own == Role.CONTRIBUTOR and not response.is_submitted)
    )
    if ctx["is_lead"]:
        ctx["views"] = _colleagues_views(response)
    return render(request, "assessments/response_home.html", ctx)


def _colleagues_views(response) -> dict:
    """The lead's summary of colleagues' views: who was asked, what is left to consolidate,
    and the latest sign-off request."""
    assignments = consolidation_queries.assignments_of(response)
    out = {
        "asked": len(assignments),
        "finished": sum(1 for a in assignments if a.finished_at),
        "disagreements": 0,
        "unconsolidated": 0,
        "open_disagreements": 0,
        "sign_off": consolidation_services.latest_sign_off(response),
    }
    if assignments:
        rows = consolidation_queries.consolidation_rows(response, assignments=assignments)
        with_views = [r for r in rows if r.spread.has_views]
        out["disagreements"] = sum(1 for r in with_views if r.spread.disagreement)
        out["unconsolidated"] = sum(1 for r in with_views if not r.is_consolidated)
        out["open_disagreements"] = sum(
            1 for r in with_views if r.spread.disagreement and not r.is_consolidated
        )
    return out


@login_required
@require_POST
def start_from_previous(request: HttpRequest, response_id: int) -> HttpResponse:
    """The lead copies the last round's submitted answers into an empty draft."""
    response = access.get_response_for_user(request.user, response_id, write=True)
    try:
        count = services.do_start_from_previous(response=response, by=request.user)
    except services.ResponseLocked:
        messages.error(request, "This response can no longer be changed.")
    except services.NoPreviousResponse:
        messages.error(request, "There is no submitted response from the last round to start from.")
    else:
        name = response.round.previous_round.name
        if count:
            messages.success(
                request,
                f"{count} answer{pluralize(count)} copied from your {name} response. Each is marked "
                "“carried forward” until you confirm it or change it: check each one and press "
                "Save, or confirm a whole key area at once. You can submit once none is left.",
            )
        else:
            messages.info(
                request, f"Every value code already had an answer: nothing was copied from {name}."
            )
    return redirect("assessments:response", response_id=response.pk)


@login_required
@require_POST
def confirm_area(request: HttpRequest, response_id: int, area_code: str) -> HttpResponse:
    """The lead confirms, as they are, every carried-forward answer in one key area."""
    response = access.get_response_for_user(request.user, response_id, write=True)
    area = access.get_key_area_in_round(response, area_code)
    try:
        count = services.do_confirm_carried_forward(
            response=response, by=request.user, value_codes=area.value_codes.all()
        )
    except services.ResponseLocked:
        messages.error(request, "This response can no longer be changed.")
        return redirect("assessments:response", response_id=response.pk)
    if count:
        messages.success(
            request, f"Confirmed {count} carried-forward answer{pluralize(count)} in {area.name}."
        )
    else:
        messages.info(request, f"No answer in {area.name} was waiting to be confirmed.")
    return redirect("assessments:area", response_id=response.pk, area_code=area.code)


def _area_context(request, response, area, items, forms_by_code=None, conflicts=None):
    outline = queries.outline_for(response)
    forms_by_code = forms_by_code or {}
    conflicts = conflicts or {}
    levels = queries.levels_for(response)
    scale = LevelScale.of(levels)
    rows = []
    for item in items:
        form = forms_by_code.get(item.value_code.code) or _form_for(item, scale)
        rows.append({"item": item, "form": form, "conflict": conflicts.get(item.value_code.code)})
    return {
        "response": response,
        "round": response.round,
        "area": area,
        "outline": outline,
        "rows": rows,
        "levels": levels,
        "can_write": _can_write(request, response),
        "last_position": items[-1].value_code.position if items else 0,
        "carried_count": sum(1 for i in items if i.answer and i.answer.carried_forward),
        "carried_from": response.round.previous_round if response.round.previous_round_id else None,
    }


def _form_for(item: queries.Item, scale: LevelScale) -> AnswerForm:
    a = item.answer
    initial = {"version": item.version, "request_id": uuid.uuid4().hex}
    if a is not None:
        initial.update(a.values())
    return AnswerForm(initial=initial, prefix=item.value_code.code, scale=scale)


@login_required
@require_safe
def answer_area(request: HttpRequest, response_id: int, area_code: str) -> HttpResponse:
    """The questionnaire for one key area: every value code with its level descriptors."""
    response = access.get_response_for_user(request.user, response_id)
    area = access.get_key_area_in_round(response, area_code)
    items = queries.items_for(response, key_area=area)
    return render(
        request, "assessments/answer_area.html", _area_context(request, response, area, items)
    )


@login_required
@require_safe
def next_item(request: HttpRequest, response_id: int) -> HttpResponse:
    response = access.get_response_for_user(request.user, response_id)
    after = int(request.GET.get("after", 0)) if request.GET.get("after", "").isdigit() else 0
    vc = queries.next_unanswered(response, after_position=after)
    if vc is None:
        messages.success(request, "Every value code has an answer.")
        return redirect("assessments:submit", response_id=response.pk)
    url = reverse("assessments:area", args=[response.pk, vc.key_area.code])
    return redirect(f"{url}#vc-{vc.code}")


@login_required
@require_POST
def save_answer(request: HttpRequest, response_id: int, code: str) -> HttpResponse:
    """Save one answer: HTMX autosave (returns fragments) or a plain form post (redirects).

    The response is read locked, in the save's own transaction, so the service does not read
    it again; nothing but the form's checks runs while the lock is held (rendering is after).
    """
    status, conflict, saved, mine = 200, None, None, None
    with transaction.atomic():
        response = access.get_response_for_user(request.user, response_id, write=True, lock=True)
        vc = access.get_value_code_in_round(response, code)
        scale = scale_of(response.round.framework_version)
        form = AnswerForm(request.POST, prefix=code, scale=scale)
        if not form.is_valid():
            status = 422
        else:
            data = dict(form.cleaned_data)
            version, request_id = data.pop("version"), data.pop("request_id")
            try:
                saved = services.do_save_answer(
                    response=response, value_code=vc, by=request.user,
                    expected_version=version, request_id=request_id, **data,
                ).answer  # fmt: skip
            except services.StaleAnswer as exc:
                status, conflict = 409, exc.answer
                # The person's unsaved change, shown beside the saved answer in the same terms.
                mine = Answer(**{f: form.cleaned_data[f] for f in ANSWER_FIELDS})
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
            "levels": queries.levels_of(response.round.framework_version_id) if conflict else [],
        }  # fmt: skip
        return render(request, "assessments/_save_result.html", ctx, status=status)
    # Without JavaScript: back to the key area, or the page again with the problem shown.
    area = vc.key_area
    if status == 200:
        messages.success(request, f"Saved {vc.code} {vc.title}.")
        return redirect(
            f"{reverse('assessments:area', args=[response.pk, area.code])}#vc-{vc.code}"
        )
    if status == 423:
        messages.error(request, "This response can no longer be changed.")
        return redirect("assessments:response", response_id=response.pk)
    items = queries.items_for(response, key_area=area)
    if conflict:
        # Keep the person's change in the form, now based on the saved version, so that Save
        # replaces the saved answer deliberately, as the conflict panel says.
        data = request.POST.copy()
        data[f"{code}-version"] = str(conflict.version)
        data[f"{code}-request_id"] = uuid.uuid4().hex
        form = AnswerForm(data, prefix=code, scale=scale)
    ctx = _area_context(
        request, response, area, items,
        forms_by_code={code: form} if status in (409, 422) else {},
        conflicts={code: {"theirs": conflict, "mine": mine}} if conflict else {},
    )  # fmt: skip
    ctx["error_code"] = code
    return render(request, "assessments/answer_area.html", ctx, status=status)


@login_required
@require_get_or_post
def details(request: HttpRequest, response_id: int) -> HttpResponse:
    """Responsible officer, organisation profile, consent and sign-off."""
    response = access.get_response_for_user(request.user, response_id)
    can_write = _can_write(request, response)
    if request.method == "POST" and not can_write:
        access.get_response_for_user(request.user, response_id, write=True)  # 403 for non-leads
        messages.error(request, "This response can no longer be changed.")
        return redirect("assessments:response", response_id=response.pk)
    form = DetailsForm(posted(request), instance=response, initial={"version": response.version})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.do_save_details(
                response=response,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                **data,
            )
        except services.StaleResponse:
            messages.error(
                request,
                "Someone else changed these details while you were editing. Here they are now; make your changes again.",
            )
            return redirect("assessments:details", response_id=response.pk)
        messages.success(request, "Details saved.")
        return redirect("assessments:response", response_id=response.pk)
    if not can_write:
        for field in form.fields.values():
            field.disabled = True
    ctx = {"response": response, "form": form, "can_write": can_write}
    return render(request, "assessments/details.html", ctx, status=400 if form.errors else 200)


@login_required
@require_get_or_post
def submit(request: HttpRequest, response_id: int) -> HttpResponse:
    """Check what is missing, then (the lead only) submit."""
    response = access.get_response_for_user(request.user, response_id)
    is_lead = access.role_in(request.user, response.organisation) == Role.LEAD
    if request.method == "POST":
        if not is_lead:
            raise PermissionDenied("Only the organisation's lead can submit.")
        try:
            services.do_submit(response=response, by=request.user)
        except services.Incomplete:
            messages.error(
                request, "The response is not complete yet. The list below shows what is left."
            )
        except services.ResponseLocked:
            messages.error(request, "This response can no longer be changed.")
            return redirect("assessments:response", response_id=response.pk)
        else:
            messages.success(
                request, f"{response.organisation.name}'s response has been submitted. Thank you."
            )
            return redirect("assessments:response", response_id=response.pk)
    missing = services.missing_items(response) if not response.is_submitted else []
    ctx = {
        "response": response,
        "missing": missing,
        "is_lead": is_lead,
        "can_write": _can_write(request, response),
        # A warning, not a block: the agreed answers are what is submitted.
        "views": _colleagues_views(response) if is_lead and not response.is_submitted else None,
    }
    return render(
        request, "assessments/submit.html", ctx, status=400 if request.method == "POST" else 200
    )
