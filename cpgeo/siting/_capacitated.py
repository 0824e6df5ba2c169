r"""The capacitated proposal model: where new offices serve the most forums, then people.

Sets: forums ``f``; existing offices ``o`` (open, fixed); candidate sites ``j``; sites
``s`` = offices and candidates; ``P`` the (forum, site) pairs within the radius (geodesic,
WGS84); communities ``i`` outside every existing office's radius, with population
``w_i`` and ``N_i`` the candidates within the radius of ``i``; capacity ``K`` forums per
office (``max_cpfs``).

Variables::

    x_j in {0, 1}          candidate j is opened
    z_fs in [0, 1]         forum f is served by site s, for (f, s) in P
    y_i in [0, 1]          community i is newly covered

Constraints::

    sum_s z_fs <= 1                    each forum is served at most once
    sum_f z_fo <= K                    existing office o carries at most K forums
    sum_f z_fj <= K x_j                a candidate serves forums only when opened
    z_fj <= x_j                        (the same, disaggregated: tightens the relaxation)
    y_i <= sum_{j in N_i} x_j          a community is newly covered only by an opened site
    sum_j x_j <= n_sites               when a number of sites is given
    sum_j c_j x_j <= budget            when a budget is given (rehabilitation cheaper)

Objective, lexicographic: first maximise the forums served within capacity
``F = sum z``, then, among the answers serving ``F*`` forums, maximise the population
newly covered ``sum_i w_i y_i``. The same MILP is solved twice: once for ``F*``, once
with ``sum z >= F*`` added and the population objective, warm-started from the first.

``z`` and ``y`` are continuous: for binary ``x`` the forum constraints form a bipartite
b-matching, whose polytope is integral, so some optimal ``z`` is integral with the same
value (the integral assignment itself comes from :func:`cpgeo.coverage.assign_cpfs`);
``y`` is 1 at an optimum exactly when an opened site covers the community.

:func:`greedy_capacitated` is the instant alternative: lazy greedy on the same
lexicographic objective (forums served is a matroid-rank-like, submodular function of the
open sites, so lazy evaluation is exact), then 1-swap interchange.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from cpgeo.siting._milp import solve_milp
from cpgeo.siting._result import as_count, relative_gap


@dataclass(frozen=True)
class CapacitatedAnswer:
    """Answer of the capacitated model.

    ``selected`` sorted candidate positions; ``forums_served`` forums served within
    capacity; ``population`` population newly covered; ``optimal`` / ``gap`` as in
    :class:`cpgeo.siting.SitingResult` (the gap of the population stage).
    """

    selected: np.ndarray
    forums_served: int
    population: float
    optimal: bool
    gap: float


class CapacitatedInstance:
    """Arrays of one capacitated proposal question.

    Parameters
    ----------
    forum_office
        Forums x existing offices, bool: True where the pair is within the radius.
    forum_candidate
        Forums x candidates, bool.
    community_candidate
        Communities outside every existing office's radius x candidates, bool.
    population
        Population of those communities, >= 0.
    capacity
        Forums one office can serve.
    cost
        Cost of each candidate (rehabilitation cheaper than new build).
    """

    def __init__(
        self,
        forum_office: sp.csr_array,
        forum_candidate: sp.csr_array,
        community_candidate: sp.csr_array,
        population: np.ndarray,
        capacity: int,
        cost: np.ndarray,
    ) -> None:
        self.forum_office = sp.csr_array(forum_office, dtype=bool)
        self.forum_candidate = sp.csr_array(forum_candidate, dtype=bool)
        self.community_candidate = sp.csc_array(community_candidate, dtype=bool)
        self.population = np.asarray(population, dtype=float)
        self.capacity = int(capacity)
        self.cost = np.asarray(cost, dtype=float)
        self.n_forums, self.n_offices = self.forum_office.shape
        self.n_candidates = self.forum_candidate.shape[1]

    def forums_served(self, selected: np.ndarray) -> int:
        """Return the most forums served within capacity with ``selected`` candidates open."""
        sites = sp.hstack(
            [self.forum_office, self.forum_candidate[:, np.asarray(selected, dtype=np.int64)]]
        ).tocsr()
        n_f, n_s = sites.shape
        if n_f == 0 or n_s == 0 or self.capacity == 0:
            return 0
        # nodes: 0 source, 1..n_f forums, n_f+1..n_f+n_s sites, n_f+n_s+1 sink
        rows_f, cols_s = sites.nonzero()
        sink = n_f + n_s + 1
        tails = np.concatenate([np.zeros(n_f), 1 + rows_f, n_f + 1 + np.arange(n_s)])
        heads = np.concatenate([1 + np.arange(n_f), n_f + 1 + cols_s, np.full(n_s, sink)])
        caps = np.concatenate(
            [np.ones(n_f), np.ones(rows_f.size), np.full(n_s, self.capacity)]
        ).astype(np.int32)
        graph = sp.csr_array(
            (caps, (tails.astype(np.int64), heads.astype(np.int64))), shape=(sink + 1, sink + 1)
        )
        return int(maximum_flow(graph, 0, sink).flow_value)

    def population_covered(self, selected: np.ndarray) -> float:
        """Return the population newly covered by ``selected`` candidates."""
        selected = np.asarray(selected, dtype=np.int64)
        if selected.size == 0 or self.population.size == 0:
            return 0.0
        hit = np.asarray(self.community_candidate[:, selected].sum(axis=1)).ravel() > 0
        return float(self.population[hit].sum())

    def score(self, selected: np.ndarray) -> tuple[int, float]:
        """Return (forums served, population newly covered): compared lexicographically."""
        return self.forums_served(selected), self.population_covered(selected)


def _check_limits(
    instance: CapacitatedInstance, n_sites: int | None, budget: float | None
) -> tuple[int | None, float | None]:
    if n_sites is None and budget is None:
        msg = "give a number of sites, a budget, or both"
        raise ValueError(msg)
    count = None if n_sites is None else as_count(n_sites, instance.n_candidates, name="n_sites")
    if budget is not None and not (np.isfinite(budget) and budget >= 0):
        msg = f"budget must be a finite number >= 0, got {budget!r}"
        raise ValueError(msg)
    return count, None if budget is None else float(budget)


def solve_capacitated(
    instance: CapacitatedInstance,
    n_sites: int | None,
    *,
    budget: float | None = None,
    time_limit_s: float | None = None,
) -> CapacitatedAnswer:
    """Solve the capacitated proposal MILP exactly (see the module docstring).

    ``time_limit_s`` bounds the whole solve (warm start and both stages, seconds); when
    it stops the solver, the answer is the best found and carries its proven gap.
    """
    started = time.perf_counter()
    count, limit = _check_limits(instance, n_sites, budget)

    def left(share: float = 1.0) -> float | None:
        if time_limit_s is None:
            return None
        return max(0.05, (time_limit_s - (time.perf_counter() - started)) * share)

    n_j, n_o, n_f = instance.n_candidates, instance.n_offices, instance.n_forums
    fo_f, fo_o = instance.forum_office.nonzero()
    fc_f, fc_j = instance.forum_candidate.nonzero()
    reach = np.asarray(instance.community_candidate.sum(axis=1)).ravel() > 0
    reach &= instance.population > 0
    cc = sp.csr_array(instance.community_candidate[np.flatnonzero(reach)])
    weights = instance.population[reach]
    n_zo, n_zc, n_y = fo_f.size, fc_f.size, cc.shape[0]
    # column blocks: x (n_j) | z to offices (n_zo) | z to candidates (n_zc) | y (n_y)
    zo0, zc0, y0 = n_j, n_j + n_zo, n_j + n_zo + n_zc
    n_cols = y0 + n_y
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    row = 0

    def block(r: np.ndarray, c: np.ndarray, v: np.ndarray | float) -> None:
        rows.append(np.asarray(r, dtype=np.int64))
        cols.append(np.asarray(c, dtype=np.int64))
        vals.append(np.broadcast_to(np.asarray(v, dtype=float), np.shape(r)).copy())

    # each forum at most once
    block(row + fo_f, zo0 + np.arange(n_zo), 1.0)
    block(row + fc_f, zc0 + np.arange(n_zc), 1.0)
    lower.append(np.full(n_f, -np.inf))
    upper.append(np.ones(n_f))
    row += n_f
    # office capacity
    block(row + fo_o, zo0 + np.arange(n_zo), 1.0)
    lower.append(np.full(n_o, -np.inf))
    upper.append(np.full(n_o, float(instance.capacity)))
    row += n_o
    # candidate capacity, only when open
    block(row + fc_j, zc0 + np.arange(n_zc), 1.0)
    block(row + np.arange(n_j), np.arange(n_j), -float(instance.capacity))
    lower.append(np.full(n_j, -np.inf))
    upper.append(np.zeros(n_j))
    row += n_j
    # z_fj <= x_j
    block(row + np.arange(n_zc), zc0 + np.arange(n_zc), 1.0)
    block(row + np.arange(n_zc), fc_j, -1.0)
    lower.append(np.full(n_zc, -np.inf))
    upper.append(np.zeros(n_zc))
    row += n_zc
    # y_i <= sum x_j over N_i
    cc_i, cc_j = cc.nonzero()
    block(row + np.arange(n_y), y0 + np.arange(n_y), 1.0)
    block(row + cc_i, cc_j, -1.0)
    lower.append(np.full(n_y, -np.inf))
    upper.append(np.zeros(n_y))
    row += n_y
    if count is not None:
        block(np.full(n_j, row), np.arange(n_j), 1.0)
        lower.append(np.array([-np.inf]))
        upper.append(np.array([float(count)]))
        row += 1
    if limit is not None:
        block(np.full(n_j, row), np.arange(n_j), instance.cost)
        lower.append(np.array([-np.inf]))
        upper.append(np.array([limit]))
        row += 1
    forum_row = row
    block(np.full(n_zo + n_zc, row), np.arange(zo0, y0), 1.0)
    lower.append(np.array([-np.inf]))
    upper.append(np.array([np.inf]))
    row += 1
    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, n_cols)
    )
    row_lower, row_upper = np.concatenate(lower), np.concatenate(upper)
    integer = np.zeros(n_cols, dtype=bool)
    integer[:n_j] = True
    forum_cost = np.zeros(n_cols)
    forum_cost[zo0:y0] = 1.0

    # the warm start may use a fifth of the time; what is left goes to the two stages
    greedy = greedy_capacitated(
        instance, count, budget=limit, interchange=True, time_limit_s=left(0.2)
    )
    start = np.zeros(n_cols)
    start[greedy.selected] = 1.0
    if n_y:
        start[y0:] = np.minimum(1.0, cc @ start[:n_j])
    first = solve_milp(
        forum_cost,
        matrix,
        row_lower,
        row_upper,
        np.zeros(n_cols),
        np.ones(n_cols),
        integer,
        maximize=True,
        time_limit_s=left(0.5),
        start=start,
        abs_gap=0.5,
    )
    # forums served is an integer: round the first stage's value before fixing it
    served_floor = float(np.floor(first.objective + 1e-4))
    row_lower[forum_row] = served_floor
    population_cost = np.zeros(n_cols)
    population_cost[y0:] = weights
    integral = bool(np.all(weights == np.round(weights)))
    second = solve_milp(
        population_cost,
        matrix,
        row_lower,
        row_upper,
        np.zeros(n_cols),
        np.ones(n_cols),
        integer,
        maximize=True,
        time_limit_s=left(),
        start=first.x,
        abs_gap=0.999 if integral else 1e-6,
    )
    selected = np.flatnonzero(second.x[:n_j] > 0.5).astype(np.int64)
    selected = prune(instance, selected)
    forums, population = instance.score(selected)
    optimal = first.optimal and second.optimal
    gap = 0.0 if optimal else relative_gap(population, second.bound)
    return CapacitatedAnswer(selected, forums, population, optimal, gap)


def prune(instance: CapacitatedInstance, selected: np.ndarray) -> np.ndarray:
    """Drop sites that add nothing; swap sites for cheaper equally good ones.

    Opening a site never lowers the objective, so a solver may open sites that add
    nothing; proposing them would mislead.
    """
    keep = [int(j) for j in selected]
    best = instance.score(np.array(keep, dtype=np.int64))
    for j in sorted(keep, key=lambda c: (-instance.cost[c], -c)):
        rest = [k for k in keep if k != j]
        if instance.score(np.array(rest, dtype=np.int64)) >= best:
            keep = rest
    # among equally good sites prefer the cheaper (a station to rehabilitate over a new
    # build in the same town): swap while the score holds and the cost falls
    for j in list(keep):
        cheaper = np.flatnonzero(instance.cost < instance.cost[j])
        for k in cheaper[np.argsort(instance.cost[cheaper], kind="stable")]:
            if int(k) in keep:
                continue
            swapped = [int(k) if c == j else c for c in keep]
            if instance.score(np.array(swapped, dtype=np.int64)) >= best:
                keep = swapped
                break
    return np.array(sorted(keep), dtype=np.int64)


def _affordable(
    instance: CapacitatedInstance,
    chosen: list[int],
    j: int,
    count: int | None,
    budget: float | None,
) -> bool:
    if count is not None and len(chosen) + 1 > count:
        return False
    if budget is not None:
        spent = float(instance.cost[chosen].sum()) if chosen else 0.0
        return spent + float(instance.cost[j]) <= budget + 1e-9
    return True


def greedy_capacitated(
    instance: CapacitatedInstance,
    n_sites: int | None,
    *,
    budget: float | None = None,
    interchange: bool = True,
    time_limit_s: float | None = None,
) -> CapacitatedAnswer:
    """Lazy greedy + 1-swap interchange on the lexicographic objective (no proof).

    ``time_limit_s`` (seconds) stops the search where it is: the sites chosen so far,
    improved by the swaps made so far.
    """
    deadline = None if time_limit_s is None else time.perf_counter() + time_limit_s
    count, limit = _check_limits(instance, n_sites, budget)
    # population weights are integers in practice; the lexicographic score as one number
    # keeps forums first: one forum outweighs all the population there is
    scale = float(instance.population.sum()) + 1.0

    def value(selected: list[int]) -> float:
        forums, population = instance.score(np.array(selected, dtype=np.int64))
        return forums * scale + population

    chosen: list[int] = []
    current = value(chosen)
    per_cost = limit is not None
    heap: list[tuple[float, int]] = []
    for j in range(instance.n_candidates):
        if _past(deadline) and heap:
            break
        gain = value([j]) - current
        ratio = gain / max(instance.cost[j], 1e-9) if per_cost else gain
        heap.append((-ratio, j))
    heapq.heapify(heap)
    while heap and not (_past(deadline) and chosen):
        _, j = heapq.heappop(heap)
        if not _affordable(instance, chosen, j, count, limit):
            continue
        gain = value([*chosen, j]) - current
        ratio = gain / max(instance.cost[j], 1e-9) if per_cost else gain
        if heap and ratio < -heap[0][0] - 1e-9:
            heapq.heappush(heap, (-ratio, j))
            continue
        if gain <= 0:
            break
        chosen.append(j)
        current += gain
        if count is not None and len(chosen) >= count:
            break
    if interchange and chosen:
        chosen = _swap(instance, chosen, value, limit, deadline)
    selected = prune(instance, np.array(sorted(chosen), dtype=np.int64))
    forums, population = instance.score(selected)
    return CapacitatedAnswer(selected, forums, population, False, float("nan"))


def _swap(
    instance: CapacitatedInstance,
    chosen: list[int],
    value: Callable[[list[int]], float],
    budget: float | None,
    deadline: float | None = None,
) -> list[int]:
    """Best improving 1-swaps (within the budget) until none improves or time is up."""
    current = value(chosen)
    while not _past(deadline):
        best: tuple[float, int | None, int | None] = (current + 1e-9, None, None)
        for out in chosen:
            rest = [k for k in chosen if k != out]
            for j in range(instance.n_candidates):
                if _past(deadline):
                    break
                if j in chosen:
                    continue
                if budget is not None and float(instance.cost[[*rest, j]].sum()) > budget + 1e-9:
                    continue
                trial = value([*rest, j])
                if trial > best[0]:
                    best = (trial, out, j)
        if best[1] is None:
            return chosen
        chosen = [*(k for k in chosen if k != best[1]), int(best[2])]  # type: ignore[arg-type]
        current = best[0]
    return chosen


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline
