"""Eligible (unit, incident) pairs of one resource type, without the full cartesian product.

A pair is eligible when an agreement (or the domestic rule) allows it and its minutes
(travel + border delay) do not exceed the incident's ``max_response_min``. Incidents with
a limit are matched to units by a radius search: the radius is the distance the fastest
unit of the type covers in that many minutes, an upper bound. Units sorted by latitude give
each incident the band of units within that many degrees of latitude (a great-circle
distance is never shorter), in which the chord between points on the unit sphere, exactly
``2 sin(θ / 2)`` for a great-circle angle ``θ``, keeps the ones within the radius; every
pair found is then checked exactly. (This is plain numpy: the spatial trees of SciPy or
scikit-learn find the same pairs but cost the command line their imports, issue 11.)
Incidents without a limit take every allowed unit of the type (one type at a time, in
bounded blocks). With a ``travel_times`` table, the pairs it lists are the only reachable ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from mutualaid import settings
from mutualaid.allocation.prepare import Problem
from mutualaid.allocation.travel import DOMESTIC, travel_minutes

#: Below this many unit x incident pairs per type, plain numpy over all pairs is used
#: instead of a tree. Measured on the benchmark sizes the tree wins already at medium size
#: (0.043 s against 0.06 s for all types; large: 2.0 s against 2.7 s), so only tiny
#: problems skip it.
DENSE_PAIRS: int = 20_000
#: Pairs handled at once when every pair must be looked at (bounds peak memory).
BLOCK_PAIRS: int = 2_000_000


@dataclass
class Arcs:
    """Eligible pairs of one type: one entry per (unit record, incident)."""

    res: np.ndarray  # int64, position in Problem.units
    inc: np.ndarray  # int64, position in Problem.incidents
    minutes: np.ndarray  # float, travel + border delay
    delay: np.ndarray  # float, border delay
    agreement: np.ndarray  # int64, agreement row (DOMESTIC for a domestic trip)

    @cached_property
    def foreign(self) -> np.ndarray:
        """True where the unit leaves its owner's jurisdiction."""
        return self.agreement != DOMESTIC

    def __len__(self) -> int:
        return len(self.res)

    @staticmethod
    def empty() -> Arcs:
        z = np.zeros(0, np.int64)
        return Arcs(z, z.copy(), np.zeros(0), np.zeros(0), z.copy())


def _finish(
    problem: Problem, rtype: str, r: np.ndarray, i: np.ndarray, travel: np.ndarray | None
) -> Arcs:
    """Keep allowed pairs within the response limit and compute their minutes."""
    delay_tab, row_tab = problem.rules.tables(rtype)
    u, inc = problem.units, problem.incidents
    d = delay_tab[u.owner[r], inc.jurisdiction[i]]
    ok = ~np.isnan(d)
    if u.home_only is not None:  # units shared with nobody stay at home
        ok &= ~u.home_only[r] | (u.owner[r] == inc.jurisdiction[i])
    r, i, d = r[ok], i[ok], d[ok]
    if travel is None:
        travel = travel_minutes(
            from_lon=u.lon[r],
            from_lat=u.lat[r],
            to_lon=inc.lon[i],
            to_lat=inc.lat[i],
            speed_kmh=u.speed[r],
            road_factor=u.road_factor[r],
        )
    else:
        travel = travel[ok]
    minutes = travel + d
    limit = inc.max_response[i]
    ok = ~(minutes > limit)  # NaN limit: no limit
    r, i = r[ok], i[ok]
    return Arcs(
        res=r,
        inc=i,
        minutes=minutes[ok],
        delay=d[ok],
        agreement=row_tab[u.owner[r], inc.jurisdiction[i]],
    )


def _allowed_pairs(problem: Problem, rtype: str, units: np.ndarray, incs: np.ndarray):
    """Every allowed (unit, incident) pair of the given sets, in blocks of bounded size."""
    allowed = ~np.isnan(problem.rules.tables(rtype)[0])
    owner = problem.units.owner[units]
    step = max(1, BLOCK_PAIRS // max(1, len(units)))
    for start in range(0, len(incs), step):
        block = incs[start : start + step]
        ok = allowed[owner[:, None], problem.incidents.jurisdiction[block][None, :]]
        ru, ib = np.nonzero(ok)
        yield units[ru], block[ib]


def _concat(parts: list[Arcs]) -> Arcs:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Arcs.empty()
    return Arcs(
        *(
            np.concatenate([getattr(p, f) for p in parts])
            for f in ("res", "inc", "minutes", "delay", "agreement")
        )
    )


def _from_table(
    problem: Problem, tt: pd.DataFrame, rtype: str, units: np.ndarray, incs: np.ndarray
) -> Arcs:
    unit_pos = pd.Index(problem.units.ids[units]).get_indexer(tt["resource_id"].astype(str))
    inc_pos = pd.Index(problem.incidents.ids[incs]).get_indexer(tt["incident_id"].astype(str))
    keep = (unit_pos >= 0) & (inc_pos >= 0)
    minutes = pd.to_numeric(tt["minutes"], errors="coerce").to_numpy(float)[keep]
    r, i = units[unit_pos[keep]], incs[inc_pos[keep]]
    good = np.isfinite(minutes)
    r, i, minutes = r[good], i[good], minutes[good]
    if len(r):
        # A pair listed twice: the shorter time counts.
        order = np.lexsort((minutes, i, r))
        r, i, minutes = r[order], i[order], minutes[order]
        first = np.ones(len(r), bool)
        first[1:] = (r[1:] != r[:-1]) | (i[1:] != i[:-1])
        r, i, minutes = r[first], i[first], minutes[first]
    return _finish(problem, rtype, r, i, minutes)


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere (x, y, z) for latitudes and longitudes in degrees."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _radius_search(problem: Problem, rtype: str, units: np.ndarray, incs: np.ndarray) -> Arcs:
    u, inc = problem.units, problem.incidents
    units = units[np.argsort(u.lat[units], kind="stable")]
    lat = u.lat[units]
    fastest = float(np.max(u.speed[units] / u.road_factor[units]))  # km of great circle per hour
    angle = inc.max_response[incs] / 60.0 * fastest / settings.EARTH_RADIUS_KM
    # Never lose a pair to rounding (every pair found is checked exactly later).
    band = np.degrees(angle) * (1 + 1e-9) + 1e-9
    chord = 2.0 * np.sin(np.minimum(angle, np.pi) / 2.0) * (1 + 1e-9) + 1e-12
    inc_lat = inc.lat[incs]
    lo = np.searchsorted(lat, inc_lat - band, "left")
    counts = np.searchsorted(lat, inc_lat + band, "right") - lo
    unit_xyz = _unit_vectors(lat, u.lon[units])
    inc_xyz = _unit_vectors(inc_lat, inc.lon[incs])
    ends = np.cumsum(counts)
    found_r, found_i = [], []
    start = 0
    while start < len(incs):  # blocks of incidents with at most BLOCK_PAIRS pairs in band
        done = int(ends[start - 1]) if start else 0
        stop = min(
            len(incs), max(start + 1, int(np.searchsorted(ends, done + BLOCK_PAIRS, "right")))
        )
        block = np.arange(start, stop)
        c = counts[block]
        pair_inc = np.repeat(block, c)
        pair_unit = (
            np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c) + np.repeat(lo[block], c)
        )
        d = unit_xyz[pair_unit] - inc_xyz[pair_inc]
        near = np.einsum("ij,ij->i", d, d) <= chord[pair_inc] ** 2
        found_r.append(units[pair_unit[near]])
        found_i.append(incs[pair_inc[near]])
        start = stop
    r = np.concatenate(found_r).astype(np.int64)
    if len(r) == 0:
        return Arcs.empty()
    return _finish(problem, rtype, r, np.concatenate(found_i).astype(np.int64), None)


def candidate_arcs(problem: Problem, rtype: str) -> Arcs:
    """All eligible pairs of resource type ``rtype``.

    Parameters
    ----------
    problem : Problem
        From :func:`mutualaid.allocation.prepare.prepare`.
    rtype : str
        The resource type.

    Returns
    -------
    Arcs
        One entry per eligible (unit record, incident) pair, sorted by incident, then
        minutes, then unit record.
    """
    units = np.flatnonzero(problem.units.type == rtype)
    incs = problem.incidents.needs.get(rtype, (np.zeros(0, np.int64),))[0]
    if len(units) == 0 or len(incs) == 0:
        return Arcs.empty()
    if problem.travel_times is not None:
        arcs = _from_table(problem, problem.travel_times, rtype, units, incs)
    else:
        limited = np.isfinite(problem.incidents.max_response[incs])
        parts = [
            _finish(problem, rtype, r, i, None)
            for r, i in _allowed_pairs(problem, rtype, units, incs[~limited])
        ]
        if len(units) * int(limited.sum()) <= DENSE_PAIRS:
            parts += [
                _finish(problem, rtype, r, i, None)
                for r, i in _allowed_pairs(problem, rtype, units, incs[limited])
            ]
        else:
            parts.append(_radius_search(problem, rtype, units, incs[limited]))
        arcs = _concat(parts)
    order = np.lexsort((arcs.res, arcs.minutes, arcs.inc))
    return Arcs(*(getattr(arcs, f)[order] for f in ("res", "inc", "minutes", "delay", "agreement")))
