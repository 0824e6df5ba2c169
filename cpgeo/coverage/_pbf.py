"""National road networks from OpenStreetMap PBF extracts, as arrays (no networkx).

:func:`road_network_from_pbf` reads the drivable ways of a ``.osm.pbf`` file with
pyosmium into a :class:`RoadNetwork`: plain numpy arrays of nodes, edges and edge
polylines, light enough for a whole country (osmnx and networkx run out of memory at
that scale: a Python object per node, edge and attribute).

One pass over the file: libosmium keeps every node's location in its own (C++) cache
and fills it into the ways; only the kept ways reach Python, and their node references
and coordinates go straight into numpy arrays. The ways are then split, vectorised,
at their ends and at every node that two kept ways share (or that one way passes twice):
each piece between two such junctions is one edge, its OSM nodes in between the
vertices of its polyline. The network has the junctions of the unsimplified osmnx graph
of the same ways (:func:`cpgeo.coverage.network.road_graph_from_xml`), without the
interior nodes; road distances, which run along the polylines, are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod

from cpgeo._deps import require
from cpgeo._errors import InputError
from cpgeo._log import log
from cpgeo.coverage._index import _ranges

if TYPE_CHECKING:
    from cpgeo.osm import BBox

__all__ = ["RoadNetwork", "road_network_from_pbf"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_GEOD = Geod(ellps="WGS84")

# ``oneway`` values read as one-way, and those that run against the way's node order:
# osmnx's (``_add_paths``), so that a PBF and an XML extract give the same network.
_ONEWAY = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
_REVERSED = frozenset({"-1", "reverse", "T"})
# Ways named in an error message about missing nodes.
_SHOWN = 3


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A road network as arrays: junction nodes, and edges with their polylines.

    Coordinates are degrees (EPSG:4326), lengths metres on the WGS84 ellipsoid. An edge
    is a piece of one OSM way between two junctions (a way's end, or a node shared with
    another way or met twice by the same way), oriented in the direction it may be
    driven when it is one-way and in the way's node order otherwise; a two-way edge may
    be driven both ways. Edge ``i``'s polyline is vertices
    ``vertex_offsets[i]`` to ``vertex_offsets[i + 1] - 1`` (its end nodes included).
    """

    node_id: IntArray  # OSM node id
    node_lon: FloatArray
    node_lat: FloatArray
    edge_u: IntArray  # positions in the node arrays; the polyline runs from u to v
    edge_v: IntArray
    edge_m: FloatArray  # geodesic length along the polyline
    edge_oneway: BoolArray  # may be driven from u to v only
    edge_highway: NDArray[np.int16]  # position in ``highway_types``
    edge_way: IntArray  # OSM way id
    highway_types: tuple[str, ...]
    vertex_offsets: IntArray  # n_edges + 1 offsets into the vertex arrays
    vertex_lon: FloatArray
    vertex_lat: FloatArray
    crs: str = "EPSG:4326"

    @property
    def n_nodes(self) -> int:
        """Number of junction nodes."""
        return int(self.node_id.size)

    @property
    def n_edges(self) -> int:
        """Number of edges (each one piece of road, whatever its directions)."""
        return int(self.edge_u.size)

    @property
    def n_segments(self) -> int:
        """Number of straight pieces between consecutive OSM nodes of the edges."""
        return int(self.vertex_lon.size - self.edge_u.size)

    def __repr__(self) -> str:
        return (f"RoadNetwork({self.n_nodes:,} nodes, {self.n_edges:,} edges, "
                f"{self.edge_m.sum() / 1000.0:,.1f} km, {self.crs})")



def missing_nodes_error(path: object, pairs: list[tuple[int, int]], n_ways: int) -> InputError:
    """Build the error of an extract whose ways name nodes it does not hold (XML or PBF).

    ``pairs``: (way, node) of the first ways shown; ``n_ways``: how many ways in all.
    """
    shown = ", ".join(f"way {w} refers to node {n}" for w, n in pairs)
    more = n_ways - len(pairs)
    return InputError(
        f"{path}: nodes missing from the file ({shown}"
        f"{f', and {more} more ways' if more else ''}): an extract cut without complete ways?"
    )

@dataclass(frozen=True)
class _Ways:
    """The kept ways of a file: one row per way, their vertices way after way."""

    way_id: IntArray
    highway: NDArray[np.int16]
    oneway: BoolArray
    reverse: BoolArray
    count: IntArray  # vertices per way
    ref: IntArray  # OSM node id per vertex
    lon: FloatArray
    lat: FloatArray


def _read_ways(path: Path, highway_types: tuple[str, ...]) -> _Ways:
    """Read the ways whose ``highway`` is in ``highway_types``, with node locations."""
    osmium = require("osmium", "reading OpenStreetMap PBF extracts")
    code = {h: i for i, h in enumerate(highway_types)}
    factory = osmium.geom.WKBFactory()
    every_node = osmium.geom.use_nodes.ALL
    way_id: list[int] = []
    highway: list[int] = []
    oneway: list[bool] = []
    reverse: list[bool] = []
    count: list[int] = []
    refs: list[int] = []
    lines: list[str] = []
    missing: list[tuple[int, int]] = []
    n_missing = 0
    # Nodes go through libosmium's location cache and stop there: only ways reach Python.
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), "pbf"), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.TagFilter(*(("highway", h) for h in highway_types)))
    )
    try:
        for way in processor:
            nodes = way.nodes
            if len(nodes) < 2:
                continue
            try:
                line = factory.create_linestring(way, use_nodes=every_node)
            except osmium.InvalidLocationError:
                n_missing += 1
                if len(missing) < _SHOWN:
                    node = next(n.ref for n in nodes if not n.location.valid())
                    missing.append((way.id, node))
                continue
            tags = way.tags
            direction = tags.get("oneway")
            one = direction in _ONEWAY or tags.get("junction") == "roundabout"
            way_id.append(way.id)
            highway.append(code[tags["highway"]])
            oneway.append(one)
            reverse.append(direction in _REVERSED)
            count.append(len(nodes))
            refs.extend([n.ref for n in nodes])
            lines.append(line)
    except RuntimeError as exc:
        # libosmium's reader says "PBF error: ..." of a file that is not (all) PBF.
        if not str(exc).startswith("PBF error"):
            raise
        cut = "EOF" in str(exc)
        msg = (f"{path}: {'truncated' if cut else 'not an OpenStreetMap'} PBF file ({exc})"
               f"{': an interrupted download or copy?' if cut else ''}")
        raise InputError(msg) from None
    if n_missing:
        raise missing_nodes_error(path, missing, n_missing)
    xy = shapely.get_coordinates(shapely.from_wkb(lines)) if lines else np.zeros((0, 2))
    return _Ways(
        way_id=np.asarray(way_id, dtype=np.int64),
        highway=np.asarray(highway, dtype=np.int16),
        oneway=np.asarray(oneway, dtype=bool),
        reverse=np.asarray(reverse, dtype=bool),
        count=np.asarray(count, dtype=np.int64),
        ref=np.asarray(refs, dtype=np.int64),
        lon=np.ascontiguousarray(xy[:, 0]),
        lat=np.ascontiguousarray(xy[:, 1]),
    )


def _select_vertices(ways: _Ways, keep_vertex: BoolArray) -> _Ways:
    """Keep these vertices, and the ways left with at least two of them."""
    way_of = np.repeat(np.arange(ways.count.size), ways.count)
    count = np.bincount(way_of[keep_vertex], minlength=ways.count.size)
    long_enough = count >= 2
    keep_vertex = keep_vertex & long_enough[way_of]
    return _Ways(
        way_id=ways.way_id[long_enough],
        highway=ways.highway[long_enough],
        oneway=ways.oneway[long_enough],
        reverse=ways.reverse[long_enough],
        count=count[long_enough],
        ref=ways.ref[keep_vertex],
        lon=ways.lon[keep_vertex],
        lat=ways.lat[keep_vertex],
    )


def _tidy(ways: _Ways, bbox: BBox | None) -> _Ways:
    """Drop ways outside ``bbox`` and repeated consecutive nodes; orient one-way ways."""
    way_of = np.repeat(np.arange(ways.count.size), ways.count)
    if bbox is not None:
        west, south, east, north = bbox
        inside = (ways.lon >= west) & (ways.lon <= east) & (ways.lat >= south) & (
            ways.lat <= north)
        touches = np.bincount(way_of, weights=inside, minlength=ways.count.size) > 0
        ways = _select_vertices(ways, touches[way_of])
        way_of = np.repeat(np.arange(ways.count.size), ways.count)
    # osmnx drops a node repeated at once (a zero-length step), as here.
    repeat = np.zeros(ways.ref.size, dtype=bool)
    repeat[1:] = (ways.ref[1:] == ways.ref[:-1]) & (way_of[1:] == way_of[:-1])
    if repeat.any():
        ways = _select_vertices(ways, ~repeat)
    if ways.reverse.any():
        start = np.cumsum(ways.count) - ways.count
        flip = np.repeat(ways.reverse, ways.count)
        local = np.arange(ways.ref.size) - np.repeat(start, ways.count)
        order = np.where(flip, np.repeat(start + ways.count - 1, ways.count) - local,
                         np.arange(ways.ref.size))
        ways = _Ways(ways.way_id, ways.highway, ways.oneway, np.zeros_like(ways.reverse),
                     ways.count, ways.ref[order], ways.lon[order], ways.lat[order])
    return ways


def _split(ways: _Ways, highway_types: tuple[str, ...]) -> RoadNetwork:
    """Split the ways into edges at their ends and at shared nodes."""
    n = ways.ref.size
    start = np.cumsum(ways.count) - ways.count
    last = np.zeros(n, dtype=bool)
    last[start + ways.count - 1] = True
    first = np.zeros(n, dtype=bool)
    first[start] = True
    ids, position = np.unique(ways.ref, return_inverse=True)
    times = np.bincount(position, minlength=ids.size)
    junction = first | last | (times[position] >= 2)
    at = np.flatnonzero(junction)
    piece = np.flatnonzero(~last[at])
    begin, end = at[piece], at[piece + 1]  # a way's last vertex is a junction
    # Geodesic steps between consecutive vertices; 0 from one way's end to the next way.
    _, _, step = _GEOD.inv(ways.lon[:-1], ways.lat[:-1], ways.lon[1:], ways.lat[1:])
    step = np.where(last[:-1], 0.0, np.asarray(step, dtype=float))
    edge_m = np.add.reduceat(step, begin) if begin.size and step.size else np.zeros(begin.size)
    # Junction nodes, numbered in the order of their OSM ids.
    is_node = np.zeros(ids.size, dtype=bool)
    is_node[position[at]] = True
    number = np.cumsum(is_node) - 1
    node_vertex = np.zeros(ids.size, dtype=np.int64)
    node_vertex[position[at]] = at
    node_vertex = node_vertex[is_node]
    count = end - begin + 1
    vertex = _ranges(begin, count)
    way = np.repeat(np.arange(ways.count.size), ways.count)[begin]
    return RoadNetwork(
        node_id=ids[is_node],
        node_lon=ways.lon[node_vertex],
        node_lat=ways.lat[node_vertex],
        edge_u=number[position[begin]],
        edge_v=number[position[end]],
        edge_m=edge_m,
        edge_oneway=ways.oneway[way],
        edge_highway=ways.highway[way],
        edge_way=ways.way_id[way],
        highway_types=highway_types,
        vertex_offsets=np.concatenate([[0], np.cumsum(count)]).astype(np.int64),
        vertex_lon=ways.lon[vertex],
        vertex_lat=ways.lat[vertex],
    )


def largest_piece(net: RoadNetwork) -> BoolArray:
    """Per edge: it belongs to the largest weakly connected piece of the network."""
    from scipy import sparse
    from scipy.sparse import csgraph

    n = net.n_nodes
    if net.n_edges == 0:
        return np.zeros(0, dtype=bool)
    adjacency = sparse.coo_array(
        (np.ones(net.n_edges, dtype=np.int8), (net.edge_u, net.edge_v)), shape=(n, n)
    ).tocsr()
    _, label = csgraph.connected_components(adjacency, directed=True, connection="weak")
    # Sized by OSM nodes, as osmnx sizes the pieces of the unsimplified graph: the
    # junctions, and the nodes inside the edges (each inside one edge only).
    inner = np.diff(net.vertex_offsets) - 2
    size = np.bincount(label, minlength=label.max() + 1) + np.bincount(
        label[net.edge_u], weights=inner, minlength=label.max() + 1)
    return label[net.edge_u] == np.argmax(size)


def edge_roads(net: RoadNetwork) -> tuple[IntArray, BoolArray, IntArray]:
    """Return the distinct roads under the edges: edges over one polyline share it.

    Overlapping OSM ways (the same nodes mapped twice, or a street mapped once per
    direction) give edges over one polyline; like the roads of an osmnx graph
    (:func:`cpgeo.coverage._snap._graph_roads`) they are one road, so that it is
    counted and snapped to once. Each road runs as its first edge.

    Returns
    -------
    road : numpy.ndarray
        Per edge, its road (numbered by first edge).
    flipped : numpy.ndarray
        Per edge, its u -> v runs from the road's b to its a.
    first : numpy.ndarray
        Per road, its first edge.

    """
    count = np.diff(net.vertex_offsets)
    lo, hi = net.vertex_offsets[:-1], net.vertex_offsets[1:] - 1
    u, v = net.edge_u, net.edge_v
    second = np.column_stack([net.vertex_lon[lo + 1], net.vertex_lat[lo + 1]])
    before_last = np.column_stack([net.vertex_lon[hi - 1], net.vertex_lat[hi - 1]])
    loop_flip = (second[:, 0] > before_last[:, 0]) | (
        (second[:, 0] == before_last[:, 0]) & (second[:, 1] > before_last[:, 1]))
    flipped = np.where(u == v, loop_flip, u > v)
    a, b = np.where(flipped, v, u), np.where(flipped, u, v)
    road = np.arange(net.n_edges)
    # Only edges with the same ends and as many vertices can share a polyline.
    order = np.lexsort((count, b, a))
    same = (a[order][1:] == a[order][:-1]) & (b[order][1:] == b[order][:-1]) & (
        count[order][1:] == count[order][:-1])
    twins = np.unique(np.concatenate([order[1:][same], order[:-1][same]]))
    seen: dict[tuple[int, int, bytes], int] = {}
    for e in twins.tolist():  # few: overlapping ways are rare
        lon = net.vertex_lon[lo[e] : hi[e] + 1]
        lat = net.vertex_lat[lo[e] : hi[e] + 1]
        if flipped[e]:
            lon, lat = lon[::-1], lat[::-1]
        key = (int(a[e]), int(b[e]), np.column_stack([lon, lat]).tobytes())
        road[e] = seen.setdefault(key, e)
    first, road = np.unique(road, return_inverse=True)
    # The first edge of a road gives its direction.
    flipped = flipped != flipped[first][road]
    return road.astype(np.int64), flipped, first.astype(np.int64)


def _take_edges(net: RoadNetwork, keep: BoolArray) -> RoadNetwork:
    """Keep these edges only, and their nodes (renumbered in the same order)."""
    used = np.zeros(net.n_nodes, dtype=bool)
    used[net.edge_u[keep]] = True
    used[net.edge_v[keep]] = True
    number = np.cumsum(used) - 1
    count = np.diff(net.vertex_offsets)[keep]
    vertex = _ranges(net.vertex_offsets[:-1][keep], count)
    return RoadNetwork(
        node_id=net.node_id[used],
        node_lon=net.node_lon[used],
        node_lat=net.node_lat[used],
        edge_u=number[net.edge_u[keep]],
        edge_v=number[net.edge_v[keep]],
        edge_m=net.edge_m[keep],
        edge_oneway=net.edge_oneway[keep],
        edge_highway=net.edge_highway[keep],
        edge_way=net.edge_way[keep],
        highway_types=net.highway_types,
        vertex_offsets=np.concatenate([[0], np.cumsum(count)]).astype(np.int64),
        vertex_lon=net.vertex_lon[vertex],
        vertex_lat=net.vertex_lat[vertex],
    )


def road_network_from_pbf(
    path: str | Path,
    *,
    bbox: BBox | None = None,
    highway_types: tuple[str, ...] | None = None,
    retain_all: bool = False,
) -> RoadNetwork:
    """Read the drivable roads of an OpenStreetMap PBF extract (``.osm.pbf``).

    The roads are those of :func:`cpgeo.coverage.network.road_graph_from_xml` on the
    same data: ways whose ``highway`` is one of ``highway_types``, one-way when tagged
    ``oneway`` = ``yes``/``true``/``1`` (or ``-1``/``reverse``, against the node
    order) or ``junction=roundabout``, as osmnx reads them; ``access`` and ``area``
    are not read, and a ``motorway`` without a ``oneway`` tag is two-way.

    Parameters
    ----------
    path
        An OSM PBF file.
    bbox
        (min lon, min lat, max lon, max lat), degrees (EPSG:4326): keep only the ways
        with a node inside it, whole. Default: every way.
    highway_types
        OSM ``highway`` values kept as roads; default: the keys of
        :data:`cpgeo.coverage.network.DEFAULT_SPEEDS_KPH` (roads a car can use).
    retain_all
        Keep every connected piece; by default only the largest weakly connected
        component is kept.

    Returns
    -------
    RoadNetwork
        Nodes, edges (length: geodesic metres on the WGS84 ellipsoid along the
        polyline) and polylines, EPSG:4326.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InputError
        If the file is not PBF or is truncated, holds no drivable roads, or has ways
        whose nodes are not in it (the message names the file).

    """
    from cpgeo.coverage.network import DEFAULT_SPEEDS_KPH

    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such OSM PBF file"
        raise FileNotFoundError(msg)
    kinds = tuple(dict.fromkeys(DEFAULT_SPEEDS_KPH if highway_types is None else highway_types))
    if not kinds:
        msg = "highway_types is empty: name at least one OSM highway value to keep"
        raise InputError(msg)
    if bbox is not None:
        from cpgeo.osm import check_bbox

        bbox = check_bbox(bbox)
    ways = _tidy(_read_ways(path, kinds), bbox)
    if ways.count.size == 0:
        where = "" if bbox is None else f" inside {bbox}"
        msg = f"{path}: no drivable roads (highway={'/'.join(kinds)}){where} in the file"
        raise InputError(msg)
    net = _split(ways, kinds)
    if not retain_all:
        net = _take_edges(net, largest_piece(net))
    from cpgeo.coverage.network import road_extent

    segments, km = road_extent(net)
    log(
        f"{path}: road network with {net.n_nodes:,} nodes and {net.n_edges:,} edges, "
        f"{segments:,} road segments, {km:,.1f} km of road"
    )
    return net
