"""Layers: upload a layer, map its fields, read the report, add it to the shared scenario.

Pick a scenario and a layer kind, upload a file in any format the contract lists, say
which of its columns is which of our fields, and see every problem feature by feature
(downloadable). Only an accepted layer can be added, replacing the layer or merging
by id (a signed-in planner, for its own jurisdiction), shared with everyone, partner
jurisdictions or its own jurisdiction only; the whole scenario is checked again first,
and a refused add changes nothing. The owner of a layer (or an admin) changes who sees
it. One incident or resource is changed without a file by its owner (status, severity,
needs; a unit out of service or back). Every stored version is listed: who loaded what,
when, from which file.
"""

from pathlib import Path

import streamlit as st

from mutualaid.ui import context, feature_edit, loaders, panels, shared_scenario
from mutualaid.ui.app_store import app_store
from mutualaid.ui.pages import layers_page
from mutualaid.ui.router import require_router
from mutualaid.ui.scenarios import scenario_folders
from mutualaid.ui.signed_in import require_actor
from mutualaid.ui.state import state_key

PAGE = layers_page.PAGE
DATA_DIR = Path(__file__).resolve().parents[1] / "data"

require_router()
st.title("Layers")
require_actor(app_store(), role="planner", page="Layers")  # the router offers it to planners

folders = scenario_folders(DATA_DIR)

folder = context.choose_folder(folders, page=PAGE)
loaded = loaders.load(folder)
workspace = shared_scenario.workspace_for(loaded)
if workspace is None:
    panels.show_problems(loaded.result.reports, rejected=True)
    st.stop()

kind = layers_page.kind_choice()
layers_page.warm_reader()
upload = st.file_uploader(
    "Layer file", type=layers_page.UPLOAD_TYPES, key=state_key(PAGE, "upload")
)
if upload is not None:
    data, filename = upload.getvalue(), upload.name
    token = layers_page.upload_token(data, filename)
    raw = layers_page.read_raw(data, filename=filename, kind=kind)
    mapping = {}
    if raw.preview is not None:
        st.subheader("Preview")
        st.dataframe(raw.preview, hide_index=True, width="stretch")
        mapping = layers_page.mapping_form(raw.columns, kind=kind, token=token)
    st.subheader("Validation report")
    result = layers_page.check_upload(
        data, filename=filename, kind=kind, mapping=mapping, scenario=workspace.scenario()
    )
    layers_page.show_report(result, token=token)
    layers_page.add_form(result, loaded, workspace, kind=kind, filename=filename, token=token)

layers_page.sharing_panel(loaded, workspace)
feature_edit.edit_section(loaded, workspace)

st.subheader("The shared scenario")
panels.show_counts(workspace.scenario())
st.text(layers_page.log_summary(workspace))
log = layers_page.log_table(workspace)
if len(log):
    st.dataframe(log, hide_index=True, width="stretch")
