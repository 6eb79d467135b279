"""Curves: the exact curves of one pixel's sweep, next to every pixel's piece count."""

import streamlit as st

from relucurves import charts, ui
from relucurves.data import CLASS_NAMES

ctx = ui.context()
view = ctx.view
st.title("Curves along one pixel")
st.caption(
    f"Pixel ({view.row}, {view.col}) swept from {view.lo:g} to {view.hi:g}; the other 783 "
    f"pixels stay at the {ctx.baseline_label}. Model: {ctx.model_label}."
)
ui.stop_on_problems(ctx)

sweep = ctx.sweep()
maps = ctx.maps()
selected = (view.row, view.col)
a, b, c, d = st.columns(4)
a.metric("Linear pieces in range", int(maps.segments[selected]), help="breakpoints + 1")
b.metric(
    "Active units",
    f"{int(maps.active_units[selected])} / {sum(ctx.model.hidden_widths)}",
    help="hidden units positive somewhere in the sweep",
)
c.metric("Units that switch", int(maps.changing_units[selected]), help="units with a kink in range")
d.metric("Largest logit slope", f"{maps.max_slope[selected]:.3g}", help="max |d logit / d pixel|")

left, right = st.columns([3, 2], gap="large")
with left:
    frame, y_title, legend = charts.curve_frame(
        sweep.vertices, sweep.probabilities, view.plot, CLASS_NAMES
    )
    if view.plot.startswith("hidden") and st.toggle(
        "Only units that switch in the range", key="only_switching"
    ):
        frame = charts.only_switching(frame)
    if frame.empty:
        st.info("No unit of this layer switches in this range: every curve is a straight line.")
    else:
        chart = charts.curves(
            frame,
            y_title,
            breakpoints=sweep.breakpoints,
            baseline_t=float(ctx.baseline[view.pixel]),
            legend=legend,
            mark_kinks=view.plot != "probs",
        )
        st.altair_chart(chart, width="stretch")
    st.caption(
        "Dashed grey rules: the network's breakpoints in the range. Red rule: the pixel's "
        "value in the baseline. Dots: each curve's own kinks. Every curve is drawn through "
        "its exact vertices."
    )
with right:
    heat = charts.heatmap(maps.segments, "Linear pieces of every pixel's sweep", "pieces", selected)
    st.altair_chart(
        heat,
        key="curves_heatmap",
        width="content",
        on_select=lambda: ui.select_pixel_from_chart("curves_heatmap"),
        selection_mode=charts.PIXEL_SELECTION,
    )
    st.caption("Click a cell to sweep that pixel.")

st.download_button(
    "Download the exact vertices (CSV)",
    sweep.vertices.to_csv(index=False).encode(),
    file_name=f"relucurves_pixel{view.pixel}_{view.lo:g}_{view.hi:g}.csv",
    mime="text/csv",
    icon=":material/download:",
)
