"""The units the workflow holds, on a map, drawn apart from the plan's proposals.

The plan a page shows is made of the free part of the scenario
(:func:`mutualaid.allocation.held.free_part`): its flows are proposals only. The units
already committed or deployed through the workflow (:class:`~mutualaid.allocation.held.Held`)
are drawn here, in colours no flow uses (:mod:`mutualaid.maps.palette`)::

    frame = held_frame(held, jurisdictions=j, incidents=i, resources=r)  # a table
    drawn = held_layers(frame)          # lines (en route, committed), rings (on scene)
    held_entries()                      # their legend entries

* en route (accepted, deployed): a teal dashed line from the resource to the incident;
* committed (not yet accepted): a thin olive dotted line;
* on scene: a green ring around the incident, with the units' count beside it.

Each has a tooltip (resource, incident, type, units, from -> to, stage, arrival when
known, offer), every value escaped. Only the held lines whose incident or resource is
on the (filtered) map are drawn, and only where their ends are: a line needs both the
resource and the incident, a ring its incident. With nothing to draw there are no
layers and no legend entries, so the map is the same as without the workflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.template import Template

from mutualaid.allocation.held import COMMITTED, EN_ROUTE, ON_SCENE, Held, HeldLine
from mutualaid.display import display_text, html_text
from mutualaid.figures.plan import with_crossings
from mutualaid.maps import palette
from mutualaid.maps.elements import LegendEntry
from mutualaid.maps.features import Field, point_collection, point_coordinates
from mutualaid.maps.flows import labelled, line_collection, route_labels
from mutualaid.maps.layers import tooltip_for
from mutualaid.maps.styled_geojson import STYLE_KEY, StyledGeoJson, StyleTable
from mutualaid.vocabulary import type_label

#: Layer names as shown in the layer control (escaped before use).
HELD_LINES_NAME = "Held by the workflow: en route, committed"
HELD_RINGS_NAME = "Held by the workflow: on scene"

#: The legend section's title.
HELD_TITLE = "Held by the workflow (not in the plan)"


def eta_text(value: Any) -> str:
    """An estimated arrival as ``YYYY-MM-DD HH:MM UTC``; empty when not known.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> eta_text(datetime(2026, 12, 7, 13, 5, tzinfo=UTC))
    '2026-12-07 13:05 UTC'
    >>> eta_text(None)
    ''
    """
    if not isinstance(value, datetime) or pd.isna(value):
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


#: What each held feature's tooltip shows. The keys are not the flows' (no ``route``):
#: a held line is never counted as a proposed flow.
HELD_FIELDS: tuple[Field, ...] = (
    Field("stage", "stage_label", "Stage"),
    Field("resource", "resource", "Resource"),
    Field("incident", "incident", "Incident"),
    Field("type", "type", "Type", type_label),
    Field("units", "units", "Units"),
    Field("between", "between", "From -> to"),
    Field("eta", "eta_text", "Arrival (ETA)"),
    Field("offer", "offer", "Offer"),
)

#: A held line's own fields, the first columns of :func:`held_frame`.
_COLUMNS = [f.name for f in fields(HeldLine)]


def _located(
    frame: gpd.GeoDataFrame, wanted: set[str]
) -> tuple[dict[str, tuple[float, float]], gpd.GeoDataFrame]:
    """The (lon, lat) of each *wanted* feature id of *frame* as the map places it (the
    first feature of an id; ids not in the frame left out), and those rows of *frame*
    (for their names): a 50,000-incident layer is not read whole for a few lines."""
    if not wanted or "id" not in frame.columns:
        return {}, frame.iloc[:0]
    ids = frame["id"].map(display_text)
    subset = frame[ids.isin(wanted).to_numpy()]
    lons, lats = point_coordinates(subset)
    found: dict[str, tuple[float, float]] = {}
    for fid, lon, lat in zip(ids[ids.isin(wanted)], lons, lats):
        found.setdefault(fid, (float(lon), float(lat)))
    return found, subset


def held_frame(
    held: Held | None,
    *,
    jurisdictions: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """The held lines on this map, as a table: the line's fields, labels for people and
    both ends' coordinates.

    Parameters
    ----------
    held : Held or None
        The units the workflow holds (:func:`mutualaid.store.workflow.held_lines`).
    jurisdictions, incidents, resources : geopandas.GeoDataFrame
        The layers the map shows (filtered or not), for names, countries and places.

    Returns
    -------
    DataFrame
        One row per held line whose incident or resource is among the shown ones:
        the :class:`~mutualaid.allocation.held.HeldLine` fields, ``resource``,
        ``incident`` (``name (id)``), ``between`` (from -> to), ``stage_label``,
        ``eta_text``, ``offer``, and ``x0, y0`` (the resource), ``x1, y1`` (the
        incident), NaN where that end is not shown.
    """
    lines = held.lines if held else ()
    at_incident, shown_incidents = _located(incidents, {display_text(x.incident_id) for x in lines})
    at_resource, shown_resources = _located(resources, {display_text(x.resource_id) for x in lines})
    rows = []
    for line in lines:
        incident, resource = display_text(line.incident_id), display_text(line.resource_id)
        if incident not in at_incident and resource not in at_resource:
            continue
        x0, y0 = at_resource.get(resource, (np.nan, np.nan))
        x1, y1 = at_incident.get(incident, (np.nan, np.nan))
        rows.append(
            {
                "offer_id": int(line.offer_id),
                "resource_id": resource,
                "incident_id": incident,
                "type": display_text(line.type),
                "units": int(line.units),
                "minutes": float(line.minutes),
                "from_jurisdiction": display_text(line.from_jurisdiction),
                "to_jurisdiction": display_text(line.to_jurisdiction),
                "stage": line.stage,
                "eta": line.eta,
                "eta_text": eta_text(line.eta),
                "x0": x0,
                "y0": y0,
                "x1": x1,
                "y1": y1,
            }
        )
    frame = pd.DataFrame(rows, columns=[*_COLUMNS, "eta_text", "x0", "y0", "x1", "y1"])
    for column in ("x0", "y0", "x1", "y1"):
        frame[column] = frame[column].astype("float64")
    frame = with_crossings(frame, jurisdictions)
    frame["resource"] = labelled(frame["resource_id"], shown_resources)
    frame["incident"] = labelled(frame["incident_id"], shown_incidents)
    frame["between"] = route_labels(frame) if len(frame) else []
    frame["stage_label"] = frame["stage"].map(lambda s: palette.HELD_LABELS.get(s, s))
    frame["offer"] = frame["offer_id"].map(lambda o: f"#{o}")
    return frame


def _finite(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    return np.isfinite(frame[list(columns)].to_numpy(dtype="float64")).all(axis=1)


def _joined(values: Iterable[Any]) -> str:
    """The distinct values in order of first appearance, joined by ``"; "``."""
    return "; ".join(dict.fromkeys(display_text(v) for v in values if display_text(v)))


def on_scene_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The units on scene, one row per incident shown.

    Parameters
    ----------
    frame : DataFrame
        From :func:`held_frame`.

    Returns
    -------
    DataFrame
        ``incident_id``, the units summed, the other fields of its lines joined (each
        value once, ``"; "`` between), ``lon``/``lat`` the incident's.
    """
    rows = frame[(frame["stage"] == ON_SCENE) & _finite(frame, ("x1", "y1"))]
    out = []
    for incident_id, group in rows.groupby("incident_id", sort=True):
        out.append(
            {
                "incident_id": incident_id,
                "incident": group["incident"].iat[0],
                "stage_label": palette.HELD_LABELS[ON_SCENE],
                "resource": _joined(
                    f"{r} ({t}, {u})"
                    for r, t, u in zip(group["resource"], group["type"], group["units"])
                ),
                "type": _joined(group["type"]),
                "units": int(group["units"].sum()),
                "between": _joined(group["between"]),
                "eta_text": _joined(group["eta_text"]),
                "offer": _joined(group["offer"]),
                "lon": float(group["x1"].iat[0]),
                "lat": float(group["y1"].iat[0]),
            }
        )
    return pd.DataFrame(
        out,
        columns=[
            "incident_id",
            "incident",
            "stage_label",
            "resource",
            "type",
            "units",
            "between",
            "eta_text",
            "offer",
            "lon",
            "lat",
        ],
    )


def held_lines_layer(frame: pd.DataFrame) -> StyledGeoJson | None:
    """The units en route (teal, dashed) and committed (olive, dotted) as lines
    from the resource to the incident; None when there is none to draw.

    Parameters
    ----------
    frame : DataFrame
        From :func:`held_frame`; its rows en route or committed with both ends shown
        are drawn, committed first (under those en route).
    """
    moving = frame[
        frame["stage"].isin((COMMITTED, EN_ROUTE)) & _finite(frame, ("x0", "y0", "x1", "y1"))
    ]
    order = {COMMITTED: 0, EN_ROUTE: 1}
    moving = moving.assign(_order=moving["stage"].map(order)).sort_values("_order", kind="stable")
    moving = moving.drop(columns="_order").reset_index(drop=True)
    if not len(moving):
        return None
    data = line_collection(moving, fields=HELD_FIELDS, decimals=palette.POINT_DECIMALS)
    table = StyleTable()
    for feature in data["features"]:
        stage = moving["stage"].iat[int(feature["id"])]
        feature[STYLE_KEY] = table.index(
            {
                "color": palette.HELD_COLORS[stage],
                "opacity": palette.HELD_OPACITY,
                "weight": palette.HELD_WEIGHT[stage],
                "lineCap": "round",
                "dashArray": palette.HELD_DASH[stage],
            }
        )
    return StyledGeoJson(
        data,
        styles=table.styles,
        highlight={"opacity": 1.0, "color": "#000000"},
        name=html_text(HELD_LINES_NAME),
        tooltip=tooltip_for(data, HELD_FIELDS),
    )


class HeldCounts(folium.MacroElement):
    """The units' count beside each on-scene ring: a small badge that takes no clicks.

    Added to the rings' layer, so it is shown and hidden with it. The counts are
    numbers and are written as the badge's text (``textContent``), never as HTML.

    Parameters
    ----------
    counts : sequence of (lon, lat, units)
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (layer, counts) {
            counts.forEach(function (c) {
                var badge = document.createElement("span");
                badge.textContent = String(c[2]);
                layer.addLayer(L.marker([c[1], c[0]], {
                    icon: L.divIcon({className: "mutualaid-held-count", html: badge,
                                     iconSize: null, iconAnchor: [-7, 24]}),
                    interactive: false, keyboard: false
                }));
            });
        })({{ this._parent.get_name() }}, {{ this.counts|tojson }});
        {% endmacro %}
    """)

    def __init__(self, counts: Sequence[tuple[float, float, int]]) -> None:
        super().__init__()
        self._name = "HeldCounts"
        self.counts = [[float(x), float(y), int(n)] for x, y, n in counts]


def held_rings_layer(frame: pd.DataFrame) -> StyledGeoJson | None:
    """A green ring around each shown incident with units on scene, their count
    beside it; None when there is none.

    Parameters
    ----------
    frame : DataFrame
        From :func:`held_frame`.
    """
    scene = on_scene_frame(frame)
    if not len(scene):
        return None
    data = point_collection(scene, fields=HELD_FIELDS, decimals=palette.POINT_DECIMALS)
    style = {
        "fill": True,
        "fillColor": palette.HELD_COLORS[ON_SCENE],
        "fillOpacity": 0.0,
        "color": palette.HELD_COLORS[ON_SCENE],
        "weight": palette.HELD_RING_WEIGHT,
        "radius": palette.HELD_RING_RADIUS,
    }
    for feature in data["features"]:
        feature[STYLE_KEY] = 0
    layer = StyledGeoJson(
        data,
        styles=[style],
        highlight={"weight": palette.HELD_RING_WEIGHT + 1.5, "color": "#000000"},
        name=html_text(HELD_RINGS_NAME),
        points=True,
        tooltip=tooltip_for(data, HELD_FIELDS),
    )
    counts = [
        (lon, lat, units)
        for lon, lat, units in zip(scene["lon"], scene["lat"], scene["units"])
        if np.isfinite(lon) and np.isfinite(lat)
    ]
    layer.add_child(HeldCounts(counts), name=layer.get_name() + "_counts")
    return layer


@dataclass(frozen=True)
class HeldLayers:
    """The held units' layers of one map (None: nothing of that kind to draw).

    Parameters
    ----------
    lines : StyledGeoJson or None
        En route and committed, drawn with the flows, under the points.
    rings : StyledGeoJson or None
        On scene, drawn over the unmet-need rings, under the incidents.
    """

    lines: StyledGeoJson | None = None
    rings: StyledGeoJson | None = None

    def __bool__(self) -> bool:
        return self.lines is not None or self.rings is not None

    @property
    def line_layers(self) -> list[folium.GeoJson]:
        """The lines' layer as a list (empty when none)."""
        return [] if self.lines is None else [self.lines]

    @property
    def ring_layers(self) -> list[folium.GeoJson]:
        """The rings' layer as a list (empty when none)."""
        return [] if self.rings is None else [self.rings]


def held_layers(frame: pd.DataFrame) -> HeldLayers:
    """Both held layers of *frame*.

    Parameters
    ----------
    frame : DataFrame
        From :func:`held_frame`.

    Returns
    -------
    HeldLayers
    """
    return HeldLayers(lines=held_lines_layer(frame), rings=held_rings_layer(frame))


def held_map_layers(
    held: Held | None,
    *,
    jurisdictions: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    resources: gpd.GeoDataFrame,
) -> tuple[pd.DataFrame, HeldLayers]:
    """:func:`held_frame` and :func:`held_layers` in one step.

    Parameters
    ----------
    held : Held or None
    jurisdictions, incidents, resources : geopandas.GeoDataFrame
        The layers the map shows.

    Returns
    -------
    (DataFrame, HeldLayers)
        The frame, and the layers (none when nothing held is on this map).
    """
    frame = held_frame(held, jurisdictions=jurisdictions, incidents=incidents, resources=resources)
    return frame, (held_layers(frame) if len(frame) else HeldLayers())


def held_entries() -> list[LegendEntry]:
    """Legend entries of the held units, one per stage: ``(colour, label, swatch)``."""
    return [
        (palette.HELD_COLORS[EN_ROUTE], palette.HELD_LABELS[EN_ROUTE], "dashed"),
        (palette.HELD_COLORS[COMMITTED], palette.HELD_LABELS[COMMITTED], "dotted"),
        (palette.HELD_COLORS[ON_SCENE], f"{palette.HELD_LABELS[ON_SCENE]} (ring, units)", "ring"),
    ]


__all__ = [
    "HELD_FIELDS",
    "HELD_LINES_NAME",
    "HELD_RINGS_NAME",
    "HELD_TITLE",
    "HeldCounts",
    "HeldLayers",
    "eta_text",
    "held_entries",
    "held_frame",
    "held_layers",
    "held_lines_layer",
    "held_map_layers",
    "held_rings_layer",
    "on_scene_frame",
]
