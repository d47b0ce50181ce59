"""The strict GeoJSON parser: what it accepts, what it refuses, and how it says so."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from builders import collection, feature, point
from mutualaid import settings
from mutualaid.errors import LayerError
from mutualaid.layers import load_layer
from mutualaid.layers.geojson import (
    crs_from_member,
    decode_utf8,
    json_depth_exceeds,
    parse_geojson,
)

SQUARE = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]


# --- round trip ------------------------------------------------------------------------------------------


def test_round_trip_through_a_file_written_by_gdal(tmp_path):
    expected = gpd.GeoDataFrame(
        {"id": ["A", "B", "C"], "severity": [1, 5, 3], "name": ["Aachen", "Liège", "Köln"]},
        geometry=[
            shapely.Point(6.08, 50.77),
            shapely.Polygon(SQUARE),
            shapely.LineString([(5, 50), (6, 51)]),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "layer.geojson"
    pyogrio.write_dataframe(expected, path, driver="GeoJSON")
    frame, problems = parse_geojson(path.read_bytes())
    assert problems == []
    assert_geodataframe_equal(frame, expected, check_dtype=False, check_less_precise=True)


def test_row_order_and_index_follow_the_features():
    data = collection(
        feature(point(1, 1), {"id": "first"}),
        feature({"type": "Polygon", "coordinates": [SQUARE]}, {"id": "second"}),
        feature(None, {"id": "third"}),
        feature(point(4, 4), {"id": "fourth"}),
    )
    frame, _ = parse_geojson(data)
    assert frame["id"].tolist() == ["first", "second", "third", "fourth"]
    assert list(frame.index) == [0, 1, 2, 3]
    assert frame.geometry[0].equals(shapely.Point(1, 1))
    assert frame.geometry[1].geom_type == "Polygon"
    assert frame.geometry[2] is None
    assert frame.geometry[3].equals(shapely.Point(4, 4))
    assert frame.crs.to_epsg() == 4326


# --- file-level refusals -------------------------------------------------------------------------------


def test_broken_json_names_line_and_column():
    data = b'{"type": "FeatureCollection",\n  "features": [\n    {"type": "Feature",, }\n]}'
    with pytest.raises(LayerError, match=r"not valid JSON: .* at line 3, column 24"):
        parse_geojson(data)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(token):
    data = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        b'{"severity": ' + token.encode() + b'}, "geometry": null}]}'
    )
    with pytest.raises(LayerError, match=f"value {token}"):
        parse_geojson(data)


def test_nan_as_a_coordinate_is_refused_too():
    data = b'{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [NaN, 1]}}'
    with pytest.raises(LayerError, match="NaN"):
        parse_geojson(data)


def test_nesting_bomb_is_refused_before_parsing():
    with pytest.raises(LayerError, match="deeper than 32 levels"):
        parse_geojson(b"[" * 100_000)
    with pytest.raises(LayerError, match="deeper than"):
        parse_geojson(b'{"a":' * 100_000)


def test_depth_limit_counts_structure_not_brackets_in_text(monkeypatch):
    # A MultiPolygon in a FeatureCollection is 8 deep: collection, features, feature,
    # geometry, polygons, polygon, ring, position.
    monkeypatch.setattr(settings, "MAX_JSON_DEPTH", 8)
    # The name holds 100 brackets and escaped quotes, which must not count.
    deep_name = '[[[[[[[[[[\\"{{{{{{{{{{' * 5
    data = collection(
        feature({"type": "MultiPolygon", "coordinates": [[SQUARE]]}, {"id": "M", "name": deep_name})
    )
    frame, problems = parse_geojson(data)
    assert frame.loc[0, "name"] == deep_name
    assert problems == []
    deeper = collection(feature(point(1, 2), {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}))
    with pytest.raises(LayerError, match="deeper than 8 levels"):
        parse_geojson(deeper)


def test_depth_scan_handles_escapes():
    assert not json_depth_exceeds(b'["\\\\", [[1]]]', 3)
    assert json_depth_exceeds(b'["\\\\", [[[1]]]]', 3)  # the string ends after \\
    assert not json_depth_exceeds(b'["\\"[[[[[[", 1]', 3)  # \" does not end the string
    assert not json_depth_exceeds(b'["\\\\\\"[[[[[[", 1]', 3)  # neither does \\\"


def test_file_too_large_is_refused(monkeypatch):
    data = collection(feature(point(1, 2), {"id": "A"}))
    monkeypatch.setattr(settings, "MAX_FILE_BYTES", len(data) - 1)
    with pytest.raises(LayerError, match="largest file accepted"):
        parse_geojson(data)


def test_too_many_features_are_refused(monkeypatch):
    monkeypatch.setattr(settings, "MAX_FEATURES", 2)
    data = collection(*[feature(point(i, i), {"id": str(i)}) for i in range(3)])
    with pytest.raises(LayerError, match="3 features; the most accepted is 2"):
        parse_geojson(data)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "not GeoJSON: it holds a list"),
        ("hello", "not GeoJSON: it holds text"),
        ({"features": []}, 'no "type" member'),
        ({"type": "Point", "coordinates": [1, 2]}, "bare Point geometry"),
        ({"type": "Topology", "objects": {}}, "TopoJSON"),
        ({"type": "FeatureCollection"}, 'no "features" list'),
        ({"type": "FeatureCollection", "features": {}}, 'no "features" list'),
        ({"type": "Featurecollection", "features": []}, "its type is text 'Featurecollection'"),
    ],
)
def test_not_a_feature_collection_is_refused(document, message):
    with pytest.raises(LayerError, match=message):
        parse_geojson(json.dumps(document).encode())


def test_other_encodings_are_refused_with_a_clear_message():
    text = json.dumps(feature(point(1, 2), {"name": "Liège"}), ensure_ascii=False)
    with pytest.raises(LayerError, match="saved as UTF-16"):
        parse_geojson(text.encode("utf-16"))
    with pytest.raises(LayerError, match=r"not UTF-8 text: byte 0xe8 on line 2"):
        parse_geojson(b"\n" + text.encode("latin-1"))


def test_unpaired_surrogate_escapes_are_refused():
    data = b'{"type": "Feature", "properties": {"name": "a\\ud800b"}, "geometry": null}'
    with pytest.raises(LayerError, match="unpaired .*surrogate"):
        parse_geojson(data)
    # A proper pair (an emoji written by an ASCII-only writer) is fine.
    frame, _ = parse_geojson(
        b'{"type": "Feature", "properties": {"name": "\\ud83d\\ude91"}, "geometry": null}'
    )
    assert frame.loc[0, "name"] == "\U0001f691"


# --- accepted edge cases ------------------------------------------------------------------------------


def test_utf8_byte_order_mark_is_accepted():
    data = b"\xef\xbb\xbf" + collection(feature(point(6.1, 50.8), {"id": "A", "name": "Liège"}))
    frame, problems = parse_geojson(data)
    assert problems == []
    assert frame.loc[0, "name"] == "Liège"


def test_decode_utf8_strips_the_mark():
    assert decode_utf8(b"\xef\xbb\xbfabc") == "abc"


def test_single_feature_is_a_one_row_layer():
    data = json.dumps(feature(point(6.1, 50.8), {"id": "A", "severity": 3})).encode()
    frame, problems = parse_geojson(data)
    assert problems == []
    assert len(frame) == 1
    assert frame.loc[0, "severity"] == 3
    assert frame.geometry[0].equals(shapely.Point(6.1, 50.8))


def test_3d_coordinates_are_dropped_to_2d():
    data = collection(
        feature(point(6.1, 50.8, 120.5), {"id": "P"}),
        feature({"type": "Polygon", "coordinates": [[[x, y, 7] for x, y in SQUARE]]}, {"id": "Q"}),
        feature({"type": "MultiPoint", "coordinates": [[1, 2, 3, 4], [5, 6, 7, 8]]}, {"id": "R"}),
    )
    frame, problems = parse_geojson(data)
    assert problems == []
    assert not frame.geometry.has_z.any()
    assert frame.geometry[0].equals(shapely.Point(6.1, 50.8))
    assert frame.geometry[1].equals(shapely.Polygon(SQUARE))
    assert frame.geometry[2].equals(shapely.MultiPoint([(1, 2), (5, 6)]))


@pytest.mark.parametrize(
    "name",
    ["EPSG:3857", "urn:ogc:def:crs:EPSG::3857", "http://www.opengis.net/def/crs/EPSG/0/3857"],
)
def test_epsg_3857_crs_member_is_reprojected(name):
    # Web Mercator metres of Paris (2.3522 E, 48.8566 N), from the spherical formulas.
    data = collection(
        feature(point(0, 0), {"id": "origin"}),
        feature(point(261845.7, 6250566.7), {"id": "paris"}),
        feature(
            {"type": "LineString", "coordinates": [[0, 0], [261845.7, 6250566.7]]}, {"id": "L"}
        ),
        crs={"type": "name", "properties": {"name": name}},
    )
    frame, problems = parse_geojson(data)
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry[0].x == pytest.approx(0, abs=1e-9)
    assert frame.geometry[0].y == pytest.approx(0, abs=1e-9)
    assert frame.geometry[1].x == pytest.approx(2.3522, abs=1e-4)
    assert frame.geometry[1].y == pytest.approx(48.8566, abs=1e-4)
    assert frame.geometry[2].coords[1] == pytest.approx((2.3522, 48.8566), abs=1e-4)
    [warning] = problems
    assert warning.severity == "warning"
    assert "reprojected from EPSG:3857" in warning.message


@pytest.mark.parametrize(
    "name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"]
)
def test_lonlat_crs_members_change_nothing(name):
    data = collection(
        feature(point(6.1, 50.8), {"id": "A"}), crs={"type": "name", "properties": {"name": name}}
    )
    frame, problems = parse_geojson(data)
    assert problems == []
    # EPSG:4326 in an old crs member is read as lon/lat, as GeoJSON 2008 files meant it.
    assert (frame.geometry[0].x, frame.geometry[0].y) == (6.1, 50.8)


def test_crs_member_forms():
    assert crs_from_member(None) is None
    assert crs_from_member({"type": "EPSG", "properties": {"code": 25832}}) == 25832
    assert (
        crs_from_member({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG:6.6:2154"}})
        == 2154
    )


@pytest.mark.parametrize(
    ("member", "message"),
    [
        ({"type": "name", "properties": {"name": "my local grid"}}, "not understood"),
        (
            {"type": "link", "properties": {"href": "http://example.com/crs"}},
            "type 'link' is not supported",
        ),
        ({"type": "name", "properties": {"name": "EPSG:999999"}}, "not a known"),
        ("EPSG:3857", "must be an object"),
    ],
)
def test_unusable_crs_members_are_refused(member, message):
    with pytest.raises(LayerError, match=message):
        parse_geojson(collection(feature(point(1, 2)), crs=member))


def test_outside_the_projection_area_is_an_error_per_feature():
    data = collection(
        feature(point(500000, 5600000), {"id": "ok"}),
        feature(point(1e8, 1e8), {"id": "far"}),
        crs={"type": "name", "properties": {"name": "EPSG:32632"}},
    )
    frame, problems = parse_geojson(data)
    errors = [p for p in problems if p.severity == "error"]
    assert [(p.feature, p.feature_id, p.field) for p in errors] == [(2, "far", "geometry")]
    assert frame.geometry[1] is None
    assert frame.geometry[0] is not None


# --- per-feature problems -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [[1, 2]]}, "x must be a number, got a list"),
        ({"type": "Point", "coordinates": ["6.1", "50.8"]}, "x must be a number, got text '6.1'"),
        ({"type": "Point", "coordinates": [True, 1]}, "x must be a number, got true"),
        ({"type": "Point", "coordinates": [1]}, "needs at least 2 numbers"),
        ({"type": "Point"}, "must be a list of numbers"),
        ({"type": "LineString", "coordinates": [[1, 2]]}, "needs at least 2 positions, got 1"),
        ({"type": "LineString", "coordinates": [1, 2]}, "position 1 must be a list"),
        ({"type": "Polygon", "coordinates": SQUARE}, "ring 1, position 1 must be a list"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}, "at least 4 positions"),
        ({"type": "Polygon", "coordinates": []}, "has no rings"),
        (
            {"type": "MultiPolygon", "coordinates": [SQUARE]},
            "polygon 1 ring 1, position 1 must be a list",
        ),
        ({"type": "MultiLineString", "coordinates": []}, "has no lines"),
        ({"type": "Circle", "coordinates": [1, 2]}, "has type text 'Circle'"),
        (
            {
                "type": "GeometryCollection",
                "geometries": [{"type": "Point", "coordinates": [None, 1]}],
            },
            "member 1 of the geometry .*x must be a number, got null",
        ),
        ([1, 2], "the geometry must be an object, got a list"),
    ],
)
def test_malformed_geometry_is_an_error_for_that_feature(geometry, message):
    data = collection(
        feature(point(1, 1), {"id": "good"}),
        feature(geometry, {"id": "I-0042", "severity": 2}),
        feature(point(3, 3), {"id": "good too"}),
    )
    frame, problems = parse_geojson(data)
    [problem] = problems
    assert problem.severity == "error"
    assert (problem.feature, problem.feature_id, problem.field) == (2, "I-0042", "geometry")
    assert "malformed geometry" in problem.message
    assert re.search(message, problem.message), problem.message
    assert frame.geometry[1] is None
    assert frame.loc[1, "severity"] == 2
    assert frame.geometry[0] is not None and frame.geometry[2] is not None


def test_coordinate_overflowing_to_infinity_is_an_error():
    # 1e400 is valid JSON text, but no finite float: it must not become a coordinate.
    data = (
        b'{"type": "FeatureCollection", "features": ['
        b'{"type": "Feature", "properties": {"id": "A"}, "geometry": {"type": "Point", "coordinates": [1, 1e400]}},'
        b'{"type": "Feature", "properties": {"id": "B"}, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, -1e999]]}},'
        b'{"type": "Feature", "properties": {"id": "C"}, "geometry": {"type": "Point", "coordinates": [1, %d]}}]}'
        % (10**400)
    )
    frame, problems = parse_geojson(data)
    assert [(p.feature, p.feature_id) for p in problems] == [(1, "A"), (2, "B"), (3, "C")]
    assert all("too large to be a coordinate" in p.message for p in problems)
    assert frame.geometry.isna().all()


def test_feature_id_comes_from_the_top_level_id_member():
    data = collection(
        feature({"type": "Point", "coordinates": []}, {"name": "x"}, members={"id": 17})
    )
    frame, problems = parse_geojson(data)
    assert problems[0].feature_id == "17"
    assert frame.loc[0, "id"] == 17


def test_null_or_missing_geometry_is_left_to_the_validator():
    data = collection(feature(None, {"id": "A"}), {"type": "Feature", "properties": {"id": "B"}})
    frame, problems = parse_geojson(data)
    assert problems == []
    assert frame.geometry.isna().all()


def test_unclosed_ring_is_closed_with_a_warning():
    data = collection(feature({"type": "Polygon", "coordinates": [SQUARE[:-1]]}, {"id": "P"}))
    frame, problems = parse_geojson(data)
    assert frame.geometry[0].equals(shapely.Polygon(SQUARE))
    [warning] = problems
    assert warning.severity == "warning" and "not closed" in warning.message


def test_all_geometry_types_are_built():
    geometries = [
        {"type": "MultiPoint", "coordinates": [[1, 2], [3, 4]]},
        {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
        {"type": "MultiLineString", "coordinates": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], SQUARE]},
        {"type": "MultiPolygon", "coordinates": [[SQUARE], [[[5, 5], [6, 5], [6, 6], [5, 5]]]]},
        {
            "type": "GeometryCollection",
            "geometries": [point(1, 2), {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}],
        },
    ]
    frame, problems = parse_geojson(
        collection(*[feature(g, {"id": str(k)}) for k, g in enumerate(geometries)])
    )
    assert problems == []
    expected = [shapely.geometry.shape(g) for g in geometries]
    assert all(a.equals(b) for a, b in zip(frame.geometry, expected))
    assert frame.geometry[3].interiors[0].coords[:] == [tuple(c) for c in SQUARE]


# --- properties -------------------------------------------------------------------------------------


def test_properties_become_columns_and_nested_objects_stay_dicts():
    data = collection(
        feature(point(1, 1), {"id": "I1", "needs": {"boat": 2, "pump": 1}, "severity": 4}),
        feature(point(2, 2), {"id": "I2", "hazard": "flood", "needs": {"ambulance": 3}}),
    )
    frame, problems = parse_geojson(data)
    assert problems == []
    assert frame.columns.tolist() == ["id", "needs", "severity", "hazard", "geometry"]
    assert frame.loc[0, "needs"] == {"boat": 2, "pump": 1}
    assert frame.loc[1, "needs"] == {"ambulance": 3}
    assert frame.loc[1, "hazard"] == "flood"


def test_top_level_id_fills_the_id_column_only_when_properties_have_none():
    data = collection(
        feature(point(1, 1), {"name": "a"}, members={"id": "TOP"}),
        feature(point(2, 2), {"id": "PROP"}, members={"id": "TOP2"}),
    )
    frame, _ = parse_geojson(data)
    assert frame["id"].tolist() == ["TOP", "PROP"]


def test_non_object_properties_are_an_error():
    data = collection(
        feature(point(1, 1), ["a", "b"], members={"id": "X"}), feature(point(2, 2), {"id": "Y"})
    )
    frame, problems = parse_geojson(data)
    [problem] = problems
    assert (problem.feature, problem.feature_id, problem.field) == (1, "X", "properties")
    assert "must be an object, got a list" in problem.message
    assert frame.loc[1, "id"] == "Y"


def test_a_feature_that_is_not_an_object_is_an_error():
    data = collection(feature(point(1, 1), {"id": "A"}), "oops", 42)
    frame, problems = parse_geojson(data)
    assert [p.feature for p in problems] == [2, 3]
    assert len(frame) == 3


def test_a_property_called_geometry_does_not_replace_the_geometry():
    frame, _ = parse_geojson(collection(feature(point(1, 1), {"id": "A", "geometry": "text"})))
    assert frame.geometry[0].equals(shapely.Point(1, 1))
    assert frame.loc[0, "geometry_field"] == "text"


def test_empty_feature_collection_is_an_empty_layer():
    frame, problems = parse_geojson(collection())
    assert len(frame) == 0 and problems == []
    assert frame.crs.to_epsg() == 4326


def test_integer_too_long_for_python_is_a_coordinators_sentence():
    data = (
        b'{"type": "Feature", "properties": {"id": "I1", "severity": '
        + b"9" * 5_000
        + b'}, "geometry": {"type": "Point", "coordinates": [6.1, 50.8]}}'
    )
    with pytest.raises(LayerError) as refused:
        parse_geojson(data)
    message = str(refused.value)
    assert message.startswith(
        "the file holds a whole number 5,000 digits long; the longest accepted has 4,300 digits"
    )
    assert "set_int_max_str_digits" not in message


def test_long_integer_in_a_property_is_reported_by_its_length_for_that_feature():
    big = "9" * 4_000  # within Python's limit, beyond float's range
    body = (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"id": "R1", "type": "boat", "quantity": ' + big + '}, "geometry": {"type": "Point", '
        '"coordinates": [6.1, 50.8]}}]}'
    )
    result = load_layer("r.geojson", kind="resources", data=body.encode())
    [error] = result.report.errors
    assert (error.feature, error.field) == (1, "quantity")
    assert error.message == (
        "quantity must be a whole number from 1 to 1,000,000, got a whole number 4,000 digits long"
    )
