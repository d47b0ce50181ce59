"""The briefing page's Streamlit side: a shared screen that keeps itself up to date.

One fragment (``st.fragment(run_every=...)``) re-reads the scenario's files every
:func:`refresh_seconds` and shows the plan's key figures, its map and the most severe
unmet needs. Everything heavy is cached by the scenario's content hash (see
:mod:`mutualaid.ui.plans`), so a refresh that finds the files unchanged plans
nothing and hands ``st_folium`` the same map under the same key: the browser keeps the
map it has, with the viewer's pan and zoom. When the files change, the key changes and
the new map is drawn.

File text is shown only with ``st.dataframe``, ``st.text``, metrics and widget options;
the page's own CSS (large type, no sidebar in the kiosk view) is a constant.
Session-state keys all start with ``"briefing."``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import streamlit as st

from mutualaid.allocation.what_if import overrides_key
from mutualaid.exports import briefing_html, figure_items, plan_csv, top_unmet
from mutualaid.figures.operation import OperationFigures
from mutualaid.figures.plan import KeyFigures
from mutualaid.settings import (
    BRIEFING_MAP_HEIGHT_PX,
    BRIEFING_TOP_UNMET,
    briefing_refresh_seconds,
)
from mutualaid.ui import context, loaders, panels, shared_scenario
from mutualaid.ui.loaders import LoadedScenario
from mutualaid.ui.map_view import show_rendered
from mutualaid.ui.plans import (
    PlanRun,
    figures_of,
    operation_of,
    plan_for,
    plan_map_key,
    plan_map_of,
    rendered_plan_map,
)
from mutualaid.ui.router import kiosk_view
from mutualaid.ui.state import state_key

_LOG = logging.getLogger(__name__)

PAGE = "briefing"
#: The query parameter (``?scenario=<folder name>``) a URL names its scenario with; it
#: only picks among the folders the app offers anyway.
SCENARIO_PARAM = context.SCENARIO_PARAM
#: Key figures per row: wide enough for their labels in large type.
FIGURES_PER_ROW = 3

#: Large type for a screen read from across the room (constant CSS, no file text).
LARGE_TYPE_CSS = """<style>
[data-testid="stMetricValue"] { font-size: 2.6rem; }
[data-testid="stMetricLabel"] p { font-size: 1.15rem; }
[data-testid="stCaptionContainer"] { font-size: 1.1rem; }
[data-testid="stDataFrame"] { font-size: 1.1rem; }
</style>"""


def refresh_seconds(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between refreshes: ``MUTUALAID_BRIEFING_REFRESH_S`` when it is a number
    above 0, else :data:`mutualaid.settings.BRIEFING_REFRESH_S`
    (:func:`mutualaid.settings.briefing_refresh_seconds` reads it).

    Examples
    --------
    >>> refresh_seconds({"MUTUALAID_BRIEFING_REFRESH_S": "2"})
    2.0
    >>> refresh_seconds({"MUTUALAID_BRIEFING_REFRESH_S": "soon"})
    30.0
    """
    return briefing_refresh_seconds(environ)


def map_key(loaded: LoadedScenario, run: PlanRun) -> str:
    """The map's widget key: the same for as long as the files and the plan are, so a
    refresh with nothing new leaves the browser's map alone."""
    return state_key(PAGE, plan_map_key(loaded, run))


def choose_scenario(folders: Sequence[Path]) -> Path:
    """The scenario selector; opens on ``?scenario=<name>``, else the one chosen on
    another page, else the one holding the person's jurisdiction, else the first
    (:func:`mutualaid.ui.context.choose_folder`). On the wall screen
    (``?view=briefing&scenario=NAME``) the address fixes it: no selector."""
    return context.choose_folder(folders, page=PAGE, fixed=kiosk_view())


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%H:%M:%S UTC")


def _html_download(loaded: LoadedScenario, run: PlanRun) -> Callable[[], str]:
    # Made only when the button is pressed: a refresh every few seconds must not
    # render and inline a 700 kB page nobody asked for.
    def make() -> str:
        scenario = loaded.result.accepted
        try:
            return briefing_html(
                title=scenario.name,
                map_=plan_map_of(loaded, run),
                operation=operation_of(loaded, run),
                figures=figures_of(loaded, run),
                updated_at=_now(),
            )
        except Exception as exc:  # noqa: BLE001 - a page that says why, not a traceback
            _LOG.exception("the briefing of %s could not be exported", loaded.folder)
            return (
                "<!DOCTYPE html><html><body><p>The briefing could not be exported: "
                f"{html.escape(f'{type(exc).__name__}: {exc}')}</p></body></html>"
            )

    return make


def show_downloads(loaded: LoadedScenario, run: PlanRun) -> None:
    """The briefing (one HTML file), the plan as CSV and the flows as GeoJSON."""
    stem = file_stem(loaded.result.accepted.name)
    cols = st.columns(4)
    cols[0].download_button(
        "Download the briefing (HTML)",
        data=_html_download(loaded, run),
        file_name=f"briefing-{stem}.html",
        mime="text/html",
        key=state_key(PAGE, "download-html"),
        on_click="ignore",
    )
    cols[1].download_button(
        "Assignments (CSV)",
        data=lambda: plan_csv(run.plan)[0],
        file_name=f"assignments-{stem}.csv",
        mime="text/csv",
        key=state_key(PAGE, "download-assignments"),
        on_click="ignore",
    )
    cols[2].download_button(
        "Unmet needs (CSV)",
        data=lambda: plan_csv(run.plan)[1],
        file_name=f"unmet-{stem}.csv",
        mime="text/csv",
        key=state_key(PAGE, "download-unmet"),
        on_click="ignore",
    )
    cols[3].download_button(
        "Flows (GeoJSON)",
        data=lambda: json.dumps(run.flows, ensure_ascii=False),
        file_name=f"flows-{stem}.geojson",
        mime="application/geo+json",
        key=state_key(PAGE, "download-flows"),
        on_click="ignore",
    )


def file_stem(name: str) -> str:
    """A download's file name stem from the scenario's name: letters, digits, dot,
    dash and underscore only (the name is file text; the file name is ours)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "scenario"


def show_figures(operation: OperationFigures, figures: KeyFigures) -> None:
    """The operation's figures as large metrics, three to a row (labels stay whole)."""
    items = figure_items(operation, figures)
    for start in range(0, len(items), FIGURES_PER_ROW):
        row = items[start : start + FIGURES_PER_ROW]
        for col, (label, value) in zip(st.columns(FIGURES_PER_ROW), row):
            col.metric(label, value)


def show_unmet(figures) -> None:
    """The most severe unmet needs, with their reasons."""
    table = top_unmet(figures, limit=BRIEFING_TOP_UNMET)
    total = len(figures.unmet)
    st.subheader("Top unmet needs (most severe first)")
    if total == 0:
        st.text("Every need is met.")
        return
    st.dataframe(table, hide_index=True, width="stretch")
    if total > len(table):
        st.text(f"and {total - len(table)} more (see the Allocation page).")


def show_map(loaded: LoadedScenario, run: PlanRun) -> None:
    """The plan's map, full width; said in words if it cannot be drawn."""
    try:
        show_rendered(
            rendered_plan_map(loaded, run), key=map_key(loaded, run), height=BRIEFING_MAP_HEIGHT_PX
        )
    except Exception as exc:  # noqa: BLE001 - never a traceback for a coordinator
        _LOG.exception("the briefing map of %s could not be drawn", loaded.folder)
        st.error("The map of this plan could not be drawn.")
        st.text(f"{type(exc).__name__}: {exc}")


def show_current(folder: Path) -> None:
    """One refresh: read the files (from the cache when unchanged), plan, show."""
    st.caption(f"Updated at {_now()}, every {refresh_seconds():g} s")
    # The session's scenario: the files plus the layers added on the Layers page.
    loaded = shared_scenario.session_loaded(loaders.load(folder))
    scenario = loaded.result.scenario
    panels.show_problems(loaded.result.reports, rejected=scenario is None)
    if scenario is None:
        return
    run = plan_for(loaded, overrides_key())
    if run is None:
        return
    figures = figures_of(loaded, run)
    show_figures(operation_of(loaded, run), figures)
    show_map(loaded, run)
    show_unmet(figures)
    show_downloads(loaded, run)


def show_briefing(folders: Sequence[Path]) -> None:
    """The whole page below its title: the selector, then the refreshing part."""
    st.html(LARGE_TYPE_CSS)
    folder = choose_scenario(folders)
    # Made here, not at import, so the interval follows the environment of this run.
    st.fragment(show_current, run_every=refresh_seconds())(folder)
