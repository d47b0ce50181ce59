"""Round trips, geopandas-style: a small frame written in each accepted format (GeoJSON,
GeoPackage, zipped Shapefile, KML, CSV with latitude/longitude) and read back is the frame
it was, first as the raw reader gives it (``read_layer``), then as the canonical layer of
each kind that ``load_layer`` (what ``mutualaid validate`` and uploads call) makes of it."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from builders import (
    FORMATS,
    csv_table,
    kml_text,
    resources_frame,
    write_layer_file,
    write_shapefile_zip,
)
from mutualaid.layers import load_layer
from mutualaid.layers.fields import apply_mapping
from mutualaid.layers.readers import RawLayer, read_layer
from mutualaid.layers.validate import validate_layer


def as_text(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame as KML and CSV read it: every attribute as text."""
    out = frame.copy()
    for column in out.columns.drop("geometry"):
        out[column] = out[column].astype(str)
    return out


# --- the raw reader: every attribute as the file holds it ---------------------------------


def _read_written(fmt: str, expected: gpd.GeoDataFrame, tmp_path: Path):
    """(the layer read back, its expected source label, the frame it should equal)."""
    if fmt == "shapefile":  # the files in a folder of the archive, as exports often are
        path = write_shapefile_zip(expected, tmp_path, prefix="export/")
        return read_layer(path, kind="resources"), str(path), expected
    if fmt == "kml":  # an upload: the bytes and the name the browser gave
        layer = read_layer("resources.kml", kind="resources", data=kml_text(expected).encode())
        # KML has no types: every ExtendedData value is text; the Placemark's <name>
        # comes first, then the ExtendedData in the file's order.
        wanted = as_text(expected)[["name", "id", "quantity", "speed_kmh", "geometry"]]
        return layer, "resources.kml", wanted
    path = write_layer_file(expected, fmt, tmp_path, name="resources")
    layer = read_layer(path, kind="resources")
    if fmt == "csv":
        # CSV has no types either: every column is text, the lat/lon columns kept.
        table = csv_table(expected)
        return (
            layer,
            str(path),
            as_text(gpd.GeoDataFrame(table, geometry=expected.geometry, crs=4326)),
        )
    return layer, str(path), expected


@pytest.mark.parametrize("fmt", FORMATS)
def test_read_layer_gives_back_the_frame_written_in_each_format(fmt, tmp_path):
    expected = resources_frame()
    layer, source, wanted = _read_written(fmt, expected, tmp_path)
    assert isinstance(layer, RawLayer)
    assert (layer.format, layer.source, layer.problems) == (fmt, source, [])
    assert_geodataframe_equal(layer.frame, wanted)


# --- load_layer: the canonical layer of each kind ----------------------------------------

#: What a planner's file holds, per layer kind: flat columns every format can carry
#: (a need per ``need_<type>`` column, not a nested ``needs`` object), accents included.
SOURCES = {
    "jurisdictions": lambda: gpd.GeoDataFrame(
        {
            "id": ["DE-NW", "NL-LI"],
            "name": ["Nordrhein-Westfalen", "Limburg"],
            "country": ["DE", "NL"],
            "reserve": [0.2, 0.0],
        },
        geometry=[shapely.box(6, 50, 7, 51), shapely.box(5, 50, 6, 51)],
        crs="EPSG:4326",
    ),
    "incidents": lambda: gpd.GeoDataFrame(
        {
            "id": ["I-1", "I-2"],
            "name": ["Erft flood", "Geul, Valkenburg"],
            "hazard": ["flood", "storm"],
            "severity": [5, 2],
            "reported_at": ["2021-07-14T17:30:00Z", "2021-07-15T08:00:00Z"],
            "need_boat": [2, 1],
            "max_response_min": [90.0, 45.5],
        },
        geometry=[shapely.Point(6.5, 50.5), shapely.Point(5.5, 50.5)],
        crs="EPSG:4326",
    ),
    "resources": lambda: gpd.GeoDataFrame(
        {
            "id": ["R-1", "R-2"],
            "name": ["Boats, Köln", "Pumps, Liège"],
            "type": ["boat", "pump"],
            "quantity": [4, 1],
            "speed_kmh": [60.5, 80.0],
        },
        geometry=[shapely.Point(6.9, 50.9), shapely.Point(5.7, 50.8)],
        crs="EPSG:4326",
    ),
}

#: Every kind with a geometry in every format, but jurisdictions (polygons) in CSV,
#: which holds points only.
CASES = [
    (kind, fmt)
    for kind in SOURCES
    for fmt in FORMATS
    if not (kind == "jurisdictions" and fmt == "csv")
]


def canonical(frame: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """The canonical layer made of *frame* itself, without any file."""
    mapped, problems = apply_mapping(frame, kind=kind)
    assert problems == []
    layer, report = validate_layer(mapped, kind=kind)
    assert report.ok, report.lines()
    return layer


@pytest.mark.parametrize(("kind", "fmt"), CASES)
@pytest.mark.filterwarnings("ignore:Normalized/laundered field name:RuntimeWarning")
def test_load_layer_gives_back_the_canonical_layer_in_each_format(kind, fmt, tmp_path):
    source = SOURCES[kind]()
    expected = canonical(source, kind)
    path = write_layer_file(source, fmt, tmp_path, name=kind)
    result = load_layer(path, kind=kind)
    assert result.ok, result.report.lines()
    assert result.format == fmt
    # No check_dtype or check_like allowance is needed, though the formats differ: the
    # canonical schema fixes every column's type and order. KML and CSV carry text only
    # (severity "5", quantity "4"), and the checks turn it back into numbers; the
    # Shapefile's field names are cut to 10 characters (reported_a, max_respon), which the
    # field aliases map back; CSV's lat/lon columns become the geometry and are dropped.
    assert_geodataframe_equal(result.frame, expected)
    assert result.frame["id"].tolist() == source["id"].tolist()


def test_load_layer_gives_back_the_agreements_table_from_csv(tmp_path):
    source = pd.DataFrame(
        {
            "from": ["NL", "DE-NW"],
            "to": ["DE", "NL-LI"],
            "resource_types": ["*", "boat;pump"],
            "border_delay_min": [20, 12.5],
        }
    )
    mapped, problems = apply_mapping(source, kind="agreements")
    assert problems == []
    expected, report = validate_layer(mapped, kind="agreements")
    assert report.ok, report.lines()
    path = tmp_path / "agreements.csv"
    source.to_csv(path, index=False)
    result = load_layer(path, kind="agreements")
    assert result.ok, result.report.lines()
    assert result.format == "csv"
    pd.testing.assert_frame_equal(result.frame, expected)
