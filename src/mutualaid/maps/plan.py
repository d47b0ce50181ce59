"""The plan map: the allocation's flows and unmet needs over the overview's layers.

Built in small named steps, reusing the overview's base map, land, layers and controls::

    frame = flow_frame(flows, ...)                   # the flows as a table
    m = base_map(bounds=plan_bounds(frame, ...))     # framed on incidents and flows
    add_land(m, jurisdictions)
    lines = flow_layers(frame)                       # one layer per kind of crossing
    rings = unmet_layer(unmet_points(plan, incidents))  # incidents still short of units
    ...
    add_plan_legend(m, resources)
    add_controls(m, layers, on_top=[*lines, resources, rings, incidents])
    use_local_assets(m)

:func:`plan_map` does all of it. Flows across a national border are purple, dashed
and thicker; flows between jurisdictions of one country are blue; flows inside one
jurisdiction are thin and grey. Each line's tooltip names the resource, the incident,
the type, units, minutes and the agreement used, every value escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mutualaid.display import display_text, html_text
from mutualaid.figures.plan import CROSSINGS, unmet_by_incident, with_crossings
from mutualaid.maps import palette
from mutualaid.maps.elements import Legend
from mutualaid.maps.features import Field, escaped_columns, point_collection
from mutualaid.maps.layers import (
    incidents_layer,
    jurisdictions_layer,
    points_layer,
    resources_layer,
    tooltip_for,
)
from mutualaid.maps.offline import use_local_assets
from mutualaid.maps.overview import (
    Bounds,
    add_controls,
    add_land,
    base_map,
    map_bounds,
    severity_entries,
    type_entries,
)
from mutualaid.maps.styled_geojson import STYLE_KEY, StyledGeoJson, StyleTable


def _minutes(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.1f} min"


FLOW_FIELDS: tuple[Field, ...] = (
    Field("resource", "resource", "Resource"),
    Field("incident", "incident", "Incident"),
    Field("type", "type", "Type"),
    Field("units", "units", "Units"),
    Field("minutes", "minutes", "Minutes per trip", _minutes),
    Field("route", "route", "From -> to"),
    Field("crossing", "crossing_label", "Crossing"),
    Field("agreement", "agreement_text", "Agreement"),
)
UNMET_FIELDS: tuple[Field, ...] = (
    Field("name", "name", "Incident"),
    Field("id", "id", "Id"),
    Field("severity", "severity", "Severity"),
    Field("short", "units", "Units short"),
    Field("unmet", "needs", "Unmet needs (reason)"),
)

#: Layer names as shown in the layer control (escaped before use).
FLOW_LAYER_NAMES: dict[str, str] = {
    "local": "Flows within a jurisdiction",
    "jurisdiction": "Flows between jurisdictions",
    "national": "Flows across national borders",
}
UNMET_NAME = "Unmet need"


# --- flows ------------------------------------------------------------------------------------


def _labelled(ids: pd.Series, frame: gpd.GeoDataFrame) -> pd.Series:
    """``name (id)`` for each id, or the id alone when the layer has no other name."""
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
    types = "all types" if types in ("*", "") else types.replace(";", ", ")
    delay = agreement.get("border_delay_min")
    delay_text = f", +{display_text(delay)} min at the border" if delay not in (None, "") else ""
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
    frame["resource"] = _labelled(frame["resource_id"], resources)
    frame["incident"] = _labelled(frame["incident_id"], incidents)
    frame["route"] = [
        f"{f} ({fc}) -> {t} ({tc})" if fc != tc else f"{f} -> {t}"
        for f, fc, t, tc in zip(
            frame["from_jurisdiction"],
            frame["from_country"],
            frame["to_jurisdiction"],
            frame["to_country"],
        )
    ]
    frame["crossing_label"] = frame["crossing"].map(palette.FLOW_LABELS)
    frame["agreement_text"] = frame["agreement"].map(agreement_text)
    return frame


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


# --- unmet needs --------------------------------------------------------------------------


def unmet_points(plan: Any, incidents: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The incidents still short of units: the incident's fields plus ``units`` (short)
    and ``needs`` (per type with its reason), most units short first."""
    short = unmet_by_incident(plan)
    frame = incidents.copy()
    frame["_key"] = frame["id"].map(display_text)
    merged = short.merge(
        frame.drop(columns=[c for c in ("units", "needs") if c in frame]),
        left_on="incident_id",
        right_on="_key",
        how="inner",
    )
    return gpd.GeoDataFrame(
        merged.drop(columns=["_key"]), geometry="geometry", crs=incidents.crs
    ).reset_index(drop=True)


def unmet_layer(points: gpd.GeoDataFrame) -> folium.GeoJson:
    """A ring around each incident short of units, bigger when more are missing."""
    data = point_collection(points, fields=UNMET_FIELDS, decimals=palette.POINT_DECIMALS)
    table = StyleTable()
    for feature in data["features"]:
        units = points["units"].iat[int(feature["id"])]
        feature[STYLE_KEY] = table.index(
            {
                "fill": True,
                "fillColor": palette.UNMET_COLOR,
                "fillOpacity": 0.08,
                "color": palette.UNMET_COLOR,
                "weight": palette.UNMET_WEIGHT,
                "radius": palette.unmet_radius(units),
            }
        )
    return points_layer(data, name=UNMET_NAME, styles=table.styles or [{}], fields=UNMET_FIELDS)


# --- legend and the whole map -------------------------------------------------------------


def add_plan_legend(m: folium.Map, *, resources: gpd.GeoDataFrame) -> Legend:
    """One legend: flows by crossing, the unmet-need ring, severities, resource types."""
    flows = [
        (
            palette.FLOW_COLORS[kind],
            palette.FLOW_LABELS[kind],
            "dashed" if kind in palette.FLOW_DASH else "line",
        )
        for kind in CROSSINGS
    ]
    # Bottom left: the layer control (eight overlays) fills the right-hand side.
    legend = Legend(
        [
            ("Flows (resource to incident)", flows),
            ("Unmet need", [(palette.UNMET_COLOR, "units short (bigger ring: more)", "ring")]),
            ("Incident severity", severity_entries()),
            ("Resource type", type_entries(resources)),
        ],
        position="bottomleft",
    )
    m.add_child(legend)
    return legend


def plan_bounds(
    frame: pd.DataFrame, *, jurisdictions: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame
) -> Bounds:
    """Where the plan happens: the active incidents and both ends of every flow; the
    jurisdictions when there is neither."""
    ends = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(
            pd.concat([frame["x0"], frame["x1"]]), pd.concat([frame["y0"], frame["y1"]])
        ),
        crs="EPSG:4326",
    )
    active = incidents
    if "status" in incidents.columns:
        active = incidents[incidents["status"].astype(str) == "active"]
    if len(ends) or len(active):
        return map_bounds(active, ends)
    return map_bounds(jurisdictions)


def plan_map(
    *,
    jurisdictions: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
    plan: Any,
    flows: Mapping[str, Any],
) -> folium.Map:
    """The plan on a map that draws without internet.

    Parameters
    ----------
    jurisdictions, incidents, resources : geopandas.GeoDataFrame
        The scenario's canonical layers (with any edited reserves, so the
        jurisdictions' tooltips show the reserve the plan used).
    plan : Plan or dict
        The plan (:func:`mutualaid.allocation.allocate`, or its ``to_dict()``).
    flows : dict
        :func:`mutualaid.allocation.flows_geojson` of that plan.

    Returns
    -------
    folium.Map
        Layers "Countries", "Jurisdictions", the three flow layers, "Resources",
        "Unmet need", "Incidents", a legend and a layer control; every asset loads
        from ``/app/static/vendor/``.

    Examples
    --------
    >>> plan = allocate(scenario)                                    # doctest: +SKIP
    >>> m = plan_map(jurisdictions=scenario.jurisdictions, incidents=scenario.incidents,
    ...              resources=scenario.resources, plan=plan,
    ...              flows=flows_geojson(plan, scenario))            # doctest: +SKIP
    """
    frame = flow_frame(flows, jurisdictions=jurisdictions, incidents=incidents, resources=resources)
    m = base_map(bounds=plan_bounds(frame, jurisdictions=jurisdictions, incidents=incidents))
    add_land(m, jurisdictions)
    lines = flow_layers(frame)
    points = [
        resources_layer(resources),
        unmet_layer(unmet_points(plan, incidents)),
        incidents_layer(incidents),
    ]
    layers = [jurisdictions_layer(jurisdictions), *lines, *points]
    for layer in layers:
        m.add_child(layer)
    add_plan_legend(m, resources=resources)
    add_controls(m, layers, on_top=[*lines, *points])
    return use_local_assets(m)


__all__ = [
    "FLOW_FIELDS",
    "FLOW_LAYER_NAMES",
    "UNMET_FIELDS",
    "UNMET_NAME",
    "add_plan_legend",
    "agreement_text",
    "flow_frame",
    "flow_layer",
    "flow_layers",
    "line_collection",
    "plan_bounds",
    "plan_map",
    "unmet_layer",
    "unmet_points",
]
