r"""The capacitated proposal model: where new offices serve the most forums, then people.

Sets: forums ``f``; existing offices ``o`` (open, fixed); candidate sites ``j``; sites
``s`` = offices and candidates; ``P`` the (forum, site) pairs within the radius (geodesic,
WGS84); communities ``i`` outside every existing office's radius, with population
``w_i`` and ``N_i`` the candidates within the radius of ``i``; capacity ``K`` forums per
office (``max_cpfs``); phases ``t = 1..T`` (one phase unless the plan is phased).

Variables::

    x_jt in {0, 1}          candidate j is open in phase t (opened then or before)
    z_fst in [0, 1]         forum f is served by site s in phase t, for (f, s) in P
    y_it in [0, 1]          community i is newly covered in phase t

Constraints, for every phase t::

    x_j(t-1) <= x_jt                     an office opened in an earlier phase stays open
    sum_s z_fst <= 1                     each forum is served at most once
    sum_f z_fot <= K                     existing office o carries at most K forums
    sum_f z_fjt <= K x_jt                a candidate serves forums only when open
    z_fjt <= x_jt                        (the same, disaggregated: a tighter relaxation)
    y_it <= sum_{j in N_i} x_jt          a community is covered only by an open site
    sum_j (x_jt - x_j(t-1)) <= n_t       sites opened in phase t, when counts are given
    sum_j c_j (x_jt - x_j(t-1)) <= B_t   spending in phase t, when budgets are given

and on the final phase T: ``x_jT = 1`` for candidates forced in; ``sum_{j in g} x_jT >=
m_g`` for a minimum number of new sites in governorate g; ``sum_{i in g} w_i y_iT >=
r_g`` for a minimum number of people newly covered in governorate g (a minimum share of
its population within the radius, less what existing offices already cover).

Objective, lexicographic: first maximise the forums served within capacity summed over
the phases, ``F = sum z``; then, among the plans serving ``F*``, maximise the people
newly covered summed over the phases, ``sum w_i y_it``, less ``eps * sum c_j x_jT`` with
``eps * sum c < 0.5`` (of two plans covering as many people, the cheaper one, and no site
that adds nothing). The model is solved twice by HiGHS: once for ``F*``, then with
``sum z >= F*`` and the population objective, warm-started from the first answer.

``z`` and ``y`` are continuous: with ``x`` fixed, the forum constraints of each phase are
a bipartite b-matching, whose polytope is integral, and ``y_it = min(1, sum x)`` at an
optimum.

Exact reductions before the solve (each keeps the optimum):

1. Communities no candidate covers, or of weight 0, leave the model (they cannot change
   it); communities with the same set of candidates (and, with people minima, in the
   same governorate) merge into one row whose weight is the sum.
2. Forums with no site within the radius leave the model (no plan serves them).
3. A candidate that reaches no forum is dominated by any candidate that covers all of
   its communities at no higher cost (in the same governorate when governorate minima
   are set): opening the other instead never loses a forum, a person or money, and if
   both are open the dominated one adds nothing. It leaves the model unless forced in.
   (A candidate that reaches forums is never dropped this way: two sites in range of the
   same forums carry twice the capacity.)

National-size plans (more than ``LARGE_MODEL_NNZ`` community-candidate pairs over the
phases, e.g. 11,000 villages and a 5-km grid) are solved in two exact stages instead of
one compact model: ``F*`` from the forum rows alone, with candidates that reach the same
forums grouped (:func:`cpgeo.siting._joint.forum_master`), unless the greedy plan
already meets a bound from submodularity (each new site adds at most ``K`` forums); then
the people. Those are bounded first by maximal covering over the candidates that can be
in a plan serving ``F*`` (:func:`_people_relaxation`), which proves the plan outright when
a plan meets that bound; otherwise by Benders cuts over the communities with the forum
rows and ``sum z >= F*`` kept in the master (:func:`cpgeo.siting._joint.people_stage`),
so the bound accounts for the sites the forums need. A minimum of people per governorate
cannot be written with the cuts; such plans get the greedy answer there, marked unproven.

:func:`greedy_capacitated` is the instant alternative: phase by phase, lazy greedy on the
same lexicographic objective (a candidate's forum gain is at most ``min(K, its forums in
range)``, which bounds the gains without a max-flow for every candidate), then 1-swap
interchange while time allows.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from cpgeo._errors import SolverError
from cpgeo.siting._milp import solve_milp
from cpgeo.siting._reduce import merge_identical_rows
from cpgeo.siting._result import relative_gap

# Above this many community-candidate pairs (times phases) the compact model is too big
# for HiGHS to honour a time limit of a minute (its root LP alone runs for minutes): the
# plan is then solved in parts with the maximal covering engine (see _solve_large).
LARGE_MODEL_NNZ = 400_000

# The dominance reduction compares candidates pairwise over shared communities; above
# this many community-candidate pairs squared it is skipped (it stays exact, only less
# reduced).
_MAX_DOMINANCE_WORK = 30_000_000


@dataclass(frozen=True)
class Phase:
    """What one phase may open: at most ``count`` sites and / or ``budget`` of cost."""

    count: int | None = None
    budget: float | None = None


@dataclass(frozen=True)
class Conditions:
    """Conditions every plan must meet (candidate positions, governorate names).

    ``force_in`` candidates are open by the last phase; ``min_sites`` maps a governorate
    to a minimum number of new sites in it; ``min_people`` maps a governorate to a
    minimum number of people newly covered there.
    """

    force_in: tuple[int, ...] = ()
    min_sites: Mapping[str, int] = field(default_factory=dict)
    min_people: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CapacitatedAnswer:
    """Answer of the capacitated model.

    ``open_phase`` gives each candidate's phase (0-based; -1 when not opened);
    ``selected`` the sorted candidates opened by the last phase; ``forums_served`` and
    ``population`` the forums served within capacity and the people newly covered,
    summed over the phases; ``optimal`` / ``gap`` as in
    :class:`cpgeo.siting.SitingResult` (the gap of the population stage, or of the
    forums while the most forums are not proven); ``stats`` the
    sizes before and after reduction and the timings.
    """

    selected: np.ndarray
    forums_served: int
    population: float
    optimal: bool
    gap: float
    open_phase: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stats: dict[str, object] = field(default_factory=dict, compare=False, repr=False)


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
        Population of those communities, >= 0 (unknown counts 0: it cannot be counted).
    capacity
        Forums one office can serve.
    cost
        Cost of each candidate (rehabilitation cheaper than new build).
    governorate
        Governorate of each candidate (for governorate minima), or None.
    community_governorate
        Governorate of each community (for people minima), or None.
    """

    def __init__(
        self,
        forum_office: sp.csr_array,
        forum_candidate: sp.csr_array,
        community_candidate: sp.csr_array,
        population: np.ndarray,
        capacity: int,
        cost: np.ndarray,
        *,
        governorate: Sequence[object] | None = None,
        community_governorate: Sequence[object] | None = None,
    ) -> None:
        self.forum_office = sp.csr_array(forum_office, dtype=bool)
        self.forum_candidate = sp.csr_array(forum_candidate, dtype=bool)
        self.community_candidate = sp.csc_array(community_candidate, dtype=bool)
        self.population = np.asarray(population, dtype=float)
        self.capacity = int(capacity)
        self.cost = np.asarray(cost, dtype=float)
        self.n_forums, self.n_offices = self.forum_office.shape
        self.n_candidates = self.forum_candidate.shape[1]
        self.governorate = (
            np.asarray(governorate, dtype=object)
            if governorate is not None
            else np.full(self.n_candidates, None, dtype=object)
        )
        n_c = self.community_candidate.shape[0]
        self.community_governorate = (
            np.asarray(community_governorate, dtype=object)
            if community_governorate is not None
            else np.full(n_c, None, dtype=object)
        )
        self._forum_csc = sp.csc_array(self.forum_candidate)
        self._forums_in_range = np.diff(self._forum_csc.indptr)
        by_site = np.asarray(self.forum_candidate.sum(axis=1)).ravel() + np.asarray(
            self.forum_office.sum(axis=1)
        ).ravel()
        #: forums with some site (office or candidate) within the radius
        self.reachable_forums = int(np.count_nonzero(by_site > 0))

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
        return float(self.population[self.covered(selected)].sum())

    def covered(self, selected: np.ndarray) -> np.ndarray:
        """Return the mask of communities some ``selected`` candidate covers."""
        selected = np.asarray(selected, dtype=np.int64)
        if selected.size == 0 or self.population.size == 0:
            return np.zeros(self.population.size, dtype=bool)
        return np.asarray(self.community_candidate[:, selected].sum(axis=1)).ravel() > 0

    def score(self, selected: np.ndarray) -> tuple[int, float]:
        """Return (forums served, population newly covered): compared lexicographically."""
        return self.forums_served(selected), self.population_covered(selected)

    def phased_score(self, open_phase: np.ndarray, n_phases: int) -> tuple[int, float]:
        """Return forums served and people covered, each summed over the phases."""
        forums, people = 0, 0.0
        for t in range(n_phases):
            f, p = self.score(np.flatnonzero((open_phase >= 0) & (open_phase <= t)))
            forums, people = forums + f, people + p
        return forums, people

    def forums_in_range(self, j: int) -> int:
        """Return how many forums candidate ``j`` has within the radius."""
        return int(self._forums_in_range[j])


# ------------------------------------------------------------------------ conditions


def phases_of(
    instance: CapacitatedInstance,
    n_sites: int | None,
    budget: float | None,
    phases: Sequence[Phase] | None,
) -> list[Phase]:
    """Return the phases of a plan: ``phases``, else one phase of ``n_sites`` / ``budget``."""
    if phases is not None:
        if not phases:
            msg = "phases must list at least one phase"
            raise ValueError(msg)
        out = list(phases)
    else:
        if n_sites is None and budget is None:
            msg = "give a number of sites, a budget, or both"
            raise ValueError(msg)
        out = [Phase(n_sites, budget)]
    for t, phase in enumerate(out, start=1):
        if phase.count is None and phase.budget is None:
            msg = f"phase {t} needs a number of sites or a budget"
            raise ValueError(msg)
        if phase.count is not None and (int(phase.count) != phase.count or phase.count < 0):
            msg = f"phase {t}: the number of sites must be a whole number >= 0"
            raise ValueError(msg)
        if phase.budget is not None and not (np.isfinite(phase.budget) and phase.budget >= 0):
            msg = f"phase {t}: the budget must be a finite number >= 0"
            raise ValueError(msg)
    return out


def _affordable(
    instance: CapacitatedInstance, chosen: list[int], j: int, phase: Phase, spent: float
) -> bool:
    if phase.count is not None and len(chosen) + 1 > phase.count:
        return False
    return phase.budget is None or spent + float(instance.cost[j]) <= phase.budget + 1e-9


# ------------------------------------------------------------------------ greedy


class _Matching:
    """A maximum assignment of forums to open sites, kept up to date as sites open.

    Sites are existing offices and opened candidates, each taking at most ``K`` forums
    within the radius. When a site opens, the assignment stays maximum after augmenting
    paths that end at the new site (before it opened, no augmenting path existed), so
    the gain of opening a site is found by a search from that site alone, without a
    max-flow over the whole network.
    """

    def __init__(self, instance: CapacitatedInstance, open_candidates: Sequence[int]) -> None:
        self.capacity = instance.capacity
        fo = sp.csc_array(instance.forum_office)
        fc = instance._forum_csc
        n_o = instance.n_offices
        # sites: offices 0..n_o-1, candidate j is n_o + j
        self.forums_of: dict[int, np.ndarray] = {
            o: fo.indices[fo.indptr[o] : fo.indptr[o + 1]] for o in range(n_o)
        }
        self._fc, self._n_o = fc, n_o
        self.site_of = np.full(instance.n_forums, -1, dtype=np.int64)
        self.load: dict[int, int] = dict.fromkeys(range(n_o), 0)
        self.served = 0
        for o in range(n_o):
            self._fill(o)
        for j in open_candidates:
            self.open(int(j))

    def _site_forums(self, site: int) -> np.ndarray:
        if site not in self.forums_of:
            j = site - self._n_o
            self.forums_of[site] = self._fc.indices[self._fc.indptr[j] : self._fc.indptr[j + 1]]
        return self.forums_of[site]

    def _augment(self, start: int, apply: bool) -> bool:
        """Find (and with ``apply`` carry out) one augmenting path ending at ``start``."""
        parent: dict[int, tuple[int, int]] = {start: (-1, -1)}  # site -> (forum, next site)
        queue = deque([start])
        while queue:
            site = queue.popleft()
            for f in self._site_forums(site).tolist():
                holder = int(self.site_of[f])
                if holder == site:
                    continue
                if holder < 0:
                    if apply:
                        # walk back: f goes to site, the forum that left each site moves on
                        self.site_of[f] = site
                        forum, nxt = parent[site]
                        while forum >= 0:
                            self.site_of[forum] = nxt
                            forum, nxt = parent[nxt]
                        self.load[start] += 1
                        self.served += 1
                    return True
                if holder not in parent:
                    # f may move from its holder to this site, freeing a place there
                    parent[holder] = (f, site)
                    queue.append(holder)
        return False

    def _fill(self, site: int) -> int:
        added = 0
        while self.load[site] < self.capacity and self._augment(site, apply=True):
            added += 1
        return added

    def gain(self, j: int) -> int:
        """Return how many more forums are served if candidate ``j`` opens."""
        site = self._n_o + j
        if site in self.load or self.capacity == 0:
            return 0
        saved = (self.site_of.copy(), dict(self.load), self.served)
        self.load[site] = 0
        added = self._fill(site)
        self.site_of, self.load, self.served = saved
        return added

    def open(self, j: int) -> int:
        """Open candidate ``j``; return how many more forums are served."""
        site = self._n_o + j
        if site in self.load:
            return 0
        self.load[site] = 0
        return self._fill(site)


def greedy_capacitated(
    instance: CapacitatedInstance,
    n_sites: int | None = None,
    *,
    budget: float | None = None,
    phases: Sequence[Phase] | None = None,
    conditions: Conditions | None = None,
    interchange: bool = True,
    time_limit_s: float | None = None,
) -> CapacitatedAnswer:
    """Phase by phase lazy greedy, then 1-swap interchange (no proof of optimality).

    Sites forced in, then the governorate minima, are placed first (each where it gains
    the most, in the earliest phase with room); the rest of each phase is filled by
    lexicographic gain (per unit of cost when the phase has a budget). ``time_limit_s``
    (seconds) stops the search where it is. People minima are left to the exact model.
    """
    started = time.perf_counter()
    deadline = None if time_limit_s is None else started + time_limit_s
    plan = phases_of(instance, n_sites, budget, phases)
    conditions = conditions or Conditions()
    scale = float(instance.population.sum()) + 1.0
    open_phase = np.full(instance.n_candidates, -1, dtype=np.int64)
    chosen_in: list[list[int]] = [[] for _ in plan]
    spent = [0.0 for _ in plan]

    def opened() -> list[int]:
        return [j for t in range(len(plan)) for j in chosen_in[t]]

    def place(j: int) -> bool:
        for t, phase in enumerate(plan):
            if _affordable(instance, chosen_in[t], j, phase, spent[t]):
                chosen_in[t].append(j)
                spent[t] += float(instance.cost[j])
                open_phase[j] = t
                return True
        return False

    for j in conditions.force_in:
        if open_phase[j] < 0:
            place(int(j))
    for gov, minimum in conditions.min_sites.items():
        pool = [
            j for j in range(instance.n_candidates)
            if instance.governorate[j] == gov and open_phase[j] < 0
        ]
        have = int(np.count_nonzero((open_phase >= 0) & (instance.governorate == gov)))
        while have < minimum and pool:
            # a quick order (forum bound, then people newly covered, then cost), not a
            # max-flow for every candidate of the governorate
            covered = instance.covered(np.array(opened(), dtype=np.int64))
            csc = instance.community_candidate

            def quick(k: int, covered: np.ndarray = covered, csc: sp.csc_array = csc) -> tuple:
                rows = csc.indices[csc.indptr[k] : csc.indptr[k + 1]]
                people = float(instance.population[rows[~covered[rows]]].sum())
                forums = min(instance.capacity, instance.forums_in_range(k))
                return (forums * scale + people, -float(instance.cost[k]))

            best = max(pool, key=quick)
            pool.remove(best)
            if place(best):
                have += 1
    for t, phase in enumerate(plan):
        _fill_phase(instance, plan, t, phase, chosen_in, spent, open_phase, scale, deadline)
    chosen = opened()
    if interchange and chosen and len(plan) == 1 and not conditions.min_sites:
        fixed = {int(j) for j in conditions.force_in}
        pool = _shortlist(instance, chosen, scale)
        chosen = _swap(instance, chosen, scale, plan[0].budget, deadline, fixed, pool)
        open_phase[:] = -1
        open_phase[chosen] = 0
    open_phase = prune(instance, open_phase, len(plan), conditions)
    selected = np.flatnonzero(open_phase >= 0).astype(np.int64)
    forums, population = instance.phased_score(open_phase, len(plan))
    return CapacitatedAnswer(
        selected, forums, population, False, float("nan"), open_phase=open_phase,
        stats={"method": "greedy", "seconds": time.perf_counter() - started},
    )


def _fill_phase(
    instance: CapacitatedInstance,
    plan: list[Phase],
    t: int,
    phase: Phase,
    chosen_in: list[list[int]],
    spent: list[float],
    open_phase: np.ndarray,
    scale: float,
    deadline: float | None,
) -> None:
    """Lazy greedy for phase ``t`` over the candidates not yet open."""
    base_sites = [j for s in range(t + 1) for j in chosen_in[s]]
    covered = instance.covered(np.array(base_sites, dtype=np.int64))
    matching = _Matching(instance, base_sites)
    served = matching.served
    csc = instance.community_candidate
    per_cost = phase.budget is not None
    weight = instance.population

    def people_gain(j: int) -> float:
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        return float(weight[rows[~covered[rows]]].sum())

    def forum_bound(j: int) -> int:
        # a site serves at most K forums, and no more can be served than are unserved
        unserved = instance.reachable_forums - served
        return min(instance.capacity, instance.forums_in_range(j), unserved)

    def priority(j: int, gain: float) -> float:
        return gain / max(float(instance.cost[j]), 1e-9) if per_cost else gain

    heap: list[tuple[float, int, bool]] = []
    saturated = served >= instance.reachable_forums
    for j in np.flatnonzero(open_phase < 0).tolist():
        bound = forum_bound(j) * scale + people_gain(j)
        heap.append((-priority(j, bound), j, False))
    heapq.heapify(heap)
    # past the deadline, a phase still gets its first site: an answer, if a rough one
    while heap and not (_past(deadline) and chosen_in[t]):
        _, j, exact = heapq.heappop(heap)
        if not _affordable(instance, chosen_in[t], j, phase, spent[t]):
            continue
        people = people_gain(j)
        forums = matching.gain(j) if forum_bound(j) > 0 else 0
        gain = forums * scale + people
        if not exact and heap and priority(j, gain) < -heap[0][0] - 1e-9:
            heapq.heappush(heap, (-priority(j, gain), j, True))
            continue
        if gain <= 0:
            break
        chosen_in[t].append(j)
        spent[t] += float(instance.cost[j])
        open_phase[j] = t
        base_sites.append(j)
        served += matching.open(j)
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        covered[rows] = True
        # gains only fall as sites open: entries already in the heap stay upper bounds;
        # once every reachable forum is served, the bounds fall to the people alone
        if served >= instance.reachable_forums and not saturated:
            saturated = True
            heap = [(-priority(k, people_gain(k)), k, False) for _p, k, _e in heap]
        else:
            heap = [(p, k, False) for p, k, _ in heap]
        heapq.heapify(heap)
        if phase.count is not None and len(chosen_in[t]) >= phase.count:
            break


def _swap(
    instance: CapacitatedInstance,
    chosen: list[int],
    scale: float,
    budget: float | None,
    deadline: float | None = None,
    fixed: set[int] | None = None,
    pool: Sequence[int] | None = None,
) -> list[int]:
    """Best improving 1-swaps (within the budget) until none improves or time is up.

    A swap's value is ``forums * scale + people``. Sites are swapped in from ``pool``
    (every candidate when None). For each site taken out, the forums and people of the
    others are found once; each site swapped in then adds its matching gain and the
    people it covers that the others do not.
    """
    fixed = fixed or set()
    pool = range(instance.n_candidates) if pool is None else pool
    csc = instance.community_candidate
    weight = instance.population
    forums, people = instance.score(np.array(chosen, dtype=np.int64))
    current = forums * scale + people
    while not _past(deadline):
        best: tuple[float, int | None, int | None] = (current + 1e-9, None, None)
        for out in chosen:
            if out in fixed:
                continue
            rest = [k for k in chosen if k != out]
            matching = _Matching(instance, rest)
            covered = instance.covered(np.array(rest, dtype=np.int64))
            base = matching.served * scale + float(weight[covered].sum())
            for j in pool:
                if _past(deadline):
                    break
                if j in chosen:
                    continue
                if budget is not None and float(instance.cost[[*rest, j]].sum()) > budget + 1e-9:
                    continue
                rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
                trial = base + matching.gain(j) * scale + float(weight[rows[~covered[rows]]].sum())
                if trial > best[0]:
                    best = (trial, out, j)
        if best[1] is None:
            return chosen
        chosen = [*(k for k in chosen if k != best[1]), int(best[2])]  # type: ignore[arg-type]
        current = best[0]
    return chosen


#: Candidates the interchange tries to swap in: the best by their gain on their own.
SWAP_POOL = 60


def _shortlist(instance: CapacitatedInstance, chosen: list[int], scale: float) -> list[int]:
    """Return the candidates most worth a swap: by forums in reach, then people alone."""
    alone = np.asarray(
        instance.community_candidate.T @ instance.population
    ).ravel() + scale * np.minimum(instance.capacity, instance._forums_in_range)
    alone[chosen] = -np.inf
    size = min(SWAP_POOL, instance.n_candidates)
    best = np.argpartition(-alone, size - 1)[:size] if size else np.zeros(0, dtype=np.int64)
    return [int(j) for j in best if np.isfinite(alone[j])]


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def prune(
    instance: CapacitatedInstance,
    open_phase: np.ndarray,
    n_phases: int,
    conditions: Conditions | None = None,
) -> np.ndarray:
    """Drop sites that add nothing; in one phase, swap sites for cheaper equally good ones.

    Opening a site never lowers the objective, so a solver may open sites that add
    nothing; proposing them would mislead. Sites forced in, and sites a governorate
    minimum needs, stay.
    """
    conditions = conditions or Conditions()
    out = open_phase.copy()
    best = instance.phased_score(out, n_phases)
    forced = {int(j) for j in conditions.force_in}

    def needed(j: int) -> bool:
        gov = instance.governorate[j]
        minimum = conditions.min_sites.get(gov, 0) if gov is not None else 0
        have = int(np.count_nonzero((out >= 0) & (instance.governorate == gov)))
        return j in forced or have <= minimum

    def meets_people(trial: np.ndarray) -> bool:
        if not conditions.min_people:
            return True
        covered = instance.covered(np.flatnonzero(trial >= 0))
        for gov, people in conditions.min_people.items():
            here = covered & (instance.community_governorate == gov)
            if float(instance.population[here].sum()) < people - 1e-6:
                return False
        return True

    for j in sorted(np.flatnonzero(out >= 0).tolist(), key=lambda c: (-instance.cost[c], -c)):
        if needed(j):
            continue
        trial = out.copy()
        trial[j] = -1
        if instance.phased_score(trial, n_phases) >= best and meets_people(trial):
            out = trial
    if n_phases == 1 and not conditions.min_people:
        # among equally good sites prefer the cheaper (a station to rehabilitate over a
        # new build in the same town): only a cheaper candidate that reaches every forum
        # and community the site reaches can replace it, so only those are tried
        communities = _Columns(instance.community_candidate)
        forums = _Columns(instance.forum_candidate)
        for j in np.flatnonzero(out >= 0).tolist():
            if j in forced:
                continue
            covers = communities.supersets(j) & forums.supersets(j)
            cheaper = np.flatnonzero(covers & (instance.cost < instance.cost[j]) & (out < 0))
            for k in cheaper[np.argsort(instance.cost[cheaper], kind="stable")].tolist():
                if conditions.min_sites and instance.governorate[k] != instance.governorate[j]:
                    continue
                trial = out.copy()
                trial[j], trial[k] = -1, 0
                if instance.phased_score(trial, n_phases) >= best:
                    out = trial
                    break
    return out


class _Columns:
    """A boolean matrix, to ask which columns cover all the rows of another column."""

    def __init__(self, matrix: sp.sparray) -> None:
        self.csc = sp.csc_array(matrix, dtype=np.int32)
        self.csr = sp.csr_array(self.csc)

    def supersets(self, j: int) -> np.ndarray:
        """Return the mask of the columns whose rows include every row of column ``j``."""
        rows = self.csc.indices[self.csc.indptr[j] : self.csc.indptr[j + 1]]
        if rows.size == 0:
            return np.ones(self.csc.shape[1], dtype=bool)
        shared = np.asarray(self.csr[rows].sum(axis=0)).ravel()
        return shared == rows.size


# ------------------------------------------------------------------------ reductions


@dataclass
class _Reduced:
    """The model after the exact reductions (positions into the original instance)."""

    candidates: np.ndarray  # kept candidate positions
    forums: np.ndarray  # kept forum positions
    community_rows: sp.csr_array  # merged communities x kept candidates
    weights: np.ndarray
    community_governorate: np.ndarray
    stats: dict[str, object]


def _reduce(instance: CapacitatedInstance, conditions: Conditions) -> _Reduced:
    stats: dict[str, object] = {
        "communities": instance.community_candidate.shape[0],
        "forums": instance.n_forums,
        "candidates": instance.n_candidates,
    }
    by_site = instance.forum_candidate.sum(axis=1) + instance.forum_office.sum(axis=1)
    forums = np.flatnonzero(np.asarray(by_site).ravel() > 0)
    reach_forum = np.asarray(instance.forum_candidate[forums].sum(axis=0)).ravel() > 0
    cc = sp.csr_array(instance.community_candidate)
    keep_rows = (instance.population > 0) & (np.diff(cc.indptr) > 0)
    cc = sp.csr_array(cc[np.flatnonzero(keep_rows)])
    weights = instance.population[keep_rows]
    row_gov = instance.community_governorate[keep_rows]
    forced = np.zeros(instance.n_candidates, dtype=bool)
    forced[list(conditions.force_in)] = True
    protected = forced | np.isin(instance.governorate, list(conditions.min_sites))
    size = np.asarray(cc.sum(axis=0)).ravel()
    useless = (size == 0) & ~reach_forum & ~protected
    dominated = _dominated(cc, instance, ~reach_forum & ~protected & ~useless, conditions)
    keep = np.flatnonzero(~useless & ~dominated)
    sub = sp.csr_array(cc[:, keep])
    sub.sort_indices()
    merged, merged_weights, merged_gov = _merge_rows(sub, weights, row_gov, conditions)
    stats.update(
        communities_reduced=merged.shape[0],
        forums_reduced=int(forums.size),
        candidates_reduced=int(keep.size),
    )
    return _Reduced(keep, forums, merged, merged_weights, merged_gov, stats)


def _merge_rows(
    matrix: sp.csr_array, weights: np.ndarray, governorate: np.ndarray, conditions: Conditions
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Merge identical community rows; per governorate when people minima are set."""
    nonempty = np.flatnonzero(np.diff(matrix.indptr) > 0)
    matrix, weights, governorate = (
        sp.csr_array(matrix[nonempty]), weights[nonempty], governorate[nonempty]
    )
    if not conditions.min_people:
        merged, merged_weights = merge_identical_rows(matrix, weights)
        return merged, merged_weights, np.full(merged.shape[0], None, dtype=object)
    parts, part_weights, part_gov = [], [], []
    for gov in dict.fromkeys(governorate.tolist()):
        rows = np.flatnonzero(governorate == gov)
        merged, merged_weights = merge_identical_rows(sp.csr_array(matrix[rows]), weights[rows])
        parts.append(merged)
        part_weights.append(merged_weights)
        part_gov.append(np.full(merged.shape[0], gov, dtype=object))
    if not parts:
        return matrix, weights, governorate
    return (
        sp.csr_array(sp.vstack(parts)),
        np.concatenate(part_weights),
        np.concatenate(part_gov),
    )


def _dominated(
    matrix: sp.csr_array,
    instance: CapacitatedInstance,
    eligible: np.ndarray,
    conditions: Conditions,
) -> np.ndarray:
    """Candidates (among ``eligible``) whose communities another covers at no higher cost.

    See reduction 3 of the module docstring. Ties (same communities, same cost): the
    lower position stays, so one of every group of equals is kept.
    """
    n = matrix.shape[1]
    mask = np.zeros(n, dtype=bool)
    degree = np.diff(matrix.indptr)
    if n <= 1 or not eligible.any() or float((degree.astype(float) ** 2).sum()) > (
        _MAX_DOMINANCE_WORK
    ):
        return mask
    csc = sp.csc_array(matrix, dtype=np.int32)
    size = np.diff(csc.indptr)
    product = sp.coo_array(csc[:, np.flatnonzero(eligible)].T @ csc)
    jj = np.flatnonzero(eligible)[product.row]
    k, shared = product.col, product.data
    cost = instance.cost
    contained = (shared == size[jj]) & (jj != k) & (size[jj] > 0)
    strictly = (size[k] > size[jj]) | (cost[k] < cost[jj]) | (k < jj)
    wins = contained & (cost[k] <= cost[jj]) & strictly
    if conditions.min_sites:
        wins &= instance.governorate[k] == instance.governorate[jj]
    # a winner that is itself dominated by a third still leaves a winner behind: the
    # relation is a strict order (more communities, then cheaper, then lower position)
    mask[jj[wins]] = True
    return mask


# ------------------------------------------------------------------------ exact model


@dataclass
class _Model:
    """The MILP of :func:`solve_capacitated` for the reduced instance."""

    matrix: sp.csc_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    forum_cost: np.ndarray
    people_cost: np.ndarray
    forum_row: int
    x_cols: np.ndarray  # (phases, kept candidates) column positions of x


def _build(
    instance: CapacitatedInstance,
    reduced: _Reduced,
    plan: list[Phase],
    conditions: Conditions,
) -> _Model:
    n_t = len(plan)
    cand = reduced.candidates
    n_j = cand.size
    f_o = sp.csr_array(instance.forum_office[reduced.forums])
    f_c = sp.csr_array(instance.forum_candidate[reduced.forums][:, cand])
    fo_f, fo_o = f_o.nonzero()
    fc_f, fc_j = f_c.nonzero()
    cc = reduced.community_rows
    cc_i, cc_j = cc.nonzero()
    n_f, n_o, n_y = f_o.shape[0], instance.n_offices, cc.shape[0]
    n_zo, n_zc = fo_f.size, fc_f.size
    per_phase = n_j + n_zo + n_zc + n_y
    n_cols = per_phase * n_t
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

    def bounds(n: int, lo: float, hi: np.ndarray | float) -> None:
        lower.append(np.full(n, lo))
        upper.append(np.broadcast_to(np.asarray(hi, dtype=float), (n,)).copy())

    x_cols = np.zeros((n_t, n_j), dtype=np.int64)
    forum_cost = np.zeros(n_cols)
    people_cost = np.zeros(n_cols)
    inf = np.inf
    for t in range(n_t):
        x0 = t * per_phase
        zo0, zc0, y0 = x0 + n_j, x0 + n_j + n_zo, x0 + n_j + n_zo + n_zc
        x_cols[t] = x0 + np.arange(n_j)
        forum_cost[zo0:y0] = 1.0
        people_cost[y0 : y0 + n_y] = reduced.weights
        # each forum at most once
        block(row + fo_f, zo0 + np.arange(n_zo), 1.0)
        block(row + fc_f, zc0 + np.arange(n_zc), 1.0)
        bounds(n_f, -inf, 1.0)
        row += n_f
        # office capacity
        block(row + fo_o, zo0 + np.arange(n_zo), 1.0)
        bounds(n_o, -inf, float(instance.capacity))
        row += n_o
        # candidate capacity, only when open
        block(row + fc_j, zc0 + np.arange(n_zc), 1.0)
        block(row + np.arange(n_j), x0 + np.arange(n_j), -float(instance.capacity))
        bounds(n_j, -inf, 0.0)
        row += n_j
        # z_fj <= x_j
        block(row + np.arange(n_zc), zc0 + np.arange(n_zc), 1.0)
        block(row + np.arange(n_zc), x0 + fc_j, -1.0)
        bounds(n_zc, -inf, 0.0)
        row += n_zc
        # y_i <= sum x_j over N_i
        block(row + np.arange(n_y), y0 + np.arange(n_y), 1.0)
        block(row + cc_i, x0 + cc_j, -1.0)
        bounds(n_y, -inf, 0.0)
        row += n_y
        previous = x_cols[t - 1] if t else None
        if previous is not None:
            # opened before, still open
            block(row + np.arange(n_j), previous, 1.0)
            block(row + np.arange(n_j), x_cols[t], -1.0)
            bounds(n_j, -inf, 0.0)
            row += n_j
        phase = plan[t]
        for amount, limit in (
            (np.ones(n_j), phase.count),
            (instance.cost[reduced.candidates], phase.budget),
        ):
            if limit is None:
                continue
            block(np.full(n_j, row), x_cols[t], amount)
            if previous is not None:
                block(np.full(n_j, row), previous, -amount)
            bounds(1, -inf, float(limit))
            row += 1
    last = x_cols[-1]
    gov = instance.governorate[reduced.candidates]
    for name, minimum in conditions.min_sites.items():
        members = np.flatnonzero(gov == name)
        block(np.full(members.size, row), last[members], 1.0)
        bounds(1, float(minimum), inf)
        row += 1
    y_last = (n_t - 1) * per_phase + n_j + n_zo + n_zc
    for name, people in conditions.min_people.items():
        members = np.flatnonzero(reduced.community_governorate == name)
        block(np.full(members.size, row), y_last + members, reduced.weights[members])
        bounds(1, float(people), inf)
        row += 1
    forum_row = row
    block(np.full(int(np.count_nonzero(forum_cost)), row), np.flatnonzero(forum_cost), 1.0)
    bounds(1, -inf, inf)
    row += 1
    matrix = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, n_cols)
    )
    integer = np.zeros(n_cols, dtype=bool)
    integer[x_cols.ravel()] = True
    col_lower = np.zeros(n_cols)
    position = {int(c): i for i, c in enumerate(reduced.candidates)}
    for j in conditions.force_in:
        col_lower[last[position[int(j)]]] = 1.0
    return _Model(
        matrix,
        np.concatenate(lower),
        np.concatenate(upper),
        col_lower,
        np.ones(n_cols),
        integer,
        forum_cost,
        people_cost,
        forum_row,
        x_cols,
    )


def solve_capacitated(
    instance: CapacitatedInstance,
    n_sites: int | None = None,
    *,
    budget: float | None = None,
    phases: Sequence[Phase] | None = None,
    conditions: Conditions | None = None,
    time_limit_s: float | None = None,
    reduce: bool = True,
    warm_start: bool = True,
) -> CapacitatedAnswer:
    """Solve the capacitated proposal MILP exactly (see the module docstring).

    ``time_limit_s`` bounds the whole solve (warm start and both stages, seconds); when
    it stops the solver, the answer is the best found and carries its proven gap.
    ``reduce`` and ``warm_start`` switch the reductions and the greedy start off (for
    benchmarks: the textbook model).

    Raises
    ------
    ValueError
        When no plan meets every condition (the message says which ones there were).
    """
    started = time.perf_counter()
    plan = phases_of(instance, n_sites, budget, phases)
    conditions = conditions or Conditions()

    def left(share: float = 1.0) -> float | None:
        if time_limit_s is None:
            return None
        return max(0.05, (time_limit_s - (time.perf_counter() - started)) * share)

    reduced = _reduce(instance, conditions) if reduce else _unreduced(instance)
    if reduce and reduced.community_rows.nnz * len(plan) > LARGE_MODEL_NNZ:
        return _solve_large(instance, reduced, plan, conditions, left, started)
    model = _build(instance, reduced, plan, conditions)
    start = None
    if warm_start:
        # the warm start may use a fifth of the time; what is left goes to the two stages
        greedy = greedy_capacitated(
            instance, phases=plan, conditions=conditions, time_limit_s=left(0.2)
        )
        start = _start_from(instance, reduced, model, greedy.open_phase)
    stats = dict(reduced.stats)
    try:
        first = solve_milp(
            model.forum_cost,
            model.matrix,
            model.row_lower,
            model.row_upper,
            model.col_lower,
            model.col_upper,
            model.integer,
            maximize=True,
            time_limit_s=left(0.5),
            start=start,
            abs_gap=0.5,
        )
    except SolverError as exc:
        msg = f"no plan meets every condition ({_describe(plan, conditions)}): {exc}"
        raise ValueError(msg) from exc
    # forums served is an integer: round the first stage's value before fixing it
    model.row_lower[model.forum_row] = float(np.floor(first.objective + 1e-4))
    total_cost = float(instance.cost[reduced.candidates].sum())
    eps = 0.5 / (total_cost + 1.0)
    people = model.people_cost.copy()
    people[model.x_cols[-1]] -= eps * instance.cost[reduced.candidates]
    # the first stage's answer leaves y at whatever it liked: give the second stage the
    # people that answer really covers
    open_first = _phase_of(instance, reduced.candidates, first.x[model.x_cols])
    second_start = _start_from(instance, reduced, model, open_first)
    second_start = np.where(model.forum_cost > 0, first.x, second_start)
    second = solve_milp(
        people,
        model.matrix,
        model.row_lower,
        model.row_upper,
        model.col_lower,
        model.col_upper,
        model.integer,
        maximize=True,
        time_limit_s=left(),
        start=second_start,
        abs_gap=0.4,
    )
    open_phase = _phase_of(instance, reduced.candidates, second.x[model.x_cols])
    open_phase = prune(instance, open_phase, len(plan), conditions)
    selected = np.flatnonzero(open_phase >= 0).astype(np.int64)
    forums, population = instance.phased_score(open_phase, len(plan))
    optimal = first.optimal and second.optimal
    bound = second.bound + eps * float(instance.cost[selected].sum())
    gap = 0.0 if optimal else relative_gap(population, bound)
    stats.update(seconds=time.perf_counter() - started, stage1_s=first.seconds,
                 stage2_s=second.seconds, rows=model.matrix.shape[0], cols=model.matrix.shape[1])
    return CapacitatedAnswer(
        selected, forums, population, optimal, gap, open_phase=open_phase, stats=stats
    )


def _solve_large(
    instance: CapacitatedInstance,
    reduced: _Reduced,
    plan: list[Phase],
    conditions: Conditions,
    left: Callable[..., float | None],
    started: float,
) -> CapacitatedAnswer:
    """Solve a plan too big for the compact model: forums exact, then people by cuts.

    1. The greedy plan, a first answer.
    2. The forums: ``F*``, the most forums any plan serves (exact: communities do not
       constrain forums). The greedy's forums when they meet :func:`_forum_bound`;
       else the forum rows alone, candidates reaching the same forums pooled
       (:func:`cpgeo.siting._joint.forum_master`).
    3. The people: among the plans serving ``F*``, the most people summed over the
       phases. A bound by maximal covering (:func:`_people_relaxation`) first; when a
       plan meets it, that plan is optimal. Else Benders cuts over the communities
       (:mod:`cpgeo.siting._joint`), with a bound that holds for every such plan.

    Plans with a minimum number of people in a governorate get the greedy answer (a
    minimum on the people covered cannot be written with the cuts' upper bounds).
    """
    from cpgeo.siting._joint import Master, flows_for, forum_master, people_stage

    greedy = greedy_capacitated(instance, phases=plan, conditions=conditions,
                                time_limit_s=left(0.1))
    if conditions.min_people:
        stats = dict(reduced.stats, method="greedy (too big for the exact model)",
                     seconds=time.perf_counter() - started)
        return replace(greedy, stats=stats)
    limits = [(phase.count, phase.budget) for phase in plan]
    forum_office = sp.csr_array(instance.forum_office[reduced.forums])

    def master(candidates: np.ndarray) -> Master:
        governorate = instance.governorate[candidates]
        return forum_master(
            forum_office,
            sp.csr_array(instance.forum_candidate[reduced.forums][:, candidates]),
            instance.capacity,
            limits,
            instance.cost[candidates],
            [(np.flatnonzero(governorate == g), m) for g, m in conditions.min_sites.items()],
            np.flatnonzero(np.isin(candidates, list(conditions.force_in))),
        )

    def plan_x(candidates: np.ndarray, open_phase: np.ndarray) -> np.ndarray:
        kept = open_phase[candidates]
        return np.array([(kept >= 0) & (kept <= t) for t in range(len(plan))], dtype=float)

    # F* needs only the candidates that reach forums (and those the conditions name)
    cands = reduced.candidates
    in_reach = np.asarray(instance.forum_candidate[:, cands].sum(axis=0)).ravel() > 0
    named = np.isin(cands, list(conditions.force_in)) | np.isin(
        instance.governorate[cands], list(conditions.min_sites)
    )
    near = cands[in_reach | named]
    forums_proven, most = True, 0.0
    alone = instance.forums_served(np.zeros(0, dtype=np.int64))
    site_limits = _site_limits(instance, plan)
    forum_bound = _forum_bound(instance, site_limits, alone)
    best_forums = greedy.open_phase
    if greedy.forums_served >= forum_bound:  # the greedy's forums meet the bound: proven
        most = float(greedy.forums_served)
    elif near.size:  # else no forum has a site in reach: none is served
        small = master(near)
        try:
            first = solve_milp(
                small.forum_cost, small.matrix, small.row_lower, small.row_upper,
                small.col_lower, small.col_upper, small.integer, maximize=True,
                time_limit_s=left(0.2), abs_gap=0.5,
                start=flows_for(small, plan_x(near, greedy.open_phase)),
            )
        except SolverError:  # stopped before any plan: the greedy's forums, unproven
            first = None
        forums_proven = first is not None and first.optimal
        if first is not None and np.isfinite(first.bound):
            forum_bound = min(float(np.floor(first.bound + 1e-6)), forum_bound)
        most = float(greedy.forums_served if first is None else np.floor(first.objective + 1e-4))
        if first is not None and greedy.forums_served < most:
            best_forums = _phase_of(instance, near, first.x[small.x_cols])
    # the people: first a bound by maximal covering, which may prove a plan at once.
    # Over several phases it ignores that sites stay open, so it is tried there only
    # when the forums leave few candidates (the filter of _people_relaxation bites).
    relaxed, relaxed_plan = np.inf, None
    if len(plan) == 1 or _forum_slack(instance, site_limits, alone, most) < instance.capacity:
        relaxed, relaxed_plan = _people_relaxation(
            instance, reduced, site_limits, conditions, alone, most, left(0.6)
        )
    incumbent, score = best_forums, instance.phased_score(best_forums, len(plan))
    if relaxed_plan is not None:
        trial = np.full(instance.n_candidates, -1, dtype=np.int64)
        trial[cands[relaxed_plan]] = 0
        trial_score = instance.phased_score(trial, len(plan))
        if trial_score[0] >= most and trial_score > score and _meets(
            instance, trial, plan, conditions
        ):
            incumbent, score = trial, trial_score
    people = score[1]
    lp_rounds = mip_rounds = 0
    bound, how = relaxed, "people bounded by maximal covering"
    if forums_proven and np.isfinite(relaxed) and people >= relaxed - 1e-6 * max(1.0, relaxed):
        chosen = incumbent
    else:
        model = master(cands)
        model.row_lower[model.forum_row] = most
        remaining = left()
        joint = people_stage(
            model,
            reduced.community_rows,
            reduced.weights,
            plan_x(cands, incumbent),
            None if remaining is None else time.perf_counter() + remaining,
        )
        chosen, bound = _phase_of(instance, cands, joint.x), min(relaxed, joint.bound)
        lp_rounds, mip_rounds = joint.lp_rounds, joint.mip_rounds
        how = "people by Benders cuts"
    open_phase = prune(instance, chosen, len(plan), conditions)
    forums, population = instance.phased_score(open_phase, len(plan))
    if (greedy.forums_served, greedy.population) > (forums, population):
        open_phase, forums, population = greedy.open_phase, greedy.forums_served, greedy.population
    selected = np.flatnonzero(open_phase >= 0).astype(np.int64)
    bound = max(bound, population)
    optimal = forums_proven and population >= bound - 1e-6 * max(1.0, bound)
    gap = 0.0 if optimal else relative_gap(population, bound)
    if not forums_proven:
        # the forums come first: while they are not proven, their gap is the one to tell
        gap = relative_gap(float(forums), max(forum_bound, float(forums)))
    stats = dict(
        reduced.stats,
        method=f"forums exact, {how}",
        seconds=time.perf_counter() - started,
        forums_proven=forums_proven,
        people_bound=bound,
        people_relaxation=relaxed if np.isfinite(relaxed) else None,
        lp_rounds=lp_rounds,
        mip_rounds=mip_rounds,
    )
    return CapacitatedAnswer(
        selected, forums, population, optimal, gap, open_phase=open_phase, stats=stats
    )


def _site_limits(instance: CapacitatedInstance, plan: list[Phase]) -> list[int]:
    """Return the most sites any plan has open by each phase.

    Each phase opens at most its count, and at most as many sites as its budget buys at
    the cheapest costs.
    """
    spent_cheapest = np.cumsum(np.sort(instance.cost))
    limits, sites = [], 0
    for phase in plan:
        new = instance.n_candidates
        if phase.count is not None:
            new = min(new, phase.count)
        if phase.budget is not None:
            bought = np.searchsorted(spent_cheapest, phase.budget + 1e-9, "right")
            new = min(new, int(bought))
        sites = min(instance.n_candidates, sites + new)
        limits.append(sites)
    return limits


def _forum_bound(instance: CapacitatedInstance, limits: list[int], alone: int) -> float:
    """Return a bound on the forums served summed over the phases, without a solver.

    The most forums served is a submodular function of the sites open (the rank of a
    transversal matroid, each site taking up to ``K`` forums), and one site alone raises
    it by at most ``K``: so by phase ``t`` no plan serves more than the existing offices
    ``alone``, plus ``K`` per site open by then (``limits``), nor more than the forums
    with some site in reach.
    """
    reach = instance.reachable_forums
    return float(sum(min(reach, alone + instance.capacity * n) for n in limits))


def _forum_slack(
    instance: CapacitatedInstance, limits: list[int], alone: int, most: float
) -> float:
    """Return ``sum_t (alone + K n_t) - most``: how far ``most`` is below the plain bound."""
    return sum(alone + instance.capacity * n for n in limits) - most


def _people_relaxation(
    instance: CapacitatedInstance,
    reduced: _Reduced,
    limits: list[int],
    conditions: Conditions,
    alone: int,
    most: float,
    time_limit_s: float | None,
) -> tuple[float, np.ndarray | None]:
    """Bound the people of every plan that serves ``most`` forums, by maximal covering.

    Submodularity gives a filter first. With ``D = sum_t (alone + K n_t) - most``, where
    ``n_t`` are the ``limits``, the last phase of such a plan serves at least
    ``alone + K n_T - D`` forums; its sites' gains add up to at least that, each at most
    ``K``, so each of its sites alone adds at least ``K - D`` forums to the existing
    offices. The other candidates are in no such plan. Dropping then the forum rows,
    the budgets and the governorate minima only enlarges the plans allowed, so the
    maximal covering optimum with ``n_t`` sites over the candidates kept (those forced
    in open) bounds each phase's people, and their sum the plan's.

    Returns the bound (``inf`` when a solve gave none) and, for a one-phase plan, the
    maximal covering plan (positions in ``reduced.candidates``), which the caller checks
    against the forums and the conditions before using it.
    """
    from cpgeo.siting._covering import solve_mclp

    cands = reduced.candidates
    capacity = instance.capacity
    slack = _forum_slack(instance, limits, alone, most)
    kept = np.arange(cands.size)
    if slack < capacity:
        matching = _Matching(instance, [])
        gains = np.array([matching.gain(int(j)) for j in cands.tolist()], dtype=np.int64)
        named = np.isin(cands, list(conditions.force_in))
        kept = np.flatnonzero((gains >= capacity - slack) | named)
    forced = np.flatnonzero(np.isin(cands[kept], list(conditions.force_in)))
    coverage = reduced.community_rows[:, kept]
    started = time.perf_counter()
    bound, plan, answers = 0.0, None, {}
    for t, n in enumerate(limits):
        # sites forced in are open by the last phase, not necessarily before
        fixed = forced if t == len(limits) - 1 else forced[:0]
        key = (n, fixed.size)
        if key not in answers:
            left = None if time_limit_s is None else time_limit_s - (time.perf_counter() - started)
            if left is not None and left <= 0:
                return np.inf, None
            p = max(0, min(n, kept.size) - fixed.size)
            answer = solve_mclp(
                coverage,
                reduced.weights,
                p,
                fixed=fixed,
                time_limit_s=None if left is None else left / (len(limits) - t),
            )
            if not np.isfinite(answer.gap):
                return np.inf, None
            answers[key] = answer
        answer = answers[key]
        bound += answer.objective + answer.gap * max(abs(answer.objective), 1e-9)
        if len(limits) == 1:
            plan = kept[np.r_[np.asarray(answer.selected, dtype=np.int64), fixed]]
    return bound, plan


def _meets(
    instance: CapacitatedInstance,
    open_phase: np.ndarray,
    plan: list[Phase],
    conditions: Conditions,
) -> bool:
    """Return whether a plan keeps every phase's count and budget and every condition."""
    for t, phase in enumerate(plan):
        opened = np.flatnonzero(open_phase == t)
        if phase.count is not None and opened.size > phase.count:
            return False
        if phase.budget is not None and instance.cost[opened].sum() > phase.budget + 1e-9:
            return False
    open_last = open_phase >= 0
    if not all(open_last[int(j)] for j in conditions.force_in):
        return False
    for gov, minimum in conditions.min_sites.items():
        if np.count_nonzero(open_last & (instance.governorate == gov)) < minimum:
            return False
    return not conditions.min_people


def _phase_of(
    instance: CapacitatedInstance, candidates: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """Return each candidate's opening phase (-1: never).

    ``x`` is phases x ``candidates``, 1 where the candidate is open by that phase.
    """
    open_phase = np.full(instance.n_candidates, -1, dtype=np.int64)
    for t in range(x.shape[0] - 1, -1, -1):
        open_phase[candidates[x[t] > 0.5]] = t
    return open_phase


def _unreduced(instance: CapacitatedInstance) -> _Reduced:
    cc = sp.csr_array(instance.community_candidate)
    return _Reduced(
        np.arange(instance.n_candidates),
        np.arange(instance.n_forums),
        cc,
        instance.population.copy(),
        instance.community_governorate.copy(),
        {"communities": cc.shape[0], "forums": instance.n_forums,
         "candidates": instance.n_candidates},
    )


def _start_from(
    instance: CapacitatedInstance, reduced: _Reduced, model: _Model, open_phase: np.ndarray
) -> np.ndarray:
    """Columns of a feasible start: the greedy's x, and y as the coverage it gives."""
    start = np.zeros(model.matrix.shape[1])
    kept = open_phase[reduced.candidates]
    n_j = reduced.candidates.size
    per_phase = model.matrix.shape[1] // max(1, model.x_cols.shape[0])
    y_offset = per_phase - reduced.community_rows.shape[0]
    for t in range(model.x_cols.shape[0]):
        x = ((kept >= 0) & (kept <= t)).astype(float)
        start[model.x_cols[t]] = x
        y0 = t * per_phase + y_offset
        start[y0 : y0 + reduced.community_rows.shape[0]] = np.minimum(
            1.0, reduced.community_rows @ x
        )
    del n_j
    return start


def _describe(plan: list[Phase], conditions: Conditions) -> str:
    parts = []
    for t, phase in enumerate(plan, start=1):
        limits = [
            *([f"{phase.count} site(s)"] if phase.count is not None else []),
            *([f"budget {phase.budget:g}"] if phase.budget is not None else []),
        ]
        parts.append(f"phase {t}: {', '.join(limits)}" if len(plan) > 1 else ", ".join(limits))
    if conditions.force_in:
        parts.append(f"{len(conditions.force_in)} site(s) forced in")
    parts += [f"at least {m} new site(s) in {g}" for g, m in conditions.min_sites.items()]
    parts += [
        f"at least {p:,.0f} more people covered in {g}" for g, p in conditions.min_people.items()
    ]
    return "; ".join(parts)
