"""Exact geometry of a ReLU network along lines x(t) = x0 + t·d, with no sampling.

Along a line every pre-activation is piecewise affine in t. The first layer's is affine
on the whole line; cutting the line where its units cross zero leaves pieces on which
the next layer's pre-activations are affine again, and so on. Each layer's zero crossings
are found in closed form on each piece (t = -alpha / beta), so walking the layers yields
every point where any hidden unit changes state: the *breakpoints*.

Definitions used throughout:

- A unit is *active* where its pre-activation is > 0. A pre-activation that is
  identically zero on a piece is inactive there (its ReLU output is 0 either way).
- A breakpoint is a t in the open interval (lo, hi) where the activation pattern just
  left of t differs from the one just right of it. Several units changing at the same t
  give one breakpoint; a pre-activation that touches zero without changing sign, or is
  zero at lo or hi, gives none. The network is affine on each of the
  ``len(breakpoints) + 1`` pieces (two neighbouring pieces may happen to share a slope,
  e.g. when the unit that changes has zero outgoing weights; they still count as two
  linear regions, as in Hanin & Rolnick 2019).
- Float64 rounding makes a crossing that lies exactly on an earlier breakpoint come out
  a few ulps away from it, which would invent a piece of zero width. So two values of t
  closer than ``RESOLUTION * max(1, |t|)`` are treated as one breakpoint (a run of such
  values is reported once, at its first), and a crossing that close to lo or hi is on
  the boundary, not inside. Real kinks that close cannot be told apart in float64 anyway.

Many lines are walked at once: the pieces of all lines live in flat arrays, sorted by line
and then by t, so an all-pixel map is a handful of array operations per layer, not a loop
over pixels. Those arrays are cut into chunks of bounded size, so memory stays small even
where a wide range gives thousands of pieces per line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, partial
from numbers import Integral, Real

import numpy as np

from relucurves.mlp import ReluMLP

RESOLUTION = 1e-9
IMAGE_SHAPE = (28, 28)
# Pieces x widest layer handled at once: bounds memory (~4 MB per array) on any range.
_CHUNK_ELEMENTS = 2**19

Layers = list[tuple[np.ndarray, np.ndarray]]


# ---------------------------------------------------------------- validation


def _finite_array(name: str, value: object) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers: {exc}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_vector(mlp: ReluMLP, name: str, value: object) -> np.ndarray:
    """``value`` as a finite float64 vector of the network's input size.

    Accepts shape (n_inputs,), and (28, 28) when n_inputs is 784 (read row-major).
    """
    arr = _finite_array(name, value)
    shapes = [(mlp.n_inputs,)] + ([IMAGE_SHAPE] if mlp.n_inputs == 784 else [])
    if arr.shape not in shapes:
        allowed = " or ".join(str(s) for s in shapes)
        raise ValueError(f"{name} must have shape {allowed}, got {arr.shape}")
    return arr.reshape(-1)


def check_lines(mlp: ReluMLP, offsets: object, slopes: object) -> tuple[np.ndarray, np.ndarray]:
    """Many lines' first-layer ``(offsets, slopes)``: finite, shape (lines, first width)."""
    width = mlp.layers[0][0].shape[1]
    offsets, slopes = _finite_array("offsets", offsets), _finite_array("slopes", slopes)
    for name, arr in (("offsets", offsets), ("slopes", slopes)):
        if arr.ndim != 2 or arr.shape[1] != width:
            raise ValueError(f"{name} must have shape (lines, {width}), got {arr.shape}")
    if slopes.shape != offsets.shape:
        raise ValueError(
            f"slopes must have the shape of offsets {offsets.shape}, got {slopes.shape}"
        )
    return offsets, slopes


def check_range(lo: object, hi: object) -> tuple[float, float]:
    """``(lo, hi)`` as finite floats with lo < hi and a finite width."""
    bounds = []
    for name, value in (("lo", lo), ("hi", hi)):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise ValueError(f"{name} must be a real number, got {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        bounds.append(float(value))
    lo_f, hi_f = bounds
    if not lo_f < hi_f:
        raise ValueError(f"lo must be less than hi, got lo={lo_f}, hi={hi_f}")
    if not np.isfinite(hi_f - lo_f):
        raise ValueError(f"hi - lo overflows float64 (lo={lo_f}, hi={hi_f})")
    return lo_f, hi_f


def check_pixel(mlp: ReluMLP, pixel: object) -> int:
    """``pixel`` as a flat input index in 0..n_inputs-1."""
    if isinstance(pixel, bool) or not isinstance(pixel, Integral):
        raise ValueError(f"pixel must be an integer index, got {pixel!r}")
    if not 0 <= pixel < mlp.n_inputs:
        raise ValueError(f"pixel must be in 0..{mlp.n_inputs - 1}, got {pixel}")
    return int(pixel)


# ---------------------------------------------------------------- the walk


class Pieces:
    """One layer's view of a batch of lines, cut into pieces.

    Piece p lies on line ``line[p]`` over [t_lo[p], t_hi[p]]; pieces are sorted by line,
    then by t, and cover each line's [lo, hi]. On every piece the layer's pre-activations
    are ``alpha + beta * t`` (shape (pieces, width)). A hidden layer's pieces are cut at
    its own zero crossings too, so ``active`` (the ReLU state) is constant on each piece
    and every unit's output is linear there; for the logits ``active`` is None.

    alpha, beta and active are computed on first use: counting pieces needs none of them.
    """

    def __init__(
        self,
        line: np.ndarray,
        t_lo: np.ndarray,
        t_hi: np.ndarray,
        affine: Callable[[], tuple[np.ndarray, np.ndarray]],
        hidden: bool,
    ) -> None:
        self.line, self.t_lo, self.t_hi = line, t_lo, t_hi
        self._affine = affine
        self.hidden = hidden

    @cached_property
    def _alpha_beta(self) -> tuple[np.ndarray, np.ndarray]:
        return self._affine()

    @property
    def alpha(self) -> np.ndarray:
        return self._alpha_beta[0]

    @property
    def beta(self) -> np.ndarray:
        return self._alpha_beta[1]

    @cached_property
    def active(self) -> np.ndarray | None:
        if not self.hidden:
            return None
        middle = self.t_lo / 2 + self.t_hi / 2  # halves first: no overflow on huge ranges
        return self.alpha + self.beta * middle[:, None] > 0

    @property
    def slopes(self) -> np.ndarray:
        """d(output)/dt on each piece: ReLU outputs for hidden layers, logits otherwise."""
        return self.beta * self.active if self.hidden else self.beta  # faster than np.where

    def outputs(self, rows: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Outputs (ReLU for hidden layers) at t[i] computed on piece rows[i]."""
        z = self.alpha[rows] + self.beta[rows] * t[:, None]
        return np.maximum(z, 0.0) if self.hidden else z

    def feed(self, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The next layer's (alpha, beta) on these pieces.

        A full product per piece: inactive inputs contribute exact zeros, so a unit whose
        inputs are all inactive gets alpha = bias and beta = 0 exactly, never a rounding
        residue that could fake a crossing.
        """
        return (self.alpha * self.active) @ w + b, self.slopes @ w

    @classmethod
    def concat(cls, chunks: list[Pieces]) -> Pieces:
        """One layer's chunks, in order, as a single :class:`Pieces`."""
        alpha = np.concatenate([c.alpha for c in chunks])
        beta = np.concatenate([c.beta for c in chunks])
        return cls(
            np.concatenate([c.line for c in chunks]),
            np.concatenate([c.t_lo for c in chunks]),
            np.concatenate([c.t_hi for c in chunks]),
            partial(_gather, alpha, beta, slice(None)),
            hidden=chunks[0].hidden,
        )

    def first_of_line(self) -> np.ndarray:
        """Index of each line's first piece (every line has at least one)."""
        return np.flatnonzero(np.r_[True, self.line[1:] != self.line[:-1]])


def float64_layers(mlp: ReluMLP) -> Layers:
    """The weights in float64, converted once per call rather than per chunk."""
    return [(np.asarray(w, np.float64), np.asarray(b, np.float64)) for w, b in mlp.layers]


def _walk(
    layers: Layers, offsets: np.ndarray, slopes: np.ndarray, lo: float, hi: float
) -> Iterator[tuple[int, Pieces]]:
    """Yield ``(k, pieces)``: chunks of layer k's :class:`Pieces`, depth first.

    ``offsets + t * slopes`` (shape (lines, width of layer 1)) is the first layer's
    pre-activation along each line; ``lo < hi`` is assumed checked. k runs over the hidden
    layers, then the logits, whose pieces are the network's linear pieces. Each chunk
    holds at most ``_CHUNK_ELEMENTS`` pieces x widest layer, so memory stays bounded
    however many pieces there are; the chunks of any one layer come in (line, t) order.
    """
    step = _chunk_rows(layers)
    for start in range(0, len(offsets), step):
        rows = np.arange(start, min(start + step, len(offsets)))
        ends = np.full(len(rows), lo), np.full(len(rows), hi)
        yield from _descend(layers, 0, rows, *ends, partial(_gather, offsets, slopes, rows))


def _chunk_rows(layers: Layers) -> int:
    return max(1, _CHUNK_ELEMENTS // max(w.shape[1] for w, _ in layers))


def _descend(
    layers: Layers,
    k: int,
    line: np.ndarray,
    t_lo: np.ndarray,
    t_hi: np.ndarray,
    affine: Callable[[], tuple[np.ndarray, np.ndarray]],
) -> Iterator[tuple[int, Pieces]]:
    """Layer k's pieces of one chunk, each followed by its pieces in the later layers."""
    if k == len(layers) - 1:
        yield k, Pieces(line, t_lo, t_hi, affine, hidden=False)
        return
    alpha, beta = affine()
    parent, t_lo, t_hi = _split(alpha, beta, t_lo, t_hi)
    step = _chunk_rows(layers)
    for start in range(0, len(parent), step):
        rows = parent[start : start + step]
        chunk = slice(start, start + step)
        affine = partial(_gather, alpha, beta, rows)
        pieces = Pieces(line[rows], t_lo[chunk], t_hi[chunk], affine, hidden=True)
        yield k, pieces
        feed = partial(pieces.feed, *layers[k + 1])
        yield from _descend(layers, k + 1, pieces.line, pieces.t_lo, pieces.t_hi, feed)


def _gather(
    alpha: np.ndarray, beta: np.ndarray, rows: np.ndarray | slice
) -> tuple[np.ndarray, np.ndarray]:
    return alpha[rows], beta[rows]


def _gap(t: np.ndarray) -> np.ndarray:
    """The distance below which two values near t count as the same breakpoint."""
    return RESOLUTION * np.maximum(1.0, np.abs(t))


def _split(
    alpha: np.ndarray, beta: np.ndarray, t_lo: np.ndarray, t_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut every piece at its units' zero crossings strictly inside it.

    Returns, for the new pieces, the index of the piece each came from and their ends.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cross = -alpha / beta  # beta == 0 gives inf or NaN, which no test below passes
    piece, unit = np.nonzero((cross > t_lo[:, None]) & (cross < t_hi[:, None]))
    cuts = cross[piece, unit]
    gap = _gap(cuts)
    clear = (cuts - t_lo[piece] > gap) & (t_hi[piece] - cuts > gap)
    piece, cuts = piece[clear], cuts[clear]
    order = np.lexsort((cuts, piece))
    piece, cuts = piece[order], cuts[order]
    distinct = np.ones(len(cuts), dtype=bool)
    distinct[1:] = (piece[1:] != piece[:-1]) | (np.diff(cuts) > _gap(cuts[1:]))
    piece, cuts = piece[distinct], cuts[distinct]

    n_cuts = np.bincount(piece, minlength=len(t_lo))
    parent = np.repeat(np.arange(len(t_lo)), n_cuts + 1)
    # The r-th cut of piece p starts new piece first[p] + 1 + r.
    first = np.cumsum(n_cuts + 1) - (n_cuts + 1)
    rank = np.arange(len(piece)) - (np.cumsum(n_cuts) - n_cuts)[piece]
    at = first[piece] + 1 + rank
    new_lo, new_hi = t_lo[parent], t_hi[parent]
    new_lo[at] = cuts
    new_hi[at - 1] = cuts
    return parent, new_lo, new_hi


# ---------------------------------------------------------------- one line


def line_offsets(mlp: ReluMLP, x0: object, direction: object) -> tuple[np.ndarray, np.ndarray]:
    """First-layer (offsets, slopes), shape (1, width), of the line x0 + t·direction."""
    x0 = check_vector(mlp, "x0", x0)
    direction = check_vector(mlp, "direction", direction)
    w, b = float64_layers(mlp)[0]
    return (x0 @ w + b)[None, :], (direction @ w)[None, :]


def line_pieces(mlp: ReluMLP, x0: object, direction: object, lo: float, hi: float) -> list[Pieces]:
    """Each layer's :class:`Pieces` along one line, hidden layers first, logits last."""
    lo, hi = check_range(lo, hi)
    chunks: list[list[Pieces]] = [[] for _ in mlp.layers]
    for k, pieces in _walk(float64_layers(mlp), *line_offsets(mlp, x0, direction), lo, hi):
        chunks[k].append(pieces)
    return [Pieces.concat(layer) for layer in chunks]


def breakpoints(mlp: ReluMLP, x0: object, direction: object, lo: float, hi: float) -> np.ndarray:
    """Sorted t in (lo, hi) where any hidden unit changes state along x0 + t·direction.

    The network has ``len(breakpoints) + 1`` linear pieces on [lo, hi].
    """
    return line_pieces(mlp, x0, direction, lo, hi)[-1].t_lo[1:]


# ---------------------------------------------------------------- many lines


@dataclass(frozen=True)
class LineSummary:
    """Per-line counts and sizes, one row per line.

    pieces: linear pieces of the network on [lo, hi].
    active_units: hidden units (all layers) active on some piece.
    changing_units: hidden units whose state changes at least once, i.e. that are active
        on some piece and inactive on another (the line is connected).
    logit_variation: (lines, n_outputs) total variation of each logit, ∫|dz/dt| dt.
    logit_slope: (lines, n_outputs) the largest |dz/dt| of each logit on any piece.
    """

    pieces: np.ndarray
    active_units: np.ndarray
    changing_units: np.ndarray
    logit_variation: np.ndarray
    logit_slope: np.ndarray

    @property
    def max_slope(self) -> np.ndarray:
        """The largest |dz/dt| of any logit on any piece."""
        return self.logit_slope.max(axis=1)


def count_pieces(
    mlp: ReluMLP, offsets: np.ndarray, slopes: np.ndarray, lo: float, hi: float
) -> np.ndarray:
    """Linear pieces of the network along each of many lines (see :func:`summarise_lines`).

    Reads only where the walk cuts, none of the activations: the cheapest map.
    """
    lo, hi = check_range(lo, hi)
    offsets, slopes = check_lines(mlp, offsets, slopes)
    counts = np.zeros(len(offsets), dtype=np.int64)
    for _, pieces in _walk(float64_layers(mlp), offsets, slopes, lo, hi):
        if not pieces.hidden:
            counts += np.bincount(pieces.line, minlength=len(counts))
    return counts


def summarise_lines(
    mlp: ReluMLP, offsets: np.ndarray, slopes: np.ndarray, lo: float, hi: float
) -> LineSummary:
    """A :class:`LineSummary` of many lines.

    Line i is given by its first-layer pre-activation ``offsets[i] + t * slopes[i]``.
    Every figure is a sum, "or" or max over pieces, so chunks are folded in as they come.
    """
    lo, hi = check_range(lo, hi)
    offsets, slopes = check_lines(mlp, offsets, slopes)
    n = len(offsets)
    # Hidden unit columns, layer after layer: which states each unit takes on each line.
    column = np.cumsum([0, *mlp.hidden_widths])
    seen_on = np.zeros((n, column[-1]), dtype=bool)
    seen_off = np.zeros((n, column[-1]), dtype=bool)
    pieces_per_line = np.zeros(n, dtype=np.int64)
    variation = np.zeros((n, mlp.n_outputs))
    logit_slope = np.zeros((n, mlp.n_outputs))
    for k, pieces in _walk(float64_layers(mlp), offsets, slopes, lo, hi):
        first = pieces.first_of_line()
        line = pieces.line[first]
        if pieces.hidden:
            units = slice(column[k], column[k + 1])
            seen_on[line, units] |= np.logical_or.reduceat(pieces.active, first)
            seen_off[line, units] |= np.logical_or.reduceat(~pieces.active, first)
            continue
        steepness = np.abs(pieces.beta)
        width = (pieces.t_hi - pieces.t_lo)[:, None]
        pieces_per_line[line] += np.diff(np.r_[first, len(pieces.line)])
        variation[line] += np.add.reduceat(steepness * width, first)
        logit_slope[line] = np.maximum(logit_slope[line], np.maximum.reduceat(steepness, first))
    return LineSummary(
        pieces=pieces_per_line,
        active_units=seen_on.sum(axis=1),
        changing_units=(seen_on & seen_off).sum(axis=1),
        logit_variation=variation,
        logit_slope=logit_slope,
    )
