"""The embedded data and the demo scenario keep the promises of their READMEs."""

from __future__ import annotations

import csv

import pytest
from pyproj import Geod

import cpgeo
from cpgeo._paths import data_dir
from cpgeo.coverage import assign_cpfs, community_coverage, cpf_status, office_load

GEOD = Geod(ellps="WGS84")


def _csv_rows(*parts: str) -> list[dict[str, str]]:
    with data_dir().joinpath(*parts).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


def test_layers_match_their_files(demo: cpgeo.Scenario) -> None:
    assert len(demo.boundaries) == 18
    for name, frame in [("offices", demo.offices), ("cpfs", demo.cpfs),
                        ("stations", demo.stations)]:
        rows = _csv_rows("demo", f"{name}.csv")
        assert list(frame["id"]) == [r["id"] for r in rows]
    places = _csv_rows("communities", "iraq_geonames_places.csv")
    assert len(demo.communities) == len(places) == 169
    assert int(demo.communities["population"].sum()) == sum(int(r["population"]) for r in places)


def test_every_layer_is_wgs84_with_unique_ids(demo: cpgeo.Scenario) -> None:
    for frame in (demo.boundaries, demo.communities, demo.offices, demo.cpfs, demo.stations):
        assert frame is not None
        assert frame.crs.to_epsg() == 4326
        assert frame["id"].is_unique
        assert frame["governorate"].notna().all()


def test_communities_keep_geonames_governorate(demo: cpgeo.Scenario) -> None:
    places = {r["id"]: r["governorate"] for r in
              _csv_rows("communities", "iraq_geonames_places.csv")}
    assert dict(zip(demo.communities["id"], demo.communities["governorate"], strict=True)) == places


def test_boundary_area_is_within_one_percent_of_iraq(demo: cpgeo.Scenario) -> None:
    area = sum(abs(GEOD.geometry_area_perimeter(g)[0]) for g in demo.boundaries.geometry) / 1e6
    assert abs(area - 437_900) / 437_900 < 0.01


def test_demo_is_labelled_illustrative(demo: cpgeo.Scenario) -> None:
    assert demo.illustrative
    assert "ILLUSTRATIVE" in demo.notice
    for frame in (demo.offices, demo.cpfs, demo.stations):
        assert frame["note"].str.contains("illustrative").all()


def test_demo_flags_are_the_ones_its_readme_promises(demo: cpgeo.Scenario) -> None:
    load = office_load(demo.offices, demo.cpfs, radius_km=50, max_cpfs=5).set_index("id")
    assert set(load.index[load["over_capacity"]]) == {"OFF-MOS", "OFF-BAQ"}
    assert load.loc["OFF-MOS", "n_cpfs"] == 8
    assert load.loc["OFF-BAQ", "n_cpfs"] == 6

    status = cpf_status(demo.offices, demo.cpfs, radius_km=50).set_index("id")
    assert status.loc["CPF-12", "status"] == "out_of_range"
    office = demo.offices.set_index("id").geometry["OFF-MOS"]
    qayyarah = demo.cpfs.set_index("id").geometry["CPF-12"]
    _, _, metres = GEOD.inv(office.x, office.y, qayyarah.x, qayyarah.y)
    assert status.loc["CPF-12", "assigned_km"] == pytest.approx(metres / 1000, abs=1e-6)
    assert set(status.index[status["status"] == "no_office_in_range"]) == {
        "CPF-19", "CPF-26", "CPF-31"}
    assert status.loc["CPF-32", "assigned_office"] == "OFF-TIK"


def test_reassignment_relieves_baqubah_but_not_mosul(demo: cpgeo.Scenario) -> None:
    result = assign_cpfs(demo.offices, demo.cpfs, radius_km=50, max_cpfs=5)
    after = result.offices.set_index("id")["n_cpfs"]
    assert (after <= 5).all()
    assert not result.removes_overload  # Mosul's 7 in-range forums cannot all be served
    served = result.cpfs.set_index("id")
    mosul_in_range = ["CPF-05", "CPF-06", "CPF-07", "CPF-08", "CPF-09", "CPF-10", "CPF-11"]
    assert served.loc[mosul_in_range, "served"].sum() == 5
    baqubah = ["CPF-20", "CPF-21", "CPF-22", "CPF-23", "CPF-24", "CPF-25"]
    assert served.loc[baqubah, "served"].all()


def test_uncovered_communities_in_every_focus_governorate(demo: cpgeo.Scenario) -> None:
    covered = community_coverage(demo.communities, demo.offices, radius_km=50)
    for governorate in cpgeo.settings.FOCUS_GOVERNORATES:
        rows = covered[covered["governorate"] == governorate]
        assert (~rows["covered"]).sum() > 0, governorate
