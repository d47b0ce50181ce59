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


# --- words for workflow values (issue 13: plain words) ----------------------------------
# Small on purpose: the one place to switch to the project's display-name table.


def words(key: str) -> str:
    """A stored key or state as words: ``on_scene`` → ``on scene``, ``fire_engine`` →
    ``fire engine``.

    Examples
    --------
    >>> words("max_response_min")
    'max response min'
    """
    return str(key).replace("_", " ")


def units_text(rtype: str, units: int | None = None) -> str:
    """A resource type as words, with a count when given.

    Examples
    --------
    >>> units_text("fire_engine"), units_text("boat", 2), units_text("pump", 1)
    ('fire engine', '2 boats', '1 pump')
    """
    name = words(rtype)
    if units is None:
        return name
    if units != 1:
        name = f"{name}es" if name.endswith(("s", "sh", "ch", "x", "z")) else f"{name}s"
    return f"{units} {name}"
