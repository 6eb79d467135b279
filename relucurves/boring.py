"""Why one-pixel sweeps look boring: where the kinks are, and how far a sweep moves the logits.

Along the sweep of pixel i a first-layer unit j has pre-activation
``a_j + W[i, j] * (t - x_i)`` (``a = x·W + b`` at the baseline x), so it has exactly one
kink, at ``t*_ij = x_i - a_j / W[i, j]``. The sweep only bends where such a kink falls
inside [lo, hi]. Everything here measures how rarely that happens, and how little the
logits move along a sweep compared with how far apart the classes are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relucurves import baselines, geometry, sweeps
from relucurves.data import CLASS_NAMES, FashionMNIST
from relucurves.mlp import ReluMLP

# From [0, 1] out to [-100, 100]: the ranges of the pieces-vs-width study.
DEFAULT_RANGES = (
    (0.0, 1.0),
    (-0.5, 1.5),
    (-1.0, 2.0),
    (-2.0, 3.0),
    (-5.0, 5.0),
    (-10.0, 10.0),
    (-20.0, 20.0),
    (-50.0, 50.0),
    (-100.0, 100.0),
)
WIDE_RANGE = (-50.0, 50.0)
# Histogram bins of a kink's distance to the range, in multiples of the range's width.
DISTANCE_EDGES = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, np.inf)
INSIDE = "inside"


def kink_positions(mlp: ReluMLP, baseline: object) -> np.ndarray:
    """Where each first-layer unit kinks along each pixel's sweep, shape (n_inputs, width).

    NaN where ``W[i, j] == 0``: that unit ignores the pixel and never kinks. Only the first
    layer has exactly one kink per unit; deeper units bend wherever earlier ones do.
    """
    x = geometry.check_vector(mlp, "baseline", baseline)
    w, b = geometry.float64_layers(mlp)[0]
    a = x @ w + b
    with np.errstate(divide="ignore", invalid="ignore"):
        t = x[:, None] - a[None, :] / w
    t[w == 0] = np.nan
    return t


def distance_to_range(t: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """How far each t lies outside [lo, hi] (0 inside; NaN stays NaN)."""
    lo, hi = geometry.check_range(lo, hi)
    t = np.asarray(t, dtype=np.float64)
    return np.maximum(np.maximum(lo - t, t - hi), 0.0)


def kink_distances(mlp: ReluMLP, baseline: object, lo: float, hi: float) -> np.ndarray:
    """Distance from every first-layer kink to [lo, hi], shape (n_inputs, width)."""
    return distance_to_range(kink_positions(mlp, baseline), lo, hi)


def _bin_labels() -> tuple[str, ...]:
    inner = DISTANCE_EDGES[1:]
    middle = [f"{a:g}–{b:g}" for a, b in zip(inner[:-2], inner[1:-1], strict=True)]
    return (INSIDE, f"< {inner[0]:g}", *middle, f"≥ {inner[-2]:g}")


DISTANCE_BINS = _bin_labels()


def distance_histogram(distances: Mapping[str, np.ndarray], range_width: float) -> pd.DataFrame:
    """Fraction of kinks per distance bin (in range widths), one block of rows per series.

    Columns: series, bin (label, in :data:`DISTANCE_BINS` order), order, count, fraction.
    Units with no kink (NaN) are left out of the counts.
    """
    if not range_width > 0:
        raise ValueError(f"range_width must be positive, got {range_width!r}")
    edges = np.asarray(DISTANCE_EDGES) * range_width
    rows = []
    for series, values in distances.items():
        d = np.asarray(values, dtype=np.float64).reshape(-1)
        d = d[np.isfinite(d)]
        inside = np.count_nonzero(d == 0)
        outside, _ = np.histogram(d[d > 0], bins=edges)
        counts = np.r_[inside, outside]
        total = max(len(d), 1)
        for order, (label, count) in enumerate(zip(DISTANCE_BINS, counts, strict=True)):
            rows.append((series, label, order, int(count), count / total))
    return pd.DataFrame(rows, columns=["series", "bin", "order", "count", "fraction"])


def pieces_vs_range(
    mlp: ReluMLP, baseline: object, ranges: Sequence[tuple[float, float]] = DEFAULT_RANGES
) -> pd.DataFrame:
    """Mean, median and max pieces per pixel sweep for each range: the curves get busy only
    once the range reaches the kinks, tens of pixel-units out.

    Columns: lo, hi, width, mean, median, max.
    """
    rows = []
    for lo, hi in ranges:
        counts = sweeps.segment_map(mlp, baseline, lo, hi)
        rows.append((lo, hi, hi - lo, counts.mean(), np.median(counts), counts.max()))
    return pd.DataFrame(rows, columns=["lo", "hi", "width", "mean", "median", "max"])


def active_at(mlp: ReluMLP, x: object) -> tuple[int, ...]:
    """Hidden units with a positive pre-activation at the point x, per hidden layer."""
    h = geometry.check_vector(mlp, "x", x)
    counts = []
    for w, b in geometry.float64_layers(mlp)[:-1]:
        z = h @ w + b
        counts.append(int(np.count_nonzero(z > 0)))
        h = np.maximum(z, 0.0)
    return tuple(counts)


def standard_baselines(
    data: FashionMNIST, samples: Sequence[int] = (0, 1, 2), split: str = "test"
) -> dict[str, np.ndarray]:
    """Mean, zero, a few sample images and every class mean, by display name."""
    out = {"mean": baselines.mean_image(data), "zero": baselines.zero_image()}
    for index in samples:
        out[f"{split} #{index}"] = baselines.sample_image(data, split, index)
    for label, name in enumerate(CLASS_NAMES):
        out[f"mean {name}"] = baselines.class_mean(data, label)
    return out


def baseline_table(
    mlp: ReluMLP, points: Mapping[str, np.ndarray], lo: float, hi: float
) -> pd.DataFrame:
    """The same counts for several baselines side by side: is the mean image special?

    Columns: baseline, mean_pieces, max_pieces (over the pixel sweeps), active_at_baseline
    (hidden units of all layers active at the baseline itself).
    """
    rows = []
    for name, point in points.items():
        counts = sweeps.segment_map(mlp, point, lo, hi)
        rows.append((name, counts.mean(), int(counts.max()), sum(active_at(mlp, point))))
    columns = ["baseline", "mean_pieces", "max_pieces", "active_at_baseline"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class LogitScale:
    """How far one pixel's sweep moves the logits, next to how far apart the classes are.

    logits: (n_outputs,) at the baseline. sweep_min / sweep_max: each logit's extremes
    along the chosen pixel's sweep (exact: a piecewise-linear curve peaks at a vertex).
    variation: (n_outputs,) total variation of each logit along that sweep.
    max_slope: largest |d logit / dt| on that sweep.
    pixel_largest_variation: (n_inputs,) for every pixel, the largest total variation of
    any single logit along its sweep.
    """

    logits: np.ndarray
    sweep_min: np.ndarray
    sweep_max: np.ndarray
    variation: np.ndarray
    max_slope: float
    pixel_largest_variation: np.ndarray

    @property
    def spread(self) -> float:
        """Largest minus smallest logit at the baseline."""
        return float(self.logits.max() - self.logits.min())

    @property
    def margin(self) -> float:
        """Top logit minus the runner-up: how much has to move to change the prediction."""
        top = np.sort(self.logits)[::-1]
        return float(top[0] - top[1]) if len(top) > 1 else float("nan")

    def frame(self, class_names: Sequence[str] = CLASS_NAMES) -> pd.DataFrame:
        """One row per class: name, baseline, sweep_min, sweep_max, variation."""
        names = [
            class_names[c] if c < len(class_names) else str(c) for c in range(len(self.logits))
        ]
        return pd.DataFrame(
            {
                "name": names,
                "baseline": self.logits,
                "sweep_min": self.sweep_min,
                "sweep_max": self.sweep_max,
                "variation": self.variation,
            }
        )


def largest_logit_variation(mlp: ReluMLP, baseline: object, lo: float, hi: float) -> np.ndarray:
    """For every pixel's sweep, the total variation of the logit that moves most, (n_inputs,)."""
    maps = sweeps.pixel_maps(mlp, baseline, lo, hi)
    return maps.logit_variation.reshape(mlp.n_outputs, -1).max(axis=0)


def logit_scale(mlp: ReluMLP, baseline: object, pixel: int, lo: float, hi: float) -> LogitScale:
    """The :class:`LogitScale` of sweeping ``pixel`` over [lo, hi] from ``baseline``."""
    sweep = sweeps.pixel_sweep(mlp, baseline, pixel, lo, hi)
    by_unit = sweep.logits.sort_values(["unit", "t"]).groupby("unit")["value"]
    variation = by_unit.agg(lambda v: np.abs(np.diff(v.to_numpy())).sum()).to_numpy()
    maps = sweeps.pixel_maps(mlp, baseline, lo, hi)
    return LogitScale(
        logits=mlp.forward(geometry.check_vector(mlp, "baseline", baseline))[0],
        sweep_min=by_unit.min().to_numpy(),
        sweep_max=by_unit.max().to_numpy(),
        variation=variation,
        max_slope=float(maps.max_slope.reshape(-1)[pixel]),
        pixel_largest_variation=maps.logit_variation.reshape(mlp.n_outputs, -1).max(axis=0),
    )


@dataclass(frozen=True)
class Summary:
    """The numbers the plain-words answer quotes."""

    lo: float
    hi: float
    n_inputs: int
    units: int  # hidden units, all layers
    active_at_baseline: int
    median_distance: float  # median over all pixels and first-layer units, in pixel-units
    fraction_inside: float  # of those kinks, the fraction inside [lo, hi]
    mean_pieces: float
    max_pieces: int
    wide: tuple[float, float]
    wide_mean_pieces: float
    median_weight: float  # median |W[i, j]| of the first layer
    median_preactivation: float  # median |a_j| of the first layer at the baseline
    spread: float  # largest minus smallest logit at the baseline
    margin: float  # top logit minus runner-up at the baseline
    mean_largest_variation: float  # mean over pixels of the most-moving logit's variation


def summarise(
    mlp: ReluMLP, baseline: object, lo: float, hi: float, wide: tuple[float, float] = WIDE_RANGE
) -> Summary:
    """Everything :func:`explain` quotes, for one baseline and range."""
    x = geometry.check_vector(mlp, "baseline", baseline)
    w, b = geometry.float64_layers(mlp)[0]
    distances = kink_distances(mlp, x, lo, hi)
    finite = distances[np.isfinite(distances)]
    counts = sweeps.segment_map(mlp, x, lo, hi)
    logits = mlp.forward(x)[0]
    top = np.sort(logits)[::-1]
    return Summary(
        lo=lo,
        hi=hi,
        n_inputs=mlp.n_inputs,
        units=int(sum(mlp.hidden_widths)),
        active_at_baseline=sum(active_at(mlp, x)),
        median_distance=float(np.median(finite)) if finite.size else float("nan"),
        fraction_inside=float(np.mean(finite == 0)) if finite.size else 0.0,
        mean_pieces=float(counts.mean()),
        max_pieces=int(counts.max()),
        wide=wide,
        wide_mean_pieces=float(sweeps.segment_map(mlp, x, *wide).mean()),
        median_weight=float(np.median(np.abs(w))),
        median_preactivation=float(np.median(np.abs(x @ w + b))),
        spread=float(logits.max() - logits.min()),
        margin=float(top[0] - top[1]) if len(top) > 1 else float("nan"),
        mean_largest_variation=float(largest_logit_variation(mlp, x, lo, hi).mean()),
    )


def explain(s: Summary) -> str:
    """The answer to "why so boring?" in plain words, with the live numbers (Markdown)."""
    moved = s.mean_largest_variation
    flips = (
        f"Still, the top two classes are only {s.margin:.2g} apart here, so even such a "
        f"small move can change the prediction."
        if moved > s.margin
        else f"The top class leads the runner-up by {s.margin:.2g}, more than such a move."
    )
    return (
        f"A sweep of one pixel bends only where some unit's kink falls inside the range. "
        f"At this baseline **{s.active_at_baseline} of {s.units}** hidden units are active. "
        f"A first-layer unit kinks where one pixel's weight (median size "
        f"{s.median_weight:.2g}) cancels the unit's pre-activation (median size "
        f"{s.median_preactivation:.2g}), so the pixel must move by about their ratio: the "
        f"median kink lies **{s.median_distance:.3g} pixel-units outside "
        f"[{s.lo:g}, {s.hi:g}]**, a range {s.hi - s.lo:g} wide. Only "
        f"{100 * s.fraction_inside:.2g}% of the kinks fall inside, so a sweep has "
        f"**{s.mean_pieces:.3g} linear pieces on average** (at most {s.max_pieces}, over "
        f"{s.n_inputs} pixels). Widen the range to [{s.wide[0]:g}, {s.wide[1]:g}] and the same "
        f"sweeps have **{s.wide_mean_pieces:.3g} pieces** on average: the complexity is there, "
        f"but far outside the values a pixel can take.\n\n"
        f"The curves are also small. Along a sweep the logit that moves most changes by "
        f"**{moved:.2g}** on average, while the logits at the baseline span **{s.spread:.2g}**: "
        f"drawn on one axis, every curve looks flat. {flips}\n\n"
        f"One pixel is a short step along one axis of a {s.n_inputs}-dimensional space. The "
        f"network spends its kinks along the directions real images differ in: lines that "
        f"move many pixels at once (the Lines page) cross far more of them."
    )
