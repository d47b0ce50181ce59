"""One folium GeoJson layer per kind of feature, built from canonical frames.

Each layer is a single GeoJson with every feature in it (one ``L.geoJson`` drawing
CircleMarkers on the map's canvas) rather than a folium element per feature: at
10,000 points that is 0.2 s to build instead of 5 s (RECIPES.md, "Maps"). Features
are styled in the browser from a small table of styles
(:class:`mutualaid.maps.styled_geojson.StyledGeoJson`), not by folium's per-feature
``style_function`` tables. Tooltips show escaped text only
(:mod:`mutualaid.maps.features`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from mutualaid.display import display_text, html_text
from mutualaid.maps import palette
from mutualaid.maps.features import (
    Field,
    point_collection,
    shape_collection,
    shown_labels,
)
from mutualaid.maps.styled_geojson import STYLE_KEY, StyledGeoJson, StyleTable
from mutualaid.vocabulary import hazard_label, needs_text, status_label, type_label


def _percent(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value) * 100:g} %"


JURISDICTION_FIELDS: tuple[Field, ...] = (
    Field("name", "name", "Jurisdiction"),
    Field("id", "id", "Id"),
    Field("country", "country", "Country"),
    Field("reserve", "reserve", "Kept in reserve", _percent),
)
INCIDENT_FIELDS: tuple[Field, ...] = (
    Field("name", "name", "Incident"),
    Field("id", "id", "Id"),
    Field("hazard", "hazard", "Hazard", hazard_label),
    Field("severity", "severity", "Severity"),
    Field("status", "status", "Status", status_label),
    Field("reported_at", "reported_at", "Reported"),
    Field("needs", "needs", "Needs", needs_text),
    Field("jurisdiction", "jurisdiction", "In jurisdiction"),
)
RESOURCE_FIELDS: tuple[Field, ...] = (
    Field("name", "name", "Resource"),
    Field("id", "id", "Id"),
    Field("type", "type", "Type", type_label),
    Field("quantity", "quantity", "Units"),
    Field("status", "status", "Status", status_label),
    Field("jurisdiction", "jurisdiction", "Owned by"),
)

#: Layer names as shown in the layer control (Leaflet inserts them as HTML).
LAND_NAME = "Countries"
JURISDICTIONS_NAME = "Jurisdictions"
INCIDENTS_NAME = "Incidents"
RESOURCES_NAME = "Resources"

TOOLTIP_STYLE = "font-size: 12px; min-width: 240px; max-width: 380px; white-space: normal;"


def tooltip_for(data: dict, fields: Sequence[Field]) -> folium.GeoJsonTooltip | None:
    """A tooltip showing *fields* of a FeatureCollection built by
    :mod:`mutualaid.maps.features`; None when it has no features (folium cannot bind
    a tooltip to a layer without any)."""
    # Values are escaped in the data; the aliases are escaped here. Both are inserted
    # by folium as HTML.
    if not data["features"]:
        return None
    return folium.GeoJsonTooltip(
        fields=[f.key for f in fields],
        aliases=shown_labels(fields),
        sticky=True,
        style=TOOLTIP_STYLE,
    )


def land_layer(jurisdictions: gpd.GeoDataFrame) -> StyledGeoJson:
    """Country outlines (the jurisdictions dissolved by country), the offline base map.

    Drawn in its own pane under the other layers and not interactive, so it never
    catches the mouse.
    """
    frame = jurisdictions[["country", "geometry"]].copy()
    frame["country"] = frame["country"].map(html_text)
    countries = frame.dissolve(by="country", as_index=False)
    data = shape_collection(
        countries,
        fields=(Field("country", "country", "Country"),),
        decimals=palette.POLYGON_DECIMALS,
        simplify=palette.SIMPLIFY_DEGREES,
    )
    return StyledGeoJson(
        data,
        styles=[
            {
                "fillColor": palette.LAND_FILL,
                "fillOpacity": 1.0,
                "color": palette.LAND_OUTLINE,
                "weight": 1.5,
                "opacity": 1.0,
            }
        ],
        name=html_text(LAND_NAME),
        interactive=False,
        pane=palette.LAND_PANE,
    )


def jurisdictions_layer(jurisdictions: gpd.GeoDataFrame) -> StyledGeoJson:
    """Jurisdiction outlines with a tooltip each (name, id, country, reserve)."""
    data = shape_collection(
        jurisdictions,
        fields=JURISDICTION_FIELDS,
        decimals=palette.POLYGON_DECIMALS,
        simplify=palette.SIMPLIFY_DEGREES,
    )
    return StyledGeoJson(
        data,
        styles=[
            {
                "fillColor": "#ffffff",
                "fillOpacity": 0.05,
                "color": palette.JURISDICTION_OUTLINE,
                "weight": 1.0,
                "opacity": 0.9,
            }
        ],
        highlight={"color": palette.JURISDICTION_HIGHLIGHT, "weight": 2.5, "fillOpacity": 0.15},
        name=html_text(JURISDICTIONS_NAME),
        tooltip=tooltip_for(data, JURISDICTION_FIELDS),
    )


def _column(frame: gpd.GeoDataFrame, name: str) -> pd.Series | None:
    return frame[name] if name in frame.columns else None


def incidents_layer(
    incidents: gpd.GeoDataFrame, *, unmet: Mapping[str, int] | None = None
) -> StyledGeoJson:
    """Incidents as circles coloured by severity; faded unless active.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Canonical incidents.
    unmet : mapping of incident id to units short, optional
        When given, a circle's size shows the units still short
        (:func:`mutualaid.maps.palette.unmet_need_radius`); else its severity.
    """
    data = point_collection(incidents, fields=INCIDENT_FIELDS, decimals=palette.POINT_DECIMALS)
    severity, status = _column(incidents, "severity"), _column(incidents, "status")
    ids = _column(incidents, "id")
    table = StyleTable()
    for feature in data["features"]:
        row = int(feature["id"])
        level = None if severity is None else severity.iat[row]
        active = status is None or str(status.iat[row]) == "active"
        if unmet is None:
            radius = palette.severity_radius(level)
        else:
            short = unmet.get(display_text(ids.iat[row]), 0) if ids is not None else 0
            radius = palette.unmet_need_radius(short)
        feature[STYLE_KEY] = table.index(
            {
                "fill": True,
                "fillColor": palette.severity_color(level),
                "radius": radius,
                "color": "#ffffff" if active else "#555555",
                "weight": 1.5,
                "fillOpacity": 0.9 if active else 0.35,
                "dashArray": None if active else "2 2",
            }
        )
    return points_layer(
        data, name=INCIDENTS_NAME, styles=table.styles or [{}], fields=INCIDENT_FIELDS
    )


def resources_layer(resources: gpd.GeoDataFrame) -> StyledGeoJson:
    """Resources as small circles coloured by type: filled when available, hollow
    (a ring of the type's colour) when assigned or out of service.

    More than :data:`mutualaid.maps.palette.CLUSTER_MIN_POINTS` resources are clustered
    while zoomed out (below :data:`mutualaid.maps.palette.CLUSTER_UNTIL_ZOOM`)."""
    data = point_collection(resources, fields=RESOURCE_FIELDS, decimals=palette.POINT_DECIMALS)
    types = resources["type"] if "type" in resources.columns else pd.Series([""] * len(resources))
    colors = palette.type_colors(types.map(str))
    status = _column(resources, "status")
    table = StyleTable()
    for feature in data["features"]:
        row = int(feature["id"])
        available = status is None or str(status.iat[row]) == "available"
        color = colors[str(types.iat[row])]
        feature[STYLE_KEY] = table.index(
            {
                "fill": True,
                "fillColor": color,
                "radius": palette.RESOURCE_RADIUS,
                "color": "#222222" if available else color,
                "weight": 1.0 if available else 2.0,
                "fillOpacity": 0.95 if available else 0.0,
            }
        )
    many = len(data["features"]) > palette.CLUSTER_MIN_POINTS
    return points_layer(
        data,
        name=RESOURCES_NAME,
        styles=table.styles or [{}],
        fields=RESOURCE_FIELDS,
        cluster=palette.cluster_options() if many else None,
    )


def points_layer(
    data: dict,
    *,
    name: str,
    styles: Sequence[Mapping[str, Any]],
    fields: Sequence[Field],
    cluster: Mapping[str, Any] | None = None,
) -> StyledGeoJson:
    """One GeoJson layer drawing every point of *data* as a CircleMarker.

    Parameters
    ----------
    data : dict
        From :func:`mutualaid.maps.features.point_collection` (escaped properties),
        each feature's member ``s`` the index of its style in *styles*.
    name : str
        The layer's name in the layer control (escaped here).
    styles : sequence of dict
        The distinct CircleMarker styles (:class:`mutualaid.maps.styled_geojson.StyleTable`).
    fields : sequence of Field
        What the tooltip shows.
    cluster : dict, optional
        ``L.markerClusterGroup`` options: draw the points in clusters.
    """
    return StyledGeoJson(
        data,
        styles=styles,
        highlight={"weight": 3.0, "color": "#000000"},
        name=html_text(name),
        points=True,
        tooltip=tooltip_for(data, fields),
        cluster=cluster,
    )
