"""``allocate``: scenario in, optimal plan out."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter

import numpy as np
import pandas as pd

from mutualaid import settings
from mutualaid.allocation.candidates import candidate_arcs
from mutualaid.allocation.explain import explain_unmet, unmet_frame
from mutualaid.allocation.held import Held
from mutualaid.allocation.plan import (
    ASSIGNMENT_COLUMNS,
    EXCLUDED_COLUMNS,
    MINUTE_DECIMALS,
    Plan,
)
from mutualaid.allocation.prepare import Problem, prepare
from mutualaid.allocation.solve import TypeSolution, solve_type
from mutualaid.scenario.loading import Scenario


def allocate(
    scenario: Scenario,
    *,
    reserves: Mapping[str, float] | None = None,
    agreements: pd.DataFrame | None = None,
    home_only: Collection[str] | None = None,
    held: Held | None = None,
) -> Plan:
    """The optimal plan for a scenario (contract, section 2).

    Maximises Σ severity x units delivered, then minimises Σ units x minutes, in whole
    units, subject to quantities, needs, agreements, response limits and reserves. The
    optimum is proven (see :mod:`mutualaid.allocation.solve`), not approximated.

    Parameters
    ----------
    scenario : Scenario
        Validated layers.
    reserves : mapping of jurisdiction id to share (0..1), optional
        Replaces the reserve of those jurisdictions (to see the effect of a change).
    agreements : DataFrame, optional
        Replaces the scenario's agreement rows.
    home_only : collection of str, optional
        Resource ids whose units serve only incidents of their owner's own jurisdiction
        (units their owner shares with nobody; :mod:`mutualaid.access.sharing`).
    held : Held, optional
        Units the workflow already holds; *scenario* is then the free part
        (:func:`mutualaid.allocation.held.free_part`) and the reserve caps count the
        held units (:func:`mutualaid.allocation.prepare.prepare`).

    Returns
    -------
    Plan

    Raises
    ------
    ValueError
        When a reserve override names an unknown jurisdiction or lies outside 0..1.
    """
    start = perf_counter()
    problem = prepare(
        scenario, reserves=reserves, agreements=agreements, home_only=home_only, held=held
    )
    timings: defaultdict[str, float] = defaultdict(float)

    def one_type(rtype: str) -> tuple[TypeSolution, float, float]:
        t = perf_counter()
        arcs = candidate_arcs(problem, rtype)
        t1 = perf_counter()
        return solve_type(problem, rtype, arcs), t1 - t, perf_counter() - t1

    # Types are independent; the LP solver and much of numpy release the GIL, so two
    # threads use two cores. The biggest types go first to balance the threads.
    types = sorted(problem.types, key=lambda k: -_size(problem, k))
    workers = max(1, min(settings.ALLOCATION_THREADS, len(types)))
    if workers == 1:
        solved = [one_type(k) for k in types]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            solved = list(pool.map(one_type, types))
    solutions = {k: solved[types.index(k)][0] for k in problem.types}
    # Seconds summed over types (which may run side by side).
    timings["candidates"] = sum(x[1] for x in solved)
    timings["optimise"] = sum(x[2] for x in solved)
    t = perf_counter()
    unmet = unmet_frame([row for k, s in solutions.items() for row in explain_unmet(problem, k, s)])
    timings["explain"] += perf_counter() - t
    assignments = _assignments(problem, solutions)
    seconds = perf_counter() - start
    return Plan(
        assignments=assignments,
        unmet=unmet,
        excluded=pd.DataFrame(problem.excluded, columns=list(EXCLUDED_COLUMNS)),
        summary=_summary(problem, solutions, assignments, seconds, timings),
    )


def _size(problem: Problem, rtype: str) -> int:
    """Units of the type x incidents needing it: a rough measure of its work."""
    return int((problem.units.type == rtype).sum()) * len(problem.incidents.needs[rtype][0])


def _assignments(problem: Problem, solutions: dict[str, TypeSolution]) -> pd.DataFrame:
    parts = []
    ids = np.asarray(problem.rules.ids, dtype=object)
    for rtype, s in solutions.items():
        used = np.flatnonzero(s.flow > 0)
        if len(used) == 0:
            continue
        a = s.arcs
        r, i = a.res[used], a.inc[used]
        owner, where = problem.units.owner[r], problem.incidents.jurisdiction[i]
        parts.append(
            pd.DataFrame(
                {
                    "resource_id": problem.units.ids[r],
                    "incident_id": problem.incidents.ids[i],
                    "type": rtype,
                    "units": s.flow[used],
                    "minutes": np.round(a.minutes[used], MINUTE_DECIMALS),
                    "from_jurisdiction": ids[owner],
                    "to_jurisdiction": ids[where],
                    "cross_border": owner != where,
                    "agreement": [problem.rules.agreement(int(row)) for row in a.agreement[used]],
                    "travel_minutes": np.round(a.minutes[used] - a.delay[used], MINUTE_DECIMALS),
                    "border_delay_min": a.delay[used],
                    "severity": problem.incidents.severity[i],
                    "_order": i,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=list(ASSIGNMENT_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    # Incidents in layer order, then each incident's fastest units first.
    out = out.sort_values(["_order", "type", "minutes", "resource_id"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def _summary(
    problem: Problem,
    solutions: dict[str, TypeSolution],
    assignments: pd.DataFrame,
    seconds: float,
    timings: Mapping[str, float],
) -> dict:
    units = assignments["units"].to_numpy(np.int64)
    sev = assignments["severity"].to_numpy(np.int64)
    minutes = assignments["minutes"].to_numpy(float)
    needed = sum(int(n.sum()) for _, n in problem.incidents.needs.values())
    weighted_need = sum(
        int((problem.incidents.severity[p] * n).sum()) for p, n in problem.incidents.needs.values()
    )
    paths = Counter(s.path for s in solutions.values())
    components = sum((s.components for s in solutions.values()), Counter())
    return {
        "weighted_coverage": int((units * sev).sum()),
        "unit_minutes": round(float((units * minutes).sum()), MINUTE_DECIMALS),
        "units_assigned": int(units.sum()),
        "units_needed": needed,
        "solve_seconds": round(seconds, 3),
        "weighted_need": weighted_need,
        "optimal": True,
        "solver": {
            "types": {p: paths.get(p, 0) for p in ("flow", "lp", "milp")},
            # Components of types whose caps bound, by the tool that proved them; a MILP
            # is labelled by where it searched (milp_face2, milp_face1, milp_full).
            "components": {p: components.get(p, 0) for p in ("flow", "lp", "milp")}
            | {p: n for p, n in sorted(components.items()) if p.startswith("milp_")},
            "candidate_pairs": int(sum(len(s.arcs) for s in solutions.values())),
            "lp_rounds": int(sum(s.lp_rounds for s in solutions.values())),
            "seconds": {k: round(v, 3) for k, v in timings.items()},
        },
    }
