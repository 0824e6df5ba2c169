"""Benchmark: cpgeo.population.population_within against loading the raster whole.

A synthetic population raster of 12,000 x 10,000 cells (float32, nodata over a "sea" and
a strip of missing data, deflate-compressed, 512 x 512 tiles) covers Iraq's extent
(settings.IRAQ_BBOX, cells about 90 m); 1,000 offices are spread over the country (seeded).
Each approach runs in a fresh subprocess, whose peak resident memory (ru_maxrss) is
reported, inputs included:

* cpgeo: ``population_within`` (row runs found by binary search on exact geodesics,
  raster read in strips), for all offices; also ``population_coverage`` (per governorate,
  union of catchments: a full pass over the raster);
* naive: read the whole raster into memory, then for each office take the cells of its
  bounding window, measure the geodesic from the office to every cell centre
  (pyproj.Geod) and sum the cells within the radius.

The naive approach costs about a second per office, so by default it runs on the first
``--naive-offices`` offices (cpgeo is timed on the same subset too) and its time for all
offices is extrapolated linearly (its per-office work does not depend on the number of
offices); ``--naive-offices 1000`` measures it in full (about 20 minutes). Sums are
compared office by office on the subset.

Usage: ``python bench/population.py [--offices 1000] [--naive-offices 100] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 12_000, 10_000
NODATA = -99999.0
RADIUS_KM = 50.0


def write_raster(path: Path, seed: int = 3) -> None:
    """Write the synthetic raster strip by strip (never whole in memory)."""
    import rasterio

    from cpgeo import settings

    west, south, east, north = settings.IRAQ_BBOX
    dx, dy = (east - west) / WIDTH, (north - south) / HEIGHT
    transform = rasterio.Affine(dx, 0.0, west, 0.0, -dy, north)
    rng = np.random.default_rng(seed)
    # 120 towns: centre, peak people per cell, spread in degrees (about 45 million people).
    towns = np.column_stack((rng.uniform(west, east, 120), rng.uniform(south, north, 120),
                             rng.uniform(20, 400, 120), rng.uniform(0.005, 0.03, 120)))
    profile = {"driver": "GTiff", "width": WIDTH, "height": HEIGHT, "count": 1,
               "dtype": "float32", "crs": "EPSG:4326", "transform": transform,
               "nodata": NODATA, "tiled": True, "blockxsize": 512, "blockysize": 512,
               "compress": "deflate", "predictor": 3, "BIGTIFF": "IF_SAFER"}
    lon = west + (np.arange(WIDTH) + 0.5) * dx
    with rasterio.open(path, "w", **profile) as dst:
        for start in range(0, HEIGHT, 512):
            h = min(512, HEIGHT - start)
            lat = north - (start + np.arange(h) + 0.5) * dy
            block = np.full((h, WIDTH), 0.2, dtype=np.float32)
            for tx, ty, peak, scale in towns:
                near = np.abs(lat - ty) < 4 * scale
                if not near.any():
                    continue
                cols = np.abs(lon - tx) < 4 * scale
                d2 = ((lon[cols][None, :] - tx) ** 2 + (lat[near][:, None] - ty) ** 2)
                block[np.ix_(near, cols)] += (peak * np.exp(-d2 / scale**2)).astype(np.float32)
            block[:, lon > 48.3] = NODATA  # "sea"
            block[(lat > 33.0) & (lat < 33.05), :] = NODATA  # a strip of missing data
            dst.write(block, 1, window=rasterio.windows.Window(0, start, WIDTH, h))


def make_offices(n: int, seed: int = 11):
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    # Pairs drawn together: the first k offices are the same whatever n.
    lon, lat = rng.uniform((39.0, 29.5), (48.0, 37.0), size=(n, 2)).T
    return gpd.GeoDataFrame({"id": [f"o{i}" for i in range(n)]},
                            geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def naive_within(raster: Path, offices, radius_km: float) -> np.ndarray:
    """Load the raster whole, then measure every cell of each office's window."""
    import rasterio
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    with rasterio.open(raster) as src:
        data = src.read(1)
        t = src.transform
    valid = np.isfinite(data) & (data != NODATA) & (data >= 0)
    out = []
    for p in offices.geometry:
        # Bounding box of the circle from the four cardinal points, plus a margin.
        lons, lats, _ = geod.fwd([p.x] * 4, [p.y] * 4, [0, 90, 180, 270], [radius_km * 1e3] * 4)
        c0 = max(int((min(lons) - t.c) / t.a) - 2, 0)
        c1 = min(int((max(lons) - t.c) / t.a) + 2, data.shape[1] - 1)
        r0 = max(int((max(lats) - t.f) / t.e) - 2, 0)
        r1 = min(int((min(lats) - t.f) / t.e) + 2, data.shape[0] - 1)
        if c1 < c0 or r1 < r0:
            out.append(0.0)
            continue
        rows, cols = np.mgrid[r0:r1 + 1, c0:c1 + 1]
        x = t.c + (cols + 0.5) * t.a
        y = t.f + (rows + 0.5) * t.e
        d = geod.inv(np.full(x.size, p.x), np.full(x.size, p.y), x.ravel(), y.ravel())[2]
        inside = (d.reshape(x.shape) <= radius_km * 1e3) & valid[r0:r1 + 1, c0:c1 + 1]
        out.append(float(data[r0:r1 + 1, c0:c1 + 1][inside].sum(dtype=np.float64)))
    return np.array(out)


def child(approach: str, raster: Path, n: int, result: Path) -> None:
    sys.path.insert(0, str(ROOT))
    offices = make_offices(n)
    start = time.perf_counter()
    if approach == "cpgeo":
        from cpgeo.population import population_within

        sums = population_within(raster, offices, RADIUS_KM).to_numpy()
    elif approach == "cpgeo-coverage":
        from cpgeo.population import population_coverage, raster_total

        total = raster_total(population_coverage(raster, offices, radius_km=RADIUS_KM))
        sums = total[["population", "population_within_radius"]].to_numpy(dtype=float)
    else:
        sums = naive_within(raster, offices, RADIUS_KM)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    np.save(result, sums)
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb}))


def run(approach: str, raster: Path, n: int, folder: Path) -> tuple[dict, np.ndarray]:
    result = folder / f"{approach}-{n}.npy"
    out = subprocess.run(
        [sys.executable, __file__, "--child", approach, str(raster), str(n), str(result)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1]), np.load(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=1000)
    parser.add_argument("--naive-offices", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the raster in this folder")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        approach, raster, n, result = args.child
        child(approach, Path(raster), int(n), Path(result))
        return

    with tempfile.TemporaryDirectory(prefix="cpgeo-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        raster = folder / "synthetic_population.tif"
        if not raster.exists():
            start = time.perf_counter()
            write_raster(raster)
            print(f"raster written in {time.perf_counter() - start:.0f} s: "
                  f"{raster.stat().st_size / 1e6:.0f} MB on disk, {WIDTH} x {HEIGHT} cells")
        sub = min(args.naive_offices, args.offices)
        rows = []
        full, full_sums = run("cpgeo", raster, args.offices, folder)
        rows.append(("cpgeo population_within", args.offices, full))
        part, part_sums = run("cpgeo", raster, sub, folder)
        rows.append(("cpgeo population_within", sub, part))
        naive, naive_sums = run("naive", raster, sub, folder)
        rows.append(("naive (whole raster + window mask)", sub, naive))
        cov, cov_sums = run("cpgeo-coverage", raster, args.offices, folder)
        rows.append(("cpgeo population_coverage", args.offices, cov))

    per_office_naive = naive["seconds"] / sub
    print(f"\n{WIDTH} x {HEIGHT} float32 raster, radius {RADIUS_KM:g} km, "
          f"fresh subprocess per row (peak = ru_maxrss)\n")
    print(f"{'approach':<38} {'offices':>7} {'time s':>9} {'ms/office':>10} "
          f"{'peak MB':>8} {'naive/this':>10}")
    for name, n, res in rows:
        ratio = per_office_naive * n / res["seconds"]
        print(f"{name:<38} {n:>7} {res['seconds']:>9.1f} {res['seconds'] / n * 1e3:>10.1f} "
              f"{res['peak_mb']:>8.0f} {ratio:>9.1f}x")
    if sub < args.offices:
        est = per_office_naive * args.offices
        print(f"{'naive, extrapolated':<38} {args.offices:>7} {est:>9.0f} "
              f"{per_office_naive * 1e3:>10.1f} {naive['peak_mb']:>8.0f} {1.0:>9.1f}x")
    diff = np.max(np.abs(part_sums - naive_sums) / np.maximum(naive_sums, 1)) if sub else 0.0
    same = np.max(np.abs(full_sums[:sub] - part_sums)) if sub else 0.0
    print(f"\nlargest relative |cpgeo - naive| over {sub} offices: {diff:.2g} "
          f"(float32 cells summed in another order); cpgeo subset vs full run: {same:.3g}")
    print(f"population_coverage: {cov_sums[1]:,.0f} of {cov_sums[0]:,.0f} people covered")


if __name__ == "__main__":
    main()
