"""Writes about contributors, their views, consolidation decisions and sign-off.

Rules kept here and nowhere else:
- only the organisation's lead asks colleagues for their views, reminds them, withdraws a
  request, adopts levels, changes who sees what, and asks for sign-off; all only while the
  response can still be changed (a draft in an open round);
- a contributor saves only their own views, only on the value codes they were asked about,
  under the same version and replay rules as the agreed answers (`StaleAnswer` on a stale
  version; a replayed request id changes nothing); contributors never submit;
- adopting a level writes the agreed answer through `assessments.services.do_save_answer`
  and keeps a `Decision` with who, when, the suggestion, the views and the reason; choosing a
  level other than the suggestion needs a reason;
- a sign-off link works once, for the named officer, until it expires or is withdrawn; an
  approval is written to the response's sign-off fields.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.models import Membership, Role, User
from diagnostic.accounts.services import do_invite, invitation_url
from diagnostic.assessments import services as assessment_services
from diagnostic.assessments.models import Answer, Response
from diagnostic.assessments.services import ResponseLocked, StaleAnswer, clean_answer_fields
from diagnostic.audit.services import record
from diagnostic.consolidation.models import (
    CONTRIBUTOR_FIELDS,
    Assignment,
    ContributorAnswer,
    Decision,
    SignOffRequest,
    hash_token,
)
from diagnostic.consolidation.spread import spread
from diagnostic.frameworks.levels import scale_for, scale_of
from diagnostic.frameworks.models import KeyArea, ValueCode

REASON_MAX = 2000
SIGN_OFF_DAYS = 14

__all__ = ["ResponseLocked", "StaleAnswer"]


class NotAsked(Exception):
    """The contributor was not asked about this value code (or the request was withdrawn)."""


class SignOffUnusable(Exception):
    """The sign-off link was used, withdrawn or has expired."""

    def __init__(self, request: SignOffRequest):
        self.request = request
        super().__init__(request.status)


@dataclass
class ViewSaveResult:
    answer: ContributorAnswer
    replayed: bool = False


# --- Guards -----------------------------------------------------------------------------------
def require_lead(user: User, response: Response) -> None:
    if access.role_in(user, response.organisation) != Role.LEAD:
        raise PermissionDenied("Only the organisation's lead can do this.")


def _require_editable(response: Response) -> Response:
    """Lock the response row and check it can still change (a draft in an open round)."""
    locked = Response.objects.select_for_update().select_related("round").get(pk=response.pk)
    if not locked.is_editable:
        raise ResponseLocked(response.pk)
    return locked


# --- Asking colleagues --------------------------------------------------------------------------
def clean_key_areas(response: Response, key_areas) -> list[KeyArea]:
    areas = list(key_areas or [])
    for area in areas:
        if area.version_id != response.round.framework_version_id:
            raise ValidationError({"key_areas": "Choose key areas of this round's framework."})
    return areas


def do_ask_contributor(
    *,
    by: User,
    response: Response,
    email: str,
    full_name: str,
    department: str,
    job_role: str,
    key_areas=None,
    due_on: dt.date | None = None,
) -> Assignment:
    """Ask a colleague for their views: on every value code (no `key_areas`) or on some.

    A colleague with no role in the organisation is invited as a contributor (the invitation
    email carries the link); one who has a role gets an email pointing to their page.
    Asking the same person again changes what they are asked and restores a withdrawn request.
    """
    require_lead(by, response)
    email = (email or "").strip().lower()
    errors = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Enter an email address like name@council.gov.uk."
    for name, value, label in [
        ("full_name", full_name, "their name"),
        ("department", department, "their department"),
        ("job_role", job_role, "their role"),
    ]:
        if not (value or "").strip():
            errors[name] = f"Enter {label}."
        elif len(value.strip()) > 150:
            errors[name] = "Keep this to 150 characters or fewer."
    if due_on is not None and due_on < timezone.localdate():
        errors["due_on"] = "The due date cannot be in the past."
    elif due_on is not None and due_on > response.round.closes_on:
        errors["due_on"] = (
            f"The round closes on {response.round.closes_on:%-d %B %Y}: choose a due date on or "
            "before it, so there is time to consolidate."
        )
    if errors:
        raise ValidationError(errors)
    areas = clean_key_areas(response, key_areas)
    outbox: list = []  # emails go after the transaction commits, never while the row is locked
    with transaction.atomic():
        locked = _require_editable(response)
        user = User.objects.filter(email__iexact=email).first()
        member = (
            user is not None
            and Membership.objects.filter(user=user, organisation=locked.organisation).exists()
        )
        assignment, created = Assignment.objects.get_or_create(
            response=locked,
            email=email,
            defaults={"full_name": full_name.strip(), "created_by": by},
        )
        assignment.full_name = full_name.strip()
        assignment.department = department.strip()
        assignment.job_role = job_role.strip()
        assignment.all_value_codes = not areas
        assignment.due_on = due_on
        assignment.withdrawn_at = None
        assignment.finished_at = None
        if member:
            assignment.user = user
        else:
            # No role in the organisation (now): an invitation to the contributor role, whose
            # link leads to this request once accepted. A request tied to an account that has
            # since lost its role is tied again when the invitation is accepted.
            assignment.user = None
            assignment.invitation = _invite(by, assignment, locked, outbox)
        assignment.save()
        assignment.key_areas.set(areas)
        record(
            "contributor.asked" if created else "contributor.asked_again",
            actor=by, obj=assignment, organisation_id=locked.organisation_id,
            email=email, key_areas=[a.code for a in areas] or "all",
            due_on=due_on.isoformat() if due_on else None,
        )  # fmt: skip
        if member:
            outbox.append(
                lambda: _send(
                    assignment, "consolidation/email/asked.txt", "Your views are asked for"
                )
            )
    for send in outbox:
        send()
    return assignment


def _invite(by: User, assignment: Assignment, response: Response, outbox: list):
    """Invite the person to the contributor role; the email is added to `outbox`, to be sent
    once the transaction has committed (an earlier pending invitation is withdrawn)."""
    invitation, token = do_invite(
        by=by, email=assignment.email, role=Role.CONTRIBUTOR, full_name=assignment.full_name,
        organisation=response.organisation, department=assignment.department,
        job_role=assignment.job_role, send=False,
    )  # fmt: skip
    outbox.append(lambda: _send_invitation(by, assignment, response, token))
    return invitation


def _send_invitation(by: User, assignment: Assignment, response: Response, token: str) -> None:
    """The invitation email, saying what the person is asked about (sent after commit)."""
    ctx = {
        "assignment": assignment, "response": response, "by": by,
        "areas": list(assignment.key_areas.order_by("position")),
        "url": invitation_url(token), "days": settings.INVITATION_DAYS,
    }  # fmt: skip
    send_mail(
        subject=f"Your views are asked for: {response.organisation.name}",
        message=render_to_string("consolidation/email/invited.txt", ctx),
        from_email=None,
        recipient_list=[assignment.email],
    )


def _own_assignment(assignment: Assignment, user: User) -> Assignment:
    """The request re-read inside the caller's transaction, checked to be the user's own.

    A request not yet tied to an account (the person was invited) is tied to the account with
    the invited email address that holds a role in the organisation, on its first write.
    """
    fresh = Assignment.objects.select_related("response").get(pk=assignment.pk)
    if access.role_in(user, fresh.response.organisation) is None:
        raise PermissionDenied("You can only change your own views.")
    if fresh.user_id is None and user.email.lower() == fresh.email.lower():
        Assignment.objects.filter(pk=fresh.pk, user__isnull=True).update(user=user)
        fresh.user = user
        record(
            "contributor.claimed", actor=user, obj=fresh,
            organisation_id=fresh.response.organisation_id,
        )  # fmt: skip
    if fresh.user_id != user.pk:
        raise PermissionDenied("You can only change your own views.")
    return fresh


def do_withdraw_assignment(*, by: User, assignment: Assignment) -> None:
    """Stop asking a colleague. Their views so far are kept (and shown as withdrawn)."""
    require_lead(by, assignment.response)
    with transaction.atomic():
        _require_editable(assignment.response)
        Assignment.objects.filter(pk=assignment.pk).update(withdrawn_at=timezone.now())
        record(
            "contributor.withdrawn", actor=by, obj=assignment,
            organisation_id=assignment.response.organisation_id,
        )  # fmt: skip


def do_set_sharing(*, by: User, response: Response, share: bool) -> None:
    """Let contributors see each other's views (or stop them)."""
    require_lead(by, response)
    with transaction.atomic():
        _require_editable(response)
        Response.objects.filter(pk=response.pk).update(contributors_see_each_other=bool(share))
        record(
            "contributors.sharing_changed", actor=by, obj=response,
            organisation_id=response.organisation_id, share=bool(share),
        )  # fmt: skip
    response.contributors_see_each_other = bool(share)


def unfinished(response: Response):
    return Assignment.objects.filter(
        response=response, withdrawn_at__isnull=True, finished_at__isnull=True
    )


def do_remind_contributors(*, by: User, response: Response, assignments=None) -> int:
    """Email every contributor who has not finished (or the chosen ones among them)."""
    require_lead(by, response)
    outbox: list = []  # emails go after the transaction commits, never while the row is locked
    with transaction.atomic():
        _require_editable(response)
        targets = unfinished(response)
        if assignments is not None:
            targets = targets.filter(pk__in=[a.pk for a in assignments])
        targets = list(targets.select_related("response__round", "response__organisation"))
        members = set(
            Membership.objects.filter(
                organisation_id=response.organisation_id,
                user__email__in=[a.email for a in targets],
            ).values_list("user__email", flat=True)
        )
        now = timezone.now()
        for a in targets:
            if a.email in members:
                outbox.append(
                    lambda a=a: _send(
                        a,
                        "consolidation/email/reminder.txt",
                        "A reminder: your views are asked for",
                    )
                )
            else:
                # Not joined yet: a link to their page would ask for an account they do not
                # have. A fresh invitation (the old link stops working) is the reminder.
                invitation = _invite(by, a, response, outbox)
                Assignment.objects.filter(pk=a.pk).update(invitation=invitation)
        Assignment.objects.filter(pk__in=[a.pk for a in targets]).update(
            last_reminded_at=now, reminder_count=F("reminder_count") + 1
        )
        record(
            "contributors.reminded", actor=by, obj=response,
            organisation_id=response.organisation_id, emails=[a.email for a in targets],
        )  # fmt: skip
    for send in outbox:
        send()
    return len(targets)


def contribution_url(assignment: Assignment) -> str:
    return settings.SITE_ROOT + reverse("consolidation:contribution", args=[assignment.response_id])


def _send(assignment: Assignment, template: str, subject: str) -> None:
    ctx = {
        "assignment": assignment,
        "response": assignment.response,
        "url": contribution_url(assignment),
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        subject=f"{subject}: {assignment.response.organisation.name}",
        message=render_to_string(template, ctx),
        from_email=None,
        recipient_list=[assignment.email],
    )


# --- A contributor's own views --------------------------------------------------------------------
def is_asked_about(assignment: Assignment, value_code: ValueCode) -> bool:
    if value_code.version_id != assignment.response.round.framework_version_id:
        return False
    if assignment.all_value_codes:
        return True
    return assignment.key_areas.filter(pk=value_code.key_area_id).exists()


def do_save_view(
    *,
    assignment: Assignment,
    value_code: ValueCode,
    by: User,
    expected_version: int,
    request_id: str = "",
    **fields,
) -> ViewSaveResult:
    """Save a contributor's own view, under the agreed answers' version and replay rules."""
    if access.role_in(by, assignment.response.organisation) is None:
        raise PermissionDenied("You can only change your own views.")
    unknown = set(fields) - set(CONTRIBUTOR_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    values = clean_answer_fields(
        fields, scale=scale_of(assignment.response.round.framework_version)
    )
    current, target = values.get("current_level"), values.get("target_level")
    if current and target and target < current:
        raise ValidationError({"target_level": "The target cannot be below where you are now."})
    now = timezone.now()
    with transaction.atomic():
        _require_editable(assignment.response)
        fresh = _own_assignment(assignment, by)
        if not fresh.is_active or not is_asked_about(fresh, value_code):
            raise NotAsked(value_code.code)
        changes = {**values, "updated_at": now, "last_request_id": request_id[:64]}
        answer = None
        if expected_version == 0:
            answer, created = ContributorAnswer.objects.get_or_create(
                assignment=fresh, value_code=value_code, defaults={**changes, "version": 1}
            )
            if not created:
                answer = None
        else:
            updated = ContributorAnswer.objects.filter(
                assignment=fresh, value_code=value_code, version=expected_version
            ).update(version=F("version") + 1, **changes)
            if updated:
                answer = ContributorAnswer.objects.get(assignment=fresh, value_code=value_code)
        if answer is None:
            current_answer = ContributorAnswer.objects.filter(
                assignment=fresh, value_code=value_code
            ).first() or ContributorAnswer(assignment=fresh, value_code=value_code, version=0)
            if request_id and current_answer.last_request_id == request_id:
                return ViewSaveResult(answer=current_answer, replayed=True)
            raise StaleAnswer(current_answer)
        record(
            "view.saved", actor=by, object_type="consolidation.contributoranswer",
            object_id=f"{fresh.pk}:{value_code.code}",
            organisation_id=assignment.response.organisation_id,
            value_code=value_code.code, version=answer.version,
            **{k: v for k, v in values.items() if k != "comment"},
        )  # fmt: skip
    return ViewSaveResult(answer=answer)


def do_mark_finished(*, assignment: Assignment, by: User, finished: bool = True) -> None:
    """The contributor says they have given all the views they will give (or not yet)."""
    with transaction.atomic():
        _require_editable(assignment.response)
        _own_assignment(assignment, by)
        Assignment.objects.filter(pk=assignment.pk).update(
            finished_at=timezone.now() if finished else None
        )
        record(
            "contributor.finished" if finished else "contributor.not_finished",
            actor=by, obj=assignment, organisation_id=assignment.response.organisation_id,
        )  # fmt: skip


# --- Consolidation --------------------------------------------------------------------------------
def views_on(response: Response, value_code: ValueCode) -> list[dict]:
    """Every active contributor's view on one value code, as kept in a decision."""
    from diagnostic.consolidation.queries import asks_about, assignments_of

    rows = []
    answers = {
        a.assignment_id: a
        for a in ContributorAnswer.objects.filter(
            assignment__response=response, value_code=value_code
        )
    }
    for a in assignments_of(response):
        if not asks_about(a, value_code):
            continue
        view = answers.get(a.pk)
        rows.append({
            "assignment": a.pk, "name": a.full_name, "department": a.department,
            "role": a.job_role, "level": view.current_level if view else None,
        })  # fmt: skip
    return rows


def do_adopt_level(
    *,
    by: User,
    response: Response,
    value_code: ValueCode,
    level: int,
    expected_version: int,
    reason: str = "",
    request_id: str = "",
) -> Decision:
    """Adopt a level for one value code: write the agreed answer and keep the decision.

    The suggestion is the median of the contributors' views now (see `spread`). A level other
    than the suggestion needs a reason. Raises StaleAnswer if the agreed answer changed since
    the lead loaded it, ResponseLocked, PermissionDenied or ValidationError.
    """
    require_lead(by, response)
    reason = (reason or "").strip()
    scale = scale_for(response.round.framework_version_id)
    if isinstance(level, bool) or not isinstance(level, int) or (level != 0 and level not in scale):
        raise ValidationError(
            {"level": f"Choose a level from {scale.span}, or 'not yet assessed'."}
        )
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason to {REASON_MAX} characters or fewer."})
    with transaction.atomic():
        # Lock first, so the views kept with the decision are the ones it was made from.
        _require_editable(response)
        views = views_on(response, value_code)
        suggested = spread(v["level"] for v in views).suggested
        if suggested is None and not reason:
            raise ValidationError(
                {"reason": "Nobody has given a level here yet: say why you chose this one."}
            )
        if level != suggested and not reason:
            raise ValidationError(
                {"reason": "Say why you chose a level other than the suggested one."}
            )
        changes = {"current_level": level}
        agreed = Answer.objects.filter(response=response, value_code=value_code).first()
        raised_from = None
        if agreed is not None and agreed.target_level and level and agreed.target_level < level:
            # A target below where the council now is would block every later save of this
            # answer: it rises to the adopted level (and the decision says so).
            raised_from = agreed.target_level
            changes["target_level"] = level
        saved = assessment_services.do_save_answer(
            response=response, value_code=value_code, by=by,
            expected_version=expected_version, request_id=request_id, **changes,
        )  # fmt: skip
        if saved.replayed:
            # The same request again (a double click, a retry): the decision it made stands.
            earlier = Decision.objects.filter(response=response, value_code=value_code).first()
            if earlier is not None:
                return earlier
        decision = Decision.objects.create(
            response=response, value_code=value_code, adopted_level=level,
            suggested_level=suggested, adopted_suggestion=level == suggested, views=views,
            reason=reason, decided_by=by,
        )  # fmt: skip
        record(
            "consolidation.adopted", actor=by, obj=decision,
            organisation_id=response.organisation_id, value_code=value_code.code,
            level=level, suggested=suggested, reason=reason, target_raised_from=raised_from,
        )  # fmt: skip
    decision.target_raised_from = raised_from
    return decision


# --- Sign-off ---------------------------------------------------------------------------------------
def sign_off_url(token: str) -> str:
    return settings.SITE_ROOT + reverse("consolidation:sign_off", args=[token])


def do_request_sign_off(
    *,
    by: User,
    response: Response,
    officer_name: str,
    officer_email: str,
    officer_role: str,
    message: str = "",
) -> tuple[SignOffRequest, str]:
    """Ask a named senior officer to approve the response; emails a single-use link.

    An earlier request still waiting is withdrawn, so only the newest link works.
    """
    require_lead(by, response)
    officer_email = (officer_email or "").strip().lower()
    errors = {}
    try:
        validate_email(officer_email)
    except ValidationError:
        errors["officer_email"] = "Enter an email address like name@council.gov.uk."
    if not (officer_name or "").strip():
        errors["officer_name"] = "Enter the senior officer's name."
    if not (officer_role or "").strip():
        errors["officer_role"] = "Enter the senior officer's role, for example Director of Finance."
    if len(message or "") > REASON_MAX:
        errors["message"] = f"Keep the message to {REASON_MAX} characters or fewer."
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        locked = _require_editable(response)
        SignOffRequest.objects.filter(
            response=locked, decision="", withdrawn_at__isnull=True
        ).update(withdrawn_at=now)
        req = SignOffRequest.objects.create(
            response=locked, officer_name=officer_name.strip(), officer_email=officer_email,
            officer_role=officer_role.strip(), message=(message or "").strip(),
            token_hash=hash_token(token), requested_by=by, requested_at=now,
            expires_at=now + dt.timedelta(days=SIGN_OFF_DAYS),
        )  # fmt: skip
        record(
            "sign_off.requested", actor=by, obj=req, organisation_id=locked.organisation_id,
            officer_email=officer_email,
        )  # fmt: skip
    send_mail(
        subject=f"Please approve {locked.organisation.name}'s {locked.round.name} response",
        message=render_to_string(
            "consolidation/email/sign_off.txt",
            {
                "req": req,
                "response": locked,
                "url": sign_off_url(token),
                "site_name": settings.SITE_NAME,
                "days": SIGN_OFF_DAYS,
            },
        ),  # fmt: skip
        from_email=None,
        recipient_list=[officer_email],
    )
    return req, token


def do_withdraw_sign_off(*, by: User, request: SignOffRequest) -> None:
    """Withdraw a request still waiting (its link stops working), while the response can change."""
    require_lead(by, request.response)
    with transaction.atomic():
        _require_editable(request.response)
        fresh = SignOffRequest.objects.select_for_update().get(pk=request.pk)
        if fresh.status != "pending":
            raise SignOffUnusable(fresh)
        SignOffRequest.objects.filter(pk=fresh.pk).update(withdrawn_at=timezone.now())
        record(
            "sign_off.withdrawn", actor=by, obj=request,
            organisation_id=request.response.organisation_id,
        )  # fmt: skip


def do_decide_sign_off(*, request: SignOffRequest, approve: bool, note: str = "") -> SignOffRequest:
    """The officer's decision, through their link. Declining needs a note for the lead."""
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": "Tell the lead what needs to change before you approve."})
    if len(note) > REASON_MAX:
        raise ValidationError({"note": f"Keep the note to {REASON_MAX} characters or fewer."})
    now = timezone.now()
    with transaction.atomic():
        fresh = SignOffRequest.objects.select_for_update().get(pk=request.pk)
        if fresh.status != "pending":
            raise SignOffUnusable(fresh)
        locked = (
            Response.objects.select_for_update().select_related("round").get(pk=fresh.response_id)
        )
        if not locked.is_editable:
            raise ResponseLocked(locked.pk)
        fresh.decision = (
            SignOffRequest.Decision.APPROVED if approve else SignOffRequest.Decision.DECLINED
        )
        fresh.decided_at, fresh.decision_note = now, note
        fresh.save(update_fields=["decision", "decided_at", "decision_note"])
        if approve:
            Response.objects.filter(pk=locked.pk).update(
                signed_off_name=fresh.officer_name,
                signed_off_role=fresh.officer_role,
                signed_off_on=timezone.localdate(),
                version=F("version") + 1,
            )
        record(
            f"sign_off.{fresh.decision}", obj=fresh, organisation_id=locked.organisation_id,
            officer_email=fresh.officer_email,
        )  # fmt: skip
    return fresh


def latest_sign_off(response: Response) -> SignOffRequest | None:
    return SignOffRequest.objects.filter(response=response).first()


def answers_changed_since(response: Response, when: dt.datetime) -> int:
    """Agreed answers saved after a moment (an approval): the approval may be out of date."""
    return Answer.objects.filter(response=response, updated_at__gt=when).count()
