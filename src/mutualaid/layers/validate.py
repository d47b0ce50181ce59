"""One validator per layer kind (contract, section 1).

Each validator takes a frame whose columns already carry the canonical field names
(:func:`mutualaid.layers.fields.apply_mapping`), checks every rule of the
contract's table for that kind, and returns

* the canonical frame described in :mod:`mutualaid.layers.schema` (canonical
  columns first, in order, then the file's other columns as text), or None when
  the layer is rejected; and
* a :class:`~mutualaid.layers.problems.Report` with every problem found, errors
  and warnings, in file order.

Decisions where the contract is silent (documented here and in the docs):

* Hazards and resource types are extensible: a well-formed key that is not known
  (lowercase letters, digits and ``_``) is accepted with one warning per distinct
  key; "Fire Engine" is read as ``fire_engine``.
* ``reported_at`` without a time zone, or a date alone, is taken as UTC; one
  warning for the layer says how many features that concerns.
* Status words accept any case and spaces for ``_`` ("Out of service").
* Booleans are never numbers; NaN and infinity are never accepted.
* An empty jurisdictions layer is rejected; an empty incidents, resources,
  agreements or travel-times layer is accepted with a warning.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mutualaid.layers import checks
from mutualaid.layers.checks import Checker
from mutualaid.layers.fields import FIELDS, type_key
from mutualaid.layers.problems import Report
from mutualaid.layers.schema import (
    AGREEMENT_COLUMNS,
    INCIDENT_COLUMNS,
    JURISDICTION_COLUMNS,
    RESOURCE_COLUMNS,
    TRAVEL_TIME_COLUMNS,
)
from mutualaid.layers.spatial import assign_jurisdictions
from mutualaid.settings import (
    HAZARDS,
    INCIDENT_STATUSES,
    MAX_UNITS,
    RESOURCE_STATUSES,
    RESOURCE_TYPES,
    SEVERITY_MAX,
    SEVERITY_MIN,
)

_LOG = logging.getLogger(__name__)

WILDCARD = "*"
_CRS = "EPSG:4326"
#: A feature's own sharing level (issue 6); empty means the layer's level applies.
#: Kept here (not imported from :mod:`mutualaid.access.sharing`) so reading a layer needs no
#: access rules; :data:`mutualaid.access.sharing.LEVELS` is the same tuple (a test checks).
SHARING_LEVELS: Final[tuple[str, ...]] = ("public", "partners", "owner")


# --- Shared steps ------------------------------------------------------------------------


def _column(frame: pd.DataFrame, field: str) -> pd.Series | None:
    return frame[field].reset_index(drop=True) if field in frame.columns else None


def _geometry_name(frame: pd.DataFrame) -> str | None:
    """The name of the active geometry column, or of a plain ``geometry`` column."""
    if isinstance(frame, gpd.GeoDataFrame):
        try:
            return frame.geometry.name
        except AttributeError:  # a GeoDataFrame without an active geometry column
            pass
    return "geometry" if "geometry" in frame.columns else None


def _geometry_of(frame: pd.DataFrame, chk: Checker) -> np.ndarray | None:
    """The frame's geometries in EPSG:4326 as an array, or None (with an error) when
    the layer has no geometry at all. A frame without a CRS is taken as EPSG:4326
    (the readers always set one)."""
    name = _geometry_name(frame)
    if name is None:
        chk.file("the layer has no geometry: each feature needs a location", field="geometry")
        return None
    cells = frame[name].tolist()
    arr = np.empty(len(cells), dtype=object)
    arr[:] = [c if isinstance(c, shapely.Geometry) else None for c in cells]
    crs = getattr(frame[name], "crs", None)
    if crs is not None and not crs.equals(_CRS):
        try:
            arr = np.asarray(gpd.GeoSeries(arr, crs=crs).to_crs(_CRS).to_numpy(), dtype=object)
        except Exception as exc:  # noqa: BLE001 - pyproj raises several types for impossible transforms
            _LOG.info("a layer's coordinates could not be reprojected", exc_info=True)
            chk.file(
                f"the coordinates cannot be converted to longitude/latitude: {exc}",
                field="geometry",
            )
            return None
    return arr


def _extras(frame: pd.DataFrame, fields: Iterable[str], canonical: Sequence[str]) -> dict:
    skip = set(fields) | {_geometry_name(frame), "geometry"}
    extra = [c for c in frame.columns if c not in skip]
    return checks.extras_as_text(frame.reset_index(drop=True), extra, reserved=canonical)


def _finish(
    report: Report,
    chk: Checker,
    data: dict[str, Any],
    *,
    columns: Sequence[str],
    extras: dict,
    geometry: np.ndarray | None = None,
) -> tuple[pd.DataFrame | None, Report]:
    """Assemble the canonical frame (canonical columns first, in schema order)."""
    report.extend(chk.sorted_problems())
    if not report.ok:
        return None, report
    ordered = {c: data[c] for c in columns if c != "geometry"}
    ordered.update(extras)
    index = pd.RangeIndex(chk.n)
    body = {
        k: (v.set_axis(index) if isinstance(v, pd.Series) else pd.Series(v, index=index))
        for k, v in ordered.items()
    }
    if geometry is None:
        return pd.DataFrame(body, index=index), report
    frame = gpd.GeoDataFrame(
        body, geometry=gpd.GeoSeries(geometry, index=index, crs=_CRS), crs=_CRS
    )
    return frame[[*columns, *extras]], report


def _sharing_column(chk: Checker, series: pd.Series | None) -> list[str | None]:
    """A feature's own sharing level: public, partners or owner (any case), None when
    empty (the layer's level then applies)."""
    if series is None:
        return [None] * chk.n
    codes, values = checks.distinct(series)
    keys = [
        None if checks.is_missing(v) or not str(v).strip() else str(v).strip().lower()
        for v in values
    ]
    wrong = np.array([k is not None and k not in SHARING_LEVELS for k in keys], dtype=bool)
    chk.rows(
        wrong[codes],
        lambda i: (
            "sharing must be one of public, partners or owner "
            "(empty means the layer's level), got "
            f"{checks.shown(values[codes[i]])}"
        ),
        field="sharing",
    )
    result = [None if (k is None or w) else k for k, w in zip(keys, wrong)]
    return [result[c] for c in codes]


def _object(values: Sequence[Any]) -> pd.Series:
    """Text columns keep None for "none" (a pandas string column would make it NaN)."""
    return pd.Series(list(values), dtype=object)


def _prepared(frame: Any, kind: str, source: str) -> tuple[pd.DataFrame, Report, Checker]:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"a {kind} layer must be a DataFrame, got {type(frame).__name__}")
    frame = frame.reset_index(drop=True)
    report = Report(kind, source=source)
    # Agreements and travel times have no id: their problems name the row only.
    ids = (
        checks.raw_ids(frame) if kind not in ("agreements", "travel_times") else [None] * len(frame)
    )
    return frame, report, Checker(ids)


def _jurisdiction_lookup(jurisdictions: gpd.GeoDataFrame | None) -> dict[str, str] | None:
    """Jurisdiction ids by exact spelling and, when unambiguous, by upper case."""
    if jurisdictions is None or "id" not in jurisdictions.columns:
        return None
    ids = [str(v) for v in jurisdictions["id"].tolist() if v is not None]
    lookup = {i: i for i in ids}
    folded: dict[str, list[str]] = defaultdict(list)
    for i in ids:
        folded[i.upper()].append(i)
    for key, members in folded.items():
        if len(members) == 1:
            lookup.setdefault(key, members[0])
    return lookup


def _find(lookup: dict[str, str], value: str) -> str | None:
    return lookup.get(value) or lookup.get(value.upper())


# --- Jurisdictions -------------------------------------------------------------------------


def validate_jurisdictions(
    frame: pd.DataFrame, *, source: str = ""
) -> tuple[gpd.GeoDataFrame | None, Report]:
    """Check a jurisdictions layer.

    Rules: ``id`` required, unique (``*`` is reserved for agreements); ``name``
    optional (defaults to the id); ``country`` required, an ISO 3166-1 alpha-2 code
    in any case (stored upper case); ``reserve`` optional, a number from 0 to 1
    (default 0); geometry a Polygon or MultiPolygon in range, repaired with a
    warning when invalid.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The layer with canonical column names.
    source : str
        The file name, for the report.

    Returns
    -------
    frame : geopandas.GeoDataFrame or None
        The canonical jurisdictions, or None when rejected.
    report : Report

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> layer = gpd.GeoDataFrame({"id": ["DE-NW"], "country": ["de"]},
    ...                          geometry=[box(6, 50, 9, 52)], crs="EPSG:4326")
    >>> out, report = validate_jurisdictions(layer)
    >>> report.ok, out.loc[0, "country"], float(out.loc[0, "reserve"])
    (True, 'DE', 0.0)
    """
    frame, report, chk = _prepared(frame, "jurisdictions", source)
    if chk.n == 0:
        chk.file("the layer has no features: a jurisdictions layer needs at least one area")
    checks.required_column(chk, frame, "id", what="each area's unique id, e.g. DE-NW")
    checks.required_column(
        chk, frame, "country", what="each area's two-letter ISO 3166-1 country code"
    )
    ids = checks.id_column(chk, _column(frame, "id"), reserved=(WILDCARD,))
    names = checks.name_column(chk, _column(frame, "name"), ids)
    countries = checks.country_column(chk, _column(frame, "country"))
    reserve = checks.real_column(
        chk,
        _column(frame, "reserve"),
        field="reserve",
        rule="a number from 0 to 1: the share of each resource type's units kept at home "
        "(0.2 keeps 20 %)",
        accept=lambda v: (v >= 0) & (v <= 1),
        required=False,
        default=0.0,
    )
    geoms = _geometry_of(frame, chk)
    if geoms is not None:
        geoms, _ = checks.geometry_column(
            chk, geoms, allowed=("Polygon", "MultiPolygon"), what="jurisdictions are areas"
        )
    data = {
        "id": _object(ids),
        "name": _object(names),
        "country": _object(countries),
        "reserve": reserve,
    }
    extras = _extras(frame, FIELDS["jurisdictions"], JURISDICTION_COLUMNS)
    return _finish(report, chk, data, columns=JURISDICTION_COLUMNS, extras=extras, geometry=geoms)


# --- Incidents ---------------------------------------------------------------------------


def _units(value: Any) -> int | None:
    """A count of units: a whole number 0..MAX_UNITS (3, 3.0, "3"); None otherwise."""
    if type(value) is int:  # the common case, first: JSON integers
        return value if 0 <= value <= MAX_UNITS else None
    if isinstance(value, (bool, np.bool_)) or checks.is_missing(value):
        return None
    if isinstance(value, (int, np.integer)):
        number = float(value) if abs(int(value)) < 2**62 else float("inf")
    elif isinstance(value, (float, np.floating)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if not np.isfinite(number) or not number.is_integer() or not 0 <= number <= MAX_UNITS:
        return None
    return int(number)


def _needs_column(chk: Checker, series: pd.Series | None) -> list[dict[str, int]]:
    """Needs: an object ``{resource_type: units}`` with whole units from 0; zero
    entries dropped; type keys checked like resource types."""
    if series is None:
        return [{} for _ in range(chk.n)]
    out: list[dict[str, int]] = []
    new_types: dict[str, list[int]] = {}
    known = set(RESOURCE_TYPES)
    rule = f"a whole number of units from 0 to {MAX_UNITS:,}"
    keys: dict[Any, str] = {}  # the same few type names repeat on every row
    for i, cell in enumerate(series.tolist()):
        needs: dict[str, int] = {}
        if type(cell) is not dict and checks.is_missing(cell):
            out.append(needs)
            continue
        if not isinstance(cell, dict):
            chk.at(
                i,
                "needs must be an object of resource types and units like "
                f'{{"boat": 2, "pump": 1}}, got {checks.shown(cell)}',
                field="needs",
            )
            out.append(needs)
            continue
        for raw_key, raw_value in cell.items():
            key = keys.get(raw_key)
            if key is None:
                key = keys.setdefault(raw_key, type_key(raw_key))
            if not checks.is_key(key):
                chk.at(
                    i,
                    f"needs: {checks.shown(raw_key)} is not a resource type key "
                    "(lowercase letters, digits and _, such as fire_engine)",
                    field="needs",
                )
                continue
            units = _units(raw_value)
            if units is None:
                chk.at(
                    i,
                    f"needs for {key!r} must be {rule}, got {checks.shown(raw_value)}",
                    field="needs",
                )
                continue
            if key in needs:
                chk.at(
                    i, f"needs gives {key!r} twice (as {checks.shown(raw_key)} too)", field="needs"
                )
                continue
            if units > 0:
                needs[key] = units
                if key not in known:
                    new_types.setdefault(key, []).append(i)
            else:
                needs.setdefault(key, 0)
        out.append({k: v for k, v in needs.items() if v > 0})
    for key, positions in new_types.items():
        chk.group(
            positions,
            f"needs type {key!r} is not a known resource type"
            f"{checks.did_you_mean(key, RESOURCE_TYPES)}; accepted as a new type",
            field="needs",
            severity="warning",
        )
    return out


def validate_incidents(
    frame: pd.DataFrame, *, jurisdictions: gpd.GeoDataFrame | None = None, source: str = ""
) -> tuple[gpd.GeoDataFrame | None, Report]:
    """Check an incidents layer and, with *jurisdictions*, find each one's jurisdiction.

    Rules: ``id`` required, unique; ``hazard`` required, one of
    :data:`mutualaid.settings.HAZARDS` or a well-formed new one (warning);
    ``severity`` required, a whole number 1..5; ``status`` active, contained or
    closed (default active); ``reported_at`` required, ISO 8601; ``needs`` an object
    of whole units >= 0 (zero entries dropped); ``max_response_min`` optional, > 0;
    ``sharing`` optional, public, partners or owner; ``name`` optional. Geometry:
    Point, Polygon or MultiPolygon; a polygon's representative point gives
    ``lon``/``lat``.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The layer with canonical column names.
    jurisdictions : geopandas.GeoDataFrame, optional
        Canonical jurisdictions; without them ``jurisdiction`` is None everywhere.
    source : str
        The file name, for the report.

    Returns
    -------
    frame : geopandas.GeoDataFrame or None
    report : Report
    """
    frame, report, chk = _prepared(frame, "incidents", source)
    if chk.n == 0:
        chk.file("the layer has no features", severity="warning")
    for field, what in (
        ("id", "each incident's unique id"),
        ("hazard", "flood, wildfire, earthquake..."),
        ("severity", "a whole number from 1 to 5"),
        ("reported_at", "an ISO 8601 date-time"),
    ):
        checks.required_column(chk, frame, field, what=what)
    ids = checks.id_column(chk, _column(frame, "id"))
    names = checks.name_column(chk, _column(frame, "name"), ids)
    hazards = checks.key_column(
        chk, _column(frame, "hazard"), field="hazard", known=HAZARDS, what="hazard"
    )
    severity = checks.integer_column(
        chk,
        _column(frame, "severity"),
        field="severity",
        lo=SEVERITY_MIN,
        hi=SEVERITY_MAX,
        required=True,
    )
    status = checks.enum_column(
        chk,
        _column(frame, "status"),
        field="status",
        allowed=INCIDENT_STATUSES,
        default=INCIDENT_STATUSES[0],
    )
    reported = checks.datetime_column(chk, _column(frame, "reported_at"), field="reported_at")
    needs = _needs_column(chk, _column(frame, "needs"))
    max_response = checks.real_column(
        chk,
        _column(frame, "max_response_min"),
        field="max_response_min",
        rule="a number of minutes greater than 0",
        accept=lambda v: v > 0,
        required=False,
    )
    geoms = _geometry_of(frame, chk)
    lon = lat = np.full(chk.n, np.nan)
    if geoms is not None:
        geoms, _ = checks.geometry_column(
            chk,
            geoms,
            allowed=("Point", "Polygon", "MultiPolygon"),
            what="an incident is a point or an area",
        )
        lon, lat = checks.location(geoms)
    data = {
        "id": _object(ids),
        "name": _object(names),
        "hazard": _object(hazards),
        "severity": severity,
        "status": _object(status),
        "reported_at": reported,
        "needs": _object(needs),
        "max_response_min": max_response,
        "jurisdiction": _object([None] * chk.n),
        "lon": lon,
        "lat": lat,
        "sharing": _object(_sharing_column(chk, _column(frame, "sharing"))),
    }
    _join(chk, data, jurisdictions, kind="incidents")
    extras = _extras(frame, FIELDS["incidents"], INCIDENT_COLUMNS)
    return _finish(report, chk, data, columns=INCIDENT_COLUMNS, extras=extras, geometry=geoms)


def _join(
    chk: Checker, data: dict[str, Any], jurisdictions: gpd.GeoDataFrame | None, *, kind: str
) -> None:
    """Fill ``data["jurisdiction"]`` by the spatial join (rows with a location only)."""
    if jurisdictions is None or len(jurisdictions) == 0:
        return
    located = pd.DataFrame(
        {
            "id": data["id"],
            "jurisdiction": data["jurisdiction"],
            "lon": data["lon"],
            "lat": data["lat"],
        }
    )
    joined, problems = assign_jurisdictions(located, jurisdictions, kind=kind)
    data["jurisdiction"] = _object(joined["jurisdiction"].tolist())
    chk.problems.extend(problems)


# --- Resources ---------------------------------------------------------------------------


def validate_resources(
    frame: pd.DataFrame, *, jurisdictions: gpd.GeoDataFrame | None = None, source: str = ""
) -> tuple[gpd.GeoDataFrame | None, Report]:
    """Check a resources layer and, with *jurisdictions*, find each owner.

    Rules: ``id`` required, unique; ``type`` required, a resource type key (known
    types from :data:`mutualaid.settings.RESOURCE_TYPES`, a well-formed new one
    with a warning); ``quantity`` a whole number >= 1 (default 1); ``status``
    available, assigned or out_of_service (default available); ``jurisdiction``
    optional, and when *jurisdictions* are given it must be one of their ids (else
    the jurisdiction containing the point); ``speed_kmh`` optional, > 0; ``name``
    optional; ``sharing`` optional, public, partners or owner. Geometry: Point.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The layer with canonical column names.
    jurisdictions : geopandas.GeoDataFrame, optional
        Canonical jurisdictions.
    source : str
        The file name, for the report.

    Returns
    -------
    frame : geopandas.GeoDataFrame or None
    report : Report
    """
    frame, report, chk = _prepared(frame, "resources", source)
    if chk.n == 0:
        chk.file("the layer has no features", severity="warning")
    checks.required_column(chk, frame, "id", what="each resource's unique id")
    checks.required_column(chk, frame, "type", what="ambulance, boat, fire_engine...")
    ids = checks.id_column(chk, _column(frame, "id"))
    names = checks.name_column(chk, _column(frame, "name"), ids)
    types = checks.key_column(
        chk, _column(frame, "type"), field="type", known=RESOURCE_TYPES, what="resource type"
    )
    quantity = checks.integer_column(
        chk,
        _column(frame, "quantity"),
        field="quantity",
        lo=1,
        hi=MAX_UNITS,
        required=False,
        default=1,
    )
    status = checks.enum_column(
        chk,
        _column(frame, "status"),
        field="status",
        allowed=RESOURCE_STATUSES,
        default=RESOURCE_STATUSES[0],
    )
    owners = _owner_column(chk, _column(frame, "jurisdiction"), jurisdictions)
    speed = checks.real_column(
        chk,
        _column(frame, "speed_kmh"),
        field="speed_kmh",
        rule="a speed in km/h greater than 0",
        accept=lambda v: v > 0,
        required=False,
    )
    geoms = _geometry_of(frame, chk)
    lon = lat = np.full(chk.n, np.nan)
    if geoms is not None:
        geoms, _ = checks.geometry_column(
            chk, geoms, allowed=("Point",), what="a resource is stationed at a point"
        )
        lon, lat = checks.location(geoms)
    data = {
        "id": _object(ids),
        "name": _object(names),
        "type": _object(types),
        "quantity": quantity,
        "status": _object(status),
        "jurisdiction": _object(owners),
        "speed_kmh": speed,
        "lon": lon,
        "lat": lat,
        "sharing": _object(_sharing_column(chk, _column(frame, "sharing"))),
    }
    _join(chk, data, jurisdictions, kind="resources")
    extras = _extras(frame, FIELDS["resources"], RESOURCE_COLUMNS)
    return _finish(report, chk, data, columns=RESOURCE_COLUMNS, extras=extras, geometry=geoms)


def _owner_column(
    chk: Checker, series: pd.Series | None, jurisdictions: gpd.GeoDataFrame | None
) -> list[str | None]:
    """A resource's given jurisdiction; with a jurisdictions layer it must be one of
    its ids (matched ignoring case when that is unambiguous)."""
    if series is None:
        return [None] * chk.n
    values = checks.as_text(series)
    lookup = _jurisdiction_lookup(jurisdictions)
    if lookup is None:
        return values
    out: list[str | None] = []
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
            continue
        found = _find(lookup, v)
        if found is None:
            chk.at(
                i,
                f"jurisdiction {v!r} is not in the jurisdictions layer; give the id of "
                "a jurisdiction, or leave it empty to use the one containing the point",
                field="jurisdiction",
            )
        out.append(found)
    return out


# --- Agreements ----------------------------------------------------------------------------


def _side_column(
    chk: Checker, series: pd.Series | None, *, field: str, jurisdictions: gpd.GeoDataFrame | None
) -> list[str | None]:
    """``from``/``to``: ``*``, a jurisdiction id or a country code. With a jurisdictions
    layer an id or code it does not have is an error; ids are stored in the layer's
    spelling and country codes in upper case."""
    if series is None:
        return [None] * chk.n
    raw = series.tolist()
    values = checks.as_text(series)
    lookup = _jurisdiction_lookup(jurisdictions)
    countries: set[str] = set()
    if jurisdictions is not None and "country" in jurisdictions.columns:
        countries = {str(c).upper() for c in jurisdictions["country"].tolist() if c}
    side = "providing" if field == "from" else "receiving"
    out: list[str | None] = []
    for i, v in enumerate(values):
        if v is None:
            chk.at(
                i,
                f"{field} is required: the {side} jurisdiction id, a country code, or * for any",
                field=field,
            )
            out.append(None)
        elif v == WILDCARD:
            out.append(WILDCARD)
        elif lookup is None:
            out.append(v)
        elif (found := _find(lookup, v)) is not None:
            out.append(found)
        elif v.upper() in countries:
            out.append(v.upper())
        else:
            chk.at(
                i,
                f"{field}: no jurisdiction or country {checks.shown(raw[i])} in the "
                "jurisdictions layer",
                field=field,
            )
            out.append(None)
    return out


def _types_column(chk: Checker, series: pd.Series | None) -> list[tuple[str, ...] | None]:
    """``resource_types``: ``*`` or type keys separated by ``;``."""
    if series is None:
        return [None] * chk.n
    raw = series.tolist()
    out: list[tuple[str, ...] | None] = []
    new: dict[str, list[int]] = {}
    for i, text in enumerate(checks.as_text(series)):
        if text is None:
            chk.at(
                i,
                "resource_types is required: * for every type, or types separated by ; "
                "such as boat;pump",
                field="resource_types",
            )
            out.append(None)
            continue
        parts = [type_key(p) for p in text.split(";") if p.strip()]
        if WILDCARD in parts:
            if len(parts) > 1:
                chk.at(
                    i,
                    f"resource_types {checks.shown(raw[i])} mixes * with named types; "
                    "* (every type) was used",
                    field="resource_types",
                    severity="warning",
                )
            out.append((WILDCARD,))
            continue
        bad = [p for p in parts if not checks.is_key(p)]
        if bad or not parts:
            hint = " (separate types with ;)" if any("," in p for p in bad) else ""
            chk.at(
                i,
                f"resource_types must be * or resource types separated by ; such as "
                f"boat;pump, got {checks.shown(raw[i])}{hint}",
                field="resource_types",
            )
            out.append(None)
            continue
        unique = tuple(dict.fromkeys(parts))
        for p in unique:
            if p not in RESOURCE_TYPES:
                new.setdefault(p, []).append(i)
        out.append(unique)
    for key, positions in new.items():
        chk.group(
            positions,
            f"resource type {key!r} is not a known type"
            f"{checks.did_you_mean(key, RESOURCE_TYPES)}; accepted as a new type",
            field="resource_types",
            severity="warning",
        )
    return out


def _overlapping_rows(
    chk: Checker, froms: Sequence[Any], tos: Sequence[Any], types: Sequence[Any], delays: np.ndarray
) -> None:
    """Warn about rows that grant the same permission twice (same from and to,
    overlapping types): the smallest delay applies."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (f, t, k) in enumerate(zip(froms, tos, types)):
        if f is not None and t is not None and k is not None:
            groups[(f, t)].append(i)
    for (f, t), rows in groups.items():
        for a_pos, a in enumerate(rows):
            for b in rows[a_pos + 1 :]:
                ta, tb = set(types[a]), set(types[b])
                if WILDCARD in ta and WILDCARD in tb:
                    what = "every type"
                elif WILDCARD in ta or WILDCARD in tb:
                    what = ", ".join(types[b] if WILDCARD in ta else types[a])
                elif ta & tb:
                    what = ", ".join(sorted(ta & tb))
                else:
                    continue
                smallest = min(delays[a], delays[b])
                chk.at(
                    b,
                    f"rows {a + 1} and {b + 1} both allow {what} from {f} to {t}; the "
                    f"smaller border delay ({smallest:g} min) is used",
                    field="resource_types",
                    severity="warning",
                )


def validate_agreements(
    frame: pd.DataFrame, *, jurisdictions: gpd.GeoDataFrame | None = None, source: str = ""
) -> tuple[pd.DataFrame | None, Report]:
    """Check an agreements table (one row per directed permission).

    Rules: ``from`` and ``to`` required, each ``*``, a jurisdiction id or a country
    code (checked against *jurisdictions* when given); ``resource_types`` required,
    ``*`` or ``;``-separated type keys; ``border_delay_min`` a number >= 0 (default
    0). Rows granting the same permission twice are a warning (the smallest delay
    is used, contract section 2); a row from a jurisdiction to itself changes
    nothing and is a warning too.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table with canonical column names (any geometry is ignored).
    jurisdictions : geopandas.GeoDataFrame, optional
        Canonical jurisdictions.
    source : str
        The file name, for the report.

    Returns
    -------
    frame : pandas.DataFrame or None
    report : Report
    """
    frame, report, chk = _prepared(frame, "agreements", source)
    if chk.n == 0:
        chk.file("the table has no rows: no help can cross a border", severity="warning")
    checks.required_column(chk, frame, "from", what="the providing side")
    checks.required_column(chk, frame, "to", what="the receiving side")
    checks.required_column(chk, frame, "resource_types", what="* or types separated by ;")
    froms = _side_column(chk, _column(frame, "from"), field="from", jurisdictions=jurisdictions)
    tos = _side_column(chk, _column(frame, "to"), field="to", jurisdictions=jurisdictions)
    types = _types_column(chk, _column(frame, "resource_types"))
    delays = checks.real_column(
        chk,
        _column(frame, "border_delay_min"),
        field="border_delay_min",
        rule="a number of minutes, 0 or more",
        accept=lambda v: v >= 0,
        required=False,
        default=0.0,
    )
    lookup = _jurisdiction_lookup(jurisdictions) or {}
    for i, (f, t) in enumerate(zip(froms, tos)):
        if f is not None and f == t and f != WILDCARD and f in lookup.values():
            chk.at(
                i,
                f"from and to are both {f}: a jurisdiction always serves itself, so "
                "this row changes nothing",
                field="to",
                severity="warning",
            )
    _overlapping_rows(chk, froms, tos, types, delays)
    data = {
        "from": _object(froms),
        "to": _object(tos),
        "resource_types": _object(types),
        "border_delay_min": delays,
    }
    extras = _extras(frame, FIELDS["agreements"], AGREEMENT_COLUMNS)
    return _finish(report, chk, data, columns=AGREEMENT_COLUMNS, extras=extras)


# --- Travel times --------------------------------------------------------------------------


def validate_travel_times(
    frame: pd.DataFrame,
    *,
    source: str = "",
    resource_ids: Iterable[str] | None = None,
    incident_ids: Iterable[str] | None = None,
) -> tuple[pd.DataFrame | None, Report]:
    """Check a travel-times table from a routing engine.

    Rules: ``resource_id`` and ``incident_id`` required; ``minutes`` required, a
    number >= 0; each pair at most once. With *resource_ids* / *incident_ids* (the
    scenario's), an id that is not among them is an error: its pair would be
    silently unused and the real pair unreachable.

    Returns
    -------
    frame : pandas.DataFrame or None
    report : Report
    """
    frame, report, chk = _prepared(frame, "travel_times", source)
    if chk.n == 0:
        chk.file("the table has no rows: every pair would be unreachable", severity="warning")
    data: dict[str, Any] = {}
    for field, ids, what in (
        ("resource_id", resource_ids, "resource"),
        ("incident_id", incident_ids, "incident"),
    ):
        checks.required_column(chk, frame, field, what=f"the {what}'s id")
        values = checks.as_text(frame[field]) if field in frame.columns else [None] * chk.n
        if field in frame.columns:
            for missing in np.flatnonzero([v is None for v in values]):
                chk.at(int(missing), f"{field} is required", field=field)
        if ids is not None and field in frame.columns:
            known = {str(v) for v in ids}
            unknown: dict[str, list[int]] = defaultdict(list)
            for i, v in enumerate(values):
                if v is not None and v not in known:
                    unknown[v].append(i)
            for v, positions in unknown.items():
                chk.group(
                    positions,
                    f"{field} {v!r} is not {'an' if what[0] in 'aeiou' else 'a'} "
                    f"{what} of the scenario (its travel times would never "
                    "be used)",
                    field=field,
                )
        data[field] = _object(values)
    checks.required_column(chk, frame, "minutes", what="the travel time in minutes")
    data["minutes"] = checks.real_column(
        chk,
        _column(frame, "minutes"),
        field="minutes",
        rule="a number of minutes, 0 or more",
        accept=lambda v: v >= 0,
        required=True,
    )
    pairs = pd.DataFrame({"r": data["resource_id"], "i": data["incident_id"]})
    complete = pairs.notna().all(axis=1)
    dup = complete & pairs.duplicated(keep=False)
    if dup.any():
        for (r, inc), members in pd.Series(np.flatnonzero(dup.to_numpy())).groupby(
            [pairs["r"][dup].to_numpy(), pairs["i"][dup].to_numpy()], sort=False
        ):
            positions = members.tolist()
            chk.at(
                positions[1],
                f"the pair resource {r} to incident {inc} is listed "
                f"{len(positions)} times (rows "
                f"{', '.join(str(p + 1) for p in positions[:8])}); "
                "give each pair once",
                field="resource_id",
            )
    extras = _extras(frame, FIELDS["travel_times"], TRAVEL_TIME_COLUMNS)
    return _finish(report, chk, data, columns=TRAVEL_TIME_COLUMNS, extras=extras)


# --- Any kind ------------------------------------------------------------------------------


def validate_layer(
    frame: pd.DataFrame,
    *,
    kind: str,
    jurisdictions: gpd.GeoDataFrame | None = None,
    source: str = "",
    resource_ids: Iterable[str] | None = None,
    incident_ids: Iterable[str] | None = None,
) -> tuple[pd.DataFrame | None, Report]:
    """Run the validator of *kind* (jurisdictions, incidents, resources, agreements,
    travel_times). *jurisdictions* is used by the kinds that refer to them; the id
    sets by travel times."""
    if kind == "jurisdictions":
        return validate_jurisdictions(frame, source=source)
    if kind == "incidents":
        return validate_incidents(frame, jurisdictions=jurisdictions, source=source)
    if kind == "resources":
        return validate_resources(frame, jurisdictions=jurisdictions, source=source)
    if kind == "agreements":
        return validate_agreements(frame, jurisdictions=jurisdictions, source=source)
    if kind == "travel_times":
        return validate_travel_times(
            frame, source=source, resource_ids=resource_ids, incident_ids=incident_ids
        )
    raise ValueError(f"unknown layer kind {kind!r}")
