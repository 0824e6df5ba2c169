"""Figures by generalised area: they add up, small counts are pooled, shapes are public."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import needs_shared_data, shared_data_dir

import cpgeo
from cpgeo.public import AREA_COLUMNS, AREA_FIGURES, _pool, public_areas

COUNTS = [c for c in AREA_FIGURES if c != "population_within_radius_share"]


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


@pytest.fixture(scope="module")
def districts(demo: cpgeo.Scenario) -> cpgeo.Scenario:
    path = shared_data_dir() / "iraq-cod-ab-2019" / "irq_admbnda_adm2_cso_20190603.shp"
    layer = cpgeo.read_layer(path, "boundaries")
    return demo.with_user_layers({"boundaries": layer}, {"boundaries": "COD-AB adm2"})


def _random_network(scn: cpgeo.Scenario, seed: int) -> cpgeo.Scenario:
    """Offices and forums at random communities (many, so some areas hold several)."""
    from dataclasses import replace

    rng = np.random.default_rng(seed)
    towns = scn.communities
    n_off, n_cpf = int(rng.integers(3, 40)), int(rng.integers(5, 120))
    at_o = rng.choice(len(towns), n_off, replace=True)
    at_f = rng.choice(len(towns), n_cpf, replace=True)
    offices = towns.iloc[at_o][["governorate", "geometry"]].reset_index(drop=True)
    offices.insert(0, "id", [f"O{i}" for i in range(n_off)])
    offices.insert(1, "name", [f"office {i}" for i in range(n_off)])
    cpfs = towns.iloc[at_f][["governorate", "geometry"]].reset_index(drop=True)
    cpfs.insert(0, "id", [f"F{i}" for i in range(n_cpf)])
    cpfs.insert(1, "name", [f"forum {i}" for i in range(n_cpf)])
    cpfs["office_id"] = [f"O{int(i)}" for i in rng.integers(0, n_off, n_cpf)]
    for extra in ("district", "district_pcode", "subdistrict", "subdistrict_pcode"):
        if extra in towns.columns:
            offices[extra] = towns.iloc[at_o][extra].to_numpy()
            cpfs[extra] = towns.iloc[at_f][extra].to_numpy()
    return replace(scn, offices=offices, cpfs=cpfs)


def _adds_up(areas: pd.DataFrame, fig: cpgeo.Figures) -> None:
    """Each governorate's area rows add up to its row of the governorate table."""
    gov = fig.by_governorate.set_index(fig.by_governorate["governorate"].astype(str))
    summed = areas.groupby(areas["governorate"].astype(str))[COUNTS].sum(min_count=0)
    for name, row in summed.iterrows():
        for column in COUNTS:
            expected = gov.loc[name, column]
            expected = 0 if pd.isna(expected) else int(expected)
            assert int(row[column]) == expected, (name, column)
    for column in ("offices", "forums", "communities", "population_within_radius"):
        assert int(areas[column].sum()) == int(fig[column]), column


def _small_counts_pooled(areas: pd.DataFrame, k: int) -> None:
    """Below the governorate no row holds 1 to k - 1 offices or forums.

    The one exception is the row that pools a whole governorate: its totals are the
    governorate's, published exactly anyway.
    """
    for row in areas.itertuples():
        if str(row.area).endswith(": all areas"):
            continue
        for column in ("offices", "forums"):
            value = getattr(row, column)
            assert value == 0 or value >= k, (row.area, column, value)


@pytest.mark.parametrize("level", ["governorate", "grid"])
@pytest.mark.parametrize("seed", range(4))
def test_areas_add_up_and_pool_small_counts(demo: cpgeo.Scenario, level: str, seed: int) -> None:
    scn = _random_network(demo, seed)
    fig = cpgeo.figures(scn)
    result = public_areas(fig, scn.boundaries, level=level)
    areas = result.areas
    assert list(areas.columns[: len(AREA_COLUMNS)]) == list(AREA_COLUMNS)
    assert areas.crs.equals("EPSG:4326")
    _adds_up(areas, fig)
    if level == "grid":
        _small_counts_pooled(areas, result.min_count)
    assert result.level in result.rule or level == "grid"


@needs_shared_data("iraq-cod-ab-2019")
@pytest.mark.parametrize("seed", range(3))
def test_districts_add_up_and_pool_small_counts(districts: cpgeo.Scenario, seed: int) -> None:
    scn = _random_network(districts, seed)
    fig = cpgeo.figures(scn)
    result = public_areas(fig, scn.boundaries)
    assert result.level == "district"
    _adds_up(result.areas, fig)
    _small_counts_pooled(result.areas, 3)
    # with a threshold of 1 nothing is pooled: one row per (governorate, district)
    every = public_areas(fig, scn.boundaries, min_count=1).areas
    assert (every["areas_pooled"] == 1).all()
    assert len(every) >= scn.boundaries["district_pcode"].nunique()


def _on_lines(points: np.ndarray, lines: shapely.Geometry, tol: float = 1e-7) -> np.ndarray:
    return shapely.distance(shapely.points(points), lines) <= tol


@pytest.mark.parametrize("level", ["governorate", "grid"])
def test_area_shapes_come_from_the_boundaries_alone(demo: cpgeo.Scenario, level: str) -> None:
    """Every vertex lies on a boundary line (or a grid line): no site shapes an area."""
    scn = _random_network(demo, 7)
    result = public_areas(cpgeo.figures(scn), scn.boundaries, level=level, cell_deg=0.5)
    vertices = shapely.get_coordinates(result.areas.geometry.to_numpy())
    edges = shapely.union_all(scn.boundaries.boundary.to_numpy())
    ok = _on_lines(vertices, edges)
    if level == "grid":
        on_grid = np.isclose((vertices / 0.5) % 1, 0, atol=1e-9) | np.isclose(
            (vertices / 0.5) % 1, 1, atol=1e-9
        )
        ok |= on_grid.any(axis=1)
    assert ok.all(), vertices[~ok][:5]


def _table(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["area_id", "governorate", "offices", "forums"])
    frame.insert(1, "area", frame["area_id"])
    frame["areas_pooled"] = 1
    for column in AREA_FIGURES:
        if column not in frame.columns:
            frame[column] = 0.0 if column.endswith("share") else 0
    frame["communities"] = 1
    return frame


def test_pooling_by_hand() -> None:
    # A (1 office) and D (2 offices) are small; pooled they hold 3: B and C stay alone
    table = _table([("A", "G", 1, 0), ("B", "G", 4, 4), ("C", "G", 0, 0), ("D", "G", 2, 3)])
    out = _pool(table, 3)
    assert sorted(out["area"]) == ["B", "C", "G: other areas"]
    pool = out[out["area"] == "G: other areas"].iloc[0]
    assert (pool["offices"], pool["forums"], pool["areas_pooled"]) == (3, 3, 2)


def test_a_lone_small_area_takes_in_the_smallest_until_it_singles_nothing_out() -> None:
    # A alone would be a pool of one: C (the smallest) joins; 1 office is still small, so
    # B joins too and the pool is the whole governorate; H is another governorate
    table = _table([("A", "G", 1, 0), ("B", "G", 5, 5), ("C", "G", 0, 0), ("X", "H", 3, 3)])
    out = _pool(table, 3)
    assert sorted(out["area"]) == ["G: all areas", "X"]
    assert out.set_index("area").loc["G: all areas", "areas_pooled"] == 3


def test_bad_generalisations(demo: cpgeo.Scenario) -> None:
    fig = cpgeo.figures(demo)
    with pytest.raises(cpgeo.InputError, match="needs COD-AB district"):
        public_areas(fig, demo.boundaries, level="district")
    with pytest.raises(cpgeo.InputError, match="not one of"):
        public_areas(fig, demo.boundaries, level="village")
    with pytest.raises(cpgeo.InputError, match="1 or more"):
        public_areas(fig, demo.boundaries, level="grid", min_count=0)
    with pytest.raises(cpgeo.InputError, match=r"between 0\.05 and 5"):
        public_areas(fig, demo.boundaries, level="grid", cell_deg=0.0)


def test_areas_are_shaded_by_what_is_known(demo: cpgeo.Scenario) -> None:
    """Villages without populations (OpenStreetMap's) shade by the share of communities."""
    fig = cpgeo.figures(demo)
    known = public_areas(fig, demo.boundaries, level="governorate")
    assert known.shade == "population_within_radius_share"
    towns = demo.communities.assign(population=pd.NA)
    blind = demo.with_layers(communities=towns)
    result = public_areas(cpgeo.figures(blind), blind.boundaries, level="governorate")
    assert result.shade == "communities_within_radius_share"
    areas = result.areas
    some = areas["communities"] > 0
    expected = areas.loc[some, "communities_within_radius"] / areas.loc[some, "communities"]
    assert np.allclose(areas.loc[some, "communities_within_radius_share"], expected)
    assert areas.loc[~some, "communities_within_radius_share"].isna().all()
    assert areas["population_within_radius_share"].isna().all()
