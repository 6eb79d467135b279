"""Altair charts of the answer pages (why boring, lines, domains, width & depth).

Pure functions from the frames of :mod:`relucurves.boring`, :mod:`relucurves.domains` and
:mod:`relucurves.scaling` to charts; the exact curves themselves are drawn with
:func:`relucurves.charts.curves`.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from relucurves import charts
from relucurves.boring import DISTANCE_BINS

ACCENT = "#e4572e"


def distance_histogram(frame: pd.DataFrame, range_label: str) -> alt.Chart:
    """Grouped bars: the fraction of kinks in each distance bin, one colour per series."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "bin:O",
                sort=list(DISTANCE_BINS),
                title=f"distance outside {range_label}, in widths of the range",
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("series:N"),
            y=alt.Y("fraction:Q", title="fraction of kinks", axis=alt.Axis(format="%")),
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                "series:N",
                alt.Tooltip("bin:O", title="distance (range widths)"),
                alt.Tooltip("count:Q", title="kinks"),
                alt.Tooltip("fraction:Q", format=".2%"),
            ],
        )
        .properties(height=300)
    )


def pieces_vs_range(frame: pd.DataFrame, current_width: float | None = None) -> alt.LayerChart:
    """Mean and max pieces per pixel sweep against the width of the swept range (log x)."""
    long = frame.melt(
        id_vars=["lo", "hi", "width"], value_vars=["mean", "max"], var_name="over pixels"
    )
    base = alt.Chart(long).encode(
        x=alt.X(
            "width:Q",
            title="width of the swept range (log)",
            scale=alt.Scale(type="log", nice=False),
        ),
        y=alt.Y("value:Q", title="linear pieces"),
        color=alt.Color("over pixels:N", legend=alt.Legend(orient="top")),
        tooltip=[
            "over pixels:N",
            alt.Tooltip("lo:Q", title="from"),
            alt.Tooltip("hi:Q", title="to"),
            alt.Tooltip("value:Q", title="pieces", format=".3~f"),
        ],
    )
    layers = [base.mark_line(), base.mark_point(filled=True, size=50)]
    if current_width is not None and current_width > 0:
        now = pd.DataFrame({"width": [current_width], "what": ["the range in the sidebar"]})
        layers.append(
            alt.Chart(now)
            .mark_rule(color=ACCENT, strokeDash=[4, 3])
            .encode(x="width:Q", tooltip=["what:N", alt.Tooltip("width:Q", title="width")])
        )
    return alt.layer(*layers).properties(height=300)


def baseline_bars(frame: pd.DataFrame) -> alt.FacetChart:
    """The counts of :func:`relucurves.boring.baseline_table`, one panel per count."""
    names = {
        "mean_pieces": "mean pieces per pixel",
        "max_pieces": "max pieces per pixel",
        "active_at_baseline": "units active at the baseline",
    }
    long = frame.melt(id_vars="baseline", value_vars=list(names), var_name="count")
    long["count"] = long["count"].map(names)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y(
                "baseline:N",
                sort=list(frame["baseline"]),
                title=None,
                axis=alt.Axis(labelOverlap=False),
            ),
            x=alt.X("value:Q", title=None),
            color=alt.condition(
                alt.datum.baseline == "mean", alt.value(ACCENT), alt.value("#4c78a8")
            ),
            tooltip=["baseline:N", "count:N", alt.Tooltip("value:Q", format=".3~f")],
        )
        .properties(width=220, height=alt.Step(20))
        .facet(column=alt.Column("count:N", title=None, sort=list(names.values())))
        .resolve_scale(x="independent")
    )


def logit_ranges(frame: pd.DataFrame) -> alt.LayerChart:
    """Each logit's range along the sweep (bar) and its value at the baseline (dot)."""
    y = alt.Y("name:N", sort=None, title=None, axis=alt.Axis(labelOverlap=False))
    tooltip = [
        alt.Tooltip("name:N", title="class"),
        alt.Tooltip("baseline:Q", title="logit at baseline", format=".4~f"),
        alt.Tooltip("sweep_min:Q", title="lowest along sweep", format=".4~f"),
        alt.Tooltip("sweep_max:Q", title="highest along sweep", format=".4~f"),
        alt.Tooltip("variation:Q", title="total variation", format=".4~f"),
    ]
    spans = (
        alt.Chart(frame)
        .mark_bar(height=10, color=ACCENT)
        .encode(y=y, x=alt.X("sweep_min:Q", title="logit"), x2="sweep_max:Q", tooltip=tooltip)
    )
    dots = alt.Chart(frame).mark_point(color="#1d2330").encode(y=y, x="baseline:Q", tooltip=tooltip)
    title = "Logits at the baseline (dots) and how far the sweep moves them (bars)"
    return alt.layer(spans, dots, title=title).properties(height=alt.Step(24))


def t_marker(t: float, label: str) -> alt.Chart:
    """A vertical rule at t, to lay over a curve chart."""
    frame = pd.DataFrame({"t": [float(t)], "what": [label]})
    return (
        alt.Chart(frame)
        .mark_rule(color=ACCENT, strokeWidth=2)
        .encode(x="t:Q", tooltip=["what:N", alt.Tooltip("t:Q", format=".4~g")])
    )


def domain_pieces(summary: pd.DataFrame) -> alt.HConcatChart:
    """Pieces per sweep and per standard deviation of data range, against input dimension."""
    x = alt.X("inputs:Q", title="input dimension (log)", scale=alt.Scale(type="log"))
    tooltip = [
        alt.Tooltip("title:N", title="domain"),
        alt.Tooltip("inputs:Q", title="inputs"),
        alt.Tooltip("width:Q", title="hidden units"),
        alt.Tooltip("mean_pieces:Q", title="mean pieces per sweep", format=".3~f"),
        alt.Tooltip("max_pieces:Q", title="max pieces per sweep"),
        alt.Tooltip("median_pieces_per_std:Q", title="pieces per std (median)", format=".3~f"),
    ]
    base = (
        alt.Chart(summary)
        .transform_calculate(name="split(datum.title, ' (')[0]")
        .encode(
            x=x,
            color=alt.Color("name:N", legend=None, scale=alt.Scale(scheme="dark2")),
            tooltip=tooltip,
        )
    )

    def panel(field: str, title: str) -> alt.LayerChart:
        y = alt.Y(f"{field}:Q", title=title)
        dots = base.mark_point(filled=True, size=90).encode(y=y)
        names = base.mark_text(align="left", dx=7, dy=-7, fontSize=11).encode(y=y, text="name:N")
        return alt.layer(dots, names).properties(height=300, width=360)

    per_sweep = panel("mean_pieces", "mean pieces per sweep (bar: up to the max)")
    span = base.mark_rule(opacity=0.5).encode(y="mean_pieces:Q", y2="max_pieces:Q")
    return alt.hconcat(
        alt.layer(span, per_sweep, title="Pieces per one-input sweep over the data range"),
        panel(
            "median_pieces_per_std", "pieces per standard deviation (median over inputs)"
        ).properties(title="… per unit of data range"),
    )


def region_map(regions: pd.DataFrame, points: pd.DataFrame) -> alt.LayerChart:
    """Linear regions of a 2-input model (one colour per activation pattern) and the data."""
    half = [np.diff(np.unique(regions[c]))[:1].sum() / 2 for c in ("x1", "x2")]
    cells = (
        alt.Chart(regions)
        .transform_calculate(
            x1_lo=f"datum.x1 - {half[0]}",
            x1_hi=f"datum.x1 + {half[0]}",
            x2_lo=f"datum.x2 - {half[1]}",
            x2_hi=f"datum.x2 + {half[1]}",
        )
        .mark_rect()
        .encode(
            x=alt.X("x1_lo:Q", title="x1 (standardised)", scale=alt.Scale(nice=False)),
            x2="x1_hi:Q",
            y=alt.Y("x2_lo:Q", title="x2 (standardised)", scale=alt.Scale(nice=False)),
            y2="x2_hi:Q",
            color=alt.Color("shade:Q", scale=alt.Scale(scheme="sinebow"), legend=None),
            tooltip=[alt.Tooltip("region:Q", title="region id")],
        )
    )
    dots = (
        alt.Chart(points)
        .mark_circle(size=12, opacity=0.8, stroke="white", strokeWidth=0.3)
        .encode(
            x="x1:Q",
            y="x2:Q",
            color=alt.Color("class:N", scale=alt.Scale(range=["#111111", "#ffffff"]), legend=None),
            tooltip=["class:N"],
        )
    )
    count = regions["region"].nunique()
    title = f"At least {count} linear regions in view"
    return (
        alt.layer(cells, dots, title=title)
        .resolve_scale(color="independent")
        .properties(width=420, height=420)
    )


def regression_fit(vertices: pd.DataFrame, x: np.ndarray, y: np.ndarray) -> alt.LayerChart:
    """The data of a 1-D regression and the network's exact piecewise-linear fit."""
    data = pd.DataFrame({"t": np.asarray(x).reshape(-1), "value": np.asarray(y).reshape(-1)})
    dots = (
        alt.Chart(data).mark_circle(size=8, color="#999", opacity=0.4).encode(x="t:Q", y="value:Q")
    )
    fit = charts.curves(vertices, "output", x_title="input (standardised)")
    return alt.layer(dots, fit)


def scaling(results: pd.DataFrame) -> alt.FacetChart:
    """Pieces against neurons (log-log), by depth and state, one panel per measure."""
    base = alt.Chart(results).encode(
        x=alt.X("neurons:Q", title="hidden neurons, all layers (log)", scale=alt.Scale(type="log")),
        y=alt.Y("pieces:Q", title="mean linear pieces (log)", scale=alt.Scale(type="log")),
        color=alt.Color("depth:O", title="depth", scale=alt.Scale(scheme="dark2")),
        strokeDash=alt.StrokeDash("state:N", title="state"),
        shape=alt.Shape("state:N", title="state"),
        detail="state:N",
        tooltip=[
            "depth:O",
            "width:Q",
            "neurons:Q",
            "state:N",
            alt.Tooltip("pieces:Q", title="mean pieces", format=".3~f"),
            alt.Tooltip("max_pieces:Q", title="max pieces"),
        ],
    )
    layered = alt.layer(base.mark_line(), base.mark_point(filled=True, size=50))
    return (
        layered.properties(width=340, height=300)
        .facet(column=alt.Column("measure:N", title=None))
        .resolve_scale(y="independent")
    )
