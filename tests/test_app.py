"""Every page in Streamlit's AppTest: default views, controls, URL state, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from relucurves import sweeps, ui
from relucurves.baselines import mean_image, sample_image
from relucurves.models import ModelSpec, default_model

APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
TIMEOUT = 120


def run(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(params)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def titles(at: AppTest) -> list[str]:
    out = []
    for spec in specs(at):
        for part in [spec, *spec.get("layer", [])]:
            title = part.get("title")
            if title:
                out.append(title if isinstance(title, str) else title.get("text"))
    return out


def test_curves_page_default_view_matches_the_library(fashion):
    at = run()
    maps = sweeps.pixel_maps(default_model(), mean_image(fashion), 0.0, 1.0)
    shown = metrics(at)
    assert shown["Linear pieces in range"] == str(maps.segments[14, 14])
    assert shown["Active units"] == f"{maps.active_units[14, 14]} / 128"
    assert shown["Units that switch"] == str(maps.changing_units[14, 14])
    assert len(specs(at)) == 2
    assert "Linear pieces of every pixel's sweep" in titles(at)
    assert not at.error and not at.warning
    assert at.get("download_button")
    assert at.query_params == {}  # the default view keeps a clean URL


def test_moving_controls_updates_view_and_url(fashion):
    at = run()
    at.number_input(key="w_row").set_value(3)
    at.number_input(key="w_col").set_value(20)
    at.number_input(key="w_lo").set_value(-50.0)
    at.number_input(key="w_hi").set_value(50.0)
    at.run()
    assert not at.exception
    maps = sweeps.pixel_maps(default_model(), mean_image(fashion), -50.0, 50.0)
    assert metrics(at)["Linear pieces in range"] == str(maps.segments[3, 20])
    assert maps.segments[3, 20] > 10  # the wide range crosses many kinks
    assert dict(at.query_params) == {"lo": "-50", "hi": "50", "row": "3", "col": "20"}


@pytest.mark.parametrize(
    ("plot", "legend"), [("hidden1", False), ("logits", True), ("probs", True)]
)
def test_plot_choice_changes_the_curves(plot, legend):
    at = run()
    at.selectbox(key="w_plot").set_value(plot)
    at.run()
    curve = specs(at)[0]
    y_titles = {
        layer["encoding"]["y"]["title"]
        for layer in curve["layer"]
        if "y" in layer.get("encoding", {})
    }
    assert y_titles == {
        {"hidden1": "hidden 1 activation", "logits": "logit", "probs": "softmax probability"}[plot]
    }
    lines = [layer for layer in curve["layer"] if layer["mark"]["type"] == "line"]
    assert (lines[0]["encoding"]["color"].get("legend") is not None) == legend


def test_only_switching_units_filter():
    at = run()
    full = specs(at)[0]
    at.toggle(key="only_switching").set_value(True).run()
    assert not at.exception
    filtered = specs(at)[0]
    assert len(json.dumps(filtered)) < len(json.dumps(full))


def test_sample_baseline_shows_a_thumbnail_and_changes_the_numbers(fashion):
    at = run(baseline="sample", split="train", index="7")
    assert at.sidebar.get("image"), "thumbnail of the sample image"
    base = sample_image(fashion, "train", 7)
    maps = sweeps.pixel_maps(default_model(), base, 0.0, 1.0)
    assert metrics(at)["Linear pieces in range"] == str(maps.segments[14, 14])


def test_class_baseline_from_the_url(fashion):
    at = run(baseline="class", label="8", row="10", col="4")
    assert at.selectbox(key="w_label").value == 8
    assert "mean Bag" in at.caption[0].value


def test_shared_url_reproduces_the_view():
    at = run(lo="-5", hi="5", row="2", col="9", plot="logits")
    assert at.number_input(key="w_row").value == 2
    assert at.number_input(key="w_lo").value == -5.0
    assert at.selectbox(key="w_plot").value == "logits"
    assert "Pixel (2, 9) swept from -5 to 5" in at.caption[0].value


@pytest.mark.parametrize(
    "params",
    [
        {"row": "99"},
        {"lo": "nan"},
        {"index": "1e9"},
        {"baseline": "<script>alert(1)</script>"},
        {"model": "x" * 5000},
        {"plot": "hidden9"},
        {"lo": "3", "hi": "1"},
    ],
)
def test_bad_url_parameters_warn_and_fall_back(params):
    at = run(**params)
    assert at.warning, "a visible warning"
    assert metrics(at)["Linear pieces in range"]


def test_range_with_lo_not_below_hi_is_an_error_in_place():
    at = run()
    at.number_input(key="w_lo").set_value(2.0).run()
    assert not at.exception
    assert any("from < to" in e.value for e in at.error)
    assert at.sidebar.number_input(key="w_row")  # the controls still work
    at.number_input(key="w_lo").set_value(0.5).run()
    assert not at.error and metrics(at)


def test_sample_index_past_the_split_is_an_error_in_place():
    at = run(baseline="sample", split="train", index="50000")
    at.selectbox(key="w_split").set_value("test").run()
    assert not at.exception
    assert any("past the end of the test split" in e.value for e in at.error)


def test_heatmap_selection_picks_the_pixel():
    event = {"selection": {"pixel": [{"row": 4, "col": 22}]}}
    assert ui.selected_cell(event) == (4, 22)
    for bad in [
        {},
        {"selection": {"pixel": []}},
        {"selection": {"pixel": [{"row": 40, "col": 1}]}},
        None,
    ]:
        assert ui.selected_cell(bad) is None
    at = run()
    heatmap = specs(at)[1]
    assert heatmap["params"][0]["name"] == "pixel"
    assert heatmap["params"][0]["select"]["fields"] == ["row", "col"]


def test_heatmaps_page_shows_every_map_and_the_top_pixels(fashion):
    at = run("pages/heatmaps.py")
    assert set(titles(at)) >= {
        "Linear pieces",
        "Units active somewhere",
        "Units that switch",
        "Total variation of the logits",
        "Largest slope of any logit",
    }
    assert any(t.startswith("Baseline") for t in titles(at))
    top = at.dataframe[0].value
    maps = sweeps.pixel_maps(default_model(), mean_image(fashion), 0.0, 1.0)
    assert top["pieces"].iloc[0] == maps.segments.max()
    at.selectbox(key="heatmap_logit").set_value(9).run()
    assert {"Total variation of the logit", "Largest slope of the logit"} <= set(titles(at))
    boot_slope = maps.logit_slope[9].reshape(-1)
    shown = at.dataframe[0].value
    np.testing.assert_allclose(shown["max slope"], boot_slope[shown.index])


def _submit(at: AppTest, widths: str, epochs: int = 1, batch: int = 512) -> AppTest:
    at.text_input(key="train_widths").set_value(widths)
    at.number_input(key="train_epochs").set_value(epochs)
    at.selectbox(key="train_batch").set_value(batch)
    at.button(key="train_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_train_page_trains_then_serves_from_cache():
    at = _submit(run("pages/train.py"), "16")
    token = ModelSpec((16,), 1, 512, 0).token()
    assert at.success and "Now exploring 16 relu" in at.success[0].value
    assert at.query_params["model"] == token
    assert at.selectbox(key="w_model").value == token
    at.switch_page("pages/curves.py").run()
    assert "16 relu, 1 epochs" in at.caption[0].value and not at.warning
    assert metrics(at)["Active units"].endswith("/ 16")
    again = _submit(run("pages/train.py", model=token), "16")
    assert "(from the cache)" in again.success[0].value


def test_train_page_rejects_bad_specs_in_place():
    at = run("pages/train.py")
    for text, message in [
        ("12a", "whole numbers"),
        ("0", "from 1 to 1024"),
        ("8,8,8,8,8", "1 to 4"),
    ]:
        _submit(at, text)
        assert message in at.error[0].value


def test_link_to_an_untrained_model_falls_back_to_the_default():
    at = run(model=ModelSpec((7,), 2, 64, 5).token())
    assert any("has not been trained on this server" in w.value for w in at.warning)
    assert metrics(at)["Active units"].endswith("/ 128")


def test_without_data_the_app_still_works_on_the_zero_baseline(tmp_path, use_data_dir):
    use_data_dir(tmp_path)
    at = run()
    assert any("zero baseline" in w.value for w in at.warning)
    zero = sweeps.pixel_maps(default_model(), [0.0] * 784, 0.0, 1.0)
    assert metrics(at)["Linear pieces in range"] == str(zero.segments[14, 14])
    train = run("pages/train.py")
    assert "Training needs Fashion-MNIST" in train.error[0].value


def test_first_view_needs_no_tensorflow():
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout={TIMEOUT}).run()\n"
        "assert not at.exception\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["False", "False"]
