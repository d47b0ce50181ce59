"""The GeoPackage gate: what a GeoPackage holds, checked with SQLite before GDAL opens it.

A GeoPackage is an SQLite database, and SQLite runs whatever its schema says: a layer
registered in ``gpkg_contents`` may be a VIEW over a recursive query that never ends
(issue 16), or a virtual table backed by a module. GDAL would run it while reading the
layer. So before GDAL sees the file, :func:`check_geopackage` opens it with Python's
own ``sqlite3``, read-only and immutable, with a progress handler that stops any
statement running longer than :data:`mutualaid.settings.GPKG_CHECK_TIMEOUT_S`, and
accepts only

* a file with the GeoPackage tables ``gpkg_contents``, ``gpkg_geometry_columns`` and
  ``gpkg_spatial_ref_sys``, each a plain table;
* entries of ``gpkg_contents`` that are plain tables (no view, no virtual table), of
  which the ``features`` ones with a geometry column are the layers;
* a chosen layer with at most :data:`mutualaid.settings.MAX_COLUMNS` columns and
  :data:`mutualaid.settings.MAX_FEATURES` rows.

GDAL is then told the one layer to read (which it looks up in ``gpkg_contents``).
"""

from __future__ import annotations

import sqlite3
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from mutualaid import settings
from mutualaid.errors import LayerError, UnsafeInputError

__all__ = ["GeoPackageLayer", "check_geopackage"]

#: The GeoPackage tables GDAL reads to find and describe a layer.
_REQUIRED_TABLES = ("gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys")
#: SQLite virtual machine instructions between two looks at the clock.
_PROGRESS_STEPS = 1_000
_NAME_SHOWN = 60


@dataclass(frozen=True)
class GeoPackageLayer:
    """The layer of a GeoPackage that passed the gate.

    Parameters
    ----------
    name : str
        The table's name, as ``gpkg_contents`` registers it (GDAL's layer name).
    untyped : list of str
        Its columns declared without a type (GDAL reads them as text).
    """

    name: str
    untyped: list[str] = field(default_factory=list)


def _shown(name: object) -> str:
    text = str(name)
    return repr(text if len(text) <= _NAME_SHOWN else text[: _NAME_SHOWN - 1] + "…")


def _connect(path: Path) -> tuple[sqlite3.Connection, list[float]]:
    """A read-only, immutable connection whose statements stop at the deadline."""
    uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    deadline = [time.monotonic() + settings.GPKG_CHECK_TIMEOUT_S]

    def stop_when_late() -> int:
        return 1 if time.monotonic() > deadline[0] else 0  # non-zero interrupts the statement

    connection.set_progress_handler(stop_when_late, _PROGRESS_STEPS)
    # Functions in the schema (views, triggers, defaults) run only if marked innocuous.
    connection.execute("PRAGMA trusted_schema = OFF")
    connection.execute("PRAGMA query_only = ON")
    return connection, deadline


def _what(kind: str, sql: str | None) -> str:
    """``table``, ``virtual table``, ``view``, ``index``, ``trigger`` from sqlite_master."""
    if kind == "table" and (sql or "").lstrip()[:20].upper().replace("  ", " ").startswith(
        "CREATE VIRTUAL"
    ):
        return "virtual table"
    return kind


def check_geopackage(path: str | Path, *, kind: str) -> GeoPackageLayer:
    """Check a GeoPackage's schema and choose the layer to read, without running it.

    Parameters
    ----------
    path : str or Path
        A local copy of the file (a temporary file for an upload).
    kind : str
        The layer kind wanted: with several layers, the one of that name is chosen.

    Returns
    -------
    GeoPackageLayer
        The one plain feature table to read.

    Raises
    ------
    UnsafeInputError
        When ``gpkg_contents`` registers a view or a virtual table, or a GeoPackage table
        is not a plain table, or a check ran past its time.
    LayerError
        When the file is not a readable GeoPackage, holds no layer with geometries or
        several without one named *kind*, or the layer has too many columns or rows.
    """
    try:
        connection, _deadline = _connect(Path(path))
    except sqlite3.Error as exc:
        raise LayerError(f"the file is not a readable GeoPackage ({exc})") from None
    try:
        return _check(connection, kind=kind)
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc).lower():
            raise UnsafeInputError(
                f"checking the GeoPackage took longer than "
                f"{settings.GPKG_CHECK_TIMEOUT_S:g} s and was stopped; the file is refused "
                f"(a GeoPackage for this tool holds plain tables of features)"
            ) from None
        raise LayerError(f"the file is not a readable GeoPackage ({exc})") from None
    except sqlite3.Error as exc:
        raise LayerError(f"the file is not a readable GeoPackage ({exc})") from None
    finally:
        connection.close()


def _check(connection: sqlite3.Connection, *, kind: str) -> GeoPackageLayer:
    objects: dict[str, str] = {}
    for what, name, sql in connection.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view')"
    ):
        objects[str(name).casefold()] = _what(str(what), sql)
    for table in _REQUIRED_TABLES:
        found = objects.get(table)
        if found is None:
            raise LayerError(
                f"the file is an SQLite database but not a GeoPackage: it has no {table} table"
            )
        if found != "table":
            raise UnsafeInputError(
                f"the GeoPackage's {table} is a {found}, not a table; the file is refused"
            )
    contents = connection.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
    for name, _ in contents:
        found = objects.get(str(name).casefold())
        if found == "table":
            continue
        if found is None:
            raise LayerError(
                f"the GeoPackage lists a layer {_shown(name)} that is not in the "
                f"file; the file is damaged"
            )
        raise UnsafeInputError(
            f"the GeoPackage layer {_shown(name)} is a {found} (a stored query), not a table "
            f"of features; only plain feature tables are read, so the file is refused. Save "
            f"the layer's features as a table (in QGIS: Export > Save Features As, "
            f"GeoPackage)"
        )
    with_geometry = {
        str(t).casefold()
        for (t,) in connection.execute("SELECT table_name FROM gpkg_geometry_columns")
    }
    layers = [
        str(name)
        for name, data_type in contents
        if str(data_type).casefold() == "features" and str(name).casefold() in with_geometry
    ]
    chosen = _choose(layers, kind=kind)
    return _checked_table(connection, chosen)


def _choose(layers: list[str], *, kind: str) -> str:
    if len(layers) == 1:
        return layers[0]
    if not layers:
        raise LayerError("the GeoPackage holds no layer with geometries")
    named = [name for name in layers if name.lower() == kind]
    if len(named) == 1:
        return named[0]
    raise LayerError(
        f"the GeoPackage holds {len(layers)} layers ({', '.join(layers[:10])}); keep only "
        f"the {kind} layer in it, or name that layer {kind!r}"
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _checked_table(connection: sqlite3.Connection, name: str) -> GeoPackageLayer:
    columns = connection.execute(f"PRAGMA table_info({_quoted(name)})").fetchall()
    if len(columns) > settings.MAX_COLUMNS:
        raise LayerError(
            f"the GeoPackage layer {_shown(name)} has {len(columns):,} columns; "
            f"the most accepted is {settings.MAX_COLUMNS:,}"
        )
    geometry = {
        str(c).casefold()
        for (c,) in connection.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ? COLLATE NOCASE",
            (name,),
        )
    }
    untyped = [
        str(column[1])
        for column in columns
        if not str(column[2] or "").strip() and str(column[1]).casefold() not in geometry
    ]
    (rows,) = connection.execute(
        # The table name comes from the file, quoted as an SQL identifier (_quoted); the
        # limit is a bound parameter.
        f"SELECT count(*) FROM (SELECT 1 FROM {_quoted(name)} LIMIT ?)",  # noqa: S608
        (settings.MAX_FEATURES + 1,),
    ).fetchone()
    if rows > settings.MAX_FEATURES:
        raise LayerError(
            f"the layer has more than {settings.MAX_FEATURES:,} features; the "
            f"most accepted is {settings.MAX_FEATURES:,}"
        )
    return GeoPackageLayer(name=name, untyped=untyped)
