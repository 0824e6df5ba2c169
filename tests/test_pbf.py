"""Road networks from OSM PBF extracts, on small PBF files written in the tests."""

from __future__ import annotations

import gzip
import itertools
import re
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pandas as pd
import pytest
from pyproj import Geod
from test_network import points
from test_siting_plan import river_scenario

import cpgeo
from cpgeo import InputError
from cpgeo.coverage.network import (
    DEFAULT_SPEEDS_KPH,
    RoadNetwork,
    network_coverage,
    read_roads,
    road_coverage_matrix,
    road_extent,
    road_graph_from_xml,
    road_network_from_pbf,
)

GEOD = Geod(ellps="WGS84")
ONEWAY = {"yes", "true", "1", "-1", "reverse", "T", "F"}
REVERSED = {"-1", "reverse", "T"}

Nodes = dict[int, tuple[float, float]]
Ways = dict[int, tuple[list[int], dict[str, str]]]


def write_osm(path: Path, nodes: Nodes, ways: Ways) -> Path:
    """Write nodes and ways with osmium: PBF or XML by the name's ending."""
    with osmium.SimpleWriter(str(path), overwrite=True) as writer:
        for nid in sorted(nodes):
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=nodes[nid], version=1))
        for wid in sorted(ways):
            refs, tags = ways[wid]
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, version=1))
    return path


def step_m(nodes: Nodes, a: int, b: int) -> float:
    return float(GEOD.inv(*nodes[a], *nodes[b])[2])


def reference_graph(nodes: Nodes, ways: Ways) -> nx.DiGraph:
    """The drivable OSM segments as a networkx graph, built from the data directly."""
    graph = nx.DiGraph()
    for refs, tags in ways.values():
        if tags.get("highway") not in DEFAULT_SPEEDS_KPH:
            continue
        direction = tags.get("oneway")
        one = direction in ONEWAY or tags.get("junction") == "roundabout"
        order = refs[::-1] if one and direction in REVERSED else refs
        for a, b in itertools.pairwise(order):
            pairs = [(a, b)] if one else [(a, b), (b, a)]
            for x, y in pairs:
                length = step_m(nodes, x, y)
                if not graph.has_edge(x, y) or graph[x][y]["length"] > length:
                    graph.add_edge(x, y, length=length)
    return graph


# --------------------------------------------------------------------------- a random grid


def random_grid(seed: int, side: int = 7) -> tuple[Nodes, Ways]:
    """A jittered grid of streets near Baghdad, some one-way, some not drivable.

    Rows and columns are ways of several blocks each, crossing at shared nodes, so the
    reader must split them; a few ways are one-way (either direction, or roundabout),
    some are footways or proposed roads, some stretches are missing, and a few blocks are
    mapped twice (a second way over the same nodes).
    """
    rng = np.random.default_rng(seed)
    nodes: Nodes = {}
    ids = np.arange(1, side * side + 1).reshape(side, side) * 10
    for r, c in itertools.product(range(side), range(side)):
        # OSM stores 7 decimals
        nodes[int(ids[r, c])] = (
            round(44.3 + 0.02 * c + float(rng.normal(0, 0.003)), 7),
            round(33.3 + 0.02 * r + float(rng.normal(0, 0.003)), 7),
        )
    kinds = ["primary", "residential", "tertiary", "service", "footway", "proposed"]
    directions = [None, None, None, "yes", "-1", "roundabout"]
    ways: Ways = {}
    wid = 1000
    lines = itertools.chain((ids[r, :] for r in range(side)), (ids[:, c] for c in range(side)))
    for line in lines:
        cut = np.sort(rng.choice(np.arange(1, side - 1), size=2, replace=False))
        for lo, hi in itertools.pairwise([0, *cut.tolist(), side - 1]):
            if rng.random() < 0.1:  # a missing stretch
                continue
            refs = [int(x) for x in line[lo : hi + 1]]
            tags = {"highway": str(rng.choice(kinds, p=[0.3, 0.3, 0.15, 0.1, 0.1, 0.05]))}
            direction = directions[int(rng.integers(len(directions)))]
            if direction == "roundabout":
                tags["junction"] = "roundabout"
            elif direction is not None:
                tags["oneway"] = direction
            ways[wid] = (refs, tags)
            wid += 1
    # pieces between the split parts, joining consecutive ways of a row
    for r in range(side):
        for c in range(side - 1):
            if rng.random() < 0.3:
                ways[wid] = ([int(ids[r, c]), int(ids[r, c + 1])], {"highway": "unclassified"})
                wid += 1
    return nodes, ways


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_road_catchments_equal_networkx_dijkstra_on_the_same_roads(tmp_path, seed):
    nodes, ways = random_grid(seed)
    net = road_network_from_pbf(write_osm(tmp_path / "grid.osm.pbf", nodes, ways),
                                retain_all=True)
    ref = reference_graph(nodes, ways)
    rng = np.random.default_rng(seed)
    drivable = sorted(ref.nodes)
    office_nodes = [int(n) for n in rng.choice(drivable, size=3, replace=False)]
    # communities at nodes, and inside segments at hand-computed points of their geodesic
    at_nodes = [int(n) for n in rng.choice(drivable, size=15, replace=False)]
    edges = list(ref.edges)
    inside = [edges[int(i)] for i in rng.choice(len(edges), size=15, replace=False)]
    fractions = rng.uniform(0.05, 0.95, size=len(inside))
    coords = [nodes[n] for n in at_nodes]
    for (a, b), t in zip(inside, fractions, strict=True):
        az, _, length = GEOD.inv(*nodes[a], *nodes[b])
        x, y, _ = GEOD.fwd(*nodes[a], az, t * length)
        coords.append((float(x), float(y)))
    max_km = 6.0
    out = network_coverage(points(coords), points([nodes[n] for n in office_nodes]), net,
                           max_km, largest_component=False)

    dist = nx.multi_source_dijkstra_path_length(ref, office_nodes, weight="length")
    expected = [dist.get(n, np.inf) for n in at_nodes]
    for (a, b), t in zip(inside, fractions, strict=True):
        length = ref[a][b]["length"]
        best = dist.get(a, np.inf) + t * length  # entered from a, along a -> b
        if ref.has_edge(b, a):
            best = min(best, dist.get(b, np.inf) + (1 - t) * length)
        expected.append(best)
    expected_km = np.array(expected) / 1000.0
    expected_km[expected_km > max_km] = np.nan
    assert np.isfinite(expected_km).sum() >= 5  # the test measures something
    np.testing.assert_allclose(out["road_km"], expected_km, rtol=0, atol=1e-6)
    assert out["snap_m"].max() < 1e-3


def test_the_network_splits_ways_at_shared_nodes_only(tmp_path):
    nodes, ways = random_grid(4)
    net = road_network_from_pbf(write_osm(tmp_path / "grid.pbf", nodes, ways), retain_all=True)
    ref = reference_graph(nodes, ways)
    # every node of a drivable way is a vertex; the junctions are the network's nodes
    kept = [w for w in ways.values() if w[1]["highway"] in DEFAULT_SPEEDS_KPH]
    times = pd.Series([n for refs, _ in kept for n in refs]).value_counts()
    ends = {refs[0] for refs, _ in kept} | {refs[-1] for refs, _ in kept}
    junctions = sorted(ends | set(times.index[times >= 2]))
    assert net.node_id.tolist() == junctions
    assert net.n_segments == sum(len(refs) - 1 for refs, _ in kept)
    # every segment once, whatever its directions and however often it is mapped
    segments, km = road_extent(net)
    pairs = {frozenset(e) for e in ref.edges}
    assert segments == len(pairs) < net.n_segments
    assert km == pytest.approx(sum(step_m(nodes, *p) for p in pairs) / 1000.0, abs=1e-9)
    for i in range(net.n_edges):
        lo, hi = net.vertex_offsets[i], net.vertex_offsets[i + 1]
        assert (net.vertex_lon[lo], net.vertex_lat[lo]) == (
            net.node_lon[net.edge_u[i]], net.node_lat[net.edge_u[i]])
        assert (net.vertex_lon[hi - 1], net.vertex_lat[hi - 1]) == (
            net.node_lon[net.edge_v[i]], net.node_lat[net.edge_v[i]])
        inner = set(zip(net.vertex_lon[lo + 1 : hi - 1], net.vertex_lat[lo + 1 : hi - 1],
                        strict=True))
        assert not inner & set(zip(net.node_lon, net.node_lat, strict=True))


# --------------------------------------------------------------------------- snapping


def test_snap_distance_off_a_straight_road_is_the_hand_computed_geodesic(tmp_path):
    start, end = (43.0, 32.0), (43.9, 32.6)  # one segment of about 100 km
    nodes: Nodes = {1: start, 2: end}
    net = road_network_from_pbf(
        write_osm(tmp_path / "road.osm.pbf", nodes, {5: ([1, 2], {"highway": "trunk"})}))
    az, _, length = GEOD.inv(*start, *end)
    along = [0.3 * length, 0.5 * length, 0.8 * length]
    offsets = [250.0, -1200.0, 4000.0]
    feet, places = [], []
    for s, d in zip(along, offsets, strict=True):
        fx, fy, faz = GEOD.fwd(*start, az, s, return_back_azimuth=False)
        px, py, _ = GEOD.fwd(fx, fy, faz + 90.0, d)
        feet.append((fx, fy))
        places.append((float(px), float(py)))
    out = network_coverage(points(places), points([start]), net, 200.0)
    hand = [GEOD.inv(*p, *f)[2] for p, f in zip(places, feet, strict=True)]
    np.testing.assert_allclose(hand, np.abs(offsets), atol=1e-6)
    np.testing.assert_allclose(out["snap_m"], hand, rtol=0, atol=1e-3)
    np.testing.assert_allclose(out["road_km"], np.array(along) / 1000.0, rtol=0, atol=1e-6)
    assert net.edge_m[0] == pytest.approx(length, abs=1e-6)


# --------------------------------------------------------------------------- XML and PBF


def test_xml_and_pbf_of_the_same_roads_give_the_same_coverage(tmp_path):
    nodes, ways = random_grid(5, side=8)
    pbf = read_roads(write_osm(tmp_path / "roads.osm.pbf", nodes, ways))
    xml = read_roads(write_osm(tmp_path / "roads.osm", nodes, ways))
    assert isinstance(pbf, RoadNetwork)
    assert isinstance(xml, nx.MultiDiGraph)
    assert road_extent(pbf) == (road_extent(xml)[0], pytest.approx(road_extent(xml)[1],
                                                                 abs=1e-9))
    rng = np.random.default_rng(5)
    lon = rng.uniform(44.28, 44.46, 120)
    lat = rng.uniform(33.28, 33.46, 120)
    communities = points(list(zip(lon, lat, strict=True)))
    offices = points(list(zip(lon[:4] + 0.001, lat[:4], strict=True)), ["A", "B", "C", "D"])
    by_pbf = network_coverage(communities, offices, pbf, 8.0, travel_time=True)
    by_xml = network_coverage(communities, offices, xml, 8.0, travel_time=True)
    assert by_pbf["covered_by_road"].sum() >= 20
    assert not by_pbf["covered_by_road"].all()
    np.testing.assert_allclose(by_pbf["road_km"], by_xml["road_km"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(by_pbf["snap_m"], by_xml["snap_m"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(by_pbf["travel_min"], by_xml["travel_min"], rtol=1e-9)
    pd.testing.assert_series_equal(by_pbf["road_office"], by_xml["road_office"])
    pd.testing.assert_series_equal(by_pbf["off_network"], by_xml["off_network"])
    m_pbf = road_coverage_matrix(communities, offices, pbf, 8.0)
    m_xml = road_coverage_matrix(communities, offices, xml, 8.0)
    assert (m_pbf != m_xml).nnz == 0
    assert m_pbf.nnz >= 20


@pytest.mark.parametrize("spur", [True, False])
def test_a_closed_ring_road_gives_the_same_answer_as_xml(tmp_path, spur):
    nodes: Nodes = {1: (44.0, 33.0), 2: (44.05, 33.0), 3: (44.05, 33.05), 4: (44.0, 33.05),
                    5: (44.1, 33.1)}
    ways: Ways = {10: ([1, 2, 3, 4, 1], {"highway": "primary", "junction": "roundabout"})}
    if spur:
        ways[11] = ([3, 5], {"highway": "secondary"})
    pbf = read_roads(write_osm(tmp_path / "ring.osm.pbf", nodes, ways))
    xml = read_roads(write_osm(tmp_path / "ring.osm", nodes, ways))
    assert isinstance(pbf, RoadNetwork)
    assert pbf.n_edges == 1 + 2 * spur
    rng = np.random.default_rng(8)
    places = points(list(zip(rng.uniform(43.99, 44.11, 30), rng.uniform(32.99, 33.11, 30),
                             strict=True)))
    offices = points([(44.02, 33.0), (44.06, 33.03)], ["A", "B"])
    by_pbf = network_coverage(places, offices, pbf, 30.0)
    by_xml = network_coverage(places, offices, xml, 30.0)
    assert by_pbf["covered_by_road"].sum() >= 20
    np.testing.assert_allclose(by_pbf["road_km"], by_xml["road_km"], rtol=0, atol=1e-6)
    assert road_extent(pbf) == (road_extent(xml)[0], pytest.approx(road_extent(xml)[1]))


# --------------------------------------------------------------------------- one-way streets


def ring(oneway: dict[str, str]) -> tuple[Nodes, Ways]:
    """A square ring of four roads (each about 11 km), the first one with these tags."""
    nodes: Nodes = {1: (44.0, 33.0), 2: (44.1, 33.0), 3: (44.1, 33.1), 4: (44.0, 33.1)}
    ways: Ways = {
        10: ([1, 2], {"highway": "primary", **oneway}),
        11: ([2, 3], {"highway": "primary"}),
        12: ([3, 4], {"highway": "primary"}),
        13: ([4, 1], {"highway": "primary"}),
    }
    return nodes, ways


@pytest.mark.parametrize(("tags", "forward"), [
    ({}, True), ({"oneway": "yes"}, True), ({"oneway": "-1"}, False),
    ({"oneway": "no"}, True), ({"junction": "roundabout"}, True),
])
def test_one_way_streets_are_driven_one_way(tmp_path, tags, forward):
    nodes, ways = ring(tags)
    net = road_network_from_pbf(write_osm(tmp_path / "ring.pbf", nodes, ways))
    one = bool(tags) and tags.get("oneway") != "no"
    assert net.edge_oneway[net.edge_way == 10].tolist() == [one]
    there = step_m(nodes, 1, 2) / 1000.0
    round_km = (step_m(nodes, 2, 3) + step_m(nodes, 3, 4) + step_m(nodes, 4, 1)) / 1000.0
    # from an office at node 1 to node 2, and the other way
    reach = network_coverage(points([nodes[2]]), points([nodes[1]]), net, 100.0)
    back = network_coverage(points([nodes[1]]), points([nodes[2]]), net, 100.0)
    expected_there = there if (forward or not one) else round_km
    expected_back = there if not one else (round_km if forward else there)
    assert reach["road_km"].iloc[0] == pytest.approx(expected_there, abs=1e-6)
    assert back["road_km"].iloc[0] == pytest.approx(expected_back, abs=1e-6)


def test_a_street_mapped_once_per_direction_is_one_road(tmp_path):
    nodes, ways = ring({"oneway": "yes"})
    ways[14] = ([2, 1], {"highway": "primary", "oneway": "yes"})  # the other carriageway
    net = road_network_from_pbf(write_osm(tmp_path / "dual.pbf", nodes, ways))
    xml = road_graph_from_xml(write_osm(tmp_path / "dual.osm", nodes, ways))
    assert road_extent(net) == (4, pytest.approx(road_extent(xml)[1]))
    assert road_extent(xml)[0] == 4
    az, _, length = GEOD.inv(*nodes[1], *nodes[2])
    inside = [tuple(map(float, GEOD.fwd(*nodes[1], az, f * length)[:2])) for f in (0.3, 0.6)]
    # from inside the road to node 1 (by the way 2 -> 1), and to a point behind it
    out = network_coverage(points([nodes[1], inside[0]]), points([inside[1]]), net, 100.0)
    np.testing.assert_allclose(out["road_km"], [0.6 * length / 1000.0, 0.3 * length / 1000.0],
                               rtol=0, atol=1e-6)
    by_xml = network_coverage(points([nodes[1], inside[0]]), points([inside[1]]), xml, 100.0)
    np.testing.assert_allclose(out["road_km"], by_xml["road_km"], rtol=0, atol=1e-6)


def test_points_snap_to_the_largest_piece_unless_told_otherwise(tmp_path):
    nodes: Nodes = {1: (44.0, 33.0), 2: (44.1, 33.0), 3: (44.2, 33.0), 7: (45.0, 33.0),
                    8: (45.1, 33.0)}
    ways: Ways = {10: ([1, 2, 3], {"highway": "primary"}), 11: ([7, 8], {"highway": "track"})}
    net = road_network_from_pbf(write_osm(tmp_path / "two.pbf", nodes, ways), retain_all=True)
    near_small = points([(45.05, 33.001)])
    office = points([nodes[1]])
    main = network_coverage(near_small, office, net, 200.0, max_snap_km=200.0)
    any_piece = network_coverage(near_small, office, net, 200.0, max_snap_km=200.0,
                                 largest_component=False)
    assert main["snap_m"].iloc[0] > 50_000 and main["covered_by_road"].iloc[0]
    assert any_piece["snap_m"].iloc[0] < 200 and not any_piece["covered_by_road"].iloc[0]


# --------------------------------------------------------------------------- what is kept


def test_footways_and_proposed_roads_are_left_out(tmp_path):
    nodes: Nodes = {1: (44.0, 33.0), 2: (44.1, 33.0), 3: (44.2, 33.0), 4: (44.1, 33.3),
                    5: (44.2, 33.3)}
    ways: Ways = {
        10: ([1, 2, 3], {"highway": "primary"}),
        11: ([3, 5], {"highway": "residential"}),
        # shortcuts from node 2 to 4, which a car may not take
        12: ([2, 4], {"highway": "footway"}),
        13: ([2, 4], {"highway": "proposed"}),
        14: ([4, 5], {"highway": "secondary"}),
        15: ([1, 4], {"building": "yes"}),
    }
    net = road_network_from_pbf(write_osm(tmp_path / "mixed.osm.pbf", nodes, ways))
    assert sorted(set(net.edge_way.tolist())) == [10, 11, 14]
    assert [net.highway_types[k] for k in net.edge_highway] == [
        {10: "primary", 11: "residential", 14: "secondary"}[w] for w in net.edge_way]
    out = network_coverage(points([nodes[4]]), points([nodes[2]]), net, 200.0)
    by_road = (step_m(nodes, 2, 3) + step_m(nodes, 3, 5) + step_m(nodes, 5, 4)) / 1000.0
    assert out["road_km"].iloc[0] == pytest.approx(by_road, abs=1e-6)
    assert by_road > step_m(nodes, 2, 4) / 1000.0 * 1.5
    # the same file as OSM XML keeps the same roads
    xml = road_graph_from_xml(write_osm(tmp_path / "mixed.osm", nodes, ways))
    assert road_extent(xml) == (road_extent(net)[0], pytest.approx(road_extent(net)[1]))


def test_the_largest_piece_is_kept_unless_retain_all(tmp_path):
    nodes: Nodes = {1: (44.0, 33.0), 2: (44.1, 33.0), 3: (44.2, 33.0), 7: (45.0, 33.0),
                    8: (45.1, 33.0)}
    ways: Ways = {10: ([1, 2, 3], {"highway": "primary"}), 11: ([7, 8], {"highway": "track"})}
    path = write_osm(tmp_path / "two.pbf", nodes, ways)
    assert road_network_from_pbf(path).edge_way.tolist() == [10]
    assert sorted(road_network_from_pbf(path, retain_all=True).edge_way.tolist()) == [10, 11]
    assert road_network_from_pbf(path, bbox=(44.9, 32.9, 45.05, 33.1)).edge_way.tolist() == [11]
    with pytest.raises(InputError, match=r"two\.pbf: no drivable roads .* inside"):
        road_network_from_pbf(path, bbox=(40.0, 30.0, 41.0, 31.0))


def line_and_star(line_inner: int, star_arms: int) -> tuple[Nodes, Ways]:
    """A lone way with ``line_inner`` nodes inside it, and a star of two-node ways."""
    nodes: Nodes = {}
    ways: Ways = {}
    line = list(range(1, line_inner + 3))
    for k in line:
        nodes[k] = (44.0 + 0.01 * k, 33.0)
    ways[10] = (line, {"highway": "primary"})
    nodes[100] = (45.0, 33.0)
    for arm in range(star_arms):
        nodes[101 + arm] = (45.0 + 0.01 * np.cos(arm), 33.0 + 0.01 * np.sin(arm))
        ways[20 + arm] = ([100, 101 + arm], {"highway": "residential"})
    return nodes, ways


@pytest.mark.parametrize(("line_inner", "star_arms", "line_wins"), [(6, 5, True), (3, 7, False)])
def test_the_largest_piece_counts_osm_nodes_as_osmnx_does(tmp_path, line_inner, star_arms,
                                                          line_wins):
    nodes, ways = line_and_star(line_inner, star_arms)
    net = road_network_from_pbf(write_osm(tmp_path / "pieces.pbf", nodes, ways))
    assert (net.edge_way.tolist() == [10]) is line_wins
    xml = road_graph_from_xml(write_osm(tmp_path / "pieces.osm", nodes, ways))
    assert road_extent(xml) == (road_extent(net)[0], pytest.approx(road_extent(net)[1]))


def test_a_node_repeated_at_once_is_dropped(tmp_path):
    nodes: Nodes = {1: (44.0, 33.0), 2: (44.1, 33.0), 3: (44.2, 33.0)}
    net = road_network_from_pbf(
        write_osm(tmp_path / "twice.pbf", nodes, {5: ([1, 2, 2, 3], {"highway": "primary"})}))
    assert net.node_id.tolist() == [1, 3]
    assert (net.n_edges, net.n_segments) == (1, 2)


# --------------------------------------------------------------------------- what is caught


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("text.osm.pbf", b"<osm version='0.6'></osm>", "not an OpenStreetMap PBF file"),
    ("noise.pbf", bytes(range(256)) * 8, "not an OpenStreetMap PBF file"),
    ("cut.osm.pbf", None, "truncated PBF file"),
])
def test_a_file_that_is_not_pbf_is_an_error_naming_it(tmp_path, name, content, reason):
    path = tmp_path / name
    if content is None:
        nodes, ways = random_grid(6, side=30)
        good = write_osm(tmp_path / "good.osm.pbf", nodes, ways).read_bytes()
        content = good[: len(good) // 2]
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_roads(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {reason}"), message
    assert "\n" not in message


def test_no_roads_missing_nodes_and_unknown_endings(tmp_path):
    nodes: Nodes = {1: (44.0, 33.0), 2: (44.1, 33.0)}
    empty = write_osm(tmp_path / "paths.osm.pbf", nodes, {5: ([1, 2], {"highway": "footway"})})
    with pytest.raises(InputError, match=re.escape(f"{empty}: no drivable roads")):
        read_roads(empty)
    cut = write_osm(tmp_path / "cut.osm.pbf", nodes,
                    {5: ([1, 2, 9], {"highway": "primary"}), 6: ([8, 1], {"highway": "track"})})
    with pytest.raises(InputError, match=re.escape(
            f"{cut}: nodes missing from the file (way 5 refers to node 9, way 6 refers to "
            "node 8): an extract cut without complete ways?")):
        read_roads(cut)
    nodes[3] = (44.2, 33.0)
    xml = write_osm(tmp_path / "roads.osm", nodes, {5: ([1, 2, 3], {"highway": "primary"})})
    packed = tmp_path / "roads.osm.gz"
    packed.write_bytes(gzip.compress(xml.read_bytes()))
    assert road_extent(read_roads(packed))[0] == 2
    with pytest.raises(InputError, match=r"roads\.geojson: not a road file"):
        read_roads(tmp_path / "roads.geojson")
    with pytest.raises(FileNotFoundError, match=r"nowhere\.osm\.pbf"):
        read_roads(tmp_path / "nowhere.osm.pbf")


# --------------------------------------------------------------------------- siting


def test_plan_sites_by_road_on_a_pbf_network(tmp_path):
    """Two towns 10 km apart across a river, 70 km apart by the only road round it."""
    south, north = (43.30, 33.40), (43.30, 33.49)
    nodes: Nodes = {1: south, 2: (43.62, 33.40), 3: (43.62, 33.49), 4: north}
    net = read_roads(write_osm(tmp_path / "river.osm.pbf", nodes,
                               {7: ([1, 2, 3, 4], {"highway": "primary"})}))

    scenario = river_scenario(south, north)
    options = {"governorates": ["Anbar"], "candidate_types": ("rehabilitate",)}
    assert cpgeo.siting.plan_sites(scenario, 1, radius_km=50, **options).sites.empty
    by_road = cpgeo.siting.plan_sites(scenario, 1, radius_km=50, roads=net, **options)
    assert by_road.sites["id"].tolist() == ["rehabilitate:S2"]


# --------------------------------------------------------------------------- CLI and app


def test_cli_roads_and_sensitivity_read_a_pbf(tmp_path, capsys):
    import json

    from cpgeo.cli import main
    from cpgeo.io import read_layer

    nodes, ways = ring({})
    pbf = write_osm(tmp_path / "ring.osm.pbf", nodes, ways)
    offices = tmp_path / "offices.csv"
    offices.write_text(f"id,name,longitude,latitude\nA,Office A,{nodes[1][0]},{nodes[1][1]}\n")
    communities = tmp_path / "communities.csv"
    communities.write_text("id,name,longitude,latitude,population\n"
                           f"c,At 3,{nodes[3][0]},{nodes[3][1]},100\n")
    out = tmp_path / "roads.csv"
    code = main(["roads", "--graph-xml", str(pbf), "--offices", str(offices),
                 "--communities", str(communities), "--radius-km", "50", "-o", str(out)])
    assert code == 0
    table = read_layer(out, "communities").set_index("id")
    expected = min(step_m(nodes, 1, 2) + step_m(nodes, 2, 3),
                   step_m(nodes, 1, 4) + step_m(nodes, 4, 3)) / 1000.0
    assert table.loc["c", "road_km"] == pytest.approx(expected, abs=1e-6)
    capsys.readouterr()
    # a short road by Ramadi, as in test_cli's sensitivity by road
    ramadi = write_osm(tmp_path / "ramadi.osm.pbf",
                       {1: (43.25, 33.42), 2: (43.30, 33.42), 3: (43.35, 33.43)},
                       {10: ([1, 2, 3], {"highway": "primary"})})
    code = main(["propose", "--sites", "2", "--method", "greedy", "--sensitivity", "50",
                 "--sensitivity-roads", str(ramadi), "--json"])
    assert code == 0
    cases = json.loads(capsys.readouterr().out)["sensitivity"]["cases"]
    assert cases == ["rank at 50 km", "rank at 50 km by road"]


def test_the_app_reads_a_pbf_upload_under_its_own_name(tmp_path):
    from app_pages import _realdata

    assert "pbf" in _realdata.OSM_TYPES
    nodes, ways = ring({})
    payload = write_osm(tmp_path / "ring.osm.pbf", nodes, ways).read_bytes()
    net = _realdata.road_graph(_realdata.digest_of(payload), "ring.osm.pbf", payload)
    assert isinstance(net, RoadNetwork)
    assert road_extent(net)[0] == 4
    broken = payload[: len(payload) // 2]
    with pytest.raises(InputError, match=r"^ring\.osm\.pbf: truncated PBF file"):
        _realdata.road_graph(_realdata.digest_of(broken), "ring.osm.pbf", broken)


@pytest.mark.parametrize("bbox", [(44.0, 33.0, 45.0), (45.0, 33.0, 44.0, 34.0)])
def test_a_bad_bbox_is_an_input_error(tmp_path, bbox):
    from cpgeo.coverage.network import road_network_from_pbf

    nodes, ways = ring({})
    pbf = write_osm(tmp_path / "ring.osm.pbf", nodes, ways)
    with pytest.raises(InputError, match=r"bounding box must be \(min lon, min lat"):
        road_network_from_pbf(pbf, bbox=bbox)
