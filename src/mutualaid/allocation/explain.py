"""Why a need is not met: one reason per unmet need, from the contract's list.

For an incident i in jurisdiction J that still lacks units of type k, the question is
why no *further* unit goes there (units already serving i do not count). The reasons are
tested in this order, and the first that holds is *the* reason:

1. ``no units of that type``: no other available unit of type k with an owner exists.
2. ``no agreement``: such units exist, but neither the domestic rule nor any agreement
   lets one of them go to J.
3. ``beyond the maximum response time``: other allowed units exist, but none can arrive
   within the incident's ``max_response_min`` (with a travel-time table: none has a time
   listed within it, an unlisted pair being unreachable).
4. ``reserve limit``: a unit within reach is held back by a reserve: it would have to
   leave its owner, whose cap on units sent abroad is used up (or zero), and it is idle
   or busy at home (so a larger cap would free it for this incident).
5. ``outcompeted by more severe incidents``: every other unit within reach is used by
   other incidents (the plan already maximises severity-weighted coverage, so those uses
   are worth at least as much).

Reasons 4 and 5 can both hold (some units held back, others busy): then 4 is the reason,
because a reserve is something a coordinator can change, and 5 is kept in
``other_reasons``. Optimality guarantees that one of them holds whenever units within
reach exist: a spare unit that could go without breaking a cap would have been sent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mutualaid.allocation.prepare import Problem
from mutualaid.allocation.solve import TypeSolution, foreign_sent
from mutualaid.vocabulary import type_label

NO_UNITS = "no units of that type"
NO_AGREEMENT = "no agreement"
TOO_FAR = "beyond the maximum response time"
RESERVE = "reserve limit"
OUTCOMPETED = "outcompeted by more severe incidents"
#: Every reason, in priority order.
REASONS: tuple[str, ...] = (NO_UNITS, NO_AGREEMENT, TOO_FAR, RESERVE, OUTCOMPETED)

UNMET_COLUMNS = ("incident_id", "type", "units", "reason", "other_reasons", "detail")


def explain_unmet(problem: Problem, rtype: str, solution: TypeSolution) -> list[dict]:
    """The unmet needs of one type, each with its reason.

    Parameters
    ----------
    problem : Problem
        The prepared scenario.
    rtype : str
        The resource type.
    solution : TypeSolution
        The optimal units per eligible arc of this type.

    Returns
    -------
    list of dict
        One dict per unmet need, with the keys of :data:`UNMET_COLUMNS`.
    """
    inc_pos, need = problem.incidents.needs[rtype]
    arcs, flow = solution.arcs, solution.flow
    got = np.bincount(arcs.inc, weights=flow, minlength=len(problem.incidents.ids))[inc_pos]
    short = need - got.astype(np.int64)
    if not (short > 0).any():
        return []

    units = problem.units
    available = problem.available.get(rtype, np.zeros(len(problem.rules.ids), np.int64))
    allowed = ~np.isnan(problem.rules.tables(rtype)[0])
    used = np.bincount(arcs.res, weights=flow, minlength=len(units.ids)).astype(np.int64)
    home = ~arcs.foreign
    at_home = (
        units.quantity
        - used
        + np.bincount(arcs.res[home], weights=flow[home], minlength=len(units.ids)).astype(np.int64)
    )
    cap = problem.caps.get(rtype, np.zeros(len(problem.rules.ids), np.int64))
    cap_full = foreign_sent(problem, arcs, flow) >= cap
    # Arcs are sorted by incident: the arcs of incident p are arcs[lo[p]:hi[p]].
    lo = np.searchsorted(arcs.inc, inc_pos, side="left")
    hi = np.searchsorted(arcs.inc, inc_pos, side="right")
    out = []
    for n in np.flatnonzero(short > 0):
        p = inc_pos[n]
        reasons, detail = _reasons(
            problem,
            arcs,
            flow,
            lo[n],
            hi[n],
            j=problem.incidents.jurisdiction[p],
            got=int(got[n]),
            available=available,
            allowed=allowed,
            at_home=at_home,
            cap_full=cap_full,
            k=rtype,
        )
        out.append(
            {
                "incident_id": str(problem.incidents.ids[p]),
                "type": rtype,
                "units": int(short[n]),
                "reason": reasons[0],
                "other_reasons": reasons[1:],
                "detail": detail,
            }
        )
    return out


def _reasons(
    problem: Problem,
    arcs,
    flow,
    lo: int,
    hi: int,
    *,
    j: int,
    got: int,
    available,
    allowed,
    at_home,
    cap_full,
    k: str,
) -> tuple[list[str], str]:
    J = problem.rules.ids[j]
    # Units other than those already serving this incident (all of which are allowed
    # and within reach).
    others = int(available.sum()) - got
    if others <= 0:
        return [NO_UNITS], (
            f"no other available {type_label(k)} with an owning jurisdiction exists"
        )
    permitted = int(available[allowed[:, j]].sum()) - got
    if permitted <= 0:
        return [NO_AGREEMENT], (
            f"{others} other available {type_label(k, others)}, but no "
            f"agreement lets any of them go to {J}"
        )
    res = arcs.res[lo:hi]
    free = problem.units.quantity[res] - flow[lo:hi]  # units of each record not serving i
    if int(free.sum()) <= 0:
        listed = " has a travel time listed" if problem.travel_times is not None else " can arrive"
        return [TOO_FAR], (
            f"{permitted} other allowed {type_label(k, permitted)}, but none{listed} within "
            "the maximum response time"
        )
    res, foreign = res[free > 0], arcs.foreign[lo:hi][free > 0]
    owner = problem.units.owner[res]
    # Held back: could go abroad but for a full cap, and idle or busy at home.
    held = foreign & cap_full[owner] & (at_home[res] > 0)
    reasons = []
    detail = ""
    if held.any():
        reasons.append(RESERVE)
        holders = sorted({problem.rules.ids[h] for h in owner[held]})
        back = int(at_home[np.unique(res[held])].sum())
        detail = (
            f"{back} {type_label(k, back)} within reach {'is' if back == 1 else 'are'} "
            f"held back by the reserve of {', '.join(holders)}"
        )
    if (~held).any() or not reasons:
        reasons.append(OUTCOMPETED)
        if not detail:
            detail = (
                f"the {type_label(k, 2)} within reach ({len(np.unique(res))} record(s)) serve "
                "other incidents"
            )
    return reasons, detail


def unmet_frame(rows: list[dict]) -> pd.DataFrame:
    """The unmet needs as a DataFrame with :data:`UNMET_COLUMNS`."""
    return pd.DataFrame(rows, columns=list(UNMET_COLUMNS))
