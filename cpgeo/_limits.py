"""Refuse an input file too big to read, or dangerous to parse, before reading it.

The caps are :data:`cpgeo.settings.max_rows`, :data:`~cpgeo.settings.max_uncompressed_mb`
and :data:`~cpgeo.settings.max_compression_ratio`. Every check here looks at counts
and sizes without loading the file: CSV rows are counted while streaming the bytes,
zip members are judged from the archive's directory, vector features from the driver's
own count, and the XML parts of a workbook from their first bytes. Each raises the
layer's :class:`~cpgeo.InputError` through :meth:`cpgeo._validate.Problems.fail`, with a
message that names the setting to raise.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import pyogrio

from cpgeo import settings
from cpgeo.i18n import Message, Number

if TYPE_CHECKING:
    import zipfile
    from pathlib import Path

    from cpgeo._validate import Problems

#: Bytes read at a time when streaming a file.
CHUNK = 1 << 20
#: A zip member smaller than this (bytes) is too small to harm whatever its ratio.
_RATIO_FLOOR = 1 << 20
#: How far (bytes) into an XML part its prolog may run; OOXML's is under 100 bytes.
_PROLOG_BYTES = 1 << 16
_MB = 1 << 20


def _mb(size: int) -> str:
    return f"{size / _MB:,.0f} MB" if size >= _MB else f"{size / _MB:,.2f} MB"


_TOO_MANY = {
    ("row", False): "the file has {count} rows, more than {limit} rows (the limit, "
    "cpgeo.settings.max_rows); split the file or raise the limit",
    ("row", True): "the file has more than {count} rows, more than {limit} rows (the "
    "limit, cpgeo.settings.max_rows); split the file or raise the limit",
    ("feature", False): "the file has {count} features, more than {limit} features (the "
    "limit, cpgeo.settings.max_rows); split the file or raise the limit",
    ("feature", True): "the file has more than {count} features, more than {limit} "
    "features (the limit, cpgeo.settings.max_rows); split the file or raise the limit",
}


def too_many(count: int, word: str, *, at_least: bool = False) -> Message:
    """Return the message for a layer with ``count`` items (``at_least``: more than that)."""
    return Message(
        _TOO_MANY[word, at_least], count=Number(count), limit=Number(settings.max_rows)
    )


# --- CSV -------------------------------------------------------------------------------


def check_csv_rows(path: Path, problems: Problems) -> None:
    r"""Refuse a CSV with more than ``settings.max_rows`` data rows, reading it in chunks.

    Lines are counted first (``\n``, ``\r\n`` or a lone ``\r`` ends one); they bound
    the rows from above, so a file with no more lines than the limit passes at once.
    Only a file with more lines is read as CSV records, which a quoted cell may spread
    over several lines, and blank records are not counted, as the reader drops them.
    Memory stays at a chunk whatever the size of the file.
    """
    limit = settings.max_rows
    lines = _count_lines(path)
    if lines - 1 <= limit:  # the first line is the header
        return
    with path.open("rb") as file:
        head = file.read(_PROLOG_BYTES).decode("utf-8", errors="replace")
    sample = "\n".join(head.splitlines()[:20])
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    rows = 0
    try:
        # ASCII-compatible either way (UTF-8 or Windows-1256), so quotes, separators and
        # line ends, all that decides where a record ends, read the same.
        with (
            path.open("rb") as raw,
            io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as text,
        ):
            records = csv.reader(text, delimiter=sep, skipinitialspace=True)
            next(records, None)  # the header
            for record in records:
                if any(cell.strip() for cell in record):
                    rows += 1
                    if rows > limit:
                        break
    except csv.Error as exc:
        # Too odd to count records in (a cell over csv's 128 KiB): judged by its lines.
        msg = Message(
            "the file has {lines} lines, more than {limit} rows (the limit, "
            "cpgeo.settings.max_rows), and its rows cannot be counted: {reason}",
            lines=Number(lines), limit=Number(limit), reason=str(exc),
        )
        raise problems.fail(None, msg) from exc
    if rows > limit:
        raise problems.fail(None, too_many(limit, "row", at_least=True))


def _count_lines(path: Path) -> int:
    """Return the number of lines of a file, read in chunks, ending in any of LF, CRLF, CR."""
    lf = cr = crlf = 0
    last = b""
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            lf += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            crlf += chunk.count(b"\r\n")
            if last == b"\r" and chunk.startswith(b"\n"):
                crlf += 1
            last = chunk[-1:]
    return lf + cr - crlf + (1 if last not in (b"", b"\n", b"\r") else 0)


# --- zip archives (zipped Shapefiles, XLSX workbooks) ------------------------------------


def check_zip_members(
    archive: zipfile.ZipFile,
    problems: Problems,
    *,
    members: list[zipfile.ZipInfo] | None = None,
) -> None:
    """Refuse an archive whose members would expand beyond the limits: a zip bomb.

    Judged from the sizes in the archive's directory, before anything is decompressed.
    Python's zipfile and GDAL's ``/vsizip/`` stop reading a member at the size the
    directory declares, so an archive cannot expand beyond what it declares here.

    Parameters
    ----------
    archive
        The open archive.
    problems
        The layer's problems.
    members
        The members that will be read (default: all of them).
    """
    infos = archive.infolist() if members is None else members
    before = len(problems)
    total = sum(info.file_size for info in infos)
    limit = settings.max_uncompressed_mb * _MB
    if total > limit:
        problems.add(
            None,
            None,
            Message(
                "the archive expands to {size}, more than {limit} MB (the limit, "
                "cpgeo.settings.max_uncompressed_mb); refused unread, as a possible zip bomb",
                size=_mb(total), limit=Number(settings.max_uncompressed_mb),
            ),
        )
    ratio_limit = settings.max_compression_ratio
    for info in infos:
        if info.file_size <= _RATIO_FLOOR or info.filename.lower().endswith(".dbf"):
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > ratio_limit:
            problems.add(
                None,
                None,
                Message(
                    "member {member} expands {ratio} times ({packed} to {size}), more than "
                    "{limit} times (the limit, cpgeo.settings.max_compression_ratio); refused "
                    "unread, as a possible zip bomb",
                    member=info.filename, ratio=f"{ratio:,.0f}", packed=_mb(info.compress_size),
                    size=_mb(info.file_size), limit=f"{ratio_limit:,g}",
                ),
            )
    if len(problems) > before:
        raise problems.error()


def shapefile_members(archive: zipfile.ZipFile, shp: str) -> list[zipfile.ZipInfo]:
    """Return the members GDAL reads for the Shapefile ``shp``: its ``.shp``, ``.dbf`` ..."""
    stem = str(PurePosixPath(shp).with_suffix("")).lower()
    return [
        info
        for info in archive.infolist()
        if not info.is_dir() and str(PurePosixPath(info.filename).with_suffix("")).lower() == stem
    ]


def check_xml_prologs(archive: zipfile.ZipFile, problems: Problems) -> None:
    """Refuse a workbook whose XML parts declare a DTD (``<!DOCTYPE``), hence entities.

    Office Open XML never uses a DTD; one in a workbook is there to expand entities
    ("billion laughs") or fetch external ones. A DTD may stand only in the prolog, before
    the root element, so only the first bytes of each part are read. Reading a workbook
    also goes through defusedxml (openpyxl uses it when installed), which refuses
    entities anywhere; this check names the part and does not depend on it.
    """
    before = len(problems)
    for info in archive.infolist():
        if info.is_dir():
            continue
        with archive.open(info) as member:
            head = member.read(_PROLOG_BYTES)
        found = _prolog_problem(head, complete=info.file_size <= len(head))
        if found is not None:
            problems.add(
                None,
                None,
                Message(
                    "part {part} {found}; a workbook never needs one (refused, as a possible "
                    "XML entity bomb)",
                    part=info.filename, found=found,
                ),
            )
    if len(problems) > before:
        raise problems.error()


def _prolog_problem(head: bytes, *, complete: bool) -> Message | None:
    """Return what is wrong with the prolog of XML starting ``head``, or None."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="replace")
    elif head.startswith(b"<\x00"):
        text = head.decode("utf-16-le", errors="replace")
    elif head.startswith(b"\x00<"):
        text = head.decode("utf-16-be", errors="replace")
    else:
        text = head.decode("utf-8-sig", errors="replace")
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if text.startswith("<!DOCTYPE", at):
            return Message("declares a DTD (<!DOCTYPE)")
        ends = {"<?": "?>", "<!--": "-->"}
        opener = next((o for o in ends if text.startswith(o, at)), None)
        if opener is None:
            return None  # the root element, or not XML at all (an image)
        close = text.find(ends[opener], at + len(opener))
        if close < 0:
            if complete:
                return None  # a broken part: the XML parser reports it
            return Message(
                "has an XML prolog longer than {size} bytes", size=Number(_PROLOG_BYTES)
            )
        at = close + len(ends[opener])


# --- vector files ----------------------------------------------------------------------


def check_feature_count(target: str, problems: Problems, *, layer: str | None) -> None:
    """Refuse a vector layer with more than ``settings.max_rows`` features, unread.

    The count is the driver's own (``pyogrio.read_info``): a Shapefile's and a
    GeoPackage's are in their headers; GDAL scans a GeoJSON for it without building the
    features. An unknown count (-1) passes here; the reader stops one past the limit.
    """
    info = pyogrio.read_info(target, layer=layer)
    count = int(info.get("features", -1))
    if count > settings.max_rows:
        raise problems.fail(None, too_many(count, "feature"))
