"""Pixel sweeps, line sweeps and all-pixel maps, as tidy frames and arrays.

A *pixel sweep* moves one input (flat index, row-major for 28 x 28 images) over
[lo, hi] while every other input stays at the baseline: t is the pixel's value. A *line
sweep* moves from ``start`` (t = 0) to ``end`` (t = 1). Both are exact: see
:mod:`relucurves.geometry`.

Per-pixel maps come back shaped (28, 28) when the network has 784 inputs, and as flat
arrays of length n_inputs otherwise (other domains have no image layout).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from relucurves import geometry
from relucurves.mlp import ReluMLP

LOGITS = "logits"
PROBABILITY_GRID = 201


def layer_name(k: int, n_layers: int) -> str:
    """Chart label of layer k (0-based): "hidden 1".."hidden n", then "logits"."""
    return LOGITS if k == n_layers - 1 else f"hidden {k + 1}"


@dataclass(frozen=True)
class Sweep:
    """The network along x0 + t·direction for t in [lo, hi].

    x0 is the point at t = 0: for a pixel sweep, the baseline with that pixel set to 0.
    vertices: columns layer, unit, t, value: for every hidden unit (its ReLU output) and
        every logit, the ends of [lo, hi] plus the t where its own curve bends. Joining
        them with straight lines reproduces the network exactly.
    probabilities: columns t, class, probability. Softmax is not piecewise linear, so it
        is evaluated exactly at ``PROBABILITY_GRID`` evenly spaced t plus every breakpoint;
        joining those points is an approximation between them.
    """

    x0: np.ndarray
    direction: np.ndarray
    lo: float
    hi: float
    breakpoints: np.ndarray
    vertices: pd.DataFrame
    probabilities: pd.DataFrame

    @property
    def pieces(self) -> int:
        return len(self.breakpoints) + 1

    @property
    def logits(self) -> pd.DataFrame:
        """The logits' vertices (exact piecewise-linear curves)."""
        return self.vertices[self.vertices["layer"] == LOGITS]


def sweep(mlp: ReluMLP, x0: object, direction: object, lo: float, hi: float) -> Sweep:
    """The exact :class:`Sweep` of the network along x0 + t·direction over [lo, hi]."""
    lo, hi = geometry.check_range(lo, hi)
    x0 = geometry.check_vector(mlp, "x0", x0)
    direction = geometry.check_vector(mlp, "direction", direction)
    layers = geometry.line_pieces(mlp, x0, direction, lo, hi)
    return Sweep(
        x0=x0,
        direction=direction,
        lo=lo,
        hi=hi,
        breakpoints=layers[-1].t_lo[1:],
        vertices=_vertices(layers, hi),
        probabilities=_probabilities(layers[-1], lo, hi),
    )


def pixel_sweep(mlp: ReluMLP, baseline: object, pixel: int, lo: float, hi: float) -> Sweep:
    """Sweep input ``pixel`` over [lo, hi], every other input held at ``baseline``."""
    pixel = geometry.check_pixel(mlp, pixel)
    x0 = geometry.check_vector(mlp, "baseline", baseline).copy()
    x0[pixel] = 0.0
    direction = np.zeros(mlp.n_inputs)
    direction[pixel] = 1.0
    return sweep(mlp, x0, direction, lo, hi)


def line_sweep(mlp: ReluMLP, start: object, end: object) -> Sweep:
    """Sweep the straight line from ``start`` (t = 0) to ``end`` (t = 1)."""
    start = geometry.check_vector(mlp, "start", start)
    end = geometry.check_vector(mlp, "end", end)
    return sweep(mlp, start, end - start, 0.0, 1.0)


def _vertices(layers: list[geometry.Pieces], hi: float) -> pd.DataFrame:
    """Tidy vertices of every unit: the ends plus the piece ends where its slope changes.

    Slopes that differ by less than ``geometry.RESOLUTION`` relative are rounding noise
    (e.g. a unit reached through a zero weight), not a bend.
    """
    names, units, ts, values = [], [], [], []
    for k, pieces in enumerate(layers):
        n = len(pieces.t_lo)
        t = np.r_[pieces.t_lo, hi]
        value = pieces.outputs(np.r_[np.arange(n), n - 1], t)  # hi is on the last piece
        slopes = pieces.slopes
        bend = np.abs(slopes[1:] - slopes[:-1])
        keep = np.ones(value.shape, dtype=bool)
        keep[1:-1] = bend > geometry.RESOLUTION * np.maximum(abs(slopes[1:]), abs(slopes[:-1]))
        unit, at = np.nonzero(keep.T)
        names.append(np.full(len(unit), layer_name(k, len(layers)), dtype=object))
        units.append(unit)
        ts.append(t[at])
        values.append(value[at, unit])
    columns = {"layer": names, "unit": units, "t": ts, "value": values}
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})


def _probabilities(logits: geometry.Pieces, lo: float, hi: float) -> pd.DataFrame:
    """Softmax of the exact logits at an even grid plus every breakpoint."""
    t = np.unique(np.r_[np.linspace(lo, hi, PROBABILITY_GRID), logits.t_lo[1:]])
    z = logits.outputs(np.searchsorted(logits.t_lo, t, side="right") - 1, t)
    exp = np.exp(z - z.max(axis=1, keepdims=True))
    prob = exp / exp.sum(axis=1, keepdims=True)
    n_classes = prob.shape[1]
    return pd.DataFrame(
        {
            "t": np.repeat(t, n_classes),
            "class": np.tile(np.arange(n_classes), len(t)),
            "probability": prob.reshape(-1),
        }
    )


# ---------------------------------------------------------------- all-pixel maps


@dataclass(frozen=True)
class PixelMaps:
    """Per-pixel summaries of every pixel's sweep, each shaped like the input image.

    segments: linear pieces of the network along the sweep.
    active_units: hidden units (all layers) active somewhere in the sweep.
    changing_units: hidden units whose state changes at least once in the sweep.
    total_variation: total variation of the logits, summed over logits.
    logit_variation: (n_outputs, *image shape) total variation of each logit.
    logit_slope: (n_outputs, *image shape) the largest |d logit / d pixel| of each logit.
    max_slope: the largest |d logit / d pixel| of any logit anywhere in the sweep.
    """

    segments: np.ndarray
    active_units: np.ndarray
    changing_units: np.ndarray
    total_variation: np.ndarray
    logit_variation: np.ndarray
    logit_slope: np.ndarray
    max_slope: np.ndarray


def _pixel_lines(mlp: ReluMLP, baseline: object) -> tuple[np.ndarray, np.ndarray]:
    """First-layer (offsets, slopes) of every pixel's sweep, one row per pixel.

    Sweeping pixel i from baseline x sets the first layer's pre-activation to
    (x·W + b) - x_i·W[i] + t·W[i]: one (n_inputs x width) expression for all pixels.
    """
    x = geometry.check_vector(mlp, "baseline", baseline)
    w, b = geometry.float64_layers(mlp)[0]
    return (x @ w + b) - x[:, None] * w, w


def _map_shape(mlp: ReluMLP) -> tuple[int, ...]:
    return geometry.IMAGE_SHAPE if mlp.n_inputs == 784 else (mlp.n_inputs,)


def pixel_maps(mlp: ReluMLP, baseline: object, lo: float, hi: float) -> PixelMaps:
    """All the per-pixel maps from one walk over every pixel's sweep at once."""
    summary = geometry.summarise_lines(mlp, *_pixel_lines(mlp, baseline), lo, hi)
    shape = _map_shape(mlp)
    return PixelMaps(
        segments=summary.pieces.reshape(shape),
        active_units=summary.active_units.reshape(shape),
        changing_units=summary.changing_units.reshape(shape),
        total_variation=summary.logit_variation.sum(axis=1).reshape(shape),
        logit_variation=summary.logit_variation.T.reshape(-1, *shape),
        logit_slope=summary.logit_slope.T.reshape(-1, *shape),
        max_slope=summary.max_slope.reshape(shape),
    )


def segment_map(mlp: ReluMLP, baseline: object, lo: float, hi: float) -> np.ndarray:
    """Linear pieces of the network along each pixel's sweep over [lo, hi].

    Equal to ``pixel_maps(...).segments``, but skips the activations the other maps need.
    """
    counts = geometry.count_pieces(mlp, *_pixel_lines(mlp, baseline), lo, hi)
    return counts.reshape(_map_shape(mlp))


def active_units_map(mlp: ReluMLP, baseline: object, lo: float, hi: float) -> np.ndarray:
    """Hidden units active somewhere along each pixel's sweep."""
    return pixel_maps(mlp, baseline, lo, hi).active_units


def changing_units_map(mlp: ReluMLP, baseline: object, lo: float, hi: float) -> np.ndarray:
    """Hidden units that change state along each pixel's sweep."""
    return pixel_maps(mlp, baseline, lo, hi).changing_units


def variation_map(mlp: ReluMLP, baseline: object, lo: float, hi: float) -> np.ndarray:
    """Total variation of the logits (summed over logits) along each pixel's sweep."""
    return pixel_maps(mlp, baseline, lo, hi).total_variation


def slope_map(mlp: ReluMLP, baseline: object, lo: float, hi: float) -> np.ndarray:
    """Largest absolute logit slope along each pixel's sweep."""
    return pixel_maps(mlp, baseline, lo, hi).max_slope
