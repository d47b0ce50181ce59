"""A strict GeoJSON reader written for hostile input.

The file is checked before it is parsed (size, encoding, nesting depth), parsed with
the standard :mod:`json` module set to refuse ``NaN`` and ``Infinity``, and turned
into a GeoDataFrame in EPSG:4326 with one row per feature, in file order.

File-level failures raise :class:`~mutualaid.errors.LayerError` with a message for a
coordinator. Problems with single features (a malformed geometry, a coordinate that
is not a number) are returned as :class:`~mutualaid.layers.problems.Problem` so that
all of them can be listed at once; the feature's geometry is then None.

Point features, by far the most common, are collected into arrays and built with one
call to :func:`shapely.points`; every other geometry is checked position by position
and built with the shapely constructors.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from mutualaid import settings
from mutualaid.errors import LayerError, MalformedGeometry, NonFiniteConstant
from mutualaid.layers.problems import Problem
from mutualaid.layers.safety import check_file_size

__all__ = [
    "decode_utf8",
    "json_depth_exceeds",
    "parse_geojson",
    "crs_from_member",
    "RENAMED_GEOMETRY_FIELD",
]

#: The column a property called ``geometry`` is kept under, so it cannot replace the
#: geometry column.
RENAMED_GEOMETRY_FIELD = "geometry_field"

_UTF8_BOM = b"\xef\xbb\xbf"
# Longest first: the UTF-32 little-endian mark starts with the UTF-16 one.
_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)

# Every byte except the five that decide JSON nesting: brackets, braces and the quote.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_QUOTE = ord('"')
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_OPENERS = (ord("["), ord("{"))
_CLOSERS = (ord("]"), ord("}"))
_DEPTH_CHUNK = 8 * 1024 * 1024

_GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)

# Old-style ``crs`` names that mean plain longitude/latitude on WGS 84. By the
# convention of GeoJSON 2008 files, EPSG:4326 in a ``crs`` member is read as lon/lat.
_LONLAT_NAMES = frozenset(
    {
        "urn:ogc:def:crs:ogc:1.3:crs84",
        "urn:ogc:def:crs:ogc::crs84",
        "ogc:crs84",
        "crs84",
        "http://www.opengis.net/def/crs/ogc/1.3/crs84",
        "https://www.opengis.net/def/crs/ogc/1.3/crs84",
    }
)
_EPSG_NAME = re.compile(
    r"^(?:epsg:{1,2}"
    r"|urn:ogc:def:crs:epsg:[0-9.]*:"
    r"|urn:x-ogc:def:crs:epsg:[0-9.]*:"
    r"|https?://www\.opengis\.net/def/crs/epsg/[0-9.]+/)"
    r"(\d{1,6})$"
)


# --- Checks before parsing ----------------------------------------------------------------------


def decode_utf8(data: bytes, *, what: str = "file") -> str:
    """Decode UTF-8 text, with or without a byte-order mark.

    Parameters
    ----------
    data : bytes
        The raw file content.
    what : str, optional
        How to call the file in messages ("file", "CSV file"...).

    Returns
    -------
    str
        The text, without the byte-order mark.

    Raises
    ------
    LayerError
        When the text is UTF-16/UTF-32 or not valid UTF-8; the message says where.
    """
    for bom, name in _OTHER_BOMS:
        if data.startswith(bom):
            raise LayerError(
                f"the {what} is saved as {name} text; save it as UTF-8 and upload it again"
            )
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LayerError(
            f"the {what} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} "
            f"cannot be read; save the file as UTF-8 (it may be in a Windows or Latin-1 "
            f"encoding)"
        ) from None


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Tell whether JSON text nests arrays and objects deeper than ``limit``.

    Brackets inside strings do not count. The scan never parses: escaped backslashes
    and escaped quotes are removed, then every byte but ``[ ] { } "`` (all C-speed
    byte operations), and the remaining brackets are counted with numpy in chunks,
    outside strings only (an even number of quotes before them). It stops at the first
    chunk that goes too deep, so a nesting bomb (megabytes of ``[``) is found quickly.

    Parameters
    ----------
    data : bytes
        UTF-8 JSON text (the JSON structure characters are single bytes in UTF-8).
    limit : int
        The deepest nesting accepted.

    Examples
    --------
    >>> json_depth_exceeds(b'{"a": [[1]], "b": "[[[[[["}', 3)
    False
    >>> json_depth_exceeds(b'[[[[1]]]]', 3)
    True
    """
    # Escaped backslashes go first, left to right, as JSON reads them: in three
    # backslashes then a quote, the quote stays escaped; in two, it ends the string.
    compact = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    depth = 0
    quotes = 0
    for start in range(0, len(compact), _DEPTH_CHUNK):
        chunk = np.frombuffer(
            compact, dtype=np.uint8, count=min(_DEPTH_CHUNK, len(compact) - start), offset=start
        )
        quote_count = np.cumsum(chunk == _QUOTE, dtype=np.int64) + quotes
        outside = (quote_count & 1) == 0
        opens = ((chunk == _OPENERS[0]) | (chunk == _OPENERS[1])) & outside
        closes = ((chunk == _CLOSERS[0]) | (chunk == _CLOSERS[1])) & outside
        quotes = int(quote_count[-1])
        steps = opens.astype(np.int8) - closes.astype(np.int8)
        steps = steps[opens | closes]
        if steps.size == 0:
            continue
        running = np.cumsum(steps, dtype=np.int64) + depth
        if int(running.max()) > limit:
            return True
        depth = int(running[-1])
    return False


def _reject_constant(name: str) -> Any:
    raise NonFiniteConstant(name)


def _lone_surrogate(value: Any) -> str | None:
    """The first text in a parsed document that holds half a UTF-16 surrogate pair."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _parse_json(text: str) -> Any:
    document = _parse_json_text(text)
    # JSON lets "\ud800" stand alone; such text cannot be written out again as UTF-8, so
    # it is refused here. The walk only runs when such an escape is in the file at all.
    if _SURROGATE_ESCAPE.search(text):
        bad = _lone_surrogate(document)
        if bad is not None:
            shown = bad.encode("utf-8", "backslashreplace").decode("ascii")[:60]
            raise LayerError(
                f"the file has text with an unpaired \\u surrogate escape ({shown!r}); "
                f"it is not valid Unicode"
            )
    return document


_INT_DIGITS = re.compile(r"integer string conversion: value has (\d+) digits")


def _parse_json_text(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except NonFiniteConstant as exc:
        raise LayerError(
            f"the file contains the value {exc.args[0]}, which is not allowed in JSON; "
            f"write null or a number instead"
        ) from None
    except json.JSONDecodeError as exc:
        raise LayerError(
            f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise LayerError(
            f"the file nests brackets deeper than {settings.MAX_JSON_DEPTH} levels"
        ) from None
    except ValueError as exc:
        # Python refuses to turn more than sys.get_int_max_str_digits() digits into an
        # int; its own message tells a programmer to raise the limit.
        digits = _INT_DIGITS.search(str(exc))
        if digits is None:
            raise
        raise LayerError(
            f"the file holds a whole number {int(digits.group(1)):,} digits long; the "
            f"longest accepted has {sys.get_int_max_str_digits():,} digits (no field of a "
            f"layer needs more than a few): correct that number"
        ) from None


# --- The crs member ------------------------------------------------------------------------------


def crs_from_member(member: Any) -> int | None:
    """The EPSG code a GeoJSON 2008 ``crs`` member names, or None for longitude/latitude.

    Parameters
    ----------
    member : object
        The parsed value of the top-level ``crs`` member (None when absent).

    Returns
    -------
    int or None
        None when the coordinates are already longitude/latitude on WGS 84
        (CRS84, EPSG:4326, or no ``crs`` at all), else the EPSG code to reproject from.

    Raises
    ------
    LayerError
        When the member cannot be understood (a link, an unknown name).

    Examples
    --------
    >>> crs_from_member({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}})
    3857
    >>> crs_from_member({"type": "name", "properties": {"name": "EPSG:4326"}}) is None
    True
    """
    if member is None:
        return None
    if not isinstance(member, dict):
        raise LayerError(f"the file's crs member must be an object, got {_describe(member)}")
    kind = member.get("type")
    props = member.get("properties")
    if not isinstance(props, dict):
        raise LayerError("the file's crs member has no properties object")
    if kind == "name":
        name = props.get("name")
        if not isinstance(name, str):
            raise LayerError("the file's crs member has no name")
        key = name.strip().lower()
        if key in _LONLAT_NAMES:
            return None
        match = _EPSG_NAME.match(key)
        if match is None:
            raise LayerError(
                f"the file's coordinate reference system {name!r} is not understood; "
                f"save the file in EPSG:4326 (longitude, latitude) without a crs member"
            )
        code = int(match.group(1))
    elif kind == "EPSG":
        code_value = props.get("code")
        if type(code_value) is not int:
            raise LayerError(
                f"the file's crs member has a code that is not a whole number: "
                f"{_describe(code_value)}"
            )
        code = code_value
    else:
        raise LayerError(
            f"the file's crs member of type {kind!r} is not supported (only named EPSG codes "
            f"are); save the file in EPSG:4326 (longitude, latitude)"
        )
    if code == 4326:
        return None
    try:
        CRS.from_epsg(code)
    except CRSError:
        raise LayerError(
            f"the file's crs member names EPSG:{code}, which is not a known "
            f"coordinate reference system"
        ) from None
    return code


# --- Geometries ----------------------------------------------------------------------------------


def _describe(value: Any) -> str:
    """A JSON value as a coordinator would recognise it in the file."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return repr(value)


def _number(value: Any, where: str) -> float:
    # bool is a subclass of int: it must not pass as a coordinate.
    if type(value) is not float and type(value) is not int:
        raise MalformedGeometry(f"{where} must be a number, got {_describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        text = repr(value)
        if len(text) > 40:
            text = f"a number {len(text):,} characters long"
        raise MalformedGeometry(f"{where} is too large to be a coordinate ({text})")
    return number


def _position(value: Any, where: str) -> tuple[float, float]:
    if type(value) is not list:
        raise MalformedGeometry(f"{where} must be a list of numbers [x, y], got {_describe(value)}")
    # Elements after the second (height, measure) are dropped: layers are 2D. The types
    # are checked before the count so that a list nested one level too deep says so.
    x = _number(value[0], f"{where}: x") if value else None
    if x is None or len(value) < 2:
        raise MalformedGeometry(f"{where} needs at least 2 numbers (x, y), got {len(value)}")
    return (x, _number(value[1], f"{where}: y"))


def _positions(value: Any, where: str, *, minimum: int) -> list[tuple[float, float]]:
    if type(value) is not list:
        raise MalformedGeometry(f"{where} must be a list of positions, got {_describe(value)}")
    positions = [_position(p, f"{where}, position {k}") for k, p in enumerate(value, start=1)]
    if len(positions) < minimum:
        raise MalformedGeometry(f"{where} needs at least {minimum} positions, got {len(value)}")
    return positions


def _ring(value: Any, where: str, notes: list[str]) -> list[tuple[float, float]]:
    ring = _positions(value, where, minimum=3)
    if ring[0] != ring[-1]:
        ring.append(ring[0])
        notes.append(
            f"{where} was not closed (its last position differs from its first); it was closed"
        )
    if len(ring) < 4:
        raise MalformedGeometry(
            f"{where} needs at least 4 positions (a closed triangle), got {len(ring)}"
        )
    return ring


def _rings(value: Any, where: str, notes: list[str]) -> list[list[tuple[float, float]]]:
    if type(value) is not list:
        raise MalformedGeometry(f"{where} must be a list of rings, got {_describe(value)}")
    if not value:
        raise MalformedGeometry(f"{where} has no rings")
    return [_ring(r, f"{where} ring {k}", notes) for k, r in enumerate(value, start=1)]


def _parts(value: Any, where: str, what: str) -> list[Any]:
    if type(value) is not list:
        raise MalformedGeometry(f"{where} must be a list of {what}, got {_describe(value)}")
    if not value:
        raise MalformedGeometry(f"{where} has no {what}")
    return value


def _build(geometry: Any, notes: list[str], where: str = "the geometry") -> shapely.Geometry:
    """Check a GeoJSON geometry object position by position and build it in 2D."""
    if type(geometry) is not dict:
        raise MalformedGeometry(f"{where} must be an object, got {_describe(geometry)}")
    kind = geometry.get("type")
    if kind not in _GEOMETRY_TYPES:
        raise MalformedGeometry(
            f"{where} has type {_describe(kind)}; expected one of {', '.join(_GEOMETRY_TYPES)}"
        )
    if kind == "GeometryCollection":
        members = _parts(geometry.get("geometries"), f"{where} (GeometryCollection)", "geometries")
        return shapely.GeometryCollection(
            [_build(g, notes, f"member {k} of {where}") for k, g in enumerate(members, start=1)]
        )
    coords = geometry.get("coordinates")
    label = f"{where} ({kind})"
    if kind == "Point":
        return shapely.Point(_position(coords, label))
    if kind == "MultiPoint":
        return shapely.MultiPoint(_positions(coords, label, minimum=1))
    if kind == "LineString":
        return shapely.LineString(_positions(coords, label, minimum=2))
    if kind == "MultiLineString":
        return shapely.MultiLineString(
            [
                _positions(line, f"{label} line {k}", minimum=2)
                for k, line in enumerate(_parts(coords, label, "lines"), start=1)
            ]
        )
    if kind == "Polygon":
        shell, *holes = _rings(coords, label, notes)
        return shapely.Polygon(shell, holes)
    polygons = []
    for k, poly in enumerate(_parts(coords, label, "polygons"), start=1):
        shell, *holes = _rings(poly, f"{label} polygon {k}", notes)
        polygons.append(shapely.Polygon(shell, holes))
    return shapely.MultiPolygon(polygons)


def _fast_point(geometry: Any) -> tuple[Any, Any] | None:
    """The x and y of a well-formed Point, or None to take the careful path."""
    if type(geometry) is dict and geometry.get("type") == "Point":
        c = geometry.get("coordinates")
        if type(c) is list and len(c) >= 2:
            x, y = c[0], c[1]
            if (
                (type(x) is float or type(x) is int)
                and (type(y) is float or type(y) is int)
                and abs(x) < 1e300
                and abs(y) < 1e300
            ):
                return x, y
    return None


# --- Features ------------------------------------------------------------------------------------


def _features(document: Any) -> list[Any]:
    """The list of features in a parsed document, or a LayerError saying why not."""
    if not isinstance(document, dict):
        raise LayerError(
            f"the file is not GeoJSON: it holds {_describe(document)} where a "
            f'FeatureCollection object ({{"type": "FeatureCollection", ...}}) was expected'
        )
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise LayerError(
                f'the FeatureCollection has no "features" list (got {_describe(features)})'
            )
        return features
    if kind == "Feature":
        return [document]
    if kind in _GEOMETRY_TYPES:
        raise LayerError(
            f"the file holds a bare {kind} geometry, not a Feature or FeatureCollection; "
            f"wrap it in a Feature with its properties"
        )
    if kind == "Topology":
        raise LayerError("the file is TopoJSON, not GeoJSON; convert it to GeoJSON first")
    if kind is None:
        raise LayerError('the file is not GeoJSON: the top-level object has no "type" member')
    raise LayerError(
        f"the file is not GeoJSON: its type is {_describe(kind)}, expected "
        f'"FeatureCollection" or "Feature"'
    )


def _feature_id(feature: Any, properties: dict[str, Any]) -> str | None:
    value = feature.get("id") if isinstance(feature, dict) else None
    if value is None:
        value = properties.get("id")
    return None if value is None else str(value)


def parse_geojson(data: bytes) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read GeoJSON bytes into a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    data : bytes
        The whole file, UTF-8 with or without a byte-order mark.

    Returns
    -------
    frame : GeoDataFrame
        One row per feature in file order (index 0..n-1); the properties as columns
        (nested objects such as ``needs`` stay dicts), a top-level feature ``id`` in the
        ``id`` column when the properties have none; ``geometry`` in 2D, None where it
        is missing or malformed.
    problems : list of Problem
        An error per malformed geometry or feature, and warnings (reprojection,
        polygon rings closed).

    Raises
    ------
    LayerError
        For the whole file: too large, not UTF-8, too deeply nested, not valid JSON,
        NaN or Infinity, not a FeatureCollection or Feature, too many features, an
        unknown ``crs`` member.

    Examples
    --------
    >>> frame, problems = parse_geojson(
    ...     b'{"type": "Feature", "properties": {"id": "R1"},'
    ...     b' "geometry": {"type": "Point", "coordinates": [6.1, 50.8]}}')
    >>> frame.loc[0, "id"], frame.geometry[0].wkt, problems
    ('R1', 'POINT (6.1 50.8)', [])
    """
    check_file_size(len(data))
    text = decode_utf8(data)  # first: a UTF-16 file would fool the depth scan
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if json_depth_exceeds(data, settings.MAX_JSON_DEPTH):
        raise LayerError(
            f"the file nests brackets deeper than {settings.MAX_JSON_DEPTH} levels; "
            f"GeoJSON never needs that many"
        )
    document = _parse_json(text)
    del text
    features = _features(document)
    if len(features) > settings.MAX_FEATURES:
        raise LayerError(
            f"the file has {len(features):,} features; the most accepted is "
            f"{settings.MAX_FEATURES:,}"
        )
    epsg = crs_from_member(document.get("crs"))

    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    geometries = np.full(len(features), None, dtype=object)
    point_rows: list[int] = []
    names: set[str] = set()
    xs: list[Any] = []
    ys: list[Any] = []

    def error(row: int, message: str, feature: Any, props: dict[str, Any], field: str) -> None:
        problems.append(Problem(message, "error", row + 1, _feature_id(feature, props), field))

    for row, feature in enumerate(features):
        if type(feature) is not dict:
            records.append({})
            error(
                row,
                f"the feature must be an object, got {_describe(feature)}",
                None,
                {},
                "geometry",
            )
            continue
        props = feature.get("properties")
        if props is None:
            props = {}
        elif type(props) is not dict:
            error(
                row,
                f'"properties" must be an object, got {_describe(props)}',
                feature,
                {},
                "properties",
            )
            props = {}
        if "id" not in props and feature.get("id") is not None:
            props["id"] = feature["id"]
        records.append(props)
        names.update(props)
        if len(names) > settings.MAX_COLUMNS:
            raise LayerError(
                f"the file's features have more than {settings.MAX_COLUMNS:,} "
                f"different properties (columns); the most accepted is "
                f"{settings.MAX_COLUMNS:,}"
            )
        if feature.get("type") != "Feature":
            error(
                row,
                f'"type" must be "Feature", got {_describe(feature.get("type"))}',
                feature,
                props,
                "type",
            )
        geometry = feature.get("geometry")
        if geometry is None:
            continue  # a missing geometry is the validator's to report
        point = _fast_point(geometry)
        if point is not None:
            point_rows.append(row)
            xs.append(point[0])
            ys.append(point[1])
            continue
        notes: list[str] = []
        try:
            geometries[row] = _build(geometry, notes)
        except MalformedGeometry as exc:
            error(row, f"malformed geometry: {exc}", feature, props, "geometry")
            continue
        except (shapely.errors.GEOSException, ValueError, TypeError) as exc:
            error(row, f"the geometry cannot be built: {exc}", feature, props, "geometry")
            continue
        for note in notes:
            problems.append(
                Problem(note, "warning", row + 1, _feature_id(feature, props), "geometry")
            )

    if point_rows:
        geometries[np.asarray(point_rows)] = shapely.points(
            np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        )

    frame = _frame(records, geometries)
    if epsg is not None:
        frame = frame.set_crs(epsg, allow_override=True).to_crs(4326)
        problems.append(
            Problem(
                f"coordinates were reprojected from EPSG:{epsg} (the file's crs member) to "
                f"EPSG:4326 (longitude, latitude)",
                "warning",
                field="geometry",
            )
        )
        problems.extend(_nonfinite_after_reprojection(frame, features, records, epsg))
    return frame, problems


def _frame(records: list[dict[str, Any]], geometries: np.ndarray) -> gpd.GeoDataFrame:
    attributes = (
        pd.DataFrame.from_records(records, index=pd.RangeIndex(len(records)))
        if records
        else pd.DataFrame(index=pd.RangeIndex(0))
    )
    if "geometry" in attributes.columns:
        # A property called "geometry" would collide with the geometry column.
        attributes = attributes.rename(columns={"geometry": RENAMED_GEOMETRY_FIELD})
    return gpd.GeoDataFrame(
        attributes, geometry=gpd.GeoSeries(geometries, crs=4326, index=attributes.index)
    )


def _nonfinite_after_reprojection(
    frame: gpd.GeoDataFrame, features: list[Any], records: list[dict[str, Any]], epsg: int
) -> list[Problem]:
    """Errors for features whose coordinates fall outside the source projection."""
    coords, index = shapely.get_coordinates(frame.geometry.values, return_index=True)
    bad_rows = np.unique(index[~np.isfinite(coords).all(axis=1)])
    if bad_rows.size:
        frame.loc[bad_rows, frame.geometry.name] = None
    problems = []
    for row in bad_rows.tolist():
        problems.append(
            Problem(
                f"the coordinates cannot be converted from EPSG:{epsg} to longitude/latitude "
                f"(outside that projection's area)",
                "error",
                row + 1,
                _feature_id(features[row], records[row]),
                "geometry",
            )
        )
    return problems
