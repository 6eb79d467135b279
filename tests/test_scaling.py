"""The width/depth/training study: parsing, measurements against sweeps, caching, verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_geometry import random_mlp

from relucurves import domains, scaling, sweeps
from relucurves.baselines import mean_image

# Shared with the page test, so the models are trained once per test session.
TINY = scaling.Study(widths=(8, 16), depths=(1, 2), n_train=500)


@pytest.mark.parametrize(
    ("text", "expected"), [("16, 32", (16, 32)), ("32,16,16", (16, 32)), (" 1 ", (1,))]
)
def test_parse_sizes(text, expected):
    assert scaling.parse_sizes(text, "width", 1, 1024) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one"),
        ("16, x", "whole numbers"),
        ("-4", "whole numbers"),
        ("1.5", "whole numbers"),
        ("16, 2048", "from 1 to 1024"),
        ("0", "from 1 to 1024"),
    ],
)
def test_parse_sizes_rejects_bad_text(text, message):
    with pytest.raises(ValueError, match=message):
        scaling.parse_sizes(text, "width", 1, 1024)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"widths": ()},
        {"widths": (2048,)},
        {"depths": (4,)},
        {"depths": (0,)},
        {"n_train": 10},
        {"n_lines": 0},
    ],
)
def test_study_bounds(kwargs):
    with pytest.raises(ValueError, match="must"):
        scaling.Study(**kwargs)


def test_image_pairs_are_distinct_and_seeded(fashion):
    starts, ends = scaling.image_pairs(fashion, 50, seed=3)
    assert starts.shape == ends.shape == (50, 784)
    assert np.all(np.any(starts != ends, axis=1))
    again, _ = scaling.image_pairs(fashion, 50, seed=3)
    np.testing.assert_array_equal(starts, again)


def test_measure_equals_sweeping_each_pixel_and_line(fashion):
    mlp = random_mlp(np.random.default_rng(0), 784, [6, 5])
    base = mean_image(fashion)
    starts, ends = scaling.image_pairs(fashion, 4)
    found = scaling.measure(mlp, base, starts, ends)
    pixels = [sweeps.pixel_sweep(mlp, base, p, 0.0, 1.0).pieces for p in range(784)]
    lines = [sweeps.line_sweep(mlp, a, b).pieces for a, b in zip(starts, ends, strict=True)]
    assert found[scaling.PIXELS] == (pytest.approx(np.mean(pixels)), max(pixels))
    assert found[scaling.LINES] == (pytest.approx(np.mean(lines)), max(lines))


def test_a_tiny_study_runs_then_reads_back_without_training(fashion, monkeypatch):
    steps = []
    results = scaling.run(TINY, fashion, progress=lambda d, n, text: steps.append((d, n)))
    assert steps == [(k, 8) for k in range(8)]
    assert len(results) == 2 * 2 * 2 * 2  # widths x depths x states x measures
    assert set(results["neurons"]) == {8, 16, 32}
    assert (results["pieces"] >= 1).all() and (results["max_pieces"] >= results["pieces"]).all()

    def no_training(*args, **kwargs):
        raise AssertionError("a cached study must not train")

    monkeypatch.setattr(domains, "fit", no_training)
    monkeypatch.setattr(domains, "initial", no_training)
    pd.testing.assert_frame_equal(scaling.cached_run(TINY, fashion), results)
    other = scaling.Study(widths=(8,), depths=(3,), n_train=500)
    assert scaling.cached_run(other, fashion) is None


def synthetic(power: float, trained_factor: float) -> pd.DataFrame:
    """Results whose breakpoints grow as neurons**power, trained ones scaled by a factor."""
    rows = []
    for depth in (1, 2):
        for width in (16, 64, 256):
            n = depth * width
            for state, factor in (("initialisation", 1.0), ("trained", trained_factor)):
                kinks = factor * 0.3 * n**power
                rows.append((depth, width, n, state, scaling.LINES, 1 + kinks, int(2 * kinks)))
    columns = ["depth", "width", "neurons", "state", "measure", "pieces", "max_pieces"]
    return pd.DataFrame(rows, columns=columns)


def test_exponents_and_ratios_against_direct_fits():
    results = synthetic(1.0, 0.8)
    slopes = scaling.exponents(results)
    np.testing.assert_allclose(slopes["exponent"], 1.0)
    assert list(slopes["points"]) == [6, 6]
    ratios = scaling.training_ratios(results)
    init = results[results.state == "initialisation"]["pieces"].to_numpy()
    trained = results[results.state == "trained"]["pieces"].to_numpy()
    np.testing.assert_allclose(np.sort(ratios["ratio"]), np.sort(trained / init))


@pytest.mark.parametrize(
    ("power", "factor", "agrees", "word"),
    [(1.0, 0.8, True, "agrees"), (2.0, 1.0, False, "do not grow"), (1.0, 0.1, False, "not")],
)
def test_verdicts(power, factor, agrees, word):
    (verdict,) = scaling.verdicts(synthetic(power, factor))
    assert verdict.agrees is agrees
    assert verdict.exponent_init == pytest.approx(power)
    assert word in verdict.text() and "Hanin & Rolnick" in verdict.text()
