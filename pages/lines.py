"""Lines: the network along lines that move many pixels at once, next to the one-pixel sweep."""

import numpy as np
import streamlit as st

from relucurves import answer_charts, baselines, charts, directions, ui
from relucurves.data import CLASS_NAMES, SPLITS, FashionMNIST
from relucurves.models import ReluMLP

KINDS = {
    "images": "Between two images",
    "classes": "Between two class means",
    "to_image": "From the baseline to an image",
    "direction": "Along a direction from the baseline",
}
DIRECTIONS = {"pc": "A principal component of the data", "random": "A random direction"}
N_COMPONENTS = 20
PCA_IMAGES = 10_000  # training images the principal components are computed from

ctx = ui.context()
view = ctx.view
st.title("Lines through input space")
st.caption(
    f"Model: {ctx.model_label}. The one-pixel sweep for comparison: pixel ({view.row}, "
    f"{view.col}) from {view.lo:g} to {view.hi:g} at the {ctx.baseline_label}."
)
ui.stop_on_problems(ctx)
if ctx.data is None:
    st.error("Lines between images need the Fashion-MNIST data, which is not available.")
    st.stop()


@st.cache_resource(show_spinner="Finding the principal components…")
def data_geometry(data_sha: str, _data: FashionMNIST) -> tuple[np.ndarray, np.ndarray, float]:
    """Principal directions of the training images, and their typical distance apart."""
    images = _data.train_images  # uint8: neither needs a float copy of the whole set
    components, explained = directions.principal_directions(images[:PCA_IMAGES], N_COMPONENTS)
    return components, explained, directions.typical_distance(images, scale=1 / 255)


@st.cache_data(show_spinner=False, max_entries=64)
def line_sweep(
    model_id: str, _model: ReluMLP, x0: np.ndarray, direction: np.ndarray, lo: float, hi: float
):
    return directions.Line(x0, direction, lo, hi).sweep(_model)


def image_picker(label: str, prefix: str, index: int) -> np.ndarray:
    sb = st.sidebar
    left, right = sb.columns(2)
    split = left.selectbox(f"{label}: split", SPLITS, index=1, key=f"{prefix}_split")
    number = right.number_input(f"{label}: index", 0, step=1, value=index, key=f"{prefix}_index")
    return baselines.sample_image(ctx.data, split, int(number))


def class_label(c: int) -> str:
    return f"{c}: {CLASS_NAMES[c]}"


def describe(prefix: str) -> str:
    split = st.session_state[f"{prefix}_split"]
    return f"{split} #{int(st.session_state[f'{prefix}_index'])}"


def build_line() -> directions.Line:
    """The line the sidebar describes; bad choices raise ValueError with a clear message."""
    sb = st.sidebar
    sb.markdown("**Line** to sweep (this page)")
    kind = sb.selectbox("Line", list(KINDS), format_func=KINDS.get, key="line_kind")
    if kind == "images":
        start, end = image_picker("From", "line_a", 0), image_picker("To", "line_b", 1)
        return directions.between(start, end, f"{describe('line_a')} → {describe('line_b')}")
    if kind == "classes":
        names = range(len(CLASS_NAMES))
        a = sb.selectbox("From class", names, format_func=class_label, key="line_class_a")
        b = sb.selectbox("To class", names, index=9, format_func=class_label, key="line_class_b")
        return directions.between(
            baselines.class_mean(ctx.data, a),
            baselines.class_mean(ctx.data, b),
            f"mean {CLASS_NAMES[a]} → mean {CLASS_NAMES[b]}",
        )
    if kind == "to_image":
        end = image_picker("To", "line_b", 1)
        return directions.between(ctx.baseline, end, f"{ctx.baseline_label} → {describe('line_b')}")
    components, explained, distance = data_geometry(ctx.data.sha256, ctx.data)
    which = sb.selectbox("Direction", list(DIRECTIONS), format_func=DIRECTIONS.get, key="line_dir")
    if which == "pc":
        k = sb.selectbox(
            "Component",
            range(N_COMPONENTS),
            format_func=lambda i: f"PC {i + 1} ({100 * explained[i]:.1f}% of the variance)",
            key="line_pc",
        )
        unit, name = components[k], f"PC {k + 1}"
    else:
        seed = sb.number_input("Random seed", 0, 2**31 - 1, 0, key="line_seed")
        unit, name = directions.random_direction(784, int(seed)), f"random direction (seed {seed})"
    left, right = sb.columns(2)
    lo = left.number_input("t from", value=-1.0, step=0.5, format="%g", key="line_lo")
    hi = right.number_input("t to", value=1.0, step=0.5, format="%g", key="line_hi")
    sb.caption(f"t = ±1 moves {distance:.3g}, the median distance between two training images.")
    return directions.Line(
        ctx.baseline, unit * distance, lo, hi, f"{ctx.baseline_label} along {name}"
    )


try:
    line = build_line()
except ValueError as exc:
    st.error(f"Cannot sweep this line: {exc}.", icon=":material/error:")
    st.stop()

sweep = line_sweep(ctx.model_id, ctx.model, line.x0, line.direction, line.lo, line.hi)
pixel = directions.pixel_line(ctx.baseline, view.pixel, view.lo, view.hi)
ours, theirs = (row for _, row in directions.compare(ctx.model, [line, pixel]).iterrows())
pixel_pieces = int(theirs["pieces"])
st.subheader(line.name)
a, b, c, d = st.columns(4)
a.metric("Pieces along this line", int(ours["pieces"]), help="breakpoints + 1, exact")
b.metric(f"Pieces along pixel ({view.row}, {view.col})", pixel_pieces)
c.metric(
    "Length in input space",
    f"{ours['length']:.3g}",
    help=f"the pixel sweep moves {theirs['length']:g}",
)
d.metric(
    "Pieces per unit of length",
    f"{ours['pieces_per_unit_length']:.3g}",
    delta=f"{ours['pieces_per_unit_length'] - theirs['pieces_per_unit_length']:+.3g} vs the pixel",
    delta_color="off",
)

if (
    st.session_state.get("line_t") is not None
    and not line.lo <= st.session_state["line_t"] <= line.hi
):
    del st.session_state["line_t"]
t = st.slider(
    "t along the line",
    line.lo,
    line.hi,
    (line.lo + line.hi) / 2,
    step=(line.hi - line.lo) / 200,
    key="line_t",
)
left, right = st.columns([3, 2], gap="large")
with left:
    frame, y_title, legend = charts.curve_frame(
        sweep.vertices, sweep.probabilities, view.plot, CLASS_NAMES
    )
    curve = charts.curves(
        frame,
        y_title,
        breakpoints=sweep.breakpoints,
        legend=legend,
        x_title="t along the line",
        mark_kinks=view.plot != "probs",
    )
    st.altair_chart(curve + answer_charts.t_marker(t, "chosen t"), width="stretch")
    st.caption(
        "Exact curves along the line (the Plot choice in the sidebar); grey rules are the "
        "network's breakpoints, the red rule the t of the images on the right."
    )
with right:
    point = line.point(t)
    predicted = CLASS_NAMES[int(ctx.model.forward(point).argmax())]
    first, middle, last = st.columns(3)
    for column, value, title in [
        (first, line.point(line.lo), f"t = {line.lo:g}"),
        (middle, point, f"t = {t:.3g}: {predicted}"),
        (last, line.point(line.hi), f"t = {line.hi:g}"),
    ]:
        column.image(np.clip(value, 0, 1).reshape(28, 28), caption=title, width="stretch")
    st.caption("The input at each t, clipped to [0, 1] for display; the middle one follows t.")

st.subheader(
    f"The one-pixel sweep, for comparison: {pixel_pieces} piece{'s' * (pixel_pieces != 1)}"
)
pixel_sweep = ctx.sweep()
frame, y_title, legend = charts.curve_frame(
    pixel_sweep.vertices, pixel_sweep.probabilities, view.plot, CLASS_NAMES
)
st.altair_chart(
    charts.curves(
        frame,
        y_title,
        breakpoints=pixel_sweep.breakpoints,
        baseline_t=float(ctx.baseline[view.pixel]),
        legend=legend,
        mark_kinks=view.plot != "probs",
        height=240,
    ),
    width="stretch",
)
st.caption(
    f"Pixel ({view.row}, {view.col}) alone, from {view.lo:g} to {view.hi:g}: a line of length "
    f"{pixel.length:g} along one axis, where the line above moves every pixel at once."
)
st.download_button(
    "Download the line's exact vertices (CSV)",
    sweep.vertices.to_csv(index=False).encode(),
    file_name="relucurves_line.csv",
    mime="text/csv",
    icon=":material/download:",
)
