"""The overview map: jurisdictions, incidents and resources on an offline base map.

Built in small named steps, each testable on its own::

    m = base_map(bounds=map_bounds(jurisdictions, incidents, resources))
    add_land(m, jurisdictions)            # country outlines: the offline base map
    layers = add_feature_layers(m, ...)   # jurisdictions, resources, incidents
    add_legend(m, incidents, resources)
    add_controls(m, layers)               # layer control, points kept on top
    use_local_assets(m)                   # Leaflet from /app/static/vendor/

:func:`overview_map` does all of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from mutualaid.maps import palette
from mutualaid.maps.elements import KeepOnTop, Legend, MapStyle
from mutualaid.maps.layers import (
    incidents_layer,
    jurisdictions_layer,
    land_layer,
    resources_layer,
)
from mutualaid.maps.offline import use_local_assets

#: Shown when a scenario has nothing to frame: central Europe.
DEFAULT_BOUNDS: tuple[tuple[float, float], tuple[float, float]] = ((45.0, 2.0), (54.0, 16.0))

Bounds = tuple[tuple[float, float], tuple[float, float]]


def map_bounds(*frames: gpd.GeoDataFrame) -> Bounds:
    """South-west and north-east corners (lat, lon) around every non-empty frame."""
    boxes = [
        frame.total_bounds
        for frame in frames
        if frame is not None and len(frame) and not frame.geometry.is_empty.all()
    ]
    boxes = [b for b in boxes if np.all(np.isfinite(b))]
    if not boxes:
        return DEFAULT_BOUNDS
    stacked = np.vstack(boxes)
    west, south = stacked[:, 0].min(), stacked[:, 1].min()
    east, north = stacked[:, 2].max(), stacked[:, 3].max()
    return (float(south), float(west)), (float(north), float(east))


def base_map(*, bounds: Bounds) -> folium.Map:
    """An empty map without tiles (nothing is fetched), drawing vectors on a canvas.

    Parameters
    ----------
    bounds : ((south, west), (north, east))
        The map opens framed on these.
    """
    (south, west), (north, east) = bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=6,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        maxZoom=palette.MAX_ZOOM,  # with tiles=None, max_zoom would reach no layer
        minZoom=palette.MIN_ZOOM,
    )
    m.fit_bounds([[south, west], [north, east]])
    m.add_child(MapStyle(background=palette.SEA_COLOR))
    return m


def add_land(m: folium.Map, jurisdictions: gpd.GeoDataFrame) -> folium.GeoJson | None:
    """Add the country outlines in a pane under everything else; None when no land."""
    if jurisdictions is None or not len(jurisdictions):
        return None
    m.add_child(
        folium.map.CustomPane(palette.LAND_PANE, z_index=palette.LAND_PANE_Z, pointer_events=False)
    )
    land = land_layer(jurisdictions)
    m.add_child(land)
    return land


def add_feature_layers(
    m: folium.Map,
    *,
    jurisdictions: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
    unmet: Mapping[str, int] | None = None,
    lines: Sequence[folium.GeoJson] = (),
) -> list[folium.GeoJson]:
    """Add jurisdictions, then *lines* (flows), resources and incidents (on top); return
    them in that order (the canvas draws and hit-tests in that order).

    With *unmet* (units short by incident id), incidents are sized by their unmet need.
    """
    layers = [
        jurisdictions_layer(jurisdictions),
        *lines,
        resources_layer(resources),
        incidents_layer(incidents, unmet=unmet),
    ]
    for layer in layers:
        m.add_child(layer)
    return layers


def severity_entries() -> list[tuple[str, str]]:
    """Legend entries of the five incident severities."""
    return [
        (palette.SEVERITY_COLORS[level], palette.SEVERITY_LABELS[level])
        for level in sorted(palette.SEVERITY_COLORS)
    ]


def type_entries(resources: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """Legend entries of the resource types present (names escaped by the legend)."""
    types = resources["type"].map(str) if "type" in resources.columns else []
    return [(color, name) for name, color in palette.type_colors(types).items()]


#: Legend entries of resource status: filled when available, a ring otherwise.
STATUS_ENTRIES: tuple[tuple[str, str, str], ...] = (
    ("#555555", "available (filled)", "dot"),
    ("#555555", "assigned or out of service (ring)", "ring"),
)


def flow_entries() -> list[tuple[str, str, str]]:
    """Legend entries of the plan's flow lines by crossing."""
    from mutualaid.figures.plan import CROSSINGS

    return [
        (
            palette.FLOW_COLORS[kind],
            palette.FLOW_LABELS[kind],
            "dashed" if kind in palette.FLOW_DASH else "line",
        )
        for kind in CROSSINGS
    ]


def add_legend(
    m: folium.Map, *, incidents: gpd.GeoDataFrame, resources: gpd.GeoDataFrame, flows: bool = False
) -> Legend:
    """Add one legend: incident severity (all five levels), the resource types present
    and their status; with *flows*, the plan's flow lines."""
    sections: list[tuple[str, Sequence[Any]]] = [
        ("Incident severity", severity_entries()),
        ("Resource type", type_entries(resources)),
        ("Resource status", list(STATUS_ENTRIES)),
    ]
    if flows:
        sections.insert(0, ("Plan flows (resource to incident)", flow_entries()))
    # With flows the layer control has seven overlays and fills the right-hand side.
    legend = Legend(sections, position="bottomleft" if flows else "bottomright")
    m.add_child(legend)
    return legend


def add_controls(
    m: folium.Map,
    layers: Sequence[folium.GeoJson],
    *,
    on_top: Sequence[folium.GeoJson] | None = None,
) -> folium.LayerControl:
    """Add the layer control, and keep layers on top when overlays change.

    Parameters
    ----------
    m : folium.Map
    layers : sequence of folium.GeoJson
        The map's layers; by default those drawing points are kept on top.
    on_top : sequence of folium.GeoJson, optional
        The layers to keep on top instead, bottom first (e.g. flow lines, then points).
    """
    if on_top is None:
        on_top = [layer for layer in layers if layer.marker is not None]
    m.add_child(KeepOnTop(list(on_top)))
    control = folium.LayerControl(collapsed=False, position="topright")
    m.add_child(control)
    return control


def overview_map(
    *,
    jurisdictions: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
    unmet: Mapping[str, int] | None = None,
    flows: Mapping[str, Any] | None = None,
) -> folium.Map:
    """The scenario's overview map, drawing without internet.

    Parameters
    ----------
    jurisdictions, incidents, resources : geopandas.GeoDataFrame
        Canonical layers (:mod:`mutualaid.layers.schema`) in EPSG:4326. Every value is
        escaped before it reaches the map.
    unmet : mapping of incident id to units short, optional
        From the current plan: incidents are then sized by their unmet need.
    flows : dict, optional
        The plan's flow lines (:func:`mutualaid.allocation.flows_geojson`), drawn as
        one layer per kind of crossing under the points.

    Returns
    -------
    folium.Map
        Layers "Countries", "Jurisdictions", "Resources", "Incidents", a legend and a
        layer control; every asset loads from ``/app/static/vendor/``.

    Examples
    --------
    >>> m = overview_map(jurisdictions=j, incidents=i, resources=r)  # doctest: +SKIP
    >>> st_folium(m, key="overview.map")                             # doctest: +SKIP
    """
    m = base_map(bounds=map_bounds(jurisdictions, incidents, resources))
    add_land(m, jurisdictions)
    lines: list[folium.GeoJson] = []
    if flows is not None:
        # Imported here: mutualaid.maps.plan builds on this module.
        from mutualaid.maps.plan import flow_frame, flow_layers

        lines = flow_layers(
            flow_frame(flows, jurisdictions=jurisdictions, incidents=incidents, resources=resources)
        )
    layers = add_feature_layers(
        m,
        jurisdictions=jurisdictions,
        incidents=incidents,
        resources=resources,
        unmet=unmet,
        lines=lines,
    )
    add_legend(m, incidents=incidents, resources=resources, flows=flows is not None)
    add_controls(m, layers, on_top=layers[1:])
    return use_local_assets(m)
