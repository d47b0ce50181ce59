"""Reading a layer file of any accepted format into a frame, safely.

The format is chosen by this module from the file's extension and then checked
against the file's first bytes; GDAL never guesses it. Every read goes through
:func:`read_layer`, which returns the file's own columns (validation into the
canonical columns is :mod:`mutualaid.layers.validate`'s job) together with the
problems met while reading: malformed geometries, coordinates that are not finite
numbers, reprojection notes.

Formats
-------
GeoJSON (``.geojson``, ``.json``)
    The project's own strict parser, :mod:`mutualaid.layers.geojson`.
GeoPackage (``.gpkg``)
    GDAL's GPKG driver through pyogrio, opened as ``GPKG:<path>`` so that no other
    driver is tried.
Zipped Shapefile (``.zip``)
    Checked by :mod:`mutualaid.layers.safety`, the ``.shp``, ``.shx``, ``.dbf`` and
    optional ``.prj`` and ``.cpg`` extracted under fixed names, each part's first
    bytes checked, then GDAL's ESRI Shapefile driver.
KML (``.kml``)
    Parsed here with defusedxml; any DOCTYPE (and so every entity) is refused.
CSV (``.csv``)
    Read as text; for point layers the latitude and longitude columns become Point
    geometries. Agreements and travel times are CSV only and carry no geometry.

GDAL's VRT drivers, which can make GDAL read any file on the server, are switched
off when this module is imported, and every GDAL read checks the driver that
opened the file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from pyproj import CRS
from pyproj.exceptions import CRSError
from xml.etree.ElementTree import Element, ParseError

from mutualaid import settings
from mutualaid.errors import LayerError, UnsafeInputError, UnsupportedFormatError
from mutualaid.layers import safety
from mutualaid.layers.geojson import RENAMED_GEOMETRY_FIELD, decode_utf8, parse_geojson
from mutualaid.layers.problems import Problem

__all__ = [
    "RawLayer", "read_layer", "ACCEPTED_FORMATS", "TABLE_KINDS", "LATITUDE_NAMES",
    "LONGITUDE_NAMES", "vrt_drivers_disabled",
]

# --- GDAL hardening, at import ----------------------------------------------------------------

_SKIPPED_DRIVERS = ("VRT", "OGR_VRT")


def _disable_vrt_drivers() -> None:
    """Switch off GDAL's VRT drivers for this process.

    A VRT is an XML file telling GDAL to read *another* file (``/etc/passwd`` as a
    CSV, a URL...). GDAL_SKIP is only applied when drivers are registered, and
    pyogrio registers them when it is imported, so registration is run again after
    the option is set; that removes the listed drivers.
    """
    current = pyogrio.get_gdal_config_option("GDAL_SKIP") or ""
    names = current.replace(",", " ").split()
    names += [d for d in _SKIPPED_DRIVERS if d not in names]
    pyogrio.set_gdal_config_options({"GDAL_SKIP": " ".join(names)})
    try:
        from pyogrio._ogr import _register_drivers  # private, hence the guard
    except ImportError:  # pragma: no cover - a future pyogrio; the checks below still hold
        return
    _register_drivers()


def vrt_drivers_disabled() -> bool:
    """True when GDAL in this process has no VRT driver left to open files with."""
    drivers = pyogrio.list_drivers()
    return not any(name in drivers for name in _SKIPPED_DRIVERS)


_disable_vrt_drivers()

# --- Formats -------------------------------------------------------------------------------

#: Extension -> format name; anything else is refused.
_FORMAT_BY_EXTENSION = {
    ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shapefile",
    ".kml": "kml", ".csv": "csv",
}
#: The accepted formats in words, for messages.
ACCEPTED_FORMATS = ("GeoJSON (.geojson or .json), GeoPackage (.gpkg), zipped Shapefile (.zip), "
                    "KML (.kml) or CSV with latitude/longitude columns (.csv)")
_ZIP_HINT = " (put the .shp, .shx, .dbf and .prj files together in one .zip)"
_HINTS = {".shp": _ZIP_HINT, ".shx": _ZIP_HINT, ".dbf": _ZIP_HINT,
          ".kmz": " (a .kmz is a zipped KML: unzip it and upload the .kml inside)"}
#: Layer kinds that are plain tables, read from CSV only.
TABLE_KINDS = ("agreements", "travel_times")
_GEO_KINDS = ("jurisdictions", "incidents", "resources")

_CONTENT_WORDS = {
    "gpkg": "a GeoPackage (SQLite) database",
    "zip": "a zip archive",
    "json": "JSON text",
    "xml": "XML (such as KML)",
    "binary": "binary data",
    "text": "plain text",
    "empty": "nothing (it is empty)",
}
_EXPECTED_CONTENT = {
    "geojson": ("json",),
    "gpkg": ("gpkg",),
    "shapefile": ("zip",),
    "kml": ("xml",),
    "csv": ("text",),
}
_SUGGESTED_EXTENSION = {"gpkg": ".gpkg", "zip": ".zip", "json": ".geojson", "xml": ".kml",
                        "text": ".csv"}

_SQLITE_MAGIC = b"SQLite format 3\x00"
_MAX_GDAL_NOTES = 5
_SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian, in .shp and .shx headers
# dBASE version bytes GDAL writes or reads (III, IV, V, FoxPro, Visual FoxPro, with memo).
_DBF_VERSIONS = frozenset({0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83,
                           0x8B, 0x8E, 0xCB, 0xE5, 0xF5, 0xFB})


@dataclass
class RawLayer:
    """A layer as read from its file, before validation.

    Parameters
    ----------
    frame : GeoDataFrame or DataFrame
        The file's own columns, one row per feature in file order (index 0..n-1).
        A GeoDataFrame in EPSG:4326 with 2D geometries for the geographic kinds;
        a DataFrame of text for agreements and travel times.
    problems : list of Problem
        What went wrong while reading single features, and warnings (reprojection).
    format : str
        ``geojson``, ``gpkg``, ``shapefile``, ``kml`` or ``csv``.
    source : str
        The file's name or path as given, for messages.
    """

    frame: gpd.GeoDataFrame | pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    format: str = ""
    source: str = ""


def read_layer(source: str | os.PathLike[str], *, kind: str, data: bytes | None = None,
               filename: str | None = None) -> RawLayer:
    """Read one layer file into a frame, whatever it holds, without trusting it.

    Parameters
    ----------
    source : str or path-like
        The file to read; or, when ``data`` is given, only a name to show in messages.
    kind : str
        One of ``jurisdictions``, ``incidents``, ``resources`` (geographic layers),
        ``agreements`` or ``travel_times`` (CSV tables).
    data : bytes, optional
        The file's content (an upload); ``source`` is then not opened.
    filename : str, optional
        The name whose extension decides the format; ``source`` by default.

    Returns
    -------
    RawLayer
        The frame, the reading problems, the format and the source.

    Raises
    ------
    UnsupportedFormatError
        For an extension that is not accepted, or content that does not match it.
    UnsafeInputError
        For hostile content: a zip bomb or path escape, an XML DOCTYPE or entity.
    LayerError
        For every other file that cannot be read at all; nothing else escapes.
    ValueError
        Only for a programming mistake: an unknown ``kind``.

    Examples
    --------
    >>> layer = read_layer("upload.csv", kind="resources",
    ...                    data=b"id,type,lat,lon\\nR1,boat,50.8,6.1\\n")
    >>> layer.format, layer.frame.geometry[0].wkt
    ('csv', 'POINT (6.1 50.8)')
    """
    if kind not in _GEO_KINDS + TABLE_KINDS:
        raise ValueError(f"unknown layer kind {kind!r}; expected one of "
                         f"{', '.join(_GEO_KINDS + TABLE_KINDS)}")
    shown = str(source)
    name = filename if filename is not None else shown
    try:
        fmt = _format_from_name(name, kind=kind)
        content = _bytes_of(source) if data is None else bytes(data)
        safety.check_file_size(len(content))
        _check_content(content, fmt=fmt, name=name)
        frame, problems = _READERS[fmt](content, kind)
    except LayerError:
        raise
    except MemoryError:
        raise LayerError("the file is too large to be read with the memory available") from None
    except RecursionError:
        raise LayerError("the file is nested too deeply to be read") from None
    except Exception as exc:  # never a traceback for a file, whatever it holds
        raise LayerError(f"the file could not be read: {_short(exc)}") from None
    return RawLayer(frame=frame, problems=problems, format=fmt, source=shown)


def _short(exc: BaseException) -> str:
    """An exception's message, short, without the SQL statement GDAL quotes for SQLite."""
    text = str(exc).strip() or type(exc).__name__
    if "failed: " in text:
        text = text.rsplit("failed: ", 1)[1]
    return text if len(text) <= 300 else text[:297] + "..."


def _format_from_name(name: str, *, kind: str) -> str:
    suffix = Path(name).suffix.lower()
    fmt = _FORMAT_BY_EXTENSION.get(suffix)
    if fmt is None:
        what = f"{suffix} files are" if suffix else "files without an extension are"
        hint = _HINTS.get(suffix, "")
        raise UnsupportedFormatError(
            f"{what} not accepted; accepted formats: {ACCEPTED_FORMATS}{hint}"
        )
    if kind in TABLE_KINDS and fmt != "csv":
        raise UnsupportedFormatError(
            f"{kind.replace('_', ' ')} are read from a CSV file (.csv), not {suffix}"
        )
    return fmt


def _bytes_of(source: str | os.PathLike[str]) -> bytes:
    """The content of a local file, refusing anything but a regular file within the limit."""
    path = Path(source)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise LayerError(f"file not found: {path}") from None
    except OSError as exc:
        raise LayerError(f"the file cannot be opened: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise LayerError(f"{path} is not a regular file")
    safety.check_file_size(info.st_size)
    try:
        with path.open("rb") as handle:
            content = handle.read(settings.MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise LayerError(f"the file cannot be read: {exc.strerror or exc}") from None
    return content


def _sniff(content: bytes) -> str:
    """What the first bytes of a file say it is."""
    if not content[:4096].strip() and not content.strip():
        return "empty"
    if content.startswith(_SQLITE_MAGIC):
        return "gpkg"
    if content.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    head = content[:4096]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            if bom != b"\xef\xbb\xbf":
                # UTF-16 text: let the format's own reader say what it thinks of it.
                stripped = head[len(bom):].replace(b"\x00", b"").lstrip()
                return _sniff_text(stripped)
            head = head[len(bom):]
            break
    if b"\x00" in head:
        return "binary"
    return _sniff_text(head.lstrip())


def _sniff_text(head: bytes) -> str:
    if head[:1] in (b"{", b"["):
        return "json"
    if head[:1] == b"<":
        return "xml"
    return "text"


def _check_content(content: bytes, *, fmt: str, name: str) -> None:
    found = _sniff(content)
    if found == "empty":
        raise LayerError("the file is empty")
    if found in _EXPECTED_CONTENT[fmt]:
        return
    suffix = Path(name).suffix.lower()
    hint = _SUGGESTED_EXTENSION.get(found)
    advice = f"; if it is a layer, name it {hint}" if hint else ""
    raise UnsupportedFormatError(
        f"the file is named {suffix} but holds {_CONTENT_WORDS[found]}{advice}"
    )


# --- Shared finishing: CRS, 2D, finite coordinates -----------------------------------------------

def _feature_id(frame: pd.DataFrame, row: int) -> str | None:
    if "id" not in frame.columns:
        return None
    value = frame["id"].iloc[row]
    if value is None or (np.isscalar(value) and pd.isna(value)):
        return None
    return str(value)


def _finish(frame: gpd.GeoDataFrame, problems: list[Problem], *,
            crs: Any, crs_origin: str) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 and refuse coordinates that are not finite.

    ``crs`` is what the file declared (None when nothing); ``crs_origin`` names where
    it came from for the warning ("the .prj file", "the GeoPackage").
    """
    if crs is None:
        frame = frame.set_crs(4326, allow_override=True)
    else:
        try:
            declared = CRS.from_user_input(crs)
        except CRSError:
            raise LayerError(f"the coordinate reference system in {crs_origin} is not "
                             f"understood; save the layer in EPSG:4326") from None
        frame = frame.set_crs(declared, allow_override=True)
        if not declared.equals(CRS.from_epsg(4326), ignore_axis_order=True):
            code = declared.to_epsg()
            label = f"EPSG:{code}" if code else repr(declared.name)
            try:
                frame = frame.to_crs(4326)
            except (CRSError, ValueError) as exc:
                raise LayerError(f"the coordinates cannot be converted from {label} to "
                                 f"EPSG:4326: {_short(exc)}") from None
            problems.append(Problem(
                f"coordinates were reprojected from {label} ({crs_origin}) to EPSG:4326 "
                f"(longitude, latitude)", "warning", field="geometry"))
        else:
            frame = frame.set_crs(4326, allow_override=True)
    _drop_nonfinite(frame, problems)
    return frame


def _drop_nonfinite(frame: gpd.GeoDataFrame, problems: list[Problem]) -> None:
    coords, index = shapely.get_coordinates(frame.geometry.values, return_index=True)
    bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
    if not bad.size:
        return
    frame.loc[bad, frame.geometry.name] = None
    for row in bad.tolist():
        problems.append(Problem(
            "the geometry has coordinates that are not finite numbers (NaN or infinite, or "
            "outside the area of the file's projection)", "error", row + 1,
            _feature_id(frame, row), "geometry"))


def _geo_frame(columns: dict[str, Any] | pd.DataFrame, geometries: Any, n: int) -> gpd.GeoDataFrame:
    """Attributes and 2D geometries (coordinates beyond x and y dropped) in one frame."""
    attributes = pd.DataFrame(columns, index=pd.RangeIndex(n))
    if "geometry" in attributes.columns:
        # A field called "geometry" would collide with the geometry column.
        attributes = attributes.rename(columns={"geometry": RENAMED_GEOMETRY_FIELD})
    geometries = shapely.force_2d(np.asarray(geometries, dtype=object))
    return gpd.GeoDataFrame(attributes, geometry=gpd.GeoSeries(geometries, index=attributes.index))


# --- GeoJSON -------------------------------------------------------------------------------------

def _read_geojson(content: bytes, kind: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    return parse_geojson(content)


# --- GDAL formats: GeoPackage and zipped Shapefile -----------------------------------------------

def _read_with_gdal(dataset: str, *, driver: str, layer: str | None,
                    what: str) -> tuple[gpd.GeoDataFrame, list[Problem], Any]:
    """Read one layer with pyogrio after checking which GDAL driver opened it.

    ``what`` names the format in messages ("a GeoPackage"). Returns the frame (2D,
    no CRS set yet), the problems, and the CRS the file declares (None if none).
    """
    # GDAL's warnings (a value that did not fit its field...) arrive as Python warnings;
    # they are shown to the coordinator as warning problems instead of on stderr.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame, problems, crs = _read_checked(dataset, driver=driver, layer=layer, what=what)
    notes = dict.fromkeys(str(w.message).strip() for w in caught
                          if issubclass(w.category, RuntimeWarning))
    problems.extend(Problem(f"while reading {what}: {note}", "warning")
                    for note in list(notes)[:_MAX_GDAL_NOTES] if note)
    return frame, problems, crs


def _read_checked(dataset: str, *, driver: str, layer: str | None,
                  what: str) -> tuple[gpd.GeoDataFrame, list[Problem], Any]:
    try:
        info = pyogrio.read_info(dataset, layer=layer)
    except Exception as exc:
        raise LayerError(f"the file cannot be opened as {what}: {_short(exc)}") from None
    if info.get("driver") != driver:
        raise UnsupportedFormatError(
            f"the file was recognised as {info.get('driver')!r}, not {driver!r}; it is refused"
        )
    count = info.get("features", -1)
    if count is not None and count > settings.MAX_FEATURES:
        raise LayerError(f"the layer has {count:,} features; the most accepted is "
                         f"{settings.MAX_FEATURES:,}")
    # The count was checked above when GDAL knows it; only an unknown count needs a cap.
    # (With a cap beyond the count, pyogrio raises on a damaged geometry blob instead of
    # returning None for that feature, which the validator then reports as missing.)
    limit = settings.MAX_FEATURES + 1 if count is None or count < 0 else None
    try:
        meta, _fids, wkb, values = pyogrio.raw.read(
            dataset, layer=layer, datetime_as_string=True, max_features=limit)
    except Exception as exc:
        raise LayerError(f"the layer cannot be read: {_short(exc)}") from None
    n = len(wkb) if wkb is not None else (len(values[0]) if values else 0)
    if n > settings.MAX_FEATURES:
        raise LayerError(f"the layer has more than {settings.MAX_FEATURES:,} features")
    columns = {str(name): column for name, column in zip(meta["fields"], values)}
    damaged: list[int] = []
    if wkb is None:
        geometries = np.full(n, None, dtype=object)
    else:
        geometries = shapely.from_wkb(wkb, on_invalid="ignore")
        # WKB that GDAL handed over but GEOS cannot decode.
        damaged = np.flatnonzero(pd.notna(pd.Series(wkb, dtype=object)).to_numpy()
                                 & pd.isna(pd.Series(geometries, dtype=object)).to_numpy()
                                 ).tolist()
    frame = _geo_frame(columns, geometries, n)
    problems = [Problem("the geometry is damaged and cannot be decoded", "error", row + 1,
                        _feature_id(frame, row), "geometry") for row in damaged]
    return frame, problems, meta.get("crs")


def _read_gpkg(content: bytes, kind: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    with tempfile.TemporaryDirectory(prefix="mutualaid-gpkg-") as folder:
        path = Path(folder) / "layer.gpkg"
        path.write_bytes(content)
        # The GPKG: prefix makes GDAL use that driver and no other.
        dataset = f"GPKG:{path}"
        layer = _choose_gpkg_layer(dataset, kind)
        frame, problems, crs = _read_with_gdal(dataset, driver="GPKG", layer=layer,
                                               what="a GeoPackage")
    if crs is None:
        problems.append(Problem("the GeoPackage layer declares no coordinate reference system; "
                                "EPSG:4326 (longitude, latitude) was assumed", "warning",
                                field="geometry"))
    return _finish(frame, problems, crs=crs, crs_origin="the GeoPackage"), problems


def _choose_gpkg_layer(dataset: str, kind: str) -> str:
    try:
        layers = pyogrio.list_layers(dataset)
    except Exception as exc:
        raise LayerError(f"the file is not a readable GeoPackage: {_short(exc)}") from None
    spatial = [str(name) for name, geometry_type in layers if geometry_type is not None]
    if len(spatial) == 1:
        return spatial[0]
    if not spatial:
        raise LayerError("the GeoPackage holds no layer with geometries")
    named = [name for name in spatial if name.lower() == kind]
    if len(named) == 1:
        return named[0]
    raise LayerError(
        f"the GeoPackage holds {len(spatial)} layers ({', '.join(spatial[:10])}); keep only "
        f"the {kind} layer in it, or name that layer {kind!r}"
    )


_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_REQUIRED_PARTS = (".shp", ".shx", ".dbf")


def _ignored(member: safety.ZipMember) -> bool:
    """Folder entries and the resource forks macOS adds to archives it creates."""
    base = member.name.rsplit("/", 1)[-1]
    return member.is_dir or member.name.startswith("__MACOSX/") or base.startswith("._")


def _read_shapefile_zip(content: bytes, kind: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    archive = safety.open_zip(content)
    with archive:
        members = [m for m in safety.check_zip(archive) if not _ignored(m)]
        wanted = _shapefile_members(members)
        with safety.extract_members(archive, wanted) as folder:
            _check_shapefile_parts(folder, wanted)
            frame, problems, crs = _read_with_gdal(str(folder / "layer.shp"),
                                                   driver="ESRI Shapefile", layer=None,
                                                   what="a shapefile")
    if crs is None:
        problems.append(Problem("the shapefile has no .prj file; EPSG:4326 (longitude, "
                                "latitude) was assumed", "warning", field="geometry"))
    return _finish(frame, problems, crs=crs, crs_origin="the .prj file"), problems


def _shapefile_members(members: list[safety.ZipMember]) -> dict[str, safety.ZipMember]:
    """The parts of the archive's one shapefile, keyed by the names to extract them as."""
    shps = [m for m in members if m.name.casefold().endswith(".shp")]
    if not shps:
        listed = ", ".join(m.name for m in members[:10]) or "nothing"
        raise LayerError(f"the zip archive holds no shapefile (.shp); it holds: {listed}")
    if len(shps) > 1:
        raise LayerError(
            f"the zip archive holds {len(shps)} shapefiles "
            f"({', '.join(m.name for m in shps[:10])}); put one layer in each zip"
        )
    stem = shps[0].name[:-4].casefold()
    by_suffix = {}
    for member in members:
        lowered = member.name.casefold()
        for suffix in _SHAPEFILE_PARTS:
            if lowered == stem + suffix:
                by_suffix[suffix] = member
    missing = [s for s in _REQUIRED_PARTS if s not in by_suffix]
    if missing:
        base = shps[0].name.rsplit("/", 1)[-1][:-4]
        raise LayerError(
            f"the shapefile {shps[0].name!r} comes without "
            f"{' and '.join(base + s for s in missing)}; a shapefile needs its .shp, .shx and "
            f".dbf files side by side in the zip"
        )
    return {f"layer{suffix}": member for suffix, member in by_suffix.items()}


def _check_shapefile_parts(folder: Path, wanted: dict[str, safety.ZipMember]) -> None:
    """Check each extracted part's first bytes: GDAL must only ever see a real shapefile."""
    for suffix in (".shp", ".shx"):
        with (folder / f"layer{suffix}").open("rb") as handle:
            if handle.read(4) != _SHP_MAGIC:
                raise UnsupportedFormatError(
                    f"{wanted[f'layer{suffix}'].name!r} is not a shapefile {suffix} file"
                )
    with (folder / "layer.dbf").open("rb") as handle:
        first = handle.read(1)
    if not first or first[0] not in _DBF_VERSIONS:
        raise UnsupportedFormatError(f"{wanted['layer.dbf'].name!r} is not a dBASE (.dbf) file")


# --- KML -----------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_KML_GEOMETRIES = ("Point", "LineString", "LinearRing", "Polygon", "MultiGeometry")
_KML_UNSUPPORTED = ("Model", "Track", "MultiTrack")


class _BadKml(Exception):
    """A Placemark whose geometry cannot be built; the message says why."""


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
        return SafeET.fromstring(content, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except DefusedXmlException:
        raise UnsafeInputError(
            "the KML declares a DOCTYPE or entities; KML never needs them and they can be "
            "used to read files on the server or exhaust its memory, so the file is refused"
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = f" at line {line}, column {column + 1}" if line is not None else ""
        reason = str(exc).split(":", 1)[0]
        raise LayerError(f"the file is not valid XML: {reason}{where}") from None


def _read_kml(content: bytes, kind: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    root = _parse_xml(content)
    if _local(root.tag) != "kml":
        raise LayerError(f"the file is XML but not KML: its root element is <{_local(root.tag)}>, "
                         f"expected <kml>")
    placemarks = [el for el in root.iter() if _local(el.tag) == "Placemark"]
    if len(placemarks) > settings.MAX_FEATURES:
        raise LayerError(f"the file has {len(placemarks):,} placemarks; the most accepted is "
                         f"{settings.MAX_FEATURES:,}")
    records: list[dict[str, str]] = []
    geometries = np.full(len(placemarks), None, dtype=object)
    problems: list[Problem] = []
    for row, placemark in enumerate(placemarks):
        record = _kml_record(placemark)
        records.append(record)
        try:
            geometries[row] = _kml_geometry(placemark)
        except _BadKml as exc:
            problems.append(Problem(f"malformed geometry: {exc}", "error", row + 1,
                                    record.get("id"), "geometry"))
        except (shapely.errors.GEOSException, ValueError) as exc:
            problems.append(Problem(f"the geometry cannot be built: {exc}", "error", row + 1,
                                    record.get("id"), "geometry"))
    frame = _geo_frame(pd.DataFrame.from_records(records) if records else {}, geometries,
                       len(placemarks))
    return _finish(frame, problems, crs=None, crs_origin=""), problems


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
            raise _BadKml(f"<{tag}> geometries are not supported; use Point, LineString or Polygon")
    return None


def _kml_shape(element: Element, tag: str) -> shapely.Geometry:
    if tag == "Point":
        points = _kml_coordinates(element, "Point", minimum=1)
        if len(points) != 1:
            raise _BadKml(f"a Point needs exactly 1 position, got {len(points)}")
        return shapely.Point(points[0])
    if tag in ("LineString", "LinearRing"):
        return shapely.LineString(_kml_coordinates(element, tag, minimum=2))
    if tag == "Polygon":
        return _kml_polygon(element)
    parts = [(_local(c.tag), c) for c in element if _local(c.tag) in _KML_GEOMETRIES]
    if not parts:
        raise _BadKml("a MultiGeometry has no geometries")
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
        raise _BadKml("a Polygon needs an <outerBoundaryIs><LinearRing>")
    shell = _kml_ring(shell_ring, "the outer boundary")
    holes = []
    for inner in _children(element, "innerBoundaryIs"):
        for k, ring in enumerate(_children(inner, "LinearRing"), start=len(holes) + 1):
            holes.append(_kml_ring(ring, f"inner boundary {k}"))
    return shapely.Polygon(shell, holes)


def _kml_ring(ring: Element, where: str) -> list[tuple[float, float]]:
    points = _kml_coordinates(ring, where, minimum=3)
    if points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:
        raise _BadKml(f"{where} needs at least 3 distinct positions")
    return points


def _kml_coordinates(element: Element, where: str, *, minimum: int) -> list[tuple[float, float]]:
    text = _text(_child(element, "coordinates"))
    # Some writers put a space after each comma ("6.1, 50.8"): join the tuple back first.
    tuples = re.sub(r"\s*,\s*", ",", text).split()
    if len(tuples) < minimum:
        raise _BadKml(f"{where} needs at least {minimum} position(s) in <coordinates>, "
                      f"got {len(tuples)}")
    points = []
    for k, item in enumerate(tuples, start=1):
        values = item.split(",")
        if len(values) < 2:
            raise _BadKml(f"{where}, position {k}: expected longitude,latitude, got {item[:40]!r}")
        points.append((_kml_number(values[0], where, k), _kml_number(values[1], where, k)))
    return points


def _kml_number(text: str, where: str, k: int) -> float:
    # float() alone would accept "nan", "inf" and "1_0".
    if not _NUMBER.fullmatch(text):
        raise _BadKml(f"{where}, position {k}: {text[:40]!r} is not a number")
    value = float(text)
    if not np.isfinite(value):
        raise _BadKml(f"{where}, position {k}: {text[:40]!r} is too large to be a coordinate")
    return value


# --- CSV -----------------------------------------------------------------------------------------

#: Header names (compared without case) read as latitude and longitude, in order of preference.
LATITUDE_NAMES = ("latitude", "lat", "y")
LONGITUDE_NAMES = ("longitude", "lon", "lng", "x")


def _delimiter(text: str) -> str:
    """Comma, unless the header row has none and uses semicolons or tabs (European exports)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    if "," in header:
        return ","
    if ";" in header:
        return ";"
    if "\t" in header:
        return "\t"
    return ","


def _csv_table(content: bytes) -> tuple[pd.DataFrame, list[Problem], str]:
    """The CSV as a DataFrame of text, row problems, and the delimiter used."""
    text = decode_utf8(content, what="CSV file")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = [row for row in reader]
    except csv.Error as exc:
        raise LayerError(f"the CSV file cannot be read at line {reader.line_num}: {exc}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise LayerError("the CSV file has no header row")
    header = [name.strip() for name in rows[0]]
    body = rows[1:]
    if len(body) > settings.MAX_FEATURES:
        raise LayerError(f"the CSV file has {len(body):,} rows; the most accepted is "
                         f"{settings.MAX_FEATURES:,}")
    keep = _named_columns(header, body)
    header = [header[i] for i in keep]
    width = len(rows[0])
    problems: list[Problem] = []
    cleaned = []
    for number, row in enumerate(body, start=1):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            problems.append(Problem(
                f"the row has {len(row)} values but the header names {width} columns; "
                f"the extra values were ignored", "error", number, None, None))
        row = row[:width] + [""] * (width - len(row))
        cleaned.append([row[i] for i in keep])
    frame = pd.DataFrame(cleaned, columns=header, dtype=str) if cleaned else \
        pd.DataFrame({name: pd.Series([], dtype=str) for name in header})
    frame.index = pd.RangeIndex(len(frame))
    if "id" in frame.columns:
        ids = frame["id"]
        problems = [p if p.feature is None else
                    Problem(p.message, p.severity, p.feature, ids.iloc[p.feature - 1] or None,
                            p.field)
                    for p in problems]
    return frame, problems, delimiter


def _named_columns(header: list[str], body: list[list[str]]) -> list[int]:
    """Positions of the columns to keep: named ones, and unnamed ones only if they are empty."""
    seen: set[str] = set()
    keep = []
    for i, name in enumerate(header):
        if not name:
            if any(i < len(row) and row[i].strip() for row in body):
                raise LayerError(f"column {i + 1} of the CSV file has values but no name in "
                                 f"the header row")
            continue  # an empty trailing column, as spreadsheets write them
        if name in seen:
            raise LayerError(f"the column {name!r} appears twice in the CSV header")
        seen.add(name)
        keep.append(i)
    return keep


def _find_column(columns: Iterable[str], names: tuple[str, ...]) -> str | None:
    by_lower = {}
    for column in columns:
        by_lower.setdefault(column.lower(), column)
    for name in names:
        if name in by_lower:
            return by_lower[name]
    return None


def _csv_numbers(values: pd.Series, *, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Parse text as finite numbers: (values, ok mask). NaN/inf/blank/words are not ok."""
    text = values.fillna("").astype(str).str.strip()
    if decimal_comma:
        text = text.str.replace(r"^([+-]?\d+),(\d+)$", r"\1.\2", regex=True)
    looks = text.str.fullmatch(_NUMBER.pattern).fillna(False).to_numpy(dtype=bool)
    numbers = np.full(len(text), np.nan)
    if looks.any():
        numbers[looks] = text[looks].astype(float).to_numpy()
    ok = looks & np.isfinite(numbers)
    return numbers, ok


def _read_csv(content: bytes, kind: str) -> tuple[pd.DataFrame, list[Problem]]:
    table, problems, delimiter = _csv_table(content)
    if kind in TABLE_KINDS:
        return table, problems
    lat_col = _find_column(table.columns, LATITUDE_NAMES)
    lon_col = _find_column(table.columns, LONGITUDE_NAMES)
    if lat_col is None or lon_col is None:
        raise LayerError(
            "the CSV file has no latitude/longitude columns: expected a latitude column "
            f"({', '.join(LATITUDE_NAMES)}) and a longitude column "
            f"({', '.join(LONGITUDE_NAMES)}), in any case"
        )
    lat, lat_ok = _csv_numbers(table[lat_col], decimal_comma=delimiter == ";")
    lon, lon_ok = _csv_numbers(table[lon_col], decimal_comma=delimiter == ";")
    good = lat_ok & lon_ok
    geometries = np.full(len(table), None, dtype=object)
    if good.any():
        geometries[good] = shapely.points(lon[good], lat[good])
    for row in np.flatnonzero(~good).tolist():
        for column, ok, what in ((lat_col, lat_ok, "latitude"), (lon_col, lon_ok, "longitude")):
            if ok[row]:
                continue
            raw = str(table[column].iloc[row]).strip()
            reason = "is blank" if not raw else f"must be a finite number, got {raw[:40]!r}"
            problems.append(Problem(f"{what} (column {column!r}) {reason}", "error", row + 1,
                                    _feature_id(table, row), "geometry"))
    problems.sort(key=lambda p: (p.feature is None, p.feature or 0))
    frame = _geo_frame(table, geometries, len(table)).set_crs(4326)
    return frame, problems


_READERS: dict[str, Callable[[bytes, str], tuple[Any, list[Problem]]]] = {
    "geojson": _read_geojson,
    "gpkg": _read_gpkg,
    "shapefile": _read_shapefile_zip,
    "kml": _read_kml,
    "csv": _read_csv,
}
