"""Turn a scenario into the arrays the optimiser works on.

Only resources with status ``available`` and incidents with status ``active`` take part
(contract, section 2). An active incident outside every jurisdiction and an available
resource without an owning jurisdiction take no part either; they are listed in
:attr:`Problem.excluded` so that the plan can say so.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mutualaid.allocation.held import Held
from mutualaid.allocation.travel import BorderRules, border_rules, resource_speeds, road_factor
from mutualaid.scenario.loading import Scenario

#: Reason given in ``Plan.excluded`` for an incident no jurisdiction contains.
OUTSIDE_EVERY_JURISDICTION = "outside every jurisdiction"
#: Reason given in ``Plan.excluded`` for a resource without an owning jurisdiction.
NO_OWNER = "no owning jurisdiction"


def cap_units(available: int, reserve: float) -> int:
    """Units of one type that may leave a jurisdiction: floor((1 - reserve) x available).

    A tolerance of 1e-9 keeps decimal shares exact: with reserve 0.9 and 10 units,
    (1 - 0.9) x 10 is 0.9999999999999998 in binary floating point, yet one unit may go.

    Examples
    --------
    >>> cap_units(10, 0.9), cap_units(3, 0.5), cap_units(4, 1.0)
    (1, 1, 0)
    """
    return max(0, math.floor((1.0 - float(reserve)) * int(available) + 1e-9))


@dataclass
class Units:
    """Available resources that have an owner, one entry per resource record."""

    ids: np.ndarray  # str (object)
    type: np.ndarray  # str (object)
    quantity: np.ndarray  # int64
    owner: np.ndarray  # int64, position in Problem.rules.ids
    lon: np.ndarray
    lat: np.ndarray
    speed: np.ndarray  # km/h, override or the type's default
    road_factor: np.ndarray
    #: bool; True: the unit serves its owner's own incidents only (shared with nobody,
    #: :mod:`mutualaid.access.sharing`). None: no such unit.
    home_only: np.ndarray | None = None


@dataclass
class Incidents:
    """Active incidents inside a jurisdiction."""

    ids: np.ndarray  # str (object)
    jurisdiction: np.ndarray  # int64, position in Problem.rules.ids
    severity: np.ndarray  # int64
    max_response: np.ndarray  # float, NaN when not given
    lon: np.ndarray
    lat: np.ndarray
    #: type -> (incident positions, units needed), needs > 0 only
    needs: dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass
class Problem:
    """Everything the optimiser needs, as arrays."""

    rules: BorderRules
    units: Units
    incidents: Incidents
    #: type -> per-jurisdiction count of available units of that type it owns
    available: dict[str, np.ndarray]
    #: type -> per-jurisdiction cap on units of that type sent abroad
    caps: dict[str, np.ndarray]
    travel_times: pd.DataFrame | None
    excluded: list[dict] = field(default_factory=list)

    @property
    def types(self) -> list[str]:
        """Resource types some incident needs, sorted."""
        return sorted(self.incidents.needs)


def _is(values: pd.Series, word: str) -> np.ndarray:
    return values.astype(str).str.strip().str.lower().eq(word).to_numpy()


def _reserves(jurisdictions: pd.DataFrame, overrides: Mapping[str, float] | None) -> np.ndarray:
    reserve = (
        pd.to_numeric(jurisdictions["reserve"], errors="coerce")
        .fillna(0.0)
        .to_numpy(float, copy=True)
    )
    if overrides:
        index = {str(j): n for n, j in enumerate(jurisdictions["id"])}
        for jid, value in overrides.items():
            if str(jid) not in index:
                raise ValueError(f"reserve for {jid!r}: no jurisdiction has that id")
            value = float(value)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"reserve for {jid!r} must be from 0 to 1, got {value}")
            reserve[index[str(jid)]] = value
    return reserve


def prepare(
    scenario: Scenario,
    *,
    reserves: Mapping[str, float] | None = None,
    agreements: pd.DataFrame | None = None,
    home_only: Collection[str] | None = None,
    held: Held | None = None,
) -> Problem:
    """Build the :class:`Problem` of a scenario.

    Parameters
    ----------
    scenario : Scenario
        Canonical layers (see :mod:`mutualaid.layers.schema`).
    reserves : mapping of jurisdiction id to share, optional
        Reserve shares replacing those of the jurisdictions layer.
    agreements : DataFrame, optional
        Agreement rows replacing the scenario's.
    home_only : collection of str, optional
        Resource ids whose units may serve only their owner's own incidents.
    held : Held, optional
        Units the workflow already holds (committed or deployed): *scenario*'s
        quantities are the free ones (:func:`mutualaid.allocation.held.free_part`);
        the held units count towards their owner's available units of the type and,
        when abroad, against its cap, so the reserve holds over successive plans.
    """
    jur = scenario.jurisdictions
    rules = border_rules(jur, scenario.agreements if agreements is None else agreements)
    reserve = _reserves(jur, reserves)
    excluded: list[dict] = []

    res = scenario.resources
    res = res[_is(res["status"], "available")]
    owner = res["jurisdiction"].map(
        lambda j: rules.index.get(str(j), -1) if isinstance(j, str) else -1
    )
    owner = owner.to_numpy(np.int64)
    for rid, j in zip(res["id"][owner < 0], res["jurisdiction"][owner < 0]):
        detail = (
            NO_OWNER
            if not isinstance(j, str)
            else f"{NO_OWNER} (owner {j!r} is not a jurisdiction)"
        )
        excluded.append({"kind": "resource", "id": str(rid), "reason": NO_OWNER, "detail": detail})
    keep = owner >= 0
    res, owner = res[keep], owner[keep]
    types = res["type"].astype(str).to_numpy(object)
    units = Units(
        ids=res["id"].astype(str).to_numpy(object),
        type=types,
        quantity=pd.to_numeric(res["quantity"]).to_numpy(np.int64),
        owner=owner,
        lon=res["lon"].to_numpy(float),
        lat=res["lat"].to_numpy(float),
        speed=resource_speeds(types, res.get("speed_kmh")),
        road_factor=np.array([road_factor(t) for t in types], dtype=float),
        home_only=(
            None
            if not home_only
            else res["id"].astype(str).isin({str(h) for h in home_only}).to_numpy(bool)
        ),
    )

    inc = scenario.incidents
    inc = inc[_is(inc["status"], "active")]
    where = inc["jurisdiction"].map(
        lambda j: rules.index.get(str(j), -1) if isinstance(j, str) else -1
    )
    where = where.to_numpy(np.int64)
    for iid in inc["id"][where < 0]:
        excluded.append({"kind": "incident", "id": str(iid), "reason": OUTSIDE_EVERY_JURISDICTION})
    keep = where >= 0
    inc, where = inc[keep], where[keep]
    needs_rows: dict[str, tuple[list[int], list[int]]] = {}
    for pos, needs in enumerate(inc["needs"]):
        for rtype, n in (needs if isinstance(needs, dict) else {}).items():
            if int(n) > 0:
                lst = needs_rows.setdefault(str(rtype), ([], []))
                lst[0].append(pos)
                lst[1].append(int(n))
    incidents = Incidents(
        ids=inc["id"].astype(str).to_numpy(object),
        jurisdiction=where,
        severity=pd.to_numeric(inc["severity"]).to_numpy(np.int64),
        max_response=pd.to_numeric(inc["max_response_min"], errors="coerce").to_numpy(float),
        lon=inc["lon"].to_numpy(float),
        lat=inc["lat"].to_numpy(float),
        needs={
            k: (np.asarray(p, np.int64), np.asarray(n, np.int64))
            for k, (p, n) in needs_rows.items()
        },
    )

    n_jur = len(rules.ids)
    available: dict[str, np.ndarray] = {}
    caps: dict[str, np.ndarray] = {}
    stock = held.stock() if held else {}
    abroad = held.abroad() if held else {}
    for rtype in set(incidents.needs) | set(types):
        mask = types == rtype
        available[rtype] = np.bincount(
            owner[mask], weights=units.quantity[mask], minlength=n_jur
        ).astype(np.int64)
        caps[rtype] = np.array(
            [
                max(
                    0,
                    cap_units(int(a) + stock.get((jid, rtype), 0), r) - abroad.get((jid, rtype), 0),
                )
                for jid, a, r in zip(rules.ids, available[rtype], reserve)
            ],
            dtype=np.int64,
        )
    tt = scenario.travel_times
    return Problem(
        rules=rules,
        units=units,
        incidents=incidents,
        available=available,
        caps=caps,
        travel_times=tt,
        excluded=excluded,
    )
