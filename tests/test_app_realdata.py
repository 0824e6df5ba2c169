"""The Coverage page on real data: road distance from an OSM extract, population rasters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod
from streamlit.testing.v1 import AppTest
from test_app import _covered, _metrics
from test_network import write_osm
from test_population import brute_within, from_origin, population_values, write_raster

import cpgeo

ROOT = Path(__file__).resolve().parents[1]
GEOD = Geod(ellps="WGS84")

# Roads near the demo's Ramadi and Baghdad offices. Fallujah is 45 km from Ramadi as the
# crow flies, but the only road from Ramadi goes round by a node far to the south, and
# the direct road from Baghdad is longer than 50 km: inside the radius, beyond by road.
RAMADI = (43.30778, 33.42056)
FALLUJAH = (43.78599, 33.34913)
BAGHDAD = (44.40088, 33.34058)
DETOUR = (43.55, 33.05)
# A short stub south of Fallujah makes it a junction, so it stays a node of the simplified
# graph; the detour node, inside a chain, is simplified away.
STUB = (43.78599, 33.30)
NODES = {1: RAMADI, 2: DETOUR, 3: FALLUJAH, 4: BAGHDAD, 5: STUB}
WAYS = {
    10: ([1, 2, 3], {"highway": "primary"}),
    11: ([3, 4], {"highway": "trunk"}),
    12: ([3, 5], {"highway": "residential"}),
}
ROAD_LINES = [(RAMADI, DETOUR), (DETOUR, FALLUJAH), (FALLUJAH, BAGHDAD), (FALLUJAH, STUB)]


def _road_m(x: float, y: float) -> float:
    """Geodesic metres from (x, y) to the nearest point of the roads, by refined search."""
    best = np.inf
    for (x0, y0), (x1, y1) in ROAD_LINES:
        az, _, length = GEOD.inv(x0, y0, x1, y1)
        lo, hi = 0.0, length
        for _ in range(4):
            s = np.linspace(lo, hi, 2001)
            px, py, _ = GEOD.fwd(np.full(s.size, x0), np.full(s.size, y0), np.full(s.size, az), s)
            d = GEOD.inv(px, py, np.full(s.size, x), np.full(s.size, y))[2]
            j = int(np.argmin(d))
            step = s[1] - s[0]
            lo, hi = max(0.0, s[j] - step), min(length, s[j] + step)
        best = min(best, float(d.min()))
    return best


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2] / 1000


@pytest.fixture(scope="module")
def osm_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_osm(tmp_path_factory.mktemp("osm") / "roads.osm", NODES, WAYS).read_bytes()


def _coverage_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _upload_dirs() -> set[Path]:
    import tempfile

    return set(Path(tempfile.gettempdir()).glob("cpgeo-upload-*"))


def test_road_distance_mode(osm_bytes):
    # the hand-made network: both ways to Fallujah are longer than 50 km of road
    assert _km(RAMADI, FALLUJAH) <= 50
    assert _km(RAMADI, DETOUR) + _km(DETOUR, FALLUJAH) > 50
    assert _km(BAGHDAD, FALLUJAH) > 50
    before = _upload_dirs()
    at = _coverage_app()
    at.radio(key="catchment").set_value("road").run()
    assert not at.exception
    assert any("OSM XML extract" in i.value for i in at.info)
    assert at.button(key="road_run").disabled
    at.file_uploader(key="osm_upload").set_value(("roads.osm", osm_bytes, "application/xml"))
    at.run()
    assert any("Compute road distances" in i.value for i in at.info)
    at.button(key="road_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    m = _metrics(at)
    n = len(cpgeo.load_demo().communities)
    # geodesic membership: the pyproj brute force of the radius page
    assert m["Within the radius"] == f"{_covered(50):,}"
    gap_title = next(s.value for s in at.subheader if s.value.startswith("Inside the 50-km"))
    gap = at.dataframe[0].value
    assert gap_title.endswith(f"({len(gap)})")
    assert m["Inside the radius, beyond by road"] == str(len(gap))
    assert "Al Fallūjah" in set(gap["name"])
    fallujah = gap[gap["name"] == "Al Fallūjah"].iloc[0]
    assert np.isnan(fallujah["road_km"])
    assert fallujah["nearest_office_km"] == pytest.approx(_km(RAMADI, FALLUJAH), abs=1e-6)
    assert fallujah["snap_m"] == pytest.approx(0.0, abs=0.01)
    assert bool(fallujah["within_radius"]) and not bool(fallujah["covered_by_road"])
    # every community: Ramadi and Baghdad (on an office's node) are covered at 0 km
    every = at.dataframe[1].value
    assert len(every) == n
    assert m["Covered by road"] == f"{int(every['covered_by_road'].sum()):,} of {n:,}"
    for name in ("Ramadi", "Baghdad"):
        row = every[every["name"] == name].iloc[0]
        assert row["road_km"] == pytest.approx(0.0, abs=1e-9)
        assert row["covered_by_road"]
    # snapping distances: each community's own geodesic distance to the nearest road
    dem = cpgeo.load_demo().communities.set_index("id")
    for row in every.head(20).itertuples():
        x, y = dem.geometry[row.id].x, dem.geometry[row.id].y
        assert row.snap_m == pytest.approx(_road_m(x, y), abs=1e-3)
    far = sum(_road_m(g.x, g.y) > 5000 for g in dem.geometry)
    assert m["More than 5 km from a road"] == f"{far:,}"
    assert any(f"{far:,} of {n:,} communities are more than 5 km" in w.value for w in at.warning)
    # temporary copies of the upload are gone
    assert _upload_dirs() <= before
    # a new radius makes the result stale until the button is pressed again
    at.sidebar.slider(key="radius").set_value(100.0).run()
    assert not at.exception
    assert "Inside the radius, beyond by road" not in _metrics(at)
    assert any("Compute road distances" in i.value for i in at.info)
    at.button(key="road_run").click().run()
    assert _km(BAGHDAD, FALLUJAH) <= 100
    every = next(d.value for d in at.dataframe if len(d.value) == n and "road_km" in d.value)
    fallujah = every[every["name"] == "Al Fallūjah"].iloc[0]
    # now reached along the straight trunk road from Baghdad
    assert fallujah["road_km"] == pytest.approx(_km(BAGHDAD, FALLUJAH), abs=1e-6)
    assert fallujah["covered_by_road"] and not fallujah["radius_but_not_road"]


def test_road_distance_bad_file():
    at = _coverage_app()
    at.radio(key="catchment").set_value("road").run()
    at.file_uploader(key="osm_upload").set_value(("broken.osm", b"<osm><way", "application/xml"))
    at.run()
    at.button(key="road_run").click().run()
    assert not at.exception
    assert any("broken.osm" in e.value for e in at.error), [e.value for e in at.error]
    assert "Covered by road" not in _metrics(at)


# 0.05-degree cells over the Ramadi - Baghdad - Baqubah area, EPSG:4326, with nodata.
RASTER_TRANSFORM = from_origin(42.8, 34.2, 0.05, 0.05)
RASTER_SHAPE = (40, 48)


@pytest.fixture(scope="module")
def raster_bytes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    path = write_raster(
        tmp_path_factory.mktemp("pop") / "people.tif",
        population_values(RASTER_SHAPE, 7),
        crs="EPSG:4326",
        transform=RASTER_TRANSFORM,
    )
    return path, path.read_bytes()


def test_population_raster_upload(raster_bytes):
    path, payload = raster_bytes
    before = _upload_dirs()
    at = _coverage_app()
    at.file_uploader(key="raster_upload").set_value(("people.tif", payload, "image/tiff"))
    at.run()
    at.button(key="raster_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    offices = cpgeo.load_demo().offices
    coords = list(zip(offices.geometry.x, offices.geometry.y, strict=True))
    ref = brute_within(path, coords, 50.0)
    assert ref[0] > 0 and ref[1] == 0  # Baghdad on the raster, Mosul far off it
    shown = next(d.value for d in at.dataframe if "population_within" in d.value.columns)
    assert list(shown["id"]) == list(offices["id"])
    np.testing.assert_allclose(shown["population_within"].to_numpy(float), ref, atol=0.5)
    # covered: union of the catchments, each cell once (brute force over cell centres)
    from test_population import centres_lonlat

    lon, lat, values = centres_lonlat(path)
    inside = np.zeros(lon.size, dtype=bool)
    for x, y in coords:
        inside |= GEOD.inv(np.full(lon.size, x), np.full(lon.size, y), lon, lat)[2] <= 50_000
    m = _metrics(at)
    assert m["People on the raster"] == f"{values.sum():,.0f}"
    assert m["Within 50 km of an office"] == f"{values[inside].sum():,.0f}"
    assert m["Not covered"] == f"{values[~inside].sum():,.0f}"
    by_gov = next(d.value for d in at.dataframe if "population_outside_radius" in d.value)
    assert by_gov["governorate"].iloc[-1] == "Total"
    assert by_gov["population_within_radius"].iloc[:-1].sum() == pytest.approx(
        values[inside].sum()
    )
    assert by_gov["population_within_radius"].iloc[-1] == pytest.approx(
        by_gov["population_within_radius"].iloc[:-1].sum()
    )
    # governorates with nobody on the raster are hidden; everybody is still accounted for
    assert (by_gov["population"].iloc[:-1] > 0).all()
    assert by_gov["population"].iloc[:-1].sum() == pytest.approx(values.sum())
    assert _upload_dirs() <= before
    # the table comes with its downloads
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("CSV") >= 3


def test_population_raster_that_is_not_a_raster():
    at = _coverage_app()
    at.file_uploader(key="raster_upload").set_value(("fake.tif", b"not a tiff", "image/tiff"))
    at.run()
    at.button(key="raster_run").click().run()
    assert not at.exception
    assert any("fake.tif" in e.value for e in at.error), [e.value for e in at.error]


def test_road_graph_is_built_once_per_file_content(osm_bytes, monkeypatch):
    import cpgeo.coverage.network as network
    from app_pages._realdata import road_graph

    road_graph.clear()
    built: list[str] = []
    original = network.road_graph_from_xml

    def counting(path, **kwargs):
        built.append(Path(path).name)
        assert Path(path).is_file()  # the temporary copy exists while it is read
        return original(path, **kwargs)

    monkeypatch.setattr(network, "road_graph_from_xml", counting)
    at = _coverage_app()
    at.radio(key="catchment").set_value("road").run()
    at.file_uploader(key="osm_upload").set_value(("a.osm", osm_bytes, "application/xml"))
    at.run()
    at.button(key="road_run").click().run()
    at.sidebar.slider(key="radius").set_value(60.0).run()
    at.button(key="road_run").click().run()
    assert not at.exception
    assert "Covered by road" in _metrics(at)
    assert built == ["a.osm"]  # same bytes, new radius: the cached graph
    # the same bytes under another name are the same graph; other bytes are a new one
    at.file_uploader(key="osm_upload").set_value(("b.osm", osm_bytes, "application/xml"))
    at.run()
    at.button(key="road_run").click().run()
    assert built == ["a.osm"]
    other = osm_bytes.replace(b'lat="33.3"', b'lat="33.31"')
    assert other != osm_bytes
    at.file_uploader(key="osm_upload").set_value(("c.osm", other, "application/xml"))
    at.run()
    at.button(key="road_run").click().run()
    assert not at.exception
    assert built == ["a.osm", "c.osm"]
