"""Why so boring? Question 1 answered live for the current model, baseline, pixel and range."""

import numpy as np
import streamlit as st

from relucurves import answer_charts, boring, ui
from relucurves.data import FashionMNIST
from relucurves.models import ReluMLP

ctx = ui.context()
view = ctx.view
st.title("Why are the curves so boring?")
st.caption(
    f"Model: {ctx.model_label}. Baseline: {ctx.baseline_label}. Pixel ({view.row}, {view.col}) "
    f"swept from {view.lo:g} to {view.hi:g}. Every number below is computed now, exactly."
)
ui.stop_on_problems(ctx)


@st.cache_data(show_spinner="Measuring every pixel's sweep…", max_entries=32)
def summary(model_id: str, _model: ReluMLP, baseline: np.ndarray, lo: float, hi: float):
    return boring.summarise(_model, baseline, lo, hi)


@st.cache_data(show_spinner=False, max_entries=32)
def distances(model_id: str, _model: ReluMLP, baseline: np.ndarray, lo: float, hi: float):
    return boring.kink_distances(_model, baseline, lo, hi)


@st.cache_data(show_spinner="Sweeping wider and wider ranges…", max_entries=32)
def widening(model_id: str, _model: ReluMLP, baseline: np.ndarray):
    return boring.pieces_vs_range(_model, baseline)


@st.cache_data(show_spinner="Comparing baselines…", max_entries=16)
def baselines_side_by_side(
    model_id: str, _model: ReluMLP, lo: float, hi: float, data_sha: str, _data: FashionMNIST | None
):
    points = boring.standard_baselines(_data) if _data is not None else {"zero": np.zeros(784)}
    return boring.baseline_table(_model, points, lo, hi)


@st.cache_data(show_spinner=False, max_entries=64)
def scale(model_id: str, _model: ReluMLP, baseline: np.ndarray, pixel: int, lo: float, hi: float):
    return boring.logit_scale(_model, baseline, pixel, lo, hi)


args = (ctx.model_id, ctx.model, ctx.baseline)
facts = summary(*args, view.lo, view.hi)
st.subheader("The answer")
st.markdown(boring.explain(facts))
if len(ctx.model.hidden_widths) > 1:
    st.info("Kink distances are for the first hidden layer, whose units kink once per sweep.")

a, b, c, d = st.columns(4)
a.metric("Units active at the baseline", f"{facts.active_at_baseline} / {facts.units}")
b.metric(
    "Median kink distance", f"{facts.median_distance:.3g}", help="pixel-units outside the range"
)
c.metric("Kinks inside the range", f"{100 * facts.fraction_inside:.2g}%")
d.metric("Mean pieces per pixel", f"{facts.mean_pieces:.3g}", help=f"max {facts.max_pieces}")

st.subheader("Where the kinks are")
kinks = distances(*args, view.lo, view.hi)
histogram = boring.distance_histogram(
    {f"pixel ({view.row}, {view.col})": kinks[view.pixel], "all pixels": kinks},
    view.hi - view.lo,
)
st.altair_chart(
    answer_charts.distance_histogram(histogram, f"[{view.lo:g}, {view.hi:g}]"), width="stretch"
)
st.caption(
    f"Each bar counts (pixel, unit) pairs: how far outside [{view.lo:g}, {view.hi:g}] that unit's "
    f"kink lies when that pixel is swept, in widths of the range ({view.hi - view.lo:g}). "
    "Units whose weight on the pixel is exactly zero never kink and are left out."
)

st.subheader("Widen the range and the kinks appear")
ranges = widening(*args)
st.altair_chart(answer_charts.pieces_vs_range(ranges, view.hi - view.lo), width="stretch")
st.caption(
    f"Mean and max over all {ctx.model.n_inputs} pixels of the linear pieces along each pixel's "
    f"sweep, with the other pixels at the {ctx.baseline_label}. At the baseline "
    f"{facts.active_at_baseline} of {facts.units} hidden units are active."
)
with st.expander("The numbers"):
    st.dataframe(ranges, hide_index=True, width="stretch")

st.subheader("Is it the baseline?")
data_sha = ctx.data.sha256 if ctx.data else "none"
table = baselines_side_by_side(ctx.model_id, ctx.model, view.lo, view.hi, data_sha, ctx.data)
st.altair_chart(answer_charts.baseline_bars(table))
busiest = table.loc[table["mean_pieces"].idxmax()]
st.caption(
    f"The same counts over [{view.lo:g}, {view.hi:g}] from other baselines: the mean image, "
    f"black, three test images and the mean image of every class. The busiest is "
    f"{busiest['baseline']}, with {busiest['mean_pieces']:.3g} pieces per pixel on average "
    f"({busiest['active_at_baseline']} units active): a sweep there bends "
    f"{busiest['mean_pieces'] - 1:.3g} times on average, for {facts.units} hidden units."
)
if ctx.data is None:
    st.warning("Only the zero baseline is available without the Fashion-MNIST data.")
with st.expander("The numbers"):
    st.dataframe(table, hide_index=True, width="stretch")

st.subheader("And the curves are small")
logits = scale(*args, view.pixel, view.lo, view.hi)
a, b, c, d = st.columns(4)
a.metric("Logit spread at the baseline", f"{logits.spread:.3g}", help="largest minus smallest")
b.metric("Top class leads by", f"{logits.margin:.3g}")
c.metric(
    f"Largest logit change, pixel ({view.row}, {view.col})",
    f"{logits.variation.max():.3g}",
    help="total variation of the logit that moves most along this sweep",
)
d.metric(
    "… mean over all pixels",
    f"{logits.pixel_largest_variation.mean():.3g}",
    help=f"max over pixels {logits.pixel_largest_variation.max():.3g}",
)
st.altair_chart(answer_charts.logit_ranges(logits.frame()), width="stretch")
st.caption(
    f"Bars: the range each logit covers while pixel ({view.row}, {view.col}) goes from "
    f"{view.lo:g} to {view.hi:g}; dots: the logits at the baseline. The steepest slope of any "
    f"logit along this sweep is {logits.max_slope:.3g} per unit of pixel value."
)
