"""The one number parser (cpgeo._numbers) and its use in cpgeo._validate."""

# The Arabic digits and separators that ruff takes for confusables are the test data.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import math

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
from hypothesis import given

from cpgeo import _numbers
from cpgeo import _validate as v
from cpgeo._numbers import parse_number, parse_numbers

AMBIGUOUS, BAD, MISSING = "ambiguous", "bad", "missing"


def status(number: _numbers.Number) -> float | str:
    if number.missing:
        return MISSING
    if number.bad:
        return BAD
    if number.ambiguous:
        return AMBIGUOUS
    assert number.value is not None
    return number.value


def column(cells: list[object], *, whole: bool = False) -> list[float | str]:
    """Each cell's reading within the column ``cells`` (as a CSV gives it: text)."""
    got = parse_numbers(pd.Series(cells, dtype="str"), whole=whole)
    out: list[float | str] = []
    for i in range(len(cells)):
        if got.missing[i]:
            out.append(MISSING)
        elif got.bad[i]:
            out.append(BAD)
        elif got.ambiguous[i]:
            out.append(AMBIGUOUS)
        else:
            out.append(float(got.value[i]))
    return out


# --- one cell, read alone ------------------------------------------------------------

# (text, reading in a real-valued column, reading in a whole-number column)
CELLS = [
    # plain
    ("0", 0.0, 0.0),
    ("12000", 12000.0, 12000.0),
    ("33.3152", 33.3152, 33.3152),
    (".5", 0.5, 0.5),
    ("5.", 5.0, 5.0),
    ("  44.5  ", 44.5, 44.5),
    # thousands separators
    ("12,000", AMBIGUOUS, 12000.0),
    ("1,234,567", 1234567.0, 1234567.0),
    ("12 000", 12000.0, 12000.0),
    ("12\u00a0000", 12000.0, 12000.0),
    ("12\u202f000", 12000.0, 12000.0),
    ("12\u2009000", 12000.0, 12000.0),
    ("1'234'567", 1234567.0, 1234567.0),
    ("1.234.567", 1234567.0, 1234567.0),
    ("1,234.5", 1234.5, 1234.5),
    ("1.234,5", 1234.5, 1234.5),
    ("12 000,5", 12000.5, 12000.5),
    ("12 000.5", 12000.5, 12000.5),
    ("1,234,567.25", 1234567.25, 1234567.25),
    ("1.234.567,25", 1234567.25, 1234567.25),
    # decimal comma where a comma cannot be a thousands separator
    ("33,5", 33.5, 33.5),
    ("44,12345", 44.12345, 44.12345),
    ("12,00", 12.0, 12.0),
    ("0,500", 0.5, 0.5),
    ("1234,567", 1234.567, 1234.567),
    # the two-reading shape, alone
    ("3.500", 3.5, 3500.0),
    ("12.000", 12.0, AMBIGUOUS),
    ("33,500", AMBIGUOUS, 33500.0),
    ("33.500", 33.5, 33500.0),
    ("0.500", 0.5, 0.5),  # "0" cannot lead a thousands group
    # Arabic-Indic and Eastern Arabic-Indic digits, Arabic separators
    ("٣٣٫٥", 33.5, 33.5),
    ("١٢٬٠٠٠", 12000.0, 12000.0),
    ("۱۲۳۴", 1234.0, 1234.0),
    ("۱۲٬۳۴۵٫۵", 12345.5, 12345.5),
    ("١٢,٠٠٠", AMBIGUOUS, 12000.0),
    ("٣٫٥٠٠", 3.5, 3.5),  # the Arabic decimal separator is never a thousands separator
    # signs
    ("-33.5", -33.5, -33.5),
    ("+33.5", 33.5, 33.5),
    ("\u221233.5", -33.5, -33.5),
    ("-1,234,567", -1234567.0, -1234567.0),
    ("-12,000", AMBIGUOUS, -12000.0),
    ("--5", BAD, BAD),
    ("5-", BAD, BAD),
    ("- 5", BAD, BAD),
    ("+", BAD, BAD),
    # scientific notation: real values only
    ("1e5", 1e5, BAD),
    ("-3.25E-2", -0.0325, BAD),
    ("1.234e5", 123400.0, BAD),
    ("1,5e3", BAD, BAD),
    ("1e400", BAD, BAD),
    # invalid grouping
    ("1,23,4", BAD, BAD),
    ("12 00", BAD, BAD),
    ("1,234,5", BAD, BAD),
    ("1,234,00", BAD, BAD),
    ("1234,567,890", BAD, BAD),
    ("012,345,678", BAD, BAD),
    ("1.234.567.8", BAD, BAD),
    ("1,234.567.8", BAD, BAD),
    ("1,234 567", BAD, BAD),
    ("12  000", BAD, BAD),
    ("12,", BAD, BAD),
    (",5", BAD, BAD),
    ("1٫234٫5", BAD, BAD),
    # not numbers
    ("nan", BAD, BAD),
    ("NaN", BAD, BAD),
    ("inf", BAD, BAD),
    ("-inf", BAD, BAD),
    ("Infinity", BAD, BAD),
    ("abc", BAD, BAD),
    ("12%", BAD, BAD),
    ("(12)", BAD, BAD),
    ("1_000", BAD, BAD),
    ("0x1A", BAD, BAD),
    ("१२", BAD, BAD),  # Devanagari digits are not among the accepted ones
    ("9" * 400, BAD, BAD),
    # blanks
    ("", MISSING, MISSING),
    ("   ", MISSING, MISSING),
    ("\u00a0", MISSING, MISSING),
]


@pytest.mark.parametrize(("text", "real", "whole"), CELLS)
def test_one_cell(text, real, whole):
    for is_whole, expected in ((False, real), (True, whole)):
        alone = status(parse_number(text, whole=is_whole))
        in_column = column([text], whole=is_whole)[0]
        if isinstance(expected, float):
            assert alone == pytest.approx(expected, rel=1e-15)
            assert in_column == alone
        else:
            assert alone == expected
            assert in_column == expected


def test_values_are_exact():
    assert parse_number("33.3152").value == 33.3152
    assert parse_number("1.234,56").value == 1234.56
    assert parse_number("٣٣٫٣١٥٢").value == 33.3152
    assert parse_number("-0").value == 0.0


@pytest.mark.parametrize(
    ("text", "whole", "reason"),
    [
        ("12.000", True, "12 or 12,000? write it without a thousands separator"),
        ("3.500", False, None),
        (
            "33,500",
            False,
            "33.5 or 33,500? write it with a decimal point and without a thousands separator",
        ),
        (
            "-1,250",
            False,
            "-1.25 or -1,250? write it with a decimal point and without a thousands separator",
        ),
        ("١٢.٠٠٠", True, "12 or 12,000? write it without a thousands separator"),
    ],
)
def test_ambiguous_reasons_offer_both_readings(text, whole, reason):
    got = parse_number(text, whole=whole)
    assert got.ambiguous == (reason is not None)
    assert got.reason == reason


def test_bad_reasons_say_what_is_wrong():
    assert "grouped wrongly" in parse_number("1,23,4").reason
    assert "scientific notation" in parse_number("1.23E+06", whole=True).reason
    assert parse_number("abc").reason is None


def test_numbers_stored_as_numbers():
    assert status(parse_number(12000)) == 12000.0
    assert status(parse_number(np.int64(7))) == 7.0
    assert status(parse_number(33.5)) == 33.5
    assert status(parse_number(float("nan"))) == MISSING
    assert status(parse_number(None)) == MISSING
    assert status(parse_number(pd.NA)) == MISSING
    assert status(parse_number(float("inf"))) == BAD
    assert status(parse_number(True)) == BAD


# --- the column's convention ---------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "whole", "expected"),
    [
        # decimal comma shown by 1.234,5, 33,5 or 1.234.567
        (["1.234,5", "12,000"], False, [1234.5, 12.0]),
        (["33,5", "12,000", "3.500"], False, [33.5, 12.0, 3500.0]),
        (["1.234.567", "12,000", "12.000"], False, [1234567.0, 12.0, 12000.0]),
        (["1.234,5", "12,000", "3,500", "12.000"], True, [1234.5, 12.0, 3.5, 12000.0]),
        (["12 000,5", "33,500"], False, [12000.5, 33.5]),
        # decimal point shown by 12.5, 1,234,567 or 1,234.5
        (["12.5", "33,500", "33.500"], False, [12.5, 33500.0, 33.5]),
        (["1,234,567", "12.000", "12,000"], True, [1234567.0, 12.0, 12000.0]),
        (["1,234,567", "3.500"], True, [1234567.0, 3.5]),  # then "not a whole number"
        (["1,234.5", "33,500"], False, [1234.5, 33500.0]),
        (["0.500", "12,000"], False, [0.5, 12000.0]),
        (["1.5e3", "12,000"], False, [1500.0, 12000.0]),
        # no evidence: the default convention and its exceptions
        (["12,000", "3.500", "12.000", "7"], True, [12000.0, 3500.0, AMBIGUOUS, 7.0]),
        (["33,500", "33.500", "44"], False, [AMBIGUOUS, 33.5, 44.0]),
        (["12 000", "١٢٬٠٠٠", "33,500", "٣٣٫٥"], False, [12000.0, 12000.0, AMBIGUOUS, 33.5]),
        # both conventions: the two-reading cells are reported
        (["12.5", "33,5", "12,000", "12.000"], False, [12.5, 33.5, AMBIGUOUS, AMBIGUOUS]),
        (["1,234,567", "1.234.567", "3.500"], True, [1234567.0, 1234567.0, AMBIGUOUS]),
    ],
)
def test_the_column_settles_the_two_reading_shape(cells, whole, expected):
    assert column(cells, whole=whole) == expected


def test_mixed_column_says_so():
    got = parse_numbers(pd.Series(["12.5", "33,5", "12,000"], dtype="str"))
    assert got.reasons[2] == (
        "12 or 12,000? write it with a decimal point and without a thousands separator "
        "(the column has both decimal points and decimal commas)"
    )


def test_numbers_in_an_xlsx_style_column_say_nothing_about_the_convention():
    cells = pd.Series([12.5, 3, "12,000", None, "x", True, " "], dtype=object)
    got = parse_numbers(cells)
    np.testing.assert_array_equal(got.missing, [False, False, False, True, False, False, True])
    np.testing.assert_array_equal(got.bad, [False, False, False, False, True, True, False])
    np.testing.assert_array_equal(got.ambiguous, [False, False, True, False, False, False, False])
    assert got.value[:2].tolist() == [12.5, 3.0]


def test_numeric_and_boolean_columns():
    got = parse_numbers(pd.Series([1.5, np.nan, np.inf, -np.inf]))
    assert got.value[0] == 1.5
    assert got.missing.tolist() == [False, True, False, False]
    assert got.bad.tolist() == [False, False, True, True]
    assert np.isnan(got.value[1:]).all()
    got = parse_numbers(pd.Series([12, None], dtype="Int64"), whole=True)
    assert got.value[0] == 12.0
    assert got.missing.tolist() == [False, True]
    got = parse_numbers(pd.Series([True, None], dtype="boolean"))
    assert got.bad.tolist() == [True, False]
    assert got.missing.tolist() == [False, True]


# --- fast and slow paths agree ---------------------------------------------------------

_ALPHABET = "0123456789,.' \u00a0\u066b\u066c-+eE\u0661\u06f2x"


@given(st.text(alphabet=_ALPHABET, max_size=14), st.booleans())
def test_a_column_of_one_cell_reads_like_the_cell_alone(text, whole):
    alone = parse_number(text, whole=whole)
    got = parse_numbers(pd.Series([text], dtype="str"), whole=whole)
    assert (alone.missing, alone.bad, alone.ambiguous) == (
        got.missing[0],
        got.bad[0],
        got.ambiguous[0],
    )
    assert alone.reason == got.reasons[0]
    if alone.value is None:
        assert np.isnan(got.value[0])
    else:
        assert alone.value == got.value[0]


@given(st.lists(st.text(alphabet=_ALPHABET, max_size=10), max_size=8), st.booleans())
def test_unambiguous_cells_read_the_same_in_any_column(cells, whole):
    got = parse_numbers(pd.Series(cells, dtype="str"), whole=whole)
    for i, text in enumerate(cells):
        alone = parse_number(text, whole=whole)
        if alone.value is not None and not _numbers._shape(text.strip(), whole=whole).ambiguous:
            assert got.value[i] == alone.value
        if alone.bad:
            assert got.bad[i]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_repr_of_a_float_reads_back_exactly(x):
    assert parse_number(repr(x)).value == x
    comma = repr(x).replace(".", ",")
    got = parse_numbers(pd.Series([comma, "33,5"], dtype="str"))
    if "e" not in comma:
        assert got.value[0] == x


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_grouped_integers(n):
    for sep in (",", " ", "\u00a0", "'", "\u066c"):
        text = f"{n:,}".replace(",", sep)
        assert parse_numbers(pd.Series([text, "1,234,567"], dtype="str"), whole=True).value[
            0
        ] == float(n)
    dotted = f"{n:,}".replace(",", ".")
    assert column([dotted, "1.234.567"], whole=True)[0] == float(n)


def test_only_the_other_cells_go_one_by_one(monkeypatch):
    calls: list[str] = []
    real = _numbers._shape

    def counting(text, *, whole):
        calls.append(text)
        return real(text, whole=whole)

    monkeypatch.setattr(_numbers, "_shape", counting)
    plain = [repr(float(x)) for x in np.linspace(29, 37, 5000)] + ["1e5", "-7", "1,234,567"]
    plain += ["12 000,5", "33,25", "1.234.567"] * 100
    others = ["33,500", "٣٣٫٥", "33,500", "abc", "abc"]
    got = parse_numbers(pd.Series(plain + others, dtype="str"))
    assert got.ok[: len(plain)].all()
    assert sorted(calls) == ["33,500", "abc"]  # each distinct text once; ٣٣٫٥ translated


# --- cpgeo._validate -------------------------------------------------------------------


def test_to_numbers_keeps_its_three_arrays_ambiguous_counted_bad():
    numbers, missing, bad = v.to_numbers(pd.Series(["33", "", "33,500", "x", "1 234"]))
    assert numbers[0] == 33.0
    assert numbers[4] == 1234.0
    assert np.isnan(numbers[1:4]).all()
    assert missing.tolist() == [False, True, False, False, False]
    assert bad.tolist() == [False, False, True, True, False]
    # The column's convention applies: a decimal comma elsewhere settles 33,500.
    numbers, _, bad = v.to_numbers(pd.Series(["33,5", "33,500"]))
    assert numbers.tolist() == [33.5, 33.5]
    assert not bad.any()


def test_parse_population_is_int64_with_na_for_unknown():
    problems = v.Problems("t.csv", "communities")
    cells = pd.Series(["12,000", "", None, "3.500", "۱۲۳۴", "1 500"], dtype="str")
    labels = [f"row {n}" for n in range(2, 8)]
    got = v.parse_population(cells, labels, "population", problems)
    assert len(problems) == 0
    assert str(got.dtype) == "Int64"
    assert got.tolist() == [12000, pd.NA, pd.NA, 3500, 1234, 1500]


def test_parse_population_reports_every_kind_of_problem():
    problems = v.Problems("t.csv", "communities")
    cells = pd.Series(
        ["12.000", "-5", "٢٫٥", "many", "1,23,4", "1e5", "inf", "1" + "0" * 20], dtype="str"
    )
    labels = [f"row {n}" for n in range(2, 10)]
    got = v.parse_population(cells, labels, "pop", problems)
    assert got.isna().all()
    assert [str(p) for p in problems.items] == [
        "row 2, column pop: '12.000' is ambiguous: 12 or 12,000? write it without a "
        "thousands separator",
        "row 5, column pop: population 'many' is not a number",
        "row 6, column pop: population '1,23,4' is not a number (digits are grouped wrongly "
        "(thousands groups have 3 digits: 1,234,567))",
        "row 7, column pop: population '1e5' is not a number (a count in scientific "
        "notation, which spreadsheets round: write all the digits)",
        "row 8, column pop: population 'inf' is not a number",
        "row 3, column pop: population '-5' is negative",
        "row 4, column pop: population '٢٫٥' is not a whole number",
        "row 9, column pop: population '100000000000000000000' is too large",
    ]


@pytest.mark.parametrize(
    ("other", "expected"),
    [("12,5", 12000), ("1.234.567", 12000), ("12.5", 12), ("1,234,567", 12), ("7", None)],
)
def test_population_column_convention_settles_12_000(other, expected):
    problems = v.Problems("t.csv", "communities")
    cells = pd.Series(["12.000", other], dtype="str")
    got = v.parse_population(cells, ["row 2", "row 3"], "population", problems)
    rows = [p.row for p in problems.items]
    if expected is None:
        assert rows == ["row 2"]
        assert pd.isna(got[0])
    else:
        assert "row 2" not in rows
        assert got[0] == expected


def test_number_problem_messages():
    got = parse_numbers(pd.Series(["33,500", "north"], dtype="str"))
    assert v.number_problem("33,500", got, 0) == (
        "'33,500' is ambiguous: 33.5 or 33,500? write it with a decimal point and without "
        "a thousands separator"
    )
    assert v.number_problem("north", got, 1) == "'north' is not a number"
    assert math.isnan(got.value[1])
