"""The plans the pages show, cached: one plan per scenario version and set of edits.

Shared by every page that shows a plan (Allocation, Briefing, Overview): the plan of
the session's scenario (:func:`mutualaid.ui.shared_scenario.session_loaded`) with the
edits (:func:`mutualaid.allocation.what_if.overrides_key`) is computed once per key, and
so are its key figures, its map and the map as ``st_folium`` sends it. A rerun that
changes nothing never plans again, and going back to an earlier set of edits is served
from the cache. Every cached object is shared between sessions and read-only.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass

import folium
import streamlit as st

from mutualaid.allocation import allocate, flows_geojson
from mutualaid.allocation.held import Held, free_part
from mutualaid.allocation.what_if import edit, overrides_digest, parse_overrides
from mutualaid.figures.plan import KeyFigures, key_figures
from mutualaid.maps.plan import plan_map
from mutualaid.scenario.loading import Scenario
from mutualaid.settings import MAP_CACHE_ENTRIES, PLAN_CACHE_ENTRIES
from mutualaid.ui.loaders import LoadedScenario
from mutualaid.ui.map_view import RenderedMap, render_map

_LOG = logging.getLogger(__name__)

# Plans computed in this process: lets tests see that a rerun was served from the cache.
_computed: list[int] = [0]


def plans_computed() -> int:
    """How many plans this process has computed (cache misses), for tests and logs."""
    return _computed[0]


# --- the cached plan ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRun:
    """One computed plan.

    Parameters
    ----------
    plan : dict
        ``Plan.to_dict()``: the contract's plan JSON with the engine's extras.
    flows : dict
        ``flows_geojson`` of the plan: one line per assignment.
    overrides : str
        The edits it was made with (:func:`mutualaid.allocation.what_if.overrides_key`).
    held : Held
        The workflow's units it was made around (not free, not needed again).
    """

    plan: dict
    flows: dict
    overrides: str
    held: Held = Held()

    @property
    def digest(self) -> str:
        """A short hash of the edits, for widget keys."""
        return overrides_digest(self.overrides)


@st.cache_resource(show_spinner="Planning...", max_entries=PLAN_CACHE_ENTRIES)
def cached_plan(
    folder: str,
    fingerprint: str,
    version: str,
    overrides: str,
    _scenario: Scenario,
    _held: Held | None = None,
) -> PlanRun:
    """The plan of *_scenario* with the edits *overrides*, made once per key.

    Shared by every page that shows a plan (Allocation, Briefing, Overview) and by the
    sessions with the same view (the version names it): one object, read-only (a
    pickled copy per call, as ``st.cache_data`` makes, cost every rerun more than the
    page itself under load).

    The plan is made from what is still free and still needed: *_held*'s units (the
    workflow's committed and deployed ones) are neither planned again nor needed
    again, and count against their owner's reserve cap (issue 12). The version names
    them (:func:`mutualaid.ui.shared_scenario.operation_version`).
    """
    # The key is the folder, its content hash, the session workspace's version (layers
    # added, agreements edited) and the edits: together they identify _scenario (left
    # out of the key on purpose: hashing GeoDataFrames is slow, and the fingerprint and
    # version already change whenever the files or the workspace do).
    _computed[0] += 1
    reserves, agreements = parse_overrides(overrides)
    # The edited scenario is planned as it stands, so the reserves the plan used are
    # the ones the map's tooltips and the tables show.
    edited = edit(_scenario, reserves=reserves, agreements=agreements)
    held = _held or Held()
    plan = allocate(free_part(edited, held), held=held)
    return PlanRun(
        plan=plan.to_dict(), flows=flows_geojson(plan, edited), overrides=overrides, held=held
    )


@st.cache_resource(show_spinner=False, max_entries=PLAN_CACHE_ENTRIES)
def _key_figures(
    folder: str, fingerprint: str, version: str, overrides: str, _scenario: Scenario, _run: PlanRun
) -> KeyFigures:
    # Same key as cached_plan: _scenario and _run are what the other arguments name.
    # The plan's tables are about what was still needed when it was made: the free part.
    reserves, agreements = parse_overrides(overrides)
    edited = edit(_scenario, reserves=reserves, agreements=agreements)
    return key_figures(_run.plan, free_part(edited, _run.held))


def figures_of(loaded: LoadedScenario, run: PlanRun) -> KeyFigures:
    """:func:`mutualaid.figures.plan.key_figures` of a plan of the loaded scenario,
    computed once per plan, not on every rerun (shared: read-only, like the plan)."""
    return _key_figures(
        loaded.folder,
        loaded.fingerprint,
        loaded.version,
        run.overrides,
        loaded.result.accepted,
        run,
    )


def plan_for(loaded: LoadedScenario, overrides: str) -> PlanRun | None:
    """The plan of a scenario with these edits, from the cache when already made.

    Never raises: when the plan cannot be made, says so in words and returns None.
    """
    scenario = loaded.result.accepted
    try:
        return cached_plan(
            loaded.folder, loaded.fingerprint, loaded.version, overrides, scenario, loaded.held
        )
    except Exception as exc:  # noqa: BLE001 - never a traceback for a coordinator
        _LOG.exception(
            "the plan of %s could not be made with the edits %r", loaded.folder, overrides
        )
        st.error("The plan could not be made with these settings.")
        st.text(f"{type(exc).__name__}: {exc}")
        return None


@st.cache_resource(show_spinner="Drawing the plan...", max_entries=MAP_CACHE_ENTRIES)
def _built_map(
    folder: str, fingerprint: str, version: str, overrides: str, _scenario: Scenario, _run: PlanRun
) -> folium.Map:
    # Same key as cached_plan: _scenario and _run are what the other arguments name.
    reserves, agreements = parse_overrides(overrides)
    edited = edit(_scenario, reserves=reserves, agreements=agreements)
    return plan_map(
        jurisdictions=edited.jurisdictions,
        incidents=edited.incidents,
        resources=edited.resources,
        plan=_run.plan,
        flows=_run.flows,
    )


def plan_map_of(loaded: LoadedScenario, run: PlanRun) -> folium.Map:
    """The plan's map: built once per plan, a fresh deep copy each run."""
    return copy.deepcopy(
        _built_map(
            loaded.folder,
            loaded.fingerprint,
            loaded.version,
            run.overrides,
            loaded.result.accepted,
            run,
        )
    )


@st.cache_resource(show_spinner=False, max_entries=MAP_CACHE_ENTRIES)
def _rendered_map(
    folder: str, fingerprint: str, version: str, overrides: str, _scenario: Scenario, _run: PlanRun
) -> RenderedMap:
    # The same key as _built_map: what st_folium would render from it on every rerun.
    return render_map(_built_map(folder, fingerprint, version, overrides, _scenario, _run))


def rendered_plan_map(loaded: LoadedScenario, run: PlanRun) -> RenderedMap:
    """The plan's map as ``st_folium`` sends it, rendered once per plan (a rerun renders
    nothing: issue 16, under load)."""
    return _rendered_map(
        loaded.folder,
        loaded.fingerprint,
        loaded.version,
        run.overrides,
        loaded.result.accepted,
        run,
    )


def plan_map_key(loaded: LoadedScenario, run: PlanRun) -> str:
    """A map widget key naming the files, the workspace version and the edits, so a
    new plan is drawn anew and an unchanged one is left alone in the browser."""
    version = f"-{loaded.version}" if loaded.version else ""
    return f"map-{loaded.fingerprint[:16]}{version}-{run.digest}"
