"""Writes about rounds and responses. Every path (form, autosave, upload, API) comes here.

Rules kept here and nowhere else:
- an answer is saved only while its response is a draft and its round accepts answers;
- every save names the version it was based on: a stale one is refused (`StaleAnswer`), never
  silently overwritten; a replay of a save already applied (same request id) changes nothing;
- answers carried forward from the previous round fill only empty answers, and stay marked
  (blocking submission) until the lead confirms them or changes them;
- only an organisation's lead submits, and only a complete response;
- only a national admin reopens, with a reason, and the submitted version stays on record;
- only a national admin sends reminders, only while the round is open, and only to the leads
  of councils that have not submitted; every one sent is kept with its recipients.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date

from diagnostic.accounts import access
from diagnostic.accounts.models import Role, User
from diagnostic.analytics import summaries
from diagnostic.assessments import statements
from diagnostic.assessments.models import (
    ANSWER_FIELDS,
    Answer,
    Priority,
    Reminder,
    ReminderRecipient,
    Response,
    Round,
    Submission,
)
from diagnostic.assessments.queries import reminder_plan
from diagnostic.audit import services as audit
from diagnostic.audit.services import record
from diagnostic.frameworks.levels import NOT_ASSESSED, LevelScale, scale_of
from diagnostic.frameworks.models import FrameworkVersion, ValueCode
from diagnostic.organisations.models import Organisation

COMMENT_MAX = 5000


class ResponseLocked(Exception):
    """The response is submitted or its round is not accepting answers."""


class StaleAnswer(Exception):
    """Someone else saved this answer since the caller loaded it."""

    def __init__(self, answer: Answer):
        self.answer = answer
        super().__init__(f"answer is at version {answer.version}")


class Incomplete(Exception):
    """The response cannot be submitted yet; `missing` says what is left."""

    def __init__(self, missing: list[MissingItem]):
        self.missing = missing
        super().__init__(f"{len(missing)} item(s) missing")


@dataclass(frozen=True)
class MissingItem:
    what: str  # "EC1 current level", "Responsible officer"
    anchor: str  # where to fix it: a value code code or a details field name
    value_code: ValueCode | None = None


@dataclass
class SaveResult:
    answer: Answer
    replayed: bool = False


# --- Rounds -----------------------------------------------------------------------------------
def eligible_organisations(*, on: dt.date, nations: list[str]):
    return Organisation.objects.alive_on(on).filter(nation__in=nations)


def do_create_round(
    *,
    by: User,
    name: str,
    framework_version: FrameworkVersion,
    opens_on: dt.date,
    closes_on: dt.date,
    nations: list[str],
    eligibility_date: dt.date | None = None,
    previous_round: Round | None = None,
) -> Round:
    """Create a round and one draft response for every eligible organisation."""
    access.require_national_admin(by)
    if closes_on < opens_on:
        raise ValidationError("The closing date must be on or after the opening date.")
    if not framework_version.is_published:
        raise ValidationError("Only a published framework version can be used.")
    with transaction.atomic():
        rnd = Round.objects.create(
            name=name,
            framework_version=framework_version,
            opens_on=opens_on,
            closes_on=closes_on,
            nations=sorted(nations),
            eligibility_date=eligibility_date or opens_on,
            previous_round=previous_round,
            created_by=by,
        )
        orgs = eligible_organisations(on=rnd.eligibility_date, nations=nations)
        Response.objects.bulk_create(
            [Response(round=rnd, organisation=o) for o in orgs], batch_size=500
        )
        record("round.created", actor=by, obj=rnd, eligible=len(orgs))
    return rnd


def do_set_round_status(*, by: User, round: Round, status: str) -> Round:
    """Open or close a round."""
    access.require_national_admin(by)
    if status not in (Round.Status.OPEN, Round.Status.CLOSED):
        raise ValidationError("A round can only be opened or closed.")
    if (
        status == Round.Status.OPEN
        and Round.objects.filter(pk=round.pk, publication__isnull=False).exists()
    ):
        # The public page shows a published round as the national results: they must not
        # change under it. Withdraw them first (analytics.services.do_withdraw_results).
        raise ValidationError(
            "This round's national results are published. Withdraw them before opening it again."
        )
    old = round.status
    round.status = status
    round.save(update_fields=["status"])
    record(
        f"round.{'opened' if status == Round.Status.OPEN else 'closed'}",
        actor=by,
        obj=round,
        was=old,
    )
    return round


def do_change_round_dates(
    *, by: User, round: Round, opens_on: dt.date, closes_on: dt.date
) -> Round:
    """Extend (or correct) a round's dates. Eligibility stays as it was set."""
    access.require_national_admin(by)
    if closes_on < opens_on:
        raise ValidationError("The closing date must be on or after the opening date.")
    old = (round.opens_on.isoformat(), round.closes_on.isoformat())
    round.opens_on, round.closes_on = opens_on, closes_on
    round.save(update_fields=["opens_on", "closes_on"])
    record(
        "round.dates_changed", actor=by, obj=round, old=old,
        new=(opens_on.isoformat(), closes_on.isoformat()),
    )  # fmt: skip
    return round


# --- Answers ----------------------------------------------------------------------------------
def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_level(value, scale: LevelScale) -> bool:
    """A level of the framework version (0, "not yet assessed", is not a level)."""
    return _is_whole(value) and value in scale


def clean_answer_fields(fields: dict, *, scale: LevelScale) -> dict:
    """Check the values of one answer against the framework version's levels (`scale`); raise
    ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    out = {}
    for name in ANSWER_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "current_level":
            not_assessed = value == NOT_ASSESSED and _is_whole(value)
            if value is not None and not not_assessed and not _is_level(value, scale):
                errors[name] = f"Choose a level from {scale.span}, or 'not yet assessed'."
        elif name == "target_level":
            if value is not None and not _is_level(value, scale):
                errors[name] = f"Choose a target level from {scale.span}."
        elif name == "priority":
            value = value or ""
            if value and value not in Priority.values:
                errors[name] = "Choose a priority."
        elif name == "comment":
            value = (value or "").strip()
            if len(value) > COMMENT_MAX:
                errors[name] = f"Keep the comment to {COMMENT_MAX} characters or fewer."
        elif name == "target_date":
            if value is not None and not isinstance(value, dt.date):
                errors[name] = "Enter a real date."
            elif value is not None and not (dt.date(2000, 1, 1) <= value <= dt.date(2100, 1, 1)):
                errors[name] = "Enter a date between 2000 and 2100."
        elif name in ("could_share", "want_support"):
            value = bool(value)
        out[name] = value
    if errors:
        raise ValidationError(errors)
    return out


def do_save_answer(
    *,
    response: Response,
    value_code: ValueCode,
    by: User,
    expected_version: int,
    request_id: str = "",
    **fields,
) -> SaveResult:
    """Save one answer if it is still at `expected_version`.

    Used by the form, autosave, spreadsheet upload and the API. Raises ResponseLocked,
    StaleAnswer (with the current answer) or ValidationError. A replay of the request that
    produced the current version (same `request_id`) returns that answer unchanged.
    """
    check_can_answer(by, response)
    values = clean_answer_fields(fields, scale=scale_of(response.round.framework_version))
    if value_code.version_id != response.round.framework_version_id:
        raise ValidationError("That value code is not part of this round's framework.")
    now = timezone.now()
    already_locked = access.holds_lock(response)
    # Inside the caller's transaction when it already holds the lock: no savepoint (a failure
    # here rolls back the caller's transaction, which has written nothing).
    with transaction.atomic(savepoint=not already_locked):
        # Lock the response: a submission and a save to it never interleave. The autosave view
        # read it locked already (access.get_response_for_user(…, lock=True)).
        if already_locked:
            locked = response
        else:
            locked = (
                Response.objects.select_for_update().select_related("round").get(pk=response.pk)
            )
        if not locked.is_editable:
            raise ResponseLocked(response.pk)
        changes = {
            **values,
            "carried_forward": False,
            "updated_at": now,
            "updated_by": by,
            "last_request_id": request_id[:64],
        }
        # Written only with the answer it records, in the same transaction.
        event = audit.event(
            "answer.saved",
            actor=by,
            object_type="assessments.answer",
            object_id=f"{locked.pk}:{value_code.code}",
            organisation_id=locked.organisation_id,
            value_code=value_code.code,
            version=expected_version + 1,
            **{
                k: (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in values.items()
                if k != "comment"
            },
        )
        answer = None
        if expected_version == 0:
            try:
                with transaction.atomic():
                    answer = Answer.objects.create(
                        response=locked, value_code=value_code, version=1, **changes
                    )
            except IntegrityError:
                pass
            else:
                # The answers with a level, the last activity, and when it was started.
                statements.update_progress(response_id=locked.pk, now=now)
                audit.write(event)
        # The optimistic write (only if the answer is still at the version the caller loaded),
        # then the progress and the audit event: one statement on PostgreSQL (statements.py).
        elif statements.save_answer(
            response_id=locked.pk, value_code_id=value_code.pk,
            expected_version=expected_version, changes=changes, now=now, event=event,
        ):  # fmt: skip
            answer = Answer(
                response=locked, value_code=value_code, version=expected_version + 1, **changes
            )
        if answer is None:
            current = Answer.objects.filter(response=locked, value_code=value_code).first()
            if current is None:
                # The caller thought an answer existed; none does. Tell them it is at 0.
                current = Answer(response=locked, value_code=value_code, version=0)
            elif request_id and current.last_request_id == request_id:
                return SaveResult(answer=current, replayed=True)
            raise StaleAnswer(current)
    return SaveResult(answer=answer)


def check_can_answer(user: User, response: Response) -> None:
    role = access.role_in(user, response.organisation)
    if role not in (Role.LEAD,):
        raise PermissionDenied("Only the organisation's lead can change the consolidated response.")


# --- Starting from the previous round ---------------------------------------------------------
class NoPreviousResponse(Exception):
    """The round follows no other round, or the organisation never submitted to that one."""


def previous_response(response: Response) -> Response | None:
    """The organisation's response to the round this one follows, if it was ever submitted."""
    if response.round.previous_round_id is None:
        return None
    previous = (
        Response.objects.select_related("round")
        .filter(round_id=response.round.previous_round_id, organisation_id=response.organisation_id)
        .first()
    )
    if previous is None or not (previous.is_submitted or previous.submissions.exists()):
        return None
    if carried_codes(previous, response) is None:
        return None  # another framework version, with no mapping to say what corresponds
    return previous


def carried_codes(previous: Response, response: Response) -> dict[str, str] | None:
    """{value code code in the previous round: its counterpart in this round}: every code to
    itself on the same framework version, the loaded mapping's pairs between two versions
    (`frameworks/mappings.py`), or None when the versions cannot be matched: answers are never
    copied across versions by their codes alone."""
    from diagnostic.frameworks.mappings import correspondence

    pairs = correspondence(previous.round.framework_version_id, response.round.framework_version_id)
    if pairs is None:
        return None
    codes = dict(
        ValueCode.objects.filter(pk__in={*pairs, *pairs.values()}).values_list("pk", "code")
    )
    return {codes[a]: codes[b] for a, b in pairs.items()}


def carried_forward_by_area(response: Response) -> dict[int, int]:
    """Key area id -> this response's answers carried forward and not yet confirmed."""
    rows = (
        Answer.objects.filter(response=response, carried_forward=True)
        .values("value_code__key_area")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["value_code__key_area"]: r["n"] for r in rows}


def submitted_answers(response: Response) -> dict[str, dict]:
    """The answers of a response as last submitted, by value code code.

    A submitted response's answers are what it submitted; a response reopened since (and not
    submitted again) is read from its last submission's snapshot instead.
    """
    if response.is_submitted:
        return {
            a.value_code.code: a.values() for a in response.answers.select_related("value_code")
        }
    last = response.submissions.order_by("-number").first()
    if last is None:
        return {}
    out = {}
    for code, stored in (last.snapshot.get("answers") or {}).items():
        values = {f: stored.get(f) for f in ANSWER_FIELDS}
        if values["target_date"]:
            values["target_date"] = dt.date.fromisoformat(values["target_date"])
        values["priority"] = values["priority"] or ""
        values["comment"] = values["comment"] or ""
        values["could_share"] = bool(values["could_share"])
        values["want_support"] = bool(values["want_support"])
        out[code] = values
    return out


def _is_empty(answer: Answer) -> bool:
    """Saved with nothing in it (a blank form was autosaved): not an answer to keep."""
    return (
        answer.current_level is None
        and answer.target_level is None
        and answer.target_date is None
        and not answer.priority
        and not answer.comment
        and not answer.could_share
        and not answer.want_support
    )


def _answers_changed(response_id: int, now: dt.datetime) -> None:
    """Recount a response's answered value codes and note the activity."""
    answered = Answer.objects.filter(response=OuterRef("pk"), current_level__isnull=False)
    Response.objects.filter(pk=response_id).update(
        answered_count=Coalesce(
            Subquery(answered.values("response").annotate(n=Count("pk")).values("n")[:1]),
            Value(0),
        ),
        last_activity_at=now,
        started_at=Coalesce(F("started_at"), Value(now)),
    )


def do_start_from_previous(*, response: Response, by: User) -> int:
    """Copy the organisation's last submitted answers from the previous round into this draft.

    Only value codes without an answer are filled (an answer already given is never
    overwritten); each copy is marked `carried_forward` until the lead confirms or changes it.
    On the same framework version each value code takes its own earlier answer; from another
    version only through a loaded mapping (`carried_codes`); with neither, nothing is offered
    (NoPreviousResponse). Returns how many answers were copied. Only the lead; only while the
    response can be changed. Raises NoPreviousResponse when there is nothing to start from.
    """
    check_can_answer(by, response)
    with transaction.atomic():
        locked = Response.objects.select_for_update().select_related("round").get(pk=response.pk)
        if not locked.is_editable:
            raise ResponseLocked(response.pk)
        previous = previous_response(locked)
        if previous is None:
            raise NoPreviousResponse(response.pk)
        code_map = carried_codes(previous, locked)
        if code_map is None:
            raise NoPreviousResponse(response.pk)
        source = {
            code_map[code]: values
            for code, values in submitted_answers(previous).items()
            if code in code_map
        }
        existing = {a.value_code_id: a for a in Answer.objects.filter(response=locked)}
        codes = ValueCode.objects.filter(version_id=locked.round.framework_version_id).order_by(
            "position"
        )
        created: list[Answer] = []
        copied: list[str] = []
        for vc in codes:
            values = source.get(vc.code)
            if values is None or values.get("current_level") is None:
                continue
            answer = existing.get(vc.pk)
            if answer is None:
                created.append(
                    Answer(response=locked, value_code=vc, carried_forward=True, version=1,
                           updated_by=None, **values)
                )  # fmt: skip
                copied.append(vc.code)
            elif _is_empty(answer):
                refilled = Answer.objects.filter(pk=answer.pk, version=answer.version).update(
                    **values, carried_forward=True, version=F("version") + 1, updated_by=None,
                    updated_at=None, last_request_id="",
                )  # fmt: skip
                if refilled:
                    copied.append(vc.code)
        Answer.objects.bulk_create(created, batch_size=500)
        if copied:
            _answers_changed(locked.pk, timezone.now())
            record(
                "answers.carried_forward",
                actor=by,
                obj=locked,
                organisation=locked.organisation,
                from_response=previous.pk,
                from_round=previous.round.name,
                count=len(copied),
                value_codes=copied,
            )
            _carry_plan_forward(previous, locked, by)
    return len(copied)


def _carry_plan_forward(previous: Response, response: Response, by: User) -> None:
    """The action plan follows the answers, where the plans app offers to carry it forward."""
    import importlib

    from django.apps import apps

    if not apps.is_installed("diagnostic.plans"):
        return
    carry_forward = getattr(
        importlib.import_module("diagnostic.plans.services"), "carry_forward", None
    )
    if carry_forward is not None:
        carry_forward(from_response=previous, to_response=response, by=by)


def do_confirm_carried_forward(*, response: Response, by: User, value_codes=None) -> int:
    """Confirm carried-forward answers as they are: every one, or those of `value_codes`
    (value codes or their codes). Each confirmed answer moves to a new version, so a form
    still open on the old one is refused rather than silently applied. Returns how many."""
    check_can_answer(by, response)
    with transaction.atomic():
        locked = Response.objects.select_for_update().select_related("round").get(pk=response.pk)
        if not locked.is_editable:
            raise ResponseLocked(response.pk)
        waiting = Answer.objects.filter(response=locked, carried_forward=True)
        if value_codes is not None:
            wanted = [v.code if isinstance(v, ValueCode) else str(v) for v in value_codes]
            waiting = waiting.filter(value_code__code__in=wanted)
        confirmed = list(
            waiting.order_by("value_code__position").values_list("value_code__code", flat=True)
        )
        if not confirmed:
            return 0
        now = timezone.now()
        Answer.objects.filter(response=locked, value_code__code__in=confirmed).update(
            carried_forward=False, version=F("version") + 1, updated_at=now, updated_by=by,
            last_request_id="",
        )  # fmt: skip
        _answers_changed(locked.pk, now)
        record(
            "answers.confirmed",
            actor=by,
            obj=locked,
            organisation=locked.organisation,
            count=len(confirmed),
            value_codes=confirmed,
        )
    return len(confirmed)


# --- Response details -------------------------------------------------------------------------
DETAIL_FIELDS = [
    "officer_name", "officer_email", "officer_role", "spend_band", "team_size",
    "shared_service", "consent_regional_sharing", "signed_off_name", "signed_off_role",
    "signed_off_on",
]  # fmt: skip


def do_save_details(*, response: Response, by: User, expected_version: int, **fields) -> Response:
    """Save the response's officer, profile, consent and sign-off, if still at that version."""
    check_can_answer(by, response)
    changes = {k: v for k, v in fields.items() if k in DETAIL_FIELDS}
    with transaction.atomic():
        locked = Response.objects.select_for_update().select_related("round").get(pk=response.pk)
        if not locked.is_editable:
            raise ResponseLocked(response.pk)
        if locked.version != expected_version:
            raise StaleResponse(locked)
        for k, v in changes.items():
            setattr(locked, k, v)
        locked.version += 1
        locked.last_activity_at = timezone.now()
        locked.started_at = locked.started_at or locked.last_activity_at
        locked.save()
        record("response.details_saved", actor=by, obj=locked, organisation=locked.organisation,
               fields=sorted(changes))  # fmt: skip
    return locked


class StaleResponse(Exception):
    def __init__(self, response: Response):
        self.response = response
        super().__init__(f"response is at version {response.version}")


# --- Completeness and submission --------------------------------------------------------------
# The details "About this response" asks for that a submission needs (the form marks them so).
DETAILS_NEEDED_TO_SUBMIT = {
    "officer_name": "The responsible officer's name",
    "signed_off_name": "The name of the person who signed off the response",
    "signed_off_role": "Their role",
    "signed_off_on": "The date of sign-off",
}


def missing_items(response: Response, *, answers=None, codes=None) -> list[MissingItem]:
    """What stops this response being submitted, in questionnaire order. `answers` (this
    response's) and `codes` (its version's value codes in order), if the caller has read them
    already, save reading them again."""
    missing: list[MissingItem] = []
    for field, label in DETAILS_NEEDED_TO_SUBMIT.items():
        if not getattr(response, field):
            missing.append(MissingItem(label, field))
    if answers is None:
        answers = response.answers.all()
    answers = {a.value_code_id: a for a in answers}
    if codes is None:
        codes = ValueCode.objects.filter(version_id=response.round.framework_version_id).order_by(
            "position"
        )
    for vc in codes:
        a = answers.get(vc.pk)
        if a is None or a.current_level is None:
            missing.append(MissingItem(f"{vc.code} {vc.title}: current level", vc.code, vc))
            continue
        if a.carried_forward:
            missing.append(
                MissingItem(
                    f"{vc.code} {vc.title}: confirm the answer carried forward", vc.code, vc
                )
            )
        if not a.priority:
            missing.append(MissingItem(f"{vc.code} {vc.title}: priority", vc.code, vc))
        if a.current_level and a.target_level is None and a.priority != Priority.NONE:
            missing.append(MissingItem(f"{vc.code} {vc.title}: target level", vc.code, vc))
    return missing


def snapshot(response: Response) -> dict:
    answers = response.answers.select_related("value_code").order_by("value_code__position")
    return {
        "details": {
            f: (
                getattr(response, f).isoformat()
                if isinstance(getattr(response, f), dt.date)
                else getattr(response, f)
            )
            for f in DETAIL_FIELDS
        },
        "answers": {
            a.value_code.code: {
                k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in a.values().items()
            }
            for a in answers
        },
    }


def do_submit(*, response: Response, by: User) -> Submission:
    """Submit a complete response. Only its lead; not after the round closes."""
    if access.role_in(by, response.organisation) != Role.LEAD:
        raise PermissionDenied("Only the organisation's lead can submit.")
    with transaction.atomic():
        locked = Response.objects.select_for_update().select_related("round").get(pk=response.pk)
        if not locked.is_editable:
            raise ResponseLocked(response.pk)
        missing = missing_items(locked)
        if missing:
            raise Incomplete(missing)
        now = timezone.now()
        number = locked.submissions.count() + 1
        submission = Submission.objects.create(
            response=locked,
            number=number,
            submitted_at=now,
            submitted_by=by,
            snapshot=snapshot(locked),
        )
        locked.status = Response.Status.SUBMITTED
        locked.submitted_at = now
        locked.submitted_by = by
        locked.version += 1
        locked.save(update_fields=["status", "submitted_at", "submitted_by", "version"])
        summaries.response_changed(locked, counted_version=None)
        record(
            "response.submitted",
            actor=by,
            obj=locked,
            organisation=locked.organisation,
            number=number,
        )
        transaction.on_commit(lambda: _results_changed(locked.round_id))
    return submission


def _results_changed(round_id: int) -> None:
    from diagnostic.analytics.cache import bump

    bump(round_id)


def do_reopen(*, response: Response, by: User, reason: str) -> Response:
    """A national admin reopens a submitted response; the submission stays on record."""
    access.require_national_admin(by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for reopening.")
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        if not locked.is_submitted:
            raise ValidationError("Only a submitted response can be reopened.")
        last = locked.submissions.order_by("-number").first()
        if last:
            last.reopened_at, last.reopened_by, last.reopen_reason = timezone.now(), by, reason
            last.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
        counted_version = locked.version
        locked.status = Response.Status.DRAFT
        locked.version += 1
        locked.save(update_fields=["status", "version"])
        summaries.response_changed(locked, counted_version=counted_version)
        record(
            "response.reopened",
            actor=by,
            obj=locked,
            organisation=locked.organisation,
            reason=reason,
        )
        transaction.on_commit(lambda: _results_changed(locked.round_id))
    return locked


# --- Reminders --------------------------------------------------------------------------------
REMINDER_SUBJECT_MAX = 150
REMINDER_BODY_MAX = 5000
PLACEHOLDERS = ("organisation", "deadline", "days_left", "link")
# Anything in braces is a placeholder; only the names above may be used. We fill them with a
# regular expression rather than str.format, so a body can never reach attributes of objects.
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def default_reminder_text(round: Round) -> tuple[str, str]:
    """The subject and body a reminder starts with; the sender can change both."""
    name = round.name.replace("{", "(").replace("}", ")")  # braces would read as placeholders
    subject = f"Reminder: the {name} self-assessment closes on {{deadline}}"
    body = (
        "Dear colleague,\n\n"
        f"{{organisation}} has not yet submitted its response to the {name} "
        "self-assessment against the National Procurement Strategy. The round closes at the "
        "end of {deadline} ({days_left} left).\n\n"
        "You can start or carry on with your response here (you will be asked to sign in):\n"
        "{link}\n\n"
        "Only you, as your council's lead, can submit the response. If someone else should "
        "lead it now, you can invite them from your organisation's People page in the "
        "service.\n\n"
        "Every council's response helps the Local Government Association and the regional "
        "bodies to see where support is most needed.\n\n"
        "Thank you,\n"
        "The NPS Diagnostic team, Local Government Association\n"
    )
    return subject, body


def check_reminder_text(subject: str, body: str) -> tuple[str, str]:
    """Clean a reminder's subject and body; raise ValidationError naming each bad field."""
    subject, body = (subject or "").strip(), (body or "").strip()
    errors: dict[str, list[str]] = {"subject": [], "body": []}
    if not subject:
        errors["subject"].append("Enter a subject.")
    elif len(subject) > REMINDER_SUBJECT_MAX:
        errors["subject"].append(f"Keep the subject to {REMINDER_SUBJECT_MAX} characters or fewer.")
    elif "\n" in subject or "\r" in subject:
        errors["subject"].append("Keep the subject on one line.")
    if not body:
        errors["body"].append("Enter the message.")
    elif len(body) > REMINDER_BODY_MAX:
        errors["body"].append(
            f"Keep the message to {REMINDER_BODY_MAX} characters or fewer (it has {len(body)})."
        )
    names = [f"{{{p}}}" for p in PLACEHOLDERS]
    allowed = ", ".join(names[:-1]) + " or " + names[-1]
    for name, text in (("subject", subject), ("body", body)):
        unknown = sorted({m for m in _PLACEHOLDER.findall(text) if m not in PLACEHOLDERS})
        if unknown:
            listed = ", ".join(f"{{{u}}}" for u in unknown)
            errors[name].append(f"Remove or correct {listed}: you can use only {allowed}.")
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    return subject, body


def reminder_values(response: Response) -> dict[str, str]:
    """What the placeholders stand for in the email to one council's leads."""
    rnd = response.round
    days = rnd.days_left()
    return {
        "organisation": response.organisation.name,
        "deadline": format_date(rnd.closes_on, "j F Y"),
        "days_left": "less than a day" if days == 0 else f"{days} day{'s' if days != 1 else ''}",
        "link": settings.SITE_ROOT + reverse("assessments:response", args=[response.pk]),
    }


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def render_reminder(response: Response, subject: str, body: str) -> tuple[str, str]:
    """The subject and body one council's leads receive (checked text only)."""
    values = reminder_values(response)
    return fill_placeholders(subject, values), fill_placeholders(body, values)


@dataclass
class ReminderResult:
    reminder: Reminder
    skipped: list[Response]  # councils left out because they have no lead


class AlreadySent(Exception):
    """This preview's reminder was sent already (a double click, or a resubmitted form)."""

    def __init__(self, reminder):
        self.reminder = reminder
        super().__init__(f"reminder {reminder.pk} was already sent")


def do_send_reminders(
    *,
    by: User,
    round: Round,
    responses: QuerySet[Response],
    subject: str,
    body: str,
    filter_description: str = "",
    request_id: str = "",
) -> ReminderResult:
    """Email the leads of the councils in `responses` that have not submitted, one email each.

    Submitted responses and responses of other rounds are left out whatever the caller
    passes; councils without a lead are skipped and returned. The reminder and each address
    are recorded before sending, so the history shows every reminder that was attempted.
    """
    if not access.can_remind(by):
        raise PermissionDenied("Only national administrators and regional leads can do this.")
    if not access.is_national_admin(by):
        # A regional lead reminds their own region's councils, whatever the caller passes.
        responses = responses.filter(organisation__region_id__in=access.led_region_ids(by))
    subject, body = check_reminder_text(subject, body)
    request_id = request_id[:64]
    if request_id and Reminder.objects.filter(request_id=request_id).exists():
        raise AlreadySent(Reminder.objects.get(request_id=request_id))
    if not round.is_accepting_answers():
        raise ValidationError("Reminders can be sent only while the round is open.")
    plan = reminder_plan(round, responses)
    if not plan.targets:
        raise ValidationError("No council in this selection has a lead to remind.")
    messages: list[EmailMessage] = []
    with transaction.atomic():
        reminder = Reminder.objects.create(
            round=round,
            sent_by=by,
            stages=plan.stages,
            filter_description=filter_description[:500],
            subject=subject,
            body=body,
            organisation_count=len(plan.targets),
            skipped_count=len(plan.skipped),
            request_id=request_id,
        )
        recipients = []
        for response in plan.targets:
            response.round = round  # for the placeholders, without another query
            filled_subject, filled_body = render_reminder(response, subject, body)
            emails = sorted({m.user.email.lower() for m in response.organisation.leads})
            for email in emails:
                recipients.append(
                    ReminderRecipient(
                        reminder=reminder, organisation=response.organisation, email=email
                    )
                )
                messages.append(EmailMessage(filled_subject, filled_body, None, [email]))
        ReminderRecipient.objects.bulk_create(recipients)
        reminder.recipient_count = len(recipients)
        reminder.save(update_fields=["recipient_count"])
        record(
            "reminders.sent",
            actor=by,
            obj=reminder,
            round_id=round.pk,
            stages=plan.stages,
            filter=reminder.filter_description,
            organisations=len(plan.targets),
            recipients=len(recipients),
            skipped=len(plan.skipped),
        )
    # Sent after the commit: the database is not held open while the mail server answers.
    get_connection().send_messages(messages)
    return ReminderResult(reminder=reminder, skipped=plan.skipped)
