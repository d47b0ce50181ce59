"""Names on the map, drawn offline: towns and jurisdictions by zoom, and a search box.

Towns come from the shipped city data (:func:`mutualaid.scenario.places.places_within`),
jurisdiction names from the scenario. Each label gets a rank: the most populous towns
and the largest jurisdictions rank 1 and show at the zoom the map opens with; each
zoom level in shows the next rank too (about as many more labels as the area shown
shrinks, so the map stays readable)::

    add_names(m, jurisdictions)   # "Place names" layer and the search box

Label text is HTML-escaped (:func:`mutualaid.display.html_text`): Leaflet inserts a
``divIcon``'s ``html`` as markup, and the map's frame shares the app's origin. The
search box's names are escaped the same way and turned back into plain text in the
browser by a ``<textarea>`` (which decodes entities and never makes elements), then
set as DOM properties only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.template import Template

from mutualaid.display import display_text, html_text
from mutualaid.scenario.places import places_within

#: How many labels hold each rank, most important first; the rest take the next rank.
PLACE_RANK_SIZES: Final[tuple[int, ...]] = (6, 12, 30)
JURISDICTION_RANK_SIZES: Final[tuple[int, ...]] = (8, 24)
#: The highest rank (the last zoom level that adds labels).
MAX_RANK: Final[int] = len(PLACE_RANK_SIZES) + 1
#: A town found by the search is shown at least this many zoom levels in from the
#: opening zoom.
SEARCH_ZOOM_IN: Final[int] = 3
#: The layer control's name of the labels.
NAMES_LAYER: Final[str] = "Place names"
#: Leaflet pane of the labels: above the land (350), under the points' canvas (400),
#: so that points stay on top and every click goes to them.
LABEL_PANE: Final[str] = "labels"
LABEL_PANE_Z: Final[int] = 390

#: (lat, lon, escaped text, kind, rank); kind is "place" or "region".
Label = tuple[float, float, str, str, int]
#: (escaped text, what it is, [lat, lon] or [south, west, north, east]).
SearchEntry = tuple[str, str, list[float]]


def ranks(count: int, sizes: Sequence[int]) -> list[int]:
    """Ranks 1, 1, ..., 2, ... for *count* items in order of importance.

    Examples
    --------
    >>> ranks(5, (2, 1))
    [1, 1, 2, 3, 3]
    """
    out: list[int] = []
    rank, left = 1, list(sizes)
    for _ in range(count):
        while left and left[0] == 0:
            left.pop(0)
            rank += 1
        if left:
            left[0] -= 1
        out.append(rank)
    return out


def _by_area(jurisdictions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = jurisdictions[jurisdictions.geometry.notna() & ~jurisdictions.geometry.is_empty]
    # Areas only order the labels: degrees squared are enough at these latitudes.
    area = pd.Series(shapely.area(np.asarray(frame.geometry)), index=frame.index)
    return frame.loc[area.sort_values(ascending=False, kind="stable").index]


def name_labels(jurisdictions: gpd.GeoDataFrame, places: gpd.GeoDataFrame) -> list[Label]:
    """The labels of the jurisdictions (largest first, at a point inside each) and of
    the towns (most populous first), every text escaped."""
    labels: list[Label] = []
    if jurisdictions is not None and len(jurisdictions):
        frame = _by_area(jurisdictions)
        spots = frame.geometry.representative_point()
        names = frame["name"] if "name" in frame.columns else frame["id"]
        for spot, name, rank in zip(spots, names, ranks(len(frame), JURISDICTION_RANK_SIZES)):
            labels.append((round(spot.y, 4), round(spot.x, 4), html_text(name), "region", rank))
    for spot, name, rank in zip(
        places.geometry, places["name"], ranks(len(places), PLACE_RANK_SIZES)
    ):
        labels.append((round(spot.y, 4), round(spot.x, 4), html_text(name), "place", rank))
    return labels


def search_entries(jurisdictions: gpd.GeoDataFrame, places: gpd.GeoDataFrame) -> list[SearchEntry]:
    """What the search box finds: each jurisdiction ("name (id)", its outline's box),
    then each town (its point); every text escaped."""
    entries: list[SearchEntry] = []
    if jurisdictions is not None and len(jurisdictions):
        for _, row in jurisdictions.iterrows():
            geometry = row.geometry
            if geometry is None or geometry.is_empty:
                continue
            west, south, east, north = geometry.bounds
            name, key = display_text(row.get("name")), display_text(row.get("id"))
            text = f"{name} ({key})" if name and name != key else key
            box = [round(v, 4) for v in (south, west, north, east)]
            entries.append((html_text(text), "jurisdiction", box))
    for spot, name in zip(places.geometry, places["name"]):
        entries.append((html_text(name), "town", [round(spot.y, 4), round(spot.x, 4)]))
    return entries


def label_css() -> str:
    """The labels' look, and which ranks show at which level (``mutualaid-labels-N``
    on the map's container shows ranks 1 to N)."""
    shown = ", ".join(
        f".mutualaid-labels-{level} .mutualaid-rank-{rank}"
        for level in range(1, MAX_RANK + 1)
        for rank in range(1, level + 1)
    )
    return (
        ".mutualaid-label { display: none; pointer-events: none; }\n"
        f"{shown} {{ display: block; }}\n"
        ".mutualaid-label span { position: absolute; left: 0; top: 0;"
        " transform: translate(-50%, -50%); white-space: nowrap; font: 11px/1.1 sans-serif;"
        " color: #222222; text-shadow: 0 0 2px #ffffff, 0 0 2px #ffffff, 0 0 4px #ffffff; }\n"
        ".mutualaid-label-place span { transform: translate(-50%, -130%); }\n"
        ".mutualaid-label-place.mutualaid-rank-1 span { font-size: 13px; font-weight: bold; }\n"
        ".mutualaid-label-region span { color: #5a4a3a; font-size: 10px; font-style: italic;"
        " letter-spacing: 0.04em; text-transform: uppercase; }\n"
        ".mutualaid-label-region.mutualaid-rank-1 span { font-size: 12px; }\n"
        ".mutualaid-search input { width: 220px; padding: 4px 6px; border: none;"
        " border-radius: 4px; font: 12px sans-serif; }\n"
        ".mutualaid-search input.mutualaid-search-miss { outline: 2px solid #bd0026; }\n"
    )


class NameLabels(folium.MacroElement):
    """Labels as ``L.divIcon`` markers in the parent layer (a ``FeatureGroup``), shown by
    rank as the map zooms.

    Parameters
    ----------
    labels : list of Label
        From :func:`name_labels` (texts already escaped).
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent._parent.get_name() }};
            var group = {{ this._parent.get_name() }};
            if (!map.getPane({{ this.pane|tojson }})) {
                var pane = map.createPane({{ this.pane|tojson }});
                pane.style.zIndex = {{ this.pane_z }};
                pane.style.pointerEvents = "none";
            }
            {{ this.labels|tojson }}.forEach(function (d) {
                L.marker([d[0], d[1]], {
                    icon: L.divIcon({
                        className: "mutualaid-label mutualaid-label-" + d[3]
                            + " mutualaid-rank-" + d[4],
                        html: "<span>" + d[2] + "</span>",
                        iconSize: null
                    }),
                    interactive: false, keyboard: false, pane: {{ this.pane|tojson }}
                }).addTo(group);
            });
            var start = map.getZoom();
            function show() {
                var level = Math.max(1, Math.min({{ this.max_rank }}, map.getZoom() - start + 1));
                var box = map.getContainer();
                for (var i = 1; i <= {{ this.max_rank }}; i++) {
                    box.classList.toggle("mutualaid-labels-" + i, i === level);
                }
            }
            map.on("zoomend", show);
            show();
        })();
        {% endmacro %}
    """)

    def __init__(self, labels: Sequence[Label]) -> None:
        super().__init__()
        self._name = "NameLabels"
        self.labels = [list(label) for label in labels]
        self.pane = LABEL_PANE
        self.pane_z = LABEL_PANE_Z
        self.max_rank = MAX_RANK
        self.css = label_css()


class NameSearch(folium.MacroElement):
    """A search box (top left) for jurisdictions and towns: picking or typing a name
    and pressing Enter frames the jurisdiction or zooms to the town.

    Parameters
    ----------
    entries : list of SearchEntry
        From :func:`search_entries` (escaped; decoded in the browser by a
        ``<textarea>`` and set as DOM properties only).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var decoder = document.createElement("textarea");
            function plain(escaped) {  // entities decoded; a textarea makes no elements
                decoder.innerHTML = escaped;
                return decoder.value;
            }
            var entries = {{ this.entries|tojson }}.map(function (e) {
                return [plain(e[0]), e[1], e[2]];
            });
            var start = map.getZoom();
            var control = L.control({position: "topleft"});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "mutualaid-search leaflet-bar");
                var input = L.DomUtil.create("input", "", div);
                var list = L.DomUtil.create("datalist", "", div);
                list.id = {{ this.get_name()|tojson }} + "-names";
                input.type = "search";
                input.placeholder = "Find a place or jurisdiction";
                input.setAttribute("aria-label", "Find a place or jurisdiction");
                input.setAttribute("list", list.id);
                entries.forEach(function (e) {
                    var option = document.createElement("option");
                    option.value = e[0];
                    option.label = e[1];
                    list.appendChild(option);
                });
                function find(text) {
                    var q = text.trim().toLowerCase();
                    if (!q) return null;
                    var tests = [
                        function (n) { return n === q; },
                        function (n) { return n.indexOf(q) === 0; },
                        function (n) { return n.indexOf(q) >= 0; }
                    ];
                    for (var t = 0; t < tests.length; t++) {
                        for (var i = 0; i < entries.length; i++) {
                            if (tests[t](entries[i][0].toLowerCase())) return entries[i];
                        }
                    }
                    return null;
                }
                function go() {
                    var hit = find(input.value);
                    input.classList.toggle("mutualaid-search-miss", !hit && !!input.value.trim());
                    if (!hit) return;
                    var at = hit[2];
                    if (at.length === 4) {
                        map.fitBounds([[at[0], at[1]], [at[2], at[3]]]);
                    } else {
                        map.setView(at, Math.max(map.getZoom(), start + {{ this.zoom_in }}));
                    }
                }
                L.DomEvent.on(input, "change", go);
                L.DomEvent.on(input, "keydown", function (ev) {
                    if (ev.key === "Enter") { go(); }
                    L.DomEvent.stopPropagation(ev);  // "+" and "-" in a name never zoom
                });
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo(map);
        })();
        {% endmacro %}
    """)

    def __init__(self, entries: Sequence[SearchEntry]) -> None:
        super().__init__()
        self._name = "NameSearch"
        self.entries = [list(entry) for entry in entries]
        self.zoom_in = SEARCH_ZOOM_IN


def add_names(m: folium.Map, jurisdictions: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Add the "Place names" layer (jurisdictions and shipped towns inside them, shown
    by zoom) and the search box; return the layer."""
    places = places_within(jurisdictions)
    group = folium.FeatureGroup(name=html_text(NAMES_LAYER), overlay=True, control=True)
    group.add_child(NameLabels(name_labels(jurisdictions, places)))
    m.add_child(group)
    m.add_child(NameSearch(search_entries(jurisdictions, places)))
    return group


def names_args(m: folium.Map) -> dict[str, Any]:
    """The labels and search entries a map carries (for tests and the export)."""
    out: dict[str, Any] = {"labels": [], "entries": []}

    def walk(element: Any) -> None:
        if isinstance(element, NameLabels):
            out["labels"].extend(element.labels)
        if isinstance(element, NameSearch):
            out["entries"].extend(element.entries)
        for child in element._children.values():
            walk(child)

    walk(m)
    return out


__all__ = [
    "JURISDICTION_RANK_SIZES",
    "LABEL_PANE",
    "MAX_RANK",
    "NAMES_LAYER",
    "PLACE_RANK_SIZES",
    "NameLabels",
    "NameSearch",
    "add_names",
    "label_css",
    "name_labels",
    "names_args",
    "ranks",
    "search_entries",
]
