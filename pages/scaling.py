"""Width & depth: pieces against network size, before and after training (Hanin & Rolnick)."""

import pandas as pd
import streamlit as st

from relucurves import answer_charts, scaling, ui
from relucurves.cache import CacheError
from relucurves.data import FashionMNIST
from relucurves.models import MAX_WIDTH

ctx = ui.context()
st.title("Width, depth and training")
st.caption(
    "Hanin & Rolnick (2019), *Complexity of Linear Regions in Deep Networks*: along a line "
    "through input space the number of linear pieces grows about linearly with the total "
    "number of neurons, whatever the depth, and is similar at initialisation and after "
    "training. This page measures it on Fashion-MNIST, exactly."
)
sb = st.sidebar
sb.markdown("**Study** (this page)")
widths_text = sb.text_input(
    "Widths", ", ".join(map(str, scaling.DEFAULT_WIDTHS)), key="scale_widths"
)
depths_text = sb.text_input(
    "Depths (hidden layers)", ", ".join(map(str, scaling.DEFAULT_DEPTHS)), key="scale_depths"
)
n_train = sb.number_input(
    "Training images", value=scaling.Study.n_train, step=1000, key="scale_n_train"
)
try:
    study = scaling.Study(
        widths=scaling.parse_sizes(widths_text, "width", 1, MAX_WIDTH),
        depths=scaling.parse_sizes(depths_text, "depth", 1, scaling.MAX_STUDY_DEPTH),
        n_train=int(n_train),
    )
except ValueError as exc:
    st.error(f"Cannot run this study: {exc}.", icon=":material/error:")
    st.stop()
if ctx.data is None:
    st.error("The study trains on Fashion-MNIST, which is not available.")
    st.stop()
st.caption(
    f"Every model is depth x width ReLU layers, trained for {study.epochs} epoch on the first "
    f"{study.n_train} training images (batch {study.batch_size}, seed {study.seed}): short on "
    f"purpose, to keep the study to a minute or two. Measured along all 784 pixel sweeps over "
    f"[0, 1] from the mean image, and along {study.n_lines} lines between random pairs of "
    "test images."
)


@st.cache_data(show_spinner="Reading the study from the cache…", max_entries=8)
def _finished(study: scaling.Study, data_sha: str, _data: FashionMNIST) -> pd.DataFrame:
    """A study whose models are all cached; a miss raises so that it is not remembered."""
    results = scaling.cached_run(study, _data)
    if results is None:
        raise LookupError(study)
    return results


def results_of(study: scaling.Study, data: FashionMNIST) -> pd.DataFrame | None:
    try:
        return _finished(study, data.sha256, data)
    except LookupError:
        return None


results = results_of(study, ctx.data)
if results is None:
    n_models = len(study.specs()) * len(scaling.STATES)
    st.info(
        f"This study needs {n_models} models ({len(study.specs())} sizes, each at "
        "initialisation and trained). Models already trained come from the disk cache.",
        icon=":material/model_training:",
    )
    if st.button("Run the study", type="primary", key="scale_run"):
        bar = st.progress(0.0, text="Waiting for any other study to finish…")

        def progress(done: int, total: int, text: str) -> None:
            bar.progress(done / total, text=f"Model {done + 1} of {total}: {text}")

        try:
            with ui.training_lock():
                results = scaling.run(study, ctx.data, progress=progress)
        except CacheError as exc:
            st.error(f"The study failed: {exc}", icon=":material/error:")
            st.stop()
        bar.empty()
if results is None:
    st.stop()

st.subheader("Pieces against the number of neurons")
st.altair_chart(answer_charts.scaling(results))
st.caption(
    "Log-log axes: a straight line of slope 1 is linear growth. Colour: depth; solid or "
    "dashed: at initialisation (Keras defaults: Glorot-uniform weights, zero biases) or "
    "after the short training."
)

st.subheader("Does this agree with Hanin & Rolnick?")
for verdict in scaling.verdicts(results):
    show = st.success if verdict.agrees else st.warning
    show(verdict.text(), icon=":material/check_circle:" if verdict.agrees else ":material/info:")
low, high = scaling.LINEAR_EXPONENTS
st.caption(
    f"Counted as linear: a log-log slope of breakpoints (pieces - 1) against neurons from "
    f"{low:g} to {high:g}, fitted over every depth at once. Counted as similar: the median "
    f"trained / initial ratio within a factor {scaling.SIMILAR_RATIO:g}. Their result is about "
    "lines through input space in general; a pixel sweep over [0, 1] is a short line along "
    "one axis, starting from the mean image."
)
with st.expander("The numbers"):
    st.dataframe(scaling.exponents(results), hide_index=True, width="stretch")
    st.dataframe(results, hide_index=True, width="stretch")
st.download_button(
    "Download the study (CSV)",
    results.to_csv(index=False).encode(),
    file_name="relucurves_width_depth.csv",
    mime="text/csv",
    icon=":material/download:",
)
