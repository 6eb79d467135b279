"""relucurves: what a ReLU network does along a line through its input space.

Run with ``streamlit run streamlit_app.py``. The pages live in pages/; the shared
sidebar and every computation live in the relucurves package.
"""

import streamlit as st

from relucurves import ui

st.set_page_config(page_title="relucurves", page_icon=":material/show_chart:", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/curves.py", title="Curves", icon=":material/show_chart:", default=True),
        st.Page("pages/heatmaps.py", title="Heatmaps", icon=":material/grid_on:"),
        st.Page("pages/why_boring.py", title="Why so boring?", icon=":material/help:"),
        st.Page("pages/lines.py", title="Lines", icon=":material/timeline:"),
        st.Page("pages/domains.py", title="Domains", icon=":material/category:"),
        st.Page("pages/scaling.py", title="Width & depth", icon=":material/stacked_line_chart:"),
        st.Page("pages/train.py", title="Train", icon=":material/model_training:"),
    ]
)
ui.sidebar()
navigation.run()
