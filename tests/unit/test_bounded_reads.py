"""Issue 16: no file a person brings costs the server an unbounded time or memory.

The GeoPackage gate (views, virtual tables, non-GeoPackages refused before GDAL opens
the file), the bounded worker (time and memory limits, the reader's own refusals kept),
and the column limit of every format.
"""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import warnings

import geopandas as gpd
import pytest
import shapely

from mutualaid import settings
from mutualaid.errors import LayerError, UnsafeInputError
from mutualaid.layers import load_layer
from mutualaid.layers.bounded import read_layer_bounded
from mutualaid.layers.geopackage import check_geopackage
from mutualaid.layers.readers import read_layer


def incidents_frame(n: int = 2) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [f"I-{i}" for i in range(n)],
            "hazard": ["flood"] * n,
            "severity": [3] * n,
            "reported_at": ["2021-07-14T17:30:00Z"] * n,
        },
        geometry=[shapely.Point(6.5, 50.5)] * n,
        crs="EPSG:4326",
    )


def incidents_csv(rows: int) -> bytes:
    body = "".join(f"I{i},flood,3,2021-07-14T17:30:00Z,50.5,6.5\n" for i in range(rows))
    return ("id,hazard,severity,reported_at,lat,lon\n" + body).encode()


# --- the GeoPackage gate ------------------------------------------------------------------


def test_geopackage_layer_that_is_a_recursive_view_is_refused_naming_it(recursive_view_geopackage):
    path = recursive_view_geopackage(limit=3)
    with pytest.raises(UnsafeInputError, match="layer 'incidents' is a view") as refused:
        read_layer(path, kind="incidents")
    assert "only plain feature tables are read" in str(refused.value)


def test_geopackage_recursive_view_without_limit_is_refused_at_once(recursive_view_geopackage):
    # Before the gate GDAL ran the view, which never ends: this test would hang.
    result = load_layer(recursive_view_geopackage(), kind="incidents", bounded=True)
    assert not result.ok
    [error] = result.report.errors
    assert "'incidents' is a view" in error.message


def test_geopackage_layer_that_is_a_virtual_table_is_refused(recursive_view_geopackage):
    path = recursive_view_geopackage(layer_type="virtual")
    with pytest.raises(UnsafeInputError, match="layer 'incidents' is a virtual table"):
        read_layer(path, kind="incidents")


def test_geopackage_whose_contents_table_is_a_view_is_refused(tmp_path):
    path = tmp_path / "contents.gpkg"
    incidents_frame().to_file(path, layer="incidents", driver="GPKG")
    with sqlite3.connect(path) as db:
        db.executescript(
            "ALTER TABLE gpkg_contents RENAME TO real_contents;"
            "CREATE VIEW gpkg_contents AS SELECT * FROM real_contents;"
        )
    db.close()
    with pytest.raises(UnsafeInputError, match="gpkg_contents is a view, not a table"):
        read_layer(path, kind="incidents")


def test_plain_sqlite_database_named_gpkg_is_not_a_geopackage(tmp_path):
    path = tmp_path / "plain.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE incidents (id TEXT)")
    db.close()
    with pytest.raises(LayerError, match="not a GeoPackage: it has no gpkg_contents table"):
        read_layer(path, kind="incidents")


def test_geopackage_reads_only_the_table_registered_in_gpkg_contents(tmp_path):
    path = tmp_path / "two.gpkg"
    incidents_frame(3).to_file(path, layer="incidents", driver="GPKG")
    with sqlite3.connect(path) as db:  # a table GDAL could list, but gpkg_contents does not
        db.execute("CREATE TABLE hidden (fid INTEGER PRIMARY KEY, id TEXT)")
    db.close()
    layer = read_layer(path, kind="incidents")
    assert layer.frame["id"].tolist() == ["I-0", "I-1", "I-2"]


def test_geopackage_gate_statements_stop_at_their_deadline(tmp_path, monkeypatch):
    path = tmp_path / "long.gpkg"
    incidents_frame().to_file(path, layer="incidents", driver="GPKG")
    with sqlite3.connect(path) as db:  # a contents table that takes a while to go through
        db.executemany(
            "INSERT INTO gpkg_contents (table_name, data_type) VALUES (?, ?)",
            [(f"t{i}", "attributes") for i in range(5_000)],
        )
    db.close()
    # With no time at all, the progress handler interrupts the first long statement.
    monkeypatch.setattr(settings, "GPKG_CHECK_TIMEOUT_S", -1.0)
    with pytest.raises(UnsafeInputError, match="took longer than -1 s and was stopped"):
        check_geopackage(path, kind="incidents")


def test_geopackage_gate_opens_the_file_read_only(tmp_path):
    path = tmp_path / "ok.gpkg"
    incidents_frame().to_file(path, layer="incidents", driver="GPKG")
    before = path.read_bytes()
    assert check_geopackage(path, kind="incidents").name == "incidents"
    assert path.read_bytes() == before
    assert not (tmp_path / "ok.gpkg-journal").exists() and not (tmp_path / "ok.gpkg-wal").exists()


# --- the column limit ---------------------------------------------------------------------


def test_csv_with_100000_columns_is_refused_before_it_is_parsed():
    header = ",".join(f"c{i}" for i in range(100_000)) + ",lat,lon"
    data = f"{header}\n{','.join('1' * 100_000)},50,6\n".encode()
    with pytest.raises(
        LayerError, match="header row has 100,002 columns; the most accepted is 1,000"
    ):
        read_layer("wide.csv", kind="incidents", data=data)


def test_csv_row_with_more_values_than_the_column_limit_refuses_the_file():
    data = b"id,lat,lon\nR1,50,6" + b",x" * 2_000 + b"\n"
    with pytest.raises(LayerError, match="row 1 has 2,003 columns"):
        read_layer("wide.csv", kind="resources", data=data)


def test_geojson_with_more_properties_than_the_column_limit_is_refused(monkeypatch):
    monkeypatch.setattr(settings, "MAX_COLUMNS", 3)
    features = [
        {
            "type": "Feature",
            "properties": {"id": "R1", "type": "boat", f"p{i}": i},
            "geometry": {"type": "Point", "coordinates": [6, 50]},
        }
        for i in range(3)
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    with pytest.raises(LayerError, match="more than 3 different properties"):
        read_layer("wide.geojson", kind="resources", data=data)


def test_geopackage_and_shapefile_with_too_many_columns_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "MAX_COLUMNS", 3)
    frame = incidents_frame()
    frame.to_file(tmp_path / "wide.gpkg", layer="incidents", driver="GPKG")
    with pytest.raises(LayerError, match="'incidents' has 6 columns; the most accepted is 3"):
        read_layer(tmp_path / "wide.gpkg", kind="incidents")
    import io
    import zipfile

    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "incidents.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    with pytest.raises(LayerError, match="the shapefile has 4 columns; the most accepted is 3"):
        read_layer("wide.zip", kind="incidents", data=buffer.getvalue())


# --- the bounded worker -------------------------------------------------------------------


def test_bounded_read_gives_what_the_reader_gives():
    data = incidents_csv(10)
    direct = read_layer("i.csv", kind="incidents", data=data)
    bounded = read_layer_bounded("i.csv", kind="incidents", data=data)
    assert bounded.format == direct.format == "csv"
    assert bounded.source == "i.csv"
    assert bounded.frame.equals(direct.frame)
    assert bounded.frame.crs == direct.frame.crs


def test_bounded_read_keeps_the_readers_refusal_and_its_type(recursive_view_geopackage):
    with pytest.raises(UnsafeInputError, match="'incidents' is a view"):
        read_layer_bounded(recursive_view_geopackage(), kind="incidents")
    with pytest.raises(LayerError, match="file not found"):
        read_layer_bounded("/nonexistent/x.geojson", kind="incidents")


def test_bounded_read_past_its_time_is_killed_and_refused_with_a_sentence():
    # 300,000 rows take seconds to read; the worker gets a quarter of a second.
    data = incidents_csv(300_000)
    with pytest.raises(
        LayerError,
        match=r"^the file took longer than 0.25 s to read and was "
        r"refused; split it",
    ):
        read_layer_bounded("big.csv", kind="incidents", data=data, timeout_s=0.25)
    assert multiprocessing.active_children() == []  # the worker was killed, not left running


def test_bounded_read_beyond_its_memory_is_refused_with_a_sentence():
    data = incidents_csv(300_000)
    with pytest.raises(LayerError, match="memory") as refused:
        read_layer_bounded(
            "big.csv", kind="incidents", data=data, timeout_s=120, memory_bytes=32 * 1024 * 1024
        )
    assert "Traceback" not in str(refused.value) and "MemoryError" not in str(refused.value)
    assert multiprocessing.active_children() == []


def test_bounded_read_refuses_an_unknown_kind_before_starting_a_worker():
    with pytest.raises(ValueError, match="unknown layer kind"):
        read_layer_bounded("x.csv", kind="roads", data=b"a\n")


# --- messages (issue 16, item 7) ----------------------------------------------------------


def test_untyped_geopackage_column_is_our_warning_and_no_library_warning(tmp_path, capfd):
    path = tmp_path / "untyped.gpkg"
    incidents_frame().to_file(path, layer="incidents", driver="GPKG", SPATIAL_INDEX="NO")
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE incidents ADD COLUMN note")  # no type
        db.execute("UPDATE incidents SET note = 'x'")
    db.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = load_layer(path, kind="incidents")
    assert [str(w.message) for w in caught] == []
    _out, err = capfd.readouterr()
    assert err == ""
    assert result.ok
    [warning] = result.report.warnings
    assert warning.message == (
        "the GeoPackage column(s) 'note' have no type; their values were read as text"
    )
    assert result.frame is not None
