"""Exact radius membership and nearest neighbours through a KD-tree on ECEF coordinates.

Every public function here takes point GeoDataFrames (any geographic or projected CRS;
reprojected to EPSG:4326) and answers with exact WGS84 geodesic distances. The array
functions (prefixed ``_``) work on longitude / latitude arrays and are shared with the
community and load modules.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import cKDTree

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo._log import log
from cpgeo.coverage._geodesic import ecef_km, geodesic_km, inner_chord_km, outer_chord_km

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Leaf size tuned on 1M x 10k points over Iraq: larger leaves mean fewer nodes visited,
# smaller ones fewer distance checks; 32-64 is the flat bottom of that curve.
_LEAFSIZE = 48


def lonlat(points: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> tuple[FloatArray, FloatArray]:
    """Longitudes and latitudes (degrees, EPSG:4326) of a point layer.

    Parameters
    ----------
    points
        Point GeoDataFrame or GeoSeries with a CRS; reprojected to EPSG:4326 if needed.
    name
        The layer's name, used in error messages.

    Raises
    ------
    InputError
        If the layer has no CRS, or a geometry is missing, empty or not a point.
    """
    if not isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = f"{name}: expected a GeoDataFrame of points, got {type(points).__name__}"
        raise InputError(msg)
    geoms = points.geometry
    if geoms.crs is None:
        msg = f"{name}: the layer has no CRS; set it (e.g. EPSG:4326) before computing distances"
        raise InputError(msg)
    if not geoms.crs.equals("EPSG:4326"):
        geoms = geoms.to_crs("EPSG:4326")
    values = np.asarray(geoms.array, dtype=object)
    type_ids = shapely.get_type_id(values)
    bad = np.flatnonzero((type_ids != 0) | shapely.is_empty(values))
    if bad.size:
        rows = ", ".join(str(i) for i in bad[:5]) + (" ..." if bad.size > 5 else "")
        msg = (
            f"{name}: {bad.size} row(s) without a point geometry (positions {rows}); "
            "distances need one point per row"
        )
        raise InputError(msg)
    coords = shapely.get_coordinates(values)
    return np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])


def resolve_radius(radius_km: float | None) -> float:
    """``radius_km``, or ``settings.radius_km`` when None; checked to be a positive number."""
    radius = settings.radius_km if radius_km is None else radius_km
    if not np.isfinite(radius) or radius < 0:
        msg = f"radius_km must be a finite number >= 0, got {radius!r}"
        raise InputError(msg)
    return float(radius)


def locality_order(lon: FloatArray, lat: FloatArray) -> IntArray:
    """Return a permutation that puts nearby points next to each other (0.05-degree bands).

    Tree queries in this order reuse the same tree nodes from one query to the next,
    which roughly halves their time on a million points.
    """
    band = np.floor((lat + 90.0) / 0.05).astype(np.int64)
    step = np.floor((lon + 180.0) / 0.0005).astype(np.int64)
    # serpentine: alternate bands run east-west so consecutive queries stay close
    step = np.where(band % 2 == 0, step, 1_000_000 - step)
    return np.argsort(band * 2_000_000 + step)


def _tree(lon: FloatArray, lat: FloatArray) -> cKDTree:
    return cKDTree(ecef_km(lon, lat), leafsize=_LEAFSIZE, balanced_tree=False)


def pairs_arrays(
    alon: FloatArray,
    alat: FloatArray,
    blon: FloatArray,
    blat: FloatArray,
    radius_km: float,
    *,
    with_distance: bool = True,
) -> tuple[IntArray, IntArray, FloatArray]:
    """All pairs with geodesic ``<= radius_km``; positions sorted by (a, b).

    With ``with_distance=False`` only pairs in the ambiguous chord band are measured
    exactly (the returned distance array is then empty).
    """
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))
    if alon.size == 0 or blon.size == 0:
        return empty
    outer = outer_chord_km(radius_km)
    inner = inner_chord_km(radius_km)
    found = _tree(alon, alat).sparse_distance_matrix(
        _tree(blon, blat), outer, output_type="ndarray"
    )
    ia = found["i"].astype(np.int64)
    ib = found["j"].astype(np.int64)
    chord = found["v"]
    del found
    if with_distance:
        dist = geodesic_km(alon[ia], alat[ia], blon[ib], blat[ib])
        keep = dist <= radius_km
        dist = dist[keep]
    else:
        keep = chord <= inner
        band = np.flatnonzero(~keep)
        if band.size:
            exact = geodesic_km(alon[ia[band]], alat[ia[band]], blon[ib[band]], blat[ib[band]])
            keep[band] = exact <= radius_km
        dist = np.empty(0, np.float64)
    ia, ib = ia[keep], ib[keep]
    order = np.lexsort((ib, ia))
    return ia[order], ib[order], (dist[order] if with_distance else dist)


def nearest_arrays(
    alon: FloatArray,
    alat: FloatArray,
    tree: cKDTree,
    blon: FloatArray,
    blat: FloatArray,
    *,
    pts: FloatArray | None = None,
) -> tuple[IntArray, FloatArray]:
    """Exact geodesic nearest point of b for each point of a: (positions, km).

    Correctness: chord <= geodesic for every pair. Let the k nearest candidates by chord
    have chords c_1 <= ... <= c_k and let g be the smallest geodesic among them. Every
    other point of b has geodesic >= its chord >= c_k; so if g <= c_k, g is the true
    minimum. Rows where this fails are re-queried with 4x more candidates (finally all of
    b, where it holds trivially). With k = 2 only the first candidate's geodesic is needed
    (g_1 <= c_2 settles it); near-ties are the only rows that go further.
    """
    n, m = alon.size, tree.n
    best = np.full(n, -1, dtype=np.int64)
    best_km = np.full(n, np.nan)
    if n == 0 or m == 0:
        return best, best_km
    if pts is None:
        pts = ecef_km(alon, alat)
    k = min(2, m)
    chord, idx = tree.query(pts, k=k, workers=-1)
    chord = chord.reshape(n, k)
    idx = idx.reshape(n, k).astype(np.int64)
    first = idx[:, 0]
    g1 = geodesic_km(alon, alat, blon[first], blat[first])
    done = g1 <= chord[:, -1] if k > 1 else np.ones(n, dtype=bool)
    best[done] = first[done]
    best_km[done] = g1[done]
    todo = np.flatnonzero(~done)
    while todo.size:
        k = min(k * 4, m)
        chord, idx = tree.query(pts[todo], k=k, workers=-1)
        chord = chord.reshape(todo.size, k)
        idx = idx.reshape(todo.size, k).astype(np.int64)
        dist = geodesic_km(alon[todo][:, None], alat[todo][:, None], blon[idx], blat[idx])
        j = np.argmin(dist, axis=1)
        g = dist[np.arange(todo.size), j]
        ok = (g <= chord[:, -1]) | (k == m)
        best[todo[ok]] = idx[ok, j[ok]]
        best_km[todo[ok]] = g[ok]
        todo = todo[~ok]
    return best, best_km


def pairs_within(
    a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, radius_km: float | None = None
) -> pd.DataFrame:
    """Every pair of points of ``a`` and ``b`` within ``radius_km`` on the WGS84 ellipsoid.

    A spatial index (KD-tree on ECEF coordinates) finds the candidates, so the cost grows
    with the pairs found rather than with ``len(a) * len(b)``; every returned distance is
    the exact geodesic.

    Parameters
    ----------
    a, b
        Point GeoDataFrames (any CRS; reprojected to EPSG:4326).
    radius_km
        Radius in kilometres, inclusive (distance ``<= radius_km``); None means
        ``cpgeo.settings.radius_km``.

    Returns
    -------
    pandas.DataFrame
        Columns ``a_index``, ``b_index`` (int64 **positions** 0..n-1 in ``a`` and ``b``,
        not index labels) and ``distance_km`` (geodesic, km), sorted by
        (``a_index``, ``b_index``), default RangeIndex.

    Raises
    ------
    InputError
        If a layer has no CRS or holds a non-point geometry, or the radius is negative.
    """
    radius = resolve_radius(radius_km)
    alon, alat = lonlat(a, "a")
    blon, blat = lonlat(b, "b")
    ia, ib, dist = pairs_arrays(alon, alat, blon, blat, radius)
    log(f"pairs_within: {ia.size} pairs within {radius:g} km among {alon.size} x {blon.size}")
    return pd.DataFrame({"a_index": ia, "b_index": ib, "distance_km": dist})


def coverage_matrix(
    demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, radius_km: float | None = None
) -> sparse.csr_array:
    """Boolean coverage matrix: True where a site is within ``radius_km`` of a demand point.

    Parameters
    ----------
    demand, sites
        Point GeoDataFrames (any CRS; reprojected to EPSG:4326).
    radius_km
        Radius in kilometres on the WGS84 ellipsoid, inclusive; None means
        ``cpgeo.settings.radius_km``.

    Returns
    -------
    scipy.sparse.csr_array
        Shape ``(len(demand), len(sites))``, dtype bool; rows and columns are positions.
        Decisions are exact: only pairs in the 0.13-m chord band near the threshold are
        measured geodesically, the rest are settled by the chord bounds.
    """
    radius = resolve_radius(radius_km)
    dlon, dlat = lonlat(demand, "demand")
    slon, slat = lonlat(sites, "sites")
    ia, ib, _ = pairs_arrays(dlon, dlat, slon, slat, radius, with_distance=False)
    data = np.ones(ia.size, dtype=bool)
    matrix = sparse.csr_array((data, (ia, ib)), shape=(dlon.size, slon.size))
    log(
        f"coverage_matrix: {ia.size} covering pairs within {radius:g} km, "
        f"{dlon.size} demand x {slon.size} sites"
    )
    return matrix


def nearest(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> tuple[IntArray, FloatArray]:
    """Find the geodesically nearest point of ``b`` for every point of ``a``.

    Parameters
    ----------
    a, b
        Point GeoDataFrames (any CRS; reprojected to EPSG:4326).

    Returns
    -------
    positions : numpy.ndarray
        int64 positions (0..len(b)-1) in ``b``; -1 when ``b`` is empty.
    distances : numpy.ndarray
        Geodesic distance in kilometres on the WGS84 ellipsoid; NaN when ``b`` is empty.
    """
    alon, alat = lonlat(a, "a")
    blon, blat = lonlat(b, "b")
    if blon.size == 0 or alon.size == 0:
        pos, km = nearest_arrays(alon, alat, cKDTree(np.empty((0, 3))), blon, blat)
    else:
        order = locality_order(alon, alat)
        pos_s, km_s = nearest_arrays(alon[order], alat[order], _tree(blon, blat), blon, blat)
        pos = np.empty_like(pos_s)
        km = np.empty_like(km_s)
        pos[order] = pos_s
        km[order] = km_s
    log(f"nearest: {alon.size} points against {blon.size}")
    return pos, km


def build_tree(lon: FloatArray, lat: FloatArray) -> cKDTree:
    """KD-tree on the ECEF coordinates (km) of the given points (shared by the modules)."""
    if lon.size == 0:
        return cKDTree(np.empty((0, 3)))
    return _tree(lon, lat)


# -- counting through a quadtree of the counted points ----------------------------------
#
# Counting offices in range of every community one pair at a time costs as many steps as
# there are pairs (hundreds of millions when both layers cluster in the same towns). The
# quadtree below groups communities into nested cells; each office walks down the tree and
# settles whole cells at once. Exactness rests on one fact: every member of a cell lies in
# the cell's ECEF bounding box, so its chord to the office is between the box's nearest and
# farthest distance from the office. A cell whose farthest corner is within the inner chord
# bound is wholly in range (each member gets +1); one whose nearest point is beyond the
# outer bound is wholly out; only cells straddling the bounds are split, and in the leaves
# each member gets the same per-pair test as before (chord bounds, exact geodesic in the
# 0.13-m band). The work per office grows with the number of cells along its circle, not
# with the communities inside it.

_QUAD_BITS = 16  # deepest level: cells 2**-16 of the extent (about 15 m over Iraq)
_QUAD_LEAF = 8  # a cell with at most this many points is not split further
_QUAD_CHUNK = 1024  # offices walked together (bounds the memory of the frontier)


def _spread_bits(v: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Insert a zero bit between each of the low 16 bits of ``v`` (Morton interleave)."""
    v = v & np.uint64(0xFFFF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
    v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
    v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
    return (v | (v << np.uint64(1))) & np.uint64(0x55555555)


class PointQuadtree:
    """Quadtree (Morton order) of points with the ECEF bounding box of every cell.

    Cells are squares in longitude / latitude, used only to group nearby points; all
    geometry is done on the ECEF boxes of the members, which bound them rigorously.

    Attributes
    ----------
    order : numpy.ndarray
        Permutation putting the input points in Morton order (also a good locality
        order for tree queries); every other array here is in that order.
    lon, lat : numpy.ndarray
        Degrees, EPSG:4326, sorted.
    pts : numpy.ndarray
        ECEF coordinates (km), shape ``(n, 3)``, sorted.
    """

    def __init__(self, lon: FloatArray, lat: FloatArray) -> None:
        n = lon.size
        if n:
            lon0, lat0 = float(lon.min()), float(lat.min())
            span = max(float(lon.max()) - lon0, float(lat.max()) - lat0, 1e-9)
            scale = (2**_QUAD_BITS - 1) / span
            qx = ((lon - lon0) * scale).astype(np.uint64)
            qy = ((lat - lat0) * scale).astype(np.uint64)
            key = _spread_bits(qx) | (_spread_bits(qy) << np.uint64(1))
            self.order = np.argsort(key, kind="stable")
            key = key[self.order]
        else:
            self.order = np.empty(0, np.int64)
            key = np.empty(0, np.uint64)
        self.lon = lon[self.order]
        self.lat = lat[self.order]
        self.pts = ecef_km(self.lon, self.lat)
        self.n = n
        self._build(key)

    def _build(self, key: NDArray[np.uint64]) -> None:
        """Cells level by level; only points of cells that are split go one level down."""
        starts, counts, prefixes, levels = [], [], [], []
        active = np.arange(self.n)
        for level in range(_QUAD_BITS + 1):
            if active.size == 0:
                break
            prefix = key[active] >> np.uint64(2 * (_QUAD_BITS - level))
            # the points of a cell are consecutive in Morton order
            first = np.flatnonzero(np.r_[True, prefix[1:] != prefix[:-1]])
            size = np.diff(np.r_[first, active.size])
            starts.append(active[first])
            counts.append(size)
            prefixes.append(prefix[first])
            levels.append(np.full(first.size, level))
            split = size > _QUAD_LEAF if level < _QUAD_BITS else np.zeros(first.size, bool)
            active = active[np.repeat(split, size)]
        self.start = np.concatenate(starts).astype(np.int64)
        self.count = np.concatenate(counts).astype(np.int64)
        n_nodes = self.start.size
        # children: cells one level down whose points lie in the parent's range
        offsets = np.cumsum([0] + [s.size for s in starts])
        self.child_first = np.zeros(n_nodes, np.int64)
        self.child_count = np.zeros(n_nodes, np.int64)
        for lv in range(len(starts) - 1):
            kids = slice(offsets[lv + 1], offsets[lv + 2])
            parent_of = np.searchsorted(starts[lv], starts[lv + 1], side="right") - 1
            parent = offsets[lv] + parent_of
            self.child_count += np.bincount(parent, minlength=n_nodes)
            first_kid = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])
            self.child_first[parent[first_kid]] = np.arange(kids.start, kids.stop)[first_kid]
        # ECEF bounding boxes: the leaves' from their points (the leaves partition the
        # points), then each level's from its children's, deepest level first
        self.lo = np.empty((3, n_nodes))
        self.hi = np.empty((3, n_nodes))
        leaves = np.flatnonzero(self.child_count == 0)
        leaves = leaves[np.argsort(self.start[leaves])]
        for k in range(3):
            coord = np.ascontiguousarray(self.pts[:, k])
            self.lo[k, leaves] = np.minimum.reduceat(coord, self.start[leaves])
            self.hi[k, leaves] = np.maximum.reduceat(coord, self.start[leaves])
        for lv in range(len(starts) - 2, -1, -1):
            nodes = np.arange(offsets[lv], offsets[lv + 1])
            parents = nodes[self.child_count[nodes] > 0]
            if parents.size == 0:
                continue
            kids = slice(offsets[lv + 1], offsets[lv + 2])
            first = self.child_first[parents] - kids.start
            self.lo[:, parents] = np.minimum.reduceat(self.lo[:, kids], first, axis=1)
            self.hi[:, parents] = np.maximum.reduceat(self.hi[:, kids], first, axis=1)


def _ranges(start: IntArray, count: IntArray) -> IntArray:
    """Concatenation of ``arange(s, s + c)`` for each (s, c), vectorised."""
    total = int(count.sum())
    if total == 0:
        return np.empty(0, np.int64)
    offsets = np.cumsum(count) - count
    return np.repeat(start - offsets, count) + np.arange(total)


def count_within_quadtree(
    qt: PointQuadtree, blon: FloatArray, blat: FloatArray, radius_km: float
) -> IntArray:
    """For each point of ``qt`` (in its Morton order), the points of b within ``radius_km``.

    Exact (see the comment above :class:`PointQuadtree`); pairs are never materialised.
    """
    n = qt.n
    if n == 0 or blon.size == 0:
        return np.zeros(n, dtype=np.int64)
    outer2 = outer_chord_km(radius_km) ** 2
    inner2 = inner_chord_km(radius_km) ** 2
    bpts = np.ascontiguousarray(ecef_km(blon, blat).T)
    chunks = [
        np.arange(c0, min(c0 + _QUAD_CHUNK, blon.size)) for c0 in range(0, blon.size, _QUAD_CHUNK)
    ]

    def walk(office: IntArray) -> tuple[IntArray, IntArray]:
        """Cells wholly in range of these offices (one entry per hit), and point hits."""
        node = np.zeros(office.size, np.int64)  # every office starts at the root
        hits, leaf_office, leaf_node = [], [], []
        while office.size:
            near2 = np.zeros(office.size)  # squared distance to the cell's box
            far2 = np.zeros(office.size)  # squared distance to its farthest corner
            for k in range(3):
                p = bpts[k, office]
                below = qt.lo[k, node] - p
                above = p - qt.hi[k, node]
                gap = np.maximum(np.maximum(below, above), 0.0)
                near2 += gap * gap
                reach = np.maximum(-below, -above)
                far2 += reach * reach
            inside = far2 <= inner2
            hits.append(node[inside])
            straddle = ~inside & (near2 <= outer2)
            office, node = office[straddle], node[straddle]
            leaf = qt.child_count[node] == 0
            leaf_office.append(office[leaf])
            leaf_node.append(node[leaf])
            office, node = office[~leaf], node[~leaf]
            kids = qt.child_count[node]
            office = np.repeat(office, kids)
            node = _ranges(qt.child_first[node], kids)
        lnode = np.concatenate(leaf_node)
        sizes = qt.count[lnode]
        member = _ranges(qt.start[lnode], sizes)
        office = np.repeat(np.concatenate(leaf_office), sizes)
        d = qt.pts[member] - bpts[:, office].T
        chord2 = np.einsum("ij,ij->i", d, d)
        sure = chord2 <= inner2
        band = np.flatnonzero(~sure & (chord2 <= outer2))
        if band.size:
            i, j = member[band], office[band]
            sure[band] = geodesic_km(qt.lon[i], qt.lat[i], blon[j], blat[j]) <= radius_km
        return np.concatenate(hits), member[sure]

    node_hits = np.zeros(qt.start.size, np.int64)
    point_hits = np.zeros(n, np.int64)
    for chunk in chunks:
        cells, points = walk(chunk)
        node_hits += np.bincount(cells, minlength=node_hits.size)
        point_hits += np.bincount(points, minlength=n)
    # a hit on a cell counts for each of its points: spread with a difference array
    diff = np.bincount(qt.start, weights=node_hits, minlength=n + 1)
    diff -= np.bincount(qt.start + qt.count, weights=node_hits, minlength=n + 1)
    return point_hits + np.rint(np.cumsum(diff[:n])).astype(np.int64)
