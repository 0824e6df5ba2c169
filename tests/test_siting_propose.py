"""Capacitated proposals: brute force, capacity, governorates, the demo and the CLI."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from pyproj import Geod

import cpgeo
from cpgeo.cli import main
from cpgeo.siting import candidate_sites, plan_sites, propose_sites
from cpgeo.siting._capacitated import (
    CapacitatedInstance,
    greedy_capacitated,
    solve_capacitated,
)

GEOD = Geod(ellps="WGS84")
FOCUS = ("Salah al-Din", "Anbar", "Diyala", "Ninewa")


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


def km_matrix(a, b) -> np.ndarray:
    ax, ay = np.meshgrid(a.geometry.x.to_numpy(), b.geometry.x.to_numpy(), indexing="ij")
    bx, by = np.meshgrid(a.geometry.y.to_numpy(), b.geometry.y.to_numpy(), indexing="ij")
    _, _, metres = GEOD.inv(ax.ravel(), bx.ravel(), ay.ravel(), by.ravel())
    return np.asarray(metres).reshape(ax.shape) / 1000.0


def matching_size(pairs: np.ndarray, capacity: int) -> int:
    """Forums served (networkx max flow), pairs: forums x sites bool."""
    graph = nx.DiGraph()
    for f, s in zip(*np.nonzero(pairs), strict=True):
        graph.add_edge(("s",), ("f", f), capacity=1)
        graph.add_edge(("f", f), ("o", s), capacity=1)
        graph.add_edge(("o", s), ("t",), capacity=capacity)
    if graph.number_of_nodes() == 0:
        return 0
    return int(nx.maximum_flow_value(graph, ("s",), ("t",)))


def brute_force(fo, fc, cc, pop, capacity, n_sites, cost=None, budget=None):
    best = (-1, -1.0)
    n = fc.shape[1]
    for k in range(n_sites + 1):
        for subset in itertools.combinations(range(n), k):
            if budget is not None and cost[list(subset)].sum() > budget + 1e-9:
                continue
            pairs = np.hstack([fo, fc[:, list(subset)]])
            forums = matching_size(pairs, capacity)
            people = float(pop[cc[:, list(subset)].any(axis=1)].sum()) if subset else 0.0
            best = max(best, (forums, people))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_capacitated_model_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for trial in range(8):
        n_f, n_o, n_j, n_c = (
            int(rng.integers(1, 8)),
            int(rng.integers(0, 3)),
            int(rng.integers(1, 7)),
            int(rng.integers(0, 8)),
        )
        fo = rng.random((n_f, n_o)) < 0.5
        fc = rng.random((n_f, n_j)) < 0.35
        cc = rng.random((n_c, n_j)) < 0.3
        pop = rng.integers(0, 1000, n_c).astype(float)
        capacity = int(rng.integers(0, 3))
        cost = rng.choice([1.0, 2.5], n_j)
        n_sites = int(rng.integers(0, n_j + 1))
        budget = float(rng.choice([2.0, 3.5, 5.0])) if trial % 2 else None
        instance = CapacitatedInstance(
            sp.csr_array(fo), sp.csr_array(fc), sp.csr_array(cc), pop, capacity, cost
        )
        answer = solve_capacitated(instance, n_sites, budget=budget)
        expected = brute_force(fo, fc, cc, pop, capacity, n_sites, cost, budget)
        assert (answer.forums_served, answer.population) == expected
        assert answer.optimal
        assert answer.selected.size <= n_sites
        if budget is not None:
            assert cost[answer.selected].sum() <= budget + 1e-9
        chosen = list(answer.selected)
        assert matching_size(np.hstack([fo, fc[:, chosen]]), capacity) == expected[0]
        greedy = greedy_capacitated(instance, n_sites, budget=budget)
        assert (greedy.forums_served, greedy.population) <= expected
        assert greedy.selected.size <= n_sites


def test_propose_sites_returns_the_ranked_sites(demo: cpgeo.Scenario) -> None:
    proposal = plan_sites(demo, 3, method="greedy")
    sites = propose_sites(demo, 3, method="greedy")
    assert isinstance(sites, gpd.GeoDataFrame)
    assert sites["id"].tolist() == proposal.sites["id"].tolist()
    assert sites.crs.to_epsg() == 4326
    summary = proposal.summary.set_index("measure")
    assert sites.attrs["summary"]["offices over capacity"] == (
        summary.loc["offices over capacity", "before"],
        summary.loc["offices over capacity", "after"],
    )
    assert sites.attrs["method"] == "greedy" and not sites.attrs["optimal"]


def test_demo_proposal_reduces_uncovered_and_overload(demo: cpgeo.Scenario) -> None:
    proposal = plan_sites(demo, 4)
    sites = proposal.sites
    assert 1 <= len(sites) <= 4
    assert sites.crs.to_epsg() == 4326
    assert sites["rank"].tolist() == list(range(1, len(sites) + 1))
    assert set(sites["type"]) <= {"rehabilitate", "new_build"}
    assert set(sites["governorate"]) <= set(FOCUS)
    assert proposal.optimal and proposal.gap == 0.0
    # independent check with pyproj: uncovered communities in the focus governorates
    comm = demo.communities
    in_focus = comm["governorate"].isin(FOCUS).to_numpy()
    before = (km_matrix(comm, demo.offices) <= 50.0).any(axis=1)
    after = before | (km_matrix(comm, sites) <= 50.0).any(axis=1)
    assert (~after & in_focus).sum() < (~before & in_focus).sum()
    summary = proposal.summary.set_index("measure")
    key = "communities outside radius in " + ", ".join(FOCUS)
    assert summary.loc[key, "before"] == (~before & in_focus).sum()
    assert summary.loc[key, "after"] == (~after & in_focus).sum()
    assert (
        summary.loc["offices over capacity", "after"]
        < summary.loc["offices over capacity", "before"]
    )
    # marginal gains add up to the population gain
    pop = comm["population"].to_numpy(float)
    assert sites["marginal_gain"].sum() == pytest.approx(pop[after].sum() - pop[before].sum())
    # every reason names the site
    for row in sites.itertuples():
        assert row.name[1:] in row.reason
        assert row.reason.endswith(".")


def test_capacity_is_never_exceeded_and_forums_are_in_range(demo: cpgeo.Scenario) -> None:
    for capacity in (1, 3, 5):
        proposal = plan_sites(demo, 3, max_cpfs=capacity, method="greedy")
        assignment = proposal.assignment
        assert (assignment.offices["n_cpfs"] <= capacity).all()
        served = assignment.cpfs[assignment.cpfs["served"]]
        opened = assignment.offices.set_index("id")
        for row in served.itertuples():
            site = opened.loc[row.assigned_office].geometry
            _, _, metres = GEOD.inv(row.geometry.x, row.geometry.y, site.x, site.y)
            assert metres <= 50_000.0 + 1e-3
        assert (proposal.sites["cpfs_absorbed"] >= 0).all()


def test_exact_brute_force_on_the_demo(demo: cpgeo.Scenario) -> None:
    chosen = ("Anbar", "Diyala")
    proposal = plan_sites(demo, 2, governorates=chosen)
    cands = candidate_sites(demo, governorates=chosen)
    assert set(cands["governorate"]) <= set(chosen)
    fo = km_matrix(demo.cpfs, demo.offices) <= 50.0
    fc = km_matrix(demo.cpfs, cands) <= 50.0
    comm_km = km_matrix(demo.communities, demo.offices)
    outside = ~(comm_km <= 50.0).any(axis=1)
    cc = km_matrix(demo.communities[outside], cands) <= 50.0
    pop = demo.communities["population"].to_numpy(float)[outside]
    expected = brute_force(fo, fc, cc, pop, 5, 2)
    served = proposal.summary.set_index("measure").loc["forums served within capacity", "after"]
    assert served == expected[0]
    assert proposal.sites["marginal_gain"].sum() == pytest.approx(expected[1])
    greedy = plan_sites(demo, 2, governorates=chosen, method="greedy")
    g_served = greedy.summary.set_index("measure").loc["forums served within capacity", "after"]
    assert (g_served, greedy.sites["marginal_gain"].sum()) <= (served, expected[1] + 1e-6)


def test_governorate_restriction_and_grid(demo: cpgeo.Scenario) -> None:
    proposal = plan_sites(demo, 3, governorates="Diyala", grid_km=40.0, method="greedy")
    assert set(proposal.sites["governorate"]) == {"Diyala"}
    cands = proposal.candidates
    assert set(cands["governorate"]) == {"Diyala"}
    assert cands["id"].str.startswith("grid:").any()
    assert cands["selected"].sum() == len(proposal.sites)
    # grid points lie inside Diyala's polygon
    diyala = demo.boundaries[demo.boundaries["governorate"] == "Diyala"].union_all()
    grid = cands[cands["id"].str.startswith("grid:")]
    assert grid.within(diyala.buffer(1e-9)).all()


def test_budget_prefers_cheap_rehabilitation(demo: cpgeo.Scenario) -> None:
    proposal = plan_sites(demo, None, budget=2.0)
    assert proposal.sites["cost"].sum() <= 2.0
    assert (proposal.sites["type"] == "rehabilitate").all()
    costly = plan_sites(demo, None, budget=2.0, costs={"rehabilitate": 3.0})
    assert len(costly.sites) == 0 or costly.sites["cost"].sum() <= 2.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"governorates": "Atlantis"}, "unknown governorate"),
        ({"n_sites": 10_000}, "n_sites must be between 0 and the"),
        ({"n_sites": None}, "give a number of sites, a budget"),
        ({"method": "magic"}, "method must be"),
        ({"candidate_types": ("castle",)}, "candidate types must be"),
        ({"costs": {"new_build": -1.0}}, "must be a finite number >= 0"),
        ({"grid_km": 0.0}, "grid spacing must be a positive"),
        ({"radius_km": -5.0}, "radius_km must be > 0"),
    ],
)
def test_propose_errors(demo: cpgeo.Scenario, kwargs: dict, match: str) -> None:
    options = {"n_sites": 2, **kwargs}
    n_sites = options.pop("n_sites")
    with pytest.raises(cpgeo.InputError, match=match):
        plan_sites(demo, n_sites, **options)


def test_cli_propose(tmp_path, capsys) -> None:
    out = tmp_path / "proposals.csv"
    assert main(["propose", "--sites", "3", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ILLUSTRATIVE" in text
    lines = {
        line.split(":")[0].strip(): line.split(":", 1)[1]
        for line in text.splitlines()
        if "->" in line and ":" in line
    }
    before, after = (int(v.replace(",", "")) for v in lines["offices over capacity"].split("->"))
    assert after < before
    key = "communities outside radius in " + ", ".join(FOCUS)
    before, after = (int(v.replace(",", "")) for v in lines[key].split("->"))
    assert after < before
    written = pd.read_csv(out)
    assert len(written) >= 1
    assert {"rank", "reason", "latitude", "longitude"} <= set(written.columns)


def test_cli_propose_bad_input(capsys) -> None:
    assert main(["propose", "--sites", "2", "--governorates", "Atlantis"]) == 2
    assert "unknown governorate" in capsys.readouterr().err
    assert main(["propose"]) == 2
    assert "--sites" in capsys.readouterr().err
