"""Agreements: who may send help to whom, as a matrix, and the rows to edit.

Pick a scenario; see the agreements as a provider × receiver matrix (resource types and
border delay in each cell), then edit the rows: change cells, add or delete rows. The
edited rows are checked as the contract says, against the scenario's jurisdictions;
problems are listed and nothing is applied until they are fixed. "Apply" (a signed-in
admin) stores them for everyone: the next plan on the Allocation and Briefing pages uses them.
"""

from pathlib import Path

import streamlit as st

from mutualaid.ui.pages import agreements_page
from mutualaid.ui.router import require_router
from mutualaid.ui.scenarios import scenario_folders

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

require_router()
st.title("Agreements")

folders = scenario_folders(DATA_DIR)

agreements_page.show_page(folders)
