"""Cached loading of scenarios and their maps.

Both caches are keyed on the scenario folder *and* a hash of its files' contents
(:func:`mutualaid.scenario.catalogue.scenario_fingerprint`), so an edited file is read again
on the next run, and an unchanged one is never read twice. No GeoDataFrame is ever a
cache argument: Streamlit leaves ``_``-prefixed arguments out of the key, which would
serve stale results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from mutualaid.allocation.held import Held
from mutualaid.scenario.catalogue import scenario_fingerprint
from mutualaid.scenario.loading import ScenarioResult, load_scenario


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
    version : str
        The session workspace's version (:attr:`mutualaid.scenario.merging.Workspace.version`)
        when ``result.scenario`` is the session's scenario (files plus the layers added
        on the Layers page and the agreements edited in the app); empty for the files
        alone. Part of every cache key of what is built from the scenario; it names the
        units the workflow holds too (:attr:`held`).
    held : Held
        The units the workflow holds in the stored scenario (committed or deployed):
        every plan starts from what is still free and still needed (issue 12). Empty
        for the files alone.
    """

    folder: str
    fingerprint: str
    result: ScenarioResult
    version: str = ""
    held: Held = field(default_factory=Held)


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
