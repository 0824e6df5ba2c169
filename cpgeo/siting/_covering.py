"""Maximal covering (MCLP) and set covering (LSCP) on coverage matrices.

The models take a boolean coverage matrix, rows = demand points, columns = candidate
sites, True where the site covers the point (for cpgeo: geodesic distance on the WGS84
ellipsoid <= the radius, see :func:`cpgeo.coverage.coverage_matrix`). They are solved
exactly with HiGHS after the exact reductions of :mod:`cpgeo.siting._reduce`, warm-started
from the greedy + interchange answer of :mod:`cpgeo.siting._greedy`. Large maximal
covering models go through the Benders bound and site fixing of
:mod:`cpgeo.siting._benders` before the integer phase (see :func:`solve_mclp`).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from cpgeo._errors import SolverError
from cpgeo._log import log
from cpgeo.siting._benders import benders_lp, benders_mip, covered_value, fixings
from cpgeo.siting._greedy import greedy_max_cover, greedy_set_cover, improve_by_interchange
from cpgeo.siting._milp import solve_milp
from cpgeo.siting._reduce import Reduced, reduce_lscp, reduce_mclp
from cpgeo.siting._result import (
    SitingResult,
    as_costs,
    as_count,
    as_coverage,
    as_fixed,
    as_time_limit,
    as_weights,
    relative_gap,
)


def _prepare_mclp(
    coverage: Any, weights: Any, p: Any, fixed: Any
) -> tuple[sp.csr_array, np.ndarray, int, np.ndarray]:
    matrix = as_coverage(coverage)
    vector = as_weights(weights, matrix.shape[0])
    fixed_positions = as_fixed(fixed, matrix.shape[1])
    count = as_count(p, matrix.shape[1] - fixed_positions.size)
    return matrix, vector, count, fixed_positions


def _identity_mclp(matrix: sp.csr_array, weights: np.ndarray, fixed: np.ndarray) -> Reduced:
    """Return the unreduced model in :class:`Reduced` form (only fixed columns taken out)."""
    n_cols = matrix.shape[1]
    free = np.setdiff1d(np.arange(n_cols, dtype=np.int64), fixed)
    constant = 0.0
    keep = np.ones(matrix.shape[0], dtype=bool)
    if fixed.size:
        keep = np.asarray(sp.csc_array(matrix)[:, fixed].sum(axis=1)).ravel() == 0
        constant = float(weights[~keep].sum())
    sub = sp.csr_array(matrix[np.flatnonzero(keep)][:, free])
    sub.sort_indices()
    stats = {"rows": matrix.shape[0], "cols": n_cols}
    stats.update(rows_reduced=sub.shape[0], cols_reduced=sub.shape[1])
    return Reduced(sub, weights[keep], free, constant=constant, stats=stats)


def _fill(selected: np.ndarray, p: int, n_cols: int, fixed: np.ndarray) -> np.ndarray:
    """Complete ``selected`` to ``p`` sites with the lowest free positions (no gain lost)."""
    if selected.size >= p:
        return np.sort(selected)
    taken = np.zeros(n_cols, dtype=bool)
    taken[selected] = True
    taken[fixed] = True
    extra = np.flatnonzero(~taken)[: p - selected.size]
    return np.sort(np.concatenate([selected, extra]).astype(np.int64))


def _covered(matrix: sp.csr_array, columns: np.ndarray) -> np.ndarray:
    if columns.size == 0:
        return np.zeros(matrix.shape[0], dtype=bool)
    return np.asarray(sp.csc_array(matrix)[:, columns].sum(axis=1)).ravel() > 0


def greedy_mclp(
    coverage: Any,
    weights: Any,
    p: int,
    *,
    fixed: Any = None,
    interchange: bool = True,
    restarts: int | None = None,
    seed: int = 0,
) -> SitingResult:
    """Maximal covering by lazy greedy and 1-swap interchange (instant, near-optimal).

    Plain greedy covers at least ``1 - 1/e`` (63.2%) of the optimal weight beyond what the
    fixed sites cover (the objective is monotone submodular); interchange only improves
    it. The result's ``gap`` comes from the submodular bound ``f(OPT) <= f(S) +`` the sum
    of the ``p`` largest marginal gains with respect to the answer ``S``, and
    ``optimal`` is True only when that bound proves the answer optimal.

    Parameters
    ----------
    coverage
        Demand rows x candidate columns, bool (numpy or scipy.sparse).
    weights
        Demand weights (e.g. population), >= 0; None for 1 each.
    p
        Number of candidates to open besides ``fixed``.
    fixed
        Positions (or a boolean mask) of candidates that are already open.
    interchange
        Run the interchange improvement after greedy.
    restarts
        Extra randomised greedy runs, each followed by interchange, keeping the best
        (default ``GREEDY_RESTARTS``; 0 for plain greedy + interchange).
    seed
        Seed of the random generator of the restarts (same seed, same answer).

    Returns
    -------
    SitingResult
        ``method="greedy"``; see :class:`SitingResult`.
    """
    started = time.perf_counter()
    matrix, vector, count, fixed_positions = _prepare_mclp(coverage, weights, p, fixed)
    reduced = reduce_mclp(matrix, vector, fixed_positions)
    local, _, bound = greedy_max_cover(
        reduced.matrix,
        reduced.weights,
        min(count, reduced.matrix.shape[1]),
        interchange=interchange,
        restarts=GREEDY_RESTARTS if restarts is None else restarts,
        seed=seed,
    )
    selected = _fill(reduced.cols[local], count, matrix.shape[1], fixed_positions)
    objective = float(vector[_covered(matrix, np.concatenate([selected, fixed_positions]))].sum())
    upper = bound + reduced.constant
    gap = relative_gap(objective, upper)
    optimal = bool(upper <= objective + 1e-9 * max(1.0, abs(objective)))
    stats = dict(reduced.stats, seconds=time.perf_counter() - started)
    log(f"greedy_mclp: p={count}, objective {objective:.6g}, bound gap {gap:.3%}")
    return SitingResult(
        selected, objective, optimal, 0.0 if optimal else gap, method="greedy", stats=stats
    )


def solve_mclp(
    coverage: Any,
    weights: Any,
    p: int,
    *,
    fixed: Any = None,
    time_limit_s: float | None = None,
    reduce: bool = True,
    warm_start: bool = True,
    algorithm: str = "auto",
    seed: int = 0,
) -> SitingResult:
    r"""Maximal covering location problem (Church and ReVelle, 1974), solved exactly.

    Formulation, for demand rows ``i`` with weight ``w_i``, candidates ``j``, ``N_i`` the
    candidates covering ``i`` and ``F`` the fixed (already open) candidates::

        maximise    sum_i w_i y_i
        subject to  y_i <= sum_{j in N_i} x_j        for every demand row i
                    sum_{j not in F} x_j = p
                    x_j = 1                          for j in F
                    x_j in {0, 1},  0 <= y_i <= 1

    ``y_i`` is continuous: at an optimum it equals 1 exactly when a chosen site covers
    ``i``, so the binary requirement is redundant and dropping it shrinks the branch and
    bound. Before solving, the model is reduced exactly (demand covered by fixed sites
    and demand nothing covers leave, rows with identical covering sets merge, candidates
    whose cover lies inside another's leave; see :mod:`cpgeo.siting._reduce`), and HiGHS
    starts from the greedy + interchange answer.

    Two exact algorithms solve the reduced model:

    ``"compact"``
        The model above handed to HiGHS as is (fastest when the reduced matrix is small).
    ``"benders"``
        For large matrices (where the compact root LP alone takes tens of seconds):
        ``y`` is projected out and replaced by Benders cuts
        ``theta_k <= c_k(xbar) + g_k(xbar) . x`` over groups of rows (derivation in
        :mod:`cpgeo.siting._benders`). (1) The LP relaxation is solved by stabilised
        cutting planes, giving an upper bound; (2) the incumbent (greedy + interchange,
        also from the rounded LP point) is compared with bounds derived from the LP duals,
        fixing to 0 (or 1) every site that cannot be in (or out of) a better solution;
        (3) the master with its cuts becomes a MILP over the sites left, re-solved with
        the cuts at each integer answer until its bound meets the incumbent. Every bound
        used is valid, so ``optimal`` and ``gap`` are proven.

    ``"auto"`` picks ``"benders"`` when the reduced matrix has more than
    ``BENDERS_MIN_NONZEROS`` nonzeros, else ``"compact"``.

    Parameters
    ----------
    coverage
        Demand rows x candidate columns, bool (numpy array or scipy.sparse).
    weights
        Demand weights (e.g. population), finite and >= 0; None for 1 each.
    p
        Number of candidates to open besides ``fixed``, ``0 <= p <= candidates - fixed``.
    fixed
        Positions (or a boolean mask) of candidates already open; not in ``selected``.
    time_limit_s
        Wall-clock limit for the solver, seconds; on expiry the best answer found is
        returned with ``optimal=False`` and its proven ``gap``.
    reduce, warm_start
        Apply the reductions / the greedy warm start (on by default; off only to measure
        what they are worth).
    algorithm
        ``"auto"``, ``"compact"`` or ``"benders"`` (see above); the answer is the same.
    seed
        Seed of the randomised greedy restarts used for the warm start.

    Returns
    -------
    SitingResult
        ``selected`` (``p`` positions, fixed excluded), ``objective`` (weight covered,
        fixed sites included), ``optimal``, ``gap``.

    Raises
    ------
    ValueError
        Malformed input: coverage not 2-D, weights of the wrong length or negative,
        ``p`` negative or larger than the free candidates, fixed positions out of range.
    """
    started = time.perf_counter()
    if algorithm not in ("auto", "compact", "benders"):
        msg = f"algorithm must be 'auto', 'compact' or 'benders', not {algorithm!r}"
        raise ValueError(msg)
    matrix, vector, count, fixed_positions = _prepare_mclp(coverage, weights, p, fixed)
    limit = as_time_limit(time_limit_s)
    reduced = (
        reduce_mclp(matrix, vector, fixed_positions)
        if reduce
        else _identity_mclp(matrix, vector, fixed_positions)
    )
    built = time.perf_counter()
    sub, sub_weights = reduced.matrix, reduced.weights
    n_rows, n_cols = sub.shape
    local_p = min(count, n_cols)
    optimal, bound_local = True, None
    solve_seconds = 0.0
    extra: dict[str, Any] = {}
    if n_rows == 0 or local_p == 0:
        local = np.arange(local_p, dtype=np.int64)
    elif local_p == n_cols:
        local = np.arange(n_cols, dtype=np.int64)
    else:
        if algorithm == "auto":
            algorithm = "benders" if sub.nnz > BENDERS_MIN_NONZEROS else "compact"
        if algorithm == "benders":
            deadline = None if limit is None else started + limit
            local, optimal, bound_local, solve_seconds, extra = _benders_mclp(
                sub, sub_weights, local_p, deadline, warm_start=warm_start, seed=seed
            )
        else:
            start_cols, trivial_bound = None, float(sub_weights.sum())
            if warm_start:
                # small models: HiGHS closes the gap faster than restarts would
                start_cols, _, trivial_bound = greedy_max_cover(sub, sub_weights, local_p)
            answer = _mclp_milp(sub, sub_weights, local_p, limit, start_cols)
            local = np.flatnonzero(answer.x[:n_cols] > 0.5).astype(np.int64)
            optimal, bound_local = answer.optimal, answer.bound
            # HiGHS stopped before any bound: fall back on the submodular (or total) bound
            if not np.isfinite(bound_local) or bound_local > trivial_bound:
                bound_local = trivial_bound
            solve_seconds = answer.seconds
    selected = _fill(reduced.cols[local], count, matrix.shape[1], fixed_positions)
    objective = float(vector[_covered(matrix, np.concatenate([selected, fixed_positions]))].sum())
    gap = 0.0
    if not optimal and bound_local is not None:
        gap = relative_gap(objective, bound_local + reduced.constant)
    stats = dict(
        reduced.stats,
        build_seconds=built - started,
        solve_seconds=solve_seconds,
        seconds=time.perf_counter() - started,
        algorithm=algorithm,
        **extra,
    )
    log(
        f"solve_mclp: p={count}, {matrix.shape[0]}x{matrix.shape[1]} reduced to "
        f"{n_rows}x{n_cols}, objective {objective:.6g}, optimal={optimal}"
    )
    return SitingResult(selected, objective, optimal, gap, method="exact", stats=stats)


#: reduced matrices with more nonzeros than this go to the Benders algorithm under "auto"
BENDERS_MIN_NONZEROS = 20_000
#: after fixing, sites left whose columns hold at most this many nonzeros are solved with
#: the compact model; larger ones with the Benders MILP
COMPACT_MAX_NONZEROS = 300_000
#: randomised greedy restarts for the warm start (each followed by interchange)
GREEDY_RESTARTS = 8


def _benders_mclp(
    matrix: sp.csr_array,
    weights: np.ndarray,
    p: int,
    deadline: float | None,
    *,
    warm_start: bool,
    seed: int,
) -> tuple[np.ndarray, bool, float, float, dict[str, Any]]:
    """Benders LP bound, fixing, then the Benders MILP (see :func:`solve_mclp`)."""
    started = time.perf_counter()
    integral = bool(np.all(weights == np.round(weights)))
    restarts = GREEDY_RESTARTS if warm_start else 0
    start_cols, value, _ = greedy_max_cover(
        matrix, weights, p, interchange=warm_start, restarts=restarts, seed=seed
    )
    relaxation = benders_lp(matrix, weights, p, start_cols, deadline=deadline)
    if warm_start:
        rounded = np.sort(np.argsort(-relaxation.lp_point, kind="stable")[:p])
        rounded = improve_by_interchange(matrix, weights, rounded)
        rounded_value = covered_value(matrix, weights, rounded)
        if rounded_value > value:
            start_cols, value = rounded, rounded_value
    excluded, forced = fixings(relaxation.constant, relaxation.slopes, p, value, integral=integral)
    extra: dict[str, Any] = {
        "lp_bound": relaxation.bound,
        "lp_rounds": relaxation.rounds,
        "lp_seconds": relaxation.seconds,
        "fixed_out": int(excluded.sum()),
        "fixed_in": int(forced.sum()),
    }
    if (excluded & forced).any() or forced.sum() > p or (~excluded).sum() < p:
        # no solution better than the incumbent exists
        extra["mip_rounds"] = 0
        return start_cols, True, value, time.perf_counter() - started, extra

    kept = np.flatnonzero(~excluded)
    if int(sp.csc_array(matrix)[:, kept].nnz) <= COMPACT_MAX_NONZEROS:
        return _restricted_compact(
            matrix,
            weights,
            p,
            kept,
            forced,
            start_cols,
            value,
            relaxation.bound,
            deadline,
            started,
            extra,
            seed=seed,
            integral=integral,
        )

    def improve(cols: np.ndarray) -> np.ndarray:
        return improve_by_interchange(matrix, weights, cols) if warm_start else cols

    answer = benders_mip(
        matrix,
        weights,
        p,
        relaxation,
        start_cols,
        excluded,
        forced,
        deadline=deadline,
        integral=integral,
        improve=improve,
    )
    extra["mip_rounds"] = answer.rounds
    extra["integer_phase"] = "benders"
    return answer.columns, answer.optimal, answer.bound, time.perf_counter() - started, extra


def _restricted_compact(
    matrix: sp.csr_array,
    weights: np.ndarray,
    p: int,
    kept: np.ndarray,
    forced: np.ndarray,
    incumbent: np.ndarray,
    incumbent_value: float,
    lp_bound: float,
    deadline: float | None,
    started: float,
    extra: dict[str, Any],
    *,
    seed: int,
    integral: bool,
) -> tuple[np.ndarray, bool, float, float, dict[str, Any]]:
    """Compact MILP on the sites left after fixing; the incumbent covers the rest."""
    extra["integer_phase"] = "compact"
    extra["mip_rounds"] = 1
    sub = sp.csr_array(sp.csc_array(matrix)[:, kept])
    sub.sort_indices()
    forced_local = np.flatnonzero(forced[kept]).astype(np.int64)
    reduced = reduce_mclp(sub, weights, forced_local)
    count = p - forced_local.size
    n_cols = reduced.matrix.shape[1]
    local_p = min(count, n_cols)
    optimal, bound = True, 0.0  # the bound is read only when not proven optimal
    if reduced.matrix.shape[0] == 0 or local_p == 0 or local_p == n_cols:
        local = np.arange(local_p, dtype=np.int64)
    else:
        remaining = None if deadline is None else max(deadline - time.perf_counter(), 1e-3)
        start_cols, start_value, trivial = greedy_max_cover(
            reduced.matrix, reduced.weights, local_p, restarts=GREEDY_RESTARTS, seed=seed
        )
        # the incumbent, when it lies inside the restricted model, is usually better
        position = np.full(matrix.shape[1], -1, dtype=np.int64)
        position[kept[reduced.cols]] = np.arange(n_cols)
        inside = position[np.setdiff1d(incumbent, kept[forced_local])]
        if inside.size == local_p and (inside >= 0).all():
            inside = np.sort(inside)
            if covered_value(reduced.matrix, reduced.weights, inside) > start_value:
                start_cols = inside
        answer = _mclp_milp(reduced.matrix, reduced.weights, local_p, remaining, start_cols)
        local = np.flatnonzero(answer.x[:n_cols] > 0.5).astype(np.int64)
        optimal, bound = answer.optimal, answer.bound
        if not np.isfinite(bound) or bound > trivial:
            bound = trivial
    chosen = _fill(kept[reduced.cols[local]], count, matrix.shape[1], kept[forced_local])
    chosen = np.sort(np.concatenate([chosen, kept[forced_local]]))
    value = covered_value(matrix, weights, chosen)
    restricted_bound = value if optimal else bound + reduced.constant
    best_cols, best = (chosen, value) if value >= incumbent_value else (incumbent, incumbent_value)
    overall = min(lp_bound, max(best, restricted_bound))
    tolerance = 1.0 - 1e-6 if integral else 1e-9 * max(1.0, abs(best))
    proven = overall < best + tolerance
    return best_cols, proven, overall, time.perf_counter() - started, extra


def _mclp_milp(
    matrix: sp.csr_array,
    weights: np.ndarray,
    p: int,
    time_limit_s: float | None,
    start_cols: np.ndarray | None,
    *,
    binary_coverage: bool = False,
) -> Any:
    """Build and solve the MCLP MILP on a (reduced) matrix; columns are [x, y]."""
    n_rows, n_cols = matrix.shape
    # rows 0..n_rows-1: y_i - sum_j a_ij x_j <= 0; last row: sum_j x_j = p
    top = sp.hstack([-sp.csr_array(matrix, dtype=np.float64), sp.eye_array(n_rows)])
    cardinality = sp.hstack(
        [sp.csr_array(np.ones((1, n_cols))), sp.csr_array((1, n_rows), dtype=np.float64)]
    )
    constraints = sp.csc_array(sp.vstack([top, cardinality]))
    row_lower = np.concatenate([np.full(n_rows, -np.inf), [p]])
    row_upper = np.concatenate([np.zeros(n_rows), [p]])
    cost = np.concatenate([np.zeros(n_cols), weights])
    integer = np.concatenate(
        [np.ones(n_cols, dtype=bool), np.full(n_rows, binary_coverage, dtype=bool)]
    )
    start = None
    if start_cols is not None:
        x = np.zeros(n_cols)
        x[start_cols] = 1.0
        y = np.minimum(1.0, matrix @ x)
        start = np.concatenate([x, y])
    # integral weights make every objective value an integer: a gap below 1 is optimal
    integral = bool(np.all(weights == np.round(weights)))
    return solve_milp(
        cost,
        constraints,
        row_lower,
        row_upper,
        np.zeros(n_cols + n_rows),
        np.ones(n_cols + n_rows),
        integer,
        maximize=True,
        time_limit_s=time_limit_s,
        start=start,
        abs_gap=0.999 if integral else 1e-6,
    )


def solve_lscp(
    coverage: Any,
    cost: Any = None,
    *,
    time_limit_s: float | None = None,
    reduce: bool = True,
    warm_start: bool = True,
) -> SitingResult:
    r"""Location set covering problem (Toregas et al., 1971), solved exactly.

    Formulation, for candidates ``j`` with cost ``c_j`` and ``N_i`` the candidates
    covering demand row ``i``::

        minimise    sum_j c_j x_j
        subject to  sum_{j in N_i} x_j >= 1      for every row i with N_i not empty
                    x_j in {0, 1}

    Demand that no candidate covers cannot be covered and is not required. Before solving,
    the model is reduced exactly (identical rows merge, a row with one candidate forces
    it open, candidates whose cover lies inside a no-more-expensive candidate's cover
    leave, rows implied by another row leave; see :mod:`cpgeo.siting._reduce`), and HiGHS
    starts from the greedy set cover. Reduced models with ``LSCP_CORE_MIN_COLUMNS`` or
    more candidates are solved from their LP relaxation: a MILP on the candidates of
    zero reduced cost gives an incumbent, and reduced-cost fixing against it leaves a
    smaller MILP that still holds every better cover (see :func:`_lscp_by_core`).

    Parameters
    ----------
    coverage
        Demand rows x candidate columns, bool (numpy array or scipy.sparse).
    cost
        Cost of each candidate, finite and >= 0; None for 1 each (fewest sites).
    time_limit_s
        Wall-clock limit for the solver, seconds.
    reduce, warm_start
        Apply the reductions / the greedy warm start (on by default).

    Returns
    -------
    SitingResult
        ``selected`` (sorted positions), ``objective`` (total cost of ``selected``),
        ``optimal``, ``gap``.

    Raises
    ------
    ValueError
        Malformed input: coverage not 2-D, cost of the wrong length or negative.
    """
    started = time.perf_counter()
    matrix = as_coverage(coverage)
    costs = as_costs(cost, matrix.shape[1])
    limit = as_time_limit(time_limit_s)
    if reduce:
        reduced = reduce_lscp(matrix, costs)
    else:
        required = np.flatnonzero(np.diff(matrix.indptr) > 0)
        sub = sp.csr_array(matrix[required])
        reduced = Reduced(
            sub,
            np.ones(sub.shape[0]),
            np.arange(matrix.shape[1], dtype=np.int64),
            stats={"rows": matrix.shape[0], "cols": matrix.shape[1]},
        )
    built = time.perf_counter()
    sub = reduced.matrix
    optimal, bound_local, solve_seconds = True, None, 0.0
    extra: dict[str, Any] = {}
    if sub.shape[0] == 0:
        local = np.zeros(0, dtype=np.int64)
    else:
        sub_costs = costs[reduced.cols]
        start_cols = greedy_set_cover(sub, sub_costs) if warm_start else None
        deadline = None if limit is None else built + limit
        if reduce and sub.shape[1] >= LSCP_CORE_MIN_COLUMNS:
            local, optimal, bound_local, extra = _lscp_by_core(sub, sub_costs, start_cols, deadline)
        else:
            answer = _lscp_milp(sub, sub_costs, np.arange(sub.shape[1]), start_cols, deadline)
            local = np.flatnonzero(answer.x > 0.5)
            optimal, bound_local = answer.optimal, answer.bound
        solve_seconds = time.perf_counter() - built
    selected = np.unique(np.concatenate([reduced.forced, reduced.cols[local]])).astype(np.int64)
    objective = float(costs[selected].sum())
    gap = 0.0
    if not optimal and bound_local is not None:
        gap = relative_gap(objective, bound_local + reduced.constant)
    stats = dict(
        reduced.stats,
        build_seconds=built - started,
        solve_seconds=solve_seconds,
        seconds=time.perf_counter() - started,
        **extra,
    )
    log(
        f"solve_lscp: {matrix.shape[0]}x{matrix.shape[1]} reduced to "
        f"{sub.shape[0]}x{sub.shape[1]}, {selected.size} sites, cost {objective:.6g}"
    )
    return SitingResult(selected, objective, optimal, gap, method="exact", stats=stats)


#: reduced set covering models with at least this many candidates are solved through the
#: LP core and reduced-cost fixing of :func:`_lscp_by_core`; smaller ones directly
LSCP_CORE_MIN_COLUMNS = 5_000
#: the first (core) MILP holds the candidates of LP reduced cost up to this
LSCP_CORE_REDUCED_COST = 1e-9


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.perf_counter(), 1e-3)


def _lscp_milp(
    matrix: sp.csr_array,
    cost: np.ndarray,
    columns: np.ndarray,
    start_cols: np.ndarray | None,
    deadline: float | None,
) -> Any:
    """Solve the set covering MILP restricted to ``columns`` (sorted positions)."""
    sub = sp.csc_array(sp.csc_array(matrix)[:, columns], dtype=np.float64)
    sub_costs = cost[columns]
    start = None
    if start_cols is not None:
        start = np.zeros(columns.size)
        start[np.searchsorted(columns, start_cols)] = 1.0
    integral = bool(np.all(sub_costs == np.round(sub_costs)))
    answer = solve_milp(
        sub_costs,
        sub,
        np.ones(sub.shape[0]),
        np.full(sub.shape[0], np.inf),
        np.zeros(columns.size),
        np.ones(columns.size),
        np.ones(columns.size, dtype=bool),
        maximize=False,
        time_limit_s=_remaining(deadline),
        start=start,
        abs_gap=0.999 if integral else 1e-6,
    )
    full = np.zeros(matrix.shape[1])
    full[columns] = answer.x
    return dataclasses.replace(answer, x=full)


def _lscp_by_core(
    matrix: sp.csr_array,
    cost: np.ndarray,
    start_cols: np.ndarray | None,
    deadline: float | None,
) -> tuple[np.ndarray, bool, float, dict[str, Any]]:
    """Set covering through its LP relaxation: a core MILP, then reduced-cost fixing.

    Any dual vector ``u >= 0`` of the LP gives reduced costs ``d = c - A^T u`` and, for
    every cover ``x``, ``c x >= L + sum_{j: x_j = 1} max(d_j, 0)`` with
    ``L = sum u + sum_j min(d_j, 0)`` (``A x >= 1``). So a candidate with ``L + d_j``
    above the best cost worth looking for is in no better cover, and the MILP over the
    others (plus the incumbent's) has the optimum of the whole model. ``u`` is the LP
    dual (HiGHS, through scipy) clipped at 0 and ``d``, ``L`` are recomputed here, so the
    bound holds whatever the LP's tolerances. The incumbent comes from a first MILP on
    the candidates of (near) zero reduced cost, which hold the LP optimum; on tight
    models such as the rail instances it is already optimal and the second MILP is small
    or not needed.
    """
    from scipy.optimize import linprog

    n_rows, n_cols = matrix.shape
    integral = bool(np.all(cost == np.round(cost)))
    csc = sp.csc_array(matrix, dtype=np.float64)
    remaining = _remaining(deadline)
    options = {} if remaining is None else {"time_limit": float(remaining)}
    # A x >= 1 written as -A x <= -1: the duals of the covering rows are -marginals
    lp = linprog(
        cost,
        A_ub=-csc,
        b_ub=-np.ones(n_rows),
        bounds=(0.0, 1.0),
        method="highs",
        options=options,
    )
    marginals = getattr(getattr(lp, "ineqlin", None), "marginals", None)
    duals = np.zeros(n_rows)
    if marginals is not None and len(marginals) == n_rows:
        duals = np.maximum(-np.asarray(marginals, dtype=np.float64), 0.0)
    reduced_cost = cost - csc.T @ duals
    lower = float(duals.sum() + np.minimum(reduced_cost, 0.0).sum())
    margin = 1e-7 * max(1.0, abs(lower))
    extra: dict[str, Any] = {"lp_bound": lower}

    def worth_keeping(upper: float) -> np.ndarray:
        # a better cover costs at most upper - 1 (integral costs) or below upper
        target = upper - (1.0 - 1e-6) if integral else upper
        return lower + np.maximum(reduced_cost, 0.0) <= target + margin

    best_cols = start_cols
    upper = float(cost[start_cols].sum()) if start_cols is not None else np.inf
    core = reduced_cost <= LSCP_CORE_REDUCED_COST
    keep = worth_keeping(upper)
    if start_cols is not None:
        keep[start_cols] = True
    extra["core_cols"] = int((core & keep).sum())
    if (core & keep).sum() < keep.sum():
        columns = np.flatnonzero(core & keep)
        if start_cols is not None:
            columns = np.union1d(columns, start_cols)
        if _covers_all(matrix, columns):
            try:
                answer = _lscp_milp(matrix, cost, columns, best_cols, deadline)
            except SolverError:
                answer = None  # out of time before any cover: the second MILP decides
            if answer is not None:
                found = np.flatnonzero(answer.x > 0.5)
                if float(cost[found].sum()) < upper:
                    best_cols, upper = found, float(cost[found].sum())
                keep = worth_keeping(upper)
                keep[best_cols] = True
    columns = np.flatnonzero(keep)
    extra["fixed_out"] = int(n_cols - columns.size)
    if best_cols is not None and columns.size == best_cols.size:
        # nothing outside the incumbent can be in a better cover
        return np.sort(best_cols), True, upper, extra
    answer = _lscp_milp(matrix, cost, columns, best_cols, deadline)
    local = np.flatnonzero(answer.x > 0.5)
    bound = answer.bound
    outside = ~keep
    if outside.any():
        bound = min(bound, lower + float(reduced_cost[outside].min()))
    return local, answer.optimal, max(bound, lower), extra


def _covers_all(matrix: sp.csr_array, columns: np.ndarray) -> bool:
    return bool((np.asarray(sp.csc_array(matrix)[:, columns].sum(axis=1)).ravel() > 0).all())
