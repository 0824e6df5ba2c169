"""The same decision at several radii: which proposed sites hold whatever the radius.

A site chosen at every radius tried is *robust*: the choice does not hang on the exact
catchment. The proposals are :func:`cpgeo.siting.plan_sites`, with the same options at
each radius.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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
    """Proposals at several radii, side by side.

    Attributes
    ----------
    sites
        EPSG:4326 points, one row per candidate proposed at some radius: ``id``, ``name``,
        ``type``, ``governorate``, one column ``rank at <r> km`` per radius (Int64, NA
        when not proposed at that radius), ``times_chosen`` and ``robust`` (chosen at
        every radius). Robust sites first, then by how often and how early chosen.
    proposals
        Radius (km) -> the :class:`cpgeo.siting.Proposal` at that radius.
    radii
        The radii tried, km (geodesic, WGS84), in the order given.
    """

    sites: gpd.GeoDataFrame
    proposals: dict[float, Proposal]
    radii: tuple[float, ...]

    @property
    def robust(self) -> gpd.GeoDataFrame:
        """The sites proposed at every radius."""
        return self.sites[self.sites["robust"].to_numpy(dtype=bool)]


def rank_column(radius_km: float) -> str:
    """Return the name of the column holding the ranks at ``radius_km``."""
    return f"rank at {radius_km:g} km"


def sensitivity(
    scenario: Scenario, radii: Iterable[float], n_sites: int | None = None, **options: Any
) -> Sensitivity:
    """Propose sites at each of ``radii`` with the same options; mark the robust ones.

    Parameters
    ----------
    scenario
        Layers in EPSG:4326.
    radii
        Catchment radii to try, kilometres on the WGS84 ellipsoid (at least two).
    n_sites, **options
        As :func:`cpgeo.siting.plan_sites` (everything but ``radius_km``).

    Returns
    -------
    Sensitivity

    Raises
    ------
    InputError
        Fewer than two radii, a radius that is not a positive number, ``radius_km`` among
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
    if len(chosen) < 2:
        msg = "give at least two different radii to compare"
        raise InputError(msg)
    proposals = {r: plan_sites(scenario, n_sites, radius_km=r, **options) for r in chosen}
    rows: dict[str, dict[str, Any]] = {}
    for r, proposal in proposals.items():
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
            row[rank_column(r)] = int(site.rank)
    columns = [rank_column(r) for r in chosen]
    frame = pd.DataFrame(list(rows.values()), columns=["id", "name", "type", "governorate",
                                                        *columns, "geometry"])
    for column in columns:
        frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
    frame["times_chosen"] = frame[columns].notna().sum(axis=1).astype("int64")
    frame["robust"] = frame["times_chosen"] == len(chosen)
    mean_rank = frame[columns].astype("Float64").mean(axis=1).fillna(np.inf)
    frame = frame.assign(_order=mean_rank).sort_values(
        ["robust", "times_chosen", "_order"], ascending=[False, False, True]
    ).drop(columns="_order")
    sites = gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=4326)
    log(
        f"sensitivity: {int(sites['robust'].sum())} of {len(sites)} sites chosen at every "
        f"radius of {', '.join(f'{r:g}' for r in chosen)} km"
    )
    return Sensitivity(sites=sites, proposals=proposals, radii=chosen)
