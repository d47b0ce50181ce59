"""Showing a folium map with ``st_folium`` and asking it only for what is used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import folium
import streamlit as st
from streamlit_folium import st_folium

from mutualaid.maps import CLICK_OBJECTS
from mutualaid.settings import MAP_HEIGHT_PX


def show_map(m: folium.Map, *, key: str, height: int = MAP_HEIGHT_PX) -> dict[str, Any]:
    """Draw the map; return what the user last clicked (``st_folium``'s dict).

    Only clicks on features are returned (:data:`mutualaid.maps.CLICK_OBJECTS`), so
    panning and zooming do not rerun the page.

    Parameters
    ----------
    m : folium.Map
        A map not rendered before (streamlit-folium renames its elements).
    key : str
        Stable across reruns, so the map is not rebuilt in the browser each run;
        change it when the data changes.
    height : int
        Pixels.
    """
    returned = st_folium(m, key=key, height=height, use_container_width=True,
                         returned_objects=list(CLICK_OBJECTS))
    return returned if isinstance(returned, dict) else {}


def show_map_or_error(build: Callable[[], folium.Map], *, key: str) -> dict[str, Any]:
    """Build a map and draw it (see :func:`show_map`); if it cannot be built or drawn,
    say so in words rather than show a traceback, and return ``{}``."""
    try:
        return show_map(build(), key=key)
    except Exception as exc:  # noqa: BLE001 - never a traceback for a coordinator
        st.error("The map of this scenario could not be drawn.")
        st.text(f"{type(exc).__name__}: {exc}")
        return {}
