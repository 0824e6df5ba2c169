"""Benchmark the product's capacitated siting on a national instance, against a textbook MILP.

The instance is what a planner in Iraq works with:

- demand: the OpenStreetMap village points of ``../shared/data/iraq-osm-villages/``
  (those inside Iraq, about 11,260) and the embedded places, **weight 1 each** (the
  villages have no population: the people figure here counts communities);
- forums: the 32 illustrative forums of the demo plus forums drawn at random (seeded)
  among the villages of Salah al-Din, Anbar, Diyala and Ninewa, 49 or 500 in all;
- offices: the 7 illustrative demo offices, capacity 5 forums, radius 50 km;
- candidates: the demo stations, the villages and places of the four governorates and a
  5-km grid over them (``plan_sites(..., grid_km=5)``).

Each case runs ``plan_sites`` exactly as the app and the CLI do (exact, 60-s limit; and
greedy with interchange). In the same run, the very model ``plan_sites`` built is handed
to HiGHS as the textbook capacitated MILP (no reductions, no warm start, one model), in a
child process stopped after ``--textbook-limit`` seconds: HiGHS does not always honour its
own time limit on a model this size, and a benchmark must end.

Usage: ``python bench/national.py [--quick] [--textbook-limit S] [--no-textbook]``.
The data stay in ``../shared/data`` (``CPGEO_SHARED_DATA`` overrides); nothing of them is
written anywhere.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

import cpgeo
import cpgeo.siting.propose as propose
from cpgeo.siting._capacitated import CapacitatedInstance, Conditions, Phase, solve_capacitated

FOCUS = ("Salah al-Din", "Anbar", "Diyala", "Ninewa")
SEED = 20261202


def shared_data() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return Path(os.environ.get("CPGEO_SHARED_DATA", default))


def villages(boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The OSM villages inside Iraq's governorates, as communities of weight 1."""
    table = pd.read_csv(shared_data() / "iraq-osm-villages" / "villages.csv")
    points = gpd.GeoDataFrame(
        {"id": "osm-" + table["osm_id"].astype(str), "name": table["Name"].fillna("")},
        geometry=gpd.points_from_xy(table["lng"], table["lat"]),
        crs="EPSG:4326",
    )
    inside = gpd.sjoin(points, boundaries[["governorate", "geometry"]], predicate="within")
    inside = inside.drop(columns="index_right", errors="ignore").drop_duplicates("id")
    return inside.assign(population=1.0)[["id", "name", "governorate", "population", "geometry"]]


def national_scenario(n_forums: int) -> cpgeo.Scenario:
    demo = cpgeo.load_demo()
    places = demo.communities.assign(population=1.0)[
        ["id", "name", "governorate", "population", "geometry"]
    ]
    here = villages(demo.boundaries)
    communities = gpd.GeoDataFrame(pd.concat([places, here], ignore_index=True), crs="EPSG:4326")
    extra = n_forums - len(demo.cpfs)
    rng = np.random.default_rng(SEED)
    pool = here[here["governorate"].isin(FOCUS)]
    drawn = pool.iloc[rng.choice(len(pool), size=extra, replace=False)]
    forums = gpd.GeoDataFrame(
        {
            "id": [f"CPF-N{k:04d}" for k in range(extra)],
            "name": [f"Forum {k}" for k in range(extra)],
            "governorate": drawn["governorate"].to_numpy(),
            "office_id": pd.array([None] * extra, dtype="string"),
        },
        geometry=drawn.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    cpfs = gpd.GeoDataFrame(pd.concat([demo.cpfs, forums], ignore_index=True), crs="EPSG:4326")
    return demo.with_layers(communities=communities, cpfs=cpfs)


class Captured:
    """Record the model plan_sites hands its engine (the textbook run gets the same one)."""

    def __init__(self) -> None:
        self.instance: CapacitatedInstance | None = None
        self.plan: list[Phase] = []
        self.conditions = Conditions()
        self.answer: Any = None

    def __enter__(self) -> Captured:
        self._solve, self._greedy = propose.solve_capacitated, propose.greedy_capacitated

        def keep(engine: Any) -> Any:
            def run(instance: CapacitatedInstance, **options: Any) -> Any:
                self.instance = instance
                self.plan = options["phases"]
                self.conditions = options["conditions"]
                self.answer = engine(instance, **options)
                return self.answer

            return run

        propose.solve_capacitated = keep(self._solve)
        propose.greedy_capacitated = keep(self._greedy)
        return self

    def __exit__(self, *exc: object) -> None:
        propose.solve_capacitated, propose.greedy_capacitated = self._solve, self._greedy


def _textbook(instance, plan, conditions, limit_s, queue) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    answer = solve_capacitated(
        instance, phases=plan, conditions=conditions, reduce=False, warm_start=False,
        time_limit_s=limit_s,
    )
    queue.put((answer.forums_served, answer.population, answer.optimal, answer.gap,
               time.perf_counter() - started))


def textbook(instance: CapacitatedInstance, plan: list[Phase], conditions: Conditions,
             limit_s: float) -> tuple[Any, ...]:
    """The textbook model in a child process, killed at twice its time limit."""
    context = mp.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_textbook, args=(instance, plan, conditions, limit_s, queue))
    started = time.perf_counter()
    child.start()
    child.join(2 * limit_s)
    if child.is_alive():
        child.kill()
        child.join()
        return (None, None, False, float("nan"), time.perf_counter() - started)
    return queue.get() if not queue.empty() else (None, None, False, float("nan"),
                                                  time.perf_counter() - started)


def run_case(scenario: cpgeo.Scenario, label: str, options: dict[str, Any],
             textbook_limit: float | None) -> list[dict[str, Any]]:
    rows = []
    for method in ("exact", "greedy"):
        with Captured() as seen:
            started = time.perf_counter()
            proposal = cpgeo.siting.plan_sites(
                scenario, governorates=FOCUS, grid_km=5.0, method=method, **options
            )
            seconds = time.perf_counter() - started
        answer = seen.answer
        assert seen.instance is not None
        stats = answer.stats
        rows.append({
            "case": label, "solver": f"plan_sites {method}",
            "candidates": seen.instance.n_candidates,
            "kept": stats.get("candidates_reduced", ""),
            "forums served": answer.forums_served, "communities": int(answer.population),
            "proven": answer.optimal, "gap": answer.gap,
            "engine s": stats.get("seconds", float("nan")), "total s": seconds,
            "how": stats.get("method", method),
            "rounds lp/mip": f"{stats.get('lp_rounds', '-')}/{stats.get('mip_rounds', '-')}",
        })
        del proposal
        if method == "exact" and textbook_limit:
            forums, people, optimal, gap, secs = textbook(
                seen.instance, seen.plan, seen.conditions, textbook_limit
            )
            rows.append({
                "case": label, "solver": "textbook MILP", "candidates": seen.instance.n_candidates,
                "kept": seen.instance.n_candidates,
                "forums served": forums, "communities": None if people is None else int(people),
                "proven": optimal, "gap": gap, "engine s": secs, "total s": secs,
                "how": "no answer (killed)" if forums is None else "HiGHS, one model",
            })
    return rows


CASES = (
    (49, "49 forums, 5 sites", {"n_sites": 5}),
    (49, "49 forums, 20 sites", {"n_sites": 20}),
    (500, "500 forums, 5 sites", {"n_sites": 5}),
    (500, "500 forums, 20 sites", {"n_sites": 20}),
    (49, "49 forums, phases 2+2+1", {"phases": [2, 2, 1]}),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the first case only")
    parser.add_argument("--textbook-limit", type=float, default=120.0)
    parser.add_argument("--no-textbook", action="store_true")
    args = parser.parse_args()
    scenarios: dict[int, cpgeo.Scenario] = {}
    rows = []
    for n_forums, label, options in CASES[:1] if args.quick else CASES:
        if n_forums not in scenarios:
            scenarios[n_forums] = national_scenario(n_forums)
            s = scenarios[n_forums]
            print(f"{n_forums} forums: {len(s.communities):,} communities, "
                  f"{len(s.offices)} offices", flush=True)
        rows += run_case(scenarios[n_forums], label, options,
                         None if args.no_textbook else args.textbook_limit)
        print(pd.DataFrame(rows[-3:]).to_string(index=False), flush=True)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print()
        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
