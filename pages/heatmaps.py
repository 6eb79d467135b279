"""Heatmaps: every per-pixel map of the sweeps over all 784 pixels, side by side."""

import numpy as np
import pandas as pd
import streamlit as st

from relucurves import charts, ui
from relucurves.data import CLASS_NAMES

MAP_CELL = 8  # px per pixel: three maps side by side

ctx = ui.context()
view = ctx.view
st.title("Every pixel at once")
st.caption(
    f"Each cell summarises the sweep of that pixel from {view.lo:g} to {view.hi:g} with the "
    f"other pixels at the {ctx.baseline_label}. Model: {ctx.model_label}."
)
ui.stop_on_problems(ctx)

maps = ctx.maps()
selected = (view.row, view.col)
n_units = sum(ctx.model.hidden_widths)
logit = st.columns(3)[0].selectbox(
    "Logit for the variation and slope maps",
    [-1, *range(len(CLASS_NAMES))],
    format_func=lambda c: "all logits (sum)" if c < 0 else f"{c}: {CLASS_NAMES[c]}",
    key="heatmap_logit",
)
variation = maps.total_variation if logit < 0 else maps.logit_variation[logit]
slope = maps.max_slope if logit < 0 else maps.logit_slope[logit]
panels = [
    ("Linear pieces", "pieces", maps.segments, None),
    ("Units active somewhere", "units", maps.active_units, (0, n_units)),
    ("Units that switch", "units", maps.changing_units, (0, n_units)),
    ("Total variation of the logit" + ("s" if logit < 0 else ""), "variation", variation, None),
    ("Largest slope of " + ("any logit" if logit < 0 else "the logit"), "|slope|", slope, None),
]

columns = st.columns(3)
with columns[0]:
    st.altair_chart(
        charts.image(ctx.baseline, f"Baseline: {ctx.baseline_label}", selected, MAP_CELL),
        width="content",
    )
for k, (title, legend, values, domain) in enumerate(panels, start=1):
    with columns[k % 3]:
        key = f"map_{k}"
        st.altair_chart(
            charts.heatmap(values, title, legend, selected, domain=domain, cell=MAP_CELL),
            key=key,
            width="content",
            on_select=lambda key=key: ui.select_pixel_from_chart(key),
            selection_mode=charts.PIXEL_SELECTION,
        )
st.caption(
    "Active and switching units share one colour scale (0 to all hidden units). "
    "Click any map to choose the pixel."
)
st.page_link(
    "pages/curves.py",
    label=f"See the curves of pixel ({view.row}, {view.col})",
    icon=":material/show_chart:",
)

st.subheader("Pixels with the most pieces")
table = pd.DataFrame(
    {
        "row": np.repeat(np.arange(28), 28),
        "column": np.tile(np.arange(28), 28),
        "pieces": maps.segments.reshape(-1),
        "active units": maps.active_units.reshape(-1),
        "switching units": maps.changing_units.reshape(-1),
        "variation": variation.reshape(-1),
        "max slope": slope.reshape(-1),
    }
)
table.index.name = "pixel"
top = table.sort_values(["pieces", "variation"], ascending=False).head(15)
st.dataframe(top, width="stretch")
st.download_button(
    "Download all maps (CSV)",
    table.to_csv().encode(),
    file_name=f"relucurves_maps_{view.lo:g}_{view.hi:g}.csv",
    mime="text/csv",
    icon=":material/download:",
)
