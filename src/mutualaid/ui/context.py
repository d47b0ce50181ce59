"""The person's context across pages (issue 13): the scenario chosen follows them to
every page and into the address (``?scenario=NAME``), and the Overview's filters are
kept while they look at another page.

Streamlit forgets a widget's value when a page without that widget runs, so the
scenario chosen is kept under a key of its own (:data:`CHOSEN`, a scenario's name) and
put back into each page's selector before it is drawn. The address carries it too: each
page writes ``?scenario=`` when it shows a scenario, the sidebar's links carry it
(:func:`link_params`), so a reload, a copied address or a second tab opens the same
scenario. Which one a page opens on is
:func:`mutualaid.scenario.catalogue.choose_scenario` (the address, else the one chosen,
else the first holding the person's jurisdiction); this module is its Streamlit side.

Session-state keys all start with ``"context."``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import streamlit as st

from mutualaid.scenario.catalogue import choose_scenario
from mutualaid.store import layer_store
from mutualaid.text import literal
from mutualaid.ui import loaders, signed_in
from mutualaid.ui.app_store import app_store
from mutualaid.ui.state import state_key

PAGE = "context"
#: The query parameter naming the scenario shown (a scenario's name: its folder's name).
SCENARIO_PARAM = "scenario"
#: Session-state key of the name of the scenario the person chose or was shown last.
CHOSEN = state_key(PAGE, "scenario")

T = TypeVar("T")


def asked_name() -> str | None:
    """The scenario the address names (``?scenario=``), or None."""
    return st.query_params.get(SCENARIO_PARAM) or None


def link_params() -> dict[str, str]:
    """The query parameters a link to another page carries: the scenario shown (the one
    chosen in this session, else the one the address names); none before any."""
    name = st.session_state.get(CHOSEN) or asked_name()
    return {SCENARIO_PARAM: name} if isinstance(name, str) and name else {}


def _remember(name: str) -> None:
    st.session_state[CHOSEN] = name
    if st.query_params.get(SCENARIO_PARAM) != name:
        st.query_params[SCENARIO_PARAM] = name


def _picked(key: str, name_of: Callable[[object], str]) -> None:
    # The selector's callback: runs before the rerun, so the sidebar's links drawn by
    # that rerun (before the page) already carry the new scenario.
    _remember(name_of(st.session_state[key]))


def stored_holding() -> dict[str, frozenset[str]]:
    """Which stored scenario holds which jurisdiction (one read of the store)."""
    return layer_store.jurisdictions_by_scenario(app_store())


def folders_holding(folders: Sequence[Path]) -> dict[str, frozenset[str]]:
    """Which scenario holds which jurisdiction: the stored scenarios, and the folders
    not stored yet from their files (read once per content, cached)."""
    holding = stored_holding()
    for folder in folders:
        name = folder_name(folder)
        if name not in holding:
            scenario = loaders.load(folder).result.scenario
            if scenario is not None:
                holding[name] = frozenset(str(i) for i in scenario.jurisdictions["id"])
    return holding


def choose(
    options: Sequence[T],
    *,
    page: str,
    name_of: Callable[[T], str],
    holding: Callable[[], Mapping[str, Collection[str]]] = stored_holding,
    format_func: Callable[[T], str] | None = None,
    fixed: bool = False,
) -> T:
    """The scenario a page shows, of *options*, with the page's selector (widget key
    ``<page>.scenario``) opened on it.

    The one the address names, else the one chosen on any page of this session, else
    the first holding the signed-in person's jurisdiction, else the first
    (:func:`mutualaid.scenario.catalogue.choose_scenario`). An address naming a scenario
    that is not offered is said in words, and the page falls back. The choice is
    remembered for the other pages and written into the address.

    Parameters
    ----------
    options : sequence
        The scenarios offered (folders or stored names), not empty.
    page : str
        The page's session-state prefix.
    name_of : callable
        An option's scenario name (a folder's name; a stored name itself).
    holding : callable
        Which scenario holds which jurisdiction (name -> jurisdiction ids); called only
        when the page falls back to the person's default (nothing asked or chosen yet).
    format_func : callable, optional
        How the selector shows an option; *name_of* when None.
    fixed : bool
        No selector when the address names an offered scenario (the wall screen,
        ``?view=briefing&scenario=NAME``).
    """
    names = [name_of(o) for o in options]
    asked = asked_name()
    chosen = st.session_state.get(CHOSEN)
    needed = asked not in names and chosen not in names
    actor = signed_in.current_actor(app_store()) if needed else None
    choice = choose_scenario(
        names,
        asked=asked,
        chosen=chosen if isinstance(chosen, str) else None,
        jurisdiction=actor.jurisdiction if actor is not None else None,
        holding=holding() if needed else {},
    )
    if choice.unknown is not None:
        st.warning(
            literal(
                f'There is no scenario named "{choice.unknown}" here; '
                f'showing "{choice.name}" instead.'
            )
        )
    name = choice.name if choice.name is not None else names[0]
    option = options[names.index(name)]
    _remember(name)
    if fixed and choice.unknown is None and asked == name:
        return option
    key = state_key(page, "scenario")
    if st.session_state.get(key) != option:
        st.session_state[key] = option
    return st.selectbox(
        "Scenario",
        options,
        format_func=format_func or name_of,
        key=key,
        on_change=_picked,
        args=(key, name_of),
    )


def folder_name(folder: Path) -> str:
    """A scenario folder's scenario name: the folder's name."""
    return Path(folder).name


def choose_folder(folders: Sequence[Path], *, page: str, fixed: bool = False) -> Path:
    """:func:`choose` among scenario folders (named by their folder's name)."""
    return choose(
        folders,
        page=page,
        name_of=folder_name,
        holding=lambda: folders_holding(folders),
        fixed=fixed,
    )


def choose_name(names: Sequence[str], *, page: str) -> str:
    """:func:`choose` among stored scenarios' names."""
    return choose(names, page=page, name_of=str)


def kept_filter(page: str, name: str, options: Sequence[object]) -> str:
    """The widget key of a page's filter *name*, its value put back from the last time
    the page was drawn in this session (kept to those of *options*): a look at another
    page does not clear the Overview's filters. Call :func:`keep_filter` after the
    widget."""
    key = state_key(page, f"filter.{name}")
    kept = st.session_state.get(state_key(PAGE, f"{page}.filter.{name}"))
    if key not in st.session_state and kept:
        st.session_state[key] = [v for v in kept if v in options]
    return key


def keep_filter(page: str, name: str, value: Sequence[object]) -> None:
    """Keep a filter's value for the next time the page is drawn (:func:`kept_filter`)."""
    st.session_state[state_key(PAGE, f"{page}.filter.{name}")] = list(value)
