"""Road-distance catchments: whether 50 km on the map is 50 km on the road.

A road graph is an osmnx ``MultiDiGraph`` (nodes with ``x`` = longitude and ``y`` =
latitude, edges with ``length`` in metres and the OSM ``highway`` tag).
:func:`road_graph_from_xml` builds one from a local OSM XML file; edge lengths are
geodesic on the WGS84 ellipsoid along each edge's geometry.
:func:`network_coverage` snaps communities and offices to their nearest node and finds
each community's shortest road distance from any office.

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
from pyproj import CRS, Geod, Transformer
from scipy import sparse
from scipy.sparse import csgraph

from cpgeo import settings
from cpgeo._deps import require
from cpgeo._errors import InputError
from cpgeo._log import log
from cpgeo.coverage._index import build_tree, nearest_arrays

if TYPE_CHECKING:
    import networkx as nx

    from cpgeo.osm import BBox

__all__ = [
    "DEFAULT_SPEEDS_KPH",
    "FALLBACK_SPEED_KPH",
    "network_coverage",
    "road_graph_from_place",
    "road_graph_from_xml",
]

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
    _set_geodesic_lengths(graph)
    log(f"{source}: road graph with {len(graph):,} nodes and {graph.number_of_edges():,} edges")
    return graph


def road_graph_from_xml(
    path: str | Path,
    *,
    highway_types: tuple[str, ...] | None = None,
    retain_all: bool = False,
    simplify: bool = True,
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
        Merge chains of segments between intersections into single edges (osmnx).

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
        If the file is not OSM XML or holds no roads.

    """
    ox = require("osmnx", "reading OpenStreetMap road graphs")
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such OSM XML file"
        raise FileNotFoundError(msg)
    keep = set(DEFAULT_SPEEDS_KPH if highway_types is None else highway_types)
    try:
        graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except ox._errors.InsufficientResponseError as exc:
        msg = f"{path}: no OSM nodes or ways in the file"
        raise InputError(msg) from exc
    except Exception as exc:
        if isinstance(exc, OSError):
            raise
        msg = f"{path}: not a readable OSM XML file ({type(exc).__name__}: {exc})"
        raise InputError(msg) from exc
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
    retain_all
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
        graph, ox, retain_all=retain_all, simplify=True, source=f"Overpass {query!r}"
    )


# --------------------------------------------------------------------------- snapping


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


# --------------------------------------------------------------------------- coverage


def _geographic_points(frame: gpd.GeoDataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
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
    return shapely.get_x(values), shapely.get_y(values)


def _graph_arrays(
    graph: nx.MultiDiGraph, *, largest_component: bool
) -> tuple[list[Any], np.ndarray, np.ndarray, np.ndarray]:
    """Return node ids, lon, lat (degrees) and the mask of nodes points may snap to."""
    import networkx as nx

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
    mask = np.ones(len(nodes), dtype=bool)
    if largest_component:
        biggest = max(nx.weakly_connected_components(graph), key=len)
        mask = np.array([n in biggest for n in nodes])
    return nodes, np.asarray(x), np.asarray(y), mask


def _edge_matrix(
    graph: nx.MultiDiGraph, position: dict[Any, int], weight: np.ndarray | None = None
) -> sparse.csr_array:
    """Sparse directed adjacency (row = from, column = to) of the smallest edge weight.

    ``weight`` (one value per edge, in ``graph.edges`` order) defaults to ``length``.
    """
    edges = list(graph.edges(data="length"))
    n = len(position)
    if not edges:
        return sparse.csr_array((n, n))
    u = np.fromiter((position[e[0]] for e in edges), dtype=np.int64, count=len(edges))
    v = np.fromiter((position[e[1]] for e in edges), dtype=np.int64, count=len(edges))
    w = np.array([e[2] for e in edges], dtype=float) if weight is None else weight
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        msg = "road graph edges need a finite, non-negative 'length' (metres)"
        raise InputError(msg)
    # Parallel edges: keep the shortest. Self-loops never shorten a path.
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    # csgraph reads a stored 0 as "no edge"; a zero-length edge becomes a picometre.
    w = np.maximum(w[first], 1e-9)
    return sparse.csr_array((w, (u[first], v[first])), shape=(n, n))


def _edge_minutes(graph: nx.MultiDiGraph, speeds: Mapping[str, float]) -> np.ndarray:
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


def network_coverage(
    communities: gpd.GeoDataFrame,
    offices: gpd.GeoDataFrame,
    graph: nx.MultiDiGraph,
    max_km: float | None = None,
    *,
    speeds_kph: Mapping[str, float] | None = None,
    travel_time: bool = False,
    largest_component: bool = True,
    max_snap_km: float | None = None,
) -> gpd.GeoDataFrame:
    """Shortest road distance from any office to each community, against the radius.

    Communities and offices snap to their nearest graph node (exact geodesic). A
    multi-source Dijkstra from the offices' nodes, stopped at ``max_km`` of road
    (inclusive), gives each community's road distance to the nearest office, measured
    from office to community along the directed graph (one-way streets respected).
    ``road_km`` is node to node: the snapping distances are reported, not added.

    Parameters
    ----------
    communities, offices
        Point layers (any CRS; measured in EPSG:4326) with an ``id`` column for offices.
    graph
        Road graph (osmnx ``MultiDiGraph``, e.g. from :func:`road_graph_from_xml`),
        edge ``length`` in metres. A projected osmnx graph is read back to degrees.
    max_km
        Road-distance catchment in km; default ``settings.radius_km``. The same value
        is the geodesic radius of ``within_radius``.
    speeds_kph
        Speeds (km/h) per ``highway`` value, overriding :data:`DEFAULT_SPEEDS_KPH`;
        giving it implies ``travel_time``.
    travel_time
        Add ``travel_min``.
    largest_component
        Snap only to nodes of the graph's largest weakly connected component (the
        connected road network), so that a community by a stray road piece still joins
        the network. With False, points snap to any node, and one on a piece without an
        office is unreachable.
    max_snap_km
        A community or office farther than this (geodesic km) from every road node is
        off the network: it is neither reached nor a source, rather than being attached
        to a road far away (an extract that does not reach it). Default
        ``settings.road_snap_km``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``communities`` (same index and CRS) plus:
        ``snap_m`` (geodesic metres, WGS84, from the community to its node),
        ``road_km`` (km of road from the nearest office's node; NaN when no office is
        within ``max_km`` by road), ``road_office`` (that office's ``id``, NA when none),
        ``office_snap_m`` (that office's own snapping distance, metres),
        ``covered_by_road`` (``road_km <= max_km``), ``nearest_office_km`` (geodesic km
        to the nearest office), ``within_radius`` (``nearest_office_km <= max_km``),
        ``radius_but_not_road`` (within the radius, on the network, not within
        ``max_km`` by road),
        ``off_network`` (the community is farther than ``max_snap_km`` from any road), and
        with ``travel_time`` ``travel_min`` (minutes along the fastest route from any
        office at the speeds above, no cutoff; NaN when no office can reach it).

    Raises
    ------
    InputError
        On a missing CRS, non-point layers, offices without ``id``, or a graph without
        coordinates or lengths.

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
    nodes, n_lon, n_lat, snappable = _graph_arrays(graph, largest_component=largest_component)
    allowed = np.flatnonzero(snappable)

    out = communities.copy()
    n = len(out)
    office_ids = offices["id"].astype("str").to_numpy()
    if n == 0:
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

    pos, snap_m = nearest_points(c_lon, c_lat, n_lon[allowed], n_lat[allowed])
    c_node = allowed[pos]
    off_network = snap_m > max_snap_m
    road_km = np.full(n, np.nan)
    road_office = np.full(n, None, dtype=object)
    office_snap = np.full(n, np.nan)
    travel = np.full(n, np.nan)
    near_km = np.full(n, np.nan)

    if len(offices):
        opos, o_snap_m = nearest_points(o_lon, o_lat, n_lon[allowed], n_lat[allowed])
        o_node = allowed[opos]
        # An office beyond every road of the extract is no source.
        sources = np.unique(o_node[o_snap_m <= max_snap_m])
        position = {node: i for i, node in enumerate(nodes)}
        matrix = _edge_matrix(graph, position)
        if sources.size:
            dist, _, origin = csgraph.dijkstra(
                matrix,
                directed=True,
                indices=sources,
                min_only=True,
                return_predecessors=True,
                limit=max_km * 1000.0,
            )
        else:
            dist = np.full(len(nodes), np.inf)
            origin = np.full(len(nodes), -9999)
        # Several offices on one node: the first in file order names it.
        first_office = {}
        for i in range(len(o_node) - 1, -1, -1):
            if o_snap_m[i] <= max_snap_m:
                first_office[int(o_node[i])] = i
        metres = dist[c_node]
        reached = np.isfinite(metres) & (metres <= max_km * 1000.0) & ~off_network
        road_km[reached] = metres[reached] / 1000.0
        which = np.array([first_office.get(int(s), -1) for s in origin[c_node]])
        road_office[reached] = office_ids[which[reached]]
        office_snap[reached] = o_snap_m[which[reached]]
        if travel_time:
            speeds = dict(DEFAULT_SPEEDS_KPH)
            speeds.update(speeds_kph or {})
            minutes = _edge_minutes(graph, speeds)
            tmatrix = _edge_matrix(graph, position, minutes)
            if sources.size:
                tdist = csgraph.dijkstra(tmatrix, directed=True, indices=sources, min_only=True)
                reach_t = np.isfinite(tdist[c_node]) & ~off_network
                travel = np.where(reach_t, tdist[c_node], np.nan)
        from cpgeo.coverage import nearest

        _, near_km = nearest(communities, offices)
        near_km = np.asarray(near_km, dtype=float)

    covered = np.isfinite(road_km)
    within = np.isfinite(near_km) & (near_km <= max_km)
    out["snap_m"] = snap_m
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
