"""Covering solvers against brute-force enumeration on small random instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from cpgeo.siting import SitingResult, greedy_mclp, solve_lscp, solve_mclp
from cpgeo.siting._greedy import greedy_max_cover, greedy_set_cover
from cpgeo.siting._reduce import reduce_lscp, reduce_mclp


def random_instance(
    rng: np.random.Generator, *, max_rows: int = 12, max_cols: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    m = int(rng.integers(1, max_rows + 1))
    n = int(rng.integers(1, max_cols + 1))
    cover = rng.random((m, n)) < rng.uniform(0.05, 0.6)
    if rng.random() < 0.3:
        # duplicated rows and columns exercise the merging and dominance reductions
        cover = np.vstack([cover, cover[rng.integers(0, m, size=3)]])
        cover = np.hstack([cover, cover[:, rng.integers(0, n, size=2)]])
    weights = (
        rng.integers(0, 10, cover.shape[0]).astype(float)
        if rng.random() < 0.5
        else rng.random(cover.shape[0]) * 100
    )
    return cover, weights


def covered_weight(cover: np.ndarray, weights: np.ndarray, columns) -> float:
    columns = list(columns)
    if not columns:
        return 0.0
    return float(weights[cover[:, columns].any(axis=1)].sum())


def brute_mclp(cover: np.ndarray, weights: np.ndarray, p: int, fixed: np.ndarray) -> float:
    free = [j for j in range(cover.shape[1]) if j not in set(fixed.tolist())]
    return max(
        covered_weight(cover, weights, [*subset, *fixed])
        for subset in itertools.combinations(free, p)
    )


def brute_lscp(cover: np.ndarray, cost: np.ndarray) -> float:
    required = cover.any(axis=1)
    best = np.inf
    n = cover.shape[1]
    for k in range(n + 1):
        for subset in itertools.combinations(range(n), k):
            if cover[required][:, list(subset)].any(axis=1).all():
                best = min(best, float(cost[list(subset)].sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_mclp_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for trial in range(40):
        cover, weights = random_instance(rng)
        n = cover.shape[1]
        n_fixed = int(rng.integers(0, min(n, 3))) if trial % 2 else 0
        fixed = np.sort(rng.choice(n, size=n_fixed, replace=False)).astype(np.int64)
        p = int(rng.integers(0, n - n_fixed + 1))
        matrix = sp.csr_array(cover) if trial % 3 == 0 else cover
        result = solve_mclp(matrix, weights, p, fixed=fixed if n_fixed else None)
        expected = brute_mclp(cover, weights, p, fixed)
        assert result.objective == pytest.approx(expected, rel=1e-12, abs=1e-9)
        assert result.optimal
        assert result.gap == 0.0
        assert result.selected.size == p
        assert np.all(np.diff(result.selected) > 0)
        assert not set(result.selected.tolist()) & set(fixed.tolist())
        # the objective is what the selection (with the fixed sites) actually covers
        assert result.objective == pytest.approx(
            covered_weight(cover, weights, [*result.selected, *fixed]), abs=1e-9
        )
        greedy = greedy_mclp(cover, weights, p, fixed=fixed if n_fixed else None)
        assert greedy.objective <= expected + 1e-9
        assert greedy.selected.size == p
        assert greedy.objective == pytest.approx(
            covered_weight(cover, weights, [*greedy.selected, *fixed]), abs=1e-9
        )
        # greedy's gap is a valid upper bound on the optimum (0 when it proves optimality)
        assert greedy.objective * (1 + greedy.gap) >= expected - 1e-6
        assert greedy.optimal == (greedy.gap == 0.0)


@pytest.mark.parametrize("seed", range(4))
def test_lscp_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    for trial in range(40):
        cover, _ = random_instance(rng, max_cols=7)
        n = cover.shape[1]
        cost = None
        if trial % 2:
            cost = rng.integers(0, 5, n).astype(float) if trial % 4 == 1 else rng.random(n) * 10
        expected = brute_lscp(cover, np.ones(n) if cost is None else cost)
        result = solve_lscp(sp.csc_array(cover) if trial % 3 == 0 else cover, cost)
        assert result.objective == pytest.approx(expected, rel=1e-12, abs=1e-9)
        assert result.optimal
        required = cover.any(axis=1)
        assert cover[required][:, result.selected].any(axis=1).all()
        costs = np.ones(n) if cost is None else cost
        assert result.objective == pytest.approx(float(costs[result.selected].sum()))


def test_greedy_is_within_its_guarantee_and_never_beats_exact() -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        cover = rng.random((60, 25)) < 0.08
        weights = rng.random(60)
        p = int(rng.integers(1, 6))
        exact = solve_mclp(cover, weights, p)
        plain = greedy_mclp(cover, weights, p, interchange=False)
        swapped = greedy_mclp(cover, weights, p)
        assert plain.objective >= (1 - 1 / np.e) * exact.objective - 1e-9
        assert plain.objective <= swapped.objective + 1e-9
        assert swapped.objective <= exact.objective + 1e-9


def test_reductions_preserve_the_optimum() -> None:
    rng = np.random.default_rng(11)
    for _ in range(60):
        cover, weights = random_instance(rng, max_rows=14, max_cols=7)
        n = cover.shape[1]
        fixed = np.sort(rng.choice(n, size=int(rng.integers(0, 2)), replace=False))
        fixed = fixed.astype(np.int64)
        p = int(rng.integers(0, n - fixed.size + 1))
        reduced = reduce_mclp(sp.csr_array(cover), weights, fixed)
        assert reduced.matrix.shape[0] <= cover.shape[0]
        sub = reduced.matrix.toarray()
        local_p = min(p, sub.shape[1])
        best_reduced = max(
            (covered_weight(sub, reduced.weights, s) if sub.shape[0] else 0.0)
            for s in itertools.combinations(range(sub.shape[1]), local_p)
        )
        assert best_reduced + reduced.constant == pytest.approx(
            brute_mclp(cover, weights, p, fixed), abs=1e-9
        )
        # total weight is conserved by merging (only zero-weight / uncoverable rows leave)
        coverable = cover[:, np.setdiff1d(np.arange(n), fixed)].any(axis=1)
        by_fixed = cover[:, fixed].any(axis=1) if fixed.size else np.zeros(len(cover), bool)
        assert reduced.weights.sum() == pytest.approx(weights[coverable & ~by_fixed].sum())

        cost = rng.integers(1, 4, n).astype(float)
        lscp = reduce_lscp(sp.csr_array(cover), cost)
        sub = lscp.matrix.toarray()
        best = np.inf
        for k in range(sub.shape[1] + 1):
            for s in itertools.combinations(range(sub.shape[1]), k):
                if sub.shape[0] == 0 or sub[:, list(s)].any(axis=1).all():
                    best = min(best, float(cost[lscp.cols[list(s)]].sum()))
        assert best + lscp.constant == pytest.approx(brute_lscp(cover, cost))


def test_merging_and_dominance_shrink_the_model() -> None:
    cover = np.array(
        [
            [1, 1, 0],
            [1, 1, 0],  # same set as row 0: merged, weights summed
            [0, 1, 0],  # column 0 lies inside column 1: column 0 leaves
            [0, 0, 0],  # nothing covers it: leaves
            [0, 0, 1],
        ],
        dtype=bool,
    )
    weights = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    reduced = reduce_mclp(sp.csr_array(cover), weights, np.zeros(0, dtype=np.int64))
    assert reduced.cols.tolist() == [1, 2]
    assert sorted(reduced.weights.tolist()) == [7.0, 16.0]
    assert reduced.matrix.shape == (2, 2)


def test_fixed_sites_stay_open_and_count_in_the_objective() -> None:
    cover = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=bool)
    weights = np.array([5.0, 1.0, 2.0, 5.0])
    free_choice = solve_mclp(cover, weights, 1)
    assert free_choice.selected.tolist() == [0]
    assert free_choice.objective == 10.0
    with_fixed = solve_mclp(cover, weights, 1, fixed=[0])
    assert with_fixed.selected.tolist() == [2]
    assert with_fixed.objective == 12.0
    mask = np.array([True, False, False])
    assert solve_mclp(cover, weights, 1, fixed=mask).selected.tolist() == [2]


def test_p_larger_than_what_helps_still_opens_p_sites() -> None:
    cover = np.array([[1, 1, 1, 0]], dtype=bool)
    result = solve_mclp(cover, [3.0], 3)
    assert result.selected.size == 3
    assert result.objective == 3.0
    assert greedy_mclp(cover, [3.0], 3).selected.size == 3


def test_time_limit_returns_a_feasible_answer_with_a_gap() -> None:
    rng = np.random.default_rng(3)
    cover = rng.random((400, 120)) < 0.05
    weights = rng.random(400)
    # a millisecond is too short to prove this instance: the answer must say so
    result = solve_mclp(cover, weights, 10, time_limit_s=0.001)
    assert result.selected.size == 10
    assert result.objective == pytest.approx(covered_weight(cover, weights, result.selected))
    assert not result.optimal
    assert result.gap > 0.0
    exact = solve_mclp(cover, weights, 10)
    assert exact.optimal and exact.gap == 0.0
    assert result.objective <= exact.objective + 1e-9
    assert result.objective * (1 + result.gap) >= exact.objective - 1e-6


def test_greedy_primitives_on_a_hand_instance() -> None:
    # column 2 covers the heaviest rows; then column 0 adds row 0
    cover = sp.csr_array(np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1], [1, 1, 0]], dtype=bool))
    chosen, value, bound = greedy_max_cover(cover, np.array([4.0, 3.0, 3.0, 1.0]), 2)
    assert chosen.tolist() == [0, 2]
    assert value == 11.0
    assert bound == 11.0
    cols = greedy_set_cover(cover, np.array([1.0, 1.0, 1.0]))
    assert cover.toarray()[:, cols].any(axis=1).all()
    assert cols.size == 2


def test_result_type() -> None:
    result = solve_mclp(np.eye(3, dtype=bool), None, 2)
    assert isinstance(result, SitingResult)
    assert result.selected.dtype == np.int64
    assert result.objective == 2.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: solve_mclp(np.ones((3, 2), bool), [1, 1], 1), "2 values but coverage has 3"),
        (lambda: solve_mclp(np.ones((2, 2), bool), [1, -1], 1), "must be >= 0"),
        (lambda: solve_mclp(np.ones((2, 2), bool), [1, np.nan], 1), "finite"),
        (lambda: solve_mclp(np.ones((2, 2), bool), None, 3), "larger than the 2 candidates"),
        (lambda: solve_mclp(np.ones((2, 2), bool), None, 2, fixed=[0]), "larger than the 1"),
        (lambda: solve_mclp(np.ones((2, 2), bool), None, -1), "p must be >= 0"),
        (lambda: solve_mclp(np.ones((2, 2), bool), None, 1.5), "p must be an integer"),
        (lambda: solve_mclp(np.ones((2, 2), bool), None, 1, fixed=[5]), "fixed position 5"),
        (lambda: solve_mclp(np.ones((2, 2), bool), None, 1, fixed=[True]), "fixed mask has 1"),
        (lambda: solve_mclp(np.ones(4, bool), None, 1), "2-D"),
        (lambda: solve_mclp(np.full((2, 2), 2), None, 1), "True/False"),
        (lambda: solve_mclp(np.ones((2, 2), bool), None, 1, time_limit_s=0), "time_limit_s"),
        (lambda: solve_lscp(np.ones((2, 2), bool), [1.0]), "cost has 1 values"),
        (lambda: solve_lscp(np.ones((2, 2), bool), [1.0, -2.0]), "cost must be >= 0"),
        (lambda: greedy_mclp(np.ones((2, 2), bool), None, 5), "larger than the 2"),
    ],
)
def test_malformed_input_raises(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def brute_dominated(cover: np.ndarray, cost: np.ndarray | None) -> np.ndarray:
    """Column j is dominated by k != j: rows(j) inside rows(k), k no costlier (ties: lower)."""
    n = cover.shape[1]
    size = cover.sum(axis=0)
    mask = np.zeros(n, dtype=bool)
    for j in range(n):
        for k in range(n):
            if j == k or (cover[:, j] & ~cover[:, k]).any():
                continue
            tie = size[k] == size[j] and k < j
            if cost is None:
                wins = size[k] > size[j] or tie
            else:
                wins = cost[k] <= cost[j] and (
                    size[k] > size[j] or cost[k] < cost[j] or (cost[k] == cost[j] and tie)
                )
            mask[j] |= bool(wins)
    mask[size == 0] = True
    if mask.all():
        mask[0] = False
    return mask


def brute_implied(cover: np.ndarray) -> np.ndarray:
    """Row i is implied when another nonempty row's set lies inside it (equal rows: first stays)."""
    m = cover.shape[0]
    size = cover.sum(axis=1)
    mask = np.zeros(m, dtype=bool)
    for i in range(m):
        for k in range(m):
            if i != k and size[k] and not (cover[k] & ~cover[i]).any():
                mask[i] |= bool(size[i] > size[k] or (size[i] == size[k] and i > k))
    return mask


def structured_cover(rng: np.random.Generator) -> np.ndarray:
    """Random 0/1 matrix with nested and repeated columns and rows (dominance to find)."""
    m, n = int(rng.integers(1, 16)), int(rng.integers(1, 16))
    cover = rng.random((m, n)) < rng.uniform(0.05, 0.7)
    picks = rng.integers(0, n, size=3)
    # sub-columns of existing columns, and exact copies
    cover = np.hstack([cover, cover[:, picks] & (rng.random((m, 3)) < 0.6), cover[:, picks[:1]]])
    if rng.random() < 0.5:
        cover = np.vstack([cover, cover[rng.integers(0, m, size=2)]])
    return cover


@pytest.mark.parametrize("layout", ["dense", "sorted keys", "small chunks"])
def test_dominance_search_equals_brute_force(monkeypatch, layout: str) -> None:
    from cpgeo.siting import _reduce

    if layout == "sorted keys":
        monkeypatch.setattr(_reduce, "_MAX_DENSE_CELLS", 0)
    if layout == "small chunks":
        monkeypatch.setattr(_reduce, "_PAIR_CHUNK", 2)
    rng = np.random.default_rng(21)
    for trial in range(300):
        cover = structured_cover(rng)
        cost = None if trial % 3 == 0 else rng.integers(0, 3, cover.shape[1]).astype(float)
        matrix = sp.csr_array(cover)
        expected = brute_dominated(cover, cost)
        assert _reduce.dominated_columns(matrix, cost).tolist() == expected.tolist()
        # restricted to some columns: exactly those of the full answer
        among = rng.random(cover.shape[1]) < 0.5
        restricted = _reduce.dominated_columns(matrix, cost, among=among)
        empty = cover.sum(axis=0) == 0
        assert (restricted[~empty] == (expected & among)[~empty]).all()
        implied = _reduce._implied_rows(matrix)
        assert implied is not None
        assert implied.tolist() == brute_implied(cover).tolist()


def test_dominance_over_budget_only_drops_empty_columns(monkeypatch) -> None:
    from cpgeo.siting import _reduce

    monkeypatch.setattr(_reduce, "MAX_DOMINANCE_PAIRS", 0)
    cover = np.array([[1, 1, 0], [0, 1, 0]], dtype=bool)
    assert _reduce.dominated_columns(sp.csr_array(cover)).tolist() == [False, False, True]
    assert _reduce._implied_rows(sp.csr_array(cover)) is None
    rng = np.random.default_rng(5)
    for _ in range(20):
        cover, _ = random_instance(rng, max_cols=7)
        cost = rng.integers(1, 4, cover.shape[1]).astype(float)
        assert solve_lscp(cover, cost).objective == pytest.approx(brute_lscp(cover, cost))


def plain_highs_lscp(cover: np.ndarray, cost: np.ndarray) -> float:
    from scipy.optimize import Bounds, LinearConstraint, milp

    required = cover[cover.any(axis=1)].astype(float)
    answer = milp(
        cost,
        constraints=LinearConstraint(required, lb=1.0),
        integrality=np.ones(cover.shape[1]),
        bounds=Bounds(0.0, 1.0),
    )
    assert answer.status == 0
    return float(answer.fun)


def test_lp_core_and_reduced_cost_fixing_keep_the_optimum(monkeypatch) -> None:
    from cpgeo.siting import _covering

    # send every model, however small, through the LP core path
    monkeypatch.setattr(_covering, "LSCP_CORE_MIN_COLUMNS", 1)
    rng = np.random.default_rng(33)
    for trial in range(80):
        if trial % 2:
            cover, _ = random_instance(rng, max_cols=8)
        else:
            m, n = int(rng.integers(10, 40)), int(rng.integers(20, 80))
            cover = rng.random((m, n)) < rng.uniform(0.05, 0.25)
        n = cover.shape[1]
        cost = rng.integers(1, 4, n).astype(float) if trial % 4 < 2 else rng.random(n) * 5 + 0.1
        expected = brute_lscp(cover, cost) if n <= 8 else plain_highs_lscp(cover, cost)
        result = solve_lscp(cover, cost, warm_start=trial % 3 != 0)
        assert result.objective == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert result.optimal
        required = cover.any(axis=1)
        assert cover[required][:, result.selected].any(axis=1).all()
