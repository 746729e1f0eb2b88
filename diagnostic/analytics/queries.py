"""Every figure on the dashboards and published pages, defined once. See docs/metrics.md.

All reads take a `Scope` (round + optional region, type, nation, enabler). Aggregation happens
in the database with a fixed number of queries whatever the number of organisations; the
results are plain dicts so they can be cached (`analytics/cache.py`), rendered, charted and
exported the same way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, replace

from django.db.models import Count, F, Q, QuerySet, Sum

from diagnostic.analytics import summaries
from diagnostic.analytics.models import CouncilCount, LevelCount, ValueCodeCount
from diagnostic.analytics.stats import mean_from_counts, median_from_counts, rate
from diagnostic.analytics.suppression import Complementary, complementary, hide, must_hide
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.frameworks.levels import LevelScale, scale_for_round
from diagnostic.frameworks.models import KeyArea, Theme, ValueCode
from diagnostic.organisations.models import OrganisationType, Region

SUBMITTED = Response.Status.SUBMITTED


@dataclass(frozen=True)
class Scope:
    """Which responses a figure covers."""

    round_id: int
    region_id: int | None = None
    org_type: str = ""
    nation: str = ""
    enabler: str = ""  # enabler code: only value codes tagged with it
    spend_band: str = ""  # councils of a similar profile
    exclude_organisation_id: int | None = None  # "councils like you" leaves you out

    def key(self) -> str:
        return ":".join(f"{k}={v}" for k, v in asdict(self).items())


def responses(scope: Scope) -> QuerySet[Response]:
    """The eligible organisations' responses in scope (eligible = has a response row)."""
    qs = Response.objects.filter(round_id=scope.round_id)
    if scope.region_id:
        qs = qs.filter(organisation__region_id=scope.region_id)
    if scope.org_type:
        qs = qs.filter(organisation__type=scope.org_type)
    if scope.nation:
        qs = qs.filter(organisation__nation=scope.nation)
    if scope.spend_band:
        qs = qs.filter(spend_band=scope.spend_band)
    if scope.exclude_organisation_id:
        qs = qs.exclude(organisation_id=scope.exclude_organisation_id)
    return qs


def submitted_answers(scope: Scope) -> QuerySet[Answer]:
    """Answers of submitted responses in scope: the only answers any result is built from."""
    qs = Answer.objects.filter(response__in=responses(scope).filter(status=SUBMITTED))
    if scope.enabler:
        qs = qs.filter(value_code__enablers__code=scope.enabler)
    return qs


# --- Participation ----------------------------------------------------------------------------
def _stage_counts() -> dict:
    return {
        "eligible": Count("pk"),
        "submitted": Count("pk", filter=Q(status=SUBMITTED)),
        "in_progress": Count(
            "pk", filter=Q(status=Response.Status.DRAFT, started_at__isnull=False)
        ),
    }


def _finish(row: dict) -> dict:
    row["not_started"] = row["eligible"] - row["submitted"] - row["in_progress"]
    row["rate"] = rate(row["submitted"], row["eligible"])
    return row


def participation(scope: Scope) -> dict:
    """Eligible, submitted, in progress, not started and the submission rate, in one query."""
    return _finish(responses(scope).aggregate(**_stage_counts()))


def participation_by(scope: Scope, dimension: str) -> list[dict]:
    """The same figures per region, type or nation, in one query."""
    field = {
        "region": "organisation__region__name",
        "type": "organisation__type",
        "nation": "organisation__nation",
    }[dimension]
    rows = responses(scope).values(field).annotate(**_stage_counts()).order_by(field)
    labels = dict(OrganisationType.choices)
    out = []
    for row in rows:
        key = row.pop(field)
        out.append(_finish({"key": key, "label": labels.get(key, key), **row}))
    return out


# --- Levels -----------------------------------------------------------------------------------
GROUPS = {
    "theme": ("value_code__key_area__theme_id", Theme),
    "key_area": ("value_code__key_area_id", KeyArea),
    "value_code": ("value_code_id", ValueCode),
}


def _outline(round_id: int, by: str) -> list:
    version_id = (
        Round.objects.filter(pk=round_id).values_list("framework_version_id", flat=True).first()
    )
    model = GROUPS[by][1]
    return list(model.objects.filter(version_id=version_id).order_by("position"))


def levels_by(
    scope: Scope,
    by: str = "key_area",
    *,
    national: bool = True,
    scale: LevelScale | None = None,
    from_answers: bool = False,
) -> list[dict]:
    """Distribution of current and target levels, priorities and flags per theme, key area or
    value code, with medians, means and how many organisations each row is built from.

    The levels are the round's framework version's (`scale`, looked up when not given);
    `level_counts` lists the count at each level in order, `top` the answers at the two
    highest levels. The counts are read from the summaries (`analytics/summaries.py`);
    `from_answers` aggregates the answers instead (the reference, for tests and benchmarks)."""
    scale = scale or scale_for_round(scope.round_id)
    if summarised(scope) and not from_answers:
        cur, tgt, ext = _level_counts(scope, by)
    else:
        cur, tgt, ext = _level_counts_from_answers(scope, by)
    rows = []
    for item in _outline(scope.round_id, by):
        counts, targets, e = cur.get(item.pk, {}), tgt.get(item.pk, {}), ext.get(item.pk, {})
        n_orgs = e.get("organisations", 0)
        row = {
            "id": item.pk,
            "code": getattr(item, "code", ""),
            "name": getattr(item, "name", None) or getattr(item, "title", ""),
            "organisations": n_orgs,
            "suppressed": must_hide(n_orgs, national=national),
            "counts": {lv: counts.get(lv, 0) for lv in (0, *scale.numbers)},
            "level_counts": [counts.get(lv, 0) for lv in scale.numbers],
            "answers": sum(counts.get(lv, 0) for lv in scale.numbers),
            "top": sum(counts.get(lv, 0) for lv in scale.top(2)),
            "not_assessed": counts.get(0, 0),
            "median": median_from_counts(counts),
            "mean": mean_from_counts(counts),
            "target_counts": {lv: targets.get(lv, 0) for lv in scale.numbers},
            "target_median": median_from_counts(targets),
            "priorities": {k: e.get(k, 0) for k in ("high", "medium", "low", "none")},
            "want_support": e.get("support_n", 0),
            "could_share": e.get("share_n", 0),
            "support_orgs": e.get("support_orgs", 0),
            "share_orgs": e.get("share_orgs", 0),
        }
        if by == "key_area":
            row["theme_id"] = item.theme_id
        elif by == "value_code":
            row["key_area_id"] = item.key_area_id
        if row["suppressed"]:
            row = hide(row)
        rows.append(row)
    return rows


def _level_counts_from_answers(scope: Scope, by: str) -> tuple[dict, dict, dict]:
    """`levels_by`'s counts aggregated from the answers: for the scopes the summaries do not
    cover (`summarised`), and the reference the summaries are tested against."""
    field = GROUPS[by][0]
    answers = submitted_answers(scope)
    current = answers.values(field, "current_level").annotate(n=Count("pk")).order_by()
    target = (
        answers.filter(target_level__isnull=False)
        .values(field, "target_level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    extra = (
        answers.values(field)
        .annotate(
            organisations=Count("response", distinct=True),
            high=Count("pk", filter=Q(priority="high")),
            medium=Count("pk", filter=Q(priority="medium")),
            low=Count("pk", filter=Q(priority="low")),
            none=Count("pk", filter=Q(priority="none")),
            support_n=Count("pk", filter=Q(want_support=True)),
            share_n=Count("pk", filter=Q(could_share=True)),
            support_orgs=Count("response", filter=Q(want_support=True), distinct=True),
            share_orgs=Count("response", filter=Q(could_share=True), distinct=True),
        )
        .order_by()
    )
    cur: dict = defaultdict(dict)
    for r in current:
        cur[r[field]][r["current_level"]] = r["n"]
    tgt: dict = defaultdict(dict)
    for r in target:
        tgt[r[field]][r["target_level"]] = r["n"]
    ext = {r[field]: r for r in extra}
    return cur, tgt, ext


# --- Reading the summaries ----------------------------------------------------------------------
def summarised(scope: Scope) -> bool:
    """Whether the summaries hold this scope's figures: every dashboard and published scope.
    A council's comparison with councils of its spend band, or without itself (the council
    results page), is aggregated from the answers."""
    return not scope.spend_band and not scope.exclude_organisation_id


def _in_cell(qs: QuerySet, scope: Scope) -> QuerySet:
    qs = qs.filter(round_id=scope.round_id)
    if scope.region_id:
        qs = qs.filter(region_id=scope.region_id)
    if scope.org_type:
        qs = qs.filter(org_type=scope.org_type)
    if scope.nation:
        qs = qs.filter(nation=scope.nation)
    return qs


def _councils(scope: Scope, kind: str) -> tuple[QuerySet[CouncilCount], Q, Q]:
    """`CouncilCount` rows in scope (of councils that answered on the scope's enabler, if any),
    and the conditions "would welcome support" and "could share" there."""
    qs = _in_cell(CouncilCount.objects.filter(kind=kind), scope)
    if not scope.enabler:
        return qs, Q(want_support=True), Q(could_share=True)
    version_id = Round.objects.values_list("framework_version_id", flat=True).get(pk=scope.round_id)
    bit = summaries.enabler_bits(version_id).get(scope.enabler, 0)
    qs = qs.alias(
        in_enabler=F("enablers").bitand(bit), support_in=F("support_enablers").bitand(bit),
        share_in=F("share_enablers").bitand(bit),
    ).filter(in_enabler__gt=0)  # fmt: skip
    return qs, Q(support_in__gt=0), Q(share_in__gt=0)


def _level_counts(scope: Scope, by: str) -> tuple[dict, dict, dict]:
    """`levels_by`'s counts from the summaries, in three grouped queries over small tables."""
    summaries.ensure_built(scope.round_id)
    field = GROUPS[by][0]
    levels = _in_cell(LevelCount.objects.all(), scope)
    codes = _in_cell(ValueCodeCount.objects.all(), scope)
    if scope.enabler:
        levels = levels.filter(value_code__enablers__code=scope.enabler)
        codes = codes.filter(value_code__enablers__code=scope.enabler)
    cur: dict = defaultdict(dict)
    tgt: dict = defaultdict(dict)
    for item, kind, level, n in (
        levels.values(field, "kind", "level").annotate(total=Sum("n")).order_by()
        .values_list(field, "kind", "level", "total")
    ):  # fmt: skip
        (cur if kind == LevelCount.Kind.CURRENT else tgt)[item][level] = n
    ext: dict = {}
    answers: dict = {}
    for row in codes.values(field).annotate(
        n_answers=Sum("answers"), n_high=Sum("high"), n_medium=Sum("medium"), n_low=Sum("low"),
        n_none=Sum("none"), n_support=Sum("want_support"), n_share=Sum("could_share"),
    ).order_by():  # fmt: skip
        ext[row[field]] = {
            "high": row["n_high"], "medium": row["n_medium"], "low": row["n_low"],
            "none": row["n_none"], "support_n": row["n_support"], "share_n": row["n_share"],
        }  # fmt: skip
        answers[row[field]] = row["n_answers"]
    if by == "value_code":  # one answer per council and value code: plain counts
        for item, row in ext.items():
            row.update(organisations=answers[item], support_orgs=row["support_n"],
                       share_orgs=row["share_n"])  # fmt: skip
        return cur, tgt, ext
    councils, support_q, share_q = _councils(scope, by)
    for item, n, support, share in (
        councils.values("item_id").annotate(
            n=Count("pk"), support=Count("pk", filter=support_q), share=Count("pk", filter=share_q),
        ).order_by().values_list("item_id", "n", "support", "share")
    ):  # fmt: skip
        ext.setdefault(item, {}).update(organisations=n, support_orgs=support, share_orgs=share)
    return cur, tgt, ext


def type_partition(scope: Scope, *, national: bool) -> Complementary:
    """Which council types to hide in a scope's area (a region, for a regional lead), by the
    complementary rule over the number of submitted councils of each type: the page shows the
    whole area's figures and lets the person filter by type, so a hidden type must not come
    back as the whole area minus the types shown (analytics/suppression.py)."""
    if national:
        return Complementary(frozenset(), False)
    base = Scope(scope.round_id, region_id=scope.region_id, nation=scope.nation)
    rows = (
        responses(base)
        .values("organisation__type")
        .annotate(n=Count("pk", filter=Q(status=SUBMITTED)))
        .order_by()
    )
    return complementary({r["organisation__type"]: r["n"] for r in rows})


def scope_hidden(scope: Scope, *, national: bool) -> bool:
    """True when every figure of this scope must be hidden from this audience: a council type
    hidden in its area by the complementary rule, or a whole area whose hidden types add up to
    fewer than the threshold."""
    if national:
        return False
    rule = type_partition(scope, national=national)
    if scope.org_type:
        return scope.org_type in rule.hidden
    return rule.total_hidden


def heatmap(
    scope: Scope, rows: str = "region", *, national: bool = True, from_answers: bool = False
) -> dict:
    """Median current level per (region or type) × key area, with organisation counts."""
    dist: dict = defaultdict(lambda: defaultdict(dict))
    if summarised(scope) and not from_answers:
        summaries.ensure_built(scope.round_id)
        row_field = {"region": "region__name", "type": "org_type"}[rows]
        levels = _in_cell(LevelCount.objects.filter(kind=LevelCount.Kind.CURRENT), scope)
        if scope.enabler:
            levels = levels.filter(value_code__enablers__code=scope.enabler)
        for key, area, level, n in (
            levels.values(row_field, "value_code__key_area_id", "level")
            .annotate(total=Sum("n")).order_by()
            .values_list(row_field, "value_code__key_area_id", "level", "total")
        ):  # fmt: skip
            dist[key][area][level] = n
        councils = _councils(scope, CouncilCount.Kind.KEY_AREA)[0]
        n_orgs = {
            (key, area): n
            for key, area, n in councils.values(row_field, "item_id").annotate(n=Count("pk"))
            .order_by().values_list(row_field, "item_id", "n")
        }  # fmt: skip
    else:
        row_field = {
            "region": "response__organisation__region__name",
            "type": "response__organisation__type",
        }[rows]
        answers = submitted_answers(scope)
        for r in (
            answers.values(row_field, "value_code__key_area_id", "current_level")
            .annotate(n=Count("pk")).order_by()
        ):  # fmt: skip
            dist[r[row_field]][r["value_code__key_area_id"]][r["current_level"]] = r["n"]
        n_orgs = {
            (r[row_field], r["value_code__key_area_id"]): r["organisations"]
            for r in answers.values(row_field, "value_code__key_area_id")
            .annotate(organisations=Count("response", distinct=True)).order_by()
        }  # fmt: skip
    areas = _outline(scope.round_id, "key_area")
    labels = dict(OrganisationType.choices)
    if rows == "region":
        keys = [r.name for r in Region.objects.order_by("code") if r.name in dist]
    else:
        keys = [t for t, _ in OrganisationType.choices if t in dist]
    matrix = []
    for key in keys:
        cells = []
        for area in areas:
            n = n_orgs.get((key, area.pk), 0)
            hidden = must_hide(n, national=national)
            cells.append({
                "area": area.name, "area_code": area.code, "organisations": n, "suppressed": hidden,
                "median": None if hidden else median_from_counts(dist[key][area.pk]),
                "mean": None if hidden else mean_from_counts(dist[key][area.pk]),
            })  # fmt: skip
        matrix.append({"key": key, "label": labels.get(key, key), "cells": cells})
    return {"areas": [{"code": a.code, "name": a.name} for a in areas], "rows": matrix}


class NotComparable(Exception):
    """Two rounds on framework versions with no mapping between them."""


def change_between(scope: Scope, earlier_round_id: int, *, national: bool = True) -> list[dict]:
    """Per key area of this round: median and mean now and in an earlier round.

    On the same framework version, each key area is compared with itself. On versions joined by
    a mapping (`frameworks/mappings.py`), each key area is compared over its value codes that
    have a counterpart: now, their answers; then, the answers to their counterparts. A key area
    with none has no earlier figure. Rounds on versions with no mapping are NotComparable."""
    from diagnostic.frameworks.mappings import correspondence

    rounds = dict(
        Round.objects.filter(pk__in=[scope.round_id, earlier_round_id]).values_list(
            "pk", "framework_version_id"
        )
    )
    pairs = correspondence(rounds[earlier_round_id], rounds[scope.round_id])
    if pairs is None:
        raise NotComparable(earlier_round_id)
    before_scope = replace(scope, round_id=earlier_round_id, spend_band="",
                           exclude_organisation_id=None)  # fmt: skip
    if rounds[earlier_round_id] == rounds[scope.round_id]:
        now = levels_by(scope, "key_area", national=national)
        before = {r["id"]: r for r in levels_by(before_scope, "key_area", national=national)}
    else:
        now, before = _mapped_areas(scope, before_scope, pairs, national=national)
    out = []
    for row in now:
        prev = before.get(row["id"], {})
        out.append({
            "code": row["code"], "name": row["name"],
            "median_now": row["median"], "median_before": prev.get("median"),
            "mean_now": row["mean"], "mean_before": prev.get("mean"),
            "organisations_now": row["organisations"], "organisations_before": prev.get("organisations"),
            "change": (row["mean"] - prev["mean"]) if row["mean"] is not None and prev.get("mean") is not None else None,
        })  # fmt: skip
    return out


def _mapped_areas(scope, before_scope, pairs: dict[int, int], *, national: bool):
    """Key-area figures now and then over the value codes that correspond (see change_between)."""
    now_rows = {r["id"]: r for r in levels_by(scope, "value_code", national=national)}
    then_rows = {r["id"]: r for r in levels_by(before_scope, "value_code", national=national)}
    later_to_earlier = {later: earlier for earlier, later in pairs.items()}
    areas = _outline(scope.round_id, "key_area")
    now, before = [], {}
    for area in areas:
        mine = [r for r in now_rows.values() if r["key_area_id"] == area.pk]
        mapped = [r for r in mine if r["id"] in later_to_earlier]
        now.append({"id": area.pk, "code": area.code, "name": area.name,
                    **_summed(mapped)})  # fmt: skip
        before[area.pk] = _summed([then_rows[later_to_earlier[r["id"]]] for r in mapped
                                   if later_to_earlier[r["id"]] in then_rows])  # fmt: skip
    return now, before


def _summed(rows: list[dict]) -> dict:
    """Median, mean and councils of several value codes' rows together; hidden if any is."""
    if not rows or any(r["suppressed"] for r in rows):
        return {"median": None, "mean": None, "organisations": None}
    counts: dict[int, int] = defaultdict(int)
    for r in rows:
        for level, n in r["counts"].items():
            counts[level] += n
    return {"median": median_from_counts(counts), "mean": mean_from_counts(counts),
            "organisations": max(r["organisations"] for r in rows)}  # fmt: skip


def comparable_rounds(round_id: int) -> QuerySet[Round]:
    """Earlier rounds whose figures can be compared with this one (analytics/comparison.py)."""
    from diagnostic.analytics.comparison import comparable_rounds as comparable

    return comparable(Round.objects.get(pk=round_id))


def councils_at(
    scope: Scope, value_code_id: int, *, named_region_ids: set[int] | None = None
) -> list[dict]:
    """The councils behind one value code's figures, with their answer.

    `named_region_ids=None` means every council may be named (the national team); otherwise
    only councils in those regions that consented to regional sharing are listed.
    """
    answers = (
        submitted_answers(scope)
        .filter(value_code_id=value_code_id)
        .select_related("response__organisation__region")
        .order_by("response__organisation__name")
    )
    if named_region_ids is not None:
        answers = answers.filter(
            response__organisation__region_id__in=named_region_ids,
            response__consent_regional_sharing=True,
        )
    return [
        {
            "organisation": a.response.organisation,
            "response_id": a.response_id,
            "current_level": a.current_level,
            "target_level": a.target_level,
            "priority": a.get_priority_display(),
            "want_support": a.want_support,
            "could_share": a.could_share,
            "comment": a.comment,
        }
        for a in answers
    ]
