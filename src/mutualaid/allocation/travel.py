"""The travel-time model: how many minutes a unit needs to reach an incident.

Minutes for a trip = travel minutes + border delay (contract, section 2).

* Travel minutes come from a ``travel_times`` table (a routing engine) for the pairs it
  lists; with such a table, a pair it does not list is unreachable. Without a table they
  come from the built-in model: great-circle (haversine) distance x road factor / speed,
  with the road factor and default speeds of :mod:`mutualaid.settings` ("Travel model");
  flying types use a road factor of 1. A resource's ``speed_kmh`` overrides its type's speed.
* Border delay for a unit owned by jurisdiction H going to an incident in J with type k:
  0 when H = J; otherwise the smallest ``border_delay_min`` among agreement rows whose
  ``from`` is H, H's country or ``*``, whose ``to`` is J, J's country or ``*``, and whose
  ``resource_types`` is ``*`` or lists k. No matching row: the trip is not allowed.

Everything here is vectorised with numpy; :class:`BorderRules` computes one
jurisdiction-by-jurisdiction table per resource type, once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mutualaid import settings

#: ``BorderRules.agreement_row`` value for a domestic trip (no agreement needed).
DOMESTIC = -1
#: ``BorderRules.agreement_row`` value for a trip no agreement allows.
NOT_ALLOWED = -2


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasting).

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like
        Longitudes and latitudes in degrees, EPSG:4326.

    Returns
    -------
    numpy.ndarray
        Distances in km on a sphere of radius :data:`mutualaid.settings.EARTH_RADIUS_KM`.

    Examples
    --------
    >>> round(float(haversine_km(0, 0, 1, 0)), 1)
    111.2
    """
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2)
    )
    # The haversine form stays accurate for the short distances that matter most here.
    h = (
        np.sin((lat2 - lat1) / 2.0) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    )
    return 2.0 * settings.EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def road_factor(rtype: str) -> float:
    """Road distance / great-circle distance for a resource type (1.0 for flying types)."""
    return 1.0 if rtype in settings.AIR_TYPES else settings.ROAD_FACTOR


def default_speed_kmh(rtype: str) -> float:
    """The documented default speed of a resource type, km/h (the fallback when unknown)."""
    return float(settings.DEFAULT_SPEED_KMH.get(rtype, settings.FALLBACK_SPEED_KMH))


def resource_speeds(types: Iterable[str], speed_kmh: Iterable[float] | None = None) -> np.ndarray:
    """Effective speed of each resource, km/h: its own ``speed_kmh`` when given (> 0),
    else its type's default.

    Parameters
    ----------
    types : iterable of str
        Resource type of each resource.
    speed_kmh : iterable of float, optional
        Per-resource overrides; NaN (or None) where not given.
    """
    types = list(types)
    speeds = np.array([default_speed_kmh(t) for t in types], dtype=float)
    if speed_kmh is not None:
        own = pd.to_numeric(pd.Series(list(speed_kmh), dtype=object), errors="coerce").to_numpy(
            float
        )
        use = np.isfinite(own) & (own > 0)
        speeds[use] = own[use]
    return speeds


def travel_minutes(*, from_lon, from_lat, to_lon, to_lat, speed_kmh, road_factor) -> np.ndarray:
    """Built-in travel minutes (without border delay), elementwise with broadcasting.

    Parameters
    ----------
    from_lon, from_lat : array_like
        Where the units are, degrees.
    to_lon, to_lat : array_like
        Where the incidents are, degrees.
    speed_kmh : array_like
        Speed of each unit, km/h.
    road_factor : array_like or float
        Road distance / great-circle distance (see :func:`road_factor`).

    Examples
    --------
    >>> float(
    ...     travel_minutes(
    ...         from_lon=0, from_lat=0, to_lon=0, to_lat=0, speed_kmh=60, road_factor=1.3
    ...     )
    ... )
    0.0
    """
    km = haversine_km(from_lon, from_lat, to_lon, to_lat)
    return km * np.asarray(road_factor, dtype=float) / np.asarray(speed_kmh, dtype=float) * 60.0


def _types_of(value) -> tuple[str, ...]:
    """An agreement's ``resource_types`` as a tuple (the canonical form; text is split on ';')."""
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(";") if p.strip())
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    return tuple(str(v).strip() for v in value)


@dataclass
class BorderRules:
    """Which owner may send which type where, and at what border delay.

    Build it with :func:`border_rules`. Jurisdictions are numbered in the order of
    :attr:`ids`; :meth:`tables` gives, for one resource type, an ``(n, n)`` array of
    delays (row: owner, column: incident's jurisdiction; NaN = not allowed) and the
    agreement row used for each pair (:data:`DOMESTIC`, :data:`NOT_ALLOWED` or the row's
    position in :attr:`agreements`; ties go to the earlier row).
    """

    ids: tuple[str, ...]
    countries: tuple[str, ...]
    agreements: pd.DataFrame
    index: dict[str, int] = field(init=False)
    _from: np.ndarray = field(init=False, repr=False)
    _to: np.ndarray = field(init=False, repr=False)
    _rows_types: list[tuple[str, ...]] = field(init=False, repr=False)
    _plain_rows: list[dict] = field(init=False, repr=False)
    _cache: dict[str, tuple[np.ndarray, np.ndarray]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {jid: n for n, jid in enumerate(self.ids)}
        ids = np.asarray(self.ids, dtype=object)
        countries = np.asarray([str(c).upper() for c in self.countries], dtype=object)
        n_rows = len(self.agreements)
        self._from = np.zeros((n_rows, len(ids)), dtype=bool)
        self._to = np.zeros((n_rows, len(ids)), dtype=bool)
        for row, (frm, to) in enumerate(zip(self.agreements["from"], self.agreements["to"])):
            self._from[row] = self._side_matches(str(frm).strip(), ids, countries)
            self._to[row] = self._side_matches(str(to).strip(), ids, countries)
        self._rows_types = [_types_of(v) for v in self.agreements["resource_types"]]
        self._delays = pd.to_numeric(self.agreements["border_delay_min"], errors="coerce").to_numpy(
            float
        )
        self._plain_rows = [
            {
                "from": str(f).strip(),
                "to": str(t).strip(),
                "resource_types": ";".join(types),
                "border_delay_min": float(d),
            }
            for f, t, types, d in zip(
                self.agreements["from"], self.agreements["to"], self._rows_types, self._delays
            )
        ]
        self._cache = {}

    @staticmethod
    def _side_matches(value: str, ids: np.ndarray, countries: np.ndarray) -> np.ndarray:
        if value == "*":
            return np.ones(len(ids), dtype=bool)
        return (ids == value) | (countries == value.upper())

    def tables(self, rtype: str) -> tuple[np.ndarray, np.ndarray]:
        """Delay table and agreement-row table for one resource type (see class doc)."""
        if rtype not in self._cache:
            n = len(self.ids)
            delay = np.full((n, n), np.inf)
            row_used = np.full((n, n), NOT_ALLOWED, dtype=np.int64)
            for row, types in enumerate(self._rows_types):
                if "*" not in types and rtype not in types:
                    continue
                d = self._delays[row]
                if not np.isfinite(d):
                    continue
                match = np.outer(self._from[row], self._to[row])
                better = match & (d < delay)  # strict: ties keep the earlier row
                delay[better] = d
                row_used[better] = row
            delay[~np.isfinite(delay)] = np.nan
            np.fill_diagonal(delay, 0.0)
            np.fill_diagonal(row_used, DOMESTIC)
            self._cache[rtype] = (delay, row_used)
        return self._cache[rtype]

    def delay(self, owner: str, target: str, rtype: str) -> float | None:
        """Border delay in minutes for one trip, or None when no rule allows it.

        Examples
        --------
        >>> import pandas as pd
        >>> rules = BorderRules(ids=("DE-NW", "NL-LI"), countries=("DE", "NL"),
        ...     agreements=pd.DataFrame({"from": ["DE"], "to": ["*"],
        ...         "resource_types": [("boat",)], "border_delay_min": [15.0]}))
        >>> rules.delay("DE-NW", "NL-LI", "boat"), rules.delay("NL-LI", "DE-NW", "boat")
        (15.0, None)
        """
        if owner == target:
            return 0.0
        if owner not in self.index or target not in self.index:
            return None
        d = self.tables(rtype)[0][self.index[owner], self.index[target]]
        return None if np.isnan(d) else float(d)

    def agreement(self, row: int) -> dict | None:
        """The agreement row at ``row`` as plain data (None for a domestic trip)."""
        if row < 0:
            return None
        return dict(self._plain_rows[row])


def border_rules(jurisdictions: pd.DataFrame, agreements: pd.DataFrame | None) -> BorderRules:
    """Build the :class:`BorderRules` of a scenario.

    Parameters
    ----------
    jurisdictions : DataFrame
        Canonical jurisdictions (``id``, ``country``).
    agreements : DataFrame or None
        Canonical agreement rows (``from``, ``to``, ``resource_types``,
        ``border_delay_min``); None or empty means only domestic trips are allowed.
    """
    if agreements is None:
        agreements = pd.DataFrame(columns=["from", "to", "resource_types", "border_delay_min"])
    return BorderRules(
        ids=tuple(str(j) for j in jurisdictions["id"]),
        countries=tuple(str(c) for c in jurisdictions["country"]),
        agreements=agreements.reset_index(drop=True),
    )
