"""An append-only record of who did what, and when."""

from django.conf import settings
from django.db import models


class AppendOnly(Exception):
    """The audit trail is append-only: an event is never changed or deleted (ASVS 16.4.2)."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit events cannot be changed")

    def delete(self):
        raise AppendOnly("audit events cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly("audit events cannot be changed")

    def _erase_from_details(self, changed: dict[int, dict]) -> int:
        """The one change the trail allows: an erased person's email and name taken out of
        events' details (UK GDPR Article 17). Only `audit.services.scrub_person` calls it
        (tested); it changes `detail` and nothing else. Returns how many events changed."""
        base = super()
        for pk, detail in changed.items():
            models.QuerySet.update(base.filter(pk=pk), detail=detail)
        return len(changed)


class AuditEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True)  # "invitation.sent", "role.granted"
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit events cannot be deleted")

    @property
    def label(self) -> str:
        """What happened, in words (`audit/labels.py`)."""
        from diagnostic.audit.labels import label_for

        return label_for(self.action)
