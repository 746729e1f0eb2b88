"""People, what they may do (memberships), and invitations to join."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils import timezone

from diagnostic.organisations.models import Organisation, Region


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address and a password."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May use the Django admin site (operations staff only)."
    )
    is_demo = models.BooleanField(default=False, help_text="Created by the demo command.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    """What a membership lets a person do. See docs/roles.md for the full table."""

    LEAD = "lead", "Organisation lead"
    CONTRIBUTOR = "contributor", "Contributor"
    VIEWER = "viewer", "Viewer"
    REGIONAL_LEAD = "regional_lead", "Regional lead"
    NATIONAL_ANALYST = "national_analyst", "National analyst"
    NATIONAL_ADMIN = "national_admin", "National admin"


ORGANISATION_ROLES = {Role.LEAD, Role.CONTRIBUTOR, Role.VIEWER}
NATIONAL_ROLES = {Role.NATIONAL_ANALYST, Role.NATIONAL_ADMIN}

# Which scope each role needs, checked both in forms and by a database constraint.
_ORG_SCOPED = Q(role__in=sorted(r.value for r in ORGANISATION_ROLES), organisation__isnull=False,
                region__isnull=True)  # fmt: skip
_REGION_SCOPED = Q(role=Role.REGIONAL_LEAD, region__isnull=False, organisation__isnull=True)
_NATIONAL = Q(role__in=sorted(r.value for r in NATIONAL_ROLES), organisation__isnull=True,
              region__isnull=True)  # fmt: skip


class ScopeNameMixin:
    """The name of what a role is held over: an organisation, a region, or the nation."""

    @property
    def scope_name(self) -> str:
        if self.organisation_id:
            return self.organisation.name
        if self.region_id:
            return self.region.name
        return "National"


class Membership(ScopeNameMixin, models.Model):
    """A role held by a user: in one organisation, for one region, or nationally."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    department = models.CharField(max_length=150, blank=True)
    job_role = models.CharField("role in the organisation", max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                condition=_ORG_SCOPED | _REGION_SCOPED | _NATIONAL,
                name="membership_scope_fits_role",
            ),
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(organisation__isnull=False),
                name="one_role_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["user", "region"],
                condition=Q(region__isnull=False),
                name="one_regional_role_per_region",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(organisation__isnull=True, region__isnull=True),
                name="one_national_role_each",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}{self.scope_suffix}"

    @property
    def scope_suffix(self) -> str:
        if self.organisation_id:
            return f", {self.organisation.short_name}"
        if self.region_id:
            return f", {self.region.name}"
        return ""


def hash_token(token: str) -> str:
    """Invitations store only a hash of their token, so a database leak exposes no links."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Invitation(ScopeNameMixin, models.Model):
    """A single-use, expiring invitation to take a role."""

    email = models.EmailField()
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    department = models.CharField(max_length=150, blank=True)
    job_role = models.CharField(max_length=150, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email"])]
        constraints = [
            models.CheckConstraint(
                condition=_ORG_SCOPED | _REGION_SCOPED | _NATIONAL,
                name="invitation_scope_fits_role",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.get_role_display()})"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    @property
    def is_usable(self) -> bool:
        return self.status == "pending"


class Session(AbstractBaseSession):
    """A browser's session (the `SESSION_ENGINE` is `diagnostic.accounts.sessions`), with the
    signed-in person's id kept in a column of its own, taken from the session's data whenever it
    is saved: loading a session then reads the person and their memberships in the same
    statement (`accounts/sessions.py`), and a person's sessions are found without decoding
    every session (`end_sessions_of`). Empty (NULL) for a session nobody is signed in to.
    Decision 0032.

    A plain indexed column, not a foreign key: a session saved for someone deleted meanwhile
    must not fail (Django's engine retries a failed insert of a new session for ever), and such
    a session signs nobody in anyway (the backend finds no one)."""

    user_id = models.IntegerField(null=True, blank=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):
        from diagnostic.accounts.sessions import SessionStore

        return SessionStore
