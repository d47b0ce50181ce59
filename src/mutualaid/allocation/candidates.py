"""Eligible (unit, incident) pairs of one resource type, without the full cartesian product.

A pair is eligible when an agreement (or the domestic rule) allows it and its minutes
(travel + border delay) do not exceed the incident's ``max_response_min``. Incidents with
a limit are matched to units by a radius search (a SciPy ``cKDTree`` of points on the unit
sphere, where a chord of length ``2 sin(θ / 2)`` is exactly a great-circle angle ``θ``):
the radius is the distance the fastest unit of the type covers in that many minutes, an
upper bound, after which every pair found is checked exactly. Incidents without a limit
take every allowed unit of the type (one type at a time, in bounded blocks). With a
``travel_times`` table, the pairs it lists are the only reachable ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from mutualaid import settings
from mutualaid.allocation.prepare import Problem
from mutualaid.travel import DOMESTIC, travel_minutes

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

    res: np.ndarray       # int64, position in Problem.units
    inc: np.ndarray       # int64, position in Problem.incidents
    minutes: np.ndarray   # float, travel + border delay
    delay: np.ndarray     # float, border delay
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


def _finish(problem: Problem, rtype: str, r: np.ndarray, i: np.ndarray,
            travel: np.ndarray | None) -> Arcs:
    """Keep allowed pairs within the response limit and compute their minutes."""
    delay_tab, row_tab = problem.rules.tables(rtype)
    u, inc = problem.units, problem.incidents
    d = delay_tab[u.owner[r], inc.jurisdiction[i]]
    ok = ~np.isnan(d)
    if u.home_only is not None:  # units shared with nobody stay at home
        ok &= ~u.home_only[r] | (u.owner[r] == inc.jurisdiction[i])
    r, i, d = r[ok], i[ok], d[ok]
    if travel is None:
        travel = travel_minutes(from_lon=u.lon[r], from_lat=u.lat[r], to_lon=inc.lon[i],
                                to_lat=inc.lat[i], speed_kmh=u.speed[r], road_factor=u.road_factor[r])
    else:
        travel = travel[ok]
    minutes = travel + d
    limit = inc.max_response[i]
    ok = ~(minutes > limit)  # NaN limit: no limit
    r, i = r[ok], i[ok]
    return Arcs(res=r, inc=i, minutes=minutes[ok], delay=d[ok],
                agreement=row_tab[u.owner[r], inc.jurisdiction[i]])


def _allowed_pairs(problem: Problem, rtype: str, units: np.ndarray, incs: np.ndarray):
    """Every allowed (unit, incident) pair of the given sets, in blocks of bounded size."""
    allowed = ~np.isnan(problem.rules.tables(rtype)[0])
    owner = problem.units.owner[units]
    step = max(1, BLOCK_PAIRS // max(1, len(units)))
    for start in range(0, len(incs), step):
        block = incs[start:start + step]
        ok = allowed[owner[:, None], problem.incidents.jurisdiction[block][None, :]]
        ru, ib = np.nonzero(ok)
        yield units[ru], block[ib]


def _concat(parts: list[Arcs]) -> Arcs:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Arcs.empty()
    return Arcs(*(np.concatenate([getattr(p, f) for p in parts])
                  for f in ("res", "inc", "minutes", "delay", "agreement")))


def _from_table(problem: Problem, rtype: str, units: np.ndarray, incs: np.ndarray) -> Arcs:
    tt = problem.travel_times
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
    tree = cKDTree(_unit_vectors(u.lat[units], u.lon[units]))
    fastest = float(np.max(u.speed[units] / u.road_factor[units]))  # km of great circle per hour
    angle = inc.max_response[incs] / 60.0 * fastest / settings.EARTH_RADIUS_KM
    # The chord of a great-circle angle (monotonic up to pi, the whole sphere beyond).
    chord = 2.0 * np.sin(np.minimum(angle, np.pi) / 2.0)
    chord = chord * (1 + 1e-9) + 1e-12  # never lose a pair to rounding; checked exactly later
    found = tree.query_ball_point(_unit_vectors(inc.lat[incs], inc.lon[incs]), r=chord,
                                  return_sorted=True)
    counts = np.fromiter((len(f) for f in found), np.int64, len(found))
    if counts.sum() == 0:
        return Arcs.empty()
    r = units[np.concatenate([np.asarray(f, np.int64) for f in found])]
    i = np.repeat(incs, counts)
    return _finish(problem, rtype, r, i, None)


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
        arcs = _from_table(problem, rtype, units, incs)
    else:
        limited = np.isfinite(problem.incidents.max_response[incs])
        parts = [_finish(problem, rtype, r, i, None)
                 for r, i in _allowed_pairs(problem, rtype, units, incs[~limited])]
        if len(units) * int(limited.sum()) <= DENSE_PAIRS:
            parts += [_finish(problem, rtype, r, i, None)
                      for r, i in _allowed_pairs(problem, rtype, units, incs[limited])]
        else:
            parts.append(_radius_search(problem, rtype, units, incs[limited]))
        arcs = _concat(parts)
    order = np.lexsort((arcs.res, arcs.minutes, arcs.inc))
    return Arcs(*(getattr(arcs, f)[order] for f in ("res", "inc", "minutes", "delay", "agreement")))
