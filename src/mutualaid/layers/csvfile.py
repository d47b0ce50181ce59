"""CSV layers: a table of text; for point layers, latitude/longitude columns become Points.

Agreements and travel times are CSV only and carry no geometry. The delimiter is a
comma unless the header uses semicolons (then decimal commas are read too) or tabs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import numpy as np
import pandas as pd
import shapely

from mutualaid import settings
from mutualaid.errors import LayerError
from mutualaid.layers.frames import feature_id, geo_frame
from mutualaid.layers.geojson import decode_utf8
from mutualaid.layers.kml import NUMBER_PATTERN
from mutualaid.layers.problems import Problem

__all__ = ["read_csv", "LATITUDE_NAMES", "LONGITUDE_NAMES", "TABLE_KINDS"]

#: Kinds that are plain tables (CSV only, no geometry).
TABLE_KINDS = ("agreements", "travel_times")


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
        rows = list(_bounded_rows(reader))
    except csv.Error as exc:
        raise LayerError(f"the CSV file cannot be read at line {reader.line_num}: {exc}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise LayerError("the CSV file has no header row")
    header = [name.strip() for name in rows[0]]
    body = rows[1:]
    if len(body) > settings.MAX_FEATURES:
        raise LayerError(
            f"the CSV file has {len(body):,} rows; the most accepted is {settings.MAX_FEATURES:,}"
        )
    keep = _named_columns(header, body)
    header = [header[i] for i in keep]
    width = len(rows[0])
    problems: list[Problem] = []
    cleaned = []
    for number, row in enumerate(body, start=1):
        if len(row) > width and any(cell.strip() for cell in row[width:]):
            problems.append(
                Problem(
                    f"the row has {len(row)} values but the header names {width} columns; "
                    f"the extra values were ignored",
                    "error",
                    number,
                    None,
                    None,
                )
            )
        row = row[:width] + [""] * (width - len(row))
        cleaned.append([row[i] for i in keep])
    frame = (
        pd.DataFrame(cleaned, columns=header, dtype=str)
        if cleaned
        else pd.DataFrame({name: pd.Series([], dtype=str) for name in header})
    )
    frame.index = pd.RangeIndex(len(frame))
    if "id" in frame.columns:
        ids = frame["id"]
        problems = [
            p
            if p.feature is None
            else Problem(p.message, p.severity, p.feature, ids.iloc[p.feature - 1] or None, p.field)
            for p in problems
        ]
    return frame, problems, delimiter


def _bounded_rows(reader: Iterable[list[str]]) -> Iterable[list[str]]:
    """The reader's rows, refusing any with more values than ``settings.MAX_COLUMNS``
    as soon as it is met: a 100,000-column file is refused before it is kept in memory."""
    limit = settings.MAX_COLUMNS
    for number, row in enumerate(reader, start=1):
        if len(row) > limit:
            what = "header row" if number == 1 else f"row {number - 1}"
            raise LayerError(
                f"the CSV file's {what} has {len(row):,} columns; the most "
                f"accepted is {limit:,} (keep only the columns of the layer)"
            )
        yield row


def _named_columns(header: list[str], body: list[list[str]]) -> list[int]:
    """Positions of the columns to keep: named ones, and unnamed ones only if they are empty."""
    seen: set[str] = set()
    keep = []
    for i, name in enumerate(header):
        if not name:
            if any(i < len(row) and row[i].strip() for row in body):
                raise LayerError(
                    f"column {i + 1} of the CSV file has values but no name in the header row"
                )
            continue  # an empty trailing column, as spreadsheets write them
        if name in seen:
            raise LayerError(f"the column {name!r} appears twice in the CSV header")
        seen.add(name)
        keep.append(i)
    return keep


def _find_column(columns: Iterable[str], names: tuple[str, ...]) -> str | None:
    by_lower: dict[str, str] = {}
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
    looks = text.str.fullmatch(NUMBER_PATTERN.pattern).fillna(False).to_numpy(dtype=bool)
    numbers = np.full(len(text), np.nan)
    if looks.any():
        numbers[looks] = text[looks].astype(float).to_numpy()
    ok = looks & np.isfinite(numbers)
    return numbers, ok


def read_csv(content: bytes, kind: str) -> tuple[pd.DataFrame, list[Problem]]:
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
            problems.append(
                Problem(
                    f"{what} (column {column!r}) {reason}",
                    "error",
                    row + 1,
                    feature_id(table, row),
                    "geometry",
                )
            )
    problems.sort(key=lambda p: (p.feature is None, p.feature or 0))
    frame = geo_frame(table, geometries, len(table)).set_crs(4326)
    return frame, problems
