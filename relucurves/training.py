"""Training a spec on Fashion-MNIST with Keras, and the cached get-or-train.

The only module that imports TensorFlow, and only inside the functions that need it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from relucurves.cache import ModelCache
from relucurves.data import FashionMNIST
from relucurves.models import ModelSpec, ReluMLP, from_keras

# progress(epoch, batch, logs): called after every batch, epoch and batch counted from 0.
Progress = Callable[[int, int, dict[str, float]], None]


def build_keras_model(spec: ModelSpec, n_inputs: int = 784, n_outputs: int = 10) -> Any:
    """The Keras model of a spec: Flatten(28x28) -> Dense(w, relu)... -> Dense(10)."""
    import keras

    if n_inputs == 784:
        first = [keras.Input((28, 28)), keras.layers.Flatten()]
    else:
        first = [keras.Input((n_inputs,))]
    hidden = [keras.layers.Dense(w, activation="relu") for w in spec.hidden]
    return keras.Sequential([*first, *hidden, keras.layers.Dense(n_outputs)])


def seed_everything(seed: int) -> None:
    """Same seed, same platform: the same weights, bit for bit."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def _keras_progress(progress: Progress) -> Any:
    import keras

    class _Callback(keras.callbacks.Callback):
        epoch = 0

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch = epoch

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            progress(self.epoch, batch, {k: float(v) for k, v in (logs or {}).items()})

    return _Callback()


def train(spec: ModelSpec, data: FashionMNIST, progress: Progress | None = None) -> ReluMLP:
    """Train a spec from scratch and return its weights with accuracies and provenance."""
    import keras

    seed_everything(spec.seed)
    model = build_keras_model(spec)
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        data.x_train,
        data.y_train,
        epochs=spec.epochs,
        batch_size=spec.batch_size,
        verbose=0,
        callbacks=[_keras_progress(progress)] if progress else [],
    )
    seconds = time.perf_counter() - start
    mlp = from_keras(model)
    mlp.meta = {
        "spec": spec.to_dict(),
        "data_sha256": data.sha256,
        "train_accuracy": mlp.accuracy(data.x_train, data.y_train),
        "test_accuracy": mlp.accuracy(data.x_test, data.y_test),
        "loss_per_epoch": [float(v) for v in history.history["loss"]],
        "training_seconds": round(seconds, 2),
        "keras_version": keras.__version__,
        "weights_sha256": mlp.weights_sha256(),
    }
    return mlp


def get_or_train(
    spec: ModelSpec,
    data: FashionMNIST,
    cache: ModelCache | None = None,
    progress: Progress | None = None,
) -> tuple[ReluMLP, bool]:
    """The trained model of a spec and whether it came from the cache (never retrained)."""
    cache = cache or ModelCache()
    return cache.get_or_make(spec.key(data.sha256), lambda: train(spec, data, progress))
