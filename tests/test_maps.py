"""Offline folium maps and the PNG rendering (cpgeo.maps, cpgeo._assets)."""

from __future__ import annotations

import os
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from folium.plugins import Fullscreen, MarkerCluster
from pyproj import Geod

import cpgeo
from cpgeo import _assets, maps
from cpgeo.regions import load_boundaries
from cpgeo.scenario import Scenario

GEOD = Geod(ellps="WGS84")
EVIL = "<script>alert(1)</script>"
EVIL_JS = "${alert(2)}`"


def _points(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows)
    geometry = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def _scenario(seed: int = 1, n: int = 60) -> Scenario:
    rng = np.random.default_rng(seed)
    offices = _points(
        [
            {"id": "OFF-1", "name": EVIL, "lon": 44.40, "lat": 33.34, "governorate": "Baghdad"},
            {"id": "OFF-2", "name": "Mosul " + EVIL_JS, "lon": 43.12, "lat": 36.33,
             "governorate": "Ninewa"},
        ]
    )
    communities = _points(
        [
            {"id": f"C{i}", "name": f"Place {i}", "lon": rng.uniform(42.0, 45.5),
             "lat": rng.uniform(32.5, 36.5), "governorate": "Baghdad",
             "population": int(rng.integers(0, 500_000))}
            for i in range(n)
        ]
    )
    cpfs = _points(
        [
            {"id": f"F{i}", "name": f"Forum {i}", "lon": 44.40 + 0.12 * i, "lat": 33.30,
             "governorate": "Baghdad", "office_id": "OFF-1"}
            for i in range(7)
        ]
    )
    return Scenario(
        load_boundaries(), communities, offices, cpfs,
        illustrative_layers=("offices", "cpfs", "stations"),
    )


def _derived(scn: Scenario, radius_km: float = 50.0, max_cpfs: int = 5):
    """Coverage / load / forum status computed here with pyproj (independent of cpgeo)."""
    ox, oy = scn.offices.geometry.x.to_numpy(), scn.offices.geometry.y.to_numpy()
    cx, cy = scn.communities.geometry.x.to_numpy(), scn.communities.geometry.y.to_numpy()
    km = np.array(
        [[GEOD.inv(cx[i], cy[i], ox[j], oy[j])[2] / 1000 for j in range(len(ox))]
         for i in range(len(cx))]
    )
    cov = scn.communities.copy()
    cov["covered"] = (km <= radius_km).any(axis=1)
    cov["offices_in_range"] = (km <= radius_km).sum(axis=1)
    cov["nearest_office"] = scn.offices["id"].to_numpy()[km.argmin(axis=1)]
    cov["nearest_office_km"] = km.min(axis=1)
    load = scn.offices.copy()
    counts = scn.cpfs["office_id"].value_counts()
    load["n_cpfs"] = [int(counts.get(i, 0)) for i in load["id"]]
    load["capacity"] = max_cpfs
    load["over_capacity"] = load["n_cpfs"] > max_cpfs
    forums = scn.cpfs.copy()
    forums["assigned_office"] = forums["office_id"]
    fx, fy = forums.geometry.x.to_numpy(), forums.geometry.y.to_numpy()
    forums["assigned_km"] = [GEOD.inv(fx[i], fy[i], ox[0], oy[0])[2] / 1000 for i in range(7)]
    forums["status"] = np.where(forums["assigned_km"] <= radius_km, "in_range", "out_of_range")
    return cov, load, forums


def _html(basemap: str = "none", proposals: gpd.GeoDataFrame | None = None) -> str:
    scn = _scenario()
    cov, load, forums = _derived(scn)
    m = maps.build_map(scn, cov, load, proposals, forums=forums, radius_km=50, basemap=basemap)
    return maps.map_html(m)


def _asset_sources(html: str) -> list[str]:
    return re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=[\"']([^\"']*)", html, re.I)


def test_map_html_loads_no_external_asset():
    html = _html()
    sources = _asset_sources(html)
    assert len(sources) >= 2  # Leaflet's script and stylesheet
    assert all(src.startswith("data:") for src in sources), [s[:60] for s in sources]
    assert re.search(r"https?://", html) is None
    assert "cdn" not in html.lower()  # no CDN host of any kind
    # the inlined script is XStatic's Leaflet 1.9.3
    leaflet = _assets.asset_path("leaflet").read_text(encoding="utf-8")
    assert 'version = "1.9.3"' in leaflet or "1.9.3" in leaflet


def test_osm_basemap_only_adds_tiles_not_assets():
    html = _html(basemap="osm")
    assert all(src.startswith("data:") for src in _asset_sources(html))
    assert "tile.openstreetmap.org" in html


def test_folium_classes_left_unchanged():
    _html()
    assert any("http" in url for _, url in folium.Map.default_js)


def test_plugins_are_localised_or_refused():
    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    maps.make_offline(m)
    html = m.get_root().render()
    assert all(src.startswith("data:") for src in _asset_sources(html))
    assert "markerClusterGroup" in html
    m2 = folium.Map(tiles=None)
    Fullscreen().add_to(m2)
    with pytest.raises(ValueError, match="no local copy of the map asset"):
        maps.make_offline(m2)


def test_css_images_are_inlined():
    css = _assets.asset_text("leaflet_css")
    assert "url(images/" not in css
    assert "data:image/png;base64," in css


def test_data_labels_are_escaped():
    html = _html()
    assert EVIL not in html
    assert "alert(1)" in html  # the name is there, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.replace("\\u0026", "&")
    assert "${alert(2)}" not in html
    assert maps.esc(EVIL) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert maps.esc("a`b${c}\\") == "a&#96;b&#36;&#123;c&#125;&#92;"
    assert maps.esc(None) == ""
    assert maps.esc(pd.NA) == ""


#: Jinja syntax in a name: branca compiles every macro's output as a template, so an
#: unescaped brace would be evaluated on the server (AA42BB, CCxDD, the server's pid).
JINJA = "AA{{ 6 * 7 }}BB CC{% if true %}x{% endif %}DD{# c #}{{ lipsum.__globals__.os.getpid() }}"
HOSTILE = "</script><img src=x onerror=alert(1)>" + JINJA


def test_names_are_never_evaluated_as_templates():
    scn = _scenario()
    cov, load, forums = _derived(scn)
    load.loc[load.index[0], "name"] = JINJA  # an office: folium tooltips and catchments
    cov.loc[cov.index[0], "name"] = HOSTILE  # a community: the points' payload
    forums.loc[forums.index[0], "name"] = JINJA
    boundaries = scn.boundaries.copy()
    boundaries.loc[boundaries.index[0], "governorate"] = JINJA
    stations = _points([{"id": "S1", "name": JINJA, "lon": 44.0, "lat": 33.0,
                         "governorate": "Baghdad"}])
    proposals = _points([{"id": "P1", "name": JINJA, "lon": 43.7, "lat": 34.6, "rank": 1,
                          "type": JINJA, "reason": JINJA}])
    scn = scn.with_layers(boundaries=boundaries, stations=stations)
    html = maps.map_html(maps.build_map(scn, cov, load, forums=forums, radius_km=50,
                                        proposals=proposals, title=JINJA))
    assert "AA42BB" not in html and "CCxDD" not in html
    assert f"DD{os.getpid()}" not in html
    assert "{{" not in html and "{%" not in html and "{#" not in html
    assert "</script><img" not in html
    # the texts are there as texts: escaped in the tooltips, verbatim in the payload
    assert "&#123;&#123; 6 * 7 &#125;&#125;" in html.replace("\\u0026", "&")
    assert _payload(html)["n"][0] == HOSTILE


def _payload(html: str) -> dict:
    """The communities' payload of a map (cpgeo.maps.community_payload), as sent."""
    import json

    found = re.findall(r"\n    var d = (\{.*?\});\n", html)
    assert len(found) == 1
    return json.loads(found[0])


def test_payload_carries_every_community_once():
    scn = _scenario(n=500)
    cov, load, forums = _derived(scn)
    cov.loc[cov.index[3], "population"] = np.nan
    cov.loc[cov.index[4], "governorate"] = None
    html = maps.map_html(maps.build_map(scn, cov, load, forums=forums, radius_km=50))
    d = _payload(html)
    assert d == maps.community_payload(cov)
    n = len(cov)
    assert all(len(d[key]) == n for key in ("x", "y", "s", "n", "g", "p", "o", "k"))
    # each community exactly once, in order, with its own coordinates
    assert d["n"] == cov["name"].tolist() and len(set(d["n"])) == n
    assert np.allclose(d["x"], cov.geometry.x, atol=1e-5)
    assert np.allclose(d["y"], cov.geometry.y, atol=1e-5)
    assert all(abs(round(v, 5) - v) < 1e-9 for v in d["x"] + d["y"])
    assert d["s"] == cov["covered"].astype(int).tolist()
    assert [d["O"][o] for o in d["o"]] == cov["nearest_office"].tolist()
    assert d["k"] == pytest.approx(cov["nearest_office_km"].round(1).tolist())
    assert d["p"][3] is None and d["p"][0] == int(cov["population"].iloc[0])
    assert d["g"][4] == -1 and d["G"][d["g"][0]] == "Baghdad"
    assert d["P"] == [list(c) for c in maps.POPULATION_CLASSES]  # marker sizes
    # villages without any population: one null, not one per village
    cov["population"] = np.nan
    assert maps.community_payload(cov)["p"] is None
    # one Leaflet path draws them all: no GeoJSON feature, no HTML string per community
    assert html.count("\"Place 7\"") == 1
    assert "population unknown" not in html


def test_large_map_document_stays_small():
    rng = np.random.default_rng(3)
    scn = _scenario(n=11_000)
    cov, load, forums = _derived_fast(scn, rng)
    html = maps.map_html(maps.build_map(scn, cov, load, forums=forums, radius_km=50))
    assert len(_payload(html)["x"]) == 11_000
    # about 60 bytes a community (names, coordinates, status, office, distance)
    assert len(html.encode()) < 400_000 + 11_000 * 70


def _derived_fast(scn: Scenario, rng: np.random.Generator):
    """Coverage-like columns for many communities (values only, not checked here)."""
    cov = scn.communities.copy()
    cov["covered"] = rng.random(len(cov)) < 0.4
    cov["nearest_office"] = rng.choice(scn.offices["id"].to_numpy(), len(cov))
    cov["nearest_office_km"] = rng.uniform(0, 200, len(cov))
    _cov, load, forums = _derived(scn.with_layers(communities=scn.communities.iloc[:5]))
    return cov, load, forums


def test_proposal_reason_is_escaped():
    props = _points(
        [{"id": "P1", "name": "Site " + EVIL, "lon": 43.7, "lat": 34.6, "rank": 1,
          "type": "new_build", "reason": "covers <b>x</b>"}]
    )
    html = _html(proposals=props)
    assert EVIL not in html
    assert "covers <b>x</b>" not in html
    assert "Proposed sites" in html


@pytest.mark.parametrize(
    ("lon", "lat", "radius_km"),
    [(44.4, 33.3, 50.0), (43.1, 36.3, 50.0), (47.8, 30.5, 12.5), (39.0, 37.4, 120.0)],
)
def test_geodesic_circle_vertices_are_at_the_radius(lon, lat, radius_km):
    circle = maps.geodesic_circle(lon, lat, radius_km)
    xs, ys = np.asarray(circle.exterior.xy)
    assert len(xs) == 129  # 128 vertices, closed
    _, _, dist = GEOD.inv(np.full(128, lon), np.full(128, lat), xs[:-1], ys[:-1])
    assert np.all(np.abs(dist - radius_km * 1000) <= 1.0)
    # not a planar circle in degrees: east-west extent in degrees exceeds north-south
    assert (xs.max() - xs.min()) > (ys.max() - ys.min()) * 1.1


def test_geodesic_circle_rejects_bad_radius():
    with pytest.raises(ValueError, match="radius_km must be a positive number"):
        maps.geodesic_circle(44.0, 33.0, 0.0)


def test_map_layers_and_flags():
    scn = _scenario()
    cov, load, forums = _derived(scn)
    m = maps.build_map(scn, cov, load, forums=forums, radius_km=50)
    html = maps.map_html(m)
    # each layer is an overlay of the layer control, by its name
    overlays = re.search(r"overlays\s*:\s*\{(.*?)\}", html, re.S)
    assert overlays is not None
    named = re.findall(r'"([^"]+)"\s*:\s*\w+', overlays.group(1))
    assert named == [
        "Governorates", "Share of the population within the radius", "Catchments",
        "Communities", "Forums", "Offices", "Governorate names", "Office names",
    ]
    assert "cpgeo-over" in html  # OFF-1 carries 7 forums > 5
    assert 'cpgeo-over\\"\\u003e7\\u003c/div' in html  # badge with the count
    assert "L.control.layers" in html
    assert "cpgeo-legend" in html
    # one catchment polygon per office with 128 vertices each
    assert html.count('50 km catchment (geodesic)"') == len(scn.offices)


def test_bad_basemap_and_missing_crs():
    scn = _scenario()
    cov, load, forums = _derived(scn)
    with pytest.raises(ValueError, match="basemap must be"):
        maps.build_map(scn, cov, load, forums=forums, basemap="satellite")  # type: ignore[arg-type]
    bad = scn.with_layers(offices=scn.offices.set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="offices has no CRS"):
        maps.build_map(bad, cov, load, forums=forums)


def test_render_png(tmp_path):
    scn = _scenario()
    cov, load, forums = _derived(scn)
    out = maps.render_png(scn, tmp_path / "map.png", cov, load, forums=forums, radius_km=50)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000


def test_copy_assets_for_static_serving(tmp_path):
    dest = _assets.copy_assets(tmp_path / "vendor")
    assert (dest / "leaflet" / "leaflet.js").is_file()
    links = _assets.local_links([("leaflet", "https://x/leaflet.js")], base_url="app/static/vendor")
    assert links == [("leaflet", "app/static/vendor/leaflet/leaflet.js")]
    assert _assets.local_links([("bootstrap", "https://x/b.js")]) == []


def _road_coverage(scn: Scenario, cov: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Hand-set road results: C0 by road, C1 inside the radius but not by road, C2 neither,
    C3 9 km from the nearest road node (off the network)."""
    road = scn.communities.iloc[:4].copy()
    road["road_km"] = [12.5, np.nan, np.nan, np.nan]
    road["road_office"] = pd.Series(["OFF-1", None, None, None], index=road.index, dtype="str")
    road["snap_m"] = [250.0, 1500.0, 4999.0, 9000.0]
    road["office_snap_m"] = [10.0, np.nan, np.nan, np.nan]
    road["covered_by_road"] = [True, False, False, False]
    road["off_network"] = [False, False, False, True]
    road["nearest_office_km"] = [20.0, 30.0, 80.0, 40.0]
    road["within_radius"] = [True, True, False, True]
    road["radius_but_not_road"] = [False, True, False, False]
    return road


def test_road_catchment_colours_and_legend():
    scn = _scenario()
    cov, load, forums = _derived(scn)
    road = _road_coverage(scn, cov)
    m = maps.build_map(scn, road, load, forums=forums, radius_km=50, catchment="road")
    html = maps.map_html(m)
    assert "Communities (road distance)" in html
    assert "beyond 50 km by road" in html  # legend row
    d = _payload(html)
    assert d == maps.road_payload(road, 50)
    assert d["kind"] == "road" and d["R"] == "50"
    assert [maps.ROAD_KINDS[k] for k in d["s"]] == ["road", "gap", "none", "far"]
    # what the tooltips say (built from these by the map's script; see test_browser.py)
    assert d["v"] == [0, 1, 2, 2]  # by road / inside the radius only / neither
    assert d["k"][0] == 12.5 and d["O"][d["o"][0]] == "OFF-1"
    assert d["o"][1:] == [-1, -1, -1] and d["k"][1:] == [None, None, None]
    assert d["q"][1] == 30.0
    assert d["m"] == [0.25, 1.5, 5.0, 9.0]  # snapping distance, km
    assert [int(k == 3) for k in d["s"]] == [0, 0, 0, 1]  # off the road network
    assert "more than 5 km from any road" in html  # legend row
    # the amber of "inside the radius, not by road", ringed in black, a little larger
    assert d["S"][1][:2] == [maps.COLOURS["radius_not_road"], "#000000"]
    assert d["S"][1][4] > 0
    with pytest.raises(ValueError, match=r"needs the output of cpgeo\.coverage\.network_coverage"):
        maps.build_map(scn, cov, load, forums=forums, catchment="road")
    with pytest.raises(ValueError, match="catchment must be"):
        maps.build_map(scn, cov, load, forums=forums, catchment="walk")  # type: ignore[arg-type]


def test_map_opens_on_the_whole_country():
    scn = _scenario()
    cov, load, forums = _derived(scn)
    m = maps.build_map(scn, cov, load, forums=forums, governorates=["Anbar"])
    html = maps.map_html(m)
    minx, miny, maxx, maxy = scn.boundaries.total_bounds
    number = r"\s*([-\d.]+)\s*"
    fit = re.search(rf"fitBounds\(\s*\[\[{number},{number}\],\s*\[{number},{number}\]\]", html)
    assert fit is not None
    south, west, north, east = map(float, fit.groups())
    assert (south, west, north, east) == pytest.approx((miny, minx, maxy, maxx))


def test_map_can_open_on_one_office():
    scn = _scenario()
    cov, load, forums = _derived(scn)
    whole = maps.map_html(maps.build_map(scn, cov, load, forums=forums, radius_km=50))
    assert "fitBounds" in whole
    one = maps.map_html(
        maps.build_map(scn, cov, load, forums=forums, radius_km=50, center=(34.6, 43.7), zoom=9)
    )
    assert "fitBounds" not in one
    assert re.search(r"center:\s*\[34\.6,\s*43\.7\]", one)
    assert re.search(r'"zoom":\s*9', one)


def test_proposal_map_shows_the_after_state():
    from cpgeo.siting import plan_sites

    demo = cpgeo.load_demo()
    plan = plan_sites(demo, 2, method="greedy")
    fig = plan.before
    html = maps.map_html(
        maps.build_map(
            demo, fig.coverage, fig.load, plan.sites, forums=fig.forums, radius_km=50,
            coverage_after=plan.after.coverage, show_stations=True,
        )
    )
    newly = int(plan.summary.loc["communities_within_radius", "change"])
    assert newly > 0
    statuses = _payload(html)["s"]
    assert statuses.count(2) == newly  # newly covered: a colour and a tooltip line of their own
    assert html.count("newly covered by the proposal") == 1  # the line, sent once
    assert "newly within 50 km with the proposal" in html
    assert "candidate police station" in html
    # the proposed sites' colour is their own, not the "forum out of range" orange
    colours = maps.map_colours()
    assert colours["proposal"] not in {
        colours["forum_problem"], colours["uncovered"], colours["office_over"]
    }
    # rank badges sit below left of the site, office badges above right: never on top
    rank_icon = re.search(r'cpgeo-rank[^}]*?"iconAnchor": \[(-?\d+), (-?\d+)\]', html)
    over_icon = re.search(r'cpgeo-over[^}]*?"iconAnchor": \[(-?\d+), (-?\d+)\]', html)
    assert rank_icon and over_icon
    assert rank_icon.groups() == ("28", "-4") and over_icon.groups() == ("-4", "26")
