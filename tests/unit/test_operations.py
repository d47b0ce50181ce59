"""The operations picture: filters applied to the frames, and the operation's figures."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from builders import jurisdictions_frame
from mutualaid.allocation import allocate, flows_geojson
from mutualaid.allocation.held import Held
from mutualaid.figures.operation import operation_figures
from mutualaid.figures.overview import (
    Filters,
    apply_filters,
    filter_options,
    shown_assignments,
    shown_flows,
    unmet_units,
)
from mutualaid.layers.schema import AGREEMENT_COLUMNS
from mutualaid.scenario.loading import Scenario


def scenario() -> Scenario:
    jurisdictions = jurisdictions_frame(names=("Nordrhein-Westfalen", "Limburg"), east=7, north=51)
    inc_points = [Point(6.5, 50.5), Point(6.6, 50.6), Point(5.5, 50.5)]
    incidents = gpd.GeoDataFrame(
        {
            "id": ["I-1", "I-2", "I-3"],
            "name": ["Erft flood", "Storm", "Geul flood"],
            "hazard": ["flood", "storm", "flood"],
            "severity": [5, 2, 3],
            "status": ["active", "active", "closed"],
            "reported_at": pd.to_datetime(["2021-07-14T17:30Z"] * 3, utc=True),
            "needs": [{"boat": 3}, {"boat": 1}, {"boat": 2}],
            "max_response_min": [float("nan")] * 3,
            "jurisdiction": ["DE-NW", "DE-NW", "NL-LI"],
            "lon": [p.x for p in inc_points],
            "lat": [p.y for p in inc_points],
        },
        geometry=inc_points,
        crs="EPSG:4326",
    )
    res_points = [Point(5.6, 50.6), Point(6.9, 50.9), Point(6.8, 50.8)]
    resources = gpd.GeoDataFrame(
        {
            "id": ["R-1", "R-2", "R-3"],
            "name": ["Boats, Maastricht", "Pumps, Koeln", "Boat"],
            "type": ["boat", "pump", "boat"],
            "quantity": [2, 5, 1],
            "status": ["available", "assigned", "available"],
            "jurisdiction": ["NL-LI", "DE-NW", "DE-NW"],
            "speed_kmh": [float("nan")] * 3,
            "lon": [p.x for p in res_points],
            "lat": [p.y for p in res_points],
        },
        geometry=res_points,
        crs="EPSG:4326",
    )
    agreements = pd.DataFrame(
        [{"from": "NL", "to": "DE", "resource_types": "*", "border_delay_min": 10.0}],
        columns=list(AGREEMENT_COLUMNS),
    )
    return Scenario(
        jurisdictions=jurisdictions,
        incidents=incidents,
        resources=resources,
        agreements=agreements,
        name="test",
    )


def test_no_choice_keeps_everything():
    s = scenario()
    shown = apply_filters(s, Filters())
    assert len(shown.incidents) == 3 and len(shown.resources) == 3


@pytest.mark.parametrize(
    ("filters", "incidents", "resources"),
    [
        (Filters(hazards=("flood",)), ["I-1", "I-3"], ["R-1", "R-2", "R-3"]),
        (Filters(severities=(2, 3)), ["I-2", "I-3"], ["R-1", "R-2", "R-3"]),
        (Filters(statuses=("closed",)), ["I-3"], ["R-1", "R-2", "R-3"]),
        (Filters(resource_types=("boat",)), ["I-1", "I-2", "I-3"], ["R-1", "R-3"]),
        (Filters(jurisdictions=("NL-LI",)), ["I-3"], ["R-1"]),
        (Filters(hazards=("flood",), jurisdictions=("DE-NW",)), ["I-1"], ["R-2", "R-3"]),
        (Filters(hazards=("earthquake",)), [], ["R-1", "R-2", "R-3"]),
    ],
)
def test_each_filter_narrows_the_frames(filters, incidents, resources):
    shown = apply_filters(scenario(), filters)
    assert shown.incidents["id"].tolist() == incidents
    assert shown.resources["id"].tolist() == resources
    # Renumbered from 0: the map's features and the side panel use row positions.
    assert shown.incidents.index.tolist() == list(range(len(incidents)))
    assert len(shown.jurisdictions) == 2  # outlines stay for context


def test_filtering_does_not_change_the_scenario():
    s = scenario()
    apply_filters(s, Filters(hazards=("storm",)))
    assert len(s.incidents) == 3


def test_filter_options_are_the_values_present():
    options = filter_options(scenario())
    assert options == {
        "hazards": ["flood", "storm"],
        "severities": [2, 3, 5],
        "statuses": ["active", "closed"],
        "resource_types": ["boat", "pump"],
        "jurisdictions": ["DE-NW", "NL-LI"],
    }


def test_filter_key_ignores_the_order_of_choices():
    assert Filters(hazards=("storm", "flood")).key() == Filters(hazards=("flood", "storm")).key()
    assert Filters(hazards=("flood",)).key() != Filters(resource_types=("flood",)).key()


def test_operation_figures_follow_the_plan():
    s = scenario()
    plan = allocate(s)
    figures = operation_figures(s, Held(), plan)
    sent = {(a["resource_id"], a["incident_id"]): a["units"] for a in plan.to_dict()["assignments"]}
    # Three boats for the two active incidents (need 3 and 1): the severity-5 one first.
    assert sum(sent.values()) == 3
    assert figures.active_incidents == 2
    # Nothing held: no unit deployed or committed, the plan's three boats proposed (the
    # pumps the file says are assigned are not the workflow's: not counted as deployed).
    assert (figures.units_deployed, figures.units_committed) == (0, 0)
    assert figures.units_proposed == 3
    assert (figures.units_short, figures.units_needed) == (1, 4)
    units_to = {}
    for (_r, i), u in sent.items():
        units_to[i] = units_to.get(i, 0) + u
    met = 5 * units_to.get("I-1", 0) + 2 * units_to.get("I-2", 0)
    assert figures.need_met == pytest.approx(met / (5 * 3 + 2 * 1))
    assert figures.need_covered == 0
    cross = sum(u for (r, _), u in sent.items() if r == "R-1")  # Maastricht's boats
    assert figures.units_across_national_borders == cross
    assert figures.units_leaving_jurisdiction == cross
    assert cross > 0


def test_operation_figures_of_a_filtered_scenario():
    s = scenario()
    plan = allocate(s)
    filters = Filters(hazards=("storm",))
    shown = apply_filters(s, filters)
    figures = operation_figures(shown, Held(), plan, resource_types=filters.resource_types)
    assert figures.active_incidents == 1
    sent_to_storm = shown_assignments(plan, shown, filters)
    assert set(sent_to_storm["incident_id"]) <= {"I-2"}
    assert figures.units_proposed == int(sent_to_storm["units"].sum())
    none = operation_figures(apply_filters(s, Filters(hazards=("earthquake",))), Held(), plan)
    assert none.active_incidents == 0 and none.need_met is None


def test_unmet_units_and_flows_follow_the_filters():
    s = scenario()
    s.resources.loc[0, "quantity"] = 1  # now 2 boats for 4 needed
    plan = allocate(s)
    short = unmet_units(plan, s, Filters())
    assert sum(short.values()) == 2
    assert unmet_units(plan, s, Filters(resource_types=("pump",))) == {}
    flows = flows_geojson(plan, s)
    kept = shown_flows(flows, shown_assignments(plan, s, Filters()))
    assert len(kept["features"]) == len(flows["features"])
    shown = apply_filters(s, Filters(jurisdictions=("NL-LI",)))  # only R-1's side
    kept = shown_flows(flows, shown_assignments(plan, shown, Filters(jurisdictions=("NL-LI",))))
    assert kept["features"] == []  # R-1's boats go to incidents in DE-NW, not shown


def test_the_operations_map_draws_the_plan_under_the_points():
    import folium

    from mutualaid.maps import overview_map
    from mutualaid.maps.flows import FLOW_LAYER_NAMES

    s = scenario()
    plan = allocate(s)
    m = overview_map(
        jurisdictions=s.jurisdictions,
        incidents=s.incidents,
        resources=s.resources,
        unmet=unmet_units(plan, s, Filters()),
        flows=flows_geojson(plan, s),
    )
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert names == [
        "Countries",
        "Jurisdictions",
        *FLOW_LAYER_NAMES.values(),
        "Resources",
        "Incidents",
    ]
    flows = [
        c
        for c in m._children.values()
        if isinstance(c, folium.GeoJson) and c.layer_name in FLOW_LAYER_NAMES.values()
    ]
    drawn = sum(len(layer.data["features"]) for layer in flows)
    assert drawn == len(plan.to_dict()["assignments"]) > 0
    assert "Plan flows" in m.get_root().render()
