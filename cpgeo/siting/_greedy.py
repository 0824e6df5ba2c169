"""Greedy heuristics: lazy marginal-gain greedy with 1-swap interchange.

Maximal covering
    The weight covered, ``f(S) = sum_i w_i [row i covered by some site in S]``, is monotone
    and submodular in the set of open sites ``S``. Plain greedy (open, ``p`` times, the
    candidate with the largest marginal gain) therefore covers at least ``(1 - 1/e)``
    (about 63.2%) of the optimal weight (Nemhauser, Wolsey and Fisher, 1978); with fixed
    sites the bound holds for the weight beyond what they cover. Submodularity also makes
    lazy evaluation exact: a candidate's gain can only fall as sites open, so a stale gain
    is an upper bound and a candidate whose fresh gain still tops the heap is the best.

    Interchange (Teitz and Bart, 1968) then swaps one open site for one closed site while
    that strictly increases the weight covered. It keeps the greedy answer's guarantee
    (it never lowers the objective) and in practice closes most of the remaining gap.

    The answer carries a bound: for any ``S``,
    ``f(OPT) <= f(S) + (sum of the p largest marginal gains with respect to S)``
    (submodularity), from which the reported gap is computed.

Set covering
    Cost-effectiveness greedy (open the candidate with the lowest cost per newly covered
    row), lazily evaluated, then removal of redundant open sites, costliest first. Its
    guarantee is ``H(max set size)`` times the optimum (Chvatal, 1979).
"""

from __future__ import annotations

import heapq

import numpy as np
import scipy.sparse as sp


def greedy_max_cover(
    matrix: sp.csr_array,
    weights: np.ndarray,
    p: int,
    *,
    interchange: bool = True,
    restarts: int = 0,
    seed: int = 0,
) -> tuple[np.ndarray, float, float]:
    """Select ``p`` columns of ``matrix`` covering a large total row weight.

    Parameters
    ----------
    matrix
        Rows x columns coverage, bool CSR with sorted indices.
    weights
        Row weights, >= 0.
    p
        Number of columns to open, ``0 <= p <= matrix.shape[1]``.
    interchange
        Improve the greedy answer by 1-swaps until no swap increases the weight covered.
    restarts
        Extra randomised greedy runs (each step picks at random among the three best
        marginal gains), each followed by interchange; the best answer is kept.
    seed
        Seed of the random generator used by ``restarts``.

    Returns
    -------
    tuple
        (sorted selected column positions, weight covered, upper bound on the optimum).
    """
    n_rows, n_cols = matrix.shape
    if p == 0 or n_cols == 0 or n_rows == 0:
        chosen = np.arange(min(p, n_cols), dtype=np.int64)
        value = _covered_weight(matrix, weights, chosen)
        return chosen, value, value
    csc = sp.csc_array(matrix)
    col_ptr, col_rows = csc.indptr, csc.indices
    covered = np.zeros(n_rows, dtype=bool)
    gains = matrix.T @ weights
    heap = [(-float(g), j) for j, g in enumerate(gains)]
    heapq.heapify(heap)
    chosen_list: list[int] = []
    total = float(weights.sum())
    tolerance = 1e-12 * max(total, 1.0)
    while len(chosen_list) < p and heap:
        _, j = heapq.heappop(heap)
        rows = col_rows[col_ptr[j] : col_ptr[j + 1]]
        fresh = float(weights[rows[~covered[rows]]].sum())
        if heap and fresh < -heap[0][0] - tolerance:
            heapq.heappush(heap, (-fresh, j))
            continue
        chosen_list.append(j)
        covered[rows] = True
    chosen = np.array(sorted(chosen_list), dtype=np.int64)
    if interchange:
        chosen = _interchange(matrix, col_ptr, col_rows, weights, chosen, tolerance)
    if restarts > 0 and p < n_cols:
        rng = np.random.default_rng(seed)
        best_value = _covered_weight(matrix, weights, chosen)
        for _ in range(restarts):
            trial = _random_greedy(col_ptr, col_rows, weights, p, rng)
            if interchange:
                trial = _interchange(matrix, col_ptr, col_rows, weights, trial, tolerance)
            value = _covered_weight(matrix, weights, trial)
            if value > best_value + tolerance:
                chosen, best_value = trial, value
    counts = _cover_counts(col_ptr, col_rows, chosen, n_rows)
    value = float(weights[counts > 0].sum())
    marginal = matrix.T @ (weights * (counts == 0))
    marginal[chosen] = 0.0
    top = np.sort(marginal)[::-1][:p]
    bound = min(total, value + float(top.sum()))
    return chosen, value, bound


def _random_greedy(
    col_ptr: np.ndarray,
    col_rows: np.ndarray,
    weights: np.ndarray,
    p: int,
    rng: np.random.Generator,
    *,
    choices: int = 3,
) -> np.ndarray:
    """Greedy that opens, at each step, one of the ``choices`` best columns at random."""
    n_cols = col_ptr.size - 1
    n_rows = weights.size
    uncovered = np.ones(n_rows)
    rows_of = sp.csc_array((np.ones(col_rows.size), col_rows, col_ptr), shape=(n_rows, n_cols))
    is_open = np.zeros(n_cols, dtype=bool)
    for _ in range(p):
        gain = rows_of.T @ (weights * uncovered)
        gain[is_open] = -np.inf
        top = np.argpartition(-gain, min(choices, n_cols - 1))[:choices]
        top = top[np.isfinite(gain[top])]
        j = int(rng.choice(top))
        is_open[j] = True
        uncovered[col_rows[col_ptr[j] : col_ptr[j + 1]]] = 0.0
    return np.flatnonzero(is_open).astype(np.int64)


def improve_by_interchange(
    matrix: sp.csr_array, weights: np.ndarray, chosen: np.ndarray
) -> np.ndarray:
    """Return ``chosen`` improved by 1-swaps until no swap increases the weight covered."""
    csc = sp.csc_array(matrix)
    tolerance = 1e-12 * max(float(weights.sum()), 1.0)
    return _interchange(
        matrix, csc.indptr, csc.indices, weights, np.sort(chosen).astype(np.int64), tolerance
    )


def _cover_counts(
    col_ptr: np.ndarray, col_rows: np.ndarray, chosen: np.ndarray, n_rows: int
) -> np.ndarray:
    """Return, per row, how many chosen columns cover it."""
    counts = np.zeros(n_rows, dtype=np.int64)
    for j in chosen:
        counts[col_rows[col_ptr[j] : col_ptr[j + 1]]] += 1
    return counts


def _covered_weight(matrix: sp.csr_array, weights: np.ndarray, chosen: np.ndarray) -> float:
    """Return the total weight of rows covered by ``chosen`` columns."""
    if matrix.shape[0] == 0 or chosen.size == 0:
        return 0.0
    hit = np.asarray(sp.csc_array(matrix)[:, chosen].sum(axis=1)).ravel() > 0
    return float(weights[hit].sum())


def _interchange(
    matrix: sp.csr_array,
    col_ptr: np.ndarray,
    col_rows: np.ndarray,
    weights: np.ndarray,
    chosen: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """Apply the best improving 1-swap until none improves (Teitz-Bart interchange)."""
    n_rows, n_cols = matrix.shape
    if chosen.size == 0 or chosen.size == n_cols:
        return chosen
    chosen = chosen.copy()
    counts = _cover_counts(col_ptr, col_rows, chosen, n_rows)
    is_open = np.zeros(n_cols, dtype=bool)
    is_open[chosen] = True
    while True:
        # gain of each closed column with every open site kept
        base_gain = matrix.T @ (weights * (counts == 0))
        best_delta, best_pair = tolerance, None
        for position, j in enumerate(chosen):
            rows = col_rows[col_ptr[j] : col_ptr[j + 1]]
            alone = rows[counts[rows] == 1]
            loss = float(weights[alone].sum())
            if alone.size:
                # rows only j covers become gains for any column that covers them
                gain = base_gain + sp.csr_array(matrix[alone]).T @ weights[alone]
            else:
                gain = base_gain.copy()
            gain[is_open] = -np.inf
            k = int(np.argmax(gain))
            delta = float(gain[k]) - loss
            if delta > best_delta:
                best_delta, best_pair = delta, (position, j, k)
        if best_pair is None:
            break
        position, j, k = best_pair
        counts[col_rows[col_ptr[j] : col_ptr[j + 1]]] -= 1
        counts[col_rows[col_ptr[k] : col_ptr[k + 1]]] += 1
        is_open[j], is_open[k] = False, True
        chosen[position] = k
    return np.sort(chosen)


def greedy_set_cover(matrix: sp.csr_array, cost: np.ndarray) -> np.ndarray:
    """Return sorted columns covering every row of ``matrix`` (each row must be coverable).

    Lazy cost-effectiveness greedy followed by removal of redundant columns.
    """
    n_rows, n_cols = matrix.shape
    if n_rows == 0:
        return np.zeros(0, dtype=np.int64)
    csc = sp.csc_array(matrix)
    col_ptr, col_rows = csc.indptr, csc.indices
    sizes = np.diff(col_ptr)
    covered = np.zeros(n_rows, dtype=bool)

    def ratio(c: float, n: int) -> float:
        return c / n if n else np.inf

    heap = [(ratio(cost[j], int(sizes[j])), j) for j in range(n_cols) if sizes[j]]
    heapq.heapify(heap)
    chosen: list[int] = []
    remaining = n_rows
    while remaining and heap:
        _, j = heapq.heappop(heap)
        rows = col_rows[col_ptr[j] : col_ptr[j + 1]]
        fresh_rows = rows[~covered[rows]]
        if fresh_rows.size == 0:
            continue
        fresh = ratio(float(cost[j]), int(fresh_rows.size))
        if heap and fresh > heap[0][0]:
            heapq.heappush(heap, (fresh, j))
            continue
        chosen.append(j)
        covered[fresh_rows] = True
        remaining -= int(fresh_rows.size)
    counts = _cover_counts(col_ptr, col_rows, np.array(chosen, dtype=np.int64), n_rows)
    keep = []
    for j in sorted(chosen, key=lambda c: (-cost[c], c)):
        rows = col_rows[col_ptr[j] : col_ptr[j + 1]]
        if (counts[rows] >= 2).all():
            counts[rows] -= 1
        else:
            keep.append(j)
    return np.array(sorted(keep), dtype=np.int64)
