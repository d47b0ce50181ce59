"""Layer versions as rows: a canonical frame (:mod:`mutualaid.layers.schema`) to the rows of
``layer_features`` and back, one row per feature in file order, its fields as JSON text and,
for the geographic layers, its geometry as WKB in EPSG:4326; and what a stored version is
(:class:`LayerVersion`) and what a save returns (:class:`StoredScenario`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd

from mutualaid.scenario.loading import Scenario

#: Layer kinds a scenario holds, in the order they are stored and checked.
#: Layer kinds a scenario holds, in the order they are stored and checked.
KINDS: Final[tuple[str, ...]] = (
    "jurisdictions",
    "incidents",
    "resources",
    "agreements",
    "travel_times",
)
#: Kinds with a geometry (kept as WKB) and an ``id`` (kept as ``feature_id``).
GEO_KINDS: Final[tuple[str, ...]] = ("jurisdictions", "incidents", "resources")
#: Feature rows per INSERT batch: large enough to be fast, small enough to bound memory.
CHUNK_ROWS: Final[int] = 5_000
#: ``layer_versions.mode`` of a version recording that an optional layer was dropped
#: (a scenario folder reloaded without its ``travel_times.csv``).
REMOVED: Final[str] = "removed"
#: ``layer_versions.mode`` of a version stored because another layer changed it (incidents
#: and resources placed again in redrawn jurisdictions).
RECHECKED: Final[str] = "rechecked"
#: ``layer_versions.mode`` of a version stored because its sharing level changed
#: (:func:`set_layer_sharing`): the same features, a new level.
SHARED: Final[str] = "sharing"


# --- rights (issue 6) --------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerVersion:
    """One stored version of one layer of a scenario.

    Parameters
    ----------
    id : int
        The ``layer_versions`` row.
    scenario : str
        The scenario's name.
    kind : str
        One of :data:`KINDS`.
    version : int
        1, 2, ... per scenario and kind; the highest is current.
    source : str
        The file it was loaded from.
    format, mode : str
        The format the file was read as; ``replace``, ``merge``, :data:`RECHECKED` or
        :data:`REMOVED`.
    sha256 : str
        Of the stored rows: equal content, equal hash.
    features : int
        Rows stored.
    loaded_by : str
        The account (or ``system:...``) that stored it.
    loaded_at : datetime.datetime
        When, in UTC.
    sharing : str
        The layer's sharing level (:data:`mutualaid.access.sharing.LEVELS`); a feature's own
        ``sharing`` value wins over it.
    owner : str or None
        The jurisdiction of the person who stored it (None: the system, a folder load
        or an admin bound to none).
    edit : int
        The id of the latest feature edit made over this version in the app
        (``feature_edits``, issue 12), 0 when none: read as part of the current
        versions, so :attr:`StoredScenario.version_key` changes with every edit.
    """

    id: int
    scenario: str
    kind: str
    version: int
    source: str
    format: str
    mode: str
    sha256: str
    features: int
    loaded_by: str
    loaded_at: datetime
    sharing: str = "public"
    owner: str | None = None
    edit: int = 0

    def summary(self) -> dict[str, Any]:
        """What the audit log records of this version."""
        return {
            "version": self.version,
            "source": self.source,
            "features": self.features,
            "sha256": self.sha256,
            "mode": self.mode,
            "loaded_by": self.loaded_by,
            "loaded_at": self.loaded_at.isoformat(),
            "sharing": self.sharing,
            "owner": self.owner,
        }


@dataclass(frozen=True)
class StoredScenario:
    """A scenario as stored: its canonical layers and the version of each.

    Parameters
    ----------
    id : int
        The ``scenarios`` row.
    name : str
    scenario : Scenario
        The current layers, canonical (equal to what was saved).
    versions : dict of str to LayerVersion
        The current version of each kind stored (a dropped optional layer is absent).
    changed : tuple of str
        The kinds the call that returned this object stored a new version of.
    """

    id: int
    name: str
    scenario: Scenario
    versions: dict[str, LayerVersion]
    changed: tuple[str, ...] = field(default=())

    @property
    def layer_levels(self) -> dict[str, str]:
        """The sharing level of each current layer, by kind
        (:func:`mutualaid.access.sharing.visible_scenario`)."""
        return layer_levels(self.versions)

    @property
    def version_key(self) -> str:
        """A short key that changes whenever any layer's version changes: a cache key
        for anything built from :attr:`scenario` (a map, a plan)."""
        return _version_key(self.name, self.versions)


def layer_levels(versions: Mapping[str, LayerVersion]) -> dict[str, str]:
    """The sharing level of each of *versions*, by kind
    (:func:`mutualaid.access.sharing.visible_scenario`)."""
    return {k: v.sharing for k, v in versions.items()}


def _version_key(name: str, versions: Mapping[str, LayerVersion]) -> str:
    text = "\n".join(
        [name]
        + [f"{k}:{v.id}:{v.version}:{v.sha256}:{v.edit}" for k, v in sorted(versions.items())]
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


#: The status of a resource whose units cannot be committed (issue 12).
OUT_OF_SERVICE: Final[str] = "out_of_service"


def units_quantity(quantity: int, status: object) -> int:
    """The ``units.quantity`` of a resource record: its quantity, or 0 while it is out of
    service (nothing can then be committed from it; with ``committed <= quantity`` a
    resource holding committed or deployed units cannot go out of service). Assigned
    resources keep their quantity (the plan leaves them out by their status)."""
    return 0 if status == OUT_OF_SERVICE else int(quantity)


# --- canonical frames <-> rows ------------------------------------------------------------


@dataclass(frozen=True)
class LayerRows:
    """A canonical frame as ``layer_features`` rows (without the version id)."""

    kind: str
    rows: list[dict[str, Any]]
    sha256: str

    @property
    def features(self) -> int:
        return len(self.rows)


def _derived(kind: str) -> tuple[str, ...]:
    # Recomputed by validation on the way back, so not stored in the properties.
    from mutualaid.scenario.merging import DERIVED_COLUMNS

    return DERIVED_COLUMNS.get(kind, ())


def _plain(value: Any) -> Any:
    """*value* as a JSON value (NaN and other missing values become None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return _plain(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _column_values(series: pd.Series) -> list[Any]:
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return [None if pd.isna(v) else v.isoformat() for v in series.tolist()]
    if pd.api.types.is_float_dtype(dtype):
        return [None if math.isnan(v) else v for v in series.tolist()]
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return series.tolist()
    return [_plain(v) for v in series.tolist()]


def _dumps(record: dict[str, Any] | list[Any]) -> str:
    # Not jsontext.dumps: its sorted keys would lose the column order, and the extra
    # columns a file had are shown in that order. Every row of a layer has the same
    # keys in the same order, so equal content is still equal text.
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def serialise(kind: str, frame: pd.DataFrame) -> LayerRows:
    """The rows stored for a canonical *frame* of *kind*, and their SHA-256."""
    import shapely

    geometry = frame.geometry.name if kind in GEO_KINDS else None
    skip = set(_derived(kind)) | ({geometry} if geometry else set())
    names = [str(c) for c in frame.columns if c not in skip]
    columns = [_column_values(frame[c]) for c in frame.columns if c not in skip]
    n = len(frame)
    ids = frame["id"].astype(object).tolist() if kind in GEO_KINDS else [None] * n
    if kind in ("incidents", "resources"):
        owners = frame["jurisdiction"].astype(object).tolist()
    elif kind == "jurisdictions":
        owners = ids
    else:
        owners = [None] * n
    owners = [
        None if o is None or (isinstance(o, float) and math.isnan(o)) else str(o) for o in owners
    ]
    wkbs = (
        list(shapely.to_wkb(np.asarray(frame.geometry.values), output_dimension=2))
        if geometry
        else [None] * n
    )
    digest = hashlib.sha256(kind.encode())
    rows: list[dict[str, Any]] = []
    for i, values in enumerate(zip(*columns) if columns else ([()] * n)):
        props = _dumps(dict(zip(names, values)))
        fid = None if ids[i] is None else str(ids[i])
        wkb = wkbs[i]
        digest.update(
            _dumps([fid, owners[i], props, None if wkb is None else wkb.hex()]).encode("utf-8")
        )
        digest.update(b"\n")
        rows.append(
            {
                "position": i,
                "feature_id": fid,
                "jurisdiction": owners[i],
                "properties": props,
                "wkb": wkb,
            }
        )
    return LayerRows(kind, rows, digest.hexdigest())


def rows_frame(kind: str, properties: list[str], wkbs: list[bytes | None]) -> pd.DataFrame:
    """A frame its validator reads back into the canonical one."""
    import geopandas as gpd
    import shapely

    records = [json.loads(p) for p in properties]
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    if kind == "agreements" and "resource_types" in frame.columns:
        frame["resource_types"] = [
            ";".join(v) if isinstance(v, list) else v for v in frame["resource_types"]
        ]
    if kind not in GEO_KINDS:
        return frame
    geometry = shapely.from_wkb(
        np.asarray([None if w is None else bytes(w) for w in wkbs], dtype=object)
    )
    return gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"), crs="EPSG:4326"
    )


# --- reading ---------------------------------------------------------------------------------


def live_versions(current: Mapping[str, LayerVersion]) -> dict[str, LayerVersion]:
    return {k: v for k, v in current.items() if v.mode != REMOVED}
