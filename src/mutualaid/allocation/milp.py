"""Integer optimum of a component whose LP optimum is fractional (rare; see :mod:`.lp`).

With a reserve, the constraint matrix has submatrices of determinant 2 (an odd cycle
through a reserve row), so an LP vertex can be half-integral. HiGHS's branch and bound
then proves the integer optimum, with zero relative gap.
"""

from __future__ import annotations

import highspy
import numpy as np
from highspy._core import _Highs  # the core class: see new_highs

from mutualaid.allocation.lp import (
    ZERO_TOL,
    Component,
    LPOutcome,
    new_highs,
    sparse_columns,
)


def _milp(
    comp: Component, arcs: np.ndarray, *, tight: np.ndarray | None, cost: np.ndarray, abs_gap: float
) -> tuple[np.ndarray | None, _Highs]:
    """Integer program over ``arcs`` with rows ``tight`` held at their bound."""
    h = new_highs()
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", abs_gap)
    inf = h.getInfinity()
    m, n = comp.n_rows, len(arcs)
    upper = comp.upper()
    lower = np.full(m, -inf) if tight is None else np.where(tight, upper, -inf)
    h.addRows(m, lower, upper, 0, np.zeros(m, np.int32), np.zeros(0, np.int32), np.zeros(0))
    starts, index, values = sparse_columns(comp, arcs)
    h.addCols(
        n, np.asarray(cost, float), np.zeros(n), np.full(n, inf), len(index), starts, index, values
    )
    h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger.value, np.uint8)
    )
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return None, h
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"MILP did not reach an optimum: {h.modelStatusToString(status)}")
    x = np.zeros(len(comp.res), np.int64)
    x[arcs] = np.rint(np.asarray(h.getSolution().col_value)).astype(np.int64)
    return x, h


def _on_face1(comp: Component, lp: LPOutcome) -> np.ndarray | None:
    """Step 2 of :func:`solve_milp`: the best integer plan on stage 1's optimal face."""
    face1, reduced2 = lp.face1, lp.reduced2
    if face1 is None or reduced2 is None:  # stage 1 found no face: the full program decides
        return None
    margin = max(1.0, 1e-3 * abs(lp.bound2))
    while True:
        arcs = face1 & (reduced2 <= margin)
        x, _ = _milp(
            comp, np.flatnonzero(arcs), tight=lp.tight1, cost=comp.minutes[arcs], abs_gap=1e-6
        )
        everything = bool(arcs.sum() == face1.sum())
        if x is None and everything:
            return None  # no integer plan has the LP's coverage
        if x is not None:
            z = float(x @ comp.minutes)
            if everything or z <= lp.bound2 + margin + ZERO_TOL:
                return x
            margin = z - lp.bound2  # every better plan uses only arcs within this margin
        else:
            margin *= 4.0


def solve_milp(comp: Component, lp: LPOutcome | None = None) -> tuple[np.ndarray, str]:
    """The component's integer optimum when its LP optimum is fractional.

    Integer optima are looked for where they must lie, smallest first:

    1. on the optimal face of stage 2 (any integer point there has the LP's coverage and
       minutes, so it is optimal; the search is a pure feasibility problem);
    2. on the optimal face of stage 1, minimising minutes (any integer point there has
       the LP's coverage, which bounds the integer coverage). Reduced-cost fixing keeps
       this small: with stage 2's duals, any plan on that face takes at least
       ``bound + Σ units x reduced cost`` minutes, so arcs whose reduced cost exceeds
       ``z - bound`` cannot improve a plan of ``z`` minutes. The MILP first runs on the
       arcs with reduced cost up to a small margin; if its optimum ``z`` lies within the
       margin it is optimal, else one more run on the arcs up to ``z - bound`` settles it;
    3. over all arcs, maximising coverage then minimising minutes with coverage fixed.

    HiGHS runs with zero relative gap (coverage is a whole number, so an absolute gap
    below 1 proves stage 1; minutes use an absolute gap of 1e-6).

    Returns
    -------
    (ndarray of int64, str)
        Units per arc, and which of ``"face2"``, ``"face1"``, ``"full"`` found them.
    """
    zero = np.zeros(len(comp.res))
    if lp is not None and lp.face2 is not None:
        x, _ = _milp(
            comp, np.flatnonzero(lp.face2), tight=lp.tight2, cost=zero[lp.face2], abs_gap=1e-6
        )
        if x is not None:
            return x, "face2"
        x = _on_face1(comp, lp)
        if x is not None:
            return x, "face1"
    every = np.arange(len(comp.res))
    x, h = _milp(comp, every, tight=None, cost=-comp.severity, abs_gap=0.5)
    coverage = round(-h.getInfo().objective_function_value)
    n = len(every)
    h.addRow(
        coverage - 0.5, h.getInfinity(), n, every.astype(np.int32), comp.severity.astype(float)
    )
    h.changeColsCost(n, every.astype(np.int32), comp.minutes.astype(float))
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.run()
    _check_optimal(h)
    return np.rint(np.asarray(h.getSolution().col_value)).astype(np.int64), "full"


def _check_optimal(h: _Highs) -> None:
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"MILP did not reach an optimum: {h.modelStatusToString(status)}")
