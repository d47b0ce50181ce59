"""The workflow's held units on the plan and overview maps (issue 12): drawn apart from
the plan's proposed flows, per stage, escaped, and not at all when nothing is held."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import folium
import pytest

from builders import BREAKOUT, IMG, canonical_scenario
from mutualaid.allocation import allocate, flows_geojson
from mutualaid.allocation.held import COMMITTED, EN_ROUTE, ON_SCENE, Held, HeldLine, free_part
from mutualaid.exports import briefing_html
from mutualaid.figures.operation import operation_figures
from mutualaid.figures.overview import Filters, apply_filters
from mutualaid.figures.plan import key_figures
from mutualaid.maps import overview_map, palette
from mutualaid.maps.elements import SWATCHES, legend_html
from mutualaid.maps.held import (
    HELD_FIELDS,
    HELD_LINES_NAME,
    HELD_RINGS_NAME,
    HELD_TITLE,
    eta_text,
    held_entries,
    held_frame,
)
from mutualaid.maps.layers import INCIDENTS_NAME, RESOURCES_NAME
from mutualaid.maps.plan import UNMET_NAME, plan_map

ETA = datetime(2026, 12, 7, 13, 5, tzinfo=UTC)


def _scenario(resource_id: str = "R1"):
    # DE-A owns 10 boats (R1) and 2 pumps (P1); NL-B has two floods, DE-A one.
    return canonical_scenario(
        resources=[
            {
                "id": resource_id,
                "type": "boat",
                "quantity": 10,
                "jurisdiction": "DE-A",
                "lon": 6.5,
                "lat": 50.5,
            },
            {
                "id": "P1",
                "type": "pump",
                "quantity": 2,
                "jurisdiction": "DE-A",
                "lon": 6.2,
                "lat": 50.4,
            },
        ],
        incidents=[
            {"id": "N1", "needs": {"boat": 4}, "jurisdiction": "NL-B", "lon": 7.5, "lat": 50.5},
            {"id": "N2", "needs": {"boat": 6}, "jurisdiction": "NL-B", "lon": 7.6, "lat": 50.6},
            {"id": "H1", "needs": {"pump": 2}, "jurisdiction": "DE-A", "lon": 6.6, "lat": 50.6},
        ],
        agreements=[("DE-A", "NL-B", ["*"], 0)],
    )


def _held(resource_id: str = "R1") -> Held:
    return Held(
        (
            HeldLine(3, resource_id, "N1", "boat", 4, 20.0, "DE-A", "NL-B", EN_ROUTE, ETA),
            HeldLine(4, resource_id, "N2", "boat", 2, 22.0, "DE-A", "NL-B", COMMITTED),
            HeldLine(5, "P1", "H1", "pump", 2, 8.0, "DE-A", "DE-A", ON_SCENE, ETA),
        )
    )


def _plan_map(scenario, held):
    plan = allocate(free_part(scenario, held or Held()), held=held)
    return plan_map(
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=scenario.resources,
        plan=plan,
        flows=flows_geojson(plan, scenario),
        held=held,
    )


def _layers(m: folium.Map) -> dict[str, folium.GeoJson]:
    return {
        html.unescape(c.layer_name): c
        for c in m._children.values()
        if isinstance(c, folium.GeoJson)
    }


def _normalised(m: folium.Map) -> str:
    # Element names are random per build (folium's _<32 hex> ids).
    return re.sub(r"_[0-9a-f]{32}", "_x", m.get_root().render())


# --- features per stage ------------------------------------------------------------------


def test_en_route_and_committed_are_lines_from_the_resource_to_the_incident():
    scenario = _scenario()
    m = _plan_map(scenario, _held())
    layer = _layers(m)[HELD_LINES_NAME]
    features = layer.data["features"]
    assert [f["properties"]["stage"] for f in features] == [
        palette.HELD_LABELS[COMMITTED],  # drawn first, under those en route
        palette.HELD_LABELS[EN_ROUTE],
    ]
    for feature in features:
        assert feature["geometry"]["type"] == "LineString"
        assert feature["geometry"]["coordinates"][0] == [6.5, 50.5]  # the resource
    committed, en_route = (layer.style_function(f) for f in features)
    assert (
        en_route["color"] == palette.HELD_COLORS[EN_ROUTE]
        and en_route["dashArray"] == palette.HELD_DASH[EN_ROUTE]
    )
    assert (
        committed["color"] == palette.HELD_COLORS[COMMITTED]
        and committed["dashArray"] == palette.HELD_DASH[COMMITTED]
    )
    assert committed["weight"] < en_route["weight"]
    assert features[0]["geometry"]["coordinates"][1] == [7.6, 50.6]  # N2
    assert features[1]["geometry"]["coordinates"][1] == [7.5, 50.5]  # N1


def test_on_scene_is_a_ring_at_the_incident_with_the_units_count():
    m = _plan_map(_scenario(), _held())
    layer = _layers(m)[HELD_RINGS_NAME]
    [feature] = layer.data["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [6.6, 50.6]}  # H1
    style = layer.style_function(feature)
    assert style["color"] == palette.HELD_COLORS[ON_SCENE] and 11 <= style["radius"] <= 12
    assert feature["properties"]["units"] == "2"
    rendered = m.get_root().render()
    assert "mutualaid-held-count" in rendered and "[[6.6, 50.6, 2]]" in rendered
    assert "textContent = String(c[2])" in rendered  # a number, never HTML


def test_tooltips_name_resource_type_units_route_stage_eta_and_offer():
    m = _plan_map(_scenario(), _held())
    en_route = _layers(m)[HELD_LINES_NAME].data["features"][1]["properties"]
    assert en_route == {
        "stage": "en route (accepted)",
        "resource": "R1",
        "incident": "N1",
        "type": "boat",
        "units": "4",
        "between": "DE-A (DE) -&gt; NL-B (NL)",
        "eta": "2026-12-07 13:05 UTC",
        "offer": "#3",
    }
    committed = _layers(m)[HELD_LINES_NAME].data["features"][0]["properties"]
    assert committed["eta"] == "" and committed["offer"] == "#4"
    assert set(en_route) == {f.key for f in HELD_FIELDS}
    assert "route" not in en_route  # the e2e tests count proposed flows by this key


def test_held_units_are_drawn_apart_from_the_proposed_flows():
    scenario = _scenario()
    m = _plan_map(scenario, _held())
    found = _layers(m)
    order = list(found)
    # Lines with the flows, under the points; rings over the unmet ring, under incidents.
    assert order.index(HELD_LINES_NAME) < order.index(RESOURCES_NAME)
    assert order.index(UNMET_NAME) < order.index(HELD_RINGS_NAME) < order.index(INCIDENTS_NAME)
    flows = [
        f
        for name, layer in found.items()
        if name.startswith("Flows")
        for f in layer.data["features"]
    ]
    # The plan proposes what is free: N1 (4 held) needs nothing more, N2 gets 4 more.
    proposed = {(f["properties"]["incident"], f["properties"]["units"]) for f in flows}
    assert ("N1", "4") not in proposed and ("N2", "4") in proposed
    legend = next(c for c in m._children.values() if type(c).__name__ == "Legend")
    assert html.escape(HELD_TITLE) in legend.html
    for _color, label, _shape in held_entries():
        assert html.escape(label) in legend.html
    assert "mutualaid-legend-dotted" in legend.html


def test_the_overview_map_draws_them_too():
    scenario = _scenario()
    m = overview_map(
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=scenario.resources,
        held=_held(),
    )
    order = list(_layers(m))
    assert order == [
        "Countries",
        "Jurisdictions",
        HELD_LINES_NAME,
        RESOURCES_NAME,
        HELD_RINGS_NAME,
        INCIDENTS_NAME,
    ]
    keep = re.search(r'on\("overlayadd".*?\[([^\]]*)\]', m.get_root().render(), re.DOTALL)
    names = [n.strip() for n in keep.group(1).split(",") if n.strip()]
    assert names == [c.get_name() for c in list(_layers(m).values())[2:]]


def test_only_lines_of_the_shown_incidents_or_resources_are_drawn():
    scenario = _scenario()
    # Only NL-B's incidents and resources: no resource shown, so no line can be drawn,
    # and the ring at DE-A's H1 is not shown either.
    shown = apply_filters(scenario, Filters(jurisdictions=("NL-B",)))
    frame = held_frame(
        _held(),
        jurisdictions=shown.jurisdictions,
        incidents=shown.incidents,
        resources=shown.resources,
    )
    assert sorted(frame["offer_id"]) == [3, 4]  # their incidents are shown
    m = overview_map(
        jurisdictions=shown.jurisdictions,
        incidents=shown.incidents,
        resources=shown.resources,
        held=_held(),
    )
    assert HELD_LINES_NAME not in _layers(m) and HELD_RINGS_NAME not in _layers(m)
    # Pumps only: the boats' lines are left out, the pump on scene stays.
    pumps = apply_filters(scenario, Filters(resource_types=("pump",)))
    m = overview_map(
        jurisdictions=pumps.jurisdictions,
        incidents=pumps.incidents,
        resources=pumps.resources,
        held=_held(),
    )
    assert HELD_LINES_NAME not in _layers(m)
    assert len(_layers(m)[HELD_RINGS_NAME].data["features"]) == 1


def test_help_from_a_resource_the_filters_hide_is_drawn_to_the_shown_incident():
    # The bug: filtered to the requester (NL-B), the Overview counted the boats held for
    # its incidents but drew none, since their resource (DE-A's) was filtered out.
    scenario = _scenario()
    shown = apply_filters(scenario, Filters(jurisdictions=("NL-B",)))
    m = overview_map(
        jurisdictions=shown.jurisdictions,
        incidents=shown.incidents,
        resources=shown.resources,
        held=_held(),
        held_resources=scenario.resources,
    )
    drawn = _layers(m)[HELD_LINES_NAME].data["features"]
    assert sorted(f["properties"]["offer"] for f in drawn) == ["#3", "#4"]
    assert HELD_RINGS_NAME not in _layers(m)  # DE-A's own incident is not shown


# --- hostile text -------------------------------------------------------------------------


@pytest.mark.parametrize("text", [IMG, BREAKOUT])
def test_a_hostile_resource_id_is_escaped(text):
    scenario = _scenario(resource_id=text)
    held = _held(resource_id=text)
    for m in (
        _plan_map(scenario, held),
        overview_map(
            jurisdictions=scenario.jurisdictions,
            incidents=scenario.incidents,
            resources=scenario.resources,
            held=held,
        ),
    ):
        lines = _layers(m)[HELD_LINES_NAME]
        for feature in lines.data["features"]:
            for value in feature["properties"].values():
                assert "<" not in value and ">" not in value, value
        assert lines.data["features"][0]["properties"]["resource"] == html.escape(text)
        rendered = m.get_root().render()
        assert text not in rendered
        assert "<img src=x" not in rendered and "</script><script>window" not in rendered


def test_the_briefing_export_carries_them_and_loads_nothing():
    scenario = _scenario(resource_id=BREAKOUT)
    held = _held(resource_id=BREAKOUT)
    plan = allocate(free_part(scenario, held), held=held)
    page = briefing_html(
        title="erft",
        map_=_plan_map(scenario, held),
        operation=operation_figures(scenario, held, plan),
        figures=key_figures(plan, free_part(scenario, held)),
        updated_at="12:34:56",
    )
    assert html.escape(HELD_LINES_NAME) in page and html.escape(HELD_RINGS_NAME) in page
    assert BREAKOUT not in page
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", page, flags=re.IGNORECASE)
    assert not [t for t in tags if re.search(r"\b(?:src|href)\s*=", t, flags=re.IGNORECASE)]


# --- nothing held ----------------------------------------------------------------------------


@pytest.mark.parametrize("held", [None, Held()])
def test_nothing_held_draws_nothing_and_the_maps_are_unchanged(held):
    scenario = _scenario()
    plain = _plan_map(scenario, None)
    plan = allocate(scenario)
    without = plan_map(
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=scenario.resources,
        plan=plan,
        flows=flows_geojson(plan, scenario),
    )
    with_held = _plan_map(scenario, held)
    assert _normalised(with_held) == _normalised(without) == _normalised(plain)
    assert HELD_LINES_NAME not in _layers(with_held) and HELD_RINGS_NAME not in _layers(with_held)
    assert 'mutualaid-held-count"' not in with_held.get_root().render()
    kwargs = {
        "jurisdictions": scenario.jurisdictions,
        "incidents": scenario.incidents,
        "resources": scenario.resources,
    }
    assert _normalised(overview_map(**kwargs, held=held)) == _normalised(overview_map(**kwargs))


def test_lines_held_elsewhere_draw_nothing():
    scenario = _scenario()
    elsewhere = Held((HeldLine(9, "R9", "N9", "boat", 1, 5.0, "DE-A", "NL-B", EN_ROUTE),))
    kwargs = {
        "jurisdictions": scenario.jurisdictions,
        "incidents": scenario.incidents,
        "resources": scenario.resources,
    }
    assert _normalised(overview_map(**kwargs, held=elsewhere)) == _normalised(
        overview_map(**kwargs)
    )


# --- small parts --------------------------------------------------------------------------


def test_the_legend_has_a_dotted_swatch():
    assert "dotted" in SWATCHES
    text = legend_html([("Held", [("#4d3300", "committed", "dotted")])])
    assert 'class="mutualaid-legend-dotted" style="border-color:#4d3300"' in text


def test_eta_text():
    assert eta_text(ETA) == "2026-12-07 13:05 UTC"
    assert eta_text(None) == "" and eta_text("soon") == ""
