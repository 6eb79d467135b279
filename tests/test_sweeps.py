"""Pixel and line sweeps, and the all-pixel maps: against Keras, brute force, each other."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from test_geometry import keras_layer_outputs, networks_and_lines, pre_activations, random_mlp

from relucurves import geometry, sweeps
from relucurves.mlp import ReluMLP


def interpolate(vertices: pd.DataFrame, t: np.ndarray) -> list[np.ndarray]:
    """Each layer's curves at t, joining each unit's vertices by straight lines."""
    out = []
    for _, layer in vertices.groupby("layer", sort=False):
        curves = [np.interp(t, unit["t"], unit["value"]) for _, unit in layer.groupby("unit")]
        out.append(np.column_stack(curves))
    return out


def along(mlp: ReluMLP, x0: np.ndarray, d: np.ndarray, t: np.ndarray):
    """Each layer's outputs (ReLU for hidden layers) at x0 + t·d and their slopes in t,
    by the test's own forward pass carrying the derivative along."""
    h, dh = x0 + t[:, None] * d, np.broadcast_to(d, (len(t), len(d)))
    values, slopes = [], []
    for k, (w, b) in enumerate(mlp.layers):
        w = np.asarray(w, np.float64)
        h, dh = h @ w + b, dh @ w
        if k < len(mlp.layers) - 1:
            h, dh = np.maximum(h, 0.0), dh * (h > 0)
        values.append(h)
        slopes.append(dh)
    return values, slopes


def assert_curves_match(got: list[np.ndarray], want: list[np.ndarray], tol: float) -> None:
    """Equal within tol relative to each layer's largest value."""
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=0, atol=tol * (1 + np.abs(w).max()))


# ---------------------------------------------------------------- against Keras


@pytest.mark.parametrize("fixture", ["keras_depth1", "keras_depth3"])
def test_vertices_reproduce_keras_predict(fixture, request, fashion):
    """Joining the vertices gives Keras's own outputs of every layer at 3000 random t,
    for a pixel swept far outside [0, 1] and for a line between two test images."""
    model, mlp = request.getfixturevalue(fixture)
    rng = np.random.default_rng(1)
    mean = fashion.x_train.reshape(-1, 784).mean(axis=0)
    start, end = (fashion.x_test[i].reshape(-1).astype(np.float64) for i in (2, 3))
    for sweep in (
        sweeps.pixel_sweep(mlp, mean, 406, -20.0, 30.0),  # the pixel far outside [0, 1]
        sweeps.line_sweep(mlp, start, end),
    ):
        assert sweep.pieces > 3
        t = rng.uniform(sweep.lo, sweep.hi, 3000)
        x = sweep.x0 + t[:, None] * sweep.direction
        assert_curves_match(interpolate(sweep.vertices, t), keras_layer_outputs(model, x), 1e-4)


@pytest.mark.parametrize("fixture", ["keras_depth1", "keras_depth3"])
def test_segment_map_equals_every_pixel_sweep(fixture, request, fashion):
    _, mlp = request.getfixturevalue(fixture)
    mean = fashion.x_train.reshape(-1, 784).mean(axis=0)
    seg = sweeps.segment_map(mlp, mean, -10.0, 10.0)
    assert seg.shape == (28, 28) and seg.dtype.kind == "i"
    per_pixel = [sweeps.pixel_sweep(mlp, mean, p, -10.0, 10.0).pieces for p in range(784)]
    np.testing.assert_array_equal(seg.reshape(-1), per_pixel)
    assert seg.max() > 10


# ---------------------------------------------------------------- the maps, by brute force


def brute_force_maps(mlp: ReluMLP, baseline: np.ndarray, pixel: int, lo: float, hi: float):
    """The map values of one pixel from its breakpoints and plain forward passes."""
    sweep = sweeps.pixel_sweep(mlp, baseline, pixel, lo, hi)
    ends = np.r_[lo, sweep.breakpoints, hi]
    middles = ends[:-1] / 2 + ends[1:] / 2
    hidden = np.hstack(pre_activations(mlp, sweep.x0 + middles[:, None] * sweep.direction)[:-1])
    on = np.any(hidden > 0, axis=0)
    off = np.any(hidden <= 0, axis=0)
    logits = mlp.forward(sweep.x0 + ends[:, None] * sweep.direction)
    change = np.abs(np.diff(logits, axis=0))
    return {
        "segments": len(ends) - 1,
        "active_units": on.sum(),
        "changing_units": (on & off).sum(),
        "logit_variation": change.sum(axis=0),
        "total_variation": change.sum(),
        "logit_slope": (change / np.diff(ends)[:, None]).max(axis=0),
        "max_slope": (change / np.diff(ends)[:, None]).max(),
    }


def assert_maps_match(maps: sweeps.PixelMaps, mlp, baseline, pixels, lo, hi) -> None:
    for pixel in pixels:
        want = brute_force_maps(mlp, baseline, pixel, lo, hi)
        got = {
            name: value.reshape(-1, mlp.n_inputs)[:, pixel] for name, value in vars(maps).items()
        }
        for name in ("segments", "active_units", "changing_units"):
            assert got[name] == [want[name]], name
        for name in ("logit_variation", "total_variation", "logit_slope", "max_slope"):
            np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("fixture", ["keras_depth1", "keras_depth3"])
def test_pixel_maps_match_brute_force_on_trained_models(fixture, request, fashion):
    _, mlp = request.getfixturevalue(fixture)
    baseline = fashion.x_test[7].reshape(-1)
    maps = sweeps.pixel_maps(mlp, baseline, -5.0, 5.0)
    for name in ("segments", "active_units", "changing_units", "total_variation", "max_slope"):
        assert getattr(maps, name).shape == (28, 28)
    assert maps.logit_variation.shape == maps.logit_slope.shape == (10, 28, 28)
    np.testing.assert_array_equal(maps.segments, sweeps.segment_map(mlp, baseline, -5.0, 5.0))
    pixels = np.random.default_rng(2).choice(784, 40, replace=False)
    assert_maps_match(maps, mlp, baseline, pixels, -5.0, 5.0)


@settings(max_examples=60, deadline=None)
@given(networks_and_lines())
def test_pixel_maps_match_brute_force_on_random_networks(case):
    """Small inputs: maps are flat (n_inputs,) arrays, and every pixel agrees."""
    mlp, x0, _, lo, hi = case
    maps = sweeps.pixel_maps(mlp, x0, lo, hi)
    assert maps.segments.shape == (mlp.n_inputs,)
    assert maps.logit_variation.shape == (mlp.n_outputs, mlp.n_inputs)
    np.testing.assert_array_equal(maps.segments, sweeps.segment_map(mlp, x0, lo, hi))
    assert_maps_match(maps, mlp, x0, range(mlp.n_inputs), lo, hi)


def test_thin_map_functions_return_the_fields_of_pixel_maps():
    rng = np.random.default_rng(4)
    mlp = random_mlp(rng, 784, [32, 16])
    baseline = rng.uniform(0, 1, 784)
    maps = sweeps.pixel_maps(mlp, baseline, -3.0, 3.0)
    for function, name in [
        (sweeps.active_units_map, "active_units"),
        (sweeps.changing_units_map, "changing_units"),
        (sweeps.variation_map, "total_variation"),
        (sweeps.slope_map, "max_slope"),
    ]:
        np.testing.assert_array_equal(function(mlp, baseline, -3.0, 3.0), getattr(maps, name))


# ---------------------------------------------------------------- vertices and probabilities


@settings(max_examples=100, deadline=None)
@given(networks_and_lines())
def test_vertices_are_exact_and_minimal(case):
    mlp, x0, d, lo, hi = case
    sweep = sweeps.sweep(mlp, x0, d, lo, hi)
    v = sweep.vertices
    names = [f"hidden {k + 1}" for k in range(len(mlp.hidden_widths))] + ["logits"]
    assert list(v["layer"].unique()) == names
    curves = v.groupby(["layer", "unit"], sort=False)["t"].agg(["first", "last"])
    assert (curves["first"] == lo).all() and (curves["last"] == hi).all()
    assert len(curves) == sum(mlp.hidden_widths) + mlp.n_outputs
    assert set(v["t"]) <= {lo, hi, *sweep.breakpoints}

    # Joining the vertices is the network, at random t.
    t = np.random.default_rng(0).uniform(lo, hi, 200)
    assert_curves_match(interpolate(v, t), along(mlp, x0, d, t)[0], 1e-8)

    # A unit's interior vertices are the breakpoints where its slope really changes.
    ends = np.r_[lo, sweep.breakpoints, hi]
    _, slopes = along(mlp, x0, d, ends[:-1] / 2 + ends[1:] / 2)
    for name, s in zip(names, slopes, strict=True):
        change = np.abs(np.diff(s, axis=0))
        size = np.maximum(np.abs(s[1:]), np.abs(s[:-1]))
        layer = v[v["layer"] == name]
        for unit in range(s.shape[1]):
            inner = set(layer.loc[layer["unit"] == unit, "t"]) - {lo, hi}
            assert set(sweep.breakpoints[change[:, unit] > 1e-6 * size[:, unit]]) <= inner
            assert inner <= set(sweep.breakpoints[change[:, unit] > 1e-13 * size[:, unit]])


def test_one_layer_vertex_counts_are_ends_plus_own_kink(keras_depth1, fashion):
    """A first-layer unit bends once, where it crosses zero; each logit at every kink."""
    _, mlp = keras_depth1
    mean = fashion.x_train.reshape(-1, 784).mean(axis=0)
    sweep = sweeps.pixel_sweep(mlp, mean, 350, -30.0, 30.0)
    w, b = (np.asarray(a, np.float64) for a in mlp.layers[0])
    others = mean.copy()
    others[350] = 0.0
    kink = -(others @ w + b) / w[350]
    hidden = sweep.vertices[sweep.vertices["layer"] == "hidden 1"].groupby("unit").size()
    np.testing.assert_array_equal(hidden, 2 + ((kink > -30) & (kink < 30)))
    assert (sweep.logits.groupby("unit").size() == 2 + len(sweep.breakpoints)).all()


def test_probabilities_are_softmax_on_a_grid_plus_every_breakpoint(keras_depth1, fashion):
    model, mlp = keras_depth1
    baseline = fashion.x_test[5].reshape(-1)
    sweep = sweeps.pixel_sweep(mlp, baseline, 500, -4.0, 6.0)
    p = sweep.probabilities
    t = np.sort(p["t"].unique())
    assert set(sweep.breakpoints) <= set(t) and set(np.linspace(-4, 6, 201)) <= set(t)
    table = p.pivot(index="t", columns="class", values="probability").to_numpy()
    np.testing.assert_allclose(table.sum(axis=1), 1.0, rtol=1e-12)
    logits = keras_layer_outputs(model, sweep.x0 + t[:, None] * sweep.direction)[-1]
    keras_prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(table, keras_prob, atol=1e-5)


def test_pixel_sweep_moves_only_that_pixel_and_t_is_its_value():
    rng = np.random.default_rng(6)
    mlp = random_mlp(rng, 784, [20])
    image = rng.uniform(0, 1, (28, 28))
    sweep = sweeps.pixel_sweep(mlp, image, 29, -2.0, 3.0)  # row-major: row 1, column 1
    x = (sweep.x0 + 0.7 * sweep.direction).reshape(28, 28)
    assert x[1, 1] == 0.7
    x[1, 1] = image[1, 1]
    np.testing.assert_array_equal(x, image)


def test_line_sweep_runs_from_start_to_end():
    rng = np.random.default_rng(7)
    mlp = random_mlp(rng, 784, [24, 12])
    start, end = rng.uniform(0, 1, (2, 784))
    sweep = sweeps.line_sweep(mlp, start, end)
    assert (sweep.lo, sweep.hi) == (0.0, 1.0)
    logits = sweep.logits.pivot(index="t", columns="unit", values="value")
    np.testing.assert_allclose(logits.loc[0.0], mlp.forward(start)[0], rtol=1e-12)
    np.testing.assert_allclose(logits.loc[1.0], mlp.forward(end)[0], rtol=1e-9)
    again = geometry.breakpoints(mlp, start, end - start, 0.0, 1.0)
    np.testing.assert_array_equal(sweep.breakpoints, again)
    assert sweeps.line_sweep(mlp, start, start).pieces == 1


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m, x: sweeps.pixel_sweep(m, x, 784, 0, 1), "pixel must be in 0..783"),
        (lambda m, x: sweeps.pixel_sweep(m, x, -1, 0, 1), "pixel must be in 0..783"),
        (lambda m, x: sweeps.pixel_sweep(m, x, 3.0, 0, 1), "pixel must be an integer"),
        (lambda m, x: sweeps.pixel_sweep(m, x, True, 0, 1), "pixel must be an integer"),
        (lambda m, x: sweeps.pixel_sweep(m, x[:-1], 3, 0, 1), "baseline must have shape"),
        (lambda m, x: sweeps.pixel_sweep(m, x, 3, 1, 0), "lo must be less than hi"),
        (lambda m, x: sweeps.segment_map(m, x.reshape(14, 56), 0, 1), "baseline must have shape"),
        (
            lambda m, x: sweeps.segment_map(m, np.where(x > 0.5, np.nan, x), 0, 1),
            "baseline contains",
        ),
        (lambda m, x: sweeps.pixel_maps(m, x, 0, float("inf")), "hi must be finite"),
        (lambda m, x: sweeps.pixel_maps(m, x, 0.5, 0.5), "lo must be less than hi"),
        (lambda m, x: sweeps.line_sweep(m, x, x[:10]), "end must have shape"),
        (lambda m, x: sweeps.line_sweep(m, np.full(784, np.inf), x), "start contains"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_argument(call, message):
    rng = np.random.default_rng(8)
    with pytest.raises(ValueError, match=message):
        call(random_mlp(rng, 784, [8]), rng.uniform(0, 1, 784))
