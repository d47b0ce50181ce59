"""Every rule of the incidents table (contract, section 1)."""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import pandas as pd
import pytest
from shapely import LineString, MultiPoint, Point, Polygon

from builders import errors, jurisdictions_frame, only_error
from mutualaid.layers.schema import INCIDENT_COLUMNS
from mutualaid.layers.validate import validate_incidents

GOOD = {
    "id": "I-1",
    "hazard": "flood",
    "severity": 3,
    "reported_at": "2021-07-14T17:30:00Z",
    "needs": {"boat": 2},
}


def layer(rows):
    rows = [dict(r) for r in rows]
    geoms = [r.pop("geometry", Point(6.9 + i / 100, 50.9)) for i, r in enumerate(rows)]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def one(**changes):
    row = {**GOOD, **changes}
    return layer([{k: v for k, v in row.items() if v is not DROP}])


DROP = object()


def accepted(frame, **kwargs):
    out, report = validate_incidents(frame, **kwargs)
    assert report.ok, report.lines()
    return out, report


def test_accepted_layer_has_the_canonical_shape():
    out, report = accepted(
        layer(
            [
                GOOD | {"name": "Erft", "max_response_min": 120, "source": "112"},
                GOOD | {"id": "I-2", "needs": None},
            ]
        )
    )
    assert report.problems == []
    assert list(out.columns) == list(INCIDENT_COLUMNS) + ["source"]
    row = out.iloc[0]
    assert (row["id"], row["name"], row["hazard"], row["severity"], row["status"]) == (
        "I-1",
        "Erft",
        "flood",
        3,
        "active",
    )
    assert row["reported_at"] == pd.Timestamp("2021-07-14T17:30:00Z")
    assert str(out["reported_at"].dt.tz) == "UTC"
    assert out["severity"].dtype == "int64"
    assert out["needs"].tolist() == [{"boat": 2}, {}]
    assert out["max_response_min"].iloc[0] == 120 and math.isnan(out["max_response_min"].iloc[1])
    assert out["jurisdiction"].tolist() == [None, None]
    assert (row["lon"], row["lat"]) == (6.9, 50.9)
    assert out["name"].iloc[1] == "I-2"
    assert out["source"].tolist() == ["112", None]


def test_rejected_layer_returns_none():
    out, report = validate_incidents(one(severity=9))
    assert out is None and not report.ok


def test_empty_layer_is_accepted_with_a_warning():
    out, report = validate_incidents(
        layer([]).assign(id=[], hazard=[], severity=[], reported_at=[])
    )
    assert out is not None and report.ok and len(report.warnings) == 1


# --- id ---------------------------------------------------------------------------------------


def test_id_required():
    p = only_error(validate_incidents(one(id=None))[1], "id")
    assert p.feature == 1 and "id is required" in p.message


def test_id_duplicates_rejected():
    _, report = validate_incidents(layer([GOOD, GOOD | {"id": "I-2"}, GOOD]))
    p = only_error(report, "id")
    assert p.feature == 3 and "features 1 and 3" in p.message


# --- hazard -----------------------------------------------------------------------------------


def test_hazard_required():
    p = only_error(validate_incidents(one(hazard=""))[1], "hazard")
    assert "hazard is required" in p.message


def test_hazard_column_missing_is_one_error():
    _, report = validate_incidents(one(hazard=DROP))
    p = only_error(report, "hazard")
    assert p.feature is None and "no hazard column" in p.message


@pytest.mark.parametrize("value", ["Flood", " WILDFIRE ", "other"])
def test_hazard_known_any_case(value):
    out, report = accepted(one(hazard=value))
    assert report.problems == [] and out.loc[0, "hazard"] == value.strip().lower()


def test_hazard_unknown_but_well_formed_is_accepted_with_one_warning():
    out, report = accepted(
        layer([GOOD | {"hazard": "tsunami"}, GOOD | {"id": "I-2", "hazard": "Tsunami"}])
    )
    assert out["hazard"].tolist() == ["tsunami", "tsunami"]
    [w] = report.warnings
    assert w.field == "hazard" and "accepted as a new hazard" in w.message
    assert "features 1 and 2" in w.message


def test_hazard_typo_suggests_the_known_one():
    _, report = accepted(one(hazard="flod"))
    assert "did you mean 'flood'?" in report.warnings[0].message


@pytest.mark.parametrize("value", ["flood!", "<script>", "1flood", "flood;storm", 7, True])
def test_hazard_garbage_rejected(value):
    p = only_error(validate_incidents(one(hazard=value))[1], "hazard")
    assert "hazard must be a hazard" in p.message


# --- severity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [3, 3.0, "3", " 3 ", "3.0", 1, 5])
def test_severity_whole_number_accepted(value):
    out, _ = accepted(one(severity=value))
    assert out.loc[0, "severity"] == int(float(str(value)))


@pytest.mark.parametrize("value", [3.5, "extreme", True, 0, 6, -1, math.inf, "nan", "3,5", [3]])
def test_severity_other_values_rejected(value):
    p = only_error(validate_incidents(one(severity=value))[1], "severity")
    assert "severity must be a whole number from 1 to 5" in p.message


def test_severity_message_names_feature_id_and_value():
    p = only_error(validate_incidents(one(id="I-0042", severity="extreme"))[1], "severity")
    assert p.describe() == (
        "error: feature 1 (id I-0042): severity must be a whole number from 1 to 5, got 'extreme'"
    )


def test_severity_required():
    _, report = validate_incidents(layer([GOOD, GOOD | {"id": "I-2", "severity": None}]))
    p = only_error(report, "severity")
    assert p.feature == 2 and "severity is required" in p.message


def test_severity_boolean_column_is_never_a_number():
    frame = layer([GOOD, GOOD | {"id": "I-2"}]).assign(severity=[True, False])
    _, report = validate_incidents(frame)
    assert [p.field for p in errors(report)] == ["severity", "severity"]


# --- status -----------------------------------------------------------------------------------


def test_status_defaults_to_active():
    out, _ = accepted(layer([GOOD, GOOD | {"id": "I-2", "status": None}]))
    assert out["status"].tolist() == ["active", "active"]


@pytest.mark.parametrize(
    "value, expected", [("Contained", "contained"), ("CLOSED", "closed"), ("active", "active")]
)
def test_status_values_any_case(value, expected):
    out, _ = accepted(one(status=value))
    assert out.loc[0, "status"] == expected


def test_status_unknown_rejected():
    p = only_error(validate_incidents(one(status="open"))[1], "status")
    assert "one of active, contained, closed" in p.message and "got 'open'" in p.message


# --- reported_at ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2021-07-14T17:30:00Z", "2021-07-14T17:30:00Z"),
        ("2021-07-14T19:30:00+02:00", "2021-07-14T17:30:00Z"),
        ("2021-07-14T19:30+0200", "2021-07-14T17:30:00Z"),
        ("2021-07-14 17:30:00.5Z", "2021-07-14T17:30:00.5Z"),
    ],
)
def test_reported_at_with_zone_converted_to_utc(text, expected):
    out, report = accepted(one(reported_at=text))
    assert out.loc[0, "reported_at"] == pd.Timestamp(expected)
    assert report.problems == []


def test_reported_at_without_zone_is_utc_with_one_warning_for_the_layer():
    out, report = accepted(
        layer(
            [
                GOOD | {"reported_at": "2021-07-14T17:30"},
                GOOD | {"id": "I-2", "reported_at": "2021-07-14"},
                GOOD | {"id": "I-3"},
            ]
        )
    )
    assert out["reported_at"].tolist()[:2] == [
        pd.Timestamp("2021-07-14T17:30Z"),
        pd.Timestamp("2021-07-14T00:00Z"),
    ]
    [w] = report.warnings
    assert w.feature is None and w.field == "reported_at"
    assert w.message.startswith("2 feature(s)") and "taken as UTC" in w.message


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2021", "14/07/2021", "2021-02-30T10:00Z", "2021-07-14T25:00Z", 1626283800, True],
)
def test_reported_at_not_iso_8601_rejected(value):
    p = only_error(validate_incidents(one(reported_at=value))[1], "reported_at")
    assert "reported_at must be an ISO 8601 date-time" in p.message


def test_reported_at_required():
    p = only_error(validate_incidents(one(reported_at=None))[1], "reported_at")
    assert "reported_at is required" in p.message


def test_reported_at_native_datetimes_accepted():
    aware = one(reported_at=DROP).assign(
        reported_at=pd.to_datetime(["2021-07-14T19:30+02:00"], utc=False)
    )
    out, _ = accepted(aware)
    assert out.loc[0, "reported_at"] == pd.Timestamp("2021-07-14T17:30Z")
    objects = one(reported_at=dt.datetime(2021, 7, 14, 17, 30, tzinfo=dt.UTC))
    out, _ = accepted(objects)
    assert out.loc[0, "reported_at"] == pd.Timestamp("2021-07-14T17:30Z")


# --- needs ------------------------------------------------------------------------------------


def test_needs_zero_entries_dropped_and_text_numbers_accepted():
    out, report = accepted(one(needs={"boat": 0, "pump": "3", "ambulance": 2.0}))
    assert out.loc[0, "needs"] == {"pump": 3, "ambulance": 2}
    assert report.problems == []


def test_needs_missing_is_empty():
    out, _ = accepted(one(needs=DROP))
    assert out.loc[0, "needs"] == {}


@pytest.mark.parametrize("value", [-1, 1.5, True, None, "two", math.inf, [2], 10**9])
def test_needs_units_must_be_whole_numbers_from_zero(value):
    p = only_error(validate_incidents(one(needs={"boat": value}))[1], "needs")
    assert "needs for 'boat' must be a whole number of units" in p.message


@pytest.mark.parametrize("value", [[{"boat": 2}], "boat", 3])
def test_needs_must_be_an_object(value):
    p = only_error(validate_incidents(one(needs=value))[1], "needs")
    assert "needs must be an object" in p.message


@pytest.mark.parametrize("key", ["", "boat; pump", "1boat", "<b>"])
def test_needs_bad_type_key_rejected(key):
    p = only_error(validate_incidents(one(needs={key: 1}))[1], "needs")
    assert "not a resource type key" in p.message


def test_needs_type_keys_normalised():
    out, _ = accepted(one(needs={"Fire Engine": 2}))
    assert out.loc[0, "needs"] == {"fire_engine": 2}


def test_needs_same_type_twice_after_normalising_rejected():
    p = only_error(validate_incidents(one(needs={"boat": 1, "Boat": 2}))[1], "needs")
    assert "twice" in p.message


def test_needs_unknown_type_accepted_with_one_warning():
    out, report = accepted(
        layer(
            [
                GOOD | {"needs": {"snow_plough": 2}},
                GOOD | {"id": "I-2", "needs": {"snow_plough": 1}},
            ]
        )
    )
    assert out["needs"].tolist() == [{"snow_plough": 2}, {"snow_plough": 1}]
    [w] = report.warnings
    assert "'snow_plough' is not a known resource type" in w.message


# --- max_response_min -------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(90, 90.0), ("45.5", 45.5), (0.1, 0.1)])
def test_max_response_min_positive_number_accepted(value, expected):
    out, _ = accepted(one(max_response_min=value))
    assert out.loc[0, "max_response_min"] == expected


@pytest.mark.parametrize("value", [0, -5, "soon", True, math.inf])
def test_max_response_min_must_be_positive(value):
    p = only_error(validate_incidents(one(max_response_min=value))[1], "max_response_min")
    assert "greater than 0" in p.message


# --- name -------------------------------------------------------------------------------------


def test_name_optional_defaults_to_id():
    out, _ = accepted(one(name="  "))
    assert out.loc[0, "name"] == "I-1"


# --- geometry ---------------------------------------------------------------------------------


def test_polygon_location_is_its_representative_point():
    ring = Polygon([(6, 50), (8, 50), (8, 52), (7.9, 52), (7.9, 50.1), (6, 50.1), (6, 50)])
    out, _ = accepted(one(geometry=ring))
    location = Point(out.loc[0, "lon"], out.loc[0, "lat"])
    assert ring.contains(location)
    assert out.geometry[0].equals(ring)  # the geometry itself is kept as given


@pytest.mark.parametrize("geom", [LineString([(6, 50), (7, 51)]), MultiPoint([(6, 50), (7, 51)])])
def test_geometry_must_be_point_or_polygon(geom):
    p = only_error(validate_incidents(one(geometry=geom))[1], "geometry")
    assert "must be a Point, Polygon or MultiPolygon" in p.message


def test_multipoint_of_one_point_is_that_point():
    out, _ = accepted(one(geometry=MultiPoint([(6.5, 50.5)])))
    assert out.geometry[0].geom_type == "Point" and out.loc[0, "lon"] == 6.5


def test_geometry_null_rejected():
    p = only_error(validate_incidents(one(geometry=None))[1], "geometry")
    assert "has no geometry" in p.message


def test_swapped_coordinates_get_a_hint():
    p = only_error(validate_incidents(one(geometry=Point(50.9, 96.9)))[1], "geometry")
    assert "latitude and longitude look swapped" in p.message
    assert "longitude 50.9, latitude 96.9" in p.message


def test_incident_polygon_invalid_repaired_with_warning():
    bowtie = Polygon([(6, 50), (7, 51), (7, 50), (6, 51), (6, 50)])
    out, report = accepted(one(geometry=bowtie))
    assert out.geometry[0].is_valid and "repaired" in report.warnings[0].message


# --- jurisdiction -----------------------------------------------------------------------------


def test_jurisdiction_found_from_location():
    out, report = accepted(
        layer(
            [
                GOOD,
                GOOD | {"id": "I-2", "geometry": Point(5.5, 51)},
                GOOD | {"id": "I-3", "geometry": Point(20, 40)},
            ]
        ),
        jurisdictions=jurisdictions_frame(),
    )
    assert out["jurisdiction"].tolist() == ["DE-NW", "NL-LI", None]
    [w] = report.warnings
    assert w.feature == 3 and "outside every jurisdiction: takes no part in the plan" in w.message


def test_jurisdiction_column_in_file_is_kept_apart():
    out, _ = accepted(one(jurisdiction="XX"), jurisdictions=jurisdictions_frame())
    assert out.loc[0, "jurisdiction"] == "DE-NW"
    assert out.loc[0, "jurisdiction_in_file"] == "XX"


def test_id_with_a_line_break_is_rejected_and_every_message_stays_on_one_line():
    _, report = validate_incidents(one(id="I-1\nerror: forged", severity="x"))
    assert [p.field for p in errors(report)] == ["id", "severity"]
    assert "control characters" in errors(report)[0].message
    for line in report.lines():
        assert "\n" not in line


def test_empty_layer_without_columns_is_accepted_with_canonical_columns():
    out, report = validate_incidents(gpd.GeoDataFrame({"needs": []}, geometry=[], crs="EPSG:4326"))
    assert report.ok and [p.severity for p in report.problems] == ["warning"]
    assert list(out.columns) == list(INCIDENT_COLUMNS) and len(out) == 0
