"""Everything the service holds about one person, for them to download (UK GDPR Article 15;
ASVS 14.1.1 data identified). Kept in one place so the privacy page, the download and the
erasure agree; `test_personal_data` checks each section against the models."""

from __future__ import annotations

from django.utils import timezone

from diagnostic.accounts.models import Invitation, Membership, User


def _when(value):
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def about(user: User) -> dict:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from diagnostic.assessments.models import Answer
    from diagnostic.audit.models import AuditEvent
    from diagnostic.consolidation.models import Assignment, ContributorAnswer
    from diagnostic.plans.models import Action
    from diagnostic.twofactor.models import RecoveryCode

    email = user.email
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assignments = list(
        Assignment.objects.filter(user=user).select_related(
            "response__organisation", "response__round"
        )
    )
    views = (
        ContributorAnswer.objects.filter(assignment__in=assignments)
        .select_related("value_code", "assignment")
        .order_by("assignment_id", "value_code__position")
    )
    return {
        "generated_at": _when(timezone.now()),
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "job_title": user.job_title,
            "joined": _when(user.date_joined),
            "last_sign_in": _when(user.last_login),
            "active": user.is_active,
        },
        "roles": [
            {
                "role": m.get_role_display(),
                "where": m.scope_name,
                "department": m.department,
                "job_role": m.job_role,
                "since": _when(m.created_at),
            }
            for m in Membership.objects.filter(user=user).select_related("organisation", "region")
        ],  # fmt: skip
        "invitations_to_you": [
            {
                "role": i.get_role_display(),
                "where": i.scope_name,
                "name_given": i.full_name,
                "sent": _when(i.created_at),
                "expires": _when(i.expires_at),
                "accepted": _when(i.accepted_at),
                "withdrawn": _when(i.revoked_at),
                "sent_by": i.invited_by.full_name if i.invited_by else None,
            }
            for i in Invitation.objects.filter(email__iexact=email).select_related(
                "organisation", "region", "invited_by"
            )
        ],  # fmt: skip
        "invitations_you_sent": [
            {
                "to": i.email,
                "name_given": i.full_name,
                "role": i.get_role_display(),
                "where": i.scope_name,
                "sent": _when(i.created_at),
            }
            for i in Invitation.objects.filter(invited_by=user).select_related(
                "organisation", "region"
            )
        ],  # fmt: skip
        "second_factor": {
            "authenticator_app": app is not None,
            "recovery_codes_unused": RecoveryCode.objects.filter(user=user, used_at=None).count(),
        },
        "sign_ins": [
            {
                "at": _when(a.attempt_time),
                "address": a.ip_address,
                "browser": a.user_agent,
                "signed_out": _when(a.logout_time),
            }
            for a in AccessLog.objects.filter(username__iexact=email).order_by("-attempt_time")
        ],  # fmt: skip
        "failed_sign_ins": [
            {"at": _when(a.attempt_time), "address": a.ip_address, "browser": a.user_agent}
            for a in AccessFailureLog.objects.filter(username__iexact=email).order_by(
                "-attempt_time"
            )
        ]
        + [
            {
                "at": _when(a.attempt_time),
                "address": a.ip_address,
                "failures": a.failures_since_start,
            }
            for a in AccessAttempt.objects.filter(username__iexact=email)
        ],  # fmt: skip
        "views_asked_of_you": [
            {
                "council": a.response.organisation.name,
                "round": a.response.round.name,
                "department": a.department,
                "job_role": a.job_role,
                "asked": _when(a.created_at),
                "finished": _when(a.finished_at),
            }
            for a in assignments
        ],  # fmt: skip
        "your_views": [
            {
                "council": v.assignment.response.organisation.name,
                "value_code": v.value_code.code,
                "current_level": v.current_level,
                "target_level": v.target_level,
                "priority": v.priority,
                "comment": v.comment,
                "saved": _when(v.updated_at),
            }
            for v in views.select_related("assignment__response__organisation")
        ],  # fmt: skip
        "agreed_answers_you_saved_last": [
            {
                "council": a.response.organisation.name,
                "round": a.response.round.name,
                "value_code": a.value_code.code,
                "current_level": a.current_level,
                "comment": a.comment,
                "saved": _when(a.updated_at),
            }
            for a in Answer.objects.filter(updated_by=user).select_related(
                "response__organisation", "response__round", "value_code"
            )
        ],  # fmt: skip
        "actions_you_wrote": [
            {
                "council": a.response.organisation.name,
                "title": a.title,
                "owner": a.owner,
                "created": _when(a.created_at),
            }
            for a in Action.objects.filter(created_by=user).select_related("response__organisation")
        ],  # fmt: skip
        "what_you_did": [
            {
                "at": _when(e.at),
                "action": e.action,
                "council": e.organisation.name if e.organisation else None,
            }
            for e in AuditEvent.objects.filter(actor=user)
            .select_related("organisation")
            .order_by("-at")
        ],  # fmt: skip
    }
