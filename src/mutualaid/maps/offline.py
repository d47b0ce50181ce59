"""Point a folium map at the Leaflet files the app serves itself.

folium fills each element's ``default_js`` / ``default_css`` with CDN URLs, and
streamlit-folium loads exactly those lists inside the map's iframe. Offline, a CDN
URL leaves the map blank, and online it would tell a third party who looks at which
map. :func:`use_local_assets` walks the finished map and swaps every asset for the
copy under ``/app/static/vendor/`` (see :mod:`mutualaid.maps.assets`), and refuses a
map that needs something not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import branca.colormap
import folium
from branca.element import Element

from mutualaid.errors import MapAssetError
from mutualaid.maps.assets import LOCAL_CSS, LOCAL_JS, UNUSED_ASSETS


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


def _local(
    assets: list[tuple[str, str]], table: dict[str, str], element: Element
) -> list[tuple[str, str]]:
    local = []
    for name, url in assets:
        if name in table:
            local.append((name, table[name]))
        elif name in UNUSED_ASSETS:
            continue
        else:
            raise MapAssetError(
                f"{type(element).__name__} needs {name!r} ({url}), which is not installed "
                "for offline use: add its npm package to mutualaid/maps/assets.py"
            )
    return local


def use_local_assets(m: folium.Map) -> folium.Map:
    """Make every JavaScript and CSS file of the map load from the app.

    Call it last, once every layer and control has been added.

    Parameters
    ----------
    m : folium.Map
        The finished map; changed in place.

    Returns
    -------
    folium.Map
        The same map, for chaining.

    Raises
    ------
    MapAssetError
        When an element needs an asset that is not installed, or is a branca colour map
        (streamlit-folium adds d3 from a CDN for those), or is a ``folium.Icon``
        (awesome-markers is not installed).
    """
    for element in _walk(m):
        if isinstance(element, branca.colormap.ColorMap):
            raise MapAssetError(
                "branca colour maps load d3 from a CDN in streamlit-folium; "
                "use mutualaid.maps.legend.Legend instead"
            )
        if isinstance(element, folium.Icon):
            raise MapAssetError(
                "folium.Icon needs awesome-markers, which is not installed; "
                "draw points as CircleMarkers"
            )
        if isinstance(element, folium.elements.JSCSSMixin):
            # Assigned per instance: folium's add_js_link would otherwise change the
            # class-wide lists of every map in the process.
            element.default_js = _local(list(element.default_js), LOCAL_JS, element)
            element.default_css = _local(list(element.default_css), LOCAL_CSS, element)
    return m
