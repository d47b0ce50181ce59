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
    Checked first with SQLite by :mod:`mutualaid.layers.geopackage` (only a plain
    feature table registered in ``gpkg_contents`` is read, never a view or a virtual
    table), then GDAL's GPKG driver through pyogrio, opened as ``GPKG:<path>`` so that
    no other driver is tried.
Zipped Shapefile (``.zip``)
    Checked by :mod:`mutualaid.layers.safety`, the ``.shp``, ``.shx``, ``.dbf`` and
    optional ``.prj`` and ``.cpg`` extracted under fixed names, each part's first
    bytes checked, then GDAL's ESRI Shapefile driver. A ``.prj`` holding a PROJ string
    instead of WKT is understood too.
KML (``.kml``)
    :mod:`mutualaid.layers.kml`, with defusedxml; any DOCTYPE (and so every entity)
    is refused.
CSV (``.csv``)
    :mod:`mutualaid.layers.csvfile`, read as text; for point layers the latitude and
    longitude columns become Point geometries. Agreements and travel times are CSV
    only and carry no geometry.

GDAL's VRT drivers, which can make GDAL read any file on the server, are switched
off when this module is imported, and every GDAL read checks the driver that
opened the file.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely

from mutualaid import settings
from mutualaid.errors import LayerError, UnsupportedFormatError
from mutualaid.layers import safety
from mutualaid.layers.csvfile import LATITUDE_NAMES, LONGITUDE_NAMES, TABLE_KINDS, read_csv
from mutualaid.layers.frames import feature_id, finish_frame, geo_frame, short_error
from mutualaid.layers.geojson import parse_geojson
from mutualaid.layers.geopackage import check_geopackage
from mutualaid.layers.kml import read_kml
from mutualaid.layers.problems import Problem

_LOG = logging.getLogger(__name__)

__all__ = [
    "RawLayer",
    "read_layer",
    "ACCEPTED_FORMATS",
    "TABLE_KINDS",
    "LATITUDE_NAMES",
    "LONGITUDE_NAMES",
    "vrt_drivers_disabled",
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
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shapefile",
    ".kml": "kml",
    ".csv": "csv",
}
#: The accepted formats in words, for messages.
ACCEPTED_FORMATS = (
    "GeoJSON (.geojson or .json), GeoPackage (.gpkg), zipped Shapefile (.zip), "
    "KML (.kml) or CSV with latitude/longitude columns (.csv)"
)
_ZIP_HINT = " (put the .shp, .shx, .dbf and .prj files together in one .zip)"
_HINTS = {
    ".shp": _ZIP_HINT,
    ".shx": _ZIP_HINT,
    ".dbf": _ZIP_HINT,
    ".kmz": " (a .kmz is a zipped KML: unzip it and upload the .kml inside)",
}
#: Layer kinds that are plain tables, read from CSV only.
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
_SUGGESTED_EXTENSION = {
    "gpkg": ".gpkg",
    "zip": ".zip",
    "json": ".geojson",
    "xml": ".kml",
    "text": ".csv",
}

_SQLITE_MAGIC = b"SQLite format 3\x00"
_MAX_GDAL_NOTES = 5
_SHP_MAGIC = b"\x00\x00\x27\x0a"  # file code 9994, big-endian, in .shp and .shx headers
# dBASE version bytes GDAL writes or reads (III, IV, V, FoxPro, Visual FoxPro, with memo).
_DBF_VERSIONS = frozenset(
    {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0x8E, 0xCB, 0xE5, 0xF5, 0xFB}
)


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


def read_layer(
    source: str | os.PathLike[str],
    *,
    kind: str,
    data: bytes | None = None,
    filename: str | None = None,
) -> RawLayer:
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
        raise ValueError(
            f"unknown layer kind {kind!r}; expected one of {', '.join(_GEO_KINDS + TABLE_KINDS)}"
        )
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
    except Exception as exc:  # noqa: BLE001 - never a traceback for a file, whatever it holds
        _LOG.info("the file %s could not be read", shown, exc_info=True)
        raise LayerError(f"the file could not be read: {short_error(exc)}") from None
    return RawLayer(frame=frame, problems=problems, format=fmt, source=shown)


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
                stripped = head[len(bom) :].replace(b"\x00", b"").lstrip()
                return _sniff_text(stripped)
            head = head[len(bom) :]
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


# --- GeoJSON -------------------------------------------------------------------------------------


def _read_geojson(content: bytes, kind: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    return parse_geojson(content)


# --- GDAL formats: GeoPackage and zipped Shapefile -----------------------------------------------


def _read_with_gdal(
    dataset: str, *, driver: str, layer: str | None, what: str, quiet: tuple[str, ...] = ()
) -> tuple[gpd.GeoDataFrame, list[Problem], Any]:
    """Read one layer with pyogrio after checking which GDAL driver opened it.

    ``what`` names the format in messages ("a GeoPackage"); GDAL's notes listed in
    ``quiet`` are dropped (the caller says them in its own words). Returns the frame (2D,
    no CRS set yet), the problems, and the CRS the file declares (None if none).
    """
    # GDAL's warnings (a value that did not fit its field...) arrive as Python warnings;
    # they are shown to the coordinator as warning problems instead of on stderr.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame, problems, crs = _read_checked(dataset, driver=driver, layer=layer, what=what)
    notes = dict.fromkeys(
        str(w.message).strip()
        for w in caught
        if issubclass(w.category, RuntimeWarning) and str(w.message).strip() not in quiet
    )
    problems.extend(
        Problem(f"while reading {what}: {note}", "warning")
        for note in list(notes)[:_MAX_GDAL_NOTES]
        if note
    )
    return frame, problems, crs


def _read_checked(
    dataset: str, *, driver: str, layer: str | None, what: str
) -> tuple[gpd.GeoDataFrame, list[Problem], Any]:
    try:
        info = pyogrio.read_info(dataset, layer=layer)
    except Exception as exc:  # noqa: BLE001 - GDAL's errors come in many types
        _LOG.info("GDAL could not open a file as %s", what, exc_info=True)
        raise LayerError(f"the file cannot be opened as {what}: {short_error(exc)}") from None
    if info.get("driver") != driver:
        raise UnsupportedFormatError(
            f"the file was recognised as {info.get('driver')!r}, not {driver!r}; it is refused"
        )
    count = info.get("features", -1)
    if count is not None and count > settings.MAX_FEATURES:
        raise LayerError(
            f"the layer has {count:,} features; the most accepted is {settings.MAX_FEATURES:,}"
        )
    # The count was checked above when GDAL knows it; only an unknown count needs a cap.
    # (With a cap beyond the count, pyogrio raises on a damaged geometry blob instead of
    # returning None for that feature, which the validator then reports as missing.)
    limit = settings.MAX_FEATURES + 1 if count is None or count < 0 else None
    try:
        meta, _fids, wkb, values = pyogrio.raw.read(
            dataset, layer=layer, datetime_as_string=True, max_features=limit
        )
    except Exception as exc:  # noqa: BLE001 - GDAL's errors come in many types
        _LOG.info("GDAL could not read a layer", exc_info=True)
        raise LayerError(f"the layer cannot be read: {short_error(exc)}") from None
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
        damaged = np.flatnonzero(
            pd.notna(pd.Series(wkb, dtype=object)).to_numpy()
            & pd.isna(pd.Series(geometries, dtype=object)).to_numpy()
        ).tolist()
    frame = geo_frame(columns, geometries, n)
    problems = [
        Problem(
            "the geometry is damaged and cannot be decoded",
            "error",
            row + 1,
            feature_id(frame, row),
            "geometry",
        )
        for row in damaged
    ]
    return frame, problems, meta.get("crs")


def _read_gpkg(content: bytes, kind: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    with tempfile.TemporaryDirectory(prefix="mutualaid-gpkg-") as folder:
        path = Path(folder) / "layer.gpkg"
        path.write_bytes(content)
        # SQLite checks the schema first: GDAL only ever reads one plain feature table.
        checked = check_geopackage(path, kind=kind)
        # The GPKG: prefix makes GDAL use that driver and no other.
        dataset = f"GPKG:{path}"
        frame, problems, crs = _read_with_gdal(
            dataset,
            driver="GPKG",
            layer=checked.name,
            what="a GeoPackage",
            quiet=_UNTYPED_FIELD_NOTES,
        )
    if checked.untyped:
        names = ", ".join(repr(name) for name in checked.untyped[:10])
        more = f" and {len(checked.untyped) - 10} more" if len(checked.untyped) > 10 else ""
        problems.append(
            Problem(
                f"the GeoPackage column(s) {names}{more} have no type; their values were read "
                f"as text",
                "warning",
            )
        )
    if crs is None:
        problems.append(
            Problem(
                "the GeoPackage layer declares no coordinate reference system; "
                "EPSG:4326 (longitude, latitude) was assumed",
                "warning",
                field="geometry",
            )
        )
    return finish_frame(frame, problems, crs=crs, crs_origin="the GeoPackage"), problems


#: GDAL's notes on a column declared without a type (said in our words instead).
_UNTYPED_FIELD_NOTES = ("Field format '' not supported",)


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
            frame, problems, crs = _read_with_gdal(
                str(folder / "layer.shp"), driver="ESRI Shapefile", layer=None, what="a shapefile"
            )
            origin = "the .prj file"
            prj = _prj_text(folder / "layer.prj") if "layer.prj" in wanted else ""
    if crs is None and prj:
        # GDAL reads a .prj as WKT; some tools write a PROJ string there instead.
        crs = _crs_from_proj_string(prj, shown=wanted["layer.prj"].name)
        origin = "the PROJ string in the .prj file"
    if crs is None:
        problems.append(
            Problem(
                "the shapefile has no .prj file; EPSG:4326 (longitude, latitude) was assumed",
                "warning",
                field="geometry",
            )
        )
    return finish_frame(frame, problems, crs=crs, crs_origin=origin), problems


_PRJ_MAX_BYTES = 64 * 1024
#: One ``+key`` or ``+key=value`` of a PROJ string.
_PROJ_TOKEN = re.compile(r"\+([A-Za-z_][A-Za-z0-9_]*)(?:=([A-Za-z0-9_.,:+\-]*))?")
#: PROJ keys and operations that read other files (grids, init files) or chain
#: operations: a .prj names one coordinate reference system, nothing else.
_PROJ_REFUSED = frozenset(
    {
        "init",
        "nadgrids",
        "geoidgrids",
        "grids",
        "file",
        "step",
        "inv",
        "pipeline",
        "hgridshift",
        "vgridshift",
        "xyzgridshift",
        "gridshift",
        "deformation",
        "tinshift",
        "vertoffset",
    }
)


def _prj_text(path: Path) -> str:
    """The .prj file's text, stripped ('' when empty or missing)."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(_PRJ_MAX_BYTES + 1)
    except OSError:
        return ""
    return raw.decode("utf-8", errors="replace").strip()


def _crs_from_proj_string(text: str, *, shown: str) -> Any:
    """The CRS a PROJ string (``+proj=utm +zone=32 ...``) in a .prj file names.

    Raises LayerError when the text is not a PROJ string of one coordinate reference
    system: GDAL did not understand it as WKT either, so it is "not understood", never
    "missing".
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    refusal = LayerError(
        f"the shapefile's {shown!r} is not understood: it is neither a WKT nor a PROJ "
        f"definition of a coordinate reference system; save the layer again with its "
        f".prj, or in EPSG:4326"
    )
    tokens = text.split()
    if (
        len(text) > _PRJ_MAX_BYTES
        or not tokens
        or not all(_PROJ_TOKEN.fullmatch(token) for token in tokens)
    ):
        raise refusal
    matches = [_PROJ_TOKEN.fullmatch(token) for token in tokens]
    keys = {match.group(1).lower(): match.group(2) for match in matches if match is not None}
    if (
        "proj" not in keys
        or keys.keys() & _PROJ_REFUSED
        or str(keys["proj"]).lower() in _PROJ_REFUSED
    ):
        raise refusal
    try:
        crs = CRS.from_proj4(" ".join(tokens))
    except CRSError:
        raise refusal from None
    if not (crs.is_geographic or crs.is_projected):
        raise refusal
    return crs


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
        head = handle.read(32)
    if not head or head[0] not in _DBF_VERSIONS:
        raise UnsupportedFormatError(f"{wanted['layer.dbf'].name!r} is not a dBASE (.dbf) file")
    # The header is 32 bytes, then 32 bytes per field, then a terminator byte.
    fields = (int.from_bytes(head[8:10], "little") - 33) // 32 if len(head) >= 10 else 0
    if fields > settings.MAX_COLUMNS:
        raise LayerError(
            f"the shapefile has {fields:,} columns; the most accepted is {settings.MAX_COLUMNS:,}"
        )


_READERS: dict[str, Callable[[bytes, str], tuple[Any, list[Problem]]]] = {
    "geojson": _read_geojson,
    "gpkg": _read_gpkg,
    "shapefile": _read_shapefile_zip,
    "kml": read_kml,
    "csv": read_csv,
}
