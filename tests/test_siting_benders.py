"""The Benders path of solve_mclp, its cuts, bounds and fixings, against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from cpgeo.siting import greedy_mclp, solve_mclp
from cpgeo.siting._benders import benders_lp, fixings
from cpgeo.siting._greedy import greedy_max_cover
from cpgeo.siting._reduce import reduce_mclp


def random_instance(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    m = int(rng.integers(1, 15))
    n = int(rng.integers(1, 10))
    cover = rng.random((m, n)) < rng.uniform(0.05, 0.6)
    if rng.random() < 0.3:
        # duplicated rows and columns exercise the merging and dominance reductions
        cover = np.vstack([cover, cover[rng.integers(0, m, size=3)]])
        cover = np.hstack([cover, cover[:, rng.integers(0, n, size=2)]])
    if rng.random() < 0.5:
        return cover, rng.integers(0, 10, cover.shape[0]).astype(float)
    return cover, rng.random(cover.shape[0]) * 100


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


def all_values(cover: np.ndarray, weights: np.ndarray, p: int) -> dict[tuple[int, ...], float]:
    return {
        subset: covered_weight(cover, weights, subset)
        for subset in itertools.combinations(range(cover.shape[1]), p)
    }


def compact_lp(cover: np.ndarray, weights: np.ndarray, p: int) -> float:
    """LP relaxation of the compact MCLP with scipy's linprog (an independent reference)."""
    m, n = cover.shape
    # variables [x (n), y (m)]; maximise w.y  <=>  minimise -w.y
    a_ub = np.hstack([-cover.astype(float), np.eye(m)])
    a_eq = np.r_[np.ones(n), np.zeros(m)][None, :]
    result = linprog(
        np.r_[np.zeros(n), -weights],
        A_ub=a_ub,
        b_ub=np.zeros(m),
        A_eq=a_eq,
        b_eq=[p],
        bounds=[(0, 1)] * (n + m),
        method="highs",
    )
    return -float(result.fun)


@pytest.fixture(params=["compact", "benders"])
def integer_phase(request, monkeypatch) -> str:
    """Run the Benders path's integer phase with the compact model or the Benders MILP."""
    from cpgeo.siting import _covering

    if request.param == "benders":
        monkeypatch.setattr(_covering, "COMPACT_MAX_NONZEROS", -1)
    else:
        monkeypatch.setattr(_covering, "COMPACT_MAX_NONZEROS", 10**12)
    return request.param


@pytest.mark.parametrize("seed", range(4))
def test_benders_path_equals_brute_force(seed: int, integer_phase: str) -> None:
    rng = np.random.default_rng(100 + seed)
    for trial in range(30):
        cover, weights = random_instance(rng)
        n = cover.shape[1]
        n_fixed = int(rng.integers(0, min(n, 3))) if trial % 2 else 0
        fixed = np.sort(rng.choice(n, size=n_fixed, replace=False)).astype(np.int64)
        p = int(rng.integers(0, n - n_fixed + 1))
        result = solve_mclp(
            cover,
            weights,
            p,
            fixed=fixed if n_fixed else None,
            algorithm="benders",
            warm_start=trial % 3 != 0,
            reduce=trial % 5 != 0,
        )
        expected = brute_mclp(cover, weights, p, fixed)
        assert result.objective == pytest.approx(expected, rel=1e-12, abs=1e-9)
        assert result.optimal
        assert result.gap == 0.0
        assert result.selected.size == p
        assert not set(result.selected.tolist()) & set(fixed.tolist())
        assert result.objective == pytest.approx(
            covered_weight(cover, weights, [*result.selected, *fixed]), abs=1e-9
        )


def test_benders_on_a_larger_instance_matches_the_compact_model_and_brute_force() -> None:
    rng = np.random.default_rng(7)
    # clustered cover so that the LP is fractional and the integer phase has work to do
    cover = rng.random((300, 14)) < 0.12
    weights = rng.integers(1, 50, 300).astype(float)
    for p in (2, 4, 6):
        expected = brute_mclp(cover, weights, p, np.zeros(0, dtype=np.int64))
        benders = solve_mclp(cover, weights, p, algorithm="benders")
        compact = solve_mclp(cover, weights, p, algorithm="compact")
        automatic = solve_mclp(cover, weights, p)
        assert automatic.objective == expected
        assert benders.optimal and compact.optimal
        assert benders.objective == expected
        assert compact.objective == expected
        assert benders.stats["algorithm"] == "benders"
        assert compact.stats["algorithm"] == "compact"


@pytest.mark.parametrize("seed", range(4))
def test_lp_bound_and_aggregated_cut_are_valid(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    cover = rng.random((60, 10)) < 0.2
    weights = rng.random(60) * 10
    reduced = reduce_mclp(sp.csr_array(cover), weights, np.zeros(0, dtype=np.int64))
    matrix, row_weights = reduced.matrix, reduced.weights
    n = matrix.shape[1]
    p = min(3, n - 1)
    start, incumbent, _ = greedy_max_cover(matrix, row_weights, p, interchange=False)
    relaxation = benders_lp(matrix, row_weights, p, start)
    assert relaxation.converged
    # the Benders LP equals the compact LP relaxation solved independently
    assert relaxation.bound == pytest.approx(compact_lp(cover, weights, p), rel=1e-6)
    dense = matrix.toarray()
    values = all_values(dense, row_weights, p)
    assert relaxation.bound >= max(values.values()) - 1e-9
    # the aggregated cut is an upper bound at every 0/1 point with p sites
    for subset, value in values.items():
        assert value <= relaxation.constant + relaxation.slopes[list(subset)].sum() + 1e-7
    # fixed-out columns appear in no better solution, fixed-in columns in every one
    out, into = fixings(relaxation.constant, relaxation.slopes, p, incumbent, integral=False)
    tolerance = 1e-9 * max(1.0, incumbent)
    for subset, value in values.items():
        if value > incumbent + tolerance:
            assert not out[list(subset)].any()
            assert set(np.flatnonzero(into).tolist()) <= set(subset)


def test_fixings_on_a_hand_cut() -> None:
    # f(x) <= 10 + 5 x0 + 4 x1 + 1 x2 + 0 x3, p = 2, incumbent 18 (integral weights)
    slopes = np.array([5.0, 4.0, 1.0, 0.0])
    out, into = fixings(10.0, slopes, 2, 18.0, integral=True)
    # best with x2: 10 + 1 + 5 = 16 < 19; with x3: 15 < 19; with x0 or x1: 19, not < 19
    assert out.tolist() == [False, False, True, True]
    # best without x0: 10 + 4 + 1 = 15 < 19; without x1: 16 < 19; without x2/x3: 19
    assert into.tolist() == [True, True, False, False]


def test_benders_time_limit_gives_a_feasible_answer_and_a_valid_gap() -> None:
    rng = np.random.default_rng(11)
    cover = rng.random((500, 60)) < 0.06
    weights = rng.random(500)
    exact = solve_mclp(cover, weights, 6, algorithm="compact")
    limited = solve_mclp(cover, weights, 6, algorithm="benders", time_limit_s=0.001)
    assert limited.selected.size == 6
    assert limited.objective == pytest.approx(covered_weight(cover, weights, limited.selected))
    assert limited.objective <= exact.objective + 1e-9
    assert limited.objective * (1 + limited.gap) >= exact.objective - 1e-6
    assert limited.optimal == (limited.gap == 0.0)


def test_greedy_restarts_are_seeded_and_never_worse() -> None:
    rng = np.random.default_rng(5)
    cover = sp.csr_array(rng.random((400, 80)) < 0.05)
    weights = rng.random(400)
    _, plain_value, _ = greedy_max_cover(cover, weights, 6)
    first, value, _ = greedy_max_cover(cover, weights, 6, restarts=6, seed=3)
    again, value_again, _ = greedy_max_cover(cover, weights, 6, restarts=6, seed=3)
    assert first.tolist() == again.tolist()
    assert value == value_again
    assert value >= plain_value
    assert value == pytest.approx(covered_weight(cover.toarray(), weights, first))
    exact = solve_mclp(cover, weights, 6)
    assert value <= exact.objective + 1e-9
    assert greedy_mclp(cover, weights, 6, seed=1).objective <= exact.objective + 1e-9


def test_unknown_algorithm_raises() -> None:
    with pytest.raises(ValueError, match="algorithm must be 'auto', 'compact' or 'benders'"):
        solve_mclp(np.ones((2, 2), bool), None, 1, algorithm="simplex")


def test_integer_phase_closes_a_fractional_lp_gap(integer_phase: str) -> None:
    # rows are all pairs of 12 sites: the LP spreads x and overestimates the optimum
    pairs = list(itertools.combinations(range(12), 2))
    cover = np.zeros((len(pairs), 12), dtype=bool)
    for row, (a, b) in enumerate(pairs):
        cover[row, [a, b]] = True
    weights = np.random.default_rng(7).integers(1, 20, len(pairs)).astype(float)
    for p in (3, 4, 5):
        result = solve_mclp(cover, weights, p, algorithm="benders")
        expected = brute_mclp(cover, weights, p, np.zeros(0, dtype=np.int64))
        assert result.stats["lp_bound"] > expected + 1.0
        assert result.stats["mip_rounds"] >= 1
        assert result.stats["integer_phase"] == integer_phase
        assert result.optimal
        assert result.objective == expected
