"""Road-distance catchments: whether 50 km on the map is 50 km on the road.

A road graph is an osmnx ``MultiDiGraph`` (nodes with ``x`` = longitude and ``y`` =
latitude, edges with ``length`` in metres and the OSM ``highway`` tag) or, for a
whole country, a :class:`RoadNetwork` (the same roads as numpy arrays, EPSG:4326).
:func:`road_graph_from_xml` builds the first from a local OSM XML file,
:func:`road_network_from_pbf` the second from an OSM PBF extract (``.osm.pbf``, e.g.
a national extract, read with pyosmium without networkx), and :func:`read_roads`
either by the file's suffix. Both keep the same drivable roads and one-way streets;
edge lengths are geodesic on the WGS84 ellipsoid along each edge's geometry.
:func:`network_coverage` snaps communities and offices to the nearest point of the
nearest road (anywhere along an edge, not only at its nodes) and finds each community's
shortest road distance from any office. The snapping (method and accuracy) is in
:mod:`cpgeo.coverage._snap`.

Default speeds per highway type (km/h), used for ``travel_min``
(:data:`DEFAULT_SPEEDS_KPH`; an edge merged from several types takes their mean; a type
not in the table :data:`FALLBACK_SPEED_KPH`; ``maxspeed`` tags are not read):

=================  =====  ==================  =====
highway            km/h   highway             km/h
=================  =====  ==================  =====
motorway           100    motorway_link       60
trunk              90     trunk_link          50
primary            70     primary_link        40
secondary          60     secondary_link      40
tertiary           50     tertiary_link       30
unclassified       40     road                40
residential        30     living_street       10
service            20     track               20
=================  =====  ==================  =====
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from scipy import sparse
from scipy.sparse import csgraph

from cpgeo import settings
from cpgeo._deps import require
from cpgeo._errors import InputError
from cpgeo._log import log
from cpgeo.coverage._pbf import (
    RoadNetwork,
    edge_roads,
    missing_nodes_error,
    road_network_from_pbf,
)
from cpgeo.coverage._snap import (
    _graph_roads,
    _network_edges,
    _ranges,
    _Roads,
    _SegmentIndex,
    _Snap,
    _snap,
)

# Imported from here by callers and tests; they live with the snapping.
from cpgeo.coverage._snap import geodesic_foot as geodesic_foot
from cpgeo.coverage._snap import nearest_points as nearest_points

if TYPE_CHECKING:
    import networkx as nx

    from cpgeo.osm import BBox

__all__ = [
    "DEFAULT_SPEEDS_KPH",
    "FALLBACK_SPEED_KPH",
    "RoadNetwork",
    "network_coverage",
    "read_roads",
    "road_coverage_matrix",
    "road_extent",
    "road_graph_from_place",
    "road_graph_from_xml",
    "road_network_from_pbf",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_GEOD = Geod(ellps="WGS84")

#: Assumed travel speed (km/h) per OSM ``highway`` value; these are also the road types
#: that :func:`road_graph_from_xml` keeps.
DEFAULT_SPEEDS_KPH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 70.0,
    "primary_link": 40.0,
    "secondary": 60.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 30.0,
    "unclassified": 40.0,
    "road": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "track": 20.0,
}

#: Speed (km/h) of a road whose ``highway`` value is not in the speed table.
FALLBACK_SPEED_KPH: float = 30.0


# --------------------------------------------------------------------------- graphs


def _highway_values(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if value is None:
        return []
    return [str(value)]


def _set_geodesic_lengths(graph: nx.MultiDiGraph) -> None:
    """Set every edge's ``length`` to its geodesic length in metres (WGS84).

    An edge with a ``geometry`` (a simplified chain of OSM segments) is measured along
    it; otherwise along the straight segment between its end nodes.
    """
    xs = {n: float(d["x"]) for n, d in graph.nodes(data=True)}
    ys = {n: float(d["y"]) for n, d in graph.nodes(data=True)}
    for u, v, data in graph.edges(data=True):
        geom = data.get("geometry")
        if geom is not None:
            coords = np.asarray(geom.coords)
            lons, lats = coords[:, 0], coords[:, 1]
        else:
            lons = np.array([xs[u], xs[v]])
            lats = np.array([ys[u], ys[v]])
        data["length"] = float(_GEOD.line_length(lons, lats))


def _finish_graph(
    graph: nx.MultiDiGraph, ox: Any, *, retain_all: bool, simplify: bool, source: str
) -> nx.MultiDiGraph:
    if len(graph) == 0 or graph.number_of_edges() == 0:
        msg = f"{source}: no roads found"
        raise InputError(msg)
    if not retain_all:
        graph = ox.truncate.largest_component(graph, strongly=False)
    if simplify:
        graph = ox.simplify_graph(graph)
        # osmnx drops a ring road without junctions altogether
        if len(graph) == 0 or graph.number_of_edges() == 0:
            msg = f"{source}: no roads left after simplification; build it with simplify=False"
            raise InputError(msg)
    _set_geodesic_lengths(graph)
    segments, km = road_extent(graph)
    log(
        f"{source}: road graph with {len(graph):,} nodes and {graph.number_of_edges():,} "
        f"edges, {segments:,} road segments, {km:,.1f} km of road"
    )
    return graph


def road_graph_from_xml(
    path: str | Path,
    *,
    highway_types: tuple[str, ...] | None = None,
    retain_all: bool = False,
    simplify: bool = False,
) -> nx.MultiDiGraph:
    """Build a road graph from a local OSM XML file.

    Parameters
    ----------
    path
        An OSM XML file (``.osm``).
    highway_types
        OSM ``highway`` values kept as roads; default: the keys of
        :data:`DEFAULT_SPEEDS_KPH` (roads a car can use). Other ways in the file
        (footpaths, buildings, boundaries) are dropped.
    retain_all
        Keep every connected piece; by default only the largest weakly connected
        component is kept.
    simplify
        Merge chains of segments between intersections into single edges with a
        ``geometry`` (osmnx ``simplify_graph``). Off by default, so that the graph's
        nodes are the file's road nodes; :func:`network_coverage` snaps to edge
        geometries, so simplifying only makes the graph smaller, never coarser. (osmnx
        drops a ring road without junctions altogether.)

    Returns
    -------
    networkx.MultiDiGraph
        osmnx graph, CRS EPSG:4326 (node ``x`` longitude, ``y`` latitude, degrees);
        edge ``length`` is the geodesic length in metres on the WGS84 ellipsoid.
        One-way streets have one direction only.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InputError
        If the file is not OSM XML (the message names the line and element of a
        malformed one), holds no roads, or has ways whose nodes are not in it.

    """
    from cpgeo.osm import scan_osm_xml

    ox = require("osmnx", "reading OpenStreetMap road graphs")
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such OSM XML file"
        raise FileNotFoundError(msg)
    keep = set(DEFAULT_SPEEDS_KPH if highway_types is None else highway_types)
    found = scan_osm_xml(path)
    if found.nodes == 0 and found.ways == 0:  # osmnx would raise
        msg = f"{path}: no OSM nodes or ways in the file"
        raise InputError(msg)
    if found.dangling:  # osmnx would raise: an edge without coordinates has no length
        raise missing_nodes_error(path, list(found.dangling), found.dangling_ways)
    # Nothing is caught: the file is known to be readable, so what osmnx raises is not
    # the file's fault.
    graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    drop = [
        (u, v, k)
        for u, v, k, hw in graph.edges(keys=True, data="highway")
        if not any(h in keep for h in _highway_values(hw))
    ]
    graph.remove_edges_from(drop)
    graph.remove_nodes_from([n for n in list(graph.nodes) if graph.degree(n) == 0])
    return _finish_graph(graph, ox, retain_all=retain_all, simplify=simplify, source=str(path))


def road_graph_from_place(
    query: str | BBox,
    *,
    network_type: str = "drive",
    retain_all: bool = False,
    simplify: bool = False,
    boundaries: gpd.GeoDataFrame | None = None,
) -> nx.MultiDiGraph:
    """Download the road graph of a governorate, place name or bounding box (Overpass).

    Answers are cached in ``settings.cache_folder``. A whole governorate is a large
    download (tens of MB); prefer a local extract with :func:`road_graph_from_xml`.

    Parameters
    ----------
    query
        Governorate name (its polygon from ``boundaries``), place name (geocoded by
        osmnx) or (min lon, min lat, max lon, max lat) in degrees, EPSG:4326.
    network_type
        osmnx network type, e.g. ``"drive"``.
    retain_all, simplify
        As in :func:`road_graph_from_xml`.
    boundaries
        Governorate polygons; default: the embedded ones.

    Returns
    -------
    networkx.MultiDiGraph
        As :func:`road_graph_from_xml`.

    Raises
    ------
    NetworkUnavailableError
        Within a few seconds when the service cannot be reached.
    InputError
        If the answer holds no roads or is unusable (see
        :func:`cpgeo.osm.overpass_request`).

    """
    from cpgeo.osm import overpass_request

    with overpass_request(query, boundaries) as (ox, polygon):
        if polygon is None:
            graph = ox.graph_from_place(
                query, network_type=network_type, simplify=False, retain_all=True
            )
        else:
            graph = ox.graph_from_polygon(
                polygon, network_type=network_type, simplify=False, retain_all=True
            )
    return _finish_graph(
        graph, ox, retain_all=retain_all, simplify=simplify, source=f"Overpass {query!r}"
    )


# File name endings read_roads reads as OSM XML (osmnx reads .bz2 and .gz compressed).
_XML_ENDINGS = tuple(f"{s}{z}" for s in (".osm", ".xml") for z in ("", ".gz", ".bz2"))


def read_roads(path: str | Path) -> nx.MultiDiGraph | RoadNetwork:
    """Read the drivable roads of an OSM extract, by the file's name ending.

    ``.pbf`` (``.osm.pbf``) goes to :func:`road_network_from_pbf`, ``.osm`` and
    ``.xml`` (also ``.gz`` or ``.bz2`` compressed) to :func:`road_graph_from_xml`;
    both keep the largest connected piece.

    Parameters
    ----------
    path
        An OSM PBF or OSM XML file.

    Returns
    -------
    RoadNetwork or networkx.MultiDiGraph
        For a PBF file a :class:`RoadNetwork`, for XML an osmnx graph; every function of
        this module that takes a road graph takes either (EPSG:4326, metres).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InputError
        If the name has another ending, or as the reader raises (the message names the
        file).

    """
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".pbf"):
        return road_network_from_pbf(path)
    if name.endswith(_XML_ENDINGS):
        return road_graph_from_xml(path)
    msg = (f"{path}: not a road file this tool reads (the name must end in .osm.pbf or "
           f".pbf for PBF, {', '.join(_XML_ENDINGS)} for OSM XML)")
    raise InputError(msg)


def road_extent(graph: nx.MultiDiGraph | RoadNetwork) -> tuple[int, float]:
    """Count the road segments of a graph and measure its roads.

    A two-way street counts once; a segment is one straight piece between two OSM
    nodes (a vertex of an edge's geometry), so the numbers do not depend on whether
    the graph was simplified, nor on whether it is a graph or a :class:`RoadNetwork`.

    Parameters
    ----------
    graph
        Road graph (osmnx ``MultiDiGraph``, any CRS) or :class:`RoadNetwork`.

    Returns
    -------
    segments : int
        Number of road segments.
    km : float
        Total geodesic length of the roads, kilometres on the WGS84 ellipsoid.

    """
    if isinstance(graph, RoadNetwork):  # measured when read
        _, _, first = edge_roads(graph)
        segments = np.diff(graph.vertex_offsets)[first] - 1
        return int(segments.sum()), float(graph.edge_m[first].sum()) / 1000.0
    roads = _graph_roads(graph, largest_component=False)
    return int(roads.seg_m.size), float(roads.road_m.sum()) / 1000.0


# --------------------------------------------------------------------------- coverage


def _geographic_points(frame: gpd.GeoDataFrame, what: str) -> tuple[FloatArray, FloatArray]:
    if frame.crs is None:
        msg = f"{what} have no CRS; set one (EPSG:4326 for longitude/latitude)"
        raise InputError(msg)
    geoms = frame.geometry
    if not geoms.crs.equals("EPSG:4326"):
        geoms = geoms.to_crs("EPSG:4326")
    values = geoms.to_numpy()
    if len(values) and not np.all(shapely.get_type_id(values) == 0):
        msg = f"{what} must be points"
        raise InputError(msg)
    return np.asarray(shapely.get_x(values), float), np.asarray(shapely.get_y(values), float)


def _adjacency(u: IntArray, v: IntArray, w: FloatArray, n: int) -> sparse.csr_array:
    """Sparse directed adjacency (row = from, column = to) of the smallest weight."""
    # Parallel edges: keep the shortest. Self-loops never shorten a path.
    keep = (u != v) & np.isfinite(w)
    u, v, w = u[keep], v[keep], w[keep]
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    # csgraph reads a stored 0 as "no edge"; a zero-length edge becomes a picometre.
    w = np.maximum(w[first], 1e-9)
    return sparse.csr_array((w, (u[first], v[first])), shape=(n, n))


def _edge_minutes(
    graph: nx.MultiDiGraph | RoadNetwork, speeds: Mapping[str, float]
) -> FloatArray:
    """Minutes per edge of the graph's :class:`_Roads`, at ``speeds`` km/h per type."""
    if isinstance(graph, RoadNetwork):
        by_type = np.array([float(speeds.get(h, FALLBACK_SPEED_KPH))
                            for h in graph.highway_types])
        edge, _ = _network_edges(graph)
        return graph.edge_m[edge] / 1000.0 / by_type[graph.edge_highway[edge]] * 60.0
    minutes = []
    for _, _, data in graph.edges(data=True):
        kinds = _highway_values(data.get("highway"))
        kph = (
            np.mean([float(speeds.get(h, FALLBACK_SPEED_KPH)) for h in kinds])
            if kinds
            else FALLBACK_SPEED_KPH
        )
        minutes.append(float(data["length"]) / 1000.0 / kph * 60.0)
    return np.asarray(minutes, dtype=float)


# Sites searched together by one Dijkstra call (its distance rows are dense).
_SITES_PER_SEARCH = 32


def _source_graph(
    roads: _Roads, edge_w: FloatArray, w_fwd: FloatArray, w_bwd: FloatArray, office: _Snap
) -> tuple[sparse.csr_array, IntArray]:
    """Return the road graph with a virtual node per office inside a road, and their nodes.

    Virtual nodes (``n + k`` for office ``k``) have edges out only, so a search from one
    office is not changed by the others' nodes.
    """
    n = roads.n_nodes
    k = office.road.size
    at_node = office.at_a | office.at_b
    node_of = np.where(office.at_a, roads.a[office.road], roads.b[office.road])
    source = np.where(at_node, node_of, n + np.arange(k))
    inside = np.flatnonzero(~at_node)
    r = office.road[inside]
    f = office.fraction[inside]
    vu = np.concatenate([n + inside, n + inside])
    vv = np.concatenate([roads.b[r], roads.a[r]])
    vw = np.concatenate([(1.0 - f) * w_fwd[r], f * w_bwd[r]])
    matrix = _adjacency(
        np.concatenate([roads.edge_u, vu]),
        np.concatenate([roads.edge_v, vv]),
        np.concatenate([edge_w, vw]),
        n + k,
    )
    return matrix, source


def _arrivals(
    dist: FloatArray, roads: _Roads, w_fwd: FloatArray, w_bwd: FloatArray, community: _Snap
) -> tuple[FloatArray, FloatArray]:
    """Cost to each community entering its road from node a, and from node b."""
    cr, g = community.road, community.fraction
    a, b = roads.a[cr], roads.b[cr]
    with np.errstate(invalid="ignore"):
        via_a = np.where(community.at_a, dist[a], dist[a] + g * w_fwd[cr])
        via_b = np.where(community.at_b, dist[b], dist[b] + (1.0 - g) * w_bwd[cr])
    return np.where(np.isnan(via_a), np.inf, via_a), np.where(np.isnan(via_b), np.inf, via_b)


def _straight(
    g: FloatArray, f: FloatArray | float, road: IntArray | int, w_fwd: FloatArray,
    w_bwd: FloatArray,
) -> FloatArray:
    """Cost straight along ``road`` from fraction ``f`` to fraction ``g``, elementwise.

    Forward when ``g >= f``, backward when ``g <= f``, each only where the road may be
    driven that way (infinite otherwise).
    """
    g = np.asarray(g, dtype=float)
    f = np.broadcast_to(np.asarray(f, dtype=float), g.shape)
    road = np.broadcast_to(np.asarray(road), g.shape)
    direct = np.full(g.shape, np.inf)
    ahead, behind = g >= f, g <= f
    direct[ahead] = ((g - f) * w_fwd[road])[ahead]
    direct[behind] = np.minimum(direct[behind], ((f - g) * w_bwd[road])[behind])
    return direct


def _road_reach(
    roads: _Roads,
    edge_w: FloatArray,
    office: _Snap,
    community: _Snap,
    limit: float,
) -> tuple[FloatArray, IntArray]:
    """Least cost from any office to each community over the roads: (cost, office).

    Costs are per edge (``edge_w``, e.g. metres); a point at fraction ``f`` of a road
    lies ``f`` of the way along each of its edges. An office inside a road is a virtual
    source node joined to the road's end it may drive to: node b at ``(1 - f) w_ab``
    when the road may be driven a -> b, node a at ``f w_ba`` when it may be driven
    b -> a. An office exactly at a node is that node. A multi-source Dijkstra (stopped
    at ``limit``) then gives each community the best of: entering its road from a
    (``dist[a] + g w_ab``), from b (``dist[b] + (1 - g) w_ba``), or, on an office's own
    road, driving straight along it (``|g - f| w`` in an allowed direction).

    Returns each community's cost and the position (in ``office``) of the office it is
    reached from: -1, with an infinite cost, when none is within ``limit``.
    """
    n = roads.n_nodes
    w_fwd, w_bwd = roads.direction_weights(edge_w)
    matrix, source = _source_graph(roads, edge_w, w_fwd, w_bwd, office)
    inside = np.flatnonzero(source >= n)
    # The first office (in file order) at a node names it.
    sources, first = np.unique(source, return_index=True)
    owner = np.full(matrix.shape[0], -1, dtype=np.int64)
    owner[sources] = first
    if sources.size:
        dist, _, origin = csgraph.dijkstra(
            matrix,
            directed=True,
            indices=sources,
            min_only=True,
            return_predecessors=True,
            limit=limit,
        )
        origin = np.where(origin >= 0, origin, 0)
        by = np.where(np.isfinite(dist), owner[origin], -1)
    else:
        dist = np.full(matrix.shape[0], np.inf)
        by = np.full(matrix.shape[0], -1, dtype=np.int64)

    cr, g = community.road, community.fraction
    a, b = roads.a[cr], roads.b[cr]
    via_a, via_b = _arrivals(dist, roads, w_fwd, w_bwd, community)
    best = np.minimum(via_a, via_b)
    who = np.where(via_a <= via_b, by[a], by[b])

    # Offices and communities inside the same road: straight along it.
    if inside.size:
        order = inside[np.argsort(office.road[inside], kind="stable")]
        sorted_road = office.road[order]
        lo = np.searchsorted(sorted_road, cr, side="left")
        hi = np.searchsorted(sorted_road, cr, side="right")
        many = hi - lo
        ci = np.repeat(np.arange(cr.size), many)
        oi = order[_ranges(lo, many)]
        direct = _straight(g[ci], office.fraction[oi], cr[ci], w_fwd, w_bwd)
        better = np.flatnonzero(direct < best[ci])
        # Several offices on the road: the nearest, then the first in file order.
        better = better[np.lexsort((oi[better], direct[better], ci[better]))]
        better = better[np.r_[True, ci[better][1:] != ci[better][:-1]]] if better.size else better
        best[ci[better]] = direct[better]
        who[ci[better]] = oi[better]
    who = np.where(np.isfinite(best), who, -1)
    return best, who


def _empty_result(out: gpd.GeoDataFrame, travel_time: bool) -> gpd.GeoDataFrame:
    for column, dtype in (
        ("snap_m", "float64"),
        ("road_km", "float64"),
        ("road_office", "str"),
        ("office_snap_m", "float64"),
        ("covered_by_road", "bool"),
        ("nearest_office_km", "float64"),
        ("within_radius", "bool"),
        ("radius_but_not_road", "bool"),
        ("off_network", "bool"),
    ):
        out[column] = pd.Series(dtype=dtype)
    if travel_time:
        out["travel_min"] = pd.Series(dtype="float64")
    return out


def network_coverage(
    communities: gpd.GeoDataFrame,
    offices: gpd.GeoDataFrame,
    graph: nx.MultiDiGraph | RoadNetwork,
    max_km: float | None = None,
    *,
    speeds_kph: Mapping[str, float] | None = None,
    travel_time: bool = False,
    largest_component: bool = True,
    max_snap_km: float | None = None,
) -> gpd.GeoDataFrame:
    """Shortest road distance from any office to each community, against the radius.

    Communities and offices snap to the nearest point of the nearest road: the exact
    geodesic nearest point (WGS84) on any segment of any edge's polyline (its
    ``geometry``, or the straight segment between its end nodes; each segment is the
    geodesic between its vertices), found to 0.1 mm. A point may thus join a road in
    the middle of an edge. The road distance from an office at fraction ``f`` of a road
    to a community at fraction ``g`` of another is the along-road offset from the
    office to the end node it leaves by, plus the shortest path between nodes, plus the
    offset from the node the community's road is entered by: a multi-source Dijkstra
    from virtual nodes placed at the offices, stopped at ``max_km`` of road
    (inclusive). One-way streets are respected throughout: an office inside a one-way
    edge u -> v leaves by v, a community inside one is entered from u, and two points
    on the same edge reach each other straight along it only in an allowed direction.
    An offset is the fraction of the edge's geodesic polyline length up to the snap
    point times the edge's ``length`` (the geodesic along-edge metres, for graphs from
    this module).

    ``road_km`` is along the roads only, from the office's snap point to the
    community's: the off-road legs (``office_snap_m``, ``snap_m``) are reported beside
    it, not added.

    Parameters
    ----------
    communities, offices
        Point layers (any CRS; measured in EPSG:4326) with an ``id`` column for offices.
    graph
        Road graph (osmnx ``MultiDiGraph``, e.g. from :func:`road_graph_from_xml`,
        simplified or not), edge ``length`` in metres. A projected osmnx graph is read
        back to degrees. Or a :class:`RoadNetwork` (:func:`road_network_from_pbf`):
        the same answer for the same roads.
    max_km
        Road-distance catchment in km; default ``settings.radius_km``. The same value
        is the geodesic radius of ``within_radius``.
    speeds_kph
        Speeds (km/h) per ``highway`` value, overriding :data:`DEFAULT_SPEEDS_KPH`;
        giving it implies ``travel_time``.
    travel_time
        Add ``travel_min``.
    largest_component
        Snap only to roads of the graph's largest weakly connected component (the
        connected road network), so that a community by a stray road piece still joins
        the network. With False, points snap to any road, and one on a piece without an
        office is unreachable.
    max_snap_km
        A community or office farther than this (geodesic km) from every road is off
        the network: it is neither reached nor a source, rather than being attached to
        a road far away (an extract that does not reach it). Default
        ``settings.road_snap_km``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``communities`` (same index and CRS) plus:
        ``snap_m`` (geodesic metres, WGS84, from the community to the nearest point of
        a road), ``road_km`` (km along the roads from the nearest office's snap point to
        the community's; NaN when no office is within ``max_km`` by road),
        ``road_office`` (that office's ``id``, NA when none), ``office_snap_m`` (that
        office's own geodesic metres to its road), ``covered_by_road``
        (``road_km <= max_km``), ``nearest_office_km`` (geodesic km to the nearest
        office), ``within_radius`` (``nearest_office_km <= max_km``),
        ``radius_but_not_road`` (within the radius, on the network, not within
        ``max_km`` by road), ``off_network`` (the community is farther than
        ``max_snap_km`` from every road), and with ``travel_time`` ``travel_min``
        (minutes along the fastest route from any office's snap point at the speeds
        above, the partial edges at the two ends included pro rata, no cutoff; NaN when
        no office can reach it).

    Raises
    ------
    InputError
        On a missing CRS, non-point layers, offices without ``id``, or a graph without
        coordinates, lengths or edges.

    """
    max_km = settings.radius_km if max_km is None else float(max_km)
    if not max_km > 0:
        msg = f"max_km must be a positive number of kilometres, got {max_km:g}"
        raise InputError(msg)
    if "id" not in offices.columns:
        msg = "offices need an 'id' column"
        raise InputError(msg)
    travel_time = travel_time or speeds_kph is not None
    max_snap_m = 1000.0 * (settings.road_snap_km if max_snap_km is None else float(max_snap_km))
    c_lon, c_lat = _geographic_points(communities, "communities")
    o_lon, o_lat = _geographic_points(offices, "offices")
    roads = _graph_roads(graph, largest_component=largest_component)

    out = communities.copy()
    n = len(out)
    if n == 0:
        return _empty_result(out, travel_time)
    office_ids = offices["id"].astype("str").to_numpy()
    index = _SegmentIndex(roads)
    where = _snap(c_lon, c_lat, index)
    off_network = where.metres > max_snap_m
    road_km = np.full(n, np.nan)
    road_office = np.full(n, None, dtype=object)
    office_snap = np.full(n, np.nan)
    travel = np.full(n, np.nan)
    near_km = np.full(n, np.nan)

    if len(offices):
        spot = _snap(o_lon, o_lat, index)
        # An office beyond every road of the extract is no source.
        on = np.flatnonzero(spot.metres <= max_snap_m)
        sources = spot.take(on)
        limit_m = max_km * 1000.0
        # A little slack in Dijkstra's cutoff; the inclusive test is on the sums below.
        metres, who = _road_reach(roads, roads.edge_m, sources, where, limit_m * (1 + 1e-9))
        reached = (who >= 0) & (metres <= limit_m) & ~off_network
        road_km[reached] = metres[reached] / 1000.0
        road_office[reached] = office_ids[on[who[reached]]]
        office_snap[reached] = spot.metres[on[who[reached]]]
        if travel_time:
            speeds = dict(DEFAULT_SPEEDS_KPH)
            speeds.update(speeds_kph or {})
            minutes, t_who = _road_reach(
                roads, _edge_minutes(graph, speeds), sources, where, np.inf
            )
            reach_t = (t_who >= 0) & ~off_network
            travel = np.where(reach_t, minutes, np.nan)
        from cpgeo.coverage import nearest

        _, near_km = nearest(communities, offices)
        near_km = np.asarray(near_km, dtype=float)

    covered = np.isfinite(road_km)
    within = np.isfinite(near_km) & (near_km <= max_km)
    out["snap_m"] = where.metres
    out["road_km"] = road_km
    out["road_office"] = pd.Series(road_office, index=out.index, dtype="str")
    out["office_snap_m"] = office_snap
    out["covered_by_road"] = covered
    out["nearest_office_km"] = near_km
    out["within_radius"] = within
    # Off-network communities are not evidence of a long road: the extract misses them.
    out["radius_but_not_road"] = within & ~covered & ~off_network
    out["off_network"] = off_network
    if travel_time:
        out["travel_min"] = travel
    log(
        f"network_coverage: {int(covered.sum())} of {n} communities within {max_km:g} km by "
        f"road, {int(within.sum())} within the radius, "
        f"{int(out['radius_but_not_road'].sum())} within the radius but not by road"
    )
    return out


def road_coverage_matrix(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    graph: nx.MultiDiGraph | RoadNetwork,
    max_km: float | None = None,
    *,
    largest_component: bool = True,
    max_snap_km: float | None = None,
) -> sparse.csr_array:
    """Demand x sites, True where the site reaches the demand point within ``max_km`` by road.

    Points snap, roads are driven (one-way streets included) and the limit is inclusive
    exactly as in :func:`network_coverage`: with the offices as ``sites``, a row holds a
    True exactly when that function's ``covered_by_road`` does. Points and sites farther
    than ``max_snap_km`` from every road are off the network (no True in their row or
    column). One Dijkstra per site, stopped at ``max_km``, on one graph built once.

    Raises
    ------
    InputError
        As :func:`network_coverage`.
    """
    max_km = settings.radius_km if max_km is None else float(max_km)
    if not max_km > 0:
        msg = f"max_km must be a positive number of kilometres, got {max_km:g}"
        raise InputError(msg)
    max_snap_m = 1000.0 * (settings.road_snap_km if max_snap_km is None else float(max_snap_km))
    d_lon, d_lat = _geographic_points(demand, "demand points")
    s_lon, s_lat = _geographic_points(sites, "sites")
    shape = (len(demand), len(sites))
    if not (shape[0] and shape[1]):
        return sparse.csr_array(shape, dtype=bool)
    roads = _graph_roads(graph, largest_component=largest_component)
    index = _SegmentIndex(roads)
    where = _snap(d_lon, d_lat, index)
    on_network = where.metres <= max_snap_m
    spot = _snap(s_lon, s_lat, index)
    w_fwd, w_bwd = roads.direction_weights(roads.edge_m)
    matrix, source = _source_graph(roads, roads.edge_m, w_fwd, w_bwd, spot)
    limit_m = max_km * 1000.0
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    usable = np.flatnonzero(spot.metres <= max_snap_m)
    for c0 in range(0, usable.size, _SITES_PER_SEARCH):
        chunk = usable[c0 : c0 + _SITES_PER_SEARCH]
        # a little slack in the cutoff; the inclusive test is on the sums below
        dist = np.atleast_2d(
            csgraph.dijkstra(matrix, directed=True, indices=source[chunk],
                             limit=limit_m * (1 + 1e-9))
        )
        for row, k in enumerate(chunk.tolist()):
            best = np.minimum(*_arrivals(dist[row], roads, w_fwd, w_bwd, where))
            if source[k] >= roads.n_nodes:  # inside a road: straight along it too
                road = int(spot.road[k])
                on = np.flatnonzero(where.road == road)
                direct = _straight(where.fraction[on], spot.fraction[k], road, w_fwd, w_bwd)
                best[on] = np.minimum(best[on], direct)
            hit = np.flatnonzero((best <= limit_m) & on_network)
            rows.append(hit)
            cols.append(np.full(hit.size, k, dtype=np.int64))
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    out = sparse.csr_array((np.ones(r.size, dtype=bool), (r, c)), shape=shape)
    log(f"road_coverage_matrix: {r.size} pairs within {max_km:g} km by road, "
        f"{shape[0]} demand x {shape[1]} sites")
    return out
