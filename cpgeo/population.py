"""Population within reach of offices, from a gridded population raster.

Rasters such as WorldPop or GHSL give people per cell. A cell counts as within an
office's radius when **its centre** is within the geodesic radius (WGS84 ellipsoid,
inclusive) of the office; its whole value is then counted, never a fraction.

Cells whose value is the raster's nodata value, NaN, or negative are ignored (they hold no
people): population rasters mark water and areas outside the country that way.

The raster is never loaded whole. Each office's catchment is found row by row: along a
raster row the distance to the office has a single minimum (true for geographic rasters
and for ordinary projected ones, e.g. UTM, at regional scale), so the cells within the
radius form one run per row, whose two ends a binary search finds with a few dozen exact
geodesic evaluations. The raster is then read in strips of rows (only the columns some
catchment needs), and each run is summed from a running total along its row. Peak memory
is a strip (about :data:`STRIP_CELLS` cells, rounded to the file's blocks: 100-200 MB
with its working arrays), the runs (about 40 bytes per office and catchment row, at most
:data:`BATCH_RUNS` at a time) and a GDAL block cache of :data:`GDAL_CACHE_MB`. Measured
on a 12,000 x 10,000 float32 raster over Iraq (``bench/population.py``) with 1,000
offices and a 50-km radius: peak resident memory about 570 MB for
:func:`population_within` and 630 MB for :func:`population_coverage`, of which about
280 MB is Python with numpy, GeoPandas, pyproj and rasterio loaded; loading the raster
whole instead takes 1.1 GB.

Works with rasters in EPSG:4326 (or another geographic CRS) and in projected CRSs: cell
centres are taken to longitude/latitude with pyproj before measuring. Rotated (sheared)
rasters are not supported; warp them first. rasterio is imported only when used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer

from cpgeo import settings
from cpgeo._deps import require
from cpgeo._errors import InputError
from cpgeo._log import log

if TYPE_CHECKING:

    import geopandas as gpd

__all__ = ["BATCH_RUNS", "GDAL_CACHE_MB", "STRIP_CELLS", "population_coverage", "population_within"]

_GEOD = Geod(ellps="WGS84")

#: Most raster cells read at once (one strip of rows).
STRIP_CELLS: int = 4_000_000

#: Most (office, row) runs held at once; offices are processed in batches below this.
BATCH_RUNS: int = 4_000_000

#: Points on the circle used to bound an office's catchment window.
_RING_POINTS = 360


@dataclass(frozen=True)
class _Grid:
    """What the catchment search needs from a raster: its grid and CRS."""

    width: int
    height: int
    a: float  # x = a * col + c  (cell edges)
    c: float
    e: float  # y = e * row + f
    f: float
    to_lonlat: Transformer | None  # raster CRS -> EPSG:4326, None when already lon/lat
    from_lonlat: Transformer | None

    def centres_lonlat(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, ...]:
        """Longitude/latitude (degrees) of the centres of cells (rows, cols)."""
        x = self.a * (cols + 0.5) + self.c
        y = self.e * (rows + 0.5) + self.f
        if self.to_lonlat is not None:
            x, y = self.to_lonlat.transform(x, y)
        return np.asarray(x), np.asarray(y)


def _grid_of(dataset: Any, source: str) -> _Grid:
    if dataset.crs is None:
        msg = f"{source}: the raster has no CRS; set one (e.g. EPSG:4326)"
        raise InputError(msg)
    t = dataset.transform
    if t.b != 0 or t.d != 0:
        msg = f"{source}: rotated rasters are not supported; warp it to a north-up grid first"
        raise InputError(msg)
    crs = CRS.from_user_input(dataset.crs.to_wkt())
    wgs84 = CRS.from_epsg(4326)
    if crs.equals(wgs84, ignore_axis_order=True):
        to_ll = from_ll = None
    else:
        to_ll = Transformer.from_crs(crs, wgs84, always_xy=True)
        from_ll = Transformer.from_crs(wgs84, crs, always_xy=True)
    return _Grid(dataset.width, dataset.height, t.a, t.c, t.e, t.f, to_ll, from_ll)


def _office_points(offices: gpd.GeoDataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    if offices.crs is None:
        msg = "offices have no CRS; set one (EPSG:4326 for longitude/latitude)"
        raise InputError(msg)
    if "id" not in offices.columns:
        msg = "offices need an 'id' column"
        raise InputError(msg)
    geoms = offices.geometry
    if not geoms.crs.equals("EPSG:4326"):
        geoms = geoms.to_crs("EPSG:4326")
    values = geoms.to_numpy()
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    if np.any(shapely.get_type_id(values[present]) != 0):
        msg = "offices must be points"
        raise InputError(msg)
    lon = np.full(len(values), np.nan)
    lat = np.full(len(values), np.nan)
    lon[present] = shapely.get_x(values[present])
    lat[present] = shapely.get_y(values[present])
    ids = pd.Index(offices["id"].astype("str"), name="id")
    return ids, lon, lat


def _radius_m(radius_km: float | None) -> float:
    radius = settings.radius_km if radius_km is None else float(radius_km)
    if not radius > 0:
        msg = f"radius_km must be a positive number of kilometres, got {radius:g}"
        raise InputError(msg)
    return radius * 1000.0


# --------------------------------------------------------------------------- catchments


@dataclass
class _Runs:
    """Cells within the radius: office ``office[i]`` covers ``row[i]``, cols left..right."""

    office: np.ndarray
    row: np.ndarray
    left: np.ndarray
    right: np.ndarray


def _windows(grid: _Grid, lon: np.ndarray, lat: np.ndarray,
             radius_m: float) -> tuple[np.ndarray, ...]:
    """Row and column ranges (inclusive, clipped) that can hold each office's catchment.

    Also returns the circle's points (one row per office) in fractional pixel columns
    and rows.
    """
    n = lon.size
    finite = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = np.where(finite, lon, 0.0), np.where(finite, lat, 0.0)
    az = np.linspace(0.0, 360.0, _RING_POINTS, endpoint=False)
    rlon, rlat, _ = _GEOD.fwd(
        np.repeat(lon, az.size), np.repeat(lat, az.size), np.tile(az, n),
        np.full(n * az.size, radius_m),
    )
    rx, ry = np.asarray(rlon), np.asarray(rlat)
    if grid.from_lonlat is not None:
        rx, ry = grid.from_lonlat.transform(rx, ry)
    # Ring and office in fractional pixel coordinates; the centre of cell (r, c) is at
    # (c + 0.5, r + 0.5).
    cols = ((np.asarray(rx) - grid.c) / grid.a).reshape(n, az.size)
    rows = ((np.asarray(ry) - grid.f) / grid.e).reshape(n, az.size)
    # Between two ring points the circle bulges out by r (1 - cos(pi / N)): a few metres
    # for 50 km. A margin of two cells covers it for any cell size above that.
    pad = 2
    col0 = np.floor(cols.min(axis=1) - 0.5) - pad
    col1 = np.ceil(cols.max(axis=1) - 0.5) + pad
    row0 = np.floor(rows.min(axis=1) - 0.5) - pad
    row1 = np.ceil(rows.max(axis=1) - 0.5) + pad
    col0 = np.clip(col0, 0, grid.width - 1)
    col1 = np.clip(col1, -1, grid.width - 1)
    row0 = np.clip(row0, 0, grid.height - 1)
    row1 = np.clip(row1, -1, grid.height - 1)
    bad = ~finite | ~np.isfinite(cols).all(axis=1) | ~np.isfinite(rows).all(axis=1)
    bad |= (col1 < col0) | (row1 < row0)
    row0, col0, col1 = (np.where(bad, 0, v) for v in (row0, col0, col1))
    row1 = np.where(bad, -1, row1)
    return (row0.astype(np.int64), row1.astype(np.int64), col0.astype(np.int64),
            col1.astype(np.int64), cols, rows)


def _guess_ends(ring_cols: np.ndarray, ring_rows: np.ndarray, counts: np.ndarray,
                row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First guess of each run's ends: where the row's centre line crosses the circle.

    The circle's points are split into the halves east and west of the north-south
    line (azimuths 0-180 and 180-360); each is interpolated along rows. Rows the circle
    does not reach get an empty guess (left > right).
    """
    half = _RING_POINTS // 2
    left = np.empty(row.size)
    right = np.empty(row.size)
    start = 0
    for k, count in enumerate(counts):
        if count == 0:
            continue
        y = row[start:start + count] + 0.5
        east_r, east_c = ring_rows[k, :half + 1], ring_cols[k, :half + 1]
        west_r = np.r_[ring_rows[k, half:], ring_rows[k, :1]]
        west_c = np.r_[ring_cols[k, half:], ring_cols[k, :1]]
        oe, ow = np.argsort(east_r), np.argsort(west_r)
        xe = np.interp(y, east_r[oe], east_c[oe], left=np.nan, right=np.nan)
        xw = np.interp(y, west_r[ow], west_c[ow], left=np.nan, right=np.nan)
        lo_x, hi_x = np.fmin(xe, xw), np.fmax(xe, xw)
        left[start:start + count] = np.ceil(lo_x - 0.5)
        right[start:start + count] = np.floor(hi_x - 0.5)
        start += count
    empty = ~(np.isfinite(left) & np.isfinite(right)) | (left > right)
    left = np.where(empty, 1, left)
    right = np.where(empty, 0, right)
    return left.astype(np.int64), right.astype(np.int64)


def _runs(grid: _Grid, lon: np.ndarray, lat: np.ndarray, radius_m: float,
          offices: np.ndarray) -> _Runs:
    """Find, row by row, the run of cells whose centres are within ``radius_m``."""
    row0, row1, col0, col1, ring_cols, ring_rows = _windows(
        grid, lon[offices], lat[offices], radius_m)
    counts = np.maximum(row1 - row0 + 1, 0)
    office = np.repeat(offices, counts)
    first = np.repeat(row0 - np.cumsum(np.r_[0, counts[:-1]]), counts)
    row = first + np.arange(office.size)
    lo = np.repeat(col0, counts)
    hi = np.repeat(col1, counts)
    olon, olat = lon[office], lat[office]

    def dist(idx: np.ndarray, cols: np.ndarray) -> np.ndarray:
        x, y = grid.centres_lonlat(row[idx].astype(float), cols.astype(float))
        return np.asarray(_GEOD.inv(olon[idx], olat[idx], x, y)[2])

    # 0. Fast path: guess the ends from the circle's outline and check them exactly.
    #    With one minimum per row, ends l <= r are right when f(l) <= R < f(l - 1) and
    #    f(r) <= R < f(r + 1) (or l, r at the window's edge): every cell between is then
    #    within R and every cell outside is not.
    gl, gr = _guess_ends(ring_cols, ring_rows, counts, row)
    gl, gr = np.clip(gl, lo, hi + 1), np.clip(gr, lo - 1, hi)
    maybe = np.flatnonzero(gl <= gr)
    ok = dist(maybe, gl[maybe]) <= radius_m
    ok &= dist(maybe, gr[maybe]) <= radius_m
    inner = maybe[ok]
    at_lo = gl[inner] == lo[inner]
    out_l = np.ones(inner.size, dtype=bool)
    out_l[~at_lo] = dist(inner[~at_lo], gl[inner[~at_lo]] - 1) > radius_m
    at_hi = gr[inner] == hi[inner]
    out_r = np.ones(inner.size, dtype=bool)
    out_r[~at_hi] = dist(inner[~at_hi], gr[inner[~at_hi]] + 1) > radius_m
    good = inner[out_l & out_r]
    fast = _Runs(office[good], row[good], gl[good], gr[good])
    rest = np.setdiff1d(np.arange(office.size), good, assume_unique=True)
    office, row, lo, hi = office[rest], row[rest], lo[rest], hi[rest]
    olon, olat = olon[rest], olat[rest]

    # 1. Otherwise find the cell of each row nearest the office: start below the office
    #    and walk downhill (a geographic raster needs no step; a projected one one or two).
    if grid.from_lonlat is not None:
        ox, _ = grid.from_lonlat.transform(olon, olat)
    else:
        ox = olon
    best = np.clip(np.floor((np.asarray(ox) - grid.c) / grid.a), lo, hi).astype(np.int64)
    all_idx = np.arange(office.size)
    dbest = dist(all_idx, best)
    moving = all_idx
    while moving.size:
        cand = []
        for step in (-1, 1):
            nxt = np.clip(best[moving] + step, lo[moving], hi[moving])
            cand.append((nxt, dist(moving, nxt)))
        (ln, ld), (rn, rd) = cand
        go_left = ld < dbest[moving]
        go_right = (rd < dbest[moving]) & (rd <= ld)
        go_left &= ~go_right
        new = np.where(go_right, rn, np.where(go_left, ln, best[moving]))
        newd = np.where(go_right, rd, np.where(go_left, ld, dbest[moving]))
        changed = new != best[moving]
        best[moving], dbest[moving] = new, newd
        moving = moving[changed]

    inside = dbest <= radius_m
    idx = all_idx[inside]
    # 2. Left end: first column in [lo, best] within the radius (distance falls to best).
    a, b = lo[idx].copy(), best[idx].copy()
    active = np.flatnonzero(a < b)
    while active.size:
        m = (a[active] + b[active]) // 2
        ok = dist(idx[active], m) <= radius_m
        b[active[ok]] = m[ok]
        a[active[~ok]] = m[~ok] + 1
        active = active[a[active] < b[active]]
    left = a
    # 3. Right end: last column in [best, hi] within the radius.
    a, b = best[idx].copy(), hi[idx].copy()
    active = np.flatnonzero(a < b)
    while active.size:
        m = (a[active] + b[active] + 1) // 2
        ok = dist(idx[active], m) <= radius_m
        a[active[ok]] = m[ok]
        b[active[~ok]] = m[~ok] - 1
        active = active[a[active] < b[active]]
    right = a
    return _Runs(np.r_[fast.office, office[idx]], np.r_[fast.row, row[idx]],
                 np.r_[fast.left, left], np.r_[fast.right, right])


def _batches(grid: _Grid, lon: np.ndarray, lat: np.ndarray, radius_m: float) -> list[np.ndarray]:
    """Split offices (sorted north to south) into batches of at most BATCH_RUNS rows."""
    row0, row1, *_ = _windows(grid, lon, lat, radius_m)
    sizes = np.maximum(row1 - row0 + 1, 0)
    order = np.argsort(row0, kind="stable")
    order = order[sizes[order] > 0]
    batches: list[np.ndarray] = []
    start, total = 0, 0
    for i, pos in enumerate(order):
        if total and total + sizes[pos] > BATCH_RUNS:
            batches.append(order[start:i])
            start, total = i, 0
        total += sizes[pos]
    if start < order.size:
        batches.append(order[start:])
    return batches


# --------------------------------------------------------------------------- reading


#: GDAL block cache (MB) while cpgeo reads a raster: strips are read once in order, so a
#: small cache suffices, where GDAL's default (5% of the machine's memory) would fill up.
GDAL_CACHE_MB: int = 64


def _strip_height(dataset: Any, band: int) -> int:
    """Rows per strip: about STRIP_CELLS cells, a whole number of the file's blocks."""
    base = max(1, STRIP_CELLS // max(dataset.width, 1))
    block = int(dataset.block_shapes[band - 1][0])
    if 1 < block < dataset.height:
        return max(block, base // block * block)
    return base


def _read_clean(dataset: Any, band: int, window: Any) -> np.ndarray:
    """Read a window as float64 with nodata, NaN and negative cells set to 0."""
    data = dataset.read(band, window=window).astype(np.float64, copy=False)
    bad = ~np.isfinite(data) | (data < 0)
    nodata = dataset.nodatavals[band - 1]
    if nodata is not None and not np.isnan(nodata):
        bad |= data == nodata
    data[bad] = 0.0
    return data


@contextmanager
def _open(raster_path: str | Path) -> Iterator[Any]:
    """Open a raster with a small GDAL block cache."""
    rasterio = require("rasterio", "population rasters")
    path = Path(raster_path)
    if not path.is_file():
        msg = f"{path}: no such raster file"
        raise FileNotFoundError(msg)
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        try:
            dataset = rasterio.open(path)
        except rasterio.errors.RasterioIOError as exc:
            msg = f"{path}: not a readable raster ({exc})"
            raise InputError(msg) from exc
        with dataset:
            yield dataset


def _check_band(dataset: Any, band: int, source: str) -> None:
    if not 1 <= band <= dataset.count:
        msg = f"{source}: band {band} does not exist (the raster has {dataset.count})"
        raise InputError(msg)


def population_within(
    raster_path: str | Path,
    offices: gpd.GeoDataFrame,
    radius_km: float | None = None,
    *,
    band: int = 1,
) -> pd.Series:
    """Return the population within the geodesic radius of each office.

    A cell counts when its centre is within ``radius_km`` (inclusive) of the office on
    the WGS84 ellipsoid; nodata, NaN and negative cells are ignored. Catchments may
    overlap: a cell counts once for every office it is in range of. Parts of a catchment
    beyond the raster's edge hold nobody. The raster is read in strips (see the module
    notes for memory).

    Parameters
    ----------
    raster_path
        A population raster (people per cell), e.g. a WorldPop or GHSL GeoTIFF, in
        EPSG:4326 or a projected CRS.
    offices
        Point layer with an ``id`` column (any CRS; measured in EPSG:4326).
    radius_km
        Radius in km; default ``settings.radius_km``.
    band
        Raster band holding the population.

    Returns
    -------
    pandas.Series
        float64 population per office, named ``"population"``, index ``id`` (office ids
        in the order of ``offices``). NaN for an office without geometry.

    Raises
    ------
    FileNotFoundError
        If the raster does not exist.
    InputError
        On a raster without CRS, a rotated raster, a missing band, offices without CRS
        or ``id``, or a non-positive radius.

    """
    radius_m = _radius_m(radius_km)
    ids, lon, lat = _office_points(offices)
    totals = np.zeros(len(ids))
    with _open(raster_path) as dataset:
        source = str(raster_path)
        _check_band(dataset, band, source)
        grid = _grid_of(dataset, source)
        for batch in _batches(grid, lon, lat, radius_m):
            runs = _runs(grid, lon, lat, radius_m, batch)
            totals += _sum_runs(dataset, band, grid, runs, len(ids))
    totals[~np.isfinite(lon)] = np.nan
    log(f"population_within: {len(ids)} offices, radius {radius_m / 1000:g} km, "
        f"{np.nansum(totals):,.0f} people in catchments")
    return pd.Series(totals, index=ids, name="population", dtype="float64")


def _sum_runs(dataset: Any, band: int, grid: _Grid, runs: _Runs, n: int) -> np.ndarray:
    """Sum the raster over every run, reading strips of rows once."""
    from rasterio.windows import Window

    totals = np.zeros(n)
    if runs.row.size == 0:
        return totals
    order = np.argsort(runs.row, kind="stable")
    row, left, right, office = (runs.row[order], runs.left[order], runs.right[order],
                                runs.office[order])
    height = _strip_height(dataset, band)
    start = int(row[0]) // height * height
    while start <= row[-1]:
        lo_i = np.searchsorted(row, start, side="left")
        hi_i = np.searchsorted(row, start + height, side="left")
        if lo_i == hi_i:
            start = int(row[hi_i]) // height * height if hi_i < row.size else start + height
            continue
        c0 = int(left[lo_i:hi_i].min())
        c1 = int(right[lo_i:hi_i].max())
        r1 = int(row[hi_i - 1])
        data = _read_clean(dataset, band, Window(c0, start, c1 - c0 + 1, r1 - start + 1))
        cum = np.zeros((data.shape[0], data.shape[1] + 1))
        np.cumsum(data, axis=1, out=cum[:, 1:])
        r = row[lo_i:hi_i] - start
        sums = cum[r, right[lo_i:hi_i] - c0 + 1] - cum[r, left[lo_i:hi_i] - c0]
        totals += np.bincount(office[lo_i:hi_i], weights=sums, minlength=n)
        start += height
    return totals


def population_coverage(
    raster_path: str | Path,
    offices: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame | None = None,
    radius_km: float | None = None,
    *,
    band: int = 1,
) -> pd.DataFrame:
    """Return the population covered and not covered by any office, per governorate.

    A cell is covered when its centre is within ``radius_km`` of at least one office
    (union: counted once however many offices reach it). A cell belongs to the
    governorate whose polygon contains its centre (GDAL's rasterisation rule); the
    polygons are taken to the raster's CRS. The whole raster is read once, in strips.

    Parameters
    ----------
    raster_path
        A population raster (people per cell), EPSG:4326 or projected.
    offices
        Point layer with an ``id`` column (any CRS).
    boundaries
        Governorate polygons with a ``governorate`` (or ``name``) column; default: the
        embedded ones.
    radius_km
        Radius in km; default ``settings.radius_km``.
    band
        Raster band holding the population.

    Returns
    -------
    pandas.DataFrame
        One row per governorate (in ``boundaries`` order), then one with NA
        ``governorate`` when cells outside every polygon hold people; no total row (see
        :func:`raster_total`). Columns, under the keys of :func:`cpgeo.figures`:
        ``governorate``, ``population``, ``population_within_radius``,
        ``population_outside_radius`` (people on the raster, float64) and
        ``population_within_radius_share`` (0..1, NaN when the population is 0).
        RangeIndex.

    Raises
    ------
    FileNotFoundError, InputError
        As :func:`population_within`; also boundaries without CRS or name column.

    """
    from rasterio import Affine
    from rasterio.features import rasterize
    from rasterio.windows import Window

    from cpgeo.regions import load_boundaries

    radius_m = _radius_m(radius_km)
    _, lon, lat = _office_points(offices)
    bounds = load_boundaries() if boundaries is None else boundaries
    if bounds.crs is None:
        msg = "boundaries have no CRS; set one (EPSG:4326 for longitude/latitude)"
        raise InputError(msg)
    column = next((c for c in ("governorate", "name") if c in bounds.columns), None)
    if column is None:
        msg = "boundaries need a 'governorate' or 'name' column"
        raise InputError(msg)
    names = list(dict.fromkeys(bounds[column].astype("str")))
    code_of = {name: i + 1 for i, name in enumerate(names)}

    with _open(raster_path) as dataset:
        source = str(raster_path)
        _check_band(dataset, band, source)
        grid = _grid_of(dataset, source)
        # Densify in degrees first so that edges stay true to the polygons once projected.
        geoms = bounds.to_crs("EPSG:4326").geometry.segmentize(0.01).to_crs(dataset.crs)
        shapes = [(g, code_of[str(n)]) for g, n in zip(geoms, bounds[column], strict=True)
                  if g is not None and not g.is_empty]
        runs = [_runs(grid, lon, lat, radius_m, b) for b in _batches(grid, lon, lat, radius_m)]
        row = np.concatenate([r.row for r in runs]) if runs else np.zeros(0, np.int64)
        left = np.concatenate([r.left for r in runs]) if runs else np.zeros(0, np.int64)
        right = np.concatenate([r.right for r in runs]) if runs else np.zeros(0, np.int64)
        order = np.argsort(row, kind="stable")
        row, left, right = row[order], left[order], right[order]
        total = np.zeros(len(names) + 1)
        covered = np.zeros(len(names) + 1)
        height = _strip_height(dataset, band)
        for start in range(0, grid.height, height):
            h = min(height, grid.height - start)
            window = Window(0, start, grid.width, h)
            data = _read_clean(dataset, band, window)
            if shapes:
                # The strip's own transform (rasterio's helper uses a deprecated operator).
                strip = Affine(grid.a, 0.0, grid.c, 0.0, grid.e, grid.f + start * grid.e)
                codes = rasterize(shapes, out_shape=(h, grid.width), fill=0, dtype="int32",
                                  transform=strip)
            else:
                codes = np.zeros((h, grid.width), dtype=np.int32)
            lo_i = np.searchsorted(row, start, side="left")
            hi_i = np.searchsorted(row, start + h, side="left")
            # Mark runs with +1 at their start and -1 after their end; a running sum along
            # each row is then > 0 exactly on covered cells.
            marks = np.zeros((h, grid.width + 1), dtype=np.int32)
            r = row[lo_i:hi_i] - start
            np.add.at(marks, (r, left[lo_i:hi_i]), 1)
            np.add.at(marks, (r, right[lo_i:hi_i] + 1), -1)
            is_covered = np.cumsum(marks, axis=1)[:, :-1] > 0
            total += np.bincount(codes.ravel(), weights=data.ravel(), minlength=len(names) + 1)
            covered += np.bincount(codes[is_covered], weights=data[is_covered],
                                   minlength=len(names) + 1)

    keep = [*range(1, len(names) + 1)] + ([0] if total[0] > 0 else [])
    pop = np.array([total[i] for i in keep])
    cov = np.array([covered[i] for i in keep])
    out = pd.DataFrame({
        "governorate": pd.array([names[i - 1] if i > 0 else None for i in keep], "string"),
        "population": pop,
        "population_within_radius": cov,
        "population_outside_radius": pop - cov,
    })
    out["population_within_radius_share"] = _shares(pop, cov)
    log(f"population_coverage: {cov.sum():,.0f} of {pop.sum():,.0f} people within "
        f"{radius_m / 1000:g} km of an office")
    return out


def _shares(population: np.ndarray, within: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(population > 0, within / np.where(population > 0, population, 1), np.nan)


def raster_total(table: pd.DataFrame) -> pd.Series:
    """Add up rows of :func:`population_coverage` (every person on the raster once).

    Returns
    -------
    pandas.Series
        ``population``, ``population_within_radius``, ``population_outside_radius``
        (people) and ``population_within_radius_share`` (0..1, NaN for nobody).
    """
    pop = float(table["population"].sum())
    within = float(table["population_within_radius"].sum())
    return pd.Series(
        {
            "population": pop,
            "population_within_radius": within,
            "population_outside_radius": pop - within,
            "population_within_radius_share": float(
                _shares(np.array([pop]), np.array([within]))[0]
            ),
        }
    )
