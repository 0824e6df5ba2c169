r"""The people stage of the capacitated plan by Benders cuts, for national-size models.

The compact capacitated model (:mod:`cpgeo.siting._capacitated`) carries one row and
``|N_i| + 1`` nonzeros per community and phase; with thousands of villages and a 5-km
grid of candidates that is millions of nonzeros, and HiGHS spends minutes on the root LP
alone. The forum part of the model is small (forums x candidates within their reach), so
here it stays as it is, while the people part is projected out as in
:mod:`cpgeo.siting._benders`:

    maximise  sum_t sum_k theta_tk
    s.t.      the forum rows of the compact model (matching, capacity, phases, counts,
              budgets, forced sites, governorate minima), and  sum z >= F*
              theta_tk <= c_k(xbar) + g_k(xbar) . x_t     for every cut found
              0 <= theta_tk <= (weight of group k)

where ``x_t`` are the sites open in phase ``t`` and the cut ``theta_k <= c_k + g_k . x``
is the one derived in :mod:`cpgeo.siting._benders` (valid for every ``x``, tight at
``xbar``). Every master value is therefore an upper bound on the people covered by any
plan that serves ``F*`` forums: the bound accounts for the sites the forums need, which a
bound over people alone cannot.

1. The master's LP relaxation is solved by cutting planes, stabilised towards the
   incumbent (in-out), for a first bound.
2. The master becomes a MILP (``x`` integer), solved again after adding the cuts at each
   integer answer, whose people are counted exactly; the loop ends when the bound meets
   the best answer (below it plus one person, the weights being whole) or at the
   deadline, with the gap between them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from cpgeo._log import log
from cpgeo.siting._benders import (
    GROUPS,
    _groups,
    add_cut_rows,
    covered_value,
    cuts_at,
    lp_value,
)
from cpgeo.siting._milp import highs_model

if TYPE_CHECKING:
    from collections.abc import Sequence

#: cutting rounds of the LP phase at most
LP_ROUNDS = 60
#: share of the time left handed to each HiGHS run
MARGIN = 0.85
#: HiGHS' presolve rule bit for probing (``presolve_rule_off``)
PROBING = 1 << 15


@dataclass(frozen=True)
class JointAnswer:
    """Best plan found (``x``: phases x candidates, 0/1), its people, a valid bound."""

    x: np.ndarray
    value: float
    bound: float
    optimal: bool
    lp_rounds: int
    mip_rounds: int


@dataclass
class Master:
    """The forum part of the plan as a MILP: maximise ``forum_cost @ v`` over its rows.

    ``x_cols`` (phases x candidates) are the columns of the sites open in each phase,
    ``integer`` the integer columns, ``forum_row`` the row ``sum z`` of forums served.
    """

    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    x_cols: np.ndarray
    integer: np.ndarray
    forum_cost: np.ndarray
    forum_row: int


def forum_master(
    forum_office: sp.csr_array,
    forum_candidate: sp.csr_array,
    capacity: int,
    limits: list[tuple[int | None, float | None]],
    cost: np.ndarray,
    minima: Sequence[tuple[np.ndarray, int]],
    forced: np.ndarray,
) -> Master:
    """Build the forum rows of a plan with candidates grouped by the forums they reach.

    Candidates that reach the same set of forums are interchangeable for the forums: with
    ``X_S`` of the candidates of class ``S`` open, the class serves at most ``K X_S``
    forums of ``S``, each at most once, and any such assignment splits among its open
    sites (each reaches every forum of ``S``). So, per phase ``t``::

        X_St = sum_{j in S} x_jt                  the open sites of class S
        sum_o z_fot + sum_S z_fSt <= 1            each forum at most once
        sum_f z_fot <= K                          each existing office
        sum_f z_fSt <= K X_St,  z_fSt <= X_St     each class
        x_j(t-1) <= x_jt,  count and budget of the phase on x_t - x_(t-1)

    and ``sum_{j in g} x_jT >= m_g`` for each governorate minimum (``minima``: pairs of
    the positions of g's candidates and ``m_g``), ``x_jT = 1`` for ``forced`` (positions).
    This model is exact for the forums served, and far smaller than one flow variable
    per (forum, candidate) pair when thousands of candidates share a few hundred forum
    sets.
    """
    n_t = len(limits)
    fc = sp.csc_array(forum_candidate)
    n_f, n_j = fc.shape
    n_o = forum_office.shape[1]
    reach = np.diff(fc.indptr) > 0
    classes: dict[tuple[int, ...], int] = {}
    class_of = np.full(n_j, -1, dtype=np.int64)
    for j in np.flatnonzero(reach).tolist():
        key = tuple(fc.indices[fc.indptr[j] : fc.indptr[j + 1]].tolist())
        class_of[j] = classes.setdefault(key, len(classes))
    n_s = len(classes)
    pair_f = np.concatenate([np.asarray(k, dtype=np.int64) for k in classes] or [np.zeros(0, int)])
    pair_s = np.repeat(np.arange(n_s), [len(k) for k in classes]).astype(np.int64)
    fo_f, fo_o = sp.csr_array(forum_office).nonzero()
    n_zo, n_zs = fo_f.size, pair_f.size
    per = n_j + n_s + n_zo + n_zs
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(r: np.ndarray, c: np.ndarray, v: float | np.ndarray) -> None:
        rows.append(np.asarray(r, dtype=np.int64))
        cols.append(np.asarray(c, dtype=np.int64))
        vals.append(np.broadcast_to(np.asarray(v, dtype=float), np.shape(r)).copy())

    def bound(n: int, lo: float, hi: float) -> int:
        first = len(lower)
        lower.extend([lo] * n)
        upper.extend([hi] * n)
        return first

    x_cols = np.arange(n_t)[:, None] * per + np.arange(n_j)[None, :]
    forum_cost = np.zeros(per * n_t)
    inf = np.inf
    with_class = np.flatnonzero(class_of >= 0)
    for t in range(n_t):
        x0 = t * per
        s0, zo0, zs0 = x0 + n_j, x0 + n_j + n_s, x0 + n_j + n_s + n_zo
        forum_cost[zo0 : zs0 + n_zs] = 1.0
        r = bound(n_s, 0.0, 0.0)  # X_S - sum x_j = 0
        add(r + np.arange(n_s), s0 + np.arange(n_s), 1.0)
        add(r + class_of[with_class], x0 + with_class, -1.0)
        r = bound(n_f, -inf, 1.0)  # each forum once
        add(r + fo_f, zo0 + np.arange(n_zo), 1.0)
        add(r + pair_f, zs0 + np.arange(n_zs), 1.0)
        r = bound(n_o, -inf, float(capacity))  # offices
        add(r + fo_o, zo0 + np.arange(n_zo), 1.0)
        r = bound(n_s, -inf, 0.0)  # classes: sum_f z <= K X
        add(r + pair_s, zs0 + np.arange(n_zs), 1.0)
        add(r + np.arange(n_s), s0 + np.arange(n_s), -float(capacity))
        r = bound(n_zs, -inf, 0.0)  # z <= X
        add(r + np.arange(n_zs), zs0 + np.arange(n_zs), 1.0)
        add(r + np.arange(n_zs), s0 + pair_s, -1.0)
        if t:
            r = bound(n_j, -inf, 0.0)  # stays open
            add(r + np.arange(n_j), x_cols[t - 1], 1.0)
            add(r + np.arange(n_j), x_cols[t], -1.0)
        for amount, limit in ((np.ones(n_j), limits[t][0]), (cost, limits[t][1])):
            if limit is None:
                continue
            r = bound(1, -inf, float(limit))
            add(np.full(n_j, r), x_cols[t], amount)
            if t:
                add(np.full(n_j, r), x_cols[t - 1], -amount)
    for members, minimum in minima:
        r = bound(1, float(minimum), inf)
        add(np.full(members.size, r), x_cols[-1][members], 1.0)
    forum_row = bound(1, -inf, inf)
    add(np.full(int(np.count_nonzero(forum_cost)), forum_row), np.flatnonzero(forum_cost), 1.0)
    n_cols = per * n_t
    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(lower), n_cols),
    )
    col_lower, col_upper = np.zeros(n_cols), np.ones(n_cols)
    integer = np.zeros(n_cols, dtype=bool)
    integer[x_cols.ravel()] = True
    for t in range(n_t):
        col_upper[t * per + n_j : t * per + n_j + n_s] = inf  # X_S counts sites
    col_lower[x_cols[-1][forced]] = 1.0
    return Master(
        matrix, np.asarray(lower), np.asarray(upper), col_lower, col_upper, x_cols, integer,
        forum_cost, forum_row,
    )


def people_stage(
    master: Master,
    coverage: sp.csr_array,
    weights: np.ndarray,
    incumbent: np.ndarray,
    deadline: float | None,
) -> JointAnswer:
    """Maximise the people covered, summed over the phases, subject to the forum rows.

    ``coverage`` (communities x candidates) and ``weights`` are the people part;
    ``incumbent`` (phases x candidates, 0/1) a plan feasible for the master rows.
    """
    import highspy

    n_t = master.x_cols.shape[0]
    a = sp.csr_array(coverage, dtype=np.float64)
    n_rows = a.shape[0]
    n_groups = max(1, min(GROUPS, n_rows))
    group = _groups(sp.csr_array(coverage), n_groups)
    member = sp.csr_array((np.ones(n_rows), (group, np.arange(n_rows))), shape=(n_groups, n_rows))
    group_weight = member @ weights
    n_model = master.matrix.shape[1]
    n_theta = n_t * n_groups

    col_lower = np.r_[master.col_lower, np.zeros(n_theta)]
    col_upper = np.r_[master.col_upper, np.tile(group_weight, n_t)]
    highs = highs_model(
        np.r_[np.zeros(n_model), np.ones(n_theta)],
        sp.hstack([master.matrix, sp.csc_array((master.matrix.shape[0], n_theta))]),
        master.row_lower,
        master.row_upper,
        col_lower,
        col_upper,
        maximize=True,
    )
    def add_cuts(t: int, x: np.ndarray) -> None:
        # columns: x_t at master.x_cols[t], theta_t at n_model + t * n_groups + k
        columns = np.r_[master.x_cols[t], n_model + t * n_groups + np.arange(n_groups)]
        add_cut_rows(highs, *cuts_at(a, weights, member, x), columns)

    def lp_people(x: np.ndarray) -> float:
        return sum(lp_value(a, weights, x[t]) for t in range(n_t))

    def evaluate(x: np.ndarray) -> float:
        return sum(covered_value(a, weights, np.flatnonzero(x[t])) for t in range(n_t))

    def past() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    def limit() -> None:
        # HiGHS may overrun its limit a little (presolve, cleanup): keep a margin
        if deadline is not None:
            left = deadline - time.perf_counter()
            highs.setOptionValue("time_limit", max(1e-3, MARGIN * left))

    best_x = np.asarray(incumbent, dtype=float)
    best = evaluate(best_x)
    for t in range(n_t):
        add_cuts(t, best_x[t])
    core, core_value = best_x.copy(), lp_people(best_x)
    bound = float(n_t * weights.sum())
    lp_rounds = 0
    # 1. the LP relaxation, by stabilised cutting planes
    while lp_rounds < LP_ROUNDS and not past():
        lp_rounds += 1
        limit()
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        solution = np.asarray(highs.getSolution().col_value)
        x_bar = solution[master.x_cols]
        value_master = float(solution[n_model:].sum())
        bound = min(bound, value_master)
        log(f"people_stage: LP round {lp_rounds}, bound {bound:.6g}, best {best:.6g}")
        if value_master - lp_people(x_bar) <= 1e-7 * max(1.0, value_master):
            break
        between = 0.5 * core + 0.5 * x_bar
        for t in range(n_t):
            add_cuts(t, between[t])
            add_cuts(t, x_bar[t])
        if lp_people(between) > core_value:
            core, core_value = between, lp_people(between)
    integral = bool(np.all(weights == np.round(weights)))
    tolerance = 1.0 - 1e-6 if integral else 1e-9 * max(1.0, abs(best))
    _drop_slack_cuts(highs, master.matrix.shape[0])
    # 2. the master as a MILP, cut at each integer answer
    x_index = master.x_cols.ravel().astype(np.int32)
    highs.changeColsIntegrality(
        x_index.size, x_index, np.full(x_index.size, highspy.HighsVarType.kInteger)
    )
    highs.setOptionValue("mip_abs_gap", 0.999 if integral else 1e-6)
    highs.setOptionValue("mip_rel_gap", 1e-9)
    # HiGHS' probing on dense cut rows can run far past the time limit
    highs.setOptionValue("presolve_rule_off", PROBING)
    mip_rounds = 0
    cut_at = {best_x.astype(bool).tobytes()}
    while bound >= best + tolerance and not past():
        mip_rounds += 1
        limit()
        _offer(highs, best_x, master, member, weights, a)
        highs.run()
        status = highs.getModelStatus()
        info = highs.getInfo()
        point = float(np.asarray(highs.getSolution().col_value)[n_model:].sum())
        if status == highspy.HighsModelStatus.kOptimal and abs(
            point - info.objective_function_value
        ) > 1e-6 * max(1.0, abs(point)):
            # HiGHS (seen with 1.16) may report the optimum it found but hand back the
            # start as the solution: solve again without a start
            highs.clearSolver()
            limit()
            highs.run()
            status, info = highs.getModelStatus(), highs.getInfo()
        if status == highspy.HighsModelStatus.kOptimal:
            bound = min(bound, max(best, float(info.objective_function_value)))
        elif np.isfinite(info.mip_dual_bound):
            bound = min(bound, max(best, float(info.mip_dual_bound)))
        if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
            break
        x = (np.asarray(highs.getSolution().col_value)[master.x_cols] > 0.5).astype(float)
        value = evaluate(x)
        log(f"people_stage: MILP round {mip_rounds}, bound {bound:.6g}, answer {value:.6g}")
        if value > best:
            best, best_x = value, x
        key = x.astype(bool).tobytes()
        if status != highspy.HighsModelStatus.kOptimal or key in cut_at:
            break  # a point already cut off cannot come back unless HiGHS misreports
        cut_at.add(key)
        for t in range(n_t):
            add_cuts(t, x[t])
    bound = max(bound, best)
    return JointAnswer(best_x, best, bound, bound < best + tolerance, lp_rounds, mip_rounds)


def _drop_slack_cuts(highs: Any, n_master_rows: int) -> None:
    """Delete the cuts the LP optimum does not need (zero dual): its value stays the same."""
    import highspy

    optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    if not optimal or highs.getNumRow() <= n_master_rows:
        return
    duals = np.abs(np.asarray(highs.getSolution().row_dual)[n_master_rows:])
    idle = n_master_rows + np.flatnonzero(duals < 1e-9)
    if idle.size:
        highs.deleteRows(int(idle.size), idle.astype(np.int32))


def flows_for(master: Master, x: np.ndarray) -> np.ndarray | None:
    """Return the master's columns for the plan ``x`` (phases x candidates, 0/1).

    The forum flows come from one small LP; None when the plan breaks a master row.
    """
    import highspy

    lower, upper = master.col_lower.copy(), master.col_upper.copy()
    lower[master.x_cols], upper[master.x_cols] = x, x
    flows = highs_model(
        master.forum_cost, master.matrix, master.row_lower, master.row_upper, lower, upper,
        maximize=True,
    )
    flows.run()
    if flows.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(flows.getSolution().col_value)


def _offer(
    highs: Any,
    x: np.ndarray,
    master: Master,
    member: sp.csr_array,
    weights: np.ndarray,
    a: sp.csr_array,
) -> None:
    """Hand HiGHS the plan ``x`` as a start: its forum flows and thetas."""
    import highspy

    values = flows_for(master, x)
    if values is None:
        return
    theta = [member @ (weights * ((a @ x[t]) > 0.5)) for t in range(x.shape[0])]
    solution = highspy.HighsSolution()
    solution.col_value = np.r_[values, np.concatenate(theta)]
    solution.value_valid = True
    highs.setSolution(solution)
