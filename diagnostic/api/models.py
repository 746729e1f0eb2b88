"""Personal API tokens: a person's key for the JSON API, acting with that person's roles.

A token is a 256-bit secret shown once when it is made; only its SHA-256 is stored (as for
invitations, docs/decisions/0003), with a short prefix so a person can tell their tokens apart.
It carries scopes (read, write) and an expiry, and never grants more than its owner's roles at
the moment of use (docs/decisions/0024-json-api.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    READ = "read", "Read: GET requests"
    WRITE = "write", "Write: requests that change data"


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    prefix = models.CharField(max_length=12, help_text="The token's first characters, shown.")
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, help_text="Any of: read, write.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"

    @property
    def is_usable(self) -> bool:
        return self.status == "active" and self.user.is_active

    def allows(self, scope: str) -> bool:
        return scope in self.scopes
