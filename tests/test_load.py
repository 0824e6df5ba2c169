"""Office load, forum status and reassignment against brute force and hand-made cases."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

import cpgeo
from cpgeo import InputError
from cpgeo.coverage import CPF_STATUSES, assign_cpfs, cpf_status, office_load

GEOD = Geod(ellps="WGS84")


def layer(lon, lat, ids, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": list(ids), **cols}, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326"
    )


def km_matrix(flon, flat, olon, olat) -> np.ndarray:
    n, m = len(flon), len(olon)
    _, _, d = GEOD.inv(np.repeat(flon, m), np.repeat(flat, m), np.tile(olon, n), np.tile(olat, n))
    return np.asarray(d).reshape(n, m) / 1000.0


def brute_assignment(
    d: np.ndarray, radius: float, capacity: int, current: list[int | None]
) -> tuple[int, int, float]:
    """Enumerate every assignment (each forum to an office in range or to none).

    Best = most forums served, then fewest served by an office other than ``current``,
    then the least total distance.
    """
    n, m = d.shape
    choices = [[None] + [j for j in range(m) if d[i, j] <= radius] for i in range(n)]
    best = (-1, 0, 0.0)
    for combo in itertools.product(*choices):
        loads = np.bincount([j for j in combo if j is not None], minlength=m)
        if (loads > capacity).any():
            continue
        served = sum(j is not None for j in combo)
        moved = sum(j is not None and j != current[i] for i, j in enumerate(combo))
        total = sum(d[i, j] for i, j in enumerate(combo) if j is not None)
        key = (served, -moved, -total)
        if key > (best[0], -best[1], -best[2]):
            best = (served, moved, total)
    return best


def current_office(d: np.ndarray, radius: float, declared: list[str | None]) -> list[int | None]:
    """The office each forum counts against today: declared, else nearest in range."""
    out: list[int | None] = []
    for i, dec in enumerate(declared):
        if dec is not None:
            out.append(int(dec[1:]))
        elif (d[i] <= radius).any():
            out.append(int(np.argmin(np.where(d[i] <= radius, d[i], np.inf))))
        else:
            out.append(None)
    return out


def random_instance(seed: int):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 5))
    n = int(rng.integers(1, 8))
    # a 1.5-degree square: some forums in range of several offices, some of none
    olon, olat = rng.uniform(43.0, 44.5, m), rng.uniform(33.0, 34.5, m)
    flon, flat = rng.uniform(43.0, 44.5, n), rng.uniform(33.0, 34.5, n)
    ids = [f"o{j}" for j in range(m)]
    declared = [ids[int(rng.integers(0, m))] if rng.random() < 0.5 else None for _ in range(n)]
    offices = layer(olon, olat, ids)
    cpfs = layer(flon, flat, [f"f{i}" for i in range(n)], office_id=declared)
    return offices, cpfs, declared, int(rng.integers(0, 4))


@pytest.mark.parametrize("seed", range(40))
def test_assign_cpfs_matches_brute_force(seed):
    offices, cpfs, declared, capacity = random_instance(seed)
    radius = 50.0
    d = km_matrix(cpfs.geometry.x, cpfs.geometry.y, offices.geometry.x, offices.geometry.y)
    current = current_office(d, radius, declared)
    want_served, want_moved, want_total = brute_assignment(d, radius, capacity, current)
    got = assign_cpfs(offices, cpfs, radius_km=radius, max_cpfs=capacity)
    assert got.n_served == want_served
    assert got.n_unserved == len(cpfs) - want_served
    assert got.n_moved == want_moved
    assert got.total_km == pytest.approx(want_total, abs=1e-6 * len(cpfs) + 1e-9)
    # a forum that moves is served, by an office other than today's
    moved = got.cpfs["moved"].to_numpy(dtype=bool)
    assert (got.cpfs["served"].to_numpy(dtype=bool) | ~moved).all()
    assert got.n_moved == int(moved.sum())
    # the returned assignment is feasible and its distances are the geodesics
    pos = {f"o{j}": j for j in range(len(offices))}
    loads = np.zeros(len(offices), dtype=int)
    for i, (office, dist, served) in enumerate(
        zip(got.cpfs["assigned_office"], got.cpfs["distance_km"], got.cpfs["served"], strict=True)
    ):
        if served:
            j = pos[office]
            loads[j] += 1
            assert dist == pytest.approx(d[i, j], abs=1e-9)
            assert d[i, j] <= radius
        else:
            assert pd.isna(office)
            assert np.isnan(dist)
    assert (loads <= capacity).all()
    assert got.offices["n_cpfs"].tolist() == loads.tolist()
    reachable = int((d <= radius).any(axis=1).sum())
    assert got.removes_overload == (want_served == reachable)


@pytest.mark.parametrize("seed", range(40))
def test_office_load_matches_brute_force(seed):
    offices, cpfs, declared, capacity = random_instance(seed)
    radius = 50.0
    d = km_matrix(cpfs.geometry.x, cpfs.geometry.y, offices.geometry.x, offices.geometry.y)
    m = len(offices)
    want = np.zeros(m, dtype=int)
    want_out = np.zeros(m, dtype=int)
    for i, dec in enumerate(declared):
        if dec is not None:
            j = int(dec[1:])
            want[j] += 1
            want_out[j] += d[i, j] > radius
        elif (d[i] <= radius).any():
            want[int(np.argmin(np.where(d[i] <= radius, d[i], np.inf)))] += 1
    got = office_load(offices, cpfs, radius_km=radius, max_cpfs=capacity)
    assert got["n_cpfs"].tolist() == want.tolist()
    assert got["n_out_of_range"].tolist() == want_out.tolist()
    assert got["over_capacity"].tolist() == (want > capacity).tolist()
    assert got["capacity"].tolist() == [capacity] * m


def hand_case():
    # offices A (Baghdad) and B (Tikrit, ~155 km north)
    offices = layer([44.40, 43.68], [33.34, 34.62], ["A", "B"])
    b_lon, b_lat, _ = GEOD.fwd(43.68, 34.62, 90.0, 20_000)
    far_lon, far_lat, _ = GEOD.fwd(44.40, 33.34, 180.0, 120_000)
    a_near_lon, a_near_lat, _ = GEOD.fwd(44.40, 33.34, 0.0, 10_000)
    cpfs = layer(
        [a_near_lon, b_lon, 44.41, float(b_lon), float(far_lon)],
        [a_near_lat, b_lat, 33.35, float(b_lat), float(far_lat)],
        ["in_A", "declared_A_far", "unknown", "nearest_B", "nowhere"],
        office_id=["A", "A", "ZZZ", None, None],
    )
    return offices, cpfs


def test_cpf_status_values():
    offices, cpfs = hand_case()
    got = cpf_status(offices, cpfs, radius_km=50)
    assert got["status"].tolist() == [
        "in_range",
        "out_of_range",
        "unknown_office",
        "in_range",
        "no_office_in_range",
    ]
    assert set(got["status"]) <= set(CPF_STATUSES)
    assigned = got["assigned_office"].tolist()
    assert assigned[:2] == ["A", "A"]
    assert assigned[3] == "B"
    assert got["assigned_office"].isna().tolist() == [False, False, True, False, True]
    _, _, d = GEOD.inv(44.40, 33.34, float(cpfs.geometry.x[1]), float(cpfs.geometry.y[1]))
    assert got["assigned_km"].iloc[1] == pytest.approx(d / 1000.0, abs=1e-9)
    assert got["offices_in_range"].tolist() == [1, 1, 1, 1, 0]


def test_office_load_flags_over_capacity():
    offices, cpfs = hand_case()
    got = office_load(offices, cpfs, radius_km=50, max_cpfs=1)
    assert got["n_cpfs"].tolist() == [2, 1]  # A: in_A + declared_A_far; B: nearest_B
    assert got["over_capacity"].tolist() == [True, False]
    assert got["n_out_of_range"].tolist() == [1, 0]


def test_assign_cpfs_removes_overload_or_says_why():
    offices, cpfs = hand_case()
    ok = assign_cpfs(offices, cpfs, radius_km=50, max_cpfs=2)
    # reachable: in_A, declared_A_far (near B), unknown (near A), nearest_B
    assert ok.n_served == 4
    assert ok.removes_overload
    assert ok.cpfs["assigned_office"].tolist()[:4] == ["A", "B", "A", "B"]
    assert ok.cpfs["moved"].tolist() == [False, True, True, False, False]
    assert ok.cpfs["office_before"].tolist()[:2] == ["A", "A"]
    assert ok.n_reachable == 4 and ok.n_moved == 2
    tight = assign_cpfs(offices, cpfs, radius_km=50, max_cpfs=1)
    assert tight.n_served == 2
    assert not tight.removes_overload
    # an unserved forum is never "moved", whatever office it counted against
    unserved = ~tight.cpfs["served"].to_numpy(dtype=bool)
    assert unserved.sum() == 3
    assert not tight.cpfs["moved"].to_numpy(dtype=bool)[unserved].any()
    # with room everywhere, nothing moves that need not: in_A and nearest_B stay
    roomy = assign_cpfs(offices, cpfs, radius_km=50, max_cpfs=5)
    assert roomy.cpfs["assigned_office"].tolist()[:4] == ["A", "B", "A", "B"]
    assert roomy.n_moved == 2  # declared_A_far (beyond A) and unknown (no real office)


def test_ids_match_whatever_their_dtype():
    offices, cpfs = hand_case()
    # the same office ids written as integers and the forums' references as floats / text
    int_offices = offices.assign(id=[1, 2])
    for refs in ([1.0, 1.0, 99.0, np.nan, np.nan], ["1", "1.0", "99", None, None],
                 pd.array([1, 1, 99, None, None], dtype="Int64")):
        forums = cpfs.assign(office_id=refs)
        got = cpf_status(int_offices, forums, radius_km=50)
        assert got["status"].tolist() == [
            "in_range", "out_of_range", "unknown_office", "in_range", "no_office_in_range"
        ], refs
        load = office_load(int_offices, forums, radius_km=50, max_cpfs=1)
        assert load["n_cpfs"].tolist() == [2, 1]
        assert assign_cpfs(int_offices, forums, radius_km=50, max_cpfs=2).n_served == 4


def test_options_fall_back_to_settings(monkeypatch):
    offices, cpfs = hand_case()
    monkeypatch.setattr(cpgeo.settings, "max_cpfs", 1)
    monkeypatch.setattr(cpgeo.settings, "radius_km", 200.0)
    got = office_load(offices, cpfs)
    assert got["capacity"].tolist() == [1, 1]
    assert got["n_out_of_range"].tolist() == [0, 0]  # 200 km reaches declared_A_far


def test_input_errors():
    offices, cpfs = hand_case()
    dup = layer([44.0, 44.1], [33.0, 33.1], ["A", "A"])
    with pytest.raises(InputError, match="duplicate office id"):
        office_load(dup, cpfs)
    with pytest.raises(InputError, match="max_cpfs must be"):
        assign_cpfs(offices, cpfs, max_cpfs=-1)
    no_crs = gpd.GeoDataFrame({"id": ["x"]}, geometry=gpd.points_from_xy([44.0], [33.0]))
    with pytest.raises(InputError, match="cpfs: the layer has no CRS"):
        cpf_status(offices, no_crs)
