"""Live pages: a change anyone makes, on any app server, shows on every open page within
a few seconds, without a click, and a person is told of the offers that arrive for it
(issue 12, items 6 and 7).

The router (:func:`mutualaid.ui.router.run_app`) calls :func:`page_drawn` at the start
of every full run of a signed-in session: it keeps the store's change mark
(:func:`mutualaid.store.changes.change_mark`) the page is drawn at, and shows a toast
for each offer addressed to the person's jurisdiction since the mark the page was last
drawn at (once each: the mark moves on). Then :func:`follow` puts one small fragment
in the sidebar that runs every :func:`mutualaid.settings.live_refresh_seconds` (2 s):
it reads the mark again, one primary-key read, and only when the mark moved past the
drawn one by a change a page shows (:func:`mutualaid.store.changes.changed_since`) does
it rerun the whole app (``st.rerun(scope="app")``), so every figure, map and board is
drawn again from the store. Otherwise it does nothing: no page code runs.

A rerun is an ordinary rerun: widgets keep their values (the scenario picked, filters,
what is typed), what the person's own last click did stays shown (:func:`take`: a
page's one-run message, such as "Offer 3 committed by you" or a generated password, is
not lost to someone else's change), and the maps keep their keys unless their content changed
(:func:`mutualaid.ui.plans.plan_map_key`), so a map being panned is not reset by a
change that does not touch it. Several app servers on one PostgreSQL share the mark
(it is a row of the database), so a change made through one shows on the others'
pages just the same.

In AppTest a fragment runs only inline, within a full run (there is no timer): there
:func:`look` does nothing, since the full run has just drawn the page at the newest
mark.
"""

from __future__ import annotations

from typing import Any, Final

import streamlit as st

from mutualaid.access.actor import Actor
from mutualaid.settings import live_refresh_seconds
from mutualaid.store import Store
from mutualaid.store.changes import change_mark, changed_since, notices_for
from mutualaid.text import literal

#: The change mark this session's page was last drawn at (an int; set by page_drawn).
DRAWN_KEY: Final[str] = "live.drawn"
#: Set by a full run, taken by the fragment's inline run within it (nothing to look at).
_FRESH_KEY: Final[str] = "live.fresh"
#: Set by the fragment just before it reruns the app for someone's change; the next
#: full run takes it (:func:`page_drawn`) and is a live redraw (:func:`redrawing`).
REDRAW_KEY: Final[str] = "live.redraw"
#: Whether the current full run is a live redraw (set by :func:`page_drawn`).
_REDRAWING_KEY: Final[str] = "live.redrawing"
#: Suffix of the key under which :func:`take` keeps what it took for live redraws.
_SHOWN_SUFFIX: Final[str] = ".live-shown"


def redraw_due(store: Store, drawn: int) -> tuple[bool, int]:
    """Whether a page drawn at change mark *drawn* is out of date, and the mark now.

    One primary-key read when nothing changed; one more (a range of the audit log's
    primary key) when the mark moved, to leave out changes no page shows (failed
    sign-ins, refusals).

    Parameters
    ----------
    store : Store
    drawn : int
        The mark the page was drawn at.

    Returns
    -------
    tuple of (bool, int)
    """
    mark = change_mark(store)
    if mark == drawn:
        return False, mark
    return changed_since(store, drawn, mark), mark


def page_drawn(store: Store, actor: Actor) -> None:
    """At the start of a full run of *actor*'s session: note the change mark the page is
    drawn at, and show a toast for each offer addressed to *actor*'s jurisdiction since
    the page was last drawn (not those *actor* made; none on a session's first run)."""
    mark = change_mark(store)
    drawn = st.session_state.get(DRAWN_KEY)
    if isinstance(drawn, int) and mark > drawn:
        for notice in notices_for(store, actor, drawn, mark):
            st.toast(literal(notice.text), duration="long")
    st.session_state[DRAWN_KEY] = mark
    st.session_state[_FRESH_KEY] = True
    st.session_state[_REDRAWING_KEY] = bool(st.session_state.pop(REDRAW_KEY, False))


def redrawing() -> bool:
    """Whether this full run is a live redraw: the fragment's rerun for someone else's
    change, not a run of the person's own (a click, a page opened)."""
    return bool(st.session_state.get(_REDRAWING_KEY, False))


def take(key: str) -> Any:
    """Take the one-run value under *key* (what a click's callback left for the run
    after it: an outcome, a refusal), as ``st.session_state.pop(key, None)`` does; but
    on a live redraw (:func:`redrawing`) with nothing new under *key*, the value the
    person's last own run took, so that someone else's change does not wipe the
    outcome of the person's last click off the page. Gone at their next own run.

    Parameters
    ----------
    key : str
        A session-state key.

    Returns
    -------
    object or None
    """
    kept = key + _SHOWN_SUFFIX
    if redrawing() and key not in st.session_state:
        return st.session_state.get(kept)
    value = st.session_state.pop(key, None)
    st.session_state[kept] = value
    return value


def look(store: Store) -> None:
    """The fragment's body: rerun the whole app when the store changed since the page
    was drawn; otherwise nothing."""
    if st.session_state.pop(_FRESH_KEY, False):
        return  # inline, in the full run that has just drawn the page
    drawn = st.session_state.get(DRAWN_KEY)
    if not isinstance(drawn, int):
        return
    due, mark = redraw_due(store, drawn)
    if due:
        st.session_state[REDRAW_KEY] = True
        st.rerun(scope="app")
    if mark != drawn:
        # Only changes no page shows: nothing to draw, and nothing to look at again.
        st.session_state[DRAWN_KEY] = mark


def follow(store: Store, *, in_sidebar: bool = True) -> None:
    """The live fragment, polling every :func:`~mutualaid.settings.live_refresh_seconds`.
    Call it once per full run, after :func:`page_drawn`.

    It draws nothing; its (empty) container goes to the sidebar, or with
    ``in_sidebar=False`` (the briefing's kiosk view, which has none) to the top of the
    page.
    """
    fragment = st.fragment(look, run_every=live_refresh_seconds())
    if in_sidebar:
        with st.sidebar:
            fragment(store)
    else:
        fragment(store)
