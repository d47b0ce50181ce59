"""The shared scenario: a scenario folder's layers as stored, plus every layer added since.

The store (:mod:`mutualaid.store.layer_store`) holds each scenario's layers with their
versions. A folder the app offers is stored under its name the first time any page
uses it (audited as ``system:first-use``); from then on every page of every session
shows the stored layers, and a layer added on the Layers page (or agreements applied on
the Agreements page) becomes a new version that everyone sees at their next rerun.

When a folder's files change on disk (their fingerprint differs from the one stored
with the scenario), the layers whose content changed are stored again as new versions
(audited as ``system:folder-changed``), once; layers added in the app since are kept
unless the same layer's file changed. ``mutualaid load FOLDER`` does the same from the
command line.

Each rerun asks the store for the current versions (one small query); the scenario
itself is rebuilt from the store only when a version changed (cached by the versions'
key), so a rerun costs no more than before.

Sharing (issue 6): every page sees the stored scenario only through
:func:`mutualaid.access.sharing.visible_scenario` for the signed-in person (from the session's
verified sign-in, :func:`mutualaid.ui.signed_in.current_actor`; nobody signed in sees
public features only). :attr:`SharedWorkspace.version` names what the person may see
(:func:`mutualaid.access.sharing.view_key`: role and jurisdiction, all that the sharing rules
read), so every cache keyed on it (plans, maps, tables) holds one view, shared by the
sessions of people with that same view (30 coordinators of one jurisdiction build one
map, not 30) and never served to anyone with another; a share revoked is a new layer
version, so it takes effect at everyone's next rerun.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from mutualaid.access.actor import Actor, system_actor
from mutualaid.access.sharing import layer_visible, view_key, visible_scenario
from mutualaid.allocation.held import Held
from mutualaid.errors import LayerRefused, MutualAidError
from mutualaid.scenario.loading import SCENARIO_FILES, TRAVEL_TIMES_FILE, Scenario
from mutualaid.scenario.merging import LayerLogEntry, Workspace
from mutualaid.store import Store, layer_store, workflow
from mutualaid.ui import loaders, signed_in
from mutualaid.ui.app_store import app_store

#: The actors recorded when a folder is stored because a page used it, and when its
#: files changed on disk since they were stored.
FIRST_USE = "first-use"
FOLDER_CHANGED = "folder-changed"


def scenario_name(loaded: loaders.LoadedScenario) -> str:
    """The name a folder's scenario has in the store: the folder's name."""
    return Path(loaded.folder).name


def _sources() -> dict[str, str]:
    return {**SCENARIO_FILES, "travel_times": TRAVEL_TIMES_FILE}


def _ensure_stored(
    store: Store, loaded: loaders.LoadedScenario
) -> dict[str, layer_store.LayerVersion]:
    name = scenario_name(loaded)
    versions = layer_store.current_versions(store, name)
    if versions and layer_store.files_fingerprint(store, name) == loaded.fingerprint:
        return versions
    who = FOLDER_CHANGED if versions else FIRST_USE
    try:
        stored = layer_store.save_scenario(
            store,
            loaded.result.accepted,
            name=name,
            sources=_sources(),
            actor=system_actor(who),
            files_fingerprint=loaded.fingerprint,
        )
    except (sa.exc.IntegrityError, MutualAidError):
        # Another session stored it at the same moment (theirs is as good as ours), or
        # the new files would take away committed units (the stored layers stay).
        return layer_store.current_versions(store, name)
    return stored.versions


@st.cache_resource(show_spinner="Reading the shared scenario...", max_entries=16)
def _stored(url: str, name: str, key: str) -> Scenario | None:
    # ``key`` (the versions' key) is unused on purpose: it is part of the cache key, so a
    # new version is read once and an unchanged scenario never again.
    stored = layer_store.load_stored_scenario(app_store(), name)
    return None if stored is None else stored.scenario


@st.cache_resource(show_spinner=False, max_entries=64)
def _visible(
    url: str,
    name: str,
    key: str,
    view: str,
    _scenario: Scenario,
    _actor: Actor | None,
    _levels: Mapping[str, str],
) -> Scenario:
    # Keyed on what the asker may see (``view``: role and jurisdiction, the only parts
    # of _actor the sharing rules read) as well as the versions, so a view is never
    # served to someone with another. A new level is a new version
    # (set_layer_sharing), so ``key`` names the levels too.
    return visible_scenario(_scenario, viewer=_actor, layer_levels=_levels)


@dataclass(frozen=True)
class SharedWorkspace(Workspace):
    """The shared scenario as one signed-in person may see it.

    Parameters
    ----------
    viewer : str
        What the person asking may see (:func:`mutualaid.access.sharing.view_key`); part of
        :attr:`version`.
    versions : mapping of str to LayerVersion
        The current stored version of each layer (its sharing level and owner).
    """

    viewer: str = "nobody"
    versions: Mapping[str, layer_store.LayerVersion] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """As :attr:`Workspace.version`, naming every current layer version and its
        level (the log shows only the versions the viewer may know of), the latest
        feature edit made over each in the app (issue 12), and what the person asking
        may see: every cache keyed on it (plans, maps) holds one view only, shared by
        the people with that view."""
        current = ",".join(
            f"{k}={v.version}:{v.sharing}:{v.edit}" for k, v in sorted(self.versions.items())
        )
        text = f"{super().version}\n{current}\n{self.viewer}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _log(
    store: Store, name: str, *, actor: Actor | None, scenario: Scenario
) -> tuple[LayerLogEntry, ...]:
    # Only the versions the person may know of (their source file, size and author):
    # a layer stored for its owner only is not in another jurisdiction's log.
    history = sorted(layer_store.layer_history(store, name), key=lambda v: (v.loaded_at, v.id))
    return tuple(
        LayerLogEntry(
            kind=v.kind,
            source=v.source,
            features=v.features,
            loaded_at=v.loaded_at,
            mode=v.mode,
            format=v.format,
            by=v.loaded_by,
            version=v.version,
        )
        for v in history
        if layer_visible(
            v.sharing,
            v.owner,
            viewer=actor,
            agreements=scenario.agreements,
            jurisdictions=scenario.jurisdictions,
        )
    )


def workspace_for(loaded: loaders.LoadedScenario) -> SharedWorkspace | None:
    """The shared scenario of a loaded folder (stored on first use) as the signed-in
    person may see it; None when the folder's own files were rejected (their problems
    are in ``loaded.result.reports``).

    ``base`` and ``current`` are the stored scenario with only what the person may see
    (:func:`mutualaid.access.sharing.visible_scenario`; nobody signed in: public features
    only); ``layer_log`` every stored version the person may know of, oldest first
    (:func:`mutualaid.access.sharing.layer_visible`); ``version`` names the current
    versions and the viewer.
    """
    if loaded.result.scenario is None:
        return None
    store = app_store()
    actor = signed_in.current_actor(store)
    versions = _ensure_stored(store, loaded)
    name = scenario_name(loaded)
    key = layer_store.StoredScenario(0, name, loaded.result.scenario, versions).version_key
    full = _stored(store.url, name, key)
    if full is None:
        return None
    who = view_key(actor)
    current = _visible(store.url, name, key, who, full, actor, layer_store.layer_levels(versions))
    # ``base`` is the same view: the folder's own files may hold features not everyone
    # may see, so no page gets them unfiltered from here.
    return SharedWorkspace(
        base=current,
        current=current,
        layer_log=_log(store, name, actor=actor, scenario=full),
        viewer=who,
        versions=dict(versions),
    )


def current_scenario(folder: Path) -> Scenario | None:
    """The shared scenario of *folder*. None when the folder's own scenario is rejected
    (its problems are in ``loaders.load(folder).result.reports``)."""
    workspace = workspace_for(loaders.load(folder))
    return None if workspace is None else workspace.scenario()


def held_units(loaded: loaders.LoadedScenario) -> Held:
    """The units the workflow holds in the stored scenario of *loaded* (one query per
    rerun; :func:`mutualaid.store.workflow.held_lines`)."""
    return workflow.held_lines(app_store(), scenario_name(loaded))


def operation_version(version: str, held: Held) -> str:
    """*version* naming the held units too: every cache keyed on it (plans, figures,
    maps) is made again after a commit, an accept, a release or any move of units."""
    if not held:
        return version
    return hashlib.sha256(f"{version}|{held.key}".encode()).hexdigest()[:16]


def session_loaded(loaded: loaders.LoadedScenario) -> loaders.LoadedScenario:
    """*loaded* with the shared scenario: ``result.scenario`` is the stored scenario,
    ``held`` the units the workflow holds in it and ``version`` names both, so caches
    keyed on (folder, fingerprint, version) plan again after every new layer version
    and every move of units. A rejected folder is returned unchanged."""
    workspace = workspace_for(loaded)
    if workspace is None:
        return loaded
    held = held_units(loaded)
    result = dataclasses.replace(loaded.result, scenario=workspace.scenario())
    return dataclasses.replace(
        loaded, result=result, version=operation_version(workspace.version, held), held=held
    )


def current_version(workspace: Workspace, kind: str) -> int:
    """The stored version of *kind* the page showed (0 when none): passed back when the
    page stores a change, so a change based on an older version is refused."""
    if isinstance(workspace, SharedWorkspace) and kind in workspace.versions:
        return workspace.versions[kind].version  # also when its log entry is not shown
    numbers = [e.version for e in workspace.layer_log if e.kind == kind]
    return max(numbers, default=0)


def store_layer(
    loaded: loaders.LoadedScenario,
    workspace: Workspace,
    *,
    kind: str,
    frame: pd.DataFrame,
    mode: str,
    source: str,
    format: str,
    actor: Actor,
    sharing: str = "public",
) -> str | None:
    """Store *frame* as a new version of the shared scenario's *kind* layer, shared at
    level *sharing* (:mod:`mutualaid.access.sharing`).

    Returns None when stored, else why not, in words for the person (a change stored
    by someone else since the page was drawn, units committed to offers, a change the
    person may not make: that refusal is in the audit log).

    Raises
    ------
    LayerRefused
        The combined scenario would not be valid (``.reports`` says why).
    """
    try:
        layer_store.save_layer(
            app_store(),
            scenario_name=scenario_name(loaded),
            kind=kind,
            frame=frame,
            mode=mode,
            source=source,
            format=format,
            actor=actor,
            expected_version=current_version(workspace, kind),
            sharing=sharing,
        )
    except LayerRefused:
        raise
    except MutualAidError as refused:  # LayerDenied, StaleLayer, UnitsInUse, UnknownScenario
        return str(refused)
    return None


def share_layer(
    loaded: loaders.LoadedScenario, workspace: Workspace, *, kind: str, sharing: str, actor: Actor
) -> str | None:
    """Change who sees the shared scenario's *kind* layer
    (:func:`mutualaid.store.layer_store.set_layer_sharing`). None when done, else why not,
    in words for the person (refusals are in the audit log)."""
    try:
        layer_store.set_layer_sharing(
            app_store(),
            scenario_name=scenario_name(loaded),
            kind=kind,
            sharing=sharing,
            actor=actor,
            expected_version=current_version(workspace, kind),
        )
    except MutualAidError as refused:  # LayerDenied, StaleLayer, UnknownScenario
        return str(refused)
    return None
