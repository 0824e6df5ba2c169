"""No public snapshot carries the location of a site, in any byte of any file.

Random networks (offices, forums and stations anywhere in the focus governorates, with
their coordinates written into their own names and notes to tempt every output) are
exported as public snapshots, and every file, with the snapshot page's table downloads,
is scanned by :mod:`_leaks` for any coordinate within 5 km of a site, in any form it
knows (decimal degrees in text, scaled integers, projected metres, binary floats,
GeoPackage geometries and bounding boxes, PNG and PDF metadata, PDF streams, data URIs,
zip members). The only
coordinates a public snapshot may carry are those of the public boundaries it is drawn
on: the vertices of its area polygons (which lie on the boundaries, see
``test_public.py``), the governorates' label points and the grid's corners.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from _leaks import scan
from conftest import shared_data_dir

import cpgeo
from cpgeo.snapshot import build_snapshot, export_snapshot, snapshot_zip

#: How many random networks are scanned (CPGEO_LEAK_SCENARIOS overrides).
N_SCENARIOS = int(os.environ.get("CPGEO_LEAK_SCENARIOS", "50"))

COD_ADM2 = shared_data_dir() / "iraq-cod-ab-2019" / "irq_admbnda_adm2_cso_20190603.shp"


@pytest.fixture(scope="module")
def bases() -> dict[str, cpgeo.Scenario]:
    demo = cpgeo.load_demo()
    out = {"governorate": demo, "grid": demo}
    if COD_ADM2.exists():
        layer = cpgeo.read_layer(COD_ADM2, "boundaries")
        out["district"] = demo.with_user_layers({"boundaries": layer}, {"boundaries": "COD"})
    return out


def _points_in(boundaries: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random points inside the focus governorates (lon, lat)."""
    focus = boundaries[boundaries["governorate"].isin(cpgeo.settings.FOCUS_GOVERNORATES)]
    shape = shapely.union_all(focus.geometry.to_numpy())
    minx, miny, maxx, maxy = shape.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        x, y = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
        inside = shapely.contains_xy(shape, x, y)
        out.extend(zip(x[inside], y[inside], strict=True))
    return np.array(out[:n])


def _layer(xy: np.ndarray, prefix: str, boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    names = [f"{prefix} at {y:.5f}, {x:.5f}" for x, y in xy]
    frame = gpd.GeoDataFrame(
        {
            "id": [f"{prefix}{i}" for i in range(len(xy))],
            "name": names,
            "note": [f"POINT({x} {y})" for x, y in xy],
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:4326",
    )
    return frame


def _scenario(base: cpgeo.Scenario, seed: int) -> tuple[cpgeo.Scenario, np.ndarray]:
    from cpgeo.io import read_layer_frame

    rng = np.random.default_rng(seed)
    n_off, n_cpf, n_st = (int(rng.integers(1, k)) for k in (30, 90, 20))
    office_xy = _points_in(base.boundaries, n_off, rng)
    cpf_xy = _points_in(base.boundaries, n_cpf, rng)
    station_xy = _points_in(base.boundaries, n_st, rng)
    offices = _layer(office_xy, "O", base.boundaries)
    offices["donor"] = rng.choice(["Germany", "Canada", "Netherlands", "United States"], n_off)
    cpfs = _layer(cpf_xy, "F", base.boundaries)
    cpfs["office_id"] = [f"O{int(i)}" for i in rng.integers(0, n_off, n_cpf)]
    stations = _layer(station_xy, "S", base.boundaries)
    layers = {
        kind: read_layer_frame(frame, kind, source=f"{kind} {seed}", boundaries=base.boundaries)
        for kind, frame in (("offices", offices), ("cpfs", cpfs), ("stations", stations))
    }
    scn = base.with_user_layers(layers, dict.fromkeys(layers, f"random network {seed}"))
    return scn, np.vstack([office_xy, cpf_xy, station_xy])


def _allowed(areas: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, level: str) -> np.ndarray:
    """The public boundaries' own coordinates: vertices, label points, grid corners.

    The areas' vertices are among them: ``test_public.py`` checks that each lies on a
    boundary line or a grid line (a grid cell cut by a governorate's edge).
    """
    shapes = boundaries.geometry.to_numpy()
    vertices = [shapely.get_coordinates(shapes)]
    vertices.append(shapely.get_coordinates(areas.geometry.dropna().to_numpy()))
    governorates = boundaries.dissolve(by="governorate")
    vertices.append(shapely.get_coordinates(governorates.geometry.to_numpy()))
    vertices.append(
        shapely.get_coordinates(governorates.geometry.representative_point().to_numpy())
    )
    minx, miny, maxx, maxy = boundaries.total_bounds
    vertices.append(np.array([[minx, miny], [maxx, maxy], [minx, maxy], [maxx, miny]]))
    if level == "grid":
        lon = np.arange(np.floor(minx * 2) / 2, maxx + 0.5, 0.5)
        lat = np.arange(np.floor(miny * 2) / 2, maxy + 0.5, 0.5)
        vertices.append(np.array([(x, y) for x in lon for y in lat]))
    return np.vstack(vertices)


def _page_downloads(snap, folder: Path) -> list[Path]:
    """The snapshot page's table downloads (CSV, GeoPackage, GeoJSON), as the app makes them."""
    from cpgeo.io import write_layer
    from cpgeo.snapshot import donor_table

    folder.mkdir()
    tables = {"by_governorate": snap.by_governorate, "by_area": snap.public.areas}
    donors = donor_table(snap)
    if donors is not None:
        tables["by_donor"] = donors
    out = []
    for name, frame in tables.items():
        suffixes = (".csv", ".gpkg", ".geojson") if "geometry" in frame else (".csv", ".gpkg")
        for suffix in suffixes:
            out.append(write_layer(frame, folder / f"{name}{suffix}"))
    return out


def test_no_public_snapshot_carries_a_site(bases, tmp_path, capsys) -> None:
    levels = list(bases)
    scanned = found = files = 0
    restricted_found = 0
    started = time.perf_counter()
    for seed in range(N_SCENARIOS):
        level = levels[seed % len(levels)]
        scn, sites = _scenario(bases[level], seed)
        snap = build_snapshot(scn, kind="public", level=level)
        folder = export_snapshot(snap, tmp_path / f"public-{seed}")
        (tmp_path / f"public-{seed}.zip").write_bytes(snapshot_zip(snap))
        paths = [*sorted(folder.iterdir()), tmp_path / f"public-{seed}.zip"]
        paths += _page_downloads(snap, tmp_path / f"downloads-{seed}")
        allowed = _allowed(snap.public.areas, scn.boundaries, level)
        result = scan(paths, sites, allowed=allowed)
        assert not result.hits, (seed, level, result.hits[:5])
        scanned += result.bytes_scanned
        files += result.files
        found += len(result.hits)
        if seed < 3:
            # the same scan finds the sites in the restricted snapshot: it can see them
            exact = build_snapshot(scn, kind="restricted")
            out = export_snapshot(exact, tmp_path / f"restricted-{seed}")
            hits = scan(sorted(out.iterdir()), sites, allowed=allowed).hits
            assert {h.site for h in hits} == set(range(len(sites)))
            restricted_found += len(hits)
    with capsys.disabled():
        print(
            f"\nleak scan: {N_SCENARIOS} public snapshots, {files} files, "
            f"{scanned:,} bytes scanned, coordinates within 5 km of a site found: {found} "
            f"({time.perf_counter() - started:.0f} s; levels {', '.join(levels)}; the same "
            f"scan found {restricted_found:,} in 3 restricted snapshots)"
        )
