"""The library, case study pages, the council's editor, moderation, candidates and guidance.

Every object comes through `accounts/access.py`; every change through `practice/services.py`;
every list of published case studies through `practice/queries.library` (or `published_for`).
Every form works without JavaScript (POST, then redirect); the editor autosaves with HTMX.
"""

from __future__ import annotations

import csv
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from diagnostic.accounts import access
from diagnostic.assessments.models import Round
from diagnostic.frameworks.models import ValueCode
from diagnostic.lib.http import posted, require_get_or_post
from diagnostic.lib.spreadsheets import neutralise_row
from diagnostic.practice import queries, services
from diagnostic.practice.forms import (
    AttachmentForm,
    CaseStudyForm,
    DeclineForm,
    GuidanceForm,
    InviteForm,
    ModerationForm,
    WithdrawForm,
)
from diagnostic.practice.models import CaseStudy, State, WriteUpInvitation
from diagnostic.practice.uploads import UploadRefused


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _filters(request: HttpRequest) -> queries.LibraryFilters:
    g = request.GET
    return queries.LibraryFilters(
        q=g.get("q", "")[:200].strip(),
        theme=g.get("theme", "")[:20],
        key_area=g.get("key_area", "")[:20],
        value_code=g.get("value_code", "")[:20],
        enabler=g.get("enabler", "")[:40],
        level=_int_or_none(g.get("level")),
        above=_int_or_none(g.get("above")),
        council_type=g.get("council_type", "")[:32],
        region=g.get("region", "")[:9],
        sort=g.get("sort", "")[:12],
    )


# --- The library ------------------------------------------------------------------------------
@require_safe
def library(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    page = queries.library_page(request.user, filters, request.GET.get("page"))
    keep = {k: v for k, v in request.GET.items() if k != "page" and v}
    version = queries.current_version()
    ctx = {
        "page": page,
        "filters": filters,
        "options": queries.filter_options(version),
        "sorts": [(k, label) for k, (label, _) in queries.SORTS.items()],
        "query_string": urlencode(keep),
        "csv_query": urlencode(keep),
        "is_filtered": bool(keep.keys() - {"sort"}),
    }
    return render(request, "practice/library.html", ctx)


@require_safe
def library_csv(request: HttpRequest) -> HttpResponse:
    """The library's results as CSV: the same query, so the same case studies, no more."""
    qs = queries.with_display(queries.library(request.user, _filters(request)))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="good-practice.csv"'
    writer = csv.writer(response)
    writer.writerow(["Title", "Council", "Value codes", "Level", "Key area", "Published", "Link"])
    for cs in qs[:5000]:
        writer.writerow(neutralise_row([
            cs.title, cs.author_label,
            " ".join(vc.code for vc in cs.value_codes.all()),
            cs.level.name if cs.level else "", cs.key_area.name if cs.key_area else "",
            cs.published_at.date().isoformat() if cs.published_at else "",
            request.build_absolute_uri(reverse("practice:case_study", args=[cs.pk])),
        ]))  # fmt: skip
    return response


@require_safe
def case_study(request: HttpRequest, case_study_id: int) -> HttpResponse:
    cs = access.get_case_study_for_reader(request.user, case_study_id)
    own_role = (
        access.role_in(request.user, cs.organisation) if request.user.is_authenticated else None
    )
    moderator = request.user.is_authenticated and queries.can_moderate(request.user, cs)
    ctx = {
        "cs": cs,
        "value_codes": list(cs.value_codes.select_related("key_area")),
        "enablers": list(cs.enablers.all()),
        "attachments": list(cs.attachments.all()),
        "guidance": queries.guidance_for(cs),
        "is_own": bool(own_role),
        "is_lead": own_role == "lead",
        "can_moderate": moderator and cs.state in (State.SUBMITTED, State.IN_REVIEW),
        "events": list(cs.events.select_related("by")) if (own_role or moderator) else [],
        "moderation_form": ModerationForm(),
    }
    return render(request, "practice/case_study.html", ctx)


def _download(file, name: str, content_type: str) -> FileResponse:
    response = FileResponse(file.open("rb"), as_attachment=True, filename=name,
                            content_type=content_type)  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def attachment(request: HttpRequest, case_study_id: int, attachment_id: int) -> HttpResponse:
    """An attachment, only as a download, only to those who may read the case study."""
    att = access.get_attachment_for_reader(request.user, case_study_id, attachment_id)
    return _download(att.file, att.original_name, att.content_type)


@require_safe
def guidance_file(request: HttpRequest, guidance_id: int) -> HttpResponse:
    g = access.get_guidance_for_reader(request.user, guidance_id)
    if not g.file:  # a link is followed from the page itself; this route never redirects
        raise Http404
    return _download(g.file, g.original_name, g.content_type)


@login_required
@require_safe
def examples_for_response(request: HttpRequest, response_id: int) -> HttpResponse:
    """Published examples at the level above a council's answers (the action plan loads this)."""
    response = access.get_response_for_user(request.user, response_id)
    found = queries.examples_above_for_response(request.user, response)
    ctx = {"rows": [(code, found[code]) for code in sorted(found)], "h": "h2",
           "response": response}  # fmt: skip
    template = "practice/_examples_above.html" if request.htmx else "practice/examples.html"
    return render(request, template, ctx)


# --- The council's own case studies -----------------------------------------------------------
@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """The council's case studies in every state, and invitations to write one up."""
    orgs = [m.organisation for m in access.organisation_memberships(request.user)]
    if not orgs:
        raise PermissionDenied("Case studies are written by councils.")
    leads = {m.organisation_id for m in access.organisation_memberships(request.user)
             if m.role == "lead"}  # fmt: skip
    studies = list(
        CaseStudy.objects.filter(organisation__in=orgs)
        .select_related("organisation", "level")
        .prefetch_related("value_codes")
        .order_by("-updated_at", "-pk")
    )
    invitations = list(
        WriteUpInvitation.objects.filter(organisation__in=orgs).select_related(
            "organisation", "value_code", "level", "round", "case_study"
        )
    )
    ctx = {
        "studies": studies,
        "invitations": invitations,
        "lead_organisations": [o for o in orgs if o.pk in leads],
        "decline_form": DeclineForm(),
    }
    return render(request, "practice/mine.html", ctx)


@login_required
@require_POST
def new(request: HttpRequest) -> HttpResponse:
    """Start a case study unprompted, for the council the person leads."""
    org = access.get_organisation_for_user(request.user, request.POST.get("organisation"))
    version = queries.current_version()
    if version is None:
        messages.error(request, "There is no published framework to write against yet.")
        return redirect("practice:mine")
    cs = services.do_create_case_study(organisation=org, by=request.user, framework_version=version)
    return redirect("practice:edit", case_study_id=cs.pk)


def _editor_context(cs, form, *, conflict=None, mine=None, attachment_form=None, problems=None):
    return {
        "cs": cs,
        "form": form,
        "conflict": conflict,
        "mine": mine,
        "attachments": list(cs.attachments.all()),
        "attachment_form": attachment_form or AttachmentForm(),
        "problems": problems or [],
        "withdraw_form": WithdrawForm(),
    }


@login_required
@require_safe
def edit(request: HttpRequest, case_study_id: int) -> HttpResponse:
    cs = access.get_case_study_for_lead(request.user, case_study_id)
    if not cs.is_editable:
        messages.info(
            request,
            f"This case study is {cs.get_state_display().lower()}: it cannot be changed now.",
        )
        return redirect("practice:case_study", case_study_id=cs.pk)
    form = CaseStudyForm(initial=CaseStudyForm.initial_for(cs), version=cs.framework_version)
    return render(request, "practice/edit.html", _editor_context(cs, form))


def _values_of(form_data: dict) -> dict:
    """What a person typed, in the shape of CaseStudy.values() plus the relations, for showing."""
    return {
        **{k: form_data.get(k) for k in ("title", "summary", "what_was_done", "results",
                                          "differently", "contact_role", "visibility", "named")},
        "value_codes": ", ".join(vc.code for vc in form_data.get("value_codes") or []),
        "level": form_data.get("level"),
        "key_area": form_data.get("key_area"),
    }  # fmt: skip


def _saved_values(cs: CaseStudy) -> dict:
    return {
        **cs.values(),
        "value_codes": ", ".join(vc.code for vc in cs.value_codes.all()),
        "level": cs.level,
        "key_area": cs.key_area,
    }


@login_required
@require_POST
def save(request: HttpRequest, case_study_id: int) -> HttpResponse:
    """Save the draft: HTMX autosave (fragments) or a plain form post (redirect or the page)."""
    cs = access.get_case_study_for_lead(request.user, case_study_id)
    form = CaseStudyForm(request.POST, version=cs.framework_version)
    status, conflict, mine, saved = 200, None, None, None
    if not form.is_valid():
        status = 422
    else:
        data = dict(form.cleaned_data)
        version, request_id = data.pop("version"), data.pop("request_id")
        try:
            saved = services.do_save_draft(
                case_study=cs, by=request.user, expected_version=version,
                request_id=request_id or "", **data,
            )  # fmt: skip
        except services.StaleCaseStudy as exc:
            status, conflict = 409, _saved_values(exc.case_study)
            conflict["version"] = exc.case_study.version
            conflict["updated_by"] = exc.case_study.updated_by
            conflict["updated_at"] = exc.case_study.updated_at
            mine = _values_of(form.cleaned_data)
        except services.NotEditable:
            status = 423
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            status = 422
    if request.htmx:
        ctx = {"form": form, "saved": saved, "conflict": conflict, "mine": mine,
               "status": status, "cs": cs}  # fmt: skip
        return render(request, "practice/_save_result.html", ctx, status=status)
    if status == 200:
        messages.success(request, "Saved.")
        return redirect("practice:edit", case_study_id=cs.pk)
    if status == 423:
        messages.error(request, "This case study can no longer be changed.")
        return redirect("practice:case_study", case_study_id=cs.pk)
    if conflict:
        # Keep the person's change, now based on the saved version, so Save replaces it deliberately.
        data = request.POST.copy()
        data["cs-version"] = str(conflict["version"])
        data["cs-request_id"] = uuid.uuid4().hex
        form = CaseStudyForm(data, version=cs.framework_version)
        form.is_valid()
    ctx = _editor_context(cs, form, conflict=conflict, mine=mine)
    return render(request, "practice/edit.html", ctx, status=status)


@login_required
@require_POST
def submit(request: HttpRequest, case_study_id: int) -> HttpResponse:
    cs = access.get_case_study_for_lead(request.user, case_study_id)
    try:
        services.do_submit(case_study=cs, by=request.user)
    except ValidationError as exc:
        form = CaseStudyForm(initial=CaseStudyForm.initial_for(cs), version=cs.framework_version)
        problems = [(f, m) for f, ms in exc.message_dict.items() for m in ms]
        return render(request, "practice/edit.html",
                      _editor_context(cs, form, problems=problems), status=422)  # fmt: skip
    except services.WrongState:
        messages.error(request, "This case study has been submitted already.")
        return redirect("practice:case_study", case_study_id=cs.pk)
    messages.success(request, "Submitted. A moderator will read it and publish it or reply.")
    return redirect("practice:case_study", case_study_id=cs.pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, case_study_id: int) -> HttpResponse:
    cs = access.get_case_study_for_lead(request.user, case_study_id)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.do_withdraw(case_study=cs, by=request.user, reason=reason)
    except services.WrongState:
        messages.info(request, "It was withdrawn already.")
        return redirect("practice:mine")
    messages.success(request, f"“{cs}” is withdrawn: it is no longer shown anywhere.")
    return redirect("practice:mine")


@login_required
@require_POST
def add_attachment(request: HttpRequest, case_study_id: int) -> HttpResponse:
    cs = access.get_case_study_for_lead(request.user, case_study_id)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            att = services.do_add_attachment(case_study=cs, by=request.user,
                                             upload=form.cleaned_data["file"])  # fmt: skip
        except UploadRefused as exc:
            form.add_error("file", str(exc))
        except services.NotEditable:
            messages.error(request, "This case study can no longer be changed.")
            return redirect("practice:case_study", case_study_id=cs.pk)
        else:
            messages.success(request, f"Attached {att.original_name}.")
            return redirect(f"{reverse('practice:edit', args=[cs.pk])}#attachments")
    editor = CaseStudyForm(initial=CaseStudyForm.initial_for(cs), version=cs.framework_version)
    ctx = _editor_context(cs, editor, attachment_form=form)
    return render(request, "practice/edit.html", ctx, status=422)


@login_required
@require_POST
def remove_attachment(request: HttpRequest, case_study_id: int, attachment_id: int) -> HttpResponse:
    att = access.get_attachment_for_lead(request.user, case_study_id, attachment_id)
    try:
        services.do_remove_attachment(attachment=att, by=request.user)
    except services.NotEditable:
        messages.error(request, "This case study can no longer be changed.")
        return redirect("practice:case_study", case_study_id=case_study_id)
    messages.success(request, f"Removed {att.original_name}.")
    return redirect(f"{reverse('practice:edit', args=[case_study_id])}#attachments")


# --- Invitations, from the council's side -----------------------------------------------------
@login_required
@require_POST
def decline(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = access.get_write_up_invitation_for_lead(request.user, invitation_id)
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.do_decline_invitation(invitation=invitation, by=request.user, reason=reason)
    except services.WrongState:
        messages.info(request, "That invitation was answered already.")
    else:
        messages.success(
            request,
            f"Declined. We will not ask again about {invitation.value_code.code} this round.",
        )
    return redirect("practice:mine")


@login_required
@require_POST
def write_up(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = access.get_write_up_invitation_for_lead(request.user, invitation_id)
    try:
        cs = services.do_accept_invitation(invitation=invitation, by=request.user)
    except services.WrongState:
        messages.info(request, "That invitation was declined.")
        return redirect("practice:mine")
    return redirect("practice:edit", case_study_id=cs.pk)


# --- Moderation -------------------------------------------------------------------------------
@login_required
@require_safe
def moderation(request: HttpRequest) -> HttpResponse:
    access.require_practice_moderator(request.user)
    queue = list(queries.moderation_queue(request.user))
    return render(request, "practice/moderation.html", {"queue": queue})


@login_required
@require_POST
def moderate(request: HttpRequest, case_study_id: int) -> HttpResponse:
    cs = access.get_case_study_for_moderator(request.user, case_study_id)
    form = ModerationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what to do with the case study.")
        return redirect("practice:case_study", case_study_id=cs.pk)
    action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
    try:
        if action == "review":
            services.do_start_review(case_study=cs, by=request.user)
            messages.success(request, "Marked as in review.")
        elif action == "publish":
            services.do_publish(case_study=cs, by=request.user, comment=comment)
            messages.success(request, f"Published “{cs}”.")
        else:
            services.do_return(case_study=cs, by=request.user, comment=comment)
            messages.success(request, f"Returned “{cs}” to the council with your comments.")
    except services.WrongState:
        messages.error(request, "Someone has moved it on already; here it is as it stands now.")
    except ValidationError as exc:
        ctx_form = ModerationForm(request.POST)
        ctx_form.is_valid()
        for field, errors in exc.message_dict.items():
            ctx_form.add_error(field if field in ctx_form.fields else None, errors)
        return _with_moderation_errors(request, cs, ctx_form)
    return redirect("practice:moderation")


def _with_moderation_errors(request, cs, form) -> HttpResponse:
    ctx = {
        "cs": cs,
        "value_codes": list(cs.value_codes.select_related("key_area")),
        "enablers": list(cs.enablers.all()),
        "attachments": list(cs.attachments.all()),
        "guidance": queries.guidance_for(cs),
        "is_own": False,
        "is_lead": False,
        "can_moderate": True,
        "events": list(cs.events.select_related("by")),
        "moderation_form": form,
    }
    return render(request, "practice/case_study.html", ctx, status=422)


# --- Candidates and invitations ---------------------------------------------------------------
def _round_for(request: HttpRequest):
    round_id = request.GET.get("round") or request.POST.get("round")
    if round_id:
        return access.get_round_for_practice(request.user, round_id)
    return Round.objects.exclude(status=Round.Status.DRAFT).order_by("-opens_on").first()


@login_required
@require_safe
def candidates(request: HttpRequest) -> HttpResponse:
    """Per value code: who could share practice, at what level, with what evidence."""
    access.require_practice_moderator(request.user)
    rnd = _round_for(request)
    groups = queries.candidates(request.user, rnd) if rnd else []
    rounds = Round.objects.exclude(status=Round.Status.DRAFT).order_by("-opens_on")
    return render(request, "practice/candidates.html",
                  {"round": rnd, "rounds": rounds, "groups": groups})  # fmt: skip


@login_required
@require_POST
def invite(request: HttpRequest, round_id: int) -> HttpResponse:
    rnd = access.get_round_for_practice(request.user, round_id)
    form = InviteForm(request.POST)
    back = f"{reverse('practice:candidates')}?round={rnd.pk}"
    if not form.is_valid():
        messages.error(request, " ".join(e for es in form.errors.values() for e in es))
        return redirect(back)
    org = access.get_organisation_for_user(request.user, form.cleaned_data["organisation"])
    vc = ValueCode.objects.filter(
        version_id=rnd.framework_version_id, code=form.cleaned_data["value_code"]
    ).first()
    if vc is None:
        messages.error(request, "That value code is not in this round's framework.")
        return redirect(back)
    try:
        services.do_invite_write_up(by=request.user, round=rnd, organisation=org, value_code=vc,
                                    reason=form.cleaned_data["reason"])  # fmt: skip
    except services.AlreadyInvited:
        messages.error(request, f"{org.name} was asked about {vc.code} in this round already.")
    except services.NotACandidate:
        messages.error(request, f"{org.name} is not a candidate for {vc.code} in this round.")
    else:
        messages.success(
            request, f"Invited {org.name} to write up {vc.code}; its lead has been emailed."
        )
    return redirect(f"{back}#vc-{vc.code}")


# --- Related guidance -------------------------------------------------------------------------
@login_required
@require_get_or_post
def guidance(request: HttpRequest) -> HttpResponse:
    access.require_national(request.user)
    from diagnostic.practice.models import Guidance

    form = GuidanceForm(posted(request), request.FILES or None, version=queries.current_version())
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("file")
        try:
            services.do_add_guidance(by=request.user, upload=upload, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Added “{data['title']}”.")
            return redirect("practice:guidance")
    items = Guidance.objects.select_related("value_code", "key_area")
    status = 422 if form.errors else 200
    return render(request, "practice/guidance.html", {"form": form, "items": items}, status=status)


@login_required
@require_POST
def remove_guidance(request: HttpRequest, guidance_id: int) -> HttpResponse:
    g = access.get_guidance_for_curator(request.user, guidance_id)
    services.do_remove_guidance(guidance=g, by=request.user)
    messages.success(request, f"Removed “{g.title}”.")
    return redirect("practice:guidance")
