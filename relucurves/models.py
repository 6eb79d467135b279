"""Model specs, conversion of Keras models to plain weights, and the embedded default model.

Nothing here imports TensorFlow: training lives in :mod:`relucurves.training`.
"""

from __future__ import annotations

import functools
import json
import re
import zipfile
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from relucurves import mlp as mlp_io
from relucurves.cache import entry_key
from relucurves.mlp import ModelFileError, ReluMLP

__all__ = [
    "ModelSpec",
    "ReluMLP",
    "SpecError",
    "UnsupportedModelError",
    "default_model",
    "from_keras",
    "load_keras_file",
]

MAX_DEPTH = 4
MAX_WIDTH = 1024
MAX_EPOCHS = 50
MAX_BATCH = 4096
DEFAULT_MODEL_FILE = "default_model.npz"
MAX_KERAS_FILE_BYTES = 20 * 2**20  # the widest supported model (4 x 1024) is about 17 MB
MAX_KERAS_UNPACKED_BYTES = 64 * 2**20
KERAS_LAYERS = ("InputLayer", "Flatten", "Dense", "Dropout")
_TOKEN = re.compile(r"(\d{1,4}(?:x\d{1,4}){0,3})_e(\d{1,2})_s(\d{1,10})_b(\d{1,4})")


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
        return entry_key(spec=self.to_dict(), data=data_sha256)

    def n_params(self, n_inputs: int = 784, n_outputs: int = 10) -> int:
        sizes = (n_inputs, *self.hidden, n_outputs)
        return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))

    def training_cost(self) -> int:
        """Parameter updates per example seen, times epochs: what a training request costs."""
        return self.n_params() * self.epochs

    def token(self) -> str:
        """A short, URL-safe name: ``128x64_e5_s0_b32``."""
        widths = "x".join(map(str, self.hidden))
        return f"{widths}_e{self.epochs}_s{self.seed}_b{self.batch_size}"

    @classmethod
    def from_token(cls, token: str) -> ModelSpec:
        """Parse :meth:`token`; anything else is a :class:`SpecError`."""
        match = _TOKEN.fullmatch(token) if len(token) <= 64 else None
        if match is None:
            raise SpecError(f"not a model name like 128x64_e5_s0_b32: {token[:64]!r}")
        widths, epochs, seed, batch = match.groups()
        return cls(tuple(int(w) for w in widths.split("x")), int(epochs), int(batch), int(seed))

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


def _check_keras_config(config: Any, name: str) -> None:
    """Refuse unsupported layers from config.json alone, before Keras deserialises anything."""
    if not isinstance(config, dict) or config.get("class_name") not in ("Sequential", "Functional"):
        raise UnsupportedModelError(f"{name} does not hold a Sequential or Functional Keras model")
    layers = config.get("config", {}).get("layers")
    if not isinstance(layers, list) or not layers:
        raise UnsupportedModelError(f"{name} lists no layers")
    for layer in layers:
        kind = layer.get("class_name") if isinstance(layer, dict) else None
        label = (layer.get("config") or {}).get("name", "?") if isinstance(layer, dict) else "?"
        if kind not in KERAS_LAYERS or layer.get("registered_name"):
            raise UnsupportedModelError(
                f"layer {label!r} is a {kind}; only {', '.join(KERAS_LAYERS)} layers are supported"
            )


def load_keras_file(path: str | Path, display_name: str | None = None) -> ReluMLP:
    """Read a user's .keras file safely and convert it to plain weights.

    Size limits, then the layer list from config.json, then Keras in safe mode (so no
    Lambda or custom code can run), then the shape checks: 784 inputs, 10 logits.
    """
    path = Path(path)
    name = display_name or path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ModelFileError(f"cannot read {name}: {exc.strerror}") from exc
    if size > MAX_KERAS_FILE_BYTES:
        raise ModelFileError(
            f"{name} is {size / 2**20:.1f} MB; model files are limited to "
            f"{MAX_KERAS_FILE_BYTES // 2**20} MB"
        )
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{name} is not a .keras file (those are zip archives)")
    try:
        with zipfile.ZipFile(path) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_KERAS_UNPACKED_BYTES:
                raise ModelFileError(f"{name} unpacks to more than 64 MB")
            config = json.loads(archive.read("config.json"))
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{name} is not a readable .keras file: {exc}") from exc
    _check_keras_config(config, name)
    import keras  # lazy: only reading an uploaded model pays for TensorFlow

    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises many types for damaged archives
        raise ModelFileError(f"Keras could not load {name}: {exc}") from exc
    mlp = from_keras(model)
    if mlp.n_inputs != 784:
        raise UnsupportedModelError(
            f"{name} takes {mlp.n_inputs} inputs; a Fashion-MNIST model takes 28x28 = 784"
        )
    if mlp.n_outputs != 10:
        raise UnsupportedModelError(f"{name} gives {mlp.n_outputs} outputs; 10 classes expected")
    if not 1 <= len(mlp.hidden_widths) <= MAX_DEPTH or max(mlp.hidden_widths) > MAX_WIDTH:
        raise UnsupportedModelError(
            f"{name} has hidden layers {mlp.hidden_widths}; 1 to {MAX_DEPTH} layers of at most "
            f"{MAX_WIDTH} units are supported"
        )
    mlp.meta.update(source="upload", file=name)
    return mlp
