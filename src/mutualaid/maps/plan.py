"""The plan map: the allocation's flows and unmet needs over the overview's layers.

Built in small named steps on the base map (:mod:`mutualaid.maps.base`) and the flow
lines (:mod:`mutualaid.maps.flows`), with the overview's layers::

    frame = flow_frame(flows, ...)                   # the flows as a table
    m = base_map(bounds=plan_bounds(frame, ...))     # framed on incidents and flows
    add_land(m, jurisdictions)
    lines = flow_layers(frame)                       # one layer per kind of crossing
    rings = unmet_layer(unmet_points(plan, incidents))  # incidents still short of units
    ...
    add_plan_legend(m, resources)
    add_names(m, jurisdictions)                      # towns, jurisdictions, search box
    add_controls(m, layers, on_top=[*lines, resources, rings, incidents])
    use_local_assets(m)

:func:`plan_map` does all of it. Flows across a national border are near black,
dashed and thicker; flows between jurisdictions of one country are dark grey; flows
inside one jurisdiction are thin and light grey. Each line's tooltip names the
resource, the incident, the type, units, minutes and the agreement used, every value
escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from mutualaid.allocation.held import Held
from mutualaid.display import display_text
from mutualaid.figures.plan import unmet_by_incident
from mutualaid.maps import palette
from mutualaid.maps.base import (
    Bounds,
    add_controls,
    add_land,
    add_names,
    base_map,
    map_bounds,
    severity_entries,
    type_entries,
)
from mutualaid.maps.elements import Legend
from mutualaid.maps.features import Field, point_collection
from mutualaid.maps.flows import flow_entries, flow_frame, flow_layers
from mutualaid.maps.held import HELD_TITLE, held_entries, held_map_layers
from mutualaid.maps.layers import (
    incidents_layer,
    jurisdictions_layer,
    points_layer,
    resources_layer,
)
from mutualaid.maps.offline import use_local_assets
from mutualaid.maps.styled_geojson import STYLE_KEY, StyleTable

UNMET_FIELDS: tuple[Field, ...] = (
    Field("name", "name", "Incident"),
    Field("id", "id", "Id"),
    Field("severity", "severity", "Severity"),
    Field("short", "units", "Units short"),
    Field("unmet", "needs", "Unmet needs (reason)"),
)

UNMET_NAME = "Unmet need"


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


def add_plan_legend(m: folium.Map, *, resources: gpd.GeoDataFrame, held: bool = False) -> Legend:
    """One legend: flows by crossing, the unmet-need ring, severities, resource types;
    with *held*, the workflow's held units by stage (after the flows)."""
    # Bottom left: the layer control (eight overlays) fills the right-hand side.
    legend = Legend(
        [
            (
                "Flows proposed by the plan (resource to incident)"
                if held
                else "Flows (resource to incident)",
                flow_entries(),
            ),
            (HELD_TITLE, held_entries() if held else []),
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
    held: Held | None = None,
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
    held : Held, optional
        The units the workflow holds (not in the plan, which proposes what is still
        free): drawn apart (:mod:`mutualaid.maps.held`), those of the shown incidents
        and resources only. None or empty: the map is as without them.

    Returns
    -------
    folium.Map
        Layers "Countries", "Jurisdictions", the three flow layers, the held units'
        lines, "Resources", "Unmet need", the held units' rings, "Incidents", a legend
        and a layer control; every asset loads from ``/app/static/vendor/``.

    Examples
    --------
    >>> plan = allocate(scenario)                                    # doctest: +SKIP
    >>> m = plan_map(jurisdictions=scenario.jurisdictions, incidents=scenario.incidents,
    ...              resources=scenario.resources, plan=plan,
    ...              flows=flows_geojson(plan, scenario))            # doctest: +SKIP
    """
    frame = flow_frame(flows, jurisdictions=jurisdictions, incidents=incidents, resources=resources)
    kept, drawn = held_map_layers(
        held, jurisdictions=jurisdictions, incidents=incidents, resources=resources
    )
    ends = frame
    if drawn.lines is not None:  # the held lines' ends frame the map with the flows'
        corners = ["x0", "y0", "x1", "y1"]
        ends = pd.concat([frame[corners], kept[corners].dropna()], ignore_index=True)
    m = base_map(bounds=plan_bounds(ends, jurisdictions=jurisdictions, incidents=incidents))
    add_land(m, jurisdictions)
    lines = [*flow_layers(frame), *drawn.line_layers]
    points = [
        resources_layer(resources),
        unmet_layer(unmet_points(plan, incidents)),
        *drawn.ring_layers,
        incidents_layer(incidents),
    ]
    layers = [jurisdictions_layer(jurisdictions), *lines, *points]
    for layer in layers:
        m.add_child(layer)
    add_plan_legend(m, resources=resources, held=bool(drawn))
    add_names(m, jurisdictions)
    add_controls(m, layers, on_top=[*lines, *points])
    return use_local_assets(m)


__all__ = [
    "UNMET_FIELDS",
    "UNMET_NAME",
    "add_plan_legend",
    "plan_bounds",
    "plan_map",
    "unmet_layer",
    "unmet_points",
]
