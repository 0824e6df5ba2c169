"""Reading and writing layers: CSV, XLSX, GeoJSON, GeoPackage and (zipped) Shapefile.

Writing is in :mod:`cpgeo._write` (its public functions are re-exported here).

Every reader ends in one private builder, :func:`_build_layer`, which validates the
rows, collects every problem and raises one :class:`~cpgeo.InputError` naming the file,
the rows and the columns (see :mod:`cpgeo._validate` for how rows are numbered), and
returns a GeoDataFrame in the layer schema of DESIGN.md, in EPSG:4326. Asked to, it
leaves out the rows of a point layer that have problems instead, and lists them
(:func:`read_layer_partial`).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io as _io
import logging
import os
import shutil
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from cpgeo import _limits, settings
from cpgeo import _validate as v
from cpgeo._errors import InputError
from cpgeo._log import log
from cpgeo._text import repair_mojibake_columns

# writing lives in cpgeo._write; these names are part of cpgeo.io
from cpgeo._write import csv_safe, csv_safe_text, write_layer, write_layers
from cpgeo.admin import area_level, areas_from_frame, attach_areas, has_districts
from cpgeo.i18n import Joined, Message, Number
from cpgeo.regions import assign_governorates, find_governorate, load_boundaries

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import openpyxl

__all__ = [
    "KINDS",
    "LoadResult",
    "csv_safe",
    "csv_safe_text",
    "read_layer",
    "read_layer_frame",
    "read_layer_partial",
    "write_layer",
    "write_layers",
]

Kind = Literal["offices", "cpfs", "communities", "stations", "boundaries"]
#: What :func:`read_layer` does with rows that have problems.
BadRows = Literal["refuse", "leave_out"]

#: The layer kinds :func:`read_layer` knows.
KINDS: tuple[str, ...] = ("offices", "cpfs", "communities", "stations", "boundaries")
_POINT_KINDS = frozenset({"offices", "cpfs", "communities", "stations"})

_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")

# Column spellings, matched without regard to case; the first one found wins.
_LAT = ("latitude", "lat", "y", "lat_dd", "latitude_dd", "lat_deg", "point_y", "ycoord")
_LON = (
    "longitude",
    "lon",
    "lng",
    "long",
    "x",
    "lon_dd",
    "long_dd",
    "longitude_dd",
    "lon_deg",
    "point_x",
    "xcoord",
)
_WKT = ("geometry", "wkt", "geom", "the_geom")
_ID = ("id", "fid", "code", "uid", "pcode", "identifier", "objectid", "site_id")
_ID_BY_KIND = {
    "offices": ("office_id", "cpo_id", "office_code"),
    "cpfs": ("cpf_id", "forum_id", "cpf_code"),
    "communities": ("community_id", "place_id", "geonameid"),
    "stations": ("station_id", "station_code"),
    "boundaries": ("iso_3166_2", "shapeid", "adm1_pcode"),
}
_NAME = ("name", "name_en", "english_name", "title", "label", "shapename", "adm1_en", "name_1")
_GOVERNORATE = (
    "governorate",
    "governorat",  # a Shapefile cuts field names at 10 characters
    "gov",
    "province",
    "admin1",
    "adm1",
    "adm1_en",
    "admin1name",
    "muhafaza",
)
_POPULATION = ("population", "pop", "inhabitants", "pop_total", "people")
_OFFICE_ID = ("office_id", "office", "cpo_id", "office_cod")
_ESTABLISHED = ("established", "establishe", "date_established", "established_on", "est_date")
_DONOR = ("donor", "funded_by", "funder")


def read_layer(
    path: str | os.PathLike[str],
    kind: Kind | str,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    layer: str | None = None,
    bad_rows: BadRows = "refuse",
) -> gpd.GeoDataFrame:
    """Read and validate a layer file.

    Formats, by extension: ``.csv`` (also ``.txt`` / ``.tsv``; comma, semicolon, tab
    or pipe separated; UTF-8 or Windows-1256), ``.xlsx`` (first sheet, or ``layer``),
    ``.geojson`` / ``.json``, ``.gpkg`` (first layer, or ``layer``), ``.shp`` and a
    zipped Shapefile ``.zip`` (the first ``.shp`` inside, or the one named ``layer``).

    Tables locate points by latitude / longitude columns in decimal degrees (WGS84) under
    their usual names (``latitude``, ``lat``, ``y``, ``lat_dd``; ``longitude``, ``lon``,
    ``lng``, ``long``, ``x``; any case) or by a WKT ``geometry`` column in EPSG:4326.
    Vector files are reprojected to EPSG:4326 and must declare a CRS (GeoJSON is
    EPSG:4326 by definition).

    Text in vector files that is UTF-8 once decoded as Latin-1 / Windows-1252 (mojibake:
    ``Ø§Ù„Ø§Ù†Ø¨Ø§Ø±`` for ``الانبار``, as in some GeoJSON copies of OCHA's COD-AB) is
    repaired (:mod:`cpgeo._text`), and the repair is logged as a warning with the
    columns and cells repaired.

    Numbers written as text (coordinates, populations, other numeric columns) are read by
    one set of rules, :mod:`cpgeo._numbers`: ASCII and Arabic-Indic digits, thousands
    separators (``12,000``, ``12 000``, ``1.234.567``, the Arabic U+066C), a decimal
    point or, where the column writes them so, a decimal comma (``33,5``, ``1.234,5``).
    A cell that could be two numbers (``12.000`` in a population, ``33,500`` in a
    latitude) is reported, not guessed.

    Parameters
    ----------
    path
        The file.
    kind
        ``{"offices", "cpfs", "communities", "stations", "boundaries"}``; the first four
        are points, ``"boundaries"`` polygons.
    boundaries
        Governorate polygons used to fill a missing ``governorate`` (default: the
        embedded governorates). Points outside Iraq are judged against the embedded
        governorates whatever is passed here.
    layer
        Sheet of an XLSX workbook, layer of a GeoPackage or Shapefile inside a zip.
    bad_rows
        ``{"refuse", "leave_out"}``. ``"refuse"`` (the default): a problem in any row
        refuses the file. ``"leave_out"`` (point layers only): the rows with problems
        are left out and the others returned, with a WARNING log naming how many and
        why; :func:`read_layer_partial` does the same and lists the rows left out.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, default RangeIndex, columns: ``id`` (unique text; ``"<kind>-<n>"``
        when the file has none), ``name`` (the id when missing), ``governorate``
        (canonical; a user's spelling is canonicalised, empty cells are filled by
        point-in-polygon with a snap of ``settings.governorate_snap_km`` km, missing
        beyond it), for communities ``population`` (``Int64`` >= 0; ``<NA>`` when
        unknown: an empty cell or no population column, never 0), for
        cpfs ``office_id`` (text, missing when not declared), ``established``
        (datetime64 at midnight) and ``donor`` when present, the file's other columns,
        and ``geometry`` (Point; MultiPolygon or Polygon for boundaries).
        Latitude / longitude columns are replaced by the geometry.

    Raises
    ------
    InputError
        The file is missing, empty, unreadable or of an unsupported type, or rows have
        problems (missing or non-numeric coordinates, swapped latitude / longitude,
        points more than ``settings.outside_iraq_tolerance_km`` km outside Iraq,
        duplicate ids, bad or ambiguous numbers, bad populations, dates or office ids,
        unknown governorates). All problems are reported at once, naming the file,
        each row and column. With ``bad_rows="leave_out"``: as :func:`read_layer_partial`.
    """
    return _read(path, kind, boundaries=boundaries, layer=layer, bad_rows=bad_rows).layer


#: "183 of 11,443 rows", by the word of the layer and whether one row was read.
_OF_ROWS = {
    ("row", False): "{left_out} of {read} rows",
    ("row", True): "{left_out} of {read} row",
    ("feature", False): "{left_out} of {read} features",
    ("feature", True): "{left_out} of {read} feature",
}


@dataclass(frozen=True, eq=False)
class LoadResult:
    """A layer read with the rows that have problems left out (:func:`read_layer_partial`).

    Attributes
    ----------
    layer
        The rows without problems, exactly as :func:`read_layer` returns a layer
        (EPSG:4326).
    left_out
        One row per row left out, in file order. ``row`` (``feature`` for GeoJSON,
        GeoPackage and Shapefile): its number as in error messages (see
        :mod:`cpgeo._validate`: for CSV and XLSX the spreadsheet row, header included);
        ``reasons``: every problem of the row, ``"column <column>: <what is wrong>"``,
        joined by ``"; "``; then every cell of the row as it was read, under the file's
        column names (a CSV's cells as text; a vector file's geometry as WKT in
        EPSG:4326 in ``geometry``). A column of the file named like one of the first
        two is renamed with a ``_`` in front. Empty when no row was left out.
    problems
        The problems of the rows left out, each naming its row(s) and column.
    source
        The file's name.
    kind
        The layer kind.
    word
        ``"row"``, or ``"feature"`` for vector files.
    reasons
        Rows left out by short reason (``{"outside Iraq": 180, ...}``), most first; a
        row with several reasons counts under each.
    said_reasons
        The same counts keyed by the reasons as messages, to say them in any language
        (:meth:`summary`).
    """

    layer: gpd.GeoDataFrame
    left_out: pd.DataFrame
    problems: tuple[v.Problem, ...]
    source: str
    kind: str
    word: str
    reasons: Mapping[str, int]
    said_reasons: Mapping[Message, int] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def n_left_out(self) -> int:
        """Rows left out."""
        return len(self.left_out)

    @property
    def n_read(self) -> int:
        """Rows read: kept plus left out (blank lines are not rows)."""
        return len(self.layer) + len(self.left_out)

    def summary(self, lang: str = "en") -> str:
        """Say what was left out: ``"183 of 11,443 rows: 180 outside Iraq, 3 missing ..."``.

        In ``lang`` (English by default), its counts formatted for that language.
        """
        return self.summary_said().text(lang)

    def summary_said(self) -> Message:
        """:meth:`summary` as a message, to say in any language."""
        words = _OF_ROWS[self.word, self.n_read == 1]
        head = Message(words, left_out=Number(self.n_left_out), read=Number(self.n_read))
        if not self.said_reasons:
            return head
        return Message("{head}: {why}", head=head, why=self.reasons_said())

    def reasons_said(self) -> Joined:
        """Say the rows left out by reason (``180 outside Iraq, 3 missing coordinates``)."""
        return Joined(
            Message("{count} {reason}", count=Number(n), reason=reason)
            for reason, n in self.said_reasons.items()
        )

    def error(self) -> InputError | None:
        """Return the error :func:`read_layer` raises by default for these rows, or None."""
        if not self.problems:
            return None
        collected = v.Problems(self.source, self.kind)
        collected.items = list(self.problems)
        return collected.error()


def read_layer_partial(
    path: str | os.PathLike[str],
    kind: Kind | str,
    *,
    boundaries: gpd.GeoDataFrame | None = None,
    layer: str | None = None,
) -> LoadResult:
    """Read a point layer, leaving out the rows that have problems, and list them.

    Reads and validates as :func:`read_layer` does, then, instead of refusing the file
    for problems in some rows, leaves those rows out: the layer holds the other rows,
    ``left_out`` lists each row left out with its number, every reason and every cell.
    A WARNING log says how many rows were left out and why.

    A problem is a row's when the message names the row: missing, unreadable or swapped
    coordinates, a point more than ``settings.outside_iraq_tolerance_km`` km outside
    Iraq (nearer points are kept, as :func:`read_layer` keeps them), a missing id, a bad
    population, date or office id, an unknown governorate. A duplicate id concerns every
    row that has it: nothing says which of them is the right one, so all of them are left
    out (each one's reason names them all).

    Parameters
    ----------
    path, kind, boundaries, layer
        As in :func:`read_layer`; ``kind`` one of
        ``{"offices", "cpfs", "communities", "stations"}``.

    Returns
    -------
    LoadResult
        ``layer`` (as :func:`read_layer` returns it, EPSG:4326), ``left_out``,
        ``problems``, ``reasons`` and :meth:`LoadResult.summary`.

    Raises
    ------
    InputError
        For problems of the whole file (missing, empty, unreadable, of an unsupported
        type, without coordinate columns), reporting every problem found; when no row
        is free of problems; for ``kind="boundaries"`` (a governorate left out would
        silently leave its communities out of every figure).
    """
    return _read(path, kind, boundaries=boundaries, layer=layer, bad_rows="leave_out")


def _read(
    path: str | os.PathLike[str],
    kind: str,
    *,
    boundaries: gpd.GeoDataFrame | None,
    layer: str | None,
    bad_rows: str,
) -> LoadResult:
    path = Path(path)
    kind = _check_kind(kind)
    if bad_rows not in ("refuse", "leave_out"):
        msg = f"bad_rows must be 'refuse' or 'leave_out', not {bad_rows!r}"
        raise InputError(msg)
    if bad_rows == "leave_out" and kind not in _POINT_KINDS:
        msg = (
            f"{path.name}: bad rows can be left out of point layers only; a {kind} layer "
            "with problems is refused"
        )
        raise InputError(msg)
    problems = v.Problems(path.name, kind)
    if not path.exists():
        raise problems.fail(None, Message("file not found: {path}", path=str(path)))
    if path.is_dir():
        raise problems.fail(None, Message("{path} is a folder, not a file", path=str(path)))
    suffix = path.suffix.lower()
    if suffix in _TABLE_SUFFIXES:
        frame, rows = _read_table(path, problems, sheet=layer)
        geometry, word = None, "row"
    elif suffix in _VECTOR_SUFFIXES:
        vector = _read_vector(path, problems, layer=layer)
        rows = np.arange(1, len(vector) + 1)
        geometry = vector.geometry if isinstance(vector, gpd.GeoDataFrame) else None
        frame = (
            pd.DataFrame(vector.drop(columns=vector.geometry.name))
            if geometry is not None
            else vector
        )
        frame, repaired = repair_mojibake_columns(frame)
        if repaired:
            cells = ", ".join(f"{column} ({n})" for column, n in repaired.items())
            log(f"read_layer: {path.name}: repaired UTF-8 text read as Latin-1 in {cells}",
                logging.WARNING)
        word = "feature"
    else:
        supported = ", ".join((*_TABLE_SUFFIXES, *_VECTOR_SUFFIXES))
        raise problems.fail(None, _unsupported(path, supported))
    gdf = _build_layer(
        frame,
        geometry,
        kind,
        problems=problems,
        rows=rows,
        word=word,
        boundaries=boundaries,
        bad_rows=bad_rows,
    )
    left_out, said = _left_out_table(frame, geometry, rows, word, problems.left_out)
    reasons = {str(reason): n for reason, n in said.items()}
    result = LoadResult(
        gdf, left_out, tuple(problems.left_out), path.name, kind, word, reasons, said
    )
    log(f"read_layer: {len(gdf)} {kind} from {path.name}")
    if result.n_left_out:
        log(f"read_layer: {path.name}: left out {result.summary()}", logging.WARNING)
    return result


def _left_out_table(
    frame: pd.DataFrame,
    geometry: gpd.GeoSeries | None,
    rows: np.ndarray,
    word: str,
    problems: Sequence[v.Problem],
) -> tuple[pd.DataFrame, dict[Message, int]]:
    """Return the rows ``problems`` name with their reasons and cells, and rows by reason."""
    labels = [f"{word} {n}" for n in rows]
    index = {label: i for i, label in enumerate(labels)}
    # row number -> position in frame (-1: a row the reader did not keep), reasons, short
    # reasons (a dict: ordered, so ties in the counts go by row, then column)
    found: dict[int, tuple[int, list[str], dict[Message, None]]] = {}
    for p in problems:
        if p.positions:
            entries = [found.setdefault(int(rows[i]), (i, [], {})) for i in p.positions]
        elif p.row in index:
            i = index[p.row]
            entries = [found.setdefault(int(rows[i]), (i, [], {}))]
        else:  # e.g. an XLSX row holding nothing but cells beyond the last named column
            number = (p.row or "").rsplit(" ", 1)[-1]
            if not number.isdigit():
                continue
            entries = [found.setdefault(int(number), (-1, [], {}))]
        reason = str(v.Problem(None, p.column, p.message))
        if len(entries) > 1:
            reason = f"{reason} ({p.row}: all of them left out)"
        for _at, texts, short in entries:
            texts.append(reason)
            short[v.reason_of(p)] = None
    numbers = sorted(found)
    positions = [found[n][0] for n in numbers]
    cells = frame.reindex(positions).reset_index(drop=True)
    if geometry is not None:
        geoms = geometry.to_numpy()
        shapes = np.array([geoms[i] if i >= 0 else None for i in positions], dtype=object)
        cells["geometry"] = pd.Series(shapely.to_wkt(shapes, rounding_precision=-1), dtype=object)
    # the file's own columns named like the first two step aside
    renamed = {name: _free_name(name, cells.columns) for name in (word, "reasons")}
    cells = cells.rename(columns={k: n for k, n in renamed.items() if k in cells.columns})
    head = pd.DataFrame(
        {
            word: pd.Series(numbers, dtype="int64"),
            "reasons": pd.Series(["; ".join(found[n][1]) for n in numbers], dtype=object),
        }
    )
    table = pd.concat([head, cells], axis=1)
    counts = Counter(reason for n in numbers for reason in found[n][2])
    return table, dict(counts.most_common())


def _free_name(name: str, taken: Sequence[object]) -> str:
    """Return ``_name`` (more underscores in front until no column of ``taken`` has it)."""
    names = {str(c) for c in taken}
    name = f"_{name}"
    while name in names:
        name = f"_{name}"
    return name


def read_layer_frame(
    frame: pd.DataFrame | gpd.GeoDataFrame,
    kind: Kind | str,
    *,
    source: str = "<upload>",
    boundaries: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Validate a layer already in memory, exactly as :func:`read_layer` does a file.

    Parameters
    ----------
    frame
        A DataFrame with latitude / longitude (or WKT ``geometry``) columns, or a
        GeoDataFrame with a CRS (reprojected to EPSG:4326).
    kind
        ``{"offices", "cpfs", "communities", "stations", "boundaries"}``.
    source
        The name given to the data in error messages.
    boundaries
        As in :func:`read_layer`.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`read_layer`. Rows are named ``row 1``, ``row 2`` ... in frame order.

    Raises
    ------
    InputError
        As :func:`read_layer`.
    """
    kind = _check_kind(kind)
    problems = v.Problems(source, kind)
    geometry = None
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        if frame.crs is None:
            raise problems.fail("geometry", "the data has no CRS; set one (e.g. EPSG:4326)")
        geometry = frame.geometry.to_crs("EPSG:4326")
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if frame.empty:
        raise problems.fail(None, "there are no rows")
    rows = np.arange(1, len(frame) + 1)
    return _build_layer(
        frame.reset_index(drop=True),
        None if geometry is None else geometry.reset_index(drop=True),
        kind,
        problems=problems,
        rows=rows,
        word="row",
        boundaries=boundaries,
    )


def read_table(path: str | os.PathLike[str], what: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a plain table (CSV family or XLSX) as text cells.

    The limits and encodings are those of :func:`read_layer`. Returns the frame (every
    cell text, blank rows dropped) and each row's number as messages name it
    (spreadsheet rows: the header is row 1).

    Raises
    ------
    InputError
        A missing, empty, unreadable or too large file, naming it and ``what`` it is.
    """
    path = Path(path)
    problems = v.Problems(path.name, what)
    if not path.is_file():
        raise problems.fail(None, Message("file not found: {path}", path=str(path)))
    if path.suffix.lower() not in _TABLE_SUFFIXES:
        raise problems.fail(None, _unsupported(path, ".csv or .xlsx"))
    return _read_table(path, problems, sheet=None)


def _read_table(
    path: Path, problems: v.Problems, *, sheet: str | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV-family or XLSX file (by its suffix) as text cells, with row numbers."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, problems, sheet=sheet)
    return _read_csv(path, problems)


def _unsupported(path: Path, supported: str) -> Message:
    return Message(
        "unsupported file type {suffix}; use {supported}",
        suffix=repr(path.suffix or "(none)"),
        supported=supported,
    )


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        msg = f"unknown layer kind {kind!r}; use one of {', '.join(KINDS)}"
        raise InputError(msg)
    return kind


# --- readers ---------------------------------------------------------------------------


def _read_csv(path: Path, problems: v.Problems) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        with path.open("rb") as file:
            head = file.read(4096)
        if b"\x00" not in head:  # text: count its rows before loading it whole
            _limits.check_csv_rows(path, problems)
        raw = path.read_bytes()
    except OSError as exc:
        reason = str(exc.strerror or exc)
        raise problems.fail(None, Message("cannot read the file: {reason}", reason=reason)) from exc
    if not raw.strip():
        raise problems.fail(None, "the file is empty")
    if b"\x00" in raw[:4096]:
        raise problems.fail(None, "the file is not text (is it a spreadsheet saved as .csv?)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1256", errors="replace")
    sample = "\n".join(text.splitlines()[:20])
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(
            _io.StringIO(text), sep=sep, dtype=str, skip_blank_lines=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        msg = Message("cannot read the file as CSV: {reason}", reason=reason)
        raise problems.fail(None, msg) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    # Line 1 is the header, so data row i (from 0) is spreadsheet row i + 2; blank lines
    # are skipped but keep their place in the numbering.
    rows = np.arange(2, len(frame) + 2)
    keep = ~frame.isna().all(axis=1).to_numpy()
    frame = frame.loc[keep].reset_index(drop=True)
    if frame.empty:
        raise problems.fail(None, "the file has a header but no data rows")
    if len(frame) > settings.max_rows:  # counted otherwise above: the parser has the last word
        raise problems.fail(None, _limits.too_many(len(frame), "row"))
    return frame, rows[keep]


def _read_xlsx(
    path: Path, problems: v.Problems, *, sheet: str | None
) -> tuple[pd.DataFrame, np.ndarray]:
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            _limits.check_zip_members(archive, problems)
            _limits.check_xml_prologs(archive, problems)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, zlib.error) as exc:
        raise problems.fail(None, _not_xlsx(exc)) from exc
    # A file object of ours, closed here: openpyxl leaves a file it opened open on failure.
    with path.open("rb") as file:
        try:
            book = openpyxl.load_workbook(file, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise _xlsx_error(problems, exc) from exc
        try:
            header, records, rows = _xlsx_records(book, problems, sheet=sheet)
        except InputError:
            raise
        except Exception as exc:  # a part that fails to parse only once read, row by row
            raise _xlsx_error(problems, exc) from exc
        finally:
            book.close()
    if header is None:
        raise problems.fail(None, "the file is empty")
    if not records:
        problems.raise_if_any()
        raise problems.fail(None, "the file has a header but no data rows")
    frame = pd.DataFrame.from_records(records, columns=header)
    return frame, np.asarray(rows)


def _xlsx_records(
    book: openpyxl.Workbook, problems: v.Problems, *, sheet: str | None
) -> tuple[list[str] | None, list[tuple[object, ...]], list[int]]:
    """Return the header, the data rows cut to its width, and their spreadsheet rows."""
    from openpyxl.utils import get_column_letter

    if sheet is None:
        ws = book.worksheets[0]
    elif sheet in book.sheetnames:
        ws = book[sheet]
    else:
        msg = Message(
            "no sheet {sheet}; sheets: {sheets}",
            sheet=repr(sheet),
            sheets=", ".join(book.sheetnames),
        )
        raise problems.fail(None, msg)
    # Read-only mode believes the sheet's stored <dimension>, which writers get wrong:
    # rows below it would vanish and cells right of it be cut.
    ws.reset_dimensions()
    limit = settings.max_rows
    header: list[str] | None = None
    width = 0
    records: list[tuple[object, ...]] = []
    rows: list[int] = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if all(v.is_blank(cell) for cell in values):
            continue
        if header is None:
            width = max(i for i, c in enumerate(values) if not v.is_blank(c)) + 1
            header = [
                str(c).strip() if c is not None else f"column_{i + 1}"
                for i, c in enumerate(values[:width])
            ]
            continue
        beyond = [i for i in range(width, len(values)) if not v.is_blank(values[i])]
        if beyond:
            more = (
                Message(" (and {count} more in this row)", count=Number(len(beyond) - 1))
                if len(beyond) > 1
                else ""
            )
            problems.add(
                f"row {number}",
                get_column_letter(beyond[0] + 1),
                Message(
                    "a value beyond the last named column ({letter}, {name}){more}; name its "
                    "column or clear it",
                    letter=get_column_letter(width), name=repr(header[-1]), more=more,
                ),
            )
            if all(v.is_blank(cell) for cell in values[:width]):
                continue  # nothing else in the row: reported once, as that
        if len(records) == limit:
            raise problems.fail(None, _limits.too_many(limit, "row", at_least=True))
        records.append(tuple(values[:width]) + (None,) * (width - len(values)))
        rows.append(number)
    return header, records, rows


def _xlsx_error(problems: v.Problems, exc: BaseException) -> InputError:
    """Return the error for a workbook openpyxl failed on, naming an XML bomb as such."""
    try:
        from defusedxml import DefusedXmlException
    except ImportError:  # pragma: no cover - a dependency; the DTD check still stands
        DefusedXmlException = ()  # type: ignore[assignment, misc]  # noqa: N806
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return problems.fail(
                None,
                Message(
                    "the workbook's XML declares entities or a DTD ({cause}), which a "
                    "workbook never needs (refused, as a possible XML entity bomb)",
                    cause=str(cause),
                ),
            )
        cause = cause.__cause__ or cause.__context__
    return problems.fail(None, _not_xlsx(exc))


def _not_xlsx(exc: BaseException) -> Message:
    return Message("cannot read the file as XLSX: {reason}", reason=str(exc))


def _read_vector(
    path: Path, problems: v.Problems, *, layer: str | None
) -> gpd.GeoDataFrame | pd.DataFrame:
    suffix = path.suffix.lower()
    with contextlib.ExitStack() as stack:
        if suffix == ".zip":
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="cpgeo-zip-"))
            shp = _unzip_shapefile(path, problems, layer=layer, folder=Path(folder))
            frame = _read_features(shp, problems, layer=None, shown=(folder, path.name))
        else:
            frame = _read_features(path, problems, layer=layer)
    if len(frame) == 0:
        raise problems.fail(None, "the file has no features")
    if isinstance(frame, gpd.GeoDataFrame):
        if frame.crs is None:
            if suffix in (".geojson", ".json"):
                frame = frame.set_crs("EPSG:4326")
            elif frame.geometry.notna().any():
                raise problems.fail(
                    "geometry", "the file has no coordinate reference system (add a .prj / CRS)"
                )
        if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
            frame = frame.to_crs("EPSG:4326")
        if not frame.geometry.notna().any():
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return frame


def _unzip_shapefile(path: Path, problems: v.Problems, *, layer: str | None, folder: Path) -> Path:
    """Unpack the Shapefile of a zip archive into ``folder``; return its ``.shp``.

    Unpacked by Python's zipfile, which stops at the sizes the archive declares (checked
    against the limits first) and checks each member's CRC: GDAL's ``/vsizip/`` would
    read a member's data past a declared size, so a bomb could lie about its sizes.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            shapes = [n for n in archive.namelist() if n.lower().endswith(".shp")]
            if not shapes:
                raise problems.fail(None, "the zip archive holds no .shp file")
            if layer is not None:
                chosen = [n for n in shapes if Path(n).stem == layer]
                if not chosen:
                    names = ", ".join(Path(n).stem for n in shapes)
                    msg = Message(
                        "no shapefile {layer} in the archive; found {names}",
                        layer=repr(layer), names=names,
                    )
                    raise problems.fail(None, msg)
                shapes = chosen
            members = _limits.shapefile_members(archive, shapes[0])
            _limits.check_zip_members(archive, problems, members=members)
            for info in members:
                name = info.filename
                try:
                    # by base name: the folders of a member's name never leave ``folder``
                    with archive.open(info) as source, (folder / Path(name).name).open("wb") as out:
                        shutil.copyfileobj(source, out, _limits.CHUNK)
                except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error) as exc:
                    msg = Message(
                        "cannot unpack {member}: {reason} (the archive is damaged, or does not "
                        "hold what its directory declares, as zip bombs do)",
                        member=name, reason=str(exc),
                    )
                    raise problems.fail(None, msg) from exc
    except (zipfile.BadZipFile, OSError) as exc:
        msg = Message("cannot read the file as a zip archive: {reason}", reason=str(exc))
        raise problems.fail(None, msg) from exc
    return folder / Path(shapes[0]).name


def _read_features(
    path: Path,
    problems: v.Problems,
    *,
    layer: str | None,
    shown: tuple[str, str] | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Read a vector layer with at most ``settings.max_rows`` features, counted first.

    ``shown`` is (text, replacement) for GDAL's messages: a temporary folder's path is
    shown as the name of the archive it came from.
    """
    target = str(path)
    limit = settings.max_rows
    try:
        if path.stat().st_size == 0:
            raise problems.fail(None, "the file is empty")
        if layer is None and path.suffix.lower() == ".gpkg":
            layers = pyogrio.list_layers(target)
            if len(layers) == 0:
                raise problems.fail(None, "the GeoPackage holds no layer")
        _limits.check_feature_count(target, problems, layer=layer)
        # One past the limit, in case the driver could not count the features beforehand.
        frame = pyogrio.read_dataframe(target, layer=layer, max_features=limit + 1)
        if len(frame) > limit:
            raise problems.fail(None, _limits.too_many(limit, "feature", at_least=True))
    except InputError:
        raise
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if shown is not None:
            reason = reason.replace(*shown)
        raise problems.fail(None, Message("cannot read the file: {reason}", reason=reason)) from exc
    return frame


# --- the builder -----------------------------------------------------------------------


def _find(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lower: dict[str, str] = {}
    for column in columns:
        lower.setdefault(str(column).strip().lower(), column)
    for name in names:
        if name in lower:
            return lower[name]
    return None


def _build_layer(
    frame: pd.DataFrame,
    geometry: gpd.GeoSeries | None,
    kind: str,
    *,
    problems: v.Problems,
    rows: np.ndarray,
    word: str,
    boundaries: gpd.GeoDataFrame | None,
    bad_rows: str = "refuse",
) -> gpd.GeoDataFrame:
    """Turn a frame read from anywhere into a validated layer (the single exit of readers).

    Parameters
    ----------
    frame
        The attribute table, positional rows (RangeIndex), geometry column excluded.
    geometry
        Geometries in EPSG:4326 aligned with ``frame``, or None to take them from
        latitude / longitude or WKT columns.
    rows, word
        How each row is named in messages: ``f"{word} {rows[i]}"``.
    bad_rows
        ``"leave_out"``: rows of a point layer with problems are left out, their
        problems set aside on ``problems.left_out`` (see :func:`read_layer_partial`).
    """
    frame = frame.reset_index(drop=True)
    labels = [f"{word} {n}" for n in rows]
    columns = list(frame.columns)
    used: set[str] = set()
    is_points = kind in _POINT_KINDS

    # Geometry.
    if geometry is not None and geometry.notna().any():
        geometry = geometry.reset_index(drop=True)
        geoms, geo_column = geometry.to_numpy(), "geometry"
    else:
        geoms, geo_column = _geometry_from_columns(frame, kind, problems, labels, used)
    geoms = _check_geometry_types(geoms, kind, problems, labels, geo_column)
    if kind == "boundaries" and area_level(columns):
        # COD-AB style: areas at any admin level, matched to governorates by P-code
        problems.raise_if_any()
        return areas_from_frame(frame, geoms, problems=problems, labels=labels)

    # Ids.
    id_col = _find(columns, _ID) or _find(columns, _ID_BY_KIND[kind])
    if id_col is not None:
        used.add(id_col)
        ids = v.as_text(frame[id_col])
        v.check_ids(ids, labels, id_col, problems)
    else:
        ids = pd.Series([f"{kind}-{n}" for n in range(1, len(frame) + 1)], dtype="str")

    name_col = _find(columns, _NAME)
    if name_col is not None:
        used.add(name_col)
        names = v.as_text(frame[name_col])
        names = names.where(names.notna(), ids)
    else:
        names = ids.copy()

    out = pd.DataFrame({"id": ids, "name": names})

    # Governorates: the user's, canonicalised; empty cells from the polygons.
    gov_col = _find(columns, _GOVERNORATE)
    if gov_col is not None:
        used.add(gov_col)
        governorate = v.canonical_governorates(frame[gov_col], labels, gov_col, problems)
    else:
        governorate = pd.Series(np.full(len(frame), None, dtype=object), dtype="str")

    if kind == "boundaries":
        if gov_col is None:
            if name_col is None:
                problems.add(
                    None,
                    None,
                    Message(
                        "no governorate or name column (looked for {columns} and their usual "
                        "spellings)",
                        columns=", ".join(_GOVERNORATE[:1] + _NAME[:1]),
                    ),
                )
            else:
                derived = [find_governorate(n) for n in names]
                for i, found in enumerate(derived):
                    if found is None:
                        problems.add(
                            labels[i],
                            name_col,
                            Message(
                                "{name} is not a governorate name; add a governorate column",
                                name=repr(names[i]),
                            ),
                        )
                governorate = pd.Series(derived, dtype="str")
    elif is_points:
        _check_and_fill_locations(geoms, governorate, boundaries, problems, labels, geo_column)
    out["governorate"] = governorate.to_numpy()

    if kind == "communities":
        pop_col = _find(columns, _POPULATION)
        if pop_col is not None:
            used.add(pop_col)
            out["population"] = v.parse_population(frame[pop_col], labels, pop_col, problems)
        else:  # unknown, not 0
            out["population"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    if kind == "cpfs":
        office_col = _find(columns, _OFFICE_ID)
        if office_col is not None:
            used.add(office_col)
            office_ids = v.as_text(frame[office_col])
            v.check_office_ids(office_ids, labels, office_col, problems)
            out["office_id"] = office_ids.to_numpy()
        else:
            out["office_id"] = pd.Series(np.full(len(frame), None, dtype=object), dtype="str")
    est_col = _find(columns, _ESTABLISHED)
    if est_col is not None:
        used.add(est_col)
        out["established"] = v.parse_dates(frame[est_col], labels, est_col, problems).to_numpy()
    donor_col = _find(columns, _DONOR)
    if donor_col is not None:
        used.add(donor_col)
        out["donor"] = v.as_text(frame[donor_col]).to_numpy()

    if bad_rows == "leave_out" and is_points:
        frame, geoms, out = _leave_out_rows(frame, geoms, out, problems, labels)
    problems.raise_if_any()

    for column in columns:
        if column in used or str(column) in out.columns or str(column).lower() == "geometry":
            continue
        tidy = _tidy_extra(frame[column])
        # Whole numbers with gaps stay Int64 (to_numpy would make them floats).
        out[str(column)] = tidy.array if isinstance(tidy.dtype, pd.Int64Dtype) else tidy.to_numpy()
    gdf = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    gdf.index = pd.RangeIndex(len(gdf))
    if is_points and has_districts(boundaries):  # each point names its district too
        gdf = attach_areas(gdf, boundaries)
    return gdf


def _leave_out_rows(
    frame: pd.DataFrame,
    geoms: np.ndarray,
    out: pd.DataFrame,
    problems: v.Problems,
    labels: Sequence[str],
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Drop the rows with row problems (set aside on ``problems``); raise for the rest."""
    keep = problems.set_aside_rows(labels)
    if keep.all():
        return frame, geoms, out
    return (
        frame.loc[keep].reset_index(drop=True),
        geoms[keep],
        out.loc[keep].reset_index(drop=True),
    )


def _geometry_from_columns(
    frame: pd.DataFrame,
    kind: str,
    problems: v.Problems,
    labels: Sequence[str],
    used: set[str],
) -> tuple[np.ndarray, str]:
    columns = list(frame.columns)
    lat_col, lon_col = _find(columns, _LAT), _find(columns, _LON)
    if kind in _POINT_KINDS and lat_col is not None and lon_col is not None:
        used.update((lat_col, lon_col))
        lat_numbers = v.read_numbers(frame[lat_col])
        lon_numbers = v.read_numbers(frame[lon_col])
        lat, lon = lat_numbers.value, lon_numbers.value
        lat_ok, lon_ok = lat_numbers.ok, lon_numbers.ok
        lat_cells = frame[lat_col].to_numpy(dtype=object)
        lon_cells = frame[lon_col].to_numpy(dtype=object)
        for i in np.flatnonzero(~(lat_ok & lon_ok)).tolist():
            if lat_numbers.missing[i] and lon_numbers.missing[i]:
                problems.add(labels[i], f"{lat_col}/{lon_col}", "missing coordinates")
                continue
            for col, numbers, ok_cells, cells in (
                (lat_col, lat_numbers, lat_ok, lat_cells),
                (lon_col, lon_numbers, lon_ok, lon_cells),
            ):
                if numbers.missing[i]:
                    problems.add(labels[i], col, "missing coordinate")
                elif not ok_cells[i]:
                    problems.add(labels[i], col, v.number_problem(cells[i], numbers, i))
        ok = lat_ok & lon_ok
        geoms = np.full(len(frame), None, dtype=object)
        geoms[ok] = shapely.points(lon[ok], lat[ok])
        return geoms, f"{lat_col}/{lon_col}"
    wkt_col = _find(columns, _WKT)
    if wkt_col is not None:
        used.add(wkt_col)
        geoms = np.full(len(frame), None, dtype=object)
        for i, text in enumerate(frame[wkt_col].to_numpy(dtype=object)):
            if v.is_blank(text):
                problems.add(labels[i], wkt_col, "missing geometry")
                continue
            try:
                geoms[i] = shapely.from_wkt(str(text).strip())
            except shapely.errors.GEOSException:
                msg = Message("{text} is not WKT geometry", text=repr(str(text)[:40]))
                problems.add(labels[i], wkt_col, msg)
        return geoms, wkt_col
    if kind in _POINT_KINDS:
        msg = Message(
            "no coordinate columns: looked for latitude ({latitude}) and longitude "
            "({longitude}) columns, or a WKT column ({wkt}); found {found}",
            latitude=", ".join(_LAT), longitude=", ".join(_LON), wkt=", ".join(_WKT),
            found=", ".join(map(str, columns)),
        )
        raise problems.fail(None, msg)
    msg = Message("no geometry: looked for a WKT column ({wkt})", wkt=", ".join(_WKT))
    raise problems.fail(None, msg)


def _check_geometry_types(
    geoms: np.ndarray, kind: str, problems: v.Problems, labels: Sequence[str], column: str
) -> np.ndarray:
    geoms = np.asarray(geoms, dtype=object).copy()
    present = ~shapely.is_missing(geoms)
    if kind in _POINT_KINDS and present.all():
        plain = (
            bool(np.all(shapely.get_type_id(geoms) == 0))
            and not shapely.has_z(geoms).any()
            and not shapely.is_empty(geoms).any()
        )
        if plain:
            return geoms  # all plain 2-D points: nothing to check one by one
    for i, geom in enumerate(geoms):
        if geom is None:
            if column == "geometry":
                problems.add(labels[i], column, "missing geometry")
            continue
        if geom.is_empty:
            problems.add(labels[i], column, "empty geometry")
            geoms[i] = None
            continue
        if shapely.has_z(geom):
            geom = shapely.force_2d(geom)
        kind_name = geom.geom_type
        if kind in _POINT_KINDS:
            if kind_name == "MultiPoint" and len(geom.geoms) == 1:
                geom = geom.geoms[0]
            elif kind_name != "Point":
                msg = Message("a {geometry} where a point is expected", geometry=kind_name)
                problems.add(labels[i], column, msg)
                geoms[i] = None
                continue
        elif kind_name not in ("Polygon", "MultiPolygon"):
            msg = Message("a {geometry} where a polygon is expected", geometry=kind_name)
            problems.add(labels[i], column, msg)
            geoms[i] = None
            continue
        elif not geom.is_valid:
            geom = shapely.make_valid(geom)
        geoms[i] = geom
    return geoms


def _check_and_fill_locations(
    geoms: np.ndarray,
    governorate: pd.Series,
    boundaries: gpd.GeoDataFrame | None,
    problems: v.Problems,
    labels: Sequence[str],
    column: str,
) -> None:
    """Report points outside Iraq or swapped; fill missing governorates in place."""
    present = np.array([g is not None for g in geoms], dtype=bool)
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    if present.any():
        pts = np.asarray(geoms[present])
        lon[present], lat[present] = shapely.get_x(pts), shapely.get_y(pts)
    embedded = load_boundaries()
    plausible = present & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    km = np.full(len(geoms), np.inf)
    names = pd.Series(np.full(len(geoms), None, dtype=object), dtype="str")
    if plausible.any():
        series = gpd.GeoSeries(shapely.points(lon[plausible], lat[plausible]), crs="EPSG:4326")
        found, outside = assign_governorates(series, embedded)
        km[plausible] = outside.to_numpy()
        names[plausible] = found.to_numpy()
    far = present & ~(km <= settings.outside_iraq_tolerance_km)
    km_swapped = np.full(len(geoms), np.inf)
    swappable = far & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    if swappable.any():
        series = gpd.GeoSeries(shapely.points(lat[swappable], lon[swappable]), crs="EPSG:4326")
        km_swapped[swappable] = assign_governorates(series, embedded)[1].to_numpy()
    v.check_locations(lon, lat, km, km_swapped, labels, column, problems)

    if boundaries is not None and plausible.any():
        series = gpd.GeoSeries(shapely.points(lon[plausible], lat[plausible]), crs="EPSG:4326")
        names[plausible] = assign_governorates(series, boundaries)[0].to_numpy()
    empty = governorate.isna().to_numpy()
    governorate[empty] = names[empty].to_numpy()
    unplaced = int((empty & plausible & names.isna().to_numpy()).sum())
    if unplaced:
        log(
            f"{problems.source}: {unplaced} point(s) lie more than "
            f"{settings.governorate_snap_km:g} km outside every governorate; governorate left empty"
        )


def _tidy_extra(values: pd.Series) -> pd.Series:
    """Give an extra column a useful dtype: numbers, booleans, dates or text."""
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        return values
    present = values[[not v.is_blank(x) for x in values.to_numpy(dtype=object)]]
    if present.empty:
        return values
    texts = present.astype(str).str.strip().str.lower()
    if texts.isin(["true", "false"]).all():
        mapped = values.map(lambda x: None if v.is_blank(x) else str(x).strip().lower() == "true")
        return mapped.astype("boolean")
    if not v.looks_like_leading_zero_code(present):
        # Not validated, so never guessed: a column with a bad or ambiguous cell stays text.
        parsed = v.read_numbers(values)
        if not (parsed.bad | parsed.ambiguous).any():
            numbers, missing = parsed.value, parsed.missing
            present_numbers = numbers[~missing]
            whole = np.all(present_numbers == np.round(present_numbers)) and np.all(
                np.abs(present_numbers) <= 2.0**53
            )
            if whole and not missing.any():
                return pd.Series(numbers.astype(np.int64), index=values.index)
            if whole:  # counts stay integers; missing cells are <NA>, not NaN
                counts = np.where(missing, 0.0, numbers).astype(np.int64)
                return pd.Series(pd.arrays.IntegerArray(counts, missing), index=values.index)
            return pd.Series(numbers, index=values.index)
    if all(isinstance(x, str) for x in present):
        return values.astype("str")
    return values


# Writing lives in cpgeo._write; these names are part of cpgeo.io.
