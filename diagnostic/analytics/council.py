"""One council's results: its levels, gaps and how it compares with councils like it.

Comparisons use only submitted responses of *other* councils in the same round, grouped by
the council's region, type, spend band ("similar profile") and nation; a group of fewer than
5 councils is shown as "too few to compare". No other council is ever named. Definitions are
in docs/metrics.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from django.db.models import Count

from diagnostic.analytics.cache import cached
from diagnostic.analytics.queries import Scope, levels_by
from diagnostic.analytics.stats import mean_from_counts, median_from_counts
from diagnostic.analytics.suppression import hide, must_hide
from diagnostic.assessments.models import Answer, Response, Round
from diagnostic.frameworks.levels import scale_for
from diagnostic.frameworks.models import KeyArea, Theme

PRIORITY_WEIGHT = {"high": 3, "medium": 2, "low": 1, "none": 0, "": 1}


def own_levels(response: Response) -> dict:
    """The council's own answers summarised per key area and theme, with weighted gaps."""
    answers = list(
        Answer.objects.filter(response=response)
        .select_related("value_code__key_area__theme")
        .order_by("value_code__position")
    )
    areas = list(
        KeyArea.objects.filter(version_id=response.round.framework_version_id)
        .select_related("theme")
        .annotate(value_code_count=Count("value_codes"))
        .order_by("position")
    )
    themes = list(
        Theme.objects.filter(version_id=response.round.framework_version_id).order_by("position")
    )
    scale = scale_for(response.round.framework_version_id)
    by_area: dict[int, list[Answer]] = defaultdict(list)
    for a in answers:
        by_area[a.value_code.key_area_id].append(a)

    def summary(items: list[Answer], total: int) -> dict:
        """`total`: the value codes the framework asks about here, answered or not."""
        counts: dict[int, int] = defaultdict(int)
        targets: dict[int, int] = defaultdict(int)
        gap = weighted = 0
        for a in items:
            if a.current_level is not None:
                counts[a.current_level] += 1
            if a.target_level:
                targets[a.target_level] += 1
            if a.current_level and a.target_level and a.target_level > a.current_level:
                g = a.target_level - a.current_level
                gap += g
                weighted += g * PRIORITY_WEIGHT.get(a.priority, 1)
        return {
            "counts": dict(counts),
            "level_counts": [counts.get(lv, 0) for lv in scale.numbers],
            "median": median_from_counts(counts),
            "mean": mean_from_counts(counts),
            "target_median": median_from_counts(targets),
            "gap": gap,
            "weighted_gap": weighted,
            "answered": sum(1 for a in items if a.current_level is not None),
            "total": total,
        }

    area_rows = []
    for area in areas:
        row = {
            "id": area.pk,
            "code": area.code,
            "name": area.name,
            "theme_id": area.theme_id,
            **summary(by_area[area.pk], area.value_code_count),
        }
        area_rows.append(row)
    theme_rows = []
    for theme in themes:
        in_theme = [area for area in areas if area.theme_id == theme.pk]
        items = [a for area in in_theme for a in by_area[area.pk]]
        total = sum(area.value_code_count for area in in_theme)
        theme_rows.append(
            {"id": theme.pk, "code": theme.code, "name": theme.name, **summary(items, total)}
        )
    ranked = sorted((r for r in area_rows if r["weighted_gap"]), key=lambda r: -r["weighted_gap"])
    return {
        "answers": answers,
        "areas": area_rows,
        "themes": theme_rows,
        "priorities": ranked,
        "overall": summary(answers, sum(area.value_code_count for area in areas)),
        "scale": scale,
    }


def comparison_groups(response: Response) -> list[dict]:
    """The groups a council is compared with, as scopes over the same round."""
    org = response.organisation
    groups = [
        {"key": "region", "label": f"Councils in {org.region.name}", "scope": Scope(response.round_id, region_id=org.region_id, exclude_organisation_id=org.pk)},
        {"key": "type", "label": f"{org.get_type_display()}s" if not org.get_type_display().endswith("s") else org.get_type_display(),
         "scope": Scope(response.round_id, org_type=org.type, exclude_organisation_id=org.pk)},
    ]  # fmt: skip
    if response.spend_band:
        groups.append({
            "key": "profile", "label": f"Similar profile ({response.get_spend_band_display()} third-party spend)",
            "scope": Scope(response.round_id, spend_band=response.spend_band, exclude_organisation_id=org.pk),
        })  # fmt: skip
    groups.append({"key": "nation", "label": f"All councils in {org.nation}",
                   "scope": Scope(response.round_id, nation=org.nation, exclude_organisation_id=org.pk)})  # fmt: skip
    return groups


def comparisons(response: Response, own_levels_: dict | None = None) -> dict:
    """Per key area: the council's median beside each group's median and distribution.

    `own_levels_`: `own_levels(response)` if the caller has it already (saves its queries)."""
    own_ = own_levels_ or own_levels(response)
    scale = own_["scale"]
    own = {r["id"]: r for r in own_["areas"]}
    groups = []
    own_counts = _own_submitted_counts(response)
    for g in comparison_groups(response):
        scope = g["scope"]
        # Every council in a group shares one cached aggregate (without anyone left out); the
        # council's own submitted answers are then taken away. Cached per round version.
        shared = replace(scope, exclude_organisation_id=None)
        full = cached("group-levels", response.round_id, (shared.key(),),
                      lambda shared=shared: levels_by(shared, "key_area", national=True, scale=scale))  # fmt: skip
        rows = {r["id"]: _without(r, own_counts.get(r["id"]), scale) for r in full}
        size = max((r["organisations"] or 0) for r in rows.values()) if rows else 0
        groups.append(
            {
                **{k: v for k, v in g.items() if k != "scope"},
                "rows": rows,
                "size": size,
                "too_few": must_hide(size),
            }
        )
    table = []
    for area_id, mine in own.items():
        cells = []
        for g in groups:
            r = g["rows"].get(area_id)
            if g["too_few"] or r is None or r["suppressed"]:
                cells.append({"group": g["key"], "too_few": True})
            else:
                share_at_or_above = (
                    sum(
                        r["counts"][lv]
                        for lv in scale.numbers
                        if mine["median"] is not None and lv >= mine["median"]
                    )
                    / r["answers"]
                    if r["answers"]
                    else None
                )
                cells.append({"group": g["key"], "too_few": False, "median": r["median"], "mean": r["mean"],
                              "counts": r["counts"], "answers": r["answers"], "organisations": r["organisations"],
                              "share_at_or_above": share_at_or_above})  # fmt: skip
        table.append(
            {
                "id": area_id,
                "code": mine["code"],
                "name": mine["name"],
                "median": mine["median"],
                "cells": cells,
            }
        )
    return {"groups": groups, "table": table}


def _own_submitted_counts(response: Response) -> dict[int, dict[int, int]]:
    """{key area id: {level: count}} of this council's answers, if its response is submitted
    (only submitted responses are in any group)."""
    counts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    mine = Answer.objects.filter(
        response=response, response__status=Response.Status.SUBMITTED, current_level__isnull=False
    )
    for area_id, level in mine.values_list("value_code__key_area_id", "current_level"):
        counts[area_id][level] += 1
    return counts


def _without(row: dict, own: dict[int, int] | None, scale) -> dict:
    """A group's key-area row with one council's answers taken out, then suppressed if small."""
    row = dict(row)
    if own:
        row["counts"] = {lv: row["counts"][lv] - own.get(lv, 0) for lv in row["counts"]}
        row["level_counts"] = [row["counts"][lv] for lv in scale.numbers]
        row["answers"] = sum(row["counts"][lv] for lv in scale.numbers)
        row["organisations"] -= 1
        row["median"] = median_from_counts(row["counts"])
        row["mean"] = mean_from_counts(row["counts"])
    if must_hide(row["organisations"]):
        return hide(row)
    return row


def previous_rounds(response: Response) -> list[dict]:
    """The council's own key-area medians in earlier submitted rounds of the same framework."""
    earlier = (
        Response.objects.filter(
            organisation=response.organisation,
            status=Response.Status.SUBMITTED,
            round__framework_version_id=response.round.framework_version_id,
            round__opens_on__lt=response.round.opens_on,
        )
        .select_related("round")
        .order_by("round__opens_on")
    )
    out = []
    for r in earlier:
        levels = own_levels(r)
        out.append(
            {
                "round": r.round,
                "areas": {a["code"]: a for a in levels["areas"]},
                "overall": levels["overall"],
            }
        )
    return out


def rounds_for(response: Response) -> list[Round]:
    return [p["round"] for p in previous_rounds(response)]
