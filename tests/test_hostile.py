"""A public app: uploads, hostile links and broken files on disk never break a page."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_app import APP, TIMEOUT, metrics, run


def _keras_bytes(tmp_path, *layers, shape=(28, 28)) -> bytes:
    import keras

    path = tmp_path / "m.keras"
    keras.Sequential([keras.Input(shape), *layers]).save(path)
    return path.read_bytes()


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.sidebar.file_uploader[0].set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_uploaded_model_becomes_the_current_model_in_this_session_only(tmp_path):
    import keras

    data = _keras_bytes(
        tmp_path, keras.layers.Flatten(), keras.layers.Dense(24, activation="relu"),
        keras.layers.Dense(10),
    )  # fmt: skip
    at = _upload(run(), "mine.keras", data)
    token = at.selectbox(key="w_model").value
    assert token.startswith("upload:")
    assert metrics(at)["Active units"].endswith("/ 24")
    assert "Uploaded mine.keras (24 relu)" in at.caption[0].value
    assert at.query_params["model"] == token
    other = run(model=token)  # another visitor opening the link
    assert any("uploaded models stay in the visitor's session" in w.value for w in other.warning)
    assert metrics(other)["Active units"].endswith("/ 128")


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("junk.keras", lambda tmp: b"\x00\x01 not a zip" * 50, "not a .keras file"),
        ("big.keras", lambda tmp: bytes(25 * 2**20), "limited to 20 MB"),
        ("cut.keras", "truncated", "Upload refused"),
        ("lambda.keras", "lambda", "is a Lambda"),
        ("conv.keras", "conv", "is a Conv2D"),
        ("wide.keras", "wrong_input", "takes 10 inputs"),
    ],
)
def test_bad_uploads_are_refused_and_the_app_keeps_working(tmp_path, name, make, message):
    import keras

    builders = {
        "truncated": lambda: _keras_bytes(tmp_path, keras.layers.Flatten(), keras.layers.Dense(10))[:900],
        "lambda": lambda: _keras_bytes(
            tmp_path, keras.layers.Flatten(), keras.layers.Lambda(lambda x: x + 1),
            keras.layers.Dense(10),
        ),
        "conv": lambda: _keras_bytes(
            tmp_path, keras.layers.Conv2D(2, 3), keras.layers.Flatten(), keras.layers.Dense(10),
            shape=(28, 28, 1),
        ),
        "wrong_input": lambda: _keras_bytes(
            tmp_path, keras.layers.Dense(4, activation="relu"), keras.layers.Dense(10), shape=(10,)
        ),
    }  # fmt: skip
    data = make(tmp_path) if callable(make) else builders[make]()
    at = _upload(run(), name, data)
    errors = [e.value for e in at.sidebar.error]
    assert errors and message in errors[0]
    assert at.selectbox(key="w_model").value == "default"
    assert metrics(at)["Active units"].endswith("/ 128")
    at.number_input(key="w_row").set_value(2).run()  # and it keeps working
    assert not at.exception and "Pixel (2, 14)" in at.caption[0].value


HOSTILE_LINKS = [
    {"row": "1" * 50},
    {"col": "-3"},
    {"lo": "-inf", "hi": "inf"},
    {"lo": "1e308", "hi": "1e309"},
    {"hi": "NaN"},
    {"index": "-1", "baseline": "sample"},
    {"index": "99999999999999999999", "baseline": "sample"},
    {"split": "../../etc/passwd", "baseline": "sample"},
    {"label": "11", "baseline": "class"},
    {"model": "__import__('os').system('id')"},
    {"model": "upload:zzzz"},
    {"plot": "%00"},
    {"x" * 300: "y" * 3000},
]


@pytest.mark.parametrize("params", HOSTILE_LINKS, ids=range(len(HOSTILE_LINKS)))
@pytest.mark.parametrize("page", [None, "pages/heatmaps.py", "pages/train.py"])
def test_hostile_links_warn_on_every_page(params, page):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(params)
    at.run()
    assert not at.exception
    assert at.warning, "each hostile link gets a visible warning"
    if page:
        at.switch_page(page).run()
        assert not at.exception


def test_unwritable_cache_folder_is_a_message_on_the_train_page(tmp_path, monkeypatch):
    from test_app import _submit

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RELUCURVES_CACHE_DIR", str(blocker / "cache"))
    at = _submit(run("pages/train.py"), "8")
    assert "Training failed: cannot create the model cache folder" in at.error[0].value
    at.switch_page("pages/curves.py").run()
    assert not at.exception and metrics(at)["Linear pieces in range"]


def test_tampered_data_file_is_a_message_and_the_app_keeps_working(tmp_path, use_data_dir):
    import os
    import shutil

    from relucurves.data import SHA256

    for name in SHA256:
        shutil.copy(os.path.join(os.environ["RELUCURVES_DATA_DIR"], name), tmp_path / name)
    raw = bytearray((tmp_path / "train-images-idx3-ubyte.gz").read_bytes())
    raw[1000] ^= 0xFF
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(bytes(raw))
    use_data_dir(tmp_path)
    at = run()
    assert any("train-images-idx3-ubyte.gz" in w.value and "sha256" in w.value for w in at.warning)
    assert metrics(at)["Linear pieces in range"]


def test_failed_training_is_a_message(monkeypatch):
    from test_app import _submit

    from relucurves import training

    def broken(*args, **kwargs):
        raise MemoryError("the server ran out of memory")

    monkeypatch.setattr(training, "train", broken)
    at = _submit(run("pages/train.py"), "9")
    assert "Training failed: the server ran out of memory" in at.error[0].value
    assert at.selectbox(key="w_model").value == "default"


def test_upload_with_non_finite_weights_is_refused(tmp_path):
    import keras
    import numpy as np

    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(4, activation="relu"),
         keras.layers.Dense(10)]
    )  # fmt: skip
    kernel, bias = model.layers[1].get_weights()
    kernel[0, 0] = np.nan
    model.layers[1].set_weights([kernel, bias])
    model.save(tmp_path / "nan.keras")
    at = _upload(run(), "nan.keras", (tmp_path / "nan.keras").read_bytes())
    assert "non-finite" in at.sidebar.error[0].value


def test_training_beyond_the_budget_is_refused_before_it_starts(monkeypatch):
    from test_app import _submit

    from relucurves import training

    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("must not train"))
    at = _submit(run("pages/train.py"), "1024,1024,1024,1024", epochs=50)
    assert "this server trains at most 20,000,000 per request" in at.error[0].value
    monkeypatch.setenv("RELUCURVES_MAX_TRAINING_COST", "1000")
    at = _submit(at, "16")
    assert "at most 1,000 per request" in at.error[0].value
