"""The demo step for good practice: a dozen case studies at every stage, candidates waiting.

Written straight to the models (the demo's councils other than Wigan and Kent have no people
to act through the services), with each step's history, so the pages look as they would after
real use. The case studies are in `practice/data/demo_case_studies.yaml`, in our own words.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from django.utils import timezone

from diagnostic.accounts.models import User
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.frameworks.models import FrameworkVersion
from diagnostic.organisations.models import Organisation
from diagnostic.practice.models import CaseStudy, CaseStudyEvent, Guidance, WriteUpInvitation
from diagnostic.practice.queries import top_levels

DATA = Path(__file__).parent / "data" / "demo_case_studies.yaml"

# The moves through moderation each final stage is reached by, and who makes them.
PATHS = {
    "draft": [],
    "submitted": [("submitted", "lead")],
    "in_review": [("submitted", "lead"), ("in_review", "nina")],
    "returned": [("submitted", "lead"), ("in_review", "dana"), ("returned", "dana")],
    "published": [("submitted", "lead"), ("in_review", "nina"), ("published", "erin")],
    "withdrawn": [("submitted", "lead"), ("in_review", "nina"), ("published", "erin"),
                  ("withdrawn", "lead")],
}  # fmt: skip

GUIDANCE = [
    ("Contract management: a practical guide for councils", "MCR1", "guidance", "LGA"),
    ("Social value measurement template", "OSV4", "template", "LGA"),
    ("Procurement for councillors: an introduction", "EC3", "training", "LGA"),
    ("Supplier resilience toolkit", "MSR1", "toolkit", "Cabinet Office"),
]


def _council(spec: dict) -> Organisation | None:
    if "gss" in spec:
        return Organisation.objects.filter(gss_code=spec["gss"]).first()
    orgs = list(Organisation.objects.filter(type=spec["type"]).order_by("name")[:20])
    return orgs[spec["index"] % len(orgs)] if orgs else None


def _person(ctx, key: str, org: Organisation) -> User | None:
    if key == "lead":
        m = org.memberships.filter(role="lead").select_related("user").first()
        return m.user if m else None
    return ctx.users.get(key) or User.objects.filter(email__startswith=f"{key}@").first()


def step_good_practice(ctx) -> None:
    if CaseStudy.objects.exists():
        ctx.log("Good practice: already there")
        return
    version: FrameworkVersion = ctx.framework
    levels = list(version.levels.order_by("-number"))
    now = timezone.now()
    made = 0
    entries = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    for i, entry in enumerate(entries):
        org = _council(entry["council"])
        if org is None:
            continue
        started = now - dt.timedelta(days=120 - i * 9)
        vcs = list(version.valuecodes.filter(code__in=entry["codes"]).select_related("key_area"))
        cs = CaseStudy.objects.create(
            organisation=org, framework_version=version, title=entry["title"],
            summary=entry["summary"].strip(), what_was_done=entry["what_was_done"].strip(),
            results=entry["results"].strip(), differently=(entry.get("differently") or "").strip(),
            contact_role=entry["contact_role"], level=levels[entry["from_top"] - 1],
            key_area=vcs[0].key_area, visibility=entry["visibility"], named=entry["named"],
            created_by=_person(ctx, "lead", org), updated_at=started,
        )  # fmt: skip
        cs.value_codes.set(vcs)
        cs.enablers.set(version.enablers.filter(code__in=entry.get("enablers") or []))
        CaseStudyEvent.objects.create(case_study=cs, action="created", to_state="draft",
                                      by=_person(ctx, "lead", org), at=started)  # fmt: skip
        state, at = "draft", started
        stamps = {}
        for step, (action, who) in enumerate(PATHS[entry["stage"]], start=1):
            at = started + dt.timedelta(days=step * 6)
            CaseStudyEvent.objects.create(
                case_study=cs, action=action, from_state=state, to_state=action,
                by=_person(ctx, who, org), at=at,
                comment=entry.get("comment", "") if action == "returned" else "",
            )  # fmt: skip
            state = action
            stamp = {"submitted": "submitted_at", "published": "published_at",
                     "withdrawn": "withdrawn_at"}.get(action)  # fmt: skip
            if stamp and stamp not in stamps:
                stamps[stamp] = at
        CaseStudy.objects.filter(pk=cs.pk).update(state=state, version=1 + len(PATHS[entry["stage"]]),
                                                  **stamps)  # fmt: skip
        made += 1
    invited = _invitations(ctx, version, levels, now)
    for title, code, kind, publisher in GUIDANCE:
        vc = version.valuecodes.filter(code=code).first()
        if vc:
            Guidance.objects.create(
                title=title, url=f"https://www.example.org/guidance/{code.lower()}",
                publisher=publisher, published_on=dt.date(2025, 3, 1), type=kind, value_code=vc,
                added_by=ctx.users.get("erin"),
            )  # fmt: skip
    ctx.log(
        f"Good practice: {made} case studies, {invited} invitations, {len(GUIDANCE)} guidance links"
    )


def _invitations(ctx, version, levels, now) -> int:
    """Invite three candidates from the latest round with submissions: one waiting (Wigan, if
    it is a candidate, so its lead can try it), one accepted (a draft being written), one
    declined; the rest of the queue is left for the demo's moderators."""
    top = {lv.number for lv in top_levels(version.pk)}
    rnd = (
        Round.objects.filter(framework_version=version, responses__status=Response.Status.SUBMITTED)
        .distinct()
        .order_by("-opens_on")
        .first()
    )
    if rnd is None:
        return 0
    answers = list(
        Answer.objects.filter(response__round=rnd, response__status=Response.Status.SUBMITTED,
                              could_share=True, current_level__in=list(top))
        .select_related("response__organisation", "value_code")
        .order_by("-response__organisation__gss_code", "value_code__position")[:40]
    )  # fmt: skip
    wigan_first = sorted(answers, key=lambda a: a.response.organisation.gss_code != "E08000010")
    by_level = {lv.number: lv for lv in levels}
    erin = ctx.users.get("erin")
    made = 0
    seen = set()
    for a, status in zip(_distinct(wigan_first, seen), ["pending", "accepted", "declined"],
                         strict=False):  # fmt: skip
        inv = WriteUpInvitation.objects.create(
            round=rnd, organisation=a.response.organisation, value_code=a.value_code,
            level=by_level[a.current_level], invited_by=erin, invited_at=now - dt.timedelta(days=10),
            reason=f"{by_level[a.current_level].name} on {a.value_code.code} with clear evidence, "
            "and several councils in the region want support there.",
            status=status,
        )  # fmt: skip
        if status == "declined":
            inv.answered_at, inv.decline_reason = (
                now - dt.timedelta(days=4),
                "No capacity this year.",
            )
        if status == "accepted":
            cs = CaseStudy.objects.create(
                organisation=inv.organisation, framework_version=version, level=inv.level,
                key_area=inv.value_code.key_area, title=f"Our practice on {inv.value_code.title}",
                summary="(Being written.)", updated_at=now - dt.timedelta(days=3),
            )  # fmt: skip
            cs.value_codes.set([inv.value_code])
            CaseStudyEvent.objects.create(case_study=cs, action="created", to_state="draft",
                                          at=now - dt.timedelta(days=3))  # fmt: skip
            inv.case_study, inv.answered_at = cs, now - dt.timedelta(days=3)
        inv.save()
        made += 1
    return made


def _distinct(answers, seen):
    """One answer per council, so three invitations go to three councils."""
    for a in answers:
        if a.response.organisation_id not in seen:
            seen.add(a.response.organisation_id)
            yield a
