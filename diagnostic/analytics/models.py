from django.conf import settings
from django.db import models


class Publication(models.Model):
    """A round whose national aggregates are published on the public results page."""

    round = models.OneToOneField(
        "assessments.Round", on_delete=models.CASCADE, related_name="publication"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.round} published {self.published_at:%Y-%m-%d}"
