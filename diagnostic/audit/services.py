from django.db import models

from diagnostic.audit.models import AuditEvent


def record(
    action: str,
    *,
    actor=None,
    obj: models.Model | None = None,
    organisation=None,
    **detail,
) -> AuditEvent:
    """Append one audit event. Never pass secrets or tokens in `detail`."""
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail,
    )
