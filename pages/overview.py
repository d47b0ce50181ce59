"""Overview: a scenario's jurisdictions, incidents and resources on one map.

Pick a sample scenario; see its counts, the map (drawn without internet) and the
details of whatever you click on it. A scenario with problems lists them instead.
"""

from pathlib import Path

import streamlit as st

from mutualaid.maps import clicked_feature
from mutualaid.ui import loaders, panels
from mutualaid.ui.catalog import find_scenarios, scenario_roots
from mutualaid.ui.map_view import show_overview_map
from mutualaid.ui.router import require_router
from mutualaid.ui.state import state_key

PAGE = "overview"
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

require_router()
st.title("Overview")

folders = find_scenarios(scenario_roots(default=DATA_DIR))
if not folders:
    st.info("No scenario folder found (a folder holding jurisdictions.geojson). "
            "Build the samples with `make scenarios`.")
    st.stop()

folder = st.selectbox("Scenario", folders, format_func=lambda path: path.name,
                      key=state_key(PAGE, "scenario"))
loaded = loaders.load(folder)
scenario = loaded.result.scenario
panels.show_problems(loaded.result.reports, rejected=scenario is None)
if scenario is None:
    st.stop()

panels.show_counts(scenario)
map_col, side_col = st.columns([3, 1])
with map_col:
    returned = show_overview_map(loaded, key=state_key(PAGE, f"map-{loaded.fingerprint[:16]}"))
with side_col:
    selection = clicked_feature(returned, jurisdictions=scenario.jurisdictions,
                                incidents=scenario.incidents, resources=scenario.resources)
    panels.show_selection(selection, scenario)
