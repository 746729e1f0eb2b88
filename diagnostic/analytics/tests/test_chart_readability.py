"""Charts people can read (issue 15): comparison markers never stacked on each other, legends
never cut short, and every chart shown at its own size (11-pixel labels), scrolling in a named
region on a narrow screen rather than shrunk."""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.test import SimpleTestCase

from diagnostic.analytics import charts
from diagnostic.frameworks.levels import LevelScale

LONG = "Similar profile (£150 million to £300 million third-party spend)"


def compare_spec():
    areas = ["Engaging councillors", "Engaging senior managers"]
    table = [
        {
            "name": a,
            "median": 3,
            "cells": [
                {"group": "region", "too_few": False, "median": 3},
                {"group": "profile", "too_few": False, "median": 3},
            ],
        }
        for a in areas
    ]
    groups = [
        {"key": "region", "label": "Councils in North West"},
        {"key": "profile", "label": LONG},
    ]
    scale = LevelScale((1, 2, 3, 4, 5), {1: "Minimum", 2: "Developing", 3: "Mature", 4: "Leader", 5: "Innovator"})  # fmt: skip
    return charts.comparison_dots(
        table, groups, title="Wigan compared", scale=scale, own_label="Wigan"
    )


class ComparisonChartTests(SimpleTestCase):
    def test_each_group_has_its_own_row_within_a_key_area(self):
        spec = compare_spec()
        self.assertEqual(spec["encoding"]["yOffset"]["field"], "who")
        self.assertEqual(spec["height"], {"step": 46, "for": "position"})

    def test_the_legend_is_never_cut_short(self):
        spec = compare_spec()
        legend = spec["encoding"]["color"]["legend"]
        self.assertEqual((legend["labelLimit"], legend["columns"]), (0, 1))
        svg = charts.render_svg(spec)
        self.assertNotIn("…", svg)
        self.assertIn("third-party spend)", svg)

    def test_the_council_is_named_not_your_council(self):
        spec = compare_spec()
        self.assertEqual(spec["encoding"]["color"]["scale"]["domain"][0], "Wigan")
        self.assertNotIn("Your council", str(spec))


class ChartAtItsOwnSizeTests(SimpleTestCase):
    def test_a_chart_is_a_named_scrolling_region(self):
        chart = {"src": "/charts/x.svg", "alt": "Heat map of levels", "label": "Levels by role"}
        html = render_to_string("analytics/_chart.html", {"chart": chart})
        self.assertRegex(
            html, r'<figure class="chart" role="region" aria-label="Levels by role" tabindex="0">'
        )

    def test_the_stylesheet_does_not_shrink_charts(self):
        from pathlib import Path

        css = (Path(charts.__file__).parents[1] / "static" / "css" / "site.css").read_text()
        self.assertRegex(css, r"\.chart img \{ max-width: none;")
        self.assertRegex(css, r"\.chart \{[^}]*overflow-x: auto")

    def test_the_title_names_the_region(self):
        spec = compare_spec()
        self.assertEqual(charts._title_of(spec), "Wigan compared")
        self.assertEqual(charts._title_of({}), "Chart")
        self.assertTrue(re.match(r"Chart", charts._title_of({"title": ""})))


class RegionMapTests(SimpleTestCase):
    def test_a_regions_map_shows_each_council_by_stage(self):
        spec = charts.council_stage_map(
            {"E08000010": ("Wigan", "Submitted"), "E08000001": ("Bolton", "Not started"),
             "X99999999": ("Nowhere", "In progress")},
            title="North West",
        )  # fmt: skip
        names = [f["properties"]["name"] for f in spec["data"]["values"]]
        self.assertEqual(names, ["Bolton", "Wigan"])  # a code with no outline is left out
        self.assertEqual(
            spec["encoding"]["color"]["scale"]["domain"],
            ["Not started", "In progress", "Submitted"],
        )
        # Outlines are drawn clockwise for Vega (else a shape is "the world except Wigan"):
        # the shipped RFC 7946 ring, reversed.
        import json

        raw = json.loads(charts.COUNCILS_GEOJSON.read_text(encoding="utf-8"))
        wigan = next(f for f in raw["features"] if f["properties"]["gss_code"] == "E08000010")
        drawn = next(f for f in spec["data"]["values"] if f["properties"]["name"] == "Wigan")
        ring = wigan["geometry"]["coordinates"][0]
        if wigan["geometry"]["type"] == "MultiPolygon":
            ring = ring[0]
            self.assertEqual(drawn["geometry"]["coordinates"][0][0], ring[::-1])
        else:
            self.assertEqual(drawn["geometry"]["coordinates"][0], ring[::-1])
