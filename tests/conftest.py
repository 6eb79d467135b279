"""Shared fixtures: the real Fashion-MNIST (through RELUCURVES_DATA_DIR) and small trained models.

Every test session gets its own empty model cache so no test reads or pollutes the
user's cache.
"""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ["RELUCURVES_CACHE_DIR"] = tempfile.mkdtemp(prefix="relucurves-test-cache-")


@pytest.fixture(scope="session")
def fashion():
    from relucurves.data import load_fashion_mnist

    return load_fashion_mnist()


def _trained_keras(fashion, hidden: tuple[int, ...]):
    """A briefly trained Keras model (one epoch) and its plain weights."""
    import keras

    from relucurves.models import ModelSpec, from_keras
    from relucurves.training import build_keras_model, seed_everything

    seed_everything(1)
    model = build_keras_model(ModelSpec(hidden=hidden))
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(fashion.x_train, fashion.y_train, epochs=1, batch_size=256, verbose=0)
    return model, from_keras(model)


@pytest.fixture(scope="session")
def keras_depth1(fashion):
    return _trained_keras(fashion, (128,))


@pytest.fixture(scope="session")
def keras_depth3(fashion):
    return _trained_keras(fashion, (128, 64, 32))


@pytest.fixture(autouse=True)
def _apptest_like_a_server(monkeypatch):
    from apptest_support import patch_apptest

    patch_apptest(monkeypatch.setattr)


@pytest.fixture
def use_data_dir(monkeypatch):
    """Point the app at another data folder (for offline or tampered data), then restore."""
    from relucurves import ui

    def clear():
        ui.dataset.clear()
        ui.baseline_array.clear()

    def use(folder) -> None:
        monkeypatch.setenv("RELUCURVES_DATA_DIR", str(folder))
        clear()

    yield use
    clear()
