"""Recovery codes: single-use, stored only as hashes (the authenticator app itself is
django-otp's `TOTPDevice`)."""

from django.conf import settings
from django.db import models


class RecoveryCode(models.Model):
    """One recovery code. A code carries 125 random bits, so its SHA-256 is enough to store
    (ASVS 6.5.2: lookup secrets of 112 bits or more need no slow hash)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"])]

    def __str__(self) -> str:
        return f"recovery code of user {self.user_id}"
