"""The same decision at several radii, and by road: which proposed sites always hold.

A site chosen in every case tried is *robust*: the choice does not hang on the exact
catchment. The cases are the radii given (geodesic) and, with a road graph, the same
radii along the roads. The proposals are :func:`cpgeo.siting.plan_sites`, with the same
options in every case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from cpgeo._errors import InputError
from cpgeo._log import log

if TYPE_CHECKING:
    from cpgeo.scenario import Scenario
    from cpgeo.siting.propose import Proposal


@dataclass(frozen=True)
class Sensitivity:
    """Proposals at several radii (and by road), side by side.

    Attributes
    ----------
    sites
        EPSG:4326 points, one row per candidate proposed in some case: ``id``, ``name``,
        ``type``, ``governorate``, one column per case, ``rank at <r> km`` (geodesic
        radius) or ``rank at <r> km by road`` (Int64, NA when not proposed in that
        case), ``times_chosen`` and ``robust`` (chosen in every case). Robust sites
        first, then by how often and how early chosen.
    proposals
        Radius (km) -> the :class:`cpgeo.siting.Proposal` at that radius.
    radii
        The radii tried, km (geodesic, WGS84), in the order given.
    by_road
        Radius (km) -> the proposal with catchments of that many km along the roads
        (empty without a road graph). Its figures are :func:`cpgeo.figures`, by radius.
    """

    sites: gpd.GeoDataFrame
    proposals: dict[float, Proposal]
    radii: tuple[float, ...]
    by_road: dict[float, Proposal] = field(default_factory=dict)

    @property
    def cases(self) -> list[str]:
        """The rank columns of ``sites``, one per case, in the order tried."""
        return [rank_column(r) for r in self.radii] + [
            rank_column(r, by_road=True) for r in self.by_road
        ]

    @property
    def robust(self) -> gpd.GeoDataFrame:
        """The sites proposed at every radius."""
        return self.sites[self.sites["robust"].to_numpy(dtype=bool)]


def rank_column(radius_km: float, *, by_road: bool = False) -> str:
    """Return the name of the column holding the ranks at ``radius_km`` (or by road)."""
    return f"rank at {radius_km:g} km" + (" by road" if by_road else "")


def sensitivity(
    scenario: Scenario,
    radii: Iterable[float],
    n_sites: int | None = None,
    *,
    roads: Any = None,
    **options: Any,
) -> Sensitivity:
    """Propose sites at each of ``radii`` with the same options; mark the robust ones.

    Parameters
    ----------
    scenario
        Layers in EPSG:4326.
    radii
        Catchment radii to try, kilometres on the WGS84 ellipsoid (at least two, or one
        with ``roads``).
    n_sites, **options
        As :func:`cpgeo.siting.plan_sites` (everything but ``radius_km`` and ``roads``).
    roads
        A road graph: each radius is tried along the roads as well (``plan_sites(...,
        roads=roads)``), so the table compares radius with road distance.

    Returns
    -------
    Sensitivity

    Raises
    ------
    InputError
        Fewer than two cases, a radius that is not a positive number, ``radius_km`` among
        ``options``, or what :func:`cpgeo.siting.plan_sites` raises.
    """
    from cpgeo.siting.propose import plan_sites

    if "radius_km" in options:
        msg = "give the radii to try as radii, not radius_km"
        raise InputError(msg)
    values: list[float] = []
    for r in radii:
        try:
            value = float(r)
        except (TypeError, ValueError):
            value = float("nan")
        if not (np.isfinite(value) and value > 0):
            msg = f"radii must be positive numbers of km, got {r!r}"
            raise InputError(msg)
        values.append(value)
    chosen = tuple(dict.fromkeys(values))
    if len(chosen) < (1 if roads is not None else 2):
        msg = "give at least two different radii to compare (or one, with a road network)"
        raise InputError(msg)
    proposals = {r: plan_sites(scenario, n_sites, radius_km=r, **options) for r in chosen}
    by_road = (
        {}
        if roads is None
        else {r: plan_sites(scenario, n_sites, radius_km=r, roads=roads, **options)
              for r in chosen}
    )
    cases = [(rank_column(r), p) for r, p in proposals.items()] + [
        (rank_column(r, by_road=True), p) for r, p in by_road.items()
    ]
    rows: dict[str, dict[str, Any]] = {}
    for column, proposal in cases:
        for site in proposal.sites.itertuples(index=False):
            row = rows.setdefault(
                str(site.id),
                {
                    "id": site.id,
                    "name": site.name,
                    "type": site.type,
                    "governorate": site.governorate,
                    "geometry": site.geometry,
                },
            )
            row[column] = int(site.rank)
    columns = [column for column, _ in cases]
    frame = pd.DataFrame(list(rows.values()), columns=["id", "name", "type", "governorate",
                                                        *columns, "geometry"])
    for column in columns:
        frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
    frame["times_chosen"] = frame[columns].notna().sum(axis=1).astype("int64")
    frame["robust"] = frame["times_chosen"] == len(columns)
    mean_rank = frame[columns].astype("Float64").mean(axis=1).fillna(np.inf)
    frame = frame.assign(_order=mean_rank).sort_values(
        ["robust", "times_chosen", "_order"], ascending=[False, False, True]
    ).drop(columns="_order")
    sites = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=4326)
    log(
        f"sensitivity: {int(sites['robust'].sum())} of {len(sites)} sites chosen in every "
        f"case of {', '.join(columns)}"
    )
    return Sensitivity(sites=sites, proposals=proposals, radii=chosen, by_road=by_road)
