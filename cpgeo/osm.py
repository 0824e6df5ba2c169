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

import bz2
import gzip
import logging
import math
import re
import socket
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit
from xml.parsers import expat

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


# --------------------------------------------------------------------------- OSM XML files

# What osmnx's OSM XML reader needs of a file, checked before it is called: osmnx turns a
# malformed element into a KeyError, TypeError or ValueError from deep inside its SAX
# handler (or a GEOS error for a NaN coordinate), and reports "nothing found" with an
# exception class of a private module. Checking first lets cpgeo name the file, line and
# element, know "nothing found" in advance, and leave every exception out of osmnx alone.

#: Attributes osmnx converts with ``int`` (on nodes, ways and relations).
_INT_ATTRS = ("id", "changeset", "uid", "version")
#: Attributes of a child element that osmnx reads, and the parents it may have.
_CHILD_ATTRS = {"tag": ("k", "v"), "nd": ("ref",), "member": ("type", "ref", "role")}
_CHILD_PARENTS = {"tag": ("node", "way", "relation"), "nd": ("way",), "member": ("relation",)}
#: Attributes that collide with the keys of osmnx's element dicts (a TypeError there).
_RESERVED_ATTRS = {"node": {"type", "tags"}, "way": {"type", "tags"},
                   "relation": {"type", "tags", "members"}}
#: Relation types osmnx builds features of (its ``features`` module); others it drops.
_FEATURE_RELATIONS = frozenset({"multipolygon", "boundary"})
#: Problems quoted in the error for a malformed file; the rest are counted.
_QUOTED_PROBLEMS = 3


@dataclass
class OsmXmlSummary:
    """What an OSM XML file holds, as osmnx will read it.

    ``matched`` counts the nodes, ways and multipolygon / boundary relations whose tags
    pass the feature filter asked for; of them, ``buildable`` surely get a geometry (a
    node; a way with all its nodes in the file) and ``broken`` surely get none (a way
    with nodes missing from the file, a relation with member ways missing): osmnx drops
    those. ``dangling`` lists (way id, node id) pairs of ways that refer to nodes not in
    the file (at most a few; ``dangling_ways`` counts them all).
    """

    nodes: int = 0
    ways: int = 0
    matched: int = 0
    buildable: int = 0
    broken: int = 0
    dangling_ways: int = 0
    dangling: list[tuple[int, int]] = field(default_factory=list)


def _tags_match(tags: dict[str, str], query: Mapping[str, bool | str | list[str]]) -> bool:
    """Whether tags pass osmnx's feature filter: any key present with a wanted value."""
    for key, wanted in query.items():
        value = tags.get(key)
        if value is not None and (wanted is True or value == wanted
                                  or (isinstance(wanted, list) and value in wanted)):
            return True
    return False


class _XmlScan:
    """Expat handlers that check an OSM XML file element by element (one pass)."""

    def __init__(self, parser: Any, tags: Mapping[str, bool | str | list[str]] | None) -> None:
        self.parser = parser
        self.tags = tags
        self.summary = OsmXmlSummary()
        self.problems: list[str] = []
        self.n_problems = 0
        self.remark: list[str] | None = None
        self.stack: list[str] = []
        self.kind: str | None = None  # the node, way or relation being read
        self.eid: int | None = None
        self.etags: dict[str, str] = {}
        self.refs: list[int] = []  # a way's nodes, a relation's member ways
        self.node_ids: set[int] = set()
        self.way_ids: set[int] = set()
        # checked once the whole file is read (an element may precede what it refers to)
        self.unresolved: dict[int, list[int]] = {}  # way id -> node ids not seen yet
        self.matched_ways: list[tuple[list[int], int, bool]] = []  # missing, n refs, closed
        self.matched_relations: list[list[int]] = []  # member way ids

    def problem(self, issue: str) -> None:
        self.n_problems += 1
        if len(self.problems) < _QUOTED_PROBLEMS:
            where = f"line {self.parser.CurrentLineNumber}"
            if self.kind is not None:
                where += f", {self.kind} {'' if self.eid is None else self.eid}".rstrip()
            self.problems.append(f"{where}: {issue}")

    # The commonest elements (tag, nd, node) take the shortest way through.
    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.stack and name != "osm":
            msg = f"the root element is <{name}>, not <osm>"
            raise _NotOsmError(msg)
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        inside = self.kind is not None and parent == self.kind  # a child of the element
        if name == "tag":
            if inside and "k" in attrs and "v" in attrs:
                self.etags[attrs["k"]] = attrs["v"]
            else:
                self.bad_child(name, attrs, parent)
        elif name == "nd" or name == "member":
            try:
                ref = int(attrs["ref"])
                ok = inside and parent in _CHILD_PARENTS[name] and all(
                    a in attrs for a in _CHILD_ATTRS[name])
            except (KeyError, ValueError):
                ok = False
            if not ok:
                self.bad_child(name, attrs, parent)
            elif name == "nd" or attrs["type"] == "way":
                self.refs.append(ref)
        elif name in _RESERVED_ATTRS:
            self.start_element(name, attrs, parent)
        elif name == "remark" and parent == "osm":
            self.remark = []
            self.parser.CharacterDataHandler = self.remark.append

    def start_element(self, name: str, attrs: dict[str, str], parent: str | None) -> None:
        self.kind, self.eid, self.etags, self.refs = name, None, {}, []
        for attr in _INT_ATTRS:
            text = attrs.get(attr)
            if text is not None:
                try:
                    value = int(text)
                except ValueError:
                    self.problem(f"{attr} {text!r} is not an integer")
                else:
                    if attr == "id":
                        self.eid = value
        if "id" not in attrs:
            self.problem("no id")
        if name != "relation":
            for attr, bound in (("lat", 90.0), ("lon", 180.0)):
                text = attrs.get(attr)
                if text is None:
                    if name == "node":
                        self.problem(f"no {attr}")
                    continue
                try:
                    if -bound <= float(text) <= bound:
                        continue
                except ValueError:
                    self.problem(f"{attr} {text!r} is not a number")
                else:
                    self.problem(f"{attr} {text!r} is not within ±{bound:g}°")
        if parent != "osm":
            self.problem(f"<{name}> inside <{parent}>")
        for attr in sorted(_RESERVED_ATTRS[name] & attrs.keys()):
            self.problem(f"an attribute named {attr!r}")

    def bad_child(self, name: str, attrs: dict[str, str], parent: str | None) -> None:
        """Say what is wrong with a tag, nd or member element."""
        if parent is None or parent not in _CHILD_PARENTS[name] or parent != self.kind:
            self.problem(f"<{name}> inside <{parent}>")
            return
        missing = [a for a in _CHILD_ATTRS[name] if a not in attrs]
        if missing:
            self.problem(f"<{name}> without {', '.join(missing)}")
        else:
            self.problem(f"<{name}> ref {attrs['ref']!r} is not an integer")

    def end(self, name: str) -> None:
        self.stack.pop()
        if name != self.kind:
            if name == "remark":
                self.parser.CharacterDataHandler = None
            return
        s, eid = self.summary, self.eid
        matches = bool(self.etags) and self.tags is not None and _tags_match(self.etags,
                                                                            self.tags)
        if name == "node":
            s.nodes += 1
            if eid is not None:
                self.node_ids.add(eid)
            if matches:
                s.matched += 1
                s.buildable += 1
        elif name == "way":
            s.ways += 1
            missing = [r for r in self.refs if r not in self.node_ids]
            if eid is not None:
                self.way_ids.add(eid)
                if missing:
                    self.unresolved[eid] = missing
            if matches:
                closed = len(self.refs) > 1 and self.refs[0] == self.refs[-1]
                self.matched_ways.append((missing, len(self.refs), closed))
        elif matches and self.etags.get("type") in _FEATURE_RELATIONS:
            self.matched_relations.append(self.refs)
        self.kind, self.eid = None, None

    def finish(self) -> OsmXmlSummary:
        """Resolve what refers to elements later in the file; classify the matches."""
        s, nodes = self.summary, self.node_ids
        for way, missing in self.unresolved.items():
            absent = [r for r in missing if r not in nodes]
            if absent:
                s.dangling_ways += 1
                if len(s.dangling) < _QUOTED_PROBLEMS:
                    s.dangling.append((way, absent[0]))
        for missing, n_refs, closed in self.matched_ways:
            s.matched += 1
            if n_refs < 2 or any(r not in nodes for r in missing):
                s.broken += 1
            elif n_refs >= 4 or not closed:  # a closed way may be a ring: 4 nodes or more
                s.buildable += 1
        for members in self.matched_relations:
            s.matched += 1
            if not members or any(w not in self.way_ids for w in members):
                s.broken += 1
        return s


class _NotOsmError(Exception):
    """Raised from inside the parser to stop at a root element that is not ``<osm>``."""


def _open_text(path: Path) -> TextIO:
    """Open an OSM XML file as osmnx does: UTF-8 text, ``.bz2`` / ``.gz`` decompressed."""
    if path.suffix == ".bz2":
        return bz2.open(path, mode="rt", encoding="utf-8")
    if path.suffix == ".gz":
        return gzip.open(path, mode="rt", encoding="utf-8")
    return path.open(mode="rt", encoding="utf-8")


def scan_osm_xml(
    path: str | Path, tags: Mapping[str, bool | str | list[str]] | None = None
) -> OsmXmlSummary:
    """Check that osmnx can read an OSM XML file, and count what it will find.

    Reads the file once with expat (the parser osmnx uses) as osmnx opens it (UTF-8;
    ``.bz2`` and ``.gz`` decompressed), and checks every element osmnx reads: nodes,
    ways and relations at the top level with integer ids, nodes with a latitude and a
    longitude in range, ``tag`` / ``nd`` / ``member`` children with the attributes osmnx
    reads. A saved Overpass answer whose ``<remark>`` reports a failure (a query out of
    time or memory) is refused: its data are incomplete.

    Parameters
    ----------
    path
        An OSM XML file.
    tags
        The feature filter, as osmnx's ``tags`` argument; None: count no features.

    Returns
    -------
    OsmXmlSummary
        The counts.

    Raises
    ------
    InputError
        If the file is not readable OSM XML: the message names the file and, for a
        malformed element, the line and the element.

    """
    path = Path(path)
    parser = expat.ParserCreate()
    scan = _XmlScan(parser, tags)
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    reason: str | None = None
    try:
        with _open_text(path) as file:
            while chunk := file.read(1 << 20):
                parser.Parse(chunk, False)
            parser.Parse("", True)
    except (expat.ExpatError, _NotOsmError) as exc:
        reason = str(exc)
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text: {exc.reason}"
    except (EOFError, zlib.error) as exc:
        reason = f"{path.suffix} data damaged or cut short: {exc}"
    except OSError as exc:
        if exc.errno is not None:  # the file system's, not the decompressor's
            raise
        reason = f"{path.suffix} data damaged: {exc}"
    if reason is not None:
        msg = f"{path}: not a readable OSM XML file ({reason})"
        raise InputError(msg)
    if scan.n_problems:
        more = scan.n_problems - len(scan.problems)
        rest = f"; and {more} more problem{'s' if more > 1 else ''}" if more else ""
        msg = (f"{path}: not a readable OSM XML file ({'; '.join(scan.problems)}{rest})")
        raise InputError(msg)
    remark = " ".join("".join(scan.remark or []).split())
    if remark:
        msg = f"{path}: the Overpass answer saved in it reports {remark!r}: data incomplete"
        raise InputError(msg)
    return scan.finish()


def _read_xml(path: str | Path, tags: dict[str, Any]) -> gpd.GeoDataFrame:
    ox = _osmnx()
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such OSM XML file"
        raise FileNotFoundError(msg)
    found = scan_osm_xml(path, tags)
    if found.broken:
        log(f"{path}: {found.broken} of {found.matched} matching features skipped: their "
            "nodes or member ways are not in the file", logging.WARNING)
    if found.matched == found.broken:  # osmnx would find nothing, and say so by raising
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    # Nothing is caught here: the file is known to be readable, so what osmnx raises is
    # not the file's fault. (If only relations match and osmnx can close none of their
    # rings, its "no matching features" ValueError goes through too.)
    return ox.features_from_xml(path, tags=tags)


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
        If the file is not readable OSM XML (the message names the line and element of
        a malformed one), or is a saved Overpass answer that reports a failure.

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
        If the file is not readable OSM XML (the message names the line and element of
        a malformed one), or is a saved Overpass answer that reports a failure.

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
    return shapely.box(*check_bbox(query))


def check_bbox(bbox: Iterable[object]) -> BBox:
    """Return ``bbox`` as (min lon, min lat, max lon, max lat) floats, degrees, min < max.

    Raises
    ------
    InputError
        For another number of values, or values out of range or out of order.
    """
    values = tuple(float(v) for v in bbox)  # type: ignore[arg-type]
    if len(values) != 4:
        msg = f"bounding box must be (min lon, min lat, max lon, max lat), got {bbox!r}"
        raise InputError(msg)
    west, south, east, north = values
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        msg = (f"bounding box must be (min lon, min lat, max lon, max lat) in degrees "
               f"with min < max, got {bbox!r}")
        raise InputError(msg)
    return west, south, east, north


def _osmnx() -> ModuleType:
    return require("osmnx", "reading OpenStreetMap data")


def _fetch(query: str | BBox, tags: dict[str, Any],
           boundaries: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    with overpass_request(query, boundaries) as (ox, polygon):
        if polygon is None:
            return ox.features_from_place(query, tags=tags)
        return ox.features_from_polygon(polygon, tags=tags)


@contextmanager
def overpass_request(
    query: str | BBox, boundaries: gpd.GeoDataFrame | None = None
) -> Iterator[tuple[ModuleType, shapely.Geometry | None]]:
    """Prepare an online OpenStreetMap request; yield osmnx and the area to ask for.

    Checks first (within seconds) that Overpass, and Nominatim when the query must be
    geocoded, can be reached; runs the body with cpgeo's cache and timeout; turns a
    failed connection into :class:`~cpgeo.NetworkUnavailableError`, and osmnx's
    ``ValueError`` for an empty or unusable answer into :class:`~cpgeo.InputError`
    (osmnx does not tell "there is none" from "Overpass gave up", so neither is
    returned as an empty result).

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
        except ValueError as exc:
            # osmnx raises one ValueError subclass, public only by its base, for an area
            # with no such features, an Overpass query out of time or memory (a "remark"),
            # a reply that is not JSON and a place name Nominatim does not know; another
            # for an HTTP error. None of these may pass for "there are none".
            msg = (f"OpenStreetMap {query!r}: no usable answer ({exc}); either there is "
                   "nothing of the kind there or the service failed: retry, ask for a "
                   "smaller area, or pass an OSM XML file")
            raise InputError(msg) from exc


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
    InputError
        If the answer holds no such features, or is unusable: osmnx reports an area
        without any as it reports a query that ran out of time or memory, or a place
        name that cannot be geocoded.

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
    InputError
        If the answer holds no such features, or is unusable: osmnx reports an area
        without any as it reports a query that ran out of time or memory, or a place
        name that cannot be geocoded.

    """
    features = _fetch(query, {"place": list(place_types)}, boundaries)
    return _to_layer(features, "communities", boundaries, keep_outside=keep_outside,
                     source=f"Overpass {query!r}")
