"""Place names for a scenario's maps, from the city data the project ships.

The sample scenarios are built from GeoNames' ``cities15000`` cut to their regions
(``data/reference/*_cities.geojson``, see ``data/reference/SOURCES.md``); a scenario
folder does not name its reference file, so the maps take every shipped city that lies
inside the scenario's jurisdictions. A scenario elsewhere simply gets no town names
(its jurisdictions' names are still drawn). Nothing is fetched: the files are read
once per process from :data:`mutualaid.settings.REFERENCE_DATA_DIR`.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mutualaid.settings import MAX_PLACE_LABELS, PLACE_FILES_GLOB, REFERENCE_DATA_DIR

_LOG = logging.getLogger(__name__)

#: The columns of :func:`places_within`.
PLACE_COLUMNS: tuple[str, ...] = ("name", "population", "geometry")


def _read(path: Path) -> list[tuple[str, int, float, float]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for feature in data.get("features", []):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        coords = geometry.get("coordinates")
        name = props.get("name")
        if geometry.get("type") != "Point" or not isinstance(name, str) or not coords:
            continue
        try:
            population = int(props.get("population") or 0)
            lon, lat = float(coords[0]), float(coords[1])
        except (TypeError, ValueError):
            continue
        rows.append((name, population, lon, lat))
    return rows


@functools.lru_cache(maxsize=4)
def shipped_places(folder: Path = REFERENCE_DATA_DIR) -> gpd.GeoDataFrame:
    """Every town of the shipped city files in *folder*, most populous first.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``population``, point ``geometry`` (EPSG:4326); empty when there are
        no such files (an installed package without the data folder).
    """
    rows: list[tuple[str, int, float, float]] = []
    for path in sorted(folder.glob(PLACE_FILES_GLOB)) if folder.is_dir() else []:
        try:
            rows.extend(_read(path))
        except (OSError, ValueError) as exc:
            _LOG.warning("place names of %s not read: %s", path, exc)
    frame = pd.DataFrame(rows, columns=["name", "population", "lon", "lat"])
    frame = frame.drop_duplicates(["name", "lon", "lat"])
    frame = frame.sort_values(["population", "name"], ascending=[False, True], kind="stable")
    return gpd.GeoDataFrame(
        frame[["name", "population"]].reset_index(drop=True),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs="EPSG:4326",
    )


def places_within(
    jurisdictions: gpd.GeoDataFrame,
    *,
    folder: Path = REFERENCE_DATA_DIR,
    limit: int = MAX_PLACE_LABELS,
) -> gpd.GeoDataFrame:
    """The shipped towns inside *jurisdictions*, most populous first, at most *limit*.

    Parameters
    ----------
    jurisdictions : geopandas.GeoDataFrame
        The scenario's jurisdictions (EPSG:4326).
    folder : pathlib.Path
        Where the ``*_cities.geojson`` files are.
    limit : int
        Most towns returned.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`PLACE_COLUMNS`; empty when no shipped town lies inside.

    Examples
    --------
    >>> places_within(rhine.jurisdictions).name.head(3).tolist()  # doctest: +SKIP
    ['Köln', 'Frankfurt am Main', 'Stuttgart']
    """
    places = shipped_places(folder)
    if not len(places) or jurisdictions is None or not len(jurisdictions):
        return places.iloc[0:0][list(PLACE_COLUMNS)]
    outlines = jurisdictions[["geometry"]].to_crs("EPSG:4326")
    outlines = outlines[outlines.geometry.notna() & ~outlines.geometry.is_empty]
    inside = gpd.sjoin(places, outlines, predicate="within", how="inner")
    inside = inside[~inside.index.duplicated()].sort_index()
    return inside[list(PLACE_COLUMNS)].head(limit).reset_index(drop=True)


__all__ = ["PLACE_COLUMNS", "places_within", "shipped_places"]
