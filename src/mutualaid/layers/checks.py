"""Column checks shared by the validators of every layer kind.

Each check works on a whole column at once (pandas/numpy/shapely), then writes a
message only for the rows that fail, so that 50,000 features cost milliseconds.
Every message names the field, what is wrong and what would be right; the
:class:`Checker` adds the feature's position and id.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely

from mutualaid.layers.fields import type_key
from mutualaid.layers.problems import Problem, Severity
from mutualaid.settings import MAX_TEXT_LENGTH

#: Most feature positions listed in one message about a group of features.
_MAX_LISTED = 8

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# ISO 8601 / RFC 3339 date or date-time: 2024-06-01, 2024-06-01T14:30, 2024-06-01 14:30:05.25Z,
# 2024-06-01T14:30:00+02:00. Anything looser ("yesterday", "2024", "01/06/2024") is refused.
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(?P<time>[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(?P<zone>Z|[+-]\d{2}(:?\d{2})?)?)?$",
    re.IGNORECASE,
)
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


# --- Showing values in messages ---------------------------------------------------------


def shown(value: Any, *, limit: int = 60) -> str:
    """A value as a person should see it in a message: text quoted, numbers bare,
    ``true``/``false`` for booleans, ``nothing`` for a missing value."""
    if is_missing(value):
        return "nothing"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return _shown_int(int(value), limit=limit)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (dict, list, tuple)):
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = str(value)
        return text if len(text) <= limit else text[: limit - 1] + "…"
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


def _shown_int(value: int, *, limit: int) -> str:
    """A whole number, or how long it is when it has more than *limit* digits."""
    try:
        text = str(value)
    except ValueError:  # beyond sys.get_int_max_str_digits()
        return "a whole number thousands of digits long"
    digits = len(text.lstrip("-"))
    return text if len(text) <= limit else f"a whole number {digits:,} digits long"


def is_missing(value: Any) -> bool:
    """True for None, NaN, NA, NaT and blank text (an empty CSV cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return True
    if isinstance(value, np.datetime64) and np.isnat(value):
        return True
    return isinstance(value, str) and not value.strip()


def _listing(positions: Sequence[int]) -> str:
    """``features 3, 7 and 12`` (positions counted from 1), shortened when long."""
    shown_pos = [str(p) for p in positions[:_MAX_LISTED]]
    more = len(positions) - len(shown_pos)
    if more > 0:
        return f"features {', '.join(shown_pos)} and {more} more"
    if len(shown_pos) == 1:
        return f"feature {shown_pos[0]}"
    return f"features {', '.join(shown_pos[:-1])} and {shown_pos[-1]}"


# --- Collecting problems ------------------------------------------------------------


class Checker:
    """Collects the problems of one layer.

    Parameters
    ----------
    ids : sequence of str or None
        The id of each feature as written in the file (None when it has none), in
        file order; position ``i`` is feature ``i + 1``.
    """

    def __init__(self, ids: Sequence[str | None]):
        self.ids = list(ids)
        self.problems: list[Problem] = []

    @property
    def n(self) -> int:
        """The number of features."""
        return len(self.ids)

    def file(self, message: str, *, field: str | None = None, severity: Severity = "error") -> None:
        """A problem with the whole layer."""
        self.problems.append(Problem(message, severity, None, None, field))

    def at(
        self, i: int, message: str, *, field: str | None = None, severity: Severity = "error"
    ) -> None:
        """A problem with the feature at position *i* (counted from 0)."""
        self.problems.append(Problem(message, severity, int(i) + 1, self.ids[int(i)], field))

    def rows(
        self,
        mask: np.ndarray,
        message: Callable[[int], str],
        *,
        field: str | None,
        severity: Severity = "error",
    ) -> None:
        """A problem for every row where *mask* is true; *message* gets the row position."""
        for i in np.flatnonzero(mask):
            self.at(int(i), message(int(i)), field=field, severity=severity)

    def group(
        self,
        positions: Sequence[int],
        message: str,
        *,
        field: str | None,
        severity: Severity = "error",
    ) -> None:
        """One problem for several features (attached to the first one), listing them all."""
        if not positions:
            return
        text = message
        if len(positions) > 1:
            text += f" ({_listing([p + 1 for p in positions])})"
        self.at(positions[0], text, field=field, severity=severity)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def sorted_problems(self) -> list[Problem]:
        """Whole-layer problems first, then by feature position; stable otherwise."""
        return sorted(self.problems, key=lambda p: -1 if p.feature is None else p.feature)


# --- Text --------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", errors="replace")
    text = str(value).strip()
    return text or None


def _all_text(series: pd.Series) -> bool:
    """True when every present cell is a str (the usual CSV or GeoJSON text column)."""
    if not pd.api.types.is_string_dtype(series.dtype):
        return False
    return series.dtype != object or pd.api.types.infer_dtype(series, skipna=True) in (
        "string",
        "empty",
    )


def as_text(series: pd.Series) -> list[str | None]:
    """Each cell as stripped text, None when missing or blank; ``7.0`` becomes ``"7"``
    (an integer id column with a gap is read as floats)."""
    if _all_text(series):
        # All text: strip and blank-out in one vectorised pass (Arrow-backed strings).
        stripped = series.astype("str").str.strip()
        keep = (stripped.notna() & (stripped != "")).to_numpy(dtype=bool)
        return stripped.astype(object).where(keep, None).tolist()
    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        return [str(v) for v in series.tolist()]
    return [_text(v) for v in series.tolist()]


def distinct(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """``codes, values`` with ``series[i] == values[codes[i]]``: a text column with few
    distinct words (hazards, statuses, types) is then checked once per word, not once
    per feature. Columns that are not all text keep one value per row, so that
    ``True`` and ``1`` (equal in Python) are never confused."""
    if _all_text(series):
        codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
        values = list(uniques) + [None]
        return np.where(codes < 0, len(values) - 1, codes), values
    return np.arange(len(series)), series.tolist()


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def raw_ids(frame: pd.DataFrame, field: str = "id") -> list[str | None]:
    """The id of each feature for messages, before it is checked: shortened, and with
    control characters shown as ``?`` so that every problem stays on one line."""
    if field not in frame.columns:
        return [None] * len(frame)
    return [_CONTROL.sub("?", t[:MAX_TEXT_LENGTH]) if t else t for t in as_text(frame[field])]


def required_column(chk: Checker, frame: pd.DataFrame, field: str, *, what: str) -> bool:
    """False (and one error for the layer) when a required field has no column."""
    if field in frame.columns:
        return True
    if chk.n == 0:  # an empty layer has no columns to speak of; it is judged as empty
        return False
    columns = ", ".join(repr(str(c)) for c in frame.columns if c != "geometry") or "none"
    chk.file(
        f"the layer has no {field} column ({what}); if the file calls it something "
        f"else, map it with --map {field}=COLUMN (its columns are: {columns})",
        field=field,
    )
    return False


def id_column(
    chk: Checker, series: pd.Series | None, *, field: str = "id", reserved: Iterable[str] = ()
) -> list[str | None]:
    """Ids: required, non-blank, not too long, unique; duplicates name every feature
    that shares the id."""
    if series is None:
        return [None] * chk.n
    values = as_text(series)
    reserved = set(reserved)
    for i, v in enumerate(values):
        if v is None:
            chk.at(i, f"{field} is required: give every feature its own {field}", field=field)
        elif len(v) > MAX_TEXT_LENGTH:
            chk.at(i, f"{field} is longer than {MAX_TEXT_LENGTH} characters", field=field)
            values[i] = None
        elif _CONTROL.search(v):
            chk.at(
                i,
                f"{field} must not contain line breaks, tabs or other control "
                f"characters, got {shown(v)}",
                field=field,
            )
            values[i] = None
        elif v in reserved:
            chk.at(
                i,
                f"{field} {v!r} is reserved (in agreements it means every jurisdiction); "
                "choose another id",
                field=field,
            )
    ids = pd.Series(values, dtype=object)
    dup = ids.notna() & ids.duplicated(keep=False)
    if dup.any():
        groups = pd.Series(np.flatnonzero(dup.to_numpy())).groupby(ids[dup].to_numpy(), sort=False)
        for value, members in groups:
            positions = members.tolist()
            chk.at(
                positions[1],
                f"{field} {value!r} is used by {len(positions)} features "
                f"({_listing([p + 1 for p in positions])}); "
                f"{field}s must be unique",
                field=field,
            )
    return values


def name_column(
    chk: Checker, series: pd.Series | None, default: Sequence[str | None]
) -> list[str | None]:
    """Names: optional, default to the id, cut to a sensible length."""
    if series is None:
        return list(default)
    values = as_text(series)
    out: list[str | None] = []
    for i, v in enumerate(values):
        if v is not None and len(v) > MAX_TEXT_LENGTH:
            chk.at(
                i,
                f"name is longer than {MAX_TEXT_LENGTH} characters; it was shortened",
                field="name",
                severity="warning",
            )
            v = v[:MAX_TEXT_LENGTH]
        out.append(v if v is not None else default[i])
    return out


def country_column(chk: Checker, series: pd.Series | None) -> list[str | None]:
    """ISO 3166-1 alpha-2 country codes, any case, stored upper case."""
    if series is None:
        return [None] * chk.n
    raw = series.tolist()
    values = as_text(series)
    out: list[str | None] = []
    for i, v in enumerate(values):
        code = v.upper() if v is not None else None
        if code is None:
            chk.at(
                i, "country is required: the two-letter ISO 3166-1 code such as DE", field="country"
            )
        elif not _COUNTRY.match(code):
            hint = ""
            if re.fullmatch(r"[A-Z]{3}", code):
                hint = " (a three-letter code; use the two-letter one, e.g. DE for DEU)"
            chk.at(
                i,
                f"country must be a two-letter ISO 3166-1 code such as DE, "
                f"got {shown(raw[i])}{hint}",
                field="country",
            )
            code = None
        out.append(code)
    return out


# --- Numbers -----------------------------------------------------------------------------


@dataclass
class Numbers:
    """A column read as numbers.

    ``values`` holds floats (NaN where missing or bad); ``missing`` marks empty
    cells; ``bad`` marks cells that hold something that is not a finite number
    (text, a boolean, infinity, NaN written out).
    """

    values: np.ndarray
    missing: np.ndarray
    bad: np.ndarray


def parse_numbers(series: pd.Series) -> Numbers:
    """Read a column as numbers without ever treating a boolean as one."""
    n = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        missing = series.isna().to_numpy()
        return Numbers(np.full(n, np.nan), missing, ~missing)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        missing = series.isna().to_numpy()
        bad = ~missing & ~np.isfinite(values)
        return Numbers(np.where(bad, np.nan, values), missing, bad)
    cells = series.astype(object).tolist()
    missing = np.fromiter((is_missing(v) for v in cells), dtype=bool, count=n)
    booleans = np.fromiter((isinstance(v, (bool, np.bool_)) for v in cells), dtype=bool, count=n)
    # Strings are stripped; anything else that is not a number (dicts, lists) becomes NaN.
    # An int beyond float's range (a JSON number of hundreds of digits) is not a number
    # here: it would stop pandas with "int too large to convert to float".
    prepared = [
        None
        if (m or b)
        else (
            v.strip()
            if isinstance(v, str)
            else "x"
            if isinstance(v, int) and v.bit_length() > 1000
            else v
            if isinstance(v, (int, float, np.number))
            else "x"
        )
        for v, m, b in zip(cells, missing, booleans)
    ]
    values = pd.to_numeric(pd.Series(prepared, dtype=object), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    bad = ~missing & (booleans | ~np.isfinite(values))
    return Numbers(np.where(bad, np.nan, values), missing, bad)


def _number_hint(value: Any) -> str:
    if isinstance(value, str):
        if value.strip().endswith("%"):
            return " (write a share as a decimal: 0.5, not 50%)"
        if _DECIMAL_COMMA.match(value):
            return " (use a dot for decimals: 2.5, not 2,5)"
    return ""


def integer_column(
    chk: Checker,
    series: pd.Series | None,
    *,
    field: str,
    lo: int,
    hi: int,
    required: bool,
    default: int | None = None,
) -> np.ndarray:
    """Whole numbers in ``lo..hi``: 3, 3.0 and "3" are accepted; 3.5, "three", true,
    NaN and infinity are not. Returns int64 values (0 where rejected or missing
    without default)."""
    rule = f"{field} must be a whole number from {lo:,} to {hi:,}"
    if series is None:
        return np.full(chk.n, default if default is not None else 0, dtype=np.int64)
    nums = parse_numbers(series)
    v = nums.values
    whole = np.isfinite(v) & (np.floor(v) == v)
    ok = whole & (v >= lo) & (v <= hi)
    wrong = ~nums.missing & ~ok
    raw = series.tolist()
    chk.rows(wrong, lambda i: f"{rule}, got {shown(raw[i])}{_number_hint(raw[i])}", field=field)
    if required:
        chk.rows(
            nums.missing, lambda i: f"{field} is required ({rule[len(field) + 1 :]})", field=field
        )
    fill = default if default is not None else 0
    return np.where(ok, v, fill).astype(np.int64)


def real_column(
    chk: Checker,
    series: pd.Series | None,
    *,
    field: str,
    rule: str,
    accept: Callable[[np.ndarray], np.ndarray],
    required: bool,
    default: float = np.nan,
) -> np.ndarray:
    """Finite numbers for which ``accept(values)`` holds; *rule* completes
    ``"<field> must be ..."``. Missing cells take *default* (or are an error)."""
    if series is None:
        return np.full(chk.n, default, dtype=float)
    nums = parse_numbers(series)
    v = nums.values
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(v) & accept(v)
    wrong = ~nums.missing & ~ok
    raw = series.tolist()
    chk.rows(
        wrong,
        lambda i: f"{field} must be {rule}, got {shown(raw[i])}{_number_hint(raw[i])}",
        field=field,
    )
    if required:
        chk.rows(nums.missing, lambda i: f"{field} is required ({rule})", field=field)
    return np.where(ok, v, default).astype(float)


# --- Words from a list -------------------------------------------------------------------


def _key(value: Any) -> str | None:
    text = _text(value)
    return None if text is None else type_key(text)


def enum_column(
    chk: Checker, series: pd.Series | None, *, field: str, allowed: Sequence[str], default: str
) -> list[str]:
    """One of *allowed* (any case; spaces or hyphens for ``_``), *default* when empty."""
    if series is None:
        return [default] * chk.n
    codes, values = distinct(series)
    keys = [_key(v) for v in values]
    wrong = np.array([k is not None and k not in allowed for k in keys], dtype=bool)
    choices = ", ".join(allowed)
    chk.rows(
        wrong[codes],
        lambda i: (
            f"{field} must be one of {choices} (empty means "
            f"{default}), got {shown(values[codes[i]])}"
        ),
        field=field,
    )
    result = np.array(
        [default if (k is None or w) else k for k, w in zip(keys, wrong)], dtype=object
    )
    return result[codes].tolist()


def key_column(
    chk: Checker, series: pd.Series | None, *, field: str, known: Sequence[str], what: str
) -> list[str | None]:
    """A key from an extensible list (a hazard, a resource type): required; known
    keys are taken as they are; a well-formed new key (lowercase letters, digits and
    ``_``) is accepted with one warning per distinct key; anything else is an error.
    *what* names the thing ("hazard", "resource type")."""
    if series is None:
        return [None] * chk.n
    codes, values = distinct(series)
    keys = [_key(v) for v in values]
    missing = np.array([k is None for k in keys], dtype=bool)
    bad = np.array(
        [k is not None and (not isinstance(v, str) or not is_key(k)) for k, v in zip(keys, values)],
        dtype=bool,
    )
    chk.rows(
        missing[codes], lambda i: f"{field} is required: one of {', '.join(known)}", field=field
    )
    chk.rows(
        bad[codes],
        lambda i: (
            f"{field} must be a {what} such as {known[0]} (letters, "
            f"digits and _), got {shown(values[codes[i]])}"
        ),
        field=field,
    )
    known_set = set(known)
    is_new = np.array(
        [k is not None and not b and k not in known_set for k, b in zip(keys, bad)], dtype=bool
    )
    new: dict[str, list[int]] = {}
    for i in np.flatnonzero(is_new[codes]):
        new.setdefault(keys[codes[i]], []).append(int(i))
    for key, positions in new.items():
        chk.group(
            positions,
            f"{field} {key!r} is not a known {what}{did_you_mean(key, known)} "
            f"(known: {', '.join(known)}); accepted as a new {what}",
            field=field,
            severity="warning",
        )
    result = np.array(
        [None if (m or b) else k for k, m, b in zip(keys, missing, bad)], dtype=object
    )
    return result[codes].tolist()


def is_key(text: str) -> bool:
    """True for a well-formed key: lowercase letters, digits and ``_``, starting with a
    letter, not too long."""
    return bool(_KEY.match(text)) and len(text) <= MAX_TEXT_LENGTH


def did_you_mean(word: str, known: Sequence[str]) -> str:
    """`` (did you mean 'ambulance'?)`` when *word* is close to a known word, else ``""``."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- Date-times --------------------------------------------------------------------------


def datetime_column(chk: Checker, series: pd.Series | None, *, field: str) -> pd.Series:
    """Required ISO 8601 date-times as UTC timestamps.

    Text with a zone (``Z``, ``+02:00``) is converted to UTC. Text without a zone, and
    a date without a time, are taken as UTC: one warning for the layer says how many
    features that concerns, rather than one per feature. Date-time values a format
    stores natively (GeoPackage) are used as they are.
    """
    empty = pd.Series(pd.NaT, index=range(chk.n), dtype="datetime64[us, UTC]")
    if series is None:
        return empty
    raw = series.reset_index(drop=True)
    rule = "an ISO 8601 date-time such as 2024-06-01T14:30:00Z"
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        missing = raw.isna().to_numpy()
        result = raw.dt.tz_convert("UTC") if raw.dt.tz is not None else raw.dt.tz_localize("UTC")
        chk.rows(missing, lambda i: f"{field} is required ({rule})", field=field)
        if raw.dt.tz is None and (~missing).any():
            chk.file(
                f"{int((~missing).sum()):,} feature(s) give {field} without a time zone; "
                "taken as UTC",
                field=field,
                severity="warning",
            )
        return result.astype("datetime64[us, UTC]")
    result = empty.copy()
    naive = 0
    texts: dict[int, str] = {}
    if _all_text(raw):
        stripped = raw.astype("str").str.strip()
        missing = (stripped.isna() | (stripped == "")).to_numpy(dtype=bool)
        chk.rows(missing, lambda i: f"{field} is required ({rule})", field=field)
        positions = np.flatnonzero(~missing)
        strings = stripped[~missing].reset_index(drop=True)
    else:
        cells = raw.astype(object).tolist()
        missing = np.fromiter((is_missing(v) for v in cells), dtype=bool, count=chk.n)
        chk.rows(missing, lambda i: f"{field} is required ({rule})", field=field)
        for i, v in enumerate(cells):
            if missing[i]:
                continue
            if isinstance(v, str):
                texts[i] = v.strip()
                continue
            if isinstance(v, (pd.Timestamp, datetime.datetime, np.datetime64, datetime.date)):
                ts = pd.Timestamp(v)  # a datetime.date alone is midnight
            else:
                chk.at(i, f"{field} must be {rule}, got {shown(v)}", field=field)
                continue
            if ts.tzinfo is None:
                naive += 1
                ts = ts.tz_localize("UTC")
            result.iat[i] = ts.tz_convert("UTC")
        positions = np.fromiter(texts.keys(), dtype=np.int64, count=len(texts))
        strings = pd.Series(list(texts.values()), dtype="str")
    if len(strings):
        matches = strings.str.match(_ISO_DATETIME)
        matched = matches.fillna(False).to_numpy(dtype=bool)
        parsed = pd.to_datetime(strings.where(matched), utc=True, format="ISO8601", errors="coerce")
        good = matched & parsed.notna().to_numpy()
        result.iloc[positions[good]] = parsed[good].to_numpy()
        zoned = (
            strings.str.contains(
                r"\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$",
                case=False,
                regex=True,
            )
            .fillna(False)
            .to_numpy(dtype=bool)
        )
        naive += int((good & ~zoned).sum())
        for j in np.flatnonzero(~good):
            text = strings.iat[j]
            hint = " (that date or time does not exist)" if matched[j] else ""
            chk.at(
                int(positions[j]), f"{field} must be {rule}, got {shown(text)}{hint}", field=field
            )
    if naive:
        chk.file(
            f"{naive:,} feature(s) give {field} without a time zone; taken as UTC "
            "(add Z or an offset such as +02:00 to say otherwise)",
            field=field,
            severity="warning",
        )
    return result


# --- Geometry ----------------------------------------------------------------------------

_POINT, _POLYGON, _MULTIPOINT, _MULTIPOLYGON = 0, 3, 4, 6
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _polygonal_part(geom: Any) -> Any:
    """The polygons of a repaired geometry (make_valid can return a collection with
    lines or points beside the polygons); None when nothing polygonal is left."""
    if geom is None or geom.is_empty:
        return None
    kind = shapely.get_type_id(geom)
    if kind in (_POLYGON, _MULTIPOLYGON):
        return geom
    polygons = [
        p
        for p in shapely.get_parts(geom)
        for p in (shapely.get_parts(p) if shapely.get_type_id(p) == _MULTIPOLYGON else [p])
        if shapely.get_type_id(p) == _POLYGON and not p.is_empty
    ]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def geometry_column(
    chk: Checker, geoms: Any, *, allowed: Sequence[str], what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Check and tidy geometries: present, not empty, of an allowed type, finite
    coordinates within longitude -180..180 and latitude -90..90 (with a hint when
    latitude and longitude look swapped), and valid polygons (invalid ones are
    repaired with ``shapely.make_valid``, keeping their polygonal parts, with a
    warning). Coordinates beyond two dimensions are dropped.

    Returns the tidied geometries (None where rejected) and a mask of good rows.
    """
    arr = np.asarray(geoms, dtype=object).copy()
    arr[
        np.fromiter((not isinstance(g, shapely.Geometry) for g in arr), dtype=bool, count=len(arr))
    ] = None
    null = shapely.is_missing(arr)
    chk.rows(
        null,
        lambda i: f"has no geometry: every feature needs a location ({what})",
        field="geometry",
    )
    arr = shapely.force_2d(arr)
    empty = ~null & shapely.is_empty(arr)
    chk.rows(
        empty,
        lambda i: f"geometry is empty: every feature needs a location ({what})",
        field="geometry",
    )
    types = shapely.get_type_id(arr)
    allowed_ids = {k for k, v in _TYPE_NAMES.items() if v in allowed}
    # A MultiPoint of one point (some GeoPackages and KML exports) is that point.
    if "Point" in allowed:
        single = (types == _MULTIPOINT) & ~empty & (shapely.get_num_geometries(arr) == 1)
        if single.any():
            arr[single] = shapely.get_geometry(arr[single], 0)
            types = shapely.get_type_id(arr)
    wrong = ~null & ~empty & ~np.isin(types, list(allowed_ids))
    choices = (", ".join(allowed[:-1]) + " or " + allowed[-1]) if len(allowed) > 1 else allowed[0]
    chk.rows(
        wrong,
        lambda i: (
            f"geometry must be a {choices} ({what}), "
            f"got {_TYPE_NAMES.get(int(types[i]), 'unknown')}"
        ),
        field="geometry",
    )
    usable = ~null & ~empty & ~wrong
    bounds = np.full((len(arr), 4), np.nan)
    if usable.any():
        bounds[usable] = shapely.bounds(arr[usable])
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(bounds).all(axis=1)
        coords = shapely.get_coordinates(arr[usable]) if usable.any() else np.empty((0, 2))
    nonfinite_parts = np.zeros(len(arr), dtype=bool)
    if usable.any() and not np.isfinite(coords).all():
        counts = shapely.get_num_coordinates(arr[usable])
        owner = np.repeat(np.flatnonzero(usable), counts)
        nonfinite_parts[owner[~np.isfinite(coords).all(axis=1)]] = True
    bad_number = usable & (~finite | nonfinite_parts)
    chk.rows(bad_number, lambda i: "coordinates must be finite numbers", field="geometry")
    usable &= ~bad_number
    minx, miny, maxx, maxy = bounds.T
    with np.errstate(invalid="ignore"):
        out_of_range = usable & ((minx < -180) | (maxx > 180) | (miny < -90) | (maxy > 90))
        swapped = out_of_range & (miny >= -180) & (maxy <= 180) & (minx >= -90) & (maxx <= 90)

    def range_message(i: int) -> str:
        where = (
            f"longitude {minx[i]:g}, latitude {miny[i]:g}"
            if minx[i] == maxx[i] and miny[i] == maxy[i]
            else f"longitudes {minx[i]:g} to {maxx[i]:g}, latitudes {miny[i]:g} to {maxy[i]:g}"
        )
        msg = (
            "coordinates are out of range: longitude must be from -180 to 180 and latitude "
            f"from -90 to 90, got {where}"
        )
        if swapped[i]:
            msg += (
                "; latitude and longitude look swapped (GeoJSON and KML write longitude "
                "first: [lon, lat])"
            )
        return msg

    chk.rows(out_of_range, range_message, field="geometry")
    usable &= ~out_of_range
    polygonal = usable & np.isin(types, [_POLYGON, _MULTIPOLYGON])
    if polygonal.any():
        idx = np.flatnonzero(polygonal)
        invalid = idx[~shapely.is_valid(arr[idx])]
        if invalid.size:
            reasons = shapely.is_valid_reason(arr[invalid])
            repaired = shapely.make_valid(arr[invalid])
            for i, reason, geom in zip(invalid, reasons, repaired):
                part = _polygonal_part(geom)
                if part is None:
                    chk.at(
                        int(i),
                        f"the polygon is invalid ({reason}) and has no area left "
                        "after repair; draw it again",
                        field="geometry",
                    )
                    usable[i] = False
                else:
                    arr[i] = part
                    chk.at(
                        int(i),
                        f"the polygon was invalid ({reason}) and was repaired",
                        field="geometry",
                        severity="warning",
                    )
    arr[~usable] = None
    return arr, usable


def location(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of each geometry: a point itself, a polygon's
    representative point (always inside it); NaN where there is none."""
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    present = ~shapely.is_missing(geoms)
    if present.any():
        points = shapely.point_on_surface(geoms[present])
        lon[present] = shapely.get_x(points)
        lat[present] = shapely.get_y(points)
    return lon, lat


# --- Extra columns -------------------------------------------------------------------------


def extras_as_text(
    frame: pd.DataFrame, columns: Iterable[str], reserved: Iterable[str]
) -> dict[str, pd.Series]:
    """The file's other columns as text for display (None where empty). A column
    whose name the canonical frame already uses is kept as ``<name>_in_file``."""
    reserved = set(reserved)
    out: dict[str, pd.Series] = {}
    for col in columns:
        name = str(col)
        while name in reserved or name in out:
            name = f"{name}_in_file"
        out[name] = pd.Series([_display(v) for v in frame[col].tolist()], dtype=object)
    return out


def _display(value: Any) -> str | None:
    if isinstance(value, (dict, list, tuple)):
        return shown(value, limit=10_000)
    if is_missing(value):
        return None
    if isinstance(value, (pd.Timestamp,)) or hasattr(value, "isoformat"):
        try:
            return value.isoformat()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, shapely.Geometry):
        return value.wkt[:10_000]
    return str(value)
