"""OpenStreetMap police stations and populated places, from an OSM XML file or Overpass.

Police stations are the OSM features tagged ``amenity=police`` (nodes, ways and
multipolygon relations); populated places are those tagged ``place=city``, ``town``,
``village`` or ``hamlet``. Both come back as points in EPSG:4326 in the layer schema of
cpgeo (``id``, ``name``, ``governorate``, plus ``population`` for places), ready to be
used as candidate stations or as communities.

A local ``.osm`` XML file (an extract, or the answer of an Overpass query saved to disk)
needs no network. The ``*_from_place`` functions ask Overpass (through osmnx) for a
governorate or a bounding box; answers are cached in ``settings.cache_folder``. Without a
network they fail within a few seconds with :class:`cpgeo.NetworkUnavailableError`.

osmnx is imported only when one of these functions is called.
"""

from __future__ import annotations

import math
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from cpgeo import settings
from cpgeo._deps import require
from cpgeo._errors import InputError, NetworkUnavailableError
from cpgeo._log import log
from cpgeo._numbers import parse_number

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "PLACE_TYPES",
    "POLICE_TAGS",
    "check_online",
    "parse_population",
    "places_from_place",
    "places_from_xml",
    "stations_from_place",
    "stations_from_xml",
]

#: OSM tags of a police station.
POLICE_TAGS: dict[str, str] = {"amenity": "police"}

#: Values of the OSM ``place`` key read as communities, largest first.
PLACE_TYPES: tuple[str, ...] = ("city", "town", "village", "hamlet")

#: Upper bound (seconds) of the connectivity check made before any online request, so
#: that an offline machine gets an answer quickly whatever ``settings.requests_timeout_s``.
CONNECT_CHECK_MAX_S: float = 3.0

#: A bounding box: (min longitude, min latitude, max longitude, max latitude), EPSG:4326.
BBox = tuple[float, float, float, float]

_STATION_COLUMNS = ["id", "name", "governorate", "name_local", "osm_tags", "geometry"]
_PLACE_COLUMNS = [
    "id", "name", "governorate", "population", "place", "name_local", "geometry",
]


# --------------------------------------------------------------------------- population


# The first number in a tag: a sign, digits in any script, separators, an exponent. A
# leading decimal point counts (".5"), unless it ends an abbreviation ("ca.3500").
_DIGIT = "0-9\u0660-\u0669\u06f0-\u06f9"
_NUMBER = re.compile(
    f"[+\\-\u2212]?(?:(?<![^\\W\\d_])[.\u066b])?"
    f"[{_DIGIT}][{_DIGIT},.'\u00a0\u202f\u2009 \u066b\u066c]*"
    f"(?:e[+\\-]?[0-9]+)?"
)
_TRAILING = ",.'\u00a0\u202f\u2009 \u066b\u066c"
_MULTIPLIERS = (("million", 1_000_000), ("mio", 1_000_000), ("m", 1_000_000),
                ("thousand", 1_000), ("k", 1_000))


def parse_population(value: object) -> int | None:
    """Read an OSM ``population`` tag as a whole number of people, or None if unknown.

    OSM population tags are free text: ``"12000"``, ``"12,000"``, ``"12 000"``,
    ``"~5000"``, ``"ca. 3500"``, ``"1.2 million"``, ``"5k"``, ``"5000-6000"``,
    ``"4500 (2014)"``. The first number in the text is read by the rules of
    :mod:`cpgeo._numbers` for a count, exactly as a population cell of a table is read
    alone (``"12,000"`` and ``"3.500"`` are 12000 and 3500; ``"12.000"``, 12 or 12000,
    is ambiguous); a suffix ``k`` / ``thousand`` or ``m`` / ``mio`` / ``million``
    multiplies it (the number is then read as a real number, ``"1.2"``) and the
    product is rounded. Text around the number (``~``, ``ca.``, a year in brackets, a
    range's upper end) is ignored.

    Parameters
    ----------
    value
        The tag value (str, number or missing).

    Returns
    -------
    int or None
        Population, >= 0; None when unknown: missing, empty, no digits, negative, not a
        whole number, ambiguous, or not a number by those rules.

    """
    if isinstance(value, str):
        text = value.strip().casefold()
        match = _NUMBER.search(text)
        if match is None:
            return None
        token = match.group().rstrip(_TRAILING)
        rest = text[match.start() + len(token):].lstrip(_TRAILING)
        factor = next((f for word, f in _MULTIPLIERS if re.match(rf"{word}\b", rest)), None)
        number = parse_number(token, whole=factor is None)
        if number.value is None or number.value < 0:
            return None
        if factor is not None:
            product = number.value * factor
            return round(product) if math.isfinite(product) else None
        return int(number.value) if number.value.is_integer() else None
    number = parse_number(value, whole=True)
    if number.value is None or number.value < 0 or not number.value.is_integer():
        return None
    return int(number.value)


# --------------------------------------------------------------------------- features


def _element_ids(features: gpd.GeoDataFrame) -> list[str]:
    """Return ``"osm:node/123"`` style ids from osmnx's (element, id) index."""
    index = features.index
    if isinstance(index, pd.MultiIndex):
        return [f"osm:{kind}/{osm_id}" for kind, osm_id in index]
    return [f"osm:{osm_id}" for osm_id in index]


def _as_points(geoms: gpd.GeoSeries) -> np.ndarray:
    """Place each feature at a point: itself, its centroid, or a point on it.

    Areas (closed ways, multipolygons) take their centroid, computed in a local UTM
    projection, when the centroid lies inside the area; otherwise (a U-shaped building)
    a representative point inside it. Lines (an unclosed way) take their midpoint.
    """
    values = geoms.to_numpy()
    out = values.copy()
    type_ids = shapely.get_type_id(values)
    other = np.flatnonzero(type_ids != 0)
    if other.size == 0:
        return out
    subset = gpd.GeoSeries(values[other], crs=geoms.crs)
    utm = subset.estimate_utm_crs()
    projected = subset.to_crs(utm).to_numpy()
    points = shapely.centroid(projected)
    lines = np.isin(shapely.get_type_id(projected), (1, 2, 5))
    if lines.any():
        points[lines] = shapely.line_interpolate_point(projected[lines], 0.5, normalized=True)
    back = gpd.GeoSeries(points, crs=utm).to_crs(geoms.crs).to_numpy()
    areas = ~lines
    outside = areas & ~shapely.covers(values[other], back)
    back[outside] = shapely.point_on_surface(values[other][outside])
    out[other] = back
    return out


def _text_column(features: gpd.GeoDataFrame, column: str) -> pd.Series:
    if column not in features.columns:
        return pd.Series(pd.NA, index=features.index, dtype="str")
    return features[column].astype("str").where(features[column].notna())


def _names(features: gpd.GeoDataFrame, ids: list[str]) -> tuple[pd.Series, pd.Series]:
    """Return (``name:en`` else ``name`` else the id, the ``name`` tag)."""
    english = _text_column(features, "name:en")
    local = _text_column(features, "name")
    fallback = pd.Series(ids, index=features.index, dtype="str")
    name = english.fillna(local).fillna(fallback)
    return name.reset_index(drop=True), local.reset_index(drop=True)


def _attach_governorates(
    points: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame | None,
    *,
    keep_outside: bool,
    source: str,
) -> gpd.GeoDataFrame:
    """Fill ``governorate``; drop points outside every governorate unless asked not to."""
    from cpgeo.regions import assign_governorates

    names, _ = assign_governorates(points, boundaries)
    points["governorate"] = names.to_numpy()
    missing = points["governorate"].isna()
    if missing.any() and not keep_outside:
        log(f"{source}: {int(missing.sum())} features outside Iraq's governorates dropped")
        points = points.loc[~missing].reset_index(drop=True)
    return points


def _to_layer(
    features: gpd.GeoDataFrame,
    kind: str,
    boundaries: gpd.GeoDataFrame | None,
    *,
    keep_outside: bool,
    source: str,
) -> gpd.GeoDataFrame:
    """Build the stations / communities layer from osmnx features (one builder for all)."""
    columns = _STATION_COLUMNS if kind == "stations" else _PLACE_COLUMNS
    if features.crs is None and len(features):
        msg = f"{source}: features have no CRS"
        raise InputError(msg)
    features = features[~(features.geometry.isna() | features.geometry.is_empty)]
    if len(features) == 0:
        empty = gpd.GeoDataFrame(
            {c: pd.Series(dtype="Int64" if c == "population" else "str")
             for c in columns if c != "geometry"},
            geometry=gpd.GeoSeries([], crs="EPSG:4326"),
            crs="EPSG:4326",
        )
        return empty[columns]
    features = features.to_crs("EPSG:4326")
    ids = _element_ids(features)
    name, local = _names(features, ids)
    data: dict[str, Any] = {
        "id": pd.Series(ids, dtype="str"),
        "name": name,
        "governorate": pd.Series(pd.NA, index=range(len(ids)), dtype="str"),
    }
    if kind == "stations":
        data["name_local"] = local
        tags = features.drop(columns="geometry")
        data["osm_tags"] = pd.Series(
            [";".join(f"{k}={v}" for k, v in row.items() if pd.notna(v))
             for row in tags.to_dict("records")],
            dtype="str",
        )
    else:
        raw = features["population"] if "population" in features.columns else None
        data["population"] = pd.Series(  # unknown is <NA>, never 0
            [parse_population(v) for v in raw] if raw is not None else [None] * len(ids),
            dtype="Int64",
        )
        data["place"] = _text_column(features, "place").reset_index(drop=True)
        data["name_local"] = local
    layer = gpd.GeoDataFrame(data, geometry=_as_points(features.geometry), crs="EPSG:4326")
    layer = _attach_governorates(layer, boundaries, keep_outside=keep_outside, source=source)
    layer = layer[columns]
    layer.index.name = None
    log(f"{source}: {len(layer)} {kind} read from OpenStreetMap")
    return layer


def _read_xml(path: str | Path, tags: dict[str, Any]) -> gpd.GeoDataFrame:
    ox = _osmnx()
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such OSM XML file"
        raise FileNotFoundError(msg)
    try:
        return ox.features_from_xml(path, tags=tags)
    except ox._errors.InsufficientResponseError:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    except Exception as exc:  # the XML parser's own errors carry no file name
        if isinstance(exc, OSError | InputError):
            raise
        msg = f"{path}: not a readable OSM XML file ({type(exc).__name__}: {exc})"
        raise InputError(msg) from exc


def stations_from_xml(
    path: str | Path,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    keep_outside: bool = False,
) -> gpd.GeoDataFrame:
    """Read police stations (``amenity=police``) from a local OSM XML file.

    Parameters
    ----------
    path
        An OSM XML file (``.osm``), e.g. an extract or a saved Overpass answer.
    boundaries
        Governorate polygons; default: the embedded ones.
    keep_outside
        Keep stations outside every governorate (beyond ``settings.governorate_snap_km``),
        with a missing ``governorate``; by default they are dropped.

    Returns
    -------
    geopandas.GeoDataFrame
        The stations layer, EPSG:4326, RangeIndex: ``id`` (``"osm:node/123"``,
        ``"osm:way/45"``, ``"osm:relation/6"``), ``name`` (the ``name:en`` tag, else
        ``name``, else the id), ``governorate``, ``name_local`` (the ``name`` tag),
        ``osm_tags`` (``key=value`` pairs joined by ``;``) and ``geometry`` (Point: a
        node itself; an area's centroid, or a point inside it when the centroid falls
        outside; a line's midpoint).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InputError
        If the file is not OSM XML.

    """
    features = _read_xml(path, POLICE_TAGS)
    return _to_layer(features, "stations", boundaries, keep_outside=keep_outside,
                     source=str(path))


def places_from_xml(
    path: str | Path,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    place_types: tuple[str, ...] = PLACE_TYPES,
    keep_outside: bool = False,
) -> gpd.GeoDataFrame:
    """Read populated places (``place=city|town|village|hamlet``) from an OSM XML file.

    Parameters
    ----------
    path
        An OSM XML file (``.osm``).
    boundaries
        Governorate polygons; default: the embedded ones.
    place_types
        Values of the ``place`` key to read.
    keep_outside
        Keep places outside every governorate, with a missing ``governorate``.

    Returns
    -------
    geopandas.GeoDataFrame
        The communities layer, EPSG:4326, RangeIndex: ``id``, ``name``, ``governorate``,
        ``population`` (``Int64`` >= 0, from the ``population`` tag read by
        :func:`parse_population`; ``<NA>`` when untagged or unreadable, never 0),
        ``place`` (the tag value),
        ``name_local`` and ``geometry`` (Point, placed as in :func:`stations_from_xml`).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InputError
        If the file is not OSM XML.

    """
    features = _read_xml(path, {"place": list(place_types)})
    return _to_layer(features, "communities", boundaries, keep_outside=keep_outside,
                     source=str(path))


# --------------------------------------------------------------------------- online


def check_online(url: str, *, timeout_s: float | None = None) -> None:
    """Fail fast unless a TCP connection to ``url``'s host can be opened.

    The check runs in a background thread and is abandoned after ``timeout_s``, so a
    stalled name lookup cannot hang the caller either.

    Parameters
    ----------
    url
        The service address, e.g. osmnx's ``settings.overpass_url``.
    timeout_s
        Seconds to wait; default ``min(settings.requests_timeout_s, CONNECT_CHECK_MAX_S)``.

    Raises
    ------
    NetworkUnavailableError
        If the host cannot be resolved or reached within ``timeout_s``.

    """
    parts = urlsplit(url)
    host = parts.hostname or url
    port = parts.port or (443 if parts.scheme == "https" else 80)
    timeout = (min(settings.requests_timeout_s, CONNECT_CHECK_MAX_S)
               if timeout_s is None else float(timeout_s))
    outcome: list[BaseException | None] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                pass
        except OSError as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=probe, name="cpgeo-connectivity-check", daemon=True)
    thread.start()
    thread.join(timeout)
    advice = ("cpgeo works offline with local files: pass an OSM XML file instead "
              "(--xml FILE on the command line)")
    if not outcome:
        msg = f"no network: {host}:{port} did not answer within {timeout:g} s; {advice}"
        raise NetworkUnavailableError(msg)
    if outcome[0] is not None:
        msg = f"no network: cannot reach {host}:{port} ({outcome[0]}); {advice}"
        raise NetworkUnavailableError(msg)


@contextmanager
def osmnx_session(ox: ModuleType) -> Iterator[None]:
    """Point osmnx's cache at ``settings.cache_folder`` and its timeout at cpgeo's.

    osmnx's settings are module globals; they are restored on exit.
    """
    names = ("use_cache", "cache_folder", "requests_timeout")
    saved = {n: getattr(ox.settings, n) for n in names}
    folder = Path(settings.cache_folder) / "osmnx"
    folder.mkdir(parents=True, exist_ok=True)
    ox.settings.use_cache = True
    ox.settings.cache_folder = folder
    ox.settings.requests_timeout = settings.requests_timeout_s
    try:
        yield
    finally:
        for n, value in saved.items():
            setattr(ox.settings, n, value)


def query_polygon(
    query: str | BBox, boundaries: gpd.GeoDataFrame | None = None
) -> shapely.Geometry | None:
    """Return the area to ask for: a governorate's polygon, a bbox, or None (geocode it).

    Parameters
    ----------
    query
        A governorate name in any common spelling (matched against ``boundaries``),
        another place name (returns None: osmnx geocodes it), or a bounding box
        (min lon, min lat, max lon, max lat) in degrees, EPSG:4326.
    boundaries
        Governorate polygons; default: the embedded ones.

    Raises
    ------
    InputError
        If a bounding box is malformed.

    """
    if isinstance(query, str):
        from cpgeo.regions import find_governorate, load_boundaries

        bounds = load_boundaries() if boundaries is None else boundaries.to_crs("EPSG:4326")
        name = find_governorate(query)
        column = "governorate" if "governorate" in bounds.columns else "name"
        if name is not None and (bounds[column] == name).any():
            return shapely.union_all(bounds.loc[bounds[column] == name].geometry.to_numpy())
        return None
    values = tuple(float(v) for v in query)
    if len(values) != 4:
        msg = f"bounding box must be (min lon, min lat, max lon, max lat), got {query!r}"
        raise InputError(msg)
    west, south, east, north = values
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        msg = (f"bounding box must be (min lon, min lat, max lon, max lat) in degrees "
               f"with min < max, got {query!r}")
        raise InputError(msg)
    return shapely.box(west, south, east, north)


def _osmnx() -> ModuleType:
    return require("osmnx", "reading OpenStreetMap data")


def _fetch(query: str | BBox, tags: dict[str, Any],
           boundaries: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    with overpass_request(query, boundaries) as (ox, polygon):
        try:
            if polygon is None:
                return ox.features_from_place(query, tags=tags)
            return ox.features_from_polygon(polygon, tags=tags)
        except ox._errors.InsufficientResponseError:
            return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))


@contextmanager
def overpass_request(
    query: str | BBox, boundaries: gpd.GeoDataFrame | None = None
) -> Iterator[tuple[ModuleType, shapely.Geometry | None]]:
    """Prepare an online OpenStreetMap request; yield osmnx and the area to ask for.

    Checks first (within seconds) that Overpass, and Nominatim when the query must be
    geocoded, can be reached; runs the body with cpgeo's cache and timeout; turns a
    failed connection into :class:`~cpgeo.NetworkUnavailableError`.

    Yields
    ------
    tuple
        ``(osmnx module, polygon or None)``: None means "geocode ``query`` by name".

    """
    ox = _osmnx()
    polygon = query_polygon(query, boundaries)
    check_online(ox.settings.overpass_url)
    if polygon is None:
        check_online(ox.settings.nominatim_url)
    import requests

    with osmnx_session(ox):
        try:
            yield ox, polygon
        except (requests.ConnectionError, requests.Timeout) as exc:
            msg = f"no network: the OpenStreetMap request failed ({exc})"
            raise NetworkUnavailableError(msg) from exc


def stations_from_place(
    query: str | BBox,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    keep_outside: bool = False,
) -> gpd.GeoDataFrame:
    """Download police stations for a governorate, place name or bounding box.

    Asks Overpass through osmnx (answers cached in ``settings.cache_folder``). A
    governorate name uses the governorate's polygon from ``boundaries`` without
    geocoding; another name is geocoded by osmnx.

    Parameters
    ----------
    query
        Governorate name, place name, or (min lon, min lat, max lon, max lat) in
        degrees, EPSG:4326.
    boundaries, keep_outside
        As in :func:`stations_from_xml`.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`stations_from_xml`.

    Raises
    ------
    NetworkUnavailableError
        Within a few seconds when the service cannot be reached.

    """
    features = _fetch(query, POLICE_TAGS, boundaries)
    return _to_layer(features, "stations", boundaries, keep_outside=keep_outside,
                     source=f"Overpass {query!r}")


def places_from_place(
    query: str | BBox,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    place_types: tuple[str, ...] = PLACE_TYPES,
    keep_outside: bool = False,
) -> gpd.GeoDataFrame:
    """Download populated places for a governorate, place name or bounding box.

    Parameters
    ----------
    query
        As in :func:`stations_from_place`.
    boundaries, place_types, keep_outside
        As in :func:`places_from_xml`.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`places_from_xml`.

    Raises
    ------
    NetworkUnavailableError
        Within a few seconds when the service cannot be reached.

    """
    features = _fetch(query, {"place": list(place_types)}, boundaries)
    return _to_layer(features, "communities", boundaries, keep_outside=keep_outside,
                     source=f"Overpass {query!r}")
