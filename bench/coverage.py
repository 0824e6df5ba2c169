"""Benchmark: cpgeo.coverage.community_coverage against the usual GeoPandas approach.

For each layout (uniform over Iraq's extent, or clustered around the embedded GeoNames
towns), N communities and M offices, two subprocesses run:

* cpgeo: ``community_coverage`` (KD-tree on ECEF, exact geodesic); its counts and nearest
  distances are checked against pyproj.Geod brute force on a seeded sample of communities
  (all of them when N x M <= 2e7);
* GeoPandas: project to UTM 38N (EPSG:32638), buffer the offices by 50 km, ``sjoin``
  (within) for coverage, ``sjoin_nearest`` for the nearest office; compared with cpgeo's
  exact answer (communities whose covered flag differs, pairs in / out of range that
  differ, largest nearest-distance error). It is not run where the pairs it must join
  make it slow (> about 120 s) or too large for memory.

Peak memory is the subprocess's maximum resident set size (inputs included).

Usage: ``python bench/coverage.py [--quick] [--sizes 10000x100,100000x1000]
[--layouts uniform,clustered]``
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from _child import ROOT, child
from pyproj import Geod

LON = (38.7, 48.6)
LAT = (29.0, 37.4)
RADIUS_KM = 50.0
GEOD = Geod(ellps="WGS84")
FULL_SIZES = [(n, m) for n in (10_000, 100_000, 1_000_000) for m in (100, 1_000, 10_000)]
QUICK_SIZES = [(10_000, 100), (100_000, 1_000)]
# GeoPandas baseline: skip when sjoin would have to materialise more pairs than this
# (measured: about 1-2 s per million joined pairs, and several hundred bytes each)
BASELINE_MAX_PAIRS = 30_000_000
BASELINE_MAX_NM = 2e9


def _points(lon: np.ndarray, lat: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": np.char.add("p", np.arange(lon.size).astype(str)).astype(object)},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def make_case(layout: str, n: int, m: int, seed: int = 7):
    """Communities and offices (GeoDataFrames, EPSG:4326) for one case, seeded."""
    rng = np.random.default_rng([seed, n, m, layout == "clustered"])
    if layout == "uniform":
        c = (rng.uniform(*LON, n), rng.uniform(*LAT, n))
        o = (rng.uniform(*LON, m), rng.uniform(*LAT, m))
    else:
        towns = pd.read_csv(ROOT / "data" / "communities" / "iraq_geonames_places.csv")
        weight = np.sqrt(towns["population"].fillna(0).to_numpy(dtype=float) + 1000.0)
        weight /= weight.sum()
        tlon = towns["longitude"].to_numpy()
        tlat = towns["latitude"].to_numpy()

        def around(k: int, sigma_deg: float):
            t = rng.choice(tlon.size, size=k, p=weight)
            lon = np.clip(tlon[t] + rng.normal(0, sigma_deg, k), *LON)
            lat = np.clip(tlat[t] + rng.normal(0, sigma_deg, k), *LAT)
            return lon, lat

        c = around(n, 0.08)
        o = around(m, 0.15)
    return _points(*c), _points(*o)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _brute(clon, clat, olon, olat):
    """Exact counts and nearest km for the given communities (pyproj, chunked)."""
    counts = np.empty(clon.size, dtype=np.int64)
    near = np.empty(clon.size)
    band = 0
    m = olon.size
    step = max(1, 2_000_000 // m)
    for s in range(0, clon.size, step):
        e = min(clon.size, s + step)
        k = e - s
        _, _, d = GEOD.inv(
            np.repeat(clon[s:e], m), np.repeat(clat[s:e], m), np.tile(olon, k), np.tile(olat, k)
        )
        d = np.asarray(d).reshape(k, m) / 1000.0
        counts[s:e] = (d <= RADIUS_KM).sum(axis=1)
        near[s:e] = d.min(axis=1)
        band += int((np.abs(d - RADIUS_KM) <= 1e-6).sum())
    return counts, near, band


def run_cpgeo(layout: str, n: int, m: int) -> dict:
    from cpgeo.coverage import community_coverage

    warm_c, warm_o = make_case(layout, 100, 10)
    community_coverage(warm_c, warm_o)  # one-off import and initialisation costs
    comm, offices = make_case(layout, n, m)
    rss_before = _maxrss_mb()
    t0 = time.perf_counter()
    cov = community_coverage(comm, offices, radius_km=RADIUS_KM)
    seconds = time.perf_counter() - t0
    rss_peak = _maxrss_mb()

    clon, clat = comm.geometry.x.to_numpy(), comm.geometry.y.to_numpy()
    olon, olat = offices.geometry.x.to_numpy(), offices.geometry.y.to_numpy()
    if n * m <= 2e7:
        rows = np.arange(n)
    else:
        rows = np.sort(np.random.default_rng(1).choice(n, size=1000, replace=False))
    counts, near, band = _brute(clon[rows], clat[rows], olon, olat)
    got_counts = cov["offices_in_range"].to_numpy()[rows]
    got_near = cov["nearest_office_km"].to_numpy()[rows]
    return {
        "seconds": seconds,
        "peak_mb": rss_peak,
        "call_mb": rss_peak - rss_before,
        "pairs": int(cov["offices_in_range"].sum()),
        "covered": int(cov["covered"].sum()),
        "checked": int(rows.size),
        "wrong_counts": int((counts != got_counts).sum()),
        "wrong_covered": int(((counts > 0) != (got_counts > 0)).sum()),
        "near_err_m": float(np.max(np.abs(near - got_near)) * 1000.0),
        "pairs_within_1mm": band,
    }


def run_geopandas(layout: str, n: int, m: int) -> dict:
    from cpgeo.coverage import community_coverage, pairs_within

    warm_c, warm_o = make_case(layout, 100, 10)
    gpd.sjoin_nearest(warm_c.to_crs("EPSG:32638"), warm_o.to_crs("EPSG:32638"))
    comm, offices = make_case(layout, n, m)
    t0 = time.perf_counter()
    c_utm = comm[["geometry"]].to_crs("EPSG:32638")
    o_utm = offices[["geometry"]].to_crs("EPSG:32638")
    buffers = gpd.GeoDataFrame(geometry=o_utm.buffer(RADIUS_KM * 1000.0), crs=o_utm.crs)
    joined = gpd.sjoin(c_utm, buffers, predicate="within", how="inner")
    counts = np.bincount(joined.index.to_numpy(), minlength=n)
    near = gpd.sjoin_nearest(c_utm, o_utm, how="left", distance_col="dist_m")
    near = near[~near.index.duplicated()]
    near_km = near["dist_m"].to_numpy() / 1000.0
    seconds = time.perf_counter() - t0
    rss_peak = _maxrss_mb()

    exact = community_coverage(comm, offices, radius_km=RADIUS_KM)
    ex_counts = exact["offices_in_range"].to_numpy()
    gp_pairs = joined.index.to_numpy().astype(np.int64) * m + joined["index_right"].to_numpy()
    ex = pairs_within(comm, offices, RADIUS_KM)
    ex_pairs = ex["a_index"].to_numpy() * m + ex["b_index"].to_numpy()
    wrong_pairs = int(np.setxor1d(gp_pairs, ex_pairs, assume_unique=True).size)
    return {
        "seconds": seconds,
        "peak_mb": rss_peak,
        "wrong_covered": int(((counts > 0) != (ex_counts > 0)).sum()),
        "wrong_pairs": wrong_pairs,
        "pairs": int(ex_pairs.size),
        "near_err_m": float(np.max(np.abs(near_km - exact["nearest_office_km"].to_numpy())) * 1e3),
    }


def _child(which: str, layout: str, n: int, m: int, timeout: float) -> dict | None:
    return child(__file__, which, layout, str(n), str(m), timeout=timeout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k x 100 and 100k x 1k only")
    parser.add_argument("--sizes", help="comma-separated NxM, e.g. 10000x100,1000000x10000")
    parser.add_argument("--layouts", default="uniform,clustered")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        which, layout, n, m = args.child
        fn = run_cpgeo if which == "cpgeo" else run_geopandas
        print(json.dumps(fn(layout, int(n), int(m))))
        return 0

    if args.sizes:
        sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes.split(",")]
    else:
        sizes = QUICK_SIZES if args.quick else FULL_SIZES
    header = (
        "| layout | N communities | M offices | pairs in range | cpgeo s | cpgeo peak MB "
        "| cpgeo wrong (checked) | GeoPandas s | speed-up | GeoPandas peak MB "
        "| GeoPandas wrong communities | GeoPandas wrong pairs | GeoPandas max nearest error m |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for layout in args.layouts.split(","):
        for n, m in sizes:
            cp = _child("cpgeo", layout, n, m, timeout=600)
            if cp is None or "error" in cp:
                print(f"| {layout} | {n:,} | {m:,} | cpgeo failed: {cp} |", flush=True)
                continue
            runnable = cp["pairs"] <= BASELINE_MAX_PAIRS and n * m <= BASELINE_MAX_NM
            gp = _child("geopandas", layout, n, m, timeout=300) if runnable else None
            cp_wrong = (
                f"{cp['wrong_counts']} ({cp['checked']:,}; nearest err {cp['near_err_m']:.1e} m)"
            )
            if gp is None or "error" in gp:
                why = "not run" if gp is None else f"not run ({gp['error']})"
                gp_cols = f"{why} | - | - | - | - | -"
            else:
                gp_cols = (
                    f"{gp['seconds']:.2f} | {gp['seconds'] / cp['seconds']:.0f}x | "
                    f"{gp['peak_mb']:.0f} | {gp['wrong_covered']:,} | "
                    f"{gp['wrong_pairs']:,} of {gp['pairs']:,} | {gp['near_err_m']:.0f}"
                )
            print(
                f"| {layout} | {n:,} | {m:,} | {cp['pairs']:,} | {cp['seconds']:.2f} | "
                f"{cp['peak_mb']:.0f} | {cp_wrong} | {gp_cols} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
