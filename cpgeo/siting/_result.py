"""The answer of every covering model, and the checks its inputs go through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class SitingResult:
    """Answer of a covering model.

    Attributes
    ----------
    selected
        Sorted positions (int64) of the newly opened candidate columns; sites given as
        ``fixed`` are already open and are not listed.
    objective
        Maximal covering: total weight of the demand rows covered, fixed sites included.
        Set covering: total cost of the selected candidates.
    optimal
        True when the solver proved ``selected`` optimal.
    gap
        Relative gap between ``objective`` and the best proven bound,
        ``|bound - objective| / max(|objective|, 1e-9)``; 0.0 when proven optimal, ``nan``
        when no bound is known.
    method
        ``"exact"`` (MILP) or ``"greedy"`` (greedy with interchange).
    stats
        Sizes of the model before and after reduction and timings in seconds, for
        benchmarks and logs (keys are informal and may grow).
    """

    selected: np.ndarray
    objective: float
    optimal: bool
    gap: float
    method: str = "exact"
    stats: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def as_coverage(coverage: Any) -> sp.csr_array:
    """Return ``coverage`` as a boolean CSR array with sorted indices and no explicit zeros.

    Accepts a 2-D numpy array (bool or 0/1 numbers) or any scipy.sparse matrix / array.
    """
    if sp.issparse(coverage):
        matrix = sp.csr_array(coverage)
    else:
        dense = np.asarray(coverage)
        if dense.ndim != 2:
            msg = (
                f"coverage must be a 2-D matrix (demand x candidates), got {dense.ndim} dimensions"
            )
            raise ValueError(msg)
        if dense.dtype != np.bool_:
            if not np.issubdtype(dense.dtype, np.number):
                msg = f"coverage must be boolean or numeric, got dtype {dense.dtype}"
                raise ValueError(msg)
            if not np.isin(dense, (0, 1)).all():
                msg = "coverage must hold only True/False (or 0/1) values"
                raise ValueError(msg)
        matrix = sp.csr_array(dense.astype(bool))
    if matrix.ndim != 2:
        msg = "coverage must be a 2-D matrix (demand x candidates)"
        raise ValueError(msg)
    if matrix.dtype != np.bool_:
        if matrix.nnz and not np.isin(matrix.data, (0, 1)).all():
            msg = "coverage must hold only True/False (or 0/1) values"
            raise ValueError(msg)
        matrix = matrix.astype(bool)
    matrix.eliminate_zeros()
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def as_weights(weights: Any, n_rows: int, *, name: str = "weights") -> np.ndarray:
    """Return ``weights`` as a float64 vector of length ``n_rows``, finite and >= 0."""
    vector = np.asarray(weights, dtype=float).ravel() if weights is not None else None
    if vector is None:
        return np.ones(n_rows)
    if vector.shape[0] != n_rows:
        msg = f"{name} has {vector.shape[0]} values but coverage has {n_rows} rows"
        raise ValueError(msg)
    if not np.isfinite(vector).all():
        msg = f"{name} must be finite numbers"
        raise ValueError(msg)
    if (vector < 0).any():
        msg = f"{name} must be >= 0; position {int(np.argmax(vector < 0))} is negative"
        raise ValueError(msg)
    return vector


def as_costs(cost: Any, n_cols: int) -> np.ndarray:
    """Return candidate costs as a float64 vector of length ``n_cols``, finite and >= 0."""
    if cost is None:
        return np.ones(n_cols)
    vector = np.asarray(cost, dtype=float).ravel()
    if vector.shape[0] != n_cols:
        msg = f"cost has {vector.shape[0]} values but coverage has {n_cols} candidate columns"
        raise ValueError(msg)
    if not np.isfinite(vector).all():
        msg = "cost must be finite numbers"
        raise ValueError(msg)
    if (vector < 0).any():
        msg = f"cost must be >= 0; position {int(np.argmax(vector < 0))} is negative"
        raise ValueError(msg)
    return vector


def as_fixed(fixed: Any, n_cols: int) -> np.ndarray:
    """Return fixed candidate positions as a sorted, unique int64 vector.

    Accepts positions or a boolean mask of length ``n_cols``.
    """
    if fixed is None:
        return np.zeros(0, dtype=np.int64)
    array = np.asarray(fixed).ravel()
    if array.dtype == np.bool_:
        if array.shape[0] != n_cols:
            msg = f"fixed mask has {array.shape[0]} values but coverage has {n_cols} columns"
            raise ValueError(msg)
        return np.flatnonzero(array).astype(np.int64)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not np.issubdtype(array.dtype, np.integer):
        if np.issubdtype(array.dtype, np.floating) and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            msg = "fixed must be candidate positions (integers) or a boolean mask"
            raise ValueError(msg)
    if (array < 0).any() or (array >= n_cols).any():
        bad = int(array[(array < 0) | (array >= n_cols)][0])
        msg = f"fixed position {bad} is out of range for {n_cols} candidate columns"
        raise ValueError(msg)
    return np.unique(array.astype(np.int64))


def as_count(p: Any, available: int, *, name: str = "p") -> int:
    """Return ``p`` as an int in ``0..available`` or raise ValueError."""
    if isinstance(p, bool) or not isinstance(p, int | np.integer):
        msg = f"{name} must be an integer, got {p!r}"
        raise ValueError(msg)
    if p < 0:
        msg = f"{name} must be >= 0, got {p}"
        raise ValueError(msg)
    if p > available:
        msg = f"{name}={p} is larger than the {available} candidates available"
        raise ValueError(msg)
    return int(p)


def as_time_limit(time_limit_s: Any) -> float | None:
    """Return a positive time limit in seconds, or None for no limit."""
    if time_limit_s is None:
        return None
    value = float(time_limit_s)
    if not value > 0:
        msg = f"time_limit_s must be > 0 seconds, got {time_limit_s!r}"
        raise ValueError(msg)
    return value


def relative_gap(objective: float, bound: float) -> float:
    """Return ``|bound - objective| / max(|objective|, 1e-9)``, the gap reported everywhere."""
    if not np.isfinite(bound):
        return float("nan")
    return float(abs(bound - objective) / max(abs(objective), 1e-9))
