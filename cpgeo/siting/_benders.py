r"""Benders bound and bound-based fixing for large maximal covering models.

For a (reduced) coverage matrix ``A`` (rows ``i`` with weight ``w_i >= 0``, columns ``j``,
``N_i`` the columns covering row ``i``) the maximal covering model with continuous
coverage variables is, after projecting out ``y``::

    maximise  f(x) = sum_i w_i min(1, sum_{j in N_i} x_j)
    s.t.      sum_j x_j = p,   x_j in {0, 1}

The compact model needs one row and ``|N_i| + 1`` nonzeros per demand row; on tens of
thousands of rows its root LP alone is slow. ``f`` is concave and piecewise linear, so it
can be replaced by cuts (Cordeau, Furini and Ljubic, 2019).

Cut (derivation). For a point ``xbar`` (integer or fractional) split the rows into
``U = {i : sum_{j in N_i} xbar_j < 1}`` and the rest. For every ``x`` and every ``i``,
``min(1, s) <= 1`` and ``min(1, s) <= s``; using the first for ``i`` not in ``U`` and the
second for ``i`` in ``U`` gives::

    f(x) <= sum_{i not in U} w_i + sum_j (sum_{i in U, j in N_i} w_i) x_j

which holds for every ``x`` and is tight at ``xbar`` (this is the subproblem's dual: the
row ``i`` either saturates at 1 or is bound by its coverage). The rows are split into
``K`` groups with one surrogate ``theta_k`` each (the disaggregated cut, one per group,
is stronger than a single aggregated one), and the master LP is::

    maximise  sum_k theta_k
    s.t.      theta_k <= c_k(xbar) + g_k(xbar) . x      for every cut found
              sum_j x_j = p,   0 <= x_j <= 1,   theta_k <= (weight of group k)

Cuts are separated at the master's answer and at a point between it and a stabilising
core point (in-out stabilisation); the master's value is an upper bound on the LP, hence
on the integer optimum, at every iteration.

Fixing. Any non-negative combination of cuts for the same ``theta_k`` with multipliers
summing to one is again a valid cut. Taking the master LP's duals (normalised per group,
the missing mass on the trivial cut ``theta_k <= weight``) yields one aggregated cut
``f(x) <= C + G . x`` valid for every ``x``. Over ``sum x = p``:

- with ``x_j = 1``: ``f(x) <= C + G_j + (sum of the p - 1 largest G_k, k != j)``;
- with ``x_j = 0``: ``f(x) <= C + (sum of the p largest G_k, k != j)``.

When the first bound cannot beat the incumbent ``L`` (below ``L + 1`` with integral
weights, at most ``L`` otherwise), no better solution opens ``j`` and ``x_j`` is fixed to
0; when the second cannot, ``x_j`` is fixed to 1. The exact model is then solved on what
is left; the best of its answer and the incumbent is optimal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from cpgeo.siting._milp import new_highs

#: number of surrogate groups in the master
GROUPS = 64
#: stop the cutting loop when the master exceeds the LP value by this relative amount
LP_TOLERANCE = 1e-7
MAX_ROUNDS = 400


@dataclass(frozen=True)
class BendersBound:
    """Outcome of the Benders LP: a valid upper bound and an aggregated cut.

    ``bound`` is an upper bound on the integer optimum; ``constant`` and ``slopes`` form
    the aggregated cut ``f(x) <= constant + slopes . x`` (valid for every ``x``);
    ``lp_point`` is the master's last fractional answer; ``rounds`` the cutting rounds.
    """

    bound: float
    constant: float
    slopes: np.ndarray
    lp_point: np.ndarray
    rounds: int
    seconds: float
    converged: bool
    # the live HiGHS master and its cut helpers, kept for the integer phase
    master: Any = None
    add_cuts: Any = None
    member: Any = None


def _groups(matrix: sp.csr_array, n_groups: int) -> np.ndarray:
    """Assign rows to groups of about equal size, ordered by their first column."""
    n_rows = matrix.shape[0]
    starts = np.minimum(matrix.indptr[:-1], max(matrix.nnz - 1, 0))
    first = matrix.indices[starts] if matrix.nnz else np.zeros(n_rows, dtype=np.int64)
    first = np.where(np.diff(matrix.indptr) > 0, first, -1)
    group = np.empty(n_rows, dtype=np.int64)
    group[np.argsort(first, kind="stable")] = np.arange(n_rows) * n_groups // n_rows
    return group


def lp_value(matrix: sp.csr_array, weights: np.ndarray, x: np.ndarray) -> float:
    """Return ``sum_i w_i min(1, (A x)_i)`` (the LP objective at ``x``)."""
    return float(weights @ np.minimum(1.0, matrix @ x))


def benders_lp(
    matrix: sp.csr_array,
    weights: np.ndarray,
    p: int,
    start_cols: np.ndarray,
    *,
    deadline: float | None = None,
    n_groups: int = GROUPS,
) -> BendersBound:
    """Solve the MCLP's LP relaxation by stabilised Benders cuts (see module docstring).

    Parameters
    ----------
    matrix
        Reduced coverage (rows x columns, bool CSR, every row covered by some column).
    weights
        Row weights, >= 0.
    p
        Number of columns to open, ``0 < p < matrix.shape[1]``.
    start_cols
        A feasible answer (e.g. greedy), the first core point.
    deadline
        ``time.perf_counter()`` value after which the loop stops (the bound stays valid).
    n_groups
        Number of surrogate variables ``theta_k``.
    """
    import highspy

    started = time.perf_counter()
    n_rows, n_cols = matrix.shape
    n_groups = max(1, min(n_groups, n_rows))
    group = _groups(matrix, n_groups)
    member = sp.csr_array((np.ones(n_rows), (group, np.arange(n_rows))), shape=(n_groups, n_rows))
    group_weight = member @ weights
    a_float = sp.csr_array(matrix, dtype=np.float64)

    highs = new_highs()
    highs.setOptionValue("random_seed", 0)
    highs.addVars(
        n_cols + n_groups, np.zeros(n_cols + n_groups), np.r_[np.ones(n_cols), group_weight]
    )
    highs.changeColsCost(
        n_cols + n_groups,
        np.arange(n_cols + n_groups, dtype=np.int32),
        np.r_[np.zeros(n_cols), np.ones(n_groups)],
    )
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    highs.addRow(float(p), float(p), n_cols, np.arange(n_cols, dtype=np.int32), np.ones(n_cols))

    constants: list[np.ndarray] = []
    slopes: list[sp.csr_array] = []
    columns = np.arange(n_cols + n_groups)

    def add_cuts(x: np.ndarray) -> None:
        constant, slope = cuts_at(a_float, weights, member, x)
        add_cut_rows(highs, constant, slope, columns)
        constants.append(constant)
        slopes.append(slope)

    core = np.zeros(n_cols)
    core[start_cols] = 1.0
    core_value = lp_value(a_float, weights, core)
    add_cuts(core)
    bound = float(weights.sum())
    x_bar = core
    converged = False
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        highs.run()
        solution = np.asarray(highs.getSolution().col_value)
        x_bar, master = solution[:n_cols], float(solution[n_cols:].sum())
        bound = min(bound, master)
        value = lp_value(a_float, weights, x_bar)
        if master - value <= LP_TOLERANCE * max(1.0, master):
            converged = True
            break
        if deadline is not None and time.perf_counter() > deadline:
            break
        between = 0.5 * core + 0.5 * x_bar
        add_cuts(between)
        add_cuts(x_bar)
        between_value = lp_value(a_float, weights, between)
        if between_value > core_value:
            core, core_value = between, between_value
    constant, slope = _aggregate(highs, constants, slopes, group_weight, n_groups)
    return BendersBound(
        bound=bound,
        constant=constant,
        slopes=slope,
        lp_point=x_bar,
        rounds=rounds,
        seconds=time.perf_counter() - started,
        converged=converged,
        master=highs,
        add_cuts=add_cuts,
        member=member,
    )


def cuts_at(
    matrix: sp.csr_array, weights: np.ndarray, member: sp.csr_array, x: np.ndarray
) -> tuple[np.ndarray, sp.csr_array]:
    """Return the cuts ``theta_k <= constant_k + slope_k . x`` at ``x``, one per group.

    ``matrix`` is the coverage as floats, ``member`` the groups x rows 0/1 matrix (see
    the module docstring for the derivation).
    """
    low = (matrix @ x) < 1.0 - 1e-9
    constant = member @ (weights * ~low)
    slope = sp.csr_array(member @ sp.diags_array(weights * low) @ matrix)
    slope.eliminate_zeros()
    return constant, slope


def add_cut_rows(
    highs: Any, constant: np.ndarray, slope: sp.csr_array, columns: np.ndarray
) -> None:
    """Add the rows ``theta_k - slope_k . x <= constant_k`` to the HiGHS master.

    ``columns`` maps the block ``[x, theta]`` (the slope's columns, then one theta per
    group) to the master's column positions.
    """
    import highspy

    n_groups = slope.shape[0]
    block = sp.csr_array(sp.hstack([-slope, sp.eye_array(n_groups, format="csr")]))
    highs.addRows(
        n_groups,
        np.full(n_groups, -highspy.kHighsInf),
        constant,
        block.nnz,
        block.indptr[:-1].astype(np.int32),
        columns[block.indices].astype(np.int32),
        block.data,
    )


def _aggregate(
    highs: Any,
    constants: list[np.ndarray],
    slopes: list[sp.csr_array],
    group_weight: np.ndarray,
    n_groups: int,
) -> tuple[float, np.ndarray]:
    """Combine the cuts with the master's duals into one valid cut ``C + G . x``."""
    duals = np.abs(np.asarray(highs.getSolution().row_dual))[1:]  # row 0: cardinality
    duals = duals[: len(constants) * n_groups].reshape(len(constants), n_groups)
    mass = duals.sum(axis=0)
    scale = np.where(mass > 1.0, 1.0 / np.maximum(mass, 1e-300), 1.0)
    duals = duals * scale
    spare = np.clip(1.0 - duals.sum(axis=0), 0.0, None)
    constant = float((duals * np.vstack(constants)).sum() + spare @ group_weight)
    stacked = sp.vstack(slopes).tocsr()
    slope = np.asarray(stacked.T @ duals.ravel()).ravel()
    return constant, slope


def fixings(
    constant: float, slopes: np.ndarray, p: int, incumbent: float, *, integral: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Return masks of columns provably 0 / provably 1 in every better solution.

    ``f(x) <= constant + slopes . x`` must hold for every ``x``; ``incumbent`` is the value
    of a known solution. See the module docstring.
    """
    n_cols = slopes.size
    order = np.argsort(-slopes, kind="stable")
    ranked = slopes[order]
    rank = np.empty(n_cols, dtype=np.int64)
    rank[order] = np.arange(n_cols)
    top_p = ranked[:p].sum()
    top_p_minus = ranked[: p - 1].sum()
    top_p_plus = ranked[: p + 1].sum()
    in_top_minus = rank < p - 1
    with_j = constant + slopes + np.where(in_top_minus, top_p - slopes, top_p_minus)
    in_top = rank < p
    without_j = constant + np.where(in_top, top_p_plus - slopes, top_p)
    if integral:
        threshold = incumbent + 1.0 - 1e-6
        return with_j < threshold, without_j < threshold
    threshold = incumbent + 1e-9 * max(1.0, abs(incumbent))
    return with_j <= threshold, without_j <= threshold


@dataclass(frozen=True)
class BendersMip:
    """Outcome of the integer phase: best columns, their value, a valid bound, status."""

    columns: np.ndarray
    value: float
    bound: float
    optimal: bool
    rounds: int


def covered_value(matrix: sp.csr_array, weights: np.ndarray, columns: np.ndarray) -> float:
    """Return the weight of rows covered by ``columns``."""
    x = np.zeros(matrix.shape[1])
    x[columns] = 1.0
    return float(weights[(matrix @ x) > 0.5].sum())


def benders_mip(
    matrix: sp.csr_array,
    weights: np.ndarray,
    p: int,
    relaxation: BendersBound,
    incumbent: np.ndarray,
    excluded: np.ndarray,
    forced: np.ndarray,
    *,
    deadline: float | None,
    integral: bool,
    improve: Callable[[np.ndarray], np.ndarray] | None = None,
) -> BendersMip:
    """Solve the master as a MILP, adding cuts at each integer answer, until proven.

    The master keeps every cut of ``relaxation``; columns in ``excluded`` (mask) are fixed
    to 0 and those in ``forced`` to 1. Each master solve gives an upper bound on every
    solution respecting the fixings; its integer answer ``x`` is evaluated exactly, improved
    by ``improve(columns) -> columns`` if given, and cut off by the cuts at ``x`` unless
    the bound already proves the incumbent optimal. The returned ``bound`` covers every
    solution (it is at least the incumbent's value, which may use excluded columns).
    """
    import highspy

    highs = relaxation.master
    n_cols = matrix.shape[1]
    index = np.arange(n_cols, dtype=np.int32)
    highs.changeColsIntegrality(n_cols, index, np.full(n_cols, highspy.HighsVarType.kInteger))
    lower = np.where(forced, 1.0, 0.0)
    upper = np.where(excluded, 0.0, 1.0)
    highs.changeColsBounds(n_cols, index, lower, upper)
    highs.setOptionValue("mip_abs_gap", 0.999 if integral else 1e-6)
    highs.setOptionValue("mip_rel_gap", 1e-9)
    best_cols = np.sort(incumbent)
    best = covered_value(matrix, weights, best_cols)
    tolerance = 1.0 - 1e-6 if integral else 1e-9 * max(1.0, abs(best))
    bound = relaxation.bound
    optimal = bound < best + tolerance
    rounds = 0
    while not optimal:
        remaining = None if deadline is None else deadline - time.perf_counter()
        if remaining is not None and remaining <= 0:
            break
        rounds += 1
        if remaining is not None:
            highs.setOptionValue("time_limit", float(remaining))
        start_cols: np.ndarray | None = best_cols
        if excluded[best_cols].any() or forced[best_cols].sum() != forced.sum():
            start_cols = None
        if start_cols is not None:
            x0 = np.zeros(n_cols)
            x0[start_cols] = 1.0
            covered = (matrix @ x0) > 0.5
            start = np.r_[x0, relaxation.member @ (weights * covered)]
            solution = highspy.HighsSolution()
            solution.col_value = start
            solution.value_valid = True
            highs.setSolution(solution)
        highs.run()
        status = highs.getModelStatus()
        info = highs.getInfo()
        restricted_bound = float(info.mip_dual_bound)
        if status == highspy.HighsModelStatus.kOptimal:
            restricted_bound = float(info.objective_function_value)
        if status == highspy.HighsModelStatus.kInfeasible:
            restricted_bound = -np.inf
        if np.isfinite(restricted_bound) or restricted_bound == -np.inf:
            bound = min(bound, max(best, restricted_bound))
        if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
            break
        values = np.asarray(highs.getSolution().col_value)[:n_cols]
        cols = np.flatnonzero(values > 0.5)
        if improve is not None:
            cols = improve(cols)
        value = covered_value(matrix, weights, cols)
        if value > best:
            best, best_cols = value, np.sort(cols)
        optimal = bound < best + tolerance
        if optimal or status != highspy.HighsModelStatus.kOptimal:
            break
        x = np.zeros(n_cols)
        x[np.flatnonzero(values > 0.5)] = 1.0
        relaxation.add_cuts(x)
        if improve is not None and not np.array_equal(np.sort(cols), np.flatnonzero(x)):
            x2 = np.zeros(n_cols)
            x2[cols] = 1.0
            relaxation.add_cuts(x2)
    return BendersMip(best_cols, best, max(bound, best), optimal, rounds)
