"""Benchmark: the exact all-pixel segment map against the seed notebook's sampling method.

    RELUCURVES_DATA_DIR=../shared/data/fashion-mnist uv run python benchmarks/bench_geometry.py

(RELUCURVES_DATA_DIR is only needed where Keras has not cached Fashion-MNIST; the data
gives the notebook's per-pixel mean baseline, ``--baseline zero`` runs without it.)

On the embedded default model, in one run:

- exact: ``sweeps.segment_map`` over all 784 pixels, median of repeats;
- notebook: for each pixel, 100 images with that pixel at linspace(lo, hi, 100), one
  Keras ``predict`` of the hidden activations, slope changes counted; median seconds per
  pixel, times 784 for the whole map (``--pixels`` compares fewer pixels, evenly spaced);
- exact, again, for a random (512, 512, 512) network.

The sampled counts can only see kinks more than a grid step apart whose slope change
beats float32 noise, so they can match the exact counts or fall short; the script
reports how often each happens.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from relucurves import sweeps
from relucurves.baselines import mean_image, zero_image
from relucurves.data import DataError, load_fashion_mnist
from relucurves.mlp import ReluMLP
from relucurves.models import default_model

GRID = 100  # images per pixel in the notebook
SLOPE_TOL = 1e-3  # a slope change below this is float32 noise of predict, not a kink
TARGET_MS, TARGET_RATIO, TARGET_DEEP_S = 10.0, 1000.0, 1.0


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: imports, BLAS threads, Keras tracing
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def keras_hidden_probe(mlp: ReluMLP):
    """A Keras model with the ReluMLP's weights up to its hidden layers, as the notebook
    plotted them (the logits play no part in counting kinks)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads
    import keras

    x = inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(x)
    hidden = []
    for w, b in mlp.layers[:-1]:
        layer = keras.layers.Dense(w.shape[1], activation="relu")
        x = layer(x)
        layer.set_weights([w, b])
        hidden.append(x)
    return keras.Model(inputs, hidden)


def notebook_pieces(probe, baseline: np.ndarray, pixel: int, lo: float, hi: float) -> int:
    """The notebook's method for one pixel: sample, predict, count where slopes change."""
    t = np.linspace(lo, hi, GRID)
    images = np.repeat(baseline[None].astype(np.float32), GRID, axis=0)
    images[:, pixel] = t
    acts = probe.predict(images.reshape(-1, 28, 28), verbose=0)
    acts = np.hstack(acts if isinstance(acts, list) else [acts]).astype(np.float64)
    slopes = np.diff(acts, axis=0) / np.diff(t)[:, None]
    bends = np.any(np.abs(np.diff(slopes, axis=0)) > SLOPE_TOL, axis=1)
    # A kink inside a grid interval bends the slope on both sides of it: count runs.
    runs = np.count_nonzero(bends[1:] & ~bends[:-1]) + int(bends[0])
    return 1 + runs


def random_network(widths: tuple[int, ...], seed: int = 0) -> ReluMLP:
    """Freshly initialised: He-normal weights, N(0, 0.1^2) biases, float32 like Keras."""
    rng = np.random.default_rng(seed)
    layers, fan_in = [], 784
    for width in (*widths, 10):
        w = rng.normal(size=(fan_in, width)) * np.sqrt(2 / fan_in)
        layers.append((w.astype(np.float32), (rng.normal(size=width) * 0.1).astype(np.float32)))
        fan_in = width
    return ReluMLP(layers)


def load_baseline(kind: str) -> np.ndarray:
    if kind == "zero":
        return zero_image()
    try:
        return mean_image(load_fashion_mnist())
    except DataError as exc:
        sys.exit(f"{exc}\nSet RELUCURVES_DATA_DIR, or run with --baseline zero.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pixels", type=int, default=196, help="pixels timed by the notebook method (max 784)"
    )
    parser.add_argument("--repeats", type=int, default=50, help="repeats of the exact map")
    parser.add_argument("--lo", type=float, default=0.0)
    parser.add_argument("--hi", type=float, default=1.0)
    parser.add_argument("--baseline", choices=("mean", "zero"), default="mean")
    args = parser.parse_args()
    if not 1 <= args.pixels <= 784:
        parser.error("--pixels must be in 1..784")

    mlp = default_model()
    baseline = load_baseline(args.baseline)
    lo, hi = args.lo, args.hi

    exact_s = median_seconds(lambda: sweeps.segment_map(mlp, baseline, lo, hi), args.repeats)
    exact = sweeps.segment_map(mlp, baseline, lo, hi).reshape(-1)

    probe = keras_hidden_probe(mlp)
    pixels = np.linspace(0, 783, args.pixels).round().astype(int)
    notebook_pieces(probe, baseline, 0, lo, hi)  # warm-up: Keras traces predict once
    per_pixel, sampled = [], []
    for pixel in pixels:
        start = time.perf_counter()
        sampled.append(notebook_pieces(probe, baseline, pixel, lo, hi))
        per_pixel.append(time.perf_counter() - start)
    notebook_s = statistics.median(per_pixel) * 784
    sampled = np.array(sampled)

    deep = random_network((512, 512, 512))
    deep_s = median_seconds(lambda: sweeps.segment_map(deep, baseline, lo, hi), 5)
    deep_map = sweeps.segment_map(deep, baseline, lo, hi)

    ratio = notebook_s / exact_s
    shown = exact[pixels]
    widths = "-".join(map(str, (784, *mlp.hidden_widths, mlp.n_outputs)))
    print(f"relucurves geometry benchmark: numpy {np.__version__}, {os.cpu_count()} CPUs")
    print(f"default model {widths}; baseline {args.baseline}; pixel range [{lo:g}, {hi:g}]")
    print()
    print(f"{'method':<48}{'pixels':>7}{'median, all 784 pixels':>25}")
    print(f"{'exact segment_map':<48}{784:>7}{exact_s * 1e3:>22.2f} ms")
    note = f"notebook: {GRID}-image predict per pixel (x 784)"
    print(f"{note:<48}{len(pixels):>7}{notebook_s:>22.2f} s", end="")
    print(f"   ({statistics.median(per_pixel) * 1e3:.1f} ms/pixel, {sum(per_pixel):.1f} s run)")
    print(f"{'exact segment_map, random 512x512x512':<48}{784:>7}{deep_s * 1e3:>22.0f} ms")
    print()
    print(f"speed-up of the exact map over the notebook method: {ratio:,.0f}x")
    print(
        f"pieces per pixel: exact mean {shown.mean():.2f} (max {shown.max()}), "
        f"sampled mean {sampled.mean():.2f} (max {sampled.max()}); "
        f"512x512x512 exact mean {deep_map.mean():.1f} (max {deep_map.max()})"
    )
    print(
        f"agreement on {len(pixels)} pixels: same count {np.mean(sampled == shown):.1%}, "
        f"sampled <= exact on {np.mean(sampled <= shown):.1%}, "
        f"kinks missed by sampling {int((shown - sampled).clip(0).sum())} "
        f"of {int((shown - 1).sum())}"
    )
    checks = [
        (f"seed map < {TARGET_MS:g} ms", exact_s * 1e3 < TARGET_MS),
        (f">= {TARGET_RATIO:g}x faster", ratio >= TARGET_RATIO),
        (f"512x512x512 map < {TARGET_DEEP_S:g} s", deep_s < TARGET_DEEP_S),
    ]
    print("targets: " + "; ".join(f"{name}: {'PASS' if ok else 'FAIL'}" for name, ok in checks))


if __name__ == "__main__":
    main()
