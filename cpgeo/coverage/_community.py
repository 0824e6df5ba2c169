"""Community coverage by Community Police Offices, and its per-governorate summary."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from cpgeo._ids import id_array
from cpgeo._log import log
from cpgeo.coverage._index import (
    PointQuadtree,
    build_tree,
    count_within_quadtree,
    lonlat,
    nearest_arrays,
    resolve_radius,
)


def layer_ids(layer: gpd.GeoDataFrame) -> np.ndarray:
    """Return the layer's ``id`` column as id text (index labels when the column is missing).

    Ids are spelled as :func:`cpgeo._ids.id_text` does, so ``1``, ``1.0`` and ``"1"`` are
    the same id whatever the column's dtype.
    """
    values = layer["id"] if "id" in layer.columns else pd.Series(layer.index, index=layer.index)
    return id_array(values)


def output_frame(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Copy ``layer`` into EPSG:4326 (lonlat() has already checked the CRS)."""
    out = layer.copy()
    if not out.crs.equals("EPSG:4326"):
        out = out.to_crs("EPSG:4326")
    return out


def community_coverage(
    communities: gpd.GeoDataFrame,
    offices: gpd.GeoDataFrame,
    radius_km: float | None = None,
) -> gpd.GeoDataFrame:
    """Which communities lie within ``radius_km`` of an office, and their nearest office.

    Counts come from a quadtree of the communities that each office walks down,
    settling whole cells by the ECEF chord bounds of the radius and checking single
    communities only in cells that straddle the circle (an exact geodesic only for
    pairs in the 0.13-m band between the bounds), so the community-office pairs are
    never materialised; the nearest office comes from KD-tree chord candidates
    re-ranked by exact geodesic.

    Parameters
    ----------
    communities, offices
        Point GeoDataFrames (any CRS with a definition; EPSG:4326 expected). Offices are
        named by their ``id`` column (index labels when there is none).
    radius_km
        Catchment radius, kilometres on the WGS84 ellipsoid, inclusive (``<=``); None
        means ``cpgeo.settings.radius_km``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``communities`` in EPSG:4326, same index, with added columns
        ``covered`` (bool: some office within the radius), ``offices_in_range`` (int64),
        ``nearest_office`` (string id of the nearest office, in range or not; NA when
        there are no offices) and ``nearest_office_km`` (geodesic km; NaN without offices).

    Raises
    ------
    InputError
        If a layer has no CRS or holds a non-point geometry, or the radius is negative.
    """
    radius = resolve_radius(radius_km)
    clon, clat = lonlat(communities, "communities")
    olon, olat = lonlat(offices, "offices")
    office_ids = layer_ids(offices)
    n = clon.size

    # the quadtree's Morton order also keeps consecutive KD-tree queries close
    quad = PointQuadtree(clon, clat)
    order = quad.order
    counts_s = count_within_quadtree(quad, olon, olat, radius)
    pos_s, km_s = nearest_arrays(
        quad.lon, quad.lat, build_tree(olon, olat), olon, olat, pts=quad.pts
    )
    counts = np.empty(n, dtype=np.int64)
    counts[order] = counts_s
    pos = np.empty(n, dtype=np.int64)
    pos[order] = pos_s
    km = np.empty(n, dtype=np.float64)
    km[order] = km_s

    out = output_frame(communities)
    out["covered"] = counts > 0
    out["offices_in_range"] = counts
    if office_ids.size:
        names = pd.array(office_ids, dtype="string")[np.maximum(pos, 0)]
        out["nearest_office"] = pd.Series(names, index=out.index, dtype="string")
    else:
        out["nearest_office"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["nearest_office_km"] = km
    n_cov = int(np.count_nonzero(counts))
    log(
        f"community_coverage: {n_cov} of {n} communities within {radius:g} km "
        f"of {olon.size} offices"
    )
    return out


def governorate_summary(coverage: gpd.GeoDataFrame | pd.DataFrame) -> pd.DataFrame:
    """Community figures per governorate, from the output of :func:`community_coverage`.

    The same numbers, under the same keys, as the community columns of
    :attr:`cpgeo.Figures.by_governorate` (see :func:`cpgeo.figures`).

    Parameters
    ----------
    coverage
        Communities with ``covered`` and optionally ``governorate`` and ``population``
        (NA = unknown, never counted as 0).

    Returns
    -------
    pandas.DataFrame
        One row per governorate, sorted by name, then one with NA ``governorate`` for
        communities in none (when there are any); no total row (add rows up with
        :meth:`cpgeo.Figures.subtotal`). Columns ``governorate``, ``communities``,
        ``population`` (Int64; NA when every population there is unknown),
        ``communities_population_unknown``, ``communities_within_radius``,
        ``population_within_radius``, ``communities_outside_radius``,
        ``population_outside_radius`` and ``population_within_radius_share`` (0..1, NaN
        when the population is unknown or 0).
    """
    from cpgeo._figures import community_table

    if "covered" not in coverage.columns:
        msg = "governorate_summary needs a 'covered' column: pass community_coverage's output"
        raise ValueError(msg)
    table = community_table(coverage)
    log(f"governorate_summary: {len(table)} governorates, {len(coverage)} communities")
    return table
