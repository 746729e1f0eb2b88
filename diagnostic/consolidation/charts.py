"""Charts of colleagues' views, drawn with the analytics charts (Altair → SVG, cached)."""

from __future__ import annotations

from diagnostic.analytics import charts as analytics_charts
from diagnostic.consolidation.queries import GroupTable


def group_matrix(table: GroupTable) -> dict:
    """A GroupTable in the shape `analytics.charts.heatmap` draws: one row per department (or
    role), one cell per key area with the median level (None where nobody gave a level)."""
    return {
        # Key areas by code: the full names are in the table beside the chart.
        "areas": [{"code": a.code, "name": a.code} for a in table.areas],
        "rows": [
            {
                "label": group,
                "cells": [
                    {
                        "area": a.code,
                        "median": (s.median if (s := table.cell(a, group)) else None),
                    }
                    for a in table.areas
                ],
            }
            for group in table.groups
        ],
    }


def levels_by_group_chart(table: GroupTable, *, title: str, scale, alt_text: str) -> dict:
    """The heat map of median levels by group and key area, ready for `analytics/_chart.html`.
    Each cell is labelled with its median, so colour is never the only cue."""
    spec = analytics_charts.heatmap(group_matrix(table), title=title, scale=scale)
    return analytics_charts.chart(spec, alt_text=alt_text)
