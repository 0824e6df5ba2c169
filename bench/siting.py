"""Benchmark cpgeo's covering solvers against PySAL spopt (PuLP + CBC) in the same run.

Synthetic instances in Iraq's extent: demand clustered around the embedded GeoNames
places (cluster sizes weighted by population, weights log-normal), candidates half at
demand points and half uniform inside the governorates; coverage = geodesic distance on
WGS84 <= 50 km. Sizes (demand, candidates) = (1k, 200), (5k, 1k), (20k, 2k), p in {5, 20},
plus LSCP on each size.

spopt gets the same coverage as a 0/1 cost matrix with radius 0.5 (its MCLP / LSCP
compare cost <= radius), built and solved with its defaults (``PULP_CBC_CMD``).

Usage: ``python bench/siting.py [--sizes small|all] [--no-spopt] [--ablation]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cpgeo._paths import data_dir
from cpgeo.siting import greedy_mclp, solve_lscp, solve_mclp

RADIUS_KM = 50.0
SIZES = ((1_000, 200), (5_000, 1_000), (20_000, 2_000))
PS = (5, 20)
# spopt runs that would take longer than this (estimated from the smaller sizes) are skipped
SPOPT_BUDGET_S = 300.0
# cpgeo's solver stops here and reports its proven gap instead
CPGEO_LIMIT_S = 300.0
# every ablation variant stops here (the slow ones report their gap)
ABLATION_LIMIT_S = 60.0


def synthetic_instance(
    n_demand: int, n_sites: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return demand lon/lat, weights and site lon/lat (degrees, EPSG:4326)."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    places = pd.read_csv(data_dir() / "communities" / "iraq_geonames_places.csv")
    pop = places["population"].fillna(0).to_numpy(float) + 2_000.0  # unknown: the floor
    centre = rng.choice(len(places), size=n_demand, p=pop / pop.sum())
    spread_km = rng.uniform(5.0, 30.0, size=len(places))[centre]
    lat = places["latitude"].to_numpy()[centre] + rng.normal(0, 1, n_demand) * spread_km / 111.0
    lon = places["longitude"].to_numpy()[centre] + rng.normal(0, 1, n_demand) * spread_km / (
        111.0 * np.cos(np.radians(lat))
    )
    weights = np.round(rng.lognormal(6.0, 1.2, n_demand))
    boundaries = gpd.read_file(data_dir() / "boundaries" / "iraq_governorates.geojson")
    n_uniform = n_sites // 2
    uniform = boundaries.union_all().buffer(0)
    points = gpd.GeoSeries([uniform], crs=4326).sample_points(n_uniform, rng=rng).explode()
    at_demand = rng.choice(n_demand, size=n_sites - n_uniform, replace=False)
    site_lon = np.concatenate([points.x.to_numpy(), lon[at_demand]])
    site_lat = np.concatenate([points.y.to_numpy(), lat[at_demand]])
    return lon, lat, weights, site_lon, site_lat


def coverage_within(
    lon: np.ndarray, lat: np.ndarray, site_lon: np.ndarray, site_lat: np.ndarray
) -> sp.csr_array:
    """Boolean demand x site matrix, geodesic WGS84 distance <= RADIUS_KM."""
    try:
        import geopandas as gpd

        from cpgeo.coverage import coverage_matrix

        demand = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
        sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(site_lon, site_lat), crs=4326)
        return sp.csr_array(coverage_matrix(demand, sites, RADIUS_KM))
    except ImportError:
        pass
    from pyproj import Geod
    from scipy.spatial import cKDTree

    def unit(lo: np.ndarray, la: np.ndarray) -> np.ndarray:
        lo, la = np.radians(lo), np.radians(la)
        return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

    # chord prefilter on the sphere with a 1% margin, then the exact ellipsoidal geodesic
    chord = 2 * np.sin(RADIUS_KM * 1.01 / 6_371.0 / 2)
    pairs = cKDTree(unit(site_lon, site_lat)).query_ball_point(unit(lon, lat), chord)
    rows = np.repeat(np.arange(len(lon)), [len(p) for p in pairs])
    cols = np.fromiter((j for p in pairs for j in p), dtype=np.int64, count=rows.size)
    _, _, dist_m = Geod(ellps="WGS84").inv(lon[rows], lat[rows], site_lon[cols], site_lat[cols])
    keep = np.asarray(dist_m) <= RADIUS_KM * 1_000.0
    return sp.csr_array(
        (np.ones(int(keep.sum()), dtype=bool), (rows[keep], cols[keep])),
        shape=(len(lon), len(site_lon)),
    )


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def _cbc(limit_s: float | None) -> Any:
    import pulp

    if limit_s is None:
        return pulp.PULP_CBC_CMD(msg=False)
    return pulp.PULP_CBC_CMD(msg=False, timeLimit=max(1.0, limit_s))


def spopt_mclp(
    cover: sp.csr_array, weights: np.ndarray, p: int, *, budget_s: float | None = None
) -> tuple[float, float, float]:
    """Build, solve (CBC stops at ``budget_s`` minus the build); (build s, solve s, objective)."""
    from spopt.locate import MCLP

    def build() -> Any:
        cost = np.where(cover.toarray(), 0.0, 1.0)
        return MCLP.from_cost_matrix(cost, weights, service_radius=0.5, p_facilities=p)

    model, build_s = timed(build)
    limit = None if budget_s is None else budget_s - build_s
    _, solve_s = timed(lambda: model.solve(_cbc(limit), results=False))
    chosen = [j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]
    covered = np.asarray(cover[:, chosen].sum(axis=1)).ravel() > 0
    return build_s, solve_s, float(weights[covered].sum())


def spopt_lscp(cover: sp.csr_array, *, budget_s: float | None = None) -> tuple[float, float, float]:
    from spopt.locate import LSCP

    required = np.flatnonzero(np.diff(cover.indptr) > 0)

    def build() -> Any:
        cost = np.where(cover[required].toarray(), 0.0, 1.0)
        return LSCP.from_cost_matrix(cost, service_radius=0.5)

    model, build_s = timed(build)
    limit = None if budget_s is None else budget_s - build_s
    _, solve_s = timed(lambda: model.solve(_cbc(limit), results=False))
    chosen = [j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]
    return build_s, solve_s, float(len(chosen))


def run(sizes: tuple[tuple[int, int], ...], *, with_spopt: bool) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    spopt_rate: dict[tuple[str, int], float] = {}
    for n_demand, n_sites in sizes:
        (lon, lat, weights, slon, slat), gen_s = timed(
            partial(synthetic_instance, n_demand, n_sites)
        )
        cover, cover_s = timed(partial(coverage_within, lon, lat, slon, slat))
        print(
            f"instance {n_demand}x{n_sites}: generated {gen_s:.1f} s, coverage {cover_s:.2f} s, "
            f"{cover.nnz:,} pairs within {RADIUS_KM:g} km",
            flush=True,
        )
        for model, p in [*(("MCLP", p) for p in PS), ("LSCP", 0)]:
            if model == "MCLP":
                result, ours = timed(
                    partial(solve_mclp, cover, weights, p, time_limit_s=CPGEO_LIMIT_S)
                )
                greedy = greedy_mclp(cover, weights, p)
                greedy_gap = 1.0 - greedy.objective / result.objective
            else:
                result, ours = timed(partial(solve_lscp, cover, time_limit_s=CPGEO_LIMIT_S))
                greedy_gap = float("nan")
            row: dict[str, Any] = {
                "model": model,
                "demand": n_demand,
                "sites": n_sites,
                "p": p or "-",
                "reduced": f"{result.stats['rows_reduced']}x{result.stats['cols_reduced']}",
                "algorithm": result.stats.get("algorithm", "-"),
                "cpgeo_build_s": result.stats["build_seconds"],
                "cpgeo_solve_s": result.stats["solve_seconds"],
                "cpgeo_total_s": ours,
                "cpgeo_obj": result.objective,
                "optimal": result.optimal,
                "gap": result.gap,
                "greedy_gap": greedy_gap,
            }
            key = (model, p)
            cells = cover.shape[0] * cover.shape[1]
            # spopt's build is dense in cells; extrapolate from the previous size
            estimate = spopt_rate.get(key, 0.0) * cells
            if not with_spopt:
                row["spopt"] = "not run (--no-spopt)"
            elif estimate > SPOPT_BUDGET_S:
                row["spopt"] = f"not run (estimated {estimate:.0f} s > {SPOPT_BUDGET_S:.0f} s)"
            else:
                if model == "MCLP":
                    build_s, solve_s, objective = spopt_mclp(cover, weights, p)
                else:
                    build_s, solve_s, objective = spopt_lscp(cover)
                spopt_rate[key] = (build_s + solve_s) / cells
                row.update(
                    spopt_build_s=build_s,
                    spopt_solve_s=solve_s,
                    spopt_total_s=build_s + solve_s,
                    spopt_obj=objective,
                    same_objective=bool(np.isclose(objective, result.objective, rtol=1e-9)),
                    speedup=(build_s + solve_s) / ours,
                )
            rows.append(row)
            print("  " + ", ".join(f"{k}={_fmt(v)}" for k, v in row.items()), flush=True)
    return pd.DataFrame(rows)


def spopt_only(
    sizes: tuple[tuple[int, int], ...], budget_s: float, models: tuple[str, ...] = ("mclp", "lscp")
) -> pd.DataFrame:
    """Run only spopt (one case at a time), each case stopped at ``budget_s`` end to end."""
    rows: list[dict[str, Any]] = []
    for n_demand, n_sites in sizes:
        lon, lat, weights, slon, slat = synthetic_instance(n_demand, n_sites)
        cover = coverage_within(lon, lat, slon, slat)
        for model, p in [*(("MCLP", p) for p in PS), ("LSCP", 0)]:
            if model.lower() not in models:
                continue
            try:
                if model == "MCLP":
                    build_s, solve_s, objective = spopt_mclp(cover, weights, p, budget_s=budget_s)
                else:
                    build_s, solve_s, objective = spopt_lscp(cover, budget_s=budget_s)
            except RuntimeError as error:
                # CBC stopped at the time limit without a solution pulp accepts
                print(f"  {model} p={p}: not solved within {budget_s:.0f} s ({error})")
                continue
            row = {
                "model": model,
                "demand": n_demand,
                "sites": n_sites,
                "p": p or "-",
                "spopt_build_s": build_s,
                "spopt_solve_s": solve_s,
                "spopt_total_s": build_s + solve_s,
                "spopt_obj": objective,
                "hit_limit": build_s + solve_s >= 0.98 * budget_s,
            }
            rows.append(row)
            print("  " + ", ".join(f"{k}={_fmt(v)}" for k, v in row.items()), flush=True)
    return pd.DataFrame(rows)


def ablation(n_demand: int, n_sites: int, p: int) -> pd.DataFrame:
    """Time the MCLP with each speed-up switched off in turn (same instance, capped)."""
    from cpgeo._errors import SolverError
    from cpgeo.siting._covering import _mclp_milp
    from cpgeo.siting._reduce import reduce_mclp

    lon, lat, weights, slon, slat = synthetic_instance(n_demand, n_sites)
    cover = coverage_within(lon, lat, slon, slat)
    rows = []
    for label, kwargs in [
        ("all on (auto)", {}),
        ("compact model", {"algorithm": "compact"}),
        ("benders, no warm start", {"algorithm": "benders", "warm_start": False}),
        ("compact, no warm start", {"algorithm": "compact", "warm_start": False}),
        ("benders, no reduction", {"algorithm": "benders", "reduce": False}),
        ("compact, no reduction", {"algorithm": "compact", "reduce": False}),
    ]:
        result, seconds = timed(
            lambda kwargs=kwargs: solve_mclp(
                cover, weights, p, time_limit_s=ABLATION_LIMIT_S, **kwargs
            )
        )
        rows.append(
            {
                "variant": label,
                "seconds": seconds,
                "objective": result.objective,
                "optimal": result.optimal,
                "gap": result.gap,
                "fixed_out": result.stats.get("fixed_out", "-"),
            }
        )
    reduced = reduce_mclp(cover, weights, np.zeros(0, dtype=np.int64))
    row = {"variant": "compact, binary y, no warm start", "fixed_out": "-"}
    try:
        answer, seconds = timed(
            lambda: _mclp_milp(
                reduced.matrix, reduced.weights, p, ABLATION_LIMIT_S, None, binary_coverage=True
            )
        )
        row.update(
            seconds=seconds,
            objective=answer.objective,
            optimal=answer.optimal,
            gap=(answer.bound - answer.objective) / answer.objective,
        )
    except SolverError:
        row.update(seconds=ABLATION_LIMIT_S, objective=float("nan"), optimal=False, gap=np.inf)
    rows.append(row)
    return pd.DataFrame(rows)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", choices=("small", "large", "all"), default="all")
    parser.add_argument(
        "--spopt-only",
        type=float,
        metavar="BUDGET_S",
        help="run only spopt, each case stopped after BUDGET_S seconds end to end",
    )
    parser.add_argument("--no-spopt", action="store_true")
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument("--models", choices=("mclp", "lscp", "all"), default="all")
    parser.add_argument("--ablation-only", action="store_true", help="skip the main table")
    args = parser.parse_args()
    sizes = {"small": SIZES[:2], "large": SIZES[2:], "all": SIZES}[args.sizes]
    if args.spopt_only is not None:
        models = ("mclp", "lscp") if args.models == "all" else (args.models,)
        print(spopt_only(sizes, args.spopt_only, models).to_string(index=False))
        return
    if not args.ablation_only:
        table = run(sizes, with_spopt=not args.no_spopt)
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.ablation or args.ablation_only:
        for n_demand, n_sites in sizes[1:]:
            for p in PS:
                print(f"\nablation {n_demand}x{n_sites}, p={p}")
                print(ablation(n_demand, n_sites, p).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
