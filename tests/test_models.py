"""Specs, Keras conversion, the file format and the embedded default model."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from relucurves import mlp as mlp_io
from relucurves.mlp import ModelFileError, ReluMLP
from relucurves.models import ModelSpec, SpecError, UnsupportedModelError, default_model, from_keras


def test_default_spec_builds_exactly_the_seed_model():
    from relucurves.training import build_keras_model

    model = build_keras_model(ModelSpec())
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Flatten", "Dense", "Dense"]
    assert model.input_shape == (None, 28, 28)
    hidden, out = model.layers[1], model.layers[2]
    assert (hidden.units, hidden.get_config()["activation"]) == (128, "relu")
    assert (out.units, out.get_config()["activation"]) == (10, "linear")
    assert model.count_params() == 784 * 128 + 128 + 128 * 10 + 10


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hidden": ()},
        {"hidden": (8, 8, 8, 8, 8)},
        {"hidden": (0,)},
        {"hidden": (1025,)},
        {"hidden": (12.5,)},
        {"hidden": (True,)},
        {"hidden": 128},
        {"epochs": 0},
        {"epochs": 51},
        {"batch_size": 0},
        {"seed": -1},
        {"seed": "0"},
    ],
)
def test_out_of_range_specs_are_clear_errors(kwargs):
    with pytest.raises(SpecError, match="must"):
        ModelSpec(**kwargs)


def test_parameter_count_and_training_cost():
    from relucurves.training import build_keras_model

    spec = ModelSpec(hidden=(64, 32), epochs=3)
    assert spec.n_params() == build_keras_model(spec).count_params() == 52650
    assert spec.training_cost() == 3 * 52650


def test_spec_bounds_are_inclusive_and_keys_distinguish_specs():
    specs = [ModelSpec(hidden=(1,)), ModelSpec(hidden=(1024,) * 4), ModelSpec(hidden=[128])]
    assert specs[2] == ModelSpec() and specs[2].hidden == (128,)
    keys = {s.key("data") for s in specs} | {ModelSpec().key("other data")}
    assert len(keys) == 4
    assert ModelSpec.from_dict(ModelSpec(hidden=(3, 4), seed=7).to_dict()) == ModelSpec(
        (3, 4), seed=7
    )


@pytest.mark.parametrize("fixture", ["keras_depth1", "keras_depth3"])
def test_from_keras_forward_matches_predict(fixture, request, fashion):
    keras_model, relu_mlp = request.getfixturevalue(fixture)
    x = fashion.x_test[:2000]
    expected = keras_model.predict(x, verbose=0)
    got = relu_mlp.forward(x.reshape(-1, 784))
    assert got.shape == (2000, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)
    assert (
        relu_mlp.hidden_widths
        == tuple(layer.units for layer in keras_model.layers if type(layer).__name__ == "Dense")[
            :-1
        ]
    )


def _keras(*layers):
    import keras

    return keras.Sequential([keras.Input((28, 28)), *layers])


def test_from_keras_records_softmax_and_skips_dropout():
    import keras

    model = _keras(
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(10, activation="softmax"),
    )
    relu_mlp = from_keras(model)
    assert relu_mlp.output == "softmax"
    x = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    logits = relu_mlp.forward(x.reshape(5, 784))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(probs, model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (
            lambda k: [k.layers.Conv2D(4, 3, name="conv"), k.layers.Flatten(), k.layers.Dense(10)],
            "'conv' is a Conv2D",
        ),
        (
            lambda k: [
                k.layers.Flatten(),
                k.layers.Dense(8, activation="tanh", name="h"),
                k.layers.Dense(10),
            ],
            "'h' uses activation 'tanh'",
        ),
        (
            lambda k: [
                k.layers.Flatten(),
                k.layers.Dense(8, activation="relu"),
                k.layers.Dense(10, activation="sigmoid", name="out"),
            ],
            "'out'.*sigmoid",
        ),
    ],
)
def test_from_keras_names_the_unsupported_layer(build, match):
    import keras

    model = (
        _keras(*build(keras))
        if "conv" not in match
        else keras.Sequential([keras.Input((28, 28, 1)), *build(keras)])
    )
    with pytest.raises(UnsupportedModelError, match=match):
        from_keras(model)


def test_file_format_round_trips_and_is_deterministic(keras_depth3):
    _, relu_mlp = keras_depth3
    relu_mlp.meta = {"note": "x"}
    blob = mlp_io.to_bytes(relu_mlp)
    assert mlp_io.to_bytes(relu_mlp) == blob
    back = mlp_io.from_bytes(blob)
    assert back.meta == {"note": "x"} and back.output == relu_mlp.output
    for (w1, b1), (w2, b2) in zip(back.layers, relu_mlp.layers, strict=True):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)
    for damaged in (blob[: len(blob) // 2], b"", b"PK\x03\x04 not really a zip"):
        with pytest.raises(ModelFileError, match="not a readable relucurves model"):
            mlp_io.from_bytes(damaged)


def test_relu_mlp_rejects_inconsistent_or_non_finite_layers():
    w = np.ones((4, 3))
    with pytest.raises(ValueError, match="takes 2 inputs"):
        ReluMLP([(w, np.zeros(3)), (np.ones((2, 1)), np.zeros(1))])
    with pytest.raises(ValueError, match="non-finite"):
        ReluMLP([(w * np.nan, np.zeros(3))])


def test_default_model_accuracy_on_the_real_test_set(fashion):
    model = default_model()
    assert model.hidden_widths == (128,) and model.n_inputs == 784 and model.n_outputs == 10
    accuracy = model.accuracy(fashion.x_test, fashion.y_test)
    assert accuracy >= 0.86
    assert accuracy == pytest.approx(model.meta["test_accuracy"], abs=1e-9)
    assert model.meta["spec"] == ModelSpec().to_dict()
    assert model.meta["data_sha256"] == fashion.sha256
    assert model.meta["weights_sha256"] == model.weights_sha256()


def test_default_model_loads_without_tensorflow():
    code = (
        "import sys, numpy as np, relucurves.models as m;"
        "print(m.default_model().forward(np.zeros((2, 784))).shape);"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["(2,", "10)", "False", "False"]
