"""Workflow: requests for assistance and the offers that answer them, per jurisdiction.

Pick a stored scenario. Each jurisdiction's requests, the offers made to it and the
offers it makes are listed with their states, lines (resource, incident, type, units,
offered, committed, minutes, estimated arrival), stage, move times (UTC) and who changed
them last; your own jurisdiction comes first. A coordinator sees the buttons it may use:
commit (all or, per line, fewer units), decline or withdraw its own units; accept (all
or per line), refuse or release units offered to it; mark them arrived on scene;
request assistance for its incidents and compute offers from the plan. When someone
else acted first, the page says who.
"""

import streamlit as st

from mutualaid.ui.app_store import app_store
from mutualaid.ui.pages import workflow_page
from mutualaid.ui.router import require_router
from mutualaid.ui.signed_in import require_actor

require_router()
st.title("Workflow")

store = app_store()
actor = require_actor(store, role="viewer")

workflow_page.show_page(store, actor)
