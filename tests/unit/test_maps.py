"""The maps: canonical frames in, folium.Map out; offline, escaped, one layer per kind."""

from __future__ import annotations

import html
import json
import re

import branca.colormap
import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from mutualaid.display import display_text, html_text
from mutualaid.maps import (
    CLICK_OBJECTS,
    MapAssetError,
    Selection,
    assets,
    clicked_feature,
    feature_details,
    overview_map,
    palette,
    use_local_assets,
)
from mutualaid.maps.elements import Legend, legend_html
from mutualaid.maps.layers import (
    INCIDENTS_NAME,
    JURISDICTIONS_NAME,
    LAND_NAME,
    RESOURCES_NAME,
    incidents_layer,
    jurisdictions_layer,
    land_layer,
    resources_layer,
)

XSS = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "</script><script>window.__xss=1</script>"


# --- tiny canonical frames (mutualaid.layers.schema) ---------------------------------


def jurisdictions_frame(*, name: str = "Nordrhein-Westfalen") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["DE-NW", "NL-LI", "DE-RP"],
            "name": [name, "Limburg", "Rheinland-Pfalz"],
            "country": ["DE", "NL", "DE"],
            "reserve": [0.2, 0.0, 0.5],
        },
        geometry=[box(6.0, 50.0, 7.0, 51.0), box(5.0, 50.0, 6.0, 51.0), box(6.0, 49.0, 7.0, 50.0)],
        crs="EPSG:4326",
    )


def incidents_frame(
    *, name: str = "Erft flood", iid: str = "I-1", hazard: str = "flood"
) -> gpd.GeoDataFrame:
    points = [Point(6.5, 50.5), Point(5.5, 50.5), Point(6.5, 49.5)]
    return gpd.GeoDataFrame(
        {
            "id": [iid, "I-2", "I-3"],
            "name": [name, "Geul flood", "Ahr flood"],
            "hazard": [hazard, "flood", "storm"],
            "severity": [5, 2, 3],
            "status": ["active", "active", "closed"],
            "reported_at": pd.to_datetime(["2021-07-14T17:30Z"] * 3, utc=True),
            "needs": [{"boat": 4, "pump": 2}, {"ambulance": 1}, {}],
            "max_response_min": [240.0, np.nan, np.nan],
            "jurisdiction": ["DE-NW", "NL-LI", "DE-RP"],
            "lon": [p.x for p in points],
            "lat": [p.y for p in points],
        },
        geometry=points,
        crs="EPSG:4326",
    )


def resources_frame(
    *, name: str = "Boats, Koeln", rid: str = "R-1", rtype: str = "boat"
) -> gpd.GeoDataFrame:
    # share a place, as depots holding several kinds of unit do.
    points = [Point(6.9, 50.9), Point(6.9, 50.9), Point(5.7, 50.8)]
    return gpd.GeoDataFrame(
        {
            "id": [rid, "R-10", "R-3"],
            "name": [name, "Pumps, Koeln", "Ambulances, Maastricht"],
            "type": [rtype, "pump", "hovercraft"],
            "quantity": [4, 6, 2],
            "status": ["available", "available", "assigned"],
            "jurisdiction": ["DE-NW", "DE-NW", "NL-LI"],
            "speed_kmh": [np.nan, 50.0, np.nan],
            "lon": [p.x for p in points],
            "lat": [p.y for p in points],
        },
        geometry=points,
        crs="EPSG:4326",
    )


def build(**overrides) -> folium.Map:
    frames = {
        "jurisdictions": jurisdictions_frame(),
        "incidents": incidents_frame(),
        "resources": resources_frame(),
    }
    frames.update(overrides)
    return overview_map(**frames)


def geojson_layers(m: folium.Map) -> dict[str, folium.GeoJson]:
    return {
        child.layer_name: child
        for child in m._children.values()
        if isinstance(child, folium.GeoJson)
    }


def unescape_json_strings(text: str) -> str:
    """Undo the \\uXXXX escapes Jinja's tojson writes, to see what a browser's JSON
    parser (and then innerHTML) would get."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


# --- layers ---------------------------------------------------------------------------


def test_overview_map_has_one_geojson_layer_per_kind_and_a_layer_control():
    m = build()
    layers = geojson_layers(m)
    assert list(layers) == [LAND_NAME, JURISDICTIONS_NAME, RESOURCES_NAME, INCIDENTS_NAME]
    assert [len(layers[n].data["features"]) for n in layers] == [2, 3, 3, 3]
    assert sum(isinstance(c, folium.LayerControl) for c in m._children.values()) == 1
    rendered = m.get_root().render()
    assert "L.control.layers(" in rendered
    for name in layers:
        assert json.dumps(name) in rendered


def test_point_layers_are_brought_back_on_top_when_an_overlay_is_switched_on():
    m = build()
    layers = geojson_layers(m)
    rendered = m.get_root().render()
    handler = rendered[rendered.index('.on("overlayadd"') :]
    handler = handler[: handler.index("});")]
    names = [layers[RESOURCES_NAME].get_name(), layers[INCIDENTS_NAME].get_name()]
    assert f"[{names[0]},{names[1]},]" in handler.replace(" ", "").replace("\n", "")
    assert "bringToFront" in handler


def test_points_are_circle_markers_inside_the_layer_not_one_element_per_feature():
    m = build()
    for name in (INCIDENTS_NAME, RESOURCES_NAME):
        layer = geojson_layers(m)[name]
        assert isinstance(layer.marker, folium.CircleMarker)
        assert layer.marker.options["fill"] is True
    every = list(_walk(m))
    assert not any(isinstance(e, (folium.Marker, folium.Circle)) for e in every)
    assert not any(type(e) is folium.CircleMarker and e._parent is m for e in every)


def _walk(element):
    for child in element._children.values():
        yield child
        yield from _walk(child)


def test_map_draws_on_a_canvas_without_tiles_and_has_max_zoom():
    m = build()
    assert m.options["prefer_canvas"] is True
    assert '"preferCanvas": true' in m.get_root().render()
    assert m.options["maxZoom"] == palette.MAX_ZOOM
    assert not any(isinstance(e, folium.TileLayer) for e in _walk(m))
    assert "L.tileLayer" not in m.get_root().render()


def test_land_is_the_jurisdictions_dissolved_by_country_under_everything():
    land = land_layer(jurisdictions_frame())
    countries = sorted(f["properties"]["country"] for f in land.data["features"])
    assert countries == ["DE", "NL"]
    de = next(f for f in land.data["features"] if f["properties"]["country"] == "DE")
    assert de["geometry"]["type"] == "Polygon"  # DE-NW and DE-RP merged into one
    assert land.options["interactive"] is False
    assert land.options["pane"] == palette.LAND_PANE


def test_jurisdictions_have_tooltips_with_their_fields():
    layer = jurisdictions_layer(jurisdictions_frame())
    tooltip = next(c for c in layer._children.values() if isinstance(c, folium.GeoJsonTooltip))
    assert tooltip.fields == ["name", "id", "country", "reserve"]
    props = layer.data["features"][0]["properties"]
    assert props == {
        "name": "Nordrhein-Westfalen",
        "id": "DE-NW",
        "country": "DE",
        "reserve": "20 %",
    }


def test_incidents_are_coloured_and_sized_by_severity():
    layer = incidents_layer(incidents_frame())
    styles = [layer.style_function(f) for f in layer.data["features"]]
    assert [s["fillColor"] for s in styles] == [
        palette.SEVERITY_COLORS[5],
        palette.SEVERITY_COLORS[2],
        palette.SEVERITY_COLORS[3],
    ]
    assert styles[0]["radius"] > styles[1]["radius"]
    assert all(s["radius"] <= palette.MAX_CLICK_EXACT_RADIUS for s in styles)
    assert styles[2]["fillOpacity"] < styles[0]["fillOpacity"]  # closed incidents fade


def test_unknown_severity_is_grey_not_an_error():
    frame = incidents_frame()
    frame["severity"] = [9, None, "x"]
    layer = incidents_layer(frame)
    assert {layer.style_function(f)["fillColor"] for f in layer.data["features"]} == {
        palette.UNKNOWN_COLOR
    }


def test_resources_are_coloured_by_type_and_the_legend_lists_the_types_present():
    m = build()
    layer = geojson_layers(m)[RESOURCES_NAME]
    colors = [layer.style_function(f)["fillColor"] for f in layer.data["features"]]
    assert colors[:2] == [
        palette.RESOURCE_TYPE_COLORS["boat"],
        palette.RESOURCE_TYPE_COLORS["pump"],
    ]
    assert colors[2] == palette.EXTRA_TYPE_COLORS[0]  # hovercraft: not a contract type
    legend = next(c for c in m._children.values() if isinstance(c, Legend))
    for label in ("Incident severity", "1 minor", "5 catastrophic", "boat", "pump", "hovercraft"):
        assert label in legend.html
    assert "ambulance" not in legend.html  # only types present are listed


def test_rows_without_coordinates_are_left_out_of_the_map():
    frame = incidents_frame()
    frame.loc[1, ["lon", "lat"]] = np.nan
    layer = incidents_layer(frame)
    assert [f["id"] for f in layer.data["features"]] == ["0", "2"]


def test_points_without_lon_lat_columns_use_their_geometry():
    frame = incidents_frame().drop(columns=["lon", "lat"])
    frame.loc[1, "geometry"] = box(5.0, 50.0, 6.0, 51.0)  # a polygon incident
    coords = [f["geometry"]["coordinates"] for f in incidents_layer(frame).data["features"]]
    assert coords[0] == [6.5, 50.5]
    assert 5.0 < coords[1][0] < 6.0 and 50.0 < coords[1][1] < 51.0


def test_empty_layers_still_make_a_map():
    m = build(incidents=incidents_frame().iloc[0:0], resources=resources_frame().iloc[0:0])
    assert "L.map(" in m.get_root().render()


def test_values_are_prepared_as_text_before_the_map():
    props = incidents_layer(incidents_frame()).data["features"][0]["properties"]
    assert props["reported_at"] == "2021-07-14 17:30 UTC"
    assert props["needs"] == "4 boats, 2 pumps"
    assert props["severity"] == "5"
    assert all(isinstance(v, str) for v in props.values())


# --- hostile text ----------------------------------------------------------------------


def test_hostile_text_is_escaped_in_tooltips_names_and_legend():
    m = build(
        jurisdictions=jurisdictions_frame(name=XSS),
        incidents=incidents_frame(name=XSS, iid=XSS_SCRIPT, hazard=XSS),
        resources=resources_frame(name=XSS, rid=XSS, rtype=XSS),
    )
    rendered = m.get_root().render()
    # Nothing can close the script element the data sits in...
    assert "</script><script>window.__xss" not in rendered
    assert "<img src=x" not in rendered
    # ...and what a browser parses out of it is escaped text, for innerHTML to show.
    parsed = unescape_json_strings(rendered)
    assert "<img src=x" not in parsed
    assert "<script>window.__xss" not in parsed
    assert html.escape(XSS) in parsed
    assert html.escape(XSS_SCRIPT) in parsed


def test_tooltip_values_of_every_layer_are_escaped():
    layers = [
        jurisdictions_layer(jurisdictions_frame(name=XSS)),
        incidents_layer(incidents_frame(name=XSS)),
        resources_layer(resources_frame(name=XSS, rtype=XSS)),
    ]
    for layer in layers:
        first = layer.data["features"][0]["properties"]
        assert first["name"] == "&lt;img src=x onerror=alert(1)&gt;"
        assert all(
            "<" not in v and ">" not in v
            for f in layer.data["features"]
            for v in f["properties"].values()
        )


def test_a_file_column_name_never_reaches_the_map():
    # folium writes GeoJSON property names into JavaScript (its style lookup), so the
    # embedded properties must be our fixed keys whatever the file's columns are.
    frame = incidents_frame()
    frame[XSS_SCRIPT] = "x"
    layer = incidents_layer(frame)
    assert set(layer.data["features"][0]["properties"]) == {
        "name",
        "id",
        "hazard",
        "severity",
        "status",
        "reported_at",
        "needs",
        "jurisdiction",
    }
    assert [f["id"] for f in layer.data["features"]] == ["0", "1", "2"]
    assert (
        "window.__xss"
        not in overview_map(
            jurisdictions=jurisdictions_frame(), incidents=frame, resources=resources_frame()
        )
        .get_root()
        .render()
    )


def test_tooltip_labels_and_layer_names_are_escaped():
    layer = incidents_layer(incidents_frame())
    tooltip = next(c for c in layer._children.values() if isinstance(c, folium.GeoJsonTooltip))
    assert tooltip.aliases == [html_text(a) for a in tooltip.aliases]
    assert layer.layer_name == html.escape(INCIDENTS_NAME)
    assert legend_html([(XSS, [("#123456", XSS)])]).count(html.escape(XSS)) == 2
    with pytest.raises(ValueError, match="#rrggbb"):
        legend_html([("t", [("red;background:url(http://x)", "x")])])


# --- offline ---------------------------------------------------------------------------


def script_and_link_urls(rendered: str) -> list[str]:
    return re.findall(r'<script[^>]*\ssrc="([^"]*)"', rendered) + re.findall(
        r'<link[^>]*\shref="([^"]*)"', rendered
    )


def test_no_request_leaves_the_app_leaflet_is_served_locally():
    rendered = build().get_root().render()
    urls = script_and_link_urls(rendered)
    assert urls == [
        assets.vendor_url("leaflet", "leaflet.js"),
        assets.vendor_url("leaflet", "leaflet.css"),
    ]
    assert not re.search(r"https?://", rendered)  # no tile URL, no CDN, nothing


def test_what_streamlit_folium_loads_is_local_too():
    m = build()
    js = [url for _, url in m.default_js]
    css = [url for _, url in m.default_css]
    assert js == ["/app/static/vendor/leaflet/leaflet.js"]
    assert css == ["/app/static/vendor/leaflet/leaflet.css"]


def test_local_urls_are_files_the_installer_copies():
    copied = {
        assets.vendor_url(p.name, rel.rsplit("/", 1)[-1])
        for p in assets.VENDOR_PACKAGES
        for rel in p.files
    }
    for url in [*assets.LOCAL_JS.values(), *assets.LOCAL_CSS.values()]:
        assert url in copied


def test_folium_class_defaults_are_left_alone():
    build()
    assert folium.Map.default_js[0][1].startswith("https://")  # other maps unaffected


def test_an_asset_that_is_not_installed_is_refused():
    m = build()
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(MapAssetError, match="Control.Fullscreen"):
        use_local_assets(m)


# --- clustering of many resources -----------------------------------------------------


def many_resources(count: int) -> gpd.GeoDataFrame:
    points = [Point(6.0 + (k % 100) * 0.01, 50.0 + (k // 100) * 0.01) for k in range(count)]
    return gpd.GeoDataFrame(
        {
            "id": [f"R-{k}" for k in range(count)],
            "name": [f"Boat {k}" for k in range(count)],
            "type": ["boat"] * count,
            "quantity": [1] * count,
            "status": ["available"] * count,
            "jurisdiction": ["DE-NW"] * count,
            "lon": [p.x for p in points],
            "lat": [p.y for p in points],
        },
        geometry=points,
        crs="EPSG:4326",
    )


CLUSTER_URLS = [
    assets.vendor_url("leaflet.markercluster", "leaflet.markercluster.js"),
    assets.vendor_url("leaflet.markercluster", "MarkerCluster.css"),
    assets.vendor_url("leaflet.markercluster", "MarkerCluster.Default.css"),
]


def test_resources_above_the_threshold_are_clustered_with_the_local_plugin():
    rendered = build(resources=many_resources(palette.CLUSTER_MIN_POINTS + 1)).get_root().render()
    urls = script_and_link_urls(rendered)
    for url in CLUSTER_URLS:
        assert urls.count(url) == 1
    assert "L.markerClusterGroup(" in rendered
    assert f'"disableClusteringAtZoom": {palette.CLUSTER_UNTIL_ZOOM}' in rendered
    assert not re.search(r"https?://", rendered)  # no CDN copy of the plugin either


def test_resources_up_to_the_threshold_are_not_clustered():
    rendered = build(resources=many_resources(palette.CLUSTER_MIN_POINTS)).get_root().render()
    assert not set(script_and_link_urls(rendered)) & set(CLUSTER_URLS)
    assert "markerCluster" not in rendered


def test_only_resources_are_clustered_and_points_stay_circle_markers():
    m = build(resources=many_resources(palette.CLUSTER_MIN_POINTS + 1))
    layers = geojson_layers(m)
    assert layers[RESOURCES_NAME].cluster == palette.cluster_options()
    assert layers[INCIDENTS_NAME].cluster is None
    rendered = m.get_root().render()
    resources = layers[RESOURCES_NAME].get_name()
    assert f"{resources}_clusters.addLayers({resources}.getLayers())" in rendered
    assert "L.circleMarker(latlng" in rendered


def test_clustered_resources_keep_their_tooltips_escaped():
    frame = many_resources(palette.CLUSTER_MIN_POINTS + 1)
    frame.loc[0, "name"] = XSS_SCRIPT
    rendered = build(resources=frame).get_root().render()
    assert "</script><script>window.__xss" not in rendered
    assert html.escape(XSS_SCRIPT) in unescape_json_strings(rendered)


def test_what_streamlit_folium_loads_for_a_clustered_map_is_local():
    m = build(resources=many_resources(palette.CLUSTER_MIN_POINTS + 1))
    urls = [
        url
        for element in _walk(m)
        if isinstance(element, folium.elements.JSCSSMixin)
        for _, url in [*element.default_js, *element.default_css]
    ]
    assert set(CLUSTER_URLS) <= set(urls)
    assert all(url.startswith("/app/static/vendor/") for url in urls)


def test_only_points_can_be_clustered():
    from mutualaid.maps.styled_geojson import StyledGeoJson

    with pytest.raises(ValueError, match="points"):
        StyledGeoJson(
            {"type": "FeatureCollection", "features": []}, styles=[{}], name="x", cluster={}
        )


def test_icons_and_colour_maps_are_refused():
    m = build()
    folium.Marker([50, 6], icon=folium.Icon()).add_to(m)
    with pytest.raises(MapAssetError, match="awesome-markers"):
        use_local_assets(m)
    m = build()
    branca.colormap.LinearColormap(["#ffffff", "#000000"]).add_to(m)
    with pytest.raises(MapAssetError, match="d3"):
        use_local_assets(m)


# --- text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (float("nan"), ""),
        (pd.NaT, ""),
        (pd.NA, ""),
        (np.nan, ""),
        (pd.Timestamp("2021-07-14T17:30:00Z"), "2021-07-14 17:30 UTC"),
        (pd.Timestamp("2021-07-14T19:30:00+02:00"), "2021-07-14 17:30 UTC"),
        ({"pump": 2, "boat": 1}, "boat: 1, pump: 2"),
        ({}, ""),
        (("boat", "pump"), "boat, pump"),
        (np.int64(7), "7"),
        (4.0, "4"),
        (0.25, "0.25"),
        (True, "yes"),
        (b"caf\xc3\xa9", "café"),
        ("  kept  ", "  kept  "),
    ],
)
def test_display_text(value, text):
    assert display_text(value) == text


def test_html_text_escapes_quotes_too():
    assert html_text('" onmouseover="x') == "&quot; onmouseover=&quot;x"


# --- what was clicked -----------------------------------------------------------------


def clicked(lat, lng, tooltip=None):
    return {"last_object_clicked": {"lat": lat, "lng": lng}, "last_object_clicked_tooltip": tooltip}


def frames():
    return {
        "jurisdictions": jurisdictions_frame(),
        "incidents": incidents_frame(),
        "resources": resources_frame(),
    }


@pytest.mark.parametrize(
    "returned",
    [
        None,
        {},
        {"last_object_clicked": None},
        {"last_object_clicked": {"lat": 50.5}},
        {"last_object_clicked": {"lat": "north", "lng": 6.5}},
        {"last_object_clicked": {"lat": float("nan"), "lng": 6.5}},
        "clicked",
    ],
)
def test_no_click_or_a_malformed_one_selects_nothing(returned):
    assert clicked_feature(returned, **frames()) is None


def test_click_on_an_incident_selects_it():
    assert clicked_feature(clicked(49.5, 6.5), **frames()) == Selection("incident", 2, "I-3")


def test_click_at_the_coordinates_the_map_embeds_finds_the_feature():
    # The map rounds coordinates; Leaflet reports the marker's (rounded) position.
    frame = incidents_frame()
    frame.loc[0, ["lon", "lat"]] = [6.123456789, 50.987654321]
    layer = incidents_layer(frame)
    lng, lat = layer.data["features"][0]["geometry"]["coordinates"]
    assert (lng, lat) != (6.123456789, 50.987654321)
    got = clicked_feature(clicked(lat, lng), incidents=frame)
    assert got == Selection("incident", 0, "I-1")


def test_points_at_the_same_place_are_told_apart_by_the_tooltip():
    tooltip = "ResourcePumps, KoelnIdR-10TypepumpUnits6"  # a detached tooltip's innerText
    assert clicked_feature(clicked(50.9, 6.9, tooltip), **frames()) == Selection(
        "resource", 1, "R-10"
    )
    assert clicked_feature(clicked(50.9, 6.9, None), **frames()) == Selection("resource", 0, "R-1")


def test_click_elsewhere_in_a_jurisdiction_selects_the_jurisdiction():
    assert clicked_feature(clicked(50.2, 5.2), **frames()) == Selection("jurisdiction", 1, "NL-LI")


def test_click_outside_everything_selects_nothing():
    assert clicked_feature(clicked(10.0, 10.0), **frames()) is None


def test_click_objects_are_the_two_the_page_uses():
    assert CLICK_OBJECTS == ("last_object_clicked", "last_object_clicked_tooltip")


def test_feature_details_are_plain_text_with_extras():
    frame = incidents_frame(name=XSS)
    frame["note"] = ["bring <b>boats</b>", "", None]
    details = dict(feature_details(Selection("incident", 0, "I-1"), frame))
    assert details["Incident"] == XSS  # shown with st.text, so not escaped
    assert details["Needs"] == "4 boats, 2 pumps"
    assert details["Maximum response time"] == "4 h"
    assert details["note"] == "bring <b>boats</b>"
    second = dict(feature_details(Selection("incident", 1, "I-2"), frame))
    assert "note" not in second and "Maximum response time" not in second


# --- styling in the browser (mutualaid.maps.styled_geojson) ------------------------------------


def _st_folium_script(m: folium.Map) -> str:
    """The Leaflet script streamlit-folium builds from a map (what the iframe runs)."""
    from streamlit_folium import _get_map_string

    m.get_root().render()
    m.render()
    return _get_map_string(m)


def test_features_carry_a_style_index_into_a_table_of_colours_and_sizes():
    layer = incidents_layer(incidents_frame())
    indices = [f["s"] for f in layer.data["features"]]
    assert all(isinstance(i, int) and 0 <= i < len(layer.styles) for i in indices)
    picked = [layer.styles[i] for i in indices]
    assert [s["fillColor"] for s in picked] == [
        palette.SEVERITY_COLORS[5],
        palette.SEVERITY_COLORS[2],
        palette.SEVERITY_COLORS[3],
    ]
    assert [s["radius"] for s in picked] == [palette.severity_radius(v) for v in (5, 2, 3)]
    # The table lists each distinct style once, and the page holds it, not one per feature.
    assert len(layer.styles) == len({json.dumps(s, sort_keys=True) for s in layer.styles})
    rendered = build().get_root().render()
    assert "switch(" not in rendered and "case " not in rendered
    assert f"{layer.get_name()}_styles[feature.s]" in layer._template.module.script(layer, {})


def test_incidents_are_sized_by_unmet_need_when_a_plan_is_given():
    layer = incidents_layer(incidents_frame(), unmet={"I-1": 12, "I-2": 1})
    radii = [layer.style_function(f)["radius"] for f in layer.data["features"]]
    assert radii == [
        palette.unmet_need_radius(12),
        palette.unmet_need_radius(1),
        palette.unmet_need_radius(0),
    ]
    assert radii[0] > radii[1] > radii[2]
    assert max(radii) <= palette.MAX_CLICK_EXACT_RADIUS  # clicks still report the point


def test_assigned_resources_are_hollow_rings_of_their_type_colour():
    layer = resources_layer(resources_frame())
    available, _, assigned = (layer.style_function(f) for f in layer.data["features"])
    assert (
        available["fillOpacity"] > 0.5
        and available["fillColor"] == palette.RESOURCE_TYPE_COLORS["boat"]
    )
    assert assigned["fillOpacity"] == 0.0
    assert assigned["color"] == assigned["fillColor"]


def test_hostile_text_stays_escaped_in_the_script_streamlit_folium_sends():
    m = build(
        incidents=incidents_frame(name=XSS_SCRIPT, iid=XSS),
        resources=resources_frame(name=XSS, rtype=XSS_SCRIPT),
    )
    script = _st_folium_script(m)
    assert "</script" not in script.lower()
    assert "<img" not in script
    parsed = unescape_json_strings(script)
    assert "<img src=x" not in parsed and "<script>window.__xss" not in parsed
    assert html.escape(XSS_SCRIPT) in parsed


def test_template_syntax_in_a_file_is_shown_not_evaluated():
    # The features are written as raw text, never compiled as a Jinja template.
    m = build(incidents=incidents_frame(name="{{ 7 * 7 }} {% if 1 %}x{% endif %}"))
    page = m.get_root().render()
    assert "{{ 7 * 7 }}" in page and "{% if 1 %}x{% endif %}" in page
    assert "{{ 7 * 7 }}" in _st_folium_script(build(incidents=incidents_frame(name="{{ 7 * 7 }}")))


def test_the_styled_map_names_no_external_url():
    m = build()
    page = m.get_root().render()
    script = _st_folium_script(build())
    for text in (page, script):
        assert not re.search(r"https?://", text), re.search(r"https?://\S+", text)


def test_a_deep_copy_shares_the_features_and_renders_the_same_page():
    import copy

    m = build()
    layer = geojson_layers(m)[INCIDENTS_NAME]
    twin = copy.deepcopy(m)
    assert geojson_layers(twin)[INCIDENTS_NAME].data is layer.data
    page = m.get_root().render()
    assert len(twin.get_root().render()) == len(page)


def test_point_coordinates_are_rounded_to_five_decimals():
    frame = incidents_frame()
    frame["lon"] = [6.123456789, 5.5, 6.5]
    coords = incidents_layer(frame).data["features"][0]["geometry"]["coordinates"]
    assert coords[0] == 6.12346 and palette.POINT_DECIMALS == 5


def test_jurisdiction_outlines_are_simplified_for_display_only():
    wiggly = jurisdictions_frame()
    ring = [(6 + i / 1000, 50 + (0.0005 if i % 2 else 0)) for i in range(1001)]
    from shapely.geometry import Polygon

    wiggly.loc[0, "geometry"] = Polygon(ring + [(7, 51), (6, 51)])
    shown = jurisdictions_layer(wiggly).data["features"][0]["geometry"]["coordinates"][0]
    assert len(shown) < 20
    assert len(wiggly.geometry.iat[0].exterior.coords) > 1000  # the frame is untouched
