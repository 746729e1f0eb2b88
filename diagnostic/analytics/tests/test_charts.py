"""The chart specs: valid Vega-Lite, and the shortcuts that make them cheap change no chart."""

import copy
from types import SimpleNamespace
from unittest import mock

from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema
from django.test import SimpleTestCase

from diagnostic.analytics import charts
from diagnostic.frameworks.levels import LevelScale

SCALE = LevelScale(
    numbers=(1, 2, 3, 4, 5),
    names={1: "Minimum", 2: "Developing", 3: "Mature", 4: "Leader", 5: "Innovator"},
    colours={1: "#d4351c", 2: "#f47738", 3: "#ffdd00", 4: "#85994b", 5: "#00703c"},
)

AREAS = [
    "Engaging councillors",
    "Managing contracts and relationships",
    "Engaging local SMEs and micro-businesses",
]
LONG = "A key area whose name is far too long to fit beside the chart at all"


def answers(areas=AREAS):
    out = []
    for i, area in enumerate(areas):
        for j in range(3):
            vc = SimpleNamespace(
                code=f"{area[:2].upper()}{j + 1}", key_area=SimpleNamespace(name=area)
            )
            out.append(SimpleNamespace(value_code=vc, current_level=(i + j) % 6 or None))
    return out


def area_rows(areas=AREAS):
    return [
        {"name": a, "counts": {lv: (i + lv) % 4 for lv in range(0, 6)},
         "answers": sum((i + lv) % 4 for lv in range(1, 6))}
        for i, a in enumerate(areas)
    ]  # fmt: skip


def comparison(areas=AREAS):
    groups = [
        {"key": "region", "label": "Councils in North West"},
        {"key": "profile", "label": "Similar profile (£50 million to £150 million third-party spend)"},
    ]  # fmt: skip
    table = [
        {"name": a, "median": 2.0, "cells": [
            {"group": "region", "too_few": False, "median": 3.0},
            {"group": "profile", "too_few": True},
        ]}
        for a in areas
    ]  # fmt: skip
    return table, groups


def every_spec(areas=AREAS):
    table, groups = comparison(areas)
    return {
        "grid": charts.value_code_grid(answers(areas), title="Grid", scale=SCALE),
        "areas": charts.level_distribution(area_rows(areas), title="Areas", scale=SCALE),
        "compare": charts.comparison_dots(table, groups, title="Compare", scale=SCALE),
        "heatmap": charts.heatmap(
            {"areas": [{"name": a} for a in areas],
             "rows": [{"label": "North West", "cells": [{"area": a, "median": 2.5} for a in areas]}]},
            title="Heat", scale=SCALE,
        ),
        "rates": charts.rate_bars(
            [{"label": "North West", "rate": 0.5, "submitted": 5, "eligible": 10}], title="Rates"
        ),
        "map": charts.participation_map([{"key": "North West", "rate": 0.5}], title="Map"),
    }  # fmt: skip


class ChartSpecTests(SimpleTestCase):
    def test_every_chart_is_valid_vega_lite_with_its_data_in_place(self):
        # The builders skip Altair's own schema check (charts._spec); it is done here instead.
        schema = load_schema()
        for name, spec in every_spec().items():
            with self.subTest(name):
                validate_jsonschema(spec, schema)
                self.assertIn("values", spec["data"])
                self.assertNotEqual(spec["data"]["values"], [])

    def test_label_limits_are_left_off_only_when_every_label_fits(self):
        self.assertEqual(charts._limit(AREAS, 260), 0)
        self.assertEqual(charts._limit([*AREAS, LONG], 260), 260)
        self.assertEqual(charts._limit(None, 260), 260)  # labels unknown: keep the limit
        with mock.patch.object(charts, "_label_font", return_value=None):
            self.assertEqual(charts._limit(AREAS, 260), 260)  # no font to measure with

        specs = every_spec([*AREAS, LONG])
        self.assertEqual(specs["grid"]["config"]["axis"]["labelLimit"], 260)
        self.assertEqual(specs["areas"]["config"]["axis"]["labelLimit"], 260)
        # The "similar profile" label is longer than a legend's 160 pixels: limit kept.
        self.assertNotIn("labelLimit", specs["compare"]["config"]["legend"])
        specs = every_spec()
        self.assertEqual(specs["grid"]["config"]["axis"]["labelLimit"], 0)
        self.assertEqual(specs["grid"]["config"]["legend"]["labelLimit"], 0)

    def test_leaving_a_limit_off_draws_the_same_chart(self):
        for areas in (AREAS, [*AREAS, LONG]):
            spec = charts.value_code_grid(answers(areas), title="Grid", scale=SCALE)
            with_limits = copy.deepcopy(spec)
            with_limits["config"]["axis"]["labelLimit"] = charts.AXIS_LABEL_LIMIT
            with_limits["config"]["legend"]["labelLimit"] = charts.LEGEND_LABEL_LIMIT
            with self.subTest(long_label=LONG in areas):
                svg = charts.render_svg(spec)
                self.assertEqual(svg, charts.render_svg(with_limits))
                self.assertEqual("…" in svg, LONG in areas)  # a long name is still cut short


class HeatmapReadableTests(SimpleTestCase):
    def test_a_heat_maps_numbers_and_labels_are_readable_at_full_size(self):
        """Issue 15: the heat maps' numbers were 11 px (about 8 px once scaled). Each cell's
        number and each row's and column's label is drawn at 13 px or more."""
        import re

        codes = ["EC", "ESM", "WP"]  # the heat maps' columns are key areas' codes
        matrix = {
            "areas": [{"name": c} for c in codes],
            "rows": [{"label": "North West", "cells": [{"area": c, "median": 2.5} for c in codes]}],
        }
        svg = charts.render_svg(charts.heatmap(matrix, title="Heat", scale=SCALE))
        texts = re.findall(r'<text[^>]*font-size="([0-9.]+)px"[^>]*>([^<]*)</text>', svg)
        wanted = {"2.5", "North West", *codes}
        sizes = {content: float(size) for size, content in texts if content in wanted}
        self.assertEqual(set(sizes), wanted)
        for content, size in sizes.items():
            self.assertGreaterEqual(size, 13, content)

    def test_a_heat_maps_full_key_area_names_are_not_cut_short(self):
        matrix = {
            "areas": [{"name": a} for a in AREAS],
            "rows": [{"label": "Metropolitan borough", "cells": [{"area": a, "median": 3} for a in AREAS]}],
        }  # fmt: skip
        svg = charts.render_svg(charts.heatmap(matrix, title="Heat", scale=SCALE))
        for name in AREAS:
            self.assertIn(f">{name}</text>", svg)
        self.assertNotIn("…", svg)
