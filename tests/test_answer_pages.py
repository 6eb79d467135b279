"""The four answer pages in AppTest: they render, their controls work, bad input is an error
in place, and the numbers shown are the library's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_app import APP, TIMEOUT, metrics, run, specs
from test_scaling import TINY

from relucurves import boring, domains, scaling, sweeps
from relucurves.baselines import mean_image, sample_image
from relucurves.models import default_model

BORING, LINES, DOMAINS, SCALING = (
    f"pages/{p}.py" for p in ("why_boring", "lines", "domains", "scaling")
)


def errors(at) -> list[str]:
    return [e.value for e in at.error]


# ---------------------------------------------------------------- why so boring?


def test_why_boring_shows_the_librarys_answer(fashion):
    at = run(BORING)
    s = boring.summarise(default_model(), mean_image(fashion), 0.0, 1.0)
    shown = metrics(at)
    assert shown["Units active at the baseline"] == f"{s.active_at_baseline} / 128"
    assert shown["Mean pieces per pixel"] == f"{s.mean_pieces:.3g}"
    assert shown["Median kink distance"] == f"{s.median_distance:.3g}"
    assert boring.explain(s) in [m.value for m in at.markdown]
    assert len(specs(at)) == 4 and not at.error and not at.warning


def test_why_boring_follows_the_sidebar(fashion):
    at = run(BORING, lo="-50", hi="50", row="3", col="20")
    wide = sweeps.segment_map(default_model(), mean_image(fashion), -50.0, 50.0)
    assert metrics(at)["Mean pieces per pixel"] == f"{wide.mean():.3g}"
    scale = boring.logit_scale(default_model(), mean_image(fashion), 3 * 28 + 20, -50.0, 50.0)
    assert metrics(at)["Largest logit change, pixel (3, 20)"] == f"{scale.variation.max():.3g}"
    at.selectbox(key="w_baseline").set_value("zero").run()
    assert not at.exception
    assert metrics(at)["Units active at the baseline"].endswith("/ 128")


def test_why_boring_bad_range_is_an_error_in_place():
    at = run(BORING)
    at.number_input(key="w_lo").set_value(3.0).run()
    assert not at.exception and any("from < to" in e for e in errors(at))
    at.number_input(key="w_lo").set_value(-1.0).run()
    assert not at.error and metrics(at)


# ---------------------------------------------------------------- lines


def test_lines_default_is_the_line_between_two_test_images(fashion):
    at = run(LINES)
    a, b = (sample_image(fashion, "test", i) for i in (0, 1))
    expected = sweeps.line_sweep(default_model(), a, b)
    shown = metrics(at)
    assert shown["Pieces along this line"] == str(expected.pieces)
    assert int(shown["Pieces along pixel (14, 14)"]) < expected.pieces
    assert len(at.get("image")) == 3 and len(specs(at)) == 2
    at.slider(key="line_t").set_value(0.9).run()
    assert not at.exception and at.slider(key="line_t").value == pytest.approx(0.9)
    at.selectbox(key="w_plot").set_value("logits").run()
    assert not at.exception and metrics(at)["Pieces along this line"] == str(expected.pieces)


def test_every_kind_of_line_renders():
    at = run(LINES)
    for kind, extra in [
        ("classes", {}),
        ("to_image", {}),
        ("direction", {"line_dir": "pc", "line_pc": 3}),
        ("direction", {"line_dir": "random"}),
    ]:
        at.selectbox(key="line_kind").set_value(kind).run()
        for key, value in extra.items():
            at.selectbox(key=key).set_value(value).run()
        assert not at.exception and not at.error, (kind, extra)
        assert int(metrics(at)["Pieces along this line"]) >= 1
        assert len(at.get("image")) == 3


def test_class_mean_line_matches_the_library(fashion):
    from relucurves.baselines import class_mean

    at = run(LINES)
    at.selectbox(key="line_kind").set_value("classes").run()
    at.selectbox(key="line_class_b").set_value(3).run()
    expected = sweeps.line_sweep(default_model(), class_mean(fashion, 0), class_mean(fashion, 3))
    assert metrics(at)["Pieces along this line"] == str(expected.pieces)


def test_bad_lines_are_errors_in_place():
    at = run(LINES)
    at.number_input(key="line_b_index").set_value(0).run()  # the same image twice
    assert not at.exception and any("length zero" in e for e in errors(at))
    assert at.sidebar.selectbox(key="line_kind")  # the controls still work
    at.number_input(key="line_b_index").set_value(20000).run()
    assert any("index must be in 0..9999" in e for e in errors(at))
    at.selectbox(key="line_kind").set_value("classes").run()
    at.selectbox(key="line_class_b").set_value(0).run()
    assert any("length zero" in e for e in errors(at))
    at.selectbox(key="line_kind").set_value("direction").run()
    at.number_input(key="line_lo").set_value(2.0).run()
    assert not at.exception and any("lo must be less than hi" in e for e in errors(at))


def test_baseline_to_the_same_image_is_a_zero_length_line():
    at = run(LINES, baseline="sample", index="1")
    at.selectbox(key="line_kind").set_value("to_image").run()
    assert not at.exception and any("length zero" in e for e in errors(at))


# ---------------------------------------------------------------- domains


def test_domains_page_trains_the_small_models_then_compares(fashion):
    at = run(DOMAINS)
    if at.button:  # not trained yet in this test session
        assert "Not trained on this server yet" in at.info[0].value
        at.button(key="domains_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    table = at.dataframe[0].value
    assert len(table) == len(domains.DOMAINS) + 1
    fashion_row = table[table["title"].str.startswith("Fashion-MNIST")].iloc[0]
    pixels = domains.feature_sweeps(default_model(), fashion.train_images, scale=1 / 255)
    expected = pixels["pieces"].mean()
    assert fashion_row["mean_pieces"] == pytest.approx(expected)
    sine = table[table["title"].str.startswith("Noisy sine")].iloc[0]
    assert sine["mean_pieces"] > 10 * fashion_row["mean_pieces"]
    answer = next(m.value for m in at.markdown if "A Fashion-MNIST pixel gets" in m.value)
    assert f"**{fashion_row['mean_pieces']:.3g}**" in answer
    titles = [s.get("title", {}) for s in specs(at)]
    assert any("linear regions in view" in str(t) for t in titles)
    at.selectbox(key="domain_feature_iris").set_value(2).run()
    assert not at.exception


def test_domains_width_out_of_bounds_is_an_error_in_place():
    at = run(DOMAINS)
    for width in (0, 5000):
        at.number_input(key="domain_width").set_value(width).run()
        assert not at.exception and any("from 1 to 1024" in e for e in errors(at)), width
        assert at.sidebar.number_input(key="w_row")


# ---------------------------------------------------------------- width & depth


def set_study(at, widths: str, depths: str, n_train: int = 500):
    at.text_input(key="scale_widths").set_value(widths)
    at.text_input(key="scale_depths").set_value(depths)
    at.number_input(key="scale_n_train").set_value(n_train)
    return at.run()


def test_scaling_page_runs_a_small_study(fashion):
    at = run(SCALING)
    set_study(at, "8, 16", "1, 2")
    if at.button:
        at.button(key="scale_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    results = scaling.cached_run(TINY, fashion)
    verdicts = [m.value for m in [*at.success, *at.warning]]
    assert [v.text() for v in scaling.verdicts(results)] == verdicts
    assert len(specs(at)) == 1 and at.get("download_button")
    shown = at.dataframe[1].value
    assert shown["pieces"].tolist() == pytest.approx(results["pieces"].tolist())


def test_scaling_bad_study_is_an_error_in_place():
    at = run(SCALING)
    for widths, depths, n_train, message in [
        ("16, 5000", "1", 500, "from 1 to 1024"),
        ("16", "4", 500, "from 1 to 3"),
        ("abc", "1", 500, "whole numbers"),
        ("16", "1", 5, "n_train must be from 100"),
    ]:
        set_study(at, widths, depths, n_train)
        assert not at.exception and any(message in e for e in errors(at)), message
        assert not at.button


def test_answer_pages_need_no_tensorflow_and_no_float_data_until_training():
    tests = str(Path(__file__).resolve().parent)
    code = (
        "import sys\n"
        f"sys.path.insert(0, {tests!r})\n"
        "from apptest_support import patch_apptest\n"
        "patch_apptest()\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout={TIMEOUT}).run()\n"
        f"for page in {[BORING, LINES, DOMAINS, SCALING]!r}:\n"
        "    at.switch_page(page).run()\n"
        "    assert not at.exception, (page, [e.value for e in at.exception])\n"
        "from relucurves.data import load_fashion_mnist\n"
        "floats = vars(load_fashion_mnist())\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules,\n"
        "      'x_train' in floats, 'x_test' in floats)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-4:] == ["False"] * 4  # no TensorFlow, no float copy of the data


def test_without_the_data_every_answer_page_says_so_and_keeps_working(tmp_path, use_data_dir):
    use_data_dir(tmp_path)
    at = run(BORING)
    assert any("zero baseline" in w.value for w in at.warning) and metrics(at)
    for page, message in [(LINES, "need the Fashion-MNIST data"), (SCALING, "trains on Fashion")]:
        at.switch_page(page).run()
        assert not at.exception and any(message in e for e in errors(at)), page
    at.switch_page(DOMAINS).run()
    assert not at.exception
    assert any("Fashion-MNIST is not available" in w.value for w in at.warning)
