"""The app's navigation, and the guard that makes every page go through it.

Streamlit treats an app with a ``pages/`` folder as an old-style multipage app until
``st.navigation`` has run once in the server's life: on a freshly started server the
first request for ``/allocation`` would run ``pages/allocation.py`` directly, skipping
``app.py`` (its page config, and any sign-in gate put there). Each page therefore
calls :func:`require_router` first; a page reached without the router switches that
old behaviour off and reruns, so the same URL is served through ``app.py``.
"""

from __future__ import annotations

import contextvars

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from mutualaid.ui import identity
from mutualaid.ui.store import app_store

_ROUTED: contextvars.ContextVar[bool] = contextvars.ContextVar("mutualaid_routed", default=False)

PAGES: tuple[tuple[str, str, str], ...] = (
    # (script, title, url path); the first is the default page
    ("pages/overview.py", "Overview", "overview"),
    ("pages/allocation.py", "Allocation", "allocation"),
    ("pages/workflow.py", "Workflow", "workflow"),
    ("pages/layers.py", "Layers", "layers"),
    ("pages/agreements.py", "Agreements", "agreements"),
    ("pages/briefing.py", "Briefing", "briefing"),
    ("pages/audit.py", "Audit log", "audit"),
)

#: ``?view=briefing`` on the app's URL: the briefing alone, full screen, for a shared
#: display. The parameter only picks a layout; it grants nothing (a sign-in gate in
#: front of the router applies to it like to every page).
VIEW_PARAM = "view"
KIOSK_VIEW = "briefing"
KIOSK_PAGE: tuple[str, str, str] = ("pages/briefing.py", "Briefing", "briefing")
#: Hides the sidebar and its open/close control in the kiosk view (constant CSS).
HIDE_SIDEBAR_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarCollapseButton"], [data-testid="stExpandSidebarButton"] {
    display: none !important;
}
</style>"""


def kiosk_view() -> bool:
    """True when the URL asks for the briefing alone (``?view=briefing``)."""
    return st.query_params.get(VIEW_PARAM) == KIOSK_VIEW


def run_app() -> None:
    """Configure the page and run the page the URL names, through ``st.navigation``;
    with ``?view=briefing``, the briefing page only, with no sidebar."""
    kiosk = kiosk_view()
    st.set_page_config(page_title="Mutual Aid", layout="wide",
                       initial_sidebar_state="collapsed" if kiosk else "auto")
    if kiosk:
        script, title, url = KIOSK_PAGE
        pages = [st.Page(script, title=title, url_path=url, default=True)]
        st.html(HIDE_SIDEBAR_CSS)
    else:
        pages = [st.Page(script, title=title, url_path=url, default=index == 0)
                 for index, (script, title, url) in enumerate(PAGES)]
        # Who is signed in (read again from the store on every rerun) and "Sign out".
        identity.sign_out_button(identity.current_actor(app_store()))
    token = _ROUTED.set(True)
    try:
        st.navigation(pages, position="hidden" if kiosk else "sidebar").run()
    finally:
        _ROUTED.reset(token)


def require_router() -> None:
    """Stop a page that runs without :func:`run_app` and rerun it through the router."""
    if _ROUTED.get():
        return
    PagesManager.uses_pages_directory = False
    st.rerun()
