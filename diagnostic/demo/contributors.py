"""Colleagues' views in the current round, and Wigan's consolidation of them.

Wigan (Bob's council), Kent (Charlie's) and three more councils of other types and regions have
each asked 3–8 colleagues from different departments for their views. Views cluster around the
council's own profile (`demo/responses.profile`, the same one its agreed answers come from),
moved by the person's role and by how close their department is to the key area, and some
value codes are contested: two colleagues two levels or more apart. Comments come from a bank
written from each department's side (`demo/data/contributor_comments.yaml`).

In Wigan: Alice (the contributor persona) is half-way through every value code; one colleague
is overdue and was reminded, one was withdrawn (their views are kept), one was invited and has
not joined yet. Bob has consolidated some of the value codes he had confirmed (adopting the
median or, with a reason, another level), colleagues changed some views since, and a sign-off
request waits for the Director of Resources.

Every row is written with bulk_create, and the step does nothing if it has already run.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from diagnostic.accounts.models import Invitation, Membership, Role, User
from diagnostic.accounts.models import hash_token as hash_invitation_token
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.consolidation.models import (
    Assignment,
    ContributorAnswer,
    Decision,
    SignOffRequest,
    hash_token,
)
from diagnostic.consolidation.spread import spread
from diagnostic.demo.responses import AREA_SHIFT_NOW, FIRST, LAST, Profile, profile
from diagnostic.demo.seed import COUNCIL_A, COUNCIL_B, DEMO_DOMAIN
from diagnostic.frameworks.models import KeyArea, ValueCode
from diagnostic.organisations.models import Organisation

BANK = yaml.safe_load(
    (Path(__file__).parent / "data" / "contributor_comments.yaml").read_text(encoding="utf-8")
)
DEPARTMENTS: dict[str, dict] = BANK["departments"]

# How a role tends to see things: heads of service a little kinder, procurement officers (who
# see the workarounds) a little harsher.
ROLE_BIAS = {
    "Head of service": 0.3, "Commissioning lead": 0.15, "Commissioning manager": 0.1,
    "Category manager": 0.0, "Contract manager": -0.1, "Procurement officer": -0.25,
}  # fmt: skip
# Councils besides Wigan and Kent: one of each type, each in a region not yet used.
OTHER_TYPES = ["london_borough", "non_metropolitan_district", "welsh_principal_area"]
ROUNDS_SINCE_2018 = 2  # as in the current round's own answers


@dataclass
class Colleague:
    """One person asked for views, and how far they have got."""

    full_name: str
    department: str
    job_role: str
    areas: list[str] = field(default_factory=list)  # empty: every value code
    state: str = "in_progress"  # finished, in_progress, not_started, withdrawn, invited
    share: float = 0.6  # of the value codes asked, how many have a view (in progress)
    due_in: int | None = None  # days from today; negative: overdue
    reminded: int = 0
    user: User | None = None  # an existing account (Alice)
    email: str = ""


def wigan_colleagues(alice: User | None) -> list[Colleague]:
    """Wigan's are fixed, so the demo tells the same story every time."""
    people = [
        Colleague("Priya Shah", "Finance", "Category manager", ["ESM", "MSR", "CCO", "MCR"],
                  "finished", due_in=10),
        Colleague("Tom Walker", "Highways", "Contract manager", ["MCR", "SME", "WP", "ESS"],
                  "finished", due_in=10),
        Colleague("Kwame Owen", "Corporate Procurement", "Category manager", [], "finished"),
        Colleague("Helen Roberts", "Legal", "Head of service", ["MSR", "EC", "MCR"],
                  "in_progress", share=0.55, due_in=-3, reminded=1),
        Colleague("Louise Bennett", "Children's Services", "Commissioning lead",
                  ["MCR", "VCSE", "WP", "MSR"], "in_progress", share=0.7),
        Colleague("Neil Price", "Housing", "Head of service", ["OSV", "SME", "MCR", "ESS"],
                  "invited", due_in=14),
        Colleague("Stephen Clarke", "Corporate Procurement", "Procurement officer", [],
                  "withdrawn", share=0.35),
    ]  # fmt: skip
    if alice is not None:
        people.insert(
            0,
            Colleague("Alice Marsh", "Adult Social Care", "Commissioning manager", [],
                      "in_progress", share=0.5, due_in=10, user=alice, email=alice.email),
        )  # fmt: skip
    return people


def other_colleagues(rng: random.Random, count: int) -> list[Colleague]:
    """`count` people from different departments; corporate procurement always among them."""
    others = [d for d in DEPARTMENTS if d != "Corporate Procurement"]
    departments = ["Corporate Procurement", *rng.sample(others, count - 1)]
    names = list(zip(rng.sample(FIRST, count), rng.sample(LAST, count), strict=True))
    due = rng.choice([None, 12, 20])
    people = []
    for i, (dept, (first, last)) in enumerate(zip(departments, names, strict=True)):
        spec = DEPARTMENTS[dept]
        areas = [] if i == 0 else sorted(rng.sample(spec["areas"], min(3, len(spec["areas"]))))
        state = "finished" if i == 0 else rng.choices(
            ["finished", "in_progress", "not_started"], weights=[4, 5, 1]
        )[0]  # fmt: skip
        people.append(
            Colleague(f"{first} {last}", dept, rng.choice(spec["roles"]), areas, state,
                      share=rng.uniform(0.35, 0.85), due_in=due)
        )  # fmt: skip
    if all(p.state == "finished" for p in people):  # someone is always still going
        people[-1].state = "in_progress"
    return people


def choose_councils(current: Round) -> list[Response]:
    """Wigan and Kent, then one council of each of OTHER_TYPES, each from a new region,
    among those part-way through the current round: the same ones for the same round."""
    responses = {
        r.organisation.gss_code: r
        for r in Response.objects.filter(round=current, status=Response.Status.DRAFT)
        .select_related("organisation__region", "round")
        .order_by("organisation__gss_code")
    }
    chosen = [responses[c] for c in (COUNCIL_A, COUNCIL_B) if c in responses]
    regions = {r.organisation.region_id for r in chosen}
    candidates = [
        r for c, r in responses.items() if r.answered_count and c not in (COUNCIL_A, COUNCIL_B)
    ]
    random.Random(f"contributors {current.name}").shuffle(candidates)
    for kind in OTHER_TYPES:
        pick = next(
            (r for r in candidates
             if r.organisation.type == kind and r.organisation.region_id not in regions),
            None,
        )  # fmt: skip
        if pick is not None:
            chosen.append(pick)
            regions.add(pick.organisation.region_id)
    return chosen


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def email_for(person: Colleague, org: Organisation) -> str:
    first, _, last = person.full_name.partition(" ")
    where = ascii_slug(org.short_name)
    return f"{ascii_slug(first)}.{ascii_slug(last)}@{where}.{DEMO_DOMAIN}"


@dataclass
class Built:
    """What one council's colleagues produced, kept for the decisions and the summary."""

    response: Response
    assignments: list[Assignment]
    areas: dict[int, set[str]]  # assignment pk -> key area codes asked about; empty: all
    views: dict[tuple[int, int], ContributorAnswer]  # (assignment pk, value code pk)
    contested: int = 0

    def asked(self, vc: ValueCode) -> list[Assignment]:
        """Active requests that cover a value code, as `services.views_on` lists them."""
        return [
            a for a in self.assignments
            if a.withdrawn_at is None and (not self.areas[a.pk] or vc.key_area.code in self.areas[a.pk])
        ]  # fmt: skip


class Comments:
    """Draws comments that fit the key area, without repeating one inside a council.

    A comment in the bank may start with the value codes or key areas it fits ("MCR3 MSR1 | …");
    one without fits any of its department's own key areas. "Not yet assessed" comments fit
    anything."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pools: dict[tuple[str, str], list[tuple[set[str], str]]] = {}

    def take(self, department: str, band: str, vc: ValueCode) -> str:
        key = (department, band)
        if key not in self.pools:
            pool = []
            for item in DEPARTMENTS[department][band]:
                codes, sep, text = item.partition(" | ")
                fits = set(codes.split()) if sep else set(DEPARTMENTS[department]["areas"])
                pool.append((fits, text if sep else item))
            self.rng.shuffle(pool)
            self.pools[key] = pool
        pool = self.pools[key]
        for i, (fits, text) in enumerate(pool):
            if band == "not_assessed" or vc.code in fits or vc.key_area.code in fits:
                del pool[i]
                return text
        return ""


def band(level: int) -> str:
    return (
        "not_assessed" if level == 0 else "low" if level <= 2 else "mid" if level == 3 else "high"
    )


def view_fields(level: int | None, rng: random.Random) -> dict:
    if not level:
        return {"current_level": level, "target_level": None, "priority": ""}
    gap = 0 if level >= 4 else rng.choices([0, 1, 2], weights=[2, 6, 3])[0]
    priority = (
        rng.choice(["high", "medium"])
        if gap >= 2
        else rng.choice(["medium", "high", "low"])
        if gap
        else rng.choice(["low", "none", ""])
    )
    return {"current_level": level, "target_level": min(5, level + gap), "priority": priority}


def council_level(council: Profile, vc: ValueCode) -> float:
    """Where the council stands on a value code now, before anyone's own view."""
    base = council.base + council.pace * ROUNDS_SINCE_2018
    return base + AREA_SHIFT_NOW.get(vc.key_area.code, 0) + council.offsets[vc.code]


def build_council(
    response: Response,
    people: list[Colleague],
    codes: list[ValueCode],
    areas: dict[str, KeyArea],
    rng: random.Random,
    *,
    now: dt.datetime,
    lead: User | None,
    contested: int,
) -> Built:
    org = response.organisation
    council = profile(org, codes)
    comments = Comments(rng)
    new_users = [
        User(email=email_for(p, org), full_name=p.full_name, job_title=p.job_role, is_demo=True,
             password=make_password(None))
        for p in people
        if p.user is None and p.state != "invited"
    ]  # fmt: skip
    User.objects.bulk_create(new_users)
    users = {u.email: u for u in new_users}
    Membership.objects.bulk_create(
        Membership(user=u, role=Role.CONTRIBUTOR, organisation=org, department=p.department,
                   job_role=p.job_role)
        for p in people
        if (u := users.get(email_for(p, org))) is not None
    )  # fmt: skip
    assignments = []
    for p in people:
        email = p.email or email_for(p, org)
        asked_at = now - dt.timedelta(days=rng.randint(18, 24), hours=rng.randint(0, 8))
        invitation = None
        if p.state == "invited":
            invitation = Invitation.objects.create(
                email=email, full_name=p.full_name, role=Role.CONTRIBUTOR, organisation=org,
                department=p.department, job_role=p.job_role,
                token_hash=hash_invitation_token(secrets.token_urlsafe(32)), invited_by=lead,
                created_at=now - dt.timedelta(days=5),
                expires_at=now - dt.timedelta(days=5) + dt.timedelta(days=settings.INVITATION_DAYS),
            )  # fmt: skip
        assignments.append(
            Assignment(
                response=response, email=email, full_name=p.full_name, department=p.department,
                job_role=p.job_role, user=p.user or users.get(email), invitation=invitation,
                all_value_codes=not p.areas,
                due_on=(now + dt.timedelta(days=p.due_in)).date() if p.due_in is not None else None,
                reminder_count=p.reminded,
                last_reminded_at=now - dt.timedelta(days=1) if p.reminded else None,
                withdrawn_at=now - dt.timedelta(days=6) if p.state == "withdrawn" else None,
                created_at=asked_at, created_by=lead,
            )
        )  # fmt: skip
    Assignment.objects.bulk_create(assignments)
    Through = Assignment.key_areas.through
    Through.objects.bulk_create(
        Through(assignment_id=a.pk, keyarea_id=areas[code].pk)
        for a, p in zip(assignments, people, strict=True)
        for code in p.areas
    )
    views: dict[tuple[int, int], ContributorAnswer] = {}
    finished = []
    for a, p in zip(assignments, people, strict=True):
        if p.state in ("invited", "not_started"):
            continue
        asked = [vc for vc in codes if not p.areas or vc.key_area.code in p.areas]
        if p.state == "finished":
            answered = asked
        else:  # mostly in framework order, with the odd one skipped
            answered = [
                vc for vc in asked[: round(len(asked) * p.share) + 2] if rng.random() < 0.93
            ]
        bias = ROLE_BIAS.get(p.job_role, 0) + rng.gauss(0, 0.25)
        familiar = set(DEPARTMENTS[p.department]["areas"]) | set(p.areas)
        # A colleague withdrawn from the request saved nothing after it (the story holds).
        end = (
            a.withdrawn_at - dt.timedelta(hours=2)
            if a.withdrawn_at
            else now - dt.timedelta(hours=3)
        )
        start = min(a.created_at + dt.timedelta(days=1), end - dt.timedelta(hours=6))
        when = sorted(start + rng.random() * (end - start) for _ in answered)
        for vc, at in zip(answered, when, strict=True):
            close = vc.key_area.code in familiar
            if rng.random() < (0.03 if close else 0.14):
                level = 0
            else:
                raw = council_level(council, vc) + bias + rng.gauss(0, 0.45 if close else 0.7)
                level = max(1, min(5, round(raw)))
            text = comments.take(p.department, band(level), vc) if rng.random() < (
                0.6 if level == 0 else 0.5
            ) else ""  # fmt: skip
            views[(a.pk, vc.pk)] = ContributorAnswer(
                assignment=a, value_code=vc, comment=text, version=1, updated_at=at,
                **view_fields(level, rng),
            )  # fmt: skip
        if p.state == "finished" and when:
            a.finished_at = when[-1] + dt.timedelta(minutes=rng.randint(5, 90))
            finished.append(a)
    Assignment.objects.bulk_update(finished, ["finished_at"])
    built = Built(
        response,
        assignments,
        {a.pk: set(p.areas) for a, p in zip(assignments, people, strict=True)},
        views,
    )
    built.contested = contest(built, codes, council, rng, comments, people, contested)
    return built


def contest(
    built: Built,
    codes: list[ValueCode],
    council: Profile,
    rng: random.Random,
    comments: Comments,
    people: list[Colleague],
    how_many: int,
) -> int:
    """Make `how_many` more value codes contested: two colleagues two levels or more apart,
    each saying why, and make sure someone could not judge a value code or two. Value codes
    that already differ count too. Returns how many differ in all."""
    dept = {a.pk: p.department for a, p in zip(built.assignments, people, strict=True)}
    active = {a.pk for a in built.assignments if a.withdrawn_at is None}
    by_code: dict[int, list[ContributorAnswer]] = {}
    for (assignment_id, code_id), view in built.views.items():
        if assignment_id in active and view.current_level:
            by_code.setdefault(code_id, []).append(view)
    already = {c for c, vs in by_code.items() if spread(v.current_level for v in vs).disagreement}
    open_codes = [vc for vc in codes if len(by_code.get(vc.pk, [])) >= 2 and vc.pk not in already]
    for vc in rng.sample(open_codes, min(len(open_codes), how_many)):
        low_view, high_view = rng.sample(by_code[vc.pk], 2)
        middle = max(1, min(5, round(council_level(council, vc))))
        low = max(1, min(3, middle - rng.choice([1, 1, 2])))
        high = min(5, low + rng.choice([2, 2, 3]))
        for view, level, side in ((low_view, low, "lower"), (high_view, high, "higher")):
            view.current_level = level
            view.target_level = max(view.target_level or level, level)
            if view.priority in ("", "none") and level <= 2:
                view.priority = "high"
            if rng.random() < 0.75:
                own = comments.take(dept[view.assignment.pk], band(level), vc)
                view.comment = f"{own} {rng.choice(BANK[side])}".strip()
        already.add(vc.pk)
    not_assessed = sum(1 for v in built.views.values() if v.current_level == 0)
    quiet = [v for c, vs in by_code.items() if c not in already for v in vs]
    for view in rng.sample(quiet, min(len(quiet), max(0, 2 - not_assessed))):
        view.current_level, view.target_level, view.priority = 0, None, ""
        view.comment = comments.take(dept[view.assignment.pk], "not_assessed", view.value_code)
        by_code[view.value_code_id].remove(view)
    return len(already)


def consolidate_wigan(built: Built, codes: list[ValueCode], bob: User, rng: random.Random, *,
                      now: dt.datetime) -> tuple[int, int]:  # fmt: skip
    """Bob's decisions on some value codes he has confirmed; views changed since on a few.

    Returns (decisions, decisions with views changed since)."""
    response = built.response
    agreed = {
        a.value_code_id: a for a in Answer.objects.filter(response=response, carried_forward=False)
    }
    contested, plain = [], []
    for vc in codes:
        asked = built.asked(vc)
        levels = [v.current_level for a in asked if (v := built.views.get((a.pk, vc.pk)))]
        if vc.pk in agreed and sum(1 for v in levels if v) >= 3:
            (contested if spread(levels).disagreement else plain).append((vc, asked))
    # Two contested value codes settled away from the median, with a reason; one at it; the
    # rest at the median, some with a reason.
    picked = rng.sample(contested, min(3, len(contested)))
    picked += rng.sample(plain, min(10 - len(picked), len(plain)))
    plans = dict(zip([vc.pk for vc, _ in picked], ["override", "override", "adopt"], strict=False))
    decisions, answers, changed, refinished = [], [], [], []
    for i, (vc, asked) in enumerate(sorted(picked, key=lambda c: c[0].position)):
        decided_at = now - dt.timedelta(days=rng.randint(2, 9), hours=rng.randint(0, 8))
        snapshot = []
        for a in asked:
            view = built.views.get((a.pk, vc.pk))
            if view and view.updated_at > decided_at:  # the view was in before the decision
                view.updated_at = decided_at - dt.timedelta(hours=rng.randint(2, 30))
            snapshot.append({
                "assignment": a.pk, "name": a.full_name, "department": a.department,
                "role": a.job_role, "level": view.current_level if view else None,
            })  # fmt: skip
        suggested = spread(v["level"] for v in snapshot).suggested
        assessed = [v for v in snapshot if v["level"]]
        level, reason = suggested, ""
        if plans.get(vc.pk) == "override":
            if suggested >= 4 or (suggested > 1 and rng.random() < 0.5):
                level = suggested - 1
                high = max(assessed, key=lambda v: v["level"])
                reason = rng.choice(BANK["reasons"]["down"]).format(department=high["department"])
            else:
                level = suggested + 1
                low = min(assessed, key=lambda v: v["level"])
                reason = rng.choice(BANK["reasons"]["up"]).format(department=low["department"])
        elif i % 2 == 0 or vc.pk in plans:
            outlier = max(assessed, key=lambda v: abs(v["level"] - suggested))
            reason = rng.choice(BANK["reasons"]["adopt"]).format(department=outlier["department"])
        decisions.append(
            Decision(
                response=response, value_code=vc, adopted_level=level, suggested_level=suggested,
                adopted_suggestion=level == suggested, views=snapshot, reason=reason,
                decided_by=bob, decided_at=decided_at,
            )
        )  # fmt: skip
        answer = agreed[vc.pk]
        answer.current_level = level
        if answer.target_level and level and answer.target_level < level:
            answer.target_level = level
        answer.version += 1
        answer.updated_at, answer.updated_by = decided_at, bob
        answers.append(answer)
        if i % 3 == 1:  # someone has changed their mind since
            view = next(
                built.views[(a.pk, vc.pk)] for a in asked
                if (a.pk, vc.pk) in built.views and built.views[(a.pk, vc.pk)].current_level
            )  # fmt: skip
            view.current_level = rng.choice(
                [n for n in range(1, 6) if 1 <= abs(n - view.current_level) <= 2]
            )
            view.target_level = max(view.target_level or 0, view.current_level)
            view.version = 2
            view.updated_at = decided_at + dt.timedelta(hours=rng.randint(20, 40))
            changed.append(vc.pk)
            who = view.assignment
            if who.finished_at and who.finished_at < view.updated_at:  # and said so again
                who.finished_at = view.updated_at + dt.timedelta(minutes=rng.randint(5, 60))
                refinished.append(who)
    Decision.objects.bulk_create(decisions)
    Assignment.objects.bulk_update(refinished, ["finished_at"])
    Answer.objects.bulk_update(answers, ["current_level", "target_level", "version",
                                         "updated_at", "updated_by"])  # fmt: skip
    return len(decisions), len(changed)


def ask_for_sign_off(response: Response, bob: User, *, now: dt.datetime) -> SignOffRequest:
    """A pending request; its link's token is thrown away (only its hash is kept).

    The lead is asking for the sign-off, so none is recorded yet: a sign-off the round's
    drawing may have typed into the draft's details is cleared (a page or PDF saying "signed
    off by" one person and "waiting for" another would not be believed).
    """
    requested_at = now - dt.timedelta(days=1, hours=3)
    response.signed_off_name = response.signed_off_role = ""
    response.signed_off_on = None
    response.save(update_fields=["signed_off_name", "signed_off_role", "signed_off_on"])
    return SignOffRequest.objects.create(
        response=response, officer_name="Sandra Kelsall", officer_role="Director of Resources",
        officer_email="sandra.kelsall@wigan.demo.nps-diagnostic.example",
        message=(
            "Sandra, this is our draft for this year's procurement self-assessment. About a "
            "third of the value codes are agreed with colleagues; I'll finish the rest before "
            "the deadline. Could you look over the approach and let me know if you're happy?"
        ),
        token_hash=hash_token(secrets.token_urlsafe(32)), requested_by=bob,
        requested_at=requested_at, expires_at=requested_at + dt.timedelta(days=14),
    )  # fmt: skip


def seed_contributors(current: Round, users: dict[str, User], log) -> None:
    responses = choose_councils(current)
    if not responses:
        return
    if Assignment.objects.filter(response__in=responses, email__endswith=DEMO_DOMAIN).exists():
        log("Contributors: already there, nothing changed")
        return
    now = timezone.now()
    rng = random.Random(f"contributors {current.name}")
    codes = list(
        ValueCode.objects.filter(version=current.framework_version)
        .select_related("key_area")
        .order_by("position")
    )
    areas = {k.code: k for k in KeyArea.objects.filter(version=current.framework_version)}
    bob, charlie = users.get("bob"), users.get("charlie")
    summary, built_all = [], []
    for response in responses:
        org = response.organisation
        if org.gss_code == COUNCIL_A:  # Wigan, with more to consolidate
            people, lead, contested = wigan_colleagues(users.get("alice")), bob, rng.randint(8, 10)
        else:
            lead = charlie if org.gss_code == COUNCIL_B else None
            people = other_colleagues(rng, 5 if lead else rng.randint(3, 6))
            contested = rng.randint(5, 8)
        built = build_council(
            response, people, codes, areas, rng, now=now, lead=lead, contested=contested
        )
        built_all.append(built)
        active = sum(1 for a in built.assignments if a.withdrawn_at is None)
        summary.append(f"{org.short_name} {active}")
    wigan = built_all[0]
    decided = changed = 0
    if bob is not None and wigan.response.organisation.gss_code == COUNCIL_A:
        decided, changed = consolidate_wigan(wigan, codes, bob, rng, now=now)
        ask_for_sign_off(wigan.response, bob, now=now)
    ContributorAnswer.objects.bulk_create(
        [v for b in built_all for v in b.views.values()], batch_size=1000
    )
    views = sum(len(b.views) for b in built_all)
    contested = sum(b.contested for b in built_all)
    log(
        f"Contributors: {', '.join(summary)} colleagues asked; {views} views, {contested} value "
        f"codes where views differ by 2 levels or more; Wigan: {decided} consolidated "
        f"({changed} with views changed since), sign-off waiting"
    )
