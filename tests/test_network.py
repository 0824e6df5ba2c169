"""Road-distance catchments on small generated OSM XML road networks."""

from __future__ import annotations

import gzip
import itertools
import re
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod

import cpgeo.osm
from cpgeo import InputError, NetworkUnavailableError
from cpgeo.coverage.network import (
    DEFAULT_SPEEDS_KPH,
    geodesic_foot,
    nearest_points,
    network_coverage,
    road_coverage_matrix,
    road_extent,
    road_graph_from_place,
    road_graph_from_xml,
)

GEOD = Geod(ellps="WGS84")

# Node id -> (lon, lat). A main network A-B-C-D-E, with extra shape points on C-D, and a
# separate piece F-G joined to A only by a footway (not a road).
NODES = {
    1: (44.00, 33.00),  # A
    2: (44.10, 33.00),  # B (interior of road 1: simplified away with simplify=True)
    3: (44.20, 33.00),  # C
    31: (44.22, 33.03),  # shape points of road 2
    32: (44.21, 33.07),
    4: (44.20, 33.10),  # D
    5: (44.30, 33.10),  # E
    8: (44.20, 32.90),  # H, a dead end off C (so C is a junction)
    6: (45.00, 33.00),  # F
    7: (45.10, 33.00),  # G
    # a building outline
    90: (44.05, 33.05),
    91: (44.051, 33.05),
    92: (44.051, 33.051),
}
WAYS = {
    100: ([1, 2, 3], {"highway": "primary"}),
    101: ([3, 31, 32, 4], {"highway": "secondary"}),
    102: ([4, 5], {"highway": "tertiary", "oneway": "yes"}),
    106: ([3, 8], {"highway": "residential"}),
    103: ([6, 7], {"highway": "residential"}),
    104: ([1, 6], {"highway": "footway"}),
    105: ([90, 91, 92, 90], {"building": "yes"}),
}


def write_osm(path: Path, nodes: dict, ways: dict) -> Path:
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="test">']
    for nid, (lon, lat, *tags) in ((k, (*v,)) for k, v in nodes.items()):
        tag_xml = "".join(
            f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for t in tags for k, v in t.items()
        )
        lines.append(f'<node id="{nid}" lat="{lat}" lon="{lon}" version="1">{tag_xml}</node>')
    for wid, (refs, tags) in ways.items():
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append(f'<way id="{wid}" version="1">{body}</way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def seg_m(*ids: int) -> float:
    """Geodesic length (m) of the polyline through the given nodes."""
    lons = [NODES[i][0] for i in ids]
    lats = [NODES[i][1] for i in ids]
    return float(sum(GEOD.inv(lons[i], lats[i], lons[i + 1], lats[i + 1])[2]
                     for i in range(len(ids) - 1)))


def off_road(lon: float, lat: float, az: float, along: float, offset: float
             ) -> tuple[tuple[float, float], tuple[float, float]]:
    """The point ``along`` metres down the geodesic from (lon, lat) at azimuth ``az``
    (the foot) and the point ``offset`` metres from it at right angles (to the left for
    a positive offset). The foot is the nearest point of the geodesic to the latter:
    the geodesic from it meets the road at 90 degrees.
    """
    fx, fy, faz = GEOD.fwd(lon, lat, az, along, return_back_azimuth=False)
    px, py, _ = GEOD.fwd(fx, fy, faz - 90.0, offset)
    return (float(fx), float(fy)), (float(px), float(py))


def points(coords: list[tuple[float, float]], ids: list[str] | None = None) -> gpd.GeoDataFrame:
    ids = ids or [f"p{i}" for i in range(len(coords))]
    return gpd.GeoDataFrame(
        {"id": ids, "name": ids},
        geometry=[shapely.Point(x, y) for x, y in coords],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_osm(tmp_path_factory.mktemp("osm") / "roads.osm", NODES, WAYS)


@pytest.fixture(scope="module")
def graph(osm_file: Path) -> nx.MultiDiGraph:
    return road_graph_from_xml(osm_file)


AB_C = seg_m(1, 2, 3)
CD = seg_m(3, 31, 32, 4)
DE = seg_m(4, 5)


def test_graph_keeps_roads_of_the_largest_piece_with_geodesic_lengths(graph):
    assert set(graph.nodes) == {1, 2, 3, 31, 32, 4, 5, 8}  # F-G and building gone
    lengths = {(u, v): d["length"] for u, v, d in graph.edges(data=True)}
    assert lengths[(1, 2)] == pytest.approx(seg_m(1, 2), abs=1e-6)
    assert lengths[(3, 2)] == pytest.approx(seg_m(2, 3), abs=1e-6)
    assert lengths[(32, 4)] == pytest.approx(seg_m(32, 4), abs=1e-6)
    assert lengths[(4, 5)] == pytest.approx(DE, abs=1e-6)
    assert (5, 4) not in lengths  # one-way


def test_simplified_graph_keeps_geodesic_lengths_along_geometries(osm_file, graph):
    g = road_graph_from_xml(osm_file, simplify=True)
    assert set(g.nodes) == {1, 3, 4, 5, 8}  # B and the shape points merged into edges
    lengths = {(u, v): d["length"] for u, v, d in g.edges(data=True)}
    assert lengths[(1, 3)] == pytest.approx(AB_C, abs=1e-6)
    assert lengths[(3, 1)] == pytest.approx(AB_C, abs=1e-6)
    assert lengths[(3, 4)] == pytest.approx(CD, abs=1e-6)
    assert lengths[(4, 5)] == pytest.approx(DE, abs=1e-6)
    assert (5, 4) not in lengths
    # the same roads either way: 7 segments, two-way streets counted once
    total = (AB_C + CD + DE + seg_m(3, 8)) / 1000
    assert road_extent(g) == (7, pytest.approx(total, abs=1e-9))
    assert road_extent(graph) == (7, pytest.approx(total, abs=1e-9))


def test_graph_retain_all_keeps_the_separate_piece(osm_file):
    g = road_graph_from_xml(osm_file, retain_all=True)
    assert set(g.nodes) == {1, 2, 3, 31, 32, 4, 5, 8, 6, 7}
    assert g.edges[6, 7, 0]["length"] == pytest.approx(seg_m(6, 7), abs=1e-6)


def test_graph_with_footways_joins_the_pieces(osm_file):
    g = road_graph_from_xml(osm_file, highway_types=("primary", "secondary", "tertiary",
                                                     "residential", "footway"))
    assert 7 in g.nodes  # G now joins the network (A and F became mid-road points)


def test_road_distances_match_hand_sums(graph):
    # The last community is 800 m north of road A-B, 9 km along it from A: it joins the
    # road there (not at a node 9 km away) and is on the network with the 5-km default.
    az_ab = GEOD.inv(*NODES[1], *NODES[2])[0]
    foot, near_ab = off_road(*NODES[1], az_ab, 9000.0, 800.0)
    communities = points([NODES[3], NODES[4], NODES[5], near_ab])
    offices = points([NODES[1]], ["office-A"])
    out = network_coverage(communities, offices, graph, max_km=100)
    expected = np.array([AB_C, AB_C + CD, AB_C + CD + DE, 9000.0]) / 1000
    np.testing.assert_allclose(out["road_km"].to_numpy(), expected, atol=1e-9)
    np.testing.assert_allclose(out["snap_m"].to_numpy(), [0, 0, 0, 800.0], atol=1e-6)
    assert GEOD.inv(*near_ab, *foot)[2] == pytest.approx(800.0, abs=1e-6)
    assert out["covered_by_road"].tolist() == [True, True, True, True]
    assert out["road_office"].tolist() == ["office-A"] * 4
    assert out["office_snap_m"].tolist() == [0.0] * 4
    geo_km = [GEOD.inv(*NODES[1], x, y)[2] / 1000 for x, y in
              [NODES[3], NODES[4], NODES[5], near_ab]]
    np.testing.assert_allclose(out["nearest_office_km"], geo_km, atol=1e-9)
    assert out.index.equals(communities.index)
    assert out.crs == communities.crs


def test_cutoff_is_inclusive_and_beyond_is_nan(graph):
    communities = points([NODES[3], NODES[4], NODES[5]])
    offices = points([NODES[1]], ["A"])
    max_km = (AB_C + CD) / 1000 + 1e-7  # D just inside, E beyond
    out = network_coverage(communities, offices, graph, max_km=max_km)
    assert out["covered_by_road"].tolist() == [True, True, False]
    assert np.isnan(out["road_km"].iloc[2])
    assert pd.isna(out["road_office"].iloc[2])
    # E is ~34 km from A as the crow flies: inside the radius, beyond it by road.
    assert GEOD.inv(*NODES[1], *NODES[5])[2] / 1000 < max_km
    assert out["within_radius"].tolist() == [True, True, True]
    assert out["radius_but_not_road"].tolist() == [False, False, True]


def test_one_way_roads_are_respected(graph):
    # An office at E: E->D is against the one-way street, nothing else leaves E.
    communities = points([NODES[4], NODES[1]])
    offices = points([NODES[5]], ["E"])
    out = network_coverage(communities, offices, graph, max_km=500)
    assert out["road_km"].isna().all()
    assert not out["covered_by_road"].any()


def test_nearest_office_by_road_wins(graph):
    communities = points([NODES[3], NODES[5]])
    offices = points([NODES[1], NODES[4]], ["A", "D"])
    out = network_coverage(communities, offices, graph, max_km=200)
    assert CD < AB_C  # C is nearer to D by road than to A
    assert out["road_office"].tolist() == ["D", "D"]
    np.testing.assert_allclose(out["road_km"], [min(CD, AB_C) / 1000, DE / 1000], atol=1e-9)


def test_separate_piece_snaps_to_main_network_or_is_unreachable(osm_file, graph):
    g_all = road_graph_from_xml(osm_file, retain_all=True)
    near_f = (45.01, 33.001)  # 111 m north of road F-G, 90 km east of the main network
    communities = points([near_f])
    offices = points([NODES[1]], ["A"])

    # Largest piece only: the nearest road point is E, the end of the one-way D -> E
    # (everything else lies farther west); reached from A through D.
    out = network_coverage(communities, offices, g_all, max_km=500, max_snap_km=200)
    main_nodes = [1, 2, 3, 31, 32, 4, 5, 8]
    d_main = [GEOD.inv(*near_f, *NODES[i])[2] for i in main_nodes]
    assert main_nodes[int(np.argmin(d_main))] == 5
    assert out["snap_m"].iloc[0] == pytest.approx(min(d_main), abs=1e-6)
    assert out["road_km"].iloc[0] == pytest.approx((AB_C + CD + DE) / 1000, abs=1e-9)

    # Any piece: on road F-G (no office there), 111 m away, well within the 5-km default.
    out = network_coverage(communities, offices, g_all, max_km=500, largest_component=False)
    az_fg = GEOD.inv(*NODES[6], *NODES[7])[0]
    along = np.linspace(0.0, seg_m(6, 7), 200_001)  # 0.4-m steps along the geodesic
    fx, fy, _ = GEOD.fwd(np.full(along.size, NODES[6][0]), np.full(along.size, NODES[6][1]),
                         np.full(along.size, az_fg), along)
    brute = GEOD.inv(fx, fy, np.full(along.size, near_f[0]), np.full(along.size, near_f[1]))[2]
    assert out["snap_m"].iloc[0] == pytest.approx(brute.min(), abs=1e-3)
    assert out["snap_m"].iloc[0] < 120 < GEOD.inv(*near_f, *NODES[6])[2]
    assert not out["off_network"].iloc[0]
    assert np.isnan(out["road_km"].iloc[0])
    assert out["within_radius"].iloc[0]  # ~95 km away, radius 500 km
    assert out["radius_but_not_road"].iloc[0]


def test_points_beyond_the_extract_are_off_the_network(graph):
    far = (44.10, 33.30)  # about 33 km north of road A-C, beyond the 5-km default
    communities = points([NODES[4], far])
    offices = points([NODES[1], (44.0, 33.5)], ["A", "far-office"])
    out = network_coverage(communities, offices, graph, max_km=100)
    # every road lies south of latitude 33.10, more than 22 km away
    assert max(lat for _, lat in NODES.values()) == 33.10
    assert out["snap_m"].iloc[1] > 22_000
    assert out["off_network"].tolist() == [False, True]
    assert np.isnan(out["road_km"].iloc[1])
    assert not out["covered_by_road"].iloc[1]
    # The far office (55 km from any road) is no source: D is reached from A only.
    assert out["road_office"].iloc[0] == "A"
    assert out["road_km"].iloc[0] == pytest.approx((AB_C + CD) / 1000, abs=1e-9)
    alone = network_coverage(communities, offices.iloc[[1]], graph, max_km=100)
    assert alone["road_km"].isna().all()
    wide = network_coverage(communities, offices.iloc[[1]], graph, max_km=1000, max_snap_km=100)
    assert wide["road_km"].notna().iloc[0]


def test_travel_time_uses_speed_table_and_overrides(graph):
    communities = points([NODES[3], NODES[4]])
    offices = points([NODES[1]], ["A"])
    out = network_coverage(communities, offices, graph, max_km=100, travel_time=True)
    primary, secondary = DEFAULT_SPEEDS_KPH["primary"], DEFAULT_SPEEDS_KPH["secondary"]
    t_c = AB_C / 1000 / primary * 60
    np.testing.assert_allclose(out["travel_min"], [t_c, t_c + CD / 1000 / secondary * 60])
    out = network_coverage(communities, offices, graph, max_km=100,
                           speeds_kph={"primary": 120.0})
    assert out["travel_min"].iloc[0] == pytest.approx(AB_C / 1000 / 120 * 60)


def test_projected_graph_gives_the_same_answer(graph):
    import osmnx as ox

    # the second community joins the one-way D -> E in the middle, 3.3 km off it
    communities = points([NODES[4], (44.25, 33.13), (44.25, 33.2)])
    offices = points([NODES[1]], ["A"])
    a = network_coverage(communities, offices, graph, max_km=60)
    b = network_coverage(communities, offices, ox.project_graph(graph), max_km=60)
    assert a["covered_by_road"].tolist() == [True, True, False]
    assert AB_C + CD < a["road_km"].iloc[1] * 1000 < AB_C + CD + DE
    np.testing.assert_allclose(a["road_km"], b["road_km"], atol=1e-9)
    np.testing.assert_allclose(a["snap_m"], b["snap_m"], atol=1e-3)
    for g in (graph, ox.project_graph(graph)):
        simple = network_coverage(communities, offices, ox.simplify_graph(g), max_km=60)
        np.testing.assert_allclose(simple["road_km"], a["road_km"], atol=1e-9)
        np.testing.assert_allclose(simple["snap_m"], a["snap_m"], atol=1e-3)


def test_no_offices_and_no_communities(graph):
    out = network_coverage(points([NODES[3]]), points([]).iloc[:0], graph, max_km=50)
    assert out["road_km"].isna().all()
    assert not out["within_radius"].any()
    empty = network_coverage(points([]).iloc[:0], points([NODES[1]]), graph)
    assert len(empty) == 0
    assert "road_km" in empty.columns


def test_bad_inputs_raise(graph, tmp_path):
    good = points([NODES[3]])
    with pytest.raises(InputError, match="communities have no CRS"):
        network_coverage(good.set_crs(None, allow_override=True), good, graph)
    with pytest.raises(InputError, match="max_km must be a positive"):
        network_coverage(good, good, graph, max_km=0)
    with pytest.raises(InputError, match="offices need an 'id'"):
        network_coverage(good, good.drop(columns="id"), graph)
    bad = tmp_path / "bad.osm"
    bad.write_text("not xml at all")
    with pytest.raises(InputError, match="not a readable OSM XML"):
        road_graph_from_xml(bad)
    with pytest.raises(FileNotFoundError, match="no such OSM XML"):
        road_graph_from_xml(tmp_path / "missing.osm")
    no_roads = write_osm(tmp_path / "none.osm", {1: (44, 33), 2: (44.1, 33)},
                         {5: ([1, 2], {"waterway": "river"})})
    with pytest.raises(InputError, match="no roads"):
        road_graph_from_xml(no_roads)


def test_nearest_points_is_exact_against_brute_force():
    rng = np.random.default_rng(7)
    t_lon, t_lat = rng.uniform(40, 48, 500), rng.uniform(29, 37, 500)
    q_lon, q_lat = rng.uniform(40, 48, 200), rng.uniform(29, 37, 200)
    pos, metres = nearest_points(q_lon, q_lat, t_lon, t_lat)
    for i in range(200):
        d = GEOD.inv(np.full(500, q_lon[i]), np.full(500, q_lat[i]), t_lon, t_lat)[2]
        assert metres[i] == pytest.approx(d.min(), abs=1e-6)
        assert d[pos[i]] == pytest.approx(d.min(), abs=1e-6)


def test_online_graph_fails_fast_offline(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(cpgeo.osm.socket, "create_connection", refuse)
    monkeypatch.setattr(cpgeo.settings, "cache_folder", tmp_path)
    start = time.perf_counter()
    with pytest.raises(NetworkUnavailableError, match="no network: cannot reach"):
        road_graph_from_place((44.3, 33.2, 44.5, 33.4))
    assert time.perf_counter() - start < 10


def test_cli_roads(osm_file, tmp_path, capsys):
    from cpgeo.cli import main
    from cpgeo.io import read_layer

    offices = tmp_path / "offices.csv"
    offices.write_text(f"id,name,longitude,latitude\nA,Office A,{NODES[1][0]},{NODES[1][1]}\n")
    communities = tmp_path / "communities.csv"
    communities.write_text(
        "id,name,longitude,latitude,population\n"
        f"c,Near C,{NODES[3][0]},{NODES[3][1]},100\n"
        f"e,Near E,{NODES[5][0]},{NODES[5][1]},50\n"
    )
    out = tmp_path / "roads.csv"
    radius = (AB_C + CD) / 1000 + 0.001  # E is beyond it by road, within it on the map
    code = main(["roads", "--graph-xml", str(osm_file), "--offices", str(offices),
                 "--communities", str(communities), "--radius-km", str(radius),
                 "--travel-time", "-o", str(out)])
    assert code == 0
    table = read_layer(out, "communities").set_index("id")
    assert table.loc["c", "road_km"] == pytest.approx(AB_C / 1000, abs=1e-6)
    assert table.loc["e", "radius_but_not_road"] in (True, "true")
    assert "Within the radius but not by road (1)" in capsys.readouterr().out


# --------------------------------------------------------------- snapping to roads

# A straight desert highway (one geodesic) in Anbar with nodes 30 km apart: H0 .. H3.
HIGHWAY_START = (41.60, 32.80)
HIGHWAY_AZ = 80.0
HIGHWAY_SPACING_M = 30_000.0


def highway_nodes(n: int = 4) -> dict[int, tuple[float, float]]:
    lon, lat, _ = GEOD.fwd(np.full(n, HIGHWAY_START[0]), np.full(n, HIGHWAY_START[1]),
                           np.full(n, HIGHWAY_AZ), HIGHWAY_SPACING_M * np.arange(n))
    return {10 + i: (float(x), float(y)) for i, (x, y) in enumerate(zip(lon, lat, strict=True))}


def on_highway(along: float, offset: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(foot, point): ``along`` metres from H0, ``offset`` metres left of the highway."""
    return off_road(*HIGHWAY_START, HIGHWAY_AZ, along, offset)


@pytest.fixture(scope="module")
def highway(tmp_path_factory: pytest.TempPathFactory) -> nx.MultiDiGraph:
    nodes = highway_nodes()
    path = write_osm(tmp_path_factory.mktemp("hw") / "highway.osm", nodes,
                     {1: (list(nodes), {"highway": "trunk"})})
    return road_graph_from_xml(path)


def test_highway_nodes_lie_on_one_geodesic():
    nodes = list(highway_nodes().values())
    az, _, dist = GEOD.inv(*HIGHWAY_START, *nodes[3])
    assert az == pytest.approx(HIGHWAY_AZ, abs=1e-9)
    assert dist == pytest.approx(3 * HIGHWAY_SPACING_M, abs=1e-6)


def test_point_by_a_desert_highway_joins_it_between_nodes(highway):
    # A village 1.1 km off the highway, 15 km from the nearest node; an office 700 m off
    # it on the first edge. Both join the highway where it passes them.
    office_foot, office = on_highway(12_000.0, -700.0)
    village_foot, village = on_highway(45_000.0, 1100.0)
    nodes = highway_nodes()
    out = network_coverage(points([village]), points([office], ["O"]), highway, max_km=50,
                           travel_time=True)
    row = out.iloc[0]
    # hand computation: the geodesic from the village to its foot meets the road at 90
    # degrees, 1100 m long; the road from foot to foot passes node H1
    assert GEOD.inv(*village, *village_foot)[2] == pytest.approx(1100.0, abs=1e-6)
    along = GEOD.line_length([office_foot[0], nodes[11][0], village_foot[0]],
                             [office_foot[1], nodes[11][1], village_foot[1]])
    assert along == pytest.approx(GEOD.inv(*office_foot, *village_foot)[2], abs=1e-6)
    assert min(GEOD.inv(*village, *xy)[2] for xy in nodes.values()) > 14_000
    assert row["snap_m"] == pytest.approx(1100.0, abs=1.0)
    assert row["office_snap_m"] == pytest.approx(700.0, abs=1.0)
    assert not row["off_network"]  # default max_snap_km, 5 km
    assert row["road_km"] * 1000 == pytest.approx(along, abs=1.0)
    assert row["road_office"] == "O"
    assert row["covered_by_road"]
    assert row["travel_min"] == pytest.approx(along / 1000 / DEFAULT_SPEEDS_KPH["trunk"] * 60,
                                              abs=1e-3)


def test_off_network_is_decided_by_the_distance_to_the_road(highway):
    # the middle of the edge H1-H2, 15 km from both nodes: 4 km off is on the network,
    # 6 km off is not (default 5 km)
    _, near = on_highway(45_000.0, 4000.0)
    _, far = on_highway(45_000.0, -6000.0)
    _, office = on_highway(0.0, 0.0)
    out = network_coverage(points([near, far]), points([office], ["H0"]), highway, max_km=100)
    np.testing.assert_allclose(out["snap_m"], [4000.0, 6000.0], atol=1.0)
    assert out["off_network"].tolist() == [False, True]
    assert out["road_km"].iloc[0] == pytest.approx(45.0, abs=1e-3)
    assert np.isnan(out["road_km"].iloc[1])
    assert out["within_radius"].tolist() == [True, True]
    assert out["radius_but_not_road"].tolist() == [False, False]  # off-network: not a gap


def test_office_and_community_on_the_same_edge(highway):
    _, office = on_highway(40_000.0, 300.0)
    _, ahead = on_highway(52_000.0, -200.0)
    _, behind = on_highway(35_000.0, 500.0)
    _, other_edge = on_highway(75_000.0, 100.0)
    out = network_coverage(points([ahead, behind, other_edge]), points([office], ["O"]),
                           highway, max_km=100)
    np.testing.assert_allclose(out["road_km"], [12.0, 5.0, 35.0], atol=1e-3)
    np.testing.assert_allclose(out["snap_m"], [200.0, 500.0, 100.0], atol=1e-3)
    # the nearer of two offices on the edge names it
    offices = points([on_highway(20_000.0, 0.0)[1], office], ["far", "near"])
    out = network_coverage(points([ahead]), offices, highway, max_km=100)
    assert out["road_office"].iloc[0] == "near"
    assert out["road_km"].iloc[0] == pytest.approx(12.0, abs=1e-3)


# A one-way ring A -> B -> C -> D -> A in the desert, each side about 20 km.
RING = {20: (42.0, 32.0), 21: (42.2, 32.0), 22: (42.2, 32.18), 23: (42.0, 32.18)}


def ring_graph(tmp_path: Path, oneway: str) -> nx.MultiDiGraph:
    ways = {k: ([20 + k, 20 + (k + 1) % 4], {"highway": "primary", "oneway": oneway})
            for k in range(4)}
    return road_graph_from_xml(write_osm(tmp_path / f"ring{oneway}.osm", RING, ways))


def ring_point(side: int, fraction: float, offset: float) -> tuple[float, float]:
    """A point ``offset`` m left of side ``side`` (A-B, B-C, ...) at ``fraction`` of it."""
    (x0, y0), (x1, y1) = RING[20 + side], RING[20 + (side + 1) % 4]
    az, _, length = GEOD.inv(x0, y0, x1, y1)
    return off_road(x0, y0, az, fraction * length, offset)[1]


def ring_side_m(side: int) -> float:
    return float(GEOD.inv(*RING[20 + side], *RING[20 + (side + 1) % 4])[2])


@pytest.mark.parametrize("oneway", ["yes", "-1"])
def test_one_way_edges_are_left_and_entered_only_in_their_direction(tmp_path, oneway):
    # An office inside the one-way A -> B (1/4 of the way) leaves by B only; a community
    # inside a one-way edge u -> v is entered from u only. With oneway=-1 the ring runs
    # the other way round (A -> D -> C -> B -> A) and every answer mirrors.
    g = ring_graph(tmp_path, oneway)
    ab, bc, cd, da = (ring_side_m(k) for k in range(4))
    office = points([ring_point(0, 0.25, 400.0)], ["O"])
    communities = points([ring_point(0, 0.75, -300.0), ring_point(0, 0.10, 200.0),
                          ring_point(3, 0.50, 250.0), ring_point(1, 0.50, 250.0)])
    out = network_coverage(communities, office, g, max_km=200)
    if oneway == "yes":
        expected = [0.5 * ab, 0.75 * ab + bc + cd + da + 0.1 * ab,
                    0.75 * ab + bc + cd + 0.5 * da, 0.75 * ab + 0.5 * bc]
    else:
        expected = [0.25 * ab + da + cd + bc + 0.25 * ab, 0.15 * ab,
                    0.25 * ab + 0.5 * da, 0.25 * ab + da + cd + 0.5 * bc]
    np.testing.assert_allclose(out["road_km"] * 1000, expected, atol=1e-3)
    np.testing.assert_allclose(out["snap_m"], [300.0, 200.0, 250.0, 250.0], atol=1e-3)
    assert out["office_snap_m"].tolist() == pytest.approx([400.0] * 4, abs=1e-3)


def test_two_way_ring_takes_the_short_way_round(tmp_path):
    g = ring_graph(tmp_path, "no")
    assert len(g) == 4
    # osmnx's simplification would delete the whole ring (it has no junction)
    with pytest.raises(InputError, match="no roads left after simplification"):
        road_graph_from_xml(tmp_path / "ringno.osm", simplify=True)
    ab, bc, _, da = (ring_side_m(k) for k in range(4))
    office = points([ring_point(0, 0.25, 400.0)], ["O"])
    communities = points([ring_point(0, 0.10, 200.0), ring_point(3, 0.50, 250.0),
                          ring_point(1, 0.50, 250.0)])
    out = network_coverage(communities, office, g, max_km=200)
    np.testing.assert_allclose(out["road_km"] * 1000,
                               [0.15 * ab, 0.25 * ab + 0.5 * da, 0.75 * ab + 0.5 * bc],
                               atol=1e-3)


def split_grid(seed: int = 11, n_offices: int = 3, n_communities: int = 40):
    """A 5 x 5 grid (2-km blocks) of two-way and one-way streets, and its reference.

    Offices and communities lie up to 300 m off random edges between 20% and 80% along
    (so that edge is the nearest road). The reference is the same grid with each snap
    point inserted as a real node (``o<k>``, ``c<k>``), for networkx.
    """
    rng = np.random.default_rng(seed)
    side, step = 5, 0.02
    g = nx.MultiDiGraph(crs="EPSG:4326")
    xy = {}
    for i in range(side):
        for j in range(side):
            xy[(i, j)] = (44.0 + i * step, 33.0 + j * step)
            g.add_node((i, j), x=xy[(i, j)][0], y=xy[(i, j)][1])
    streets = []
    for i in range(side):
        for j in range(side):
            for nb in ((i + 1, j), (i, j + 1)):
                if nb in xy:
                    kind = rng.choice(["both", "forward", "backward"], p=[0.5, 0.25, 0.25])
                    streets.append(((i, j), nb, str(kind)))
    for p, q, kind in streets:
        length = GEOD.inv(*xy[p], *xy[q])[2]
        if kind in ("both", "forward"):
            g.add_edge(p, q, length=length, highway="residential")
        if kind in ("both", "backward"):
            g.add_edge(q, p, length=length, highway="residential")

    def place(n: int) -> list[tuple[int, float, tuple[float, float], float]]:
        picks = []
        for street in rng.integers(0, len(streets), n):
            p, q, _ = streets[street]
            t = float(rng.uniform(0.2, 0.8))
            offset = float(rng.uniform(-300, 300))
            az, _, length = GEOD.inv(*xy[p], *xy[q])
            picks.append((int(street), t, off_road(*xy[p], az, t * length, offset)[1], offset))
        return picks

    offices, communities = place(n_offices), place(n_communities)
    ref = nx.DiGraph()
    for s_idx, (p, q, kind) in enumerate(streets):
        length = GEOD.inv(*xy[p], *xy[q])[2]
        stops = sorted({(t, f"{who}{k}") for who, group in (("o", offices), ("c", communities))
                        for k, (st_, t, _, _) in enumerate(group) if st_ == s_idx})
        chain = [(0.0, p), *stops, (1.0, q)]
        for (t0, n0), (t1, n1) in itertools.pairwise(chain):
            w = (t1 - t0) * length
            if kind in ("both", "forward"):
                ref.add_edge(n0, n1, weight=w)
            if kind in ("both", "backward"):
                ref.add_edge(n1, n0, weight=w)
    return g, offices, communities, ref



def test_road_distances_match_an_explicitly_split_graph():
    g, offices, communities, ref = split_grid()
    dist, paths = nx.multi_source_dijkstra(ref, {f"o{k}" for k in range(len(offices))})
    out = network_coverage(points([c[2] for c in communities]),
                           points([o[2] for o in offices], [f"o{k}" for k in range(3)]),
                           g, max_km=1000, travel_time=True)
    expected = np.array([dist.get(f"c{k}", np.nan) for k in range(len(communities))]) / 1000
    assert np.isfinite(expected).sum() >= 30
    np.testing.assert_allclose(out["road_km"].to_numpy(), expected, atol=1e-6)
    np.testing.assert_allclose(out["snap_m"], [abs(c[3]) for c in communities], atol=1e-3)
    reached = np.isfinite(expected)
    owners = [paths[f"c{k}"][0] for k in np.flatnonzero(reached)]
    assert out["road_office"][reached].tolist() == owners
    np.testing.assert_allclose(out["travel_min"], expected / 30 * 60, atol=1e-6)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_road_coverage_matrix_equals_one_search_per_site_by_networkx(seed):
    """Each site's column: the communities within the limit of it alone, by networkx."""
    g, sites, communities, ref = split_grid(seed, n_offices=12, n_communities=60)
    max_km = 5.0
    matrix = road_coverage_matrix(
        points([c[2] for c in communities]), points([o[2] for o in sites]), g, max_km
    ).toarray()
    expected = np.zeros_like(matrix)
    for k in range(len(sites)):
        reach = nx.single_source_dijkstra_path_length(ref, f"o{k}")
        for i in range(len(communities)):
            expected[i, k] = reach.get(f"c{i}", np.inf) <= max_km * 1000
    assert 0 < expected.sum() < expected.size
    np.testing.assert_array_equal(matrix, expected)
    # with the sites as offices, a row is covered exactly when network_coverage says so
    out = network_coverage(points([c[2] for c in communities]),
                           points([o[2] for o in sites], [f"o{k}" for k in range(12)]),
                           g, max_km=max_km)
    np.testing.assert_array_equal(matrix.any(axis=1), out["covered_by_road"].to_numpy())


def test_snapping_is_the_nearest_of_all_segments(graph):
    # points near and far from the roads, against every segment of the graph measured
    # by dense sampling of the geodesic (independent of the index and of the iteration)
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(43.7, 44.6, 60), rng.uniform(32.7, 33.4, 60)
    out = network_coverage(points(list(zip(lon, lat, strict=True))), points([NODES[1]]),
                           graph, max_km=50)
    pieces = [(1, 2), (2, 3), (3, 31), (31, 32), (32, 4), (4, 5), (3, 8)]
    best = np.full(lon.size, np.inf)
    for u, v in pieces:
        az, _, length = GEOD.inv(*NODES[u], *NODES[v])
        along = np.linspace(0.0, length, 1001)  # at most 12 m apart
        sx, sy, _ = GEOD.fwd(np.full(along.size, NODES[u][0]),
                             np.full(along.size, NODES[u][1]), np.full(along.size, az), along)
        for i in range(lon.size):
            d = GEOD.inv(sx, sy, np.full(along.size, lon[i]), np.full(along.size, lat[i]))[2]
            j = int(np.argmin(d))
            # refine around the best sample (2.4-cm steps)
            fine = np.linspace(along[max(j - 1, 0)], along[min(j + 1, along.size - 1)], 1001)
            fx, fy, _ = GEOD.fwd(np.full(fine.size, NODES[u][0]),
                                 np.full(fine.size, NODES[u][1]), np.full(fine.size, az), fine)
            d = GEOD.inv(fx, fy, np.full(fine.size, lon[i]), np.full(fine.size, lat[i]))[2]
            best[i] = min(best[i], d.min())
    assert (best > 5000).any() and (best < 5000).any()
    np.testing.assert_allclose(out["snap_m"], best, atol=1e-3)
    assert (out["snap_m"].to_numpy() <= best + 1e-6).all()


@given(
    lon0=st.floats(39.0, 48.0),
    lat0=st.floats(29.0, 37.5),
    az=st.floats(-180.0, 180.0),
    length=st.floats(1.0, 50_000.0),
    t=st.floats(0.0, 1.0),
    offset=st.floats(-20_000.0, 20_000.0),
)
def test_geodesic_foot_finds_the_perpendicular_foot(lon0, lat0, az, length, t, offset):
    # Accuracy claim: to 1 mm along a segment of up to 50 km, for points up to 20 km off
    _, (px, py) = off_road(lon0, lat0, az, t * length, offset)
    ex, ey, _ = GEOD.fwd(lon0, lat0, az, length)
    along, metres = geodesic_foot(*(np.array([v]) for v in (px, py, lon0, lat0, ex, ey, az,
                                                            length)))
    assert along[0] == pytest.approx(t * length, abs=1e-3)
    assert metres[0] == pytest.approx(abs(offset), abs=1e-3)


@given(
    lon0=st.floats(39.0, 48.0),
    lat0=st.floats(29.0, 37.5),
    az=st.floats(-180.0, 180.0),
    length=st.floats(1.0, 50_000.0),
    turn=st.floats(-80.0, 80.0),
    beyond=st.floats(1.0, 20_000.0),
)
def test_geodesic_foot_beyond_the_end_is_the_end(lon0, lat0, az, length, turn, beyond):
    # a point ahead of the end (within 80 degrees of the road's direction there): the
    # distance still falls at the end, so the end is the nearest point
    ex, ey, faz = GEOD.fwd(lon0, lat0, az, length, return_back_azimuth=False)
    px, py, _ = GEOD.fwd(ex, ey, faz + turn, beyond)
    along, metres = geodesic_foot(*(np.array([v]) for v in (px, py, lon0, lat0, ex, ey, az,
                                                            length)))
    assert along[0] == length
    assert metres[0] == pytest.approx(beyond, abs=1e-6)


# ----------------------------------------------- a small network is not simplified away

# 33 nodes on one winding road (2-km geodesic steps, zigzagging north-east / south-east)
# with no junction: osmnx's simplify_graph would merge it into one edge with two nodes.
ZIGZAG_START = (42.30, 33.00)


def zigzag() -> dict[int, tuple[float, float]]:
    nodes = {100: ZIGZAG_START}
    lon, lat = ZIGZAG_START
    for i in range(1, 33):
        lon, lat, _ = GEOD.fwd(lon, lat, 60.0 if i % 2 else 120.0, 2000.0)
        nodes[100 + i] = (float(lon), float(lat))
    return nodes


@pytest.fixture(scope="module")
def zigzag_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nodes = zigzag()
    return write_osm(tmp_path_factory.mktemp("zz") / "zigzag.osm", nodes,
                     {1: (list(nodes), {"highway": "tertiary"})})


def zigzag_places() -> tuple[list[tuple[float, float]], np.ndarray, np.ndarray]:
    """Communities on every node and 250 m off the middle of every segment, with their
    road position (m from the first node) and their distance to the road (m)."""
    nodes = list(zigzag().values())
    cum = np.concatenate([[0.0], np.cumsum(
        [GEOD.inv(*nodes[i], *nodes[i + 1])[2] for i in range(32)])])
    coords, along, off = list(nodes), list(cum), [0.0] * 33
    for i in range(32):
        az, _, length = GEOD.inv(*nodes[i], *nodes[i + 1])
        coords.append(off_road(*nodes[i], az, length / 2, 250.0 if i % 2 else -250.0)[1])
        along.append(cum[i] + length / 2)
        off.append(250.0)
    return coords, np.array(along), np.array(off)


def test_small_network_keeps_every_road_position(zigzag_file):
    g = road_graph_from_xml(zigzag_file)
    assert len(g) == 33
    assert g.number_of_edges() == 64
    simple = road_graph_from_xml(zigzag_file, simplify=True)
    assert len(simple) == 2  # osmnx merges the chain; snapping still sees every segment
    coords, along, off = zigzag_places()
    office_at = along[16]  # node 116, in the middle of the simplified graph's only edge
    offices = points([coords[16]], ["mid"])
    for graph_ in (g, simple):
        out = network_coverage(points(coords), offices, graph_, max_km=100)
        assert not out["off_network"].any()
        np.testing.assert_allclose(out["snap_m"], off, atol=1e-3)
        np.testing.assert_allclose(out["road_km"] * 1000, np.abs(along - office_at), atol=1e-3)
    total = along[32] / 1000
    assert road_extent(g) == (32, pytest.approx(total, abs=1e-9))
    assert road_extent(simple) == (32, pytest.approx(total, abs=1e-9))


def test_cli_roads_reports_road_segments_not_simplified_nodes(zigzag_file, tmp_path, capsys):
    from cpgeo.cli import main
    from cpgeo.io import read_layer

    coords, along, _ = zigzag_places()
    offices = tmp_path / "offices.csv"
    offices.write_text(f"id,name,longitude,latitude\nA,Office A,{coords[0][0]},{coords[0][1]}\n")
    communities = tmp_path / "communities.csv"
    communities.write_text("id,name,longitude,latitude,population\n" + "".join(
        f"c{k},Place {k},{x},{y},10\n" for k, (x, y) in enumerate(coords)))
    out = tmp_path / "roads.csv"
    code = main(["roads", "--graph-xml", str(zigzag_file), "--offices", str(offices),
                 "--communities", str(communities), "--radius-km", "100", "-o", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"road segments: 32 ({along[32] / 1000:.1f} km of road)" in printed
    assert "road nodes" not in printed
    table = read_layer(out, "communities").set_index("id")
    np.testing.assert_allclose(table.loc[[f"c{k}" for k in range(len(coords))], "road_km"],
                               along / 1000, atol=1e-6)


# --------------------------------------------------------------------------- what is caught


def write_lines(path: Path, *elements: str) -> Path:
    """An OSM XML file with one element a line, from line 3."""
    head = "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"test\">\n"
    path.write_text(head + "\n".join(elements) + "\n</osm>\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "reason"), [
    ("not_xml.osm", r"syntax error: line 1, column 0"),
    ("truncated.osm", r"line \d+, column \d+"),
    ("latin1.osm", r"not UTF-8 text"),
    ("gateway.osm", r"the root element is <html>, not <osm>"),
    ("cut.osm.gz", r"\.gz data damaged or cut short"),
    ("element.osm", r"line 4, node 2: lat 'abc' is not a number"),
])
def test_an_unreadable_road_file_is_a_one_line_error_naming_it(osm_file, tmp_path, name, reason):
    good = osm_file.read_bytes()
    content = {
        "not_xml.osm": b"not xml at all",
        "truncated.osm": good[: len(good) // 2],
        "latin1.osm": good.replace(b'generator="test"', b'generator="caf\xe9"'),
        "gateway.osm": b"<html><body>502 Bad Gateway</body></html>",
        "cut.osm.gz": gzip.compress(good)[:-12],
    }.get(name)
    path = tmp_path / name
    if content is None:
        write_lines(path, '<node id="1" lat="33" lon="44"/>', '<node id="2" lat="abc" lon="44"/>')
    else:
        path.write_bytes(content)
    with pytest.raises(InputError) as info:
        road_graph_from_xml(path)
    message = str(info.value)
    assert re.match(rf"{re.escape(str(path))}: not a readable OSM XML file \(.*{reason}",
                    message), message
    assert "\n" not in message


def test_a_road_file_with_nothing_or_with_missing_nodes(tmp_path):
    with pytest.raises(InputError, match=r"nothing\.osm: no OSM nodes or ways in the file"):
        road_graph_from_xml(write_lines(tmp_path / "nothing.osm"))
    clipped = write_lines(
        tmp_path / "clipped.osm", '<node id="1" lat="33" lon="44"/>',
        '<node id="2" lat="33" lon="44.1"/>',
        '<way id="5"><nd ref="1"/><nd ref="2"/><nd ref="9"/><tag k="highway" v="primary"/></way>',
        '<way id="6"><nd ref="8"/><nd ref="1"/><tag k="building" v="yes"/></way>')
    with pytest.raises(InputError, match=re.escape(
            f"{clipped}: nodes missing from the file (way 5 refers to node 9, way 6 refers "
            "to node 8): an extract cut without complete ways?")):
        road_graph_from_xml(clipped)


@pytest.mark.parametrize("bug", [ZeroDivisionError, AttributeError, KeyError, TypeError,
                                 ValueError])
def test_a_bug_while_reading_roads_is_not_called_a_bad_file(osm_file, monkeypatch, bug):
    def broken(*args, **kwargs):
        raise bug("a bug, not the file")

    monkeypatch.setattr(osmnx, "graph_from_xml", broken)
    with pytest.raises(bug) as info:
        road_graph_from_xml(osm_file)
    assert type(info.value) is bug  # not an InputError (a ValueError) around it


def test_an_empty_overpass_road_answer_is_a_clear_error(monkeypatch, tmp_path):
    class Conn:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(cpgeo.osm.socket, "create_connection", lambda *a, **k: Conn())
    monkeypatch.setattr(cpgeo.settings, "cache_folder", tmp_path / "cache")
    # what osmnx raises when it gets no data, got through its public API
    with pytest.raises(ValueError, match="No data elements") as found:
        osmnx.graph_from_xml(write_lines(tmp_path / "nothing.osm"))

    def answer(*args, **kwargs):
        raise found.value

    monkeypatch.setattr(osmnx, "graph_from_polygon", answer)
    with pytest.raises(InputError, match=r"^OpenStreetMap \(44\.3, 33\.2, 44\.5, 33\.4\): no "
                                         r"usable answer \(No data elements"):
        road_graph_from_place((44.3, 33.2, 44.5, 33.4))
