"""Road-distance catchments on small generated OSM XML road networks."""

from __future__ import annotations

import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

import cpgeo.osm
from cpgeo import InputError, NetworkUnavailableError
from cpgeo.coverage.network import (
    DEFAULT_SPEEDS_KPH,
    nearest_points,
    network_coverage,
    road_graph_from_place,
    road_graph_from_xml,
)

GEOD = Geod(ellps="WGS84")

# Node id -> (lon, lat). A main network A-B-C-D-E, with extra shape points on C-D, and a
# separate piece F-G joined to A only by a footway (not a road).
NODES = {
    1: (44.00, 33.00),  # A
    2: (44.10, 33.00),  # B (interior of road 1: simplified away)
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
    assert set(graph.nodes) == {1, 3, 4, 5, 8}  # B simplified away; F-G and building gone
    lengths = {(u, v): d["length"] for u, v, d in graph.edges(data=True)}
    assert lengths[(1, 3)] == pytest.approx(AB_C, abs=1e-6)
    assert lengths[(3, 1)] == pytest.approx(AB_C, abs=1e-6)
    assert lengths[(3, 4)] == pytest.approx(CD, abs=1e-6)
    assert lengths[(4, 5)] == pytest.approx(DE, abs=1e-6)
    assert (5, 4) not in lengths  # one-way


def test_graph_retain_all_keeps_the_separate_piece(osm_file):
    g = road_graph_from_xml(osm_file, retain_all=True)
    assert set(g.nodes) == {1, 3, 4, 5, 8, 6, 7}
    assert g.edges[6, 7, 0]["length"] == pytest.approx(seg_m(6, 7), abs=1e-6)


def test_graph_with_footways_joins_the_pieces(osm_file):
    g = road_graph_from_xml(osm_file, highway_types=("primary", "secondary", "tertiary",
                                                     "residential", "footway"))
    assert 7 in g.nodes  # G now joins the network (A and F became mid-road points)


def test_road_distances_match_hand_sums(graph):
    # The last community sits just off B, the midpoint of A and C, so that it is not tied.
    communities = points([NODES[3], NODES[4], NODES[5], (44.0995, 33.01)])
    offices = points([NODES[1]], ["office-A"])
    out = network_coverage(communities, offices, graph, max_km=100, max_snap_km=20)
    expected = np.array([AB_C, AB_C + CD, AB_C + CD + DE, AB_C]) / 1000
    # The last community (by B, which is no node) snaps to A or C, whichever is nearer.
    b_to_a = GEOD.inv(44.0995, 33.01, *NODES[1])[2]
    b_to_c = GEOD.inv(44.0995, 33.01, *NODES[3])[2]
    assert abs(b_to_a - b_to_c) > 1.0
    expected[3] = 0.0 if b_to_a < b_to_c else AB_C / 1000
    np.testing.assert_allclose(out["road_km"].to_numpy(), expected, atol=1e-9)
    np.testing.assert_allclose(out["snap_m"].to_numpy(), [0, 0, 0, min(b_to_a, b_to_c)],
                               atol=1e-6)
    assert out["covered_by_road"].tolist() == [True, True, True, True]
    assert out["road_office"].tolist() == ["office-A"] * 4
    assert out["office_snap_m"].tolist() == [0.0] * 4
    geo_km = [GEOD.inv(*NODES[1], x, y)[2] / 1000 for x, y in
              [NODES[3], NODES[4], NODES[5], (44.0995, 33.01)]]
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
    near_f = (45.01, 33.001)
    communities = points([near_f])
    offices = points([NODES[1]], ["A"])
    main = [1, 3, 4, 5, 8]
    d_main = [GEOD.inv(*near_f, *NODES[i])[2] for i in main]
    snapped = main[int(np.argmin(d_main))]

    out = network_coverage(communities, offices, g_all, max_km=500,  # largest piece only
                           max_snap_km=200)
    assert out["snap_m"].iloc[0] == pytest.approx(min(d_main), abs=1e-6)
    by_node = {1: 0.0, 3: AB_C, 4: AB_C + CD, 5: AB_C + CD + DE, 8: AB_C + seg_m(3, 8)}
    expected = by_node[snapped] / 1000
    assert out["road_km"].iloc[0] == pytest.approx(expected, abs=1e-9)

    out = network_coverage(communities, offices, g_all, max_km=500, largest_component=False,
                           max_snap_km=200)
    assert out["snap_m"].iloc[0] == pytest.approx(GEOD.inv(*near_f, *NODES[6])[2], abs=1e-6)
    assert np.isnan(out["road_km"].iloc[0])
    assert out["within_radius"].iloc[0]  # ~95 km away, radius 500 km
    assert out["radius_but_not_road"].iloc[0]


def test_points_beyond_the_extract_are_off_the_network(graph):
    far = (44.10, 33.30)  # about 33 km north of road A-C, beyond the 5-km default
    communities = points([NODES[4], far])
    offices = points([NODES[1], (44.0, 33.5)], ["A", "far-office"])
    out = network_coverage(communities, offices, graph, max_km=100)
    far_km = min(GEOD.inv(*far, *NODES[i])[2] for i in (1, 3, 4, 5, 8)) / 1000
    assert far_km > 5
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

    communities = points([NODES[4], (44.25, 33.2)])
    offices = points([NODES[1]], ["A"])
    a = network_coverage(communities, offices, graph, max_km=60)
    b = network_coverage(communities, offices, ox.project_graph(graph), max_km=60)
    np.testing.assert_allclose(a["road_km"], b["road_km"], atol=1e-9)
    np.testing.assert_allclose(a["snap_m"], b["snap_m"], atol=1e-3)


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
