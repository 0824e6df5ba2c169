"""Ranked proposals of new and rehabilitated office sites, with the reason for each.

:func:`propose_sites` is the thin GeoDataFrame adapter over the capacitated proposal
model (:mod:`cpgeo.siting._capacitated`): it builds the candidate sites, the geodesic
coverage matrices (WGS84, :func:`cpgeo.coverage.coverage_matrix`), solves, ranks the
chosen sites and describes the before / after state with :func:`cpgeo.figures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo._figures import COUNT_KEYS, Figures
from cpgeo._ids import id_array
from cpgeo._log import log
from cpgeo.admin import AREA_COLUMNS
from cpgeo.coverage import CpfAssignment, assign_cpfs, coverage_matrix
from cpgeo.labels import site_reason
from cpgeo.regions import resolve_governorates
from cpgeo.siting._capacitated import (
    CapacitatedInstance,
    Conditions,
    Phase,
    greedy_capacitated,
    solve_capacitated,
)
from cpgeo.siting.candidates import CANDIDATE_TYPES, apply_costs, candidate_sites

if TYPE_CHECKING:
    from cpgeo.scenario import Scenario

#: Per-site figures: the change each figure takes when the site is added after the
#: higher-ranked ones (the figures that no site can change are left out).
SITE_FIGURE_KEYS: tuple[str, ...] = (
    "communities_within_radius",
    "population_within_radius",
    "communities_outside_radius_focus",
    "population_outside_radius_focus",
    "offices",
    "offices_over_capacity",
    "forums_served_within_capacity",
    "forums_without_office_in_range",
    "forums_beyond_declared_office",
    "forums_unknown_office",
)

#: The figures :meth:`Proposal.change_by` compares per governorate or district.
CHANGE_KEYS = (
    "communities_within_radius",
    "population_within_radius",
    "offices",
    "forums_served_within_capacity",
)

SITE_COLUMNS = [
    "rank",
    "phase",
    "id",
    "name",
    "type",
    "governorate",
    "cost",
    *SITE_FIGURE_KEYS,
    "new_community_names",
    "relieved_offices",
    "forums_assigned",
    "reason",
    "geometry",
]


@dataclass(frozen=True)
class Proposal:
    """Ranked site proposals and what they change.

    The before / after figures are :func:`cpgeo.figures` of the scenario as it is, and
    of the scenario with the proposed sites opened as offices and every forum that the
    proposal serves re-declared to the office that serves it (a forum the proposal
    cannot serve keeps its declaration). The change is told in steps that add up
    exactly: first the forums re-declared among the existing offices (:attr:`reassignment`;
    a proposal of no site may still make this step), then the sites one by one in rank
    order (the per-site figures of :attr:`sites`).

    Attributes
    ----------
    sites
        EPSG:4326 points, index ``rank`` (1 = proposed first), columns ``rank``, ``id``,
        ``name``, ``type`` (``"rehabilitate"`` or ``"new_build"``), ``governorate``,
        ``cost``; the per-site figures (:data:`SITE_FIGURE_KEYS`: the change of each
        figure when this site is added after the higher-ranked ones; Int64, NA where a
        population is unknown); ``new_community_names`` (``"; "``-joined names of the
        communities it brings within the radius); ``relieved_offices`` (``"; "``-joined
        ids of offices over capacity before it that carry fewer forums with it);
        ``forums_assigned`` (forums declared to the new office after the proposal);
        ``reason`` (one sentence built from those numbers).
    summary
        Indexed by figure key (:data:`cpgeo._figures.COUNT_KEYS`), columns ``before``,
        ``after`` and ``change`` (Int64; NA where a population is unknown).
    reassignment
        Figure key -> change from re-declaring forums among the existing offices, before
        any site (Int64).
    n_reassigned
        Forums that this first step re-declares.
    candidates
        Every candidate considered (see :func:`cpgeo.siting.candidate_sites`) with a
        ``selected`` column.
    assignment
        The forums' capacity-respecting assignment with the proposed sites open;
        ``office_before`` and ``moved`` compare it with today's offices.
    before, after
        :func:`cpgeo.figures` of the scenario without and with the proposal.
    optimal
        True when the exact model proved the proposal optimal (always False for greedy).
    gap
        Relative gap of the population stage, 0.0 when optimal, NaN for greedy.
    method, radius_km, max_cpfs, governorates
        The options used.
    phases
        The figures before and after each phase (columns ``before``, ``phase 1``, ...;
        indexed by figure key, Int64); one phase column for a plan that is not phased.
    stats
        Model sizes before and after the exact reductions, and timings (informal keys).
    """

    sites: gpd.GeoDataFrame
    summary: pd.DataFrame
    reassignment: pd.Series
    n_reassigned: int
    candidates: gpd.GeoDataFrame
    assignment: CpfAssignment
    before: Figures
    after: Figures
    optimal: bool
    gap: float
    method: str
    radius_km: float
    max_cpfs: int
    governorates: tuple[str, ...] = field(default_factory=tuple)
    phases: pd.DataFrame = field(default_factory=pd.DataFrame)
    stats: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def coverage(self) -> gpd.GeoDataFrame:
        """Communities with ``covered`` etc. with the proposed sites open."""
        return self.after.coverage

    def change_by(self, by: str = "governorate") -> pd.DataFrame:
        """Compare each governorate's or district's figures before and after the proposal.

        Parameters
        ----------
        by
            ``{"governorate", "district"}`` (districts need district boundaries, see
            :meth:`cpgeo.Figures.table`).

        Returns
        -------
        pandas.DataFrame
            The key columns of :meth:`cpgeo.Figures.table` (``governorate``; with
            districts also ``district_pcode``, ``district``), then for each of
            ``communities_within_radius``, ``population_within_radius``, ``offices``
            and ``forums_served_within_capacity`` the columns ``<figure>_before``,
            ``<figure>_after`` and ``<figure>_change`` (Int64; NA where a population is
            unknown). One row per group of either table; a group missing from one
            counts 0 there.
        """
        keys = ["governorate", "district_pcode", "district"] if by == "district" else [
            "governorate"
        ]
        before, after = self.before.table(by), self.after.table(by)
        merged = before[keys + list(CHANGE_KEYS)].merge(
            after[keys + list(CHANGE_KEYS)], on=keys, how="outer",
            suffixes=("_before", "_after"), sort=True,
        )
        out = merged[keys].copy()
        for key in CHANGE_KEYS:
            b = pd.array(merged[f"{key}_before"].tolist(), dtype="Int64")
            a = pd.array(merged[f"{key}_after"].tolist(), dtype="Int64")
            if key not in ("population_within_radius",):  # counts: absent means 0
                b, a = b.fillna(0), a.fillna(0)
            out[f"{key}_before"], out[f"{key}_after"] = b, a
            out[f"{key}_change"] = a - b
        return out.reset_index(drop=True)


def _points(layer: gpd.GeoDataFrame | None, what: str) -> gpd.GeoDataFrame:
    if layer is None:
        msg = f"the scenario has no {what} layer"
        raise InputError(msg)
    if layer.crs is None:
        msg = f"the {what} layer has no CRS; cpgeo expects EPSG:4326 points"
        raise InputError(msg)
    return layer if layer.crs.equals("EPSG:4326") else layer.to_crs(4326)


def plan_sites(
    scenario: Scenario,
    n_sites: int | None = None,
    *,
    budget: float | None = None,
    costs: Mapping[str, float] | None = None,
    force_in: Iterable[str] = (),
    force_out: Iterable[str] = (),
    min_per_governorate: Mapping[str, int] | None = None,
    min_share: Mapping[str, float] | None = None,
    phases: Sequence[int | float | tuple[int | None, float | None]] | None = None,
    governorates: Iterable[str] | str | None = None,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
    method: Literal["exact", "greedy"] = "exact",
    candidate_types: Iterable[str] = CANDIDATE_TYPES,
    grid_km: float | None = None,
    time_limit_s: float | None = 60.0,
    roads: Any = None,
) -> Proposal:
    """Propose where to rehabilitate or build offices: forums served first, then people.

    Candidates (stations to rehabilitate, communities, optionally grid points) lie in
    the chosen governorates; demand is every community and every forum of the scenario,
    so cover across a governorate line counts. The model (formulation in
    :mod:`cpgeo.siting._capacitated`) keeps the existing offices open, lets each office
    serve at most ``max_cpfs`` forums within ``radius_km`` (geodesic, WGS84), and picks
    candidates maximising first the forums served within capacity, then the population
    newly within the radius of an office (communities of unknown population weigh 0),
    each summed over the phases; of equally good plans, the cheaper.

    The before / after and per-site figures are :func:`cpgeo.figures` of the scenario
    as it is and with the sites opened one by one, phase by phase and in rank order (see
    :class:`Proposal`).

    Parameters
    ----------
    scenario
        Layers in EPSG:4326 (see :class:`cpgeo.Scenario`).
    n_sites
        Number of sites to propose (at most: a site that adds nothing is not proposed,
        and there may be fewer candidates); None when only ``budget`` limits the
        proposal.
    budget
        Total cost allowed (see ``costs``); None for no budget.
    costs
        Costs by candidate type (``{"rehabilitate": 1.0, "new_build": 2.5}``, the
        defaults) and / or by candidate (its ``id`` or its station's / community's id).
        A ``cost`` column in the stations layer gives each station its own cost.
    force_in, force_out
        Candidates (``id`` or station / community id) that must be / must not be opened.
    min_per_governorate
        Governorate -> minimum number of new sites there.
    min_share
        Governorate -> minimum share (0..1) of its population (known populations)
        within the radius of an office once the plan is carried out.
    phases
        Several phases instead of ``n_sites`` / ``budget``: one entry a phase, an ``int``
        for a number of sites, a ``float`` for a budget, or ``(count, budget)``. Sites
        opened in a phase stay open in the later ones; the plan maximises the forums
        served, then the people covered, summed over the phases.
    governorates
        Where candidates may be, and the focus governorates of the figures; None means
        ``settings.FOCUS_GOVERNORATES``.
    radius_km
        Catchment radius, kilometres on the WGS84 ellipsoid; None means
        ``settings.radius_km``.
    max_cpfs
        Forums one office can serve; None means ``settings.max_cpfs``.
    method
        ``{"exact", "greedy"}``: the MILP (proven optimal unless the time limit stops
        it) or lazy greedy with interchange (instant, no proof).
    candidate_types
        Subset of ``{"rehabilitate", "new_build"}``.
    grid_km
        Spacing (km) of extra ``"new_build"`` grid candidates; None for none.
    time_limit_s
        Time limit of the whole search, seconds (default 60): the exact method then
        answers with the best proposal found and its proven gap, the greedy one with the
        sites chosen so far. None for no limit.
    roads
        A road graph (e.g. :func:`cpgeo.coverage.network.road_graph_from_xml`): the
        model's catchments are then ``radius_km`` **along the roads**
        (:func:`cpgeo.coverage.road_coverage_matrix`) instead of the geodesic radius.
        The before / after and per-site figures stay :func:`cpgeo.figures`, by radius:
        they show what the sites chosen by road do for the radius figures.

    Returns
    -------
    Proposal
        ``.sites`` (ranked GeoDataFrame, EPSG:4326), ``.summary`` (before / after by
        figure key), ``.phases`` (the figures after each phase), see :class:`Proposal`.

    Raises
    ------
    InputError
        Unknown governorate, method, candidate type or candidate id; no candidate;
        ``n_sites`` not a whole number >= 0; neither ``n_sites``, ``budget`` nor
        ``phases`` (or ``phases`` with either); a time limit that is not a positive
        number; conditions that no plan can meet (the message says which).
    """
    from cpgeo._figures import figures

    if method not in ("exact", "greedy"):
        msg = f"method must be 'exact' or 'greedy', got {method!r}"
        raise InputError(msg)
    radius = settings.radius_km if radius_km is None else float(radius_km)
    capacity = settings.max_cpfs if max_cpfs is None else int(max_cpfs)
    if not (np.isfinite(radius) and radius > 0):
        msg = f"radius_km must be > 0 km, got {radius_km!r}"
        raise InputError(msg)
    if capacity < 0:
        msg = f"max_cpfs must be >= 0, got {max_cpfs!r}"
        raise InputError(msg)
    if time_limit_s is not None and not (np.isfinite(time_limit_s) and time_limit_s > 0):
        msg = f"time_limit_s must be a positive number of seconds, got {time_limit_s!r}"
        raise InputError(msg)
    chosen = resolve_governorates(governorates)
    candidates = candidate_sites(
        scenario,
        governorates=chosen,
        candidate_types=candidate_types,
        grid_km=grid_km,
        costs=costs,
    )
    apply_costs(candidates, costs)
    candidates = _drop(candidates, force_out)
    if not len(candidates):
        msg = f"no candidate sites in {', '.join(chosen)} (types {tuple(candidate_types)})"
        raise InputError(msg)
    plan = _phases(n_sites, budget, phases, len(candidates))
    offices = _points(scenario.offices, "offices")
    cpfs = _points(scenario.cpfs, "cpfs")
    communities = _points(scenario.communities, "communities")

    covered_before, cpf_office, cpf_candidate, outside_candidate = _catchments(
        communities, cpfs, offices, candidates, radius, roads
    )
    outside = np.flatnonzero(~covered_before)
    population = _weights(communities)
    instance = CapacitatedInstance(
        cpf_office,
        cpf_candidate,
        outside_candidate,
        population[outside],
        capacity,
        candidates["cost"].to_numpy(dtype=float),
        governorate=candidates["governorate"].to_numpy(dtype=object),
        community_governorate=communities["governorate"].iloc[outside].to_numpy(dtype=object),
    )
    conditions = Conditions(
        force_in=_positions(candidates, force_in),
        min_sites=_minimum_sites(min_per_governorate, candidates, chosen),
        min_people=_minimum_people(min_share, communities, population, covered_before, instance),
    )
    _check_feasible(instance, plan, conditions)
    try:
        if method == "exact":
            answer = solve_capacitated(
                instance, phases=plan, conditions=conditions, time_limit_s=time_limit_s
            )
        else:
            answer = greedy_capacitated(
                instance, phases=plan, conditions=conditions, time_limit_s=time_limit_s
            )
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    order, phase_of = _rank(instance, answer.open_phase)
    chosen_sites = candidates.iloc[order]

    def state(k: int) -> tuple[Figures, CpfAssignment]:
        opened = _open(offices, chosen_sites.iloc[:k])
        assignment = assign_cpfs(opened, cpfs, radius, capacity)
        redeclared = scenario.with_layers(
            offices=opened, cpfs=_redeclare(cpfs, assignment), communities=communities
        )
        fig = figures(redeclared, radius_km=radius, max_cpfs=capacity, governorates=chosen)
        return fig, assignment

    before = figures(scenario, radius_km=radius, max_cpfs=capacity, governorates=chosen)
    steps = [state(k) for k in range(len(order) + 1)]
    after, final = steps[-1]
    assignment = _compare_with_today(final, before)
    n_reassigned = int(
        (
            steps[0][1].cpfs["served"].to_numpy(dtype=bool)
            & (
                steps[0][1].cpfs["assigned_office"].fillna("")
                != before.forums["assigned_office"].fillna("")
            ).to_numpy(dtype=bool)
        ).sum()
    )
    figs = [before] + [fig for fig, _ in steps]
    sites = _site_table(chosen_sites, figs, radius, phase_of)
    summary = _summary(before, after)
    table = candidates.copy()
    table["selected"] = False
    table.loc[table.index[order], "selected"] = True
    log(
        f"plan_sites: {len(sites)} of {len(candidates)} candidates in {', '.join(chosen)} "
        f"({method}, {len(plan)} phase(s)), forums served "
        f"{before['forums_served_within_capacity']} -> "
        f"{after['forums_served_within_capacity']}, optimal={answer.optimal}"
    )
    return Proposal(
        sites=sites,
        summary=summary,
        reassignment=_changes(before, figs[1], COUNT_KEYS),
        n_reassigned=n_reassigned,
        candidates=table,
        assignment=assignment,
        before=before,
        after=after,
        optimal=answer.optimal,
        gap=answer.gap,
        method=method,
        radius_km=radius,
        max_cpfs=capacity,
        governorates=chosen,
        phases=_phase_table(figs, phase_of, len(plan)),
        stats=dict(answer.stats),
    )


def _catchments(
    communities: gpd.GeoDataFrame,
    cpfs: gpd.GeoDataFrame,
    offices: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    radius: float,
    roads: Any,
) -> tuple[np.ndarray, Any, Any, Any]:
    """Return the catchments of the model: within ``radius`` km, or along the ``roads``.

    Which communities an office covers, forums x offices, forums x candidates and
    (communities no office covers) x candidates; geodesic unless ``roads`` is given. By
    road, the points and sites go to one :func:`cpgeo.coverage.road_coverage_matrix`
    call, so the graph is prepared, each point snapped and each site searched once.
    """
    if roads is None:
        covered = np.diff(sp.csr_array(coverage_matrix(communities, offices, radius)).indptr) > 0
        return (
            covered,
            coverage_matrix(cpfs, offices, radius),
            coverage_matrix(cpfs, candidates, radius),
            coverage_matrix(communities.iloc[np.flatnonzero(~covered)], candidates, radius),
        )
    from cpgeo.coverage import road_coverage_matrix

    def points(*layers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        geometry = pd.concat([layer.geometry for layer in layers], ignore_index=True)
        return gpd.GeoDataFrame(geometry=geometry, crs="EPSG:4326")

    n_c, n_o = len(communities), len(offices)
    both = sp.csr_array(
        road_coverage_matrix(points(communities, cpfs), points(offices, candidates), roads,
                             radius)
    )
    covered = np.diff(sp.csr_array(both[:n_c, :n_o]).indptr) > 0
    outside = np.flatnonzero(~covered)
    return covered, both[n_c:, :n_o], both[n_c:, n_o:], both[:n_c, n_o:][outside]


def _phases(
    n_sites: int | None,
    budget: float | None,
    phases: Sequence[int | float | tuple[int | None, float | None]] | None,
    n_candidates: int,
) -> list[Phase]:
    """Read the plan's phases (one phase of ``n_sites`` / ``budget`` when not phased)."""
    if phases is not None:
        if n_sites is not None or budget is not None:
            msg = "give phases, or a number of sites and / or a budget, not both"
            raise InputError(msg)
        plan = []
        for t, item in enumerate(phases, start=1):
            if isinstance(item, tuple):
                count, money = item
            elif isinstance(item, bool):
                count, money = None, None
            elif isinstance(item, int | np.integer):
                count, money = int(item), None
            else:
                count, money = None, item
            plan.append(_one_phase(t, count, money, n_candidates))
        if not plan:
            msg = "phases must list at least one phase"
            raise InputError(msg)
        return plan
    if n_sites is None and budget is None:
        msg = "give a number of sites, a budget, or both"
        raise InputError(msg)
    return [_one_phase(None, n_sites, budget, n_candidates)]


def _one_phase(t: int | None, count: object, money: object, n_candidates: int) -> Phase:
    where = f"phase {t}: " if t is not None else ""
    if count is None and money is None:
        msg = f"{where}give a number of sites or a budget"
        raise InputError(msg)
    if count is not None and (
        isinstance(count, bool) or int(count) != count or count < 0  # type: ignore[call-overload,operator]
    ):
        msg = f"{where}n_sites must be a whole number >= 0, got {count!r}"
        raise InputError(msg)
    if money is not None:
        try:
            value = float(money)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            value = float("nan")
        if not (np.isfinite(value) and value >= 0):
            msg = f"{where}budget must be a finite number >= 0, got {money!r}"
            raise InputError(msg)
        money = value
    # "at most n sites": with fewer candidates, every candidate may be proposed
    number = None if count is None else min(int(count), n_candidates)  # type: ignore[call-overload]
    return Phase(number, money)  # type: ignore[arg-type]


def _matches(candidates: gpd.GeoDataFrame, key: str) -> np.ndarray:
    ids = candidates["id"].astype(str)
    sources = candidates["source_id"].astype("string")
    return ((ids == key) | (sources == key).fillna(False)).to_numpy(dtype=bool)


def _unknown(what: str, keys: list[str]) -> InputError:
    shown = ", ".join(keys[:5]) + (" ..." if len(keys) > 5 else "")
    msg = (
        f"{what}: {len(keys)} site(s) that are not candidates here: {shown} (use a candidate "
        "id, or the id of a station / community in the chosen governorates)"
    )
    return InputError(msg)


def _drop(candidates: gpd.GeoDataFrame, force_out: Iterable[str]) -> gpd.GeoDataFrame:
    keys = [str(k) for k in ([force_out] if isinstance(force_out, str) else force_out)]
    if not keys:
        return candidates
    gone = np.zeros(len(candidates), dtype=bool)
    unknown = []
    for key in keys:
        match = _matches(candidates, key)
        if not match.any():
            unknown.append(key)
        gone |= match
    if unknown:
        raise _unknown("force_out names", unknown)
    kept = candidates.loc[~gone].copy()
    kept.index = pd.RangeIndex(len(kept), name="candidate")
    return kept


def _positions(candidates: gpd.GeoDataFrame, force_in: Iterable[str]) -> tuple[int, ...]:
    keys = [str(k) for k in ([force_in] if isinstance(force_in, str) else force_in)]
    found: list[int] = []
    unknown = []
    for key in keys:
        match = np.flatnonzero(_matches(candidates, key))
        if not match.size:
            unknown.append(key)
        found.extend(int(m) for m in match)
    if unknown:
        raise _unknown("force_in names", unknown)
    return tuple(dict.fromkeys(found))


def _minimum_sites(
    minima: Mapping[str, int] | None, candidates: gpd.GeoDataFrame, chosen: tuple[str, ...]
) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, minimum in (minima or {}).items():
        gov = resolve_governorates([name])[0]
        if gov not in chosen:
            msg = (
                f"min_per_governorate: {gov} is not among the governorates where sites may "
                f"be ({', '.join(chosen)})"
            )
            raise InputError(msg)
        if isinstance(minimum, bool) or int(minimum) != minimum or minimum < 0:
            msg = f"min_per_governorate: {gov} needs a whole number >= 0, got {minimum!r}"
            raise InputError(msg)
        available = int((candidates["governorate"] == gov).sum())
        if minimum > available:
            msg = (
                f"min_per_governorate: {gov} needs {int(minimum)} new site(s) but has only "
                f"{available} candidate(s)"
            )
            raise InputError(msg)
        if minimum:
            out[gov] = int(minimum)
    return out


def _minimum_people(
    shares: Mapping[str, float] | None,
    communities: gpd.GeoDataFrame,
    population: np.ndarray,
    covered_before: np.ndarray,
    instance: CapacitatedInstance,
) -> dict[str, float]:
    """People to cover newly in each governorate to reach its minimum share."""
    out: dict[str, float] = {}
    gov_of = communities["governorate"].to_numpy(dtype=object)
    reachable = instance.covered(np.arange(instance.n_candidates))
    outside_gov = instance.community_governorate
    for name, share in (shares or {}).items():
        gov = resolve_governorates([name])[0]
        value = float(share)
        if not 0 <= value <= 1:
            msg = f"min_share: {gov} needs a share between 0 and 1, got {share!r}"
            raise InputError(msg)
        here = gov_of == gov
        total = float(population[here].sum())
        already = float(population[here & covered_before].sum())
        needed = value * total - already
        if needed <= 0:
            continue
        most = float(instance.population[reachable & (outside_gov == gov)].sum())
        if needed > most + 1e-6:
            msg = (
                f"min_share: at most {(already + most) / total:.1%} of {gov}'s population can "
                f"be within the radius with these candidates, less than {value:.0%}"
            )
            raise InputError(msg)
        out[gov] = needed
    return out


def _check_feasible(
    instance: CapacitatedInstance, plan: list[Phase], conditions: Conditions
) -> None:
    """Refuse plainly what no plan can do (the solver would only say "infeasible")."""
    counts = [phase.count for phase in plan]
    room = None if any(c is None for c in counts) else sum(c for c in counts if c is not None)
    needed = set(conditions.force_in)
    for gov, minimum in conditions.min_sites.items():
        members = [j for j in range(instance.n_candidates) if instance.governorate[j] == gov]
        forced_here = sum(1 for j in needed if instance.governorate[j] == gov)
        by_cost = sorted(members, key=lambda j: instance.cost[j])
        needed |= set(by_cost[: max(0, minimum - forced_here)])
    if room is not None and len(needed) > room:
        msg = (
            f"the plan opens at most {room} site(s) but its conditions need {len(needed)} "
            "(sites forced in and governorate minima)"
        )
        raise InputError(msg)
    money = [phase.budget for phase in plan]
    if all(m is not None for m in money):
        total = float(sum(m for m in money if m is not None))
        least = float(instance.cost[sorted(needed)].sum()) if needed else 0.0
        if least > total + 1e-9:
            msg = (
                f"the sites the conditions need cost at least {least:g}, more than the "
                f"budget of {total:g}"
            )
            raise InputError(msg)


def propose_sites(
    scenario: Scenario, n_sites: int | None = None, **options: Any
) -> gpd.GeoDataFrame:
    """Ranked office-site proposals as a GeoDataFrame.

    The same model and options as :func:`plan_sites` (``governorates``, ``radius_km``,
    ``max_cpfs``, ``method``, ``candidate_types``, ``grid_km``, ``budget``, ``costs``,
    ``time_limit_s``), returning only the ranked sites; use :func:`plan_sites` for the
    whole :class:`Proposal` (candidates, assignment, figures before and after).

    Returns
    -------
    geopandas.GeoDataFrame
        :attr:`Proposal.sites` (EPSG:4326, index ``rank``). ``attrs`` holds ``summary``
        (``{figure key: (before, after)}``, None for an unknown population), ``optimal``,
        ``gap`` and ``method``.
    """
    proposal = plan_sites(scenario, n_sites, **options)
    sites = proposal.sites.copy()
    sites.attrs.update(
        summary={
            key: (proposal.before[key], proposal.after[key]) for key in proposal.summary.index
        },
        optimal=proposal.optimal,
        gap=proposal.gap,
        method=proposal.method,
    )
    return sites


def _weights(communities: gpd.GeoDataFrame) -> np.ndarray:
    """Return population as model weights: unknown (NA) weighs 0, it cannot be counted."""
    if "population" not in communities.columns:
        return np.zeros(len(communities))
    values = pd.to_numeric(communities["population"], errors="coerce")
    return values.fillna(0).to_numpy(dtype=float)


def _open(offices: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the existing offices plus ``sites`` opened as offices (candidate ids)."""
    if not len(sites):
        return offices
    new = gpd.GeoDataFrame(
        {
            "id": sites["id"].astype(str).to_numpy(),
            "name": sites["name"].astype(str).to_numpy(),
            "governorate": sites["governorate"].to_numpy(),
            # with district boundaries the new office counts in its district's row
            **{c: sites[c].to_numpy() for c in AREA_COLUMNS if c in sites.columns},
            "proposed": True,
        },
        geometry=sites.geometry.to_numpy(),
        crs=4326,
    )
    existing = offices.assign(proposed=False)
    return gpd.GeoDataFrame(
        pd.concat([existing, new], ignore_index=True), geometry="geometry", crs=4326
    )


def _redeclare(cpfs: gpd.GeoDataFrame, assignment: CpfAssignment) -> gpd.GeoDataFrame:
    """Forums declared to the office serving them; unserved forums keep their declaration."""
    out = cpfs.copy()
    declared = (
        id_array(cpfs["office_id"])
        if "office_id" in cpfs.columns
        else np.full(len(cpfs), None, dtype=object)
    )
    served = assignment.cpfs["served"].to_numpy(dtype=bool)
    new = assignment.cpfs["assigned_office"].to_numpy(dtype=object, na_value=None)
    out["office_id"] = pd.array(np.where(served, new, declared), dtype="string")
    return out


def _compare_with_today(assignment: CpfAssignment, before: Figures) -> CpfAssignment:
    """Restate ``office_before`` / ``moved`` against the offices forums count against today."""
    cpfs = assignment.cpfs.copy()
    today = before.forums["assigned_office"].astype("string").to_numpy(dtype=object, na_value=None)
    cpfs["office_before"] = pd.array(today, dtype="string")
    now = cpfs["assigned_office"].to_numpy(dtype=object, na_value=None)
    moved = cpfs["served"].to_numpy(dtype=bool) & (now != today)
    cpfs["moved"] = moved
    return replace(assignment, cpfs=cpfs, n_moved=int(moved.sum()))


def _rank(
    instance: CapacitatedInstance, open_phase: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Order the opened sites: by phase, then greedily by lexicographic gain in the phase.

    Returns the candidate positions in that order and the phase (0-based) of each.
    """
    order: list[int] = []
    phases: list[int] = []
    for t in sorted({int(p) for p in open_phase if p >= 0}):
        remaining = [int(j) for j in np.flatnonzero(open_phase == t)]
        while remaining:
            scored = [
                (instance.score(np.array([*order, j], dtype=np.int64)), -instance.cost[j], -j, j)
                for j in remaining
            ]
            best = max(scored)[-1]
            order.append(best)
            phases.append(t)
            remaining.remove(best)
    return np.array(order, dtype=np.int64), np.array(phases, dtype=np.int64)


def _phase_table(figs: list[Figures], phase_of: np.ndarray, n_phases: int) -> pd.DataFrame:
    """Return the figures after each phase (indexed by figure key), and before.

    ``figs`` are the figures before, after re-declaring forums, then after each site in
    order; a phase ends with its last site (a phase that opens nothing changes nothing).
    """
    columns = {"before": [figs[0][k] for k in COUNT_KEYS]}
    reached = 1  # the re-declaration step
    for t in range(n_phases):
        reached += int(np.count_nonzero(phase_of == t))
        columns[f"phase {t + 1}"] = [figs[reached][k] for k in COUNT_KEYS]
    frame = pd.DataFrame(
        {name: pd.array(values, dtype="Int64") for name, values in columns.items()},
        index=pd.Index(COUNT_KEYS, name="figure"),
    )
    return frame


def _difference(after: object, before: object) -> object:
    if after is None or before is None:
        return pd.NA
    return int(after) - int(before)  # type: ignore[call-overload]


def _changes(before: Figures, after: Figures, keys: Iterable[str]) -> pd.Series:
    return pd.Series(
        {key: _difference(after[key], before[key]) for key in keys}, dtype="Int64"
    )


def _site_table(
    chosen_sites: gpd.GeoDataFrame, figs: list[Figures], radius: float, phase_of: np.ndarray
) -> gpd.GeoDataFrame:
    """One row per site; ``figs`` = before, after re-declaring, after each site in turn."""
    final = figs[-1]
    final_load = dict(zip(final.load["id"].astype(str), final.load["n_cpfs"], strict=True))
    rows = []
    for rank in range(1, len(chosen_sites) + 1):
        site = chosen_sites.iloc[rank - 1]
        prev, here = figs[rank], figs[rank + 1]
        changes = _changes(prev, here, SITE_FIGURE_KEYS)
        newly = here.coverage["covered"].to_numpy(bool) & ~prev.coverage["covered"].to_numpy(bool)
        names = here.coverage["name"].astype(str).to_numpy()[newly]
        if "population" in here.coverage.columns:
            unknown_pop = pd.to_numeric(here.coverage["population"], errors="coerce").isna()
            unknown = int((newly & unknown_pop.to_numpy()).sum())
        else:
            unknown = int(newly.sum())
        relieved = _relieved(prev.load, here.load)
        office_name = dict(
            zip(prev.load["id"].astype(str), prev.load["name"].astype(str), strict=True)
        )
        rows.append(
            {
                "rank": rank,
                "phase": int(phase_of[rank - 1]) + 1,
                "id": site["id"],
                "name": site["name"],
                "type": site["type"],
                "governorate": site["governorate"],
                "cost": float(site["cost"]),
                **changes.to_dict(),
                "new_community_names": "; ".join(names),
                "relieved_offices": "; ".join(relieved),
                "forums_assigned": int(final_load.get(str(site["id"]), 0)),
                "reason": site_reason(
                    site_type=str(site["type"]),
                    place=str(site["place"]),
                    governorate=site["governorate"],
                    changes=changes.to_dict(),
                    relieved=[office_name.get(o, o) for o in relieved],
                    radius_km=radius,
                    unknown_population=unknown,
                ),
                "geometry": site.geometry,
            }
        )
    frame = pd.DataFrame(rows, columns=SITE_COLUMNS)
    # with district boundaries each site also names its district and sub-district
    at = frame.columns.get_loc("governorate") + 1
    for column in reversed([c for c in AREA_COLUMNS if c in chosen_sites.columns]):
        frame.insert(at, column, chosen_sites[column].astype("string").to_numpy())
    for key in SITE_FIGURE_KEYS:
        frame[key] = pd.array(frame[key].tolist(), dtype="Int64")
    frame = frame.astype(
        {"rank": "int64", "phase": "int64", "forums_assigned": "int64", "cost": "float64"}
    )
    result = gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)
    result.index = pd.RangeIndex(1, len(result) + 1, name="rank")
    return result


def _relieved(before: gpd.GeoDataFrame, after: gpd.GeoDataFrame) -> list[str]:
    """Ids of offices over capacity in ``before`` that carry fewer forums in ``after``."""
    now = dict(zip(after["id"].astype(str), after["n_cpfs"], strict=True))
    over = before[before["over_capacity"].to_numpy(dtype=bool)]
    return sorted(
        str(i) for i, n in zip(over["id"].astype(str), over["n_cpfs"], strict=True)
        if now.get(str(i), n) < n
    )


def _summary(before: Figures, after: Figures) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "before": pd.array([before[k] for k in COUNT_KEYS], dtype="Int64"),
            "after": pd.array([after[k] for k in COUNT_KEYS], dtype="Int64"),
        },
        index=pd.Index(COUNT_KEYS, name="figure"),
    )
    frame["change"] = frame["after"] - frame["before"]
    return frame
