"""Domains: the same hidden layer on problems of rising input dimension (question 2)."""

import time

import numpy as np
import pandas as pd
import streamlit as st

from relucurves import answer_charts, charts, domains, ui
from relucurves.cache import CacheError
from relucurves.data import CLASS_NAMES
from relucurves.domains import Domain
from relucurves.models import ReluMLP, SpecError

FASHION = "fashion_mnist"
SHOWN_POINTS = 800  # data points drawn over a curve or a region map
PIXEL_SCALE = 1 / 255  # Fashion-MNIST is read as uint8, the model takes [0, 1]

ctx = ui.context()
st.title("Which domains give interesting curves?")
st.caption(
    "One hidden ReLU layer of the same width, trained on problems of rising input dimension. "
    "Each input is swept over its data range (min to max) with the others at their means, "
    "and the exact linear pieces are counted. Inputs of the small domains are standardised; "
    "pieces per standard deviation compare ranges across domains."
)


@st.cache_resource(show_spinner=False)
def domain(name: str) -> Domain:
    return domains.load(name)


@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_model(name: str, width: int) -> ReluMLP:
    """A model from the disk cache; a miss raises so that it is not remembered."""
    model = domains.cached_model(domain(name), width)
    if model is None:
        raise LookupError(name)
    return model


def trained(name: str, width: int) -> ReluMLP | None:
    try:
        return _cached_model(name, width)
    except LookupError:
        return None


@st.cache_data(show_spinner="Sweeping every input over its data range…", max_entries=128)
def sweeps_table(
    model_id: str, _model: ReluMLP, _x: np.ndarray, scale: float = 1.0
) -> pd.DataFrame:
    return domains.feature_sweeps(_model, _x, scale)


@st.cache_data(show_spinner=False, max_entries=128)
def example(model_id: str, _model: ReluMLP, _x: np.ndarray, feature: int, scale: float = 1.0):
    return domains.example_sweep(_model, _x, feature, scale)


def train_missing(names: list[str], width: int) -> None:
    with (
        ui.training_lock(),
        st.status(f"Training {len(names)} small models…", expanded=True) as status,
    ):
        for name in names:
            d = domain(name)
            bar = st.progress(0.0, text=f"{d.title}: starting")
            start = time.monotonic()

            def progress(epoch: int, epochs: int, loss: float, bar=bar, title=d.title) -> None:
                bar.progress(
                    epoch / epochs, text=f"{title}: epoch {epoch}/{epochs}, loss {loss:.4f}"
                )

            _, from_cache = domains.get_or_train(d, width, progress=progress)
            took = "from the cache" if from_cache else f"{time.monotonic() - start:.1f} s"
            bar.progress(1.0, text=f"{d.title}: done ({took})")
        status.update(label="Small models trained", state="complete", expanded=False)


@st.cache_data(show_spinner=False, max_entries=16)
def regions(model_id: str, _model: ReluMLP, _x: np.ndarray) -> pd.DataFrame:
    return domains.region_map(_model, _x)


def shown_points(d: Domain) -> np.ndarray:
    """A fixed subset of the data to draw, so charts stay light."""
    return np.random.default_rng(0).choice(len(d.x), min(SHOWN_POINTS, len(d.x)), replace=False)


def example_tab(name: str, model_id: str, model: ReluMLP, table: pd.DataFrame) -> None:
    """The exact curve of one input's sweep, plus the whole picture where there is one."""
    best = int(table.loc[table["pieces"].idxmax(), "feature"])
    if name == FASHION:
        x, scale, classes, feature = ctx.data.train_images, PIXEL_SCALE, CLASS_NAMES, best
        label = f"pixel ({best // 28}, {best % 28})"
        note = " (the busiest pixel)"
    else:
        d = domain(name)
        x, scale, classes, note = d.x, 1.0, d.class_names or ("output",), ""
        options = [int(f) for f in table["feature"]]
        feature = best
        if len(options) > 1:
            feature = st.selectbox(
                "Input to sweep",
                options,
                index=options.index(best),
                format_func=lambda f: d.feature_names[f],
                key=f"domain_feature_{name}",
            )
        label = d.feature_names[feature]
    sweep = example(model_id, model, x, feature, scale)
    frame, y_title, legend = charts.curve_frame(
        sweep.vertices, sweep.probabilities, "logits", classes
    )
    st.caption(
        f"{label}{note} from {sweep.lo:.3g} to {sweep.hi:.3g} (its data range), the other "
        f"inputs at their means: **{sweep.pieces} pieces**."
    )
    if name == "sine":
        shown = shown_points(d)
        chart = answer_charts.regression_fit(frame, x[shown], d.y[shown])
        st.altair_chart(chart.properties(height=340), width="stretch")
        st.caption("Grey: the noisy data. With one input the fitted curve is the whole model.")
        return
    curve = charts.curves(frame, y_title, sweep.breakpoints, legend=legend, x_title=label)
    if name != "spirals":
        st.altair_chart(curve, width="stretch")
        return
    left, right = st.columns(2)
    shown = shown_points(d)
    points = pd.DataFrame(
        {"x1": x[shown, 0], "x2": x[shown, 1], "class": [classes[c] for c in d.y[shown]]}
    )
    plane = answer_charts.region_map(regions(model_id, model, x), points)
    left.altair_chart(plane, width="content")
    left.caption(
        "Each colour is one activation pattern: a region where the network is linear. "
        f"Dots: the data ({classes[0]} black, {classes[1]} white)."
    )
    right.altair_chart(curve, width="stretch")


width = st.sidebar.number_input(
    "Hidden units of the small models", value=128, step=16, key="domain_width"
)
try:
    width = domains.check_width(width)
except SpecError as exc:
    st.error(f"Cannot build these models: {exc}.", icon=":material/error:")
    st.stop()
if "domains_trained" in st.session_state:
    st.success(st.session_state.pop("domains_trained"), icon=":material/check_circle:")
missing = [name for name in domains.DOMAINS if trained(name, width) is None]
if missing:
    titles = ", ".join(domain(name).title for name in missing)
    st.info(
        f"Not trained on this server yet at width {width}: {titles}. Each small model takes "
        "a few seconds on the CPU and is then cached.",
        icon=":material/model_training:",
    )
    if st.button("Train the small models", type="primary", key="domains_train"):
        try:
            train_missing(missing, width)
        except CacheError as exc:
            st.error(f"Training failed: {exc}", icon=":material/error:")
        else:
            st.session_state["domains_trained"] = f"Trained {len(missing)} small models."
            st.rerun()

models = {name: trained(name, width) for name in domains.DOMAINS if name not in missing}
model_ids = {
    name: domains.model_key(domain(name), domains.spec_for(domain(name), width)) for name in models
}
rows, tables = [], {}
for name, model in models.items():
    d = domain(name)
    tables[name] = sweeps_table(model_ids[name], model, d.x)
    score = domains.fit_score(model, d)
    row = domains.summary_row(name, d.title, model, tables[name])
    rows.append(row | {"fit": f"{'R²' if d.regression else 'accuracy'} {score:.3f}"})
if ctx.data is not None:
    models[FASHION], model_ids[FASHION] = ctx.model, ctx.model_id
    tables[FASHION] = sweeps_table(ctx.model_id, ctx.model, ctx.data.train_images, PIXEL_SCALE)
    title = "Fashion-MNIST (784 inputs, 10 classes)"
    accuracy = ctx.model.meta.get("test_accuracy")
    row = domains.summary_row(FASHION, title, ctx.model, tables[FASHION])
    rows.append(row | {"fit": f"test accuracy {accuracy:.3f}" if accuracy else ""})
else:
    st.warning("Fashion-MNIST is not available, so its row is missing.")
if not rows:
    st.stop()
summary = pd.DataFrame(rows)

st.subheader("The answer")
st.markdown(domains.explain(summary, FASHION))
st.subheader("Pieces per sweep against input dimension")
st.altair_chart(answer_charts.domain_pieces(summary), width="stretch")
fashion_width = sum(ctx.model.hidden_widths)
if fashion_width != width:
    st.info(
        f"Fashion-MNIST uses the current model ({fashion_width} hidden units); the small models "
        f"have {width}. Pick a width-{width} model in the sidebar to compare like with like."
    )
st.dataframe(
    summary.drop(columns="domain"),
    hide_index=True,
    width="stretch",
    column_config={
        "title": "domain",
        "width": "hidden units",
        "mean_pieces": st.column_config.NumberColumn("mean pieces per sweep", format="%.2f"),
        "max_pieces": "max pieces per sweep",
        "median_pieces_per_std": st.column_config.NumberColumn(
            "pieces per std (median)", format="%.2f"
        ),
        "fit": "fit (small domains: on their training data)",
    },
)


st.subheader("An example curve from each domain")
names = list(tables)
titles = [domain(n).title.split(" (")[0] if n != FASHION else "Fashion-MNIST" for n in names]
for tab, name in zip(st.tabs(titles), names, strict=True):
    with tab:
        example_tab(name, model_ids[name], models[name], tables[name])
