"""Charts as Vega-Lite specs built with Altair and rendered to SVG on the server.

The same SVG is shown on screen (as an image with alternative text, beside a table of the same
figures) and in PDFs. Rendering is cached by the spec's content, so a chart is drawn once per
distinct set of figures, not once per request. Colour is never the only cue: every bar and cell
is also labelled.

Two things keep a chart cheap to build and draw (docs/performance.md, "The council PDF's
time"): Altair builds each spec around a placeholder dataset and the rows are put in afterwards
(`_spec`), because Altair copying and checking every row took half the time of building a
spec; and a label length limit is set only when a label could reach it (`_limit`), because
vl-convert measuring every label against its limit took a third of the time of drawing the
council report's charts. Neither changes a spec's meaning or the drawn SVG.
"""

from __future__ import annotations

import base64
import contextvars
import functools
import hashlib
import json
from pathlib import Path

from django.core.cache import cache

# Levels, their names and colours come from the framework version (`frameworks/levels.py`):
# every chart that shows levels takes the round's `LevelScale`.
FONT = "DejaVu Sans"
REGIONS_GEOJSON = (
    Path(__file__).resolve().parent.parent / "organisations" / "data" / "regions.geojson"
)


LABEL_FONT_SIZE = 11
# A heat map is read cell by cell: its numbers and labels are larger than other charts' labels.
HEATMAP_FONT_SIZE = 13
AXIS_LABEL_LIMIT = 260  # pixels; a longer axis label is cut short with "…"
LEGEND_LABEL_LIMIT = 160  # Vega's default for legend labels
# A label counts as short enough to need no limit when its measured width is at most this share
# of the limit. Our measure and vl-convert's agree to within a pixel on the framework's names
# (both read the font's advances; they differ at most by kerning); 3 % is 8 pixels of room.
LIMIT_MARGIN = 0.97
# The rows of a chart's data are put into the spec after Altair has built it (`_spec`).
_ROWS = "rows"


def _config(chart, *, axis_labels=None, legend_labels=None):
    """Fonts and sizes shared by every chart.

    `axis_labels` / `legend_labels`: every label the chart's axes / legend can show, when the
    caller knows them. If none of them can reach its length limit, the limit is left off (0:
    no limit), which gives the same SVG without vl-convert measuring every label against it.
    """
    legend = {"labelLimit": 0} if _limit(legend_labels, LEGEND_LABEL_LIMIT) == 0 else {}
    return (
        chart.configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(
            labelFontSize=LABEL_FONT_SIZE, titleFontSize=12,
            labelLimit=_limit(axis_labels, AXIS_LABEL_LIMIT),
        )
        .configure_legend(labelFontSize=LABEL_FONT_SIZE, titleFontSize=12, orient="bottom", **legend)
    )  # fmt: skip


def _limit(labels, limit: int) -> int:
    """`limit`, or 0 (no limit) if every label is measurably well inside it.

    Measured with the chart font (Pillow and FreeType, the same font file vl-convert uses). The
    limit is kept, which is never wrong, only slower, when the labels are not known, when the
    font or Pillow cannot be found, or when a label has a character outside the Latin scripts
    (vl-convert would draw it from another font, whose widths we do not measure).
    """
    if labels is None:
        return limit
    labels = [str(label) for label in labels]
    font = _label_font()
    if font is None or any(not _LATIN.issuperset(label) for label in labels):
        return limit
    widest = max((font.getlength(label) for label in labels), default=0)
    return 0 if widest <= LIMIT_MARGIN * limit else limit


# Characters the chart font (DejaVu Sans) certainly has: Latin up to Latin Extended-B, and
# typographic punctuation.
_LATIN = frozenset(map(chr, range(0x20, 0x250))) | frozenset("‘’‚“”„–—…•€™")


@functools.cache
def _label_font():
    try:
        from PIL import ImageFont

        return ImageFont.truetype("DejaVuSans.ttf", LABEL_FONT_SIZE)
    except (ImportError, OSError):
        return None


def _spec(chart, data: dict) -> dict:
    """The chart's Vega-Lite spec as a dict, with its data (`{"values": rows, ...}`) put in.

    The chart is built on `alt.Data(name=_ROWS)`; Altair leaves that as the spec's top-level
    `data`, which is replaced here: the same dict Altair gives when handed the rows, without
    Altair copying and checking each row. Altair's schema check of the rest is skipped too
    (`validate=False`): it only guards this module's own code, and the tests check every
    chart's spec against the Vega-Lite schema (`diagnostic/analytics/tests/test_charts.py`).
    """
    spec = chart.to_dict(validate=False)
    if spec.get("data") != {"name": _ROWS}:
        raise ValueError("A chart must be built on alt.Data(name=_ROWS), its data given here")
    spec["data"] = data
    return spec


def render_svg(spec: dict) -> str:
    """SVG for a Vega-Lite spec, cached by content for a day.

    Drawn by the web process's chart-drawing child (`chart_process`, docs/decisions/0038), so
    vl-convert's V8 engine never lives in a web worker; it is handed the spec as the same JSON
    text the cache key is made from."""
    from diagnostic.analytics import chart_process

    text = json.dumps(spec, sort_keys=True, default=str)
    key = "chart-svg:" + hashlib.sha256(text.encode()).hexdigest()
    svg = cache.get(key)
    if svg is None:
        svg = chart_process.draw_svg(text)
        cache.set(key, svg, 24 * 3600)
    return svg


# The signed-in person the page being built is for; set for each request by
# `analytics.middleware.ChartViewerMiddleware`, so chart URLs are minted for them alone.
chart_viewer: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "chart_viewer", default=None
)


def _signature(digest: str, user_id: int | None) -> str:
    from django.utils.crypto import salted_hmac

    return salted_hmac("analytics.chart", f"{user_id}:{digest}").hexdigest()[:32]


# How long a chart's URL keeps working after a page last put it on, and how long a process
# remembers that it has stored a chart (so it does not write it again on every page).
CHART_URL_DAYS = 8
_STORED_SECONDS = 24 * 3600

# The charts minted while this request is handled and not yet stored: written in one
# statement before the response leaves (`analytics.middleware.ChartViewerMiddleware`).
pending_charts: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "pending_charts", default=None
)


def url_for(spec: dict) -> str:
    """A URL serving the chart's SVG for the person viewing now (`mint` and `signed_url`)."""
    return signed_url(mint(spec))


def mint(spec: dict) -> str:
    """Render the chart and store its SVG; its digest (the key of its URL).

    The SVG is stored in the database (`lib.ChartImage`), because the browser's request for it
    may reach another worker or app server than the page did (docs/decisions/0028). The
    charts of one page are stored together in one statement before the response is sent
    (`store_pending`); a process that has stored a chart does not store it again for a day
    (a marker in its cache), so showing a page does not write on every view."""
    text = json.dumps(spec, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()
    if cache.get("chart-stored:" + digest) is None:
        pending = pending_charts.get()
        if pending is None:  # outside a request: store it now
            _store({digest: render_svg(spec)})
        else:
            pending[digest] = render_svg(spec)
    return digest


def signed_url(digest: str) -> str:
    """The chart's URL for the person viewing the page now.

    The URL carries the spec's hash and an HMAC of it with the viewer's id, so it works only
    for the person whose page it was put on: someone who could not see the page cannot fetch
    its chart, even knowing (or guessing) the figures behind it (ASVS 8.2.2)."""
    from django.urls import reverse

    return reverse("analytics:chart", args=[f"{digest}-{_signature(digest, chart_viewer.get())}"])


class Chart(dict):
    """What a template needs to show a chart: `src`, `alt`, `label`.

    A chart drawn for a cached figure is shown to everyone who reads that figure, so its URL is
    signed when it is read (`chart.src` in the template), for the person viewing then, not
    when it was drawn: a URL signed for whoever happened to fill the cache would be refused
    (404) to everyone else."""

    def __getitem__(self, key):
        if key == "src" and "digest" in self:
            return signed_url(dict.__getitem__(self, "digest"))
        return dict.__getitem__(self, key)

    def __contains__(self, key) -> bool:
        return key == "src" or dict.__contains__(self, key)

    def get(self, key, default=None):
        return self[key] if key in self else default  # noqa: SIM401 (self.get is this method)


def store_pending() -> None:
    """Store the charts minted while handling this request (one statement, if any)."""
    pending = pending_charts.get()
    if pending:
        _store(pending)
        pending.clear()


def _store(svgs: dict[str, str]) -> None:
    from django.utils import timezone

    from diagnostic.lib.models import ChartImage

    now = timezone.now()
    ChartImage.objects.bulk_create(
        [ChartImage(digest=d, svg=svg, minted_at=now) for d, svg in svgs.items()],
        update_conflicts=True, update_fields=["minted_at"], unique_fields=["digest"],
    )  # fmt: skip
    cache.set_many({"chart-stored:" + d: True for d in svgs}, _STORED_SECONDS)


def delete_old_charts() -> int:
    """Delete charts no page has put on for CHART_URL_DAYS (`manage.py apply_retention`)."""
    import datetime as dt

    from django.utils import timezone

    from diagnostic.lib.models import ChartImage

    since = timezone.now() - dt.timedelta(days=CHART_URL_DAYS)
    return ChartImage.objects.filter(minted_at__lt=since).delete()[0]


def svg_for_key(key: str, user_id: int | None) -> str | None:
    """The SVG for a chart URL's key (`<digest>-<signature>`), if it was minted for `user_id`."""
    from django.utils.crypto import constant_time_compare

    digest, _, signature = key.partition("-")
    if len(digest) != 64 or not constant_time_compare(signature, _signature(digest, user_id)):
        return None
    return svg_for_digest(digest)


def svg_for_digest(digest: str) -> str | None:
    import datetime as dt

    from django.utils import timezone

    from diagnostic.lib.models import ChartImage

    since = timezone.now() - dt.timedelta(days=CHART_URL_DAYS)
    return (
        ChartImage.objects.filter(digest=digest, minted_at__gte=since)
        .values_list("svg", flat=True)
        .first()
    )


def as_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def level_distribution(rows: list[dict], *, title: str, scale) -> dict:
    """Horizontal stacked bars: the share of answers at each level, one bar per row."""
    import altair as alt

    data = []
    for order, row in enumerate(rows):
        if row.get("suppressed") or not row.get("answers"):
            continue
        for lv in scale.numbers:
            n = row["counts"].get(lv, 0)
            data.append({
                "group": row["name"], "order": order, "level": scale.label(lv), "lv": lv,
                "share": n / row["answers"], "label": f"{round(100 * n / row['answers'])}%" if n / row["answers"] >= 0.08 else "",
            })  # fmt: skip
    groups = [r["name"] for r in rows if not r.get("suppressed") and r.get("answers")]
    base = alt.Chart(alt.Data(name=_ROWS)).encode(y=alt.Y("group:N", sort=groups, title=None))
    bars = base.mark_bar(stroke="#ffffff", strokeWidth=1).encode(
        x=alt.X("share:Q", axis=alt.Axis(format="%"), title="Share of answers", scale=alt.Scale(domain=[0, 1]), stack="zero"),
        order=alt.Order("lv:Q"),
        color=alt.Color(
            "level:N", title="Level",
            scale=alt.Scale(domain=scale.labels, range=[scale.colours[lv] for lv in scale.numbers]),
        ),
    )  # fmt: skip
    # Each segment labelled with its share at its middle, so colour is not the only cue.
    text = (
        base.transform_window(end="sum(share)", groupby=["group"], sort=[alt.SortField("lv")])
        .transform_calculate(mid="datum.end - datum.share / 2")
        .mark_text(fontSize=10, color="#0b0c0c")
        .encode(x=alt.X("mid:Q"), text="label:N")
    )
    chart = (bars + text).properties(
        width=560, height=max(60, 26 * len(rows)), title=title, description=title
    )
    return _spec(
        _config(chart, axis_labels=[*groups, "100%"], legend_labels=scale.labels),
        {"values": data},
    )


@functools.cache
def _regions_for_vega() -> dict:
    """The shipped region outlines with their rings reversed: the file follows RFC 7946
    (outer rings anticlockwise) but Vega's d3-geo wants them clockwise, or every shape
    becomes "the whole world except this region"."""
    geo = json.loads(REGIONS_GEOJSON.read_text(encoding="utf-8"))

    def rewind(geometry: dict) -> dict:
        if geometry["type"] == "Polygon":
            return {**geometry, "coordinates": [ring[::-1] for ring in geometry["coordinates"]]}
        if geometry["type"] == "MultiPolygon":
            return {
                **geometry,
                "coordinates": [[ring[::-1] for ring in poly] for poly in geometry["coordinates"]],
            }
        return geometry

    return {**geo, "features": [{**f, "geometry": rewind(f["geometry"])} for f in geo["features"]]}


def participation_map(rows: list[dict], *, title: str, legend_title: str = "Submitted") -> dict:
    """A choropleth of the submission rate by region (England's regions, Wales, NI); any other
    share per region (`rate`, 0 to 1) with `legend_title`, e.g. support's unmet demand."""
    import altair as alt

    geo = _regions_for_vega()
    rates = {r["key"]: r["rate"] for r in rows if r.get("rate") is not None}
    features = []
    for f in geo["features"]:
        name = f["properties"].get("name") or f["properties"].get("region")
        if name not in rates:
            continue
        f = {
            **f,
            "properties": {
                "name": name,
                "rate": rates[name],
                "label": f"{name}: {round(100 * rates[name])}%",
            },
        }
        features.append(f)
    chart = (
        alt.Chart(alt.Data(name=_ROWS))
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.8)
        .encode(
            color=alt.Color(
                "properties.rate:Q",
                title=legend_title,
                scale=alt.Scale(scheme="blues", domain=[0, 1]),
                legend=alt.Legend(format="%"),
            ),  # fmt: skip
            tooltip=alt.Tooltip("properties.label:N"),
        )
        .project(type="mercator")
        .properties(width=360, height=420, title=title, description=title)
    )
    return _spec(_config(chart), {"values": features, "format": {"type": "json"}})


COUNCILS_GEOJSON = REGIONS_GEOJSON.parent / "lad_current.geojson"
STAGE_COLOURS = {"Not started": "#b1b4b6", "In progress": "#5694ca", "Submitted": "#003078"}


@functools.cache
def _council_features() -> dict[str, dict]:
    """The shipped council outlines by GSS code, rings reversed for Vega (_regions_for_vega)."""
    data = json.loads(COUNCILS_GEOJSON.read_text(encoding="utf-8"))

    def rewind(g: dict) -> dict:
        if g["type"] == "Polygon":
            return {**g, "coordinates": [ring[::-1] for ring in g["coordinates"]]}
        if g["type"] == "MultiPolygon":
            return {**g, "coordinates": [[r[::-1] for r in poly] for poly in g["coordinates"]]}
        return g

    return {
        f["properties"]["gss_code"]: {**f, "geometry": rewind(f["geometry"])}
        for f in data["features"]
    }


def council_stage_map(stages: dict[str, tuple[str, str]], *, title: str) -> dict:
    """A region's councils, each shaded by how far it has got in the round (not sensitive; the
    round page lists them by name). `stages`: GSS code -> (council name, stage label)."""
    import altair as alt

    features = []
    for gss, (name, stage) in sorted(stages.items()):
        f = _council_features().get(gss)
        if f is None:
            continue
        features.append({**f, "properties": {"name": name, "stage": stage,
                                             "label": f"{name}: {stage.lower()}"}})  # fmt: skip
    chart = (
        alt.Chart(alt.Data(name=_ROWS))
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.8)
        .encode(
            color=alt.Color(
                "properties.stage:N",
                title="Stage",
                scale=alt.Scale(domain=list(STAGE_COLOURS), range=list(STAGE_COLOURS.values())),
            ),  # fmt: skip
            tooltip=alt.Tooltip("properties.label:N"),
        )
        .project(type="mercator")
        .properties(width=360, height=420, title=title, description=title)
    )
    return _spec(
        _config(chart, legend_labels=list(STAGE_COLOURS)),
        {"values": features, "format": {"type": "json"}},
    )


def rate_bars(rows: list[dict], *, title: str) -> dict:
    import altair as alt

    data = [
        {
            "group": r["label"],
            "rate": r["rate"] or 0,
            "text": f"{round(100 * (r['rate'] or 0))}% ({r['submitted']} of {r['eligible']})",
        }
        for r in rows
    ]
    base = alt.Chart(alt.Data(name=_ROWS)).encode(y=alt.Y("group:N", title=None, sort=None))
    bars = base.mark_bar(color="#1d70b8").encode(
        x=alt.X(
            "rate:Q", axis=alt.Axis(format="%"), title="Submitted", scale=alt.Scale(domain=[0, 1])
        )
    )
    text = base.mark_text(align="left", dx=4, fontSize=10, color="#0b0c0c").encode(
        x="rate:Q", text="text:N"
    )
    return _spec(
        _config(
            (bars + text).properties(
                width=460, height=max(60, 24 * len(rows)), title=title, description=title
            )
        ),
        {"values": data},
    )


def heatmap(matrix: dict, *, title: str, scale) -> dict:
    """Median level per row × key area, coloured by level and labelled with the number."""
    import altair as alt

    lo, hi = scale.lowest, scale.highest
    data = []
    for row in matrix["rows"]:
        for cell in row["cells"]:
            if cell["median"] is None:
                continue
            data.append({"row": row["label"], "area": cell["area"], "median": cell["median"],
                         "band": scale.label(max(lo, min(hi, round(cell["median"] - 1e-9)))), "text": f"{cell['median']:g}"})  # fmt: skip
    # Read at 100% zoom beside body text (issue 15: the cells' numbers were 11 px): numbers
    # and labels at HEATMAP_FONT_SIZE, cells big enough to hold them.
    base = alt.Chart(alt.Data(name=_ROWS)).encode(
        x=alt.X(
            "area:N",
            title=None,
            sort=[a["name"] for a in matrix["areas"]],
            # Full key area names (the regional heat map's columns) are never cut short.
            axis=alt.Axis(labelAngle=-40, labelFontSize=HEATMAP_FONT_SIZE, labelLimit=0),
        ),
        y=alt.Y(
            "row:N",
            title=None,
            sort=[r["label"] for r in matrix["rows"]],
            axis=alt.Axis(labelFontSize=HEATMAP_FONT_SIZE, labelLimit=0),
        ),
    )
    rects = base.mark_rect(stroke="#ffffff").encode(
        color=alt.Color(
            "band:N",
            title="Median level",
            scale=alt.Scale(domain=scale.labels, range=[scale.colours[lv] for lv in scale.numbers]),
        ),  # fmt: skip
    )
    text = base.mark_text(fontSize=HEATMAP_FONT_SIZE, color="#0b0c0c").encode(text="text:N")
    chart = (rects + text).properties(
        width=44 * len(matrix["areas"]),
        height=30 * max(1, len(matrix["rows"])),
        title=title,
        description=title,
    )
    return _spec(_config(chart), {"values": data})


def chart(spec: dict, *, alt_text: str, inline: bool = False) -> dict:
    """What a template needs: the image and its alternative text. `inline=True` embeds the
    SVG as a data URI (for PDFs, which fetch nothing)."""
    if inline:
        return Chart(src=as_data_uri(render_svg(spec)), alt=alt_text, label=_title_of(spec))
    return Chart(digest=mint(spec), alt=alt_text, label=_title_of(spec))


def _title_of(spec: dict) -> str:
    """The chart's title, naming the region it scrolls in on a narrow screen."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title) if title else "Chart"


def late_chart(make_spec, *, alt_text: str, late_images) -> dict:
    """`chart` for a PDF whose charts are drawn while it renders (`reports.pdf.LateImages`):
    `make_spec()` is called, and the chart drawn, only when the PDF renderer gets to it."""
    return {
        "src": late_images.add(lambda: render_svg(make_spec())),
        "alt": alt_text,
        "label": "Chart",
    }


def comparison_dots(
    table: list[dict], groups: list[dict], *, title: str, scale, own_label: str = "Your council"
) -> dict:
    """Per key area, the council's median level beside each comparison group's median.

    Each group has a row of its own within the key area's band (yOffset), so markers at the same
    level never hide each other; the legend is one label a line, never cut short."""
    import altair as alt

    labels = {g["key"]: g["label"] for g in groups}
    data = []
    for order, row in enumerate(table):
        if row["median"] is not None:
            data.append(
                {
                    "area": row["name"],
                    "order": order,
                    "who": own_label,
                    "median": row["median"],
                }
            )
        for cell in row["cells"]:
            if not cell["too_few"] and cell["median"] is not None:
                data.append(
                    {
                        "area": row["name"],
                        "order": order,
                        "who": labels[cell["group"]],
                        "median": cell["median"],
                    }
                )
    who = [own_label, *[g["label"] for g in groups]]
    shapes = ["diamond", "circle", "square", "triangle-up", "cross"][: len(who)]
    chart = (
        alt.Chart(alt.Data(name=_ROWS))
        .mark_point(size=70, filled=True, opacity=0.9)
        .encode(
            y=alt.Y("area:N", sort=[r["name"] for r in table], title=None),
            yOffset=alt.YOffset("who:N", sort=who, scale=alt.Scale(domain=who, paddingOuter=0.5)),
            x=alt.X(
                "median:Q",
                title="Median level",
                scale=alt.Scale(domain=[scale.lowest, scale.highest]),
                axis=alt.Axis(values=list(scale.numbers)),
            ),
            color=alt.Color(
                "who:N",
                title=None,
                scale=alt.Scale(
                    domain=who,
                    range=["#0b0c0c", "#1d70b8", "#f47738", "#4c2c92", "#00703c"][: len(who)],
                ),
                legend=alt.Legend(labelLimit=0, columns=1),
            ),
            shape=alt.Shape("who:N", title=None, scale=alt.Scale(domain=who, range=shapes)),
        )
        .properties(
            width=480,
            height={"step": 12 * len(who) + 10, "for": "position"},
            title=title,
            description=title,
        )
    )
    return _spec(
        _config(
            chart, axis_labels=[*(r["name"] for r in table), str(scale.highest)], legend_labels=who
        ),
        {"values": data},
    )


def value_code_grid(answers: list, *, title: str, scale) -> dict:
    """Every value code as a cell, coloured by the council's current level and labelled."""
    import altair as alt

    data, seen = [], {}
    for a in answers:
        area = a.value_code.key_area.name
        seen[area] = seen.get(area, 0) + 1
        lv = a.current_level
        band = scale.label(lv) if lv in scale else "Not yet assessed" if lv == 0 else "Not answered"
        data.append({"area": area, "col": seen[area], "code": a.value_code.code, "band": band,
                     "text": f"{a.value_code.code}: {lv if lv else '–'}"})  # fmt: skip
    domain = [*scale.labels, "Not yet assessed", "Not answered"]
    rng = [scale.colours[lv] for lv in scale.numbers] + ["#b1b4b6", "#f3f2f1"]
    base = alt.Chart(alt.Data(name=_ROWS)).encode(
        x=alt.X("col:O", title=None, axis=None), y=alt.Y("area:N", title=None, sort=None)
    )
    rects = base.mark_rect(stroke="#ffffff", strokeWidth=2).encode(
        color=alt.Color("band:N", title="Current level", scale=alt.Scale(domain=domain, range=rng))
    )
    text = base.mark_text(fontSize=9, color="#0b0c0c").encode(text="text:N")
    chart = (rects + text).properties(
        width=7 * 62, height=26 * max(1, len(seen)), title=title, description=title
    )
    return _spec(_config(chart, axis_labels=seen, legend_labels=domain), {"values": data})
