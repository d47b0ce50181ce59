"""Exact min-cost flow (OR-Tools) for one resource type, reserves left out.

Nodes: one per unit record (supply = its quantity), one per incident, one sink. Arcs:
unit -> incident for each eligible pair, incident -> sink (capacity = units needed),
unit -> sink (units left at home, cost 0).

The lexicographic objective is folded into one integer cost per arc:
``cost = round(minutes x scale) - W x severity`` with ``W`` larger than any plan's total
scaled minutes, so one more unit of severity-weighted coverage always outweighs every
possible saving in minutes. Integers make this exact; ``scale`` (units per minute) is the
largest power of ten up to 10^6 for which no int64 sum can overflow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

#: Finest resolution of minutes in the integer costs: 10^-6 minute.
MAX_SCALE: int = 10**6
_INT64_SAFE = 2**62


@dataclass(frozen=True)
class IntegerCosts:
    """Integer arc costs of one type and the numbers that make them exact."""

    minutes: np.ndarray  # int64, round(minutes x scale)
    weight: int  # W
    scale: int  # units per minute


def integer_costs(
    *, minutes: np.ndarray, res: np.ndarray, quantity: np.ndarray, n_nodes: int
) -> IntegerCosts:
    """Scale minutes to integers and choose the coverage weight ``W``.

    Parameters
    ----------
    minutes : ndarray
        Minutes of each arc.
    res : ndarray
        Unit-record position (into ``quantity``) of each arc.
    quantity : ndarray
        Units of each unit record.
    n_nodes : int
        Nodes of the flow network (OR-Tools multiplies costs by about this much).
    """
    scale = MAX_SCALE
    while True:
        scaled = np.rint(minutes * scale).astype(np.int64)
        longest = np.zeros(len(quantity), np.int64)
        np.maximum.at(longest, res, scaled)
        # W exceeds the total scaled minutes of any plan: each unit travels at most its
        # longest eligible trip.
        weight = 1 + int(np.dot(quantity.astype(object), longest.astype(object)))
        biggest = 5 * weight + int(scaled.max(initial=0))
        safe = (
            biggest * 4 * (n_nodes + 2) < _INT64_SAFE
            and biggest * int(quantity.sum() + 1) < _INT64_SAFE
        )
        if safe or scale == 1:
            if not safe:
                raise OverflowError("too many units for exact integer costs")
            return IntegerCosts(minutes=scaled, weight=weight, scale=scale)
        scale //= 10


def solve_flow(
    *, res: np.ndarray, inc: np.ndarray, cost: np.ndarray, quantity: np.ndarray, need: np.ndarray
) -> np.ndarray:
    """Min-cost flow with supplies ``quantity`` at units and capacities ``need`` at incidents.

    Parameters
    ----------
    res, inc : ndarray of int
        Unit position (into ``quantity``) and incident position (into ``need``) of each arc.
    cost : ndarray of int64
        Integer cost of one unit on each arc.
    quantity, need : ndarray of int64
        Units available per unit record; units needed per incident.

    Returns
    -------
    ndarray of int64
        Units on each arc in an optimal flow.
    """
    n_res, n_inc = len(quantity), len(need)
    if len(res) == 0:
        return np.zeros(0, np.int64)
    sink = n_res + n_inc
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([res, n_res + np.arange(n_inc), np.arange(n_res)]).astype(np.int32)
    heads = np.concatenate([n_res + inc, np.full(n_inc + n_res, sink)]).astype(np.int32)
    caps = np.concatenate([np.minimum(quantity[res], need[inc]), need, quantity]).astype(np.int64)
    costs = np.concatenate([cost, np.zeros(n_inc + n_res, np.int64)]).astype(np.int64)
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(sink + 1, np.int64)
    supplies[:n_res] = quantity
    supplies[sink] = -int(quantity.sum())
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not finish: status {status}")
    return np.asarray(flow.flows(np.arange(len(res), dtype=np.int32)), dtype=np.int64)
