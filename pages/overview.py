"""Overview: the operations map of a scenario.

Pick a sample scenario (with any layers added on the Layers page), narrow it with
the filters, read the operation's figures (deployed, committed and proposed help
apart), and see incidents, resources and the current plan's flows on one map (drawn
without internet), with the details of whatever you click. A scenario with problems
lists them instead.
"""

from pathlib import Path

import streamlit as st

from mutualaid.maps import clicked_feature
from mutualaid.ui import context, loaders, panels
from mutualaid.ui.map_view import fill_screen, show_map_or_error
from mutualaid.ui.pages import overview_page
from mutualaid.ui.router import require_router
from mutualaid.ui.scenarios import scenario_folders

PAGE = "overview"
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

require_router()
st.title("Overview")

folders = scenario_folders(DATA_DIR)

folder = context.choose_folder(folders, page=PAGE)
loaded = loaders.load(folder)
panels.show_problems(loaded.result.reports, rejected=loaded.result.scenario is None)
now = overview_page.current(loaded)
if now is None:
    st.stop()

panels.show_counts(now.scenario)
filters = overview_page.choose_filters(now.scenario)
shown = overview_page.shown_scenario(now, filters)
run = overview_page.plan_of(now)
panels.show_operation(overview_page.operation_of(now, shown, filters, run))

map_col, side_col = st.columns([3, 1])
with map_col, st.container(key=overview_page.MAP_CONTAINER):
    fill_screen(overview_page.MAP_CONTAINER)
    returned = show_map_or_error(
        lambda: overview_page.rendered_map(now, shown, filters, run),
        key=overview_page.map_key(now),
        fill_frame=True,
    )
with side_col:
    selection = clicked_feature(
        returned,
        jurisdictions=shown.jurisdictions,
        incidents=shown.incidents,
        resources=shown.resources,
    )
    panels.show_selection(selection, shown)
