"""Candidate sites for new Community Police Offices.

Three kinds, each restricted to the chosen governorates:

- ``"rehabilitate"``: existing police stations (the scenario's stations layer);
- ``"new_build"``: communities, a new office built in the town;
- ``"new_build"`` on a regular grid inside the governorate polygons (optional), for
  places between towns.

Rehabilitation is cheaper than a new build; the relative costs below are the defaults
of :func:`cpgeo.siting.propose_sites`'s budget option (change them by assignment, or pass
``costs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from cpgeo._errors import InputError
from cpgeo.admin import attach_areas, has_districts
from cpgeo.regions import resolve_governorates

if TYPE_CHECKING:
    from cpgeo.scenario import Scenario

#: Relative cost of rehabilitating a police station as an office.
REHAB_COST: float = 1.0

#: Relative cost of building a new office (in a community or at a grid point).
NEW_BUILD_COST: float = 2.5

#: Candidate types, in the order they are listed.
CANDIDATE_TYPES: tuple[str, ...] = ("rehabilitate", "new_build")

# Equal-area projection centred on Iraq, used only to lay out grid points in km.
_GRID_CRS = "+proj=laea +lat_0=33 +lon_0=44 +datum=WGS84 +units=m +no_defs"

CANDIDATE_COLUMNS = [
    "id", "name", "place", "type", "governorate", "cost", "source_id", "geometry"
]


def resolve_costs(costs: Mapping[str, float] | None) -> dict[str, float]:
    """Return the cost per candidate type, defaults filled in; reject negative costs.

    Keys of ``costs`` that are not candidate types are per-candidate costs (see
    :func:`apply_costs`) and are ignored here.
    """
    resolved = {"rehabilitate": REHAB_COST, "new_build": NEW_BUILD_COST}
    for key, value in (costs or {}).items():
        _check_cost(key, value)
        if key in resolved:
            resolved[key] = float(value)
    return resolved


def _check_cost(key: object, value: object) -> None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not (np.isfinite(number) and number >= 0):
        msg = f"cost of {key!r} must be a finite number >= 0, got {value!r}"
        raise InputError(msg)


def apply_costs(candidates: gpd.GeoDataFrame, costs: Mapping[str, float] | None) -> None:
    """Set per-candidate costs in place from ``costs`` keys that name candidates.

    A key may be a candidate's ``id`` (``"rehabilitate:STN-01"``) or the ``source_id``
    of its station or community (``"STN-01"``); type keys were applied when the
    candidates were built.

    Raises
    ------
    InputError
        For a key that is neither a candidate type nor a candidate (all listed at once).
    """
    unknown = []
    ids = candidates["id"].astype(str)
    sources = candidates["source_id"].astype("string")
    for key, value in (costs or {}).items():
        if key in CANDIDATE_TYPES:
            continue
        _check_cost(key, value)
        match = (ids == str(key)) | (sources == str(key)).fillna(False)
        if not match.any():
            unknown.append(str(key))
            continue
        candidates.loc[match.to_numpy(dtype=bool), "cost"] = float(value)
    if unknown:
        msg = (
            f"costs name {len(unknown)} site(s) that are not candidates here: "
            f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''} (keys are candidate "
            "types, candidate ids or station / community ids in the chosen governorates)"
        )
        raise InputError(msg)


def _points(layer: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if layer.crs is None:
        msg = f"the {what} layer has no CRS; cpgeo expects EPSG:4326 points"
        raise InputError(msg)
    return layer.to_crs(4326) if not layer.crs.equals("EPSG:4326") else layer


def candidate_sites(
    scenario: Scenario,
    *,
    governorates: Iterable[str] | str | None = None,
    candidate_types: Iterable[str] = CANDIDATE_TYPES,
    grid_km: float | None = None,
    costs: Mapping[str, float] | None = None,
) -> gpd.GeoDataFrame:
    """Build the candidate sites of a scenario inside the chosen governorates.

    Parameters
    ----------
    scenario
        The scenario; its ``stations`` (if any) give ``"rehabilitate"`` candidates and its
        ``communities`` give ``"new_build"`` candidates.
    governorates
        Canonical names (or common spellings, or one comma-separated string); None means
        ``settings.FOCUS_GOVERNORATES``.
    candidate_types
        Subset of ``{"rehabilitate", "new_build"}``.
    grid_km
        Also place ``"new_build"`` candidates on a square grid of this spacing (km,
        laid out in an equal-area projection centred on Iraq) inside the governorates'
        polygons; None for no grid.
    costs
        Cost per type; defaults :data:`REHAB_COST` and :data:`NEW_BUILD_COST`. A station
        with a number in a ``cost`` column of the stations layer costs that instead.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 points, index ``candidate`` (0..n-1), columns ``id`` (``"rehabilitate:"``,
        ``"new_build:"`` or ``"grid:"`` followed by the source id), ``name``, ``place``
        (the station's or community's name, or the grid point's position), ``type``,
        ``governorate``, ``cost``, ``source_id`` (station / community id, or NA for grid
        points), ``geometry``.

    Raises
    ------
    InputError
        Unknown governorate or candidate type, negative cost, or a grid spacing <= 0.
    """
    chosen = resolve_governorates(governorates)
    types = tuple(dict.fromkeys(candidate_types))
    unknown = [t for t in types if t not in CANDIDATE_TYPES]
    if unknown or not types:
        msg = f"candidate types must be among {', '.join(CANDIDATE_TYPES)}; got {types!r}"
        raise InputError(msg)
    price = resolve_costs(costs)
    parts: list[gpd.GeoDataFrame] = []
    if "rehabilitate" in types and scenario.stations is not None and len(scenario.stations):
        stations = _points(scenario.stations, "stations")
        inside = stations[stations["governorate"].isin(chosen)]
        parts.append(
            _frame(inside, "rehabilitate", inside["name"], inside["name"],
                   _station_costs(inside, price["rehabilitate"]))
        )
    if "new_build" in types:
        communities = _points(scenario.communities, "communities")
        inside = communities[communities["governorate"].isin(chosen)]
        names = "New office in " + inside["name"].astype(str)
        parts.append(_frame(inside, "new_build", names, inside["name"], price["new_build"]))
        if grid_km is not None:
            parts.append(_grid(scenario, chosen, grid_km, price["new_build"]))
    columns = CANDIDATE_COLUMNS
    if not parts:
        empty = gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in columns[:-1]}, geometry=[], crs=4326
        )
        return empty.rename_axis("candidate")
    frame = pd.concat(parts, ignore_index=True)
    result = gpd.GeoDataFrame(frame[columns], geometry="geometry", crs=4326)
    result.index = pd.RangeIndex(len(result), name="candidate")
    if has_districts(scenario.boundaries):  # each site names its district too
        result = attach_areas(result, scenario.boundaries)
    return result


def _station_costs(stations: gpd.GeoDataFrame, default: float) -> np.ndarray:
    """Return each station's own ``cost`` (a column of the stations file), else the default."""
    if "cost" not in stations.columns:
        return np.full(len(stations), float(default))
    values = pd.to_numeric(stations["cost"], errors="coerce")
    bad = values.notna() & ~(values >= 0)
    if bad.any():
        first = stations.loc[bad, "id"].astype(str).iloc[0]
        msg = f"stations: station {first}: cost {stations.loc[bad, 'cost'].iloc[0]!r} is negative"
        raise InputError(msg)
    return values.fillna(float(default)).to_numpy(dtype=float)


def _frame(
    layer: gpd.GeoDataFrame,
    kind: str,
    names: pd.Series,
    places: pd.Series,
    cost: float | np.ndarray,
) -> gpd.GeoDataFrame:
    ids = layer["id"].astype(str)
    return gpd.GeoDataFrame(
        {
            "id": (kind + ":" + ids).to_numpy(),
            "name": names.astype(str).to_numpy(),
            "place": places.astype(str).to_numpy(),
            "type": kind,
            "governorate": layer["governorate"].astype(str).to_numpy(),
            "cost": np.broadcast_to(np.asarray(cost, dtype=float), (len(layer),)).copy(),
            "source_id": ids.to_numpy(),
        },
        geometry=layer.geometry.to_numpy(),
        crs=4326,
    )


def _grid(
    scenario: Scenario, chosen: tuple[str, ...], grid_km: float, cost: float
) -> gpd.GeoDataFrame:
    if not (np.isfinite(grid_km) and grid_km > 0):
        msg = f"grid spacing must be a positive number of km, got {grid_km!r}"
        raise InputError(msg)
    boundaries = scenario.boundaries
    polygons = boundaries[boundaries["governorate"].isin(chosen)].to_crs(_GRID_CRS)
    xmin, ymin, xmax, ymax = polygons.total_bounds
    step = grid_km * 1_000.0
    n_points = ((xmax - xmin) / step + 1) * ((ymax - ymin) / step + 1)
    if n_points > 200_000:
        msg = f"a {grid_km:g}-km grid would have about {n_points:,.0f} points; use a wider spacing"
        raise InputError(msg)
    xs = np.arange(xmin + step / 2, xmax, step)
    ys = np.arange(ymin + step / 2, ymax, step)
    gx, gy = np.meshgrid(xs, ys)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=_GRID_CRS)
    joined = gpd.sjoin(points, polygons[["governorate", "geometry"]], predicate="within")
    joined = joined[~joined.index.duplicated()].to_crs(4326)
    lon, lat = joined.geometry.x.to_numpy(), joined.geometry.y.to_numpy()
    labels = [
        f"{abs(y):.3f}{'N' if y >= 0 else 'S'} {x:.3f}E" for x, y in zip(lon, lat, strict=True)
    ]
    return gpd.GeoDataFrame(
        {
            "id": [f"grid:{grid_km:g}km:{i}" for i in range(len(joined))],
            "name": [f"New office at {label}" for label in labels],
            "place": labels,
            "type": "new_build",
            "governorate": joined["governorate"].astype(str).to_numpy(),
            "cost": float(cost),
            "source_id": pd.array([pd.NA] * len(joined), dtype="string"),
        },
        geometry=joined.geometry.to_numpy(),
        crs=4326,
    )
