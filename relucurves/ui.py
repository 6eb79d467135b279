"""Streamlit glue: cached resources, the shared sidebar and the URL state.

The only module of the library that imports Streamlit. Pages call :func:`context` and
render; every computation is a cached call into the numpy library.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from relucurves import baselines, charts, sweeps
from relucurves.cache import CacheError, ModelCache
from relucurves.data import CLASS_NAMES, DataError, FashionMNIST, load_fashion_mnist
from relucurves.models import ModelSpec, ReluMLP, default_model, load_keras_file
from relucurves.training import Progress, get_or_train
from relucurves.view import (
    DEFAULT_MODEL,
    MAX_ABS_RANGE,
    PLOTS,
    SPLIT_SIZES,
    UPLOAD_PREFIX,
    View,
    from_query,
    to_query,
)

TRAINING_BUDGET_ENV = "RELUCURVES_MAX_TRAINING_COST"
DEFAULT_TRAINING_BUDGET = 20_000_000
BASELINE_LABELS = {
    "mean": "Per-pixel mean (training set)",
    "zero": "Zero (black image)",
    "sample": "A sample image",
    "class": "Mean image of a class",
}
PLOT_LABELS = {"logits": "Logits", "probs": "Softmax probabilities"} | {
    p: f"Hidden layer {p.removeprefix('hidden')} activations" for p in PLOTS if "hidden" in p
}


# ---- cached resources, shared by every session ------------------------------------------


@st.cache_resource(show_spinner="Loading Fashion-MNIST…")
def dataset() -> tuple[FashionMNIST | None, str | None]:
    """The data, or the reason it is unavailable (cached too, so offline is asked once)."""
    try:
        return load_fashion_mnist(), None
    except DataError as exc:
        return None, str(exc)


@st.cache_resource(show_spinner=False, max_entries=32)
def _cached_trained_model(token: str, data_sha256: str) -> ReluMLP:
    """A trained spec from the disk cache; a miss raises so that it is not cached."""
    model = ModelCache().get(ModelSpec.from_token(token).key(data_sha256))
    if model is None:
        raise LookupError(token)
    return model


def trained_model(token: str, data: FashionMNIST | None) -> tuple[ReluMLP | None, str | None]:
    """The model for a token if it has been trained here, else why not."""
    if data is None:
        return None, "trained models need the Fashion-MNIST data, which is not available"
    try:
        return _cached_trained_model(token, data.sha256), None
    except LookupError:
        return None, f"model {token} has not been trained on this server yet (see the Train page)"
    except CacheError as exc:
        return None, str(exc)


@st.cache_data(show_spinner=False, max_entries=32)
def baseline_array(key: tuple) -> np.ndarray:
    data, _ = dataset()
    kind, *rest = key
    if kind == "sample":
        return baselines.baseline(kind, data, split=rest[0], index=rest[1])
    if kind == "class":
        return baselines.baseline(kind, data, label=rest[0])
    return baselines.baseline(kind, data)


@st.cache_data(show_spinner="Mapping all 784 pixels…", max_entries=64)
def pixel_maps(
    model_id: str, _model: ReluMLP, baseline_key: tuple, lo: float, hi: float
) -> sweeps.PixelMaps:
    return sweeps.pixel_maps(_model, baseline_array(baseline_key), lo, hi)


@st.cache_data(show_spinner=False, max_entries=256)
def pixel_sweep(
    model_id: str, _model: ReluMLP, baseline_key: tuple, pixel: int, lo: float, hi: float
) -> sweeps.Sweep:
    return sweeps.pixel_sweep(_model, baseline_array(baseline_key), pixel, lo, hi)


# ---- the view: canonical state, widgets and URL ------------------------------------------


def _widget_key(name: str) -> str:
    return f"w_{name}"


def set_view(**changes: object) -> None:
    """Change the view from code (a chart click, a finished training), applied on the next run."""
    st.session_state.setdefault("pending", {}).update(changes)


def _apply_url_and_pending() -> View:
    state = st.session_state
    if "view" not in state:
        state["view"], state["url_warnings"] = from_query(st.query_params.to_dict())
        if state["view"].model != DEFAULT_MODEL:
            state.setdefault("models", []).append(state["view"].model)
    if state.get("pending"):
        pending = state.pop("pending")
        state["view"] = replace(state["view"], **pending)
        for name in pending:  # drop the widgets' old values so they are re-seeded below
            state.pop(_widget_key(name), None)
    # Widgets not drawn in a run lose their state: re-seed them from the canonical view.
    for f in fields(View):
        state.setdefault(_widget_key(f.name), getattr(state["view"], f.name))
    return state["view"]


def _read_widgets() -> View:
    values = {f.name: st.session_state[_widget_key(f.name)] for f in fields(View)}
    values["index"], values["label"] = int(values["index"]), int(values["label"])
    values["row"], values["col"] = int(values["row"]), int(values["col"])
    values["lo"], values["hi"] = float(values["lo"]), float(values["hi"])
    return View(**values)


@dataclass(frozen=True)
class Context:
    """Everything a page needs for this run."""

    view: View
    model: ReluMLP
    model_id: str
    model_label: str
    data: FashionMNIST | None
    baseline: np.ndarray
    baseline_label: str
    problems: tuple[str, ...]  # reasons the view cannot be computed as asked

    @property
    def ok(self) -> bool:
        return not self.problems

    def maps(self) -> sweeps.PixelMaps:
        v = self.view
        return pixel_maps(self.model_id, self.model, v.baseline_key(), v.lo, v.hi)

    def sweep(self) -> sweeps.Sweep:
        v = self.view
        return pixel_sweep(self.model_id, self.model, v.baseline_key(), v.pixel, v.lo, v.hi)


def _uploads() -> dict[str, ReluMLP]:
    """This visitor's uploaded models: they live in the session only, never on disk."""
    return st.session_state.setdefault("uploads", {})


def _model_label(token: str) -> str:
    if token == DEFAULT_MODEL:
        return "Embedded default: 128 relu, 5 epochs, seed 0"
    if token.startswith(UPLOAD_PREFIX):
        upload = _uploads().get(token)
        name = upload.meta.get("file", "model") if upload else "a file from another session"
        widths = "x".join(map(str, upload.hidden_widths)) if upload else "?"
        return f"Uploaded {name} ({widths} relu)"
    return ModelSpec.from_token(token).label()


def _upload_control() -> None:
    """Read a new .keras upload into this session and make it the current model."""
    file = st.sidebar.file_uploader(
        "Upload a .keras model",
        type=["keras"],
        key="upload_file",
        help="Input/Flatten/Dense layers only, relu hidden layers, 784 inputs, 10 outputs. "
        "It stays in your session; nothing is stored on the server.",
    )
    if file is None or st.session_state.get("upload_seen") == file.file_id:
        return
    st.session_state["upload_seen"] = file.file_id
    data = file.getvalue()
    token = UPLOAD_PREFIX + hashlib.sha256(data).hexdigest()[:12]
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload.keras"
            path.write_bytes(data)
            with st.spinner("Reading the model…"):
                model = load_keras_file(path, display_name=file.name)
    except ValueError as exc:  # ModelFileError, UnsupportedModelError, non-finite weights
        st.session_state["upload_error"] = str(exc)
        return
    st.session_state.pop("upload_error", None)
    _uploads()[token] = model
    st.session_state[_widget_key("model")] = token  # its selectbox is drawn after this


def _resolve_model(view: View, data: FashionMNIST | None) -> tuple[ReluMLP, str, str | None]:
    """The model a view names, its cache id, and why the default stands in, if it does."""
    if view.model == DEFAULT_MODEL:
        return default_model(), DEFAULT_MODEL, None
    if view.model.startswith(UPLOAD_PREFIX):
        upload = _uploads().get(view.model)
        if upload is None:
            return default_model(), DEFAULT_MODEL, "uploaded models stay in the visitor's session"
        return upload, view.model, None
    trained, why = trained_model(view.model, data)
    if trained is None:
        return default_model(), DEFAULT_MODEL, why
    return trained, f"{view.model}@{data.sha256}", None


def sidebar() -> None:
    """Draw the shared controls (once per run, from the entry script) and sync the URL."""
    view = _apply_url_and_pending()
    data, data_error = dataset()
    sb = st.sidebar
    model_slot = sb.container()
    _upload_control()
    if "upload_error" in st.session_state:
        sb.error(f"Upload refused: {st.session_state['upload_error']}", icon=":material/block:")
    models = dict.fromkeys([DEFAULT_MODEL, *st.session_state.get("models", []), *_uploads()])
    model_slot.selectbox("Model", list(models), key=_widget_key("model"), format_func=_model_label)

    sb.selectbox(
        "Baseline (the other pixels)",
        list(BASELINE_LABELS),
        key=_widget_key("baseline"),
        format_func=BASELINE_LABELS.get,
    )
    kind = st.session_state[_widget_key("baseline")]
    if kind == "sample":
        left, right = sb.columns(2)
        left.selectbox("Split", list(SPLIT_SIZES), key=_widget_key("split"))
        right.number_input("Index", min_value=0, step=1, key=_widget_key("index"))
    elif kind == "class":
        sb.selectbox(
            "Class",
            range(len(CLASS_NAMES)),
            key=_widget_key("label"),
            format_func=lambda c: f"{c}: {CLASS_NAMES[c]}",
        )

    sb.markdown("**Sweep range** of the pixel's value")
    left, right = sb.columns(2)
    bounds = {"min_value": -MAX_ABS_RANGE, "max_value": MAX_ABS_RANGE, "step": 0.5, "format": "%g"}
    left.number_input("from", key=_widget_key("lo"), **bounds)
    right.number_input("to", key=_widget_key("hi"), **bounds)

    sb.markdown("**Pixel** to sweep (click a heatmap cell too)")
    left, right = sb.columns(2)
    left.number_input("row", min_value=0, max_value=27, step=1, key=_widget_key("row"))
    right.number_input("column", min_value=0, max_value=27, step=1, key=_widget_key("col"))
    sb.selectbox("Plot", PLOTS, key=_widget_key("plot"), format_func=PLOT_LABELS.get)

    new = _read_widgets()
    st.session_state["view"] = new
    sb.caption(f"Pixel ({new.row}, {new.col}) is flat index {new.pixel}.")
    if data_error:
        sb.warning("Fashion-MNIST is not available, so only the zero baseline works.")
    elif kind == "sample" and new.index < SPLIT_SIZES[new.split]:
        image = baselines.sample_image(data, new.split, new.index).reshape(28, 28)
        label = CLASS_NAMES[data.label(new.split, new.index)]
        sb.image(image, width=84, clamp=True, caption=f"{new.split} #{new.index}: {label}")
    if new != view or to_query(new) != st.query_params.to_dict():
        st.query_params.from_dict(to_query(new))


def _problems(view: View) -> list[str]:
    problems = []
    if view.lo >= view.hi:
        problems.append(f"The sweep range needs from < to (got {view.lo:g} to {view.hi:g}).")
    if view.baseline == "sample" and view.index >= SPLIT_SIZES[view.split]:
        problems.append(
            f"Index {view.index} is past the end of the {view.split} split "
            f"(0 to {SPLIT_SIZES[view.split] - 1})."
        )
    return problems


def _run_through_the_entry_script() -> None:
    """Rerun through streamlit_app.py when Streamlit ran this page file on its own.

    A server that sees a pages/ folder at start-up runs the first request in the old
    multipage mode, which executes a deep-linked page (a shared /heatmaps link, say)
    without the entry script, so without the sidebar. st.navigation ends that mode for
    good; doing the same here and rerunning serves the very page asked for, properly.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def context() -> Context:
    """The current view resolved to a model and a baseline; shows warnings in place."""
    _run_through_the_entry_script()
    view = st.session_state["view"]
    for warning in st.session_state.pop("url_warnings", []):
        st.warning(warning, icon=":material/link_off:")
    data, data_error = dataset()
    model, model_id, why = _resolve_model(view, data)
    if why:
        st.warning(f"Showing the embedded default model: {why}.")
    label = _model_label(model_id.split("@")[0])
    problems = _problems(view)
    kind = view.baseline
    if data is None and kind != "zero":
        st.warning(f"Using the zero baseline: {data_error}")
        view, kind = replace(view, baseline="zero"), "zero"
    depth = len(model.hidden_widths)
    if view.plot.startswith("hidden") and int(view.plot.removeprefix("hidden")) > depth:
        st.info(f"This model has {depth} hidden layer(s); plotting the first.")
        view = replace(view, plot="hidden1")
    base = np.zeros(784) if problems else baseline_array(view.baseline_key())
    return Context(view, model, model_id, label, data, base, _baseline_label(view), tuple(problems))


def stop_on_problems(ctx: Context) -> None:
    """Show why the view cannot be computed, in place, and end the page there."""
    for problem in ctx.problems:
        st.error(problem, icon=":material/error:")
    if not ctx.ok:
        st.stop()


def _baseline_label(view: View) -> str:
    if view.baseline == "sample":
        return f"{view.split} image #{view.index}"
    if view.baseline == "class":
        return f"mean {CLASS_NAMES[view.label]}"
    return BASELINE_LABELS[view.baseline].split(" (")[0].lower()


def select_pixel_from_chart(chart_key: str) -> None:
    """on_select callback of a heatmap: the clicked cell becomes the swept pixel."""
    event = st.session_state.get(chart_key)
    cell = selected_cell(event)
    if cell is not None:
        set_view(row=cell[0], col=cell[1])


def selected_cell(event: object) -> tuple[int, int] | None:
    """The (row, col) a Vega-Lite point selection event names, if it names exactly one."""
    try:
        points = event["selection"][charts.PIXEL_SELECTION]  # type: ignore[index]
        if len(points) != 1:
            return None
        row, col = int(points[0]["row"]), int(points[0]["col"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return (row, col) if 0 <= row < 28 and 0 <= col < 28 else None


def training_budget() -> int:
    """Largest ModelSpec.training_cost one visitor may ask of this server.

    The default admits the widest spec (4 x 1024 units) for 5 epochs and the seed model
    for all 50; a host that wants more, or less, sets RELUCURVES_MAX_TRAINING_COST.
    """
    try:
        return int(os.environ.get(TRAINING_BUDGET_ENV, DEFAULT_TRAINING_BUDGET))
    except ValueError:
        return DEFAULT_TRAINING_BUDGET


@st.cache_resource
def training_lock() -> threading.Lock:
    """One training at a time on this server (any page); other requests wait their turn."""
    return threading.Lock()


def train(spec: ModelSpec, data: FashionMNIST, progress: Progress) -> tuple[ReluMLP, bool]:
    """Get or train a spec, queued behind any training already running."""
    with training_lock():
        model, from_cache = get_or_train(spec, data, progress=progress)
    _cached_trained_model.clear()
    return model, from_cache
