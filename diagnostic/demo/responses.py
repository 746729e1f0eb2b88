"""Plausible demo rounds and responses, generated quickly and the same on every run.

Each council has a profile drawn from its GSS code, so it is the same in every round: a
baseline that depends on its type and region, its own strengths and weaknesses value code by
value code, and a pace (most councils improve a little between rounds, some fast, some slip
back). Levels are that profile, shifted per key area for the round (social value and SME
engagement were weaker in 2018; contract management and partnership stronger; social value rose
most after the 2020 Social Value Model), with noise per value code. Targets sit one or two levels
above where a council is, priorities follow the gap, comments come from a bank written in the
voice of procurement teams: each value code's own (demo/data/value_code_comments.yaml),
or its key area's by topic for other frameworks (demo/data/comments.yaml).
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.utils import timezone

from diagnostic.assessments.models import (
    Answer,
    Response,
    Round,
    SharedService,
    SpendBand,
    Submission,
    TeamSize,
)
from diagnostic.frameworks.models import FrameworkVersion, ValueCode
from diagnostic.organisations.models import Organisation

COMMENTS = yaml.safe_load(
    (Path(__file__).parent / "data" / "comments.yaml").read_text(encoding="utf-8")
)
# Each NPS 2018 value code's own comments, by band: {code: {"title": …, "low": […], …}}.
BY_CODE = yaml.safe_load(
    (Path(__file__).parent / "data" / "value_code_comments.yaml").read_text(encoding="utf-8")
)

TYPE_BASE = {
    "county": 2.7, "unitary": 2.6, "metropolitan_borough": 2.6, "london_borough": 2.7,
    "city_of_london": 2.9, "non_metropolitan_district": 2.2, "isles_of_scilly": 1.8,
    "welsh_principal_area": 2.4, "ni_district": 2.2, "scottish_council_area": 2.4,
}  # fmt: skip
REGION_SHIFT = {
    "London": 0.15, "North West": 0.1, "West Midlands": 0.05, "South East": 0.05,
    "North East": 0.0, "Yorkshire and The Humber": 0.0, "East Midlands": -0.05,
    "East of England": -0.05, "South West": -0.1, "Wales": 0.05, "Northern Ireland": -0.1,
}  # fmt: skip
DEMO_LEVEL_SHIFT = 0.3
# The demo's own councils are the first results anyone sees, so they are set, not drawn: drawn,
# both came out at the ceiling (Wigan at Leader or Innovator almost everywhere, "0% at or above
# you"). Wigan, the demo lead's council, sits near the sector, ahead in some value codes and
# behind in others, and improves a little each round; Kent likewise, a little steadier. GSS
# code -> (base, pace); the broker's demo step then sets the six codes each gives the other.
DEMO_PROFILES = {"E08000010": (2.25, 0.1), "E10000016": (2.3, 0.0)}
AREA_SHIFT_2018 = {
    "EC": -0.2, "ESM": 0.2, "WP": 0.35, "ESS": -0.1, "CCO": 0.0, "MCR": 0.25, "MSR": 0.1,
    "OSV": -0.35, "SME": -0.2, "VCSE": -0.3,
}  # fmt: skip
# How the sector moved from 2018 to 2021: the pandemic sharpened supplier relationships and
# risk (supplier relief, PPN 02/20) and work with the voluntary sector; the 2020 Social Value
# Model (PPN 06/20) lifted social value most.
CHANGE_TO_2021 = {
    "EC": 0.2, "ESM": 0.15, "WP": 0.1, "ESS": 0.3, "CCO": 0.2, "MCR": 0.15, "MSR": 0.35,
    "OSV": 0.6, "SME": 0.2, "VCSE": 0.3,
}  # fmt: skip
# And from 2021 to now: contract management and category work ahead of the Procurement Act
# 2023, social value embedding further.
CHANGE_SINCE_2021 = {
    "EC": 0.1, "ESM": 0.1, "WP": 0.05, "ESS": 0.1, "CCO": 0.15, "MCR": 0.2, "MSR": 0.05,
    "OSV": 0.25, "SME": 0.15, "VCSE": 0.05,
}  # fmt: skip
AREA_SHIFT_2021 = {k: v + CHANGE_TO_2021[k] for k, v in AREA_SHIFT_2018.items()}
AREA_SHIFT_NOW = {k: v + CHANGE_SINCE_2021[k] for k, v in AREA_SHIFT_2021.items()}
FIRST = ["Sarah", "James", "Priya", "David", "Helen", "Mohammed", "Claire", "Gareth", "Aisha",
         "Paul", "Rachel", "Tom", "Siân", "Andrew", "Fiona", "Kwame", "Louise", "Stephen",
         "Emma", "Rhys", "Joanne", "Imran", "Karen", "Neil"]  # fmt: skip
LAST = ["Walker", "Evans", "Shah", "Thompson", "Roberts", "Begum", "Clarke", "Hughes", "Jones",
        "Patel", "Wright", "Morgan", "Ali", "Taylor", "Murphy", "Green", "Owen", "Bennett",
        "Khan", "Davies", "Price", "Turner"]  # fmt: skip
OFFICER_ROLES = ["Head of Procurement", "Procurement Manager", "Head of Commercial Services",
                 "Strategic Procurement Lead", "Assistant Director, Commercial"]  # fmt: skip
SIGNERS = ["Director of Resources", "Chief Finance Officer (s151)", "Chief Executive",
           "Corporate Director, Finance and Commercial", "Assistant Chief Executive"]  # fmt: skip


@dataclass
class Plan:
    """What to generate for one response: how many items to answer, and whether to submit."""

    answered: int  # value codes with an answer
    submit: bool


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


@dataclass(frozen=True)
class Profile:
    """A council as it is in every round: the same numbers for the same council."""

    base: float  # where it stood in 2018, on average across value codes
    pace: float  # how far it moves per round beyond the sector's change; negative: slipping
    offsets: dict[str, float]  # its own strengths and weaknesses, by value code code


def profile(org: Organisation, codes: list[ValueCode]) -> Profile:
    """Drawn from a generator seeded with the council's GSS code, not from the round's."""
    rng = random.Random(zlib.crc32(org.gss_code.encode()))
    region = org.region.name if org.region_id else ""
    base = TYPE_BASE.get(org.type, 2.4) + REGION_SHIFT.get(region, 0) + rng.gauss(0, 0.45)
    # Real councils cluster at Developing and Mature, with few Leaders and fewer Innovators: the
    # council's starting point is drawn a little lower and never far from the sector's.
    base = min(max(base - DEMO_LEVEL_SHIFT, 1.9), 2.8)
    pace = min(max(rng.gauss(0, 0.22), -0.2), 0.2)
    base, pace = DEMO_PROFILES.get(org.gss_code, (base, pace))
    return Profile(base, pace, {vc.code: rng.gauss(0, 0.35) for vc in codes})


_STOP = frozenset(
    w[:6]
    for w in [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "have",
        "has",
        "are",
        "was",
        "were",
        "their",
        "they",
        "them",
        "its",
        "our",
        "out",
        "not",
        "but",
        "all",
        "any",
        "can",
        "who",
        "what",
        "when",
        "which",
        "into",
        "than",
        "more",
        "most",
        "over",
        "such",
        "each",
        "only",
        "also",
        "been",
        "being",
        "other",
        "some",
        "very",
        "about",
        "after",
        "before",
        "council",
        "councils",
        "procurement",
        "procurements",
    ]
)


def _words(text: str) -> frozenset[str]:
    """The words that carry meaning, cut to a stem so "contract" meets "contracts"."""
    import re

    return frozenset(w[:6] for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3) - _STOP


def comments_for(vc: ValueCode, band: str) -> list[str]:
    """The comments for this value code and band of level ("low", "mid", "high").

    A value code of NPS 2018 has its own (demo/data/value_code_comments.yaml, keyed by code and
    checked against the title, so another framework's EC1 about something else does not get
    them). Any other value code gets the comments of its key area's bank that share the most
    meaning-carrying words with its title and description, or of every key area's bank when its
    key area has none."""
    key = (vc.pk, band)
    if key not in _BANK:
        own = BY_CODE.get(vc.code)
        if own and own["title"].casefold() == vc.title.casefold() and own.get(band):
            _BANK[key] = list(own[band])
        else:
            topic = _words(f"{vc.title} {vc.title} {vc.description}")
            area = COMMENTS.get(vc.key_area.code)
            pool = area[band] if area else [
                t for code, bands in COMMENTS.items() if code != "actions" for t in bands[band]
            ]  # fmt: skip
            scored = sorted(((len(topic & _words(t)), t) for t in pool), key=lambda x: -x[0])
            best = scored[0][0] if scored else 0
            _BANK[key] = [t for score, t in scored if best and score >= max(1, best - 1)][
                :3
            ] or pool
    return _BANK[key]


_BANK: dict[tuple[int, str], list[str]] = {}


def comment_for(area_code: str, level: int, rng: random.Random, vc: ValueCode | None = None) -> str:
    band = "low" if level <= 2 else "mid" if level == 3 else "high"
    text = rng.choice(
        comments_for(vc, band) if vc else COMMENTS.get(area_code, COMMENTS["EC"])[band]
    )
    if level <= 3 and rng.random() < 0.3:
        text = f"{text} {rng.choice(COMMENTS['actions'])}"
    return text


def make_answers(
    response: Response,
    codes: list[ValueCode],
    council: Profile,
    plan: Plan,
    rng: random.Random,
    *,
    when: dt.datetime,
    area_shift: dict[str, float],
    rounds_since_2018: int = 0,
    by=None,
) -> list[Answer]:
    chosen = (
        codes
        if plan.answered >= len(codes)
        else sorted(rng.sample(codes, plan.answered), key=lambda v: v.position)
    )
    base = council.base + council.pace * rounds_since_2018
    answers = []
    for vc in chosen:
        area = vc.key_area.code
        raw = base + area_shift.get(area, 0) + council.offsets[vc.code] + rng.gauss(0, 0.5)
        level = max(1, min(5, round(raw)))
        if rng.random() < 0.02:
            level = Answer.NOT_ASSESSED
        gap = 0 if level >= 4 else rng.choices([0, 1, 2], weights=[2, 6, 3])[0]
        target = min(5, max(1, level) + gap) if level else None
        if gap >= 2:
            priority = rng.choices(["high", "medium"], weights=[7, 3])[0]
        elif gap == 1:
            priority = rng.choices(["high", "medium", "low"], weights=[2, 6, 2])[0]
        else:
            priority = rng.choices(["low", "none", "medium"], weights=[4, 4, 1])[0]
        answers.append(
            Answer(
                response=response,
                value_code=vc,
                current_level=level,
                target_level=target,
                target_date=(when.date() + dt.timedelta(days=365 * rng.choice([1, 2, 3]))).replace(
                    day=1
                )
                if target and gap and rng.random() < 0.5
                else None,
                priority=priority,
                comment=comment_for(area, level or 2, rng, vc) if rng.random() < 0.65 else "",
                could_share=level >= 4 and rng.random() < 0.55,
                want_support=(gap >= 2 and rng.random() < 0.55)
                or (1 <= level <= 2 and rng.random() < 0.25),
                version=1,
                updated_at=when,
                updated_by=by,
            )
        )
    return answers


def fill_details(
    response: Response, org: Organisation, rng: random.Random, *, signed_on: dt.date | None
) -> None:
    big = org.type in ("county", "unitary", "metropolitan_borough", "london_borough")
    response.officer_name = person(rng)
    response.officer_role = rng.choice(OFFICER_ROLES)
    response.officer_email = f"procurement@{org.mysoc_code.lower() or 'council'}.example"
    response.spend_band = rng.choice(
        [SpendBand.FROM_150M, SpendBand.OVER_500M, SpendBand.FROM_150M]
        if big
        else [SpendBand.UNDER_50M, SpendBand.FROM_50M]
    )
    response.team_size = rng.choice(
        [TeamSize.FROM_15, TeamSize.OVER_40] if big else [TeamSize.UNDER_5, TeamSize.FROM_5]
    )
    response.shared_service = rng.choices(
        [
            SharedService.NONE,
            SharedService.SHARED_TEAM,
            SharedService.HOSTS,
            SharedService.OUTSOURCED,
        ],
        weights=[6, 3 if not big else 1, 1 if big else 0, 1],
    )[0]
    response.consent_regional_sharing = rng.random() < 0.7
    if signed_on:
        response.signed_off_name = person(rng)
        response.signed_off_role = rng.choice(SIGNERS)
        response.signed_off_on = signed_on


def populate_round(
    rnd: Round,
    plans: dict[int, Plan],
    rng: random.Random,
    *,
    area_shift: dict[str, float],
    start: dt.datetime,
    end: dt.datetime,
    authors: dict[int, object] | None = None,
    rounds_since_2018: int = 0,
) -> dict[str, int]:
    """Fill a round's responses according to `plans` (organisation id → Plan), in bulk.

    `rounds_since_2018` is how many times each council's own pace applies on top of its 2018
    profile (0 for 2018, 1 for 2021, 2 now)."""
    authors = authors or {}
    codes = list(
        ValueCode.objects.filter(version=rnd.framework_version)
        .select_related("key_area")
        .order_by("position")
    )
    orgs = list(
        Organisation.objects.alive_on(rnd.eligibility_date)
        .filter(nation__in=rnd.nations)
        .select_related("region")
    )
    responses = [Response(round=rnd, organisation=org) for org in orgs]
    span = (end - start).total_seconds()
    counts = {"submitted": 0, "in_progress": 0, "not_started": 0}
    pending: list[tuple[Response, Plan, float, dt.datetime]] = []
    for response in responses:
        plan = plans.get(response.organisation_id)
        if plan is None or plan.answered == 0:
            counts["not_started"] += 1
            continue
        org = response.organisation
        when = start + dt.timedelta(seconds=rng.uniform(0.1, 0.95) * span)
        pending.append((response, plan, profile(org, codes), when))
        fill_details(
            response, org, rng, signed_on=when.date() if plan.submit or rng.random() < 0.3 else None
        )
        response.answered_count = min(plan.answered, len(codes))
        response.started_at = when - dt.timedelta(days=rng.randint(3, 20))
        response.last_activity_at = when
        response.version = 1
        if plan.submit:
            response.status = Response.Status.SUBMITTED
            response.submitted_at = when
            counts["submitted"] += 1
        else:
            counts["in_progress"] += 1
    Response.objects.bulk_create(responses, batch_size=500)
    answers: list[Answer] = []
    for response, plan, council, when in pending:
        made = make_answers(
            response, codes, council, plan, rng, when=when, area_shift=area_shift,
            rounds_since_2018=rounds_since_2018, by=authors.get(response.organisation_id),
        )  # fmt: skip
        answers.extend(made)
    Answer.objects.bulk_create(answers, batch_size=2000)
    _bulk_snapshots([r for r in responses if r.status == Response.Status.SUBMITTED], answers)
    return counts


def _bulk_snapshots(submitted: list[Response], answers: list[Answer]) -> None:
    """Snapshots built from the answers in memory: one query per 500 rows, not one per response."""
    from diagnostic.assessments.services import DETAIL_FIELDS

    by_response: dict[int, dict] = {}
    for a in answers:
        by_response.setdefault(a.response_id, {})[a.value_code.code] = {
            k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in a.values().items()
        }
    rows = []
    for r in submitted:
        details = {
            f: (getattr(r, f).isoformat() if isinstance(getattr(r, f), dt.date) else getattr(r, f))
            for f in DETAIL_FIELDS
        }
        rows.append(Submission(response=r, number=1, submitted_at=r.submitted_at,
                               snapshot={"details": details, "answers": by_response.get(r.pk, {})}))  # fmt: skip
    Submission.objects.bulk_create(rows, batch_size=500)


def create_round(
    *,
    name: str,
    version: FrameworkVersion,
    opens_on: dt.date,
    closes_on: dt.date,
    nations: list[str],
    status: str,
    previous_round: Round | None = None,
) -> Round:
    rnd = Round.objects.create(
        name=name, framework_version=version, opens_on=opens_on, closes_on=closes_on,
        eligibility_date=opens_on, nations=nations, status=status, previous_round=previous_round,
    )  # fmt: skip
    return rnd


def aware(d: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time(hour)))
