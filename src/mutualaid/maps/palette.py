"""Colours, sizes and z-order of the maps, in one place.

Colours never come from files: a layer's values only pick an entry of these palettes,
so what reaches the map's styles is always one of the strings written here.

The three things a map tells by colour are kept apart by hue family and by shape, so
that they cannot be confused with each other (issue 13):

* incident severity: the only warm colours (yellow, orange, red, dark red), large
  filled circles with a white outline;
* resource types: cool colours (blues, greens, teals, violets, purples), small circles
  with a dark outline; no red, orange or yellow;
* flows of the plan: neutral greys to near black, lines (dashed across a national
  border); held units: olive, teal and green lines and rings.

Every colour that can appear on one map (:func:`symbol_colors`) differs from every
other by at least :data:`MIN_DELTA_E` (CIELAB ΔE*ab) for normal vision and as
simulated for protanopia, deuteranopia and tritanopia (Machado et al. 2009), and from
the land and the sea: ``tests/unit/test_palette.py`` checks it. The colours were
picked by a greedy max-min search over that distance within each family.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from mutualaid.settings import SEVERITY_MAX, SEVERITY_MIN

#: Smallest CIELAB ΔE*ab between any two colours of :func:`symbol_colors`, for normal
#: vision and each simulated dichromacy (checked by tests/unit/test_palette.py).
MIN_DELTA_E: Final[float] = 11.0

#: Fill colour by incident severity, 1 (minor) to 5 (catastrophic): ColorBrewer YlOrRd,
#: the maps' only warm colours.
SEVERITY_COLORS: Final[dict[int, str]] = {
    1: "#fecc5c",
    2: "#fd8d3c",
    3: "#f03b20",
    4: "#bd0026",
    5: "#67000d",
}
SEVERITY_LABELS: Final[dict[int, str]] = {
    1: "1 minor",
    2: "2",
    3: "3",
    4: "4",
    5: "5 catastrophic",
}
#: Colour of an incident whose severity is missing or out of range.
UNKNOWN_COLOR: Final[str] = "#c8c8c8"

#: Colours of the resource types the contract names (cool hues only: never the warm
#: colours of severity); other types take :data:`EXTRA_TYPE_COLORS` in order of their
#: names (from the fifth other type on, colours repeat; the legend names each type).
RESOURCE_TYPE_COLORS: Final[dict[str, str]] = {
    "ambulance": "#1e3c69",
    "fire_engine": "#7800ff",
    "usar_team": "#00c387",
    "boat": "#78c3e1",
    "helicopter": "#8700a5",
    "medical_team": "#96d287",
    "water_purification": "#005a69",
    "pump": "#8796ff",
    "generator": "#a5965a",
    "shelter_kit": "#2d00b4",
}
EXTRA_TYPE_COLORS: Final[tuple[str, ...]] = (
    "#c32dff",
    "#874ba5",
    "#ff69c3",
    "#9669d2",
)

#: CircleMarker radius in pixels. Leaflet reports the marker's own coordinates on a
#: click only for radii up to 10 px (bigger ones report the mouse position), and
#: :func:`mutualaid.maps.events.clicked_feature` relies on that.
INCIDENT_RADIUS: Final[dict[int, int]] = {1: 6, 2: 7, 3: 8, 4: 9, 5: 10}
RESOURCE_RADIUS: Final[int] = 5
MAX_CLICK_EXACT_RADIUS: Final[int] = 10

#: Resources are clustered (leaflet.markercluster) only when there are more than this
#: many: the shipped scenarios (a few hundred) are drawn point by point as before.
CLUSTER_MIN_POINTS: Final[int] = 500
#: From this zoom on every resource is drawn on its own again (clicks and tooltips as
#: without clustering); points still sharing a spot at the last clustered zoom spread
#: out when their cluster is clicked.
CLUSTER_UNTIL_ZOOM: Final[int] = 10


def cluster_options() -> dict[str, object]:
    """``L.markerClusterGroup`` options of the resource layer (JSON values only)."""
    return {
        "disableClusteringAtZoom": CLUSTER_UNTIL_ZOOM,
        "spiderfyOnMaxZoom": True,
        "showCoverageOnHover": False,
        "chunkedLoading": True,  # large layers are added without freezing the page
        "maxClusterRadius": 60,
    }


#: Colours of the offline base map.
SEA_COLOR: Final[str] = "#dde8ef"
LAND_FILL: Final[str] = "#f3f0e8"
LAND_OUTLINE: Final[str] = "#6f6f6f"
JURISDICTION_OUTLINE: Final[str] = "#8a8a8a"
JURISDICTION_HIGHLIGHT: Final[str] = "#333333"

#: Leaflet panes: the land sits under the default overlay pane (z-index 400).
LAND_PANE: Final[str] = "land"
LAND_PANE_Z: Final[int] = 350

#: Map limits (with ``tiles=None`` folium's ``max_zoom`` reaches no tile layer, so the
#: map itself needs ``maxZoom``; marker clustering fails without it).
MIN_ZOOM: Final[int] = 2
MAX_ZOOM: Final[int] = 18
#: Polygons are simplified to this tolerance (degrees, about 500 m: outlines for display,
#: clicks are matched against the full geometry) and coordinates
#: rounded to this many decimals before they are embedded: both only shrink the page.
SIMPLIFY_DEGREES: Final[float] = 0.005
POLYGON_DECIMALS: Final[int] = 5
POINT_DECIMALS: Final[int] = 5  # about 1 m


def severity_color(severity: object) -> str:
    """The fill colour of an incident of this severity (grey when unknown)."""
    try:
        level = int(severity)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return UNKNOWN_COLOR
    return (
        SEVERITY_COLORS.get(level, UNKNOWN_COLOR)
        if SEVERITY_MIN <= level <= SEVERITY_MAX
        else UNKNOWN_COLOR
    )


def severity_radius(severity: object) -> int:
    """The radius of an incident's marker (bigger when more severe)."""
    try:
        return INCIDENT_RADIUS.get(int(severity), INCIDENT_RADIUS[1])  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return INCIDENT_RADIUS[1]


#: Incident radius on the overview by units still short in the current plan: at least
#: the key's units (ascending); never above :data:`MAX_CLICK_EXACT_RADIUS`.
NEED_RADIUS: Final[dict[int, int]] = {0: 5, 1: 7, 3: 8, 6: 9, 11: 10}


def unmet_need_radius(units: object) -> int:
    """The radius of an incident's marker when sized by the units it is still short."""
    try:
        short = int(units)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        short = 0
    radius = NEED_RADIUS[0]
    for threshold, size in sorted(NEED_RADIUS.items()):
        if short >= threshold:
            radius = size
    return radius


def type_colors(types: Iterable[object]) -> dict[str, str]:
    """A colour for each resource type: fixed for known types, then a cycle.

    Parameters
    ----------
    types : iterable of str
        The resource types present (duplicates allowed).

    Examples
    --------
    >>> type_colors(["boat", "hovercraft"])
    {'boat': '#78c3e1', 'hovercraft': '#c32dff'}
    """
    names = sorted({str(t) for t in types})
    colors: dict[str, str] = {}
    extra = 0
    for name in names:
        if name in RESOURCE_TYPE_COLORS:
            colors[name] = RESOURCE_TYPE_COLORS[name]
        else:
            colors[name] = EXTRA_TYPE_COLORS[extra % len(EXTRA_TYPE_COLORS)]
            extra += 1
    return colors


# --- The plan map (mutualaid.maps.plan) -----------------------------------------------------
#: Flow line colours by how a trip crosses boundaries (keys as in
#: :data:`mutualaid.figures.plan.CROSSINGS`): neutral greys, light inside one
#: jurisdiction, dark to another jurisdiction of the same country, near black (and
#: dashed, thicker) across a national border. No resource type or severity is grey,
#: so flows never read as units or incidents.
FLOW_COLORS: Final[dict[str, str]] = {
    "local": "#969696",
    "jurisdiction": "#5a5a5a",
    "national": "#1e1e1e",
}
FLOW_LABELS: Final[dict[str, str]] = {
    "local": "within a jurisdiction",
    "jurisdiction": "to another jurisdiction",
    "national": "across a national border",
}
#: Line width in pixels of a one-unit flow, by crossing; each further unit adds
#: ``FLOW_WEIGHT_PER_UNIT`` up to ``FLOW_WEIGHT_EXTRA_MAX``.
FLOW_WEIGHT: Final[dict[str, float]] = {"local": 1.5, "jurisdiction": 2.0, "national": 3.0}
FLOW_WEIGHT_PER_UNIT: Final[float] = 0.5
FLOW_WEIGHT_EXTRA_MAX: Final[float] = 3.0
#: Dash pattern (Leaflet ``dashArray``) of flows across a national border; others are solid.
FLOW_DASH: Final[dict[str, str]] = {"national": "9 6"}
FLOW_OPACITY: Final[float] = 0.75

#: The ring around an incident with unmet need, growing with the units short.
UNMET_COLOR: Final[str] = "#ff00e1"
#: Ring radius in pixels by units short: at least the key's units (ascending).
UNMET_RADIUS: Final[dict[int, int]] = {1: 13, 3: 15, 6: 17, 11: 20}
UNMET_WEIGHT: Final[float] = 3.0


def flow_weight(crossing: str, units: object) -> float:
    """A flow line's width: thicker across borders and for more units."""
    try:
        extra = max(0, int(units) - 1) * FLOW_WEIGHT_PER_UNIT  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        extra = 0.0
    return FLOW_WEIGHT.get(crossing, FLOW_WEIGHT["local"]) + min(extra, FLOW_WEIGHT_EXTRA_MAX)


def unmet_radius(units: object) -> int:
    """The ring radius of an incident short of this many units."""
    try:
        short = int(units)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        short = 1
    radius = UNMET_RADIUS[min(UNMET_RADIUS)]
    for threshold, size in sorted(UNMET_RADIUS.items()):
        if short >= threshold:
            radius = size
    return radius


# --- Units held by the workflow (mutualaid.maps.held) -----------------------------------------
#: Line colours of held units by stage (keys as :data:`mutualaid.allocation.held.STAGES`):
#: teal while en route (accepted, deployed), olive while only committed (not yet
#: accepted); units on scene are a green ring at the incident. None is grey like the
#: flows, warm like severity or in the types' palette (checked by ΔE, see above), so
#: held units never read as the plan's proposals.
HELD_COLORS: Final[dict[str, str]] = {
    "committed": "#78693c",
    "en_route": "#008796",
    "on_scene": "#4b785a",
}
HELD_LABELS: Final[dict[str, str]] = {
    "committed": "committed, not yet accepted",
    "en_route": "en route (accepted)",
    "on_scene": "on scene",
}
#: Dash patterns (Leaflet ``dashArray``): dashed en route, dotted while committed.
HELD_DASH: Final[dict[str, str]] = {"en_route": "10 6", "committed": "1 6"}
HELD_WEIGHT: Final[dict[str, float]] = {"en_route": 3.5, "committed": 2.0}
HELD_OPACITY: Final[float] = 0.9
#: The ring around an incident with units on scene (pixels), drawn over the unmet ring.
HELD_RING_RADIUS: Final[int] = 12
HELD_RING_WEIGHT: Final[float] = 3.0


def symbol_colors() -> dict[str, str]:
    """Every colour that can appear on one map, by what it means: the severities and the
    unknown severity, every resource type (the contract's and the other types'), the
    flows, the held units and the unmet-need ring.

    The base map's colours (land, sea, outlines) are not symbols and not listed.
    """
    colors = {f"severity {level}": color for level, color in SEVERITY_COLORS.items()}
    colors["severity unknown"] = UNKNOWN_COLOR
    colors.update({f"type {name}": color for name, color in RESOURCE_TYPE_COLORS.items()})
    colors.update({f"other type {i + 1}": color for i, color in enumerate(EXTRA_TYPE_COLORS)})
    colors.update({f"flow {kind}": color for kind, color in FLOW_COLORS.items()})
    colors.update({f"held {stage}": color for stage, color in HELD_COLORS.items()})
    colors["unmet need"] = UNMET_COLOR
    return colors
