"""Collect every problem in a layer, then report them once in one :class:`InputError`.

Row numbers in messages
-----------------------
Messages point at rows the way the user sees them in their own file:

- CSV and XLSX: ``row N`` is the spreadsheet line number, header included, so the
  first data row under the header is ``row 2`` (what Excel or LibreOffice shows in its
  left margin, and the line number in a text editor for a CSV without quoted
  line breaks);
- GeoJSON, GeoPackage and Shapefile: ``feature N``, counting features from 1 in file
  order;
- data frames already in memory: ``row N``, counting data rows from 1 in frame order.

Each problem reads ``<row>, column <column>: <what is wrong>``; the error message is
``<file>: <n> problems in the <kind> layer: <problem>; <problem>; ...``, listing the
first :data:`MAX_LISTED` and then ``and N more``. The full list is on the exception's
``problems`` attribute.

Row problems and whole-file problems
------------------------------------
A problem that names a row (a missing coordinate, a point outside Iraq, a duplicate id)
is a *row problem*: leaving that row out of the layer removes it. A problem that names no
row (a missing file, no coordinate columns) is a *whole-file problem*. With
:meth:`Problems.set_aside_rows` a reader leaves out the rows with row problems instead
of refusing the file; whole-file problems are still refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo._numbers import Numbers, parse_numbers
from cpgeo.i18n import Joined, Message, Number, gettext, punctuation, say
from cpgeo.regions import find_governorate

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Problems listed in an error message before "and N more".
MAX_LISTED = 10

#: An office reference: letters, digits and ``_ - . : / #``, no spaces or list separators.
_OFFICE_ID = re.compile(r"^[\w][\w\-.:/#]*$")
_LEADING_ZERO = re.compile(r"^[+-]?0\d")
#: The largest count a float64 holds exactly.
_MAX_COUNT = 2.0**53


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input layer.

    Attributes
    ----------
    row
        Where: ``"row 5"``, ``"feature 3"``, ``"rows 3, 7"``, or None for the whole file.
    column
        The column concerned, or None.
    message
        What is wrong, in words (English).
    positions
        Positions (from 0, in the order rows were read) of the rows concerned, when
        ``row`` names more than one (duplicate ids); otherwise empty and found from
        ``row``.
    said
        The message as it can be said in any language (:meth:`text`), or None when it
        was given as plain English text.
    """

    row: str | None
    column: str | None
    message: str
    positions: tuple[int, ...] = ()
    said: Message | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.text("en")

    def text(self, lang: str = "en") -> str:
        """Return ``<row>, column <column>: <what is wrong>`` in ``lang``."""
        where = [where_text(self.row, lang)] if self.row else []
        if self.column:
            where.append(gettext("column {column}", lang, column=self.column))
        what = say(self.said, lang) if self.said is not None else self.message
        return f"{punctuation(', ', lang).join(where)}: {what}" if where else what


#: How rows are named in messages: ``row 5``, ``rows 3, 7``, ``feature 2``.
_WHERE = re.compile(r"^(row|feature)(s?) (.+)$")
_WHERE_WORDS = {
    "row": "row {number}",
    "rows": "rows {numbers}",
    "feature": "feature {number}",
    "features": "features {numbers}",
}


def where_text(row: str, lang: str = "en") -> str:
    """Say a row's name (``"row 5"``, ``"features 3, 7"``) in ``lang``."""
    found = _WHERE.match(row)
    if found is None or lang == "en":
        return row
    word, plural, numbers = found.groups()
    numbers = punctuation(numbers, lang)
    return gettext(_WHERE_WORDS[word + plural], lang, number=numbers, numbers=numbers)


#: Layer kinds as messages name them (``in the offices layer``).
KIND_WORDS: dict[str, str] = {
    "offices": "offices",
    "cpfs": "forums",
    "communities": "communities",
    "stations": "stations",
    "boundaries": "boundaries",
    "area table": "area table",
}


def format_problems(source: str, kind: str, problems: Sequence[Problem]) -> Message:
    """Return the one-line error message for ``problems`` found in ``source``.

    A :class:`~cpgeo.i18n.Message`: ``str()`` of it is the English message, its
    ``text(lang)`` the message in another language.
    """
    count = len(problems)
    listed = Joined(problems[:MAX_LISTED], "; ")
    layer = Message(KIND_WORDS.get(kind, kind))
    if count == 1:
        return Message("{source}: 1 problem in the {layer} layer: {listed}", source=source,
                       layer=layer, listed=listed)
    more = (
        Message("; and {count} more", count=count - MAX_LISTED) if count > MAX_LISTED else ""
    )
    return Message(
        "{source}: {count} problems in the {layer} layer: {listed}{more}",
        source=source, count=count, layer=layer, listed=listed, more=more,
    )


class Problems:
    """Collector of the problems found in one layer.

    Parameters
    ----------
    source
        The file name (or ``"<upload>"``) named in the message.
    kind
        The layer kind, named in the message.
    """

    def __init__(self, source: str, kind: str) -> None:
        self.source = source
        self.kind = kind
        self.items: list[Problem] = []
        #: Row problems set aside by :meth:`set_aside_rows`, their rows left out.
        self.left_out: list[Problem] = []

    def add(
        self,
        row: str | None,
        column: str | None,
        message: str | Message,
        *,
        positions: Sequence[int] = (),
    ) -> None:
        """Record one problem (``positions``: see :class:`Problem`).

        ``message`` is English text, or a :class:`~cpgeo.i18n.Message` to say it in any
        language.
        """
        said = message if isinstance(message, Message) else Message(message)
        where = tuple(int(i) for i in positions)
        self.items.append(Problem(row, column, str(message), where, said))

    def __len__(self) -> int:
        return len(self.items)

    def error(self) -> InputError:
        """Return the :class:`InputError` reporting every problem recorded."""
        err = InputError(format_problems(self.source, self.kind, self.items))
        err.problems = tuple(self.items)  # type: ignore[attr-defined]
        return err

    def raise_if_any(self) -> None:
        """Raise the :class:`InputError` if any problem was recorded."""
        if self.items:
            raise self.error()

    def fail(self, column: str | None, message: str | Message) -> InputError:
        """Record a whole-file problem and return the error to raise at once."""
        self.add(None, column, message)
        return self.error()

    def set_aside_rows(self, labels: Sequence[str]) -> np.ndarray:
        """Set the row problems aside (in :attr:`left_out`); return the rows free of them.

        Parameters
        ----------
        labels
            How each row read is named in messages (``"row 5"``), in reading order.

        Returns
        -------
        numpy.ndarray
            bool, one per label: True where the row has no problem.

        Raises
        ------
        InputError
            Reporting every problem, when one of them is a whole-file problem (leaving
            rows out cannot mend it), or when no row is free of problems (an empty layer
            is not loaded, as a file without data rows is not).
        """
        if any(p.row is None for p in self.items):
            raise self.error()
        keep = np.ones(len(labels), dtype=bool)
        for i in row_positions(self.items, labels):
            keep[i] = False
        if self.items and not keep.any():
            msg = Message(
                "{problems}; no row is free of problems, so there is nothing to load",
                problems=format_problems(self.source, self.kind, self.items),
            )
            raise _with_problems(InputError(msg), self.items)
        self.left_out.extend(self.items)
        self.items = []
        return keep


def _with_problems(err: InputError, items: Sequence[Problem]) -> InputError:
    err.problems = tuple(items)  # type: ignore[attr-defined]
    return err


def row_positions(items: Sequence[Problem], labels: Sequence[str]) -> list[int]:
    """Return the positions of the rows ``items`` name (a row not in ``labels`` has none)."""
    index = {label: i for i, label in enumerate(labels)}
    found: set[int] = set()
    for p in items:
        if p.positions:
            found.update(p.positions)
        elif p.row in index:
            found.add(index[p.row])
    return sorted(found)


# Short names of row problems for summaries ("180 outside Iraq, 2 sharing an id"), first
# match wins (see reason_of).
_REASONS: tuple[tuple[str, str], ...] = (
    ("outside Iraq", "outside Iraq"),
    ("look swapped", "with latitude and longitude swapped"),
    ("not a position on Earth", "with impossible coordinates"),
    ("missing coordinate", "missing coordinates"),
    ("geometry", "with a bad geometry"),
    ("where a point is expected", "not points"),
    ("where a polygon is expected", "not polygons"),
    ("missing id", "without an id"),
    ("duplicate id", "sharing an id"),
    ("unknown governorate", "with an unknown governorate"),
    ("population", "with a bad population"),
    ("is not a date", "with a bad date"),
    ("office_id", "with a malformed office id"),
    ("beyond the last named column", "with a value beyond the last named column"),
)


def reason_of(problem: Problem) -> Message:
    """Name the kind of a row problem in a few words (``"outside Iraq"``), for summaries.

    A :class:`~cpgeo.i18n.Message`: ``str()`` is the English words.
    """
    for needle, reason in _REASONS:
        if needle in problem.message:
            return Message(reason)
    column = problem.column
    if column and ("not a number" in problem.message or "ambiguous" in problem.message):
        return Message("with an unreadable {column}", column=column)
    if column:
        return Message("with a problem in {column}", column=column)
    return Message("with a problem")


def is_blank(value: object) -> bool:
    """Return True for a missing value or a string of white space."""
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def read_numbers(values: pd.Series, *, whole: bool = False) -> Numbers:
    """Parse a column of numbers written as numbers or text (see :mod:`cpgeo._numbers`).

    Parameters
    ----------
    values
        The column.
    whole
        The column holds counts (population).

    Returns
    -------
    Numbers
        ``value`` (float64, NaN unless a number), ``missing``, ``bad``, ``ambiguous``
        and ``reasons``, one per cell.
    """
    return parse_numbers(values, whole=whole)


def to_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse a column of real numbers, ambiguous cells counted as bad.

    Prefer :func:`read_numbers`, which tells ambiguous cells from bad ones.

    Returns
    -------
    numbers : numpy.ndarray
        float64, NaN where missing, unreadable or ambiguous.
    missing : numpy.ndarray
        bool, True where the cell is empty.
    bad : numpy.ndarray
        bool, True where the cell holds something that is not one number.
    """
    parsed = parse_numbers(values)
    return parsed.value, parsed.missing, parsed.bad | parsed.ambiguous


def number_problem(cell: object, numbers: Numbers, i: int, *, what: str = "") -> Message:
    """Say what is wrong with bad or ambiguous cell ``i`` of ``numbers``.

    ``'33,500' is ambiguous: 33.5 or 33,500? write it ...`` for an ambiguous cell;
    ``[population ]'abc' is not a number[ (why)]`` for a bad one (``what``:
    ``"population"`` or nothing).
    """
    reason = numbers.reasons[i]
    value = repr(cell)
    if numbers.ambiguous[i]:
        return Message("{value} is ambiguous: {reason}", value=value, reason=reason)
    template = _NOT_A_NUMBER[bool(what), bool(reason)]
    return Message(template, value=value, reason=reason or "")


#: A cell that is not a number, by (a population?, a reason why?).
_NOT_A_NUMBER = {
    (False, False): "{value} is not a number",
    (False, True): "{value} is not a number ({reason})",
    (True, False): "population {value} is not a number",
    (True, True): "population {value} is not a number ({reason})",
}


def check_ids(ids: pd.Series, labels: Sequence[str], column: str, problems: Problems) -> None:
    """Report missing and duplicate ids (``ids`` already as text, NA where missing)."""
    values = ids.to_numpy(dtype=object)
    for i, value in enumerate(values):
        if is_blank(value):
            problems.add(labels[i], column, "missing id")
    present = pd.Series(values)[~pd.isna(values)]
    duplicated = present[present.duplicated(keep=False)]
    for value, group in duplicated.groupby(duplicated, sort=False):
        rows = [labels[i] for i in group.index]
        where = rows[0].split(" ")[0] + "s " + ", ".join(r.split(" ", 1)[1] for r in rows)
        # every row of a duplicate is concerned: none is known to be the right one
        msg = Message("duplicate id {id}", id=repr(value))
        problems.add(where, column, msg, positions=group.index)


def parse_population(
    values: pd.Series, labels: Sequence[str], column: str, problems: Problems
) -> pd.arrays.IntegerArray:
    """Return populations; report bad, ambiguous, negative and fractional ones.

    Returns
    -------
    pandas.arrays.IntegerArray
        ``Int64``, >= 0, ``<NA>`` where the cell is empty (unknown) or has a problem.
    """
    parsed = parse_numbers(values, whole=True)
    numbers = parsed.value
    cells = values.to_numpy(dtype=object)
    for i in np.flatnonzero(parsed.bad | parsed.ambiguous).tolist():
        problems.add(labels[i], column, number_problem(cells[i], parsed, i, what="population"))
    ok = parsed.ok
    negative = ok & (numbers < 0)
    for i in np.flatnonzero(negative).tolist():
        msg = Message("population {value} is negative", value=repr(cells[i]))
        problems.add(labels[i], column, msg)
    fractional = ok & ~negative & (numbers != np.round(numbers))
    for i in np.flatnonzero(fractional).tolist():
        msg = Message("population {value} is not a whole number", value=repr(cells[i]))
        problems.add(labels[i], column, msg)
    # Beyond 2**53 a float64 has no exact count; no place has so many people anyway.
    huge = ok & ~negative & ~fractional & (numbers > _MAX_COUNT)
    for i in np.flatnonzero(huge).tolist():
        msg = Message("population {value} is too large", value=repr(cells[i]))
        problems.add(labels[i], column, msg)
    good = ok & ~negative & ~fractional & ~huge
    counts = np.where(good, numbers, 0.0).astype(np.int64)
    return pd.arrays.IntegerArray(counts, ~good)


def parse_dates(
    values: pd.Series, labels: Sequence[str], column: str, problems: Problems
) -> pd.Series:
    """Parse dates (ISO ``2019-05-01``, ``2019``, or day first ``01/05/2019``).

    Returns
    -------
    pandas.Series
        datetime64 at midnight, NaT where missing or unreadable (unreadable reported).
    """
    cells = values.to_numpy(dtype=object)
    out = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[s]")
    for i, value in enumerate(cells):
        if is_blank(value):
            continue
        parsed = _parse_date(value)
        if parsed is None:
            msg = Message("{value} is not a date (use YYYY-MM-DD)", value=repr(value))
            problems.add(labels[i], column, msg)
        else:
            out[i] = parsed
    return pd.Series(out, index=values.index, name=values.name)


def _parse_date(value: object) -> np.datetime64 | None:
    if isinstance(value, float | int | np.integer | np.floating) and not isinstance(value, bool):
        year = float(value)
        if year == int(year) and 1900 <= year <= 2100:
            return np.datetime64(f"{int(year):04d}-01-01", "s")
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d{4}(\.0)?", text):
        return np.datetime64(f"{text[:4]}-01-01", "s")
    for kwargs in ({"format": "ISO8601"}, {"format": "%d/%m/%Y"}, {"format": "%d.%m.%Y"}):
        try:
            stamp = pd.to_datetime(text, **kwargs)  # type: ignore[call-overload]
        except (ValueError, TypeError, OverflowError):
            continue
        if pd.isna(stamp):
            return None
        return np.datetime64(stamp.tz_localize(None).normalize().to_datetime64(), "s")
    return None


def canonical_governorates(
    values: pd.Series, labels: Sequence[str], column: str, problems: Problems
) -> pd.Series:
    """Map governorate spellings to canonical names; report names that are not known.

    Returns
    -------
    pandas.Series
        Canonical names (string dtype), missing where the cell was empty or unknown.
    """
    cells = values.to_numpy(dtype=object)
    out = np.full(len(cells), None, dtype=object)
    for i, value in enumerate(cells):
        if is_blank(value):
            continue
        found = find_governorate(value)
        if found is None:
            msg = Message("unknown governorate {name}", name=repr(str(value).strip()))
            problems.add(labels[i], column, msg)
        out[i] = found
    return pd.Series(out, index=values.index, dtype="str", name="governorate")


def as_text(values: pd.Series) -> pd.Series:
    """Return ids or references as stripped text; whole floats lose their ``.0``."""

    def one(value: object) -> object:
        if is_blank(value):
            return None
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        if isinstance(value, np.integer):
            return str(int(value))
        return str(value).strip()

    return pd.Series(
        [one(v) for v in values.to_numpy(dtype=object)], index=values.index, dtype="str"
    )


def check_office_ids(
    values: pd.Series, labels: Sequence[str], column: str, problems: Problems
) -> None:
    """Report office references that cannot be one office's id (lists, spaces, symbols)."""
    for i, value in enumerate(values.to_numpy(dtype=object)):
        if is_blank(value):
            continue
        if not _OFFICE_ID.match(str(value)):
            problems.add(
                labels[i],
                column,
                Message(
                    "office_id {value} is malformed: one office id per forum (letters, "
                    "digits, _ - . : / #, no spaces)",
                    value=repr(value),
                ),
            )


def check_locations(
    lon: np.ndarray,
    lat: np.ndarray,
    km_outside: np.ndarray,
    km_outside_swapped: np.ndarray,
    labels: Sequence[str],
    column: str,
    problems: Problems,
) -> None:
    """Report points far outside Iraq, or whose latitude and longitude look swapped.

    Parameters
    ----------
    lon, lat
        Degrees, EPSG:4326; NaN where missing (not reported here).
    km_outside, km_outside_swapped
        Geodesic km outside the nearest embedded governorate, as given and with
        latitude and longitude exchanged.
    """
    tolerance = settings.outside_iraq_tolerance_km
    for i in np.flatnonzero(np.isfinite(lon) & np.isfinite(lat)).tolist():
        if abs(lat[i]) > 90 or abs(lon[i]) > 180:
            if abs(lon[i]) <= 90 and km_outside_swapped[i] <= tolerance:
                problems.add(
                    labels[i],
                    column,
                    Message(
                        "latitude {latitude} and longitude {longitude} look swapped",
                        **_degrees(lat[i], lon[i]),
                    ),
                )
            else:
                problems.add(
                    labels[i],
                    column,
                    Message(
                        "latitude {latitude} / longitude {longitude} is not a position on Earth",
                        **_degrees(lat[i], lon[i]),
                    ),
                )
            continue
        if km_outside[i] <= tolerance:
            continue
        if km_outside_swapped[i] <= tolerance:
            problems.add(
                labels[i],
                column,
                Message(
                    "latitude {latitude} and longitude {longitude} look swapped (exchanged, "
                    "the point falls in Iraq)",
                    **_degrees(lat[i], lon[i]),
                ),
            )
        else:
            problems.add(
                labels[i],
                column,
                Message(
                    "point at latitude {latitude}, longitude {longitude} is {km} km outside "
                    "Iraq (more than {tolerance} km)",
                    **_degrees(lat[i], lon[i]),
                    km=Number(float(km_outside[i]), 1),
                    tolerance=f"{tolerance:g}",
                ),
            )


def _degrees(lat: float, lon: float) -> dict[str, str]:
    """Return a point's degrees as messages give them (as written: ``33.3``, ``-91``)."""
    return {"latitude": f"{lat:g}", "longitude": f"{lon:g}"}


def looks_like_leading_zero_code(values: pd.Series) -> bool:
    """Return True when some text value is a number written with leading zeros (a code)."""
    return bool(values.dropna().astype(str).str.match(_LEADING_ZERO).any())
