"""The why-so-boring statistics against direct computations, one unit or pixel at a time."""

from __future__ import annotations

import numpy as np
import pytest
from test_geometry import random_mlp

from relucurves import boring, sweeps
from relucurves.baselines import mean_image
from relucurves.models import default_model


@pytest.fixture(scope="module")
def small():
    """A one-hidden-layer network on 12 inputs and a baseline, small enough to loop over."""
    rng = np.random.default_rng(3)
    return random_mlp(rng, 12, [24]), rng.uniform(0, 1, 12)


def first_layer_at(mlp, x0, pixel, t):
    """First-layer pre-activations with input ``pixel`` set to t, by plain arithmetic."""
    x = x0.copy()
    x[pixel] = t
    w, b = mlp.layers[0]
    return x @ w + b


def test_kink_positions_solve_each_units_equation(small):
    mlp, x0 = small
    kinks = boring.kink_positions(mlp, x0)
    assert kinks.shape == (12, 24)
    for pixel in range(12):
        z0, z1 = first_layer_at(mlp, x0, pixel, 0.0), first_layer_at(mlp, x0, pixel, 1.0)
        np.testing.assert_allclose(kinks[pixel], -z0 / (z1 - z0), rtol=1e-9)
        at_kink = [first_layer_at(mlp, x0, pixel, t)[j] for j, t in enumerate(kinks[pixel])]
        np.testing.assert_allclose(at_kink, 0.0, atol=1e-9)


def test_a_zero_weight_has_no_kink(small):
    mlp, x0 = small
    w, b = (np.array(a, dtype=np.float64) for a in mlp.layers[0])
    w[5, 7] = 0.0
    zeroed = type(mlp)([(w, b), *mlp.layers[1:]])
    kinks = boring.kink_positions(zeroed, x0)
    assert np.isnan(kinks[5, 7]) and np.isfinite(np.delete(kinks.reshape(-1), 5 * 24 + 7)).all()


def test_distance_to_range():
    t = np.array([-3.0, 0.0, 0.4, 1.0, 2.5, np.nan])
    np.testing.assert_array_equal(boring.distance_to_range(t, 0.0, 1.0)[:5], [3, 0, 0, 0, 1.5])
    assert np.isnan(boring.distance_to_range(t, 0.0, 1.0)[5])
    with pytest.raises(ValueError, match="lo must be less than hi"):
        boring.distance_to_range(t, 1.0, 1.0)


@pytest.mark.parametrize(("lo", "hi"), [(0.0, 1.0), (-2.0, 3.0), (-50.0, 50.0)])
def test_kinks_inside_the_range_are_the_sweeps_breakpoints(small, lo, hi):
    """With one hidden layer every breakpoint of a pixel sweep is one unit's kink."""
    mlp, x0 = small
    inside = boring.kink_distances(mlp, x0, lo, hi) == 0
    kinks = boring.kink_positions(mlp, x0)
    for pixel in range(12):
        sweep = sweeps.pixel_sweep(mlp, x0, pixel, lo, hi)
        found = np.sort(kinks[pixel][inside[pixel] & (kinks[pixel] > lo) & (kinks[pixel] < hi)])
        np.testing.assert_allclose(sweep.breakpoints, found, rtol=1e-9, atol=1e-12)


def test_distance_histogram_counts_every_kink_once():
    d = np.array([0.0, 0.0, 0.05, 0.2, 0.5, 2, 5, 20, 50, 200, 500, 5000, np.nan])
    frame = boring.distance_histogram({"s": d}, 1.0)
    assert list(frame["bin"]) == list(boring.DISTANCE_BINS)
    assert list(frame["count"]) == [2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert frame["fraction"].sum() == pytest.approx(1.0)
    scaled = boring.distance_histogram({"s": 4 * d}, 4.0)  # bins are in range widths
    assert list(scaled["count"]) == list(frame["count"])
    with pytest.raises(ValueError, match="positive"):
        boring.distance_histogram({"s": d}, 0.0)


def test_pieces_vs_range_equals_sweeping_every_pixel(small):
    mlp, x0 = small
    ranges = [(0.0, 1.0), (-5.0, 5.0), (-100.0, 100.0)]
    frame = boring.pieces_vs_range(mlp, x0, ranges)
    for (lo, hi), row in zip(ranges, frame.itertuples(), strict=True):
        pieces = [sweeps.pixel_sweep(mlp, x0, p, lo, hi).pieces for p in range(12)]
        assert (row.lo, row.hi, row.width) == (lo, hi, hi - lo)
        assert row.mean == pytest.approx(np.mean(pieces))
        assert (row.median, row.max) == (np.median(pieces), max(pieces))
    assert frame["mean"].is_monotonic_increasing


def test_active_at_counts_positive_pre_activations():
    rng = np.random.default_rng(4)
    mlp = random_mlp(rng, 6, [10, 7])
    x = rng.normal(size=6)
    h1 = x @ mlp.layers[0][0] + mlp.layers[0][1]
    h2 = np.maximum(h1, 0) @ mlp.layers[1][0] + mlp.layers[1][1]
    assert boring.active_at(mlp, x) == (int((h1 > 0).sum()), int((h2 > 0).sum()))


def test_baseline_table_matches_the_maps(small):
    mlp, x0 = small
    points = {"a": x0, "zero": np.zeros(12)}
    table = boring.baseline_table(mlp, points, 0.0, 1.0)
    for row, point in zip(table.itertuples(), points.values(), strict=True):
        pieces = [sweeps.pixel_sweep(mlp, point, p, 0.0, 1.0).pieces for p in range(12)]
        assert row.mean_pieces == pytest.approx(np.mean(pieces))
        assert row.max_pieces == max(pieces)
        assert row.active_at_baseline == sum(boring.active_at(mlp, point))


def test_standard_baselines_cover_mean_zero_samples_and_classes(fashion):
    points = boring.standard_baselines(fashion, samples=(0, 5))
    assert list(points)[:4] == ["mean", "zero", "test #0", "test #5"]
    assert len(points) == 14 and all(p.shape == (784,) for p in points.values())
    np.testing.assert_allclose(points["test #5"], fashion.x_test[5].reshape(-1), atol=1e-6)


def test_logit_scale_against_the_forward_pass(small):
    mlp, x0 = small
    scale = boring.logit_scale(mlp, x0, 3, -2.0, 2.0)
    sweep = sweeps.pixel_sweep(mlp, x0, 3, -2.0, 2.0)
    t = np.r_[-2.0, sweep.breakpoints, 2.0]  # extremes of a piecewise-linear curve are here
    x = np.repeat(x0[None], len(t), axis=0)
    x[:, 3] = t
    logits = mlp.forward(x)
    np.testing.assert_allclose(scale.sweep_min, logits.min(axis=0), atol=1e-9)
    np.testing.assert_allclose(scale.sweep_max, logits.max(axis=0), atol=1e-9)
    np.testing.assert_allclose(scale.variation, np.abs(np.diff(logits, axis=0)).sum(0), atol=1e-9)
    slopes = np.abs(np.diff(logits, axis=0) / np.diff(t)[:, None])
    assert scale.max_slope == pytest.approx(slopes.max())
    at_base = mlp.forward(x0)[0]
    assert scale.spread == pytest.approx(at_base.max() - at_base.min())
    top = np.sort(at_base)
    assert scale.margin == pytest.approx(top[-1] - top[-2])
    maps = sweeps.pixel_maps(mlp, x0, -2.0, 2.0)
    np.testing.assert_allclose(scale.pixel_largest_variation, maps.logit_variation.max(axis=0))
    assert list(scale.frame(["a", "b", "c"])["name"]) == ["a", "b", "c"]


def test_summary_of_the_seed_model_and_its_plain_answer(fashion):
    mlp, x = default_model(), mean_image(fashion)
    s = boring.summarise(mlp, x, 0.0, 1.0)
    distances = boring.kink_distances(mlp, x, 0.0, 1.0)
    finite = distances[np.isfinite(distances)]
    assert s.median_distance == pytest.approx(np.median(finite))
    assert s.fraction_inside == pytest.approx(np.mean(finite == 0))
    assert s.mean_pieces == pytest.approx(sweeps.segment_map(mlp, x, 0, 1).mean())
    assert s.wide_mean_pieces == pytest.approx(sweeps.segment_map(mlp, x, -50, 50).mean())
    assert s.active_at_baseline == boring.active_at(mlp, x)[0] and s.units == 128
    # The answer the page gives: kinks far away, few pieces in [0, 1], many in [-50, 50].
    assert s.median_distance > 10 and s.mean_pieces < 4 < 40 < s.wide_mean_pieces
    text = boring.explain(s)
    for number in (f"{s.median_distance:.3g}", f"{s.mean_pieces:.3g}", f"{s.wide_mean_pieces:.3g}"):
        assert number in text
    assert f"{s.active_at_baseline} of 128" in text


def test_bad_baselines_are_clear_errors(small):
    mlp, _ = small
    with pytest.raises(ValueError, match="shape"):
        boring.kink_positions(mlp, np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        boring.active_at(mlp, np.full(12, np.nan))
