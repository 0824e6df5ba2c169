"""Ranked proposals of new and rehabilitated office sites, with the reason for each.

:func:`propose_sites` is the thin GeoDataFrame adapter over the capacitated proposal
model (:mod:`cpgeo.siting._capacitated`): it builds the candidate sites, the geodesic
coverage matrices (WGS84, :func:`cpgeo.coverage.coverage_matrix`), solves, ranks the
chosen sites and describes the before / after state with :mod:`cpgeo.coverage`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo._log import log
from cpgeo.siting._capacitated import (
    CapacitatedInstance,
    greedy_capacitated,
    solve_capacitated,
)
from cpgeo.siting.candidates import CANDIDATE_TYPES, candidate_sites, resolve_governorates

if TYPE_CHECKING:
    from cpgeo.coverage import CpfAssignment
    from cpgeo.scenario import Scenario

SITE_COLUMNS = [
    "id",
    "name",
    "type",
    "governorate",
    "cost",
    "rank",
    "marginal_gain",
    "new_communities",
    "new_community_names",
    "new_population",
    "cpfs_absorbed",
    "relieved_offices",
    "reason",
    "geometry",
]


@dataclass(frozen=True)
class Proposal:
    """Ranked site proposals and what they change.

    Attributes
    ----------
    sites
        EPSG:4326 points, index ``rank`` (1 = proposed first), columns:

        - ``id``, ``name``, ``type`` (``"rehabilitate"`` or ``"new_build"``),
          ``governorate``, ``cost`` (relative cost of the type), ``rank``;
        - ``marginal_gain``: people newly brought within the radius of an office by
          this site given the existing offices and the higher-ranked proposals (the
          column sums to the total population gain);
        - ``new_communities`` / ``new_community_names`` / ``new_population``:
          communities outside every existing office's radius that this site covers
          (count, names joined by ``"; "``, population), counted for the site alone;
        - ``cpfs_absorbed``: forums this site serves after the capacity-respecting
          reassignment; ``relieved_offices``: ids (``"; "``-joined) of offices over
          capacity today that hand forums to it;
        - ``reason``: one sentence a minister can read.
    summary
        Before / after table: columns ``measure``, ``before``, ``after``, ``change``.
    candidates
        Every candidate considered (see :func:`cpgeo.siting.candidate_sites`) with a
        ``selected`` column.
    assignment
        The forums' capacity-respecting assignment with the proposed sites open.
    coverage
        Communities with ``covered`` etc. (see :func:`cpgeo.coverage.community_coverage`)
        with the proposed sites open.
    optimal
        True when the exact model proved the proposal optimal (always False for greedy).
    gap
        Relative gap of the population stage, 0.0 when optimal, NaN for greedy.
    method, radius_km, max_cpfs, governorates
        The options used.
    """

    sites: gpd.GeoDataFrame
    summary: pd.DataFrame
    candidates: gpd.GeoDataFrame
    assignment: CpfAssignment
    coverage: gpd.GeoDataFrame
    optimal: bool
    gap: float
    method: str
    radius_km: float
    max_cpfs: int
    governorates: tuple[str, ...] = field(default_factory=tuple)

    def summary_lines(self) -> list[str]:
        """Return the before / after table as readable lines (``measure: a -> b``)."""
        lines = []
        for row in self.summary.itertuples(index=False):
            lines.append(f"{row.measure}: {_num(row.before)} -> {_num(row.after)}")
        return lines


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


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
    n_sites: int | None,
    *,
    governorates: Iterable[str] | str | None = None,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
    method: Literal["exact", "greedy"] = "exact",
    candidate_types: Iterable[str] = CANDIDATE_TYPES,
    grid_km: float | None = None,
    budget: float | None = None,
    costs: Mapping[str, float] | None = None,
    time_limit_s: float | None = None,
) -> Proposal:
    """Propose where to rehabilitate or build offices: forums served first, then people.

    Candidates (stations to rehabilitate, communities, optionally grid points) lie in
    the chosen governorates; demand is every community and every forum of the scenario,
    so cover across a governorate line counts. The model (see
    :mod:`cpgeo.siting._capacitated`) keeps the existing offices open, lets each office
    serve at most ``max_cpfs`` forums within ``radius_km`` (geodesic, WGS84), and picks
    candidates maximising first the forums served within capacity, then the population
    newly within the radius of an office.

    Parameters
    ----------
    scenario
        Layers in EPSG:4326 (see :class:`cpgeo.Scenario`).
    n_sites
        Number of sites to propose (at most; a site that adds nothing is not proposed);
        None when only ``budget`` limits the proposal.
    governorates
        Where candidates may be; None means ``settings.FOCUS_GOVERNORATES``.
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
    budget
        Total cost allowed (see ``costs``); None for no budget.
    costs
        Cost per candidate type; defaults ``REHAB_COST`` = 1.0 and
        ``NEW_BUILD_COST`` = 2.5 (:mod:`cpgeo.siting.candidates`).
    time_limit_s
        Solver time limit per stage, seconds (exact method).

    Returns
    -------
    Proposal
        ``.sites`` (ranked GeoDataFrame, EPSG:4326), ``.summary`` (before / after), see
        :class:`Proposal`.

    Raises
    ------
    InputError
        Unknown governorate, method or candidate type; no candidate; ``n_sites`` negative
        or larger than the candidates; neither ``n_sites`` nor ``budget``.
    """
    from cpgeo.coverage import (
        assign_cpfs,
        community_coverage,
        coverage_matrix,
        cpf_status,
        office_load,
    )

    if method not in ("exact", "greedy"):
        msg = f"method must be 'exact' or 'greedy', got {method!r}"
        raise InputError(msg)
    radius = settings.radius_km if radius_km is None else float(radius_km)
    capacity = settings.max_cpfs if max_cpfs is None else int(max_cpfs)
    if not radius > 0:
        msg = f"radius_km must be > 0 km, got {radius_km!r}"
        raise InputError(msg)
    if capacity < 0:
        msg = f"max_cpfs must be >= 0, got {max_cpfs!r}"
        raise InputError(msg)
    chosen = resolve_governorates(governorates)
    candidates = candidate_sites(
        scenario,
        governorates=chosen,
        candidate_types=candidate_types,
        grid_km=grid_km,
        costs=costs,
    )
    if not len(candidates):
        msg = f"no candidate sites in {', '.join(chosen)} (types {tuple(candidate_types)})"
        raise InputError(msg)
    if n_sites is None and budget is None:
        msg = "give a number of sites, a budget, or both"
        raise InputError(msg)
    if n_sites is not None and not 0 <= n_sites <= len(candidates):
        msg = f"n_sites must be between 0 and the {len(candidates)} candidate sites, got {n_sites}"
        raise InputError(msg)
    if budget is not None and not (np.isfinite(budget) and budget >= 0):
        msg = f"budget must be a finite number >= 0, got {budget!r}"
        raise InputError(msg)
    offices = _points(scenario.offices, "offices")
    cpfs = _points(scenario.cpfs, "cpfs")
    communities = _points(scenario.communities, "communities")

    comm_office = coverage_matrix(communities, offices, radius)
    covered_before = np.diff(sp.csr_array(comm_office).indptr) > 0
    outside = np.flatnonzero(~covered_before)
    comm_cand = coverage_matrix(communities.iloc[outside], candidates, radius)
    population = communities["population"].to_numpy(dtype=float)
    instance = CapacitatedInstance(
        coverage_matrix(cpfs, offices, radius),
        coverage_matrix(cpfs, candidates, radius),
        comm_cand,
        population[outside],
        capacity,
        candidates["cost"].to_numpy(dtype=float),
    )
    if method == "exact":
        answer = solve_capacitated(instance, n_sites, budget=budget, time_limit_s=time_limit_s)
    else:
        answer = greedy_capacitated(instance, n_sites, budget=budget)
    order, gains = _rank(instance, answer.selected)

    chosen_sites = candidates.iloc[order]
    opened = pd.concat(
        [
            offices[["id", "name", "governorate", "geometry"]],
            chosen_sites[["id", "name", "governorate", "geometry"]],
        ],
        ignore_index=True,
    )
    opened = gpd.GeoDataFrame(opened, geometry="geometry", crs=4326)
    before_cov = community_coverage(communities, offices, radius)
    after_cov = community_coverage(communities, opened, radius)
    load = office_load(offices, cpfs, radius, capacity)
    status = cpf_status(offices, cpfs, radius)
    before_assign = assign_cpfs(offices, cpfs, radius, capacity)
    after_assign = assign_cpfs(opened, cpfs, radius, capacity)

    sites = _site_table(
        chosen_sites,
        order,
        gains,
        instance,
        communities.iloc[outside],
        load,
        status,
        after_assign,
        radius,
    )
    in_focus = communities["governorate"].isin(chosen).to_numpy()
    summary = _summary(
        before_cov,
        after_cov,
        in_focus,
        load,
        before_assign,
        after_assign,
        status,
        capacity,
        chosen,
        radius,
    )
    table = candidates.copy()
    table["selected"] = False
    table.loc[table.index[order], "selected"] = True
    log(
        f"plan_sites: {len(sites)} of {len(candidates)} candidates in {', '.join(chosen)} "
        f"({method}), forums served {before_assign.n_served} -> {after_assign.n_served}, "
        f"optimal={answer.optimal}"
    )
    return Proposal(
        sites=sites,
        summary=summary,
        candidates=table,
        assignment=after_assign,
        coverage=after_cov,
        optimal=answer.optimal,
        gap=answer.gap,
        method=method,
        radius_km=radius,
        max_cpfs=capacity,
        governorates=chosen,
    )


def propose_sites(scenario: Scenario, n_sites: int | None, **options: Any) -> gpd.GeoDataFrame:
    """Ranked office-site proposals as a GeoDataFrame.

    The same model and options as :func:`plan_sites` (``governorates``, ``radius_km``,
    ``max_cpfs``, ``method``, ``candidate_types``, ``grid_km``, ``budget``, ``costs``,
    ``time_limit_s``), returning only the ranked sites; use :func:`plan_sites` for the
    whole :class:`Proposal` (candidates, assignment, coverage after).

    Returns
    -------
    geopandas.GeoDataFrame
        :attr:`Proposal.sites` (EPSG:4326, index ``rank``). ``attrs`` holds ``summary``
        (``{measure: (before, after)}``), ``optimal``, ``gap`` and ``method``.
    """
    proposal = plan_sites(scenario, n_sites, **options)
    sites = proposal.sites.copy()
    sites.attrs.update(
        summary={
            row.measure: (float(row.before), float(row.after))
            for row in proposal.summary.itertuples(index=False)
        },
        optimal=proposal.optimal,
        gap=proposal.gap,
        method=proposal.method,
    )
    return sites


def _rank(
    instance: CapacitatedInstance, selected: np.ndarray
) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """Order ``selected`` greedily by lexicographic gain; return order and gains."""
    remaining = [int(j) for j in selected]
    order: list[int] = []
    gains: list[tuple[int, float]] = []
    current = instance.score(np.zeros(0, dtype=np.int64))
    while remaining:
        scored = [
            (instance.score(np.array([*order, j], dtype=np.int64)), -instance.cost[j], -j, j)
            for j in remaining
        ]
        best_score, _, _, best = max(scored)
        gains.append((best_score[0] - current[0], best_score[1] - current[1]))
        current = best_score
        order.append(best)
        remaining.remove(best)
    return np.array(order, dtype=np.int64), gains


def _site_table(
    chosen_sites: gpd.GeoDataFrame,
    order: np.ndarray,
    gains: list[tuple[int, float]],
    instance: CapacitatedInstance,
    outside: gpd.GeoDataFrame,
    load: gpd.GeoDataFrame,
    status: gpd.GeoDataFrame,
    after: CpfAssignment,
    radius: float,
) -> gpd.GeoDataFrame:
    over = set(load.loc[load["over_capacity"].to_numpy(dtype=bool), "id"].astype(str))
    office_name = dict(zip(load["id"].astype(str), load["name"].astype(str), strict=True))
    before_office = status["assigned_office"].astype("string").fillna("").to_numpy(dtype=str)
    before_status = status["status"].astype(str).to_numpy()
    after_office = after.cpfs["assigned_office"].astype("string").fillna("").to_numpy(dtype=str)
    names = outside["name"].astype(str).to_numpy()
    pops = outside["population"].to_numpy(dtype=float)
    cover = sp.csc_array(instance.community_candidate)
    rows = []
    for rank, (j, (_, pop_gain)) in enumerate(zip(order, gains, strict=True), start=1):
        site = chosen_sites.loc[chosen_sites.index[rank - 1]]
        hits = cover.indices[cover.indptr[j] : cover.indptr[j + 1]]
        mine = [i for i, office in enumerate(after_office) if office == site["id"]]
        relieved = sorted({str(before_office[i]) for i in mine} & over)
        homeless = int(sum(before_status[i] == "no_office_in_range" for i in mine))
        rows.append(
            {
                "id": site["id"],
                "name": site["name"],
                "type": site["type"],
                "governorate": site["governorate"],
                "cost": float(site["cost"]),
                "rank": rank,
                "marginal_gain": float(pop_gain),
                "new_communities": int(hits.size),
                "new_community_names": "; ".join(names[hits]),
                "new_population": int(pops[hits].sum()),
                "cpfs_absorbed": len(mine),
                "relieved_offices": "; ".join(relieved),
                "reason": _reason(
                    site,
                    int(hits.size),
                    int(pops[hits].sum()),
                    len(mine),
                    [office_name.get(o, o) for o in relieved],
                    homeless,
                    radius,
                ),
                "geometry": site.geometry,
            }
        )
    frame = pd.DataFrame(rows, columns=SITE_COLUMNS)
    result = gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)
    result.index = pd.RangeIndex(1, len(result) + 1, name="rank")
    return result.astype({"rank": "int64", "new_communities": "int64", "cpfs_absorbed": "int64"})


def _reason(
    site: pd.Series,
    n_new: int,
    population: int,
    n_forums: int,
    relieved: list[str],
    homeless: int,
    radius: float,
) -> str:
    """One sentence for a minister: what the site changes."""
    name = str(site["name"])
    if site["type"] == "rehabilitate":
        subject = f"Rehabilitating {name}"
    else:
        subject = f"Building {'a n' + name[1:] if name.startswith('New ') else name}"
    subject += f" in {site['governorate']}"
    clauses = []
    if n_new:
        plural = "community" if n_new == 1 else "communities"
        clauses.append(
            f"brings {n_new} {plural} ({population:,} people) within {radius:g} km of an "
            "office for the first time"
        )
    if n_forums:
        forums = "1 forum" if n_forums == 1 else f"{n_forums} forums"
        detail = []
        if relieved:
            detail.append(f"relieving overloaded {' and '.join(relieved)}")
        if homeless:
            detail.append(f"{homeless} of them with no office in range today")
        clauses.append(f"serves {forums}" + (f", {'; '.join(detail)}" if detail else ""))
    if not clauses:
        clauses.append("adds cover that overlaps the higher-ranked proposals")
    return f"{subject} {' and '.join(clauses)}."


def _summary(
    before_cov: gpd.GeoDataFrame,
    after_cov: gpd.GeoDataFrame,
    in_focus: np.ndarray,
    load: gpd.GeoDataFrame,
    before_assign: CpfAssignment,
    after_assign: CpfAssignment,
    status: gpd.GeoDataFrame,
    capacity: int,
    chosen: tuple[str, ...],
    radius: float,
) -> pd.DataFrame:
    covered_b = before_cov["covered"].to_numpy(dtype=bool)
    covered_a = after_cov["covered"].to_numpy(dtype=bool)
    pop = before_cov["population"].to_numpy(dtype=float)
    where = ", ".join(chosen)
    no_office_before = int((status["status"].astype(str) == "no_office_in_range").sum())
    after_over = int((after_assign.offices["n_cpfs"].to_numpy() > capacity).sum())
    no_office_after = _no_office_in_range(after_assign, radius)
    rows = [
        ("communities within radius", covered_b.sum(), covered_a.sum()),
        (
            f"communities outside radius in {where}",
            (~covered_b & in_focus).sum(),
            (~covered_a & in_focus).sum(),
        ),
        ("population within radius", pop[covered_b].sum(), pop[covered_a].sum()),
        (
            f"population outside radius in {where}",
            pop[~covered_b & in_focus].sum(),
            pop[~covered_a & in_focus].sum(),
        ),
        ("offices over capacity", int(load["over_capacity"].sum()), after_over),
        ("forums served within capacity", before_assign.n_served, after_assign.n_served),
        ("forums with no office in range", no_office_before, no_office_after),
    ]
    frame = pd.DataFrame(rows, columns=["measure", "before", "after"])
    frame["before"] = frame["before"].astype(float)
    frame["after"] = frame["after"].astype(float)
    frame["change"] = frame["after"] - frame["before"]
    frame["measure"] = frame["measure"].astype(str)
    return frame


def _no_office_in_range(assignment: CpfAssignment, radius: float) -> int:
    """Forums that no open site (office or proposal) has within the radius."""
    from cpgeo.coverage import cpf_status

    forums = assignment.cpfs.drop(columns=["office_id"], errors="ignore")
    status = cpf_status(assignment.offices, forums, radius)
    return int((status["status"].astype(str) == "no_office_in_range").sum())
