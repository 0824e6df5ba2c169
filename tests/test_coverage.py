"""Coverage engine against independent references: pyproj.Geod and brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

import cpgeo
from cpgeo import InputError
from cpgeo.coverage import (
    community_coverage,
    coverage_matrix,
    geodesic_km,
    governorate_summary,
    nearest,
    pairs_within,
)

GEOD = Geod(ellps="WGS84")
LON = (38.7, 48.6)
LAT = (29.0, 37.4)

lons = st.floats(*LON, allow_nan=False)
lats = st.floats(*LAT, allow_nan=False)


def points(lon, lat, prefix="p") -> gpd.GeoDataFrame:
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return gpd.GeoDataFrame(
        {"id": [f"{prefix}{i}" for i in range(lon.size)]},
        geometry=gpd.points_from_xy(lon, lat),
        crs="EPSG:4326",
    )


def brute_km(alon, alat, blon, blat) -> np.ndarray:
    """All-pairs geodesic distances (km), straight from pyproj, shape (len(a), len(b))."""
    alon, alat, blon, blat = (np.asarray(v, dtype=float) for v in (alon, alat, blon, blat))
    n, m = alon.size, blon.size
    _, _, d = GEOD.inv(np.repeat(alon, m), np.repeat(alat, m), np.tile(blon, n), np.tile(blat, n))
    return np.asarray(d).reshape(n, m) / 1000.0


def near_threshold_pairs(seed: int, n: int, radius_km: float = 50.0):
    """``n`` pairs whose geodesic is radius +- (1e-6 .. 1e-3) km, placed with Geod.fwd."""
    rng = np.random.default_rng(seed)
    alon = rng.uniform(*LON, n)
    alat = rng.uniform(*LAT, n)
    az = rng.uniform(-180, 180, n)
    offset_m = rng.uniform(1e-3, 1.0, n) * rng.choice([-1.0, 1.0], n)
    blon, blat, _ = GEOD.fwd(alon, alat, az, radius_km * 1000.0 + offset_m)
    return alon, alat, np.asarray(blon), np.asarray(blat)


# --- geodesic_km ---------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(lons, lats, lons, lats), min_size=1, max_size=20),
)
def test_geodesic_km_matches_pyproj(rows):
    a = np.array(rows)
    got = geodesic_km(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
    _, _, want = GEOD.inv(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
    np.testing.assert_allclose(got, np.asarray(want) / 1000.0, rtol=0, atol=1e-9)


def test_geodesic_km_broadcasts():
    lon = np.array([[44.0], [45.0]])  # (2, 1)
    lat = np.array([33.0, 34.0, 35.0])  # (3,)
    got = geodesic_km(lon, lat, 43.0, 36.0)
    assert got.shape == (2, 3)
    _, _, want = GEOD.inv(45.0, 35.0, 43.0, 36.0)
    assert got[1, 2] == pytest.approx(want / 1000.0, abs=1e-9)


def test_geodesic_km_zero_and_symmetry():
    assert float(geodesic_km(44.4, 33.3, 44.4, 33.3)) == 0.0
    d1 = float(geodesic_km(43.1, 36.3, 44.4, 33.3))
    d2 = float(geodesic_km(44.4, 33.3, 43.1, 36.3))
    assert d1 == pytest.approx(d2, abs=1e-9)


def test_baghdad_tikrit_hand_check():
    # Baghdad (44.4009 E, 33.3406 N) to Tikrit (43.6786 E, 34.6158 N); reference computed
    # here from pyproj directly, and roughly checked against a spherical law of cosines
    # (which differs from the ellipsoid by well under 1%).
    _, _, ref = GEOD.inv(44.4009, 33.3406, 43.6786, 34.6158)
    got = float(geodesic_km(44.4009, 33.3406, 43.6786, 34.6158))
    assert got == pytest.approx(ref / 1000.0, abs=1e-9)
    p1, l1, p2, l2 = np.radians([33.3406, 44.4009, 34.6158, 43.6786])
    sphere = 6371.0088 * np.arccos(
        np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(l2 - l1)
    )
    assert abs(got - sphere) / sphere < 0.005
    assert 150 < got < 160


def test_geodesic_km_antimeridian_is_handled():
    # irrelevant for Iraq, but the function must not take the long way round
    assert float(geodesic_km(179.9, 0.0, -179.9, 0.0)) == pytest.approx(22.264, abs=0.01)


# --- pairs_within --------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40))
def test_pairs_within_near_threshold_matches_exact(seed, n):
    alon, alat, blon, blat = near_threshold_pairs(seed, n)
    got = pairs_within(points(alon, alat), points(blon, blat), 50.0)
    exact = brute_km(alon, alat, blon, blat)
    decided = np.abs(exact - 50.0) > 1e-6  # more than 1 mm from the threshold
    inside = np.zeros_like(exact, dtype=bool)
    inside[got["a_index"].to_numpy(), got["b_index"].to_numpy()] = True
    assert np.array_equal(inside[decided], (exact <= 50.0)[decided])
    # constructed partners: about half inside, every one decided
    assert decided[np.arange(n), np.arange(n)].all()
    np.testing.assert_allclose(
        got["distance_km"].to_numpy(),
        exact[got["a_index"].to_numpy(), got["b_index"].to_numpy()],
        rtol=0,
        atol=1e-9,
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(1.0, 300.0))
def test_pairs_within_random_matches_brute_force(seed, radius):
    rng = np.random.default_rng(seed)
    alon, alat = rng.uniform(*LON, 60), rng.uniform(*LAT, 60)
    blon, blat = rng.uniform(*LON, 25), rng.uniform(*LAT, 25)
    got = pairs_within(points(alon, alat), points(blon, blat), radius_km=radius)
    exact = brute_km(alon, alat, blon, blat)
    ia, ib = np.nonzero(exact <= radius)  # row-major: sorted by (a, b)
    assert got["a_index"].tolist() == ia.tolist()
    assert got["b_index"].tolist() == ib.tolist()
    assert got["a_index"].dtype == np.int64
    assert list(got.columns) == ["a_index", "b_index", "distance_km"]


def test_pairs_within_is_inclusive_at_zero_radius():
    a = points([44.0, 45.0], [33.0, 33.0])
    b = points([45.0], [33.0])
    got = pairs_within(a, b, 0.0)
    assert got[["a_index", "b_index"]].to_numpy().tolist() == [[1, 0]]
    assert got["distance_km"].tolist() == [0.0]


def test_pairs_within_positions_not_labels():
    a = points([44.0, 44.1], [33.0, 33.0]).set_index(pd.Index([10, 20]))
    b = points([44.1], [33.0]).set_index(pd.Index(["x"]))
    got = pairs_within(a, b, 1.0)
    assert got["a_index"].tolist() == [1]
    assert got["b_index"].tolist() == [0]


def test_pairs_within_reprojects_other_crs():
    rng = np.random.default_rng(3)
    alon, alat = rng.uniform(43, 45, 30), rng.uniform(33, 35, 30)
    blon, blat = rng.uniform(43, 45, 10), rng.uniform(33, 35, 10)
    a, b = points(alon, alat), points(blon, blat)
    want = pairs_within(a, b, 40.0)
    got = pairs_within(a.to_crs("EPSG:32638"), b, 40.0)
    assert got[["a_index", "b_index"]].equals(want[["a_index", "b_index"]])
    np.testing.assert_allclose(got["distance_km"], want["distance_km"], atol=1e-6)


def test_crs_guards():
    a = points([44.0], [33.0])
    no_crs = gpd.GeoDataFrame({"id": ["x"]}, geometry=gpd.points_from_xy([44.0], [33.0]))
    with pytest.raises(InputError, match="has no CRS"):
        pairs_within(no_crs, a, 50)
    with pytest.raises(InputError, match="has no CRS"):
        community_coverage(a, no_crs)
    line = gpd.GeoDataFrame(
        {"id": ["l"]}, geometry=[shapely.LineString([(44, 33), (45, 34)])], crs=4326
    )
    with pytest.raises(InputError, match="without a point geometry"):
        nearest(line, a)
    empty_geom = gpd.GeoDataFrame({"id": ["e"]}, geometry=[shapely.Point()], crs=4326)
    with pytest.raises(InputError, match="without a point geometry"):
        coverage_matrix(empty_geom, a, 10)
    with pytest.raises(InputError, match="radius_km must be"):
        pairs_within(a, a, -1.0)
    with pytest.raises(InputError, match="expected a GeoDataFrame"):
        pairs_within(pd.DataFrame({"x": [1]}), a, 1.0)


# --- coverage_matrix and nearest ------------------------------------------------------


def test_coverage_matrix_matches_brute_force_near_threshold():
    alon, alat, blon, blat = near_threshold_pairs(11, 300)
    m = coverage_matrix(points(alon, alat), points(blon, blat), 50.0)
    exact = brute_km(alon, alat, blon, blat)
    decided = np.abs(exact - 50.0) > 1e-6
    dense = m.toarray()
    assert dense.dtype == bool
    assert m.shape == (300, 300)
    assert np.array_equal(dense[decided], (exact <= 50.0)[decided])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 50))
def test_nearest_matches_brute_force(seed, m):
    rng = np.random.default_rng(seed)
    alon, alat = rng.uniform(*LON, 80), rng.uniform(*LAT, 80)
    blon, blat = rng.uniform(*LON, m), rng.uniform(*LAT, m)
    pos, km = nearest(points(alon, alat), points(blon, blat))
    exact = brute_km(alon, alat, blon, blat)
    np.testing.assert_allclose(km, exact.min(axis=1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(exact[np.arange(80), pos], exact.min(axis=1), rtol=0, atol=1e-9)


def test_nearest_with_near_ties_is_exact():
    # offices on a ring at nearly equal distances: the chord order and geodesic order
    # can disagree, which forces the re-ranking to look beyond the first candidate
    centre_lon, centre_lat = 44.0, 33.0
    az = np.linspace(0, 360, 40, endpoint=False)
    blon, blat, _ = GEOD.fwd(
        np.full(40, centre_lon), np.full(40, centre_lat), az, 300_000 + np.arange(40) * 1e-3
    )
    pos, km = nearest(points([centre_lon], [centre_lat]), points(blon, blat))
    exact = brute_km([centre_lon], [centre_lat], blon, blat)[0]
    assert km[0] == pytest.approx(exact.min(), abs=1e-9)
    assert pos[0] == int(np.argmin(exact))


def test_nearest_without_candidates():
    pos, km = nearest(points([44.0], [33.0]), points([], []))
    assert pos.tolist() == [-1]
    assert np.isnan(km[0])


# --- community_coverage ---------------------------------------------------------------


def _brute_coverage(clon, clat, olon, olat, radius):
    d = brute_km(clon, clat, olon, olat)
    return (d <= radius).sum(axis=1), d.argmin(axis=1), d.min(axis=1), d


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_community_coverage_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    # uniform communities plus constructed near-threshold ones
    clon, clat = rng.uniform(*LON, 400), rng.uniform(*LAT, 400)
    olon, olat = rng.uniform(*LON, 40), rng.uniform(*LAT, 40)
    az = rng.uniform(-180, 180, 200)
    k = rng.integers(0, 40, 200)
    off = rng.uniform(1e-3, 1.0, 200) * rng.choice([-1.0, 1.0], 200)
    nlon, nlat, _ = GEOD.fwd(olon[k], olat[k], az, 50_000 + off)
    clon, clat = np.concatenate([clon, nlon]), np.concatenate([clat, nlat])
    comm = points(clon, clat, "c")
    comm["population"] = rng.integers(0, 1000, clon.size)
    offices = points(olon, olat, "o")
    got = community_coverage(comm, offices, radius_km=50)
    counts, arg, dmin, d = _brute_coverage(clon, clat, olon, olat, 50.0)
    far_from_threshold = (np.abs(d - 50.0) > 1e-6).all(axis=1)
    assert np.array_equal(
        got["offices_in_range"].to_numpy()[far_from_threshold], counts[far_from_threshold]
    )
    assert np.array_equal(got["covered"].to_numpy(), got["offices_in_range"].to_numpy() > 0)
    np.testing.assert_allclose(got["nearest_office_km"], dmin, rtol=0, atol=1e-9)
    assert got["nearest_office"].tolist() == [f"o{j}" for j in arg]
    assert got.crs.equals("EPSG:4326")
    assert got.index.equals(comm.index)
    assert got["population"].equals(comm["population"])


def test_community_coverage_keeps_input_untouched_and_uses_settings(monkeypatch):
    comm = points([44.0, 44.0], [33.0, 33.5], "c")
    offices = points([44.0], [33.0], "o")
    before = comm.copy()
    d = float(geodesic_km(44.0, 33.5, 44.0, 33.0))  # about 55.4 km
    monkeypatch.setattr(cpgeo.settings, "radius_km", d + 0.001)
    got = community_coverage(comm, offices)
    assert got["covered"].tolist() == [True, True]
    monkeypatch.setattr(cpgeo.settings, "radius_km", d - 0.001)
    got = community_coverage(comm, offices)
    assert got["covered"].tolist() == [True, False]
    assert got["offices_in_range"].tolist() == [1, 0]
    assert "covered" not in comm.columns
    assert comm.equals(before)


def test_community_coverage_without_offices():
    got = community_coverage(points([44.0], [33.0], "c"), points([], [], "o"))
    assert got["covered"].tolist() == [False]
    assert got["offices_in_range"].tolist() == [0]
    assert got["nearest_office"].isna().all()
    assert got["nearest_office_km"].isna().all()


def test_governorate_summary_by_hand():
    cov = gpd.GeoDataFrame(
        {
            "governorate": ["Anbar", "Anbar", "Diyala", None],
            "population": pd.array([100, 300, None, 7], dtype="Int64"),
            "covered": [True, False, True, False],
        },
        geometry=gpd.points_from_xy([42, 42, 45, 44], [33, 33, 34, 33]),
        crs=4326,
    )
    table = governorate_summary(cov)
    # no total row: presentation adds rows up (Figures.subtotal)
    assert table["governorate"].tolist()[:2] == ["Anbar", "Diyala"]
    assert table["governorate"].isna().tolist() == [False, False, True]
    anbar = table.iloc[0]
    assert (anbar["communities"], anbar["communities_within_radius"]) == (2, 1)
    assert anbar["communities_outside_radius"] == 1
    assert (anbar["population"], anbar["population_within_radius"]) == (400, 100)
    assert anbar["population_within_radius_share"] == pytest.approx(0.25)
    # Diyala's one community has an unknown population: unknown, not 0
    diyala = table.iloc[1]
    assert pd.isna(diyala["population"]) and pd.isna(diyala["population_within_radius"])
    assert diyala["communities_population_unknown"] == 1
    assert diyala["population_outside_radius"] == 0  # no community outside: nobody
    assert np.isnan(diyala["population_within_radius_share"])
    with pytest.raises(ValueError, match="needs a 'covered' column"):
        governorate_summary(cov.drop(columns="covered"))
