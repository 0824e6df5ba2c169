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
    whose covering set contains another row's set is implied by it and leaves. After the
    first round only the candidates that lost a row are tested for dominance again.

Both containment tests search, for each set, the sets holding its rarest element (see
``_containing_pairs``) rather than forming the sets x sets product, whose size grows with
the square of the candidates (the rail instances, 47,311 candidates, spent minutes there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

#: candidate pairs a dominance search may test (about a second per 10 million); above
#: it the search is skipped, which leaves the model larger but its optimum unchanged
MAX_DOMINANCE_PAIRS = 100_000_000
# candidate pairs held in memory at once by the dominance search
_PAIR_CHUNK = 4_000_000
# membership tests use a dense rows x elements table up to this many cells (bytes)
_MAX_DENSE_CELLS = 1 << 26


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


def dominated_columns(
    matrix: sp.csr_array, cost: np.ndarray | None = None, *, among: np.ndarray | None = None
) -> np.ndarray:
    """Return a boolean mask of columns whose covering set is inside another column's.

    Column ``j`` is dominated by ``k != j`` when every row ``j`` covers is covered by ``k``
    and (with ``cost``) ``k`` costs no more; among exact ties the lower position stays.
    Empty columns are dominated when any other column exists. At least one column of every
    chain of dominance stays, so the columns left can replace every column dropped.

    The containing columns are searched from each column's rarest row (see
    :func:`_containing_pairs`). When that search would test more than
    ``MAX_DOMINANCE_PAIRS`` pairs only the empty columns are marked: keeping a dominated
    column never changes the optimum, it only leaves the model larger. With ``among`` (a
    column mask) only those columns are tested as the dominated one (all columns may
    still dominate them).
    """
    n_cols = matrix.shape[1]
    mask = np.zeros(n_cols, dtype=bool)
    if n_cols <= 1:
        return mask
    columns = sp.csr_array(sp.csc_array(matrix).T)
    size = np.diff(columns.indptr)

    def wins(j: np.ndarray, k: np.ndarray) -> np.ndarray:
        # k may replace j; containment (so size[k] >= size[j]) is checked afterwards
        larger = size[k] > size[j]
        tie = (size[k] == size[j]) & (k < j)
        if cost is None:
            return larger | tie
        cheaper = cost[k] < cost[j]
        same = cost[k] == cost[j]
        return (cost[k] <= cost[j]) & (larger | cheaper | (same & tie))

    pairs = _containing_pairs(columns, wins, max_pairs=MAX_DOMINANCE_PAIRS, among=among)
    if pairs is not None:
        mask[pairs[0]] = True
    # an empty column covers nothing: keep one only when every column is empty
    mask[size == 0] = True
    if mask.all():
        mask[0] = False
    return mask


def _containing_pairs(
    sets: sp.csr_array,
    admissible: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    max_pairs: int,
    among: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Return ``(small, big)``: every pair of rows of ``sets`` with ``small``'s set in ``big``'s.

    Only pairs ``small != big`` that ``admissible(small, big)`` accepts are returned;
    empty rows are never ``small``, and with ``among`` (a row mask) only those rows are.
    A superset of a row holds the row's rarest element
    (the one in fewest rows) and is at least as large, so the candidates for ``big`` are
    the rows holding that element with at least as many elements; they are then tested
    against the row's other elements, rarest first, which discards most of them within an
    element or two. The work is the number of candidates instead of the rows x rows
    product; returns None without searching when it exceeds ``max_pairs``.
    """
    n_sets, n_elements = sets.shape
    sets = sp.csr_array(sets)
    sets.sort_indices()
    indptr = sets.indptr.astype(np.int64)
    indices = sets.indices.astype(np.int64)
    size = np.diff(indptr)
    owner = np.repeat(np.arange(n_sets, dtype=np.int64), size)
    degree = np.bincount(indices, minlength=n_elements)
    # each row's elements, rarest first
    ordered = indices[np.lexsort((indices, degree[indices], owner))]
    # each element's holders, largest first: the candidates of a row are a prefix
    by_element = np.lexsort((owner, -size[owner], indices))
    holder_rows = owner[by_element]
    holder_ptr = np.concatenate([[0], np.cumsum(degree)])
    largest = int(size.max(initial=0))
    holder_keys = indices[by_element] * (largest + 1) + (largest - size[holder_rows])
    nonempty = np.flatnonzero((size > 0) if among is None else (size > 0) & among)
    rarest = ordered[indptr[nonempty]]
    ends = np.searchsorted(
        holder_keys, rarest * (largest + 1) + (largest - size[nonempty]), side="right"
    )
    counts = ends - holder_ptr[rarest]
    if int(counts.sum()) > max_pairs:
        return None
    if n_sets * n_elements <= _MAX_DENSE_CELLS:
        dense = np.zeros(n_sets * n_elements, dtype=bool)
        dense[owner * n_elements + indices] = True

        def holds(row: np.ndarray, element: np.ndarray) -> np.ndarray:
            return dense[row * n_elements + element]
    else:
        keys = owner * n_elements + indices  # sorted: rows in order, sorted indices

        def holds(row: np.ndarray, element: np.ndarray) -> np.ndarray:
            query = row * n_elements + element
            spot = np.minimum(np.searchsorted(keys, query), keys.size - 1)
            return keys[spot] == query

    found_small: list[np.ndarray] = []
    found_big: list[np.ndarray] = []
    # bound the memory: a few million candidate pairs at a time
    total = np.cumsum(counts)
    cuts = np.unique(np.searchsorted(total, np.arange(_PAIR_CHUNK, total[-1:].sum(), _PAIR_CHUNK)))
    for block in np.split(np.arange(nonempty.size), cuts):
        block_counts = counts[block]
        if block_counts.sum() == 0:
            continue
        small = np.repeat(nonempty[block], block_counts)
        start = holder_ptr[rarest[block]] - np.cumsum(block_counts) + block_counts
        big = holder_rows[np.repeat(start, block_counts) + np.arange(small.size)]
        keep = small != big
        small, big = small[keep], big[keep]
        keep = admissible(small, big)
        small, big = small[keep], big[keep]
        step = 1
        while small.size:
            testing = np.flatnonzero(size[small] > step)
            if testing.size == 0:
                break
            element = ordered[indptr[small[testing]] + step]
            keep = np.ones(small.size, dtype=bool)
            keep[testing[~holds(big[testing], element)]] = False
            small, big = small[keep], big[keep]
            step += 1
        found_small.append(small)
        found_big.append(big)
    if not found_small:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate(found_small), np.concatenate(found_big)


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
    # Columns that lost a row since the last dominance test. Only they can have become
    # dominated: a column keeping all its rows is inside the same columns as before, and
    # other columns only shrink (losing containments, never gaining them).
    touched = np.ones(n_cols, dtype=bool)
    changed = True
    while changed and sub.shape[0]:
        changed = False
        # rows with one candidate force it open
        single = np.flatnonzero(np.diff(sub.indptr) == 1)
        if single.size:
            force_local = np.unique(sub.indices[sub.indptr[single]])
            forced.append(cols[force_local])
            done = np.asarray(sp.csc_array(sub)[:, force_local].sum(axis=1)).ravel() > 0
            touched |= _columns_in(sub, done)
            keep = np.setdiff1d(np.arange(sub.shape[1]), force_local)
            sub = sp.csr_array(sub[np.flatnonzero(~done)][:, keep])
            sub.sort_indices()
            cols, touched = cols[keep], touched[keep]
            changed = True
            if not sub.shape[0]:
                break
        if touched.any():
            dominated = dominated_columns(sub, cost[cols], among=touched)
            touched[:] = False
            if dominated.any():
                keep = np.flatnonzero(~dominated)
                sub = sp.csr_array(sub[:, keep])
                sub.sort_indices()
                cols, touched = cols[keep], touched[keep]
                sub, _ = merge_identical_rows(sub, np.ones(sub.shape[0]))
                changed = True
        implied = _implied_rows(sub)
        if implied is not None and implied.any():
            touched |= _columns_in(sub, implied)
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


def _columns_in(matrix: sp.csr_array, rows: np.ndarray) -> np.ndarray:
    """Mask of the columns with a nonzero in any of the ``rows`` (a row mask)."""
    mask = np.zeros(matrix.shape[1], dtype=bool)
    picked = np.flatnonzero(rows)
    if picked.size:
        mask[sp.csr_array(matrix[picked]).indices] = True
    return mask


def _implied_rows(matrix: sp.csr_array) -> np.ndarray | None:
    """Rows whose covering set contains another row's set (covering that row covers them).

    Of rows with the same set only the first is kept as the implying one, so identical
    rows are safe too; an empty row implies nothing. Returns None when the search (see
    :func:`_containing_pairs`) would test more than ``MAX_DOMINANCE_PAIRS`` pairs.
    """
    n_rows = matrix.shape[0]
    if n_rows <= 1:
        return np.zeros(n_rows, dtype=bool)
    size = np.diff(matrix.indptr)

    def strictly_after(k: np.ndarray, i: np.ndarray) -> np.ndarray:
        return (size[i] > size[k]) | ((size[i] == size[k]) & (i > k))

    pairs = _containing_pairs(matrix, strictly_after, max_pairs=MAX_DOMINANCE_PAIRS)
    if pairs is None:
        return None
    mask = np.zeros(n_rows, dtype=bool)
    mask[pairs[1]] = True
    return mask
