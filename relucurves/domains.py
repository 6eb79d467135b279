"""Problem domains of rising input dimension, small models trained on them, and their pieces.

The same hidden layer looks very different on a 1-D regression (every kink lands inside
the data, the curve is the whole function) than on Fashion-MNIST (a pixel is one of 784
directions). This module generates or loads each domain, trains the small model (Keras,
seeded, cached on disk like every other model) and counts the linear pieces along every
one-input sweep within that input's data range.

TensorFlow is imported only when :func:`fit` or :func:`initial` runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from relucurves import geometry, sweeps
from relucurves.cache import ModelCache, entry_key
from relucurves.mlp import ReluMLP
from relucurves.models import ModelSpec, from_keras
from relucurves.training import build_keras_model, seed_everything

# progress(epoch, epochs, loss) after every epoch, epoch counted from 1.
EpochProgress = Callable[[int, int, float], None]
# Bump these when a generator, or the way :func:`fit` trains, changes: they are part of
# every cache key, so the cached models are then retrained.
GENERATOR_VERSION = 1
TRAINING_RECIPE = 1


@dataclass(frozen=True)
class Budget:
    """How a domain's small model is trained: Adam at this rate, full passes over the data."""

    epochs: int
    batch_size: int
    learning_rate: float


# Enough for every small domain to fit its training data (R² 0.97 on the sine, accuracy
# of 1.00 elsewhere) in a second or two of CPU.
SMALL_BUDGET = Budget(epochs=25, batch_size=64, learning_rate=1e-2)


@dataclass(frozen=True)
class Domain:
    """A problem: standardised inputs x (n, d) and targets y (floats, or int class labels)."""

    name: str
    title: str
    x: np.ndarray
    y: np.ndarray
    regression: bool
    budget: Budget
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()

    @property
    def n_inputs(self) -> int:
        return int(self.x.shape[1])

    @property
    def n_outputs(self) -> int:
        return 1 if self.regression else len(self.class_names)

    @property
    def sha256(self) -> str:
        """Identity of the data, part of every cache key of a model trained on it."""
        h = hashlib.sha256(f"{self.name}/{GENERATOR_VERSION}".encode())
        for a in (self.x, self.y):
            h.update(str(a.shape).encode())
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()


def standardise(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per column (constant columns are only centred), float32."""
    x = np.asarray(x, dtype=np.float64)
    std = x.std(axis=0)
    return ((x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)).astype(np.float32)


def sine(n: int = 4000, noise: float = 0.1, seed: int = 0) -> Domain:
    """1-D regression y = sin(2πu) + noise, u uniform in [-1, 1]: two full periods to bend."""
    rng = np.random.default_rng(seed)
    u = rng.uniform(-1.0, 1.0, (n, 1))
    y = np.sin(2 * np.pi * u[:, 0]) + noise * rng.standard_normal(n)
    return Domain(
        "sine",
        "Noisy sine (1-D regression)",
        standardise(u),
        y.astype(np.float32),
        regression=True,
        budget=SMALL_BUDGET,
        feature_names=("u",),
    )


def spirals(n: int = 2000, turns: float = 1.5, noise: float = 0.05, seed: int = 0) -> Domain:
    """Two interleaved spiral arms in the plane (2-D classification), n/2 points each."""
    rng = np.random.default_rng(seed)
    label = np.arange(n) % 2
    r = np.sqrt(rng.uniform(0.02, 1.0, n))  # uniform density along the arms' area
    angle = 2 * np.pi * turns * r + np.pi * label
    xy = np.c_[r * np.cos(angle), r * np.sin(angle)] + noise * rng.standard_normal((n, 2))
    return Domain(
        "spirals",
        "Two spirals (2-D classification)",
        standardise(xy),
        label.astype(np.int64),
        regression=False,
        budget=SMALL_BUDGET,
        feature_names=("x1", "x2"),
        class_names=("arm A", "arm B"),
    )


TABULAR = {
    "iris": ("load_iris", "Iris"),
    "wine": ("load_wine", "Wine"),
    "breast_cancer": ("load_breast_cancer", "Breast cancer"),
    "digits": ("load_digits", "Digits 8x8"),
}


def tabular(name: str) -> Domain:
    """One of scikit-learn's bundled data sets (no download), inputs standardised."""
    if name not in TABULAR:
        raise ValueError(f"tabular domain must be one of {tuple(TABULAR)}, got {name!r}")
    import sklearn.datasets

    loader, title = TABULAR[name]
    bunch = getattr(sklearn.datasets, loader)()
    classes = tuple(str(c) for c in bunch.target_names)
    x = bunch.data
    return Domain(
        name,
        f"{title} ({x.shape[1]} inputs, {len(classes)} classes)",
        standardise(x),
        bunch.target.astype(np.int64),
        regression=False,
        budget=SMALL_BUDGET,
        feature_names=tuple(str(f) for f in getattr(bunch, "feature_names", range(x.shape[1]))),
        class_names=classes,
    )


DOMAINS = ("sine", "spirals", *TABULAR)


def load(name: str) -> Domain:
    """Any small domain by name, in :data:`DOMAINS`."""
    if name == "sine":
        return sine()
    if name == "spirals":
        return spirals()
    return tabular(name)


# ---------------------------------------------------------------- training


def fit(
    spec: ModelSpec,
    x: np.ndarray,
    y: np.ndarray,
    n_outputs: int,
    regression: bool,
    learning_rate: float = 1e-3,
    progress: EpochProgress | None = None,
) -> ReluMLP:
    """Train ``spec``'s layers on (x, y) with Adam: MSE for regression, else cross-entropy.

    Seeded with :func:`relucurves.training.seed_everything`, so a spec and data give the
    same weights every time. ``x`` of 784 inputs is given as (n, 28, 28) images.
    """
    import keras
    import tensorflow as tf

    seed_everything(spec.seed)
    n_inputs = 784 if x.ndim == 3 else int(x.shape[1])
    model = build_keras_model(spec, n_inputs, n_outputs)
    loss = (
        keras.losses.MeanSquaredError()
        if regression
        else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    # Many small batches per call keep Keras's per-step overhead off tiny models.
    model.compile(keras.optimizers.Adam(learning_rate), loss, steps_per_execution=32)
    callbacks = []
    if progress is not None:
        callbacks.append(
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: progress(
                    epoch + 1, spec.epochs, float(logs["loss"])
                )
            )
        )
    # A repeated dataset keeps Keras from rebuilding its input pipeline every epoch,
    # which costs more than a whole epoch of a tiny model.
    target = y.reshape(-1, 1) if regression else y
    data = (
        tf.data.Dataset.from_tensor_slices((x, target))
        .shuffle(len(x), seed=spec.seed)
        .batch(spec.batch_size)
        .repeat()
    )
    steps = -(-len(x) // spec.batch_size)
    model.fit(
        data,
        epochs=spec.epochs,
        steps_per_epoch=steps,
        shuffle=False,
        verbose=0,
        callbacks=callbacks,
    )
    return from_keras(model)


def initial(spec: ModelSpec, n_inputs: int, n_outputs: int) -> ReluMLP:
    """The weights :func:`fit` starts from (Keras's default initialisation, seeded)."""
    seed_everything(spec.seed)
    return from_keras(build_keras_model(spec, n_inputs, n_outputs))


def check_width(width: object) -> int:
    """``width`` as a hidden-layer width this project trains; a :class:`SpecError` otherwise."""
    return ModelSpec(hidden=(width,)).hidden[0]


def spec_for(domain: Domain, width: int, seed: int = 0) -> ModelSpec:
    """One hidden ReLU layer of ``width`` (validated: 1 to MAX_WIDTH), trained on the budget."""
    b = domain.budget
    return ModelSpec(hidden=(width,), epochs=b.epochs, batch_size=b.batch_size, seed=seed)


def model_key(domain: Domain, spec: ModelSpec) -> str:
    """The cache key of a domain's model: data, spec, optimiser, loss and recipe."""
    return entry_key(
        kind="domain",
        recipe=TRAINING_RECIPE,
        data=domain.sha256,
        spec=spec.to_dict(),
        learning_rate=domain.budget.learning_rate,
        regression=domain.regression,
    )


def cached_model(
    domain: Domain, width: int, seed: int = 0, cache: ModelCache | None = None
) -> ReluMLP | None:
    """The domain's trained model if it is on disk already (needs no TensorFlow), else None."""
    cache = cache or ModelCache()
    return cache.get(model_key(domain, spec_for(domain, width, seed)))


def get_or_train(
    domain: Domain,
    width: int,
    seed: int = 0,
    cache: ModelCache | None = None,
    progress: EpochProgress | None = None,
) -> tuple[ReluMLP, bool]:
    """The domain's trained model and whether it came from the disk cache."""
    cache = cache or ModelCache()
    spec = spec_for(domain, width, seed)

    def make() -> ReluMLP:
        lr = domain.budget.learning_rate
        model = fit(spec, domain.x, domain.y, domain.n_outputs, domain.regression, lr, progress)
        model.meta = {
            "domain": domain.name,
            "spec": spec.to_dict(),
            "fit": fit_score(model, domain),
        }
        return model

    return cache.get_or_make(model_key(domain, spec), make)


def fit_score(mlp: ReluMLP, domain: Domain) -> float:
    """R² on the training data for regression, accuracy for classification."""
    out = mlp.forward(domain.x)
    if domain.regression:
        residual = np.sum((out[:, 0] - domain.y) ** 2)
        return float(1 - residual / np.sum((domain.y - domain.y.mean()) ** 2))
    return float(np.mean(out.argmax(axis=1) == domain.y))


# ---------------------------------------------------------------- pieces


def column_stats(mlp: ReluMLP, x: np.ndarray, scale: float = 1.0) -> tuple[np.ndarray, ...]:
    """Per-input mean, min, max and standard deviation of ``x * scale``, in float64.

    Reduces without a float copy of x, so raw uint8 images can be passed with
    ``scale=1/255`` (60,000 images would take 376 MB as float64).
    """
    x = np.asarray(x).reshape(len(x), -1)
    if x.shape[1] != mlp.n_inputs:
        raise ValueError(f"the data has {x.shape[1]} inputs, the model {mlp.n_inputs}")
    lo, hi = x.min(axis=0) * np.float64(scale), x.max(axis=0) * np.float64(scale)
    mean, std = x.mean(axis=0, dtype=np.float64), x.std(axis=0, dtype=np.float64)
    return mean * scale, lo, hi, std * scale


def feature_sweeps(mlp: ReluMLP, x: np.ndarray, scale: float = 1.0) -> pd.DataFrame:
    """Pieces of every one-input sweep over that input's data range, others at the mean.

    Input i runs from min to max of column i of ``x * scale`` (the model's input units).
    Columns: feature, lo, hi, range_std (the range in standard deviations of that input),
    pieces, pieces_per_std. Constant inputs are left out: they have no range to sweep.
    """
    mean, lo, hi, std = column_stats(mlp, x, scale)
    swept = np.flatnonzero(hi > lo)
    w, b = geometry.float64_layers(mlp)[0]
    # Line i starts at the mean with input i at its minimum and reaches its maximum at t = 1.
    offsets = (mean @ w + b) + (lo - mean)[swept, None] * w[swept]
    slopes = (hi - lo)[swept, None] * w[swept]
    pieces = geometry.count_pieces(mlp, offsets, slopes, 0.0, 1.0)
    range_std = (hi - lo)[swept] / std[swept]
    return pd.DataFrame(
        {
            "feature": swept,
            "lo": lo[swept],
            "hi": hi[swept],
            "range_std": range_std,
            "pieces": pieces,
            "pieces_per_std": pieces / range_std,
        }
    )


def summary_row(name: str, title: str, mlp: ReluMLP, table: pd.DataFrame) -> dict[str, Any]:
    """One domain's line of the comparison: input dimension against pieces per sweep."""
    return {
        "domain": name,
        "title": title,
        "inputs": mlp.n_inputs,
        "width": int(sum(mlp.hidden_widths)),
        "mean_pieces": float(table["pieces"].mean()),
        "max_pieces": int(table["pieces"].max()),
        "median_pieces_per_std": float(table["pieces_per_std"].median()),
    }


def example_sweep(mlp: ReluMLP, x: np.ndarray, feature: int, scale: float = 1.0) -> sweeps.Sweep:
    """The exact sweep of one input over its data range, the others at their means."""
    mean, lo, hi, _ = column_stats(mlp, x, scale)
    return sweeps.pixel_sweep(mlp, mean, feature, float(lo[feature]), float(hi[feature]))


def region_map(
    mlp: ReluMLP, x: np.ndarray, resolution: int = 120, margin: float = 0.1
) -> pd.DataFrame:
    """The plane of a 2-input model as a grid of cells labelled by activation pattern.

    Cells with the same pattern of active hidden units lie in the same linear region, so
    the number of distinct ``region`` ids is (a lower bound on) the regions in view.
    Columns: x1, x2, region (0..n-1), shade (a scrambled copy of region for colouring).
    """
    if mlp.n_inputs != 2:
        raise ValueError(f"a region map needs a model with 2 inputs, this one has {mlp.n_inputs}")
    x = np.asarray(x, dtype=np.float64)
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = margin * (hi - lo)
    g1 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    g2 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    grid = np.stack(np.meshgrid(g1, g2), axis=-1).reshape(-1, 2)
    patterns = []
    h = grid
    for w, b in geometry.float64_layers(mlp)[:-1]:
        z = h @ w + b
        patterns.append(z > 0)
        h = np.maximum(z, 0.0)
    _, region = np.unique(np.hstack(patterns), axis=0, return_inverse=True)
    region = region.reshape(-1)
    golden = (np.sqrt(5) - 1) / 2  # neighbouring ids get far-apart colours
    return pd.DataFrame(
        {"x1": grid[:, 0], "x2": grid[:, 1], "region": region, "shade": (region * golden) % 1}
    )


def explain(summary: pd.DataFrame, reference: str = "fashion_mnist") -> str:
    """The answer to "which domains give interesting curves?" from the live comparison
    (rows of :func:`summary_row`; ``reference`` names the Fashion-MNIST row, if present)."""
    small = summary[summary["domain"] != reference]
    if small.empty:
        return "No small domain has been trained yet."
    units = int(small["width"].iloc[0])
    lo, hi = small["mean_pieces"].min(), small["mean_pieces"].max()
    text = (
        f"Swept over its data range, one input of the small domains ({small['inputs'].min()} "
        f"to {small['inputs'].max()} inputs) gives **{lo:.0f} to {hi:.0f} linear pieces** on "
        f"average: {100 * (lo - 1) / units:.0f}% to {100 * (hi - 1) / units:.0f}% of the "
        f"{units} hidden units kink inside the data, {small['median_pieces_per_std'].min():.3g} to "
        f"{small['median_pieces_per_std'].max():.3g} per standard deviation."
    )
    sine = summary[summary["domain"] == "sine"]
    if not sine.empty:
        text += (
            f" The 1-D regression spends {int(sine['max_pieces'].iloc[0]) - 1} kinks on its one "
            "curve, which is the whole function."
        )
    ref = summary[summary["domain"] == reference]
    if not ref.empty:
        row = ref.iloc[0]
        text += (
            f" A Fashion-MNIST pixel gets **{row['mean_pieces']:.3g}** (at most "
            f"{row['max_pieces']}), {row['median_pieces_per_std']:.2g} per standard deviation: "
            f"with {row['inputs']} inputs one pixel is a short step along one axis, and the "
            "kinks lie far outside its range."
        )
    return text + (
        " So for interesting one-input curves, use inputs of low dimension (a regression, a "
        "2-D toy set, a small tabular set); for images, sweep along lines that move many "
        "pixels at once (the Lines page)."
    )
