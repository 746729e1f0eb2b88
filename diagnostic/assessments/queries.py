"""Reads for the questionnaire, the organisation's home page and the round's progress pages,
each in a fixed number of queries."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet

from diagnostic.accounts.models import Membership, Role, User
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.frameworks.models import KeyArea, Level, LevelDescriptor, Theme, ValueCode
from diagnostic.organisations.models import Organisation, OrganisationType, Region
from diagnostic.organisations.queries import filter_register


@dataclass
class Item:
    """One value code as the questionnaire shows it, with the council's answer (if any)."""

    value_code: ValueCode
    answer: Answer | None
    descriptors: list[LevelDescriptor]

    @property
    def version(self) -> int:
        return self.answer.version if self.answer else 0


def framework_outline(version_id: int) -> list[Theme]:
    """Themes with their key areas (for navigation), two queries."""
    return _outline(version_id)


def _outline(version_id: int) -> list[Theme]:
    return list(
        Theme.objects.filter(version_id=version_id)
        .prefetch_related(Prefetch("key_areas", queryset=KeyArea.objects.order_by("position")))
        .order_by("position")
    )


def levels_of(version_id: int) -> list[Level]:
    return _levels(version_id)


def _levels(version_id: int) -> list[Level]:
    return list(Level.objects.filter(version_id=version_id).order_by("number"))


def published_version_key(response: Response) -> tuple[int, str] | None:
    """(id, checksum) of the response's framework version when it is published (and so never
    changes: docs/decisions/0005) and already loaded with the response; else None."""
    version = response.round._state.fields_cache.get("framework_version")
    if version is None or version.published_at is None:
        return None
    return version.pk, version.checksum


@functools.lru_cache(maxsize=32)
def published_structure(version_id: int, checksum: str) -> dict:
    """A published version's outline, levels and value codes with their descriptors, read
    once per process (five queries) and shared by every request after: read, never change.
    Keyed by id and content checksum, as `frameworks.levels.scale_of` is."""
    codes = list(
        ValueCode.objects.filter(version_id=version_id)
        .select_related("key_area__theme")
        .prefetch_related(
            Prefetch(
                "descriptors",
                queryset=LevelDescriptor.objects.select_related("level").order_by("level__number"),
            ),
        )
        .order_by("position")
    )
    by_area: dict[int, list[ValueCode]] = {}
    for vc in codes:
        by_area.setdefault(vc.key_area_id, []).append(vc)
    return {
        "outline": _outline(version_id),
        "levels": _levels(version_id),
        "codes": codes,
        "by_area": by_area,
    }


def outline_for(response: Response) -> list[Theme]:
    key = published_version_key(response)
    if key is None:
        return framework_outline(response.round.framework_version_id)
    return published_structure(*key)["outline"]


def levels_for(response: Response) -> list[Level]:
    key = published_version_key(response)
    if key is None:
        return levels_of(response.round.framework_version_id)
    return published_structure(*key)["levels"]


def items_for(response: Response, *, key_area: KeyArea | None = None) -> list[Item]:
    """The value codes (of one key area, or all) with descriptors and answers: one query for a
    published framework version (its value codes are held in memory), three otherwise. The
    number never depends on how many answers there are."""
    key = published_version_key(response)
    if key is not None:
        structure = published_structure(*key)
        codes = structure["by_area"].get(key_area.pk, []) if key_area else structure["codes"]
        answers = {
            a.value_code_id: a
            for a in Answer.objects.filter(
                response=response, value_code_id__in=[vc.pk for vc in codes]
            )
        }
        return [Item(vc, answers.get(vc.pk), list(vc.descriptors.all())) for vc in codes]
    codes = ValueCode.objects.filter(version_id=response.round.framework_version_id)
    if key_area is not None:
        codes = codes.filter(key_area=key_area)
    codes = (
        codes.select_related("key_area__theme")
        .prefetch_related(
            Prefetch(
                "descriptors",
                queryset=LevelDescriptor.objects.select_related("level").order_by("level__number"),
            ),
        )
        .order_by("position")
    )
    codes = list(codes)
    answers = {
        a.value_code_id: a for a in Answer.objects.filter(response=response, value_code__in=codes)
    }
    return [Item(vc, answers.get(vc.pk), list(vc.descriptors.all())) for vc in codes]


def progress_by_key_area(response: Response) -> list[KeyArea]:
    """Key areas annotated with `total` and `answered` for this response, in two queries that
    read only this response's answers (not every council's)."""
    areas = list(
        KeyArea.objects.filter(version_id=response.round.framework_version_id)
        .select_related("theme")
        .annotate(total=Count("value_codes"))
        .order_by("position")
    )
    answered = dict(
        Answer.objects.filter(response=response, current_level__isnull=False)
        .values("value_code__key_area_id")
        .annotate(n=Count("pk"))
        .values_list("value_code__key_area_id", "n")
    )
    for area in areas:
        area.answered = answered.get(area.pk, 0)
    return areas


@dataclass
class HomeSummary:
    """What the response's home page shows about its answers, from one read of them."""

    areas: list[KeyArea]  # copies, each with `total`, `answered` and `to_confirm`
    to_confirm: dict[int, int]  # key area id -> answers carried forward, not yet confirmed
    any_answers: bool
    next_item: ValueCode | None
    answers: list[Answer]
    codes: list[ValueCode]


def home_summary(response: Response) -> HomeSummary | None:
    """The home page's progress, answers to confirm and next item from ONE query (this
    response's answers, at most one per value code) and the published version's structure held
    in memory. None when the version is not published (the page then asks as before)."""
    import copy

    key = published_version_key(response)
    if key is None:
        return None
    structure = published_structure(*key)
    answers = list(Answer.objects.filter(response=response))
    by_code = {a.value_code_id: a for a in answers}
    codes = structure["codes"]
    areas, seen = [], set()
    for vc in codes:
        if vc.key_area_id not in seen:
            seen.add(vc.key_area_id)
            area = copy.copy(vc.key_area)  # the shared object is never changed
            area.total = area.answered = area.to_confirm = 0
            areas.append(area)
    areas.sort(key=lambda a: a.position)
    index = {a.pk: a for a in areas}
    for vc in codes:
        area = index[vc.key_area_id]
        area.total += 1
        a = by_code.get(vc.pk)
        if a is not None and a.current_level is not None:
            area.answered += 1
        if a is not None and a.carried_forward:
            area.to_confirm += 1
    unanswered = [
        vc for vc in codes if by_code.get(vc.pk) is None or by_code[vc.pk].current_level is None
    ]
    return HomeSummary(
        areas=areas,
        to_confirm={a.pk: a.to_confirm for a in areas if a.to_confirm},
        any_answers=bool(answers),
        next_item=next((vc for vc in unanswered if vc.position > 0), None)
        or (unanswered[0] if unanswered else None),
        answers=answers,
        codes=codes,
    )


def next_unanswered(response: Response, *, after_position: int = 0) -> ValueCode | None:
    """The first value code without a current level, after a position (wrapping round)."""
    answered = Answer.objects.filter(response=response, current_level__isnull=False).values(
        "value_code"
    )
    remaining = ValueCode.objects.filter(version_id=response.round.framework_version_id).exclude(
        pk__in=answered
    )
    return (
        remaining.filter(position__gt=after_position)
        .select_related("key_area")
        .order_by("position")
        .first()
        or remaining.select_related("key_area").order_by("position").first()
    )


def contributors(response: Response) -> list[User]:
    """People who have saved answers in this response, most active first."""
    return list(
        User.objects.filter(pk__in=Answer.objects.filter(response=response).values("updated_by"))
        .annotate(saves=Count("pk"))
        .order_by("full_name")
    )


def current_response_for(organisation_id: int) -> Response | None:
    """The organisation's response in the most recent round that has opened (or will)."""
    return (
        Response.objects.select_related("round__framework_version")
        .filter(organisation_id=organisation_id)
        .exclude(round__status=Round.Status.DRAFT)
        .order_by("-round__opens_on")
        .first()
    )


# --- Following a round's progress -------------------------------------------------------------
# The stages the round page filters on. "not_submitted" is both draft stages: the councils a
# reminder can go to.
STAGES = {
    "not_started": Q(status=Response.Status.DRAFT, started_at__isnull=True),
    "in_progress": Q(status=Response.Status.DRAFT, started_at__isnull=False),
    "not_submitted": Q(status=Response.Status.DRAFT),
    "submitted": Q(status=Response.Status.SUBMITTED),
}


def leads_prefetch() -> Prefetch:
    """Each response's organisation gets `leads`: its active leads' memberships, with users."""
    return Prefetch(
        "organisation__memberships",
        queryset=Membership.objects.filter(role=Role.LEAD, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email"),
        to_attr="leads",
    )


def round_responses(
    round: Round,
    *,
    stage: str = "",
    q: str = "",
    region: Region | None = None,
    org_type: str = "",
    nation: str = "",
) -> QuerySet[Response]:
    """The round's responses matching the round page's filters, by organisation name.

    Leads come with them (`response.organisation.leads`), in one more query per page.
    """
    qs = Response.objects.filter(round=round)
    if stage in STAGES:
        qs = qs.filter(STAGES[stage])
    if q or region is not None or org_type or nation:
        orgs = filter_register(
            Organisation.objects.all(),
            q=q,
            region=region,
            org_type=org_type,
            nation=nation,
        )
        qs = qs.filter(organisation__in=orgs)
    return (
        qs.select_related("organisation__region")
        .prefetch_related(leads_prefetch())
        .order_by("organisation__name", "pk")
    )


@dataclass
class ProgressRow:
    """Counts of one group of councils (a region, a type, or all of them) by stage."""

    label: str
    eligible: int = 0
    not_started: int = 0
    in_progress: int = 0
    submitted: int = 0

    @property
    def percent_submitted(self) -> int:
        # Rounded down: 100% only when every council has submitted.
        return 100 * self.submitted // self.eligible if self.eligible else 0


@dataclass
class ProgressTotals:
    rows: list[ProgressRow] = field(default_factory=list)
    total: ProgressRow = field(default_factory=lambda: ProgressRow("All"))


def progress_totals(responses: QuerySet[Response], *, by: str) -> ProgressTotals:
    """Counts by stage of these responses, grouped by region or by type: one query."""
    group = {"region": "organisation__region__name", "type": "organisation__type"}[by]
    counts = (
        responses.order_by()
        .values(group)
        .annotate(
            eligible=Count("pk"),
            not_started=Count("pk", filter=STAGES["not_started"]),
            in_progress=Count("pk", filter=STAGES["in_progress"]),
            submitted=Count("pk", filter=STAGES["submitted"]),
        )
    )
    labels = dict(OrganisationType.choices) if by == "type" else {}
    totals = ProgressTotals()
    for row in counts:
        key = row.pop(group)
        totals.rows.append(ProgressRow(labels.get(key, key), **row))
        for name in ("eligible", "not_started", "in_progress", "submitted"):
            setattr(totals.total, name, getattr(totals.total, name) + row[name])
    totals.rows.sort(key=lambda r: r.label)
    return totals


@dataclass
class ReminderPlan:
    """Who a reminder to a selection of a round's councils would reach, and who it would miss."""

    targets: list[Response]  # draft responses whose organisation has a lead
    skipped: list[Response]  # draft responses whose organisation has no lead
    submitted_count: int  # councils in the selection that have submitted: never reminded

    @property
    def lead_count(self) -> int:
        return sum(len(r.organisation.leads) for r in self.targets)

    @property
    def stages(self) -> list[str]:
        present = {r.stage for r in self.targets}
        return [s for s in ("not_started", "in_progress") if s in present]

    def count(self, stage: str) -> int:
        return sum(1 for r in self.targets if r.stage == stage)

    @property
    def not_started_count(self) -> int:
        return self.count("not_started")

    @property
    def in_progress_count(self) -> int:
        return self.count("in_progress")


def reminder_plan(round: Round, responses: QuerySet[Response]) -> ReminderPlan:
    """Split a selection of the round's responses into those to remind and those to skip.

    Only drafts of this round are reminded, whatever the selection holds; two queries.
    """
    selected = (
        Response.objects.filter(round=round, pk__in=responses.values("pk"))
        .select_related("organisation__region")
        .prefetch_related(leads_prefetch())
        .order_by("organisation__name", "pk")
    )
    targets, skipped, submitted_count = [], [], 0
    for r in selected:
        if r.is_submitted:
            submitted_count += 1
        elif r.organisation.leads:
            targets.append(r)
        else:
            skipped.append(r)
    return ReminderPlan(targets=targets, skipped=skipped, submitted_count=submitted_count)
