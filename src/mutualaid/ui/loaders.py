"""Cached loading of scenarios and their maps.

Both caches are keyed on the scenario folder *and* a hash of its files' contents
(:func:`mutualaid.ui.catalog.scenario_fingerprint`), so an edited file is read again
on the next run, and an unchanged one is never read twice. No GeoDataFrame is ever a
cache argument: Streamlit leaves ``_``-prefixed arguments out of the key, which would
serve stale results.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import folium
import streamlit as st

from mutualaid.maps import overview_map
from mutualaid.scenario import ScenarioResult, load_scenario
from mutualaid.settings import MAP_CACHE_ENTRIES
from mutualaid.ui.catalog import scenario_fingerprint


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario folder as read on this run.

    Parameters
    ----------
    folder : str
        The folder, resolved.
    fingerprint : str
        The hash of its files when read.
    result : ScenarioResult
        The layers (when accepted) and every layer's report.
    """

    folder: str
    fingerprint: str
    result: ScenarioResult


@st.cache_data(show_spinner="Reading the scenario...", max_entries=16)
def _read(folder: str, fingerprint: str) -> ScenarioResult:
    # ``fingerprint`` is unused here on purpose: it is part of the cache key.
    return load_scenario(Path(folder))


def load(folder: Path) -> LoadedScenario:
    """Read and check a scenario folder, from the cache when its files are unchanged.

    Never raises for a bad folder: problems are in ``result.reports``.
    """
    resolved = str(Path(folder).resolve())
    fingerprint = scenario_fingerprint(Path(resolved))
    return LoadedScenario(resolved, fingerprint, _read(resolved, fingerprint))


@st.cache_resource(show_spinner="Drawing the map...", max_entries=MAP_CACHE_ENTRIES)
def _built_map(folder: str, fingerprint: str) -> folium.Map:
    scenario = _read(folder, fingerprint).scenario
    if scenario is None:
        raise ValueError("a rejected scenario has no map")  # callers check first
    return overview_map(jurisdictions=scenario.jurisdictions, incidents=scenario.incidents,
                        resources=scenario.resources)


def overview_map_of(loaded: LoadedScenario) -> folium.Map:
    """The scenario's overview map: built once per data version, a fresh copy each run.

    streamlit-folium renames a map's elements while rendering it, and a map rendered
    twice references names that no longer exist (the drawing stops at the first
    layer). So the cached map is never handed out itself, only deep copies of it
    (about 25 ms for a sample scenario, against about 150 ms to build).
    """
    return copy.deepcopy(_built_map(loaded.folder, loaded.fingerprint))
