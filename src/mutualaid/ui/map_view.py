"""Showing a folium map with ``st_folium`` and asking it only for what is used.

A map is drawn from a :class:`RenderedMap`: what ``st_folium`` computes from a folium map
on every call (rendering the map to HTML and its Leaflet script takes about 0.1 s for
the Rhine sample, seconds for a large scenario), computed once per cached map and
handed to the same ``st_folium`` component on every rerun. The browser gets exactly
the arguments ``st_folium`` would have sent (``tests/app/test_map_view.py``).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import branca
import folium
import folium.elements
import streamlit as st
import streamlit_folium
from streamlit_folium import st_folium

from mutualaid.errors import MapAssetError
from mutualaid.maps import CLICK_OBJECTS
from mutualaid.settings import (
    MAP_HEIGHT_PX,
    MAP_MAX_HEIGHT_PX,
    MAP_MIN_HEIGHT_PX,
    MAP_VIEWPORT_HEIGHT_VH,
)

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedMap:
    """A folium map as ``st_folium`` sends it to the browser.

    Parameters
    ----------
    script, header, html : str
        The map's Leaflet script, its header (styles) and extra HTML.
    id : str
        The map's element id.
    bounds : dict
        The map's bounds as ``st_folium`` returns them.
    zoom : object
        The map's zoom option.
    css_links, js_links : tuple of str
        The stylesheets and scripts its elements need.
    """

    script: str
    header: str
    html: str
    id: str
    bounds: dict
    zoom: Any
    css_links: tuple[str, ...]
    js_links: tuple[str, ...]
    _hashes: dict = field(default_factory=dict, compare=False, repr=False)

    def hash_key(self, key: str | None) -> str:
        """``st_folium``'s component key for widget *key* (computed once per key: it
        runs regular expressions over the whole script)."""
        if key not in self._hashes:
            self._hashes[key] = streamlit_folium.generate_js_hash(self.script, key, False)
        return self._hashes[key]


def _links(m: folium.Map) -> tuple[tuple[str, ...], tuple[str, ...]]:
    # As st_folium walks the map for the files its elements need.
    css: list[str] = []
    js: list[str] = []

    def walk(element):
        if isinstance(element, branca.colormap.ColorMap):
            yield element
        if isinstance(element, folium.elements.JSCSSMixin):
            yield element
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)

    for element in walk(m):
        if isinstance(element, branca.colormap.ColorMap):
            # st_folium would add d3 from a CDN here; the browser has no internet, and
            # use_local_assets refuses such maps before they are built.
            raise MapAssetError("branca colour maps load d3 from a CDN; the map is refused")
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    return tuple(dict.fromkeys(css)), tuple(dict.fromkeys(js))


def render_map(m: folium.Map) -> RenderedMap:
    """What ``st_folium`` computes from *m* before sending it, once.

    *m* is left as it was: a copy is rendered (``st_folium`` renames a map's parts
    while drawing it).
    """
    m = copy.deepcopy(m)
    m.get_root().render()
    m.render()
    # The order st_folium keeps: the HTML and header before the script, which alters
    # the map's structure.
    html = streamlit_folium._get_html(m)
    header = streamlit_folium._get_header(m)
    script = streamlit_folium._get_map_string(m)
    try:
        (south, west), (north, east) = m.get_bounds()
    except AttributeError:
        south = west = north = east = None
    bounds = {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}}
    css, js = _links(m)
    return RenderedMap(
        script=script,
        header=header,
        html=html,
        id=streamlit_folium.get_full_id(m),
        bounds=bounds,
        zoom=m.options.get("zoom") if hasattr(m, "options") else {},
        css_links=css,
        js_links=js,
    )


#: Added to a map frame's header when the page sets the frame's height in CSS
#: (:func:`fill_screen`): the map then fills its frame instead of streamlit-folium's
#: fixed pixels. Only then: a frame whose height comes from streamlit-folium is 0 px
#: tall when the map is made, and a map sized by it would open at a wrong zoom.
FILL_FRAME_CSS = "<style>#map_div { height: 100vh !important; }</style>"

_DEFAULTS: tuple[str, ...] = (
    "last_clicked",
    "last_object_clicked",
    "last_object_clicked_count",
    "last_object_clicked_tooltip",
    "last_object_clicked_popup",
    "all_drawings",
    "last_active_drawing",
    "bounds",
    "zoom",
    "last_circle_radius",
    "last_circle_polygon",
    "selected_layers",
    "selected_tags",
    "last_geocoder_result",
)


def show_rendered(
    rendered: RenderedMap,
    *,
    key: str,
    height: int = MAP_HEIGHT_PX,
    returned_objects: Iterable[str] = (),
    fill_frame: bool = False,
) -> dict[str, Any]:
    """Draw a rendered map as ``st_folium(m, key=key, height=height,
    use_container_width=True, returned_objects=returned_objects)`` draws *m*; return
    what it returns. With *fill_frame* the map fills a frame whose height the page
    sets (:func:`fill_screen`)."""
    returned = list(returned_objects)
    values = {"bounds": rendered.bounds, "zoom": rendered.zoom}
    defaults = {name: copy.deepcopy(values.get(name)) for name in _DEFAULTS if name in returned}
    hash_key = rendered.hash_key(key)

    def on_change() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    return streamlit_folium._component_func(
        script=rendered.script,
        header=rendered.header + (FILL_FRAME_CSS if fill_frame else ""),
        html=rendered.html,
        id=rendered.id,
        key=hash_key,
        height=height,
        width=None,
        returned_objects=returned,
        default=defaults,
        zoom=None,
        center=None,
        feature_group=None,
        return_on_hover=False,
        layer_control=None,
        pixelated=False,
        css_links=list(rendered.css_links),
        js_links=list(rendered.js_links),
        on_change=on_change,
        wrap_longitude=False,
    )


def show_map(
    m: folium.Map | RenderedMap,
    *,
    key: str,
    height: int = MAP_HEIGHT_PX,
    fill_frame: bool = False,
) -> dict[str, Any]:
    """Draw the map; return what the user last clicked (``st_folium``'s dict).

    Only clicks on features are returned (:data:`mutualaid.maps.CLICK_OBJECTS`), so
    panning and zooming do not rerun the page.

    Parameters
    ----------
    m : folium.Map or RenderedMap
        A map not rendered before (streamlit-folium renames its elements), or one
        rendered once by :func:`render_map` (and cached: then nothing is rendered).
    key : str
        Stable across reruns, so the map is not rebuilt in the browser each run;
        change it when the data changes.
    height : int
        Pixels.
    fill_frame : bool
        The page sets the frame's height (:func:`fill_screen`): the map fills it
        (a :class:`RenderedMap` only).
    """
    if isinstance(m, RenderedMap):
        returned = show_rendered(
            m, key=key, height=height, returned_objects=CLICK_OBJECTS, fill_frame=fill_frame
        )
    else:
        returned = st_folium(
            m,
            key=key,
            height=height,
            use_container_width=True,
            returned_objects=list(CLICK_OBJECTS),
        )
    return returned if isinstance(returned, dict) else {}


def show_map_or_error(
    build: Callable[[], folium.Map | RenderedMap], *, key: str, fill_frame: bool = False
) -> dict[str, Any]:
    """Build a map and draw it (see :func:`show_map`); if it cannot be built or drawn,
    say so in words rather than show a traceback, and return ``{}``."""
    try:
        return show_map(build(), key=key, fill_frame=fill_frame)
    except Exception as exc:  # noqa: BLE001 - never a traceback for a coordinator
        _LOG.exception("the map %r could not be drawn", key)
        st.error("The map of this scenario could not be drawn.")
        st.text(f"{type(exc).__name__}: {exc}")
        return {}


def screen_height_css(container_key: str) -> str:
    """CSS giving the map frame inside ``st.container(key=container_key)`` a share of
    the window's height (:data:`mutualaid.settings.MAP_VIEWPORT_HEIGHT_VH`, from
    :data:`mutualaid.settings.MAP_MIN_HEIGHT_PX` to
    :data:`mutualaid.settings.MAP_MAX_HEIGHT_PX`); the map fills its frame
    (:class:`mutualaid.maps.elements.MapStyle`)."""
    if not container_key.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"a container key of letters, digits, - and _, got {container_key!r}")
    return (
        f"<style>.st-key-{container_key} iframe {{ height: clamp({MAP_MIN_HEIGHT_PX}px,"
        f" {MAP_VIEWPORT_HEIGHT_VH}vh, {MAP_MAX_HEIGHT_PX}px) !important; }}</style>"
    )


def fill_screen(container_key: str) -> None:
    """Make the map drawn in ``st.container(key=container_key)`` as tall as the screen
    allows (:func:`screen_height_css`); call it inside that container and draw the
    map with ``fill_frame=True``."""
    st.html(screen_height_css(container_key))
