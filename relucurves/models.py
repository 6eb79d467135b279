"""Model specs, conversion of Keras models to plain weights, and the embedded default model.

Nothing here imports TensorFlow: training lives in :mod:`relucurves.training`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

import numpy as np

from relucurves import mlp as mlp_io
from relucurves.mlp import ReluMLP

__all__ = [
    "ModelSpec",
    "ReluMLP",
    "SpecError",
    "UnsupportedModelError",
    "default_model",
    "from_keras",
]

MAX_DEPTH = 4
MAX_WIDTH = 1024
MAX_EPOCHS = 50
MAX_BATCH = 4096
DEFAULT_MODEL_FILE = "default_model.npz"


class SpecError(ValueError):
    """A model spec outside what this project trains."""


class UnsupportedModelError(ValueError):
    """A Keras model with a layer or activation that is not a plain ReLU MLP."""


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise SpecError(f"{name} must be a whole number from {lo} to {hi}, got {value!r}")


@dataclass(frozen=True)
class ModelSpec:
    """What to train: the seed model by default, Flatten -> Dense(128, relu) -> Dense(10).

    Optimiser Adam with Keras defaults; loss sparse categorical cross-entropy on logits.
    """

    hidden: tuple[int, ...] = (128,)
    epochs: int = 5
    batch_size: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.hidden, tuple | list) or not 1 <= len(self.hidden) <= MAX_DEPTH:
            raise SpecError(f"hidden must list 1 to {MAX_DEPTH} layer widths, got {self.hidden!r}")
        for width in self.hidden:
            _check_int("each hidden width", width, 1, MAX_WIDTH)
        object.__setattr__(self, "hidden", tuple(int(w) for w in self.hidden))
        _check_int("epochs", self.epochs, 1, MAX_EPOCHS)
        _check_int("batch_size", self.batch_size, 1, MAX_BATCH)
        _check_int("seed", self.seed, 0, 2**31 - 1)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "hidden": list(self.hidden)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSpec:
        return cls(
            hidden=tuple(d["hidden"]),
            epochs=d["epochs"],
            batch_size=d["batch_size"],
            seed=d["seed"],
        )

    def key(self, data_sha256: str) -> str:
        """Cache key: the spec and the identity of the data it is trained on."""
        blob = json.dumps({"spec": self.to_dict(), "data": data_sha256}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def label(self) -> str:
        widths = "x".join(map(str, self.hidden))
        return f"{widths} relu, {self.epochs} epochs, seed {self.seed}"


def _activation(layer: Any) -> str:
    act = layer.get_config().get("activation", "linear")
    return act if isinstance(act, str) else repr(act)


def from_keras(model: Any) -> ReluMLP:
    """Plain weights of a Keras model made only of Input/Flatten/Dense (and Dropout) layers.

    Hidden Dense layers must use relu; the last one linear or softmax (recorded in
    ``ReluMLP.output``; the weights then give the logits before that softmax).
    """
    dense: list[Any] = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in ("InputLayer", "Dropout"):  # Dropout is the identity at inference
            continue
        if kind == "Flatten":
            if dense:
                raise UnsupportedModelError(f"layer {layer.name!r}: Flatten after a Dense layer")
            continue
        if kind != "Dense":
            raise UnsupportedModelError(
                f"layer {layer.name!r} is a {kind}; only Input, Flatten and Dense are supported"
            )
        dense.append(layer)
    if not dense:
        raise UnsupportedModelError("the model has no Dense layer")
    for layer in dense[:-1]:
        if _activation(layer) != "relu":
            raise UnsupportedModelError(
                f"hidden layer {layer.name!r} uses activation {_activation(layer)!r}; "
                "hidden layers must use relu"
            )
    output = _activation(dense[-1])
    if output not in ("linear", "softmax"):
        raise UnsupportedModelError(
            f"output layer {dense[-1].name!r} uses activation {output!r}; "
            "it must be linear or softmax"
        )
    layers = []
    for layer in dense:
        weights = layer.get_weights()
        kernel = np.asarray(weights[0], dtype=np.float32)
        bias = weights[1] if len(weights) > 1 else np.zeros(kernel.shape[1])
        layers.append((kernel, np.asarray(bias, dtype=np.float32)))
    return ReluMLP(layers=layers, output=output, meta={"source": "keras", "name": model.name})


@functools.lru_cache(maxsize=1)
def default_model() -> ReluMLP:
    """The seed model trained by this project (seed 0, 5 epochs), shipped in the package.

    Regenerate with ``uv run python -m relucurves.make_default_model``.
    """
    data = resources.files("relucurves").joinpath(DEFAULT_MODEL_FILE).read_bytes()
    model = mlp_io.from_bytes(data, source=f"embedded {DEFAULT_MODEL_FILE}")
    for w, b in model.layers:  # shared by every caller: nobody may edit it in place
        w.flags.writeable = False
        b.flags.writeable = False
    return model
