"""Ranked proposals of new and rehabilitated office sites, with the reason for each.

:func:`propose_sites` is the thin GeoDataFrame adapter over the capacitated proposal
model (:mod:`cpgeo.siting._capacitated`): it builds the candidate sites, the geodesic
coverage matrices (WGS84, :func:`cpgeo.coverage.coverage_matrix`), solves, ranks the
chosen sites and describes the before / after state with :func:`cpgeo.figures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
from cpgeo.coverage import CpfAssignment, assign_cpfs
from cpgeo.labels import site_reason
from cpgeo.regions import resolve_governorates
from cpgeo.siting._capacitated import (
    CapacitatedInstance,
    greedy_capacitated,
    solve_capacitated,
)
from cpgeo.siting.candidates import CANDIDATE_TYPES, candidate_sites

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

SITE_COLUMNS = [
    "rank",
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

    @property
    def coverage(self) -> gpd.GeoDataFrame:
        """Communities with ``covered`` etc. with the proposed sites open."""
        return self.after.coverage


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
    governorates: Iterable[str] | str | None = None,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
    method: Literal["exact", "greedy"] = "exact",
    candidate_types: Iterable[str] = CANDIDATE_TYPES,
    grid_km: float | None = None,
    budget: float | None = None,
    costs: Mapping[str, float] | None = None,
    time_limit_s: float | None = 60.0,
) -> Proposal:
    """Propose where to rehabilitate or build offices: forums served first, then people.

    Candidates (stations to rehabilitate, communities, optionally grid points) lie in
    the chosen governorates; demand is every community and every forum of the scenario,
    so cover across a governorate line counts. The model (see
    :mod:`cpgeo.siting._capacitated`) keeps the existing offices open, lets each office
    serve at most ``max_cpfs`` forums within ``radius_km`` (geodesic, WGS84), and picks
    candidates maximising first the forums served within capacity, then the population
    newly within the radius of an office (communities of unknown population weigh 0).

    The before / after and per-site figures are :func:`cpgeo.figures` of the scenario
    as it is and with the sites opened one by one in rank order (see :class:`Proposal`).

    Parameters
    ----------
    scenario
        Layers in EPSG:4326 (see :class:`cpgeo.Scenario`).
    n_sites
        Number of sites to propose (at most: a site that adds nothing is not proposed,
        and there may be fewer candidates); None when only ``budget`` limits the
        proposal.
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
    budget
        Total cost allowed (see ``costs``); None for no budget.
    costs
        Cost per candidate type; defaults ``REHAB_COST`` = 1.0 and
        ``NEW_BUILD_COST`` = 2.5 (:mod:`cpgeo.siting.candidates`).
    time_limit_s
        Time limit of the whole search, seconds (default 60): the exact method then
        answers with the best proposal found and its proven gap, the greedy one with the
        sites chosen so far. None for no limit.

    Returns
    -------
    Proposal
        ``.sites`` (ranked GeoDataFrame, EPSG:4326), ``.summary`` (before / after by
        figure key), see :class:`Proposal`.

    Raises
    ------
    InputError
        Unknown governorate, method or candidate type; no candidate; ``n_sites`` not a
        whole number >= 0; neither ``n_sites`` nor ``budget``; a time limit
        that is not a positive number.
    """
    from cpgeo._figures import figures
    from cpgeo.coverage import coverage_matrix

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
    if not len(candidates):
        msg = f"no candidate sites in {', '.join(chosen)} (types {tuple(candidate_types)})"
        raise InputError(msg)
    if n_sites is None and budget is None:
        msg = "give a number of sites, a budget, or both"
        raise InputError(msg)
    whole = n_sites is None or (not isinstance(n_sites, bool) and int(n_sites) == n_sites)
    if not whole or (n_sites is not None and n_sites < 0):
        msg = f"n_sites must be a whole number >= 0, got {n_sites!r}"
        raise InputError(msg)
    if n_sites is not None:
        # "at most n sites": with fewer candidates, every candidate may be proposed
        n_sites = min(int(n_sites), len(candidates))
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
    population = _weights(communities)
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
        answer = greedy_capacitated(instance, n_sites, budget=budget, time_limit_s=time_limit_s)
    order = _rank(instance, answer.selected)
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
    sites = _site_table(chosen_sites, figs, radius)
    summary = _summary(before, after)
    table = candidates.copy()
    table["selected"] = False
    table.loc[table.index[order], "selected"] = True
    log(
        f"plan_sites: {len(sites)} of {len(candidates)} candidates in {', '.join(chosen)} "
        f"({method}), forums served {before['forums_served_within_capacity']} -> "
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
    )


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


def _rank(instance: CapacitatedInstance, selected: np.ndarray) -> np.ndarray:
    """Order ``selected`` greedily by lexicographic gain (forums served, then people)."""
    remaining = [int(j) for j in selected]
    order: list[int] = []
    while remaining:
        scored = [
            (instance.score(np.array([*order, j], dtype=np.int64)), -instance.cost[j], -j, j)
            for j in remaining
        ]
        best = max(scored)[-1]
        order.append(best)
        remaining.remove(best)
    return np.array(order, dtype=np.int64)


def _difference(after: object, before: object) -> object:
    if after is None or before is None:
        return pd.NA
    return int(after) - int(before)  # type: ignore[call-overload]


def _changes(before: Figures, after: Figures, keys: Iterable[str]) -> pd.Series:
    return pd.Series(
        {key: _difference(after[key], before[key]) for key in keys}, dtype="Int64"
    )


def _site_table(
    chosen_sites: gpd.GeoDataFrame, figs: list[Figures], radius: float
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
        relieved = _relieved(prev.load, here.load)
        office_name = dict(
            zip(prev.load["id"].astype(str), prev.load["name"].astype(str), strict=True)
        )
        rows.append(
            {
                "rank": rank,
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
                ),
                "geometry": site.geometry,
            }
        )
    frame = pd.DataFrame(rows, columns=SITE_COLUMNS)
    for key in SITE_FIGURE_KEYS:
        frame[key] = pd.array(frame[key].tolist(), dtype="Int64")
    frame = frame.astype({"rank": "int64", "forums_assigned": "int64", "cost": "float64"})
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
