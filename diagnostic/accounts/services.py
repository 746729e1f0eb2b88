"""Writes about people: invitations, accepting them, granting and removing roles.

Every path that changes who may do what comes through here (forms, bulk upload, the admin
pages), so the same rules and the same audit trail apply everywhere.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.models import (
    NATIONAL_ROLES,
    ORGANISATION_ROLES,
    Invitation,
    Membership,
    Role,
    User,
    hash_token,
)
from diagnostic.audit.services import record
from diagnostic.lib.problems import InvalidFile, Problem, read_csv_text
from diagnostic.lib.text import FORMULA_START, has_control_characters
from diagnostic.organisations.models import Organisation, Region


class InvitationUnusable(Exception):
    """The invitation has expired, was used already, or was withdrawn."""

    def __init__(self, invitation: Invitation):
        self.invitation = invitation
        super().__init__(invitation.status)


class AlreadyMember(Exception):
    """The person already holds a role in that organisation or region."""


class WrongAccount(Exception):
    """Signed in as someone other than the person invited."""


# --- Who may invite whom ----------------------------------------------------------------------
def roles_user_can_invite(user: User, organisation: Organisation | None = None) -> list[Role]:
    """National admins may invite to any role; an organisation's lead to roles in it."""
    if access.is_national_admin(user):
        return list(Role)
    if organisation is not None and access.role_in(user, organisation) == Role.LEAD:
        return [Role.LEAD, Role.CONTRIBUTOR, Role.VIEWER]
    return []


def check_can_invite(
    user: User, *, role: str, organisation: Organisation | None, region: Region | None
) -> None:
    if role in ORGANISATION_ROLES and organisation is None:
        raise ValidationError("Choose the organisation for this role.")
    if role == Role.REGIONAL_LEAD and region is None:
        raise ValidationError("Choose the region for this role.")
    if role not in roles_user_can_invite(user, organisation):
        raise PermissionDenied("You cannot invite people to this role.")


# --- Invitations --------------------------------------------------------------------------------
def _scope(role: str, organisation, region) -> dict:
    """Only the scope the role needs is kept; anything else sent along is dropped."""
    if role in ORGANISATION_ROLES:
        return {"organisation": organisation, "region": None}
    if role == Role.REGIONAL_LEAD:
        return {"organisation": None, "region": region}
    return {"organisation": None, "region": None}


def invitation_url(token: str) -> str:
    return settings.SITE_ROOT + reverse("accounts:invitation", args=[token])


def do_invite(
    *,
    by: User,
    email: str,
    role: str,
    full_name: str = "",
    organisation: Organisation | None = None,
    region: Region | None = None,
    department: str = "",
    job_role: str = "",
    send: bool = True,
) -> tuple[Invitation, str]:
    """Create a single-use invitation, email its link, and return it with its raw token.

    An earlier pending invitation for the same person and scope is withdrawn, so only the
    newest link works.
    """
    email = email.strip().lower()
    validate_email(email)
    scope = _scope(role, organisation, region)
    check_can_invite(by, role=role, organisation=scope["organisation"], region=scope["region"])
    existing = User.objects.filter(email__iexact=email).first()
    if existing and _holds(existing, role, **scope):
        raise AlreadyMember(f"{email} already has this role.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.filter(
            email=email, role=role, accepted_at=None, revoked_at=None, **scope
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            email=email,
            full_name=full_name.strip(),
            role=role,
            department=department.strip(),
            job_role=job_role.strip(),
            token_hash=hash_token(token),
            invited_by=by,
            created_at=now,
            expires_at=now + dt.timedelta(days=settings.INVITATION_DAYS),
            **scope,
        )
        record(
            "invitation.sent",
            actor=by,
            obj=invitation,
            organisation=scope["organisation"],
            email=email,
            role=role,
        )
    if send:
        send_invitation_email(invitation, token)
    return invitation, token


def send_invitation_email(invitation: Invitation, token: str) -> None:
    context = {
        "invitation": invitation,
        "url": invitation_url(token),
        "days": settings.INVITATION_DAYS,
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        subject=f"You are invited to {settings.SITE_NAME}",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def do_revoke_invitation(*, by: User, invitation: Invitation) -> None:
    if invitation.is_usable:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record("invitation.revoked", actor=by, obj=invitation, organisation=invitation.organisation)


def _holds(user: User, role: str, *, organisation, region) -> bool:
    qs = Membership.objects.filter(user=user)
    if organisation is not None:
        return qs.filter(organisation=organisation).exists()
    if region is not None:
        return qs.filter(region=region).exists()
    return qs.filter(role=role, organisation=None, region=None).exists()


def do_accept_invitation(
    *,
    invitation: Invitation,
    user: User | None = None,
    full_name: str = "",
    password: str = "",
) -> User:
    """Use an invitation once: create the account if needed and grant the role.

    `user` is the signed-in person, who must be the one invited. Without `user`, a new account
    is created with `full_name` and `password` (validated by the password rules).
    """
    with transaction.atomic():
        # Lock the row so two clicks on one link cannot both succeed.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_usable:
            raise InvitationUnusable(invitation)
        if user is None:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise WrongAccount("An account with this email exists: sign in to accept.")
            user = User(email=invitation.email, full_name=full_name.strip())
            validate_password(password, user)
            user.set_password(password)
            user.save()
        elif user.email.lower() != invitation.email.lower():
            raise WrongAccount(f"This invitation is for {invitation.email}.")
        if not _holds(
            user, invitation.role, organisation=invitation.organisation, region=invitation.region
        ):
            try:
                with transaction.atomic():
                    Membership.objects.create(
                        user=user,
                        role=invitation.role,
                        organisation=invitation.organisation,
                        region=invitation.region,
                        department=invitation.department,
                        job_role=invitation.job_role,
                    )
            except IntegrityError:
                pass  # granted meanwhile by another path; the invitation is still used up
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record(
            "invitation.accepted",
            actor=user,
            obj=invitation,
            organisation=invitation.organisation,
            role=invitation.role,
        )
        access.forget_memberships(user)
    return user


# --- Bulk invitation of leads -------------------------------------------------------------------
BULK_COLUMNS = ["organisation_code", "name", "email"]
BULK_MAX_ROWS = 1000


@dataclass(frozen=True)
class BulkRow:
    line: int
    organisation: Organisation
    name: str
    email: str


def check_bulk_leads_csv(text: str) -> list[BulkRow]:
    """Validate a CSV of leads to invite, whole; raise InvalidFile listing every problem."""
    rows = read_csv_text(text, required=BULK_COLUMNS)
    if not rows:
        raise InvalidFile([Problem("file", "has a header but no rows")])
    if len(rows) > BULK_MAX_ROWS:
        raise InvalidFile([Problem("file", f"has {len(rows)} rows; the limit is {BULK_MAX_ROWS}")])
    # Checked before any lookup: PostgreSQL cannot even compare text holding NUL (ASVS 2.2.1).
    problems, unusable = [], set()
    for line, row in enumerate(rows, start=2):
        for column in BULK_COLUMNS:
            if has_control_characters(row[column]):
                problems.append(Problem(f"row {line}, column {column}",
                                        "holds a control character (such as NUL); type it again"))  # fmt: skip
                unusable.add(line)
        if row["name"].startswith(FORMULA_START):
            problems.append(Problem(f"row {line}, column name",
                                    "starts with = + - or @, which a spreadsheet runs as a formula"))  # fmt: skip
    codes = {r["organisation_code"] for i, r in enumerate(rows, start=2) if i not in unusable}
    orgs = {
        o.gss_code: o
        for o in Organisation.objects.filter(gss_code__in=codes).select_related("region")
    }
    today = timezone.localdate()
    result, seen_pairs = [], set()
    for line, row in enumerate(rows, start=2):
        if line in unusable:
            continue
        code, name, email = row["organisation_code"], row["name"], row["email"].lower()
        org = orgs.get(code)
        if not code:
            problems.append(Problem(f"row {line}, column organisation_code", "is empty"))
        elif org is None:
            problems.append(
                Problem(
                    f"row {line}, column organisation_code", f"no organisation with code {code}"
                )
            )
        elif not org.existed_on(today):
            problems.append(
                Problem(
                    f"row {line}, column organisation_code",
                    f"{org.name} was abolished on {org.end_date:%d %B %Y}",
                )
            )
        if not name:
            problems.append(Problem(f"row {line}, column name", "is empty"))
        elif len(name) > 150:
            problems.append(Problem(f"row {line}, column name", "is longer than 150 characters"))
        try:
            validate_email(email)
        except ValidationError:
            problems.append(
                Problem(f"row {line}, column email", f"'{row['email']}' is not an email address")
            )
        if (code, email) in seen_pairs:
            problems.append(Problem(f"row {line}", f"repeats {email} for {code}"))
        seen_pairs.add((code, email))
        if org is not None and email:
            result.append(BulkRow(line=line, organisation=org, name=name, email=email))
    if problems:
        raise InvalidFile(problems)
    return result


def do_invite_leads_in_bulk(*, by: User, text: str) -> list[Invitation]:
    """Invite every row's person as lead of its organisation: all or nothing.

    Emails are sent only after every invitation is stored, so a failure part-way sends none.
    """
    access.require_national_admin(by)
    rows = check_bulk_leads_csv(text)
    created: list[tuple[Invitation, str]] = []
    with transaction.atomic():
        for row in rows:
            existing = User.objects.filter(email__iexact=row.email).first()
            if existing and _holds(existing, Role.LEAD, organisation=row.organisation, region=None):
                continue
            created.append(
                do_invite(
                    by=by,
                    email=row.email,
                    full_name=row.name,
                    role=Role.LEAD,
                    organisation=row.organisation,
                    send=False,
                )
            )
        record("invitation.bulk", actor=by, count=len(created))
    for invitation, token in created:
        send_invitation_email(invitation, token)
    return [inv for inv, _ in created]


# --- Roles ------------------------------------------------------------------------------------
def do_change_role(*, by: User, membership: Membership, role: str) -> Membership:
    """Change an organisation role (lead ↔ contributor ↔ viewer)."""
    if membership.role not in ORGANISATION_ROLES or role not in ORGANISATION_ROLES:
        raise ValidationError("Only organisation roles can be changed here.")
    if role not in roles_user_can_invite(by, membership.organisation):
        raise PermissionDenied("You cannot give this role.")
    _keep_one_lead(membership, new_role=role)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    record(
        "role.changed",
        actor=by,
        obj=membership,
        organisation=membership.organisation,
        user=membership.user.email,
        old=old,
        new=role,
    )
    return membership


def do_remove_membership(*, by: User, membership: Membership) -> None:
    if membership.organisation_id:
        if not roles_user_can_invite(by, membership.organisation):
            raise PermissionDenied("You cannot remove this person.")
        _keep_one_lead(membership, new_role=None)
    else:
        access.require_national_admin(by)
        if membership.role == Role.NATIONAL_ADMIN and membership.user_id == by.pk:
            raise ValidationError("You cannot remove your own national admin role.")
    record(
        "role.removed",
        actor=by,
        obj=membership,
        organisation=membership.organisation,
        user=membership.user.email,
        role=membership.role,
    )
    membership.delete()


def _keep_one_lead(membership: Membership, *, new_role: str | None) -> None:
    if membership.role == Role.LEAD and new_role != Role.LEAD:
        others = Membership.objects.filter(
            organisation=membership.organisation, role=Role.LEAD
        ).exclude(pk=membership.pk)
        if not others.exists():
            raise ValidationError(
                "An organisation needs at least one lead. Invite or appoint another lead first."
            )


def do_grant_national_role(*, by: User, user: User, role: str) -> Membership:
    access.require_national_admin(by)
    if role not in NATIONAL_ROLES:
        raise ValidationError("Not a national role.")
    membership, created = Membership.objects.get_or_create(user=user, role=role)
    if created:
        record("role.granted", actor=by, obj=membership, user=user.email, role=role)
    return membership


# --- Personal data: erasure (issue 14) -------------------------------------------------------
FORMER_COLLEAGUE = "a former colleague"


def erased_email(user: User) -> str:
    return f"erased-{user.pk}@erased.invalid"


@transaction.atomic
def do_erase_person(*, by: User, user: User) -> dict:
    """A national admin erases a person (UK GDPR Article 17): their name and email are replaced,
    so everything they did stays, attributed to "a former colleague"; their roles, invitations
    to them, second factor, sign-in records and sessions are removed and they cannot sign in.
    The council's answers, views and actions are kept. Recorded (without the name or email).
    Returns what was removed, by kind."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from diagnostic.accounts.sessions import end_sessions_of
    from diagnostic.api.models import ApiToken
    from diagnostic.audit.services import scrub_person
    from diagnostic.consolidation.models import Assignment
    from diagnostic.lib.erasure import scrub_everywhere
    from diagnostic.twofactor.models import RecoveryCode

    access.require_national_admin(by)
    if user.pk == by.pk:
        raise ValidationError("You cannot erase yourself; ask another national admin.")
    if user.email == erased_email(user):
        raise ValidationError("This person has already been erased.")
    email = user.email
    removed = {
        "roles": Membership.objects.filter(user=user).delete()[0],
        "invitations": Invitation.objects.filter(email__iexact=email).delete()[0],
        "second_factor": TOTPDevice.objects.filter(user=user).delete()[0]
        + RecoveryCode.objects.filter(user=user).delete()[0],
        "sign_in_records": AccessAttempt.objects.filter(username__iexact=email).delete()[0]
        + AccessLog.objects.filter(username__iexact=email).delete()[0]
        + AccessFailureLog.objects.filter(username__iexact=email).delete()[0],
        "sessions": end_sessions_of(user.pk),
    }
    Assignment.objects.filter(models_q_user_or_email(user, email)).update(
        full_name=FORMER_COLLEAGUE, email=erased_email(user)
    )
    removed["api_tokens"] = ApiToken.objects.filter(user=user).delete()[0]
    # Their email and name wherever else they were written down (a sign-off request, a
    # council's officer, an action's owner, a comment, an adviser) and in the audit trail's
    # details, through its one narrow path (docs/decisions/0030-erasure-leaves-no-personal-data.md).
    replacements = {email: erased_email(user), user.full_name: FORMER_COLLEAGUE}
    removed["texts_rewritten"] = sum(scrub_everywhere(replacements).values())
    removed["audit_events_rewritten"] = scrub_person(replacements=replacements)
    user.full_name = FORMER_COLLEAGUE
    user.email = erased_email(user)
    user.job_title = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save()
    access.forget_memberships(user)
    record("person.erased", actor=by, obj=user, **removed)
    return removed


def models_q_user_or_email(user: User, email: str):
    from django.db.models import Q

    return Q(user=user) | Q(email__iexact=email)


def do_apply_retention(*, now=None, invitation_days: int, sign_in_days: int) -> dict:
    """Delete what is kept no longer than the privacy notice says: invitations finished
    (expired, used or withdrawn) more than `invitation_days` ago, sign-in records older than
    `sign_in_days`, and sessions that have ended. Audit events are kept (append-only)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.db.models import Q

    from diagnostic.accounts.models import Session

    now = now or timezone.now()
    inv_cut = now - dt.timedelta(days=invitation_days)
    sign_cut = now - dt.timedelta(days=sign_in_days)
    with transaction.atomic():
        counts = {
            "invitations": Invitation.objects.filter(
                Q(expires_at__lt=inv_cut) | Q(accepted_at__lt=inv_cut) | Q(revoked_at__lt=inv_cut)
            ).delete()[0],
            "sign_in_records": AccessAttempt.objects.filter(attempt_time__lt=sign_cut).delete()[0]
            + AccessLog.objects.filter(attempt_time__lt=sign_cut).delete()[0]
            + AccessFailureLog.objects.filter(attempt_time__lt=sign_cut).delete()[0],
            "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
        }
        record("retention.applied", **counts, invitation_days=invitation_days,
               sign_in_days=sign_in_days)  # fmt: skip
    return counts
