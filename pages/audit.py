"""Audit log: every change to shared data, who made it, when, before and after.

Coordinators and admins can read it. The hash chain is checked first and its verdict
shown at the top. Narrow the log by action, actor, subject and dates; the newest rows
are listed, and every matching row downloads as CSV (safe for spreadsheets) or JSON
(with the hashes, to check a copy later).
"""

import streamlit as st

from mutualaid.ui.app_store import app_store
from mutualaid.ui.pages import audit_page
from mutualaid.ui.router import require_router
from mutualaid.ui.signed_in import require_actor

require_router()
st.title("Audit log")

store = app_store()
actor = require_actor(store, role="coordinator", page="Audit log")

audit_page.show_page(store, actor)
