"""Exact solve of one component whose reserve caps bind: LP first, MILP when needed.

The reserve (a cap on the units leaving a jurisdiction) adds rows that a pure network
cannot express, so the constraint matrix is not totally unimodular. Yet its LP optimum is
nearly always integral, and an integral LP optimum is optimal for the integer problem.

The lexicographic objective is solved in two LP stages without mixing large weights into
the costs (which would ruin the LP's tolerances):

1. maximise coverage (cost ``-severity`` per unit);
2. minimise minutes over the optimal face of stage 1: every column whose stage-1 reduced
   cost is not zero is fixed at 0, and every row with a non-zero dual becomes an
   equality. This adds no row, so stage 2's vertices are vertices of the original
   polytope, and any optimum of stage 2 is lexicographically optimal.

Both stages use column generation: a restricted set of arcs is solved, then every
candidate arc is priced exactly (vectorised) with the duals, and arcs with negative reduced
cost join the model, until none is left: the restricted optimum is then optimal over all
arcs. If the final solution is integral it is returned; otherwise
:func:`mutualaid.allocation.milp.solve_milp` takes over, so optimality is always proven.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import highspy
import numpy as np
from highspy._core import _Highs  # the core class: see new_highs

#: A reduced cost or dual closer to zero than this counts as zero. Stage 1's duals are
#: small rationals (integer data, a nearly unimodular matrix); stage 2's costs are minutes
#: at 10^-6 resolution, and HiGHS's own dual tolerance is 10^-7.
ZERO_TOL = 1e-6
#: A value this close to a whole number counts as whole.
INTEGRAL_TOL = 1e-6
#: Most arcs one incident contributes to the model in one pricing round (stage 1, 2).
#: Measured on the large benchmark: fewer means more rounds, more means a bigger model.
PER_INCIDENT = 8
STAGE2_PER_INCIDENT = 4
#: Cheapest arcs of each incident in stage 2's first model (besides stage 1's solution).
STAGE2_START = 4


@dataclass
class Component:
    """One connected part of a type's problem, in local numbering."""

    res: np.ndarray  # arc -> unit record (0..n_units-1)
    inc: np.ndarray  # arc -> incident (0..n_incidents-1)
    cap_row: np.ndarray  # arc -> reserve row (0..n_caps-1), -1 for a domestic arc
    severity: np.ndarray  # arc -> severity of its incident (float)
    minutes: np.ndarray  # arc -> minutes (float)
    quantity: np.ndarray  # per unit record
    need: np.ndarray  # per incident
    cap: np.ndarray  # per reserve row

    @property
    def n_rows(self) -> int:
        return len(self.quantity) + len(self.need) + len(self.cap)

    @cached_property
    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row of each arc's unit, incident and reserve (``n_rows`` when it has none)."""
        n_r, n_i = len(self.quantity), len(self.need)
        h = np.where(self.cap_row >= 0, n_r + n_i + self.cap_row, self.n_rows)
        return self.res, n_r + self.inc, h

    def upper(self) -> np.ndarray:
        return np.concatenate([self.quantity, self.need, self.cap]).astype(float)


def new_highs() -> _Highs:
    # The core class: the Python wrapper's constructor prints a banner to standard
    # output, which would corrupt a plan printed there by the command line.
    h = _Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    # One thread: the machines this runs on are small and shared, and HiGHS's parallel
    # simplex measured slower here (0.27 s against 0.38 s for the medium benchmark's LPs).
    h.setOptionValue("threads", 1)
    return h


def sparse_columns(comp: Component, arcs: np.ndarray):
    """Sparse column data (starts, row indices, values) for the given arcs."""
    r, i, hrow = comp.rows
    r, i, hrow = r[arcs], i[arcs], hrow[arcs]
    has_h = hrow < comp.n_rows
    counts = 2 + has_h.astype(np.int64)
    starts = np.zeros(len(arcs), np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    index = np.empty(int(counts.sum()), np.int32)
    index[starts] = r
    index[starts + 1] = i
    index[starts[has_h] + 2] = hrow[has_h]
    return starts.astype(np.int32), index, np.ones(len(index))


class _Master:
    """The restricted LP: all rows, a growing set of arc columns.

    Parameters
    ----------
    comp : Component
        The component.
    tight : ndarray of bool, optional
        Rows held at their bound (equality); the others are ``<=``.
    strategy : int
        HiGHS ``simplex_strategy``: 4 primal, 1 dual.
    """

    def __init__(self, comp: Component, *, tight: np.ndarray | None = None, strategy: int):
        self.comp = comp
        self.h = new_highs()
        self.h.setOptionValue("solver", "simplex")
        self.h.setOptionValue("simplex_strategy", strategy)
        inf = self.h.getInfinity()
        n = comp.n_rows
        upper = comp.upper()
        lower = np.full(n, -inf) if tight is None else np.where(tight, upper, -inf)
        self.h.addRows(
            n, lower, upper, 0, np.zeros(n, np.int32), np.zeros(0, np.int32), np.zeros(0)
        )
        self.cols = np.zeros(0, np.int64)  # arc of each model column
        self.in_model = np.zeros(len(comp.res), bool)
        self.rounds = 0

    def add(self, arcs: np.ndarray, cost: np.ndarray) -> None:
        """Add the arcs (those not yet in the model) as columns with the given costs."""
        keep = ~self.in_model[arcs]
        arcs, cost = arcs[keep], np.asarray(cost, float)[keep]
        if len(arcs) == 0:
            return
        starts, index, values = sparse_columns(self.comp, arcs)
        self.h.addCols(
            len(arcs),
            cost,
            np.zeros(len(arcs)),
            np.full(len(arcs), self.h.getInfinity()),
            len(index),
            starts,
            index,
            values,
        )
        self.cols = np.concatenate([self.cols, arcs])
        self.in_model[arcs] = True

    def run(self) -> np.ndarray:
        """Solve; return the row duals (with a trailing 0 for 'no reserve row')."""
        self.rounds += 1
        self.h.run()
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"LP did not reach an optimum: {self.h.modelStatusToString(status)}")
        return np.append(np.asarray(self.h.getSolution().row_dual, float), 0.0)

    def reduced(self, cost: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Reduced cost of every arc of the component (in the model or not)."""
        r, i, hrow = self.comp.rows
        return cost - y[r] - y[i] - y[hrow]

    def values(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value, float)


def _best_per_incident(arcs: np.ndarray, d: np.ndarray, inc: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` most negative arcs of each incident among ``arcs``."""
    order = arcs[np.lexsort((d[arcs], inc[arcs]))]
    return order[first_per_incident(inc[order], k)]


def first_per_incident(inc: np.ndarray, k: int) -> np.ndarray:
    """Mask of the first ``k`` entries of each run of equal values in ``inc`` (sorted)."""
    if len(inc) == 0:
        return np.zeros(0, bool)
    first = np.r_[True, inc[1:] != inc[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(inc)), 0))
    return np.arange(len(inc)) - start < k


@dataclass
class LPOutcome:
    """What the two-stage LP found.

    ``x`` is the integer optimum, or None when the LP optimum is fractional; the faces
    then tell :func:`mutualaid.allocation.milp.solve_milp` where integer optima must lie.
    """

    x: np.ndarray | None  # integer units per arc
    rounds: int  # LP solves
    columns: int  # arcs in the final restricted model
    face1: np.ndarray | None = None  # arcs on the optimal face of stage 1 (bool per arc)
    tight1: np.ndarray | None = None  # rows at their bound on that face (bool per row)
    face2: np.ndarray | None = None  # the same for stage 2
    tight2: np.ndarray | None = None
    reduced2: np.ndarray | None = None  # stage-2 reduced cost of every arc
    bound2: float = 0.0  # stage 2's optimum (its dual objective)


def solve_lp(comp: Component, *, first: np.ndarray) -> LPOutcome:
    """Two-stage LP with column generation (see the module doc).

    Parameters
    ----------
    comp : Component
        The component.
    first : ndarray of int
        Arcs to start the model with (e.g. those a flow without reserves used: measured,
        this start makes stage 1 four times faster than the cheapest arcs alone).
    """
    # Stage 1: maximise coverage. Primal simplex: adding columns keeps the basis primal
    # feasible, so each round resumes where the last stopped (2.5x faster than dual here).
    stage1 = -comp.severity
    one = _Master(comp, strategy=4)
    one.add(first, stage1[first])
    y1 = _generate(one, stage1)
    face1 = one.reduced(stage1, y1) <= ZERO_TOL
    tight1 = np.abs(y1[:-1]) > ZERO_TOL
    # Stage 2: minimise minutes on the optimal face of stage 1, in a fresh model. Dual
    # simplex: with minutes >= 0 the empty start is dual feasible, and only the rows held
    # at their bound need work (3x faster here than continuing stage 1's model).
    # It starts from stage 1's solution (feasible there) and each incident's cheapest arcs.
    two = _Master(comp, tight=tight1, strategy=1)
    used = one.cols[one.values() > INTEGRAL_TOL]
    start = np.union1d(used, np.flatnonzero(first_per_incident(comp.inc, STAGE2_START) & face1))
    two.add(start, comp.minutes[start])
    y2 = _generate(two, comp.minutes, allowed=face1, per_incident=STAGE2_PER_INCIDENT)
    rounds, columns = one.rounds + two.rounds, len(one.cols) + len(two.cols)
    values = two.values()
    rounded = np.rint(values)
    if np.abs(values - rounded).max(initial=0.0) > INTEGRAL_TOL:
        reduced2 = two.reduced(comp.minutes, y2)
        face2 = face1 & (reduced2 <= ZERO_TOL)
        tight2 = tight1 | (np.abs(y2[:-1]) > ZERO_TOL)
        bound2 = float(y2[:-1] @ comp.upper())  # rows' duals x bounds: a lower bound on minutes
        return LPOutcome(None, rounds, columns, face1, tight1, face2, tight2, reduced2, bound2)
    x = np.zeros(len(comp.res), np.int64)
    x[two.cols] = rounded.astype(np.int64)
    return LPOutcome(x, rounds, columns)


def _generate(
    master: _Master,
    cost: np.ndarray,
    allowed: np.ndarray | None = None,
    per_incident: int = PER_INCIDENT,
) -> np.ndarray:
    """Solve, price every arc, add those with negative reduced cost; repeat until none."""
    tol = ZERO_TOL
    while True:
        y = master.run()
        d = master.reduced(cost, y)
        new = (d < -tol) & ~master.in_model
        if allowed is not None:
            new &= allowed
        if not new.any():
            return y
        arcs = _best_per_incident(np.flatnonzero(new), d, master.comp.inc, per_incident)
        master.add(arcs, cost[arcs])
