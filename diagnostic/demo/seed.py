"""Demo data, built in steps so later work can add its own (rounds, responses, …).

Each step is a function taking the shared `DemoContext`; `STEPS` lists them in order. A step
reads what earlier steps left in the context (the framework version, the organisations, the
users) and adds what later steps need.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from diagnostic.accounts.models import Membership, Role, User
from diagnostic.frameworks.loaders import NPS_2018, load_framework_file
from diagnostic.frameworks.models import FrameworkVersion
from diagnostic.organisations.loaders import load_register
from diagnostic.organisations.models import Organisation, Region

DEMO_DOMAIN = "demo.nps-diagnostic.example"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    full_name: str
    role: Role
    organisation_code: str = ""  # ONS code, for organisation roles
    region_code: str = ""  # for regional leads
    department: str = ""
    job_role: str = ""

    @property
    def email(self) -> str:
        return f"{self.key}@{DEMO_DOMAIN}"

    @property
    def password(self) -> str:
        return f"{self.key}-demo-passphrase"


# Council A is Wigan (North West), council B is Kent County Council (South East).
COUNCIL_A = "E08000010"
COUNCIL_B = "E10000016"
PEOPLE = [
    DemoPerson("erin", "Erin Okafor", Role.NATIONAL_ADMIN, job_role="LGA programme manager"),
    DemoPerson("nina", "Nina Patel", Role.NATIONAL_ANALYST, job_role="LGA research analyst"),
    DemoPerson(
        "dana",
        "Dana Whitfield",
        Role.REGIONAL_LEAD,
        region_code="E12000002",
        job_role="North West procurement hub lead",
    ),  # fmt: skip
    DemoPerson(
        "bob",
        "Bob Hughes",
        Role.LEAD,
        COUNCIL_A,
        department="Corporate procurement",
        job_role="Head of Procurement",
    ),  # fmt: skip
    DemoPerson(
        "alice",
        "Alice Marsh",
        Role.CONTRIBUTOR,
        COUNCIL_A,
        department="Adult social care",
        job_role="Commissioning manager",
    ),  # fmt: skip
    DemoPerson(
        "victor",
        "Victor Osei",
        Role.VIEWER,
        COUNCIL_A,
        department="Finance",
        job_role="Section 151 officer",
    ),  # fmt: skip
    DemoPerson(
        "charlie",
        "Charlie Dunn",
        Role.LEAD,
        COUNCIL_B,
        department="Procurement",
        job_role="Head of Strategic Commissioning",
    ),  # fmt: skip
]


@dataclass
class DemoContext:
    framework: FrameworkVersion | None = None
    users: dict[str, User] = field(default_factory=dict)
    rounds: dict[str, object] = field(default_factory=dict)  # "2018", "2021": Round
    notes: list[str] = field(default_factory=list)
    log: Callable[[str], None] = print


# NPS 2018 was published in the summer of 2018, before the first round opened (2 July 2018).
FRAMEWORK_PUBLISHED = dt.datetime(2018, 6, 1, 9, 0, tzinfo=dt.UTC)


def step_framework(ctx: DemoContext) -> None:
    ctx.framework = load_framework_file(NPS_2018).version
    # The loader stamps the moment it ran; the demo tells the framework's own story.
    FrameworkVersion.objects.filter(pk=ctx.framework.pk).update(published_at=FRAMEWORK_PUBLISHED)
    ctx.framework.published_at = FRAMEWORK_PUBLISHED
    ctx.log(
        f"Framework: {ctx.framework.display_label}, {ctx.framework.valuecodes.count()} value codes"
    )


def step_register(ctx: DemoContext) -> None:
    result = load_register()
    ctx.log(f"Register: {result.created + result.updated} organisations loaded")


def step_people(ctx: DemoContext) -> None:
    orgs = {o.gss_code: o for o in Organisation.objects.filter(gss_code__in=[COUNCIL_A, COUNCIL_B])}
    regions = {r.code: r for r in Region.objects.all()}
    for person in PEOPLE:
        user = User.objects.create_user(
            person.email,
            person.password,
            full_name=person.full_name,
            job_title=person.job_role,
            is_demo=True,
        )
        Membership.objects.create(
            user=user,
            role=person.role,
            organisation=orgs.get(person.organisation_code),
            region=regions.get(person.region_code),
            department=person.department,
            job_role=person.job_role,
        )
        ctx.users[person.key] = user


def _council_ids() -> tuple[int, int]:
    a, b = (Organisation.objects.get(gss_code=c).pk for c in (COUNCIL_A, COUNCIL_B))
    return a, b


def _eligible(rnd) -> list[tuple[int, str]]:
    return list(
        Organisation.objects.alive_on(rnd.eligibility_date)
        .filter(nation__in=rnd.nations)
        .order_by("pk")
        .values_list("pk", "nation")
    )


def _publish(ctx: DemoContext, rnd) -> None:
    from diagnostic.analytics.models import Publication

    Publication.objects.create(round=rnd, published_by=ctx.users.get("erin"))  # public results


def step_round_2018(ctx: DemoContext) -> None:
    """A closed 2018 round as the real exercise ran, with its results published."""
    from diagnostic.assessments.models import Round
    from diagnostic.demo.responses import AREA_SHIFT_2018, Plan, aware, create_round, populate_round

    rng = random.Random(2018)
    r2018 = create_round(
        name="NPS 2018", version=ctx.framework, opens_on=dt.date(2018, 7, 2),
        closes_on=dt.date(2018, 10, 31), nations=["England", "Wales"], status=Round.Status.CLOSED,
    )  # fmt: skip
    orgs = _eligible(r2018)
    english = [o for o, n in orgs if n == "England"]
    welsh = [o for o, n in orgs if n == "Wales"]
    rng.shuffle(english)
    rng.shuffle(welsh)
    plans = {o: Plan(59, True) for o in english[:300] + welsh[:18]}
    plans |= {o: Plan(rng.randint(8, 50), False) for o in english[300:322] + welsh[18:20]}
    a, _ = _council_ids()
    plans[a] = Plan(59, True)  # Bob's council took part from the start
    counts = populate_round(
        r2018, plans, rng, area_shift=AREA_SHIFT_2018,
        start=aware(dt.date(2018, 7, 16)), end=aware(dt.date(2018, 10, 31), 17),
    )  # fmt: skip
    ctx.log(
        f"NPS 2018 (closed, published): {counts['submitted']} submitted, "
        f"{counts['in_progress']} unfinished, of {len(orgs)} eligible"
    )
    _publish(ctx, r2018)
    ctx.rounds["2018"] = r2018


def step_round_2021(ctx: DemoContext) -> None:
    """A closed 2021 round for the councils of the time, following 2018, results published.

    Eligibility is the register on the opening day: the 2019 Dorset, Bournemouth Christchurch
    and Poole, Suffolk and Somerset West and Taunton changes, Buckinghamshire (2020) and the two
    Northamptonshire unitaries (1 April 2021) are in; the councils they replaced are not.
    """
    from diagnostic.assessments.models import Round
    from diagnostic.demo.responses import AREA_SHIFT_2021, Plan, aware, create_round, populate_round

    rng = random.Random(2021)
    r2021 = create_round(
        name="NPS 2021", version=ctx.framework, opens_on=dt.date(2021, 7, 5),
        closes_on=dt.date(2021, 10, 29), nations=["England", "Wales"], status=Round.Status.CLOSED,
        previous_round=ctx.rounds.get("2018"),
    )  # fmt: skip
    a, b = _council_ids()
    ids = [o for o, _ in _eligible(r2021) if o not in (a, b)]
    rng.shuffle(ids)
    eligible = len(ids) + 2
    submitting = round(eligible * 0.85) - 2
    unfinished = round(eligible * 0.05)
    plans = {o: Plan(59, True) for o in ids[:submitting]}
    plans |= {o: Plan(rng.randint(6, 52), False) for o in ids[submitting : submitting + unfinished]}
    plans[a] = plans[b] = Plan(59, True)  # both demo councils submitted in 2021
    counts = populate_round(
        r2021, plans, rng, area_shift=AREA_SHIFT_2021, rounds_since_2018=1,
        start=aware(dt.date(2021, 7, 12)), end=aware(dt.date(2021, 10, 29), 17),
        authors={a: ctx.users.get("bob"), b: ctx.users.get("charlie")},
    )  # fmt: skip
    ctx.log(
        f"NPS 2021 (closed, published): {counts['submitted']} submitted, "
        f"{counts['in_progress']} unfinished, of {eligible} eligible"
    )
    _publish(ctx, r2021)
    ctx.rounds["2021"] = r2021


def step_current_round(ctx: DemoContext) -> None:
    """The current round, open and mid-way, following 2021.

    Bob's council started from its 2021 answers and has been through about half of them; the
    rest are still marked as carried forward. Charlie's council has not started, so its lead is
    offered its 2021 answers as a starting point.
    """
    from django.utils import timezone

    from diagnostic.assessments.models import Response, Round
    from diagnostic.assessments.services import do_start_from_previous
    from diagnostic.demo.responses import AREA_SHIFT_NOW, Plan, create_round, populate_round

    today = timezone.localdate()
    rng = random.Random(today.year)
    # Open eleven weeks and closing in five, about as long as the 2018 and 2021 rounds; the
    # broker's introductions (proposed up to ten weeks ago, some already expired after their
    # four weeks) then all fall inside this round.
    current = create_round(
        name=f"NPS {today.year}", version=ctx.framework, opens_on=today - dt.timedelta(weeks=11),
        closes_on=today + dt.timedelta(days=35), nations=["England", "Wales", "Northern Ireland"],
        status=Round.Status.OPEN, previous_round=ctx.rounds.get("2021"),
    )  # fmt: skip
    a, b = _council_ids()
    ids = [o for o, _ in _eligible(current) if o not in (a, b)]
    rng.shuffle(ids)
    n = len(ids)
    plans = {o: Plan(59, True) for o in ids[: n // 4]}
    plans |= {o: Plan(rng.randint(4, 58), False) for o in ids[n // 4 : n * 7 // 10]}
    plans[a] = Plan(31, False)  # Bob's council: half-way through
    counts = populate_round(
        current, plans, rng, area_shift=AREA_SHIFT_NOW, rounds_since_2018=2,
        start=timezone.now() - dt.timedelta(days=27), end=timezone.now() - dt.timedelta(hours=2),
        authors={a: ctx.users.get("bob")},
    )  # fmt: skip
    ctx.rounds["current"] = current
    carried = 0
    if "bob" in ctx.users and current.previous_round_id:
        wigan = Response.objects.select_related("round").get(round=current, organisation_id=a)
        carried = do_start_from_previous(response=wigan, by=ctx.users["bob"])
        _redate_carried_targets(wigan, after=today)
    ctx.log(
        f"{current.name} (open until {current.closes_on:%d %B %Y}): {counts['submitted']} submitted, "
        f"{counts['in_progress']} in progress, {counts['not_started']} not started; "
        f"{carried} of Wigan's answers carried forward from 2021, to confirm"
    )


def _redate_carried_targets(response, *, after: dt.date) -> None:
    """Wigan's 2021 targets were dated 2022–2024; carried into this round as they stand, they
    read "by August 2023" in a round that opened years later. The story is that Wigan kept its
    targets under review between rounds: each lapsed target date is re-dated (whole years on,
    its month kept), and the answer stays marked as carried forward for the lead to confirm.
    A demo-only write, like the rest of the seeded answers (`populate_round`)."""
    from diagnostic.assessments.models import Answer

    for answer in Answer.objects.filter(
        response=response, carried_forward=True, target_date__lte=after
    ):
        answer.target_date = redated(answer.target_date, after=after)
        answer.save(update_fields=["target_date"])


def step_action_plan_2021(ctx: DemoContext) -> None:
    """Wigan's action plan from its 2021 results, part-done, which the current round carries on."""
    from django.utils import timezone

    from diagnostic.assessments.models import Response
    from diagnostic.plans.models import OPEN_STATUSES
    from diagnostic.plans.queries import suggestions_for
    from diagnostic.plans.services import do_accept_suggestion, do_update_action

    bob = ctx.users.get("bob")
    a, _ = _council_ids()
    response = Response.objects.filter(round=ctx.rounds.get("2021"), organisation_id=a).first()
    if bob is None or response is None:
        return
    owners = ["Bob Hughes, Head of Procurement", "Category Manager, Place", "Contract Management Lead",
              "Social Value Officer"]  # fmt: skip
    # Years on, two are done; the two still open were re-dated as the council reviewed them,
    # so nothing is overdue when the current round carries the plan forward.
    statuses = ["done", "done", "in_progress", "not_started"]
    today = timezone.localdate()
    accepted = 0
    for suggestion, owner, status in zip(
        suggestions_for(response)[:4], owners, statuses, strict=False
    ):
        action = do_accept_suggestion(response=response, key=suggestion.key, by=bob)
        fields = {"owner": owner, "status": status}
        if status in OPEN_STATUSES and action.due_date:
            fields["due_date"] = redated(action.due_date, after=today)
        do_update_action(action=action, by=bob, expected_version=action.version, **fields)
        accepted += 1
    ctx.log(
        f"Wigan's 2021 action plan: {accepted} actions from its results, two done, the rest re-dated"
    )


def redated(day: dt.date, *, after: dt.date) -> dt.date:
    """A lapsed date moved on by whole years until it falls after `after`, keeping its month:
    how a council re-dates a target or an action it still means to meet."""
    from diagnostic.plans.rules import add_months

    while day <= after:
        day = add_months(day, 12)
    return day


def step_contributors(ctx: DemoContext) -> None:
    """Colleagues' views in the current round: Wigan, Kent and three other councils have each
    asked 3–8 colleagues, whose views differ on some value codes; Bob has consolidated some of
    Wigan's and asked for sign-off (demo/contributors.py)."""
    from diagnostic.assessments.models import Round
    from diagnostic.demo.contributors import seed_contributors

    current = (
        ctx.rounds.get("current")
        or Round.objects.filter(status=Round.Status.OPEN).order_by("-opens_on").first()
    )
    if current is not None:
        seed_contributors(current, ctx.users, ctx.log)
        ctx.notes.append(
            "Try: Bob (Wigan's lead) consolidates colleagues' views from his response's home "
            "page (Colleagues' views); Alice gives her own views (Your assessment)."
        )


def step_second_factor(ctx: DemoContext) -> None:
    """Staff demo people have an authenticator app (their roles require one); a command prints
    the code it would show, so the demo works without a phone."""
    from diagnostic.twofactor.services import REQUIRED_ROLES
    from diagnostic.twofactor.testing import enrol

    staff = [p for p in PEOPLE if p.role in REQUIRED_ROLES and p.key in ctx.users]
    for person in staff:
        enrol(ctx.users[person.key])
    ctx.log(f"Second factor: {len(staff)} staff people have an authenticator app")
    ctx.notes.append(
        "Staff sign-ins (national admin, national analyst, regional lead) then ask for a code "
        "from an authenticator app; in another terminal, "
        "`SQLITE_PATH=var/demo.sqlite3 .venv/bin/python manage.py demo_code EMAIL` prints it."
    )


# Most councils have a (fictional) lead, so reminders reach them; a few have none, which the
# round page flags and reminders skip.
LEAD_SHARE = 0.85


def step_council_leads(ctx: DemoContext) -> None:
    """A fictional lead (a demo user who cannot sign in) for most councils in the open round."""
    from diagnostic.assessments.models import Response
    from diagnostic.demo.responses import FIRST, LAST, OFFICER_ROLES

    current = ctx.rounds.get("current")
    if current is None:
        return
    rng = random.Random(7)
    led = set(
        Membership.objects.filter(role=Role.LEAD, organisation__isnull=False).values_list(
            "organisation_id", flat=True
        )
    )
    orgs = [
        r.organisation
        for r in Response.objects.filter(round=current).select_related("organisation")
        if r.organisation_id not in led
    ]
    orgs.sort(key=lambda o: o.gss_code)
    chosen = [o for o in orgs if rng.random() < LEAD_SHARE]
    users = []
    for o in chosen:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        slug = "".join(ch for ch in o.short_name.lower() if ch.isalnum())[:30]
        user = User(
            email=f"{_ascii(first)}.{_ascii(last)}@{slug}.{DEMO_DOMAIN}",
            full_name=f"{first} {last}", job_title=rng.choice(OFFICER_ROLES), is_demo=True,
        )  # fmt: skip
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    Membership.objects.bulk_create(
        Membership(user=u, role=Role.LEAD, organisation=o, job_role=u.job_title)
        for u, o in zip(users, chosen, strict=True)
    )
    ctx.log(
        f"Council leads: {len(users)} councils given a fictional lead; {len(orgs) - len(users)} left without one"
    )


def _ascii(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


STEPS: list[Callable[[DemoContext], None]] = [
    step_framework,
    step_register,
    step_people,
    step_round_2018,
    step_round_2021,
    step_action_plan_2021,
    step_current_round,
    step_contributors,
    step_second_factor,  # issue 14
    step_council_leads,
]

# The relationship broker's step (its own module): choices, Wigan–Kent, introductions.
from diagnostic.broker.demo import step_broker  # noqa: E402

STEPS.append(step_broker)
# Support targeting: advisers, offers from the 2021 results, their effect (after the rounds).
from diagnostic.demo.support import step_support  # noqa: E402

STEPS.append(step_support)


def sign_in_table() -> list[tuple[str, str, str, str]]:
    rows = []
    for person in PEOPLE:
        where = person.organisation_code or person.region_code or "National"
        org = Organisation.objects.filter(gss_code=person.organisation_code).first()
        region = Region.objects.filter(code=person.region_code).first()
        where = org.short_name if org else region.name if region else "National"
        rows.append(
            (f"{person.role.label} ({where})", person.full_name, person.email, person.password)
        )
    return rows


# --- Good practice (diagnostic/practice/demo.py): case studies at every stage, candidates.
from diagnostic.practice.demo import step_good_practice  # noqa: E402

STEPS.append(step_good_practice)
