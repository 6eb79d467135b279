"""Users' .keras files: the supported ones convert exactly, everything else is refused clearly."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from relucurves.mlp import ModelFileError
from relucurves.models import UnsupportedModelError, load_keras_file


def _save(tmp_path, *layers, shape=(28, 28), name="model.keras"):
    import keras

    model = keras.Sequential([keras.Input(shape), *layers])
    path = tmp_path / name
    model.save(path)
    return model, path


@pytest.fixture
def seed_like(tmp_path):
    import keras

    return _save(
        tmp_path,
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    )


def test_supported_file_converts_exactly(seed_like, fashion):
    model, path = seed_like
    mlp = load_keras_file(path)
    assert mlp.hidden_widths == (32, 16) and mlp.output == "softmax"
    assert mlp.meta["source"] == "upload"
    x = fashion.x_test[:500]
    logits = mlp.forward(x.reshape(-1, 784))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    np.testing.assert_allclose(probs, model.predict(x, verbose=0), atol=1e-5)


def test_flat_784_input_is_accepted(tmp_path):
    import keras

    _, path = _save(tmp_path, keras.layers.Dense(4, activation="relu"), keras.layers.Dense(10),
                    shape=(784,))  # fmt: skip
    assert load_keras_file(path).n_inputs == 784


def test_lambda_layer_is_refused_before_keras_runs_it(tmp_path):
    import keras

    _, path = _save(
        tmp_path,
        keras.layers.Flatten(),
        keras.layers.Lambda(lambda x: x * 2, name="doubler"),
        keras.layers.Dense(10),
    )
    with pytest.raises(UnsupportedModelError, match="'doubler' is a Lambda"):
        load_keras_file(path)


def test_conv_net_is_refused_by_name(tmp_path):
    import keras

    _, path = _save(
        tmp_path,
        keras.layers.Conv2D(4, 3, name="conv"),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
        shape=(28, 28, 1),
    )
    with pytest.raises(UnsupportedModelError, match="'conv' is a Conv2D"):
        load_keras_file(path)


def test_wrong_input_and_output_shapes(tmp_path):
    import keras

    _, small = _save(tmp_path, keras.layers.Dense(4, activation="relu"), keras.layers.Dense(10),
                     shape=(10,), name="small.keras")  # fmt: skip
    with pytest.raises(UnsupportedModelError, match="takes 10 inputs"):
        load_keras_file(small)
    _, three = _save(tmp_path, keras.layers.Flatten(), keras.layers.Dense(4, activation="relu"),
                     keras.layers.Dense(3), name="three.keras")  # fmt: skip
    with pytest.raises(UnsupportedModelError, match="3 outputs"):
        load_keras_file(three)
    _, no_hidden = _save(tmp_path, keras.layers.Flatten(), keras.layers.Dense(10), name="lin.keras")
    with pytest.raises(UnsupportedModelError, match="hidden layers"):
        load_keras_file(no_hidden)


def test_not_a_zip(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"definitely not a model" * 100)
    with pytest.raises(ModelFileError, match="not a .keras file"):
        load_keras_file(path)


def test_truncated_file(seed_like):
    _, path = seed_like
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelFileError):
        load_keras_file(path)


def test_file_over_the_size_limit(tmp_path):
    path = tmp_path / "huge.keras"
    with open(path, "wb") as f:
        f.truncate(100 * 2**20)  # 100 MB, sparse on disk
    with pytest.raises(ModelFileError, match="100.0 MB; model files are limited to 20 MB"):
        load_keras_file(path)


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ({"config.json": "{not json"}, "not a readable .keras file"),
        ({"model.weights.h5": "x"}, "not a readable .keras file"),
        ({"config.json": '{"class_name": "Lambda"}'}, "Sequential or Functional"),
        ({"config.json": '{"class_name": "Sequential", "config": {"layers": []}}'}, "no layers"),
        ({"config.json": "{}", "zeros.bin": b"\0" * (65 * 2**20)}, "unpacks to more than"),
    ],
)
def test_damaged_or_hostile_archives(tmp_path, members, match):
    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises((ModelFileError, UnsupportedModelError), match=match):
        load_keras_file(path)


def test_custom_registered_layer_is_refused(seed_like):
    _, path = seed_like
    with zipfile.ZipFile(path) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(files["config.json"])
    config["config"]["layers"][2]["registered_name"] = "evil>Dense"
    files["config.json"] = json.dumps(config)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    with pytest.raises(UnsupportedModelError, match="supported"):
        load_keras_file(path)
