"""Allocation: the optimal plan for a scenario, on a map and in figures, and what if.

Pick a scenario; see how much need the plan meets by severity, how fast units arrive,
how many cross each border, where the flows go on the map and which needs stay unmet
and why. Change a jurisdiction's reserve and see the plan change. The plan is made from
the shared scenario: the stored files plus the layers added on the Layers page and the
agreements applied on the Agreements page (linked from here).
"""

from pathlib import Path

import streamlit as st

from mutualaid.ui import loaders, panels, shared_scenario
from mutualaid.ui.pages import allocation_page
from mutualaid.ui.router import require_router
from mutualaid.ui.scenarios import scenario_folders

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

require_router()
st.title("Allocation")

folders = scenario_folders(DATA_DIR)

folder = allocation_page.choose_scenario(folders)
# The session's scenario: the files plus the layers added on the Layers page and the
# agreements edited on the Agreements page.
loaded = shared_scenario.session_loaded(loaders.load(folder))
scenario = loaded.result.scenario
panels.show_problems(loaded.result.reports, rejected=scenario is None)
if scenario is None:
    st.stop()

edits = allocation_page.show_editors(scenario, loaded.fingerprint)

allocation_page.show_plan(loaded, edits)
