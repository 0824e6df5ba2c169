"""One thin wrapper around HiGHS for every MILP in cpgeo.siting."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from cpgeo._errors import SolverError

_QUIET = threading.Lock()


def _flush_c_stdout() -> None:
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).fflush(None)


def new_highs() -> Any:
    """Return a ``highspy.Highs`` with its output off, and without its banner on stdout.

    HiGHS writes its copyright banner when the object is created, before any option
    can turn logging off; that line would land in the middle of the CLI's ``--json`` and
    tables. The process's standard output is pointed at the null device for the
    construction only (under a lock; Python's own buffered output is unaffected).
    """
    import highspy

    with _QUIET:
        sys.stdout.flush()
        _flush_c_stdout()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            highs = highspy.Highs()
            highs.setOptionValue("output_flag", False)
            _flush_c_stdout()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
    return highs


@dataclass(frozen=True)
class MilpAnswer:
    """Solution of a MILP: values, proven status, objective, best bound and time (s)."""

    x: np.ndarray
    optimal: bool
    objective: float
    bound: float
    seconds: float
    status: str


def highs_model(
    cost: np.ndarray,
    matrix: sp.csc_array,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray | None = None,
    *,
    maximize: bool,
) -> Any:
    """Return a quiet HiGHS instance holding ``opt cost @ x``, ``row_lower <= A x <= row_upper``.

    Infinite bounds may be given as ``numpy.inf``; ``integer`` is a mask of integer
    columns (None: all continuous).
    """
    import highspy

    n_rows, n_cols = matrix.shape
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.clip(np.asarray(col_lower, dtype=np.float64), -inf, inf)
    lp.col_upper_ = np.clip(np.asarray(col_upper, dtype=np.float64), -inf, inf)
    lp.row_lower_ = np.clip(np.asarray(row_lower, dtype=np.float64), -inf, inf)
    lp.row_upper_ = np.clip(np.asarray(row_upper, dtype=np.float64), -inf, inf)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    csc = sp.csc_array(matrix, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data
    if integer is not None:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
    highs = new_highs()
    highs.setOptionValue("random_seed", 0)
    highs.passModel(lp)
    return highs


def solve_milp(
    cost: np.ndarray,
    matrix: sp.csc_array,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    *,
    maximize: bool,
    time_limit_s: float | None = None,
    start: np.ndarray | None = None,
    abs_gap: float = 1e-6,
    rel_gap: float = 1e-9,
) -> MilpAnswer:
    """Solve ``opt cost @ x`` subject to ``row_lower <= matrix @ x <= row_upper``.

    Parameters
    ----------
    integer
        Boolean mask of integer columns.
    start
        A feasible solution handed to HiGHS as its first incumbent (a warm start).
    abs_gap, rel_gap
        HiGHS' ``mip_abs_gap`` and ``mip_rel_gap`` stopping tolerances.

    Raises
    ------
    SolverError
        When HiGHS ends without a feasible solution.
    """
    import highspy

    started = time.perf_counter()
    n_cols = matrix.shape[1]
    highs = highs_model(
        cost, matrix, row_lower, row_upper, col_lower, col_upper, integer, maximize=maximize
    )
    highs.setOptionValue("mip_rel_gap", float(rel_gap))
    highs.setOptionValue("mip_abs_gap", float(abs_gap))
    if time_limit_s is not None:
        highs.setOptionValue("time_limit", float(time_limit_s))
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = np.asarray(start, dtype=np.float64)
        solution.value_valid = True
        highs.setSolution(solution)
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    seconds = time.perf_counter() - started
    values = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible or (
        values.size != n_cols
    ):
        msg = f"HiGHS found no feasible solution ({highs.modelStatusToString(status)})"
        raise SolverError(msg)
    optimal = status == highspy.HighsModelStatus.kOptimal
    objective = float(info.objective_function_value)
    if start is not None and abs(float(np.dot(cost, values)) - objective) > 1e-6 * max(
        1.0, abs(objective)
    ):
        # HiGHS (seen with 1.16) may report the optimum it found but hand back the start
        # as the solution; the point and its value must agree, so solve again cold
        return solve_milp(
            cost, matrix, row_lower, row_upper, col_lower, col_upper, integer,
            maximize=maximize, time_limit_s=time_limit_s, start=None,
            abs_gap=abs_gap, rel_gap=rel_gap,
        )
    bound = objective if optimal else float(info.mip_dual_bound)
    return MilpAnswer(values, optimal, objective, bound, seconds, highs.modelStatusToString(status))
