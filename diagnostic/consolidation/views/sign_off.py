"""Sign-off: the lead asks a named senior officer to approve the response (optional), and the
officer decides through an emailed single-use link, without an account."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from diagnostic.accounts import access
from diagnostic.assessments import queries as assessment_queries
from diagnostic.consolidation import services
from diagnostic.consolidation.models import SignOffRequest
from diagnostic.consolidation.services import REASON_MAX, SIGN_OFF_DAYS
from diagnostic.consolidation.sign_off_status import sign_off_status
from diagnostic.lib.http import posted, require_get_or_post


class SignOffRequestForm(forms.Form):
    officer_name = forms.CharField(
        label="Their name",
        max_length=150,
        error_messages={"required": "Enter the senior officer's name."},
    )
    officer_email = forms.EmailField(
        label="Their email address",
        max_length=254,
        help_text="The link to approve the response is sent here.",
        error_messages={
            "required": "Enter the senior officer's email address.",
            "invalid": "Enter an email address like name@council.gov.uk.",
        },
    )
    officer_role = forms.CharField(
        label="Their role",
        max_length=150,
        help_text="For example Director of Finance or Section 151 officer.",
        error_messages={"required": "Enter the senior officer's role."},
    )
    message = forms.CharField(
        label="A message for them",
        required=False,
        max_length=REASON_MAX,
        help_text="For example what changed since they last saw it, or when you plan to submit.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Do you approve this response?",
        choices=[("approve", "Approve"), ("decline", "Do not approve")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you approve the response."},
    )
    note = forms.CharField(
        label="A note for the lead",
        required=False,
        max_length=REASON_MAX,
        help_text="Needed if you do not approve: say what should change. Optional otherwise.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )


# --- The lead -------------------------------------------------------------------------------
@login_required
@require_get_or_post
def request_sign_off(request: HttpRequest, response_id: int) -> HttpResponse:
    """Ask a senior officer to approve the response; the history of requests."""
    response = access.get_response_for_lead(request.user, response_id)
    form = SignOffRequestForm(posted(request))
    if request.method == "POST":
        if not response.is_editable:
            messages.error(request, "This response can no longer be changed.")
            return redirect("consolidation:request_sign_off", response_id=response.pk)
        if form.is_valid():
            try:
                req, _token = services.do_request_sign_off(
                    by=request.user, response=response, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            except services.ResponseLocked:
                messages.error(request, "This response can no longer be changed.")
                return redirect("consolidation:request_sign_off", response_id=response.pk)
            else:
                messages.success(
                    request,
                    f"We have emailed {req.officer_name} ({req.officer_email}) a link to approve "
                    f"the response. It works once, for {SIGN_OFF_DAYS} days.",
                )
                return redirect("consolidation:request_sign_off", response_id=response.pk)
    requests = list(SignOffRequest.objects.filter(response=response).select_related("requested_by"))
    ctx = {
        "response": response,
        "round": response.round,
        "form": form,
        "requests": requests,
        "pending": next((r for r in requests if r.status == "pending"), None),
        "status": sign_off_status(response),
        "can_write": response.is_editable,
        "days": SIGN_OFF_DAYS,
    }
    return render(
        request, "consolidation/request_sign_off.html", ctx, status=400 if form.errors else 200
    )


@login_required
@require_POST
def withdraw_sign_off(request: HttpRequest, response_id: int, request_id: int) -> HttpResponse:
    """Withdraw a request still waiting: its link stops working."""
    req = access.get_sign_off_request_for_lead(request.user, response_id, request_id)
    try:
        services.do_withdraw_sign_off(by=request.user, request=req)
    except services.SignOffUnusable as exc:
        messages.error(
            request,
            f"The request to {req.officer_name} cannot be withdrawn: "
            f"{exc.request.status_label.lower()}.",
        )
    except services.ResponseLocked:
        messages.error(request, "This response can no longer be changed.")
    else:
        messages.success(
            request, f"The request to {req.officer_name} is withdrawn. Their link no longer works."
        )
    return redirect("consolidation:request_sign_off", response_id=req.response_id)


# --- The senior officer, through the emailed link ------------------------------------------------
def _private(page: HttpResponse) -> HttpResponse:
    """The token is in the address: never send it on in a Referer, never keep the page in a
    cache.

    `strict-origin` rather than `no-referrer`: both keep the path (and so the token) out of
    every Referer, to other sites and to our own static files and logs; but under
    `no-referrer` browsers send `Origin: null` with a form's POST, which Django's CSRF check
    rightly refuses, so the officer could not send their decision (or sign out).
    """
    page["Referrer-Policy"] = "strict-origin"
    page["Cache-Control"] = "private, no-store"
    return page


@require_get_or_post
def sign_off(request: HttpRequest, token: str) -> HttpResponse:
    """The officer reads a summary of the agreed answers, then approves or says what to change.

    No sign-in and no rate limit of its own: the token carries 256 bits from `secrets`, so
    guessing one is hopeless whatever the request rate (sign-in, which has guessable secrets,
    is throttled by django-axes). Only the token's hash is stored.
    """
    req = access.get_sign_off_by_token(token)
    response = req.response
    ctx: dict = {"req": req, "response": response, "round": response.round, "token": token}
    if req.status in ("approved", "declined"):
        return _private(render(request, "consolidation/sign_off_done.html", ctx))
    if req.status != "pending" or not response.is_editable:
        return _private(render(request, "consolidation/sign_off_unusable.html", ctx, status=410))
    form = DecisionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.do_decide_sign_off(
                request=req,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except (services.SignOffUnusable, services.ResponseLocked):
            return redirect("consolidation:sign_off", token=token)
        else:
            return redirect("consolidation:sign_off", token=token)
    version_id = response.round.framework_version_id
    items = assessment_queries.items_for(response)
    areas = []
    for item in items:
        area = item.value_code.key_area
        if not areas or areas[-1]["area"].pk != area.pk:
            areas.append({"area": area, "items": []})
        areas[-1]["items"].append(item)
    ctx.update(
        form=form,
        areas=areas,
        levels={lv.number: lv for lv in assessment_queries.levels_of(version_id)},
        answered=sum(1 for i in items if i.answer and i.answer.current_level is not None),
        total=len(items),
        status=sign_off_status(response),
    )
    page = render(request, "consolidation/sign_off.html", ctx, status=400 if form.errors else 200)
    return _private(page)
