"""Snapping points to roads: the exact geodesic nearest point of a road graph.

The machinery behind :func:`cpgeo.coverage.network.network_coverage` and
:func:`cpgeo.coverage.network.road_extent`. :func:`_graph_roads` reads a road graph
(osmnx ``MultiDiGraph``, any CRS, or a :class:`cpgeo.coverage._pbf.RoadNetwork`, read
without a Python loop over its edges) into :class:`_Roads`, each distinct road polyline
once with its segments; :func:`_snap` puts each point (degrees, EPSG:4326) at the
nearest point of the nearest road, anywhere along an edge, not only at its nodes.
:func:`nearest_points` is the same search for a set of points instead of roads.

Method. Every edge's polyline (its ``geometry``, or the straight segment between its
end nodes) is a chain of segments, each the geodesic on the WGS84 ellipsoid between
its vertices. A k-d tree of points sampled at most 250 m apart along the segments, in
Earth-centred coordinates, gives an upper bound (the exact distance to the segment of
the nearest sample) and, by a ball query, every segment that could be nearer (a chord
is never longer than the geodesic); a lower bound (the chord to the segment's 3-D
chord less the geodesic's bulge) drops most of them, and the rest are measured
exactly by :func:`geodesic_foot`, the foot of the geodesic perpendicular (Baselga &
Martinez-Llario 2018). No segment that could be nearer is skipped, so the nearest
segment is exact; equal distances go to the lowest segment number.

Accuracy. The foot iteration stops when a step moves the foot by less than 0.1 mm, and
a foot within 1 mm of a segment's end is put on that end (so that a point on a node
joins the road at the node). The nearest point is thus found to 1 mm along the
segment, and its geodesic distance (metres, WGS84) to well below a millimetre: about
1e-8 m against constructed feet, for segments up to 50 km and points up to 20 km away.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Geod, Transformer

from cpgeo._errors import InputError
from cpgeo.coverage._geodesic import RHO_MIN_KM, ecef_km
from cpgeo.coverage._index import _ranges, build_tree, nearest_arrays
from cpgeo.coverage._pbf import RoadNetwork, edge_roads, largest_piece

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["geodesic_foot", "nearest_points"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_GEOD = Geod(ellps="WGS84")


# --------------------------------------------------------------------------- roads
#
# Points snap to *roads*, not to directed edges: a two-way street is two edges (u -> v
# and v -> u) over one polyline, and a point on it must be able to leave or be entered
# in both directions. ``_Roads`` therefore holds each distinct polyline once, oriented
# from its end node ``a`` to ``b``, with the edges that run along it forward (a -> b) or
# backward (b -> a). A one-way street is a road with a forward edge only.


@dataclass(frozen=True)
class _Roads:
    """The roads of a graph, their segments, and the graph's edges (node positions).

    Lengths are metres on the WGS84 ellipsoid, coordinates degrees (EPSG:4326).
    """

    n_nodes: int
    edge_u: IntArray  # every edge of the graph, in ``graph.edges`` order
    edge_v: IntArray
    edge_m: FloatArray  # its ``length`` attribute
    edge_road: IntArray  # the road it runs along; -1 if points may not snap to it
    edge_forward: BoolArray  # it runs from the road's ``a`` to its ``b``
    a: IntArray  # per road: end nodes (polyline from a to b) and geodesic length
    b: IntArray
    road_m: FloatArray
    seg_road: IntArray  # per segment of a road's polyline
    seg_first: BoolArray  # the segment starts at the road's node a
    seg_last: BoolArray  # the segment ends at node b
    lon0: FloatArray
    lat0: FloatArray
    lon1: FloatArray
    lat1: FloatArray
    az0: FloatArray  # azimuth (degrees) of the segment's geodesic at its start
    seg_m: FloatArray  # geodesic length of the segment
    seg_start_m: FloatArray  # along the road from a to the segment's start

    def segments(self, seg: IntArray) -> tuple[FloatArray, ...]:
        """Return the :func:`geodesic_foot` arguments of these segments."""
        return (
            self.lon0[seg],
            self.lat0[seg],
            self.lon1[seg],
            self.lat1[seg],
            self.az0[seg],
            self.seg_m[seg],
        )

    def direction_weights(self, weight: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Smallest per-edge ``weight`` of each road forward and backward (inf: none)."""
        forward = np.full(self.a.size, np.inf)
        backward = np.full(self.a.size, np.inf)
        on = self.edge_road >= 0
        fwd = on & self.edge_forward
        bwd = on & ~self.edge_forward
        np.minimum.at(forward, self.edge_road[fwd], weight[fwd])
        np.minimum.at(backward, self.edge_road[bwd], weight[bwd])
        return forward, backward


def _node_arrays(graph: nx.MultiDiGraph) -> tuple[list[Any], FloatArray, FloatArray, CRS]:
    """Node ids, lon, lat (degrees, EPSG:4326) and the graph's CRS."""
    nodes = list(graph.nodes)
    if not nodes:
        msg = "the road graph has no nodes"
        raise InputError(msg)
    try:
        x = np.array([float(graph.nodes[n]["x"]) for n in nodes])
        y = np.array([float(graph.nodes[n]["y"]) for n in nodes])
    except KeyError as exc:
        msg = "road graph nodes need 'x' and 'y' coordinates (an osmnx graph)"
        raise InputError(msg) from exc
    crs = graph.graph.get("crs")
    if crs is None:
        msg = "the road graph has no CRS (graph.graph['crs']); osmnx graphs are EPSG:4326"
        raise InputError(msg)
    crs = CRS.from_user_input(crs)
    if not crs.equals("EPSG:4326"):
        x, y = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return nodes, np.asarray(x, dtype=float), np.asarray(y, dtype=float), crs


def _polyline_segments(
    lon: FloatArray, lat: FloatArray, start: IntArray, count: IntArray
) -> dict[str, Any]:
    """Segment fields of :class:`_Roads` for roads whose vertices start at ``start``."""
    n_seg = count - 1
    seg_road = np.repeat(np.arange(start.size), n_seg)
    first_vertex = _ranges(start, n_seg)
    lon0, lat0 = lon[first_vertex], lat[first_vertex]
    lon1, lat1 = lon[first_vertex + 1], lat[first_vertex + 1]
    az0, _, seg_m = _GEOD.inv(lon0, lat0, lon1, lat1)
    seg_m = np.asarray(seg_m, dtype=float)
    cum = np.cumsum(seg_m)
    road_start = np.cumsum(n_seg) - n_seg
    road_m = np.add.reduceat(seg_m, road_start) if seg_m.size else np.zeros(0)
    seg_start_m = cum - seg_m - np.repeat(cum[road_start] - seg_m[road_start], n_seg)
    seg_first = np.zeros(seg_road.size, dtype=bool)
    seg_first[road_start] = True
    seg_last = np.zeros(seg_road.size, dtype=bool)
    seg_last[road_start + n_seg - 1] = True
    return {
        "road_m": road_m,
        "seg_road": seg_road,
        "seg_first": seg_first,
        "seg_last": seg_last,
        "lon0": lon0,
        "lat0": lat0,
        "lon1": lon1,
        "lat1": lat1,
        "az0": np.asarray(az0, dtype=float),
        "seg_m": seg_m,
        "seg_start_m": seg_start_m,
    }


def _network_edges(net: RoadNetwork) -> tuple[IntArray, BoolArray]:
    """Return the directed edges of a :class:`RoadNetwork`: (its edge, forward).

    In :class:`_Roads` order: every edge forward (u -> v), then the two-way ones
    backward (v -> u).
    """
    both = np.flatnonzero(~net.edge_oneway)
    edge = np.concatenate([np.arange(net.n_edges), both])
    forward = np.concatenate([np.ones(net.n_edges, dtype=bool), np.zeros(both.size, dtype=bool)])
    return edge, forward


def _network_roads(net: RoadNetwork, *, largest_component: bool) -> _Roads:
    """:func:`_graph_roads` of a :class:`RoadNetwork`, vectorised.

    An edge of the network is one polyline, driven one way or both: its road, unless
    another edge runs over the same polyline (overlapping ways), whose road it shares.
    """
    if net.n_edges == 0:
        msg = "the road network has no edges (roads)"
        raise InputError(msg)
    road_of, flipped, first = edge_roads(net)
    snappable = largest_piece(net)[first] if largest_component else np.ones(first.size, bool)
    kept = np.flatnonzero(snappable)
    number = np.full(first.size, -1, dtype=np.int64)
    number[kept] = np.arange(kept.size)
    rep = first[kept]
    edge, forward = _network_edges(net)
    u, v = net.edge_u[edge], net.edge_v[edge]
    return _Roads(
        n_nodes=net.n_nodes,
        edge_u=np.where(forward, u, v),
        edge_v=np.where(forward, v, u),
        edge_m=net.edge_m[edge],
        edge_road=number[road_of[edge]],
        edge_forward=forward != flipped[edge],
        a=net.edge_u[rep],
        b=net.edge_v[rep],
        **_polyline_segments(
            net.vertex_lon, net.vertex_lat, net.vertex_offsets[:-1][rep],
            np.diff(net.vertex_offsets)[rep],
        ),
    )


def _graph_roads(graph: nx.MultiDiGraph | RoadNetwork, *, largest_component: bool) -> _Roads:
    """Collect the roads points may snap to (see the comment above :class:`_Roads`).

    An edge's polyline is its ``geometry`` (in the graph's CRS) or else the straight
    segment between its end nodes; every segment is the geodesic between its vertices.
    A :class:`RoadNetwork` (EPSG:4326) gives its edges' polylines.
    """
    import networkx as nx

    if isinstance(graph, RoadNetwork):
        return _network_roads(graph, largest_component=largest_component)
    nodes, x, y, crs = _node_arrays(graph)
    position = {node: i for i, node in enumerate(nodes)}
    edges = list(graph.edges(data=True))
    if not edges:
        msg = "the road graph has no edges (roads)"
        raise InputError(msg)
    eu = np.fromiter((position[e[0]] for e in edges), dtype=np.int64, count=len(edges))
    ev = np.fromiter((position[e[1]] for e in edges), dtype=np.int64, count=len(edges))
    try:
        edge_m = np.array([float(e[2]["length"]) for e in edges])
    except (KeyError, TypeError, ValueError) as exc:
        msg = "road graph edges need a numeric 'length' (metres)"
        raise InputError(msg) from exc
    if np.any(~np.isfinite(edge_m)) or np.any(edge_m < 0):
        msg = "road graph edges need a finite, non-negative 'length' (metres)"
        raise InputError(msg)

    # Vertices of every edge's polyline, edge by edge in order.
    geoms = np.array([e[2].get("geometry") for e in edges], dtype=object)
    has_geom = np.array([g is not None for g in geoms], dtype=bool)
    g_xy, g_owner = shapely.get_coordinates(geoms[has_geom], return_index=True)
    g_edge = np.flatnonzero(has_geom)[g_owner]
    if g_xy.size and not crs.equals("EPSG:4326"):
        gx, gy = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
            g_xy[:, 0], g_xy[:, 1]
        )
        g_xy = np.column_stack([gx, gy])
    plain = np.flatnonzero(~has_geom)
    p_edge = np.repeat(plain, 2)
    p_node = np.column_stack([eu[plain], ev[plain]]).ravel()
    p_xy = np.column_stack([x[p_node], y[p_node]])
    vert_edge = np.concatenate([g_edge, p_edge])
    order = np.argsort(vert_edge, kind="stable")
    vert_edge = vert_edge[order]
    xy = np.concatenate([g_xy, p_xy])[order]
    count = np.bincount(vert_edge, minlength=len(edges))
    if np.any(count < 2):
        msg = "road graph edges need a geometry of at least two points"
        raise InputError(msg)
    start = np.cumsum(count) - count
    end = start + count

    # Orient each polyline from u, and each road from its lower-numbered node, so that
    # the two directions of a two-way street give the same vertices in the same order.
    u_xy = np.column_stack([x[eu], y[eu]])
    from_u = np.sum((xy[start] - u_xy) ** 2, axis=1) <= np.sum((xy[end - 1] - u_xy) ** 2, axis=1)
    forward = eu < ev
    loop = eu == ev
    second, before_last = xy[start + 1], xy[end - 2]
    loop_forward = (second[:, 0] < before_last[:, 0]) | (
        (second[:, 0] == before_last[:, 0]) & (second[:, 1] <= before_last[:, 1])
    )
    forward[loop] = loop_forward[loop] == from_u[loop]  # as stored, the loop's orientation
    flip = np.repeat(from_u != forward, count)
    local = np.arange(vert_edge.size) - np.repeat(start, count)
    xy = xy[np.where(flip, np.repeat(end, count) - 1 - local, np.arange(vert_edge.size))]
    road_a = np.where(forward, eu, ev)
    road_b = np.where(forward, ev, eu)

    snappable = np.ones(len(edges), dtype=bool)
    if largest_component:
        biggest = max(nx.weakly_connected_components(graph), key=len)
        inside = np.fromiter((n in biggest for n in nodes), dtype=bool, count=len(nodes))
        snappable = inside[eu]

    # One road per distinct oriented polyline (a Python dict: exact, and cheap next to
    # reading the edges out of networkx).
    edge_road = np.full(len(edges), -1, dtype=np.int64)
    roads: dict[tuple[int, int, bytes], int] = {}
    reps: list[int] = []
    for e in np.flatnonzero(snappable).tolist():
        key = (int(road_a[e]), int(road_b[e]), xy[start[e] : end[e]].tobytes())
        r = roads.setdefault(key, len(reps))
        if r == len(reps):
            reps.append(e)
        edge_road[e] = r
    if not reps:
        msg = "the road graph has no edges (roads) to snap to"
        raise InputError(msg)
    rep = np.asarray(reps, dtype=np.int64)
    return _Roads(
        n_nodes=len(nodes),
        edge_u=eu,
        edge_v=ev,
        edge_m=edge_m,
        edge_road=edge_road,
        edge_forward=forward,
        a=road_a[rep],
        b=road_b[rep],
        **_polyline_segments(
            np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), start[rep], count[rep]
        ),
    )


# --------------------------------------------------------------------------- snapping

# Spacing (m) of the sample points that index the segments: any point of a segment is
# within half of it (along the geodesic) of a sample.
_SAMPLE_M = 250.0
# Mean Earth radius (m): the iteration's step is spherical; its fixed point is exact.
_R_MEAN_M = 6_371_008.8
# The iteration stops when a step moves the foot less than this (m); a foot nearer than
# _END_M (m) to a segment's end is put on it; _FOOT_ITERATIONS is a safety stop (one or
# two steps are the rule).
_FOOT_TOLERANCE_M = 1e-4
_END_M = 1e-3
_FOOT_ITERATIONS = 20
# Points snapped at a time: bounds the memory of the candidate pairs.
_SNAP_CHUNK = 50_000


def nearest_points(
    lon: np.ndarray, lat: np.ndarray, target_lon: np.ndarray, target_lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact geodesic nearest target of each point.

    Candidates come from a k-d tree on Earth-centred coordinates; the chord through the
    Earth is never longer than the geodesic, so once the k-th candidate's chord exceeds
    the best geodesic found no farther target can be nearer, and the answer is exact.

    Parameters
    ----------
    lon, lat
        Query points, degrees (EPSG:4326).
    target_lon, target_lat
        Targets, degrees (EPSG:4326); at least one.

    Returns
    -------
    positions : numpy.ndarray
        int64 position in the targets of each point's nearest target.
    metres : numpy.ndarray
        Geodesic distance (metres, WGS84) to it.

    """
    target_lon = np.asarray(target_lon, dtype=float)
    target_lat = np.asarray(target_lat, dtype=float)
    tree = build_tree(target_lon, target_lat)
    positions, km = nearest_arrays(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), tree, target_lon, target_lat
    )
    return positions, km * 1000.0


def geodesic_foot(
    lon: FloatArray,
    lat: FloatArray,
    lon0: FloatArray,
    lat0: FloatArray,
    lon1: FloatArray,
    lat1: FloatArray,
    az0: FloatArray,
    seg_m: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Nearest point of each geodesic segment to each point, on the WGS84 ellipsoid.

    Segment ``i`` runs from (``lon0``, ``lat0``) to (``lon1``, ``lat1``), with azimuth
    ``az0`` at its start and ``seg_m`` long. From a point X on it at distance ``s``
    from the start, let ``d`` be the geodesic distance from X to the query point and
    ``theta`` the angle between the segment and that geodesic at X; the step
    ``R atan2(sin(d/R) cos(theta), cos(d/R))`` (``R`` the mean radius) moves X to the
    foot of the perpendicular on a sphere, and on the ellipsoid its fixed point,
    ``cos(theta) = 0``, is exactly where the geodesic distance is stationary (Baselga &
    Martinez-Llario 2018). ``s`` is kept in ``[0, seg_m]``, so a foot beyond an end
    gives that end. The distance along a geodesic is unimodal for segments far shorter
    than half the Earth, so this is the nearest point.

    Accuracy: iteration stops when a step moves X by less than 0.1 mm, and a foot
    within 1 mm of an end is put on that end (so that a point on a node joins the road
    at the node); the nearest point is thus found to 1 mm along the segment, and its
    distance, second order in that error, to well below a millimetre (against
    constructed feet: about 1e-8 m for segments up to 50 km and points up to 20 km
    away). From the segment's middle, one or two steps reach that for segments of
    tens of km.

    Parameters
    ----------
    lon, lat
        Query points, degrees (EPSG:4326), one per segment.
    lon0, lat0, lon1, lat1, az0, seg_m
        Segment starts and ends (degrees), azimuths at the start (degrees) and geodesic
        lengths (metres), as ``pyproj.Geod.inv`` gives them.

    Returns
    -------
    along : numpy.ndarray
        Geodesic metres from the segment's start to its nearest point.
    metres : numpy.ndarray
        Geodesic metres from the query point to that nearest point.

    """
    s = 0.5 * seg_m
    todo = np.arange(s.size)
    for _ in range(_FOOT_ITERATIONS):
        if todo.size == 0:
            break
        xl, yl, faz = _GEOD.fwd(
            lon0[todo], lat0[todo], az0[todo], s[todo], return_back_azimuth=False
        )
        azp, _, d = _GEOD.inv(xl, yl, lon[todo], lat[todo])
        phi = np.asarray(d) / _R_MEAN_M
        theta = np.radians(np.asarray(azp) - np.asarray(faz))
        step = _R_MEAN_M * np.arctan2(np.sin(phi) * np.cos(theta), np.cos(phi))
        moved = np.clip(s[todo] + step, 0.0, seg_m[todo])
        change = np.abs(moved - s[todo])
        s[todo] = moved
        todo = todo[change > _FOOT_TOLERANCE_M]
    # A foot within 1 mm of an end is that end: a point on a node joins the road there.
    s = np.where(s < _END_M, 0.0, np.where(seg_m - s < _END_M, seg_m, s))
    xl, yl, _ = _GEOD.fwd(lon0, lat0, az0, s)
    # at an end, the vertex itself (fwd rounds it by a nanometre)
    xl = np.where(s == 0.0, lon0, np.where(s == seg_m, lon1, xl))
    yl = np.where(s == 0.0, lat0, np.where(s == seg_m, lat1, yl))
    metres = np.asarray(_GEOD.inv(xl, yl, lon, lat)[2], dtype=float)
    return s, metres


@dataclass(frozen=True)
class _Snap:
    """Where points meet the roads: road, along-road metres from ``a``, distance."""

    road: IntArray
    along_m: FloatArray  # geodesic metres along the road's polyline from its node a
    fraction: FloatArray  # along_m / road length (0 for a road of length 0)
    at_a: BoolArray  # the point meets the road exactly at its end node a
    at_b: BoolArray
    metres: FloatArray  # geodesic metres from the point to the road

    def take(self, rows: IntArray) -> _Snap:
        """Return the snaps of these rows only."""
        return _Snap(
            self.road[rows],
            self.along_m[rows],
            self.fraction[rows],
            self.at_a[rows],
            self.at_b[rows],
            self.metres[rows],
        )


class _SegmentIndex:
    """Exact geodesic nearest segment, through a k-d tree of points sampled along them.

    Candidates: sample points every at most :data:`_SAMPLE_M` along each geodesic
    segment, in ECEF coordinates. Any point of a segment lies within ``h`` (half the
    sample spacing, along the geodesic, so also as a chord) of one of its samples. A
    first upper bound ``U`` is the exact distance to the segment of the nearest sample;
    every segment that could be nearer has a sample within chord ``U + h`` (chord <=
    geodesic), so a ball query finds them all. A lower bound then drops most: the chord
    from the point to the segment's straight 3-D chord, less the geodesic's bulge
    ``L^2 / (8 rho)`` (``rho`` the smallest radius of curvature of the ellipsoid),
    never exceeds the geodesic distance. The rest are measured exactly
    (:func:`geodesic_foot`).
    """

    def __init__(self, roads: _Roads) -> None:
        self.roads = roads
        n_pieces = np.maximum(1, np.ceil(roads.seg_m / _SAMPLE_M)).astype(np.int64)
        piece = roads.seg_m / n_pieces
        owner = np.repeat(np.arange(roads.seg_m.size), n_pieces)
        k = _ranges(np.zeros_like(n_pieces), n_pieces)
        slon, slat, _ = _GEOD.fwd(
            roads.lon0[owner], roads.lat0[owner], roads.az0[owner], (k + 0.5) * piece[owner]
        )
        self.sample_seg = owner
        self.tree = build_tree(np.asarray(slon), np.asarray(slat))
        self.half_km = float(piece.max()) / 2000.0 if piece.size else 0.0
        self.start = ecef_km(roads.lon0, roads.lat0)
        self.chord = ecef_km(roads.lon1, roads.lat1) - self.start
        self.bulge_km = (roads.seg_m / 1000.0) ** 2 / (8.0 * RHO_MIN_KM) * 1.001 + 1e-9

    def _lower_km(self, pts: FloatArray, seg: IntArray) -> FloatArray:
        """Lower bound (km) of the geodesic from each point to each segment."""
        rel = pts - self.start[seg]
        c = self.chord[seg]
        cc = np.einsum("ij,ij->i", c, c)
        t = np.clip(np.einsum("ij,ij->i", rel, c) / np.where(cc > 0, cc, 1.0), 0.0, 1.0)
        gap = rel - t[:, None] * c
        return np.sqrt(np.einsum("ij,ij->i", gap, gap)) - self.bulge_km[seg]

    def nearest(self, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
        """Nearest segment of each point: (segment, metres along it, metres away)."""
        r = self.roads
        n = lon.size
        pts = ecef_km(lon, lat)
        _, sample = self.tree.query(pts, k=1, workers=-1)
        seg0 = self.sample_seg[np.asarray(sample, dtype=np.int64)]
        _, upper_m = geodesic_foot(lon, lat, *r.segments(seg0))
        radius = upper_m / 1000.0 + self.half_km + 1e-9
        found = self.tree.query_ball_point(pts, radius, workers=-1, return_sorted=False)
        sizes = np.fromiter(map(len, found), dtype=np.int64, count=n)
        samples = np.fromiter(
            itertools.chain.from_iterable(found), dtype=np.int64, count=int(sizes.sum())
        )
        point = np.repeat(np.arange(n, dtype=np.int64), sizes)
        key = np.unique(point * r.seg_m.size + self.sample_seg[samples])
        point, seg = key // r.seg_m.size, key % r.seg_m.size
        keep = self._lower_km(pts[point], seg) <= upper_m[point] / 1000.0 + 1e-9
        point, seg = point[keep], seg[keep]
        along, metres = geodesic_foot(lon[point], lat[point], *r.segments(seg))
        # The nearest per point; equal distances go to the lowest segment number.
        order = np.lexsort((seg, metres, point))
        first = order[np.r_[True, point[order][1:] != point[order][:-1]]]
        return seg[first], along[first], metres[first]


def _snap(lon: FloatArray, lat: FloatArray, index: _SegmentIndex) -> _Snap:
    """Snap points (degrees, EPSG:4326) to the nearest point of the nearest road."""
    r = index.roads
    seg = np.empty(lon.size, dtype=np.int64)
    along = np.empty(lon.size)
    metres = np.empty(lon.size)
    for c0 in range(0, lon.size, _SNAP_CHUNK):
        part = slice(c0, c0 + _SNAP_CHUNK)
        seg[part], along[part], metres[part] = index.nearest(lon[part], lat[part])
    road = r.seg_road[seg]
    along_m = r.seg_start_m[seg] + along
    length = r.road_m[road]
    fraction = np.where(length > 0, np.clip(along_m / np.where(length > 0, length, 1.0), 0, 1), 0)
    at_a = r.seg_first[seg] & (along == 0.0)
    at_b = r.seg_last[seg] & (along == r.seg_m[seg])
    fraction = np.where(at_a, 0.0, np.where(at_b, 1.0, fraction))
    return _Snap(road, along_m, fraction, at_a, at_b, metres)
