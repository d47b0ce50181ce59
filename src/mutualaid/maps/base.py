"""The base map every map of the app starts from: framing, the empty map, the land
under everything, the layer control and the legend entries the maps share.

No tiles and nothing fetched: the map draws vectors on a canvas over a sea-coloured
background, and the jurisdictions' country outlines are the land::

    m = base_map(bounds=map_bounds(jurisdictions, incidents, resources))
    add_land(m, jurisdictions)            # country outlines: the offline base map
    ...                                   # the map's own layers
    add_names(m, jurisdictions)           # towns and jurisdictions by zoom, search box
    add_controls(m, layers)               # layer control (folded when narrow), points on top

Used by :mod:`mutualaid.maps.overview` and :mod:`mutualaid.maps.plan`.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
import numpy as np

from mutualaid.maps import palette
from mutualaid.maps.elements import CollapseWhenNarrow, KeepOnTop, MapStyle
from mutualaid.maps.layers import land_layer
from mutualaid.maps.names import add_names
from mutualaid.vocabulary import type_label

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


def severity_entries() -> list[tuple[str, str]]:
    """Legend entries of the five incident severities."""
    return [
        (palette.SEVERITY_COLORS[level], palette.SEVERITY_LABELS[level])
        for level in sorted(palette.SEVERITY_COLORS)
    ]


def type_entries(resources: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """Legend entries of the resource types present (names escaped by the legend)."""
    types = resources["type"].map(str) if "type" in resources.columns else []
    return [(color, type_label(name, 2)) for name, color in palette.type_colors(types).items()]


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
    m.add_child(CollapseWhenNarrow(control))  # folded on a laptop-sized map
    return control


__all__ = [
    "DEFAULT_BOUNDS",
    "Bounds",
    "add_controls",
    "add_land",
    "add_names",
    "base_map",
    "map_bounds",
    "severity_entries",
    "type_entries",
]
