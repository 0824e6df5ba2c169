"""The Ministry's decision: budgets, costs, force in / out, equity minima, phases.

The capacitated engine is checked against brute force over every plan (each candidate
opened in some phase or not at all) and against the same model handed to HiGHS as a
textbook MILP (no reductions, no warm start); plan_sites is checked on the demo.
"""

from __future__ import annotations

import itertools
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from test_siting_propose import assert_telescopes, matching_size

import cpgeo
from cpgeo.siting import plan_sites
from cpgeo.siting._capacitated import (
    CapacitatedInstance,
    Conditions,
    Phase,
    _forum_bound,
    _Matching,
    _people_relaxation,
    _reduce,
    _site_limits,
    greedy_capacitated,
    solve_capacitated,
)

GOVS = ("A", "B")


def random_case(seed: int):
    rng = np.random.default_rng(seed)
    n_f, n_o, n_j, n_c = (
        int(rng.integers(1, 7)),
        int(rng.integers(0, 3)),
        int(rng.integers(2, 6)),
        int(rng.integers(1, 9)),
    )
    fo = rng.random((n_f, n_o)) < 0.4
    fc = rng.random((n_f, n_j)) < 0.3
    # some candidates reach no forum: the dominance reduction applies to them
    fc[:, rng.random(n_j) < 0.4] = False
    cc = rng.random((n_c, n_j)) < 0.35
    pop = rng.integers(0, 500, n_c).astype(float)
    cost = rng.choice([1.0, 2.5], n_j)
    gov = rng.choice(GOVS, n_j)
    cgov = rng.choice(GOVS, n_c)
    capacity = int(rng.integers(1, 3))
    instance = CapacitatedInstance(
        sp.csr_array(fo), sp.csr_array(fc), sp.csr_array(cc), pop, capacity, cost,
        governorate=gov, community_governorate=cgov,
    )
    n_t = int(rng.integers(1, 4))
    plan = []
    for _ in range(n_t):
        kind = rng.integers(0, 3)
        count = int(rng.integers(0, 3)) if kind != 1 else None
        budget = float(rng.choice([1.0, 2.5, 3.5])) if kind != 0 else None
        plan.append(Phase(count, budget))
    force = tuple(int(j) for j in rng.choice(n_j, size=int(rng.integers(0, 2)), replace=False))
    min_sites = {"A": 1} if rng.random() < 0.3 else {}
    min_people = {}
    if rng.random() < 0.3:
        here = pop[cgov == "B"]
        if here.sum() > 0:
            min_people = {"B": float(here.max())}
    return instance, (fo, fc, cc, pop, capacity, cost, gov, cgov), plan, Conditions(
        force_in=force, min_sites=min_sites, min_people=min_people
    )


def every_plan(arrays, plan, conditions):
    """Yield (phase of each candidate, forums, people) of every plan meeting the conditions.

    Forums and people are summed over the phases.
    """
    fo, fc, cc, pop, capacity, cost, gov, cgov = arrays
    n_j = fc.shape[1]
    n_t = len(plan)
    for assignment in itertools.product(range(-1, n_t), repeat=n_j):
        phase_of = np.array(assignment)
        ok = True
        for t, phase in enumerate(plan):
            new = phase_of == t
            if phase.count is not None and new.sum() > phase.count:
                ok = False
            if phase.budget is not None and cost[new].sum() > phase.budget + 1e-9:
                ok = False
        opened = phase_of >= 0
        if any(not opened[j] for j in conditions.force_in):
            ok = False
        for g, m in conditions.min_sites.items():
            if (opened & (gov == g)).sum() < m:
                ok = False
        covered_final = cc[:, opened].any(axis=1) if opened.any() else np.zeros(len(pop), bool)
        for g, need in conditions.min_people.items():
            if pop[covered_final & (cgov == g)].sum() < need - 1e-9:
                ok = False
        if not ok:
            continue
        forums = people = 0.0
        for t in range(n_t):
            open_t = (phase_of >= 0) & (phase_of <= t)
            forums += matching_size(np.hstack([fo, fc[:, open_t]]), capacity)
            if open_t.any():
                people += pop[cc[:, open_t].any(axis=1)].sum()
        yield phase_of, forums, people


def brute_force(arrays, plan, conditions):
    """Best (forums summed over phases, people summed over phases) over every plan."""
    return max(((f, p) for _, f, p in every_plan(arrays, plan, conditions)), default=None)


def feasible(instance, arrays, plan, conditions, open_phase) -> bool:
    cost, gov = arrays[5], arrays[6]
    for t, phase in enumerate(plan):
        new = open_phase == t
        if phase.count is not None and new.sum() > phase.count:
            return False
        if phase.budget is not None and cost[new].sum() > phase.budget + 1e-9:
            return False
    opened = open_phase >= 0
    return all(opened[j] for j in conditions.force_in) and all(
        (opened & (gov == g)).sum() >= m for g, m in conditions.min_sites.items()
    )


@pytest.mark.parametrize("seed", range(60))
def test_engine_equals_brute_force_and_the_textbook_model(seed: int) -> None:
    instance, arrays, plan, conditions = random_case(seed)
    expected = brute_force(arrays, plan, conditions)
    if expected is None:
        with pytest.raises(ValueError, match="no plan meets every condition"):
            solve_capacitated(instance, phases=plan, conditions=conditions)
        return
    answer = solve_capacitated(instance, phases=plan, conditions=conditions)
    assert (answer.forums_served, answer.population) == expected
    assert answer.optimal and answer.gap == 0.0
    assert feasible(instance, arrays, plan, conditions, answer.open_phase)
    textbook = solve_capacitated(
        instance, phases=plan, conditions=conditions, reduce=False, warm_start=False
    )
    assert (textbook.forums_served, textbook.population) == expected
    greedy = greedy_capacitated(instance, phases=plan, conditions=conditions)
    if not conditions.min_people:
        assert feasible(instance, arrays, plan, conditions, greedy.open_phase)
        assert (greedy.forums_served, greedy.population) <= expected


@pytest.mark.parametrize("seed", range(40))
def test_matching_gains_equal_a_max_flow(seed: int) -> None:
    """The incremental matching's gain of each site is the max-flow difference."""
    rng = np.random.default_rng(1000 + seed)
    n_f, n_o, n_j = int(rng.integers(1, 25)), int(rng.integers(0, 4)), int(rng.integers(1, 9))
    fo = rng.random((n_f, n_o)) < 0.3
    fc = rng.random((n_f, n_j)) < 0.3
    capacity = int(rng.integers(1, 4))
    instance = CapacitatedInstance(
        sp.csr_array(fo), sp.csr_array(fc), sp.csr_array(np.zeros((1, n_j), bool)),
        np.ones(1), capacity, np.ones(n_j),
    )
    matching = _Matching(instance, [])
    opened: list[int] = []
    for j in rng.permutation(n_j).tolist():
        before = matching_size(np.hstack([fo, fc[:, opened]]), capacity)
        after = matching_size(np.hstack([fo, fc[:, [*opened, j]]]), capacity)
        assert matching.gain(j) == after - before
        assert matching.open(j) == after - before
        opened.append(j)
        assert matching.served == after


@pytest.mark.parametrize("seed", range(60))
def test_the_plan_by_cuts_equals_brute_force(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the size limit: forums by the small model, people by Benders cuts; still exact."""
    import cpgeo.siting._capacitated as capacitated

    monkeypatch.setattr(capacitated, "LARGE_MODEL_NNZ", -1)
    instance, arrays, plan, conditions = random_case(seed)
    conditions = Conditions(force_in=conditions.force_in, min_sites=conditions.min_sites)
    expected = brute_force(arrays, plan, conditions)
    if expected is None:
        return  # infeasible plans are refused before any solve (tested above)
    answer = solve_capacitated(instance, phases=plan, conditions=conditions)
    assert answer.stats["method"].startswith("forums exact, people")
    assert feasible(instance, arrays, plan, conditions, answer.open_phase)
    assert (answer.forums_served, answer.population) == expected
    assert answer.optimal and answer.gap == 0.0


@pytest.mark.parametrize("seed", range(60))
def test_the_plan_by_cuts_alone_equals_brute_force(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the maximal covering bound, the Benders people stage alone is exact too."""
    import cpgeo.siting._capacitated as capacitated

    monkeypatch.setattr(capacitated, "LARGE_MODEL_NNZ", -1)
    monkeypatch.setattr(capacitated, "_people_relaxation", lambda *a: (np.inf, None))
    instance, arrays, plan, conditions = random_case(seed)
    conditions = Conditions(force_in=conditions.force_in, min_sites=conditions.min_sites)
    expected = brute_force(arrays, plan, conditions)
    if expected is None:
        return
    answer = solve_capacitated(instance, phases=plan, conditions=conditions)
    assert answer.stats["method"] == "forums exact, people by Benders cuts"
    assert (answer.forums_served, answer.population) == expected
    assert answer.optimal and answer.gap == 0.0


def _gain_case(seed: int):
    """A random case where forums outnumber the capacity: new sites fill up."""
    rng = np.random.default_rng(3000 + seed)
    n_f, n_o, n_j, n_c = int(rng.integers(4, 12)), int(rng.integers(0, 3)), 6, 8
    fo = rng.random((n_f, n_o)) < 0.3
    fc = rng.random((n_f, n_j)) < 0.45
    cc = rng.random((n_c, n_j)) < 0.35
    pop = rng.integers(1, 500, n_c).astype(float)
    capacity = int(rng.integers(1, 4))
    cost = np.ones(n_j)
    instance = CapacitatedInstance(
        sp.csr_array(fo), sp.csr_array(fc), sp.csr_array(cc), pop, capacity, cost
    )
    phases = [Phase(int(rng.integers(1, 3)), None) for _ in range(int(rng.integers(1, 3)))]
    gov = np.array(["A"] * n_j)
    return instance, (fo, fc, cc, pop, capacity, cost, gov, np.array(["A"] * n_c)), phases


@pytest.mark.parametrize("seed", range(60))
def test_the_forum_and_people_bounds_hold_for_every_plan(seed: int) -> None:
    """No plan serves more forums than the bound; no plan serving ``most`` covers more people.

    The people bound filters candidates by their gain alone (submodularity): a plan
    serving ``most`` forums, with a site the filter dropped, would break it here.
    """
    if seed % 2:
        instance, arrays, plan = _gain_case(seed)
        conditions = Conditions()
    else:
        instance, arrays, plan, conditions = random_case(seed)
        conditions = Conditions(force_in=conditions.force_in, min_sites=conditions.min_sites)
    plans = list(every_plan(arrays, plan, conditions))
    if not plans:
        return
    alone = matching_size(arrays[0], arrays[4])
    limits = _site_limits(instance, plan)
    assert max(f for _, f, _ in plans) <= _forum_bound(instance, limits, alone)
    reduced = _reduce(instance, conditions)
    best_forums = max(f for _, f, _ in plans)
    for most in (best_forums, best_forums - 1):
        bound, relaxed = _people_relaxation(
            instance, reduced, limits, conditions, alone, most, None
        )
        people = max(p for _, f, p in plans if f >= most)
        assert bound >= people - 1e-9
        if relaxed is not None:  # a plan of the candidates kept: the bound is its people
            cover = arrays[2][:, reduced.candidates[relaxed]].any(axis=1)
            assert arrays[3][cover].sum() == pytest.approx(bound)


@pytest.mark.parametrize("seed", range(30))
def test_candidates_reaching_the_same_forums_are_grouped_exactly(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many candidates with one forum set (a grid around a town): the grouped model's F*."""
    import cpgeo.siting._capacitated as capacitated

    monkeypatch.setattr(capacitated, "LARGE_MODEL_NNZ", -1)
    rng = np.random.default_rng(500 + seed)
    n_f, n_kinds = int(rng.integers(2, 9)), int(rng.integers(1, 4))
    kinds = rng.random((n_f, n_kinds)) < 0.5
    copies = rng.integers(1, 4, n_kinds)
    fc = np.repeat(kinds, copies, axis=1)  # each kind's forum set, copied
    n_j = fc.shape[1]
    cc = rng.random((6, n_j)) < 0.4
    pop = rng.integers(1, 50, 6).astype(float)
    fo = rng.random((n_f, 1)) < 0.3
    capacity = int(rng.integers(1, 3))
    instance = CapacitatedInstance(
        sp.csr_array(fo), sp.csr_array(fc), sp.csr_array(cc), pop, capacity, np.ones(n_j)
    )
    plan = [Phase(int(rng.integers(1, 4)), None)]
    arrays = (fo, fc, cc, pop, capacity, np.ones(n_j), np.array(["A"] * n_j), np.array(["A"] * 6))
    expected = brute_force(arrays, plan, Conditions())
    answer = solve_capacitated(instance, phases=plan)
    assert (answer.forums_served, answer.population) == expected
    assert answer.optimal


def test_the_plan_by_cuts_reports_a_valid_gap_when_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stopped by its time limit, the answer says so, and its gap bounds the best plan."""
    import cpgeo.siting._capacitated as capacitated

    monkeypatch.setattr(capacitated, "LARGE_MODEL_NNZ", -1)
    rng = np.random.default_rng(7)
    # hard enough that its proof takes several times a stage's shortest share (0.05 s),
    # so that the short limits below stop it whatever the machine's load
    n_f, n_j, n_c = 30, 200, 1500
    fc = rng.random((n_f, n_j)) < 0.06
    cc = rng.random((n_c, n_j)) < 0.02
    pop = rng.integers(1, 100, n_c).astype(float)
    instance = CapacitatedInstance(
        sp.csr_array(np.zeros((n_f, 0), bool)), sp.csr_array(fc), sp.csr_array(cc), pop, 2,
        np.ones(n_j),
    )
    plan = [Phase(6, None)]
    exact = solve_capacitated(instance, phases=plan)
    assert exact.optimal
    unproven = 0
    for limit in (0.001, 0.01, 0.05):
        stopped = solve_capacitated(instance, phases=plan, time_limit_s=limit)
        assert stopped.forums_served <= exact.forums_served
        if stopped.optimal:
            assert (stopped.forums_served, stopped.population) == (
                exact.forums_served, exact.population
            )
            continue
        unproven += 1
        assert stopped.gap > 0  # whole weights: an unproven plan is at least 1 short
        if stopped.stats["forums_proven"]:
            # the forums are proven: the gap is the people's
            assert stopped.forums_served == exact.forums_served
            assert stopped.population * (1.0 + stopped.gap) >= exact.population - 1e-6
        else:
            # the forums come first: the gap is theirs
            assert stopped.forums_served * (1.0 + stopped.gap) >= exact.forums_served - 1e-6
    assert unproven, "no run was stopped before its proof: the case is too easy"


def test_the_reductions_shrink_the_model_and_keep_the_optimum() -> None:
    rng = np.random.default_rng(7)
    n_f, n_j, n_c = 6, 40, 60
    fc = np.zeros((n_f, n_j), dtype=bool)
    fc[:, :5] = rng.random((n_f, 5)) < 0.5  # five candidates reach forums, 35 do not
    cc = rng.random((n_c, n_j)) < 0.08
    pop = rng.integers(1, 100, n_c).astype(float)
    instance = CapacitatedInstance(
        sp.csr_array(np.zeros((n_f, 1), bool)), sp.csr_array(fc), sp.csr_array(cc), pop, 2,
        np.ones(n_j),
    )
    reduced = solve_capacitated(instance, 4)
    plain = solve_capacitated(instance, 4, reduce=False, warm_start=False)
    assert (reduced.forums_served, reduced.population) == (plain.forums_served, plain.population)
    assert reduced.stats["candidates_reduced"] < reduced.stats["candidates"]
    assert reduced.stats["communities_reduced"] < reduced.stats["communities"]


# ------------------------------------------------------------------------ plan_sites


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


def test_force_in_and_out(demo: cpgeo.Scenario) -> None:
    base = plan_sites(demo, 3)
    first = base.sites["id"].iloc[0]
    without = plan_sites(demo, 3, force_out=[first])
    assert first not in set(without.sites["id"])
    # a station nobody would pick, forced in by its own id
    stations = base.candidates[base.candidates["type"] == "rehabilitate"]
    unpicked = stations[~stations["selected"]]
    forced = unpicked["source_id"].iloc[0]
    with_it = plan_sites(demo, 3, force_in=[forced])
    assert f"rehabilitate:{forced}" in set(with_it.sites["id"])
    assert len(with_it.sites) <= 3
    assert_telescopes(with_it)
    with pytest.raises(cpgeo.InputError, match="not candidates here: STN-nowhere"):
        plan_sites(demo, 3, force_in=["STN-nowhere"])


def test_costs_per_candidate_and_budget(demo: cpgeo.Scenario) -> None:
    base = plan_sites(demo, None, budget=3.0)
    assert base.sites["cost"].sum() <= 3.0
    # make every station but one dear: the budget then buys that one and new builds
    stations = base.candidates[base.candidates["type"] == "rehabilitate"]
    keep = stations["source_id"].iloc[0]
    dear = {sid: 50.0 for sid in stations["source_id"] if sid != keep}
    plan = plan_sites(demo, None, budget=3.5, costs=dear)
    rehab = plan.sites[plan.sites["type"] == "rehabilitate"]
    assert set(rehab["id"]) <= {f"rehabilitate:{keep}"}
    assert plan.sites["cost"].sum() <= 3.5
    # a cost column in the stations layer does the same
    layer = demo.stations.copy()
    layer["cost"] = [np.nan if sid == keep else 50.0 for sid in layer["id"]]
    from_file = plan_sites(demo.with_layers(stations=layer), None, budget=3.5)
    assert from_file.sites["id"].tolist() == plan.sites["id"].tolist()
    with pytest.raises(cpgeo.InputError, match="costs name 1 site"):
        plan_sites(demo, 2, costs={"STN-nowhere": 1.0})


def test_governorate_minimum(demo: cpgeo.Scenario) -> None:
    plain = plan_sites(demo, 2)
    picked = set(plain.sites["governorate"])
    missing = [g for g in cpgeo.settings.FOCUS_GOVERNORATES if g not in picked]
    gov = missing[0]
    fair = plan_sites(demo, 2, min_per_governorate={gov: 1})
    assert (fair.sites["governorate"] == gov).sum() >= 1
    assert len(fair.sites) <= 2
    # fairness costs: never better than the plan without the condition
    key = ("forums_served_within_capacity", "population_within_radius")
    fair_change = tuple(fair.summary.loc[list(key), "change"])
    assert fair_change <= tuple(plain.summary.loc[list(key), "change"])
    with pytest.raises(cpgeo.InputError, match=r"opens at most 2 site\(s\) but its conditions"):
        plan_sites(demo, 2, min_per_governorate={"Anbar": 1, "Diyala": 1, "Ninewa": 1})
    with pytest.raises(cpgeo.InputError, match="not among the governorates"):
        plan_sites(demo, 2, min_per_governorate={"Basra": 1})


def test_minimum_share_of_a_governorate(demo: cpgeo.Scenario) -> None:
    plain = plan_sites(demo, 1)
    share = plan_sites(demo, 1, min_share={"Salah al-Din": 0.6})
    rows = share.after.rows(["Salah al-Din"]).iloc[0]
    assert rows["population_within_radius_share"] >= 0.6
    assert plain.after.rows(["Salah al-Din"]).iloc[0]["population_within_radius_share"] < 0.6
    # one station cannot bring all of Salah al-Din within the radius: said plainly
    with pytest.raises(cpgeo.InputError, match=r"no plan meets every condition \(1 site"):
        plan_sites(demo, 1, min_share={"Salah al-Din": 1.0}, candidate_types=("rehabilitate",))
    with pytest.raises(cpgeo.InputError, match="share between 0 and 1"):
        plan_sites(demo, 1, min_share={"Anbar": 1.5})


def test_phases_keep_earlier_sites_and_add_up(demo: cpgeo.Scenario) -> None:
    plan = plan_sites(demo, phases=[2, 1, 1])
    sites = plan.sites
    assert sites["phase"].tolist() == sorted(sites["phase"].tolist())
    counts = sites["phase"].value_counts()
    assert all(counts.get(t, 0) <= n for t, n in ((1, 2), (2, 1), (3, 1)))
    assert list(plan.phases.columns) == ["before", "phase 1", "phase 2", "phase 3"]
    assert (plan.phases["before"] == plan.summary["before"]).all()
    assert (plan.phases["phase 3"] == plan.summary["after"]).all()
    # forums served never fall from one phase to the next
    served = plan.phases.loc["forums_served_within_capacity"].tolist()
    assert served == sorted(served)
    assert_telescopes(plan)
    # the phased plan's last phase is never better than one plan of all four sites
    single = plan_sites(demo, 4)
    key = ["forums_served_within_capacity", "population_within_radius"]
    assert tuple(plan.summary.loc[key, "after"]) <= tuple(single.summary.loc[key, "after"])
    budgets = plan_sites(demo, phases=[3.5, 2.5])
    spent = budgets.sites.groupby("phase")["cost"].sum()
    assert spent.get(1, 0) <= 3.5 and spent.get(2, 0) <= 2.5
    with pytest.raises(cpgeo.InputError, match="give phases, or a number of sites"):
        plan_sites(demo, 2, phases=[1, 1])


def test_cli_decision_options(capsys) -> None:
    import json

    from cpgeo.cli import main

    argv = ["propose", "--phases", "2,1", "--min-per-governorate", "Diyala=1",
            "--force-out", "STN-10", "--costs", "new_build=3", "--json"]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    ref = plan_sites(cpgeo.load_demo(), phases=[2, 1], min_per_governorate={"Diyala": 1},
                     force_out=["STN-10"], costs={"new_build": 3.0})
    assert [s["id"] for s in payload["sites"]] == ref.sites["id"].tolist()
    assert [s["phase"] for s in payload["sites"]] == ref.sites["phase"].tolist()
    assert "rehabilitate:STN-10" not in {s["id"] for s in payload["sites"]}
    assert any(s["governorate"] == "Diyala" for s in payload["sites"])
    assert {s["cost"] for s in payload["sites"] if s["type"] == "new_build"} <= {3.0}
    last = payload["phases"]["phase 2"]
    assert last and all(last[k] == payload["after"][k] for k in last)
    assert main(["propose", "--min-per-governorate", "Anbar", "--sites", "2"]) == 2
    assert "NAME=INT" in capsys.readouterr().err


def test_sensitivity_marks_the_sites_chosen_at_every_radius(demo: cpgeo.Scenario) -> None:
    from cpgeo.siting import sensitivity
    from cpgeo.siting.sensitivity import rank_column

    radii = (48.0, 50.0, 52.0)
    result = sensitivity(demo, radii, 3, method="greedy")
    chosen = {r: plan_sites(demo, 3, radius_km=r, method="greedy") for r in radii}
    ids = [set(p.sites["id"]) for p in chosen.values()]
    assert set(result.robust["id"]) == set.intersection(*ids)
    assert 1 <= len(result.robust) < len(result.sites)  # the demo has both kinds here
    assert set(result.sites["id"]) == set.union(*ids)
    for r, plan in chosen.items():
        ranks = result.sites.set_index("id")[rank_column(r)]
        for site in plan.sites.itertuples():
            assert ranks[site.id] == site.rank
    assert result.sites["robust"].tolist() == sorted(result.sites["robust"], reverse=True)
    with pytest.raises(cpgeo.InputError, match="at least two different radii"):
        sensitivity(demo, [50, 50], 3)
    with pytest.raises(cpgeo.InputError, match="positive numbers of km"):
        sensitivity(demo, [50, -1], 3)


def _around_the_river() -> tuple[cpgeo.Scenario, Any]:
    """Two towns 10 km apart across a river, 70 km apart by the only road (a U round it).

    The office is in the south town; its forum in the north town is within the radius,
    not within 50 km by road. Stations stand in each town.
    """
    import networkx as nx
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    south, north = (43.30, 33.40), (43.30, 33.49)
    corners = [(43.62, 33.40), (43.62, 33.49)]
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    chain = [south, *corners, north]
    for k, (x, y) in enumerate(chain):
        graph.add_node(k, x=x, y=y)
    for k in range(len(chain) - 1):
        length = geod.inv(*chain[k], *chain[k + 1])[2]
        graph.add_edge(k, k + 1, length=length, highway="primary")
        graph.add_edge(k + 1, k, length=length, highway="primary")
    return river_scenario(south, north), graph


def river_scenario(south: tuple[float, float], north: tuple[float, float]) -> cpgeo.Scenario:
    """The river case's layers: office and south town at ``south``, forum and north town at
    ``north``, a station in each town (Anbar)."""

    def layer(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            rows, geometry=gpd.points_from_xy([r.pop("x") for r in rows],
                                              [r.pop("y") for r in rows]), crs="EPSG:4326"
        )

    return cpgeo.load_demo().with_layers(
        offices=layer([{"id": "O1", "name": "South office", "governorate": "Anbar",
                        "x": south[0], "y": south[1]}]),
        cpfs=layer([{"id": "F1", "name": "North forum", "governorate": "Anbar",
                     "office_id": "O1", "x": north[0], "y": north[1]}]),
        communities=layer([
            {"id": "C1", "name": "South town", "governorate": "Anbar", "population": 1000.0,
             "x": south[0], "y": south[1] + 0.001},
            {"id": "C2", "name": "North town", "governorate": "Anbar", "population": 800.0,
             "x": north[0], "y": north[1] + 0.001},
        ]),
        stations=layer([
            {"id": "S1", "name": "South station", "governorate": "Anbar",
             "x": south[0] + 0.002, "y": south[1]},
            {"id": "S2", "name": "North station", "governorate": "Anbar",
             "x": north[0] + 0.002, "y": north[1]},
        ]),
    )


def test_catchments_by_road_change_the_decision_and_the_sensitivity_shows_it() -> None:
    from cpgeo.siting import sensitivity
    from cpgeo.siting.sensitivity import rank_column

    scenario, roads = _around_the_river()
    options = {"governorates": ["Anbar"], "candidate_types": ("rehabilitate",)}
    # by radius the office already serves the forum and covers both towns: nothing to add
    by_radius = plan_sites(scenario, 1, radius_km=50, **options)
    assert by_radius.sites.empty
    # by road the forum and the north town are 70 km away: the north station serves them
    by_road = plan_sites(scenario, 1, radius_km=50, roads=roads, **options)
    assert by_road.sites["id"].tolist() == ["rehabilitate:S2"]
    assert by_road.optimal
    result = sensitivity(scenario, [50], 1, roads=roads, **options)
    assert result.cases == [rank_column(50), rank_column(50, by_road=True)]
    row = result.sites.set_index("id").loc["rehabilitate:S2"]
    assert pd.isna(row[rank_column(50)]) and row[rank_column(50, by_road=True)] == 1
    assert not result.sites["robust"].any()
    with pytest.raises(cpgeo.InputError, match="at least two different radii"):
        sensitivity(scenario, [50], 1, **options)
