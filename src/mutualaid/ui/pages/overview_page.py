"""The operations map's Streamlit side: filters, the cached plan and the cached map.

The page's scenario is the session's workspace (:mod:`mutualaid.ui.shared_scenario`): the
folder's layers plus those added on the Layers page. Every cache is keyed on text
that changes when the data does: the folder, its content fingerprint, the
workspace's version and (for the map) the filters. The frames themselves are passed
``_``-prefixed (left out of the key) because those strings already name them.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import folium
import streamlit as st

from mutualaid.allocation.held import Held
from mutualaid.allocation.what_if import overrides_key
from mutualaid.display import display_text
from mutualaid.figures.operation import OperationFigures, operation_figures
from mutualaid.figures.overview import (
    Filters,
    apply_filters,
    filter_options,
    shown_assignments,
    shown_flows,
    unmet_units,
)
from mutualaid.maps import overview_map
from mutualaid.scenario.loading import Scenario
from mutualaid.settings import MAP_CACHE_ENTRIES
from mutualaid.ui import context
from mutualaid.ui.loaders import LoadedScenario
from mutualaid.ui.map_view import RenderedMap, render_map
from mutualaid.ui.plans import PlanRun, cached_plan
from mutualaid.ui.shared_scenario import held_units, operation_version, workspace_for
from mutualaid.ui.state import state_key
from mutualaid.vocabulary import hazard_label, status_label, type_label

_LOG = logging.getLogger(__name__)

PAGE = "overview"
#: The map's container (``st.container(key=...)``), whose frame takes the screen's height.
MAP_CONTAINER = "overview-map"

#: The filters' labels, in the order shown.
FILTER_LABELS: dict[str, str] = {
    "hazards": "Hazard",
    "severities": "Severity",
    "statuses": "Incident status",
    "resource_types": "Resource type",
    "jurisdictions": "Jurisdiction",
}
#: How each filter's options read (the values stay the layers' keys).
FILTER_WORDS: dict[str, Callable[[Any], str]] = {
    "hazards": hazard_label,
    "statuses": status_label,
    "resource_types": type_label,
}


@dataclass(frozen=True)
class Current:
    """The shared scenario as this session sees it, and what identifies it for caches.

    Parameters
    ----------
    scenario : Scenario
        The stored scenario (the folder's files when nothing was added since).
    folder, fingerprint : str
        The scenario folder and the hash of its files.
    version : str
        The workspace's version (empty when nothing was added), naming the held units.
    held : Held
        The units the workflow holds in the scenario (not free, not needed again).
    """

    scenario: Scenario
    folder: str
    fingerprint: str
    version: str
    held: Held = Held()


def current(loaded: LoadedScenario) -> Current | None:
    """The session's scenario for a loaded folder; None when the folder is rejected."""
    workspace = workspace_for(loaded)
    if workspace is None:
        return None
    held = held_units(loaded)
    return Current(
        workspace.scenario(),
        loaded.folder,
        loaded.fingerprint,
        operation_version(workspace.version, held),
        held,
    )


def choose_filters(scenario: Scenario) -> Filters:
    """The filter widgets (keys ``overview.filter.*``); empty means all. They are kept
    while the person looks at another page (:func:`mutualaid.ui.context.kept_filter`)."""
    options = filter_options(scenario)
    cols = st.columns(len(FILTER_LABELS))
    chosen: dict[str, tuple] = {}
    for col, (name, label) in zip(cols, FILTER_LABELS.items()):
        key = context.kept_filter(PAGE, name, options[name])
        picked = col.multiselect(
            label,
            options[name],
            key=key,
            placeholder="All",
            format_func=FILTER_WORDS.get(name, display_text),
        )
        context.keep_filter(PAGE, name, picked)
        # A choice left over from another scenario is not among this one's options.
        chosen[name] = tuple(v for v in picked if v in options[name])
    return Filters(**chosen)


def plan_of(now: Current) -> PlanRun | None:
    """The current plan (no what-if edits), from the cache the Allocation and Briefing
    pages share, so a plan is made once whichever page asks first; None (said in words)
    when it cannot be made."""
    try:
        return cached_plan(
            now.folder, now.fingerprint, now.version, overrides_key(), now.scenario, now.held
        )
    except Exception as exc:  # noqa: BLE001 - never a traceback for a coordinator
        _LOG.exception("the current plan of %s could not be made", now.folder)
        st.warning("The current plan could not be made; the map shows the layers only.")
        st.text(f"{type(exc).__name__}: {exc}")
        return None


@st.cache_resource(show_spinner=False, max_entries=MAP_CACHE_ENTRIES)
def _operation(
    folder: str,
    fingerprint: str,
    version: str,
    filters_key: str,
    _shown: Scenario,
    _plan_run: PlanRun,
    _filters: Filters,
) -> OperationFigures:
    # The same key as _built_map: one computation per scenario version, filters and plan.
    return operation_figures(
        _shown, _plan_run.held, _plan_run.plan, resource_types=_filters.resource_types
    )


def operation_of(
    now: Current, shown: Scenario, filters: Filters, run: PlanRun | None
) -> OperationFigures | None:
    """The operation's figures for what the filters keep (None without a plan):
    deployed, committed and proposed help apart, as on the Allocation and Briefing
    pages."""
    if run is None:
        return None
    key = filters.key() + "|plan"
    return _operation(now.folder, now.fingerprint, now.version, key, shown, run, filters)


def shown_scenario(now: Current, filters: Filters) -> Scenario:
    """The scenario narrowed by *filters* (cheap; the map is what is cached)."""
    return apply_filters(now.scenario, filters)


def shown_held(held: Held, filters: Filters) -> Held:
    """The held lines of the resource types *filters* keep (all when none is chosen),
    as :func:`mutualaid.figures.operation.operation_figures` counts them."""
    if not filters.resource_types:
        return held
    types = {str(t) for t in filters.resource_types}
    return Held(tuple(line for line in held.lines if line.type in types))


@st.cache_resource(show_spinner="Drawing the map...", max_entries=MAP_CACHE_ENTRIES)
def _built_map(
    folder: str,
    fingerprint: str,
    version: str,
    filters_key: str,
    _shown: Scenario,
    _plan_run: PlanRun | None,
    _filters: Filters,
    _whole: Scenario,
) -> folium.Map:
    # The strings name every _-prefixed argument (the plan follows from the scenario;
    # _whole is the scenario _shown was filtered from).
    unmet = flows = None
    if _plan_run is not None:
        unmet = unmet_units(_plan_run.plan, _shown, _filters)
        flows = shown_flows(_plan_run.flows, shown_assignments(_plan_run.plan, _shown, _filters))
    focus = None
    if _filters.jurisdictions:  # zoom to the jurisdictions filtered to
        ids = _shown.jurisdictions["id"].map(display_text)
        focus = _shown.jurisdictions[ids.isin({display_text(j) for j in _filters.jurisdictions})]
    return overview_map(
        focus=focus,
        jurisdictions=_shown.jurisdictions,
        incidents=_shown.incidents,
        resources=_shown.resources,
        unmet=unmet,
        flows=flows,
        held=None if _plan_run is None else shown_held(_plan_run.held, _filters),
        # Help held for a shown incident is drawn from wherever it comes, as the
        # figures count it: from a resource the filters hide too.
        held_resources=_whole.resources,
    )


def operations_map(
    now: Current, shown: Scenario, filters: Filters, run: PlanRun | None
) -> folium.Map:
    """The operations map of the shown scenario: built once per (folder, fingerprint,
    workspace version, filters, plan or not), a fresh deep copy each run (streamlit-folium
    renames a map's elements when it renders one)."""
    key = filters.key() + ("|plan" if run is not None else "|no-plan")
    return copy.deepcopy(
        _built_map(now.folder, now.fingerprint, now.version, key, shown, run, filters, now.scenario)
    )


@st.cache_resource(show_spinner=False, max_entries=MAP_CACHE_ENTRIES)
def _rendered_map(
    folder: str,
    fingerprint: str,
    version: str,
    filters_key: str,
    _shown: Scenario,
    _plan_run: PlanRun | None,
    _filters: Filters,
    _whole: Scenario,
) -> RenderedMap:
    # The same key as _built_map: what st_folium would render from it on every rerun.
    return render_map(
        _built_map(folder, fingerprint, version, filters_key, _shown, _plan_run, _filters, _whole)
    )


def rendered_map(
    now: Current, shown: Scenario, filters: Filters, run: PlanRun | None
) -> RenderedMap:
    """:func:`operations_map` as ``st_folium`` sends it, rendered once per map (a rerun
    renders nothing: issue 16, under load)."""
    key = filters.key() + ("|plan" if run is not None else "|no-plan")
    return _rendered_map(
        now.folder, now.fingerprint, now.version, key, shown, run, filters, now.scenario
    )


def map_key(now: Current) -> str:
    """The map widget's key: stable across reruns, new when the data changes."""
    return state_key(PAGE, f"map-{now.fingerprint[:16]}-{now.version or 'base'}")
