"""The plan's flows on a map: one line per assignment, resource to incident.

Shared by the plan map (:mod:`mutualaid.maps.plan`) and the overview map
(:mod:`mutualaid.maps.overview`, which draws the current plan's flows)::

    frame = flow_frame(flows, jurisdictions=j, incidents=i, resources=r)  # a table
    lines = flow_layers(frame)           # one layer per kind of crossing
    flow_entries()                       # their legend entries

Flows across a national border are near black, dashed and thicker; flows between
jurisdictions of one country are dark grey; flows inside one jurisdiction are thin and
light grey (greys only: no unit or incident is grey, see :mod:`mutualaid.maps.palette`).
Each line's tooltip names the resource, the incident, the type, units, minutes and the
agreement used, every value escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mutualaid.display import display_text, html_text
from mutualaid.figures.plan import CROSSINGS, with_crossings
from mutualaid.maps import palette
from mutualaid.maps.features import Field, escaped_columns
from mutualaid.maps.layers import tooltip_for
from mutualaid.maps.styled_geojson import STYLE_KEY, StyledGeoJson, StyleTable
from mutualaid.vocabulary import duration, type_label, types_text


def _minutes(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return duration(value)


FLOW_FIELDS: tuple[Field, ...] = (
    Field("resource", "resource", "Resource"),
    Field("incident", "incident", "Incident"),
    Field("type", "type", "Type", type_label),
    Field("units", "units", "Units"),
    Field("minutes", "minutes", "Minutes per trip", _minutes),
    Field("route", "route", "From -> to"),
    Field("crossing", "crossing_label", "Crossing"),
    Field("agreement", "agreement_text", "Agreement"),
)

#: Layer names as shown in the layer control (escaped before use).
FLOW_LAYER_NAMES: dict[str, str] = {
    "local": "Flows within a jurisdiction",
    "jurisdiction": "Flows between jurisdictions",
    "national": "Flows across national borders",
}


def labelled(ids: pd.Series, frame: gpd.GeoDataFrame) -> pd.Series:
    """``name (id)`` for each id of *frame* (a layer), or the id alone when the layer
    has no other name (not escaped)."""
    if "name" not in frame.columns:
        return ids.map(display_text)
    names = dict(zip(frame["id"].map(display_text), frame["name"].map(display_text)))

    def label(value: Any) -> str:
        fid = display_text(value)
        name = names.get(fid, "")
        return f"{name} ({fid})" if name and name != fid else fid

    return ids.map(label)


def agreement_text(agreement: Any) -> str:
    """An assignment's ``agreement`` as words (not escaped).

    Examples
    --------
    >>> agreement_text({"from": "NL", "to": "BE", "resource_types": "*",
    ...                 "border_delay_min": 20.0})
    'NL -> BE, all types, +20 min at the border'
    >>> agreement_text(None)
    'none needed (same jurisdiction)'
    """
    if not isinstance(agreement, Mapping):
        text = display_text(agreement)
        return text or "none needed (same jurisdiction)"
    types = display_text(agreement.get("resource_types"))
    types = "all types" if types in ("*", "") else types_text(types.split(";"))
    delay = agreement.get("border_delay_min")
    delay_text = f", +{duration(delay)} at the border" if delay not in (None, "") else ""
    return (
        f"{display_text(agreement.get('from'))} -> {display_text(agreement.get('to'))}, "
        f"{types}{delay_text}"
    )


def flow_frame(
    flows: Mapping[str, Any],
    *,
    jurisdictions: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """The flow lines as a table: the assignment's fields, labels for people, the
    kind of crossing and both ends' coordinates.

    Parameters
    ----------
    flows : dict
        A FeatureCollection from :func:`mutualaid.allocation.flows_geojson`: one
        LineString (resource -> incident) per assignment, its fields as properties.
    jurisdictions, incidents, resources : geopandas.GeoDataFrame
        The scenario's layers, for names and countries.

    Returns
    -------
    DataFrame
        One row per drawable flow (both ends finite): ``resource``, ``incident``,
        ``type``, ``units``, ``minutes``, ``route``, ``crossing`` (see
        :data:`mutualaid.figures.plan.CROSSINGS`), ``crossing_label``,
        ``agreement_text``, ``x0``, ``y0``, ``x1``, ``y1``.
    """
    rows = []
    for feature in (flows or {}).get("features") or []:
        props = dict(feature.get("properties") or {})
        coords = (feature.get("geometry") or {}).get("coordinates") or []
        if len(coords) < 2:
            continue
        (x0, y0), (x1, y1) = coords[0][:2], coords[-1][:2]
        rows.append({**props, "x0": x0, "y0": y0, "x1": x1, "y1": y1})
    columns = [
        "resource_id",
        "incident_id",
        "type",
        "units",
        "minutes",
        "from_jurisdiction",
        "to_jurisdiction",
        "agreement",
        "x0",
        "y0",
        "x1",
        "y1",
    ]
    frame = pd.DataFrame(rows, columns=list(dict.fromkeys([*columns, *(rows[0] if rows else [])])))
    for column in ("x0", "y0", "x1", "y1"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    finite = np.isfinite(frame[["x0", "y0", "x1", "y1"]].to_numpy(dtype="float64")).all(axis=1)
    frame = frame[finite].reset_index(drop=True)
    for column in ("resource_id", "incident_id", "type", "from_jurisdiction", "to_jurisdiction"):
        frame[column] = frame[column].map(display_text)
    frame = with_crossings(frame, jurisdictions)
    frame["resource"] = labelled(frame["resource_id"], resources)
    frame["incident"] = labelled(frame["incident_id"], incidents)
    frame["route"] = route_labels(frame)
    frame["crossing_label"] = frame["crossing"].map(palette.FLOW_LABELS)
    frame["agreement_text"] = frame["agreement"].map(agreement_text)
    return frame


def route_labels(frame: pd.DataFrame) -> list[str]:
    """``from -> to`` for each row of a frame with ``from_jurisdiction``,
    ``to_jurisdiction`` and their countries (:func:`mutualaid.figures.plan.with_crossings`),
    the countries named when they differ (not escaped)."""
    return [
        f"{f} ({fc}) -> {t} ({tc})" if fc != tc else f"{f} -> {t}"
        for f, fc, t, tc in zip(
            frame["from_jurisdiction"],
            frame["from_country"],
            frame["to_jurisdiction"],
            frame["to_country"],
        )
    ]


def line_collection(
    frame: pd.DataFrame, *, fields: tuple[Field, ...], decimals: int
) -> dict[str, Any]:
    """A FeatureCollection of straight lines from ``x0, y0`` to ``x1, y1``.

    Like :func:`mutualaid.maps.features.point_collection`: each feature's ``id`` is its
    row position as text and its properties are the fields' escaped values.
    """
    columns = escaped_columns(frame, fields)
    features = []
    for row, (x0, y0, x1, y1) in enumerate(
        frame[["x0", "y0", "x1", "y1"]].itertuples(index=False, name=None)
    ):
        features.append(
            {
                "type": "Feature",
                "id": str(row),
                "geometry": {
                    "type": "LineString",
                    "coordinates": [
                        [round(float(x0), decimals), round(float(y0), decimals)],
                        [round(float(x1), decimals), round(float(y1), decimals)],
                    ],
                },
                "properties": {key: values[row] for key, values in columns.items()},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def flow_layer(frame: pd.DataFrame, *, crossing: str) -> StyledGeoJson:
    """The flows of one kind of crossing as one GeoJson layer of lines.

    Parameters
    ----------
    frame : DataFrame
        From :func:`flow_frame` (every kind; this layer takes its own rows).
    crossing : str
        One of :data:`mutualaid.figures.plan.CROSSINGS`.
    """
    rows = frame[frame["crossing"] == crossing].reset_index(drop=True)
    data = line_collection(rows, fields=FLOW_FIELDS, decimals=palette.POINT_DECIMALS)
    table = StyleTable()
    for feature in data["features"]:
        units = rows["units"].iat[int(feature["id"])]
        feature[STYLE_KEY] = table.index(
            {
                "color": palette.FLOW_COLORS[crossing],
                "opacity": palette.FLOW_OPACITY,
                "weight": palette.flow_weight(crossing, units),
                "lineCap": "round",
                "dashArray": palette.FLOW_DASH.get(crossing),
            }
        )
    return StyledGeoJson(
        data,
        styles=table.styles or [{"color": palette.FLOW_COLORS[crossing]}],
        highlight={"opacity": 1.0, "color": "#000000"},
        name=html_text(FLOW_LAYER_NAMES[crossing]),
        tooltip=tooltip_for(data, FLOW_FIELDS),
    )


def flow_layers(frame: pd.DataFrame) -> list[folium.GeoJson]:
    """One layer per kind of crossing, local first (drawn lowest), national last."""
    return [flow_layer(frame, crossing=kind) for kind in CROSSINGS]


def flow_entries() -> list[tuple[str, str, str]]:
    """Legend entries of the plan's flow lines by crossing."""
    return [
        (
            palette.FLOW_COLORS[kind],
            palette.FLOW_LABELS[kind],
            "dashed" if kind in palette.FLOW_DASH else "line",
        )
        for kind in CROSSINGS
    ]


__all__ = [
    "FLOW_FIELDS",
    "FLOW_LAYER_NAMES",
    "agreement_text",
    "flow_entries",
    "flow_frame",
    "flow_layer",
    "flow_layers",
    "labelled",
    "line_collection",
    "route_labels",
]
