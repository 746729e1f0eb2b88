"""Reads for the contributor, consolidation and analysis pages, each in a fixed number of
queries whatever the number of contributors or value codes."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Max, Prefetch

from diagnostic.assessments.models import Answer, Response
from diagnostic.consolidation.models import Assignment, ContributorAnswer, Decision
from diagnostic.consolidation.spread import Spread, group_levels, spread
from diagnostic.frameworks.models import KeyArea, LevelDescriptor, ValueCode


def assignments_of(response: Response, *, include_withdrawn: bool = False) -> list[Assignment]:
    """The people asked for views on this response, with the key areas each was asked about."""
    qs = Assignment.objects.filter(response=response).prefetch_related(
        Prefetch("key_areas", queryset=KeyArea.objects.order_by("position"))
    )
    if not include_withdrawn:
        qs = qs.filter(withdrawn_at__isnull=True)
    out = list(qs.select_related("user", "invitation"))
    for a in out:
        a.area_ids = {k.pk for k in a.key_areas.all()}
    return out


def asks_about(assignment: Assignment, value_code: ValueCode) -> bool:
    """Like services.is_asked_about, from prefetched key areas (no query)."""
    return assignment.all_value_codes or value_code.key_area_id in assignment.area_ids


@dataclass
class View:
    assignment: Assignment
    answer: ContributorAnswer | None

    @property
    def level(self) -> int | None:
        return self.answer.current_level if self.answer else None


@dataclass
class Row:
    """One value code on the consolidation page."""

    value_code: ValueCode
    agreed: Answer | None
    views: list[View]
    spread: Spread
    decision: Decision | None
    descriptors: list[LevelDescriptor] = field(default_factory=list)

    @property
    def comments(self) -> list[View]:
        return [v for v in self.views if v.answer and v.answer.comment]

    @property
    def latest_view_at(self):
        times = [v.answer.updated_at for v in self.views if v.answer and v.answer.updated_at]
        return max(times) if times else None

    @property
    def is_consolidated(self) -> bool:
        """A decision was made and no view changed since."""
        if self.decision is None:
            return False
        latest = self.latest_view_at
        return latest is None or latest <= self.decision.decided_at

    @property
    def views_changed_since_decision(self) -> bool:
        return self.decision is not None and not self.is_consolidated

    @property
    def needs_decision(self) -> bool:
        """Someone gave a view (a level or "not yet assessed") and no decision covers it yet:
        what the "not yet consolidated" filter shows."""
        return self.spread.has_views and not self.is_consolidated

    @property
    def agreed_changed_since_decision(self) -> bool:
        """The agreed level was changed (in the questionnaire or a spreadsheet) after the
        decision, so the decision no longer describes the answer."""
        return (
            self.decision is not None
            and self.agreed is not None
            and self.agreed.current_level != self.decision.adopted_level
        )

    @property
    def agreed_version(self) -> int:
        return self.agreed.version if self.agreed else 0


def consolidation_rows(
    response: Response,
    *,
    key_area: KeyArea | None = None,
    assignments: list[Assignment] | None = None,
    with_descriptors: bool = False,
) -> list[Row]:
    """Every value code (of one key area, or all) with each asked contributor's view, the
    spread of their levels, the agreed answer and the decision in force."""
    if assignments is None:
        assignments = assignments_of(response)
    codes = ValueCode.objects.filter(version_id=response.round.framework_version_id)
    if key_area is not None:
        codes = codes.filter(key_area=key_area)
    codes = codes.select_related("key_area__theme").order_by("position")
    if with_descriptors:
        codes = codes.prefetch_related(
            Prefetch(
                "descriptors",
                queryset=LevelDescriptor.objects.select_related("level").order_by("level__number"),
            )
        )
    codes = list(codes)
    views = {
        (v.assignment_id, v.value_code_id): v
        for v in ContributorAnswer.objects.filter(
            assignment__in=[a.pk for a in assignments], value_code__in=codes
        )
    }
    agreed = {
        a.value_code_id: a for a in Answer.objects.filter(response=response, value_code__in=codes)
    }
    decisions: dict[int, Decision] = {}
    for d in Decision.objects.filter(response=response, value_code__in=codes).select_related(
        "decided_by"
    ):
        decisions.setdefault(d.value_code_id, d)  # newest first
    rows = []
    for vc in codes:
        row_views = [View(a, views.get((a.pk, vc.pk))) for a in assignments if asks_about(a, vc)]
        rows.append(
            Row(
                value_code=vc,
                agreed=agreed.get(vc.pk),
                views=row_views,
                spread=spread(v.level for v in row_views),
                decision=decisions.get(vc.pk),
                descriptors=list(vc.descriptors.all()) if with_descriptors else [],
            )
        )
    return rows


@dataclass
class Progress:
    assignment: Assignment
    asked: int
    answered: int
    last_saved_at: object

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.asked) if self.asked else 0


def progress_of(response: Response, assignments: list[Assignment] | None = None) -> list[Progress]:
    """Who has contributed what: value codes asked, views with a level, last save."""
    if assignments is None:
        assignments = assignments_of(response, include_withdrawn=True)
    codes = list(
        ValueCode.objects.filter(version_id=response.round.framework_version_id).only(
            "pk", "key_area_id"
        )
    )
    # Counted per key area, so that views left on key areas a person is no longer asked about
    # do not count (nor make "answered" exceed "asked").
    stats: dict[int, list[tuple[int, int, object]]] = {}
    for r in (
        ContributorAnswer.objects.filter(
            assignment__in=[a.pk for a in assignments], current_level__isnull=False
        )
        .values("assignment", "value_code__key_area")
        .annotate(n=Count("pk"), last=Max("updated_at"))
        .order_by()
    ):
        stats.setdefault(r["assignment"], []).append((r["value_code__key_area"], r["n"], r["last"]))
    out = []
    for a in assignments:
        asked = sum(1 for vc in codes if asks_about(a, vc))
        mine = [
            (n, last)
            for area_id, n, last in stats.get(a.pk, [])
            if a.all_value_codes or area_id in a.area_ids
        ]
        times = [last for _, last in mine if last is not None]
        out.append(Progress(a, asked, sum(n for n, _ in mine), max(times) if times else None))
    return out


@dataclass
class GroupTable:
    """Levels by department (or by role) per key area: spreads for a chart and a table."""

    dimension: str  # "department" or "job_role"
    groups: list[str]
    areas: list[KeyArea]
    cells: dict[tuple[int, str], Spread]  # (key area id, group) -> spread

    def cell(self, area: KeyArea, group: str) -> Spread | None:
        return self.cells.get((area.pk, group))


def levels_by_group(response: Response, dimension: str) -> GroupTable:
    """Each department's (or role's) levels in each key area, from contributors' own views."""
    if dimension not in ("department", "job_role"):
        raise ValueError(dimension)
    areas = list(
        KeyArea.objects.filter(version_id=response.round.framework_version_id).order_by("position")
    )
    rows = ContributorAnswer.objects.filter(
        assignment__response=response,
        assignment__withdrawn_at__isnull=True,
        current_level__isnull=False,
    ).values_list(
        "assignment_id",
        "assignment__all_value_codes",
        "value_code__key_area_id",
        f"assignment__{dimension}",
        "current_level",
    )
    # Views left on key areas a person is no longer asked about do not count (as on the
    # consolidation page).
    asked = set(
        Assignment.key_areas.through.objects.filter(assignment__response=response).values_list(
            "assignment_id", "keyarea_id"
        )
    )
    by_area: dict[int, list[tuple[str, int]]] = {}
    for assignment_id, all_codes, area_id, group, level in rows:
        if all_codes or (assignment_id, area_id) in asked:
            by_area.setdefault(area_id, []).append((group, level))
    cells = {}
    groups: set[str] = set()
    for area_id, pairs in by_area.items():
        for group, s in group_levels(pairs).items():
            cells[(area_id, group)] = s
            groups.add(group)
    return GroupTable(dimension, sorted(groups), areas, cells)
