"""The broker's demo step: choices, a strong Wigan–Kent suggestion and introductions at each stage.

Appended to `diagnostic/demo/seed.py` STEPS. In the current round:
- Wigan and Kent are each strong where the other wants to improve (Wigan in MCR2 and five more,
  Kent in OSV1 and five more), with readable reasons: the step sets those answers in their
  latest submitted responses (the broker's source until they submit this round,
  docs/decisions/0015) and leaves the introduction for Bob to ask for;
- councils of each disclosure choice: about 60 % named, 20 % LGA and region only, the rest not
  at all (no choice);
- introductions at every stage: waiting for both, waiting for one (Bob has one to answer),
  accepted with and without outcomes (useful, not useful), declined with a note, expired.
Running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random

WIGAN_GIVES = ["MCR2", "MCR4", "CCO2", "MCR1", "CCO4", "MSR2"]
KENT_GIVES = ["OSV1", "OSV3", "SME2", "OSV2", "SME4", "VCSE2"]


def _latest_submitted(rnd, organisation_id):
    from diagnostic.assessments.models import Response

    r = rnd
    while r is not None:
        found = Response.objects.filter(
            round=r, organisation_id=organisation_id, status="submitted"
        ).first()
        if found:
            return found
        r = r.previous_round
    return None


def _make_strong_pair(rnd, wigan, kent, scale) -> None:
    """Wigan strong (second-highest level, could share) where Kent is two levels lower with a
    high priority and wants support, and the reverse."""
    from diagnostic.assessments.models import Answer

    strong = scale.numbers[scale.strong_position]
    low = scale.numbers[max(0, scale.strong_position - 2)]
    for giver, taker, codes in ((wigan, kent, WIGAN_GIVES), (kent, wigan, KENT_GIVES)):
        g, t = _latest_submitted(rnd, giver.pk), _latest_submitted(rnd, taker.pk)
        if g is None or t is None:
            continue
        Answer.objects.filter(response=g, value_code__code__in=codes).update(
            current_level=strong, could_share=True
        )
        Answer.objects.filter(response=t, value_code__code__in=codes).update(
            current_level=low,
            target_level=strong,
            priority="high",
            want_support=True,
            could_share=False,
        )


def step_broker(ctx) -> None:
    from django.utils import timezone

    from diagnostic.accounts.models import Membership, Role
    from diagnostic.analytics.cache import bump
    from diagnostic.assessments.models import Round
    from diagnostic.broker import queries
    from diagnostic.broker.models import Disclosure, Introduction, Outcome, Visibility
    from diagnostic.demo.seed import COUNCIL_A, COUNCIL_B
    from diagnostic.frameworks.models import ValueCode
    from diagnostic.organisations.models import Organisation

    current = (
        ctx.rounds.get("current")
        or Round.objects.filter(status=Round.Status.OPEN).order_by("-opens_on").first()
    )
    wigan = Organisation.objects.filter(gss_code=COUNCIL_A).first()
    kent = Organisation.objects.filter(gss_code=COUNCIL_B).first()
    if (
        current is None
        or wigan is None
        or kent is None
        or Introduction.objects.filter(round=current).exists()
    ):
        return
    rng = random.Random(11)
    scale = queries.level_scale(current.framework_version_id)
    _make_strong_pair(current, wigan, kent, scale)
    bump(current.pk)

    # Disclosure choices.
    councils = queries.round_councils(current.pk)
    choices = []
    for c in sorted(councils, key=lambda c: c.id):
        if c.id in (wigan.pk, kent.pk):
            choices.append(
                Disclosure(
                    round=current,
                    organisation_id=c.id,
                    visibility=Visibility.NAMED,
                    show_levels=c.id == wigan.pk,
                )
            )
            continue
        x = rng.random()
        if x < 0.6:
            choices.append(
                Disclosure(
                    round=current,
                    organisation_id=c.id,
                    visibility=Visibility.NAMED,
                    show_levels=rng.random() < 0.5,
                )
            )
        elif x < 0.8:
            choices.append(
                Disclosure(round=current, organisation_id=c.id, visibility=Visibility.LGA_REGION)
            )
        elif x < 0.9:
            choices.append(
                Disclosure(round=current, organisation_id=c.id, visibility=Visibility.NONE)
            )
    Disclosure.objects.bulk_create(choices)

    users = ctx.users
    bob, charlie, dana, erin = (users.get(k) for k in ("bob", "charlie", "dana", "erin"))
    now = timezone.now()
    used = {wigan.pk, kent.pk}
    made = []
    # Each council's answer comes from its lead, who becomes its named contact once both
    # accept (`services.contact_for`); a council without a lead could not have answered, so
    # introductions are made only between councils that have one (step_council_leads).
    contacts = {
        m.organisation_id: m.user
        for m in Membership.objects.filter(role=Role.LEAD, organisation__isnull=False)
        .select_related("user")
        .order_by("pk")
    }
    contacts |= {wigan.pk: bob, kent.pk: charlie}
    contacts = {org_id: user for org_id, user in contacts.items() if user is not None}

    def intro(a_id, b_id, *, by, proposed_as, days_ago, first="", second="", status="proposed",
              proposer=None, note="", outcomes=()):  # fmt: skip
        first_id, second_id = min(a_id, b_id), max(a_id, b_id)
        m = queries.match_between(current, first_id, second_id)
        if m is None:
            return None
        when = now - dt.timedelta(days=days_ago)
        answers = {a_id: first, b_id: second}
        i = Introduction.objects.create(
            round=current, first_id=first_id, second_id=second_id, status=status, proposed_by=by,
            proposed_as=proposed_as, proposer_organisation_id=proposer, proposed_at=when,
            expires_at=when + dt.timedelta(days=28), score=round(m.score, 4),
            reasons=queries.reasons_json(m),
            first_answer=answers[first_id], second_answer=answers[second_id],
            first_answered_at=when + dt.timedelta(days=1) if answers[first_id] else None,
            second_answered_at=when + dt.timedelta(days=2) if answers[second_id] else None,
            first_answered_by=contacts.get(first_id) if answers[first_id] else None,
            second_answered_by=contacts.get(second_id) if answers[second_id] else None,
            second_note=note if answers[second_id] == "declined" else "",
            first_note=note if answers[first_id] == "declined" else "",
            accepted_at=when + dt.timedelta(days=2) if status == "accepted" else None,
            closed_at=when + dt.timedelta(days=28) if status in ("expired", "declined") else None,
            reminded_at=when + dt.timedelta(days=7) if days_ago > 7 and status in ("proposed", "expired") else None,
        )  # fmt: skip
        for org_id, flags, codes in outcomes:
            o = Outcome.objects.create(
                introduction=i, organisation_id=org_id, recorded_by=contacts.get(org_id), **flags
            )
            o.improved.set(
                ValueCode.objects.filter(version_id=current.framework_version_id, code__in=codes)
            )
        used.update({a_id, b_id})
        made.append(i)
        return i

    # Wigan's own: accepted with outcomes (proposed by Dana), and one waiting for Bob.
    wigan_partners = [
        m.second
        for m in queries.suggestions_for(current, wigan, limit=None)[0]
        if m.second.id != kent.pk
    ]
    nw = [c for c in wigan_partners if c.region_id == wigan.region_id] + wigan_partners
    p1 = next((c for c in nw if c.id not in used and c.id in contacts), None)
    if p1:
        intro(wigan.pk, p1.id, by=dana, proposed_as="regional", days_ago=60, first="accepted", second="accepted",
              status="accepted", outcomes=[(wigan.pk, {"met": True, "shared_documents": True}, ["OSV2"]),
                                           (p1.id, {"met": True, "joint_work": True}, [])])  # fmt: skip
    p2 = next((c for c in wigan_partners if c.id not in used and c.id in contacts), None)
    if p2:
        intro(
            p2.id,
            wigan.pk,
            by=erin,
            proposed_as="national",
            days_ago=3,
            first="accepted",
            second="",
        )
    # Kent asked a council itself, which has not answered yet.
    kent_partners = [m.second for m in queries.suggestions_for(current, kent, limit=None)[0]]
    p3 = next((c for c in kent_partners if c.id not in used and c.id in contacts), None)
    if p3:
        intro(
            kent.pk,
            p3.id,
            by=charlie,
            proposed_as="council",
            proposer=kent.pk,
            days_ago=2,
            first="accepted",
        )
    # Other councils, from the national plan: one at each remaining stage.
    plan, _ = queries.plan_for(current, queries.NATIONAL, 1)
    others = [p for p in plan.pairs if not ({*p} & used) and {*p} <= contacts.keys()]
    stages = [
        {"first": "", "second": "", "days_ago": 1},
        {"first": "accepted", "second": "accepted", "status": "accepted", "days_ago": 20},
        {"first": "accepted", "second": "accepted", "status": "accepted", "days_ago": 70,
         "outcomes_": ({"met": True, "joint_work": True, "shared_documents": True}, {"met": True})},
        {"first": "accepted", "second": "accepted", "status": "accepted", "days_ago": 65,
         "outcomes_": ({"met": True, "not_useful": True}, {"not_useful": True})},
        {"first": "accepted", "second": "declined", "status": "declined", "days_ago": 15,
         "note": "We are mid-restructure; please ask again next year."},
        {"first": "", "second": "", "status": "expired", "days_ago": 40},
    ]  # fmt: skip
    for (a, b), stage in zip(others, stages, strict=False):
        outcomes = stage.pop("outcomes_", None)
        outs = [(a, outcomes[0], []), (b, outcomes[1], [])] if outcomes else []
        intro(a, b, by=erin, proposed_as="national", outcomes=outs, **stage)
    counts = {}
    for i in made:
        counts[i.status] = counts.get(i.status, 0) + 1
    named = sum(1 for c in choices if c.visibility == Visibility.NAMED)
    lga = sum(1 for c in choices if c.visibility == Visibility.LGA_REGION)
    ctx.log(
        f"Broker ({current.name}): {named} councils named, {lga} LGA and region only, the rest not at "
        f"all; {len(made)} introductions ({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))})"
    )
    ctx.notes.append(
        "Try: Bob (Wigan's lead) sees Kent as his best partner with reasons both ways (Partners), asks "
        "for an introduction, and answers one waiting for him; Erin works out the national plan."
    )
