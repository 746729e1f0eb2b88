"""Writes about case studies, attachments, invitations and guidance. Every path comes here.

Rules kept here and nowhere else:
- only a council's lead writes, submits and withdraws its case studies; drafts (and ones
  returned with comments) are the only ones that change;
- every save names the version it was based on: a stale one is refused (`StaleCaseStudy`,
  carrying the saved case study), never silently overwritten; a replay of the save already
  applied (same request id) changes nothing;
- the life of a case study is draft → submitted → in review → published, or returned with
  comments (back to the council to edit and submit again); the council can withdraw it at any
  time, which takes it off every page at once; every step is recorded with who and when;
- moderators are the national team, and regional leads for councils in their region;
- a council is invited to write up a value code at most once per round, only when its
  submitted answer there is at one of the version's top two levels and says it could share.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.models import Membership, Role, User
from diagnostic.audit.services import record
from diagnostic.frameworks.models import FrameworkVersion, KeyArea, Level, ValueCode
from diagnostic.organisations.models import Organisation
from diagnostic.practice import queries
from diagnostic.practice.models import (
    TEXT_FIELDS,
    Attachment,
    CaseStudy,
    CaseStudyEvent,
    Guidance,
    State,
    Visibility,
    WriteUpInvitation,
)
from diagnostic.practice.uploads import MAX_BYTES, UploadRefused, check_upload

LIMITS = {
    "title": 200,
    "summary": 2000,
    "what_was_done": 20000,
    "results": 20000,
    "differently": 10000,
    "contact_role": 150,
}
MAX_ATTACHMENTS = 10


class StaleCaseStudy(Exception):
    """Someone saved this case study since the caller loaded it."""

    def __init__(self, case_study: CaseStudy):
        self.case_study = case_study
        super().__init__(f"case study is at version {case_study.version}")


class NotEditable(Exception):
    """The case study is not a draft (or returned) any more."""


class WrongState(Exception):
    """That step cannot be taken from the case study's current state."""


class AlreadyInvited(Exception):
    """This council was asked about this value code in this round already."""


class NotACandidate(Exception):
    """The council's submitted answer does not make it a candidate for this value code."""


def _event(cs: CaseStudy, *, action: str, by: User, before: str, comment: str = "", **detail):
    now = timezone.now()
    CaseStudyEvent.objects.create(
        case_study=cs, action=action, from_state=before, to_state=cs.state, by=by, at=now,
        comment=comment,
    )  # fmt: skip
    record(
        f"case_study.{action}",
        actor=by,
        obj=cs,
        organisation_id=cs.organisation_id,
        from_state=before,
        to_state=cs.state,
        **detail,
    )


def check_is_lead(user: User, organisation: Organisation) -> None:
    if access.role_in(user, organisation) != Role.LEAD:
        raise PermissionDenied("Only the council's lead writes its case studies.")


def check_can_moderate(user: User, cs: CaseStudy) -> None:
    if not queries.can_moderate(user, cs):
        raise PermissionDenied("Only the national team and the council's regional lead moderate.")


# --- Writing ----------------------------------------------------------------------------------
def do_create_case_study(
    *,
    organisation: Organisation,
    by: User,
    framework_version: FrameworkVersion,
    value_code: ValueCode | None = None,
    level: Level | None = None,
) -> CaseStudy:
    """A new, empty draft (with a value code and level when written up from an invitation)."""
    check_is_lead(by, organisation)
    with transaction.atomic():
        cs = CaseStudy.objects.create(
            organisation=organisation,
            framework_version=framework_version,
            created_by=by,
            updated_by=by,
            updated_at=timezone.now(),
            level=level,
            key_area=value_code.key_area if value_code else None,
            visibility=Visibility.PUBLIC,
        )
        if value_code is not None:
            cs.value_codes.add(value_code)
        _event(cs, action="created", by=by, before="")
    return cs


def clean_fields(cs: CaseStudy, fields: dict) -> dict:
    """Check and tidy what a council typed. Raises ValidationError naming each field."""
    errors: dict[str, list[str]] = {}
    out = {}
    for name in TEXT_FIELDS:
        value = (fields.get(name) or "").replace("\r\n", "\n").replace("\x00", "")
        value = value.strip() if name in ("title", "contact_role") else value
        if len(value) > LIMITS[name]:
            errors.setdefault(name, []).append(
                f"Must be {LIMITS[name]:,} characters or fewer (it has {len(value):,})."
            )
        out[name] = value
    visibility = fields.get("visibility") or Visibility.PUBLIC
    if visibility not in Visibility.values:
        errors.setdefault("visibility", []).append("Choose who can read it.")
    out["visibility"] = visibility
    out["named"] = bool(fields.get("named"))
    version_id = cs.framework_version_id
    key_area = fields.get("key_area")
    if key_area is not None and key_area.version_id != version_id:
        errors.setdefault("key_area", []).append("That key area is not in this framework.")
    out["key_area"] = key_area
    level = fields.get("level")
    if level is not None and level.version_id != version_id:
        errors.setdefault("level", []).append("That level is not in this framework.")
    out["level"] = level
    value_codes = list(fields.get("value_codes") or [])
    if any(vc.version_id != version_id for vc in value_codes):
        errors.setdefault("value_codes", []).append("A value code is not in this framework.")
    out["value_codes"] = value_codes
    enablers = list(fields.get("enablers") or [])
    if any(e.version_id != version_id for e in enablers):
        errors.setdefault("enablers", []).append("An enabler is not in this framework.")
    out["enablers"] = enablers
    if errors:
        raise ValidationError(errors)
    return out


def do_save_draft(
    *, case_study: CaseStudy, by: User, expected_version: int, request_id: str = "", **fields
) -> CaseStudy:
    """Save the whole draft if it is still at `expected_version` (the autosave and the form)."""
    check_is_lead(by, case_study.organisation)
    values = clean_fields(case_study, fields)
    value_codes, enablers = values.pop("value_codes"), values.pop("enablers")
    now = timezone.now()
    with transaction.atomic():
        locked = CaseStudy.objects.select_for_update().get(pk=case_study.pk)
        if not locked.is_editable:
            raise NotEditable(locked.pk)
        if locked.version != expected_version:
            if request_id and locked.last_request_id == request_id:
                return locked
            raise StaleCaseStudy(locked)
        CaseStudy.objects.filter(pk=locked.pk).update(
            **values, version=F("version") + 1, updated_at=now, updated_by=by,
            last_request_id=request_id[:64],
        )  # fmt: skip
        locked.refresh_from_db()
        locked.value_codes.set(value_codes)
        locked.enablers.set(enablers)
        record(
            "case_study.saved",
            actor=by,
            obj=locked,
            organisation_id=locked.organisation_id,
            version=locked.version,
            value_codes=[vc.code for vc in value_codes],
        )
    return locked


def missing_for_submission(cs: CaseStudy) -> list[tuple[str, str]]:
    """(field, message) for what must be written before a case study can be submitted."""
    missing = []
    if not cs.title:
        missing.append(("title", "Enter a title."))
    if not cs.summary.strip():
        missing.append(("summary", "Enter a summary."))
    if not cs.value_codes.exists():
        missing.append(("value_codes", "Choose at least one value code."))
    if cs.level_id is None:
        missing.append(("level", "Choose the level the case study shows."))
    if cs.key_area_id is None:
        missing.append(("key_area", "Choose the key area."))
    if not cs.what_was_done.strip():
        missing.append(("what_was_done", "Say what was done."))
    if not cs.results.strip():
        missing.append(("results", "Give the results, with figures."))
    if not cs.contact_role:
        missing.append(("contact_role", "Give the role of a contact (not a name)."))
    return missing


# --- The life of a case study -----------------------------------------------------------------
def _move(cs: CaseStudy, *, by: User, allowed_from, to: str, action: str, comment: str = "",
          **stamps) -> CaseStudy:  # fmt: skip
    with transaction.atomic():
        locked = CaseStudy.objects.select_for_update().get(pk=cs.pk)
        if locked.state not in allowed_from:
            raise WrongState(locked.state)
        before = locked.state
        locked.state = to
        for key, value in stamps.items():
            setattr(locked, key, value)
        locked.version += 1
        locked.save(update_fields=["state", "version", *stamps])
        _event(locked, action=action, by=by, before=before, comment=comment)
    return locked


def do_submit(*, case_study: CaseStudy, by: User) -> CaseStudy:
    check_is_lead(by, case_study.organisation)
    problems = missing_for_submission(case_study)
    if problems:
        raise ValidationError({f: [m] for f, m in problems})
    return _move(
        case_study, by=by, allowed_from=(State.DRAFT, State.RETURNED), to=State.SUBMITTED,
        action="submitted", submitted_at=timezone.now(),
    )  # fmt: skip


def do_start_review(*, case_study: CaseStudy, by: User) -> CaseStudy:
    check_can_moderate(by, case_study)
    return _move(
        case_study, by=by, allowed_from=(State.SUBMITTED,), to=State.IN_REVIEW, action="in_review"
    )


def do_publish(*, case_study: CaseStudy, by: User, comment: str = "") -> CaseStudy:
    check_can_moderate(by, case_study)
    now = timezone.now()
    return _move(
        case_study, by=by, allowed_from=(State.SUBMITTED, State.IN_REVIEW), to=State.PUBLISHED,
        action="published", comment=comment.strip(), published_at=case_study.published_at or now,
    )  # fmt: skip


def do_return(*, case_study: CaseStudy, by: User, comment: str) -> CaseStudy:
    check_can_moderate(by, case_study)
    if not comment.strip():
        raise ValidationError({"comment": ["Say what the council should change."]})
    return _move(
        case_study, by=by, allowed_from=(State.SUBMITTED, State.IN_REVIEW), to=State.RETURNED,
        action="returned", comment=comment.strip()[:5000],
    )  # fmt: skip


def do_withdraw(*, case_study: CaseStudy, by: User, reason: str = "") -> CaseStudy:
    """The council takes it back, from any state: it leaves every page at once."""
    check_is_lead(by, case_study.organisation)
    return _move(
        case_study, by=by, allowed_from=[s for s in State.values if s != State.WITHDRAWN],
        to=State.WITHDRAWN, action="withdrawn", comment=reason.strip()[:2000],
        withdrawn_at=timezone.now(),
    )  # fmt: skip


# --- Attachments ------------------------------------------------------------------------------
def read_upload(upload, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of an uploaded file, reading no more than one byte past the limit."""
    upload.seek(0)
    return upload.read(max_bytes + 1)


def do_add_attachment(*, case_study: CaseStudy, by: User, upload) -> Attachment:
    """Check the file by its content and store it through Django's storage; refused → nothing
    stored (UploadRefused with the reason)."""
    check_is_lead(by, case_study.organisation)
    if not case_study.is_editable:
        raise NotEditable(case_study.pk)
    data = read_upload(upload)
    checked = check_upload(data)
    name = (getattr(upload, "name", "") or "attachment").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>')[:150] or "attachment"
    with transaction.atomic():
        if Attachment.objects.filter(case_study=case_study).count() >= MAX_ATTACHMENTS:
            raise UploadRefused(f"A case study can have at most {MAX_ATTACHMENTS} attachments.")
        attachment = Attachment(
            case_study=case_study, original_name=name, kind=checked.kind,
            content_type=checked.content_type, size=len(data), uploaded_by=by,
        )  # fmt: skip
        attachment.file.save("upload", ContentFile(data), save=False)
        try:
            attachment.save()
        except Exception:
            attachment.file.delete(save=False)
            raise
        record(
            "case_study.attachment_added", actor=by, obj=case_study,
            organisation_id=case_study.organisation_id, name=name, kind=checked.kind,
            size=len(data),
        )  # fmt: skip
    return attachment


def do_remove_attachment(*, attachment: Attachment, by: User) -> None:
    cs = attachment.case_study
    check_is_lead(by, cs.organisation)
    if not cs.is_editable:
        raise NotEditable(cs.pk)
    with transaction.atomic():
        name = attachment.original_name
        storage_name = attachment.file.name
        attachment.delete()
        record(
            "case_study.attachment_removed", actor=by, obj=cs,
            organisation_id=cs.organisation_id, name=name,
        )  # fmt: skip
        storage = attachment.file.storage
        transaction.on_commit(lambda: storage.delete(storage_name))


# --- Invitations to write up ------------------------------------------------------------------
def do_invite_write_up(
    *, by: User, round, organisation: Organisation, value_code: ValueCode, reason: str
) -> WriteUpInvitation:
    """Ask a candidate council to write up its practice on one value code; email its lead."""
    from diagnostic.assessments.models import Answer, Response

    if not (access.is_national(by) or organisation.region_id in access.led_region_ids(by)):
        raise PermissionDenied("Only the national team and the council's regional lead invite.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the council was chosen."]})
    top = {lv.number: lv for lv in queries.top_levels(round.framework_version_id)}
    answer = Answer.objects.filter(
        response__round=round, response__organisation=organisation,
        response__status=Response.Status.SUBMITTED, value_code=value_code, could_share=True,
        current_level__in=list(top),
    ).first()  # fmt: skip
    if answer is None:
        raise NotACandidate(organisation.pk)
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = WriteUpInvitation.objects.create(
                round=round, organisation=organisation, value_code=value_code,
                level=top[answer.current_level], reason=reason[:2000], invited_by=by,
                invited_at=now,
            )  # fmt: skip
            record(
                "write_up.invited", actor=by, obj=invitation, organisation=organisation,
                value_code=value_code.code, round=round.name,
            )  # fmt: skip
    except IntegrityError:
        raise AlreadyInvited(organisation.pk) from None
    leads = list(
        Membership.objects.filter(
            organisation=organisation, role=Role.LEAD, user__is_active=True
        ).values_list("user__email", flat=True)
    )
    if leads:
        url = reverse("practice:mine")
        send_mail(
            f"Would you write up your practice on {value_code.code}?",
            (
                f"{organisation.name} told us in {round.name} that it is at "
                f"{invitation.level.name} on {value_code.code} {value_code.title} and could "
                f"share its practice there.\n\nWhy we are asking you:\n{reason}\n\n"
                f"Write it up as a case study, or decline, from {url} on the service. "
                "Other councils can learn from what you did.\n"
            ),
            None,
            leads,
        )
    return invitation


def do_decline_invitation(*, invitation: WriteUpInvitation, by: User, reason: str = "") -> None:
    check_is_lead(by, invitation.organisation)
    with transaction.atomic():
        updated = WriteUpInvitation.objects.filter(
            pk=invitation.pk, status=WriteUpInvitation.Status.PENDING
        ).update(
            status=WriteUpInvitation.Status.DECLINED, answered_at=timezone.now(), answered_by=by,
            decline_reason=(reason or "").strip()[:2000],
        )  # fmt: skip
        if not updated:
            raise WrongState(invitation.status)
        record(
            "write_up.declined", actor=by, obj=invitation,
            organisation_id=invitation.organisation_id, value_code=invitation.value_code.code,
        )  # fmt: skip


def do_accept_invitation(*, invitation: WriteUpInvitation, by: User) -> CaseStudy:
    """Start (or return to) the draft that answers an invitation."""
    check_is_lead(by, invitation.organisation)
    with transaction.atomic():
        locked = WriteUpInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.case_study_id:
            return locked.case_study
        if locked.status != WriteUpInvitation.Status.PENDING:
            raise WrongState(locked.status)
        cs = do_create_case_study(
            organisation=locked.organisation, by=by,
            framework_version=locked.value_code.version, value_code=locked.value_code,
            level=locked.level,
        )  # fmt: skip
        locked.status = WriteUpInvitation.Status.ACCEPTED
        locked.case_study = cs
        locked.answered_at = timezone.now()
        locked.answered_by = by
        locked.save(update_fields=["status", "case_study", "answered_at", "answered_by"])
        record(
            "write_up.accepted", actor=by, obj=locked, organisation_id=locked.organisation_id,
            value_code=locked.value_code.code, case_study=cs.pk,
        )  # fmt: skip
    return cs


# --- Related guidance -------------------------------------------------------------------------
https_only = URLValidator(schemes=["https", "http"])


def do_add_guidance(
    *, by: User, title: str, publisher: str, published_on: dt.date, type: str,
    value_code: ValueCode | None = None, key_area: KeyArea | None = None, url: str = "",
    upload=None,
) -> Guidance:  # fmt: skip
    """Add a resource beside a value code's or key area's case studies. The link's format is
    checked; it is never fetched."""
    access.require_national(by)
    errors: dict[str, list[str]] = {}
    if (value_code is None) == (key_area is None):
        errors["value_code"] = ["Choose a value code or a key area (one of the two)."]
    url = (url or "").strip()
    if url:
        try:
            https_only(url)
        except ValidationError:
            errors["url"] = ["Enter a full web address starting https://"]
    if bool(url) == bool(upload):
        errors.setdefault("url", []).append("Give a link or attach a file (one of the two).")
    if type not in Guidance.Kind.values:
        errors["type"] = ["Choose a type."]
    checked = None
    data = b""
    if upload and not errors:
        data = read_upload(upload)
        try:
            checked = check_upload(data)
        except UploadRefused as exc:
            errors["file"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        g = Guidance(
            title=title.strip()[:200], publisher=publisher.strip()[:150],
            published_on=published_on, type=type, value_code=value_code, key_area=key_area,
            url=url, added_by=by,
        )  # fmt: skip
        if checked:
            g.kind, g.content_type = checked.kind, checked.content_type
            g.original_name = (getattr(upload, "name", "") or "guidance").rsplit("/", 1)[-1][:150]
            g.file.save("upload", ContentFile(data), save=False)
        try:
            g.save()
        except Exception:
            if checked:
                g.file.delete(save=False)
            raise
        record("guidance.added", actor=by, obj=g, title=g.title)
    return g


def do_remove_guidance(*, guidance: Guidance, by: User) -> None:
    access.require_national(by)
    with transaction.atomic():
        name = guidance.file.name if guidance.file else ""
        storage = guidance.file.storage
        record("guidance.removed", actor=by, obj=guidance, title=guidance.title)
        guidance.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))
