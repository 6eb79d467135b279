"""Breakpoints along lines: against Keras on trained models, brute force on random ones.

The oracle here is independent of the code under test: a plain forward pass that
records every hidden unit's pre-activation, evaluated at chosen points of the line.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relucurves import geometry
from relucurves.mlp import ReluMLP

# ---------------------------------------------------------------- oracle and networks


def pre_activations(mlp: ReluMLP, x: np.ndarray) -> list[np.ndarray]:
    """Every layer's pre-activation (hidden layers, then logits) at each row of x."""
    h, out = np.asarray(x, dtype=np.float64), []
    for k, (w, b) in enumerate(mlp.layers):
        z = h @ np.asarray(w, np.float64) + b
        out.append(z)
        h = np.maximum(z, 0.0) if k < len(mlp.layers) - 1 else z
    return out


def patterns(mlp: ReluMLP, x0: np.ndarray, d: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The activation pattern (all hidden units, z > 0) at x0 + t·d, one row per t."""
    hidden = pre_activations(mlp, x0 + np.asarray(t)[:, None] * d)[:-1]
    return np.hstack([z > 0 for z in hidden])


def random_mlp(
    rng: np.random.Generator, n_inputs: int, widths: list[int], zero_fraction: float = 0.0
) -> ReluMLP:
    """He-scaled random weights and biases; a fraction of all of them set exactly to 0."""
    layers, fan_in = [], n_inputs
    for width in [*widths, 3]:
        w = rng.normal(size=(fan_in, width)) * np.sqrt(2 / fan_in)
        b = rng.normal(size=width) * 0.5
        w[rng.random(w.shape) < zero_fraction] = 0.0
        b[rng.random(b.shape) < zero_fraction] = 0.0
        layers.append((w, b))
        fan_in = width
    return ReluMLP(layers)


def hand_mlp(*layers: tuple[list[list[float]], list[float]]) -> ReluMLP:
    """A network from literal weights, for cases whose breakpoints are known exactly."""
    return ReluMLP(
        [(np.array(w, dtype=np.float64), np.array(b, dtype=np.float64)) for w, b in layers]
    )


ONE = np.array([0.0]), np.array([1.0])  # the line x = t through a 1-input network


@st.composite
def networks_and_lines(draw: st.DrawFn) -> tuple[ReluMLP, np.ndarray, np.ndarray, float, float]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_inputs = draw(st.integers(1, 6))
    widths = draw(st.lists(st.integers(1, 8), min_size=1, max_size=4))
    zero_fraction = draw(st.sampled_from([0.0, 0.0, 0.3, 0.7, 1.0]))
    mlp = random_mlp(rng, n_inputs, widths, zero_fraction)
    x0 = rng.normal(size=n_inputs) * draw(st.sampled_from([0.0, 1.0, 10.0]))
    d = draw(st.sampled_from(["random", "axis", "zero"]))
    direction = {
        "random": rng.normal(size=n_inputs),
        "axis": np.eye(n_inputs)[rng.integers(n_inputs)],
        "zero": np.zeros(n_inputs),
    }[d]
    scale = draw(st.sampled_from([1.0, 10.0, 1e6, 1e12]))
    lo = draw(st.floats(-1.0, 1.0)) * scale
    hi = lo + draw(st.floats(1e-3, 2.0)) * scale
    return mlp, x0, direction, lo, hi


# ---------------------------------------------------------------- brute-force properties


@settings(max_examples=300, deadline=None)
@given(networks_and_lines())
def test_each_breakpoint_is_a_state_change_and_none_is_missed(case):
    mlp, x0, d, lo, hi = case
    bps = geometry.breakpoints(mlp, x0, d, lo, hi)
    ends = np.r_[lo, bps, hi]
    assert np.all(np.diff(ends) > 0), "sorted, distinct, strictly inside (lo, hi)"

    # Inside each piece the pattern is that of its middle...
    middles = ends[:-1] / 2 + ends[1:] / 2
    middle_patterns = patterns(mlp, x0, d, middles)
    fractions = np.linspace(0.1, 0.9, 9)
    inner = ends[:-1, None] + fractions * (ends[1:] - ends[:-1])[:, None]
    inner_patterns = patterns(mlp, x0, d, inner.reshape(-1)).reshape(*inner.shape, -1)
    assert np.array_equal(inner_patterns, np.repeat(middle_patterns[:, None], 9, axis=1))
    # ...and it differs between neighbouring pieces: each breakpoint is a real change.
    assert np.all(np.any(middle_patterns[1:] != middle_patterns[:-1], axis=1))

    # Dense sampling: every change it sees brackets a breakpoint, so it sees no more
    # pieces; when all pieces are wider than two grid steps it sees exactly as many.
    # Points on a breakpoint or an end are skipped: a unit exactly at zero there has
    # neither neighbouring state.
    grid = np.linspace(lo, hi, 1001)
    grid = grid[np.min(np.abs(grid[:, None] - ends), axis=1) > 1e-9 * np.maximum(1, abs(grid))]
    sampled = patterns(mlp, x0, d, grid)
    changed = np.flatnonzero(np.any(sampled[1:] != sampled[:-1], axis=1))
    next_bp = np.searchsorted(ends, grid[changed], side="right")  # first end after each change
    assert np.all(ends[next_bp] < grid[changed + 1]) and np.all(next_bp < len(ends) - 1)
    assert len(changed) <= len(bps)
    if np.min(np.diff(ends)) > 2 * (hi - lo) / 1000:
        assert len(changed) == len(bps)


@settings(max_examples=100, deadline=None)
@given(networks_and_lines(), st.data())
def test_ends_on_breakpoints_are_excluded(case, data):
    """Sweeping between two of the network's own breakpoints: neither is inside."""
    mlp, x0, d, lo, hi = case
    wide = geometry.breakpoints(mlp, x0, d, lo, hi)
    ends = np.r_[lo, wide, hi]
    i = data.draw(st.integers(0, len(ends) - 2))
    j = data.draw(st.integers(i + 1, len(ends) - 1))
    sub = geometry.breakpoints(mlp, x0, d, ends[i], ends[j])
    # Equal up to rounding: a shorter walk may sum in another order.
    np.testing.assert_allclose(sub, wide[i : j - 1], rtol=1e-12, atol=1e-12)


def test_zero_direction_and_zero_weights_have_no_breakpoints():
    rng = np.random.default_rng(0)
    mlp = random_mlp(rng, 5, [8, 8])
    assert geometry.breakpoints(mlp, rng.normal(size=5), np.zeros(5), -1e9, 1e9).size == 0
    dead = random_mlp(rng, 5, [8, 8], zero_fraction=1.0)
    assert geometry.breakpoints(dead, rng.normal(size=5), rng.normal(size=5), -1e9, 1e9).size == 0


# ---------------------------------------------------------------- degenerate cases, by hand


def test_kinks_on_lo_or_hi_are_outside_and_shared_kinks_count_once():
    # Units cross zero at t = 0.5, 0.25 and 0.5.
    mlp = hand_mlp(([[1.0, -1.0, 2.0]], [-0.5, 0.25, -1.0]), ([[1.0], [1.0], [1.0]], [0.0]))
    assert list(geometry.breakpoints(mlp, *ONE, 0.0, 1.0)) == [0.25, 0.5]
    assert list(geometry.breakpoints(mlp, *ONE, 0.25, 1.0)) == [0.5]
    assert list(geometry.breakpoints(mlp, *ONE, 0.0, 0.5)) == [0.25]
    assert list(geometry.breakpoints(mlp, *ONE, 0.25, 0.5)) == []


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        # relu(t) + relu(-t) = |t| touches zero at 0 but stays active: only layer 1's kink.
        (([[1.0], [1.0]], [0.0]), [0.0]),
        # relu(t) - relu(t) is identically zero: never active, never a kink of its own.
        (([[1.0], [-1.0]], [0.0]), [0.0]),
        # relu(t): zero on a whole piece, then positive; changes where layer 1 does.
        (([[1.0], [0.0]], [0.0]), [0.0]),
        # relu(t) - 0.5 crosses zero inside a piece of layer 1: a kink of its own.
        (([[1.0], [0.0]], [-0.5]), [0.0, 0.5]),
        # relu(-t) - 0.25 crosses at -0.25; relu(t) reaches it through a zero weight.
        (([[0.0], [1.0]], [-0.25]), [-0.25, 0.0]),
    ],
)
def test_second_layer_degenerate_cases(second, expected):
    first = ([[1.0, -1.0]], [0.0, 0.0])  # relu(t) and relu(-t): both change at t = 0
    mlp = hand_mlp(first, second, ([[1.0]], [0.0]))
    np.testing.assert_array_equal(geometry.breakpoints(mlp, *ONE, -1.0, 1.0), expected)


def test_rounding_does_not_invent_pieces_at_a_shared_kink():
    """Many units through one point of a line: float rounding puts their crossings ulps
    apart, which must still count as one breakpoint."""
    rng = np.random.default_rng(3)
    w = rng.normal(size=(6, 40))
    point = rng.normal(size=6)
    mlp = ReluMLP([(w, -(point @ w)), (rng.normal(size=(40, 2)), np.zeros(2))])
    start, d = point - 0.3 * np.ones(6), np.full(6, 1.0)  # passes `point` at t = 0.3
    crossings = -((start @ w) - point @ w) / (d @ w)
    assert np.unique(crossings).size > 1, "the case only tests something if rounding differs"
    bps = geometry.breakpoints(mlp, start, d, 0.0, 1.0)
    assert bps.size == 1 and bps[0] == pytest.approx(0.3, abs=1e-12)


# ---------------------------------------------------------------- one hidden layer: closed form


def test_one_layer_matches_the_closed_form_of_the_design(keras_depth1):
    """t*_j = x0_i - a_j / W[i, j], for the units whose kink lies inside the range."""
    _, mlp = keras_depth1
    w, b = (np.asarray(a, np.float64) for a in mlp.layers[0])
    x0 = np.random.default_rng(1).uniform(0, 1, 784)
    for pixel in (0, 300, 407, 783):
        a = x0 @ w + b
        with np.errstate(divide="ignore", invalid="ignore"):
            kinks = x0[pixel] - a / w[pixel]
        for lo, hi in ((0.0, 1.0), (-50.0, 50.0)):
            expected = np.unique(kinks[(kinks > lo) & (kinks < hi)])
            bps = geometry.breakpoints(mlp, x0, np.eye(784)[pixel], lo - x0[pixel], hi - x0[pixel])
            np.testing.assert_allclose(bps + x0[pixel], expected, rtol=0, atol=1e-9)


# ---------------------------------------------------------------- trained models vs Keras


def keras_layer_outputs(model, x: np.ndarray) -> list[np.ndarray]:
    """Every Dense layer's output for images x, by Keras's own predict."""
    import keras

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    probe = keras.Model(model.inputs, [layer.output for layer in dense])
    return probe.predict(x.reshape(-1, 28, 28).astype(np.float32), verbose=0, batch_size=4096)


@pytest.mark.parametrize("fixture", ["keras_depth1", "keras_depth3"])
def test_pattern_is_constant_between_breakpoints_by_keras(fixture, request, fashion):
    """At 3000 random t (well outside [0, 1] too), Keras's own ReLU states are those of
    the piece the t falls in, up to float32 rounding of pre-activations near zero."""
    model, mlp = request.getfixturevalue(fixture)
    rng = np.random.default_rng(0)
    start, end = fashion.x_test[0].reshape(-1), fashion.x_test[1].reshape(-1)
    d = end.astype(np.float64) - start
    lo, hi = -1.5, 2.5
    pieces = geometry.line_pieces(mlp, start, d, lo, hi)
    bps = pieces[-1].t_lo[1:]
    assert len(bps) > 20, "a line between two images crosses many kinks"

    t = np.r_[rng.uniform(lo, hi, 3000), bps]
    outputs = keras_layer_outputs(model, start + t[:, None] * d)
    keras_pattern = np.hstack([out > 0 for out in outputs[:-1]])
    piece = np.searchsorted(bps, t, side="right")
    mids = np.r_[lo, bps] / 2 + np.r_[bps, hi] / 2
    exact_pattern = patterns(mlp, start, d, mids)[piece]
    exact_z = np.hstack(pre_activations(mlp, start + t[:, None] * d)[:-1])
    disagree = keras_pattern != exact_pattern
    assert np.all(np.abs(exact_z[disagree]) < 1e-4), "only units at zero within float32"
    assert disagree.mean() < 1e-3


# ---------------------------------------------------------------- many lines at once


def test_summaries_do_not_depend_on_chunking(monkeypatch):
    rng = np.random.default_rng(5)
    mlp = random_mlp(rng, 6, [16, 16, 16])
    offsets, slopes = rng.normal(size=(50, 16)), rng.normal(size=(50, 16))
    whole = geometry.summarise_lines(mlp, offsets, slopes, -20.0, 20.0)
    monkeypatch.setattr(geometry, "_CHUNK_ELEMENTS", 16 * 3)  # three pieces per chunk
    chunked = geometry.summarise_lines(mlp, offsets, slopes, -20.0, 20.0)
    assert whole.pieces.sum() > 50 * 10
    for name in ("pieces", "active_units", "changing_units"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name))
    # Equal up to rounding: BLAS may sum a shorter matrix in another order.
    np.testing.assert_allclose(chunked.logit_variation, whole.logit_variation, rtol=1e-12)
    np.testing.assert_allclose(chunked.max_slope, whole.max_slope, rtol=1e-12)
    np.testing.assert_array_equal(
        geometry.count_pieces(mlp, offsets, slopes, -20, 20), whole.pieces
    )


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("x0", "direction", "lo", "hi", "message"),
    [
        (np.zeros(4), np.zeros(5), 0, 1, "direction must have shape"),
        (np.zeros((1, 4)), np.zeros(4), 0, 1, "x0 must have shape"),
        (np.array([0, np.nan, 0, 0]), np.zeros(4), 0, 1, "x0 contains NaN"),
        (np.zeros(4), np.array([0, 0, np.inf, 0]), 0, 1, "direction contains NaN or infinite"),
        (np.zeros(4), ["a", "b", "c", "d"], 0, 1, "direction must be an array of numbers"),
        (np.zeros(4), np.ones(4), 1, 1, "lo must be less than hi"),
        (np.zeros(4), np.ones(4), 2, 1, "lo must be less than hi"),
        (np.zeros(4), np.ones(4), -np.inf, 1, "lo must be finite"),
        (np.zeros(4), np.ones(4), 0, np.nan, "hi must be finite"),
        (np.zeros(4), np.ones(4), "0", 1, "lo must be a real number"),
        (np.zeros(4), np.ones(4), -1e308, 1e308, "hi - lo overflows"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_argument(x0, direction, lo, hi, message):
    mlp = random_mlp(np.random.default_rng(0), 4, [3])
    with pytest.raises(ValueError, match=message):
        geometry.breakpoints(mlp, x0, direction, lo, hi)


@pytest.mark.parametrize(
    ("offsets", "slopes", "message"),
    [
        (np.zeros((5, 3)), np.zeros((5, 4)), "slopes must have shape"),
        (np.zeros(3), np.zeros((1, 3)), "offsets must have shape"),
        (np.zeros((5, 3)), np.zeros((4, 3)), "slopes must have the shape of offsets"),
        (np.full((2, 3), np.nan), np.zeros((2, 3)), "offsets contains NaN"),
    ],
)
def test_many_lines_reject_bad_first_layer_forms(offsets, slopes, message):
    mlp = random_mlp(np.random.default_rng(0), 4, [3])
    for summarise in (geometry.count_pieces, geometry.summarise_lines):
        with pytest.raises(ValueError, match=message):
            summarise(mlp, offsets, slopes, 0.0, 1.0)
