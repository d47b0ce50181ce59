"""A planner's workspace: a base scenario plus the layers added to it in one session.

A planner loads a scenario folder, then uploads layers (issue 4): a new incidents
file, an updated resources list, redrawn jurisdictions. Each added layer either
*replaces* the layer of its kind or is *merged* into it by id (new ids appended,
same ids replaced in place). After every add the **whole** resulting scenario is
checked again, because layers refer to each other: resources name their owning
jurisdiction, incidents and resources are placed in jurisdictions by a spatial
join, agreements name jurisdictions and countries, travel times name incidents and
resources. When the combined scenario is not valid the add is refused and the
workspace is left exactly as it was.

Workspaces are immutable: :func:`add_layer` returns a new one and never changes
its argument, so a refused add cannot half-apply. No Streamlit here.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal

import pandas as pd

from mutualaid.errors import LayerRefused
from mutualaid.layers.problems import Report
from mutualaid.scenario.loading import Scenario

if TYPE_CHECKING:
    import geopandas as gpd

Mode = Literal["replace", "merge"]

#: Layer kinds a workspace holds, and the columns that identify a row of each
#: (what "merge by id" matches on).
MERGE_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "jurisdictions": ("id",),
    "incidents": ("id",),
    "resources": ("id",),
    # A row for other resource types between the same sides is a different permission.
    "agreements": ("from", "to", "resource_types"),
    "travel_times": ("resource_id", "incident_id"),
}
MODES: Final[tuple[str, ...]] = ("replace", "merge")

#: Columns computed by validation rather than read from a file: dropped before a
#: canonical frame is checked again, so they are recomputed instead of kept as extras
#: (and never stored: :mod:`mutualaid.store.layer_store`).
DERIVED_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "incidents": ("jurisdiction", "lon", "lat"),
    "resources": ("lon", "lat"),
}


@dataclass(frozen=True)
class LayerLogEntry:
    """One layer a planner added.

    Parameters
    ----------
    kind : str
        The layer kind (``incidents``...).
    source : str
        The uploaded file's name.
    features : int
        How many features (rows) the added layer had.
    loaded_at : datetime.datetime
        When it was added, in UTC.
    mode : {"replace", "merge"}
    format : str
        The format it was read as (``geojson``, ``csv``...), empty when unknown.
    by : str
        Who added it (an account name), empty when not recorded.
    version : int
        The layer's version in the store, 0 when it is not stored.
    """

    kind: str
    source: str
    features: int
    loaded_at: datetime
    mode: str
    format: str = ""
    by: str = ""
    version: int = 0


@dataclass(frozen=True)
class Workspace:
    """A base scenario plus the layers added in this session.

    Build one with :func:`new_workspace`; change it only with :func:`add_layer`.

    Parameters
    ----------
    base : Scenario
        The scenario as read from its folder.
    current : Scenario
        The scenario with every accepted add applied.
    layer_log : tuple of LayerLogEntry
        The adds, oldest first.
    """

    base: Scenario
    current: Scenario
    layer_log: tuple[LayerLogEntry, ...] = ()

    @property
    def version(self) -> str:
        """A short key that changes with every accepted add or stored version (empty for
        the base alone): with the folder's fingerprint, a cache key for anything built
        from :meth:`scenario` (a map, a plan)."""
        if not self.layer_log:
            return ""
        text = "\n".join(
            f"{e.kind}|{e.version}|{e.source}|{e.features}|{e.loaded_at.isoformat()}|{e.mode}"
            for e in self.layer_log
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def scenario(self) -> Scenario:
        """The current scenario (a new Scenario object; treat its frames as read-only)."""
        return dataclasses.replace(self.current)


def new_workspace(base: Scenario) -> Workspace:
    """A workspace holding *base* and no added layers."""
    return Workspace(base=base, current=base, layer_log=())


def _layer(scenario: Scenario, kind: str) -> pd.DataFrame | None:
    return getattr(scenario, kind)


def _row_keys(frame: pd.DataFrame, keys: tuple[str, ...]) -> list[tuple]:
    return list(zip(*(frame[k].astype(object).tolist() for k in keys)))


def merge_by_key(old: pd.DataFrame | None, new: pd.DataFrame, *, kind: str) -> pd.DataFrame:
    """*old* with *new* merged in: rows of *new* whose key is in *old* replace those rows
    where they stand; the others are appended in *new*'s order.

    Parameters
    ----------
    old, new : pandas.DataFrame
        Canonical frames of the same kind (*old* may be None: then *new* is returned).
    kind : str
        The layer kind; its key columns are :data:`MERGE_KEYS`.
    """
    if old is None or len(old) == 0:
        return new.copy().reset_index(drop=True)
    keys = MERGE_KEYS[kind]
    new_keys = _row_keys(new, keys)
    at_new = dict(zip(new_keys, range(len(new))))
    old_keys = _row_keys(old, keys)
    # Positions in ``old`` followed by ``new``: each old row, or the new row with its
    # key in its place, then the new rows whose key is new. One concat, whatever the size.
    offset = len(old)
    positions = [offset + at_new[key] if key in at_new else i for i, key in enumerate(old_keys)]
    seen = set(old_keys)
    positions += [offset + j for j, key in enumerate(new_keys) if key not in seen]
    # Extra columns one side lacks become empty on the other.
    both = pd.concat([old, new], ignore_index=True, sort=False)
    combined = both.iloc[positions].reset_index(drop=True)
    if hasattr(old, "crs") and hasattr(combined, "set_crs") and combined.crs is None:
        combined = combined.set_crs(old.crs)
    return combined


def _for_check(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A canonical frame back in a shape its validator reads (derived columns
    dropped, agreements' type tuples written as ``a;b``)."""
    out = frame.drop(columns=[c for c in DERIVED_COLUMNS.get(kind, ()) if c in frame.columns])
    if kind == "agreements" and "resource_types" in out.columns:
        out = out.copy()
        out["resource_types"] = [
            ";".join(v) if isinstance(v, (tuple, list)) else v for v in out["resource_types"]
        ]
    return out


def _followed_owners(
    resources: pd.DataFrame, old: gpd.GeoDataFrame, new: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Resources whose owner is simply the jurisdiction containing them follow the
    borders when the jurisdictions change: their owner is cleared so the spatial
    join finds it again. An owner that differs from the containing jurisdiction
    (a unit stationed abroad) was given on purpose and is kept, and must still exist."""
    if old is new or len(resources) == 0:
        return resources
    from mutualaid.layers.spatial import locate

    lon = resources["lon"].to_numpy(dtype=float)
    lat = resources["lat"].to_numpy(dtype=float)
    containing = locate(lon, lat, old)
    owners = resources["jurisdiction"].astype(object).tolist()
    followed = [
        None if (o is not None and c is not None and o == c) else o
        for o, c in zip(owners, containing)
    ]
    out = resources.copy()
    out["jurisdiction"] = pd.Series(followed, index=out.index, dtype=object)
    return out


def check_scenario(
    candidate: Scenario, *, previous: Scenario
) -> tuple[Scenario | None, list[Report]]:
    """Check every layer of *candidate* again, with the cross-layer checks.

    Parameters
    ----------
    candidate : Scenario
        The combined layers (canonical frames).
    previous : Scenario
        The scenario before the change: when the jurisdictions changed, resources
        owned by the jurisdiction that contained them are placed again.

    Returns
    -------
    scenario : Scenario or None
        The re-checked scenario (incidents and resources joined to the current
        jurisdictions), None when any layer has an error.
    reports : list of Report
        One per layer.
    """
    from mutualaid.layers.validate import validate_layer

    source = "the combined scenario"
    reports: list[Report] = []
    frames: dict[str, Any] = {}
    juris, report = validate_layer(
        _for_check(candidate.jurisdictions, "jurisdictions"), kind="jurisdictions", source=source
    )
    reports.append(report)
    frames["jurisdictions"] = juris
    resources = candidate.resources
    if juris is not None:
        resources = _followed_owners(resources, previous.jurisdictions, candidate.jurisdictions)
    inputs = {
        "incidents": candidate.incidents,
        "resources": resources,
        "agreements": candidate.agreements,
    }
    for kind, frame in inputs.items():
        checked, report = validate_layer(
            _for_check(frame, kind), kind=kind, jurisdictions=juris, source=source
        )
        reports.append(report)
        frames[kind] = checked
    if candidate.travel_times is not None:
        incidents, res = frames["incidents"], frames["resources"]
        checked, report = validate_layer(
            candidate.travel_times,
            kind="travel_times",
            source=source,
            resource_ids=None if res is None else res["id"].tolist(),
            incident_ids=None if incidents is None else incidents["id"].tolist(),
        )
        reports.append(report)
        frames["travel_times"] = checked
    if not all(r.ok for r in reports) or any(v is None for v in frames.values()):
        return None, reports
    return dataclasses.replace(candidate, **frames), reports


def add_layer(
    workspace: Workspace,
    kind: str,
    frame: pd.DataFrame,
    *,
    source: str,
    mode: Mode,
    format: str = "",
    now: datetime | None = None,
) -> Workspace:
    """A new workspace with *frame* added as the *kind* layer, after checking the
    whole resulting scenario.

    Parameters
    ----------
    workspace : Workspace
        Left unchanged whatever happens.
    kind : {"jurisdictions", "incidents", "resources", "agreements", "travel_times"}
    frame : pandas.DataFrame
        An accepted canonical layer (``load_layer(...).frame``).
    source : str
        The file's name, for the log.
    mode : {"replace", "merge"}
        ``replace``: *frame* becomes the layer. ``merge``: rows are matched by id
        (agreements by ``from``, ``to`` and ``resource_types``, travel times by
        the pair); same ids are
        replaced, new ids appended.
    format : str
        The format the file was read as, for the log.
    now : datetime.datetime, optional
        The time to log (UTC); the current time when None.

    Returns
    -------
    Workspace

    Raises
    ------
    LayerRefused
        The combined scenario is not valid; ``.reports`` says why.
    ValueError
        An unknown kind or mode, or no frame (a programming error, not bad input).

    Examples
    --------
    >>> ws = new_workspace(load_scenario("data/rhine-flood-2021").scenario)  # doctest: +SKIP
    >>> ws = add_layer(ws, "incidents", extra, source="new.geojson", mode="merge")  # doctest: +SKIP
    """
    if kind not in MERGE_KEYS:
        raise ValueError(f"unknown layer kind {kind!r}; expected one of {', '.join(MERGE_KEYS)}")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected replace or merge")
    if frame is None:
        raise ValueError("a rejected layer (no frame) cannot be added")
    previous = workspace.current
    layer = (
        frame.copy().reset_index(drop=True)
        if mode == "replace"
        else merge_by_key(_layer(previous, kind), frame, kind=kind)
    )
    candidate = dataclasses.replace(previous, **{kind: layer})
    checked, reports = check_scenario(candidate, previous=previous)
    if checked is None:
        errors = sum(len(r.errors) for r in reports)
        raise LayerRefused(
            f"the {kind} from {source} were not added: the combined scenario has {errors} error(s)",
            reports,
        )
    entry = LayerLogEntry(
        kind=kind,
        source=source,
        features=len(frame),
        loaded_at=(now or datetime.now(UTC)).astimezone(UTC),
        mode=mode,
        format=format,
    )
    return Workspace(base=workspace.base, current=checked, layer_log=workspace.layer_log + (entry,))
