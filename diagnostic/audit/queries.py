"""Reading the audit trail: filtered, searched, and each event's change shown as before → after."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from diagnostic.audit.labels import LABELS
from diagnostic.audit.models import AuditEvent

# Keys of `detail` that say which object or version, not what changed.
_NOT_CHANGES = {"version", "value_code", "key", "format"}


@dataclass(frozen=True)
class Change:
    field: str
    before: object
    after: object


def events(*, q: str = "", action: str = "", organisation_id: int | None = None,
           actor_id: int | None = None, since=None, until=None) -> QuerySet[AuditEvent]:  # fmt: skip
    """Events newest first, narrowed by each filter given."""
    qs = AuditEvent.objects.select_related("actor", "organisation").order_by("-at", "-pk")
    if action:
        qs = qs.filter(action=action)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    if q:
        qs = qs.annotate(detail_text=Cast("detail", TextField())).filter(
            Q(action__icontains=q)
            | Q(action__in=[code for code, label in LABELS.items() if q.lower() in label.lower()])
            | Q(actor__full_name__icontains=q)
            | Q(actor__email__icontains=q)
            | Q(organisation__name__icontains=q)
            | Q(object_type__icontains=q)
            | Q(object_id__icontains=q)
            | Q(detail_text__icontains=q)
        )
    return qs


def events_of_response(response) -> QuerySet[AuditEvent]:
    """Everything recorded about one council's response: the response, its answers, its
    action plan, the colleagues asked and their views, decisions and sign-off."""
    from diagnostic.consolidation.models import Assignment, Decision, SignOffRequest
    from diagnostic.plans.models import Action

    pk = str(response.pk)
    ids = {
        "plans.action": Action.objects.filter(response=response),
        "consolidation.assignment": Assignment.objects.filter(response=response),
        "consolidation.decision": Decision.objects.filter(response=response),
        "consolidation.signoffrequest": SignOffRequest.objects.filter(response=response),
    }
    where = Q(object_type="assessments.response", object_id=pk) | Q(
        object_type="assessments.answer", object_id__startswith=f"{pk}:"
    )
    for object_type, rows in ids.items():
        where |= Q(
            object_type=object_type,
            object_id__in=[str(i) for i in rows.values_list("pk", flat=True)],
        )
    return (
        AuditEvent.objects.filter(organisation_id=response.organisation_id)
        .filter(where)
        .select_related("actor", "organisation")
        .order_by("-at", "-pk")
    )


def with_changes(page_events: list[AuditEvent]) -> list[tuple[AuditEvent, list[Change]]]:
    """Each event with its changes. An event that records `old` and `new` shows them; an event
    that records an object's values (an answer saved) is compared with the previous event of
    the same kind about the same object. One query for the whole page."""
    keys = {(e.object_type, e.object_id, e.action) for e in page_events if e.object_id}
    earlier: dict[tuple, list[AuditEvent]] = {}
    if keys:
        where = Q()
        for object_type, object_id, action in keys:
            where |= Q(object_type=object_type, object_id=object_id, action=action)
        latest = max(e.at for e in page_events)
        for e in AuditEvent.objects.filter(where, at__lte=latest).order_by("at", "pk"):
            earlier.setdefault((e.object_type, e.object_id, e.action), []).append(e)
    out = []
    for e in page_events:
        detail = e.detail or {}
        if "old" in detail and "new" in detail:
            changes = [Change("", detail["old"], detail["new"])]
        elif isinstance(detail.get("before"), dict) and isinstance(detail.get("after"), dict):
            changes = _diff(detail["before"], detail["after"])
        else:
            before = {}
            history = earlier.get((e.object_type, e.object_id, e.action), [])
            previous = [p for p in history if (p.at, p.pk) < (e.at, e.pk)]
            if previous:
                before = previous[-1].detail or {}
            changes = _diff(before, detail) if e.object_id and history else _as_is(detail)
        out.append((e, changes))
    return out


def _diff(before: dict, after: dict) -> list[Change]:
    return [
        Change(k, before.get(k), after.get(k))
        for k in sorted(set(before) | set(after))
        if k not in _NOT_CHANGES and before.get(k) != after.get(k)
    ]


def _as_is(detail: dict) -> list[Change]:
    return [Change(k, None, v) for k, v in sorted(detail.items())]


CSV_COLUMNS = ["when_utc", "who", "who_email", "what", "action", "council", "object_type",
               "object_id", "field", "before", "after"]  # fmt: skip


def csv_rows(events_with_changes):
    """One row per change (an event with no change gives one row)."""
    for e, changes in events_with_changes:
        base = [e.at.strftime("%Y-%m-%d %H:%M:%S"), e.actor.full_name if e.actor else "",
                e.actor.email if e.actor else "", e.label, e.action,
                e.organisation.name if e.organisation else "", e.object_type, e.object_id]  # fmt: skip
        if not changes:
            yield base + ["", "", ""]
        for c in changes:
            yield base + [c.field, _text(c.before), _text(c.after)]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
