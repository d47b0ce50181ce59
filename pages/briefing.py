"""Briefing: the plan on a shared screen, kept up to date on its own.

A full-width map of the plan, the key figures in large type and the most severe unmet
needs with their reasons, refreshed every half minute (the map stays as it is when
nothing changed). Open ``/?view=briefing`` for the same screen without the sidebar.
The briefing downloads as one HTML file that opens without a server or internet, and
the plan as CSV and GeoJSON.
"""

from pathlib import Path

import streamlit as st

from mutualaid.ui.pages import briefing_page
from mutualaid.ui.router import require_router
from mutualaid.ui.scenarios import scenario_folders

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

require_router()
st.title("Briefing")

folders = scenario_folders(DATA_DIR)

briefing_page.show_briefing(folders)
