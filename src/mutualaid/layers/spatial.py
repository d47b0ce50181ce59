"""Which jurisdiction each incident and resource is in.

A point-in-polygon join (``geopandas.sjoin`` with ``predicate="within"``, which
uses a spatial index and prepared polygons: 100,000 points into 300 detailed
outlines in about 0.2 s here) finds the containing jurisdiction. A point exactly
on a shared border is *within* neither outline, so the few points left over are
tried again with ``intersects``; when several jurisdictions qualify (a border
point, overlapping outlines) the one whose id sorts first is taken, so the answer
never depends on file order.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from mutualaid.layers.problems import Problem

_OUTSIDE = "outside every jurisdiction: takes no part in the plan"


def locate(lon: np.ndarray, lat: np.ndarray, jurisdictions: gpd.GeoDataFrame) -> np.ndarray:
    """The id of the jurisdiction containing each point, None where there is none.

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Coordinates in EPSG:4326; NaN rows are never inside.
    jurisdictions : geopandas.GeoDataFrame
        Canonical jurisdictions (``id``, ``geometry``).

    Returns
    -------
    numpy.ndarray of object
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    result = np.full(len(lon), None, dtype=object)
    finite = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if finite.size == 0 or jurisdictions is None or len(jurisdictions) == 0:
        return result
    areas = gpd.GeoDataFrame(
        {"_jid": jurisdictions["id"].astype(object).to_numpy()},
        geometry=jurisdictions.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    areas = areas[areas.geometry.notna() & ~areas.geometry.is_empty]
    points = gpd.GeoDataFrame(
        {"_pos": finite},
        geometry=gpd.points_from_xy(lon[finite], lat[finite]),
        crs="EPSG:4326",
    )
    found = _first_by_id(gpd.sjoin(points, areas, how="inner", predicate="within"))
    left = points[~points["_pos"].isin(found.index)]
    if len(left):
        # Points on a border line: within no outline, but touching one or more.
        border = _first_by_id(gpd.sjoin(left, areas, how="inner", predicate="intersects"))
        found = pd.concat([found, border])
    result[found.index.to_numpy(dtype=np.int64)] = found.to_numpy(dtype=object)
    return result


def _first_by_id(joined: pd.DataFrame) -> pd.Series:
    """One jurisdiction id per point position: the smallest id when several match."""
    if joined.empty:
        return pd.Series([], index=pd.Index([], dtype=np.int64), dtype=object)
    pairs = pd.DataFrame(
        {"pos": joined["_pos"].to_numpy(), "jid": joined["_jid"].astype(str).to_numpy()}
    )
    pairs = pairs.sort_values(["pos", "jid"], kind="stable").drop_duplicates("pos")
    return pd.Series(pairs["jid"].to_numpy(dtype=object), index=pairs["pos"].to_numpy())


def assign_jurisdictions(
    frame: gpd.GeoDataFrame, jurisdictions: gpd.GeoDataFrame, *, kind: str
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Fill each feature's ``jurisdiction`` from the one containing its location.

    Incidents always take the jurisdiction containing their point (a polygon's
    representative point, already in ``lon``/``lat``). Resources keep the
    jurisdiction the file gives them, even when their point lies elsewhere (units
    stationed abroad are normal); only those without one get the containing
    jurisdiction. A feature left without a jurisdiction is a warning: it takes no
    part in the plan (contract, section 2). When swapping its latitude and
    longitude would put it inside a jurisdiction, the warning says so.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        A canonical incidents or resources frame (``id``, ``jurisdiction``,
        ``lon``, ``lat``), rows in file order.
    jurisdictions : geopandas.GeoDataFrame
        Canonical jurisdictions.
    kind : {"incidents", "resources"}

    Returns
    -------
    frame : geopandas.GeoDataFrame
        A copy with ``jurisdiction`` filled in (None where outside every one).
    problems : list of Problem
        One warning per feature outside every jurisdiction.
    """
    if kind not in ("incidents", "resources"):
        raise ValueError(f"only incidents and resources have a jurisdiction, not {kind}")
    out = frame.copy()
    lon = out["lon"].to_numpy(dtype=float)
    lat = out["lat"].to_numpy(dtype=float)
    current = (
        out["jurisdiction"].astype(object).to_numpy()
        if "jurisdiction" in out.columns
        else np.full(len(out), None, dtype=object)
    )
    given = np.fromiter((_present(v) for v in current), dtype=bool, count=len(out))
    if kind == "incidents":
        given[:] = False
    todo = np.flatnonzero(~given)
    assigned = np.asarray(current, dtype=object).copy()
    assigned[~given] = None
    assigned[todo] = locate(lon[todo], lat[todo], jurisdictions)
    out["jurisdiction"] = pd.Series(assigned, index=out.index, dtype=object)

    problems: list[Problem] = []
    located = np.isfinite(lon) & np.isfinite(lat)
    outside = np.flatnonzero(located & ~given & pd.isna(assigned))
    if outside.size:
        with np.errstate(invalid="ignore"):
            swappable = (np.abs(lat[outside]) <= 180) & (np.abs(lon[outside]) <= 90)
        swapped = np.full(outside.size, None, dtype=object)
        swapped[swappable] = locate(lat[outside][swappable], lon[outside][swappable], jurisdictions)
        ids = out["id"].astype(object).to_numpy()
        for pos, alt in zip(outside, swapped):
            msg = f"longitude {lon[pos]:g}, latitude {lat[pos]:g} is {_OUTSIDE}"
            if alt is not None:
                msg += (
                    f" (with latitude and longitude swapped it would be in {alt}: "
                    "check the order of the coordinates)"
                )
            problems.append(
                Problem(msg, "warning", int(pos) + 1, _text_or_none(ids[pos]), "geometry")
            )
    return out, problems


def _present(value: Any) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and np.isnan(value))
        and value is not pd.NA
        and str(value).strip() != ""
    )


def _text_or_none(value: Any) -> str | None:
    return str(value) if _present(value) else None
