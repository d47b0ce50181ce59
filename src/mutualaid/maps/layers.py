"""One folium GeoJson layer per kind of feature, built from canonical frames.

Each layer is a single GeoJson with every feature in it (one ``L.geoJson`` drawing
CircleMarkers on the map's canvas) rather than a folium element per feature: at
10,000 points that is 0.2 s to build instead of 5 s (RECIPES.md, "Maps").
Tooltips show escaped text only (:mod:`mutualaid.maps.features`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from mutualaid.maps import style
from mutualaid.maps.features import Field, point_collection, shape_collection, shown_labels
from mutualaid.maps.text import html_text


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
    Field("hazard", "hazard", "Hazard"),
    Field("severity", "severity", "Severity"),
    Field("status", "status", "Status"),
    Field("reported_at", "reported_at", "Reported"),
    Field("needs", "needs", "Needs"),
    Field("jurisdiction", "jurisdiction", "In jurisdiction"),
)
RESOURCE_FIELDS: tuple[Field, ...] = (
    Field("name", "name", "Resource"),
    Field("id", "id", "Id"),
    Field("type", "type", "Type"),
    Field("quantity", "quantity", "Units"),
    Field("status", "status", "Status"),
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
    return folium.GeoJsonTooltip(fields=[f.key for f in fields], aliases=shown_labels(fields),
                                 sticky=True, style=TOOLTIP_STYLE)


def style_by_id(styles: dict[str, dict[str, Any]]) -> Callable[[dict], dict]:
    """A folium ``style_function`` looking each feature's style up by its ``id``."""
    def style_function(feature: dict) -> dict:
        return styles[str(feature["id"])]
    return style_function


def land_layer(jurisdictions: gpd.GeoDataFrame) -> folium.GeoJson:
    """Country outlines (the jurisdictions dissolved by country), the offline base map.

    Drawn in its own pane under the other layers and not interactive, so it never
    catches the mouse.
    """
    frame = jurisdictions[["country", "geometry"]].copy()
    frame["country"] = frame["country"].map(html_text)
    countries = frame.dissolve(by="country", as_index=False)
    data = shape_collection(countries, fields=(Field("country", "country", "Country"),),
                            decimals=style.POLYGON_DECIMALS, simplify=style.SIMPLIFY_DEGREES)
    return folium.GeoJson(
        data,
        name=html_text(LAND_NAME),
        style_function=lambda _feature: {
            "fillColor": style.LAND_FILL, "fillOpacity": 1.0,
            "color": style.LAND_OUTLINE, "weight": 1.5, "opacity": 1.0,
        },
        interactive=False,
        pane=style.LAND_PANE,
    )


def jurisdictions_layer(jurisdictions: gpd.GeoDataFrame) -> folium.GeoJson:
    """Jurisdiction outlines with a tooltip each (name, id, country, reserve)."""
    data = shape_collection(jurisdictions, fields=JURISDICTION_FIELDS,
                            decimals=style.POLYGON_DECIMALS, simplify=style.SIMPLIFY_DEGREES)
    return folium.GeoJson(
        data,
        name=html_text(JURISDICTIONS_NAME),
        style_function=lambda _feature: {
            "fillColor": "#ffffff", "fillOpacity": 0.05,
            "color": style.JURISDICTION_OUTLINE, "weight": 1.0, "opacity": 0.9,
        },
        highlight_function=lambda _feature: {
            "color": style.JURISDICTION_HIGHLIGHT, "weight": 2.5, "fillOpacity": 0.15,
        },
        tooltip=tooltip_for(data, JURISDICTION_FIELDS),
    )


def incidents_layer(incidents: gpd.GeoDataFrame) -> folium.GeoJson:
    """Incidents as circles coloured (and sized) by severity; faded unless active."""
    data = point_collection(incidents, fields=INCIDENT_FIELDS, decimals=style.POINT_DECIMALS)
    severity = incidents["severity"] if "severity" in incidents.columns else None
    status = incidents["status"] if "status" in incidents.columns else None
    styles = {}
    for feature in data["features"]:
        row = int(feature["id"])
        level = None if severity is None else severity.iat[row]
        active = status is None or str(status.iat[row]) == "active"
        styles[feature["id"]] = {
            "fill": True,
            "fillColor": style.severity_color(level),
            "radius": style.severity_radius(level),
            "color": "#ffffff" if active else "#555555",
            "weight": 1.5,
            "fillOpacity": 0.9 if active else 0.35,
            "dashArray": None if active else "2 2",
        }
    return points_layer(data, name=INCIDENTS_NAME, styles=styles, fields=INCIDENT_FIELDS)


def resources_layer(resources: gpd.GeoDataFrame) -> folium.GeoJson:
    """Resources as small circles coloured by type; faded unless available."""
    data = point_collection(resources, fields=RESOURCE_FIELDS, decimals=style.POINT_DECIMALS)
    types = resources["type"] if "type" in resources.columns else pd.Series([""] * len(resources))
    colors = style.type_colors(types.map(str))
    status = resources["status"] if "status" in resources.columns else None
    styles = {}
    for feature in data["features"]:
        row = int(feature["id"])
        available = status is None or str(status.iat[row]) == "available"
        styles[feature["id"]] = {
            "fill": True,
            "fillColor": colors[str(types.iat[row])],
            "radius": style.RESOURCE_RADIUS,
            "color": "#222222",
            "weight": 1.0,
            "fillOpacity": 0.95 if available else 0.3,
        }
    return points_layer(data, name=RESOURCES_NAME, styles=styles, fields=RESOURCE_FIELDS)


def points_layer(data: dict, *, name: str, styles: dict[str, dict[str, Any]],
                 fields: Sequence[Field]) -> folium.GeoJson:
    """One GeoJson layer drawing every point of *data* as a CircleMarker.

    Parameters
    ----------
    data : dict
        From :func:`mutualaid.maps.features.point_collection` (escaped properties).
    name : str
        The layer's name in the layer control (escaped here).
    styles : dict
        Each feature's CircleMarker style by feature id; None values are left out.
    fields : sequence of Field
        What the tooltip shows.
    """
    return folium.GeoJson(
        data,
        name=html_text(name),
        marker=folium.CircleMarker(radius=style.RESOURCE_RADIUS, fill=True),
        style_function=style_by_id({k: {key: v for key, v in s.items() if v is not None}
                                     for k, s in styles.items()}),
        highlight_function=lambda _feature: {"weight": 3.0, "color": "#000000"},
        tooltip=tooltip_for(data, fields),
    )
