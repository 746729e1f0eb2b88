"""Writes for support targeting: advisers, offers, invitations, replies and attendance.

Every function is keyword-only, runs in a transaction and is audited. An offer that books an
adviser's days locks the adviser's row first (`select_for_update`; on SQLite the IMMEDIATE
transaction takes the write lock at BEGIN), so two offers planned at once cannot together book
more days than the adviser has in a quarter.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from diagnostic.accounts import access
from diagnostic.accounts.models import Membership, Role, User
from diagnostic.assessments.models import Round
from diagnostic.audit.services import record
from diagnostic.frameworks.models import KeyArea, ValueCode
from diagnostic.organisations.models import Organisation, Region
from diagnostic.support.models import Adviser, Invitation, Offer, quarter_of
from diagnostic.support.queries import booked_days


class AdviserOverbooked(ValidationError):
    """The offer would book an adviser past their days in a quarter."""


def _regions_allowed(by: User) -> set[int] | None:
    """None: any region (a national admin); otherwise the regions the person leads."""
    if access.is_national_admin(by):
        return None
    led = access.led_region_ids(by)
    if not led:
        raise PermissionDenied("Only national admins and regional leads can plan support.")
    return led


def do_save_adviser(
    *,
    by: User,
    name: str,
    kind: str,
    regions: list[Region],
    days_per_quarter: int,
    email: str = "",
    employer: str = "",
    key_areas: list[KeyArea] = (),
    value_codes: list[ValueCode] = (),
    active: bool = True,
    adviser: Adviser | None = None,
) -> Adviser:
    """Add someone to the adviser register, or change their entry. A regional lead registers
    people for their own region(s) only."""
    allowed = _regions_allowed(by)
    if not regions:
        raise ValidationError("Choose at least one region the adviser works in.")
    if allowed is not None and not {r.pk for r in regions} <= allowed:
        raise PermissionDenied("You can register advisers for your own region only.")
    if not key_areas and not value_codes:
        raise ValidationError("Choose at least one key area or value code the adviser knows.")
    with transaction.atomic():
        created = adviser is None
        if adviser is not None:
            adviser = Adviser.objects.select_for_update().get(pk=adviser.pk)
            # Fewer days than already booked in a quarter would leave the adviser overbooked.
            for start in {quarter_of(o.starts_on)[0] for o in adviser.offers.all()}:
                if booked_days(adviser.pk, start) > days_per_quarter:
                    raise AdviserOverbooked(
                        f"{adviser.name} already has {booked_days(adviser.pk, start)} days booked "
                        f"in the quarter starting {start:%d %B %Y}: keep at least that many days."
                    )
        adviser = adviser or Adviser(created_by=by)
        adviser.name, adviser.email, adviser.kind = name.strip(), email.strip(), kind
        adviser.employer, adviser.days_per_quarter = employer.strip(), days_per_quarter
        adviser.active = active
        adviser.save()
        adviser.regions.set(regions)
        adviser.key_areas.set(key_areas)
        adviser.value_codes.set(value_codes)
        record("adviser.created" if created else "adviser.changed", actor=by, obj=adviser,
               days_per_quarter=days_per_quarter, regions=sorted(r.code for r in regions))  # fmt: skip
    return adviser


def do_create_offer(
    *,
    by: User,
    round: Round,
    kind: str,
    title: str,
    starts_on: dt.date,
    ends_on: dt.date,
    capacity: int,
    organisations: list[Organisation],
    region: Region | None = None,
    key_area: KeyArea | None = None,
    value_code: ValueCode | None = None,
    adviser: Adviser | None = None,
    adviser_days: int = 0,
    description: str = "",
) -> Offer:
    """Plan an offer aimed at one value code or key area, for councils chosen from the ranking
    (stored as chosen, not yet invited). Books the adviser's days in the quarter the offer
    starts, refusing with a clear message if that would go past their days."""
    allowed = _regions_allowed(by)
    if allowed is not None and (region is None or region.pk not in allowed):
        raise PermissionDenied("You can plan support for your own region only.")
    if (key_area is None) == (value_code is None):
        raise ValidationError("Aim the offer at one value code or one key area.")
    version_id = round.framework_version_id
    if (key_area or value_code).version_id != version_id:
        raise ValidationError("The value code or key area is not in this round's framework.")
    if ends_on < starts_on:
        raise ValidationError("The offer cannot end before it starts.")
    if not organisations:
        raise ValidationError("Choose at least one council.")
    if len(organisations) > capacity:
        raise ValidationError(
            f"{len(organisations)} councils chosen but the offer has room for {capacity}."
        )
    if region is not None:
        outside = [o.short_name for o in organisations if o.region_id != region.pk]
        if outside:
            raise ValidationError(f"Not in {region.name}: {', '.join(outside)}.")
    if adviser_days and adviser is None:
        raise ValidationError("Choose the adviser whose days the offer books.")
    with transaction.atomic():
        if adviser is not None:
            _check_adviser(adviser, region=region, starts_on=starts_on, days=adviser_days)
        offer = Offer.objects.create(
            round=round, region=region, kind=kind, title=title.strip(),
            description=description.strip(), key_area=key_area, value_code=value_code,
            starts_on=starts_on, ends_on=ends_on, capacity=capacity, adviser=adviser,
            adviser_days=adviser_days, created_by=by,
        )  # fmt: skip
        Invitation.objects.bulk_create(
            [Invitation(offer=offer, organisation=o) for o in organisations]
        )
        record("support.offer_created", actor=by, obj=offer, kind=kind, adviser_days=adviser_days,
               councils=sorted(o.gss_code for o in organisations))  # fmt: skip
    return offer


def _check_adviser(adviser: Adviser, *, region: Region | None, starts_on: dt.date, days: int):
    """Lock the adviser and refuse a booking past their days in the offer's quarter."""
    locked = Adviser.objects.select_for_update().get(pk=adviser.pk)
    if not locked.active:
        raise ValidationError(f"{locked.name} is no longer available.")
    if region is not None and not locked.regions.filter(pk=region.pk).exists():
        raise ValidationError(f"{locked.name} does not work in {region.name}.")
    booked = booked_days(locked.pk, starts_on)
    if booked + days > locked.days_per_quarter:
        start, end = quarter_of(starts_on)
        free = max(0, locked.days_per_quarter - booked)
        raise AdviserOverbooked(
            f"{locked.name} has {free} of {locked.days_per_quarter} days free between "
            f"{start:%d %B} and {end:%d %B %Y}; this offer needs {days}. Book fewer days, "
            "another adviser, or a date in another quarter."
        )


def _leads_of(organisation: Organisation) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(organisation=organisation, role=Role.LEAD)
        .select_related("user")
        .order_by("user__email")
        if m.user.is_active
    ]


def do_send_invitations(*, by: User, offer: Offer) -> tuple[int, int]:
    """Email every chosen council's leads an invitation (each council once); return (councils
    invited, emails sent). Councils with no lead stay "chosen" and are counted on the page."""
    councils = emails = 0
    with transaction.atomic():
        pending = list(
            Invitation.objects.select_for_update()
            .filter(offer=offer, status=Invitation.Status.CHOSEN)
            .select_related("organisation")
        )
        for inv in pending:
            leads = _leads_of(inv.organisation)
            if not leads:
                continue
            url = settings.SITE_ROOT + reverse("support:invitation", args=[inv.pk])
            for lead in leads:
                body = render_to_string("support/email/invitation.txt",
                                        {"offer": offer, "invitation": inv, "lead": lead, "url": url})  # fmt: skip
                send_mail(f"Support offered: {offer.title}", body, None, [lead.email])
                emails += 1
            inv.status, inv.invited_at, inv.emails_sent = (
                Invitation.Status.INVITED,
                timezone.now(),
                len(leads),
            )
            inv.save(update_fields=["status", "invited_at", "emails_sent"])
            councils += 1
        record("support.invitations_sent", actor=by, obj=offer, councils=councils, emails=emails)
    return councils, emails


def do_reply(*, by: User, invitation: Invitation, accept: bool) -> Invitation:
    """A council's lead accepts or declines (and can change their mind until it starts). An
    acceptance past the offer's capacity is refused."""
    with transaction.atomic():
        Offer.objects.select_for_update().get(pk=invitation.offer_id)
        inv = Invitation.objects.select_related("offer").get(pk=invitation.pk)
        if inv.offer.starts_on < timezone.localdate():
            raise ValidationError("This support has started; replies are closed.")
        if accept and inv.status != Invitation.Status.ACCEPTED:
            taken = Invitation.objects.filter(
                offer=inv.offer, status=Invitation.Status.ACCEPTED
            ).count()
            if taken >= inv.offer.capacity:
                raise ValidationError("Sorry: every place on this offer has been taken.")
        inv.status = Invitation.Status.ACCEPTED if accept else Invitation.Status.DECLINED
        inv.responded_at, inv.responded_by = timezone.now(), by
        inv.save(update_fields=["status", "responded_at", "responded_by"])
        record("support.invitation_" + ("accepted" if accept else "declined"), actor=by, obj=inv,
               organisation=inv.organisation, offer=inv.offer_id)  # fmt: skip
    return inv


def do_record_attendance(*, by: User, offer: Offer, attended_ids: set[int]) -> int:
    """Record who attended: invitations in `attended_ids` attended, every other invited council
    did not. Returns how many attended."""
    with transaction.atomic():
        invitations = list(
            Invitation.objects.select_for_update()
            .filter(offer=offer)
            .exclude(status=Invitation.Status.CHOSEN)
        )
        unknown = attended_ids - {i.pk for i in invitations}
        if unknown:
            raise ValidationError("Attendance can be recorded only for invited councils.")
        for inv in invitations:
            inv.attended = inv.pk in attended_ids
            inv.save(update_fields=["attended"])
        record("support.attendance_recorded", actor=by, obj=offer, attended=len(attended_ids))
    return len(attended_ids)
