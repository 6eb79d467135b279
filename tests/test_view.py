"""The URL round trip of a view, and hostile parameters."""

from __future__ import annotations

import pytest

from relucurves.models import ModelSpec
from relucurves.view import View, from_query, to_query


def test_default_view_has_a_clean_url():
    assert to_query(View()) == {}
    assert from_query({}) == (View(), [])


def test_round_trip_of_every_field():
    view = View(
        model=ModelSpec(hidden=(64, 32), epochs=3, seed=9).token(),
        baseline="sample",
        split="train",
        index=59999,
        label=7,
        lo=-50.0,
        hi=0.123456789,
        row=0,
        col=27,
        plot="logits",
    )
    query = to_query(view)
    assert set(query) == {f for f in View.__dataclass_fields__}
    assert from_query(query) == (view, [])
    assert View(row=3, col=5).pixel == 89


def test_lists_take_the_last_value_and_streamlit_params_are_quiet():
    assert from_query({"row": ["1", "2"], "embed": "true"}) == (View(row=2), [])


HOSTILE = {
    "row": ["-1", "28", "1.5", "nan", "1e3", "", "٣", "9" * 40],
    "col": ["abc", "  ", "0x10"],
    "lo": ["nan", "inf", "-inf", "1e400", "2e6", "x"],
    "index": ["-5", "60000", "NaN"],
    "label": ["10", "-1"],
    "baseline": ["median", "MEAN", "<script>"],
    "split": ["valid"],
    "plot": ["hidden9", "relu"],
    "model": ["128", "0_e5_s0_b32", "128_e99_s0_b32", "1x2x3x4x5_e1_s0_b1", "../../etc"],
}


@pytest.mark.parametrize(
    ("name", "text"), [(name, text) for name, texts in HOSTILE.items() for text in texts]
)
def test_hostile_parameter_falls_back_with_a_warning(name, text):
    view, warnings = from_query({name: text, "row": "5"} if name != "row" else {name: text})
    expected = View(row=5) if name != "row" else View()
    assert view == expected
    assert len(warnings) == 1 and name in warnings[0]


def test_absurdly_long_parameter_is_ignored():
    view, warnings = from_query({"model": "1" * 10_000, "col": "3"})
    assert view == View(col=3)
    assert warnings == ["URL parameter 'model' is too long; ignored."]


def test_inverted_range_and_index_past_split():
    view, warnings = from_query({"lo": "5", "hi": "-5", "split": "test", "index": "12000"})
    assert (view.lo, view.hi, view.index) == (0.0, 1.0, 0)
    assert len(warnings) == 2
    assert "lo=5 >= hi=-5" in warnings[0]
    assert "past the test split" in warnings[1]


def test_unknown_parameters_are_reported_once():
    view, warnings = from_query({"foo": "1", "bar": "2", "row": "4"})
    assert view == View(row=4)
    assert warnings == ["Unknown URL parameters ignored: 'bar', 'foo'."]
