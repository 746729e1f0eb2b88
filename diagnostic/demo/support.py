"""The demo's support targeting: advisers in several regions, and offers from the 2021 results
at every stage (chosen, invited, replied, attended), whose effect shows in the current round.

Offers are planned through the service (so adviser days are checked) from each region's ranking;
the 2021 invitations are marked sent rather than emailed (they are history). Councils that
attended the North West's 2021 offers gain a level on those value codes in the current round,
where they have submitted, so "whether it helped" has something to show: that is demo data.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import F
from django.utils import timezone

# (name, kind, employer, region codes, key area codes, value codes, days per quarter)
ADVISERS = [
    ("Priya Shah", "lga", "Local Government Association", ["E12000002", "E12000003"], ["EC", "ESM"], [], 10),
    ("Tom Birch", "hub", "North West procurement hub", ["E12000002"], ["OSV", "SME"], ["MCR2"], 8),
    ("Grace Mensah", "associate", "Independent", ["E12000002", "E12000005"], ["MCR"], [], 6),
    ("Huw Jenkins", "hub", "Welsh procurement hub", ["W92000004"], ["OSV", "VCSE"], [], 8),
    ("Sarah Cole", "lga", "Local Government Association", ["E12000007", "E12000008"], ["CCO", "MSR"], [], 12),
    ("Imran Qureshi", "hub", "London procurement hub", ["E12000007"], ["ESS", "WP"], [], 6),
    ("Beth Morgan", "associate", "Independent", ["E12000009", "E12000008"], ["SME"], ["VCSE1"], 4),
    ("Liam Carter", "hub", "Midlands procurement hub", ["E12000004", "E12000005"], ["EC", "OSV"], [], 8),
]  # fmt: skip
# (region code, organiser key, kind, stage, days booked, places)
OFFERS = [
    ("E12000002", "dana", "workshop", "attended", 4, 30),
    ("E12000002", "dana", "peer_mentoring", "attended", 2, 30),
    ("E12000002", "dana", "adviser_days", "replied", 3, 8),
    ("E12000007", "erin", "webinar", "invited", 0, 40),
    ("E12000008", "erin", "toolkit", "chosen", 0, 20),
    ("W92000004", "erin", "workshop", "attended", 3, 15),
]
TITLES = {
    "workshop": "Workshop: {aim}",
    "peer_mentoring": "Peer mentoring: {aim}",
    "adviser_days": "Adviser days: {aim}",
    "webinar": "Webinar: {aim}",
    "toolkit": "Toolkit: {aim}",
}


def step_support(ctx) -> None:
    from diagnostic.accounts.models import User
    from diagnostic.frameworks.models import KeyArea, ValueCode
    from diagnostic.organisations.models import Region
    from diagnostic.support import queries, services
    from diagnostic.support.models import Adviser, Invitation

    rnd = ctx.rounds.get("2021")
    if rnd is None or ctx.framework is None:
        return
    rng = random.Random(1212)
    regions = {r.code: r for r in Region.objects.all()}
    areas = {k.code: k for k in KeyArea.objects.filter(version=ctx.framework)}
    codes = {v.code: v for v in ValueCode.objects.filter(version=ctx.framework)}
    erin = ctx.users.get("erin") or User.objects.filter(is_demo=True).first()
    for name, kind, employer, rcodes, acodes, vcodes, days in ADVISERS:
        services.do_save_adviser(
            by=erin, name=name, kind=kind, employer=employer, days_per_quarter=days,
            email=f"{name.split()[0].lower()}@advisers.example", regions=[regions[c] for c in rcodes],
            key_areas=[areas[c] for c in acodes], value_codes=[codes[c] for c in vcodes],
        )  # fmt: skip
    advisers = list(Adviser.objects.prefetch_related("regions"))
    used: set[tuple[str, int]] = set()
    planned = attended = 0
    nudged: dict[int, set[int]] = {}  # value code id → councils that attended (North West)
    start = dt.date(2021, 11, 8)
    for n, (rcode, who, kind, stage, days, places) in enumerate(OFFERS):
        region = regions[rcode]
        organiser = ctx.users.get(who) or erin
        scope = queries.SupportScope(rnd.pk, by="value_code", region_id=region.pk)
        ranking = queries.where_to_focus(scope, national=True)["ranking"]
        top = next(r for r in ranking if (rcode, r["id"]) not in used and r["demand"])
        used.add((rcode, top["id"]))
        vc = codes[top["code"]]
        needing = [c["organisation"] for c in queries.councils_behind(scope, vc.pk, named_region_ids=None)
                   if c["needs"]][:places]  # fmt: skip
        begins = start + dt.timedelta(days=21 * n)
        # The first adviser in the region with the days free in that quarter.
        adviser = next((a for a in advisers if region in a.regions.all()
                        and a.days_per_quarter - queries.booked_days(a.pk, begins) >= days), None)  # fmt: skip
        adviser = adviser if days else None
        offer = services.do_create_offer(
            by=organiser if who == "erin" or region.pk in _led(organiser) else erin,
            round=rnd, region=region, kind=kind, title=TITLES[kind].format(aim=vc.title),
            description="Planned from the 2021 results: councils that want to improve here.",
            starts_on=begins, ends_on=begins + dt.timedelta(days=0 if kind != "adviser_days" else 60),
            capacity=max(places, len(needing)), organisations=needing, value_code=vc,
            adviser=adviser, adviser_days=days if adviser else 0,
        )  # fmt: skip
        planned += 1
        if stage == "chosen":
            continue
        sent = timezone.make_aware(dt.datetime.combine(begins - dt.timedelta(days=14), dt.time(10)))
        Invitation.objects.filter(offer=offer).update(
            status="invited", invited_at=sent, emails_sent=1
        )
        if stage == "invited":
            continue
        invitations = list(Invitation.objects.filter(offer=offer).select_related("organisation"))
        for inv in invitations:
            inv.status = "accepted" if rng.random() < 0.8 else "declined"
            inv.responded_at = sent + dt.timedelta(days=rng.randint(1, 9))
            if stage == "attended":
                inv.attended = inv.status == "accepted" and rng.random() < 0.9
                attended += bool(inv.attended)
                if inv.attended and rcode == "E12000002":
                    nudged.setdefault(vc.pk, set()).add(inv.organisation_id)
            inv.save(update_fields=["status", "responded_at", "attended"])
    raised = _show_effect(ctx, nudged)
    ctx.notes.append(
        "Try: Dana (North West lead) opens Support: where to focus, planning an offer from the "
        "ranking, its take-up; Erin sees every region and whether the 2021 support helped."
    )
    ctx.log(
        f"Support: {len(ADVISERS)} advisers in {len({c for a in ADVISERS for c in a[3]})} regions; "
        f"{planned} offers from the 2021 results (chosen, invited, replied, attended), "
        f"{attended} councils attended; {raised} attendees' levels raised in the current round"
    )


def _led(user) -> set[int]:
    from diagnostic.accounts import access

    return access.led_region_ids(user)


def _show_effect(ctx, attended: dict[int, set[int]]) -> int:
    """Attendees who submitted in the current round move up a level on the offer's value code
    (below the framework's top level): demo data, so "whether it helped" has a figure."""
    from diagnostic.assessments.models import Answer, Response
    from diagnostic.frameworks.models import Level

    current = ctx.rounds.get("current")
    if current is None:
        return 0
    top = max(Level.objects.filter(version=ctx.framework).values_list("number", flat=True))
    raised = 0
    for vc_id, orgs in attended.items():
        raised += Answer.objects.filter(
            response__round=current, response__status=Response.Status.SUBMITTED,
            response__organisation_id__in=orgs, value_code_id=vc_id,
            current_level__gte=1, current_level__lt=top,
        ).update(current_level=F("current_level") + 1)  # fmt: skip
    return raised
