"""The test builders: GeoJSON geometries, features and collections, and small scenario
folders written as files, for the unit, app, store and browser tests alike.

``from builders import square, point, feature, collection, write_scenario`` works from
every test folder: tests/ is on ``sys.path`` through its conftest.py (pytest's "prepend"
import mode puts the folder of a conftest.py that is not in a package first on the path),
as for tests/meuse.py.

A feature is given either as a GeoJSON Feature dict (:func:`feature`) or as a pair of a
geometry and a properties dict, in either order: the geometry is the one whose ``type``
is a GeoJSON geometry type (or ``None``, a null geometry), so ``(square(6, 50), {...})``
and ``({...}, square(6, 50))`` are the same feature.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

#: The GeoJSON geometry types (RFC 7946, section 1.4).
GEOMETRY_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString",
                            "Polygon", "MultiPolygon", "GeometryCollection"})

#: The header of an agreements CSV.
AGREEMENTS_HEADER = "from,to,resource_types,border_delay_min"


def is_geometry(value: object) -> bool:
    """True for a GeoJSON geometry dict or ``None`` (a null geometry)."""
    return value is None or (isinstance(value, dict) and value.get("type") in GEOMETRY_TYPES)


def square(x: float, y: float = 50.0, size: float = 1.0) -> dict:
    """A *size*-degree square Polygon with its south-west corner at (*x*, *y*)."""
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def point(x: float, y: float = 50.5, *more: float) -> dict:
    """A Point at (*x*, *y*), with *more* coordinates (height...) if given."""
    return {"type": "Point", "coordinates": [x, y, *more]}


def feature(geometry: dict | None, properties: object = None, /, *,
            members: dict | None = None, **more: object) -> dict:
    """A GeoJSON Feature of *geometry* with *properties* and the keyword properties *more*,
    and the extra top-level *members* (a Feature ``id``...).

    With neither properties, its ``properties`` is ``null``; *properties* may be any JSON
    value, to build a malformed Feature. The geometry and the properties dict may come in
    either order (see the module's docstring)."""
    if not is_geometry(geometry) and is_geometry(properties):
        geometry, properties = properties, geometry
    if more:
        properties = {**(properties or {}), **more}
    return {"type": "Feature", "properties": properties, "geometry": geometry,
            **(members or {})}


def as_feature(item: object) -> object:
    """*item* as a Feature: a (geometry, properties) tuple, in either order, made into one;
    anything else (a Feature dict, or a malformed member such as ``"oops"``) as it is."""
    if isinstance(item, tuple) and len(item) == 2:
        return feature(*item)
    return item


def collection(*features: object, **members: object) -> bytes:
    """A GeoJSON FeatureCollection of *features* (Feature dicts or (geometry, properties)
    tuples, given one by one or as one list) with the extra top-level *members* (``crs``...), as UTF-8 bytes."""
    if len(features) == 1 and isinstance(features[0], list):
        features = tuple(features[0])
    return json.dumps({"type": "FeatureCollection",
                       "features": [as_feature(f) for f in features], **members}).encode()


def write_collection(path: Path, features: Iterable[object], **members: object) -> Path:
    """:func:`collection` of *features* written to *path*; returns *path*."""
    path.write_bytes(collection(list(features), **members))
    return path


def agreements_csv(*rows: str, header: str = AGREEMENTS_HEADER) -> str:
    """An agreements CSV text: *header* and *rows* (``"NL,DE,*,20"``), one a line."""
    return "".join(f"{line}\n" for line in (header, *rows))


#: The default jurisdictions: DE-NW (longitude 6..7) and NL-LI (5..6), latitude 50..51.
JURISDICTIONS: tuple[dict, ...] = (feature(square(6, 50), id="DE-NW", country="DE"),
                                   feature(square(5, 50), id="NL-LI", country="NL"))


def write_scenario(folder: Path, *, jurisdictions: Iterable = JURISDICTIONS,
                   incidents: Iterable = (), resources: Iterable = (),
                   agreements: str = agreements_csv("NL,DE,*,20"),
                   travel_times: str | None = None) -> Path:
    """A scenario folder *folder* (created if need be): the three GeoJSON layers of the
    given features (Feature dicts or pairs), ``agreements.csv`` with the text
    *agreements* and, if given, ``travel_times.csv`` with the text *travel_times*.
    Returns *folder*."""
    folder.mkdir(parents=True, exist_ok=True)
    write_collection(folder / "jurisdictions.geojson", jurisdictions)
    write_collection(folder / "incidents.geojson", incidents)
    write_collection(folder / "resources.geojson", resources)
    (folder / "agreements.csv").write_text(agreements, encoding="utf-8")
    if travel_times is not None:
        (folder / "travel_times.csv").write_text(travel_times, encoding="utf-8")
    return folder


# --- layer files in every accepted format (the readers' and the round-trip tests) ---------

def resources_frame():  # -> geopandas.GeoDataFrame
    """Three resources (``id``, ``name`` with accents, ``quantity``, ``speed_kmh``) as
    points in EPSG:4326: a small frame every format can hold."""
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        {"id": ["R1", "R2", "R3"], "name": ["Liège", "Köln", "Maastricht"],
         "quantity": [1, 4, 2], "speed_kmh": [60.5, 80.0, 45.25]},
        geometry=[shapely.Point(5.57, 50.63), shapely.Point(6.96, 50.94),
                  shapely.Point(5.69, 50.85)],
        crs="EPSG:4326",
    )


def zip_folder(folder: Path, *, prefix: str = "") -> bytes:
    """The files of *folder* as a zip archive (each named *prefix* + its name)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, prefix + path.name)
    return buffer.getvalue()


def write_shapefile_zip(frame, tmp_path: Path, *, parts=None, prefix: str = "",
                        name: str = "resources") -> Path:
    """*frame* as a zipped Shapefile ``tmp_path/<name>.zip`` (written by pyogrio in
    ``tmp_path/shp``); only the *parts* (suffixes such as ``".shp"``) if given."""
    import pyogrio

    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / f"{name}.shp", driver="ESRI Shapefile")
    for path in folder.iterdir():
        if parts is not None and path.suffix not in parts:
            path.unlink()
    target = tmp_path / f"{name}.zip"
    target.write_bytes(zip_folder(folder, prefix=prefix))
    return target


def kml_text(frame) -> str:
    """*frame* (points or polygons) as a KML document written by hand: each row a
    Placemark named by its ``name``, its other columns as ExtendedData, points with a
    height of 0."""
    from xml.sax.saxutils import escape

    placemarks = []
    for _, row in frame.iterrows():
        data = "".join(f'<Data name="{k}"><value>{escape(str(row[k]))}</value></Data>'
                       for k in frame.columns if k not in ("name", frame.geometry.name))
        shape = row[frame.geometry.name]
        if shape.geom_type == "Point":
            geometry = f"<Point><coordinates>{shape.x},{shape.y},0</coordinates></Point>"
        else:
            ring = " ".join(f"{x},{y}" for x, y in shape.exterior.coords)
            geometry = (f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}"
                        f"</coordinates></LinearRing></outerBoundaryIs></Polygon>")
        placemarks.append(f"<Placemark><name>{escape(str(row['name']))}</name>"
                          f"<ExtendedData>{data}</ExtendedData>{geometry}</Placemark>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document><Folder>{''.join(placemarks)}</Folder></Document></kml>")


def csv_table(frame):  # -> pandas.DataFrame
    """*frame*'s attributes with its points' ``lat`` and ``lon`` columns last."""
    import pandas as pd

    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    table["lat"] = frame.geometry.y
    table["lon"] = frame.geometry.x
    return table


#: The accepted layer file formats, by the name :func:`write_layer_file` knows them by.
FORMATS = ("geojson", "gpkg", "shapefile", "kml", "csv")


def write_layer_file(frame, fmt: str, folder: Path, *, name: str = "layer") -> Path:
    """*frame* written in the format *fmt* (one of :data:`FORMATS`) as
    ``folder/<name>.<extension>``: GeoJSON, GeoPackage (layer *name*) and zipped
    Shapefile by pyogrio (GDAL), KML by :func:`kml_text`, CSV with ``lat``/``lon``
    columns by pandas. Returns the file's path."""
    import pyogrio

    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        path = folder / f"{name}.geojson"
        pyogrio.write_dataframe(frame, path, driver="GeoJSON")
    elif fmt == "gpkg":
        path = folder / f"{name}.gpkg"
        pyogrio.write_dataframe(frame, path, driver="GPKG", layer=name)
    elif fmt == "shapefile":
        path = write_shapefile_zip(frame, folder, name=name)
    elif fmt == "kml":
        path = folder / f"{name}.kml"
        path.write_text(kml_text(frame), encoding="utf-8")
    elif fmt == "csv":
        path = folder / f"{name}.csv"
        csv_table(frame).to_csv(path, index=False)
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return path
