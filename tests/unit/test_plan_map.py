"""The plan map (mutualaid.maps.plan): flows, cross-border styling, unmet rings; offline
and escaped."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import folium
import pytest

from builders import loaded_scenario, point, square, write_collection
from mutualaid.allocation import allocate, flows_geojson
from mutualaid.maps import assets, palette
from mutualaid.maps.elements import Legend, legend_html
from mutualaid.maps.flows import FLOW_FIELDS, FLOW_LAYER_NAMES, agreement_text, flow_frame
from mutualaid.maps.layers import INCIDENTS_NAME, RESOURCES_NAME
from mutualaid.maps.plan import UNMET_NAME, plan_map, unmet_points
from mutualaid.scenario.loading import Scenario, load_scenario
from mutualaid.vocabulary import duration

XSS = '<img src=x onerror="window.__xss=1">'
BREAKOUT = "</script><script>window.__xss=2</script>"


# --- a small scenario, written and read back as the app does -------------------------------


def write_scenario(folder: Path, *, text: str = "") -> Path:
    """DE-NW (with a flood short of pumps), DE-RP and NL-LI; boats come from both a
    German and a Dutch depot, a pump from DE-RP. *text* is added to every name and id a
    file sets, to see it escaped."""
    folder.mkdir(parents=True)
    nw = f"DE-NW{text}"
    write_collection(
        folder / "jurisdictions.geojson",
        [
            ({"id": nw, "name": f"Nordrhein-Westfalen{text}", "country": "DE"}, square(6, 50)),
            ({"id": "DE-RP", "name": "Rheinland-Pfalz", "country": "DE"}, square(6, 49)),
            ({"id": "NL-LI", "name": f"Limburg{text}", "country": "NL"}, square(5, 50)),
        ],
    )
    write_collection(
        folder / "incidents.geojson",
        [
            (
                {
                    "id": f"I-1{text}",
                    "name": f"Erft flood{text}",
                    "hazard": "flood",
                    "severity": 5,
                    "reported_at": "2021-07-14T17:30:00Z",
                    "needs": {"boat": 4, "pump": 3},
                },
                point(6.5, 50.5),
            ),
            (
                {
                    "id": "I-2",
                    "name": "Geul flood",
                    "hazard": "flood",
                    "severity": 2,
                    "reported_at": "2021-07-14T17:30:00Z",
                    "needs": {"boat": 1},
                },
                point(5.5, 50.5),
            ),
        ],
    )
    write_collection(
        folder / "resources.geojson",
        [
            (
                {"id": f"R-1{text}", "name": f"Boats, Koeln{text}", "type": "boat", "quantity": 2},
                point(6.9, 50.9),
            ),
            (
                {"id": "R-2", "name": f"Boats, Maastricht{text}", "type": "boat", "quantity": 4},
                point(5.7, 50.8),
            ),
            ({"id": "R-3", "name": "Pump, Mainz", "type": "pump", "quantity": 1}, point(6.5, 49.8)),
        ],
    )
    (folder / "agreements.csv").write_text(
        "from,to,resource_types,border_delay_min\nNL,DE,*,20\nDE,DE,*,10\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def scenario(tmp_path) -> Scenario:
    return loaded_scenario(write_scenario(tmp_path / "s"))


def build(scenario: Scenario, plan=None) -> tuple[folium.Map, object]:
    plan = allocate(scenario) if plan is None else plan
    m = plan_map(
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=scenario.resources,
        plan=plan,
        flows=flows_geojson(plan, scenario),
    )
    return m, plan


def layers(m: folium.Map) -> dict[str, folium.GeoJson]:
    return {
        html.unescape(c.layer_name): c
        for c in m._children.values()
        if isinstance(c, folium.GeoJson)
    }


def styled(layer: folium.GeoJson) -> list[dict]:
    return [layer.style_function(f) for f in layer.data["features"]]


def unescape_json_strings(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


# --- flows -------------------------------------------------------------------------------------


def test_every_assignment_is_a_line_from_resource_to_incident(scenario):
    m, plan = build(scenario)
    found = layers(m)
    assert list(found) == [
        "Countries",
        "Jurisdictions",
        *FLOW_LAYER_NAMES.values(),
        RESOURCES_NAME,
        UNMET_NAME,
        INCIDENTS_NAME,
    ]
    lines = [f for name in FLOW_LAYER_NAMES.values() for f in found[name].data["features"]]
    assert len(lines) == len(plan.assignments) > 0
    assert {f["geometry"]["type"] for f in lines} == {"LineString"}
    ends = {
        (tuple(f["geometry"]["coordinates"][0]), tuple(f["geometry"]["coordinates"][1]))
        for f in lines
    }
    res = scenario.resources.set_index("id")
    inc = scenario.incidents.set_index("id")
    expected = {
        ((res.loc[r, "lon"], res.loc[r, "lat"]), (inc.loc[i, "lon"], inc.loc[i, "lat"]))
        for r, i in zip(plan.assignments["resource_id"], plan.assignments["incident_id"])
    }
    assert ends == expected


def test_flows_are_grouped_by_the_border_they_cross(scenario):
    m, _ = build(scenario)
    found = layers(m)
    national = found[FLOW_LAYER_NAMES["national"]].data["features"]
    between = found[FLOW_LAYER_NAMES["jurisdiction"]].data["features"]
    local = found[FLOW_LAYER_NAMES["local"]].data["features"]
    assert [f["properties"]["resource"] for f in national] == ["Boats, Maastricht (R-2)"]
    assert [f["properties"]["resource"] for f in between] == ["Pump, Mainz (R-3)"]
    # R-2 also serves the Geul flood at home.
    assert {(f["properties"]["resource"], f["properties"]["incident"]) for f in local} == {
        ("Boats, Koeln (R-1)", "Erft flood (I-1)"),
        ("Boats, Maastricht (R-2)", "Geul flood (I-2)"),
    }


def test_cross_border_flows_are_dashed_thicker_and_another_colour(scenario):
    m, _ = build(scenario)
    found = layers(m)
    [national] = styled(found[FLOW_LAYER_NAMES["national"]])
    [between] = styled(found[FLOW_LAYER_NAMES["jurisdiction"]])
    local = styled(found[FLOW_LAYER_NAMES["local"]])
    assert national["dashArray"] == palette.FLOW_DASH["national"]
    assert "dashArray" not in between and all("dashArray" not in s for s in local)
    assert len({national["color"], between["color"], local[0]["color"]}) == 3
    # Same units, wider line across a national border.
    assert (
        palette.flow_weight("national", 1)
        > palette.flow_weight("jurisdiction", 1)
        > palette.flow_weight("local", 1)
    )
    assert (
        national["weight"]
        >= palette.FLOW_WEIGHT["national"]
        > max(s["weight"] for s in local) - palette.FLOW_WEIGHT_EXTRA_MAX
    )
    assert palette.flow_weight("local", 3) > palette.flow_weight("local", 1)  # more units: wider


def test_the_legend_explains_the_flows_and_the_unmet_ring(scenario):
    m, _ = build(scenario)
    [legend] = [c for c in m._children.values() if isinstance(c, Legend)]
    assert "across a national border" in legend.html
    assert 'class="mutualaid-legend-dashed"' in legend.html
    assert f"border-color:{palette.FLOW_COLORS['national']}" in legend.html
    assert 'class="mutualaid-legend-ring"' in legend.html
    assert "Incident severity" in legend.html and "boat" in legend.html
    rendered = m.get_root().render()
    assert ".mutualaid-legend i.mutualaid-legend-dashed" in rendered  # its CSS is on the page


def test_legend_swatches_are_checked():
    assert legend_html([("t", [("#123456", "a")])]) == legend_html(
        [("t", [("#123456", "a", "dot")])]
    )
    with pytest.raises(ValueError, match="swatches"):
        legend_html([("t", [("#123456", "a", "star")])])
    with pytest.raises(ValueError, match="#rrggbb"):
        legend_html([("t", [("red;background:url(x)", "a", "line")])])


def test_flow_tooltips_name_resource_incident_type_units_minutes_and_agreement(scenario):
    m, plan = build(scenario)
    [national] = layers(m)[FLOW_LAYER_NAMES["national"]].data["features"]
    props = national["properties"]
    assert set(props) == {f.key for f in FLOW_FIELDS}
    a = plan.assignments
    [row] = a[(a["resource_id"] == "R-2") & (a["incident_id"] == "I-1")].to_dict("records")
    assert props["incident"] == "Erft flood (I-1)"
    assert props["type"] == "boat"
    assert props["units"] == str(row["units"])
    assert props["minutes"] == duration(row["minutes"])  # "1 h 45 min"
    assert props["route"] == "NL-LI (NL) -&gt; DE-NW (DE)"
    assert props["agreement"] == "NL -&gt; DE, all types, +20 min at the border"
    tooltip = next(
        c
        for c in layers(m)[FLOW_LAYER_NAMES["national"]]._children.values()
        if isinstance(c, folium.GeoJsonTooltip)
    )
    assert tooltip.aliases[-1] == "Agreement"


def test_agreement_text_for_a_listed_type_and_a_domestic_trip():
    assert (
        agreement_text(
            {"from": "DE", "to": "NL", "resource_types": "boat;pump", "border_delay_min": 30.0}
        )
        == "DE -> NL, boats, pumps, +30 min at the border"
    )
    assert agreement_text(None) == "none needed (same jurisdiction)"


def test_flows_without_finite_ends_are_left_out(scenario):
    flows = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[6.9, 50.9], [6.5, 50.5]]},
                "properties": {
                    "resource_id": "R-1",
                    "incident_id": "I-1",
                    "type": "boat",
                    "units": 2,
                    "minutes": 30.0,
                    "from_jurisdiction": "DE-NW",
                    "to_jurisdiction": "DE-NW",
                    "agreement": None,
                },
            },
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[float("nan"), 50.9], [6.5, 50.5]],
                },
                "properties": {
                    "resource_id": "R-2",
                    "incident_id": "I-1",
                    "type": "boat",
                    "units": 1,
                    "minutes": 30.0,
                    "from_jurisdiction": "NL-LI",
                    "to_jurisdiction": "DE-NW",
                    "agreement": None,
                },
            },
        ],
    }
    frame = flow_frame(
        flows,
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=scenario.resources,
    )
    assert frame["resource_id"].tolist() == ["R-1"]
    assert frame["crossing"].tolist() == ["local"]


# --- unmet needs -------------------------------------------------------------------------


def test_incidents_short_of_units_get_a_ring_sized_by_units_short(scenario):
    m, plan = build(scenario)
    short = plan.unmet.groupby("incident_id")["units"].sum()
    assert short.to_dict() == {"I-1": 2}  # the premise: two pumps missing, boats all met
    ring_layer = layers(m)[UNMET_NAME]
    [ring] = ring_layer.data["features"]
    assert ring["properties"]["id"] == "I-1"
    assert ring["properties"]["short"] == "2"
    assert ring["properties"]["unmet"].startswith("2 pumps (")
    [ring_style] = styled(ring_layer)
    assert ring_style["color"] == palette.UNMET_COLOR
    assert ring_style["radius"] == palette.unmet_radius(2)
    assert ring_style["radius"] > palette.INCIDENT_RADIUS[5]  # visible around the dot
    assert palette.unmet_radius(12) > palette.unmet_radius(2) > 0


def test_unmet_points_take_the_incidents_location():
    plan = {
        "assignments": [],
        "unmet": [{"incident_id": "I-2", "type": "boat", "units": 1, "reason": "no agreement"}],
    }
    import geopandas as gpd
    from shapely.geometry import Point

    incidents = gpd.GeoDataFrame(
        {
            "id": ["I-1", "I-2"],
            "name": ["a", "b"],
            "severity": [1, 2],
            "needs": [{}, {"boat": 1}],
            "lon": [1.0, 2.0],
            "lat": [3.0, 4.0],
        },
        geometry=[Point(1, 3), Point(2, 4)],
        crs="EPSG:4326",
    )
    points = unmet_points(plan, incidents)
    assert points[["incident_id", "lon", "lat", "units"]].values.tolist() == [["I-2", 2.0, 4.0, 1]]
    assert points["needs"].tolist() == ["1 boat (no agreement)"]


def test_a_plan_with_no_assignments_still_makes_a_map(scenario):
    empty = {"assignments": [], "unmet": [], "summary": {}}
    m = plan_map(
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=scenario.resources,
        plan=empty,
        flows={"type": "FeatureCollection", "features": []},
    )
    assert "L.map(" in m.get_root().render()
    assert all(not layers(m)[name].data["features"] for name in FLOW_LAYER_NAMES.values())


# --- hostile text and offline ---------------------------------------------------------------


def test_hostile_names_and_ids_are_escaped_everywhere(tmp_path):
    for text in (XSS, BREAKOUT):
        folder = write_scenario(tmp_path / f"h{len(text)}", text=text)
        scenario = load_scenario(folder).scenario
        assert scenario is not None
        m, plan = build(scenario)
        assert len(plan.assignments) and len(plan.unmet)  # flows and rings carry the text
        rendered = m.get_root().render()
        assert "<img src=x" not in rendered and "</script><script>window" not in rendered
        parsed = unescape_json_strings(rendered)
        assert "<img src=x" not in parsed and "<script>window" not in parsed
        assert html.escape(text) in parsed
        for layer in layers(m).values():
            for feature in layer.data["features"]:
                for value in feature["properties"].values():
                    assert "<" not in value and ">" not in value, value


def test_a_file_column_name_never_reaches_the_flow_properties(scenario):
    plan = allocate(scenario)
    flows = flows_geojson(plan, scenario)
    for feature in flows["features"]:
        feature["properties"][BREAKOUT] = XSS  # an extra the engine might add one day
    m = plan_map(
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=scenario.resources,
        plan=plan,
        flows=flows,
    )
    for name in FLOW_LAYER_NAMES.values():
        for feature in layers(m)[name].data["features"]:
            assert set(feature["properties"]) == {f.key for f in FLOW_FIELDS}
    assert "window.__xss" not in m.get_root().render()


def test_no_external_url_only_the_apps_own_leaflet(scenario):
    m, _ = build(scenario)
    rendered = m.get_root().render()
    assert not re.search(r"https?://", rendered)
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]*)"', rendered)
    links = re.findall(r'<link[^>]*\shref="([^"]*)"', rendered)
    assert scripts == [assets.vendor_url("leaflet", "leaflet.js")]
    assert links == [assets.vendor_url("leaflet", "leaflet.css")]
    assert [u for _, u in m.default_js] == [assets.vendor_url("leaflet", "leaflet.js")]


def test_flows_and_points_stay_on_top_when_overlays_are_switched(scenario):
    m, _ = build(scenario)
    rendered = m.get_root().render()
    found = layers(m)
    order = [
        found[n].get_name()
        for n in (*FLOW_LAYER_NAMES.values(), RESOURCES_NAME, UNMET_NAME, INCIDENTS_NAME)
    ]
    keep = re.search(r'on\("overlayadd".*?\[([^\]]*)\]', rendered, re.DOTALL).group(1)
    assert [n.strip() for n in keep.split(",") if n.strip()] == order


def test_the_map_opens_on_the_incidents_and_flows_not_every_jurisdiction(scenario):
    m, _ = build(scenario)
    rendered = m.get_root().render()
    [bounds] = re.findall(r"fitBounds\(\s*(\[\[-?[0-9].*?\]\])", rendered, re.DOTALL)
    (south, west), (north, east) = json.loads(bounds)
    # Incidents at 50.5 N, flows from 5.7..6.9 E / 49.8..50.9 N; DE-RP reaches 49 N.
    assert south == pytest.approx(49.8) and north == pytest.approx(50.9)
    assert west == pytest.approx(5.5) and east == pytest.approx(6.9)
