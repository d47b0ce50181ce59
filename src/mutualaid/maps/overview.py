"""The overview map: jurisdictions, incidents and resources on an offline base map.

Built in small named steps, each testable on its own (the base map's steps are
:mod:`mutualaid.maps.base`, the flows' :mod:`mutualaid.maps.flows`)::

    m = base_map(bounds=map_bounds(jurisdictions, incidents, resources))
    add_land(m, jurisdictions)            # country outlines: the offline base map
    layers = add_feature_layers(m, ...)   # jurisdictions, resources, incidents
    add_legend(m, incidents, resources)
    add_names(m, jurisdictions)           # towns and jurisdictions by zoom, search box
    add_controls(m, layers)               # layer control (folded when narrow), points on top
    use_local_assets(m)                   # Leaflet from /app/static/vendor/

:func:`overview_map` does all of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd

from mutualaid.allocation.held import Held
from mutualaid.maps.base import (
    add_controls,
    add_land,
    add_names,
    base_map,
    map_bounds,
    severity_entries,
    type_entries,
)
from mutualaid.maps.elements import Legend
from mutualaid.maps.flows import flow_entries, flow_frame, flow_layers
from mutualaid.maps.held import HELD_TITLE, held_entries, held_map_layers
from mutualaid.maps.layers import incidents_layer, jurisdictions_layer, resources_layer
from mutualaid.maps.offline import use_local_assets


def add_feature_layers(
    m: folium.Map,
    *,
    jurisdictions: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
    unmet: Mapping[str, int] | None = None,
    lines: Sequence[folium.GeoJson] = (),
    rings: Sequence[folium.GeoJson] = (),
) -> list[folium.GeoJson]:
    """Add jurisdictions, then *lines* (flows, held units), resources, *rings* (held
    units on scene) and incidents (on top); return them in that order (the canvas draws
    and hit-tests in that order).

    With *unmet* (units short by incident id), incidents are sized by their unmet need.
    """
    layers = [
        jurisdictions_layer(jurisdictions),
        *lines,
        resources_layer(resources),
        *rings,
        incidents_layer(incidents, unmet=unmet),
    ]
    for layer in layers:
        m.add_child(layer)
    return layers


#: Legend entries of resource status: filled when available, a ring otherwise.
STATUS_ENTRIES: tuple[tuple[str, str, str], ...] = (
    ("#555555", "available (filled)", "dot"),
    ("#555555", "assigned or out of service (ring)", "ring"),
)


def add_legend(
    m: folium.Map,
    *,
    incidents: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
    flows: bool = False,
    held: bool = False,
) -> Legend:
    """Add one legend: incident severity (all five levels), the resource types present
    and their status; with *flows*, the plan's flow lines; with *held*, the workflow's
    held units by stage."""
    sections: list[tuple[str, Sequence[Any]]] = [
        ("Incident severity", severity_entries()),
        ("Resource type", type_entries(resources)),
        ("Resource status", list(STATUS_ENTRIES)),
    ]
    if held:
        sections.insert(0, (HELD_TITLE, held_entries()))
    if flows:
        title = "Plan flows, proposed" if held else "Plan flows"
        sections.insert(0, (f"{title} (resource to incident)", flow_entries()))
    # With flows the layer control has seven overlays and fills the right-hand side.
    legend = Legend(sections, position="bottomleft" if flows or held else "bottomright")
    m.add_child(legend)
    return legend


def overview_map(
    *,
    jurisdictions: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
    unmet: Mapping[str, int] | None = None,
    flows: Mapping[str, Any] | None = None,
    held: Held | None = None,
    held_resources: gpd.GeoDataFrame | None = None,
    focus: gpd.GeoDataFrame | None = None,
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
    held : Held, optional
        The units the workflow holds (not in the plan, whose flows are proposals):
        drawn apart (:mod:`mutualaid.maps.held`), those of the shown incidents and
        resources only. None or empty: the map is as without them.
    held_resources : geopandas.GeoDataFrame, optional
        Where held units come from when *resources* is a filtered part: the whole
        scenario's resources, so that help held for a shown incident is drawn from a
        resource the filters hide too (as the figures count it). Default *resources*.
    focus : geopandas.GeoDataFrame, optional
        The jurisdictions the view is narrowed to: the map opens framed on them and the
        incidents and resources shown (all jurisdictions are still drawn). None or
        empty: framed on everything.

    Returns
    -------
    folium.Map
        Layers "Countries", "Jurisdictions", "Resources", "Incidents", "Place names",
        a legend, a search box and a layer control; every asset loads from
        ``/app/static/vendor/``.

    Examples
    --------
    >>> m = overview_map(jurisdictions=j, incidents=i, resources=r)  # doctest: +SKIP
    >>> st_folium(m, key="overview.map")                             # doctest: +SKIP
    """
    if focus is not None and len(focus):
        m = base_map(bounds=map_bounds(focus, incidents, resources))
    else:
        m = base_map(bounds=map_bounds(jurisdictions, incidents, resources))
    add_land(m, jurisdictions)
    lines: list[folium.GeoJson] = []
    if flows is not None:
        lines = flow_layers(
            flow_frame(flows, jurisdictions=jurisdictions, incidents=incidents, resources=resources)
        )
    _, drawn = held_map_layers(
        held,
        jurisdictions=jurisdictions,
        incidents=incidents,
        resources=resources if held_resources is None else held_resources,
    )
    layers = add_feature_layers(
        m,
        jurisdictions=jurisdictions,
        incidents=incidents,
        resources=resources,
        unmet=unmet,
        lines=[*lines, *drawn.line_layers],
        rings=drawn.ring_layers,
    )
    add_legend(
        m, incidents=incidents, resources=resources, flows=flows is not None, held=bool(drawn)
    )
    add_names(m, jurisdictions)
    add_controls(m, layers, on_top=layers[1:])
    return use_local_assets(m)
