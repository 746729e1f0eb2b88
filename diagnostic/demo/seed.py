"""Demo data, built in steps so later work can add its own (rounds, responses, …).

Each step is a function taking the shared `DemoContext`; `STEPS` lists them in order. A step
reads what earlier steps left in the context (the framework version, the organisations, the
users) and adds what later steps need.
"""

from __future__ import annotations

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
    notes: list[str] = field(default_factory=list)
    log: Callable[[str], None] = print


def step_framework(ctx: DemoContext) -> None:
    ctx.framework = load_framework_file(NPS_2018).version
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


def step_rounds(ctx: DemoContext) -> None:
    """A closed 2018 round as the real exercise ran, and an open current round mid-way."""
    import datetime as dt
    import random

    from django.utils import timezone

    from diagnostic.assessments.models import Round
    from diagnostic.demo.responses import AREA_SHIFT_2018, Plan, aware, create_round, populate_round

    rng = random.Random(2018)
    r2018 = create_round(
        name="NPS 2018", version=ctx.framework, opens_on=dt.date(2018, 7, 2),
        closes_on=dt.date(2018, 10, 31), nations=["England", "Wales"], status=Round.Status.CLOSED,
    )  # fmt: skip
    orgs = list(
        Organisation.objects.alive_on(r2018.eligibility_date)
        .filter(nation__in=r2018.nations)
        .values_list("pk", "nation")
    )
    english = [o for o, n in orgs if n == "England"]
    welsh = [o for o, n in orgs if n == "Wales"]
    rng.shuffle(english)
    rng.shuffle(welsh)
    plans = {o: Plan(59, True) for o in english[:300] + welsh[:18]}
    plans |= {o: Plan(rng.randint(8, 50), False) for o in english[300:322] + welsh[18:20]}
    counts = populate_round(
        r2018, plans, rng, area_shift=AREA_SHIFT_2018,
        start=aware(dt.date(2018, 7, 16)), end=aware(dt.date(2018, 10, 31), 17),
    )  # fmt: skip
    ctx.log(
        f"NPS 2018 (closed): {counts['submitted']} submitted, {counts['in_progress']} unfinished"
    )
    from diagnostic.analytics.models import Publication

    Publication.objects.create(round=r2018, published_by=ctx.users.get("erin"))  # public results

    today = timezone.localdate()
    current = create_round(
        name=f"NPS {today.year}", version=ctx.framework, opens_on=today - dt.timedelta(days=28),
        closes_on=today + dt.timedelta(days=35), nations=["England", "Wales", "Northern Ireland"],
        status=Round.Status.OPEN,
    )  # fmt: skip
    ids = list(
        Organisation.objects.alive_on(current.eligibility_date)
        .filter(nation__in=current.nations)
        .values_list("pk", flat=True)
    )
    rng.shuffle(ids)
    a, b = (Organisation.objects.get(gss_code=c).pk for c in (COUNCIL_A, COUNCIL_B))
    ids = [i for i in ids if i not in (a, b)]
    n = len(ids)
    plans = {o: Plan(59, True) for o in ids[: n // 4]}
    plans |= {o: Plan(rng.randint(4, 58), False) for o in ids[n // 4 : n * 7 // 10]}
    plans[a] = Plan(31, False)  # Bob's council: half-way through
    plans[b] = Plan(12, False)
    shift = {k: v + 0.3 for k, v in AREA_SHIFT_2018.items()} | {"OSV": 0.2, "SME": 0.1}
    counts = populate_round(
        current, plans, rng, area_shift=shift,
        start=timezone.now() - dt.timedelta(days=27), end=timezone.now() - dt.timedelta(hours=2),
        authors={a: ctx.users.get("bob"), b: ctx.users.get("charlie")},
    )  # fmt: skip
    ctx.log(
        f"{current.name} (open until {current.closes_on:%d %B %Y}): {counts['submitted']} submitted, "
        f"{counts['in_progress']} in progress, {counts['not_started']} not started"
    )


STEPS: list[Callable[[DemoContext], None]] = [
    step_framework,
    step_register,
    step_people,
    step_rounds,
]


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
