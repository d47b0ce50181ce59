"""Every rule of the jurisdictions table (contract, section 1)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from builders import errors, only_error
from mutualaid.layers.schema import JURISDICTION_COLUMNS
from mutualaid.layers.validate import validate_jurisdictions


def layer(rows, crs="EPSG:4326"):
    """rows: dicts with a 'geometry' key (default: a box) and properties."""
    geoms = [r.pop("geometry", box(6 + i, 50, 7 + i, 51)) for i, r in enumerate(rows)]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)


def one(**props):
    return layer([{"id": "DE-NW", "country": "DE", **props}])


def test_accepted_layer_has_canonical_columns_first_then_extras_as_text():
    out, report = validate_jurisdictions(
        layer(
            [
                {
                    "id": "DE-NW",
                    "name": "Nordrhein-Westfalen",
                    "country": "DE",
                    "reserve": 0.2,
                    "population": 17_900_000,
                },
                {"id": "NL-LI", "country": "NL", "population": None},
            ]
        ),
        source="j.geojson",
    )
    assert report.ok and report.problems == [] and report.source == "j.geojson"
    assert list(out.columns) == list(JURISDICTION_COLUMNS) + ["population"]
    assert out.crs.to_epsg() == 4326
    assert out["population"].tolist() == ["17900000", None]
    assert out["reserve"].dtype == float
    assert out.loc[0, "reserve"] == 0.2


def test_rejected_layer_returns_none():
    out, report = validate_jurisdictions(one(country="Germany"))
    assert out is None and not report.ok


def test_empty_layer_is_rejected():
    out, report = validate_jurisdictions(layer([]))
    assert out is None
    assert "no features" in errors(report)[0].message


# --- id ---------------------------------------------------------------------------------------


def test_id_required():
    out, report = validate_jurisdictions(
        layer([{"id": " ", "country": "DE"}, {"id": None, "country": "DE"}])
    )
    assert out is None
    assert [(p.feature, p.field) for p in errors(report)] == [(1, "id"), (2, "id")]
    assert "id is required" in errors(report)[0].message


def test_id_column_missing_is_one_error_for_the_layer():
    _, report = validate_jurisdictions(layer([{"code": "DE-NW", "country": "DE"}] * 3))
    errs = errors(report)
    assert len(errs) == 1 and errs[0].feature is None
    assert "no id column" in errs[0].message and "--map id=" in errs[0].message
    assert "'code'" in errs[0].message


def test_id_unique_names_every_feature_sharing_it():
    _, report = validate_jurisdictions(
        layer(
            [
                {"id": "DE-NW", "country": "DE"},
                {"id": "DE-RP", "country": "DE"},
                {"id": "DE-NW", "country": "DE"},
                {"id": "DE-NW", "country": "DE"},
            ]
        )
    )
    p = only_error(report, "id")
    assert p.feature == 3 and p.feature_id == "DE-NW"
    assert "used by 3 features (features 1, 3 and 4)" in p.message


def test_id_star_is_reserved_for_agreements():
    p = only_error(validate_jurisdictions(one(id="*"))[1], "id")
    assert "reserved" in p.message


def test_id_numbers_become_text():
    out, _ = validate_jurisdictions(
        layer([{"id": 7, "country": "DE"}, {"id": 8.0, "country": "DE"}])
    )
    assert out["id"].tolist() == ["7", "8"]


def test_id_whitespace_is_stripped():
    out, _ = validate_jurisdictions(one(id="  DE-NW "))
    assert out.loc[0, "id"] == "DE-NW"


def test_id_longer_than_limit_is_rejected():
    p = only_error(validate_jurisdictions(one(id="X" * 500))[1], "id")
    assert "longer than" in p.message


# --- name -------------------------------------------------------------------------------------


def test_name_defaults_to_id():
    out, _ = validate_jurisdictions(
        layer(
            [
                {"id": "DE-NW", "country": "DE", "name": None},
                {"id": "DE-RP", "country": "DE", "name": "Pfalz"},
            ]
        )
    )
    assert out["name"].tolist() == ["DE-NW", "Pfalz"]


def test_name_column_absent_defaults_to_id():
    out, _ = validate_jurisdictions(one())
    assert out.loc[0, "name"] == "DE-NW"


# --- country ----------------------------------------------------------------------------------


def test_country_required():
    p = only_error(validate_jurisdictions(one(country=""))[1], "country")
    assert "country is required" in p.message


def test_country_column_missing_is_one_error():
    _, report = validate_jurisdictions(layer([{"id": "A"}, {"id": "B"}]))
    errs = errors(report)
    assert len(errs) == 1 and errs[0].feature is None and "no country column" in errs[0].message


def test_country_lower_case_is_accepted_and_stored_upper():
    out, report = validate_jurisdictions(one(country=" de "))
    assert report.problems == []
    assert out.loc[0, "country"] == "DE"


@pytest.mark.parametrize("value", ["Germany", "D", "-99", "D1", 49, True])
def test_country_must_be_two_letters(value):
    p = only_error(validate_jurisdictions(one(country=value))[1], "country")
    assert "two-letter ISO 3166-1 code" in p.message


def test_country_three_letter_code_gets_a_hint():
    p = only_error(validate_jurisdictions(one(country="DEU"))[1], "country")
    assert "got 'DEU'" in p.message and "three-letter" in p.message


# --- reserve ----------------------------------------------------------------------------------


def test_reserve_defaults_to_zero():
    out, _ = validate_jurisdictions(
        layer([{"id": "A", "country": "DE", "reserve": None}, {"id": "B", "country": "DE"}])
    )
    assert out["reserve"].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    "value, expected", [(0, 0.0), (1, 1.0), (0.25, 0.25), ("0.5", 0.5), (" 1.0 ", 1.0)]
)
def test_reserve_number_from_0_to_1_accepted(value, expected):
    out, report = validate_jurisdictions(one(reserve=value))
    assert report.ok
    assert out.loc[0, "reserve"] == expected


@pytest.mark.parametrize(
    "value", [1.5, -0.1, 20, "abc", True, math.inf, -math.inf, "nan", "NaN", "inf"]
)
def test_reserve_out_of_range_or_not_a_number_rejected(value):
    p = only_error(validate_jurisdictions(one(reserve=value))[1], "reserve")
    assert "reserve must be a number from 0 to 1" in p.message


def test_reserve_missing_number_in_a_float_column_takes_the_default():
    # A GeoJSON null in a number column is read as NaN: it means "not given", and the
    # readers refuse NaN written as a value, so NaN here can only be "missing".
    out, report = validate_jurisdictions(
        layer(
            [
                {"id": "A", "country": "DE", "reserve": 0.5},
                {"id": "B", "country": "DE", "reserve": math.nan},
            ]
        )
    )
    assert report.ok and out["reserve"].tolist() == [0.5, 0.0]


def test_reserve_percent_gets_a_hint():
    p = only_error(validate_jurisdictions(one(reserve="50%"))[1], "reserve")
    assert "got '50%'" in p.message and "0.5, not 50%" in p.message


def test_reserve_boolean_is_not_a_number():
    frame = layer(
        [
            {"id": "A", "country": "DE", "reserve": True},
            {"id": "B", "country": "DE", "reserve": False},
        ]
    )
    assert frame["reserve"].dtype == bool
    _, report = validate_jurisdictions(frame)
    assert [p.feature for p in errors(report)] == [1, 2]
    assert "got true" in errors(report)[0].message


# --- geometry ---------------------------------------------------------------------------------


def test_geometry_null_is_rejected():
    p = only_error(validate_jurisdictions(one(geometry=None))[1], "geometry")
    assert "has no geometry" in p.message


def test_geometry_empty_is_rejected():
    p = only_error(validate_jurisdictions(one(geometry=Polygon()))[1], "geometry")
    assert "empty" in p.message


@pytest.mark.parametrize(
    "geom, name",
    [
        (Point(6, 50), "Point"),
        (LineString([(6, 50), (7, 51)]), "LineString"),
        (GeometryCollection([box(6, 50, 7, 51)]), "GeometryCollection"),
    ],
)
def test_geometry_must_be_polygon_or_multipolygon(geom, name):
    p = only_error(validate_jurisdictions(one(geometry=geom))[1], "geometry")
    assert f"must be a Polygon or MultiPolygon (jurisdictions are areas), got {name}" in p.message


def test_multipolygon_accepted():
    out, report = validate_jurisdictions(
        one(geometry=MultiPolygon([box(6, 50, 7, 51), box(8, 50, 9, 51)]))
    )
    assert report.ok and out.geometry[0].geom_type == "MultiPolygon"


def test_invalid_polygon_is_repaired_with_a_warning():
    bowtie = Polygon([(6, 50), (7, 51), (7, 50), (6, 51), (6, 50)])
    assert not bowtie.is_valid
    out, report = validate_jurisdictions(one(geometry=bowtie))
    assert report.ok
    [warning] = report.warnings
    assert warning.field == "geometry" and "repaired" in warning.message
    assert "Self-intersection" in warning.message
    repaired = out.geometry[0]
    assert repaired.is_valid and repaired.geom_type in ("Polygon", "MultiPolygon")
    assert repaired.area == pytest.approx(0.5)


def test_repair_keeps_only_polygonal_parts():
    # A polygon with a dangling spike: make_valid returns polygons plus a line.
    spiky = Polygon([(6, 50), (7, 50), (7, 51), (6, 51), (6, 50), (5, 49), (6, 50)])
    out, report = validate_jurisdictions(one(geometry=spiky))
    assert report.ok, report.lines()
    assert out.geometry[0].geom_type in ("Polygon", "MultiPolygon")
    assert out.geometry[0].area == pytest.approx(1.0)


def test_polygon_without_area_cannot_be_repaired():
    flat = Polygon([(6, 50), (7, 50), (8, 50), (6, 50)])
    p = only_error(validate_jurisdictions(one(geometry=flat))[1], "geometry")
    assert "no area left" in p.message


def test_coordinates_out_of_range_rejected():
    p = only_error(validate_jurisdictions(one(geometry=box(170, 50, 190, 51)))[1], "geometry")
    assert "out of range" in p.message and "swapped" not in p.message


def test_coordinates_swapped_get_a_hint():
    # A polygon at lon 150, lat -33 written as [lat, lon].
    p = only_error(validate_jurisdictions(one(geometry=box(-34, 150, -33, 151)))[1], "geometry")
    assert "latitude and longitude look swapped" in p.message


def test_non_finite_coordinates_rejected():
    p = only_error(
        validate_jurisdictions(one(geometry=Polygon([(6, 50), (7, np.inf), (7, 51), (6, 50)])))[1],
        "geometry",
    )
    assert "finite" in p.message


def test_third_dimension_is_dropped():
    cube = Polygon([(6, 50, 100), (7, 50, 100), (7, 51, 100), (6, 50, 100)])
    out, report = validate_jurisdictions(one(geometry=cube))
    assert report.ok and not shapely.has_z(out.geometry[0])


def test_other_crs_is_reprojected_to_lon_lat():
    projected = layer([{"id": "DE-NW", "country": "DE"}]).to_crs(3857)
    out, report = validate_jurisdictions(projected)
    assert report.ok and out.crs.to_epsg() == 4326
    assert out.geometry[0].bounds == pytest.approx((6, 50, 7, 51))


def test_every_problem_is_reported_at_once_in_file_order():
    _, report = validate_jurisdictions(
        layer(
            [
                {"id": "A", "country": "Germany", "reserve": 2, "geometry": Point(0, 0)},
                {"id": None, "country": "DE", "reserve": "x"},
            ]
        )
    )
    assert [(p.feature, p.field) for p in errors(report)] == [
        (1, "country"),
        (1, "reserve"),
        (1, "geometry"),
        (2, "id"),
        (2, "reserve"),
    ]
