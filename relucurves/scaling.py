"""Pieces against width, depth and training, compared with Hanin & Rolnick (2019).

Hanin & Rolnick, "Complexity of Linear Regions in Deep Networks": along a 1-D line the
number of regions grows about linearly with the total number of neurons, whatever the
depth, and training changes it little. This study measures exactly that on Fashion-MNIST
for a grid of widths and depths, at Keras's default initialisation and after a short
training, along every pixel sweep over [0, 1] and along lines between test images.

Models are cached on disk (both states) together with their measurements, so a finished
study is re-read at once and without TensorFlow; only :func:`run` may import it, through
:mod:`relucurves.domains`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relucurves import baselines, domains, geometry, sweeps
from relucurves.cache import ModelCache, entry_key
from relucurves.data import FashionMNIST
from relucurves.mlp import ReluMLP
from relucurves.models import MAX_WIDTH, ModelSpec

DEFAULT_WIDTHS = (16, 32, 64, 128, 256, 512, 1024)
DEFAULT_DEPTHS = (1, 2, 3)
MAX_STUDY_DEPTH = 3
STATES = ("initialisation", "trained")
PIXELS = "pixel sweeps over [0, 1]"
LINES = "lines between test images"
MEASURES = (PIXELS, LINES)
# A slope this close to 1 on log-log axes counts as "about linear".
LINEAR_EXPONENTS = (0.75, 1.25)
# Trained / initial piece counts within this factor count as "similar".
SIMILAR_RATIO = 2.0
LEARNING_RATE = 1e-3  # Adam's default, as for the models of the Train page

# progress(done, total, text) before each model.
StudyProgress = Callable[[int, int, str], None]


def parse_sizes(text: str, name: str, lo: int, hi: int) -> tuple[int, ...]:
    """``"16, 32, 64"`` as sorted distinct whole numbers from lo to hi, else a ValueError."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise ValueError(f"give at least one {name}")
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise ValueError(f"{name}s must be whole numbers separated by commas, got {text!r}")
    values = sorted({int(p) for p in parts})
    if values[0] < lo or values[-1] > hi:
        raise ValueError(f"each {name} must be from {lo} to {hi}, got {text!r}")
    return tuple(values)


@dataclass(frozen=True)
class Study:
    """The grid and the (deliberately short) training of every model in it.

    Each model is ``depth`` hidden layers of ``width`` units, trained for ``epochs`` on the
    first ``n_train`` training images; ``n_lines`` random pairs of test images give the
    image-to-image lines.
    """

    widths: tuple[int, ...] = DEFAULT_WIDTHS
    depths: tuple[int, ...] = DEFAULT_DEPTHS
    n_train: int = 10_000
    epochs: int = 1
    batch_size: int = 128
    seed: int = 0
    n_lines: int = 20

    def __post_init__(self) -> None:
        if not self.widths or not all(1 <= w <= MAX_WIDTH for w in self.widths):
            raise ValueError(f"widths must be from 1 to {MAX_WIDTH}, got {self.widths!r}")
        if not self.depths or not all(1 <= d <= MAX_STUDY_DEPTH for d in self.depths):
            raise ValueError(f"depths must be from 1 to {MAX_STUDY_DEPTH}, got {self.depths!r}")
        if not 100 <= self.n_train <= 60_000:
            raise ValueError(f"n_train must be from 100 to 60000, got {self.n_train}")
        if not 1 <= self.n_lines <= 500:
            raise ValueError(f"n_lines must be from 1 to 500, got {self.n_lines}")

    def specs(self) -> list[ModelSpec]:
        return [
            ModelSpec((w,) * d, self.epochs, self.batch_size, self.seed)
            for d in self.depths
            for w in self.widths
        ]

    def key(self, spec: ModelSpec, state: str, data_sha256: str) -> str:
        """Cache key of one model: its spec, state, training subset and data."""
        trained = state == "trained"
        return entry_key(
            kind="scaling",
            recipe=domains.TRAINING_RECIPE if trained else 0,
            spec=spec.to_dict(),
            state=state,
            n_train=self.n_train if trained else 0,
            learning_rate=LEARNING_RATE if trained else 0,
            data=data_sha256,
        )


def image_pairs(data: FashionMNIST, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n pairs of distinct test images as (starts, ends), each (n, 784) float64."""
    rng = np.random.default_rng(seed)
    size = len(data.test_images)
    first = rng.integers(0, size, n)
    second = (first + rng.integers(1, size, n)) % size
    flat = data.test_images.reshape(-1, 784)
    return flat[first] / 255.0, flat[second] / 255.0


def measure(
    mlp: ReluMLP, baseline: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> dict[str, tuple[float, int]]:
    """(mean, max) pieces along every pixel sweep over [0, 1] and along each image line."""
    pixels = sweeps.segment_map(mlp, baseline, 0.0, 1.0)
    w, b = geometry.float64_layers(mlp)[0]
    lines = geometry.count_pieces(mlp, starts @ w + b, (ends - starts) @ w, 0.0, 1.0)
    return {
        PIXELS: (float(pixels.mean()), int(pixels.max())),
        LINES: (float(lines.mean()), int(lines.max())),
    }


def _build(study: Study, spec: ModelSpec, state: str, data: FashionMNIST) -> ReluMLP:
    if state == "trained":
        n = study.n_train  # scaled here: the float copy of all 60,000 images is not needed
        images = data.train_images[:n] / np.float32(255)
        model = domains.fit(spec, images, data.y_train[:n], 10, False, LEARNING_RATE)
    else:
        model = domains.initial(spec, 784, 10)
    model.meta = {"spec": spec.to_dict(), "state": state, "n_train": study.n_train}
    return model


Probes = Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]]


def _pieces(
    study: Study,
    spec: ModelSpec,
    state: str,
    data: FashionMNIST,
    cache: ModelCache,
    build: bool,
    probes: Probes,
) -> dict[str, tuple[float, int]] | None:
    """One model's :func:`measure`, stored in its cache entry so a re-read costs nothing.

    A missing model is built (TensorFlow) if ``build``, else the answer is None.
    """
    key = study.key(spec, state, data.sha256)
    probe = {"baseline": "mean", "n_lines": study.n_lines, "seed": study.seed}
    model = cache.get(key)
    if model is None and not build:
        return None
    if model is not None and _stored(model, probe):
        return _stored(model, probe)
    with cache.lock(key):  # another process may be building or measuring this very model
        model = cache.get(key) or _build(study, spec, state, data)
        if _stored(model, probe):
            return _stored(model, probe)
        found = measure(model, *probes())
        model.meta["pieces"] = {"probe": probe, "of": found}
        cache.put(key, model)
    return found


def _stored(model: ReluMLP, probe: dict) -> dict[str, tuple[float, int]] | None:
    """The measurement kept in a model's metadata, if it was made with these probes."""
    stored = model.meta.get("pieces")
    if not stored or stored.get("probe") != probe:
        return None
    return {what: (float(mean), int(most)) for what, (mean, most) in stored["of"].items()}


def _collect(
    study: Study,
    data: FashionMNIST,
    cache: ModelCache | None,
    build: bool,
    progress: StudyProgress | None = None,
) -> pd.DataFrame | None:
    cache = cache or ModelCache()

    @functools.cache
    def probes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return baselines.mean_image(data), *image_pairs(data, study.n_lines, study.seed)

    jobs = [(spec, state) for spec in study.specs() for state in STATES]
    rows = []
    for done, (spec, state) in enumerate(jobs):
        if progress is not None:
            progress(done, len(jobs), f"{spec.label().split(',')[0]} at {state}")
        found = _pieces(study, spec, state, data, cache, build, probes)
        if found is None:
            return None
        depth, width = len(spec.hidden), spec.hidden[0]
        for what in MEASURES:
            rows.append((depth, width, depth * width, state, what, *found[what]))
    columns = ["depth", "width", "neurons", "state", "measure", "pieces", "max_pieces"]
    return pd.DataFrame(rows, columns=columns)


def run(
    study: Study,
    data: FashionMNIST,
    cache: ModelCache | None = None,
    progress: StudyProgress | None = None,
) -> pd.DataFrame:
    """Build or train every model of the study (cached, with its measurements) and measure it.

    One row per (depth, width, state, measure): neurons (all hidden units), pieces (mean
    over the pixels or lines) and max_pieces.
    """
    return _collect(study, data, cache, build=True, progress=progress)


def cached_run(
    study: Study, data: FashionMNIST, cache: ModelCache | None = None
) -> pd.DataFrame | None:
    """The results of a study whose models are all on disk already (no TensorFlow), else None."""
    return _collect(study, data, cache, build=False)


def exponents(results: pd.DataFrame) -> pd.DataFrame:
    """Log-log slope of breakpoints (pieces - 1) against neurons, per measure and state.

    A slope of 1 is linear growth. Columns: measure, state, exponent, points (how many
    models had at least one breakpoint on average and so entered the fit).
    """
    rows = []
    for (what, state), group in results.groupby(["measure", "state"], sort=False):
        kinks = group["pieces"].to_numpy() - 1
        keep = kinks > 0
        neurons = group["neurons"].to_numpy()[keep]
        slope = np.nan
        if np.unique(neurons).size >= 2:
            slope = float(np.polyfit(np.log(neurons), np.log(kinks[keep]), 1)[0])
        rows.append((what, state, slope, int(keep.sum())))
    return pd.DataFrame(rows, columns=["measure", "state", "exponent", "points"])


def training_ratios(results: pd.DataFrame) -> pd.DataFrame:
    """Trained pieces over initial pieces for every model. Columns: measure, depth, width, ratio."""
    wide = results.pivot_table(
        index=["measure", "depth", "width"], columns="state", values="pieces"
    ).reset_index()
    wide["ratio"] = wide["trained"] / wide["initialisation"]
    return wide[["measure", "depth", "width", "ratio"]]


@dataclass(frozen=True)
class Verdict:
    """Whether one measure agrees with Hanin & Rolnick, and the numbers that say so."""

    measure: str
    exponent_init: float
    exponent_trained: float
    median_ratio: float
    linear: bool
    similar: bool

    @property
    def agrees(self) -> bool:
        return self.linear and self.similar

    def text(self) -> str:
        growth = "grow about linearly" if self.linear else "do not grow linearly"
        change = "similar" if self.similar else "not similar"
        return (
            f"Along {self.measure}, pieces {growth} with the number of neurons (log-log slope "
            f"{self.exponent_init:.2f} at initialisation, {self.exponent_trained:.2f} trained), "
            f"and training leaves them {change} (median trained / initial "
            f"{self.median_ratio:.2f}): this **{'agrees' if self.agrees else 'disagrees'}** "
            f"with Hanin & Rolnick."
        )


def verdicts(results: pd.DataFrame) -> list[Verdict]:
    """One :class:`Verdict` per measure, from the live results."""
    slopes = exponents(results).set_index(["measure", "state"])["exponent"]
    ratios = training_ratios(results).groupby("measure", sort=False)["ratio"].median()
    out = []
    for what in results["measure"].unique():
        e0, e1 = slopes[(what, STATES[0])], slopes[(what, STATES[1])]
        linear = all(LINEAR_EXPONENTS[0] <= e <= LINEAR_EXPONENTS[1] for e in (e0, e1))
        similar = 1 / SIMILAR_RATIO <= ratios[what] <= SIMILAR_RATIO
        out.append(Verdict(what, e0, e1, float(ratios[what]), linear, bool(similar)))
    return out
