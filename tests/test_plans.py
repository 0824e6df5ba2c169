"""Saved plans: one GeoPackage reopens to the same result; plans side by side."""

from __future__ import annotations

import pyogrio
import pytest

import cpgeo
from cpgeo.plans import compare_plans, open_plan, reopen, save_plan
from cpgeo.siting import plan_sites


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


OPTIONS = {
    "phases": [2, (1, 3.5)],
    "min_per_governorate": {"Diyala": 1},
    "force_out": ("rehabilitate:STN-10",),
    "costs": {"new_build": 3.0},
    "radius_km": 55.0,
    "method": "exact",
}


def test_a_saved_plan_reopens_to_the_same_result(demo, tmp_path) -> None:
    proposal = plan_sites(demo, **OPTIONS)
    path = save_plan(tmp_path / "plan_a.gpkg", demo, proposal, OPTIONS, name="Plan A")
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {"boundaries", "communities", "offices", "cpfs", "stations", "proposed_sites",
            "cpgeo_plan"} <= layers
    plan, again = reopen(path)
    assert plan.name == "Plan A"
    assert plan.cpgeo_version == cpgeo.__version__
    assert plan.options["phases"] == [2, (1, 3.5)]
    assert plan.options["min_per_governorate"] == {"Diyala": 1}
    assert plan.sites["id"].tolist() == proposal.sites["id"].tolist()
    assert again.sites["id"].tolist() == proposal.sites["id"].tolist()
    assert again.sites["phase"].tolist() == proposal.sites["phase"].tolist()
    assert (again.summary == proposal.summary).all().all()
    # the data came back as it went in, demo notice included
    assert plan.scenario.illustrative_layers == demo.illustrative_layers
    assert len(plan.scenario.communities) == len(demo.communities)
    assert plan.scenario.communities["population"].isna().sum() == (
        demo.communities["population"].isna().sum()
    )


def test_plans_side_by_side(demo) -> None:
    a = plan_sites(demo, 2)
    b = plan_sites(demo, 4)
    table = compare_plans([("two sites", a), ("four sites", b)])
    assert list(table.columns) == ["before", "two sites", "four sites", "four sites - two sites"]
    key = "communities_within_radius"
    assert table.loc[key, "four sites - two sites"] == (
        b.after[key] - a.after[key]
    )
    assert table.loc[key, "before"] == cpgeo.figures(demo)[key]
    with pytest.raises(cpgeo.InputError, match="two or three plans"):
        compare_plans([("one", a)])


def test_a_file_that_is_not_a_plan(tmp_path) -> None:
    from cpgeo.io import write_layer

    other = write_layer(cpgeo.load_demo().offices, tmp_path / "offices.gpkg")
    with pytest.raises(cpgeo.InputError, match="not a plan saved by cpgeo"):
        open_plan(other)
    with pytest.raises(cpgeo.InputError, match="no such plan file"):
        open_plan(tmp_path / "missing.gpkg")


def test_cli_save_and_compare(tmp_path, capsys) -> None:
    import json

    from cpgeo.cli import main

    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    assert main(["propose", "--sites", "2", "--method", "greedy", "--save", str(a),
                 "--name", "Two"]) == 0
    assert main(["propose", "--phases", "2,2", "--method", "greedy", "--save", str(b)]) == 0
    capsys.readouterr()
    assert main(["plans", str(a), str(b), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in payload["plans"]] == ["Two", "b"]
    assert all(p["same_sites_as_saved"] for p in payload["plans"])
    diff = payload["comparison"]["b - Two"]["communities_within_radius"]
    got = [p["after"]["communities_within_radius"] for p in payload["plans"]]
    assert diff == got[1] - got[0]
