"""The travel-time model: distance, speeds, road factor and border delays."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mutualaid import settings
from mutualaid.allocation.travel import (
    DOMESTIC,
    NOT_ALLOWED,
    BorderRules,
    border_rules,
    default_speed_kmh,
    haversine_km,
    resource_speeds,
    road_factor,
    travel_minutes,
)


def _rules(rows, ids=("DE-NW", "DE-RP", "NL-LI", "BE-WLG"), countries=("DE", "DE", "NL", "BE")):
    frame = pd.DataFrame(rows, columns=["from", "to", "resource_types", "border_delay_min"])
    return BorderRules(ids=tuple(ids), countries=tuple(countries), agreements=frame)


# --- distance and speed -------------------------------------------------------------------


def test_one_degree_of_latitude_is_about_111_km():
    assert haversine_km(6.0, 50.0, 6.0, 51.0) == pytest.approx(
        math.pi / 180 * settings.EARTH_RADIUS_KM, rel=1e-12
    )


def test_distance_is_symmetric_and_zero_for_the_same_point():
    d = haversine_km([6.1, 7.0], [50.2, 51.0], [7.0, 7.0], [51.0, 51.0])
    assert d[1] == 0.0
    assert d[0] == pytest.approx(float(haversine_km(7.0, 51.0, 6.1, 50.2)))


def test_known_city_distance_cologne_to_maastricht():
    # Cologne (6.96 E, 50.94 N) to Maastricht (5.69 E, 50.85 N): about 89.5 km.
    assert haversine_km(6.96, 50.94, 5.69, 50.85) == pytest.approx(89.5, abs=1.0)


def test_ground_types_use_the_road_factor_and_flying_types_do_not():
    assert road_factor("boat") == settings.ROAD_FACTOR == 1.3
    assert road_factor("helicopter") == 1.0
    assert "helicopter" in settings.AIR_TYPES


def test_default_speeds_are_documented_and_unknown_types_fall_back():
    assert default_speed_kmh("helicopter") == settings.DEFAULT_SPEED_KMH["helicopter"]
    assert 200 <= default_speed_kmh("helicopter") <= 220
    assert 60 <= default_speed_kmh("ambulance") <= 80
    assert default_speed_kmh("hovercraft") == settings.FALLBACK_SPEED_KMH


def test_own_speed_overrides_the_type_speed_only_when_positive():
    speeds = resource_speeds(["boat", "boat", "boat", "helicopter"], [45.0, np.nan, 0.0, None])
    assert list(speeds) == [
        45.0,
        settings.DEFAULT_SPEED_KMH["boat"],
        settings.DEFAULT_SPEED_KMH["boat"],
        settings.DEFAULT_SPEED_KMH["helicopter"],
    ]


def test_travel_minutes_is_distance_times_factor_over_speed():
    km = float(haversine_km(6.0, 50.0, 6.0, 51.0))
    got = travel_minutes(
        from_lon=6.0, from_lat=50.0, to_lon=6.0, to_lat=51.0, speed_kmh=60.0, road_factor=1.3
    )
    assert got == pytest.approx(km * 1.3 / 60.0 * 60.0)
    air = travel_minutes(
        from_lon=6.0, from_lat=50.0, to_lon=6.0, to_lat=51.0, speed_kmh=220.0, road_factor=1.0
    )
    assert air == pytest.approx(km / 220.0 * 60.0)


# --- border delays --------------------------------------------------------------------------


def test_domestic_trips_need_no_agreement_and_have_no_delay():
    rules = _rules([])
    assert rules.delay("DE-NW", "DE-NW", "boat") == 0.0
    assert rules.delay("DE-NW", "DE-RP", "boat") is None  # same country is still a border


def test_no_matching_row_means_not_allowed_and_direction_matters():
    rules = _rules([("DE-NW", "NL-LI", ("*",), 10.0)])
    assert rules.delay("DE-NW", "NL-LI", "boat") == 10.0
    assert rules.delay("NL-LI", "DE-NW", "boat") is None


def test_country_codes_and_star_match_on_both_sides():
    rules = _rules([("DE", "*", ("pump",), 20.0), ("*", "BE", ("boat",), 30.0)])
    assert rules.delay("DE-RP", "NL-LI", "pump") == 20.0
    assert rules.delay("DE-RP", "DE-NW", "pump") == 20.0
    assert rules.delay("NL-LI", "BE-WLG", "boat") == 30.0
    assert rules.delay("NL-LI", "BE-WLG", "pump") is None
    assert rules.delay("NL-LI", "DE-NW", "boat") is None


def test_resource_types_must_be_star_or_list_the_type():
    rules = _rules([("DE-NW", "NL-LI", ("boat", "pump"), 5.0)])
    assert rules.delay("DE-NW", "NL-LI", "pump") == 5.0
    assert rules.delay("DE-NW", "NL-LI", "helicopter") is None


def test_text_resource_types_are_split_on_semicolons():
    rules = _rules([("DE-NW", "NL-LI", "boat; pump", 5.0)])
    assert rules.delay("DE-NW", "NL-LI", "pump") == 5.0


def test_the_smallest_delay_of_all_matching_rows_counts():
    rules = _rules(
        [("DE", "NL", ("*",), 40.0), ("DE-NW", "NL-LI", ("boat",), 15.0), ("*", "*", ("*",), 25.0)]
    )
    assert rules.delay("DE-NW", "NL-LI", "boat") == 15.0
    assert rules.delay("DE-NW", "NL-LI", "pump") == 25.0
    _, row = rules.tables("boat")
    n = rules.index
    assert row[n["DE-NW"], n["NL-LI"]] == 1
    assert rules.agreement(1) == {
        "from": "DE-NW",
        "to": "NL-LI",
        "resource_types": "boat",
        "border_delay_min": 15.0,
    }


def test_ties_are_reported_with_the_earlier_row():
    rules = _rules([("DE", "NL", ("*",), 10.0), ("DE-NW", "NL-LI", ("*",), 10.0)])
    assert rules.tables("boat")[1][rules.index["DE-NW"], rules.index["NL-LI"]] == 0


def test_tables_mark_domestic_and_forbidden_pairs():
    rules = _rules([("DE-NW", "NL-LI", ("*",), 10.0)])
    delay, row = rules.tables("boat")
    assert delay.shape == (4, 4)
    assert np.all(np.diag(delay) == 0.0) and np.all(np.diag(row) == DOMESTIC)
    assert np.isnan(delay[rules.index["NL-LI"], rules.index["DE-NW"]])
    assert row[rules.index["NL-LI"], rules.index["DE-NW"]] == NOT_ALLOWED
    assert rules.agreement(DOMESTIC) is None


def test_border_rules_from_layers_and_without_agreements():
    jur = pd.DataFrame({"id": ["DE-NW", "NL-LI"], "country": ["DE", "NL"]})
    assert border_rules(jur, None).delay("DE-NW", "NL-LI", "boat") is None
    assert border_rules(jur, None).delay("NL-LI", "NL-LI", "boat") == 0.0
    ag = pd.DataFrame(
        {"from": ["de"], "to": ["nl"], "resource_types": [("*",)], "border_delay_min": [12.0]}
    )
    assert border_rules(jur, ag).delay("DE-NW", "NL-LI", "boat") == 12.0  # codes in any case


def test_unknown_jurisdictions_are_not_allowed():
    assert _rules([("*", "*", ("*",), 1.0)]).delay("XX-1", "NL-LI", "boat") is None
