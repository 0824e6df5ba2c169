"""Model reductions that shrink covering models without changing their optimum.

Each reduction is exact: an optimal solution of the reduced model, mapped back through
``cols``, is an optimal solution of the original model.

Maximal covering (MCLP)
    1. Demand covered by a fixed site is covered whatever else opens: its weight moves
       into a constant and the row and the fixed columns leave the model.
    2. Demand that no candidate covers, or with zero weight, cannot change the objective.
    3. Rows with the same covering set are one row whose weight is the sum.
    4. A candidate whose covering set is contained in another's (ties: the lower position
       stays) is never needed: swapping it for the larger one never loses weight. This is
       safe only because step 1 removed the fixed sites; with capacities it is not.
    5. Removing candidates can make more rows identical: merge again.

Set covering (LSCP)
    Rows no candidate covers are dropped (they are not required); identical rows merge;
    then, until nothing changes: a row with a single candidate forces that candidate open;
    a candidate whose set is contained in a no-more-expensive candidate's set leaves; a row
    whose covering set contains another row's set is implied by it and leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

# Row dominance for set covering builds a rows x rows product; skip it above this size.
_MAX_ROW_PRODUCT_NNZ = 20_000_000


@dataclass
class Reduced:
    """A reduced covering model.

    ``matrix`` (rows x columns, bool CSR) with row ``weights`` (MCLP) and column ``cols``
    mapping reduced columns to original positions; ``constant`` is the objective part
    decided by the reduction (weight covered by fixed sites, or cost of forced sites) and
    ``forced`` the original positions opened by the reduction (LSCP).
    """

    matrix: sp.csr_array
    weights: np.ndarray
    cols: np.ndarray
    constant: float = 0.0
    forced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stats: dict[str, Any] = field(default_factory=dict)


def merge_identical_rows(
    matrix: sp.csr_array, weights: np.ndarray
) -> tuple[sp.csr_array, np.ndarray]:
    """Merge rows with the same set of columns, summing their weights.

    ``matrix`` must be CSR with sorted indices. The merged rows keep the order of their
    first occurrence.
    """
    indptr, indices = matrix.indptr, matrix.indices
    groups: dict[bytes, int] = {}
    group_of = np.empty(matrix.shape[0], dtype=np.int64)
    for row in range(matrix.shape[0]):
        key = indices[indptr[row] : indptr[row + 1]].tobytes()
        group_of[row] = groups.setdefault(key, len(groups))
    n_groups = len(groups)
    if n_groups == matrix.shape[0]:
        return matrix, weights
    first = np.full(n_groups, -1, dtype=np.int64)
    # reversed assignment leaves the first occurrence of each group in `first`
    first[group_of[::-1]] = np.arange(matrix.shape[0] - 1, -1, -1)
    merged_weights = np.bincount(group_of, weights=weights, minlength=n_groups)
    return sp.csr_array(matrix[first]), merged_weights


def dominated_columns(matrix: sp.csr_array, cost: np.ndarray | None = None) -> np.ndarray:
    """Return a boolean mask of columns whose covering set is inside another column's.

    Column ``j`` is dominated by ``k != j`` when every row ``j`` covers is covered by ``k``
    and (with ``cost``) ``k`` costs no more; among exact ties the lower position stays.
    Empty columns are dominated when any other column exists. At least one column of every
    chain of dominance stays, so the columns left can replace every column dropped.
    """
    n_cols = matrix.shape[1]
    mask = np.zeros(n_cols, dtype=bool)
    if n_cols <= 1:
        return mask
    csc = sp.csc_array(matrix, dtype=np.int32)
    size = np.diff(csc.indptr)
    product = sp.coo_array(csc.T @ csc)
    j, k, shared = product.row, product.col, product.data
    contained = (shared == size[j]) & (j != k)
    if cost is None:
        wins = (size[k] > size[j]) | ((size[k] == size[j]) & (k < j))
    else:
        cheaper = cost[k] < cost[j]
        same = cost[k] == cost[j]
        wins = (cost[k] <= cost[j]) & (
            (size[k] > size[j]) | cheaper | (same & (size[k] == size[j]) & (k < j))
        )
    mask[j[contained & wins]] = True
    # an empty column covers nothing: keep one only when every column is empty
    mask[size == 0] = True
    if mask.all():
        mask[0] = False
    return mask


def reduce_mclp(matrix: sp.csr_array, weights: np.ndarray, fixed: np.ndarray) -> Reduced:
    """Reduce a maximal covering model (see the module docstring, steps 1-5)."""
    n_rows, n_cols = matrix.shape
    stats: dict[str, Any] = {"rows": n_rows, "cols": n_cols}
    free = np.setdiff1d(np.arange(n_cols, dtype=np.int64), fixed)
    constant = 0.0
    keep_rows = weights > 0
    if fixed.size:
        by_fixed = np.asarray(sp.csc_array(matrix)[:, fixed].sum(axis=1)).ravel() > 0
        constant = float(weights[by_fixed].sum())
        keep_rows &= ~by_fixed
    sub = sp.csr_array(matrix[np.flatnonzero(keep_rows)][:, free])
    sub.sort_indices()
    row_weights = weights[keep_rows]
    reachable = np.diff(sub.indptr) > 0
    sub, row_weights = sp.csr_array(sub[np.flatnonzero(reachable)]), row_weights[reachable]
    sub, row_weights = merge_identical_rows(sub, row_weights)
    stats["rows_merged"] = sub.shape[0]
    dominated = dominated_columns(sub)
    cols = free[~dominated]
    if dominated.any():
        sub = sp.csr_array(sub[:, np.flatnonzero(~dominated)])
        sub.sort_indices()
        sub, row_weights = merge_identical_rows(sub, row_weights)
    stats.update(rows_reduced=sub.shape[0], cols_reduced=sub.shape[1])
    return Reduced(sub, row_weights, cols, constant=constant, stats=stats)


def reduce_lscp(matrix: sp.csr_array, cost: np.ndarray) -> Reduced:
    """Reduce a set covering model (see the module docstring)."""
    n_rows, n_cols = matrix.shape
    stats: dict[str, Any] = {"rows": n_rows, "cols": n_cols}
    reachable = np.diff(matrix.indptr) > 0
    sub = sp.csr_array(matrix[np.flatnonzero(reachable)])
    sub.sort_indices()
    sub, _ = merge_identical_rows(sub, np.ones(sub.shape[0]))
    stats["rows_required"] = int(reachable.sum())
    stats["rows_merged"] = sub.shape[0]
    cols = np.arange(n_cols, dtype=np.int64)
    forced: list[np.ndarray] = []
    changed = True
    while changed and sub.shape[0]:
        changed = False
        # rows with one candidate force it open
        single = np.flatnonzero(np.diff(sub.indptr) == 1)
        if single.size:
            force_local = np.unique(sub.indices[sub.indptr[single]])
            forced.append(cols[force_local])
            done = np.asarray(sp.csc_array(sub)[:, force_local].sum(axis=1)).ravel() > 0
            keep = np.setdiff1d(np.arange(sub.shape[1]), force_local)
            sub = sp.csr_array(sub[np.flatnonzero(~done)][:, keep])
            sub.sort_indices()
            cols = cols[keep]
            changed = True
            if not sub.shape[0]:
                break
        dominated = dominated_columns(sub, cost[cols])
        if dominated.any():
            keep = np.flatnonzero(~dominated)
            sub = sp.csr_array(sub[:, keep])
            sub.sort_indices()
            cols = cols[keep]
            sub, _ = merge_identical_rows(sub, np.ones(sub.shape[0]))
            changed = True
        implied = _implied_rows(sub)
        if implied is not None and implied.any():
            sub = sp.csr_array(sub[np.flatnonzero(~implied)])
            changed = True
    if not sub.shape[0]:
        sub = sp.csr_array((0, 0), dtype=bool)
        cols = np.zeros(0, dtype=np.int64)
    else:
        # columns that cover no remaining row are never needed
        used = np.diff(sp.csc_array(sub).indptr) > 0
        if not used.all():
            sub = sp.csr_array(sub[:, np.flatnonzero(used)])
            sub.sort_indices()
            cols = cols[used]
    forced_cols = np.unique(np.concatenate(forced)) if forced else np.zeros(0, dtype=np.int64)
    stats.update(rows_reduced=sub.shape[0], cols_reduced=sub.shape[1], forced=forced_cols.size)
    return Reduced(
        sub,
        np.ones(sub.shape[0]),
        cols,
        constant=float(cost[forced_cols].sum()),
        forced=forced_cols,
        stats=stats,
    )


def _implied_rows(matrix: sp.csr_array) -> np.ndarray | None:
    """Rows whose covering set contains another row's set (covering that row covers them).

    Rows must be unique. Returns None when the rows x rows product would be too large.
    """
    n_rows = matrix.shape[0]
    if n_rows <= 1:
        return np.zeros(n_rows, dtype=bool)
    col_sizes = np.diff(sp.csc_array(matrix).indptr).astype(np.int64)
    if int((col_sizes**2).sum()) > _MAX_ROW_PRODUCT_NNZ:
        return None
    rows = sp.csr_array(matrix, dtype=np.int32)
    size = np.diff(rows.indptr)
    product = sp.coo_array(rows @ rows.T)
    i, k, shared = product.row, product.col, product.data
    # row k's set inside row i's set (k != i; rows are unique so k's set is smaller)
    inside = (shared == size[k]) & (i != k)
    mask = np.zeros(n_rows, dtype=bool)
    mask[i[inside]] = True
    return mask
