"""Every rule of the resources table (contract, section 1)."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point, box

from builders import errors, jurisdictions_frame, only_error
from mutualaid.layers.schema import RESOURCE_COLUMNS
from mutualaid.layers.validate import validate_resources
from mutualaid.settings import MAX_UNITS

GOOD = {"id": "R-1", "type": "boat"}
DROP = object()


def layer(rows):
    rows = [dict(r) for r in rows]
    geoms = [r.pop("geometry", Point(6.9 + i / 100, 50.9)) for i, r in enumerate(rows)]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def one(**changes):
    row = {**GOOD, **changes}
    return layer([{k: v for k, v in row.items() if v is not DROP}])


def accepted(frame, **kwargs):
    out, report = validate_resources(frame, **kwargs)
    assert report.ok, report.lines()
    return out, report


def test_accepted_layer_has_the_canonical_shape_and_defaults():
    out, report = accepted(layer([GOOD | {"callsign": "Florian 1"}]))
    assert report.problems == []
    assert list(out.columns) == list(RESOURCE_COLUMNS) + ["callsign"]
    row = out.iloc[0]
    assert (row["id"], row["name"], row["type"], row["quantity"], row["status"]) == (
        "R-1",
        "R-1",
        "boat",
        1,
        "available",
    )
    assert row["jurisdiction"] is None and math.isnan(row["speed_kmh"])
    assert (row["lon"], row["lat"]) == (6.9, 50.9)
    assert out["quantity"].dtype == "int64"


def test_rejected_layer_returns_none():
    out, report = validate_resources(one(quantity=0))
    assert out is None and not report.ok


# --- id ---------------------------------------------------------------------------------------


def test_id_required():
    p = only_error(validate_resources(one(id=""))[1], "id")
    assert "id is required" in p.message


def test_id_duplicates_rejected():
    p = only_error(validate_resources(layer([GOOD, GOOD]))[1], "id")
    assert p.feature == 2 and "'R-1' is used by 2 features" in p.message


# --- type -------------------------------------------------------------------------------------


def test_type_required():
    p = only_error(validate_resources(one(type=None))[1], "type")
    assert "type is required" in p.message


def test_type_column_missing_is_one_error():
    p = only_error(validate_resources(one(type=DROP))[1], "type")
    assert p.feature is None and "no type column" in p.message


@pytest.mark.parametrize(
    "value, expected",
    [("Fire Engine", "fire_engine"), ("USAR-team", "usar_team"), ("boat", "boat")],
)
def test_type_written_by_people_becomes_the_key(value, expected):
    out, report = accepted(one(type=value))
    assert out.loc[0, "type"] == expected and report.problems == []


def test_type_unknown_but_well_formed_accepted_as_new_type_with_warning():
    out, report = accepted(one(type="snow_plough"))
    assert out.loc[0, "type"] == "snow_plough"
    [w] = report.warnings
    assert "not a known resource type" in w.message and "accepted as a new resource type" in (
        w.message
    )


def test_type_typo_suggests_known_type():
    _, report = accepted(one(type="ambulence"))
    assert "did you mean 'ambulance'?" in report.warnings[0].message


@pytest.mark.parametrize("value", ["boat;pump", "🚒", "2boats", 3, True])
def test_type_malformed_rejected(value):
    p = only_error(validate_resources(one(type=value))[1], "type")
    assert "must be a resource type" in p.message


# --- quantity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected", [(None, 1), (3, 3), ("3", 3), (2.0, 2), (MAX_UNITS, MAX_UNITS)]
)
def test_quantity_whole_number_at_least_one_default_one(value, expected):
    out, _ = accepted(one(quantity=value))
    assert out.loc[0, "quantity"] == expected


@pytest.mark.parametrize("value", [0, -2, 2.5, "two", True, math.inf, MAX_UNITS + 1, "1e99"])
def test_quantity_other_values_rejected(value):
    p = only_error(validate_resources(one(quantity=value))[1], "quantity")
    assert "quantity must be a whole number from 1" in p.message


# --- status -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, "available"),
        ("Assigned", "assigned"),
        ("Out of service", "out_of_service"),
        ("out-of-service", "out_of_service"),
    ],
)
def test_status_values_and_default(value, expected):
    out, _ = accepted(one(status=value))
    assert out.loc[0, "status"] == expected


def test_status_unknown_rejected():
    p = only_error(validate_resources(one(status="broken"))[1], "status")
    assert "available, assigned, out_of_service" in p.message


# --- jurisdiction -----------------------------------------------------------------------------


def test_jurisdiction_given_is_kept_even_when_the_point_is_elsewhere():
    # Units stationed abroad: owned by NL-LI, parked in DE-NW. Not a problem.
    out, report = accepted(one(jurisdiction="NL-LI"), jurisdictions=jurisdictions_frame())
    assert out.loc[0, "jurisdiction"] == "NL-LI" and report.problems == []


def test_jurisdiction_given_matches_ignoring_case():
    out, _ = accepted(one(jurisdiction="de-nw"), jurisdictions=jurisdictions_frame())
    assert out.loc[0, "jurisdiction"] == "DE-NW"


def test_jurisdiction_given_must_exist_when_jurisdictions_known():
    p = only_error(
        validate_resources(one(jurisdiction="BE-WLG"), jurisdictions=jurisdictions_frame())[1],
        "jurisdiction",
    )
    assert "'BE-WLG' is not in the jurisdictions layer" in p.message


def test_jurisdiction_given_is_taken_as_written_without_jurisdictions():
    out, _ = accepted(one(jurisdiction="BE-WLG"))
    assert out.loc[0, "jurisdiction"] == "BE-WLG"


def test_jurisdiction_absent_is_the_containing_one():
    out, _ = accepted(
        layer([GOOD, GOOD | {"id": "R-2", "geometry": Point(5.5, 51), "jurisdiction": None}]),
        jurisdictions=jurisdictions_frame(),
    )
    assert out["jurisdiction"].tolist() == ["DE-NW", "NL-LI"]


def test_jurisdiction_absent_and_outside_every_one_is_a_warning():
    out, report = accepted(one(geometry=Point(20, 40)), jurisdictions=jurisdictions_frame())
    assert out.loc[0, "jurisdiction"] is None
    [w] = report.warnings
    assert "outside every jurisdiction: takes no part in the plan" in w.message


# --- speed_kmh --------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(80, 80.0), ("62.5", 62.5)])
def test_speed_kmh_positive_accepted(value, expected):
    out, _ = accepted(one(speed_kmh=value))
    assert out.loc[0, "speed_kmh"] == expected


@pytest.mark.parametrize("value", [0, -10, "fast", True, math.inf])
def test_speed_kmh_must_be_positive(value):
    p = only_error(validate_resources(one(speed_kmh=value))[1], "speed_kmh")
    assert "greater than 0" in p.message


# --- geometry ---------------------------------------------------------------------------------


def test_geometry_must_be_a_point():
    p = only_error(validate_resources(one(geometry=box(6, 50, 7, 51)))[1], "geometry")
    assert "must be a Point (a resource is stationed at a point), got Polygon" in p.message


def test_geometry_null_rejected():
    p = only_error(validate_resources(one(geometry=None))[1], "geometry")
    assert "has no geometry" in p.message


def test_swapped_coordinates_hint():
    p = only_error(validate_resources(one(geometry=Point(-33.9, 151.2)))[1], "geometry")
    assert "look swapped" in p.message


def test_input_lon_lat_columns_are_kept_apart_from_the_canonical_ones():
    out, _ = accepted(one(lon="6.9", lat="50.9"))
    assert out.loc[0, "lon"] == 6.9
    assert out.loc[0, "lon_in_file"] == "6.9"


def test_every_problem_at_once():
    _, report = validate_resources(
        layer(
            [
                {"id": "R-1", "type": "boat", "quantity": 0, "status": "x", "speed_kmh": -1},
                {"id": "R-1", "type": "", "geometry": None},
            ]
        )
    )
    assert [(p.feature, p.field) for p in errors(report)] == [
        (1, "quantity"),
        (1, "status"),
        (1, "speed_kmh"),
        (2, "id"),
        (2, "type"),
        (2, "geometry"),
    ]
