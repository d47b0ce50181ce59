"""What the user clicked on the map, from the dict ``st_folium`` returns.

A plain function of that dict and the layers, so it can be tested without a browser
(AppTest cannot click inside a component). streamlit-folium reports a click on a
feature as ``last_object_clicked`` (``{"lat": .., "lng": ..}``) and the clicked
feature's tooltip text as ``last_object_clicked_tooltip``:

* a CircleMarker of radius up to 10 px reports its own coordinates (Leaflet), so a
  point is found by exact position; when several share it, the tooltip text (which
  shows the id) tells them apart;
* a polygon reports where the mouse was, so a jurisdiction is the one containing it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely

from mutualaid import vocabulary
from mutualaid.display import display_text
from mutualaid.maps import palette
from mutualaid.maps.features import Field, formatted
from mutualaid.maps.layers import INCIDENT_FIELDS, JURISDICTION_FIELDS, RESOURCE_FIELDS

Kind = Literal["incident", "resource", "jurisdiction"]

#: How close (degrees) a click must be to a point's stored coordinates; the map rounds
#: them to ``palette.POINT_DECIMALS`` decimals.
POINT_TOLERANCE_DEG: float = 1.5 * 10.0**-palette.POINT_DECIMALS

#: The ``returned_objects`` the overview page asks st_folium for.
CLICK_OBJECTS: tuple[str, ...] = ("last_object_clicked", "last_object_clicked_tooltip")


@dataclass(frozen=True, slots=True)
class Selection:
    """A feature the user clicked.

    Parameters
    ----------
    kind : {"incident", "resource", "jurisdiction"}
    row : int
        Its position in that layer's frame.
    id : str
        Its ``id`` as text.
    """

    kind: Kind
    row: int
    id: str


def _clicked_point(returned: Mapping[str, Any] | None) -> tuple[float, float] | None:
    if not isinstance(returned, Mapping):
        return None
    clicked = returned.get("last_object_clicked")
    if not isinstance(clicked, Mapping):
        return None
    try:
        lat, lng = float(clicked["lat"]), float(clicked["lng"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (np.isfinite(lat) and np.isfinite(lng)):
        return None
    return lat, lng


def _ids(frame: gpd.GeoDataFrame) -> list[str]:
    if "id" in frame.columns:
        return [display_text(v) for v in frame["id"]]
    return [str(i) for i in range(len(frame))]


def _candidates(
    kind: str, frame: gpd.GeoDataFrame | None, rows: list[int]
) -> list[tuple[str, int, str]]:
    if not rows or frame is None:
        return []
    ids = _ids(frame)
    return [(kind, row, ids[row]) for row in rows]


def _pick(candidates: list[tuple[str, int, str]], tooltip: str) -> tuple[str, int, str] | None:
    """The candidate whose id the clicked feature's tooltip shows (the longest such id,
    so ``R-1`` does not win over ``R-10``), else the first candidate."""
    if not candidates:
        return None
    shown = [c for c in candidates if c[2] and c[2] in tooltip]
    if shown:
        return max(shown, key=lambda c: len(c[2]))
    return candidates[0]


def _points_at(frame: gpd.GeoDataFrame | None, lat: float, lng: float) -> list[int]:
    if frame is None or not len(frame) or not {"lon", "lat"} <= set(frame.columns):
        return []
    lons = np.asarray(frame["lon"], dtype="float64")
    lats = np.asarray(frame["lat"], dtype="float64")
    near = (np.abs(lons - lng) <= POINT_TOLERANCE_DEG) & (np.abs(lats - lat) <= POINT_TOLERANCE_DEG)
    return [int(i) for i in np.flatnonzero(near)]


def _polygons_at(frame: gpd.GeoDataFrame | None, lat: float, lng: float) -> list[int]:
    if frame is None or not len(frame):
        return []
    hits = shapely.covers(frame.geometry.to_numpy(), shapely.Point(lng, lat))
    return [int(i) for i in np.flatnonzero(np.asarray(hits, dtype=bool))]


def clicked_feature(
    returned: Mapping[str, Any] | None,
    *,
    jurisdictions: gpd.GeoDataFrame | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    resources: gpd.GeoDataFrame | None = None,
) -> Selection | None:
    """The feature behind the last click reported by ``st_folium``, or None.

    Points at the clicked position come first (incidents before resources, as they
    are drawn on top), the one whose id the tooltip shows when several share the
    place; else the jurisdiction containing the click.

    Parameters
    ----------
    returned : dict or None
        What ``st_folium`` returned; needs ``last_object_clicked`` and, to tell apart
        points at the same place, ``last_object_clicked_tooltip``.
    jurisdictions, incidents, resources : geopandas.GeoDataFrame, optional
        The layers drawn on the map (canonical frames).

    Examples
    --------
    >>> clicked_feature({"last_object_clicked": {"lat": 50.1, "lng": 6.2}},
    ...                 incidents=incidents)  # doctest: +SKIP
    Selection(kind='incident', row=0, id='I-1')
    """
    point = _clicked_point(returned)
    if point is None:
        return None
    lat, lng = point
    tooltip = display_text((returned or {}).get("last_object_clicked_tooltip"))
    points = _candidates("incident", incidents, _points_at(incidents, lat, lng)) + _candidates(
        "resource", resources, _points_at(resources, lat, lng)
    )
    chosen = _pick(points, tooltip)
    if chosen is None:
        areas = _polygons_at(jurisdictions, lat, lng)
        chosen = _pick(_candidates("jurisdiction", jurisdictions, areas), tooltip)
    if chosen is None:
        return None
    kind, row, fid = chosen
    return Selection(kind=kind, row=row, id=fid)  # type: ignore[arg-type]


def _field_text(record: Any, field: Field) -> str:
    if field.column not in record.index:
        return ""
    return display_text(formatted(record[field.column], field))


#: How the canonical columns that tooltips leave out read (their labels come from
#: :func:`mutualaid.vocabulary.label`; a file's own extra columns keep their names).
EXTRA_FORMATS: dict[str, Callable[[Any], str]] = {
    "max_response_min": vocabulary.duration,
    "speed_kmh": vocabulary.number,
    "sharing": vocabulary.sharing_label,
}


def _extra_label(column: Any) -> str:
    name = str(column)
    return vocabulary.label(name) if name in vocabulary.VOCABULARY[vocabulary.FIELD] else name


_FIELDS = {
    "incident": INCIDENT_FIELDS,
    "resource": RESOURCE_FIELDS,
    "jurisdiction": JURISDICTION_FIELDS,
}


def feature_details(selection: Selection, frame: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """The selected feature's fields as (label, text) pairs, plain text (not escaped).

    The fields shown on the map come first, then the other columns that have a value
    (such as extra columns the file had). Show them with ``st.text``, never as HTML.
    """
    fields = _FIELDS[selection.kind]
    record = frame.iloc[selection.row]
    shown = {f.column for f in fields} | {"geometry", "lon", "lat"}
    pairs = [(f.label, _field_text(record, f)) for f in fields]
    for col in frame.columns:
        if col in shown:
            continue
        text = display_text(record[col])
        if text:
            shown_as = EXTRA_FORMATS.get(str(col))
            pairs.append((_extra_label(col), shown_as(record[col]) if shown_as else text))
    return pairs
