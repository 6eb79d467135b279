"""Chart builders, checked as Vega-Lite specs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relucurves import charts, sweeps
from relucurves.data import CLASS_NAMES
from relucurves.models import default_model


def _datasets(spec: dict) -> list[list[dict]]:
    return list(spec["datasets"].values())


def test_grid_frame_is_row_major():
    frame = charts.grid_frame(np.arange(784).reshape(28, 28))
    assert len(frame) == 784
    row = frame.iloc[28 * 3 + 5]
    assert (row["row"], row["col"], row["pixel"], row["value"]) == (3, 5, 89, 89)
    with pytest.raises(ValueError, match="square"):
        charts.grid_frame(np.arange(10))


def test_heatmap_has_every_cell_the_outline_and_a_click_selection():
    values = np.random.default_rng(0).integers(1, 9, (28, 28))
    spec = charts.heatmap(values, "Pieces", "pieces", selected=(4, 22)).to_dict()
    cells, outline = spec["layer"]
    data = {len(d): d for d in _datasets(spec)}
    assert sorted(data) == [1, 784]
    assert data[1] == [{"row": 4, "col": 22}]
    assert data[784][4 * 28 + 22]["value"] == values[4, 22]
    assert cells["mark"]["type"] == "rect" and outline["mark"]["filled"] is False
    assert {t["field"] for t in cells["encoding"]["tooltip"]} == {"row", "col", "pixel", "value"}
    param = spec["params"][0]
    assert param["name"] == charts.PIXEL_SELECTION
    assert param["select"] == {"type": "point", "fields": ["row", "col"], "on": "click"}
    assert spec["autosize"]["type"] == "pad"


def test_shared_domain_and_image_scale():
    spec = charts.heatmap(np.zeros((28, 28)), "Units", "units", domain=(0, 128)).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == [0, 128]
    assert "params" in spec
    image = charts.image(np.linspace(0, 1, 784), "Baseline").to_dict()
    assert image["encoding"]["color"]["scale"] == {
        "scheme": "greys",
        "reverse": True,
        "domain": [0, 1],
    }
    assert "params" not in image  # an image is not a pixel picker


def test_curves_draw_vertices_kinks_breakpoints_and_baseline():
    sweep = sweeps.pixel_sweep(default_model(), np.full(784, 0.2), 300, -30.0, 30.0)
    frame, y_title, legend = charts.curve_frame(
        sweep.vertices, sweep.probabilities, "hidden1", CLASS_NAMES
    )
    spec = charts.curves(frame, y_title, sweep.breakpoints, baseline_t=0.2, legend=legend).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rule", "line", "point", "rule"]
    rules = next(d for d in _datasets(spec) if d and set(d[0]) == {"t"})
    assert [r["t"] for r in rules] == pytest.approx(sweep.breakpoints.tolist())
    assert any(d == [{"t": 0.2, "what": "baseline value of the pixel"}] for d in _datasets(spec))
    lines = spec["layer"][1]["encoding"]
    assert lines["x"]["field"] == "t" and lines["y"]["title"] == "hidden 1 activation"
    assert lines["color"]["legend"] is None  # 128 units: no legend


def test_curve_frame_names_each_plot():
    sweep = sweeps.pixel_sweep(default_model(), np.zeros(784), 406, 0.0, 1.0)
    logits, title, legend = charts.curve_frame(
        sweep.vertices, sweep.probabilities, "logits", CLASS_NAMES
    )
    assert set(logits["name"]) == set(CLASS_NAMES) and legend and title == "logit"
    probs, title, _ = charts.curve_frame(sweep.vertices, sweep.probabilities, "probs", CLASS_NAMES)
    assert title == "softmax probability"
    assert probs.groupby("t")["value"].sum().to_numpy() == pytest.approx(1.0)
    units, _, legend = charts.curve_frame(
        sweep.vertices, sweep.probabilities, "hidden1", CLASS_NAMES
    )
    assert units["name"].nunique() == 128 and not legend


def test_only_switching_keeps_curves_with_a_kink():
    frame = pd.DataFrame(
        {"name": ["a", "a", "b", "b", "b"], "t": [0, 1, 0, 0.5, 1], "value": [0, 0, 0, 1, 0]}
    )
    assert charts.only_switching(frame)["name"].unique().tolist() == ["b"]
    spec = charts.curves(frame, "y", mark_kinks=False).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line"]
