"""Forums (CPFs) per office: current load, status of each forum, capacity-respecting assignment."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo._ids import id_array
from cpgeo._log import log
from cpgeo.coverage._community import layer_ids, output_frame
from cpgeo.coverage._geodesic import geodesic_km
from cpgeo.coverage._index import lonlat, pairs_arrays, resolve_radius

#: Values of the ``status`` column of :func:`cpf_status`.
CPF_STATUSES = ("in_range", "out_of_range", "no_office_in_range", "unknown_office")


def _resolve_capacity(max_cpfs: int | None) -> int:
    capacity = settings.max_cpfs if max_cpfs is None else max_cpfs
    if isinstance(capacity, bool) or int(capacity) != capacity or capacity < 0:
        msg = f"max_cpfs must be a whole number >= 0, got {capacity!r}"
        raise InputError(msg)
    return int(capacity)


def _office_ids(offices: gpd.GeoDataFrame) -> np.ndarray:
    ids = layer_ids(offices)
    seen = pd.Series(ids).duplicated()
    if seen.any():
        dup = ", ".join(sorted({str(x) for x in ids[seen.to_numpy()]})[:5])
        msg = f"offices: duplicate office id(s) {dup}; each office needs a unique id"
        raise InputError(msg)
    return ids


def _declared(cpfs: gpd.GeoDataFrame) -> np.ndarray:
    """Return the declared office id per forum as id text (None where there is none)."""
    if "office_id" not in cpfs.columns:
        return np.full(len(cpfs), None, dtype=object)
    return id_array(cpfs["office_id"])


@dataclass(frozen=True)
class _Status:
    assigned: np.ndarray  # office position per forum, -1 for none
    assigned_km: np.ndarray
    in_range_count: np.ndarray
    status: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]  # forum pos, office pos, km (in range)


def _status(
    offices: gpd.GeoDataFrame, cpfs: gpd.GeoDataFrame, radius: float
) -> tuple[_Status, np.ndarray]:
    olon, olat = lonlat(offices, "offices")
    flon, flat = lonlat(cpfs, "cpfs")
    ids = _office_ids(offices)
    n = flon.size
    ia, ib, dist = pairs_arrays(flon, flat, olon, olat, radius)
    in_range_count = np.bincount(ia, minlength=n).astype(np.int64)

    # nearest office in range: pairs are sorted by forum, so take the minimum per forum
    nearest_pos = np.full(n, -1, dtype=np.int64)
    nearest_km = np.full(n, np.nan)
    if ia.size:
        order = np.lexsort((dist, ia))
        first = np.ones(order.size, dtype=bool)
        first[1:] = ia[order][1:] != ia[order][:-1]
        rows = order[first]
        nearest_pos[ia[rows]] = ib[rows]
        nearest_km[ia[rows]] = dist[rows]

    position = {office_id: i for i, office_id in enumerate(ids)}
    declared = _declared(cpfs)
    assigned = nearest_pos.copy()
    assigned_km = nearest_km.copy()
    status = np.where(nearest_pos >= 0, "in_range", "no_office_in_range").astype(object)
    has_decl = np.flatnonzero(pd.notna(declared))
    decl_pos = np.array([position.get(declared[i], -1) for i in has_decl], dtype=np.int64)
    unknown = has_decl[decl_pos < 0]
    known = has_decl[decl_pos >= 0]
    known_pos = decl_pos[decl_pos >= 0]
    assigned[unknown] = -1
    assigned_km[unknown] = np.nan
    status[unknown] = "unknown_office"
    if known.size:
        km = geodesic_km(flon[known], flat[known], olon[known_pos], olat[known_pos])
        assigned[known] = known_pos
        assigned_km[known] = km
        status[known] = np.where(km <= radius, "in_range", "out_of_range")
    return _Status(assigned, assigned_km, in_range_count, status, (ia, ib, dist)), ids


def _ids_at(ids: np.ndarray, positions: np.ndarray, index: pd.Index) -> pd.Series:
    values = np.full(positions.size, None, dtype=object)
    ok = positions >= 0
    values[ok] = ids[positions[ok]]
    return pd.Series(pd.array(values, dtype="string"), index=index)


def _status_frame(
    cpfs: gpd.GeoDataFrame, st: _Status, ids: np.ndarray, radius: float
) -> gpd.GeoDataFrame:
    out = output_frame(cpfs)
    out["assigned_office"] = _ids_at(ids, st.assigned, out.index)
    out["assigned_km"] = st.assigned_km
    out["offices_in_range"] = st.in_range_count
    out["status"] = pd.Series(pd.array(st.status, dtype="string"), index=out.index)
    counts = pd.Series(st.status).value_counts()
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in CPF_STATUSES)
    log(f"cpf_status: {len(out)} forums within {radius:g} km: {summary}")
    return out


def _load_frame(
    offices: gpd.GeoDataFrame, st: _Status, ids: np.ndarray, capacity: int
) -> gpd.GeoDataFrame:
    m = ids.size
    counted = st.assigned[st.assigned >= 0]
    n_cpfs = np.bincount(counted, minlength=m).astype(np.int64)
    out_pos = st.assigned[st.status == "out_of_range"]
    n_out = np.bincount(out_pos, minlength=m).astype(np.int64)
    out = output_frame(offices)
    out["n_cpfs"] = n_cpfs
    out["capacity"] = np.full(m, capacity, dtype=np.int64)
    out["over_capacity"] = n_cpfs > capacity
    out["n_out_of_range"] = n_out
    log(
        f"office_load: {m} offices, {int(n_cpfs.sum())} forums counted, "
        f"{int(np.count_nonzero(n_cpfs > capacity))} over capacity ({capacity})"
    )
    return out


def cpf_status(
    offices: gpd.GeoDataFrame, cpfs: gpd.GeoDataFrame, radius_km: float | None = None
) -> gpd.GeoDataFrame:
    """Find the office each forum (CPF) counts against, and whether it is within range.

    A forum counts against its declared office (column ``office_id``) even when that
    office is beyond the radius; without a declaration, against its geodesically nearest
    office within the radius. Ids match whatever their dtype (``1``, ``1.0``, ``"1"``).

    Parameters
    ----------
    offices, cpfs
        Point GeoDataFrames (any CRS with a definition; EPSG:4326 expected). Offices are
        named by their unique ``id`` column; forums may have an ``office_id`` column.
    radius_km
        Catchment radius, kilometres on the WGS84 ellipsoid, inclusive; None means
        ``cpgeo.settings.radius_km``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``cpfs`` in EPSG:4326 with ``assigned_office`` (string office id; NA when
        the forum counts against no office), ``assigned_km`` (geodesic km to it; NaN when
        none), ``offices_in_range`` (int64: offices within the radius, declared or not)
        and ``status``, one of ``"in_range"``, ``"out_of_range"`` (declared office beyond
        the radius), ``"no_office_in_range"`` (no declared office and none within the
        radius) and ``"unknown_office"`` (declared ``office_id`` that is not an office's
        id; the forum then counts against no office). A forum with no office within the
        radius at all has ``offices_in_range == 0``, whatever its status.

    Raises
    ------
    InputError
        If a layer has no CRS or holds non-point geometries, office ids repeat, or the
        radius is negative.
    """
    radius = resolve_radius(radius_km)
    st, ids = _status(offices, cpfs, radius)
    return _status_frame(cpfs, st, ids, radius)


def office_load(
    offices: gpd.GeoDataFrame,
    cpfs: gpd.GeoDataFrame,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
) -> gpd.GeoDataFrame:
    """Forums (CPFs) per office and the over-capacity flag.

    Forums are counted as in :func:`cpf_status`: against the declared office, else the
    nearest office within the radius.

    Parameters
    ----------
    offices, cpfs
        Point GeoDataFrames (see :func:`cpf_status`).
    radius_km
        Catchment radius, km on the WGS84 ellipsoid; None means ``settings.radius_km``.
    max_cpfs
        Forums one office can serve; None means ``settings.max_cpfs``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``offices`` in EPSG:4326 with ``n_cpfs`` (int64 forums counted against
        the office), ``capacity`` (int64, ``max_cpfs``), ``over_capacity`` (bool,
        ``n_cpfs > max_cpfs``) and ``n_out_of_range`` (int64 forums declared to the office
        but beyond the radius).
    """
    radius = resolve_radius(radius_km)
    capacity = _resolve_capacity(max_cpfs)
    st, ids = _status(offices, cpfs, radius)
    return _load_frame(offices, st, ids, capacity)


@dataclass(frozen=True)
class CpfAssignment:
    """A capacity-respecting assignment of forums (CPFs) to offices.

    Attributes
    ----------
    cpfs
        The forums (EPSG:4326) with ``office_before`` (string id of the office the forum
        counts against today, see :func:`cpf_status`; NA when none), ``assigned_office``
        (string id, NA if unserved), ``distance_km`` (geodesic km, NaN if unserved),
        ``served`` (bool) and ``moved`` (bool: served by an office other than
        ``office_before``; an unserved forum never counts as moved).
    offices
        The offices (EPSG:4326) with ``n_cpfs`` (forums served by each after the
        reassignment) and ``capacity``.
    n_served, n_unserved
        Forums served / not served.
    n_reachable
        Forums with at least one office within the radius (the most that can be served).
    n_moved
        Served forums that change office.
    total_km
        Sum of the served forums' geodesic distances, km.
    removes_overload
        True when every forum within the radius of some office is served (so no office
        needs to carry more than ``max_cpfs``).
    radius_km, max_cpfs
        The radius (km, geodesic on WGS84) and capacity used.
    """

    cpfs: gpd.GeoDataFrame
    offices: gpd.GeoDataFrame
    n_served: int
    n_unserved: int
    n_reachable: int
    n_moved: int
    total_km: float
    removes_overload: bool
    radius_km: float
    max_cpfs: int


def _max_flow_min_cost(
    n: int,
    m: int,
    fi: np.ndarray,
    oj: np.ndarray,
    km: np.ndarray,
    capacity: int,
    current: np.ndarray,
) -> np.ndarray:
    """Solve the assignment; returns the office position per forum (-1 unserved).

    Network: source -> forum (capacity 1) -> office within the radius (capacity 1) ->
    sink (capacity ``max_cpfs``). The cost of forum -> office is the geodesic in integer
    millimetres, plus a penalty larger than any total of distances when the office is
    not the forum's ``current`` one. A maximum flow of minimum cost therefore serves the
    most forums, then moves the fewest, then minimises the total distance (to within
    half a millimetre per forum, from the rounding).
    """
    result = np.full(n, -1, dtype=np.int64)
    if fi.size == 0 or capacity == 0:
        return result
    cost_mm = np.rint(km * 1e6).astype(np.int64)
    penalty = int(cost_mm.max(initial=0)) * (n + 1) + 1
    cost = cost_mm + np.where(oj == current[fi], 0, penalty)
    graph = nx.DiGraph()
    source, sink = ("s",), ("t",)
    for i in np.unique(fi).tolist():
        graph.add_edge(source, ("f", i), capacity=1, weight=0)
    for j in np.unique(oj).tolist():
        graph.add_edge(("o", j), sink, capacity=capacity, weight=0)
    for i, j, c in zip(fi.tolist(), oj.tolist(), cost.tolist(), strict=True):
        graph.add_edge(("f", i), ("o", j), capacity=1, weight=c)
    flow = nx.max_flow_min_cost(graph, source, sink)
    for i in np.unique(fi).tolist():
        for node, value in flow[("f", i)].items():
            if value > 0:
                result[i] = node[1]
    return result


def _assignment(
    offices: gpd.GeoDataFrame,
    cpfs: gpd.GeoDataFrame,
    st: _Status,
    ids: np.ndarray,
    radius: float,
    capacity: int,
) -> CpfAssignment:
    n, m = len(cpfs), ids.size
    fi, oj, km = st.pairs
    new = _max_flow_min_cost(n, m, fi, oj, km, capacity, st.assigned)

    served = new >= 0
    dist = np.full(n, np.nan)
    lookup = dict(zip(zip(fi.tolist(), oj.tolist(), strict=True), km.tolist(), strict=True))
    for i in np.flatnonzero(served).tolist():
        dist[i] = lookup[(i, int(new[i]))]
    moved = served & (new != st.assigned)

    out = output_frame(cpfs)
    out["office_before"] = _ids_at(ids, st.assigned, out.index)
    out["assigned_office"] = _ids_at(ids, new, out.index)
    out["distance_km"] = dist
    out["served"] = served
    out["moved"] = moved
    off = output_frame(offices)
    off["n_cpfs"] = np.bincount(new[served], minlength=m).astype(np.int64)
    off["capacity"] = np.full(m, capacity, dtype=np.int64)

    n_served = int(served.sum())
    reachable = int(np.count_nonzero(st.in_range_count > 0))
    log(
        f"assign_cpfs: {n_served} of {reachable} forums within {radius:g} km of an office "
        f"served at {capacity} per office, {int(moved.sum())} change office"
    )
    return CpfAssignment(
        cpfs=out,
        offices=off,
        n_served=n_served,
        n_unserved=n - n_served,
        n_reachable=reachable,
        n_moved=int(moved.sum()),
        total_km=float(np.nansum(dist)),
        removes_overload=n_served == reachable,
        radius_km=radius,
        max_cpfs=capacity,
    )


def assign_cpfs(
    offices: gpd.GeoDataFrame,
    cpfs: gpd.GeoDataFrame,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
) -> CpfAssignment:
    """Reassign forums to offices within the radius without exceeding any office's capacity.

    Formulation (a transportation problem, solved as a min-cost flow): binary ``x[i, j]``
    for forum ``i`` and office ``j`` with geodesic ``d[i, j] <= radius_km``; constraints
    ``sum_j x[i, j] <= 1`` and ``sum_i x[i, j] <= max_cpfs``; objective, in this order:
    maximise the number of forums served; among those assignments, minimise the number
    of forums served by an office other than the one they count against today (see
    :func:`cpf_status`); then minimise ``sum d[i, j] x[i, j]``.

    Parameters
    ----------
    offices, cpfs
        Point GeoDataFrames (see :func:`cpf_status`).
    radius_km
        Catchment radius, km on the WGS84 ellipsoid; None means ``settings.radius_km``.
    max_cpfs
        Forums one office can serve; None means ``settings.max_cpfs``.

    Returns
    -------
    CpfAssignment
    """
    radius = resolve_radius(radius_km)
    capacity = _resolve_capacity(max_cpfs)
    st, ids = _status(offices, cpfs, radius)
    return _assignment(offices, cpfs, st, ids, radius, capacity)


def network_state(
    offices: gpd.GeoDataFrame,
    cpfs: gpd.GeoDataFrame,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, CpfAssignment]:
    """Return :func:`office_load`, :func:`cpf_status` and :func:`assign_cpfs` at once.

    The three answer from one search of the forum-office pairs within the radius, so
    they always describe the same network.
    """
    radius = resolve_radius(radius_km)
    capacity = _resolve_capacity(max_cpfs)
    st, ids = _status(offices, cpfs, radius)
    return (
        _load_frame(offices, st, ids, capacity),
        _status_frame(cpfs, st, ids, radius),
        _assignment(offices, cpfs, st, ids, radius, capacity),
    )
