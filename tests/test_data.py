"""Fashion-MNIST loading from the real files, its failure modes, and the baselines."""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import shutil
import socket
import threading

import numpy as np
import pytest

from relucurves import baselines, data
from relucurves.data import SHA256, DataError


def test_shapes_dtypes_and_range(fashion):
    assert fashion.x_train.shape == (60000, 28, 28)
    assert fashion.x_test.shape == (10000, 28, 28)
    assert fashion.x_train.dtype == fashion.x_test.dtype == np.float32
    assert fashion.y_train.dtype == fashion.y_test.dtype == np.uint8
    assert fashion.x_train.min() == 0.0 and fashion.x_train.max() == 1.0
    assert len(data.CLASS_NAMES) == 10


def test_label_counts(fashion):
    assert np.bincount(fashion.y_train).tolist() == [6000] * 10
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10


def test_values_are_the_raw_bytes_over_255(fashion):
    with gzip.open(f"{_data_dir()}/t10k-images-idx3-ubyte.gz") as f:
        raw = f.read()
    first = np.frombuffer(raw, np.uint8, count=784, offset=16).reshape(28, 28)
    np.testing.assert_array_equal(fashion.x_test[0], first.astype(np.float32) / 255)


def test_loaded_once_per_process_and_read_only(fashion):
    assert data.load_fashion_mnist() is fashion
    with pytest.raises(ValueError):
        fashion.x_train[0, 0, 0] = 1.0


def _data_dir() -> str:
    import os

    return os.environ[data.DATA_DIR_ENV]


@pytest.fixture
def data_copy(tmp_path):
    for name in SHA256:
        shutil.copy(f"{_data_dir()}/{name}", tmp_path / name)
    return tmp_path


def test_tampered_file_is_rejected_by_name(data_copy, monkeypatch):
    target = data_copy / "train-labels-idx1-ubyte.gz"
    raw = bytearray(target.read_bytes())
    raw[-1] ^= 0xFF
    target.write_bytes(bytes(raw))
    monkeypatch.setenv(data.DATA_DIR_ENV, str(data_copy))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz.*sha256"):
        data.load_fashion_mnist()


def test_missing_file_is_named(data_copy, monkeypatch):
    (data_copy / "t10k-images-idx3-ubyte.gz").unlink()
    monkeypatch.setenv(data.DATA_DIR_ENV, str(data_copy))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        data.load_fashion_mnist()


def test_offline_without_data_says_how_to_fix(tmp_path, monkeypatch):
    """No folder, an empty Keras cache and no network: one clear error."""
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def offline(*args, **kwargs):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    monkeypatch.setattr(socket.socket, "connect", offline)
    data._load.cache_clear()
    try:
        with pytest.raises(DataError) as err:
            data.load_fashion_mnist()
    finally:
        data._load.cache_clear()
    message = str(err.value)
    assert data.DATA_DIR_ENV in message
    assert all(name in message for name in SHA256)


def test_keras_cache_folder_is_read_without_tensorflow(data_copy, monkeypatch):
    keras_home = data_copy.parent / "keras-home"
    (keras_home / "datasets").mkdir(parents=True)
    shutil.copytree(data_copy, keras_home / "datasets" / "fashion-mnist")
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    data._load.cache_clear()
    try:
        loaded = data.load_fashion_mnist()
    finally:
        data._load.cache_clear()
    assert loaded.source.endswith("fashion-mnist")
    assert loaded.x_train.shape == (60000, 28, 28)


@contextlib.contextmanager
def _serving(folder):
    """The files of a folder over HTTP on loopback: a stand-in for the download origin."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()


@pytest.fixture
def fresh_keras_home(tmp_path, monkeypatch):
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    data._load.cache_clear()
    yield tmp_path / "keras" / "datasets" / "fashion-mnist"
    data._load.cache_clear()


def test_first_use_downloads_into_the_keras_cache_without_tensorflow(
    data_copy, fresh_keras_home, monkeypatch
):
    with _serving(data_copy) as origin:
        monkeypatch.setattr(data, "KERAS_ORIGIN", origin)
        loaded = data.load_fashion_mnist()
    assert sorted(p.name for p in fresh_keras_home.iterdir()) == sorted(SHA256)
    assert loaded.source == str(fresh_keras_home)
    assert loaded.train_images.shape == (60000, 28, 28)


def test_a_corrupted_download_is_rejected_and_not_kept(data_copy, fresh_keras_home, monkeypatch):
    target = data_copy / "t10k-labels-idx1-ubyte.gz"
    target.write_bytes(target.read_bytes()[:-10])
    with _serving(data_copy) as origin, pytest.raises(DataError, match="t10k-labels.*sha256"):
        monkeypatch.setattr(data, "KERAS_ORIGIN", origin)
        data.load_fashion_mnist()
    assert "t10k-labels-idx1-ubyte.gz" not in [p.name for p in fresh_keras_home.iterdir()]
    assert not list(fresh_keras_home.glob(".*.part"))


def test_content_identity_is_stable(fashion):
    assert fashion.sha256 == "eee656c63c1c7a3b7c885d28c97fd74dc039264ce75eae7cb8d991df379ef736"


def test_baselines(fashion):
    flat = fashion.x_train.reshape(-1, 784).astype(np.float64)
    np.testing.assert_allclose(baselines.mean_image(fashion), flat.mean(0))
    assert baselines.baseline("zero", None).tolist() == [0.0] * 784
    np.testing.assert_allclose(
        baselines.sample_image(fashion, "test", 9999), fashion.x_test[9999].reshape(784), rtol=1e-6
    )
    bags = flat[fashion.y_train == 8]
    np.testing.assert_allclose(baselines.class_mean(fashion, 8), bags.mean(0))
    for b in (baselines.baseline(k, fashion, "train", 5, 3) for k in baselines.BASELINE_KINDS):
        assert b.shape == (784,) and b.dtype == np.float64


@pytest.mark.parametrize(
    ("kind", "kwargs", "match"),
    [
        ("sample", {"split": "test", "index": 10000}, "0..9999"),
        ("sample", {"split": "train", "index": -1}, "0..59999"),
        ("sample", {"split": "valid", "index": 0}, "split"),
        ("class", {"label": 10}, "class"),
        ("median", {}, "kind"),
    ],
)
def test_bad_baselines_are_clear_errors(fashion, kind, kwargs, match):
    with pytest.raises(ValueError, match=match):
        baselines.baseline(kind, fashion, **kwargs)


def test_baselines_other_than_zero_need_data():
    with pytest.raises(ValueError, match="needs the Fashion-MNIST data"):
        baselines.baseline("mean", None)


def test_class_mean_of_an_empty_class_is_an_error():
    images = np.zeros((5, 28, 28), np.uint8)
    only_zeros = data.FashionMNIST(
        images, np.zeros(5, np.uint8), images, np.zeros(5, np.uint8), "x", "t"
    )
    assert baselines.class_mean(only_zeros, 0).shape == (784,)
    with pytest.raises(ValueError, match="class 3 has no training images"):
        baselines.class_mean(only_zeros, 3)
