"""KML placemarks read into a frame, with defusedxml: no DOCTYPE, no entities, ever.

Supported: ``Placemark`` with ``Point``, ``LineString``, ``LinearRing``, ``Polygon``
and ``MultiGeometry``; attributes from ``name``, ``ExtendedData/Data`` and
``SchemaData/SimpleData``.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from mutualaid import settings
from mutualaid.errors import BadKml, LayerError, UnsafeInputError
from mutualaid.layers.frames import finish_frame, geo_frame
from mutualaid.layers.problems import Problem

__all__ = ["read_kml"]


#: A decimal number as written in KML coordinates and CSV cells.
NUMBER_PATTERN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_KML_GEOMETRIES = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry")
_KML_UNSUPPORTED = ("Model", "Track", "MultiTrack")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: Element, name: str) -> Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: Element | None) -> str:
    return "" if element is None or element.text is None else element.text.strip()


def _parse_xml(content: bytes) -> Element:
    try:
        return SafeET.fromstring(
            content, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException:
        raise UnsafeInputError(
            "the KML declares a DOCTYPE or entities; KML never needs them and they can be "
            "used to read files on the server or exhaust its memory, so the file is refused"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = (
            f" at line {line}, column {column + 1}"
            if line is not None and column is not None
            else ""
        )
        reason = str(exc).split(":", 1)[0]
        raise LayerError(f"the file is not valid XML: {reason}{where}") from None


def read_kml(content: bytes, kind: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    root = _parse_xml(content)
    if _local(root.tag) != "kml":
        raise LayerError(
            f"the file is XML but not KML: its root element is <{_local(root.tag)}>, expected <kml>"
        )
    placemarks = [el for el in root.iter() if _local(el.tag) == "Placemark"]
    if len(placemarks) > settings.MAX_FEATURES:
        raise LayerError(
            f"the file has {len(placemarks):,} placemarks; the most accepted is "
            f"{settings.MAX_FEATURES:,}"
        )
    records: list[dict[str, str]] = []
    geometries = np.full(len(placemarks), None, dtype=object)
    problems: list[Problem] = []
    for row, placemark in enumerate(placemarks):
        record = _kml_record(placemark)
        records.append(record)
        try:
            geometries[row] = _kml_geometry(placemark)
        except BadKml as exc:
            problems.append(
                Problem(
                    f"malformed geometry: {exc}", "error", row + 1, record.get("id"), "geometry"
                )
            )
        except (shapely.errors.GEOSException, ValueError) as exc:
            problems.append(
                Problem(
                    f"the geometry cannot be built: {exc}",
                    "error",
                    row + 1,
                    record.get("id"),
                    "geometry",
                )
            )
    frame = geo_frame(
        pd.DataFrame.from_records(records) if records else {}, geometries, len(placemarks)
    )
    return finish_frame(frame, problems, crs=None, crs_origin=""), problems


def _kml_record(placemark: Element) -> dict[str, str]:
    """``name``, then the ExtendedData values, then the Placemark's id attribute as ``id``."""
    record: dict[str, str] = {}
    name = _child(placemark, "name")
    if name is not None:
        record["name"] = _text(name)
    extended = _child(placemark, "ExtendedData")
    if extended is not None:
        for data in _children(extended, "Data"):
            key = (data.get("name") or "").strip()
            if key and key not in record:
                record[key] = _text(_child(data, "value"))
        for schema_data in _children(extended, "SchemaData"):
            for simple in _children(schema_data, "SimpleData"):
                key = (simple.get("name") or "").strip()
                if key and key not in record:
                    record[key] = _text(simple)
    if "id" not in record and placemark.get("id"):
        record["id"] = placemark.get("id", "").strip()
    return record


def _kml_geometry(placemark: Element) -> shapely.Geometry | None:
    for child in placemark:
        tag = _local(child.tag)
        if tag in _KML_GEOMETRIES:
            return _kml_shape(child, tag)
        if tag in _KML_UNSUPPORTED:
            raise BadKml(f"<{tag}> geometries are not supported; use Point, LineString or Polygon")
    return None


def _kml_shape(element: Element, tag: str) -> shapely.Geometry:
    if tag == "Point":
        points = _kml_coordinates(element, "Point", minimum=1)
        if len(points) != 1:
            raise BadKml(f"a Point needs exactly 1 position, got {len(points)}")
        return shapely.Point(points[0])
    if tag in ("LineString", "LinearRing"):
        return shapely.LineString(_kml_coordinates(element, tag, minimum=2))
    if tag == "Polygon":
        return _kml_polygon(element)
    parts = [(_local(c.tag), c) for c in element if _local(c.tag) in _KML_GEOMETRIES]
    if not parts:
        raise BadKml("a MultiGeometry has no geometries")
    shapes = [_kml_shape(c, t) for t, c in parts]
    kinds = {s.geom_type for s in shapes}
    if kinds == {"Point"}:
        return shapely.MultiPoint(shapes)
    if kinds == {"LineString"}:
        return shapely.MultiLineString(shapes)
    if kinds == {"Polygon"}:
        return shapely.MultiPolygon(shapes)
    return shapely.GeometryCollection(shapes)


def _kml_polygon(element: Element) -> shapely.Polygon:
    outer = _child(element, "outerBoundaryIs")
    shell_ring = _child(outer, "LinearRing") if outer is not None else None
    if shell_ring is None:
        raise BadKml("a Polygon needs an <outerBoundaryIs><LinearRing>")
    shell = _kml_ring(shell_ring, "the outer boundary")
    holes: list[list[tuple[float, float]]] = []
    for inner in _children(element, "innerBoundaryIs"):
        for k, ring in enumerate(_children(inner, "LinearRing"), start=len(holes) + 1):
            holes.append(_kml_ring(ring, f"inner boundary {k}"))
    return shapely.Polygon(shell, holes)


def _kml_ring(ring: Element, where: str) -> list[tuple[float, float]]:
    points = _kml_coordinates(ring, where, minimum=3)
    if points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        raise BadKml(f"{where} needs at least 3 distinct positions")
    return points


def _kml_coordinates(element: Element, where: str, *, minimum: int) -> list[tuple[float, float]]:
    text = _text(_child(element, "coordinates"))
    # Some writers put a space after each comma ("6.1, 50.8"): join the tuple back first.
    tuples = re.sub(r"\s*,\s*", ",", text).split()
    if len(tuples) < minimum:
        raise BadKml(
            f"{where} needs at least {minimum} position(s) in <coordinates>, got {len(tuples)}"
        )
    points = []
    for k, item in enumerate(tuples, start=1):
        values = item.split(",")
        if len(values) < 2:
            raise BadKml(f"{where}, position {k}: expected longitude,latitude, got {item[:40]!r}")
        points.append((_kml_number(values[0], where, k), _kml_number(values[1], where, k)))
    return points


def _kml_number(text: str, where: str, k: int) -> float:
    # float() alone would accept "nan", "inf" and "1_0".
    if not NUMBER_PATTERN.fullmatch(text):
        raise BadKml(f"{where}, position {k}: {text[:40]!r} is not a number")
    value = float(text)
    if not np.isfinite(value):
        raise BadKml(f"{where}, position {k}: {text[:40]!r} is too large to be a coordinate")
    return value
