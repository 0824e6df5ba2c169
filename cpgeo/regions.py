"""Iraq's governorates: the embedded boundaries, canonical names and point-in-polygon.

The canonical governorate names are the English names of the embedded boundaries file
(``data/boundaries/iraq_governorates.geojson``, column ``governorate``), e.g.
``"Salah al-Din"``, ``"Anbar"``, ``"Diyala"``, ``"Ninewa"``, ``"Kirkuk"``, plus
``"Halabja"``, a governorate that the generalised source does not draw separately.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from pyproj import Geod

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo._paths import data_dir

__all__ = [
    "GOVERNORATES",
    "assign_governorates",
    "canonical_governorate",
    "find_governorate",
    "load_boundaries",
    "locate_points",
    "resolve_governorates",
]

_GEOD = Geod(ellps="WGS84")

#: Canonical name -> other spellings met in gazetteers, ministries' lists and user files
#: (English transliterations, the source's own names, ISO names, Arabic and Kurdish).
_ALIASES: dict[str, tuple[str, ...]] = {
    "Anbar": ("Al-Anbar", "Al Anbar", "Al Anbār", "Anbār", "الأنبار", "الانبار", "انبار"),
    "Basra": ("Al-Basrah", "Al Basrah", "Al Başrah", "Basrah", "Bassora", "البصرة"),
    "Muthanna": ("Al-Muthanna", "Al Muthanna", "Al-Muthannia", "Al Muthanná", "المثنى"),
    "Al-Qadisiyah": (
        "Qadisiyah",
        "Al Qadisiyah",
        "Al-Qādisiyyah",
        "Al Qādisīyah",
        "Qadisiyyah",
        "Al-Qadisiyyah",
        "Qadissiya",
        "Diwaniyah",
        "Al-Diwaniyah",
        "القادسية",
        "الديوانية",
    ),
    "Sulaymaniyah": (
        "As-Sulaymaniyah",
        "As Sulaymaniyah",
        "As Sulaymānīyah",
        "Sulaimaniya",
        "Sulaimaniyah",
        "Suleimaniya",
        "Slemani",
        "Silêmanî",
        "السليمانية",
    ),
    "Babil": ("Babylon", "Bābil", "Babel", "بابل"),
    "Baghdad": ("Baghdād", "Bagdad", "بغداد"),
    "Duhok": ("Dohuk", "Dahuk", "Dihok", "Dahūk", "Dihok", "Duhuk", "Dihok", "دهوك"),
    "Dhi Qar": ("Dhi-Qar", "Dhī Qār", "Thi Qar", "Thi-Qar", "Dhiqar", "ذي قار"),
    "Diyala": ("Diyālá", "Diyalah", "Diyali", "ديالى", "ديالي"),
    "Erbil": ("Arbil", "Arbīl", "Irbil", "Hewler", "Hewlêr", "أربيل", "اربيل"),
    "Karbala": ("Karbala'", "Karbal\u0101\u2019", "Kerbala", "Karbalaa", "كربلاء"),
    "Kirkuk": ("At-Ta'mim", "At Ta'mim", "Ta'mim", "Tamim", "Al-Tamim", "Kirkūk", "كركوك"),
    "Maysan": ("Maysān", "Misan", "Missan", "ميسان"),
    "Ninewa": (
        "Ninawa",
        "Nineveh",
        "Ninevah",
        "Niniveh",
        "Nīnawá",
        "Ninawá",
        "Neinawa",
        "Nainawa",
        "نينوى",
    ),
    "Wasit": ("Wāsiţ", "Wassit", "Kut", "واسط"),
    "Najaf": ("An-Najaf", "An Najaf", "Al-Najaf", "Al Najaf", "النجف"),
    "Salah al-Din": (
        "Salahuddin",
        "Salah ad-Din",
        "Salah ad Din",
        "Salah al Din",
        "Salah el-Din",
        "Salaheddine",
        "Salah ad Deen",
        "Salahaddin",
        "Sala ad-Din",
        "Şalāḩ ad Dīn",
        "Saladin",
        "Salah Eddin",
        "Salahadin",
        "صلاح الدين",
    ),
    "Halabja": ("Halabjah", "Helebce", "Helebche", "حلبجة"),
}

#: Canonical governorate names, in the embedded file's order, then Halabja.
GOVERNORATES: tuple[str, ...] = tuple(_ALIASES)

_WORDS = re.compile(r"\b(governorate|province|muhafazat|muhafazah|mohafaza|محافظة)\b")


def _key(name: str) -> str:
    """Return a spelling-insensitive key: no case, accents, articles' hyphens or spaces."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _WORDS.sub(" ", text)
    return "".join(ch for ch in text if ch.isalnum())


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for canonical, aliases in _ALIASES.items():
        for spelling in (canonical, *aliases):
            lookup[_key(spelling)] = canonical
            # "Al-Anbar" / "Anbar", "As-Sulaymaniyah" / "Sulaymaniyah": the article is optional.
            bare = re.sub(r"^(al|as|at|an|ad|ar|el)[\s\-]+", "", spelling.casefold())
            lookup.setdefault(_key(bare), canonical)
    return lookup


_LOOKUP = _build_lookup()


def find_governorate(name: object) -> str | None:
    """Return the canonical governorate name for ``name``, or None when it is not known.

    Parameters
    ----------
    name
        A governorate name in any common spelling (``"Salahuddin"``, ``"Ninawa"``,
        ``"At-Ta'mim"``, ``"الأنبار"``); case, accents, hyphens and the words
        "governorate" / "province" are ignored.

    Returns
    -------
    str or None
        One of :data:`GOVERNORATES`, or None for a missing or unknown name.

    """
    if name is None or (not isinstance(name, str) and pd.isna(name)):  # type: ignore[arg-type]
        return None
    key = _key(str(name))
    if not key:
        return None
    found = _LOOKUP.get(key)
    if found is None and key.startswith("al"):
        found = _LOOKUP.get(key[2:])
    return found


def canonical_governorate(name: str) -> str:
    """Return the canonical governorate name for a common spelling.

    Parameters
    ----------
    name
        A governorate name, e.g. ``"Salah ad-Din"``, ``"Nineveh"``, ``"Al-Anbar"``,
        ``"At-Ta'mim"`` (Kirkuk's former name), ``"كركوك"``.

    Returns
    -------
    str
        The canonical English name, as in the embedded boundaries' ``governorate``
        column (``"Salah al-Din"``, ``"Ninewa"``, ``"Anbar"``, ``"Kirkuk"``).

    Raises
    ------
    InputError
        If ``name`` is not a known governorate.

    """
    found = find_governorate(name)
    if found is None:
        msg = f"unknown governorate {name!r}; known: {', '.join(GOVERNORATES)}"
        raise InputError(msg)
    return found


def resolve_governorates(governorates: Iterable[str] | str | None) -> tuple[str, ...]:
    """Return canonical governorate names (None means ``settings.FOCUS_GOVERNORATES``).

    Parameters
    ----------
    governorates
        Names in any usual spelling, or one comma-separated string.

    Raises
    ------
    InputError
        For an unknown name or an empty selection.
    """
    if governorates is None:
        governorates = settings.FOCUS_GOVERNORATES
    if isinstance(governorates, str):
        governorates = [part for part in governorates.split(",") if part.strip()]
    names = tuple(dict.fromkeys(canonical_governorate(name.strip()) for name in governorates))
    if not names:
        msg = "choose at least one governorate"
        raise InputError(msg)
    return names


@lru_cache(maxsize=1)
def _embedded_boundaries() -> gpd.GeoDataFrame:
    path = data_dir() / "boundaries" / "iraq_governorates.geojson"
    gdf = gpd.read_file(path, engine="pyogrio")
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    gdf = gdf.to_crs("EPSG:4326")
    gdf.index.name = "gov_index"
    return gdf


def load_boundaries() -> gpd.GeoDataFrame:
    """Return the embedded governorate boundaries (18 polygons, EPSG:4326).

    Natural Earth 1:10m Admin-1 (public domain); see ``data/boundaries/README.md``.
    The file is read once per process; each call returns a fresh copy, so callers may
    modify the result.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``id`` (ISO 3166-2 code), ``name``, ``governorate`` (canonical name),
        ``iso_3166_2``, ``iso_name``, ``fips``, ``source_name``, ``area_km2`` and
        ``geometry`` (MultiPolygon, EPSG:4326).

    """
    return _embedded_boundaries().copy()


def _names_of(boundaries: gpd.GeoDataFrame) -> np.ndarray:
    for column in ("governorate", "name"):
        if column in boundaries.columns:
            return boundaries[column].astype(object).to_numpy()
    msg = "boundaries need a 'governorate' or 'name' column"
    raise InputError(msg)


def _geographic(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> gpd.GeoSeries:
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if geoms.crs is None:
        msg = f"{what} have no CRS; set one (EPSG:4326 for longitude/latitude)"
        raise InputError(msg)
    if not geoms.crs.equals("EPSG:4326"):
        geoms = geoms.to_crs("EPSG:4326")
    return geoms


def _outside_km(point: shapely.Point, polygon: shapely.Geometry) -> float:
    """Geodesic km from ``point`` to the nearest point of ``polygon``'s boundary.

    The nearest boundary point is chosen in a local equirectangular frame centred on the
    point (longitude scaled by cos(latitude)), then measured on the WGS84 ellipsoid.
    """
    x0, y0 = point.x, point.y
    scale = float(np.cos(np.radians(y0)))
    local = shapely.transform(
        polygon, lambda xy: np.column_stack(((xy[:, 0] - x0) * scale, xy[:, 1] - y0))
    )
    near = shapely.ops.nearest_points(shapely.Point(0.0, 0.0), local.boundary)[1]
    lon = x0 + near.x / scale
    lat = y0 + near.y
    _, _, metres = _GEOD.inv(x0, y0, lon, lat)
    return float(metres) / 1000.0


def locate_points(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    polygons: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    snap_km: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Find the polygon of each point, snapping points just outside every polygon.

    A point inside (or on the edge of) a polygon takes that polygon (the first in
    ``polygons`` order on a shared edge). A point outside every polygon takes the
    nearest polygon (geodesic distance to its boundary, WGS84) when it lies within
    ``snap_km`` of it, else none. Lines or polygons are placed at a point on their
    surface.

    Returns
    -------
    position : numpy.ndarray
        Position (0-based, in ``polygons`` order) of each point's polygon, -1 for none.
    km_outside : numpy.ndarray
        Geodesic km from each point to the nearest polygon: 0.0 inside, NaN for a
        missing point.

    Raises
    ------
    InputError
        If ``points`` or ``polygons`` have no CRS.
    """
    polys = _geographic(polygons, "boundaries").to_numpy()
    geoms = _geographic(points, "points")
    values = geoms.to_numpy()
    if not np.all(shapely.get_type_id(values[~shapely.is_missing(values)]) == 0):
        # Lines or polygons: place each at a point on its surface.
        values = shapely.point_on_surface(values)
    n = len(values)
    position = np.full(n, -1, dtype=np.int64)
    km = np.full(n, np.nan)

    valid = ~(shapely.is_missing(values) | shapely.is_empty(values))
    with np.errstate(invalid="ignore"):
        valid &= np.isfinite(shapely.get_x(values)) & np.isfinite(shapely.get_y(values))
    tree = shapely.STRtree(polys)
    # "intersects" counts a point on an edge as inside.
    point_pos, poly_pos = tree.query(values[valid], predicate="intersects")
    valid_pos = np.flatnonzero(valid)
    hit = np.full(valid_pos.size, -1, dtype=np.int64)
    # Keep the first polygon per point (query output is sorted by input position).
    order = np.lexsort((poly_pos, point_pos))
    point_pos, poly_pos = point_pos[order], poly_pos[order]
    first = np.unique(point_pos, return_index=True)[1]
    hit[point_pos[first]] = poly_pos[first]
    inside = hit >= 0
    position[valid_pos[inside]] = hit[inside]
    km[valid_pos[inside]] = 0.0

    for pos in valid_pos[~inside]:
        point = values[pos]
        # Candidates: polygons whose planar degree distance is near the nearest one;
        # the choice among them is made on geodesic distance.
        planar = shapely.distance(point, polys)
        candidates = np.flatnonzero(planar <= float(np.min(planar)) * 1.5 + 0.05)
        dists = [_outside_km(point, polys[c]) for c in candidates]
        best = int(np.argmin(dists))
        km[pos] = dists[best]
        if dists[best] <= snap_km:
            position[pos] = candidates[best]
    return position, km


def assign_governorates(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    boundaries: gpd.GeoDataFrame | None = None,
    *,
    snap_km: float | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Find the governorate of each point, snapping points just outside every polygon.

    A point inside (or on the edge of) a polygon takes that polygon's governorate (the
    first one in ``boundaries`` order on a shared edge). A point outside every polygon
    takes the governorate of the nearest polygon when it lies within ``snap_km`` of it;
    otherwise its governorate is missing.

    Parameters
    ----------
    points
        Points (any CRS; reprojected to EPSG:4326). Missing or empty geometries get a
        missing governorate and a NaN distance.
    boundaries
        Polygons with a ``governorate`` (or ``name``) column; default: the embedded
        governorates (:func:`load_boundaries`).
    snap_km
        Largest distance (km) outside the nearest polygon that still takes its
        governorate; default ``settings.governorate_snap_km``.

    Returns
    -------
    names : pandas.Series
        Governorate name per point (string dtype, ``NA`` where none), indexed like
        ``points``.
    km_outside : pandas.Series
        Geodesic distance in kilometres (WGS84 ellipsoid) from each point to the nearest
        polygon: 0.0 inside, NaN for a missing point.

    Raises
    ------
    InputError
        If ``points`` or ``boundaries`` have no CRS, or ``boundaries`` has no name column.

    """
    snap = settings.governorate_snap_km if snap_km is None else float(snap_km)
    bounds = load_boundaries() if boundaries is None else boundaries
    names = _names_of(bounds)
    position, km = locate_points(points, bounds, snap_km=snap)
    result = np.full(position.size, None, dtype=object)
    found = position >= 0
    result[found] = names[position[found]]
    index = points.index
    return (
        pd.Series(result, index=index, dtype="str", name="governorate"),
        pd.Series(km, index=index, dtype="float64", name="km_outside"),
    )
