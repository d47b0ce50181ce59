"""read_layer: every format's details; every hostile or mislabelled file is refused (the
round trips of every accepted format are in test_round_trip.py)."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from builders import resources_frame, write_shapefile_zip, zip_folder
from mutualaid import settings
from mutualaid.errors import LayerError, UnsafeInputError, UnsupportedFormatError
from mutualaid.layers import readers
from mutualaid.layers.readers import RawLayer, read_layer, vrt_drivers_disabled

PARIS = (2.3522, 48.8566)


# --- formats ----------------------------------------------------------------------------------------------


def test_json_extension_and_upload_bytes(tmp_path):
    data = resources_frame().to_json().encode()
    layer = read_layer(
        "upload from the browser", kind="resources", data=data, filename="resources.json"
    )
    assert layer.format == "geojson"
    assert layer.source == "upload from the browser"
    assert layer.frame["id"].tolist() == ["R1", "R2", "R3"]


def test_geopackage_in_web_mercator_is_reprojected_with_a_warning(tmp_path):
    frame = gpd.GeoDataFrame(
        {"id": ["origin", "paris"]}, geometry=[shapely.Point(0, 0), shapely.Point(*PARIS)], crs=4326
    )
    path = tmp_path / "m.gpkg"
    pyogrio.write_dataframe(frame.to_crs(3857), path, driver="GPKG")
    layer = read_layer(path, kind="incidents")
    assert layer.frame.crs.to_epsg() == 4326
    assert layer.frame.geometry[0].coords[0] == pytest.approx((0, 0), abs=1e-9)
    assert layer.frame.geometry[1].coords[0] == pytest.approx(PARIS, abs=1e-9)
    [warning] = layer.problems
    assert warning.severity == "warning" and "reprojected from EPSG:3857" in warning.message


def test_geopackage_layer_choice(tmp_path):
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(resources_frame(), path, driver="GPKG", layer="resources")
    pyogrio.write_dataframe(resources_frame().iloc[:1], path, driver="GPKG", layer="depots")
    assert len(read_layer(path, kind="resources").frame) == 3
    with pytest.raises(LayerError, match=r"holds 2 layers \(resources, depots\)"):
        read_layer(path, kind="incidents")


def test_geopackage_3d_is_dropped_to_2d(tmp_path):
    frame = gpd.GeoDataFrame({"id": ["A"]}, geometry=[shapely.Point(6.1, 50.8, 300)], crs=4326)
    path = tmp_path / "z.gpkg"
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    layer = read_layer(path, kind="resources")
    assert not layer.frame.has_z.any()
    assert layer.frame.geometry[0].equals(shapely.Point(6.1, 50.8))


def test_geopackage_with_a_damaged_geometry_stays_readable(tmp_path):
    path = tmp_path / "broken.gpkg"
    pyogrio.write_dataframe(
        resources_frame(), path, driver="GPKG", layer="resources", SPATIAL_INDEX=False
    )
    with sqlite3.connect(path) as db:  # a truncated GeoPackage geometry blob for R2
        db.execute("update resources set geom = X'4750000100000000010100' where id = 'R2'")
    layer = read_layer(path, kind="resources")
    assert layer.frame["id"].tolist() == ["R1", "R2", "R3"]
    # The damaged geometry is missing; the validator reports missing geometries.
    assert layer.frame.geometry.isna().tolist() == [False, True, False]


def test_shapefile_code_page_is_honoured(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(
        resources_frame(), folder / "r.shp", driver="ESRI Shapefile", encoding="cp1252"
    )
    assert (folder / "r.cpg").read_text().strip() in ("1252", "CP1252", "cp1252")
    layer = read_layer("r.zip", kind="resources", data=zip_folder(folder))
    assert layer.frame["name"].tolist() == ["Liège", "Köln", "Maastricht"]


def test_shapefile_in_another_crs_is_reprojected(tmp_path):
    path = write_shapefile_zip(resources_frame().to_crs(25832), tmp_path)
    layer = read_layer(path, kind="resources")
    assert layer.frame.crs.to_epsg() == 4326
    np.testing.assert_allclose(
        shapely.get_coordinates(layer.frame.geometry.values),
        shapely.get_coordinates(resources_frame().geometry.values),
        atol=1e-8,
    )
    [warning] = layer.problems
    assert "reprojected from EPSG:25832 (the .prj file)" in warning.message


def test_shapefile_without_prj_is_assumed_lonlat_with_a_warning(tmp_path):
    path = write_shapefile_zip(resources_frame(), tmp_path, parts={".shp", ".shx", ".dbf"})
    layer = read_layer(path, kind="resources")
    assert layer.frame.crs.to_epsg() == 4326
    assert layer.frame.geometry[0].equals(shapely.Point(5.57, 50.63))
    [warning] = layer.problems
    assert warning.severity == "warning" and "no .prj" in warning.message


def test_shapefile_with_an_unreadable_prj_is_refused_clearly(tmp_path):
    path = write_shapefile_zip(resources_frame(), tmp_path)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["resources.prj"] = b'PROJCS["nonsense",GEOGCS["?"],PROJECTION["None"]]'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)
    with pytest.raises(LayerError, match="cannot be opened as a shapefile: Missing DATUM"):
        read_layer("r.zip", kind="resources", data=buffer.getvalue())


def shapefile_zip_with_prj(tmp_path: Path, prj: bytes, *, crs: str = "EPSG:4326") -> bytes:
    """The sample as a zipped shapefile in *crs* whose .prj holds *prj*."""
    path = write_shapefile_zip(resources_frame().to_crs(crs), tmp_path)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["resources.prj"] = prj
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return buffer.getvalue()


def test_shapefile_prj_holding_a_proj_string_is_understood_and_reprojected(tmp_path):
    data = shapefile_zip_with_prj(
        tmp_path, b"+proj=utm +zone=32 +datum=WGS84 +units=m +no_defs", crs="EPSG:32632"
    )
    layer = read_layer("r.zip", kind="resources", data=data)
    assert layer.frame.crs.to_epsg() == 4326
    assert layer.frame.geometry[0].distance(shapely.Point(5.57, 50.63)) < 1e-6
    [warning] = layer.problems
    assert warning.message == (
        "coordinates were reprojected from EPSG:32632 (the PROJ string "
        "in the .prj file) to EPSG:4326 (longitude, latitude)"
    )


@pytest.mark.parametrize(
    "prj",
    [
        b"+proj=utm +zone=32 +nadgrids=/etc/passwd",
        b"+init=epsg:32632",
        b"some words, not a projection",
    ],
)
def test_shapefile_prj_that_is_not_understood_is_refused_not_called_missing(tmp_path, prj):
    data = shapefile_zip_with_prj(tmp_path, prj)
    with pytest.raises(LayerError, match="'resources.prj' is not understood") as refused:
        read_layer("r.zip", kind="resources", data=data)
    assert "no .prj" not in str(refused.value)


# --- KML details ------------------------------------------------------------------------------------------

KML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
)


def read_kml(body: str) -> RawLayer:
    return read_layer(
        "layer.kml", kind="jurisdictions", data=(KML_HEAD + body + "</Document></kml>").encode()
    )


def test_kml_polygons_multigeometry_schema_data_and_3d():
    layer = read_kml(
        '<Placemark id="pm-7"><name>Zone</name>'
        '<ExtendedData><SchemaData schemaUrl="#s"><SimpleData name="country">DE</SimpleData>'
        '<SimpleData name="reserve">0.2</SimpleData></SchemaData></ExtendedData>'
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0,5 10,0,5 10,10,5 0,10,5 0,0,5"
        "</coordinates></LinearRing></outerBoundaryIs><innerBoundaryIs><LinearRing><coordinates>"
        "1,1 2,1 2,2 1,1</coordinates></LinearRing></innerBoundaryIs></Polygon></Placemark>"
        "<Placemark><name>Two</name><MultiGeometry>"
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon>"
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>5,5 6,5 6,6 5,5</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon></MultiGeometry></Placemark>"
        "<Placemark><name>Spaced</name><LineString><coordinates>\n  6.1, 50.8\n  7.2, 51.9\n"
        "</coordinates></LineString></Placemark>"
        "<Placemark><name>No geometry</name></Placemark>"
    )
    frame = layer.frame
    assert layer.problems == []
    assert frame.columns.tolist() == ["name", "country", "reserve", "id", "geometry"]
    assert frame.loc[0, "id"] == "pm-7" and frame.loc[0, "reserve"] == "0.2"
    assert frame.geometry[0].equals(
        shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(1, 1), (2, 1), (2, 2)]])
    )
    assert not frame.geometry[0].has_z
    assert frame.geometry[1].geom_type == "MultiPolygon" and len(frame.geometry[1].geoms) == 2
    assert frame.geometry[2].equals(shapely.LineString([(6.1, 50.8), (7.2, 51.9)]))
    assert frame.geometry[3] is None


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ("<Point><coordinates>nan,1</coordinates></Point>", "'nan' is not a number"),
        ("<Point><coordinates>inf,1</coordinates></Point>", "'inf' is not a number"),
        ("<Point><coordinates>1e999,1</coordinates></Point>", "too large"),
        ("<Point><coordinates>6.1</coordinates></Point>", "expected longitude,latitude"),
        ("<Point><coordinates></coordinates></Point>", "at least 1 position"),
        ("<Point><coordinates>1,2 3,4</coordinates></Point>", "exactly 1 position"),
        ("<LineString><coordinates>1,2</coordinates></LineString>", "at least 2 position"),
        ("<Polygon><innerBoundaryIs/></Polygon>", "outerBoundaryIs"),
        ("<MultiGeometry></MultiGeometry>", "no geometries"),
        ("<Model><Link><href>x.dae</href></Link></Model>", "not supported"),
    ],
)
def test_kml_malformed_geometry_is_an_error_for_that_placemark(geometry, message):
    layer = read_kml(
        "<Placemark><name>ok</name><Point><coordinates>1,2</coordinates></Point></Placemark>"
        f'<Placemark><ExtendedData><Data name="id"><value>J-9</value></Data></ExtendedData>{geometry}</Placemark>'
    )
    [problem] = layer.problems
    assert (problem.severity, problem.feature, problem.feature_id, problem.field) == (
        "error",
        2,
        "J-9",
        "geometry",
    )
    assert message in problem.message
    assert layer.frame.geometry[1] is None and layer.frame.geometry[0] is not None


def test_kml_with_external_entity_is_refused_and_nothing_is_read():
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        "<kml><Placemark><name>&xxe;</name><Point><coordinates>1,2</coordinates></Point>"
        "</Placemark></kml>"
    )
    with pytest.raises(UnsafeInputError, match="DOCTYPE") as caught:
        read_layer("evil.kml", kind="resources", data=xxe.encode())
    assert "root" not in str(caught.value)


def test_kml_billion_laughs_is_refused():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    )
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE kml [{entities}]>'
        "<kml><Placemark><name>&lol9;</name></Placemark></kml>"
    )
    with pytest.raises(UnsafeInputError, match="DOCTYPE or entities"):
        read_layer("bomb.kml", kind="resources", data=bomb.encode())


def test_kml_parse_errors_and_other_xml():
    with pytest.raises(LayerError, match=r"not valid XML: mismatched tag at line 1, column"):
        read_layer("a.kml", kind="resources", data=b"<kml><Placemark></kml>")
    with pytest.raises(LayerError, match=r"not KML: its root element is <svg>"):
        read_layer("a.kml", kind="resources", data=b"<svg></svg>")


# --- CSV details -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lat_name,lon_name",
    [
        ("Latitude", "Longitude"),
        ("lat", "lon"),
        ("LAT", "LNG"),
        ("y", "x"),
        ("Y", "X"),
    ],
)
def test_csv_coordinate_column_names(lat_name, lon_name):
    data = f"id,{lon_name},{lat_name},type\nR1,6.1,50.8,boat\n".encode()
    layer = read_layer("r.csv", kind="resources", data=data)
    assert layer.problems == []
    assert layer.frame.geometry[0].equals(shapely.Point(6.1, 50.8))
    assert layer.frame.crs.to_epsg() == 4326
    assert layer.frame.loc[0, lat_name] == "50.8"  # the file's own columns stay, as text


def test_csv_bad_coordinates_are_errors_per_row():
    data = (
        b"id,lat,lon\n"
        b"R1,50.8,6.1\n"
        b"R2,,6.1\n"
        b"R3,fifty,6.1\n"
        b"R4,NaN,6.1\n"
        b"R5,50.8,inf\n"
        b"R6,1e999,6.1\n"
        b"R7, -50.5 ,+6\n"
    )
    layer = read_layer("r.csv", kind="resources", data=data)
    frame = layer.frame
    assert frame.geometry.isna().tolist() == [False, True, True, True, True, True, False]
    assert frame.geometry[6].equals(shapely.Point(6, -50.5))
    got = [(p.feature, p.feature_id, p.field, p.message) for p in layer.problems]
    assert got == [
        (2, "R2", "geometry", "latitude (column 'lat') is blank"),
        (3, "R3", "geometry", "latitude (column 'lat') must be a finite number, got 'fifty'"),
        (4, "R4", "geometry", "latitude (column 'lat') must be a finite number, got 'NaN'"),
        (5, "R5", "geometry", "longitude (column 'lon') must be a finite number, got 'inf'"),
        (6, "R6", "geometry", "latitude (column 'lat') must be a finite number, got '1e999'"),
    ]


def test_csv_with_bom_semicolons_and_decimal_commas():
    data = "\ufeffid;Latitude;Longitude;name\nR1;50,8;6,1;Liège\n\n;;;\n".encode()
    layer = read_layer("r.csv", kind="resources", data=data)
    assert layer.problems == []
    assert layer.frame.columns.tolist() == ["id", "Latitude", "Longitude", "name", "geometry"]
    assert len(layer.frame) == 1  # blank rows are not features
    assert layer.frame.geometry[0].equals(shapely.Point(6.1, 50.8))
    assert layer.frame.loc[0, "name"] == "Liège"


def test_csv_without_coordinate_columns_is_refused():
    with pytest.raises(LayerError, match="no latitude/longitude columns"):
        read_layer("r.csv", kind="resources", data=b"id,place\nR1,Aachen\n")


def test_csv_row_with_too_many_values_is_an_error():
    layer = read_layer(
        "r.csv", kind="resources", data=b"id,lat,lon\nR1,50,6,extra\nR2,51,7\nR3,52\n"
    )
    extra, short = layer.problems
    assert (extra.feature, extra.feature_id) == (1, "R1")
    assert "4 values but the header names 3 columns" in extra.message
    assert layer.frame.geometry[0].equals(shapely.Point(6, 50))
    # A short row is padded with blanks; its blank longitude is then the problem.
    assert layer.frame.loc[2, "lon"] == ""
    assert (short.feature, short.message) == (3, "longitude (column 'lon') is blank")
    assert layer.frame.geometry[2] is None


def test_csv_header_problems():
    with pytest.raises(LayerError, match="'id' appears twice"):
        read_layer("r.csv", kind="resources", data=b"id,lat,lon,id\nR1,1,2,R1\n")
    with pytest.raises(LayerError, match="column 4 .* has values but no name"):
        read_layer("r.csv", kind="resources", data=b"id,lat,lon,\nR1,1,2,x\n")
    layer = read_layer("r.csv", kind="resources", data=b"id,lat,lon,\nR1,1,2,\n")
    assert layer.frame.columns.tolist() == ["id", "lat", "lon", "geometry"]
    with pytest.raises(LayerError, match="cannot be read at line 2"):
        read_layer("r.csv", kind="resources", data=b'id,lat,lon\n"R1"x,1,2\n')


def test_agreements_csv_is_a_plain_table_of_text():
    data = b"from,to,resource_types,border_delay_min\nDE,NL,boat;pump,30\n*,BE-WLG,*,0\n"
    layer = read_layer("agreements.csv", kind="agreements", data=data)
    assert type(layer.frame) is pd.DataFrame
    assert layer.frame.to_dict("records") == [
        {"from": "DE", "to": "NL", "resource_types": "boat;pump", "border_delay_min": "30"},
        {"from": "*", "to": "BE-WLG", "resource_types": "*", "border_delay_min": "0"},
    ]
    travel = read_layer(
        "t.csv", kind="travel_times", data=b"resource_id,incident_id,minutes\nR1,I1,12.5\n"
    )
    assert travel.frame.loc[0, "minutes"] == "12.5" and "geometry" not in travel.frame


def test_tables_are_csv_only(tmp_path):
    with pytest.raises(UnsupportedFormatError, match=r"agreements are read from a CSV file"):
        read_layer("agreements.geojson", kind="agreements", data=b'{"type": "FeatureCollection"}')


# --- refusals --------------------------------------------------------------------------------------------

VRT = """<OGRVRTDataSource>
  <OGRVRTLayer name="passwd">
    <SrcDataSource>CSV:/etc/passwd</SrcDataSource>
    <GeometryType>wkbNone</GeometryType>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""


def test_vrt_is_refused_and_gdal_cannot_open_one_in_this_process(tmp_path):
    path = tmp_path / "evil.vrt"
    path.write_text(VRT)
    with pytest.raises(
        UnsupportedFormatError, match=r"\.vrt files are not accepted; accepted formats: GeoJSON"
    ) as caught:
        read_layer(path, kind="resources")
    assert "root" not in str(caught.value)
    # Importing the readers switched GDAL's VRT drivers off: even a direct GDAL read fails.
    assert vrt_drivers_disabled()
    with pytest.raises(pyogrio.errors.DataSourceError):
        pyogrio.read_dataframe(path)


@pytest.mark.parametrize("name", ["evil.gpkg", "evil.geojson", "evil.json", "evil.csv"])
def test_vrt_under_another_name_is_refused_by_its_content(tmp_path, name):
    path = tmp_path / name
    path.write_text(VRT)
    with pytest.raises(UnsupportedFormatError, match="holds XML") as caught:
        read_layer(path, kind="resources")
    assert "root" not in str(caught.value)


def test_vrt_renamed_kml_is_not_kml(tmp_path):
    with pytest.raises(LayerError, match="not KML: its root element is <OGRVRTDataSource>"):
        read_layer("evil.kml", kind="resources", data=VRT.encode())


def test_vrt_disguised_as_a_shapefile_in_a_zip_is_refused(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    for suffix in (".shp", ".shx", ".dbf"):
        (folder / f"evil{suffix}").write_text(VRT)
    with pytest.raises(UnsupportedFormatError, match="'evil.shp' is not a shapefile .shp file"):
        read_layer("evil.zip", kind="resources", data=zip_folder(folder))


def test_gdal_driver_is_verified(tmp_path):
    path = tmp_path / "x.geojson"
    pyogrio.write_dataframe(resources_frame(), path, driver="GeoJSON")
    with pytest.raises(UnsupportedFormatError, match="recognised as 'GeoJSON', not 'GPKG'"):
        readers._read_with_gdal(str(path), driver="GPKG", layer=None, what="a GeoPackage")


def test_geopackage_renamed_json_and_json_renamed_geopackage(tmp_path):
    gpkg = tmp_path / "r.gpkg"
    pyogrio.write_dataframe(resources_frame(), gpkg, driver="GPKG")
    with pytest.raises(
        UnsupportedFormatError,
        match=r"named \.json but holds a GeoPackage \(SQLite\) database; .*\.gpkg",
    ):
        read_layer("r.json", kind="resources", data=gpkg.read_bytes())
    with pytest.raises(UnsupportedFormatError, match=r"named \.gpkg but holds JSON text"):
        read_layer("r.gpkg", kind="resources", data=resources_frame().to_json().encode())
    with pytest.raises(UnsupportedFormatError, match=r"named \.csv but holds a zip archive"):
        read_layer("r.csv", kind="resources", data=b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(UnsupportedFormatError, match=r"named \.zip but holds plain text"):
        read_layer("r.zip", kind="resources", data=b"id,lat,lon\n")


@pytest.mark.parametrize(
    "name", ["layer.shp", "layer.kmz", "layer.txt", "layer.xlsx", "layer.ovf", "layer.gml", "layer"]
)
def test_unknown_extensions_are_refused_naming_the_accepted_formats(name):
    with pytest.raises(UnsupportedFormatError, match="accepted formats: GeoJSON .* KML .* CSV"):
        read_layer(name, kind="resources", data=b"{}")


def test_shapefile_parts_and_kmz_get_a_hint():
    with pytest.raises(
        UnsupportedFormatError, match=r"\.shp, \.shx, \.dbf and \.prj files together"
    ):
        read_layer("roads.shp", kind="resources", data=b"\x00\x00\x27\x0a")
    with pytest.raises(UnsupportedFormatError, match="unzip it and upload the .kml"):
        read_layer("places.kmz", kind="resources", data=b"PK\x03\x04")


def test_zip_path_escape_is_refused(tmp_path):
    path = write_shapefile_zip(resources_frame(), tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("../evil.shp", b"x")
    with pytest.raises(UnsafeInputError, match="outside the archive"):
        read_layer(path, kind="resources")
    escaped = tmp_path.parent / "evil.shp"
    assert not escaped.exists()


def test_zip_absolute_path_is_refused(tmp_path):
    path = write_shapefile_zip(resources_frame(), tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("/tmp/evil.txt", b"x")
    with pytest.raises(UnsafeInputError, match="absolute path"):
        read_layer(path, kind="resources")


def test_zip_bomb_is_refused(tmp_path):
    path = write_shapefile_zip(resources_frame(), tmp_path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", b" " * (4 * 1024 * 1024))
    with pytest.raises(UnsafeInputError, match="zip bomb"):
        read_layer(path, kind="resources")


def test_zip_total_size_is_limited(tmp_path, monkeypatch):
    path = write_shapefile_zip(resources_frame(), tmp_path)
    monkeypatch.setattr(settings, "MAX_ZIP_UNCOMPRESSED_BYTES", 200)
    with pytest.raises(UnsafeInputError, match="expands to more than"):
        read_layer(path, kind="resources")


def test_zip_symlink_is_refused(tmp_path):
    path = write_shapefile_zip(resources_frame(), tmp_path)
    link = zipfile.ZipInfo("resources.prj")
    link.create_system = 3
    link.external_attr = (0o120777) << 16
    data = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(data, "w") as target:
        for info in source.infolist():
            if not info.filename.endswith(".prj"):
                target.writestr(info, source.read(info))
        target.writestr(link, "/etc/passwd")
    with pytest.raises(UnsafeInputError, match="symbolic link"):
        read_layer("r.zip", kind="resources", data=data.getvalue())


def test_zip_contents_must_be_one_complete_shapefile(tmp_path):
    with pytest.raises(LayerError, match=r"comes without resources\.dbf"):
        read_layer(
            write_shapefile_zip(resources_frame(), tmp_path, parts={".shp", ".shx"}),
            kind="resources",
        )
    folder = tmp_path / "two"
    folder.mkdir()
    pyogrio.write_dataframe(resources_frame(), folder / "a.shp", driver="ESRI Shapefile")
    pyogrio.write_dataframe(resources_frame(), folder / "b.shp", driver="ESRI Shapefile")
    with pytest.raises(LayerError, match=r"holds 2 shapefiles \(a.shp, b.shp\)"):
        read_layer("two.zip", kind="resources", data=zip_folder(folder))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(LayerError, match="holds no shapefile .* readme.txt"):
        read_layer("none.zip", kind="resources", data=buffer.getvalue())


def test_macos_resource_forks_are_ignored(tmp_path):
    path = write_shapefile_zip(resources_frame(), tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("__MACOSX/._resources.shp", b"\x00\x05\x16\x07")
    assert len(read_layer(path, kind="resources").frame) == 3


def test_file_too_large_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "r.geojson"
    path.write_bytes(resources_frame().to_json().encode())
    monkeypatch.setattr(settings, "MAX_FILE_BYTES", 100)
    with pytest.raises(LayerError, match="largest file accepted"):
        read_layer(path, kind="resources")
    with pytest.raises(LayerError, match="largest file accepted"):
        read_layer("upload.csv", kind="resources", data=b"id,lat,lon\n" + b"R,1,2\n" * 50)


def test_missing_file_directory_and_empty_file(tmp_path):
    with pytest.raises(LayerError, match="file not found"):
        read_layer(tmp_path / "nope.geojson", kind="resources")
    folder = tmp_path / "dir.geojson"
    folder.mkdir()
    with pytest.raises(LayerError, match="not a regular file"):
        read_layer(folder, kind="resources")
    with pytest.raises(LayerError, match="the file is empty"):
        read_layer("e.geojson", kind="resources", data=b"  \n")


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown layer kind"):
        read_layer("r.csv", kind="hospitals", data=b"id\n")


# --- whatever the bytes, only LayerError ---------------------------------------------------------------


def _garbage_cases(tmp_path: Path) -> list[tuple[str, bytes]]:
    gpkg = tmp_path / "g.gpkg"
    pyogrio.write_dataframe(resources_frame(), gpkg, driver="GPKG")
    real_gpkg = gpkg.read_bytes()
    plain_sqlite = tmp_path / "plain.sqlite"
    with sqlite3.connect(plain_sqlite) as db:
        db.execute("create table t (a)")
    shp_zip = write_shapefile_zip(resources_frame(), tmp_path).read_bytes()
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    folder = tmp_path / "fake_parts"
    folder.mkdir()
    (folder / "x.shp").write_bytes(b"\x00\x00\x27\x0a" + noise)
    (folder / "x.shx").write_bytes(b"\x00\x00\x27\x0a" + noise[:100])
    (folder / "x.dbf").write_bytes(b"\x03" + noise[:500])
    return [
        ("a.gpkg", real_gpkg[: len(real_gpkg) // 3]),
        ("a.gpkg", b"SQLite format 3\x00" + noise),
        ("a.gpkg", plain_sqlite.read_bytes()),
        ("a.zip", shp_zip[: len(shp_zip) // 2]),
        ("a.zip", b"PK\x03\x04" + noise),
        ("a.zip", zip_folder(folder)),
        ("a.geojson", b"{" + noise),
        (
            "a.geojson",
            b'{"type": "FeatureCollection", "features": [1e999999, "\\ud800", {"type": null}]}',
        ),
        ("a.kml", b"<" + noise),
        ("a.csv", noise.replace(b"\x00", b"")),
        ("a.csv", b'id,lat,lon\n"unterminated,1,2\n'),
        ("a.csv", b"id,lat,lon\n" + b"x" * 200_000 + b",1,2\n"),
    ]


def test_no_content_makes_anything_but_a_layer_error_escape(tmp_path):
    for name, data in _garbage_cases(tmp_path):
        try:
            layer = read_layer(name, kind="resources", data=data)
        except LayerError as exc:
            assert str(exc), name
        else:
            assert isinstance(layer.frame, gpd.GeoDataFrame), name
