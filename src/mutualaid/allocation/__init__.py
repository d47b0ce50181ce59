"""The allocation engine: eligible pairs, the exact optimiser and its explanations.

Pure functions, data in, plan out::

    from mutualaid.allocation import allocate, flows_geojson
    plan = allocate(scenario)                    # optimal, with every unmet need explained
    plan.to_dict()                               # the contract's JSON
    allocate(scenario, reserves={"DE-NW": 0.5})  # what if a reserve changed

Modules: :mod:`.prepare` (scenario to arrays), :mod:`.candidates` (eligible pairs),
:mod:`.flow` (min-cost flow), :mod:`.lp` (LP when reserves bind), :mod:`.milp` (when an
LP optimum is fractional), :mod:`.solve` (per type, which method proves the optimum),
:mod:`.explain` (reasons for unmet needs), :mod:`.plan` (the Plan and its JSON /
GeoJSON), :mod:`.engine` (``allocate``), :mod:`.travel` (the travel-time model),
:mod:`.what_if` (a coordinator's what-if edits of reserves and agreements).
"""

from mutualaid.allocation.engine import allocate
from mutualaid.allocation.explain import REASONS
from mutualaid.allocation.plan import Plan, flows_geojson

__all__ = ["REASONS", "Plan", "allocate", "flows_geojson"]
