"""Community coverage by Community Police Offices, and its per-governorate summary."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from cpgeo._log import log
from cpgeo.coverage._index import (
    PointQuadtree,
    build_tree,
    count_within_quadtree,
    lonlat,
    nearest_arrays,
    resolve_radius,
)

#: Label of the governorate-summary row for communities without a governorate.
UNKNOWN_GOVERNORATE = "(unknown)"


def layer_ids(layer: gpd.GeoDataFrame) -> np.ndarray:
    """Return the layer's ``id`` column as strings (index labels when the column is missing)."""
    values = layer["id"] if "id" in layer.columns else pd.Series(layer.index, index=layer.index)
    return np.asarray(values.astype("string").to_numpy(dtype=object, na_value=None), dtype=object)


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
    """Coverage per governorate, from the output of :func:`community_coverage`.

    Parameters
    ----------
    coverage
        Communities with ``covered`` and optionally ``governorate`` (communities without
        one are grouped under ``"(unknown)"``) and ``population`` (missing counts as 0).

    Returns
    -------
    pandas.DataFrame
        One row per governorate, sorted by name, then a ``"Total"`` row; columns
        ``governorate``, ``communities``, ``covered``, ``uncovered``, ``population``,
        ``population_covered`` (int64) and ``share_covered`` (population share covered,
        0..1; NaN where the population is 0).
    """
    if "covered" not in coverage.columns:
        msg = "governorate_summary needs a 'covered' column: pass community_coverage's output"
        raise ValueError(msg)
    n = len(coverage)
    if "governorate" in coverage.columns:
        gov = coverage["governorate"].astype("string").fillna(UNKNOWN_GOVERNORATE)
    else:
        gov = pd.Series(UNKNOWN_GOVERNORATE, index=coverage.index, dtype="string")
    if "population" in coverage.columns:
        pop = pd.to_numeric(coverage["population"], errors="coerce").fillna(0).astype("int64")
    else:
        pop = pd.Series(np.zeros(n, dtype=np.int64), index=coverage.index)
    covered = coverage["covered"].astype(bool)
    frame = pd.DataFrame(
        {
            "governorate": gov.to_numpy(dtype=object),
            "communities": np.ones(n, dtype=np.int64),
            "covered": covered.to_numpy().astype(np.int64),
            "population": pop.to_numpy(),
            "population_covered": np.where(covered.to_numpy(), pop.to_numpy(), 0),
        }
    )
    table = frame.groupby("governorate", sort=True).sum().reset_index()
    total = pd.DataFrame(
        {
            "governorate": ["Total"],
            "communities": [int(frame["communities"].sum())],
            "covered": [int(frame["covered"].sum())],
            "population": [int(frame["population"].sum())],
            "population_covered": [int(frame["population_covered"].sum())],
        }
    )
    table = pd.concat([table, total], ignore_index=True)
    table["governorate"] = table["governorate"].astype("string")
    for col in ("communities", "covered", "population", "population_covered"):
        table[col] = table[col].astype("int64")
    table.insert(3, "uncovered", table["communities"] - table["covered"])
    popf = table["population"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(popf > 0, table["population_covered"].to_numpy() / popf, np.nan)
    table["share_covered"] = share
    log(f"governorate_summary: {len(table) - 1} governorates, {n} communities")
    return table
