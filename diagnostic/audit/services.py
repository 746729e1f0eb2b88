from django.db import models

from diagnostic.audit.models import AuditEvent
from diagnostic.lib.prepared import PreparedInsert


def record(action: str, **about) -> AuditEvent:
    """Append one audit event: `event(action, **about)`, written at once. Never pass secrets or
    tokens in its detail."""
    return write(event(action, **about))


def event(
    action: str,
    *,
    actor=None,
    obj: models.Model | None = None,
    organisation=None,
    organisation_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    **detail,
) -> AuditEvent:
    """An audit event as `record` would append it, not yet written: for a write that appends
    it together with others (`assessments.statements.save_answer`), or with `write`."""
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    return AuditEvent(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation_id=organisation.pk if organisation is not None else organisation_id,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )


def write(new_event: AuditEvent) -> AuditEvent:
    """Append an event made by `event`."""
    # Every save writes one: the INSERT's SQL is compiled once per process (lib/prepared.py).
    return _insert(new_event)


def insert_select(db: str):
    """The event's INSERT for a statement that appends it only if another part of it wrote
    something: `(sql, fields, returned)`, where `sql` is `INSERT INTO … (…) SELECT %s::…, …` to
    be followed by `FROM <that part>` and `RETURNING <returned's column>`, and `fields` the
    fields whose values go in its placeholders, in order (lib/prepared.py)."""
    return _insert.insert_select(db)


_insert = PreparedInsert(AuditEvent)


def scrub_person(*, replacements: dict[str, str]) -> int:
    """Replace an erased person's email and name wherever they appear in events' details
    (each key of `replacements` by its value, case-insensitively, as a whole word), leaving
    every other field of every event as it was: the only change the trail allows (ASVS 14.2.4,
    UK GDPR Article 17). Called from the erasure in a transaction; records one event saying how
    many changed (without the email or name). Returns that number."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from diagnostic.lib.erasure import replace_in, text_filter, usable

    replacements = usable(replacements)
    changed = {}
    events = AuditEvent.objects.annotate(_text_detail=Cast("detail", TextField()))
    for event in events.filter(text_filter("detail", replacements)).only("detail"):
        detail = replace_in(event.detail, replacements)
        if detail != event.detail:
            changed[event.pk] = detail
    count = AuditEvent.objects.all()._erase_from_details(changed)
    record("audit.person_scrubbed", events=count)
    return count
