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
    assert sites.attrs["summary"]["offices_over_capacity"] == (
        proposal.summary.loc["offices_over_capacity", "before"],
        proposal.summary.loc["offices_over_capacity", "after"],
    )
    assert sites.attrs["method"] == "greedy" and not sites.attrs["optimal"]


def _redeclared(scenario: cpgeo.Scenario, proposal) -> cpgeo.Scenario:
    """The scenario after the proposal, rebuilt here from its sites and assignment."""
    new = proposal.sites[["id", "name", "governorate", "geometry"]].reset_index(drop=True)
    offices = gpd.GeoDataFrame(
        pd.concat([scenario.offices, new], ignore_index=True), geometry="geometry", crs=4326
    )
    served = proposal.assignment.cpfs["served"].to_numpy(bool)
    office = proposal.assignment.cpfs["assigned_office"].astype(object).to_numpy()
    cpfs = scenario.cpfs.copy()
    cpfs["office_id"] = np.where(served, office, scenario.cpfs["office_id"].astype(object))
    return scenario.with_layers(offices=offices, cpfs=cpfs)


def assert_telescopes(proposal) -> None:
    """Reassignment step + per-site figures add up exactly to the before -> after change."""
    summary = proposal.summary
    for key in summary.index:
        steps = [proposal.reassignment[key]]
        if key in proposal.sites.columns:
            steps += proposal.sites[key].tolist()
        if any(pd.isna(v) for v in steps):
            assert pd.isna(summary.loc[key, "change"]) or summary.loc[key, "change"] == 0
            continue
        assert sum(int(v) for v in steps) == summary.loc[key, "change"], key
        assert summary.loc[key, "after"] - summary.loc[key, "before"] == summary.loc[
            key, "change"
        ]


def test_demo_proposal_before_after_are_the_figures(demo: cpgeo.Scenario) -> None:
    proposal = plan_sites(demo, 4)
    sites = proposal.sites
    assert 1 <= len(sites) <= 4
    assert sites.crs.to_epsg() == 4326
    assert sites["rank"].tolist() == list(range(1, len(sites) + 1))
    assert set(sites["type"]) <= {"rehabilitate", "new_build"}
    assert set(sites["governorate"]) <= set(FOCUS)
    assert proposal.optimal and proposal.gap == 0.0
    # before = the figures of the scenario; after = the figures of the scenario rebuilt
    # here from the proposal
    figs = cpgeo.figures(demo)
    after = cpgeo.figures(_redeclared(demo, proposal))
    for key in proposal.summary.index:
        assert proposal.summary.loc[key, "before"] == figs[key], key
        assert proposal.summary.loc[key, "after"] == after[key], key
    assert_telescopes(proposal)
    # independent check with pyproj: uncovered communities in the focus governorates
    comm = demo.communities
    in_focus = comm["governorate"].isin(FOCUS).to_numpy()
    before = (km_matrix(comm, demo.offices) <= 50.0).any(axis=1)
    now = before | (km_matrix(comm, sites) <= 50.0).any(axis=1)
    key = "communities_outside_radius_focus"
    assert proposal.summary.loc[key, "before"] == (~before & in_focus).sum()
    assert proposal.summary.loc[key, "after"] == (~now & in_focus).sum()
    assert (~now & in_focus).sum() < (~before & in_focus).sum()
    # Mosul and Baqubah are over capacity today; four sites relieve both
    assert proposal.summary.loc["offices_over_capacity", "before"] == 2
    assert proposal.summary.loc["offices_over_capacity", "after"] == 0
    # population change: the known populations newly within the radius (pyproj)
    pop = pd.to_numeric(comm["population"], errors="coerce").fillna(0).to_numpy()
    assert sites["population_within_radius"].sum() == int(pop[now & ~before].sum())
    for row in sites.itertuples():
        assert row.name.removeprefix("New ") in row.reason  # the reason names the site
        assert row.reason.endswith(".")
        # the reason says the site's own per-site figures
        if row.communities_within_radius:
            assert f"brings {row.communities_within_radius:,} communit" in row.reason
            assert (
                f"({row.population_within_radius:,} people" in row.reason
                or "(population unknown)" in row.reason
            )
        else:
            assert "brings" not in row.reason
        if row.forums_served_within_capacity:
            assert f"{row.forums_served_within_capacity:,} more forum" in row.reason


def test_no_site_compares_like_with_like(demo: cpgeo.Scenario) -> None:
    proposal = plan_sites(demo, 0)
    assert len(proposal.sites) == 0
    summary = proposal.summary
    # nothing opened: the forums without an office in range stay what they are (4 in the
    # demo, counted here with pyproj: no office within 50 km)
    alone = int((~(km_matrix(demo.cpfs, demo.offices) <= 50.0).any(axis=1)).sum())
    assert summary.loc["forums_without_office_in_range", "before"] == alone
    assert summary.loc["forums_without_office_in_range", "after"] == alone
    assert summary.loc["forums_served_within_capacity", "change"] == 0
    # re-declaring Tarmiyah to Baghdad relieves Baqubah; Mosul stays over capacity, its
    # forums have nowhere else to go; the proposal says so as its reassignment step
    assert summary.loc["offices_over_capacity", "before"] == 2
    assert summary.loc["offices_over_capacity", "after"] == 1
    assert proposal.n_reassigned == 1
    moved = proposal.assignment.cpfs[proposal.assignment.cpfs["moved"]]
    assert moved["id"].tolist() == ["CPF-24"]
    assert (summary["change"] == proposal.reassignment[summary.index]).all()
    assert_telescopes(proposal)


def test_reasons_add_up_on_the_users_own_offices(tmp_path, demo: cpgeo.Scenario) -> None:
    # three offices of the user's own, at Tikrit, Ramadi and Al-Hamdaniya
    towns = demo.communities.set_index("name").loc[["Tikrīt", "Ramadi", "Al-Hamdaniya"]]
    path = tmp_path / "offices.csv"
    pd.DataFrame(
        {
            "id": ["T", "R", "H"],
            "name": ["Tikrit", "Ramadi", "Hamdaniya"],
            "latitude": towns.geometry.y.to_numpy(),
            "longitude": towns.geometry.x.to_numpy(),
        }
    ).to_csv(path, index=False)
    offices = cpgeo.read_layer(path, "offices")
    mine = demo.with_user_layers({"offices": offices}, {"offices": str(path)})
    for method in ("greedy", "exact"):
        proposal = plan_sites(mine, 3, method=method)
        assert_telescopes(proposal)
        sites = proposal.sites
        change = proposal.summary["change"]
        assert sites["communities_within_radius"].sum() == change["communities_within_radius"]
        assert sites["population_within_radius"].sum() == change["population_within_radius"]
        # a site that brings nobody new within the radius does not say it does
        for row in sites.itertuples():
            assert ("brings" in row.reason) == (row.communities_within_radius > 0)
        # 28 of the 32 demo forums declare offices that are not the user's
        assert proposal.before["forums_unknown_office"] == int(
            (~demo.cpfs["office_id"].isin(["T", "R", "H"]) & demo.cpfs["office_id"].notna()).sum()
        )


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
        # moved forums are served ones
        assert assignment.cpfs.loc[assignment.cpfs["moved"], "served"].all()
        assert (proposal.sites["forums_assigned"] <= capacity).all()
        assert_telescopes(proposal)


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
    pop = pd.to_numeric(demo.communities["population"], errors="coerce").fillna(0)
    pop = pop.to_numpy(float)[outside]
    expected = brute_force(fo, fc, cc, pop, 5, 2)
    served = proposal.summary.loc["forums_served_within_capacity", "after"]
    assert served == expected[0]
    assert proposal.summary.loc["population_within_radius", "change"] == expected[1]
    greedy = plan_sites(demo, 2, governorates=chosen, method="greedy")
    g = greedy.summary
    assert (
        g.loc["forums_served_within_capacity", "after"],
        g.loc["population_within_radius", "change"],
    ) <= (served, expected[1])


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
    # no candidate fits a budget of 2 when a rehabilitation costs 3 and a new build 2.5
    costly = plan_sites(demo, None, budget=2.0, costs={"rehabilitate": 3.0})
    assert len(costly.sites) == 0
    assert (costly.summary["change"] == costly.reassignment[costly.summary.index]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"governorates": "Atlantis"}, "unknown governorate"),
        ({"n_sites": -1}, "n_sites must be a whole number >= 0"),
        ({"n_sites": 2.5}, "n_sites must be a whole number >= 0"),
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
    import json

    out = tmp_path / "proposals.csv"
    assert main(["propose", "--sites", "3", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ILLUSTRATIVE" in text
    assert "Before -> after" in text
    written = pd.read_csv(out)
    assert len(written) >= 1
    assert {"rank", "reason", "latitude", "longitude"} <= set(written.columns)
    # --json: the same proposal as plan_sites, figure keys as in cpgeo.figures
    assert main(["propose", "--sites", "3", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    ref = plan_sites(cpgeo.load_demo(), 3)
    assert payload["before"] == cpgeo.figures(cpgeo.load_demo()).as_dict()
    assert payload["after"] == ref.after.as_dict()
    assert [s["id"] for s in payload["sites"]] == ref.sites["id"].tolist()
    for key, change in payload["change"].items():
        assert change == ref.summary.loc[key, "change"], key
        steps = payload["reassignment"]["change"][key] + sum(
            s.get(key, 0) or 0 for s in payload["sites"]
        )
        assert steps == change, key
    assert payload["notice"].startswith("ILLUSTRATIVE DATA")


def test_cli_propose_bad_input(capsys) -> None:
    assert main(["propose", "--sites", "2", "--governorates", "Atlantis"]) == 2
    assert "unknown governorate" in capsys.readouterr().err
    assert main(["propose"]) == 2
    assert "--sites" in capsys.readouterr().err


def test_more_sites_than_candidates_proposes_what_there_is(demo: cpgeo.Scenario) -> None:
    chosen = ("Diyala",)
    n = len(candidate_sites(demo, governorates=chosen, candidate_types=("rehabilitate",)))
    proposal = plan_sites(demo, n + 5, governorates=chosen, candidate_types=("rehabilitate",))
    assert 1 <= len(proposal.sites) <= n
    assert_telescopes(proposal)


def test_time_limit_bounds_the_greedy_search(demo: cpgeo.Scenario, monkeypatch) -> None:
    """Work, counted in forum evaluations, stops at the time limit (not timed here)."""
    from cpgeo.siting._capacitated import _Matching

    calls = {"n": 0}

    def counting(real):
        def counted(self, *args):
            calls["n"] += 1
            return real(self, *args)

        return counted

    monkeypatch.setattr(
        CapacitatedInstance, "forums_served", counting(CapacitatedInstance.forums_served)
    )
    monkeypatch.setattr(_Matching, "gain", counting(_Matching.gain))
    plan_sites(demo, 4, method="greedy", grid_km=40, time_limit_s=None)
    unbounded = calls["n"]
    calls["n"] = 0
    bounded = plan_sites(demo, 4, method="greedy", grid_km=40, time_limit_s=1e-6)
    # past the deadline at once: the first pick, the ranking, no interchange
    assert calls["n"] < unbounded / 5
    assert 1 <= len(bounded.sites) <= 4
    assert not bounded.optimal
    assert_telescopes(bounded)
