"""Benchmark cpgeo's covering solvers on published instances, against plain HiGHS.

Set covering: Beasley's OR-Library instances (sets 4, 5, 6, A-E; rail516, rail582), each
solved by :func:`cpgeo.siting.solve_lscp` and, in the same run, by a plain HiGHS model of
the same problem (``scipy.optimize.milp``, HiGHS' defaults, no reductions, no start);
both values are checked against the published optima in ``orlib/KNOWN_OPTIMA.csv``.

Maximal covering: the Swain (55 nodes) and Sao Jose dos Campos (SJC324, SJC402) sets,
every node demand and candidate, a node covered by a site within Euclidean distance
``S`` (coordinates in the file's units: Swain plane units, SJC metres). Each (S, p) is
solved by :func:`cpgeo.siting.solve_mclp` and by a plain HiGHS MCLP; both values are
checked against ``mclp/COMPUTED_HIGHS_OPTIMA.csv``, which holds values computed with
plain HiGHS, not published ones.

The instances are read where they are published for the team, ``../shared/benchmarks``
beside the repository (or the folder in ``CPGEO_BENCHMARKS``); nothing is copied.
Times are wall-clock seconds of the solve call (the model build included), measured in
the same process one after the other; the ratio is plain HiGHS seconds / cpgeo seconds
(above 1: cpgeo is faster).

Usage: ``python bench/orlib.py [--quick] [--only NAME] [--time-limit S] [--no-mclp]
[--no-lscp]``.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cpgeo.siting import solve_lscp, solve_mclp

LSCP_CLASSES = ("4", "5", "6", "A", "B", "C", "D", "E", "rail")
QUICK_LSCP = ("scp41", "scp61", "scpe1")
QUICK_MCLP = ("swain.txt",)
TIME_LIMIT_S = 600.0
# Beasley's sets 4, 5, 6 and A-E, and the two smaller rail instances
LSCP_NAME = re.compile(r"scp[456a-e]\d+|rail516|rail582")


def benchmarks_dir() -> Path:
    """The shared benchmark folder: ``CPGEO_BENCHMARKS`` or ``../shared/benchmarks``."""
    override = os.environ.get("CPGEO_BENCHMARKS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"


def _integers(path: Path) -> np.ndarray:
    return np.array(path.read_text().split(), dtype=np.int64)


def read_scp(path: Path) -> tuple[sp.csr_array, np.ndarray]:
    """Beasley's ``scp*`` format: m n, n costs, then per row its count and 1-based columns."""
    values = _integers(path)
    m, n = int(values[0]), int(values[1])
    cost = values[2 : 2 + n].astype(np.float64)
    rows, cols = [], []
    at = 2 + n
    for i in range(m):
        count = int(values[at])
        cols.append(values[at + 1 : at + 1 + count] - 1)
        rows.append(np.full(count, i, dtype=np.int64))
        at += 1 + count
    r, c = np.concatenate(rows), np.concatenate(cols)
    matrix = sp.csr_array((np.ones(r.size, dtype=bool), (r, c)), shape=(m, n))
    return matrix, cost


def read_rail(path: Path) -> tuple[sp.csr_array, np.ndarray]:
    """The ``rail*`` format: m n, then per column its cost, count and 1-based rows."""
    values = _integers(path)
    m, n = int(values[0]), int(values[1])
    cost = np.empty(n)
    rows, cols = [], []
    at = 2
    for j in range(n):
        cost[j] = values[at]
        count = int(values[at + 1])
        rows.append(values[at + 2 : at + 2 + count] - 1)
        cols.append(np.full(count, j, dtype=np.int64))
        at += 2 + count
    r, c = np.concatenate(rows), np.concatenate(cols)
    matrix = sp.csr_array((np.ones(r.size, dtype=bool), (r, c)), shape=(m, n))
    return matrix, cost


def read_points(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Node coordinates (n x 2) and demand of an SJC or Swain file."""
    lines = path.read_text().split("\n")
    if path.name.lower().startswith("sjc"):
        n = int(lines[0].split()[0])
        table = np.array([line.split()[:3] for line in lines[1 : 1 + n]], dtype=float)
        return table[:, :2], table[:, 2]
    n = int(lines[0].split()[0])
    table = np.array([line.split()[1:4] for line in lines[1 : 1 + n]], dtype=float)
    return table[:, :2], table[:, 2]


def within(points: np.ndarray, radius: float) -> sp.csr_array:
    """Node x node coverage: Euclidean distance <= radius (a node covers itself)."""
    gap = points[:, None, :] - points[None, :, :]
    return sp.csr_array(np.sqrt((gap**2).sum(axis=2)) <= radius)


def instance_class(name: str) -> str:
    if name.startswith("rail"):
        return "rail"
    tag = name[3:]
    return tag[0].upper() if tag[0].isalpha() else tag[0]


def plain_lscp(matrix: sp.csr_array, cost: np.ndarray, limit_s: float) -> tuple[float, bool]:
    """min cost @ x, A x >= 1, x binary: HiGHS with its defaults on the whole model."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = matrix.shape[1]
    answer = milp(
        cost,
        constraints=LinearConstraint(sp.csr_array(matrix, dtype=np.float64), lb=1.0),
        integrality=np.ones(n),
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": limit_s},
    )
    if answer.x is None:
        return float("nan"), False
    chosen = answer.x > 0.5
    return float(cost[chosen].sum()), bool(answer.status == 0)


def plain_mclp(
    matrix: sp.csr_array, weights: np.ndarray, p: int, limit_s: float
) -> tuple[float, bool]:
    """max w @ y, y_i <= sum_j a_ij x_j, sum_j x_j = p, x binary, 0 <= y <= 1."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    m, n = matrix.shape
    link = sp.hstack([-sp.csr_array(matrix, dtype=np.float64), sp.eye_array(m)])
    count = sp.hstack([sp.csr_array(np.ones((1, n))), sp.csr_array((1, m))])
    answer = milp(
        -np.concatenate([np.zeros(n), weights]),
        constraints=[
            LinearConstraint(sp.csr_array(link), ub=0.0),
            LinearConstraint(sp.csr_array(count), lb=p, ub=p),
        ],
        integrality=np.concatenate([np.ones(n), np.zeros(m)]),
        bounds=Bounds(0.0, 1.0),
        options={"time_limit": limit_s},
    )
    if answer.x is None:
        return float("nan"), False
    chosen = np.flatnonzero(answer.x[:n] > 0.5)
    covered = np.asarray(matrix[:, chosen].sum(axis=1)).ravel() > 0
    return float(weights[covered].sum()), bool(answer.status == 0)


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def lscp_instances(root: Path, *, quick: bool, only: str | None) -> list[str]:
    known = pd.read_csv(root / "orlib" / "KNOWN_OPTIMA.csv")
    names = [
        name
        for name in known["instance"]
        if LSCP_NAME.fullmatch(name) and (root / "orlib" / f"{name}.txt").exists()
    ]
    if quick:
        names = [name for name in names if name in QUICK_LSCP]
    if only:
        names = [name for name in names if name == only]
    return names


def run_lscp(root: Path, names: list[str], limit_s: float) -> pd.DataFrame:
    known = pd.read_csv(root / "orlib" / "KNOWN_OPTIMA.csv").set_index("instance")
    rows = []
    for name in names:
        path = root / "orlib" / f"{name}.txt"
        matrix, cost = read_rail(path) if name.startswith("rail") else read_scp(path)
        published = float(known.loc[name, "best_known"])
        ours, ours_s = timed(lambda m=matrix, c=cost: solve_lscp(m, c, time_limit_s=limit_s))
        (plain, plain_optimal), plain_s = timed(lambda m=matrix, c=cost: plain_lscp(m, c, limit_s))
        row = {
            "instance": name,
            "class": instance_class(name),
            "m": matrix.shape[0],
            "n": matrix.shape[1],
            "published": published,
            "reduced": f"{ours.stats['rows_reduced']}x{ours.stats['cols_reduced']}",
            "cpgeo": ours.objective,
            "cpgeo_s": ours_s,
            "cpgeo_ok": bool(ours.optimal and ours.objective == published),
            "highs": plain,
            "highs_s": plain_s,
            "highs_ok": bool(plain_optimal and plain == published),
            "ratio": plain_s / ours_s,
        }
        rows.append(row)
        print("  " + ", ".join(f"{k}={_fmt(v)}" for k, v in row.items()), flush=True)
    return pd.DataFrame(rows)


def mclp_cases(root: Path, *, quick: bool, only: str | None) -> pd.DataFrame:
    cases = pd.read_csv(root / "mclp" / "COMPUTED_HIGHS_OPTIMA.csv")
    if quick:
        cases = cases[cases["instance"].isin(QUICK_MCLP)]
    if only:
        cases = cases[cases["instance"].str.removesuffix(".txt") == only.removesuffix(".txt")]
    return cases


def run_mclp(root: Path, cases: pd.DataFrame, limit_s: float) -> pd.DataFrame:
    rows = []
    for name, group in cases.groupby("instance", sort=False):
        folder = "Swain" if str(name).lower().startswith("swain") else "SJC"
        points, demand = read_points(root / "mclp" / folder / str(name))
        for radius, by_radius in group.groupby("S", sort=False):
            cover = within(points, float(radius))
            for case in by_radius.itertuples(index=False):
                p = int(case.p)
                reference = float(case.covered_demand)
                ours, ours_s = timed(
                    lambda c=cover, w=demand, p=p: solve_mclp(c, w, p, time_limit_s=limit_s)
                )
                (plain, plain_optimal), plain_s = timed(
                    lambda c=cover, w=demand, p=p: plain_mclp(c, w, p, limit_s)
                )
                row = {
                    "instance": str(name).removesuffix(".txt"),
                    "n": cover.shape[0],
                    "S": radius,
                    "p": p,
                    "computed_highs": reference,
                    "cpgeo": ours.objective,
                    "cpgeo_s": ours_s,
                    "cpgeo_ok": bool(ours.optimal and ours.objective == reference),
                    "highs": plain,
                    "highs_s": plain_s,
                    "highs_ok": bool(plain_optimal and plain == reference),
                    "ratio": plain_s / ours_s,
                }
                rows.append(row)
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame, key: str) -> pd.DataFrame:
    grouped = table.groupby(key, sort=False)
    return pd.DataFrame(
        {
            "instances": grouped.size(),
            "cpgeo_matches": grouped["cpgeo_ok"].sum(),
            "highs_matches": grouped["highs_ok"].sum(),
            "cpgeo_s": grouped["cpgeo_s"].sum(),
            "highs_s": grouped["highs_s"].sum(),
            "ratio_of_totals": grouped["highs_s"].sum() / grouped["cpgeo_s"].sum(),
            "worst_ratio": grouped["ratio"].min(),
        }
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _show(frame: pd.DataFrame, **kwargs: Any) -> None:
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(frame.to_string(float_format=lambda v: f"{v:.4g}", **kwargs), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few small instances")
    parser.add_argument("--only", metavar="NAME", help="one instance, e.g. rail516 or SJC324")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=TIME_LIMIT_S,
        metavar="S",
        help=f"per-solve wall-clock limit, seconds (default {TIME_LIMIT_S:g})",
    )
    parser.add_argument("--no-lscp", action="store_true")
    parser.add_argument("--no-mclp", action="store_true")
    args = parser.parse_args()
    root = benchmarks_dir()
    if not root.is_dir():
        parser.error(f"no benchmark folder at {root} (set CPGEO_BENCHMARKS)")
    print(f"benchmarks from {root}; time limit {args.time_limit:g} s per solve", flush=True)
    if not args.no_lscp:
        names = lscp_instances(root, quick=args.quick, only=args.only)
        if names:
            print("\nset covering (OR-Library), optimum = published value", flush=True)
            table = run_lscp(root, names, args.time_limit)
            _show(table, index=False)
            print("\nper class (ratio = plain HiGHS s / cpgeo s)")
            _show(summary(table, "class"))
    if not args.no_mclp:
        cases = mclp_cases(root, quick=args.quick, only=args.only)
        if len(cases):
            print(
                "\nmaximal covering (Swain, SJC), reference = value computed with plain "
                "HiGHS (not published)",
                flush=True,
            )
            table = run_mclp(root, cases, args.time_limit)
            _show(table, index=False)
            print("\nper instance and radius (ratio = plain HiGHS s / cpgeo s)")
            table["set"] = table["instance"] + " S=" + table["S"].map(_fmt)
            _show(summary(table, "set"))


if __name__ == "__main__":
    main()
