"""Accounts: who may sign in, with which role and for which jurisdiction (admins only).

List every account; add one (its password is generated and shown once); change an
account's role and jurisdiction; disable it (its open sessions lose access at their next
click) or enable it again; give it a new password. Every change is in the audit log.
Accounts that sign in through an identity provider are created at their first sign-in.
"""

import streamlit as st

from mutualaid.ui.app_store import app_store
from mutualaid.ui.pages import accounts_page
from mutualaid.ui.router import require_router
from mutualaid.ui.signed_in import require_actor

require_router()
st.title("Accounts")

store = app_store()
actor = require_actor(store, role="admin", page="Accounts")

accounts_page.show_page(store, actor)
