"""Lines through input space: construction, bad input, and agreement with the sweeps."""

from __future__ import annotations

import numpy as np
import pytest
from test_geometry import random_mlp

from relucurves import directions, sweeps


@pytest.fixture(scope="module")
def net():
    return random_mlp(np.random.default_rng(5), 8, [16, 12])


def test_line_length_point_and_sweep(net):
    rng = np.random.default_rng(0)
    x0, d = rng.normal(size=8), rng.normal(size=8)
    line = directions.Line(x0, d, -1.0, 3.0, "test")
    assert line.length == pytest.approx(4 * np.linalg.norm(d))
    np.testing.assert_allclose(line.point(2.0), x0 + 2 * d)
    direct = sweeps.sweep(net, x0, d, -1.0, 3.0)
    np.testing.assert_array_equal(line.sweep(net).breakpoints, direct.breakpoints)


def test_between_is_the_line_sweep(net):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=8), rng.normal(size=8)
    line = directions.between(a, b)
    assert (line.lo, line.hi) == (0.0, 1.0) and line.length == pytest.approx(np.linalg.norm(b - a))
    np.testing.assert_allclose(line.point(1.0), b)
    expected = sweeps.line_sweep(net, a, b).breakpoints
    np.testing.assert_array_equal(line.sweep(net).breakpoints, expected)


def test_pixel_line_is_the_pixel_sweep(net):
    x = np.random.default_rng(2).uniform(size=8)
    line = directions.pixel_line(x, 3, -4.0, 6.0)
    expected = sweeps.pixel_sweep(net, x, 3, -4.0, 6.0)
    np.testing.assert_array_equal(line.sweep(net).breakpoints, expected.breakpoints)
    assert line.length == 10.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: directions.between(np.ones(4), np.ones(4)), "length zero"),
        (lambda: directions.Line(np.ones(4), np.zeros(4)), "direction is zero"),
        (lambda: directions.Line(np.ones(4), np.ones(3)), "has 4 values"),
        (lambda: directions.Line(np.ones(4), np.ones(4), 2.0, 1.0), "lo must be less than hi"),
        (lambda: directions.Line(np.full(4, np.nan), np.ones(4)), "NaN"),
        (lambda: directions.pixel_line(np.ones(4), 9, 0.0, 1.0), "pixel must be in 0..3"),
        (lambda: directions.principal_directions(np.ones((5, 3)), 4), "k must be from 1 to 3"),
        (lambda: directions.typical_distance(np.ones((1, 3))), "at least two"),
    ],
)
def test_bad_lines_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_principal_directions_match_an_svd():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 6)) * np.array([5, 3, 2, 1, 0.5, 0.1])
    components, explained = directions.principal_directions(x, 3)
    _, s, vt = np.linalg.svd(x - x.mean(0), full_matrices=False)
    np.testing.assert_allclose(np.abs(components @ vt[:3].T), np.eye(3), atol=1e-8)
    np.testing.assert_allclose(explained, (s**2 / (s**2).sum())[:3])
    again, same = directions.principal_directions(255 * x, 3)  # scale does not matter
    np.testing.assert_allclose(components, again, atol=1e-12)  # signs are fixed
    np.testing.assert_allclose(explained, same)
    assert np.all(components[np.arange(3), np.abs(components).argmax(1)] > 0)


def test_random_direction_is_a_seeded_unit_vector():
    v = directions.random_direction(784, 7)
    assert np.linalg.norm(v) == pytest.approx(1.0)
    np.testing.assert_array_equal(v, directions.random_direction(784, 7))
    assert not np.array_equal(v, directions.random_direction(784, 8))


def test_typical_distance_is_the_median_pair_distance():
    x = np.random.default_rng(5).normal(size=(50, 3))
    rng = np.random.default_rng(9)
    i, j = rng.integers(0, 50, (2, 400))
    keep = i != j
    expected = np.median(np.linalg.norm(x[i[keep]] - x[j[keep]], axis=1))
    assert directions.typical_distance(x, 400, seed=9) == pytest.approx(expected)
    assert directions.typical_distance(255 * x, 400, seed=9, scale=1 / 255) == pytest.approx(
        expected
    )


def test_compare_counts_pieces_per_unit_length(net):
    rng = np.random.default_rng(6)
    lines = [
        directions.between(rng.normal(size=8), rng.normal(size=8), "a"),
        directions.Line(rng.normal(size=8), rng.normal(size=8), -2.0, 2.0, "b"),
    ]
    table = directions.compare(net, lines)
    assert list(table["line"]) == ["a", "b"]
    for row, line in zip(table.itertuples(), lines, strict=True):
        assert row.pieces == line.sweep(net).pieces
        assert row.pieces_per_unit_length == pytest.approx(row.pieces / line.length)


def test_lines_between_images_cross_more_kinks_than_a_pixel_sweep(fashion):
    """The seed model's answer in numbers: image lines bend far more often per unit length."""
    from relucurves.baselines import mean_image
    from relucurves.models import default_model

    mlp = default_model()
    image = [fashion.x_test[i].reshape(-1) for i in (0, 1)]
    table = directions.compare(
        mlp,
        [
            directions.between(*image, "images"),
            directions.pixel_line(mean_image(fashion), 14 * 28 + 14, 0.0, 1.0),
        ],
    )
    lines, pixel = table.itertuples()
    assert lines.pieces > 10 * pixel.pieces
    assert lines.pieces_per_unit_length > pixel.pieces_per_unit_length
