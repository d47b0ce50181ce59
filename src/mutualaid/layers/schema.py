"""The canonical shape of each layer once it has been read and validated.

Readers (:mod:`mutualaid.layers.readers`) return the file's own columns; validators
(:mod:`mutualaid.layers.validate`) return frames with exactly these canonical
columns first (in this order), then any extra columns the file had, kept as text
for display. Row order is the file's feature order. Everything downstream (the
travel model, the optimiser, the maps) relies only on what is written here.

jurisdictions : GeoDataFrame, EPSG:4326
    ``id`` str, ``name`` str (defaults to id), ``country`` str (ISO 3166-1 alpha-2,
    upper case), ``reserve`` float in [0, 1] (default 0), ``geometry`` Polygon or
    MultiPolygon (repaired with ``make_valid`` when it was invalid).
incidents : GeoDataFrame, EPSG:4326
    ``id`` str, ``name`` str (defaults to id), ``hazard`` str, ``severity`` int 1..5,
    ``status`` str (default ``active``), ``reported_at`` pandas Timestamp in UTC,
    ``needs`` dict[str, int] (resource type -> units, zero entries dropped),
    ``max_response_min`` float (NaN when not given), ``jurisdiction`` str or None
    (the jurisdiction containing the location, None when outside every one),
    ``lon``, ``lat`` float (the point, or a polygon's representative point),
    ``geometry`` as given, ``sharing`` str or None (``public``, ``partners`` or
    ``owner``; None: the layer's level applies, see :mod:`mutualaid.access.sharing`).
resources : GeoDataFrame, EPSG:4326
    ``id`` str, ``name`` str (defaults to id), ``type`` str, ``quantity`` int >= 1,
    ``status`` str (default ``available``), ``jurisdiction`` str or None (as given,
    else the jurisdiction containing the point, else None), ``speed_kmh`` float (NaN
    when not given), ``lon``, ``lat`` float, ``geometry`` Point, ``sharing`` str or
    None (as for incidents).
agreements : DataFrame
    ``from`` str, ``to`` str (a jurisdiction id, a country code, or ``*``),
    ``resource_types`` tuple[str, ...] (``("*",)`` for any type),
    ``border_delay_min`` float >= 0.
travel_times : DataFrame
    ``resource_id`` str, ``incident_id`` str, ``minutes`` float >= 0.
"""

from __future__ import annotations

from typing import Final

#: Layer kinds :func:`mutualaid.layers.load_layer` accepts.
KINDS: Final[tuple[str, ...]] = (
    "jurisdictions",
    "incidents",
    "resources",
    "agreements",
    "travel_times",
)
JURISDICTION_COLUMNS: Final[tuple[str, ...]] = ("id", "name", "country", "reserve", "geometry")
INCIDENT_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "name",
    "hazard",
    "severity",
    "status",
    "reported_at",
    "needs",
    "max_response_min",
    "jurisdiction",
    "lon",
    "lat",
    "geometry",
    "sharing",
)
RESOURCE_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "name",
    "type",
    "quantity",
    "status",
    "jurisdiction",
    "speed_kmh",
    "lon",
    "lat",
    "geometry",
    "sharing",
)
AGREEMENT_COLUMNS: Final[tuple[str, ...]] = ("from", "to", "resource_types", "border_delay_min")
TRAVEL_TIME_COLUMNS: Final[tuple[str, ...]] = ("resource_id", "incident_id", "minutes")

CANONICAL_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "jurisdictions": JURISDICTION_COLUMNS,
    "incidents": INCIDENT_COLUMNS,
    "resources": RESOURCE_COLUMNS,
    "agreements": AGREEMENT_COLUMNS,
    "travel_times": TRAVEL_TIME_COLUMNS,
}
