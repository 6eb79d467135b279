"""Fashion-MNIST, loaded once per process, from a local folder when one is known.

Order of sources: the folder named by RELUCURVES_DATA_DIR (the four original files),
then Keras's download cache ($KERAS_HOME/datasets/fashion-mnist), then a download into
that cache from the origin ``keras.datasets.fashion_mnist.load_data()`` uses. The
download is done here rather than by Keras so that a server that only explores never
imports TensorFlow (about 500 MB); Keras finds the same files afterwards. Every file
is sha256-verified.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
SHA256 = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}
DATA_DIR_ENV = "RELUCURVES_DATA_DIR"
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SPLITS = ("train", "test")


class DataError(RuntimeError):
    """Fashion-MNIST could not be loaded; the message says which file and how to fix it."""


@dataclass(frozen=True)
class FashionMNIST:
    """The dataset as loaded: uint8 images, with float32 views made on first use.

    Exploring a model needs only baselines (means, single images), which come straight
    from the uint8 arrays, so a hosted app never holds the 220 MB float copies unless it
    trains.
    """

    train_images: np.ndarray  # (60000, 28, 28) uint8
    y_train: np.ndarray  # (60000,) uint8
    test_images: np.ndarray  # (10000, 28, 28) uint8
    y_test: np.ndarray  # (10000,) uint8
    sha256: str  # identity of the content, whatever the source
    source: str

    @functools.cached_property
    def x_train(self) -> np.ndarray:
        """(60000, 28, 28) float32 in [0, 1]."""
        return _as_unit_floats(self.train_images)

    @functools.cached_property
    def x_test(self) -> np.ndarray:
        """(10000, 28, 28) float32 in [0, 1]."""
        return _as_unit_floats(self.test_images)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(float32 images, labels) of "train" or "test"."""
        _, labels = self._raw_split(name)
        return (self.x_train if name == "train" else self.x_test), labels

    def image(self, name: str, index: int) -> np.ndarray:
        """One image of a split, flat (784,) float64 in [0, 1], without the float copies."""
        images, _ = self._raw_split(name)
        if not 0 <= index < len(images):
            raise ValueError(
                f"index must be in 0..{len(images) - 1} for the {name} split, got {index}"
            )
        return images[index].reshape(784) / 255.0

    def label(self, name: str, index: int) -> int:
        return int(self._raw_split(name)[1][index])

    def _raw_split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {name!r}")
        if name == "train":
            return self.train_images, self.y_train
        return self.test_images, self.y_test


def _parse_idx(raw: bytes, name: str) -> np.ndarray:
    """Parse an IDX file (big-endian dims after a magic number whose last byte is ndim)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{name} is not an IDX file of unsigned bytes")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{name} is truncated: expected {dims}, found {body.size} values")
    return body.reshape(dims)


def _read_folder(folder: Path) -> tuple[np.ndarray, ...]:
    arrays = []
    for name, digest in SHA256.items():
        path = folder / name
        try:
            packed = path.read_bytes()
        except OSError as exc:
            raise DataError(
                f"missing Fashion-MNIST file {path} ({exc.strerror}); the folder must hold "
                f"{', '.join(SHA256)}"
            ) from exc
        if hashlib.sha256(packed).hexdigest() != digest:
            raise DataError(
                f"{path} does not match the original Fashion-MNIST file (sha256 differs): "
                "replace it with an untouched copy"
            )
        try:
            arrays.append(_parse_idx(gzip.decompress(packed), name))
        except (OSError, EOFError) as exc:
            raise DataError(f"{path} is not a readable gzip file: {exc}") from exc
    return tuple(arrays)


def _keras_cache_dir() -> Path:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "fashion-mnist"


def _download(folder: Path) -> None:
    """Fetch the missing files into Keras's cache folder, each verified, each atomic."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, digest in SHA256.items():
        target = folder / name
        if target.is_file():
            continue
        with urllib.request.urlopen(KERAS_ORIGIN + name, timeout=60) as response:
            packed = response.read()
        if hashlib.sha256(packed).hexdigest() != digest:
            raise DataError(f"the download of {name} does not match the original (sha256)")
        tmp = target.with_name(f".{name}.part")
        tmp.write_bytes(packed)
        os.replace(tmp, target)


def _download_or_explain(folder: Path) -> None:
    try:
        _download(folder)
    except OSError as exc:  # URLError, timeouts, a read-only cache folder
        raise DataError(
            f"Fashion-MNIST is not available offline and the download failed ({exc}). "
            f"Put the four original files ({', '.join(SHA256)}) in a folder and set "
            f"{DATA_DIR_ENV} to it."
        ) from exc


def _content_sha256(arrays: tuple[np.ndarray, ...]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a, dtype=np.uint8).tobytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=2)
def _load(data_dir: str | None) -> FashionMNIST:
    if data_dir:
        folder = Path(data_dir)
    else:
        folder = _keras_cache_dir()
        if not all((folder / name).is_file() for name in SHA256):
            _download_or_explain(folder)
    arrays = _read_folder(folder)
    if arrays[0].shape != (60000, 28, 28) or arrays[2].shape != (10000, 28, 28):
        raise DataError(f"unexpected Fashion-MNIST image shapes in {folder}")
    xtr, ytr, xte, yte = (_read_only(np.ascontiguousarray(a, dtype=np.uint8)) for a in arrays)
    return FashionMNIST(xtr, ytr, xte, yte, _content_sha256(arrays), str(folder))


def _read_only(a: np.ndarray) -> np.ndarray:
    """The loaded arrays are shared by every caller in the process: nobody may edit them."""
    a.flags.writeable = False
    return a


def _as_unit_floats(images: np.ndarray) -> np.ndarray:
    floats = images.astype(np.float32)
    floats /= np.float32(255)  # in place: one 188 MB array at the peak, not two
    return _read_only(floats)


def load_fashion_mnist() -> FashionMNIST:
    """The dataset, loaded once per process (per value of RELUCURVES_DATA_DIR)."""
    return _load(os.environ.get(DATA_DIR_ENV) or None)
