"""Reads for support targeting: the facts `measures.py` works on, the ranking, heat map, map
and drill-down rows, and the effect of past support. Definitions: docs/metrics.md.

Every read takes a `SupportScope`. Suppression is the dashboards' own (`analytics.stats
.suppressed` decides, `analytics.queries.hide` blanks a row) and applies only outside the
national team; a regional lead always sees their region as a whole (no type or cluster filter),
so no figure shown can be subtracted from another to reveal a hidden one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass

from django.db.models import Case, Count, F, IntegerField, Max, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from diagnostic.analytics import summaries
from diagnostic.analytics.models import CouncilCount, ValueCodeCount
from diagnostic.analytics.suppression import hide
from diagnostic.analytics.suppression import must_hide as suppressed
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.broker import queries as broker_queries
from diagnostic.frameworks.models import KeyArea, Level, ValueCode
from diagnostic.organisations.models import Cluster, OrganisationType, Region
from diagnostic.plans.rules import UNCHOSEN_WEIGHT, WEIGHTS
from diagnostic.support import measures
from diagnostic.support.measures import AdviserFact, AnswerFact
from diagnostic.support.models import Adviser, Invitation, Offer, quarter_of

SUBMITTED = Response.Status.SUBMITTED


@dataclass(frozen=True)
class SupportScope:
    round_id: int
    by: str = "key_area"  # or "value_code"
    region_id: int | None = None
    org_type: str = ""
    cluster_id: int | None = None

    def key(self) -> str:
        return ":".join(f"{k}={v}" for k, v in asdict(self).items())


def expert_levels_of(round_id: int) -> frozenset[int]:
    """The round's framework version's upper levels (Leader or above in NPS 2018)."""
    numbers = Level.objects.filter(version__rounds__pk=round_id).values_list("number", flat=True)
    return measures.expert_levels(numbers)


def answer_facts(round_id: int, *, region_id: int | None = None) -> list[AnswerFact]:
    """Every answer of the round's submitted responses (in one region, if given), in two
    queries whatever the number of councils."""
    qs = Answer.objects.filter(
        response__round_id=round_id, response__status=SUBMITTED, current_level__isnull=False
    )
    if region_id:
        qs = qs.filter(response__organisation__region_id=region_id)
    rows = qs.values_list(
        "response__organisation_id", "response__organisation__region_id",
        "response__organisation__type", "value_code_id", "value_code__key_area_id",
        "current_level", "target_level", "priority", "want_support", "could_share",
    )  # fmt: skip
    clusters: dict[int, set[int]] = defaultdict(set)
    for org_id, cluster_id in Cluster.organisations.through.objects.values_list(
        "organisation_id", "cluster_id"
    ):
        clusters[org_id].add(cluster_id)
    frozen = {k: frozenset(v) for k, v in clusters.items()}
    empty: frozenset[int] = frozenset()
    return [
        AnswerFact(organisation_id=o, region_id=r, org_type=t, value_code_id=vc, key_area_id=ka,
                   current=cur, target=tgt, priority=pri, want_support=want, could_share=share,
                   cluster_ids=frozen.get(o, empty))
        for o, r, t, vc, ka, cur, tgt, pri, want, share in rows
    ]  # fmt: skip


def booked_days(adviser_id: int, day: dt.date, *, exclude_offer_id: int | None = None) -> int:
    """Days of the adviser's time booked on offers starting in the quarter holding `day`."""
    start, end = quarter_of(day)
    qs = Offer.objects.filter(adviser_id=adviser_id, starts_on__range=(start, end))
    if exclude_offer_id:
        qs = qs.exclude(pk=exclude_offer_id)
    return qs.aggregate(n=Sum("adviser_days"))["n"] or 0


def adviser_facts(version_id: int, *, day: dt.date | None = None) -> list[AdviserFact]:
    """Active advisers with the days they have free in the quarter holding `day` (today)."""
    start, end = quarter_of(day or timezone.localdate())
    advisers = (
        Adviser.objects.filter(active=True)
        .annotate(
            booked=Sum("offers__adviser_days", filter=Q(offers__starts_on__range=(start, end)))
        )  # fmt: skip
        .prefetch_related("regions", "key_areas", "value_codes")
    )
    out = []
    for ad in advisers:
        free = max(0, ad.days_per_quarter - (ad.booked or 0))
        out.append(AdviserFact(
            adviser_id=ad.pk, days=free, region_ids=frozenset(r.pk for r in ad.regions.all()),
            key_area_ids=frozenset(k.pk for k in ad.key_areas.all() if k.version_id == version_id),
            value_code_ids=frozenset(v.pk for v in ad.value_codes.all() if v.version_id == version_id),
        ))  # fmt: skip
    return out


def _include(scope: SupportScope):
    if not scope.org_type and not scope.cluster_id:
        return None

    def include(f: AnswerFact) -> bool:
        if scope.org_type and f.org_type != scope.org_type:
            return False
        return not (scope.cluster_id and scope.cluster_id not in f.cluster_ids)

    return include


def _weight():
    """The priority weight as SQL, from the action plan's weights (`measures.weighted_gap`)."""
    return Case(
        *[When(priority=p, then=Value(w)) for p, w in WEIGHTS.items()],
        default=Value(UNCHOSEN_WEIGHT),
        output_field=IntegerField(),
    )


def _has_gap() -> Q:
    """SQL for `measures.weighted_gap(...) > 0`: a level, a higher target, a weighted priority."""
    zero = [p for p, w in WEIGHTS.items() if w == 0] + ([""] if UNCHOSEN_WEIGHT == 0 else [])
    return Q(current_level__gte=1, target_level__gt=F("current_level")) & ~Q(priority__in=zero)


def _include_q(scope: SupportScope) -> Q:
    q = Q()
    if scope.org_type:
        q &= Q(response__organisation__type=scope.org_type)
    if scope.cluster_id:
        members = Cluster.organisations.through.objects.filter(cluster_id=scope.cluster_id)
        q &= Q(response__organisation_id__in=members.values("organisation_id"))
    return q


def _submitted(round_id: int, region_id: int | None = None):
    qs = Answer.objects.filter(
        response__round_id=round_id, response__status=SUBMITTED, current_level__isnull=False
    )
    if region_id:
        qs = qs.filter(response__organisation__region_id=region_id)
    return qs


def _gap_expr():
    return Case(
        When(_has_gap(), then=(F("target_level") - F("current_level")) * _weight()),
        default=Value(0),
        output_field=IntegerField(),
    )


def _flag(q: Q):
    return Max(Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField()))


@dataclass
class CouncilRows:
    """Per council and key area: whether it needs support, wants it, its weighted gap, whether
    it can share; and each council's region, type and clusters. One grouped query (no DISTINCT
    counts, which are slow) and two small ones; every key-area figure is folded from these."""

    rows: list[tuple]  # (response id, key area id, needs, wants, gap, shares)
    councils: dict[int, tuple]  # response id → (organisation id, region id, type)
    clusters: dict[int, frozenset[int]]  # organisation id → cluster ids

    def included(self, scope: SupportScope, response_id: int) -> bool:
        org, _, typ = self.councils[response_id]
        if scope.org_type and typ != scope.org_type:
            return False
        return not (scope.cluster_id and scope.cluster_id not in self.clusters.get(org, ()))


def council_rows(scope: SupportScope, expert: frozenset[int]) -> CouncilRows:
    rows = list(
        _submitted(scope.round_id, scope.region_id)
        .values("response_id", "value_code__key_area_id")
        .annotate(
            needs=_flag(Q(want_support=True) | _has_gap()),
            wants=_flag(Q(want_support=True)),
            gap=Coalesce(Sum(_gap_expr()), Value(0)),
            shares=_flag(Q(could_share=True, current_level__in=sorted(expert))),
        )
        .order_by()
        .values_list("response_id", "value_code__key_area_id", "needs", "wants", "gap", "shares")
    )
    responses = Response.objects.filter(round_id=scope.round_id, status=SUBMITTED)
    if scope.region_id:
        responses = responses.filter(organisation__region_id=scope.region_id)
    councils = {
        pk: (org, region, typ)
        for pk, org, region, typ in responses.values_list(
            "pk", "organisation_id", "organisation__region_id", "organisation__type"
        )
    }
    clusters: dict[int, set[int]] = defaultdict(set)
    for org_id, cluster_id in Cluster.organisations.through.objects.values_list(
        "organisation_id", "cluster_id"
    ):
        clusters[org_id].add(cluster_id)
    return CouncilRows(rows, councils, {k: frozenset(v) for k, v in clusters.items()})


def cell_counts_from_answers(
    scope: SupportScope,
    by: str,
    expert: frozenset[int],
    *,
    rows: CouncilRows | None = None,
    **_ignored,
) -> dict:
    """`cell_counts` aggregated from the answers (the reference; before issue 16):
    `measures.cells` worked out from the database (adviser days are put in by
    `measures.add_advisers`); a test checks the two agree. Key areas are folded from
    `council_rows`; value codes have one answer per council, so plain counts do."""
    cells: dict[tuple[int, int], measures.Cell] = {}
    if by == "key_area":
        rows = rows or council_rows(scope, expert)
        for response_id, area, needs, wants, gap, shares in rows.rows:
            region = rows.councils[response_id][1]
            cell = cells.get((region, area))
            if cell is None:
                cell = cells[(region, area)] = measures.Cell(region_id=region, item_id=area)
            cell.peers += shares
            if rows.included(scope, response_id):
                cell.organisations += 1
                cell.demand += needs
                cell.wanting += wants
                cell.weighted_gap += gap
        return cells
    include = _include_q(scope)
    field = "response__organisation__region_id"
    for r in (
        _submitted(scope.round_id, scope.region_id)
        .values(field, "value_code_id")
        .annotate(
            organisations=Count("pk", filter=include),
            demand=Count("pk", filter=include & (Q(want_support=True) | _has_gap())),
            wanting=Count("pk", filter=include & Q(want_support=True)),
            weighted_gap=Coalesce(Sum(_gap_expr(), filter=include), Value(0)),
            peers=Count("pk", filter=Q(could_share=True, current_level__in=sorted(expert))),
        )
        .order_by()
    ):
        cells[(r[field], r["value_code_id"])] = measures.Cell(
            region_id=r[field], item_id=r["value_code_id"], organisations=r["organisations"],
            demand=r["demand"], wanting=r["wanting"], weighted_gap=r["weighted_gap"],
            peers=r["peers"],
        )  # fmt: skip
    return cells


def groups_by_from_answers(
    scope: SupportScope, dimension: str, *, rows: CouncilRows | None = None, **_ignored
) -> dict:
    """`groups_by` aggregated from the answers (the reference): `measures.by_group` from the
    database: per council type, or per cluster (a council in
    two clusters counts in both)."""
    rows = rows or council_rows(scope, frozenset())
    per: dict[int, list[int]] = {}  # response id → [needs any, wants any, gap]
    for response_id, _, needs, wants, gap, _ in rows.rows:
        if not rows.included(scope, response_id):
            continue
        p = per.setdefault(response_id, [0, 0, 0])
        p[0], p[1], p[2] = max(p[0], needs), max(p[1], wants), p[2] + gap
    out: dict = {}
    for response_id, (needs, wants, gap) in per.items():
        org, _, typ = rows.councils[response_id]
        _count_into(out, [typ] if dimension == "type" else rows.clusters.get(org, ()),
                    needs, wants, gap)  # fmt: skip
    return out


# --- From the summaries (analytics/summaries.py) ---------------------------------------------------
def _council_counts(scope: SupportScope, *, checked: bool = False):
    """The round's per-council key-area rows with a current level (`CouncilCount`), in the
    scope's region, and the condition for the councils the demand side counts (type, cluster).
    `checked`: the caller has made sure the summaries are up to date (`ensure_built`)."""
    if not checked:
        summaries.ensure_built(scope.round_id)
    qs = CouncilCount.objects.filter(round_id=scope.round_id, kind=CouncilCount.Kind.KEY_AREA,
                                     answered=1)  # fmt: skip
    if scope.region_id:
        qs = qs.filter(region_id=scope.region_id)
    include = Q()
    if scope.org_type:
        include &= Q(org_type=scope.org_type)
    if scope.cluster_id:
        members = Cluster.organisations.through.objects.filter(cluster_id=scope.cluster_id)
        include &= Q(organisation_id__in=members.values("organisation_id"))
    return qs, include


def cell_counts(
    scope: SupportScope,
    by: str,
    expert: frozenset[int] | None = None,
    *,
    checked: bool = False,
    **_ignored,
) -> dict:
    """`measures.cells` from the summaries (adviser days are put in by `measures.add_advisers`);
    a test checks the two agree. The summaries count peers at the round's upper levels
    (`expert_levels_of`), which is what `expert` always is. Value codes within a cluster are
    aggregated from the answers (a cluster is not a column of the summaries)."""
    if by == "value_code" and scope.cluster_id:
        return cell_counts_from_answers(scope, by, expert or expert_levels_of(scope.round_id))
    cells: dict[tuple[int, int], measures.Cell] = {}
    if by == "key_area":
        qs, include = _council_counts(scope, checked=checked)
        rows = qs.values("region_id", "item_id").annotate(
            n_orgs=Count("pk", filter=include), n_demand=Sum("needs", filter=include),
            n_wanting=Sum("wanting", filter=include), n_gap=Sum("weighted_gap", filter=include),
            n_peers=Sum("peers"),
        )  # fmt: skip
        item = "item_id"
    else:
        if not checked:
            summaries.ensure_built(scope.round_id)
        qs = ValueCodeCount.objects.filter(round_id=scope.round_id)
        if scope.region_id:
            qs = qs.filter(region_id=scope.region_id)
        include = Q(org_type=scope.org_type) if scope.org_type else Q()
        rows = qs.values("region_id", "value_code_id").annotate(
            n_answered=Sum("answered"), n_orgs=Sum("answered", filter=include),
            n_demand=Sum("demand", filter=include), n_wanting=Sum("wanting", filter=include),
            n_gap=Sum("weighted_gap", filter=include), n_peers=Sum("peers"),
        ).filter(n_answered__gt=0)  # fmt: skip
        item = "value_code_id"
    for r in rows.order_by():
        cells[(r["region_id"], r[item])] = measures.Cell(
            region_id=r["region_id"], item_id=r[item], organisations=r["n_orgs"] or 0,
            demand=r["n_demand"] or 0, wanting=r["n_wanting"] or 0,
            weighted_gap=r["n_gap"] or 0, peers=r["n_peers"] or 0,
        )  # fmt: skip
    return cells


def per_council(scope: SupportScope, *, checked: bool = False) -> list[tuple]:
    """Per council counted on the demand side: (organisation id, type, needs support on some
    key area, wants support on some, weighted gap over all), from the summaries."""
    qs, include = _council_counts(scope, checked=checked)
    return list(
        qs.filter(include).values("response_id", "organisation_id", "org_type")
        .annotate(n_needs=Max("needs"), n_wants=Max("wanting"), n_gap=Sum("weighted_gap"))
        .order_by().values_list("organisation_id", "org_type", "n_needs", "n_wants", "n_gap")
    )  # fmt: skip


def groups_by(
    scope: SupportScope,
    dimension: str,
    *,
    checked: bool = False,
    per: list[tuple] | None = None,
    **_ignored,
) -> dict:
    """`measures.by_group` from the summaries: per council type, or per cluster (a council in
    two clusters counts in both). `per`: `per_council`'s rows, if already read."""
    if per is None:
        per = per_council(scope, checked=checked)
    clusters: dict[int, list[int]] = defaultdict(list)
    if dimension != "type":
        for org_id, cluster_id in Cluster.organisations.through.objects.values_list(
            "organisation_id", "cluster_id"
        ):
            clusters[org_id].append(cluster_id)
    out: dict = {}
    for org, typ, needs, wants, gap in per:
        _count_into(out, [typ] if dimension == "type" else clusters.get(org, ()),
                    needs, wants, gap)  # fmt: skip
    return out


def _num(x: float) -> str:
    """A figure as the page shows it: whole numbers plain, others to one decimal place
    (formatted once here and cached with the figures, not in every render)."""
    x = round(x, 1)
    return f"{x:.0f}" if x == int(x) else f"{x:.1f}"


def _items(version_id: int, by: str) -> list:
    model = KeyArea if by == "key_area" else ValueCode
    return list(model.objects.filter(version_id=version_id).order_by("position"))


def _region_names() -> dict[int, str]:
    return dict(Region.objects.values_list("pk", "name"))


def where_to_focus(scope: SupportScope, *, national: bool, from_answers: bool = False) -> dict:
    """The ranking, the region × key area heat map of unmet demand, unmet demand by region for
    the map, and demand by council type and by cluster (national team only)."""
    rnd = Round.objects.get(pk=scope.round_id)
    version_id = rnd.framework_version_id
    expert = expert_levels_of(rnd.pk)
    advisers = adviser_facts(version_id)
    vc_area = dict(ValueCode.objects.filter(version_id=version_id).values_list("pk", "key_area_id"))
    # The figures come from the summaries; `from_answers` aggregates the answers instead (the
    # reference, for benchmarks).
    counts, groups = (
        (cell_counts_from_answers, groups_by_from_answers)
        if from_answers
        else (cell_counts, groups_by)
    )
    if from_answers:
        rows = council_rows(scope, expert)
    else:
        summaries.ensure_built(scope.round_id)
        rows = None
    area_cells = counts(scope, "key_area", expert, rows=rows, checked=True)
    measures.add_advisers(area_cells, advisers, by="key_area", vc_area=vc_area)
    introduced = broker_queries.introduction_supply(
        rnd.pk, expert=expert, include=_include(scope), by=sorted({"key_area", scope.by})
    )
    measures.add_introductions(area_cells, introduced["key_area"])
    if scope.by == "key_area":
        cell_map = area_cells
    else:
        cell_map = counts(scope, scope.by, expert, checked=True)
        measures.add_advisers(cell_map, advisers, by=scope.by, vc_area=vc_area)
        measures.add_introductions(cell_map, introduced[scope.by])
    items = _items(version_id, scope.by)
    order = {it.pk: it.position for it in items}
    by_id = {it.pk: it for it in items}
    ranking, hidden = [], []
    for t in measures.ranked(measures.totals(cell_map), order):
        item = by_id.get(t.item_id)
        if item is None:
            continue
        row = {
            "id": item.pk, "code": item.code, "name": getattr(item, "title", None) or item.name,
            "organisations": t.organisations, "demand": t.demand, "wanting": t.wanting,
            "weighted_gap": t.weighted_gap, "peers": t.peers,
            "adviser_days": round(t.adviser_days, 1), "introduced": t.introduced,
            "unmet": round(t.unmet, 1),
            "adviser_days_text": _num(t.adviser_days), "unmet_text": _num(t.unmet),
            "suppressed": suppressed(t.organisations, national=national),
        }  # fmt: skip
        if scope.by == "value_code":
            row["key_area_id"] = item.key_area_id
        if row["suppressed"]:
            hidden.append(hide(row))
        else:
            ranking.append({**row, "rank": len(ranking) + 1})
    # Hidden rows come last, in the framework's order: their place in the ranking would tell
    # which has the most unmet demand.
    ranking += sorted(hidden, key=lambda r: order.get(r["id"], 0))
    regions = _region_names()
    heat = _heat(area_cells, version_id, regions, national=national)
    out = {
        "ranking": ranking,
        "heat": heat,
        "by_region": _by_region(heat),
        "expert_levels": sorted(expert),
        "level_names": dict(
            Level.objects.filter(version_id=version_id).values_list("number", "name")
        ),
    }
    out["expert_names"] = [out["level_names"].get(n, str(n)) for n in out["expert_levels"]]
    if national:
        per = None if from_answers else per_council(scope, checked=True)  # read once for both
        labels = dict(OrganisationType.choices)
        out["by_type"] = sorted(
            (
                {"label": labels.get(k, k), **v}
                for k, v in groups(scope, "type", rows=rows, checked=True, per=per).items()
            ),
            key=lambda r: (-r["demand"], r["label"]),
        )
        names = dict(Cluster.objects.values_list("pk", "name"))
        out["by_cluster"] = sorted(
            (
                {"label": names.get(k, k), **v}
                for k, v in groups(scope, "cluster", rows=rows, checked=True, per=per).items()
            ),
            key=lambda r: (-r["demand"], r["label"]),
        )
    return out


def _heat(cell_map, version_id, regions, *, national: bool) -> dict:
    """Unmet demand per region × key area, with demand, supply and councils per cell."""
    areas = _items(version_id, "key_area")
    region_ids = sorted({r for r, _ in cell_map}, key=lambda r: regions.get(r, ""))
    rows = []
    for rid in region_ids:
        cells = []
        for area in areas:
            c = cell_map.get((rid, area.pk))
            n = c.organisations if c else 0
            hidden = suppressed(n, national=national)
            cells.append({
                "area": area.name, "area_code": area.code, "area_id": area.pk, "organisations": n,
                "suppressed": hidden,
                "demand": None if hidden or not c else c.demand,
                "supply": None if hidden or not c else round(c.supply, 1),
                "unmet": None if hidden or not c else round(c.unmet, 1),
                "unmet_text": "–" if hidden or not c else _num(c.unmet),
            })  # fmt: skip
        rows.append({"key": regions.get(rid, ""), "label": regions.get(rid, ""), "id": rid,
                     "cells": cells})  # fmt: skip
    return {"areas": [{"code": a.code, "name": a.name, "id": a.pk} for a in areas], "rows": rows}


def _by_region(heat: dict) -> list[dict]:
    """Per region: demand and unmet demand over the key areas, and the share of demand unmet
    (for the map). A region with any hidden cell is hidden whole."""
    out = []
    for row in heat["rows"]:
        cells = row["cells"]
        if any(c["suppressed"] for c in cells):
            out.append({"key": row["key"], "label": row["label"], "suppressed": True,
                        "demand": None, "unmet": None, "rate": None})  # fmt: skip
            continue
        demand = sum(c["demand"] or 0 for c in cells)
        unmet = sum(c["unmet"] or 0 for c in cells)
        rate = (unmet / demand) if demand else 0.0
        out.append({"key": row["key"], "label": row["label"], "suppressed": False,
                    "demand": demand, "unmet": round(unmet, 1), "unmet_text": _num(unmet),
                    "rate": rate, "share_text": f"{round(100 * rate)}%"})  # fmt: skip
    return out


def councils_behind(
    scope: SupportScope, item_id: int, *, named_region_ids: set[int] | None
) -> list[dict]:
    """The councils behind one ranked item's figures: those needing support and those able to
    share, with why. `named_region_ids=None` names every council (the national team);
    otherwise only councils in those regions that consented to regional sharing."""
    rnd = Round.objects.get(pk=scope.round_id)
    expert = expert_levels_of(rnd.pk)
    field = "value_code__key_area_id" if scope.by == "key_area" else "value_code_id"
    qs = Answer.objects.filter(
        response__round_id=rnd.pk, response__status=SUBMITTED, current_level__isnull=False,
        **{field: item_id},
    ).select_related("response__organisation__region", "value_code")  # fmt: skip
    if scope.region_id:
        qs = qs.filter(response__organisation__region_id=scope.region_id)
    if named_region_ids is not None:
        qs = qs.filter(
            response__organisation__region_id__in=named_region_ids,
            response__consent_regional_sharing=True,
        )
    include = _include(scope)
    cluster_of: dict[int, set[int]] = defaultdict(set)
    if scope.cluster_id:
        for org_id in Cluster.organisations.through.objects.filter(
            cluster_id=scope.cluster_id
        ).values_list("organisation_id", flat=True):
            cluster_of[org_id].add(scope.cluster_id)
    councils: dict[int, dict] = {}
    for a in qs.order_by("response__organisation__name", "value_code__position"):
        org = a.response.organisation
        fact = AnswerFact(
            organisation_id=org.pk, region_id=org.region_id, value_code_id=a.value_code_id,
            key_area_id=a.value_code.key_area_id, current=a.current_level, target=a.target_level,
            priority=a.priority, want_support=a.want_support, could_share=a.could_share,
            org_type=org.type, cluster_ids=frozenset(cluster_of.get(org.pk, ())),
        )  # fmt: skip
        row = councils.setdefault(org.pk, {
            "organisation": org, "response_id": a.response_id, "needs": [], "shares": [],
            "weighted_gap": 0, "counted": False,
        })  # fmt: skip
        if fact.can_share(expert):
            row["shares"].append(a.value_code.code)
        if include is None or include(fact):
            row["counted"] = True
            row["weighted_gap"] += fact.gap
            if fact.needs_support:
                why = "wants support" if fact.want_support else f"gap {fact.gap}"
                row["needs"].append(f"{a.value_code.code} ({why})")
    return [r for r in councils.values() if r["needs"] or r["shares"]]


def unnamed_councils(scope: SupportScope, item_id: int, organisations: int) -> int:
    """How many councils behind a regional figure did not consent to be named: the figure's
    councils minus those of them that consented. Listing the named ones beside a figure reveals
    the rest's total by subtraction, so a view lists names only when this is 0 or at least 5."""
    field = "value_code__key_area_id" if scope.by == "key_area" else "value_code_id"
    named = (
        _submitted(scope.round_id, scope.region_id)
        .filter(**{field: item_id}, response__consent_regional_sharing=True)
        .values("response_id")
        .distinct()
        .count()
    )
    return organisations - named


# --- Offers and take-up -------------------------------------------------------------------------
def offers_for(user_regions: set[int] | None, *, round_id: int | None = None):
    """Offers the viewer may see (`None`: every offer), with take-up counts."""
    from django.db.models import Count

    qs = Offer.objects.select_related("round", "region", "key_area", "value_code", "adviser")
    if user_regions is not None:
        qs = qs.filter(region_id__in=user_regions)
    if round_id:
        qs = qs.filter(round_id=round_id)
    S = Invitation.Status
    return qs.annotate(
        chosen=Count("invitations"),
        invited=Count("invitations", filter=~Q(invitations__status=S.CHOSEN)),
        accepted=Count("invitations", filter=Q(invitations__status=S.ACCEPTED)),
        declined=Count("invitations", filter=Q(invitations__status=S.DECLINED)),
        attended=Count("invitations", filter=Q(invitations__attended=True)),
    ).order_by("-starts_on", "title")


def invitations_for_lead(user) -> list:
    """Invitations sent to councils the user leads, newest offer first."""
    from diagnostic.accounts import access
    from diagnostic.accounts.models import Role

    led = [m.organisation_id for m in access.organisation_memberships(user) if m.role == Role.LEAD]
    return list(
        Invitation.objects.filter(organisation_id__in=led)
        .exclude(status=Invitation.Status.CHOSEN)
        .select_related("organisation", "offer__key_area", "offer__value_code")
        .order_by("-offer__starts_on", "organisation__name")
    )


def advisers_for(user_regions: set[int] | None):
    qs = Adviser.objects.prefetch_related("regions", "key_areas", "value_codes").order_by("name")
    if user_regions is not None:
        qs = qs.filter(regions__in=user_regions).distinct()
    return qs


# --- Whether it helped ----------------------------------------------------------------------------
def next_round(rnd: Round) -> Round | None:
    """The next round on the same framework version, the one the effect is measured in."""
    return (
        Round.objects.filter(framework_version_id=rnd.framework_version_id,
                             opens_on__gt=rnd.opens_on)
        .order_by("opens_on").first()
    )  # fmt: skip


def _levels(round_id: int, *, value_code_id=None, key_area_id=None, region_id=None) -> dict:
    """Each submitting council's level on a value code, or mean level (1 and above) on a key
    area's value codes, in a round."""
    qs = Answer.objects.filter(
        response__round_id=round_id, response__status=SUBMITTED, current_level__gte=1
    )
    if region_id:
        qs = qs.filter(response__organisation__region_id=region_id)
    if value_code_id:
        return dict(
            qs.filter(value_code_id=value_code_id).values_list(
                "response__organisation_id", "current_level"
            )
        )
    sums: dict[int, list[int]] = defaultdict(list)
    for org, lv in qs.filter(value_code__key_area_id=key_area_id).values_list(
        "response__organisation_id", "current_level"
    ):
        sums[org].append(lv)
    return {o: sum(v) / len(v) for o, v in sums.items()}


def _code_in(version_id: int, model, code: str):
    return model.objects.filter(version_id=version_id, code=code).first()


def effect_rows(offers, *, national: bool, region_id: int | None = None) -> list[dict]:
    """For each (round, value code or key area) that offers aimed at: councils that attended
    against similar councils that did not, in the next round of the same framework."""
    groups: dict[tuple, dict] = {}
    for offer in offers:
        key = (offer.round_id, offer.value_code_id, offer.key_area_id)
        g = groups.setdefault(key, {"round": offer.round, "value_code": offer.value_code,
                                    "key_area": offer.key_area, "offers": [], "attended": set()})  # fmt: skip
        g["offers"].append(offer)
    attended = Invitation.objects.filter(
        offer__in=[o for g in groups.values() for o in g["offers"]], attended=True
    ).values_list("offer__round_id", "offer__value_code_id", "offer__key_area_id",
                  "organisation_id")  # fmt: skip
    for r, vc, ka, org in attended:
        groups[(r, vc, ka)]["attended"].add(org)
    rows = []
    for (round_id, vc, ka), g in groups.items():
        later = next_round(g["round"])
        row = {"round": g["round"], "later": later, "aim": g["value_code"] or g["key_area"],
               "offers": len(g["offers"]), "attended": len(g["attended"])}  # fmt: skip
        if later is None:
            row.update(result=None, suppressed=False)
            rows.append(row)
            continue
        kwargs = {"value_code_id": vc} if vc else {"key_area_id": ka}
        before = _levels(round_id, region_id=region_id, **kwargs)
        # The later round may be on the same version only (next_round), so ids carry over.
        after = _levels(later.pk, region_id=region_id, **kwargs)
        result = measures.effect(before, after, g["attended"])
        hidden = suppressed(min(result["took_part"]["n"], result["others"]["n"]), national=national)
        row.update(result=None if hidden else result, suppressed=hidden)
        rows.append(row)
    rows.sort(key=lambda r: (-r["round"].opens_on.toordinal(), str(r["aim"])))
    return rows


def effect_between(earlier: Round, later: Round, *, region=None, national: bool) -> list[dict]:
    """`effect_rows` for support offered in `earlier` whose next round is `later` (the
    dashboards' "change since"), for one region's offers and councils when `region` is given."""
    offers = offers_for(None, round_id=earlier.pk)
    if region is not None:
        offers = offers.filter(region=region)
    rows = effect_rows(list(offers), national=national, region_id=region.pk if region else None)
    return [r for r in rows if r["later"] == later]


# --- Freshness ------------------------------------------------------------------------------------
_SUPPORT_VERSION = "support:version"


def support_version() -> str:
    """Part of every cached support figure's key: adviser and offer changes bump it, so the
    ranking's adviser days are fresh at once in every process (submissions bump the round's
    own version). Kept in the shared cache (`analytics.cache.shared_version`)."""
    from diagnostic.analytics.cache import shared_version

    return shared_version(_SUPPORT_VERSION)


def bump_support() -> None:
    from diagnostic.analytics.cache import bump_shared

    bump_shared(_SUPPORT_VERSION)


def _count_into(out: dict, keys, needs: int, wants: int, gap: float) -> None:
    """One council's demand added to each group it belongs to (its type, or its clusters)."""
    for key in keys:
        g = out.setdefault(key, {"organisations": 0, "demand": 0, "wanting": 0, "weighted_gap": 0})
        g["organisations"] += 1
        g["demand"] += needs
        g["wanting"] += wants
        g["weighted_gap"] += gap
