"""Straight lines through input space other than one-pixel sweeps.

Real images differ from each other in hundreds of pixels at once, and that is where a
trained network puts its kinks. These helpers build such lines (between two images or
class means, from the baseline toward an image, along a principal component or a random
direction) as :class:`Line` objects that :mod:`relucurves.sweeps` sweeps exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relucurves import geometry, sweeps
from relucurves.mlp import ReluMLP


def _vector(name: str, value: object) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


@dataclass(frozen=True)
class Line:
    """The points x0 + t·direction for t in [lo, hi]; its length is |direction|·(hi - lo)."""

    x0: np.ndarray
    direction: np.ndarray
    lo: float = 0.0
    hi: float = 1.0
    name: str = "line"

    def __post_init__(self) -> None:
        x0, direction = _vector("x0", self.x0), _vector("direction", self.direction)
        if x0.shape != direction.shape:
            raise ValueError(f"x0 has {x0.size} values but the direction has {direction.size}")
        if not np.any(direction):
            raise ValueError(f"{self.name}: the direction is zero, so there is no line to sweep")
        lo, hi = geometry.check_range(self.lo, self.hi)
        object.__setattr__(self, "x0", x0)
        object.__setattr__(self, "direction", direction)
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    @property
    def length(self) -> float:
        """Euclidean distance travelled in input space from t = lo to t = hi."""
        return float(np.linalg.norm(self.direction) * (self.hi - self.lo))

    def point(self, t: float) -> np.ndarray:
        """The input at t (an interpolated image for lines between images)."""
        return self.x0 + float(t) * self.direction

    def sweep(self, mlp: ReluMLP) -> sweeps.Sweep:
        """The exact sweep of the network along this line."""
        return sweeps.sweep(mlp, self.x0, self.direction, self.lo, self.hi)


def between(start: object, end: object, name: str = "line") -> Line:
    """From ``start`` (t = 0) to ``end`` (t = 1); two equal ends are a ValueError."""
    a, b = _vector("start", start), _vector("end", end)
    if a.shape == b.shape and np.array_equal(a, b):
        raise ValueError(f"{name}: both ends are the same point, a line of length zero")
    return Line(a, b - a, 0.0, 1.0, name)


def pixel_line(baseline: object, pixel: int, lo: float, hi: float) -> Line:
    """The one-pixel sweep as a :class:`Line` (t is the pixel's value), for comparisons."""
    x0 = _vector("baseline", baseline).copy()
    if not 0 <= pixel < x0.size:
        raise ValueError(f"pixel must be in 0..{x0.size - 1}, got {pixel}")
    x0[pixel] = 0.0
    direction = np.zeros_like(x0)
    direction[pixel] = 1.0
    return Line(x0, direction, lo, hi, f"pixel {pixel} from {lo:g} to {hi:g}")


def principal_directions(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top-k principal directions of the data (unit rows) and their variance fractions.

    Both are unchanged by scaling x, so raw uint8 images will do. Signs are fixed (largest-magnitude entry positive) so the same data give the same lines.
    """
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    if not 1 <= k <= flat.shape[1]:
        raise ValueError(f"k must be from 1 to {flat.shape[1]}, got {k}")
    centred = flat - flat.mean(axis=0)
    values, vectors = np.linalg.eigh(centred.T @ centred / max(len(flat) - 1, 1))
    order = np.argsort(values)[::-1][:k]
    components = vectors[:, order].T
    signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
    return components * signs[:, None], values[order] / values.sum()


def random_direction(n_inputs: int, seed: int) -> np.ndarray:
    """A unit vector drawn uniformly from the sphere (Gaussian, normalised)."""
    v = np.random.default_rng(seed).standard_normal(n_inputs)
    return v / np.linalg.norm(v)


def typical_distance(
    x: np.ndarray, n_pairs: int = 1000, seed: int = 0, scale: float = 1.0
) -> float:
    """Median Euclidean distance between random pairs of rows of ``x * scale``: how far
    apart images are. Only the pairs are converted to floats, so raw uint8 images can be
    passed with ``scale=1/255``."""
    flat = np.asarray(x).reshape(len(x), -1)
    if len(flat) < 2:
        raise ValueError("a typical distance needs at least two examples")
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(flat), (2, n_pairs))
    keep = i != j
    gaps = flat[i[keep]].astype(np.float64) - flat[j[keep]]
    return float(np.median(np.linalg.norm(gaps, axis=1))) * scale


def compare(mlp: ReluMLP, lines: Sequence[Line]) -> pd.DataFrame:
    """Pieces along each line, and per unit of distance travelled in input space.

    Columns: line, length, pieces, pieces_per_unit_length.
    """
    rows = []
    for line in lines:
        offsets, slopes = geometry.line_offsets(mlp, line.x0, line.direction)
        pieces = int(geometry.count_pieces(mlp, offsets, slopes, line.lo, line.hi)[0])
        rows.append((line.name, line.length, pieces, pieces / line.length))
    return pd.DataFrame(rows, columns=["line", "length", "pieces", "pieces_per_unit_length"])
