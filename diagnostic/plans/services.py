"""Writes to action plans. Every path (the pages, and any later import or API) comes here.

Rules kept here and nowhere else:
- only the organisation's lead changes its plan; the plan stays open after the response is
  submitted and after the round closes, because that is when the council works through it;
- every change names the version it was based on: a stale one is refused (`StaleAction`,
  carrying the action as it now stands), never silently applied; a resend of a change that
  is already in place changes nothing;
- a suggestion is accepted at most once, and one accepted, dismissed or dropped is not
  offered again (`DismissedSuggestion` remembers dismissals, `Action.suggestion_key` the rest);
- carrying a plan forward copies each action once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.models import Role, User
from diagnostic.assessments.models import Response
from diagnostic.audit.services import record
from diagnostic.frameworks.mappings import correspondence
from diagnostic.frameworks.models import ValueCode
from diagnostic.plans import queries
from diagnostic.plans.models import (
    DESCRIPTION_MAX,
    OWNER_MAX,
    Action,
    DismissedSuggestion,
    Origin,
    Status,
)
from diagnostic.plans.rules import TITLE_MAX

EDITABLE_FIELDS = ("title", "description", "owner", "due_date", "status", "value_codes")
EARLIEST_DUE = dt.date(2000, 1, 1)
LATEST_DUE = dt.date(2100, 12, 31)


class StaleAction(Exception):
    """Someone else changed (or removed) this action since the caller loaded it."""

    def __init__(self, action: Action | None):
        self.action = action
        super().__init__(
            "action was removed" if action is None else f"action is at version {action.version}"
        )


class SuggestionGone(Exception):
    """The suggestion is no longer offered: accepted, dismissed, or the answers changed."""


# --- Checking input ---------------------------------------------------------------------------
def clean_action_fields(fields: dict, *, response: Response) -> dict:
    """Check an action's values; raise ValidationError naming each bad field.

    `value_codes` are codes (or ValueCode rows) of the response's round's framework version;
    they come back as ValueCode rows in framework order.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not an action field: {', '.join(sorted(unknown))}")
    errors: dict[str, str] = {}
    out: dict = {}
    for name, value in fields.items():
        if name == "title":
            value = " ".join((value or "").split())
            if not value:
                errors[name] = "Enter what the action is."
            elif len(value) > TITLE_MAX:
                errors[name] = f"Keep the action to {TITLE_MAX} characters or fewer."
        elif name == "description":
            value = (value or "").strip()
            if len(value) > DESCRIPTION_MAX:
                errors[name] = f"Keep the details to {DESCRIPTION_MAX} characters or fewer."
        elif name == "owner":
            value = " ".join((value or "").split())
            if len(value) > OWNER_MAX:
                errors[name] = f"Keep the owner to {OWNER_MAX} characters or fewer."
        elif name == "due_date":
            if value is not None and not isinstance(value, dt.date):
                errors[name] = "Enter the due date as a real date."
            elif value is not None and not (EARLIEST_DUE <= value <= LATEST_DUE):
                errors[name] = "Enter a due date between 2000 and 2100."
        elif name == "status":
            if value not in Status.values:
                errors[name] = "Choose a status from the list."
        elif name == "value_codes":
            value, problem = _value_codes(value or (), response)
            if problem:
                errors[name] = problem
        out[name] = value
    if errors:
        raise ValidationError(errors)
    return out


def _value_codes(codes: Iterable, response: Response) -> tuple[list[ValueCode], str]:
    version_id = response.round.framework_version_id
    codes = list(codes)
    foreign = [c.code for c in codes if isinstance(c, ValueCode) and c.version_id != version_id]
    if foreign:
        # A row of another framework version is never quietly swapped for a namesake.
        return (
            [],
            f"Choose value codes of this round's framework ({', '.join(foreign[:5])} is not one).",
        )
    wanted = [c.code if isinstance(c, ValueCode) else str(c) for c in codes]
    found = {
        vc.code: vc
        for vc in ValueCode.objects.filter(
            version_id=response.round.framework_version_id, code__in=wanted
        )
    }
    missing = [c for c in wanted if c not in found]
    if missing:
        listed = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        return [], f"Choose value codes of this round's framework ({listed} is not one)."
    return sorted(found.values(), key=lambda vc: vc.position), ""


def _values(action: Action) -> dict:
    """The fields a person edits, for comparing a resend with what is saved."""
    return {
        "title": action.title,
        "description": action.description,
        "owner": action.owner,
        "due_date": action.due_date,
        "status": action.status,
        "value_codes": sorted(vc.code for vc in action.value_codes.all()),
    }


def _comparable(values: dict) -> dict:
    if "value_codes" in values:
        values = {**values, "value_codes": sorted(vc.code for vc in values["value_codes"])}
    return values


def _next_position(response: Response) -> int:
    top = Action.objects.filter(response=response).aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


def _audit(event: str, *, by: User, action: Action, **detail) -> None:
    record(event, actor=by, obj=action, organisation_id=action.response.organisation_id, **detail)


# --- Suggestions ------------------------------------------------------------------------------
def do_accept_suggestion(*, response: Response, key: str, by: User) -> Action:
    """Add a suggestion to the plan as an action (origin 'suggested', not started).

    Accepting the same suggestion again (a double click) returns the action already made.
    Raises SuggestionGone when it is no longer offered.
    """
    access.require_action_plan_editor(by, response)
    existing = Action.objects.filter(response=response, suggestion_key=key).first()
    if existing is not None:
        return existing
    suggestion = next((s for s in queries.suggestions_for(response) if s.key == key), None)
    if suggestion is None:
        raise SuggestionGone(key)
    now = timezone.now()
    try:
        with transaction.atomic():
            action = Action.objects.create(
                response=response, title=suggestion.title, description=suggestion.description,
                due_date=suggestion.due_date, origin=Origin.SUGGESTED, suggestion_key=key,
                position=_next_position(response), created_by=by, created_at=now,
                updated_by=by, updated_at=now,
            )  # fmt: skip
            codes, _ = _value_codes(suggestion.codes, response)
            action.value_codes.set(codes)
            _audit("action.created", by=by, action=action, origin=Origin.SUGGESTED,
                   title=action.title, value_codes=list(suggestion.codes))  # fmt: skip
    except IntegrityError:
        # Accepted by a request that raced this one: that action is the answer.
        return Action.objects.get(response=response, suggestion_key=key)
    return action


def do_dismiss_suggestion(*, response: Response, key: str, by: User) -> DismissedSuggestion:
    """Turn a suggestion down; it is not offered again unless restored. Repeats are harmless."""
    access.require_action_plan_editor(by, response)
    existing = DismissedSuggestion.objects.filter(response=response, key=key).first()
    if existing is not None:
        return existing
    suggestion = next((s for s in queries.suggestions_for(response) if s.key == key), None)
    if suggestion is None:
        raise SuggestionGone(key)
    try:
        with transaction.atomic():
            dismissed = DismissedSuggestion.objects.create(
                response=response, key=key, title=suggestion.title, dismissed_by=by
            )
            record("suggestion.dismissed", actor=by, obj=dismissed,
                   organisation_id=response.organisation_id, key=key)  # fmt: skip
    except IntegrityError:
        return DismissedSuggestion.objects.get(response=response, key=key)
    return dismissed


def do_restore_suggestion(*, response: Response, key: str, by: User) -> None:
    """Offer a dismissed suggestion again (if the answers still call for it)."""
    access.require_action_plan_editor(by, response)
    with transaction.atomic():
        deleted, _ = DismissedSuggestion.objects.filter(response=response, key=key).delete()
        if deleted:
            record("suggestion.restored", actor=by, object_type="plans.dismissedsuggestion",
                   object_id=f"{response.pk}:{key}"[:40],
                   organisation_id=response.organisation_id, key=key)  # fmt: skip


# --- Actions ----------------------------------------------------------------------------------
def do_create_action(
    *,
    response: Response,
    by: User,
    title: str,
    description: str = "",
    owner: str = "",
    due_date: dt.date | None = None,
    status: str = Status.NOT_STARTED,
    value_codes: Iterable = (),
    request_id: str = "",
) -> Action:
    """The lead's own action. A resend of the same form (same `request_id`) adds nothing."""
    access.require_action_plan_editor(by, response)
    values = clean_action_fields(
        {"title": title, "description": description, "owner": owner, "due_date": due_date,
         "status": status, "value_codes": value_codes},
        response=response,
    )  # fmt: skip
    request_id = (request_id or "")[:64]
    if request_id:
        existing = Action.objects.filter(response=response, request_id=request_id).first()
        if existing is not None:
            return existing
    codes = values.pop("value_codes")
    now = timezone.now()
    try:
        with transaction.atomic():
            action = Action.objects.create(
                response=response, origin=Origin.OWN, position=_next_position(response),
                request_id=request_id, created_by=by, created_at=now, updated_by=by,
                updated_at=now, **values,
            )  # fmt: skip
            action.value_codes.set(codes)
            _audit("action.created", by=by, action=action, origin=Origin.OWN,
                   title=action.title, status=action.status,
                   value_codes=[vc.code for vc in codes])  # fmt: skip
    except IntegrityError:
        return Action.objects.get(response=response, request_id=request_id)
    return action


def do_update_action(*, action: Action, by: User, expected_version: int, **fields) -> Action:
    """Change an action's fields (any of EDITABLE_FIELDS) if it is still at `expected_version`.

    Raises StaleAction with the action as it now stands when someone else changed it, unless
    what they saved is exactly what this change asks for (a resend): then nothing changes.
    """
    response = action.response
    access.require_action_plan_editor(by, response)
    values = clean_action_fields(fields, response=response)
    with transaction.atomic():
        current = (
            Action.objects.select_for_update()
            .filter(pk=action.pk, response=response)
            .prefetch_related("value_codes")
            .first()
        )
        if current is None:
            raise StaleAction(None)
        current.response = response
        saved = _values(current)
        wanted = _comparable(values)
        if all(saved[k] == v for k, v in wanted.items()):
            return current  # nothing to change: a resend, or a save without edits
        if current.version != expected_version:
            raise StaleAction(current)
        changed = sorted(k for k, v in wanted.items() if saved[k] != v)
        for name, value in values.items():
            if name != "value_codes":
                setattr(current, name, value)
        current.version += 1
        current.updated_by, current.updated_at = by, timezone.now()
        current.save()
        if "value_codes" in values:
            current.value_codes.set(values["value_codes"])
        detail = {"fields": changed, "version": current.version}
        if "status" in changed:
            detail.update(status=current.status, was=saved["status"])
        if "value_codes" in changed:
            detail["value_codes"] = wanted["value_codes"]
        _audit("action.updated", by=by, action=current, **detail)
    # Fresh value codes for the caller.
    return (
        Action.objects.prefetch_related("value_codes")
        .select_related("updated_by")
        .get(pk=current.pk)
    )


def do_set_action_status(*, action: Action, by: User, status: str, expected_version: int) -> Action:
    """Move an action to another status (not started, in progress, done, dropped)."""
    return do_update_action(action=action, by=by, expected_version=expected_version, status=status)


def do_delete_action(*, action: Action, by: User, expected_version: int) -> None:
    """Remove an action from the plan. To keep a record of it, drop it instead.

    A deleted suggested action counts as dismissed, so it is not suggested straight back.
    """
    response = action.response
    access.require_action_plan_editor(by, response)
    with transaction.atomic():
        current = Action.objects.select_for_update().filter(pk=action.pk, response=response).first()
        if current is None:
            return  # already gone: a resend
        current.response = response
        if current.version != expected_version:
            raise StaleAction(current)
        if current.suggestion_key:
            DismissedSuggestion.objects.get_or_create(
                response=response, key=current.suggestion_key,
                defaults={"title": current.title, "dismissed_by": by},
            )  # fmt: skip
        _audit("action.deleted", by=by, action=current, title=current.title,
               origin=current.origin, status=current.status)  # fmt: skip
        current.delete()


# --- A new round ------------------------------------------------------------------------------
@dataclass
class CarryForwardResult:
    actions: list[Action] = field(default_factory=list)
    # Value codes (by new action) that the new round's framework no longer has.
    unmapped: dict[int, list[str]] = field(default_factory=dict)


def do_carry_forward(
    *, from_response: Response, to_response: Response, by: User
) -> CarryForwardResult:
    """Copy the previous round's plan into this round's, with each action's status.

    Every action not dropped is copied once (origin 'carried_forward', pointing back at the
    action it continues), done ones too so the plan's history shows. Value codes follow their
    counterparts in the new round's framework version (the same version, or a loaded mapping:
    `frameworks/mappings.py`); those without one are left off and reported.
    Running it again copies only actions added to the old plan since. The organisation's lead
    or a national admin (when starting a round for councils) may do it.
    """
    if from_response.organisation_id != to_response.organisation_id:
        raise ValidationError("An action plan can only be carried forward within one organisation.")
    if from_response.pk == to_response.pk:
        raise ValidationError("Choose a different response to carry the plan forward from.")
    if not (
        access.role_in(by, to_response.organisation) == Role.LEAD or access.is_national_admin(by)
    ):
        raise PermissionDenied("Only the organisation's lead can carry its action plan forward.")
    result = CarryForwardResult()
    with transaction.atomic():
        # Lock the new response: two carries at once copy each action once.
        Response.objects.select_for_update().filter(pk=to_response.pk).first()
        old = list(
            queries.carryable_actions(from_response, to_response)
            .prefetch_related("value_codes")
            .order_by("position", "pk")
        )
        if not old:
            return result
        # Value codes follow their counterparts: themselves on the same framework version, a
        # loaded mapping's pairs between versions, none otherwise (never by code alone).
        pairs = (
            correspondence(
                from_response.round.framework_version_id, to_response.round.framework_version_id
            )
            or {}
        )
        old_ids = {vc.pk for a in old for vc in a.value_codes.all()}
        targets = ValueCode.objects.in_bulk([pairs[i] for i in old_ids if i in pairs])
        start = _next_position(to_response)
        now = timezone.now()
        for i, a in enumerate(old):
            action = Action.objects.create(
                response=to_response, title=a.title, description=a.description, owner=a.owner,
                due_date=a.due_date, status=a.status, origin=Origin.CARRIED_FORWARD,
                carried_from=a, position=start + i, created_by=by, created_at=now,
                updated_by=by, updated_at=now,
            )  # fmt: skip
            olds = list(a.value_codes.all())
            action.value_codes.set(
                [targets[pairs[vc.pk]] for vc in olds if pairs.get(vc.pk) in targets]
            )
            lost = [vc.code for vc in olds if pairs.get(vc.pk) not in targets]
            if lost:
                result.unmapped[action.pk] = lost
            result.actions.append(action)
        record("action_plan.carried_forward", actor=by, obj=to_response,
               organisation_id=to_response.organisation_id, from_response=from_response.pk,
               actions=len(result.actions), unmapped=sum(len(v) for v in result.unmapped.values()))  # fmt: skip
    return result


# The name the brief gives it; `do_` marks it as a write like every other service here.
carry_forward = do_carry_forward
