"""Allocation: the optimal plan for a scenario, on a map and in figures, and what if.

Pick a scenario; see how much need the plan meets by severity, how fast units arrive,
how many cross each border, where the flows go on the map and which needs stay unmet
and why. Change a jurisdiction's reserve or the agreements and see the plan change;
edits that break the agreement rules are listed instead of planned with.
"""

from pathlib import Path

import streamlit as st

from mutualaid.ui import allocation, loaders, panels
from mutualaid.ui.catalog import find_scenarios, scenario_roots
from mutualaid.ui.router import require_router

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

require_router()
st.title("Allocation")

folders = find_scenarios(scenario_roots(default=DATA_DIR))
if not folders:
    st.info("No scenario folder found (a folder holding jurisdictions.geojson). "
            "Build the samples with `make scenarios`.")
    st.stop()

folder = allocation.choose_scenario(folders)
loaded = loaders.load(folder)
scenario = loaded.result.scenario
panels.show_problems(loaded.result.reports, rejected=scenario is None)
if scenario is None:
    st.stop()

edits = allocation.show_editors(scenario, loaded.fingerprint)
allocation.show_edit_problems(edits)
if not edits.valid:
    st.stop()

allocation.show_plan(loaded, edits)
