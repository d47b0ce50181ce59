"""Accounts: who may sign in, with which role and for which jurisdiction (admins only).

List every account; add one (its password is generated and shown once); change an
account's role and jurisdiction; disable it (its open sessions lose access at their next
click) or enable it again; give it a new password. Every change is in the audit log.
Accounts that sign in through an identity provider are created at their first sign-in.
"""

import streamlit as st

from mutualaid.ui import accounts_page
from mutualaid.ui.identity import require_actor
from mutualaid.ui.router import require_router
from mutualaid.ui.store import app_store

require_router()
st.title("Accounts")

store = app_store()
actor = require_actor(store, role="admin", page="Accounts")

accounts_page.show_page(store, actor)
