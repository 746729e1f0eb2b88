"""The coverage heat map, drawn with the project's Altair → SVG helpers (analytics/charts.py)."""

from __future__ import annotations

from diagnostic.analytics.charts import _ROWS, _config, _spec

COLUMNS = ["Need help", "Can give inside", "Nobody inside covers"]


def coverage_heatmap(rows: list[dict], *, title: str) -> dict:
    """Value codes × (need help, can give, not covered): the number of councils in each cell."""
    import altair as alt

    data = []
    for r in rows:
        cov = r["row"]
        for column, names in zip(COLUMNS, (cov.needs, cov.gives, cov.uncovered), strict=True):
            data.append(
                {"code": cov.code, "column": column, "n": len(names), "text": str(len(names))}
            )
    codes = [r["row"].code for r in rows]
    base = alt.Chart(alt.Data(name=_ROWS)).encode(
        x=alt.X("column:N", title=None, sort=COLUMNS, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("code:N", title=None, sort=codes),
    )
    rects = base.mark_rect(stroke="#ffffff").encode(
        color=alt.Color("n:Q", title="Councils", scale=alt.Scale(scheme="blues"))
    )
    # Dark numbers are unreadable on the darkest blues: white on the upper half of the scale.
    dark = max((d["n"] for d in data), default=0) * 0.5
    text = base.mark_text(fontSize=11).encode(
        text="text:N",
        color=alt.condition(f"datum.n > {dark}", alt.value("#ffffff"), alt.value("#0b0c0c")),
    )
    chart = (rects + text).properties(
        width=3 * 130, height=16 * max(1, len(codes)), title=title, description=title
    )
    return _spec(_config(chart, axis_labels=COLUMNS + codes), {"values": data})
