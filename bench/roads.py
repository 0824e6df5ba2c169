"""Benchmark: national road distances from an OSM PBF extract (pyosmium, arrays).

Generates a national-size road network as an OSM PBF file in a temporary folder: a
jittered grid of junctions over Iraq's extent (38.8-48.6 E, 29.1-37.4 N), each block
side a street with a few shape points between its junctions, rows and columns cut into
ways of 1-10 blocks, a mix of highway types (motorways and trunks every 25th line,
primary and secondary every 5th, the rest tertiary, unclassified, residential and
tracks, some footways that are left out), about 12% of the town streets one-way (some
against the node order) and 3% of the ways missing. Then, each in a child process
(peak memory is that process's maximum resident set size):

* PBF: ``read_roads`` (:func:`cpgeo.coverage.network.road_network_from_pbf`) and
  ``network_coverage`` of 100 offices x 11,000 villages (uniform random points in the
  extent, seeded) at 50 km;
* baseline, on a smaller extract of the same kind (about 100k nodes, around Baghdad,
  written as both OSM XML and PBF): the osmnx path (``road_graph_from_xml`` +
  ``network_coverage``) against the PBF path on the same roads and points, their
  answers compared.

Targets: read + coverage under 30 s and peak memory under 4 GB for the national case.

Usage: ``python bench/roads.py [--quick] [--junctions 500] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
from _child import child

NATIONAL = (38.8, 29.1, 48.6, 37.4)  # min lon, min lat, max lon, max lat
BAGHDAD = (43.9, 32.3, 46.3, 34.3)
RADIUS_KM = 50.0
N_OFFICES = 100
N_VILLAGES = 11_000
TARGET_S = 30.0
TARGET_MB = 4096.0
TOWN_TYPES = ("tertiary", "unclassified", "residential", "residential", "track")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def generate(path: Path, extent: tuple[float, float, float, float], junctions: int,
             seed: int = 3) -> dict:
    """Write a jittered-grid road network (see the module docstring) to ``path``."""
    import osmium

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    west, south, east, north = extent
    g = junctions
    dx, dy = (east - west) / (g - 1), (north - south) / (g - 1)
    jx = west + dx * np.arange(g)[None, :] + rng.normal(0, 0.15 * dx, (g, g))
    jy = south + dy * np.arange(g)[:, None] + rng.normal(0, 0.15 * dy, (g, g))
    jx, jy = np.clip(jx, west, east), np.clip(jy, south, north)
    jid = np.arange(1, g * g + 1, dtype=np.int64).reshape(g, g)
    next_id = g * g + 1
    lon_parts, lat_parts, id_parts = [jx.ravel()], [jy.ravel()], [jid.ravel()]
    lines: list[tuple[np.ndarray, int, bool]] = []  # node refs, line number, is a row
    for horizontal in (True, False):
        for i in range(g):
            ax, ay = (jx[i], jy[i]) if horizontal else (jx[:, i], jy[:, i])
            ids = jid[i] if horizontal else jid[:, i]
            inner = rng.integers(2, 6, size=g - 1)  # shape points per block side
            t = np.concatenate([(np.arange(1, k + 1) / (k + 1)) for k in inner])
            block = np.repeat(np.arange(g - 1), inner)
            side = 0.1 * (dy if horizontal else dx)
            sx = ax[block] + t * (ax[block + 1] - ax[block]) + (
                0 if horizontal else rng.normal(0, side, t.size))
            sy = ay[block] + t * (ay[block + 1] - ay[block]) + (
                rng.normal(0, side, t.size) if horizontal else 0)
            sid = np.arange(next_id, next_id + t.size, dtype=np.int64)
            next_id += t.size
            lon_parts.append(sx)
            lat_parts.append(sy)
            id_parts.append(sid)
            # the line's nodes in order: junction, its shape points, next junction, ...
            refs = np.empty(g + t.size, dtype=np.int64)
            at = np.concatenate([[0], np.cumsum(inner + 1)])
            refs[at] = ids
            mask = np.ones(refs.size, dtype=bool)
            mask[at] = False
            refs[mask] = sid
            lines.append((refs, i, horizontal))
    lon = np.concatenate(lon_parts)
    lat = np.concatenate(lat_parts)
    nid = np.concatenate(id_parts)
    order = np.argsort(nid)
    n_ways = n_oneway = n_footway = 0
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        node = osmium.osm.mutable.Node
        for i, x, y in zip(nid[order].tolist(), lon[order].tolist(), lat[order].tolist(),
                           strict=True):
            writer.add_node(node(id=i, location=(x, y)))
        way = osmium.osm.mutable.Way
        wid = 1
        for refs, i, horizontal in lines:
            junction_at = np.flatnonzero(refs <= g * g)  # shape points are numbered after
            cuts = [0]
            while cuts[-1] < junction_at.size - 1:
                cuts.append(min(junction_at.size - 1, cuts[-1] + int(rng.integers(1, 11))))
            for a, b in itertools.pairwise(cuts):
                wid += 1
                if rng.random() < 0.03:
                    continue
                if i % 25 == 0:
                    tags = {"highway": "motorway" if horizontal else "trunk"}
                elif i % 5 == 0:
                    tags = {"highway": "primary" if horizontal else "secondary"}
                else:
                    kind = TOWN_TYPES[int(rng.integers(len(TOWN_TYPES)))]
                    tags = {"highway": "footway" if rng.random() < 0.05 else kind}
                    if kind == "residential" and rng.random() < 0.25:
                        tags["oneway"] = "yes" if rng.random() < 0.7 else "-1"
                        n_oneway += 1
                n_footway += tags["highway"] == "footway"
                chunk = refs[junction_at[a] : junction_at[b] + 1]
                writer.add_way(way(id=wid, nodes=chunk.tolist(), tags=tags))
                n_ways += 1
    return {
        "nodes": int(nid.size),
        "ways": n_ways,
        "oneway": n_oneway,
        "footway": n_footway,
        "mb": path.stat().st_size / 2**20,
        "seconds": time.perf_counter() - started,
    }


def _places(extent: tuple[float, float, float, float], n: int, m: int, seed: int = 11):
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    west, south, east, north = extent

    def layer(k: int, prefix: str):
        return gpd.GeoDataFrame(
            {"id": [f"{prefix}{i}" for i in range(k)]},
            geometry=gpd.points_from_xy(rng.uniform(west, east, k), rng.uniform(south, north, k)),
            crs="EPSG:4326",
        )

    return layer(n, "v"), layer(m, "o")


def run_child(path: str, extent: str) -> dict:
    """Read the roads of ``path`` and measure the villages' road distance to the offices."""
    from cpgeo.coverage.network import network_coverage, read_roads, road_extent

    box = tuple(float(v) for v in extent.split(","))
    villages, offices = _places(box, N_VILLAGES, N_OFFICES)  # type: ignore[arg-type]
    started = time.perf_counter()
    roads = read_roads(path)
    read_s = time.perf_counter() - started
    segments, km = road_extent(roads)
    started = time.perf_counter()
    out = network_coverage(villages, offices, roads, RADIUS_KM)
    coverage_s = time.perf_counter() - started
    return {
        "read_s": read_s,
        "coverage_s": coverage_s,
        "peak_mb": _maxrss_mb(),
        "segments": segments,
        "km": km,
        "covered": int(out["covered_by_road"].sum()),
        "within": int(out["within_radius"].sum()),
        "road_km": out["road_km"].tolist(),
    }


def _child(path: Path, extent: tuple[float, ...], timeout: float = 1200) -> dict:
    return child(__file__, str(path), ",".join(map(str, extent)), timeout=timeout)


def _line(what: str, r: dict) -> str:
    if "error" in r:
        return f"| {what} | failed: {r['error']} |"
    total = r["read_s"] + r["coverage_s"]
    return (f"| {what} | {r['segments']:,} | {r['km']:,.0f} | {r['read_s']:.1f} | "
            f"{r['coverage_s']:.1f} | {total:.1f} | {r['peak_mb']:,.0f} | "
            f"{r['covered']:,} of {N_VILLAGES:,} ({r['within']:,} within radius) |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a national grid of 200 x 200 junctions (about 300k nodes)")
    parser.add_argument("--junctions", type=int, default=500,
                        help="junctions per side of the national grid (500: about 2 M nodes)")
    parser.add_argument("--keep", type=Path, help="write the files here, and keep them")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(*args.child)))
        return 0

    junctions = 200 if args.quick else args.junctions
    with tempfile.TemporaryDirectory(prefix="cpgeo-bench-roads-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"{N_OFFICES} offices x {N_VILLAGES:,} villages (uniform in the extent), "
              f"{RADIUS_KM:g} km by road\n")
        header = ("| case | road segments | road km | read s | coverage s | read + coverage s "
                  "| peak MB | villages covered by road |")
        rule = "|" + "---|" * (header.count("|") - 1)

        national = folder / "iraq-national.osm.pbf"
        made = generate(national, NATIONAL, junctions)
        print(f"National extract: {made['nodes']:,} nodes, {made['ways']:,} ways "
              f"({made['oneway']:,} one-way, {made['footway']:,} footways), "
              f"{made['mb']:.0f} MB PBF, generated in {made['seconds']:.1f} s")
        pbf = _child(national, NATIONAL)
        print(header)
        print(rule)
        print(_line("national, PBF", pbf), flush=True)
        if "error" not in pbf:
            total = pbf["read_s"] + pbf["coverage_s"]
            print(f"\nTargets: read + coverage {total:.1f} s (target < {TARGET_S:g} s: "
                  f"{'met' if total < TARGET_S else 'NOT met'}); peak {pbf['peak_mb']:,.0f} MB "
                  f"(target < {TARGET_MB:,.0f} MB: "
                  f"{'met' if pbf['peak_mb'] < TARGET_MB else 'NOT met'})\n")

        small_pbf = folder / "baghdad.osm.pbf"
        small_xml = folder / "baghdad.osm"
        made = generate(small_pbf, BAGHDAD, 120, seed=5)
        generate(small_xml, BAGHDAD, 120, seed=5)
        print(f"Baseline extract: {made['nodes']:,} nodes, {made['ways']:,} ways, "
              f"{made['mb']:.1f} MB PBF, {small_xml.stat().st_size / 2**20:.0f} MB XML")
        by_pbf = _child(small_pbf, BAGHDAD)
        by_xml = _child(small_xml, BAGHDAD)
        print(header)
        print(rule)
        print(_line("baseline extract, PBF (pyosmium, arrays)", by_pbf))
        print(_line("baseline extract, OSM XML (osmnx, networkx)", by_xml), flush=True)
        if "error" not in by_pbf and "error" not in by_xml:
            a = np.array(by_pbf["road_km"], dtype=float)
            b = np.array(by_xml["road_km"], dtype=float)
            same = np.array_equal(np.isnan(a), np.isnan(b))
            diff = float(np.nanmax(np.abs(a - b))) if same and np.isfinite(a).any() else np.nan
            t_pbf = by_pbf["read_s"] + by_pbf["coverage_s"]
            t_xml = by_xml["read_s"] + by_xml["coverage_s"]
            print(f"\nosmnx path / PBF path: {t_xml / t_pbf:.1f}x the time "
                  f"(read {by_xml['read_s'] / by_pbf['read_s']:.1f}x, coverage "
                  f"{by_xml['coverage_s'] / by_pbf['coverage_s']:.1f}x), "
                  f"{by_xml['peak_mb'] / by_pbf['peak_mb']:.1f}x the peak memory; answers: "
                  f"{'the same villages reached' if same else 'DIFFERENT villages reached'}"
                  f", largest road_km difference {diff * 1e3:.2g} m")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
