"""A ReLU network as plain numpy weights, and a deterministic file format for it.

Everything after training works on this type, so exploring a model never needs
TensorFlow.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

OUTPUT_ACTIVATIONS = ("linear", "softmax")
# A fixed timestamp makes the same weights give the same file, byte for byte.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class ModelFileError(ValueError):
    """A model file is missing, truncated, corrupt or not a relucurves model."""


@dataclass
class ReluMLP:
    """Dense layers ``(W, b)`` with ``W`` shaped (inputs, outputs).

    Every layer but the last is followed by ReLU; the last gives logits. ``output``
    records whether the source model applied a softmax on top of those logits.
    """

    layers: list[tuple[np.ndarray, np.ndarray]]
    output: str = "linear"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError("a ReluMLP needs at least one Dense layer")
        if self.output not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output must be one of {OUTPUT_ACTIVATIONS}, got {self.output!r}")
        fan_in = None
        for k, (w, b) in enumerate(self.layers):
            if w.ndim != 2 or b.shape != (w.shape[1],):
                raise ValueError(f"layer {k}: W must be 2-D and b match its columns")
            if fan_in is not None and w.shape[0] != fan_in:
                raise ValueError(f"layer {k} takes {w.shape[0]} inputs, previous gives {fan_in}")
            if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
                raise ValueError(f"layer {k} has non-finite weights")
            fan_in = w.shape[1]

    @property
    def n_inputs(self) -> int:
        return int(self.layers[0][0].shape[0])

    @property
    def n_outputs(self) -> int:
        return int(self.layers[-1][0].shape[1])

    @property
    def hidden_widths(self) -> tuple[int, ...]:
        return tuple(int(w.shape[1]) for w, _ in self.layers[:-1])

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Logits for a batch of flattened inputs, shape (n, n_inputs) -> (n, n_outputs)."""
        h = np.asarray(x, dtype=np.float64).reshape(-1, self.n_inputs)
        for w, b in self.layers[:-1]:
            h = np.maximum(h @ w + b, 0.0)
        w, b = self.layers[-1]
        return h @ w + b

    def predict_classes(self, x: np.ndarray, batch: int = 10_000) -> np.ndarray:
        """Arg-max class of each input, in batches to bound memory."""
        flat = np.asarray(x).reshape(-1, self.n_inputs)
        parts = [self.forward(flat[i : i + batch]).argmax(1) for i in range(0, len(flat), batch)]
        return np.concatenate(parts)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict_classes(x) == np.asarray(y)))

    def weights_sha256(self) -> str:
        """A digest of the weights alone, to check that two trainings match bit for bit."""
        h = hashlib.sha256()
        for w, b in self.layers:
            h.update(np.ascontiguousarray(w, dtype=np.float32).tobytes())
            h.update(np.ascontiguousarray(b, dtype=np.float32).tobytes())
        return h.hexdigest()


def to_bytes(mlp: ReluMLP) -> bytes:
    """Serialise to a .npz archive (no pickles) whose bytes depend only on the content."""
    arrays: dict[str, np.ndarray] = {}
    for k, (w, b) in enumerate(mlp.layers):
        arrays[f"W{k}"] = np.ascontiguousarray(w, dtype=np.float32)
        arrays[f"b{k}"] = np.ascontiguousarray(b, dtype=np.float32)
    header = {"output": mlp.output, "n_layers": len(mlp.layers), "meta": mlp.meta}
    arrays["header"] = np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, arr, allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE), member.getvalue())
    return buf.getvalue()


def from_bytes(data: bytes, source: str = "model file") -> ReluMLP:
    """Parse what :func:`to_bytes` wrote; any damage is a :class:`ModelFileError`."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            header = json.loads(npz["header"].tobytes().decode())
            n = int(header["n_layers"])
            layers = [(npz[f"W{k}"], npz[f"b{k}"]) for k in range(n)]
        return ReluMLP(layers=layers, output=header["output"], meta=dict(header["meta"]))
    except Exception as exc:  # zip, npy, json, key and shape errors all mean "damaged"
        raise ModelFileError(f"{source} is not a readable relucurves model: {exc}") from exc


def load(path: str | Path) -> ReluMLP:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from exc
    return from_bytes(data, source=str(path))
