"""Altair charts built from plain frames and arrays: no Streamlit, testable as specs.

Curves are drawn through their exact vertices (straight lines between kinks), so a
chart needs a few points per unit, not a dense sample.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

PIXEL_SELECTION = "pixel"
CELL = 10  # px per heatmap cell
GRID_TICKS = [0, 7, 14, 21, 27]


def grid_frame(values: np.ndarray, name: str = "value") -> pd.DataFrame:
    """A (28, 28) or (784,) array as one row per pixel: row, col, pixel, value."""
    flat = np.asarray(values).reshape(-1)
    side = int(round(np.sqrt(flat.size)))
    if side * side != flat.size:
        raise ValueError(f"a square image is needed, got {flat.size} values")
    rows, cols = np.divmod(np.arange(flat.size), side)
    return pd.DataFrame({"row": rows, "col": cols, "pixel": np.arange(flat.size), name: flat})


def _grid_axes() -> tuple[alt.X, alt.Y]:
    x = alt.X("col:O", title="column", axis=alt.Axis(values=GRID_TICKS, labelAngle=0))
    y = alt.Y("row:O", title="row", axis=alt.Axis(values=GRID_TICKS))
    return x, y


def _outline(row: int, col: int) -> alt.Chart:
    x, y = _grid_axes()
    cell = pd.DataFrame({"row": [row], "col": [col]})
    return alt.Chart(cell).mark_rect(filled=False, stroke="#e4572e", strokeWidth=2.5).encode(x, y)


def heatmap(
    values: np.ndarray,
    title: str,
    legend: str,
    selected: tuple[int, int] | None = None,
    domain: Sequence[float] | None = None,
    scheme: str = "viridis",
    selectable: bool = True,
    reverse: bool = False,
    cell: int = CELL,
) -> alt.LayerChart | alt.Chart:
    """A 28x28 map with tooltips; clicking a cell selects that pixel (row, col).

    The legend sits below the map so that maps fit side by side in narrow columns.
    """
    frame = grid_frame(values)
    x, y = _grid_axes()
    scale = alt.Scale(scheme=scheme, reverse=reverse)
    if domain is not None:
        scale.domain = list(domain)
    cells = (
        alt.Chart(frame, title=title)
        .mark_rect()
        .encode(
            x,
            y,
            color=alt.Color(
                "value:Q",
                title=legend,
                scale=scale,
                legend=alt.Legend(
                    orient="bottom", direction="horizontal", gradientLength=cell * 20
                ),
            ),
            tooltip=[
                alt.Tooltip("row:O"),
                alt.Tooltip("col:O", title="column"),
                alt.Tooltip("pixel:O", title="flat index"),
                alt.Tooltip("value:Q", title=legend, format=".4~g"),
            ],
        )
        .properties(width=28 * cell, height=28 * cell)
    )
    if selectable:
        pick = alt.selection_point(name=PIXEL_SELECTION, fields=["row", "col"], on="click")
        cells = cells.add_params(pick)
    chart = cells + _outline(*selected) if selected else cells
    return chart.properties(autosize=alt.AutoSizeParams(type="pad"))  # square cells, never squeezed


def image(
    values: np.ndarray, title: str, selected: tuple[int, int] | None = None, cell: int = CELL
) -> alt.Chart:
    """A greyscale image, 0 black and 1 white, with the swept pixel outlined."""
    # "greys" runs white to black; images read better the other way round
    return heatmap(
        values, title, "pixel value", selected, (0, 1), "greys", False, reverse=True, cell=cell
    )


def curves(
    vertices: pd.DataFrame,
    y_title: str,
    breakpoints: Sequence[float] = (),
    baseline_t: float | None = None,
    legend: bool = False,
    x_title: str = "pixel value t",
    height: int = 320,
    mark_kinks: bool = True,
) -> alt.LayerChart:
    """Lines through exact vertices (columns name, t, value), kinks as dots and rules.

    ``mark_kinks=False`` for curves that are sampled rather than piecewise linear.
    """
    encoding = {
        "x": alt.X("t:Q", title=x_title, scale=alt.Scale(zero=False, nice=False)),
        "y": alt.Y("value:Q", title=y_title),
        "color": alt.Color("name:N", title=None, legend=alt.Legend() if legend else None),
        "detail": "name:N",
        "tooltip": [
            alt.Tooltip("name:N", title="curve"),
            alt.Tooltip("t:Q", format=".6~g"),
            alt.Tooltip("value:Q", format=".6~g"),
        ],
    }
    lines = alt.Chart(vertices).mark_line(strokeWidth=1.5, opacity=0.8).encode(**encoding)
    layers = [lines]
    if mark_kinks:
        t = vertices["t"]
        inner = vertices[(t > t.min()) & (t < t.max())]
        layers.append(alt.Chart(inner).mark_point(size=25, filled=True).encode(**encoding))
    if len(breakpoints):
        rules = pd.DataFrame({"t": np.asarray(breakpoints, dtype=float)})
        layers.insert(
            0,
            alt.Chart(rules)
            .mark_rule(color="#888", strokeDash=[3, 3], opacity=0.6)
            .encode(x="t:Q", tooltip=[alt.Tooltip("t:Q", title="breakpoint", format=".6~g")]),
        )
    if baseline_t is not None:
        mark = pd.DataFrame({"t": [baseline_t], "what": ["baseline value of the pixel"]})
        layers.append(
            alt.Chart(mark)
            .mark_rule(color="#e4572e", strokeWidth=2)
            .encode(x="t:Q", tooltip=["what:N", alt.Tooltip("t:Q", format=".4~g")])
        )
    return alt.layer(*layers).properties(height=height).interactive(bind_y=False)


def curve_frame(
    vertices: pd.DataFrame,
    probabilities: pd.DataFrame,
    plot: str,
    class_names: Sequence[str],
) -> tuple[pd.DataFrame, str, bool]:
    """The rows of a sweep to draw for ``plot``, named, with a y title and legend choice.

    plot: "hidden1".."hidden4" (unit activations), "logits" or "probs".
    """
    if plot == "probs":
        frame = probabilities.rename(columns={"probability": "value"})
        names = frame["class"].map(dict(enumerate(class_names)))
        return frame.assign(name=names), "softmax probability", True
    if plot == "logits":
        frame = vertices[vertices["layer"] == "logits"]
        names = frame["unit"].map(dict(enumerate(class_names)))
        return frame.assign(name=names), "logit", True
    layer = f"hidden {plot.removeprefix('hidden')}"
    frame = vertices[vertices["layer"] == layer]
    return frame.assign(name="unit " + frame["unit"].astype(str)), f"{layer} activation", False


def only_switching(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the curves that bend inside the range (more vertices than their two ends)."""
    return frame[frame.groupby("name")["t"].transform("size") > 2]
