"""load_layer: reading, mapping and validating one file, never raising for bad input."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
from shapely import Point, box

from builders import feature
from mutualaid.layers import LayerResult, load_layer
from mutualaid.layers.schema import INCIDENT_COLUMNS, JURISDICTION_COLUMNS, RESOURCE_COLUMNS

RHINE = "/work/shared/data/reference/rhine_admin1.geojson"


def geojson(path, features):
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return path


def incident(i, **props):
    return feature(
        {
            "id": f"I{i}",
            "hazard": "flood",
            "severity": 3,
            "reported_at": "2021-07-14T17:30:00Z",
            "needs": {"boat": 1},
            **props,
        },
        {"type": "Point", "coordinates": [6.9, 50.9]},
    )


def juris_frame():
    return gpd.GeoDataFrame(
        {"id": ["DE-NW"], "name": ["NRW"], "country": ["DE"], "reserve": [0.0]},
        geometry=[box(6, 50, 9, 52)],
        crs="EPSG:4326",
    )


def test_reference_admin1_loads_with_the_documented_mapping():
    result = load_layer(
        RHINE, kind="jurisdictions", mapping={"id": "iso_3166_2", "country": "iso_a2"}
    )
    assert isinstance(result, LayerResult)
    assert result.ok and result.format == "geojson", result.report.lines()
    assert list(result.frame.columns[:5]) == list(JURISDICTION_COLUMNS)
    assert len(result.frame) == 117 and "DE-NW" in set(result.frame["id"])


def test_reference_admin1_loads_with_aliases_alone():
    result = load_layer(RHINE, kind="jurisdictions")
    assert result.ok and result.report.problems == []


def test_geojson_incidents_joined_to_jurisdictions(tmp_path):
    path = geojson(tmp_path / "incidents.geojson", [incident(1), incident(2)])
    result = load_layer(path, kind="incidents", jurisdictions=juris_frame())
    assert result.ok
    assert result.frame["jurisdiction"].tolist() == ["DE-NW", "DE-NW"]
    assert result.report.source == str(path)


def test_upload_bytes_with_a_filename():
    data = b"id,type,lat,lon,qty\nR1,boat,50.9,6.9,2\n"
    result = load_layer("upload", kind="resources", data=data, filename="units.csv")
    assert result.ok and result.format == "csv"
    assert result.report.source == "units.csv"
    # The coordinate columns became the geometry, lon and lat: not kept twice.
    assert list(result.frame.columns) == list(RESOURCE_COLUMNS)
    assert result.frame.loc[0, "quantity"] == 2


def test_csv_incidents_with_flat_need_columns(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(
        "ID,Hazard,Sev,Reported At,Latitude,Longitude,need_boat,need_pump\n"
        "I1,flood,4,2021-07-14T17:30Z,50.9,6.9,2,\n"
        "I2,storm,2,2021-07-14T18:30Z,51.0,7.0,,3\n",
        encoding="utf-8",
    )
    result = load_layer(path, kind="incidents")
    assert result.ok, result.report.lines()
    assert result.frame["needs"].tolist() == [{"boat": 2}, {"pump": 3}]
    assert list(result.frame.columns) == list(INCIDENT_COLUMNS)


def test_csv_problems_are_listed_in_file_order_once(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(
        "id,hazard,severity,reported_at,lat,lon\n"
        "I1,flood,9,2021-07-14T17:30Z,,6.9\n"
        "I2,flood,3,yesterday,50,7\n",
        encoding="utf-8",
    )
    result = load_layer(path, kind="incidents")
    assert result.frame is None
    where = [(p.feature, p.field) for p in result.report.errors]
    assert where == [(1, "geometry"), (1, "severity"), (2, "reported_at")]


def test_geopackage_with_needs_as_json_text(tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "id": ["I1"],
            "hazard": ["flood"],
            "severity": [5],
            "reported_at": ["2021-07-14T17:30Z"],
            "needs": ['{"boat": 2, "helicopter": 1}'],
        },
        geometry=[Point(6.9, 50.9)],
        crs="EPSG:4326",
    )
    path = tmp_path / "incidents.gpkg"
    frame.to_file(path, driver="GPKG")
    result = load_layer(path, kind="incidents")
    assert result.ok and result.format == "gpkg", result.report.lines()
    assert result.frame.loc[0, "needs"] == {"boat": 2, "helicopter": 1}


@pytest.mark.filterwarnings("ignore:.*(truncated|laundered).*")
def test_zipped_shapefile_with_truncated_column_names(tmp_path):
    frame = gpd.GeoDataFrame(
        {
            "id": ["I1"],
            "hazard": ["flood"],
            "severity": [2],
            "reported_at": ["2021-07-14T17:30Z"],
            "max_response_min": [90.0],
            "need_fire_engine": [2],
            "need_boat": [1],
        },
        geometry=[Point(6.9, 50.9)],
        crs="EPSG:4326",
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "incidents.shp")
    archive = tmp_path / "incidents.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    result = load_layer(archive, kind="incidents")
    assert result.ok, result.report.lines()
    row = result.frame.iloc[0]
    assert row["needs"] == {"fire_engine": 2, "boat": 1}
    assert row["max_response_min"] == 90.0


def test_kml_resources_with_extended_data(tmp_path):
    path = tmp_path / "resources.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Placemark><name>Boat unit</name><ExtendedData>"
        '<Data name="id"><value>R1</value></Data><Data name="type"><value>boat</value></Data>'
        '<Data name="quantity"><value>3</value></Data></ExtendedData>'
        "<Point><coordinates>6.9,50.9,0</coordinates></Point></Placemark></Document></kml>",
        encoding="utf-8",
    )
    result = load_layer(path, kind="resources")
    assert result.ok, result.report.lines()
    assert result.frame.loc[0, "quantity"] == 3 and result.frame.loc[0, "name"] == "Boat unit"


def test_mapping_error_is_reported_once(tmp_path):
    path = geojson(
        tmp_path / "j.geojson",
        [
            feature(
                {"code": "DE-NW", "country": "DE"},
                {"type": "Polygon", "coordinates": [[[6, 50], [7, 50], [7, 51], [6, 50]]]},
            )
        ],
    )
    result = load_layer(path, kind="jurisdictions", mapping={"id": "iso"})
    errs = result.report.errors
    assert len(errs) == 1 and "'iso'" in errs[0].message and "'code'" in errs[0].message


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"", "empty"),
        (b"\x00\xff\xfe garbage \x89PNG", "binary"),
        (b'{"type": "FeatureCollection", "features": [', ""),
    ],
)
def test_unreadable_files_are_one_error_for_the_file(tmp_path, content, expected):
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    result = load_layer(path, kind="incidents")
    assert result.frame is None and result.format == ""
    [error] = result.report.errors
    assert error.feature is None and expected in error.message


def test_missing_file_and_folder_are_errors_not_exceptions(tmp_path):
    missing = load_layer(tmp_path / "nothing.geojson", kind="incidents")
    assert "file not found" in missing.report.errors[0].message
    folder = load_layer(tmp_path, kind="incidents")
    assert "is a folder" in folder.report.errors[0].message


def test_unexpected_failure_becomes_a_file_error_without_traceback(tmp_path):
    path = geojson(tmp_path / "incidents.geojson", [incident(1)])
    # Not a jurisdictions layer at all: the join fails inside, the caller gets a report.
    result = load_layer(path, kind="incidents", jurisdictions="not a layer")  # type: ignore
    assert result.frame is None
    [error] = result.report.errors
    assert error.message.startswith("could not read the file: ")


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        load_layer(RHINE, kind="rivers")


def test_an_unexpected_reader_error_is_said_in_words_and_logged_with_its_traceback(
    tmp_path, monkeypatch, caplog
):
    """Bug: the broad catches of the layer readers kept no traceback anywhere, so an
    unexpected failure could not be diagnosed from the server's log."""
    import logging

    from mutualaid.layers import validate

    def broken(*args, **kwargs):
        raise RuntimeError("a reader bug")

    monkeypatch.setattr(validate, "validate_layer", broken)
    path = tmp_path / "incidents.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with caplog.at_level(logging.INFO, logger="mutualaid"):
        result = load_layer(path, kind="incidents")
    assert not result.report.ok
    assert any("could not read the file: a reader bug" in p.message for p in result.report.problems)
    logged = [r for r in caplog.records if r.name == "mutualaid.layers" and r.exc_info]
    assert logged and logged[0].exc_info[0] is RuntimeError
