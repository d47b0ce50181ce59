"""The exact optimiser for one resource type.

Types are independent (nothing links them), so each is solved on its own:

1. ``flow``: a min-cost flow without the reserve caps (OR-Tools, integer costs, exact for
   the lexicographic objective). If no owner sends more units abroad than its cap allows,
   this relaxation's optimum is feasible, hence optimal.
2. Otherwise the candidate graph (units, incidents, and an owner node joining each owner's
   units that may go abroad) is split into connected components. Components without a
   broken cap keep the flow's answer; each other component is solved by ``lp`` (two-stage
   LP with column generation, integral optimum) or, when that optimum is fractional,
   ``milp``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from mutualaid.allocation.candidates import Arcs
from mutualaid.allocation.flow import integer_costs, solve_flow
from mutualaid.allocation.lp import Component, first_per_incident, solve_lp
from mutualaid.allocation.milp import solve_milp
from mutualaid.allocation.prepare import Problem

#: Arcs of each incident put into the first restricted LP, cheapest first.
FIRST_PER_INCIDENT = 4
#: Types with more eligible pairs than this are probed first with a flow over each
#: incident's PROBE_PER_INCIDENT cheapest pairs (see solve_type).
PROBE_ABOVE = 50_000
PROBE_PER_INCIDENT = 12


@dataclass
class TypeSolution:
    """Units on each eligible arc of one type, and how they were proven optimal."""

    arcs: Arcs
    flow: np.ndarray  # int64 per arc
    path: str  # "flow", "lp" or "milp": the strongest tool needed
    components: Counter = field(default_factory=Counter)  # path -> components solved so
    lp_rounds: int = 0
    lp_columns: int = 0


@dataclass
class _Local:
    """Local numbering of one type: unit records and incidents that appear in it."""

    units: np.ndarray  # Problem.units positions
    res: np.ndarray  # arc -> local unit
    inc: np.ndarray  # arc -> local incident (position in the type's needs list)
    quantity: np.ndarray
    need: np.ndarray
    owner: np.ndarray  # arc -> owner jurisdiction
    foreign: np.ndarray  # arc -> bool


def _local(problem: Problem, rtype: str, arcs: Arcs) -> _Local:
    inc_pos, need = problem.incidents.needs[rtype]
    units, res = np.unique(arcs.res, return_inverse=True)
    lookup = np.full(len(problem.incidents.ids), -1, np.int64)
    lookup[inc_pos] = np.arange(len(inc_pos))
    return _Local(
        units=units,
        res=res.astype(np.int64),
        inc=lookup[arcs.inc],
        quantity=problem.units.quantity[units],
        need=need,
        owner=problem.units.owner[arcs.res],
        foreign=arcs.foreign,
    )


def foreign_sent(problem: Problem, arcs: Arcs, flow: np.ndarray) -> np.ndarray:
    """Units each jurisdiction sends abroad in ``flow``, per jurisdiction."""
    f = arcs.foreign
    return np.bincount(
        problem.units.owner[arcs.res][f], weights=flow[f], minlength=len(problem.rules.ids)
    ).astype(np.int64)


def solve_type(problem: Problem, rtype: str, arcs: Arcs) -> TypeSolution:
    """Optimal integer units per arc for one type (see the module doc).

    Parameters
    ----------
    problem : Problem
        The prepared scenario.
    rtype : str
        The resource type.
    arcs : Arcs
        Its eligible pairs (:func:`mutualaid.allocation.candidates.candidate_arcs`).
    """
    if len(arcs) == 0:
        return TypeSolution(arcs, np.zeros(0, np.int64), "flow", Counter({"flow": 1}))
    loc = _local(problem, rtype, arcs)
    severity = problem.incidents.severity[arcs.inc]
    n_nodes = len(loc.quantity) + len(loc.need) + 1
    costs = integer_costs(minutes=arcs.minutes, res=loc.res, quantity=loc.quantity, n_nodes=n_nodes)
    cost = costs.minutes - costs.weight * severity
    cap = problem.caps[rtype]

    def flow_on(mask: np.ndarray) -> np.ndarray:
        x = np.zeros(len(arcs), np.int64)
        idx = np.flatnonzero(mask)
        x[idx] = solve_flow(
            res=loc.res[idx], inc=loc.inc[idx], cost=cost[idx], quantity=loc.quantity, need=loc.need
        )
        return x

    def broken_by(x: np.ndarray) -> np.ndarray:
        return foreign_sent(problem, arcs, x) > cap

    # On big types, a flow over each incident's cheapest arcs first tells cheaply whether
    # reserves bind; if they do, the full flow would be wasted work (and its arcs are not
    # needed to start the LP). Either way, nothing is taken as optimal unless proven.
    probed = len(arcs) > PROBE_ABOVE
    flow = flow_on(
        first_per_incident(loc.inc, PROBE_PER_INCIDENT) if probed else np.ones(len(arcs), bool)
    )
    broken = broken_by(flow)
    if probed and not broken.any():
        flow, probed = flow_on(np.ones(len(arcs), bool)), False
        broken = broken_by(flow)
    if not broken.any():
        return TypeSolution(arcs, flow, "flow", Counter({"flow": 1}))

    label = _components(problem, loc)
    arc_label = label[loc.res]
    owner_label = label[len(loc.quantity) + len(loc.need) :]
    hard = set(np.unique(owner_label[broken]).tolist())
    if probed:
        # The probe's answer is no proof: the other components get a flow over all arcs.
        rest = ~np.isin(arc_label, list(hard))
        if rest.any():
            flow[rest] = flow_on(rest)[rest]
            hard |= set(np.unique(owner_label[broken_by(np.where(rest, flow, 0))]).tolist())
    solution = TypeSolution(arcs, flow, "lp")
    solution.components["flow"] = len(np.unique(arc_label)) - len(hard)
    minutes = costs.minutes / costs.scale  # the same rounded minutes as the flow's costs
    for comp_label in sorted(hard):
        idx = np.flatnonzero(arc_label == comp_label)
        comp = _component(loc, idx, severity, minutes, cap)
        first = np.flatnonzero(
            (flow[idx] > 0) | first_per_incident(loc.inc[idx], FIRST_PER_INCIDENT)
        )
        outcome = solve_lp(comp, first=first)
        solution.lp_rounds += outcome.rounds
        solution.lp_columns += outcome.columns
        x = outcome.x
        if x is None or not _feasible(comp, x):
            x, where = solve_milp(comp, outcome)
            solution.path = "milp"
            solution.components["milp"] += 1
            solution.components[f"milp_{where}"] += 1
        else:
            solution.components["lp"] += 1
        flow[idx] = x
    return solution


def _components(problem: Problem, loc: _Local) -> np.ndarray:
    """Connected-component label of each node: unit records, then incidents, then owners
    (an owner joins its units that may go abroad, since they share its reserve cap)."""
    n_r, n_i, n_j = len(loc.quantity), len(loc.need), len(problem.rules.ids)
    f = loc.foreign
    rows = np.concatenate([loc.res, loc.res[f]])
    cols = np.concatenate([n_r + loc.inc, n_r + n_i + loc.owner[f]])
    n = n_r + n_i + n_j
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _component(
    loc: _Local, idx: np.ndarray, severity: np.ndarray, minutes: np.ndarray, cap: np.ndarray
) -> Component:
    units, res = np.unique(loc.res[idx], return_inverse=True)
    incs, inc = np.unique(loc.inc[idx], return_inverse=True)
    f = loc.foreign[idx]
    owners, owner_row = np.unique(loc.owner[idx][f], return_inverse=True)
    cap_row = np.full(len(idx), -1, np.int64)
    cap_row[f] = owner_row
    return Component(
        res=res.astype(np.int64),
        inc=inc.astype(np.int64),
        cap_row=cap_row,
        severity=severity[idx].astype(float),
        minutes=minutes[idx].astype(float),
        quantity=loc.quantity[units],
        need=loc.need[incs],
        cap=cap[owners],
    )


def _feasible(comp: Component, x: np.ndarray) -> bool:
    """Exact integer check of a component solution."""
    if (x < 0).any():
        return False
    used = np.bincount(comp.res, weights=x, minlength=len(comp.quantity))
    got = np.bincount(comp.inc, weights=x, minlength=len(comp.need))
    f = comp.cap_row >= 0
    sent = np.bincount(comp.cap_row[f], weights=x[f], minlength=len(comp.cap))
    return bool(
        (used <= comp.quantity).all() and (got <= comp.need).all() and (sent <= comp.cap).all()
    )
