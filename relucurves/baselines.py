"""Baselines: where the other 783 pixels sit while one pixel is swept.

Each is a flat (784,) float64 array in [0, 1].
"""

from __future__ import annotations

import numpy as np

from relucurves.data import CLASS_NAMES, FashionMNIST

BASELINE_KINDS = ("mean", "zero", "sample", "class")


def mean_image(data: FashionMNIST) -> np.ndarray:
    """Per-pixel mean of the training set (the seed notebook's baseline)."""
    return data.train_images.reshape(-1, 784).mean(axis=0, dtype=np.float64) / 255.0


def zero_image() -> np.ndarray:
    return np.zeros(784)


def sample_image(data: FashionMNIST, split: str, index: int) -> np.ndarray:
    return data.image(split, index)


def class_mean(data: FashionMNIST, label: int) -> np.ndarray:
    """Mean training image of one class."""
    if not 0 <= label < len(CLASS_NAMES):
        raise ValueError(f"class must be in 0..{len(CLASS_NAMES) - 1}, got {label}")
    images = data.train_images[data.y_train == label].reshape(-1, 784)
    if not len(images):
        raise ValueError(f"class {label} has no training images")
    return images.mean(axis=0, dtype=np.float64) / 255.0


def baseline(
    kind: str,
    data: FashionMNIST | None,
    split: str = "test",
    index: int = 0,
    label: int = 0,
) -> np.ndarray:
    """Any baseline by name; only ``zero`` works without the dataset."""
    if kind not in BASELINE_KINDS:
        raise ValueError(f"baseline kind must be one of {BASELINE_KINDS}, got {kind!r}")
    if kind == "zero":
        return zero_image()
    if data is None:
        raise ValueError(f"the {kind!r} baseline needs the Fashion-MNIST data")
    if kind == "mean":
        return mean_image(data)
    if kind == "sample":
        return sample_image(data, split, index)
    return class_mean(data, label)
