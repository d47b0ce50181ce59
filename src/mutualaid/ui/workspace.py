"""The session's workspace: a scenario folder plus the layers added to it on the Layers page.

Each browser session keeps one :class:`mutualaid.workspace.Workspace` per scenario
folder in ``st.session_state`` (keys ``"workspace.<folder>"``). The workspace is tied
to the folder's content fingerprint: when the folder's files change on disk the
session starts again from the new files (layers added on top of the old files were
checked against them, not against the new ones).

Other pages read the scenario with :func:`current_scenario`, so a layer added on the
Layers page is what they show.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from mutualaid.scenario import Scenario
from mutualaid.ui import loaders
from mutualaid.ui.state import state_key
from mutualaid.workspace import Workspace, new_workspace

PAGE = "workspace"


@dataclass(frozen=True)
class _Stored:
    fingerprint: str
    workspace: Workspace


def _key(loaded: loaders.LoadedScenario) -> str:
    return state_key(PAGE, loaded.folder)


def workspace_for(loaded: loaders.LoadedScenario) -> Workspace | None:
    """The session's workspace for a loaded scenario folder (created on first use),
    None when the folder's scenario was rejected."""
    if loaded.result.scenario is None:
        return None
    stored = st.session_state.get(_key(loaded))
    if isinstance(stored, _Stored) and stored.fingerprint == loaded.fingerprint:
        return stored.workspace
    workspace = new_workspace(loaded.result.scenario)
    st.session_state[_key(loaded)] = _Stored(loaded.fingerprint, workspace)
    return workspace


def save_workspace(loaded: loaders.LoadedScenario, workspace: Workspace) -> None:
    """Make *workspace* the session's workspace for the folder."""
    st.session_state[_key(loaded)] = _Stored(loaded.fingerprint, workspace)


def current_scenario(folder: Path) -> Scenario | None:
    """The scenario of *folder* as this session sees it: its files plus the layers
    added on the Layers page. None when the folder's own scenario is rejected (its
    problems are in ``loaders.load(folder).result.reports``)."""
    workspace = workspace_for(loaders.load(folder))
    return None if workspace is None else workspace.scenario()


def session_loaded(loaded: loaders.LoadedScenario) -> loaders.LoadedScenario:
    """*loaded* as this session sees it: ``result.scenario`` is the workspace's scenario
    and ``version`` its version, so caches keyed on (folder, fingerprint, version) plan
    again after every accepted add. A rejected folder is returned unchanged."""
    workspace = workspace_for(loaded)
    if workspace is None:
        return loaded
    result = dataclasses.replace(loaded.result, scenario=workspace.scenario())
    return dataclasses.replace(loaded, result=result, version=workspace.version)
