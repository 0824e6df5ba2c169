r"""Prove that a public snapshot holds no exact location of any site, in any byte.

:func:`scan` reads every file of a snapshot (a folder, single files, zip archives, and
whatever they embed) and looks for a longitude-latitude *pair* within ``radius_km`` of a
site. It reads coordinates the way an adversary could hide them:

- text (UTF-8 payloads whole, also URL-, HTML- and ``\uXXXX``-unescaped where that can
  change a number; other payloads by their runs of six printable ASCII characters or
  more, and as UTF-16 when a third of the bytes are NUL): every decimal number, paired
  with the next one to three numbers in both orders; whole numbers scaled by 1e-4 to
  1e-7 (microdegrees and the like); pairs read as EPSG:3857 metres and as UTM 37N / 38N /
  39N metres; degrees-minutes(-seconds) strings; ``data:`` URIs, base64, hex and
  ``\xNN`` runs decoded and scanned as files of their own;
- binary (any payload that is not clean text): IEEE float64 and float32, little- and
  big-endian, at every byte offset, each longitude paired with every latitude up to 64
  bytes before or after it that lies a whole number of values away (or one tag byte
  more, as MessagePack, CBOR and protocol buffers write doubles);
- containers: zip members, gzip and zlib payloads, GeoPackage / SQLite tables (every
  cell, geometry blobs parsed as GeoPackage WKB, R*Tree nodes, ``gpkg_contents``
  extents, every layer read again with pyogrio), PNG chunks (text chunks, compressed or
  not, eXIf, the decompressed pixels), PDF (document information, XMP, the text of
  every page, every stream decoded, also streams no cross-reference table lists), Exif
  GPS tags.

A hit needs both a longitude and a latitude that together lie within ``radius_km``
(geodesic on the WGS84 ellipsoid) of a site. What is *not* read as a coordinate, so that
ordinary snapshot content never makes a hit:

- decimal degrees with fewer than two decimals, or followed by ``%`` (shares such as
  44.4 % are everywhere; a one-decimal pair says no more than a 0.1-degree cell);
  scaled whole numbers and projected metres unless the two numbers are next to each
  other, at most 16 characters apart (tables of counts);
- floats that are a run of one byte (pixels of one colour) or lie on a 1/64-degree
  grid; pairs of floats whose bytes are all printable text; text inside pixel data;
- coordinates published on purpose (``allowed``, e.g. the vertices of district
  boundaries), the numbers and bytes next to them that only pair up across two allowed
  coordinates, any other reading of the bytes of an allowed double, and the boxes
  computed from allowed geometries (GeoPackage envelopes, extents, R*Tree boxes).

Byte ranges that a container compresses (deflated zip members, PNG ``IDAT`` and
compressed text, PDF Flate streams) and GeoPackage blobs parsed whole are not read again
as raw floats: compressed bytes are noise, and everything they hold is in the
decompressed or parsed payload.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import hashlib
import html
import io
import itertools
import logging
import math
import re
import sqlite3
import struct
import tempfile
import urllib.parse
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree

#: Longitudes and latitudes (degrees, EPSG:4326) a candidate must fall in: Iraq with a
#: margin. The two ranges do not overlap, so a number is a longitude or a latitude.
LON_RANGE = (38.0, 49.5)
LAT_RANGE = (28.5, 37.8)

#: How far apart (bytes) a binary longitude and latitude may lie (see :func:`scan`).
BINARY_WINDOW = 64

#: Scales of whole numbers read as fixed-point degrees.
INTEGER_SCALES = (1e-4, 1e-5, 1e-6, 1e-7)

#: Projected CRSs tried on pairs of numbers, with the plausible (x, y) ranges in metres.
PROJECTED: dict[int, tuple[tuple[float, float], tuple[float, float]]] = {
    3857: ((4.20e6, 5.53e6), (3.29e6, 4.57e6)),
    32637: ((5.0e4, 1.95e6), (3.10e6, 4.25e6)),
    32638: ((5.0e4, 1.95e6), (3.10e6, 4.25e6)),
    32639: ((5.0e4, 1.95e6), (3.10e6, 4.25e6)),
}

_EARTH_KM = 6371.0088
_GEOD = Geod(ellps="WGS84")
_MAX_DEPTH = 12
_MAX_PAYLOAD = 512 * 2**20  # decompressed bytes of one payload (zip bombs)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SQLITE_MAGIC = b"SQLite format 3\x00"

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_GAP_NUMBER = re.compile(r"(\D*?)([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_DMS = re.compile(
    "(\\d{1,3}(?:\\.\\d+)?)\\s*(?:\u00b0|\u00ba|\u02da|deg)\\s*"  # degrees
    "(\\d{1,2}(?:\\.\\d+)?)\\s*(?:'|\u2032|\u2019|min)\\s*"  # minutes
    "(?:(\\d{1,2}(?:\\.\\d+)?)\\s*(?:\"|\u2033|''|\u2019\u2019|sec)?)?"  # seconds
    "\\s*([NSEW])"
)
_DATA_URI = re.compile(
    r"data:([\w.+/-]*)((?:;[\w.+-]+=[\w.+-]+)*)(;base64)?,([^\"'<>\s)\]]+)",
)
_ENCODED = re.compile(r"[A-Za-z0-9+/_-]{32,}={0,2}")  # base64 (64 or more) or hex (32 or more)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_ESCAPED_BYTES = re.compile(r"(?:\\x[0-9a-fA-F]{2}){16,}")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# escapes that can hide a digit, a sign or a decimal point, or split two numbers
_UNICODE_NUMERIC = re.compile(r"\\u00(?:3[0-9]|2[bBdDeE])")
_PERCENT_NUMERIC = re.compile(r"%(?:3[0-9]|2[bBdDeE])|(?:\d|\.)%[0-9A-Fa-f]{2}\d")
_HTML_NUMERIC = re.compile(r"&#(?:4[3-9]|5[0-7]|x(?:3[0-9]|2[bBdDeE]));|&(?:period|plus|minus);")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_PDF_STREAM = re.compile(rb"stream\r?\n")
_PRINTABLE_RUN = re.compile(rb"[\t\n\r\x20-\x7e]{6,}")
# numbers right before a PDF drawing, positioning or colour operator: page geometry
_PDF_OPERANDS = re.compile(
    rb"(?<![\w.(])((?:[-+]?(?:\d+\.?\d*|\.\d+)\s+)+)"
    rb"(?=(?:re|m|l|c|v|y|cm|Td|TD|Tm|Tc|Tw|Tz|TL|Ts|Tf|w|J|j|M|d|ri|i|g|G|rg|RG|k|K"
    rb"|sc|SC|scn|SCN|d0|d1)(?![\w]))"
)

# bytes a text file may hold: tab, newline, carriage return, printable ASCII
_TEXT_BYTE = np.zeros(256, dtype=bool)
_TEXT_BYTE[[9, 10, 13]] = True
_TEXT_BYTE[32:127] = True


@dataclass(frozen=True)
class Hit:
    """A longitude-latitude pair found near a site.

    Attributes
    ----------
    file
        Path inside the scanned tree; ``!`` separates an archive or a file from what it
        embeds (``"snap.zip!map.html"``, ``"map.html!data:image/png#1"``).
    where
        Where in the file: ``"text offset 1234"``, ``"float64-le offset 88 (lat at 96)"``,
        ``"gpkg table offices geometry row 3"``, ``"png tEXt Title"``, ``"pdf stream 5"``.
    lon, lat
        The coordinate as read, degrees (EPSG:4326).
    site
        Index (row of ``sites``) of the nearest site.
    distance_km
        Geodesic distance to that site in kilometres on the WGS84 ellipsoid.
    """

    file: str
    where: str
    lon: float
    lat: float
    site: int
    distance_km: float


@dataclass(frozen=True)
class ScanResult:
    """What :func:`scan` read and found.

    Attributes
    ----------
    files
        Files read: files on disk and archive members.
    bytes_scanned
        Bytes read: every file, member and decoded payload (decompressed streams,
        base64, pixel data, table cells, ...), each counted once per reading.
    hits
        Every coordinate found near a site, in the order found.
    """

    files: int
    bytes_scanned: int
    hits: tuple[Hit, ...]


def scan(
    paths: Iterable[Path],
    sites: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    radius_km: float = 5.0,
    allowed_tolerance_deg: float = 1e-4,
) -> ScanResult:
    """Look for the location of any site in every byte of ``paths``.

    Parameters
    ----------
    paths
        Files and folders; a folder is read with all its files, recursively.
    sites
        Site locations, shape (n, 2), (longitude, latitude) in degrees, EPSG:4326.
    allowed
        Coordinates published on purpose, shape (m, 2), (longitude, latitude) in
        degrees, EPSG:4326: a pair within ``allowed_tolerance_deg`` of one of them, in
        longitude and in latitude, is no hit.
    radius_km
        A pair is a hit when it lies this close to a site: kilometres, geodesic on the
        WGS84 ellipsoid.
    allowed_tolerance_deg
        Degrees, in longitude and in latitude.

    Returns
    -------
    ScanResult
        Counts of what was read and the hits, each once.

    Raises
    ------
    ValueError
        If ``sites`` or ``allowed`` is not an (n, 2) array of finite degrees, or
        ``radius_km`` is not positive.
    """
    scanner = _Scanner(
        _points(sites, "sites"),
        None if allowed is None else _points(allowed, "allowed"),
        radius_km,
        allowed_tolerance_deg,
    )
    for root, path in _files(paths):
        name = path.relative_to(root).as_posix() if root is not None else path.name
        scanner.file(name, path.read_bytes())
    return ScanResult(scanner.files, scanner.bytes_scanned, tuple(scanner.hits))


def _points(values: np.ndarray, what: str) -> np.ndarray:
    points = np.asarray(values, dtype=float)
    if points.ndim == 1 and points.size == 0:
        points = points.reshape(0, 2)
    if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
        msg = f"{what}: expected an (n, 2) array of finite (lon, lat) degrees"
        raise ValueError(msg)
    return points


def _files(paths: Iterable[Path]) -> Iterator[tuple[Path | None, Path]]:
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    yield path, child
        else:
            yield None, path


@lru_cache(maxsize=8)
def _to_lonlat(epsg: int) -> Transformer:
    return Transformer.from_crs(epsg, 4326, always_xy=True)


def _in(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def _unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lam, phi = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


Where = Callable[[int], str]


def _at(prefix: str, *, first: int = 0, suffix: str = "") -> Where:
    """Make a ``where`` that names an offset (or an index counted from ``first``)."""

    def where(k: int) -> str:
        return f"{prefix} {k + first}{suffix}"

    return where


def _feature(layer: str, index: np.ndarray, order: str) -> Where:
    def where(k: int) -> str:
        return f"ogr layer {layer} feature {index[k]}{order}"

    return where


class _Scanner:
    """State of one :func:`scan`: the site index, the counters and the hits."""

    def __init__(
        self,
        sites: np.ndarray,
        allowed: np.ndarray | None,
        radius_km: float,
        tolerance_deg: float,
    ) -> None:
        if not radius_km > 0:
            msg = f"radius_km: expected a positive number of kilometres, got {radius_km}"
            raise ValueError(msg)
        self.sites = sites
        self.radius_km = float(radius_km)
        self.tolerance = float(tolerance_deg)
        self.site_tree = cKDTree(_unit_vectors(sites[:, 0], sites[:, 1]))
        # chord on the unit sphere, with room for the ellipsoid (within 0.6 % of a sphere)
        self.chord = 2 * math.sin(min(math.pi / 2, 1.01 * self.radius_km / _EARTH_KM / 2))
        self._allowed: list[np.ndarray] = [] if allowed is None else [allowed]
        self.allowed_tree: cKDTree | None = None
        self._index_allowed()
        self.files = 0
        self.bytes_scanned = 0
        self.hits: list[Hit] = []
        self._seen_hits: set[tuple[str, str, float, float]] = set()
        self._seen_payloads: set[tuple[str, bytes]] = set()
        self._extent_values: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))
        self._suppress: set[tuple[float, float]] = set()
        self._memo: dict[tuple[bytes, bool, bool, tuple[int, ...]], tuple[str, list[Hit]]] = {}
        self._top = ""

    # -- the distance test ----------------------------------------------------------

    def _index_allowed(self) -> None:
        points = [a for a in self._allowed if len(a)]
        self.allowed_tree = cKDTree(np.concatenate(points)) if points else None

    def push_allowed(self, points: np.ndarray) -> None:
        """Also allow ``points`` (derived from allowed ones) until :meth:`pop_allowed`."""
        self._allowed.append(points)
        self._index_allowed()

    def pop_allowed(self) -> None:
        """Forget the points of the last :meth:`push_allowed`."""
        self._allowed.pop()
        self._index_allowed()

    def allowed(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Which pairs are within the tolerance of an allowed coordinate."""
        if self.allowed_tree is None or len(lon) == 0:
            return np.zeros(len(lon), dtype=bool)
        dist, _ = self.allowed_tree.query(
            np.column_stack([lon, lat]),
            k=1,
            p=np.inf,
            distance_upper_bound=self.tolerance * (1 + 1e-9) + 1e-12,
        )
        return np.isfinite(dist)

    def check(self, file: str, lon: np.ndarray, lat: np.ndarray, where: Where) -> None:
        """Record the pairs that lie near a site and are not allowed."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        keep = np.flatnonzero(_in(lon, LON_RANGE) & _in(lat, LAT_RANGE))
        if keep.size == 0 or len(self.sites) == 0:
            return
        xyz = _unit_vectors(lon[keep], lat[keep])
        dist, _ = self.site_tree.query(xyz, k=1, distance_upper_bound=self.chord)
        keep = keep[np.isfinite(dist)]
        if keep.size == 0:
            return
        keep = keep[~self.allowed(lon[keep], lat[keep])]
        for i in keep:
            near = self.site_tree.query_ball_point(
                _unit_vectors(lon[i : i + 1], lat[i : i + 1])[0], self.chord
            )
            near = np.asarray(near, dtype=int)
            _, _, metres = _GEOD.inv(
                np.full(len(near), lon[i]),
                np.full(len(near), lat[i]),
                self.sites[near, 0],
                self.sites[near, 1],
            )
            best = int(np.argmin(metres))
            km = float(metres[best]) / 1000
            if km > self.radius_km:
                continue
            if (float(lon[i]), float(lat[i])) in self._suppress:
                continue
            self._add(Hit(file, where(int(i)), float(lon[i]), float(lat[i]), int(near[best]), km))

    def _add(self, hit: Hit) -> None:
        key = (hit.file, hit.where, hit.lon, hit.lat)
        if key not in self._seen_hits:
            self._seen_hits.add(key)
            self.hits.append(hit)

    # -- files and payloads ---------------------------------------------------------

    def file(self, name: str, data: bytes) -> None:
        """Read one file on disk."""
        self._top = name
        self.files += 1
        self.payload(name, data, 0)

    def payload(
        self, name: str, data: bytes, depth: int, *, as_text: bool = True, pdf: bool = False
    ) -> None:
        """Read any bytes: containers by their magic, then as text and as binary.

        ``as_text=False`` for pixels: runs of grey bytes spell digits. ``pdf`` for PDF
        streams: the operands of drawing and positioning operators are page positions in
        points (15 mm from the left, 13 mm from the bottom reads as 42.52, 36.85).
        """
        if depth > _MAX_DEPTH or not data:
            return
        digest = hashlib.sha1(data, usedforsecurity=False).digest()
        if (self._top, digest) in self._seen_payloads:
            return
        self._seen_payloads.add((self._top, digest))
        self.bytes_scanned += len(data)
        # the same bytes in another file (a snapshot and its zip): the same hits, renamed
        memo_key = (digest, as_text, pdf, tuple(id(a) for a in self._allowed))
        cached = self._memo.get(memo_key)
        if cached is not None:
            origin, hits = cached
            for hit in hits:
                self._add(dataclasses.replace(hit, file=name + hit.file[len(origin) :]))
            return
        first_hit = len(self.hits)
        self._scan_payload(name, data, depth, as_text=as_text, pdf=pdf)
        self._memo[memo_key] = (name, self.hits[first_hit:])

    def _scan_payload(
        self, name: str, data: bytes, depth: int, *, as_text: bool, pdf: bool
    ) -> None:
        masked: list[tuple[int, int]] = []
        head = data[:1024]
        pushed = False
        if data.startswith(_PNG_MAGIC):
            masked += self.png(name, data, depth)
        elif b"%PDF" in head:
            masked += self.pdf(name, data, depth)
        elif data.startswith(_SQLITE_MAGIC):
            pushed, explained = self.sqlite(name, data, depth)
            masked += explained
        try:
            self._rest(name, data, depth, masked, as_text=as_text, pdf=pdf)
        finally:
            if pushed:
                self.pop_allowed()

    def _rest(
        self,
        name: str,
        data: bytes,
        depth: int,
        masked: list[tuple[int, int]],
        *,
        as_text: bool,
        pdf: bool,
    ) -> None:
        if data.startswith(b"PK") or b"PK\x05\x06" in data[-(2**16 + 22) :]:
            masked += self.zip(name, data, depth)
        if data.startswith(b"\x1f\x8b"):
            self.decompressed(name + "!gzip", data, depth, gzip_=True)
        elif len(data) > 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0:
            self.decompressed(name + "!zlib", data, depth)
        for marker in _find_all(data, b"Exif\x00\x00", limit=16):
            self.exif(name, data[marker + 6 :], f"exif at offset {marker}")
        clean = self.text(name, data, depth, pdf=pdf) if as_text else False
        if not clean:
            self.binary(name, data, masked)

    def decompressed(self, name: str, data: bytes, depth: int, *, gzip_: bool = False) -> None:
        """Read a zlib or gzip payload, when it is one."""
        out = _inflate(data, wbits=31 if gzip_ else 15)
        if out is not None:
            self.payload(name, out, depth + 1)

    # -- text -----------------------------------------------------------------------

    def text(self, name: str, data: bytes, depth: int, *, pdf: bool = False) -> bool:
        """Scan ``data`` as text; return whether it is clean text (no room for floats).

        Bytes that are not UTF-8 are binary: only their runs of printable ASCII (six
        characters or more) are read as text, each run on its own.
        """
        if pdf:
            data = _PDF_OPERANDS.sub(_blank, data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.runs(name, data, depth, "text offset", 1, 0)
            clean = False
        else:
            clean = _CONTROL.search(data) is None
            self.string(name, text, depth, lambda o: f"text offset {o}")
        if len(data) >= 16 and data.count(0) * 3 >= len(data):
            # UTF-16 / UCS-2 text: the characters sit in every other byte
            for parity in (0, 1):
                self.runs(name, data[parity::2], depth, "utf-16 text offset", 2, parity)
        return clean

    def runs(self, name: str, data: bytes, depth: int, label: str, step: int, first: int) -> None:
        """Scan the printable runs of binary ``data`` as text, no pair across two runs."""
        found = [(m.start(), m.group()) for m in _PRINTABLE_RUN.finditer(data)]
        if not found:
            return
        joined = "\n".join(run.decode("ascii") for _, run in found)
        lengths = np.array([len(run) + 1 for _, run in found])
        ends = np.cumsum(lengths)  # joined position just after each run's separator
        origins = np.array([start for start, _ in found])

        def where(o: int) -> str:
            k = int(np.searchsorted(ends, o, side="right"))
            within = o - (int(ends[k - 1]) if k else 0)
            return f"{label} {(int(origins[k]) + within) * step + first}"

        self.string(name, joined, depth, where, breaks=ends - 1)

    def string(
        self,
        name: str,
        text: str,
        depth: int,
        where: Callable[[int], str],
        *,
        breaks: np.ndarray | None = None,
    ) -> None:
        """Scan one decoded text, its unescaped forms and what it embeds.

        ``breaks``: positions of separators no pair may straddle (runs of a binary); the
        unescaped forms are read only for real text (``breaks`` None).
        """
        before = len(self.hits)
        self.numbers(name, text, where, breaks=breaks)
        self.dms(name, text, where)
        self.embedded(name, text, depth)
        if breaks is not None:
            return
        # the unescaped forms report only what the text itself did not show
        outer = self._suppress
        self._suppress = outer | {(h.lon, h.lat) for h in self.hits[before:]}
        variants = []
        if _UNICODE_NUMERIC.search(text):
            variants.append(("unicode-unescaped", _UNICODE_ESCAPE.sub(_unichr, text)))
        if _PERCENT_NUMERIC.search(text):
            variants.append(("url-decoded", urllib.parse.unquote(text, errors="replace")))
        if _HTML_NUMERIC.search(text):
            unescaped = html.unescape(text)
            if unescaped != text:
                variants.append(("html-unescaped", unescaped))
        try:
            for label, variant in variants:
                self.numbers(name, variant, _at(f"{label} text offset"))
                self.dms(name, variant, _at(f"{label} text offset"))
        finally:
            self._suppress = outer

    def numbers(
        self,
        name: str,
        text: str,
        where: Callable[[int], str],
        *,
        breaks: np.ndarray | None = None,
    ) -> None:
        """Pair every number with the next one to three numbers, in both orders.

        Degrees need two decimals or more in both numbers (a one-decimal pair says no
        more than a 0.1-degree cell, and shares such as 44.4 are everywhere) and no ``%``
        after them. Whole numbers read as scaled degrees, and pairs read as projected
        metres, must be next to each other, at most 16 characters apart.
        """
        # a sentinel number at the end: the lazy gap never runs to the end and fails
        found = _GAP_NUMBER.findall(text + " 0")[:-1]
        if len(found) < 2:
            return
        gaps, numbers = zip(*found, strict=True)
        tokens = list(numbers)
        gap_len = np.fromiter(map(len, gaps), dtype=np.int64, count=len(found))
        tok_len = np.fromiter(map(len, tokens), dtype=np.int64, count=len(found))
        ends = np.cumsum(gap_len + tok_len)
        starts = ends - tok_len
        values = np.array(tokens, dtype=float)
        whole = np.array(["." not in t and "e" not in t and "E" not in t for t in tokens])
        # a run of digits inside a word (a random hex id such as "a7395123f3641234") is
        # no number: not read as scaled degrees or as metres
        for k in np.flatnonzero(whole):
            before = text[int(starts[k]) - 1] if starts[k] > 0 else " "
            after = text[int(ends[k])] if ends[k] < len(text) else " "
            if before.isalpha() or before == "_" or after.isalpha() or after == "_":
                whole[k] = False
                values[k] = np.nan
        percent = np.zeros(len(tokens), dtype=bool)
        if "%" in text:
            percent[:-1] = np.array([g.startswith("%") for g in gaps[1:]])
            percent[-1] = text[int(ends[-1]) : int(ends[-1]) + 1] == "%"
        maybe = np.flatnonzero(~whole & (_in(values, LON_RANGE) | _in(values, LAT_RANGE)))
        degrees = np.zeros(len(tokens), dtype=bool)
        degrees[maybe] = [_decimals(tokens[k]) >= 2 for k in maybe]
        degrees &= ~percent
        segment = (
            np.zeros(len(tokens), dtype=int) if breaks is None else np.searchsorted(breaks, starts)
        )
        used = self._explained_numbers(values, segment)
        lons, lats, firsts, seconds, labels = [], [], [], [], []
        for d in (1, 2, 3):
            if len(values) <= d:
                break
            i = np.arange(len(values) - d)
            j = i + d
            close = (starts[j] - ends[i] <= 16) if d == 1 else np.zeros(len(i), dtype=bool)
            same = segment[i] == segment[j]
            masks = (
                same & degrees[i] & degrees[j],
                same & close & whole[i] & whole[j],
                same & close & ~percent[i] & ~percent[j],
            )
            for lon, lat, sel, label in _readings(values[i], values[j], *masks):
                lons.append(lon)
                lats.append(lat)
                firsts.append(i[sel])
                seconds.append(j[sel])
                labels.append(np.full(len(lon), label, dtype=object))
        if not lons:
            return
        lon = np.concatenate(lons)
        lat = np.concatenate(lats)
        first = np.concatenate(firsts)
        second = np.concatenate(seconds)
        kinds = np.concatenate(labels)
        ok = _in(lon, LON_RANGE) & _in(lat, LAT_RANGE)
        lon, lat, first, second, kinds = lon[ok], lat[ok], first[ok], second[ok], kinds[ok]
        if lon.size == 0:
            return
        allowed = self.allowed(lon, lat)
        if allowed.any() or used.any():
            # numbers that make an allowed coordinate with a neighbour are explained:
            # no pairs across two allowed vertices
            used[first[allowed]] = True
            used[second[allowed]] = True
            keep = ~allowed & ~used[first] & ~used[second]
            lon, lat, first, second, kinds = (
                lon[keep],
                lat[keep],
                first[keep],
                second[keep],
                kinds[keep],
            )
        if lon.size == 0:
            return

        def at(k: int) -> str:
            return f"{where(int(starts[int(first[k])]))} ({kinds[k]})"

        self.check(name, lon, lat, at)

    def _explained_numbers(self, values: np.ndarray, segment: np.ndarray) -> np.ndarray:
        """Mark the numbers that make an allowed coordinate with one of the next three.

        Read as degrees whatever their decimals: 42.5 is a grid line's vertex too.
        """
        used = np.zeros(len(values), dtype=bool)
        if self.allowed_tree is None:
            return used
        lon_ok, lat_ok = _in(values, LON_RANGE), _in(values, LAT_RANGE)
        for d in (1, 2, 3):
            i = np.arange(max(len(values) - d, 0))
            j = i + d
            same = segment[i] == segment[j]
            for a, b in ((i, j), (j, i)):
                sel = np.flatnonzero(same & lon_ok[a] & lat_ok[b])
                hit = sel[self.allowed(values[a[sel]], values[b[sel]])]
                used[a[hit]] = True
                used[b[hit]] = True
        return used

    def dms(self, name: str, text: str, where: Callable[[int], str]) -> None:
        """Pair degrees-minutes(-seconds) latitudes with the next longitudes."""
        if not any(mark in text for mark in ("\u00b0", "\u00ba", "\u02da", "deg")):
            return
        found = []
        for m in _DMS.finditer(text):
            deg, minutes, seconds, hemi = m.groups()
            value = float(deg) + float(minutes) / 60 + float(seconds or 0) / 3600
            if hemi.upper() in "SW":
                value = -value
            found.append((m.start(), hemi.upper() in "NS", value))
        lon, lat, pos = [], [], []
        for k, (start, is_lat, value) in enumerate(found):
            for other in found[k + 1 : k + 4]:
                if other[1] != is_lat:
                    lat.append(value if is_lat else other[2])
                    lon.append(other[2] if is_lat else value)
                    pos.append(start)
        if lon:
            self.check(name, np.array(lon), np.array(lat), lambda k: f"{where(pos[k])} (dms)")

    def embedded(self, name: str, text: str, depth: int) -> None:
        """Decode data URIs, base64, hex and escaped bytes; scan each as a file."""
        spans: list[tuple[int, int]] = []
        for k, m in enumerate(_DATA_URI.finditer(text), start=1):
            mime, _, is_b64, body = m.groups()
            spans.append(m.span(4))
            raw: bytes | None
            if is_b64:
                raw = _b64(re.sub(r"\s+", "", urllib.parse.unquote(body)))
            else:
                raw = urllib.parse.unquote_to_bytes(body)
            if raw:
                self.payload(f"{name}!data:{mime or 'text/plain'}#{k}", raw, depth + 1)
        for m in _ENCODED.finditer(text):
            start = m.start()
            if any(a <= start < b for a, b in spans):
                continue
            run = m.group()
            if len(run) % 2 == 0 and _HEX_DIGITS.issuperset(run):
                raw, label = _unhex(run), "hex"
            elif len(run) >= 64:
                raw, label = _b64(run), "base64"
            else:
                continue
            if raw:
                spans.append(m.span())
                self.payload(f"{name}!{label}@{start}", raw, depth + 1)
        for m in _ESCAPED_BYTES.finditer(text):
            self.payload(f"{name}!bytes@{m.start()}", _unescape_bytes(m.group()), depth + 1)

    # -- binary ---------------------------------------------------------------------

    def binary(self, name: str, data: bytes, masked: list[tuple[int, int]]) -> None:
        """Read IEEE floats at every byte offset; pair longitudes with latitudes nearby."""
        if len(data) < 12:
            return
        if masked:
            buffer = bytearray(data)
            for a, b in masked:
                buffer[a:b] = bytes(b - a)
            a8 = np.frombuffer(bytes(buffer), dtype=np.uint8)
        else:
            a8 = np.frombuffer(data, dtype=np.uint8)
        hi = a8[:-1].astype(np.uint16)
        lo = a8[1:].astype(np.uint16)
        be16 = (hi << 8) | lo  # bytes k, k+1 read big-endian
        le16 = (lo << 8) | hi  # bytes k, k+1 read little-endian
        del hi, lo
        # bytes of allowed coordinates found so far: no other reading of them is a value
        explained = np.zeros(len(a8), dtype=bool)
        for width, code, top in ((8, "f8", (0x403C, 0x4048)), (4, "f4", (0x41E4, 0x4246))):
            span = np.uint16(top[1] - top[0])
            for endian, word, shift in (("le", le16, width - 2), ("be", be16, 0)):
                k = np.flatnonzero((word - np.uint16(top[0])) <= span)
                offsets = k - shift
                offsets = offsets[(offsets >= 0) & (offsets + width <= len(a8))]
                if offsets.size and explained.any():
                    taken = np.concatenate([[0], np.cumsum(explained)])
                    offsets = offsets[taken[offsets + width] == taken[offsets]]
                if offsets.size == 0:
                    continue
                raw = a8[offsets[:, None] + np.arange(width)]
                dtype = np.dtype(("<" if endian == "le" else ">") + code)
                values = np.ascontiguousarray(raw).view(dtype).ravel().astype(float)
                low_first = raw if endian == "le" else raw[:, ::-1]
                # fill patterns (runs of one byte, as in pixels of one colour) and values on
                # a 1/64-degree grid are structure, not measured places
                fill = (low_first[:, : width - 1] == low_first[:, :1]).all(axis=1)
                coarse = values * 64 == np.floor(values * 64)
                # grid values may still be halves of allowed coordinates; fills never
                drop = fill | (coarse if self.allowed_tree is None else False)
                offsets, values, raw, coarse = (
                    offsets[~drop],
                    values[~drop],
                    raw[~drop],
                    coarse[~drop],
                )
                texty = _TEXT_BYTE[raw].all(axis=1)
                used = self._float_pairs(
                    name,
                    f"float{width * 8}-{endian}",
                    width,
                    offsets,
                    values,
                    texty,
                    coarse,
                )
                if used.size:
                    explained[(used[:, None] + np.arange(width)).ravel()] = True

    def _float_pairs(
        self,
        name: str,
        kind: str,
        width: int,
        offsets: np.ndarray,
        values: np.ndarray,
        texty: np.ndarray,
        weak: np.ndarray,
    ) -> np.ndarray:
        """Check the pairs of one kind of float; return the offsets of allowed values.

        ``weak`` values (fill patterns, grid values) explain their partners when they make
        an allowed pair, but make no hit.
        """
        none = np.empty(0, dtype=np.int64)
        is_lon = _in(values, LON_RANGE)
        is_lat = _in(values, LAT_RANGE)
        lon_off, lon_val, lon_txt = offsets[is_lon], values[is_lon], texty[is_lon]
        lat_off, lat_val, lat_txt = offsets[is_lat], values[is_lat], texty[is_lat]
        lon_weak, lat_weak = weak[is_lon], weak[is_lat]
        if lon_off.size == 0 or lat_off.size == 0:
            return none
        used_lon = np.zeros(lon_off.size, dtype=bool)
        used_lat = np.zeros(lat_off.size, dtype=bool)
        if self.allowed_tree is not None:
            for li, ai in _aligned_pairs(lon_off, lat_off, width):
                allowed = self.allowed(lon_val[li], lat_val[ai])
                used_lon[li[allowed]] = True
                used_lat[ai[allowed]] = True
        for pair_lon, pair_lat in _aligned_pairs(lon_off, lat_off, width):
            strong = ~(lon_txt[pair_lon] & lat_txt[pair_lat])
            strong &= ~lon_weak[pair_lon] & ~lat_weak[pair_lat]
            # an allowed pair has both its values used: no hit
            keep = strong & ~used_lon[pair_lon] & ~used_lat[pair_lat]
            li, ai = pair_lon[keep], pair_lat[keep]

            def where(k: int, li: np.ndarray = li, ai: np.ndarray = ai) -> str:
                return f"{kind} offset {lon_off[li[k]]} (lat at {lat_off[ai[k]]})"

            self.check(name, lon_val[li], lat_val[ai], where)
        return np.concatenate([lon_off[used_lon], lat_off[used_lat]])

    # -- containers -----------------------------------------------------------------

    def zip(self, name: str, data: bytes, depth: int) -> list[tuple[int, int]]:
        """Read every member; return the byte ranges of compressed member data."""
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError):
            return []
        masked = []
        with archive:
            comment = archive.comment
            if comment:
                self.payload(f"{name}!(comment)", comment, depth + 1)
            for info in archive.infolist():
                if info.is_dir():
                    continue
                member = f"{name}!{info.filename}"
                for label, extra in (("comment", info.comment), ("extra", info.extra)):
                    if extra:
                        self.payload(f"{member}({label})", extra, depth + 1)
                try:
                    with archive.open(info) as handle:
                        content = handle.read(_MAX_PAYLOAD)
                except (
                    zipfile.BadZipFile,
                    RuntimeError,
                    NotImplementedError,
                    OSError,
                    zlib.error,
                    EOFError,
                ):
                    continue  # encrypted or broken: its raw bytes stay in the binary scan
                self.files += 1
                self.payload(member, content, depth + 1)
                if info.compress_type != zipfile.ZIP_STORED:
                    start = _zip_data_offset(data, info.header_offset)
                    if start is not None:
                        masked.append((start, min(len(data), start + info.compress_size)))
        return masked

    def png(self, name: str, data: bytes, depth: int) -> list[tuple[int, int]]:
        """Read PNG chunks: text as text, eXIf as Exif, IDAT decompressed."""
        pos = len(_PNG_MAGIC)
        idat: list[bytes] = []
        masked = []
        counts: dict[str, int] = {}
        while pos + 8 <= len(data):
            length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
            body = data[pos + 8 : pos + 8 + length]
            kind = ctype.decode("latin-1")
            counts[kind] = counts.get(kind, 0) + 1
            label = f"{name}!png {kind}#{counts[kind]}"
            if kind == "IDAT":
                idat.append(body)
                masked.append((pos + 8, pos + 8 + len(body)))
            elif kind in ("tEXt", "zTXt", "iTXt"):
                key, text, compressed = _png_text(kind, body)
                if compressed:
                    masked.append((pos + 8, pos + 8 + len(body)))
                if text is not None:
                    self.string(name, text, depth, _at(f"png {kind} {key} offset"))
                    self.payload(label, text.encode("utf-8"), depth + 1)
            elif kind == "eXIf":
                self.exif(name, body, "png eXIf")
            elif kind == "iCCP":
                profile = _inflate(body.partition(b"\x00")[2][1:])
                if profile is not None:
                    masked.append((pos + 8, pos + 8 + len(body)))
                    self.payload(label, profile, depth + 1)
            pos += 12 + length
            if kind == "IEND":
                if pos < len(data):
                    self.payload(f"{name}!after IEND", data[pos:], depth + 1)
                break
        if idat:
            pixels = _inflate(b"".join(idat))
            if pixels is None:
                return [m for m in masked if data[m[0] - 4 : m[0]] != b"IDAT"]
            self.payload(f"{name}!png pixels", pixels, depth + 1, as_text=False)
        return masked

    def pdf(self, name: str, data: bytes, depth: int) -> list[tuple[int, int]]:
        """Read a PDF: metadata, page text, every stream decoded; raw streams inflated."""
        masked = self._pdf_raw_streams(name, data, depth)
        try:
            import pypdf
        except ImportError:  # pragma: no cover - a dev dependency
            return masked
        quiet = logging.getLogger("pypdf")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)  # a broken PDF is still read, byte by byte
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # anything pypdf cannot parse stays in the raw and inflated bytes
                with contextlib.suppress(Exception):
                    reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
                    self._pdf_objects(name, reader, depth)
        finally:
            quiet.setLevel(level)
        return masked

    def _pdf_objects(self, name: str, reader: Any, depth: int) -> None:
        from pypdf.generic import IndirectObject, StreamObject

        with contextlib.suppress(Exception):
            info: dict[str, Any] = dict(reader.metadata or {})
            for key, value in info.items():
                self.string(name, str(value), depth, _at(f"pdf info {key} offset"))
        with contextlib.suppress(Exception):
            xmp = reader.xmp_metadata
            if xmp is not None:
                self.payload(f"{name}!pdf xmp", xmp.stream.get_data(), depth + 1)
        with contextlib.suppress(Exception):
            for number, page in enumerate(reader.pages, start=1):
                with contextlib.suppress(Exception):
                    # the fonts' ToUnicode maps decode the glyph codes of embedded fonts
                    # fast; pypdf's extract_text (slow) reads pages whose fonts lack them
                    text = _page_text(page)
                    if text is None:
                        text = page.extract_text() or ""
                    self.string(name, text, depth, _at(f"pdf page {number} text offset"))
        numbers: set[tuple[int, int]] = set()
        with contextlib.suppress(Exception):
            for gen, table in reader.xref.items():
                numbers.update((num, gen) for num in table)
        with contextlib.suppress(Exception):
            numbers.update((num, 0) for num in reader.xref_objStm)
        for num, gen in sorted(numbers):
            try:
                obj = reader.get_object(IndirectObject(num, gen, reader))
            except Exception:  # a broken object: its bytes are read raw
                continue
            if isinstance(obj, StreamObject):
                try:
                    content = obj.get_data()
                except Exception:  # an unknown filter: the encoded bytes, then
                    content = obj._data
                image = obj.get("/Subtype") == "/Image"
                self.payload(
                    f"{name}!pdf stream {num}",
                    bytes(content),
                    depth + 1,
                    as_text=not image,
                    pdf=True,
                )
                head = dict(obj.items())
                self.string(name, repr(head), depth, _at(f"pdf object {num} dict offset"))
            elif obj is not None:
                self.string(name, repr(obj), depth, _at(f"pdf object {num} offset"))

    def _pdf_raw_streams(self, name: str, data: bytes, depth: int) -> list[tuple[int, int]]:
        """Inflate every raw Flate stream body (even unreferenced ones); mask it."""
        masked = []
        for m in _PDF_STREAM.finditer(data):
            start = m.end()
            stop = data.find(b"endstream", start)
            if stop < 0:
                break
            out = _inflate(data[start:stop])
            if out is not None:
                masked.append((start, stop))
                head = data[max(0, data.rfind(b"obj", 0, m.start())) : m.start()]
                self.payload(
                    f"{name}!pdf raw stream at {start}",
                    out,
                    depth + 1,
                    as_text=b"/Image" not in head,
                    pdf=True,
                )
        return masked

    def sqlite(self, name: str, data: bytes, depth: int) -> tuple[bool, list[tuple[int, int]]]:
        """Read every cell of every table; parse geometry blobs; read layers with pyogrio.

        Boxes computed from allowed geometries (blob envelopes, layer extents in
        ``gpkg_contents``, R*Tree entries) are public too: their corners are allowed
        while the rest of this payload is read. Returns whether it pushed such corners
        (for the caller to pop), and the byte ranges of the blobs it parsed whole
        (geometries, R*Tree nodes), which the raw float scan skips.
        """
        pushed = False
        explained: list[bytes] = []
        with tempfile.TemporaryDirectory(prefix="leaks-") as tmp:
            path = Path(tmp) / "copy.gpkg"
            path.write_bytes(data)
            try:
                db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            except sqlite3.Error:
                return False, []
            outer = self._extent_values
            try:
                db.text_factory = lambda b: b.decode("utf-8", errors="replace")
                tables = _read_tables(db)
            except sqlite3.Error:
                tables = {}
            finally:
                db.close()
            try:
                geometries = {
                    t: _Geometries.of(rows)
                    for t, (_, rows) in tables.items()
                    if not _is_rtree_node(t)
                }
                self._extent_values = (np.empty(0), np.empty(0))
                if self.allowed_tree is not None:
                    corners = self._derived_corners(geometries)
                    if len(corners):
                        self.push_allowed(corners)
                        pushed = True
                explained = self._tables(name, tables, geometries, depth)
            finally:
                self._extent_values = outer
            self._ogr(name, path)
        return pushed, _locate(data, explained)

    def _derived_corners(self, geometries: dict[str, _Geometries]) -> np.ndarray:
        """Corners of the boxes of geometries whose every vertex is allowed.

        Also keeps the x and y values of those boxes: an R*Tree's inner boxes mix them.
        """
        corners: list[np.ndarray] = []
        for found in geometries.values():
            if not found.pieces:
                continue
            xy, piece = found.vertices()
            if not len(xy):
                continue
            bad = np.bincount(piece[~self.allowed(xy[:, 0], xy[:, 1])], minlength=len(found.pieces))
            has = np.bincount(piece, minlength=len(found.pieces)) > 0
            starts = np.flatnonzero(np.r_[True, piece[1:] != piece[:-1]])
            ids = piece[starts]
            lo = np.column_stack(
                [np.minimum.reduceat(xy[:, 0], starts), np.minimum.reduceat(xy[:, 1], starts)]
            )
            hi = np.column_stack(
                [np.maximum.reduceat(xy[:, 0], starts), np.maximum.reduceat(xy[:, 1], starts)]
            )
            good = bad[ids] == 0
            boxes = np.concatenate([lo[good], hi[good]])
            if len(boxes):
                corners.append(_box_corners_many(lo[good], hi[good]))
            if good.all() and has.any():
                corners.append(_box_corners(boxes))
        if not corners:
            return np.empty((0, 2))
        every_corner = np.concatenate(corners)
        self._extent_values = (np.unique(every_corner[:, 0]), np.unique(every_corner[:, 1]))
        return every_corner

    def _tables(
        self,
        name: str,
        tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]],
        geometries: dict[str, _Geometries],
        depth: int,
    ) -> list[bytes]:
        explained: list[bytes] = []
        for table, (columns, rows) in tables.items():
            found = geometries.get(table)
            parsed = found.by_cell if found is not None else {}
            lines: list[str] = []
            for row_number, row in enumerate(rows, start=1):
                cells = []
                for col, (column, cell) in enumerate(zip(columns, row, strict=True)):
                    if isinstance(cell, bytes):
                        where = f"gpkg table {table} {column} row {row_number}"
                        piece = parsed.get((row_number, col))
                        rtree = _is_rtree_node(table)
                        if (piece is not None and piece.complete) or (
                            rtree and self.rtree_node(name, cell, where)
                        ):
                            explained.append(cell)
                        else:
                            self.payload(f"{name}!{where}", cell, depth + 1)
                        cells.append("")
                    elif isinstance(cell, float):
                        cells.append(repr(cell))
                    else:
                        cells.append("" if cell is None else str(cell))
                lines.append("\t".join(cells))
            if found is not None and found.pieces:
                self._geometry_checks(name, table, columns, found)
            if not lines:
                continue
            text = "\n".join(lines)
            ends = np.cumsum([len(line) + 1 for line in lines])

            def row_of(o: int, t: str = table, e: np.ndarray = ends) -> str:
                return f"gpkg table {t} row {int(np.searchsorted(e, o, 'right')) + 1}"

            self.string(name, text, depth, row_of)
            if table == "gpkg_contents":
                self._bboxes(name, columns, rows)
        return explained

    def _geometry_checks(
        self, name: str, table: str, columns: list[str], found: _Geometries
    ) -> None:
        """Check every vertex and envelope corner of a table's geometry blobs at once."""
        keys = list(found.by_cell)
        parts = [np.concatenate([p.envelope, p.vertices]) for p in found.by_cell.values()]
        sizes = np.array([len(p) for p in parts])
        if not sizes.sum():
            return
        xy = np.concatenate(parts)
        piece = np.repeat(np.arange(len(parts)), sizes)
        first = np.cumsum(sizes) - sizes

        def where(k: int, order: str = "") -> str:
            row, col = keys[piece[k]]
            return (
                f"gpkg table {table} {columns[col]} row {row} "
                f"vertex {k - first[piece[k]] + 1}{order}"
            )

        self.check(name, xy[:, 0], xy[:, 1], where)
        self.check(name, xy[:, 1], xy[:, 0], lambda k: where(k, " (y, x)"))

    def _bboxes(self, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        index = {c: k for k, c in enumerate(columns)}
        need = ("table_name", "min_x", "min_y", "max_x", "max_y")
        if not all(c in index for c in need):
            return
        for row in rows:
            table, x0, y0, x1, y1 = (row[index[c]] for c in need)
            corners = [
                (x, y)
                for x in (x0, x1)
                for y in (y0, y1)
                if isinstance(x, int | float) and isinstance(y, int | float)
            ]
            if corners:
                xy = np.array(corners, dtype=float)
                label = f"gpkg_contents {table} bbox corner"
                self.check(name, xy[:, 0], xy[:, 1], _at(label, first=1))
                self.check(name, xy[:, 1], xy[:, 0], _at(label, first=1, suffix=" (y, x)"))

    def rtree_node(self, name: str, blob: bytes, where: str) -> bool:
        """Read the boxes of an R*Tree node (big-endian float32 min x, max x, min y, max y).

        Every 24-byte slot is read, stale ones too. A corner whose x and y are both
        values of boxes of allowed geometries is derived from public data: no hit.
        Returns whether the blob had the layout of a two-dimensional node.
        """
        slots = (len(blob) - 4) // 24
        if slots < 1 or 4 + 24 * slots != len(blob):
            return False
        cells = np.frombuffer(blob, dtype=">f4", offset=4, count=6 * slots).reshape(slots, 6)
        boxes = cells[:, 2:].astype(float)  # the first two words are the rowid
        corners = np.concatenate(
            [boxes[:, [0, 2]], boxes[:, [0, 3]], boxes[:, [1, 2]], boxes[:, [1, 3]]]
        )
        slot = np.tile(np.arange(slots), 4)
        xs, ys = self._extent_values
        derived = _member(corners[:, 0], xs, self.tolerance) & _member(
            corners[:, 1], ys, self.tolerance
        )
        corners, slot = corners[~derived], slot[~derived]
        self.check(name, corners[:, 0], corners[:, 1], lambda k: f"{where} box {slot[k] + 1}")
        return True

    def _ogr(self, name: str, path: Path) -> None:
        try:
            import pyogrio
            import shapely
        except ImportError:  # pragma: no cover - dependencies of cpgeo
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                layers = pyogrio.list_layers(path)
            except Exception:
                return
            for layer in layers[:, 0]:
                try:
                    frame = pyogrio.read_dataframe(path, layer=layer)
                except Exception:
                    continue
                geometry = getattr(frame, "geometry", None)
                if geometry is None:
                    continue
                xy, index = shapely.get_coordinates(
                    np.asarray(geometry.array, dtype=object), return_index=True
                )
                for x, y, order in ((0, 1, ""), (1, 0, " (y, x)")):
                    self.check(name, xy[:, x], xy[:, y], _feature(layer, index, order))

    def exif(self, name: str, tiff: bytes, where: str) -> None:
        """Read the GPS tags of an Exif (TIFF) block."""
        found = _exif_gps(tiff)
        if found is not None:
            lon, lat = found
            self.check(name, np.array([lon]), np.array([lat]), lambda _: f"{where} GPS")


# -- readings of pairs of numbers ---------------------------------------------------


def _readings(
    a: np.ndarray, b: np.ndarray, degrees: np.ndarray, scaled: np.ndarray, metres: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, str]]:
    """(lon, lat, selection of the pairs, label) for each way to read numbers a, b.

    ``degrees``, ``scaled`` and ``metres`` say which pairs may be read as degrees, as
    whole numbers of scaled degrees and as projected metres.
    """
    for first, second, order in ((a, b, "lon, lat"), (b, a, "lat, lon")):
        sel = np.flatnonzero(degrees & _in(first, LON_RANGE) & _in(second, LAT_RANGE))
        if sel.size:
            yield first[sel], second[sel], sel, order
        for scale in INTEGER_SCALES:
            lo = LON_RANGE[0] / scale, LON_RANGE[1] / scale
            la = LAT_RANGE[0] / scale, LAT_RANGE[1] / scale
            sel = np.flatnonzero(scaled & _in(first, lo) & _in(second, la))
            if sel.size:
                yield first[sel] * scale, second[sel] * scale, sel, f"{order} x {scale:g}"
        for epsg, (xs, ys) in PROJECTED.items():
            sel = np.flatnonzero(metres & _in(first, xs) & _in(second, ys))
            if sel.size:
                lon, lat = _to_lonlat(epsg).transform(first[sel], second[sel])
                yield (
                    np.asarray(lon, dtype=float),
                    np.asarray(lat, dtype=float),
                    sel,
                    f"{'x, y' if order == 'lon, lat' else 'y, x'} EPSG:{epsg}",
                )


def _decimals(token: str) -> int:
    """Decimal places of a number as written: ``44.37`` 2, ``4.4366e1`` 3, ``12`` 0."""
    mantissa, _, exponent = token.lower().partition("e")
    places = len(mantissa.partition(".")[2]) - int(exponent or 0)
    return max(places, 0)


# -- decoders -----------------------------------------------------------------------


def _aligned_pairs(
    lon_off: np.ndarray, lat_off: np.ndarray, width: int, chunk: int = 1 << 21
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(longitude index, latitude index) of the pairs of values that may be one record's.

    Up to :data:`BINARY_WINDOW` bytes apart, a whole number of values apart or one tag
    byte more (MessagePack, CBOR, protocol buffers); in chunks of about ``chunk`` pairs.
    """
    start = np.searchsorted(lat_off, lon_off - BINARY_WINDOW, side="left")
    stop = np.searchsorted(lat_off, lon_off + BINARY_WINDOW, side="right")
    counts = stop - start
    bounds = np.searchsorted(np.cumsum(counts), np.arange(chunk, int(counts.sum()), chunk))
    for lo, hi in itertools.pairwise([0, *bounds.tolist(), len(lon_off)]):
        c = counts[lo:hi]
        total = int(c.sum())
        if total == 0:
            continue
        li = np.repeat(np.arange(lo, hi), c)
        ai = np.arange(total) - np.repeat(np.cumsum(c) - c, c) + start[li]
        gap = np.abs(lat_off[ai] - lon_off[li])
        aligned = (gap >= width) & ((gap % width == 0) | (gap == width + 1))
        yield li[aligned], ai[aligned]


def _find_all(data: bytes, needle: bytes, *, limit: int) -> Iterator[int]:
    start = data.find(needle)
    count = 0
    while start >= 0 and count < limit:
        yield start
        count += 1
        start = data.find(needle, start + 1)


def _inflate(data: bytes, wbits: int = 15) -> bytes | None:
    """Decompress zlib (or gzip) data, at most ``_MAX_PAYLOAD`` bytes; None if it is not."""
    if len(data) < 2:
        return None
    try:
        engine = zlib.decompressobj(wbits)
        out = engine.decompress(data, _MAX_PAYLOAD)
    except zlib.error:
        return None
    if not engine.eof and not out:
        return None
    return out


def _b64(text: str) -> bytes | None:
    body = text.rstrip("=")
    body = body[: len(body) - len(body) % 4] if len(body) % 4 == 1 else body
    padded = body + "=" * (-len(body) % 4)
    altchars = b"-_" if ("-" in body or "_" in body) else None
    try:
        return base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None


def _unhex(text: str) -> bytes | None:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return None


def _unescape_bytes(text: str) -> bytes:
    return bytes(int(text[k + 2 : k + 4], 16) for k in range(0, len(text), 4))


_PDF_TEXT_TOKEN = re.compile(
    rb"/([^\s/\[\]()<>{}%]+)\s+[-+\d.]+\s+Tf|<([0-9A-Fa-f\s]*)>|\((?:\\.|[^\\)])*\)|\[|\]"
)
_CMAP_PAIR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_CMAP_RANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])")


def _cmap(data: bytes) -> dict[bytes, str]:
    """Parse a ToUnicode CMap: glyph code (bytes) to text."""
    out: dict[bytes, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for src, dst in _CMAP_PAIR.findall(block):
            out[bytes.fromhex(src.decode())] = _utf16(dst)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for lo, hi, dst in _CMAP_RANGE.findall(block):
            a, b, width = int(lo, 16), int(hi, 16), len(lo) // 2
            if b - a > 65535:
                continue
            if dst.startswith(b"["):
                targets = [_utf16(t) for t in re.findall(rb"<([0-9A-Fa-f]+)>", dst)]
                for k, text in zip(range(a, b + 1), targets, strict=False):
                    out[k.to_bytes(width, "big")] = text
            else:
                start = int(dst[1:-1], 16)
                for k in range(a, b + 1):
                    with contextlib.suppress(ValueError, OverflowError):
                        out[k.to_bytes(width, "big")] = chr(start + k - a)
    return out


def _utf16(hexdigits: bytes) -> str:
    return bytes.fromhex(hexdigits.decode()).decode("utf-16-be", errors="replace")


def _page_text(page: Any) -> str | None:
    """Return the text a page shows, decoded with its fonts' ToUnicode maps.

    None if a font of the page has no map: then pypdf's ``extract_text`` is needed.
    """
    fonts = page.get("/Resources", {}).get_object().get("/Font", {}).get_object()
    maps: dict[str, tuple[dict[bytes, str], int]] = {}
    for key, ref in fonts.items():
        font = ref.get_object()
        if "/ToUnicode" not in font:
            return None
        cmap = _cmap(font["/ToUnicode"].get_object().get_data())
        maps[str(key).lstrip("/")] = (cmap, max((len(k) for k in cmap), default=1))
    contents = page.get_contents()
    if contents is None:
        return ""
    data = contents.get_data()
    current: dict[bytes, str] = {}
    width = 1
    parts: list[str] = []
    in_array = False
    for m in _PDF_TEXT_TOKEN.finditer(data):
        font, hexdigits = m.group(1), m.group(2)
        token = m.group()
        if font is not None:
            current, width = maps.get(font.decode("latin-1"), ({}, 1))
        elif token in (b"[", b"]"):
            in_array = token == b"["
            parts.append(" ")
        else:
            if hexdigits is not None:
                digits = re.sub(rb"\s+", b"", hexdigits)
                raw = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
            else:
                raw = _PDF_ESCAPE.sub(_pdf_unescape, token[1:-1])
            if current:
                codes = [raw[k : k + width] for k in range(0, len(raw), width)]
                parts.append("".join(current.get(c, "") for c in codes))
            else:
                parts.append(raw.decode("latin-1"))
            if not in_array:
                parts.append(" ")  # one text operator ends: the next starts a new word
    return "".join(parts)


_PDF_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"\n": b""}


def _pdf_unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    if code[:1].isdigit():
        return bytes([int(code, 8) & 0xFF])
    return _PDF_ESCAPES.get(code, code)


def _blank(match: re.Match[bytes]) -> bytes:
    return b" " * len(match.group())


def _unichr(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def _zip_data_offset(data: bytes, header: int) -> int | None:
    """Where a member's data starts, after its local header."""
    if data[header : header + 4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack("<HH", data[header + 26 : header + 30])
    return int(header + 30 + name_len + extra_len)


def _png_text(kind: str, body: bytes) -> tuple[str, str | None, bool]:
    """(keyword, text, whether it was compressed) of a tEXt / zTXt / iTXt chunk."""
    key_raw, _, rest = body.partition(b"\x00")
    key = key_raw.decode("latin-1")
    if kind == "tEXt":
        return key, rest.decode("latin-1"), False
    if kind == "zTXt":
        out = _inflate(rest[1:])
        return key, None if out is None else out.decode("latin-1"), out is not None
    # iTXt: flag, method, language\0, translated keyword\0, text
    if len(rest) < 2:
        return key, None, False
    flag = rest[0]
    _, _, rest2 = rest[2:].partition(b"\x00")
    translated, _, text = rest2.partition(b"\x00")
    extra = translated.decode("utf-8", errors="replace") + "\n"
    if flag:
        out = _inflate(text)
        if out is None:
            return key, extra, False
        return key, extra + out.decode("utf-8", errors="replace"), True
    return key, extra + text.decode("utf-8", errors="replace"), False


def _exif_gps(tiff: bytes) -> tuple[float, float] | None:
    """(lon, lat) of the GPS IFD of a TIFF / Exif block, or None."""
    if tiff[:4] == b"II*\x00":
        e = "<"
    elif tiff[:4] == b"MM\x00*":
        e = ">"
    else:
        return None

    def entries(offset: int) -> dict[int, tuple[int, int, int]]:
        out: dict[int, tuple[int, int, int]] = {}
        if offset + 2 > len(tiff):
            return out
        (count,) = struct.unpack(e + "H", tiff[offset : offset + 2])
        for k in range(min(count, 512)):
            at = offset + 2 + 12 * k
            if at + 12 > len(tiff):
                break
            tag, typ, n = struct.unpack(e + "HHI", tiff[at : at + 8])
            out[tag] = (typ, n, at + 8)
        return out

    def rationals(entry: tuple[int, int, int]) -> list[float]:
        typ, n, at = entry
        (offset,) = struct.unpack(e + "I", tiff[at : at + 4])
        values = []
        for k in range(min(n, 3)):
            p = offset + 8 * k
            if p + 8 > len(tiff):
                break
            num, den = struct.unpack(e + ("ii" if typ == 10 else "II"), tiff[p : p + 8])
            values.append(num / den if den else 0.0)
        return values

    def ascii_(entry: tuple[int, int, int] | None) -> str:
        return "" if entry is None else chr(tiff[entry[2]]) if entry[2] < len(tiff) else ""

    try:
        (ifd0,) = struct.unpack(e + "I", tiff[4:8])
        pointer = entries(ifd0).get(0x8825)
        if pointer is None:
            return None
        (gps_at,) = struct.unpack(e + "I", tiff[pointer[2] : pointer[2] + 4])
        gps = entries(gps_at)
        if 2 not in gps or 4 not in gps:
            return None
        lat_dms, lon_dms = rationals(gps[2]), rationals(gps[4])
        lat = sum(v / 60**k for k, v in enumerate(lat_dms))
        lon = sum(v / 60**k for k, v in enumerate(lon_dms))
    except struct.error:
        return None
    if ascii_(gps.get(1)) == "S":
        lat = -lat
    if ascii_(gps.get(3)) == "W":
        lon = -lon
    return lon, lat


# -- GeoPackage geometry and WKB ----------------------------------------------------

_ENVELOPE_DOUBLES = {0: 0, 1: 4, 2: 6, 3: 6, 4: 8}


def _table_names(db: sqlite3.Connection) -> list[str]:
    return [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _member(values: np.ndarray, sorted_set: np.ndarray, tolerance: float) -> np.ndarray:
    """Which ``values`` lie within ``tolerance`` of a value of ``sorted_set``."""
    if sorted_set.size == 0:
        return np.zeros(len(values), dtype=bool)
    k = np.clip(np.searchsorted(sorted_set, values), 1, sorted_set.size - 1)
    nearest = np.minimum(np.abs(values - sorted_set[k - 1]), np.abs(values - sorted_set[k]))
    if sorted_set.size == 1:
        nearest = np.abs(values - sorted_set[0])
    return nearest <= tolerance


def _locate(data: bytes, blobs: list[bytes]) -> list[tuple[int, int]]:
    """Byte ranges of ``data`` that hold ``blobs``, which SQLite may split over pages.

    Blobs are looked for near where the last one ended, then anywhere; a blob that
    leaves the file's bytes (the rest of its page holds something else) is followed onto
    its overflow pages piece by piece.
    """
    ranges: list[tuple[int, int]] = []
    view = np.frombuffer(data, dtype=np.uint8)
    cursor = 0
    for blob in blobs:
        i = 0
        pos = -1
        while i < len(blob):
            if pos < 0:
                piece = blob[i : i + 32]
                if len(piece) < 12:
                    break
                # cells fill a page from its end: the next row sits close, either side
                pos = data.find(piece, max(0, cursor - 70_000), cursor + 70_000)
                if pos < 0:
                    pos = data.find(piece)
                if pos < 0:
                    i += len(piece)
                    continue
            size = min(len(blob) - i, len(data) - pos)
            same = view[pos : pos + size] == np.frombuffer(
                blob, dtype=np.uint8, count=size, offset=i
            )
            differ = np.flatnonzero(~same)
            n = int(differ[0]) if differ.size else size
            if n == 0:
                pos = -1
                cursor = 0
                continue
            ranges.append((pos, pos + n))
            i += n
            cursor = pos + n
            pos = -1
    return ranges


def _is_rtree_node(table: str) -> bool:
    return table.startswith("rtree_") and table.endswith("_node")


def _read_tables(db: sqlite3.Connection) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Read every table's column names and rows.

    Virtual tables of modules this SQLite lacks are left out: their shadow tables hold
    the data.
    """
    tables = {}
    for table in _table_names(db):
        try:
            cursor = db.execute(f"SELECT * FROM {_quote(table)}")
            tables[table] = ([c[0] for c in cursor.description], cursor.fetchall())
        except sqlite3.Error:
            continue
    return tables


@dataclass
class _Geometries:
    """The geometry blobs of one table, parsed, by (row number, column index)."""

    by_cell: dict[tuple[int, int], _Parsed]

    @property
    def pieces(self) -> list[_Parsed]:
        return list(self.by_cell.values())

    @classmethod
    def of(cls, rows: list[tuple[Any, ...]]) -> _Geometries:
        by_cell = {}
        for r, row in enumerate(rows, start=1):
            for c, cell in enumerate(row):
                if isinstance(cell, bytes):
                    parsed = _gpkg_coordinates(cell)
                    if parsed is not None:
                        by_cell[(r, c)] = parsed
        return cls(by_cell)

    def vertices(self) -> tuple[np.ndarray, np.ndarray]:
        """All vertices, and the index of the piece of each."""
        parts = [p.vertices for p in self.by_cell.values()]
        sizes = np.array([len(p) for p in parts], dtype=np.int64)
        if not sizes.sum():
            return np.empty((0, 2)), np.empty(0, dtype=np.int64)
        return np.concatenate(parts), np.repeat(np.arange(len(parts)), sizes)


def _box_corners_many(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Return the four corners of each box (lo, hi: (n, 2) minimum and maximum x, y)."""
    return np.concatenate(
        [lo, hi, np.column_stack([lo[:, 0], hi[:, 1]]), np.column_stack([hi[:, 0], lo[:, 1]])]
    )


def _box_corners(xy: np.ndarray) -> np.ndarray:
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    return np.array([[x0, y0], [x0, y1], [x1, y0], [x1, y1]])


@dataclass(frozen=True)
class _Parsed:
    envelope: np.ndarray  # (4, 2) corners x, y, or (0, 2)
    vertices: np.ndarray  # (n, 2) x, y
    complete: bool  # every byte of the blob accounted for


def _gpkg_coordinates(blob: bytes) -> _Parsed | None:
    """Read the envelope corners and vertices of a GeoPackage geometry blob (or bare WKB).

    None when the blob is neither.
    """
    points: list[np.ndarray] = []
    envelope = np.empty((0, 2))
    body = blob
    if blob[:2] == b"GP" and len(blob) >= 8:
        flags = blob[3]
        e = "<" if flags & 1 else ">"
        n = _ENVELOPE_DOUBLES.get((flags >> 1) & 7, 0)
        if len(blob) < 8 + 8 * n:
            return None
        env = np.frombuffer(blob, dtype=e + "f8", count=n, offset=8)
        if n >= 4:
            x0, x1, y0, y1 = env[:4]
            envelope = np.array([[x0, y0], [x1, y1], [x0, y1], [x1, y0]])
        body = blob[8 + 8 * n :]
    elif not blob or blob[0] not in (0, 1):
        return None
    end = -1
    with contextlib.suppress(struct.error, ValueError, IndexError):
        end = _wkb(body, 0, points, depth=0)
    if not points and not len(envelope):
        return None
    vertices = [p[:, :2] for p in points if p.size]
    return _Parsed(
        envelope,
        np.concatenate(vertices) if vertices else np.empty((0, 2)),
        complete=end == len(body),
    )


def _wkb(data: bytes, pos: int, out: list[np.ndarray], depth: int) -> int:
    """Parse one WKB geometry at ``pos`` into ``out``; return the position after it.

    ISO or EWKB types, with Z and M, in either byte order.
    """
    if depth > 32:
        msg = "WKB nested too deep"
        raise ValueError(msg)
    order = data[pos]
    if order not in (0, 1):
        msg = "not WKB"
        raise ValueError(msg)
    e = "<" if order == 1 else ">"
    (code,) = struct.unpack(e + "I", data[pos + 1 : pos + 5])
    pos += 5
    has_z = bool(code & 0x80000000)
    has_m = bool(code & 0x40000000)
    if code & 0x20000000:  # EWKB SRID
        pos += 4
    code &= 0x0FFFFFFF
    kind, iso = code % 1000, code // 1000
    has_z = has_z or iso in (1, 3)
    has_m = has_m or iso in (2, 3)
    dims = 2 + has_z + has_m

    def coords(count: int, at: int) -> int:
        if count < 0 or at + 8 * dims * count > len(data):
            msg = "WKB runs past its end"
            raise ValueError(msg)
        xy = np.frombuffer(data, dtype=e + "f8", count=dims * count, offset=at)
        out.append(xy.reshape(count, dims))
        return at + 8 * dims * count

    def count_at(at: int) -> tuple[int, int]:
        (n,) = struct.unpack(e + "I", data[at : at + 4])
        return n, at + 4

    if kind == 1:
        return coords(1, pos)
    if kind in (2, 8):  # linestring, circular string
        n, pos = count_at(pos)
        return coords(n, pos)
    if kind in (3, 17):  # polygon, triangle
        rings, pos = count_at(pos)
        for _ in range(rings):
            n, pos = count_at(pos)
            pos = coords(n, pos)
        return pos
    if kind in (4, 5, 6, 7, 9, 10, 11, 12, 15, 16):  # multi-, collections, curves, surfaces
        parts, pos = count_at(pos)
        for _ in range(parts):
            pos = _wkb(data, pos, out, depth + 1)
        return pos
    msg = f"WKB type {code}"
    raise ValueError(msg)


def iter_hits(result: ScanResult) -> Iterator[str]:
    """Describe each hit on one line, for an assertion message.

    Parameters
    ----------
    result
        What :func:`scan` returned.

    Yields
    ------
    str
        ``file: where: (lon, lat) d km from site i``.
    """
    for hit in result.hits:
        yield (
            f"{hit.file}: {hit.where}: ({hit.lon:.6f}, {hit.lat:.6f}) "
            f"{hit.distance_km:.3f} km from site {hit.site}"
        )


def describe(result: ScanResult, limit: int = 20) -> str:
    """Summarise a scan for an assertion message.

    Parameters
    ----------
    result
        What :func:`scan` returned.
    limit
        Hits listed at most.

    Returns
    -------
    str
        Counts, then one line per hit.
    """
    lines = list(iter_hits(result))
    more = f"\n... and {len(lines) - limit} more" if len(lines) > limit else ""
    head = f"{len(result.hits)} hits in {result.files} files, {result.bytes_scanned} bytes"
    return "\n".join([head, *lines[:limit]]) + more


__all__ = ["Hit", "ScanResult", "describe", "iter_hits", "scan"]
