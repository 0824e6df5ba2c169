"""Population rasters: sums checked against brute force over every cell centre."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import Geod, Transformer

import cpgeo.population
from cpgeo import InputError
from cpgeo.population import population_coverage, population_within, raster_total

GEOD = Geod(ellps="WGS84")
NODATA = -9999.0


def write_raster(path: Path, values: np.ndarray, *, crs: str, transform, nodata=NODATA,
                 tiled: bool = False) -> Path:
    profile = {"driver": "GTiff", "height": values.shape[0], "width": values.shape[1],
               "count": 1, "dtype": "float32", "crs": crs, "transform": transform,
               "nodata": nodata}
    if tiled:
        profile |= {"tiled": True, "blockxsize": 16, "blockysize": 16}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype(np.float32), 1)
    return path


def from_origin(west: float, north: float, xsize: float, ysize: float) -> rasterio.Affine:
    return rasterio.Affine(xsize, 0.0, west, 0.0, -ysize, north)


def population_values(shape: tuple[int, int], seed: int) -> np.ndarray:
    """Whole numbers of people with nodata, NaN and negative cells sprinkled in."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 500, size=shape).astype(np.float32)
    flat = values.ravel()
    pick = rng.choice(flat.size, size=flat.size // 10, replace=False)
    third = pick.size // 3
    flat[pick[:third]] = NODATA
    flat[pick[third:2 * third]] = np.nan
    flat[pick[2 * third:]] = -3.0
    return values


def centres_lonlat(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every cell centre in lon/lat and the cell values (invalid -> 0), independently."""
    with rasterio.open(path) as src:
        data = src.read(1).astype(np.float64)
        rows, cols = np.indices(data.shape)
        t = src.transform
        xs = t.c + (cols.ravel() + 0.5) * t.a
        ys = t.f + (rows.ravel() + 0.5) * t.e
        if src.crs.to_epsg() != 4326:
            xs, ys = Transformer.from_crs(src.crs, 4326, always_xy=True).transform(xs, ys)
    valid = np.isfinite(data) & (data != NODATA) & (data >= 0)
    return xs, ys, np.where(valid, data, 0.0).ravel()


def brute_within(path: Path, offices: list[tuple[float, float]], radius_km: float) -> np.ndarray:
    lon, lat, values = centres_lonlat(path)
    out = []
    for x, y in offices:
        d = GEOD.inv(np.full(lon.size, x), np.full(lon.size, y), lon, lat)[2]
        out.append(values[d <= radius_km * 1000].sum())
    return np.array(out)


def office_layer(coords: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    ids = [f"o{i}" for i in range(len(coords))]
    return gpd.GeoDataFrame({"id": ids, "name": ids},
                            geometry=[shapely.Point(c) for c in coords], crs="EPSG:4326")


# EPSG:4326: 0.01 degree cells over 43.0-44.2 E, 33.0-34.0 N.
GEO_TRANSFORM = from_origin(43.0, 34.0, 0.01, 0.01)
GEO_SHAPE = (100, 120)
GEO_OFFICES = [
    (43.60, 33.50),  # middle
    (43.005, 33.995),  # on the corner cell: the window crosses two raster edges
    (44.25, 33.40),  # east of the raster: only its western fringe reaches in
    (43.10, 32.95),  # south of the raster
    (46.00, 31.00),  # far away: nobody
    (43.60, 33.52),  # overlaps the first office
]


@pytest.fixture(scope="module")
def geo_raster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_raster(tmp_path_factory.mktemp("pop") / "geo.tif",
                        population_values(GEO_SHAPE, 1), crs="EPSG:4326",
                        transform=GEO_TRANSFORM)


# EPSG:32638 (UTM 38N): 1 km cells, 110 x 90 km, south-west corner at 400000 E, 3650000 N.
UTM_TRANSFORM = from_origin(400_000.0, 3_740_000.0, 1000.0, 1000.0)
UTM_SHAPE = (90, 110)


@pytest.fixture(scope="module")
def utm_raster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_raster(tmp_path_factory.mktemp("pop") / "utm.tif",
                        population_values(UTM_SHAPE, 2), crs="EPSG:32638",
                        transform=UTM_TRANSFORM, tiled=True)


def utm_offices() -> list[tuple[float, float]]:
    to_ll = Transformer.from_crs(32638, 4326, always_xy=True)
    xy_points = [(455_000, 3_695_000), (400_300, 3_739_800), (395_000, 3_700_000),
                 (505_000, 3_650_000), (455_400, 3_700_000)]
    return [tuple(map(float, to_ll.transform(x, y))) for x, y in xy_points]


@pytest.mark.parametrize("radius_km", [0.3, 7.5, 25.0, 60.0])
def test_geographic_raster_matches_brute_force(geo_raster, radius_km):
    got = population_within(geo_raster, office_layer(GEO_OFFICES), radius_km)
    expected = brute_within(geo_raster, GEO_OFFICES, radius_km)
    np.testing.assert_array_equal(got.to_numpy(), expected)
    assert got.index.name == "id"
    assert got.index.tolist() == [f"o{i}" for i in range(len(GEO_OFFICES))]
    assert got.name == "population"


@pytest.mark.parametrize("radius_km", [0.4, 12.0, 40.0])
def test_projected_raster_matches_brute_force(utm_raster, radius_km):
    offices = utm_offices()
    got = population_within(utm_raster, office_layer(offices), radius_km)
    np.testing.assert_array_equal(got.to_numpy(), brute_within(utm_raster, offices, radius_km))


def test_edge_windows_are_not_empty(geo_raster):
    got = population_within(geo_raster, office_layer(GEO_OFFICES), 25.0)
    assert got["o1"] > 0  # corner office
    assert got["o2"] > 0  # east of the raster
    assert got["o3"] > 0  # south of the raster
    assert got["o4"] == 0


def test_threshold_is_inclusive_to_the_millimetre(geo_raster):
    # The distance from an office to one chosen cell centre is the radius.
    lon, lat, values = centres_lonlat(geo_raster)
    office = (43.6012, 33.4987)
    d = GEOD.inv(np.full(lon.size, office[0]), np.full(lon.size, office[1]), lon, lat)[2]
    target = int(np.argsort(d)[40])
    r = d[target]
    inside = population_within(geo_raster, office_layer([office]), (r + 1e-4) / 1000).iloc[0]
    outside = population_within(geo_raster, office_layer([office]), (r - 1e-3) / 1000).iloc[0]
    assert inside == values[d <= r + 1e-4].sum()
    assert outside == values[d <= r - 1e-3].sum()
    assert inside - outside == values[target]


def test_small_strips_and_batches_give_the_same_sums(geo_raster, utm_raster, monkeypatch):
    offices = office_layer(GEO_OFFICES)
    before = population_within(geo_raster, offices, 30.0)
    monkeypatch.setattr(cpgeo.population, "STRIP_CELLS", 500)  # 4 rows of 120
    monkeypatch.setattr(cpgeo.population, "BATCH_RUNS", 40)
    after = population_within(geo_raster, offices, 30.0)
    pd.testing.assert_series_equal(before, after)
    np.testing.assert_array_equal(after.to_numpy(),
                                  brute_within(geo_raster, GEO_OFFICES, 30.0))
    utm = utm_offices()
    np.testing.assert_array_equal(population_within(utm_raster, office_layer(utm), 20).to_numpy(),
                                  brute_within(utm_raster, utm, 20))


def test_missing_office_geometry_gives_nan(geo_raster):
    offices = office_layer(GEO_OFFICES[:2])
    offices.loc[1, "geometry"] = None
    got = population_within(geo_raster, offices, 10.0)
    assert got.iloc[0] == brute_within(geo_raster, GEO_OFFICES[:1], 10.0)[0]
    assert np.isnan(got.iloc[1])


def two_governorates() -> gpd.GeoDataFrame:
    # Edges on cell edges (multiples of 0.01 degree), so no cell centre lies on one; the
    # northern strip 33.9-34.0 N lies outside both.
    return gpd.GeoDataFrame(
        {"governorate": ["West", "East"]},
        geometry=[shapely.box(42.5, 32.5, 43.55, 33.9), shapely.box(43.55, 32.5, 44.5, 33.9)],
        crs="EPSG:4326",
    )


def test_coverage_per_governorate_is_a_union(geo_raster):
    radius = 25.0
    offices = GEO_OFFICES
    table = population_coverage(geo_raster, office_layer(offices), two_governorates(), radius)
    lon, lat, values = centres_lonlat(geo_raster)
    covered = np.zeros(lon.size, bool)
    for x, y in offices:
        covered |= GEOD.inv(np.full(lon.size, x), np.full(lon.size, y), lon, lat)[2] <= radius * 1e3
    west = (lon < 43.55) & (lat < 33.9)
    east = (lon > 43.55) & (lat < 33.9)
    outside = ~(west | east)
    # no total row in the library: the rows are the governorates, then the cells outside
    assert table["governorate"].tolist()[:2] == ["West", "East"]
    assert table["governorate"].isna().tolist() == [False, False, True]
    rows = [table.iloc[0], table.iloc[1], table.iloc[2], raster_total(table)]
    for row, mask in zip(rows, (west, east, outside, np.ones(lon.size, bool)), strict=True):
        assert row["population"] == values[mask].sum()
        assert row["population_within_radius"] == values[mask & covered].sum()
        assert row["population_outside_radius"] == values[mask & ~covered].sum()
        assert row["population_within_radius_share"] == pytest.approx(
            values[mask & covered].sum() / values[mask].sum())
    # Overlapping catchments are counted once: less than the sum over offices.
    assert raster_total(table)["population_within_radius"] < population_within(
        geo_raster, office_layer(offices), radius).sum()


def test_coverage_on_a_projected_raster(utm_raster):
    offices = utm_offices()
    big = gpd.GeoDataFrame({"governorate": ["All"]},
                           geometry=[shapely.box(40, 30, 50, 36)], crs="EPSG:4326")
    table = population_coverage(utm_raster, office_layer(offices), big, 15.0)
    lon, lat, values = centres_lonlat(utm_raster)
    covered = np.zeros(lon.size, bool)
    for x, y in offices:
        covered |= GEOD.inv(np.full(lon.size, x), np.full(lon.size, y), lon, lat)[2] <= 15e3
    assert table["governorate"].tolist() == ["All"]
    assert table["population"].tolist() == [values.sum()]
    assert table["population_within_radius"].tolist() == [values[covered].sum()]


def test_coverage_with_embedded_boundaries(geo_raster):
    table = population_coverage(geo_raster, office_layer(GEO_OFFICES[:1]), radius_km=20)
    _, _, values = centres_lonlat(geo_raster)
    assert "Total" not in set(table["governorate"].dropna())
    assert raster_total(table)["population"] == values.sum()
    assert table["population"].sum() == values.sum()
    assert {"Anbar", "Baghdad", "Salah al-Din"} <= set(table["governorate"])


def test_bad_inputs(geo_raster, tmp_path):
    offices = office_layer(GEO_OFFICES[:1])
    no_crs = write_raster(tmp_path / "nocrs.tif", np.ones((4, 4)), crs=None,
                          transform=GEO_TRANSFORM)
    with pytest.raises(InputError, match="the raster has no CRS"):
        population_within(no_crs, offices, 10)
    with pytest.raises(InputError, match="band 2 does not exist"):
        population_within(geo_raster, offices, 10, band=2)
    with pytest.raises(InputError, match="radius_km must be a positive"):
        population_within(geo_raster, offices, 0)
    with pytest.raises(InputError, match="offices have no CRS"):
        population_within(geo_raster, offices.set_crs(None, allow_override=True), 10)
    with pytest.raises(InputError, match="offices need an 'id'"):
        population_within(geo_raster, offices.drop(columns="id"), 10)
    with pytest.raises(FileNotFoundError, match="no such raster"):
        population_within(tmp_path / "missing.tif", offices, 10)
    text = tmp_path / "not.tif"
    text.write_text("hello")
    with pytest.raises(InputError, match="not a readable raster"):
        population_within(text, offices, 10)
    rotated = write_raster(tmp_path / "rot.tif", np.ones((4, 4)), crs="EPSG:4326",
                           transform=rasterio.Affine(0.01, 0.001, 43, 0.001, -0.01, 34))
    with pytest.raises(InputError, match="rotated rasters are not supported"):
        population_within(rotated, offices, 10)
    with pytest.raises(InputError, match="boundaries need a 'governorate'"):
        population_coverage(geo_raster, offices, two_governorates().rename(
            columns={"governorate": "label"}), 10)


def test_cli_population(geo_raster, tmp_path, capsys):
    from cpgeo.cli import main

    offices = tmp_path / "offices.csv"
    offices.write_text("id,name,longitude,latitude\n"
                       + "".join(f"o{i},Office {i},{x},{y}\n"
                                 for i, (x, y) in enumerate(GEO_OFFICES[:2])))
    out = tmp_path / "out.csv"
    summary = tmp_path / "summary.csv"
    code = main(["population", str(geo_raster), "--offices", str(offices), "--radius-km", "20",
                 "-o", str(out), "--summary-output", str(summary)])
    assert code == 0
    written = pd.read_csv(out).set_index("id")
    expected = brute_within(geo_raster, GEO_OFFICES[:2], 20.0)
    np.testing.assert_array_equal(written.loc[["o0", "o1"], "population_within"], expected)
    table = pd.read_csv(summary)
    _, _, values = centres_lonlat(geo_raster)
    assert table["population"].sum() == values.sum()  # one row per governorate, no total
    assert "People within 20 km of each office" in capsys.readouterr().out


@pytest.mark.parametrize("shift", [-3, 2])
def test_wrong_first_guesses_are_corrected(geo_raster, utm_raster, monkeypatch, shift):
    real = cpgeo.population._guess_ends

    def off_by(*args):
        left, right = real(*args)
        return left + shift, right - shift

    monkeypatch.setattr(cpgeo.population, "_guess_ends", off_by)
    got = population_within(geo_raster, office_layer(GEO_OFFICES), 25.0)
    np.testing.assert_array_equal(got.to_numpy(), brute_within(geo_raster, GEO_OFFICES, 25.0))
    utm = utm_offices()
    got = population_within(utm_raster, office_layer(utm), 12.0)
    np.testing.assert_array_equal(got.to_numpy(), brute_within(utm_raster, utm, 12.0))
