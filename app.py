"""Mutual Aid: the app's entry point. A router only: page set-up and navigation."""

import streamlit as st

st.set_page_config(page_title="Mutual Aid", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", url_path="overview", default=True),
]
st.navigation(pages).run()
