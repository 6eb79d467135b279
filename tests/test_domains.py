"""Domain generators, the per-input sweep counts, region maps and the small cached models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_geometry import random_mlp

from relucurves import domains, geometry, sweeps
from relucurves.cache import ModelCache
from relucurves.models import SpecError, default_model


def test_sine_is_a_seeded_1d_regression():
    d = domains.sine(n=500, seed=2)
    assert d.x.shape == (500, 1) and d.y.shape == (500,) and d.regression
    assert (d.n_inputs, d.n_outputs, d.feature_names) == (1, 1, ("u",))
    assert abs(d.x.mean()) < 1e-6 and d.x.std() == pytest.approx(1.0, abs=1e-5)
    assert np.abs(d.y).max() < 1.6  # sin plus noise of 0.1
    same, other = domains.sine(n=500, seed=2), domains.sine(n=500, seed=3)
    assert same.sha256 == d.sha256 and other.sha256 != d.sha256
    np.testing.assert_array_equal(same.x, d.x)


def test_spirals_are_two_balanced_interleaved_arms():
    d = domains.spirals(n=400, seed=1)
    assert d.x.shape == (400, 2) and not d.regression and d.n_outputs == 2
    assert np.bincount(d.y).tolist() == [200, 200]
    np.testing.assert_allclose(d.x.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(d.x.std(axis=0), 1, atol=1e-5)
    # Interleaved: no straight line separates the arms, yet each point's neighbour is its own arm.
    design = np.c_[d.x, np.ones(len(d.x))]
    w = np.linalg.lstsq(design, 2.0 * d.y - 1, rcond=None)[0]
    assert np.mean((design @ w > 0) == d.y) < 0.75
    gaps = np.linalg.norm(d.x[:, None] - d.x[None], axis=-1) + np.diag(np.full(len(d.x), np.inf))
    assert np.mean(d.y[gaps.argmin(axis=1)] == d.y) > 0.95
    assert domains.spirals(n=400, seed=1).sha256 == d.sha256


@pytest.mark.parametrize(
    ("name", "shape", "classes"),
    [
        ("iris", (150, 4), 3),
        ("wine", (178, 13), 3),
        ("breast_cancer", (569, 30), 2),
        ("digits", (1797, 64), 10),
    ],
)
def test_bundled_tabular_sets(name, shape, classes):
    d = domains.tabular(name)
    assert d.x.shape == shape and d.x.dtype == np.float32 and d.n_outputs == classes
    assert set(np.unique(d.y)) == set(range(classes)) and len(d.feature_names) == shape[1]
    std = d.x.std(axis=0)
    assert np.all((np.abs(std - 1) < 1e-4) | (std == 0))  # digits has blank border pixels
    np.testing.assert_allclose(d.x.mean(axis=0), 0, atol=1e-5)
    assert domains.load(name).sha256 == d.sha256


def test_standardise_centres_constant_columns_only():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    np.testing.assert_array_equal(domains.standardise(x), [[-1, 0], [1, 0]])


def test_unknown_domains_and_widths_are_clear_errors():
    with pytest.raises(ValueError, match="tabular domain must be one of"):
        domains.tabular("titanic")
    with pytest.raises(ValueError, match="tabular domain must be one of"):
        domains.load("../etc")
    for bad in (0, 1025, 12.5, "8"):
        with pytest.raises(SpecError, match="from 1 to 1024"):
            domains.check_width(bad)
    assert domains.check_width(1024) == 1024


def test_feature_sweeps_equal_one_pixel_sweep_per_input():
    rng = np.random.default_rng(0)
    mlp = random_mlp(rng, 5, [20, 9])
    x = rng.normal(size=(60, 5)) * [1, 2, 3, 1, 1]
    x[:, 3] = 0.7  # a constant input has nothing to sweep
    table = domains.feature_sweeps(mlp, x)
    assert list(table["feature"]) == [0, 1, 2, 4]
    for row in table.itertuples():
        column = x[:, row.feature]
        direct = sweeps.pixel_sweep(mlp, x.mean(0), row.feature, column.min(), column.max())
        assert row.pieces == direct.pieces
        assert (row.lo, row.hi) == (column.min(), column.max())
        assert row.range_std == pytest.approx(np.ptp(column) / column.std())
        assert row.pieces_per_std == pytest.approx(direct.pieces / row.range_std)
    example = domains.example_sweep(mlp, x, 2)
    direct = sweeps.pixel_sweep(mlp, x.mean(0), 2, x[:, 2].min(), x[:, 2].max())
    np.testing.assert_array_equal(example.breakpoints, direct.breakpoints)
    with pytest.raises(ValueError, match="the data has 3 inputs, the model 5"):
        domains.feature_sweeps(mlp, x[:, :3])


def test_feature_sweeps_of_raw_images_with_a_scale(fashion):
    """uint8 images with scale 1/255 give the same sweeps as the float images, without a copy."""
    mlp, images = default_model(), fashion.train_images[:2000]
    raw = domains.feature_sweeps(mlp, images, scale=1 / 255)
    floats = domains.feature_sweeps(mlp, images.astype(np.float64) / 255)
    pd.testing.assert_frame_equal(raw, floats, check_exact=False, rtol=1e-9)
    pixel = int(raw["feature"].iloc[raw["pieces"].argmax()])
    a = domains.example_sweep(mlp, images, pixel, scale=1 / 255)
    b = domains.example_sweep(mlp, images.astype(np.float64) / 255, pixel)
    np.testing.assert_allclose(a.breakpoints, b.breakpoints)


def test_summary_row_sums_up_a_table():
    mlp = random_mlp(np.random.default_rng(1), 3, [7])
    table = domains.feature_sweeps(mlp, np.random.default_rng(2).normal(size=(40, 3)))
    row = domains.summary_row("d", "D", mlp, table)
    assert (row["inputs"], row["width"]) == (3, 7)
    assert row["mean_pieces"] == pytest.approx(table["pieces"].mean())
    assert row["max_pieces"] == table["pieces"].max()
    assert row["median_pieces_per_std"] == pytest.approx(table["pieces_per_std"].median())


def test_region_map_labels_cells_by_activation_pattern():
    rng = np.random.default_rng(3)
    mlp = random_mlp(rng, 2, [6, 4])
    x = rng.normal(size=(100, 2))
    grid = domains.region_map(mlp, x, resolution=40)
    assert len(grid) == 1600 and grid["shade"].between(0, 1).all()
    points = grid[["x1", "x2"]].to_numpy()
    h1 = points @ mlp.layers[0][0] + mlp.layers[0][1]
    h2 = np.maximum(h1, 0) @ mlp.layers[1][0] + mlp.layers[1][1]
    patterns = np.hstack([h1 > 0, h2 > 0])
    assert grid["region"].nunique() == len(np.unique(patterns, axis=0))
    for region, cells in grid.groupby("region"):  # one pattern per region id
        assert len(np.unique(patterns[cells.index], axis=0)) == 1, region
    with pytest.raises(ValueError, match="2 inputs"):
        domains.region_map(random_mlp(rng, 3, [4]), np.zeros((5, 3)))


def test_fit_score_is_r2_or_accuracy():
    rng = np.random.default_rng(4)
    mlp = random_mlp(rng, 4, [5])
    iris = domains.tabular("iris")
    clf = domains.Domain(
        "c", "C", iris.x, iris.y, False, iris.budget, iris.feature_names, ("a",) * 3
    )
    assert domains.fit_score(mlp, clf) == pytest.approx(
        np.mean(mlp.forward(iris.x).argmax(1) == iris.y)
    )
    out = mlp.forward(iris.x)[:, 0]
    reg = domains.Domain("r", "R", iris.x, out + 1.0, True, iris.budget, iris.feature_names)
    ss_tot = np.sum((reg.y - reg.y.mean()) ** 2)
    assert domains.fit_score(mlp, reg) == pytest.approx(1 - len(out) / ss_tot)


def test_model_keys_change_with_everything_that_sets_the_weights():
    sine, iris = domains.load("sine"), domains.load("iris")
    keys = {
        domains.model_key(sine, domains.spec_for(sine, 128)),
        domains.model_key(sine, domains.spec_for(sine, 64)),
        domains.model_key(sine, domains.spec_for(sine, 128, seed=1)),
        domains.model_key(domains.sine(seed=1), domains.spec_for(sine, 128)),
        domains.model_key(iris, domains.spec_for(iris, 128)),
    }
    assert len(keys) == 5


def test_training_is_seeded_and_cached(tmp_path):
    cache = ModelCache(tmp_path)
    iris = domains.load("iris")
    assert domains.cached_model(iris, 8, cache=cache) is None
    epochs = []
    model, from_cache = domains.get_or_train(
        iris, 8, cache=cache, progress=lambda e, n, loss: epochs.append((e, n))
    )
    assert not from_cache and epochs[-1] == (25, 25) and model.hidden_widths == (8,)
    assert model.meta["fit"] > 0.9  # iris is easy
    again, from_cache = domains.get_or_train(iris, 8, cache=cache)
    assert from_cache and again.weights_sha256() == model.weights_sha256()
    assert domains.cached_model(iris, 8, cache=cache).weights_sha256() == model.weights_sha256()
    retrained = domains.fit(domains.spec_for(iris, 8), iris.x, iris.y, 3, False, 1e-2)
    assert retrained.weights_sha256() == model.weights_sha256()  # same seed, same weights


def test_1d_regression_has_many_more_pieces_than_a_fashion_pixel(fashion):
    """Question 2 in one comparison, at the same width of 128: the regression's one input
    crosses most of its kinks within the data, a Fashion-MNIST pixel over [0, 1] almost none."""
    from relucurves.baselines import mean_image

    sine = domains.load("sine")
    model, _ = domains.get_or_train(sine, 128)
    assert model.meta["fit"] > 0.9
    regression = domains.feature_sweeps(model, sine.x)["pieces"].iloc[0]
    fashion_pixels = sweeps.segment_map(default_model(), mean_image(fashion), 0.0, 1.0)
    assert regression > 10 * fashion_pixels.mean() and regression > 5 * fashion_pixels.max()
    assert regression > 64  # more than half of the 128 possible kinks lie inside the data
    bps = geometry.breakpoints(model, [0.0], [1.0], float(sine.x.min()), float(sine.x.max()))
    assert len(bps) + 1 == regression


def test_the_plain_answer_quotes_the_comparison():
    rows = [
        {"domain": "sine", "inputs": 1, "width": 128, "mean_pieces": 110.0, "max_pieces": 110,
         "median_pieces_per_std": 30.0},
        {"domain": "iris", "inputs": 4, "width": 128, "mean_pieces": 85.5, "max_pieces": 99,
         "median_pieces_per_std": 21.0},
        {"domain": "fashion_mnist", "inputs": 784, "width": 128, "mean_pieces": 1.96,
         "max_pieces": 7, "median_pieces_per_std": 0.49},
    ]  # fmt: skip
    text = domains.explain(pd.DataFrame(rows))
    for part in ("86 to 110 linear pieces", "1 to 4 inputs", "109 kinks", "**1.96**", "784"):
        assert part in text
    assert "Fashion-MNIST" not in domains.explain(pd.DataFrame(rows[:2]))
    assert "No small domain" in domains.explain(pd.DataFrame(rows[2:]))
