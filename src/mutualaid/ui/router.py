"""The app's navigation, the sign-in gate in front of it, and the guard that makes every
page go through it.

Nobody gets a page before signing in: without a verified sign-in the only page the
navigation knows is the sign-in form, whatever URL was asked for, so no page script runs
and no data is sent. A signed-in person's navigation lists only the pages their role
may open; a page also checks the role itself (:func:`mutualaid.ui.signed_in.require_actor`),
so a URL typed by hand reaches nothing more.

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

from mutualaid.access.actor import Actor
from mutualaid.errors import StoreFull
from mutualaid.ui import browsers, context, live, signed_in
from mutualaid.ui.app_store import app_store

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
    ("pages/accounts.py", "Accounts", "accounts"),
)
#: The least role each page needs (issue 6): a viewer has the briefing and the maps; a
#: planner also the Layers page; the audit log is for coordinators and admins; the
#: accounts for admins.
PAGE_ROLES: dict[str, str] = {
    "pages/overview.py": "viewer",
    "pages/allocation.py": "viewer",
    "pages/workflow.py": "viewer",
    "pages/layers.py": "planner",
    "pages/agreements.py": "viewer",
    "pages/briefing.py": "viewer",
    "pages/audit.py": "coordinator",
    "pages/accounts.py": "admin",
}

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


def _sign_in_page(title: str):
    def page() -> None:
        st.title("Mutual Aid")
        st.caption(f"Shared emergency resources across borders. Sign in to open {title}.")
        signed_in.sign_in_form(app_store())

    page.__name__ = f"sign_in_{title.lower().replace(' ', '_')}"
    return page


def run_app() -> None:
    """Configure the page and run the page the URL names, through ``st.navigation``;
    with ``?view=briefing``, the briefing page only, with no sidebar. Without a verified
    sign-in, the sign-in form only. A signed-in page follows the store live
    (:mod:`mutualaid.ui.live`)."""
    kiosk = kiosk_view()
    st.set_page_config(
        page_title="Mutual Aid",
        layout="wide",
        initial_sidebar_state="collapsed" if kiosk else "auto",
    )
    # Read again from the store on every rerun: a disabled account is out at its next click.
    actor = signed_in.current_actor(app_store())
    # Downloads and images are served only to a browser with a signed-in session
    # (mutualaid.ui.web): this rerun says whether its session still is one.
    browsers.note_session(actor is not None)
    links: list[st.Page] = []
    if actor is None:
        # Every address shows the sign-in form, and keeps its address: once signed in,
        # the same URL opens the page that was asked for.
        entries = [KIOSK_PAGE] if kiosk else PAGES
        pages = [
            st.Page(_sign_in_page(title), title=title, url_path=url, default=index == 0)
            for index, (_script, title, url) in enumerate(entries)
        ]
    elif kiosk:
        script, title, url = KIOSK_PAGE
        pages = [st.Page(script, title=title, url_path=url, default=True)]
        st.html(HIDE_SIDEBAR_CSS)
    else:
        offered = _pages_for(actor)
        pages = [page for page, _allowed in offered]
        links = [page for page, allowed in offered if allowed]
    # The navigation itself stays hidden: the sidebar links to the pages this role may
    # open, and no others (the rest are refusals under their own address).
    navigation = st.navigation(pages, position="hidden")
    if links:
        with st.sidebar:
            # Each link carries the scenario shown (issue 13): the next page opens on it
            # and its address names it.
            params = context.link_params()
            for page in links:
                st.page_link(page, query_params=params)
    # Who is signed in and "Sign out"; signed out after the identity provider's sign-in
    # was refused, why, and a way out of the provider's session. (The kiosk view has no
    # sidebar once signed in.)
    if not (kiosk and actor is not None):
        signed_in.sign_out_button(actor, app_store())
    if actor is not None:
        # Live (issue 12): the page is drawn at the store's change mark now, and a
        # fragment reruns the app when anyone, on any app server, changes the store.
        live.page_drawn(app_store(), actor)
        live.follow(app_store(), in_sidebar=not kiosk)
    # A sign-in that lasts (issue 13): the session cookie given or cleared, once.
    signed_in.cookie_scripts()
    token = _ROUTED.set(True)
    try:
        navigation.run()
    except StoreFull as full:
        # A page that stores as it runs (a scenario folder stored on first use) on a
        # full disk: the sentence, not a traceback (logged by the store).
        st.error(str(full))
    finally:
        _ROUTED.reset(token)


def _refusal(title: str, role: str):
    def page() -> None:
        st.title(title)
        signed_in.require_actor(app_store(), role=role, page=title)  # refuses, audited

    return page


def _pages_for(actor: Actor) -> list[tuple[st.Page, bool]]:
    """Every page, and whether *actor* may open it. A page above the actor's role is
    registered as a refusal under the same URL, so typing its address shows why not
    (and writes the attempt to the audit log) instead of reaching the page."""
    pages = []
    for index, (script, title, url) in enumerate(PAGES):
        role = PAGE_ROLES[script]
        allowed = actor.at_least(role)
        target = script if allowed else _refusal(title, role)
        pages.append((st.Page(target, title=title, url_path=url, default=index == 0), allowed))
    return pages


def require_router() -> None:
    """Stop a page that runs without :func:`run_app` and rerun it through the router."""
    if _ROUTED.get():
        return
    PagesManager.uses_pages_directory = False
    st.rerun()
