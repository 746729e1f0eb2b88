"""The spreadsheet round-trip: download the agreed answers (or a contributor's own views) as
XLSX, fill it in offline, upload it back. The checks and the merge live in
`consolidation/spreadsheet.py`; this module is HTTP only."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from diagnostic.accounts import access
from diagnostic.accounts.models import Role
from diagnostic.assessments.services import ResponseLocked
from diagnostic.audit.services import record
from diagnostic.consolidation import spreadsheet as sheets
from diagnostic.lib.http import posted, require_get_or_post
from diagnostic.lib.problems import InvalidFile

UPLOAD_TEMPLATE = "consolidation/upload.html"


# The upload's input shape; it belongs to this page alone.
class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet file",
        help_text="The .xlsx file you downloaded from this page, up to 2 MB.",
        error_messages={
            "required": "Choose the spreadsheet file to upload.",
            "empty": "The file you chose is empty. Choose the spreadsheet file to upload.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + sheets.XLSX_TYPE}),
    )
    keep_app_values = forms.BooleanField(
        label="Keep the app's values for the conflicting cells and store my other changes",
        required=False,
    )


def _xlsx(data: bytes, name: str) -> HttpResponse:
    out = HttpResponse(data, content_type=sheets.XLSX_TYPE)
    out["Content-Disposition"] = f'attachment; filename="{name}"'
    out["Cache-Control"] = "private, no-store"
    return out


# --- Downloads ----------------------------------------------------------------------------------
@login_required
@require_safe
def response_xlsx(request: HttpRequest, response_id: int) -> HttpResponse:
    """The agreed answers as a workbook, for anyone who may read them."""
    response = access.get_response_for_user(request.user, response_id)
    is_lead = access.role_in(request.user, response.organisation) == Role.LEAD
    data = sheets.response_workbook(
        response, by=request.user, can_upload=is_lead and response.is_editable
    )
    record(
        "answers.downloaded", actor=request.user, obj=response,
        organisation_id=response.organisation_id, format="xlsx",
    )  # fmt: skip
    return _xlsx(data, sheets.filename(response, "agreed answers"))


@login_required
@require_safe
def contribution_xlsx(request: HttpRequest, response_id: int) -> HttpResponse:
    """A contributor's own views, on the value codes they were asked about, as a workbook."""
    assignment = access.get_contribution_for_user(request.user, response_id)
    data = sheets.views_workbook(assignment, by=request.user)
    record(
        "views.downloaded", actor=request.user, obj=assignment,
        organisation_id=assignment.response.organisation_id, format="xlsx",
    )  # fmt: skip
    return _xlsx(data, sheets.filename(assignment.response, "my views"))


# --- Uploads ------------------------------------------------------------------------------------
@login_required
@require_get_or_post
def response_upload(request: HttpRequest, response_id: int) -> HttpResponse:
    """The lead uploads the agreed answers' workbook back."""
    response = access.get_response_for_user(request.user, response_id, write=True)
    page = {
        "title": "Upload the agreed answers",
        "what": "the agreed answers",
        "back_url": reverse("assessments:response", args=[response.pk]),
        "back_label": response.round.name,
        "download_url": reverse("consolidation:response_xlsx", args=[response.pk]),
    }

    def store(data: bytes, keep: bool):
        return sheets.do_upload_agreed_answers(
            by=request.user, response=response, data=data, keep_app_values=keep
        )

    return _upload(request, response, sheets.scope_of_response(response), page, store)


@login_required
@require_get_or_post
def contribution_upload(request: HttpRequest, response_id: int) -> HttpResponse:
    """A contributor uploads their own views' workbook back."""
    assignment = access.get_contribution_for_user(request.user, response_id)
    response = assignment.response
    page = {
        "title": "Upload your views",
        "what": "your own views",
        "back_url": reverse("consolidation:contribution", args=[response.pk]),
        "back_label": "Your views",
        "download_url": reverse("consolidation:contribution_xlsx", args=[response.pk]),
    }

    def store(data: bytes, keep: bool):
        return sheets.do_upload_views(
            by=request.user, assignment=assignment, data=data, keep_app_values=keep
        )

    return _upload(request, response, sheets.scope_of_assignment(assignment), page, store)


def _upload(request: HttpRequest, response, scope: str, page: dict, store) -> HttpResponse:
    """GET: the form (or, after a stored upload, its result). POST: check, merge, store."""
    session_key = f"spreadsheet-upload:{scope}"
    ctx = {"response": response, "round": response.round, **page}
    if not response.is_editable:
        ctx["locked"] = True
        status = 423 if request.method == "POST" else 200
        return render(request, UPLOAD_TEMPLATE, ctx, status=status)
    if request.method == "GET" and request.GET.get("done"):
        result = request.session.pop(session_key, None)
        if result is not None:
            return render(request, "consolidation/upload_result.html", {**ctx, "result": result})
    form = UploadForm(posted(request), request.FILES or None)
    ctx["form"] = form
    if request.method == "GET":
        return render(request, UPLOAD_TEMPLATE, ctx)
    if not form.is_valid():
        return render(request, UPLOAD_TEMPLATE, ctx, status=400)
    upload = form.cleaned_data["file"]
    # Never more than one byte over the limit is read: the check below then refuses it.
    data = upload.read(sheets.MAX_BYTES + 1)
    try:
        outcome = store(data, form.cleaned_data["keep_app_values"])
    except InvalidFile as exc:
        ctx["problems"] = exc.problems
        return render(request, UPLOAD_TEMPLATE, ctx, status=400)
    except sheets.Conflicts as exc:
        layout = exc.plan.layout
        ctx["conflicts"] = [c.summary(layout) for c in exc.plan.conflicts]
        ctx["other_changes"] = len(exc.plan.changes)
        return render(request, UPLOAD_TEMPLATE, ctx, status=409)
    except ResponseLocked:
        ctx["locked"] = True
        return render(request, UPLOAD_TEMPLATE, ctx, status=423)
    except sheets.SaveFailed as exc:
        ctx["failed"] = str(exc)
        return render(request, UPLOAD_TEMPLATE, ctx, status=409)
    request.session[session_key] = outcome.summary()
    return redirect(request.path + "?done=1")
