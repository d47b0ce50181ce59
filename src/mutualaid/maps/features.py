"""GeoDataFrames turned into GeoJSON dicts that are safe to embed in a map.

The dicts are built here rather than by ``__geo_interface__`` so that the map never
sees a file's own property names or raw values:

* each feature's ``id`` is its row position (``"0"``, ``"1"``...), which folium uses to
  look up styles, and which :mod:`mutualaid.maps.events` maps back to the row;
* property keys are fixed names chosen by the caller (never a file's column name,
  which folium would otherwise write into JavaScript);
* property values are HTML-escaped text (:func:`mutualaid.display.html_text`), since
  folium's GeoJson tooltips insert them as HTML.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping

from mutualaid.display import html_text

Formatter = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Field:
    """One value shown for each feature.

    Parameters
    ----------
    key : str
        The property name in the embedded GeoJSON: fixed by the code, a plain
        identifier.
    column : str
        The frame's column; a missing column shows as empty text.
    label : str
        What people read next to the value (escaped before use).
    format : callable, optional
        Turns the cell into something :func:`display_text` renders better, e.g. a
        share as a percentage.
    """

    key: str
    column: str
    label: str
    format: Formatter | None = None

    def __post_init__(self) -> None:
        # folium writes property names into JavaScript: only plain identifiers.
        if not self.key.isidentifier() or not self.key.isascii():
            raise ValueError(f"field keys must be plain identifiers, got {self.key!r}")


def formatted(value: Any, field: Field) -> Any:
    """The cell passed through the field's formatter (unchanged when it has none or
    the formatter cannot handle the value: better shown raw than fail the map)."""
    if field.format is None:
        return value
    try:
        return field.format(value)
    except (TypeError, ValueError, ArithmeticError):
        return value


def escaped_columns(frame: gpd.GeoDataFrame, fields: Sequence[Field]) -> dict[str, list[str]]:
    """Each field's values for every row, as escaped text (a missing column: ``""``)."""
    columns = {}
    for field in fields:
        if field.column in frame.columns:
            values = frame[field.column].tolist()
            if field.format is None:
                # Text is the common case: escape it directly (display_text keeps a
                # str as it is), which halves the time of a 15,000-point map.
                columns[field.key] = [
                    html.escape(v, quote=True) if type(v) is str else html_text(v) for v in values
                ]
            else:
                columns[field.key] = [html_text(formatted(v, field)) for v in values]
        else:
            columns[field.key] = [""] * len(frame)
    return columns


def _properties(columns: dict[str, list[str]], row: int) -> dict[str, str]:
    return {key: values[row] for key, values in columns.items()}


def point_collection(
    frame: gpd.GeoDataFrame, *, fields: Sequence[Field], decimals: int
) -> dict[str, Any]:
    """A FeatureCollection of points taken from the frame's ``lon``/``lat`` columns.

    Rows without both coordinates are left out (they cannot be drawn).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Canonical incidents or resources (``lon``, ``lat`` in EPSG:4326).
    fields : sequence of Field
        The properties to embed, escaped.
    decimals : int
        Coordinates are rounded to this many decimals.

    Returns
    -------
    dict
        GeoJSON; each feature's ``id`` is the row position as text.
    """
    lons = _coordinate(frame, "lon", "x")
    lats = _coordinate(frame, "lat", "y")
    columns = escaped_columns(frame, fields)
    features = []
    for row in range(len(frame)):
        lon, lat = lons[row], lats[row]
        if not (np.isfinite(lon) and np.isfinite(lat)):
            continue
        features.append(
            {
                "type": "Feature",
                "id": str(row),
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(float(lon), decimals), round(float(lat), decimals)],
                },
                "properties": _properties(columns, row),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def point_coordinates(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's longitude and latitude as :func:`point_collection` places it (the
    ``lon``/``lat`` columns, else the geometry; NaN when neither)."""
    return _coordinate(frame, "lon", "x"), _coordinate(frame, "lat", "y")


def _coordinate(frame: gpd.GeoDataFrame, column: str, axis: str) -> np.ndarray:
    """The ``lon``/``lat`` column, else the point geometry's x/y (NaN when neither)."""
    if column in frame.columns:
        return np.asarray(frame[column], dtype="float64")
    try:
        geoms = frame.geometry.to_numpy()
    except AttributeError:  # no geometry column at all
        return np.full(len(frame), np.nan)
    points = shapely.point_on_surface(geoms)
    return shapely.get_x(points) if axis == "x" else shapely.get_y(points)


def shape_collection(
    frame: gpd.GeoDataFrame, *, fields: Sequence[Field], decimals: int, simplify: float = 0.0
) -> dict[str, Any]:
    """A FeatureCollection of the frame's geometries (polygons), simplified and rounded.

    Rows with a missing or empty geometry are left out.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        In EPSG:4326.
    fields : sequence of Field
        The properties to embed, escaped.
    decimals : int
        Coordinates are rounded to this many decimals.
    simplify : float, default 0
        Douglas-Peucker tolerance in degrees (topology preserved); 0 keeps every vertex.
    """
    geoms = frame.geometry.to_numpy()
    if simplify > 0:
        geoms = shapely.simplify(geoms, simplify, preserve_topology=True)
    geoms = shapely.set_precision(geoms, 10.0**-decimals, mode="pointwise")
    columns = escaped_columns(frame, fields)
    features = []
    for row, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "id": str(row),
                "geometry": mapping(geom),
                "properties": _properties(columns, row),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def shown_labels(fields: Sequence[Field]) -> list[str]:
    """The fields' labels, escaped, for a tooltip's aliases."""
    return [html_text(field.label) for field in fields]
