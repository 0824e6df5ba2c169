"""The one parser for numbers written as text: table cells and OpenStreetMap tags.

Coordinates, populations and the extra numeric columns of every layer, and the number
inside an OSM ``population`` tag, are all read here, so the same text always gives the
same number. The rules are few and fixed; where a cell could mean two different numbers
it is reported as ambiguous, never guessed.

What a cell may hold
--------------------
- Digits: ASCII ``0-9``, Arabic-Indic ``٠-٩`` (U+0660-U+0669) and Eastern Arabic-Indic
  (Persian, Kurdish) ``۰-۹`` (U+06F0-U+06F9), in any mix.
- One leading sign: ``+``, ``-`` or the minus sign U+2212.
- Separators between digits: ``,`` and ``.`` (thousands separator or decimal point,
  see below); space, no-break space U+00A0, narrow no-break space U+202F, thin space
  U+2009, apostrophe ``'`` and the Arabic thousands separator ``٬`` U+066C (always
  thousands); the Arabic decimal separator ``٫`` U+066B (always the decimal point).
- Plain scientific notation, ``1e5`` or ``-3.25E-2`` (ASCII digits, ``.`` decimal, no
  grouping), in real-valued columns only. Counts (population) refuse it: spreadsheets
  save large numbers as ``1.23E+06``, which has lost the last digits.
- Nothing else: ``nan``, ``inf``, units, brackets, ``%`` are not numbers. White space
  around the text is ignored; an empty cell is missing.

One cell, read alone
--------------------
A number is an integer part, optionally followed by one decimal separator and a
fraction of any length (``.5`` and ``5.`` are accepted; ``12`` is an integer). In the
integer part, thousands separators are all the same character and group the digits
validly: a first group of 1-3 digits not starting with ``0``, then groups of exactly 3
(``12,000``, ``1,234,567``, ``12 000``, ``1.234.567``, ``1'234``, ``١٢٬٠٠٠``). The
decimal separator is the last separator and differs from the thousands separator
(``1,234.5``, ``1.234,5``, ``12 000,5``, ``٣٣٫٥``). So every cell has either no valid
reading (``1,23,4``, ``12 00``, ``1,234,5``: not a number), exactly one
(``1,234,567`` = 1234567; ``1.234,5`` = 1234.5; ``33,5`` = 33.5; ``44,12345`` =
44.12345; ``12,00`` = 12.0; ``0,500`` = 0.5: a comma followed by other than three
digits, or after a ``0``, cannot be a thousands separator; so ``33,31``, a latitude with
two decimals, is 33.31 and not a broken group), or two. Two readings arise
in one shape only: a single ``,`` or ``.`` after 1-3 digits (not starting with ``0``)
and followed by exactly three digits: ``12,000``, ``3.500``, ``33,500``, ``12.000``,
each a thousands-grouped integer or a decimal with three decimals.

The column's convention
-----------------------
The cells of one column are written one way, and unambiguous cells show which:

- decimal point: a ``.`` that can only be a decimal point (``12.5``, ``33.3152``,
  ``1,234.5``, ``0.500``, ``1.5e3``), or a ``,`` that can only be a thousands
  separator (``1,234,567``);
- decimal comma: a ``,`` that can only be a decimal comma (``33,5``, ``1.234,5``,
  ``12 000,5``), or a ``.`` that can only be a thousands separator (``1.234.567``);
- none: no such cell (integers only, spaces or Arabic separators only, or ambiguous
  cells only); this is the default convention, decimal point and comma for thousands,
  as English- and Arabic-language spreadsheets in Iraq write numbers;
- mixed: cells of both kinds.

Unambiguous cells are read as written whatever the convention. Numbers stored as
numbers (an XLSX numeric cell, a numeric column in memory) are taken as they are and
say nothing about the convention.

Decision table for ``D,DDD`` and ``D.DDD`` (``D`` 1-3 digits)
--------------------------------------------------------------
=====================  ===============  =====================  =====================
column convention      cell             real-valued column     whole-number column
=====================  ===============  =====================  =====================
decimal point          ``12,000``       12000                  12000
decimal point          ``12.000``       12.0                   12
decimal point          ``3.500``        3.5                    3.5 (not whole: error)
decimal comma          ``12,000``       12.0                   12
decimal comma          ``3,500``        3.5                    3.5 (not whole: error)
decimal comma          ``12.000``       12000                  12000
none                   ``12,000``       ambiguous              12000
none                   ``33.500``       33.5                   33500
none                   ``12.000``       12.0                   ambiguous
mixed                  either           ambiguous              ambiguous
=====================  ===============  =====================  =====================

Why: the column's own cells are the best evidence of how it is written, so they decide
first, and a cell that then reads as a fraction in a count is reported, not
reinterpreted. Without evidence, the default convention reads ``.`` as the decimal
point and ``,`` as the thousands separator, except where the other reading is just as
likely for that kind of value:

- real values (coordinates): a decimal comma is common (spreadsheets in French,
  German or Turkish settings), so ``33,500`` may be 33.5 or 33500 and is reported;
  ``33.500`` is 33.5 -- a dot used for thousands comes with a decimal-comma column,
  and coordinates with three decimals are common;
- counts (population): a dot used for thousands is common (``12.000``) and a count
  has no decimals, so ``3.500`` (3.5 is no count) is 3500, while ``12.000`` (12 or
  12000, both whole) is reported; ``12,000`` read as 12.000 = 12 would need a decimal
  comma *and* a count written with three decimals, so without a decimal-comma column it
  is 12000.

An ambiguous cell's message offers both readings, e.g. ``12 or 12,000? write it
without a thousands separator``.

Speed
-----
Text columns are read with vectorised pandas string operations: plain ASCII numbers
(``-12``, ``33.3152``, ``1e5``) and ASCII numbers grouped unambiguously (``1,234,567``,
``12 000``, ``1.234,5``, ``33,5``; Arabic-Indic digits are first translated to ASCII at
once) are converted at once; only the other cells (the two-reading shape, rubbish) go
one by one, each distinct text once. Two million cells take about a second when plain,
a few seconds when grouped.
"""  # noqa: RUF002 (the Arabic digits and separators are meant)

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd

from cpgeo.i18n import Message

__all__ = ["Number", "Numbers", "parse_number", "parse_numbers"]

Convention = Literal["point", "comma", "mixed"] | None

_DIGITS = "0123456789"
_TRANSLATE = str.maketrans(
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9\u2212",
    _DIGITS + _DIGITS + "-",
)
_THOUSANDS_ONLY = " \u00a0\u202f\u2009'\u066c"
_DECIMAL_ONLY = "\u066b"
_SEPARATORS = ",." + _THOUSANDS_ONLY + _DECIMAL_ONLY
_SEPARATOR = re.compile(f"[{re.escape(_SEPARATORS)}]")
_GROUPS = re.compile(f"[0-9]*(?:[{re.escape(_SEPARATORS)}][0-9]*)*")
_SCIENTIFIC = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")

# Vectorised fast path: plain ASCII numbers, except the one ambiguous plain shape.
_PLAIN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PLAIN_AMBIGUOUS = r"[+-]?[1-9][0-9]{0,2}\.[0-9]{3}"
# Second vectorised tier: a decimal comma (or the Arabic decimal separator) without
# thousands (33,5, 33,3152, 0,500), and digits grouped by one thousands separator with an
# optional decimal part after another separator (1,234,567, 12 000,5). Written without
# back-references, so that pyarrow's regex engine runs them.
_DECIMAL_COMMA = f"[+-]?[0-9]+[,{_DECIMAL_ONLY}][0-9]+"
_GROUP_CHARS = ",." + _THOUSANDS_ONLY


def _grouped_pattern(sep: str) -> str:
    decimal = re.escape("".join(c for c in ",." + _DECIMAL_ONLY if c != sep))
    sep = re.escape(sep)
    return f"[+-]?[1-9][0-9]{{0,2}}(?:{sep}[0-9]{{3}})+(?:[{decimal}][0-9]+)?"


_GROUPING = Message("digits are grouped wrongly (thousands groups have 3 digits: 1,234,567)")
_EXPONENT = Message(
    "a count in scientific notation, which spreadsheets round: write all the digits"
)


class Number(NamedTuple):
    """One text read as a number.

    Attributes
    ----------
    value
        The number, or None when missing, bad or ambiguous.
    missing
        The text is empty.
    bad
        The text is not a number.
    ambiguous
        The text could be two different numbers.
    reason
        For an ambiguous text, the two readings and the advice (``"12 or 12,000? write
        it without a thousands separator"``); for a bad one, what is wrong when it can
        be said (``None`` for plain rubbish like ``"abc"``); else None.
    """

    value: float | None
    missing: bool
    bad: bool
    ambiguous: bool
    reason: Message | str | None


@dataclass(frozen=True)
class Numbers:
    """A column read as numbers; every array is aligned with the column's cells.

    Attributes
    ----------
    value
        float64, NaN where missing, bad or ambiguous.
    missing
        bool, the cell is empty.
    bad
        bool, the cell is not a number.
    ambiguous
        bool, the cell could be two different numbers.
    reasons
        object, a str for ambiguous cells and for bad cells whose fault can be said (as
        :attr:`Number.reason`), None elsewhere.
    """

    value: np.ndarray
    missing: np.ndarray
    bad: np.ndarray
    ambiguous: np.ndarray
    reasons: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        """Bool, True where the cell holds a number."""
        return ~(self.missing | self.bad | self.ambiguous)


class _Shape(NamedTuple):
    """A text read alone: its value, or its two readings, and what it says."""

    value: float | None  # None: bad or ambiguous
    evidence: Convention  # "point" / "comma" when the text shows the convention
    reason: Message | None = None  # why it is bad
    # The two readings of the ambiguous shape sign + lead + sep + tail.
    sign: str = ""
    lead: str = ""
    sep: str = ""
    tail: str = ""

    @property
    def ambiguous(self) -> bool:
        return bool(self.sep)


def _valid_groups(groups: list[str]) -> bool:
    first = groups[0]
    return 1 <= len(first) <= 3 and first[0] != "0" and all(len(g) == 3 for g in groups[1:])


def _evidence(*, thousands: str = "", decimal: str = "") -> Convention:
    """Return the convention a separator known to be thousands or decimal shows."""
    if decimal == "." or thousands == ",":
        return "point"
    if decimal == "," or thousands == ".":
        return "comma"
    return None


def _shape(text: str, *, whole: bool) -> _Shape:
    """Read one non-empty stripped text (see the module docstring)."""
    shape = _read_shape(text, whole=whole)
    if shape.value is not None and not math.isfinite(shape.value):
        return _Shape(None, None)  # too many digits for a float
    return shape


def _read_shape(text: str, *, whole: bool) -> _Shape:
    s = text.translate(_TRANSLATE)
    sign = ""
    if s[:1] in ("+", "-"):
        sign, s = s[0], s[1:]
    if _SCIENTIFIC.fullmatch(s):
        if whole:
            return _Shape(None, None, _EXPONENT)
        return _Shape(float(sign + s), "point" if "." in s else None)
    if not s or not _GROUPS.fullmatch(s):
        return _Shape(None, None)
    seps = _SEPARATOR.findall(s)
    groups = _SEPARATOR.split(s)
    if not seps:
        return _Shape(float(sign + s), None)
    # ".5" and "5." (what float() reads), and the Arabic decimal separator alike.
    if len(seps) == 1 and seps[0] in "." + _DECIMAL_ONLY and bool(groups[0]) != bool(groups[1]):
        number = float(f"{sign}{groups[0] or '0'}.{groups[1] or '0'}")
        return _Shape(number, _evidence(decimal=seps[0]))
    if not all(groups):
        return _Shape(None, None)
    first = seps[0]
    as_thousands = (
        first not in _DECIMAL_ONLY and all(c == first for c in seps) and _valid_groups(groups)
    )
    last, before = seps[-1], seps[:-1]
    as_decimal = (
        last in ",." + _DECIMAL_ONLY
        and all(c == before[0] for c in before)
        and (not before or (before[0] != last and before[0] not in _DECIMAL_ONLY))
        and (not before or _valid_groups(groups[:-1]))
    )
    if as_thousands and as_decimal:  # a single "," or "." before exactly three digits
        return _Shape(None, None, sign=sign, lead=groups[0], sep=first, tail=groups[1])
    if as_thousands:
        return _Shape(float(sign + "".join(groups)), _evidence(thousands=first))
    if as_decimal:
        number = float(f"{sign}{''.join(groups[:-1])}.{groups[-1]}")
        return _Shape(number, _evidence(decimal=last))
    return _Shape(None, None, _GROUPING)


def _resolve(
    shape: _Shape, convention: Convention, *, whole: bool
) -> tuple[float | None, Message | str]:
    """Read an ambiguous shape by the decision table; (value, or None and the reason)."""
    thousands = float(f"{shape.sign}{shape.lead}{shape.tail}")
    decimal = float(f"{shape.sign}{shape.lead}.{shape.tail}")
    if convention == "point":
        return (decimal if shape.sep == "." else thousands), ""
    if convention == "comma":
        return (decimal if shape.sep == "," else thousands), ""
    if convention is None:
        if whole and (shape.sep == "," or shape.tail != "000"):
            return thousands, ""
        if not whole and shape.sep == ".":
            return decimal, ""
    as_decimal = f"{shape.sign}{shape.lead}.{shape.tail}".rstrip("0").rstrip(".")
    as_thousands = f"{shape.sign}{shape.lead},{shape.tail}"
    template = _AMBIGUOUS[whole, convention == "mixed"]
    return None, Message(template, decimal=as_decimal, thousands=as_thousands)


#: Why an ambiguous number is refused, by (a count?, a column of mixed conventions?).
_AMBIGUOUS = {
    (True, False): "{decimal} or {thousands}? write it without a thousands separator",
    (False, False): "{decimal} or {thousands}? write it with a decimal point and without a "
    "thousands separator",
    (True, True): "{decimal} or {thousands}? write it without a thousands separator (the "
    "column has both decimal points and decimal commas)",
    (False, True): "{decimal} or {thousands}? write it with a decimal point and without a "
    "thousands separator (the column has both decimal points and decimal commas)",
}


def parse_number(value: object, *, whole: bool = False) -> Number:
    """Read one value as a number, by the rules of the module docstring.

    A text read alone has no column to settle its convention, so it is read as a column
    of one cell: ``parse_number(x)`` agrees with ``parse_numbers(pd.Series([x]))``.

    Parameters
    ----------
    value
        Text, a number, or a missing value (None, NaN, ``pd.NA``).
    whole
        The value is a count (population): scientific notation is refused and the
        ambiguous shapes are settled as for whole-number columns.

    Returns
    -------
    Number
        The value and its status.
    """
    if isinstance(value, bool | np.bool_):
        return Number(None, False, True, False, None)
    if value is None or value is pd.NA or value is pd.NaT:
        return Number(None, True, False, False, None)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            return Number(None, True, False, False, None)
        if not math.isfinite(number):
            return Number(None, False, True, False, None)
        return Number(number, False, False, False, None)
    text = str(value).strip()
    if not text:
        return Number(None, True, False, False, None)
    shape = _shape(text, whole=whole)
    if shape.ambiguous:
        resolved, reason = _resolve(shape, None, whole=whole)
        if resolved is None:
            return Number(None, False, False, True, reason)
        return Number(resolved, False, False, False, None)
    if shape.value is None:
        return Number(None, False, True, False, shape.reason)
    return Number(shape.value, False, False, False, None)


def parse_numbers(values: pd.Series, *, whole: bool = False) -> Numbers:
    """Read a column of numbers written as numbers or text.

    Parameters
    ----------
    values
        The column: a text column (as a CSV gives it), numbers, or a mix (XLSX).
    whole
        The column holds counts (population): see :func:`parse_number`.

    Returns
    -------
    Numbers
        Values and per-cell status, aligned with ``values``.
    """
    n = len(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        missing = values.isna().to_numpy(dtype=bool)
        reasons = np.full(n, None, dtype=object)
        return Numbers(np.full(n, np.nan), missing, ~missing, np.zeros(n, dtype=bool), reasons)
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan, copy=True)
        missing = np.isnan(numbers)
        bad = ~missing & ~np.isfinite(numbers)
        numbers[bad] = np.nan
        reasons = np.full(n, None, dtype=object)
        return Numbers(numbers, missing, bad, np.zeros(n, dtype=bool), reasons)
    if isinstance(values.dtype, pd.StringDtype):
        return _parse_text(values, whole=whole)
    return _parse_cells(values.to_numpy(dtype=object), whole=whole)


def _parse_cells(cells: np.ndarray, *, whole: bool) -> Numbers:
    """Read an object array mixing numbers, text and missing values."""
    n = len(cells)
    numbers = np.full(n, np.nan)
    missing = np.zeros(n, dtype=bool)
    bad = np.zeros(n, dtype=bool)
    texts = np.full(n, None, dtype=object)
    is_text = np.zeros(n, dtype=bool)
    for i, cell in enumerate(cells.tolist()):
        if isinstance(cell, bool | np.bool_):
            bad[i] = True
        elif cell is None or cell is pd.NA or cell is pd.NaT:
            missing[i] = True
        elif isinstance(cell, int | float | np.integer | np.floating):
            numbers[i] = float(cell)
            if math.isnan(numbers[i]):
                missing[i] = True
            elif not math.isfinite(numbers[i]):
                bad[i], numbers[i] = True, np.nan
        else:  # text, or anything else as its text (a Decimal, a date: not a number)
            texts[i], is_text[i] = str(cell), True
    result = _parse_text(pd.Series(texts[is_text], dtype="str"), whole=whole)
    numbers[is_text] = result.value
    missing[is_text] = result.missing
    bad[is_text] = result.bad
    ambiguous = np.zeros(n, dtype=bool)
    ambiguous[is_text] = result.ambiguous
    reasons = np.full(n, None, dtype=object)
    reasons[is_text] = result.reasons
    return Numbers(numbers, missing, bad, ambiguous, reasons)


def _parse_text(values: pd.Series, *, whole: bool) -> Numbers:
    """Read a text column: the common shapes at once, the rest one distinct text at a time."""
    n = len(values)
    text = values.str.strip()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    present = text.where(~missing, "")
    if present.str.contains("[^\x00-\x7f]").any():  # other digits, the minus sign U+2212
        present = present.str.translate(_TRANSLATE)
    fast = present.str.fullmatch(_PLAIN) & ~present.str.fullmatch(_PLAIN_AMBIGUOUS)
    if whole:
        fast &= ~present.str.contains("[eE]")
    fast_mask = fast.to_numpy(dtype=bool) & ~missing
    numbers = np.full(n, np.nan)
    # astype reads like float() (to_numeric would keep a 400-digit integer as an int).
    numbers[fast_mask] = present[fast_mask].astype("float64").to_numpy()
    bad = np.zeros(n, dtype=bool)
    ambiguous = np.zeros(n, dtype=bool)
    reasons = np.full(n, None, dtype=object)
    evidence: set[str] = set()
    if present[fast_mask].str.contains(".", regex=False).any():
        evidence.add("point")
    done = fast_mask | missing
    rest = np.flatnonzero(~done)
    if rest.size:
        grouped_at, grouped_numbers, grouped_evidence = _parse_grouped(present.iloc[rest])
        numbers[rest[grouped_at]] = grouped_numbers
        done[rest[grouped_at]] = True
        evidence |= grouped_evidence
    overflow = done & ~missing & ~np.isfinite(numbers)  # too many digits for a float
    bad[overflow], numbers[overflow] = True, np.nan

    slow = np.flatnonzero(~done)
    if slow.size == 0:
        return Numbers(numbers, missing, bad, ambiguous, reasons)
    codes, distinct = pd.factorize(present.iloc[slow])
    shapes = [_shape(str(t), whole=whole) for t in distinct]
    evidence.update(s.evidence for s in shapes if s.evidence is not None)
    convention: Convention = None
    if len(evidence) > 1:
        convention = "mixed"
    elif evidence:
        convention = "point" if "point" in evidence else "comma"
    values_d = np.full(len(shapes), np.nan)
    bad_d = np.zeros(len(shapes), dtype=bool)
    ambiguous_d = np.zeros(len(shapes), dtype=bool)
    reasons_d = np.full(len(shapes), None, dtype=object)
    for k, shape in enumerate(shapes):
        if shape.ambiguous:
            value, reason = _resolve(shape, convention, whole=whole)
            if value is None:
                ambiguous_d[k], reasons_d[k] = True, reason
            else:
                values_d[k] = value
        elif shape.value is None:
            bad_d[k], reasons_d[k] = True, shape.reason
        else:
            values_d[k] = shape.value
    numbers[slow] = values_d[codes]
    bad[slow] = bad_d[codes]
    ambiguous[slow] = ambiguous_d[codes]
    reasons[slow] = reasons_d[codes]
    return Numbers(numbers, missing, bad, ambiguous, reasons)


def _parse_grouped(texts: pd.Series) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """Read the unambiguous ASCII grouped numbers among ``texts`` at once.

    Returns
    -------
    tuple
        Positions read (int array into ``texts``), their values, the evidence seen.
    """
    at: list[np.ndarray] = []
    values: list[np.ndarray] = []
    evidence: set[str] = set()
    for sep in ("", *_GROUP_CHARS):
        if sep and not texts.str.contains(sep, regex=False).any():
            continue
        matched = texts.str.fullmatch(_grouped_pattern(sep) if sep else _DECIMAL_COMMA)
        if sep in ("", ",", "."):  # 12,000 or 3.500: two readings, settled by the column
            one = re.escape(sep or ",")
            matched &= ~texts.str.fullmatch(f"[+-]?[1-9][0-9]{{0,2}}{one}[0-9]{{3}}")
        where = np.flatnonzero(matched.to_numpy(dtype=bool))
        if where.size == 0:
            continue
        found = texts.iloc[where]
        plain = found.str.replace(sep, "", regex=False) if sep else found
        decimal_comma = plain.str.contains(",", regex=False)
        if sep == "," or plain.str.contains(".", regex=False).any():
            evidence.add("point")
        if sep == "." or decimal_comma.any():
            evidence.add("comma")
        plain = plain.str.replace(",", ".", regex=False).str.replace(
            _DECIMAL_ONLY, ".", regex=False
        )
        at.append(where)
        values.append(plain.astype("float64").to_numpy())
    if not at:
        return np.empty(0, dtype=np.intp), np.empty(0), evidence
    return np.concatenate(at), np.concatenate(values), evidence
