from django.db import models

from diagnostic.audit.models import AuditEvent


def record(
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
    """Append one audit event. Never pass secrets or tokens in `detail`."""
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation_id=organisation.pk if organisation is not None else organisation_id,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
