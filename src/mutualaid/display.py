"""Values from files turned into text, before they meet a map.

Everything a layer file holds is hostile until proven otherwise: folium's tooltips,
popups and layer names are inserted into the page as raw HTML, and the map's iframe
shares the app's origin. So every value shown on a map goes through
:func:`html_text`, which makes it plain text first (:func:`display_text`: timestamps,
dicts, NaN...) and then escapes it. The same :func:`display_text` serves the app's side
panel, which shows values with ``st.text`` and needs no escaping.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mutualaid import vocabulary


def _number_text(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return "" if math.isnan(value) else str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _time_text(value: dt.datetime) -> str:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        return stamp.isoformat()
    return stamp.tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def display_text(value: Any) -> str:
    """A value as plain text for people (not escaped).

    ``None``, NaN and NaT become ``""``; timestamps become ``2024-05-01 10:00 UTC``;
    whole floats lose their ``.0``; a dict becomes ``key: value, ...`` sorted by key;
    a list, tuple or set becomes ``a, b``; bytes are decoded as UTF-8.

    Parameters
    ----------
    value : Any
        A cell of a layer's frame.

    Returns
    -------
    str

    Examples
    --------
    >>> display_text({"pump": 2, "boat": 1})
    'boat: 1, pump: 2'
    >>> display_text(float("nan"))
    ''
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        items = sorted((display_text(k), display_text(v)) for k, v in value.items())
        return ", ".join(f"{k}: {v}" for k, v in items)
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        parts = [display_text(v) for v in value]
        return ", ".join(sorted(parts) if isinstance(value, (set, frozenset)) else parts)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, (dt.datetime, np.datetime64)):
        return "" if pd.isna(value) else _time_text(pd.Timestamp(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return _number_text(float(value))
    return str(value)


def html_text(value: Any) -> str:
    """A value as escaped text, safe to insert into HTML (and quoted attributes).

    Examples
    --------
    >>> html_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    """
    return html.escape(display_text(value), quote=True)


def _types_cell(value: Any) -> str:
    # The agreements' "boat;pump" or "*", a tuple of types, or one type.
    if isinstance(value, str):
        return vocabulary.types_text(value.split(";"))
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return vocabulary.types_text(list(value))
    return vocabulary.EMPTY if _missing(value) else display_text(value)


def _reasons_cell(value: Any) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(vocabulary.reason_label(v) for v in value) or vocabulary.EMPTY
    return vocabulary.reason_label(value)


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def cell_text(value: Any) -> str:
    """A table cell as people read it: :func:`display_text`, with needs as
    ``2 boats``, whole floats without ``.0`` and thousands separated, and
    :data:`mutualaid.vocabulary.EMPTY` for a missing value (never ``None``)."""
    if _missing(value):
        return vocabulary.EMPTY
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return vocabulary.number(value, digits=2)
    text = display_text(value)
    return text if text.strip() else vocabulary.EMPTY


#: Columns whose values are vocabulary keys (or needs), and how each reads.
VALUE_COLUMNS: dict[str, Any] = {
    "type": vocabulary.type_label,
    "hazard": vocabulary.hazard_label,
    "status": vocabulary.status_label,
    "state": vocabulary.state_label,
    "stage": vocabulary.state_label,
    "role": vocabulary.role_label,
    "sharing": vocabulary.sharing_label,
    "shared with": vocabulary.sharing_label,
    "kind": vocabulary.kind_label,
    "layer": vocabulary.kind_label,
    "crossing": vocabulary.crossing_label,
    "reason": vocabulary.reason_label,
    "other_reasons": _reasons_cell,
    "needs": vocabulary.needs_text,
    "resource_types": _types_cell,
    "types": _types_cell,
}


def readable_table(frame: pd.DataFrame, *, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """A copy of *frame* for people: vocabulary columns (:data:`VALUE_COLUMNS`) in
    words, needs as ``2 boats``, missing cells as a dash, the column names as display
    names (:func:`mutualaid.vocabulary.label`). Number columns stay numbers (the
    table sorts them) unless they hold a missing value.

    Parameters
    ----------
    frame : DataFrame
        A table with the contract's or the app's column names.
    keep : tuple of str
        Columns left as they are (ids, names from files).

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> readable_table(pd.DataFrame({"type": ["fire_engine"], "units": [2.0]})).to_dict("list")
    {'Resource type': ['fire engine'], 'Units': [2]}
    """
    table = frame.copy()
    for column in table.columns:
        name = str(column)
        if name in keep:
            continue
        values = table[column]
        if name in VALUE_COLUMNS and not pd.api.types.is_numeric_dtype(values.dtype):
            look_up = VALUE_COLUMNS[name]
            table[column] = [
                vocabulary.EMPTY if _missing(v) and name != "needs" else look_up(v) for v in values
            ]
        elif pd.api.types.is_bool_dtype(values.dtype):
            table[column] = values.map(cell_text)
        elif pd.api.types.is_float_dtype(values.dtype):
            whole = values.dropna()
            if values.isna().any():
                table[column] = values.map(cell_text)
            elif len(whole) and bool((whole == whole.round()).all()) and whole.abs().max() < 1e15:
                table[column] = values.astype("int64")
        elif pd.api.types.is_integer_dtype(values.dtype) and values.isna().any():
            table[column] = values.map(cell_text)
        elif values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            table[column] = values.map(cell_text)
    names: dict[Any, str] = {}
    for column in table.columns:
        name = vocabulary.label(column)
        if name in names.values():  # two keys, one display name: say which is which
            name = f"{name} ({vocabulary.humanise(column)})"
        names[column] = name
    return table.rename(columns=names)


def record_text(value: Any) -> str:
    """A stored record (an audit row's before or after: JSON values) in words: each
    key as its display name (:func:`mutualaid.vocabulary.label`), vocabulary values
    in words, nested records in parentheses, ``None`` as a dash, yes and no for
    booleans.

    Examples
    --------
    >>> record_text({"role": "admin", "disabled": False, "jurisdiction": None})
    'Disabled: no; Jurisdiction: —; Role: administrator'
    >>> record_text({"incidents": {"changed": True, "features": 39}})
    'Incidents: (Changed: yes, Features: 39)'
    >>> record_text(None)
    '—'
    """
    return _record_text(value, separator="; ")


def _record_text(value: Any, *, separator: str) -> str:
    if isinstance(value, Mapping):
        if not value:
            return vocabulary.EMPTY
        parts = []
        for key in sorted(value, key=str):
            item = value[key]
            look_up = VALUE_COLUMNS.get(str(key))
            if isinstance(item, Mapping) and str(key) != "needs":
                text = f"({_record_text(item, separator=', ')})"
            elif look_up is not None and not _missing(item) and not isinstance(item, bool):
                text = look_up(item)
            else:
                text = _record_text(item, separator=", ")
            parts.append(f"{vocabulary.label(key)}: {text}")
        return separator.join(parts)
    if isinstance(value, (list, tuple)):
        parts = [
            f"({_record_text(v, separator=', ')})"
            if isinstance(v, Mapping)
            else _record_text(v, separator=", ")
            for v in value
        ]
        return ", ".join(parts) or vocabulary.EMPTY
    return cell_text(value)


# --- words for workflow values (issue 13: plain words) ----------------------------------
# The callers' short forms of the one display-name table (:mod:`mutualaid.vocabulary`).


def words(key: str) -> str:
    """A stored key as words, from the display-name table when it names the key (a
    field, a resource type, a workflow state...), else humanised: ``on_scene`` →
    ``on scene``, ``fire_engine`` → ``fire engine``.

    Examples
    --------
    >>> words("max_response_min"), words("fire_engine"), words("on_scene")
    ('maximum response time', 'fire engine', 'on scene')
    """
    for group in (vocabulary.RESOURCE_TYPE, vocabulary.STATE, vocabulary.FIELD):
        found = vocabulary.VOCABULARY.get(group, {}).get(str(key))
        if found is not None:
            return found if group != vocabulary.FIELD else found[:1].lower() + found[1:]
    return vocabulary.humanise(key)


def units_text(rtype: str, units: int | None = None) -> str:
    """A resource type as words (:func:`mutualaid.vocabulary.type_label`), with a count
    when given.

    Examples
    --------
    >>> units_text("fire_engine"), units_text("boat", 2), units_text("pump", 1)
    ('fire engine', '2 boats', '1 pump')
    """
    if units is None:
        return vocabulary.type_label(rtype)
    return vocabulary.units_text(units, rtype)
