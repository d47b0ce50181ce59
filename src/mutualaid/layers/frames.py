"""Shared finishing of a read layer: one frame, 2D geometries, EPSG:4326, finite coordinates.

Every reader (:mod:`mutualaid.layers.readers`, :mod:`mutualaid.layers.kml`,
:mod:`mutualaid.layers.csvfile`) ends with these steps so that the frames they
return look alike whatever the format.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from mutualaid.errors import LayerError
from mutualaid.layers.geojson import RENAMED_GEOMETRY_FIELD
from mutualaid.layers.problems import Problem


def short_error(exc: BaseException) -> str:
    """An exception's message, short, without the SQL statement GDAL quotes for SQLite."""
    text = str(exc).strip() or type(exc).__name__
    if "failed: " in text:
        text = text.rsplit("failed: ", 1)[1]
    return text if len(text) <= 300 else text[:297] + "..."


def feature_id(frame: pd.DataFrame, row: int) -> str | None:
    if "id" not in frame.columns:
        return None
    value = frame["id"].iloc[row]
    if value is None or (np.isscalar(value) and pd.isna(value)):
        return None
    return str(value)


def finish_frame(
    frame: gpd.GeoDataFrame, problems: list[Problem], *, crs: Any, crs_origin: str
) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 and refuse coordinates that are not finite.

    ``crs`` is what the file declared (None when nothing); ``crs_origin`` names where
    it came from for the warning ("the .prj file", "the GeoPackage").
    """
    if crs is None:
        frame = frame.set_crs(4326, allow_override=True)
    else:
        try:
            declared = CRS.from_user_input(crs)
        except CRSError:
            raise LayerError(
                f"the coordinate reference system in {crs_origin} is not "
                f"understood; save the layer in EPSG:4326"
            ) from None
        frame = frame.set_crs(declared, allow_override=True)
        if not declared.equals(CRS.from_epsg(4326), ignore_axis_order=True):
            code = declared.to_epsg()
            label = f"EPSG:{code}" if code else repr(declared.name)
            try:
                frame = frame.to_crs(4326)
            except (CRSError, ValueError) as exc:
                raise LayerError(
                    f"the coordinates cannot be converted from {label} to "
                    f"EPSG:4326: {short_error(exc)}"
                ) from None
            problems.append(
                Problem(
                    f"coordinates were reprojected from {label} ({crs_origin}) to EPSG:4326 "
                    f"(longitude, latitude)",
                    "warning",
                    field="geometry",
                )
            )
        else:
            frame = frame.set_crs(4326, allow_override=True)
    drop_nonfinite(frame, problems)
    return frame


def drop_nonfinite(frame: gpd.GeoDataFrame, problems: list[Problem]) -> None:
    coords, index = shapely.get_coordinates(frame.geometry.values, return_index=True)
    bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
    if not bad.size:
        return
    frame.loc[bad, frame.geometry.name] = None
    for row in bad.tolist():
        problems.append(
            Problem(
                "the geometry has coordinates that are not finite numbers (NaN or infinite, or "
                "outside the area of the file's projection)",
                "error",
                row + 1,
                feature_id(frame, row),
                "geometry",
            )
        )


def geo_frame(columns: dict[str, Any] | pd.DataFrame, geometries: Any, n: int) -> gpd.GeoDataFrame:
    """Attributes and 2D geometries (coordinates beyond x and y dropped) in one frame."""
    attributes = pd.DataFrame(columns, index=pd.RangeIndex(n))
    if "geometry" in attributes.columns:
        # A field called "geometry" would collide with the geometry column.
        attributes = attributes.rename(columns={"geometry": RENAMED_GEOMETRY_FIELD})
    geometries = shapely.force_2d(np.asarray(geometries, dtype=object))
    return gpd.GeoDataFrame(attributes, geometry=gpd.GeoSeries(geometries, index=attributes.index))
