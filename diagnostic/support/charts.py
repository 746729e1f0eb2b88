"""Support targeting's charts, built with the dashboards' Altair → vl-convert helpers.

The map is the dashboards' choropleth (`analytics.charts.participation_map`) fed the share of
demand left unmet in each region; the heat map draws unmet demand (councils), not levels, so it
has its own spec here on the same configuration. Every chart is shown beside a table of the
same figures.
"""

from __future__ import annotations

from diagnostic.analytics import charts as base


def unmet_heatmap(heat: dict, *, title: str) -> dict:
    """Unmet demand per region × key area: darker is more councils left without support; every
    shown cell is labelled with its number, hidden cells are left blank."""
    import altair as alt

    data = []
    for row in heat["rows"]:
        for cell in row["cells"]:
            if cell["unmet"] is None:
                continue
            data.append({"row": row["label"], "area": cell["area_code"], "unmet": cell["unmet"],
                         "text": f"{cell['unmet']:g}"})  # fmt: skip
    top = max((d["unmet"] for d in data), default=0) or 1
    chart_base = alt.Chart(alt.Data(name=base._ROWS)).encode(
        x=alt.X("area:N", title="Key area", sort=[a["code"] for a in heat["areas"]],
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("row:N", title=None, sort=[r["label"] for r in heat["rows"]]),
    )  # fmt: skip
    rects = chart_base.mark_rect(stroke="#ffffff").encode(
        color=alt.Color("unmet:Q", title="Unmet demand (councils)",
                        scale=alt.Scale(scheme="oranges", domain=[0, top])),
    )  # fmt: skip
    # Dark numbers are unreadable on the darkest oranges: white on the upper half of the scale.
    text = chart_base.mark_text(fontSize=11).encode(
        text="text:N",
        color=alt.condition(
            f"datum.unmet > {top * 0.5}", alt.value("#ffffff"), alt.value("#0b0c0c")
        ),
    )
    chart = (rects + text).properties(
        width=40 * max(1, len(heat["areas"])),
        height=24 * max(1, len(heat["rows"])),
        title=title,
        description=title,
    )
    return base._spec(base._config(chart), {"values": data})


def unmet_map(by_region: list[dict], *, title: str) -> dict:
    rows = [r for r in by_region if not r["suppressed"]]
    return base.participation_map(rows, title=title, legend_title="Demand unmet")
