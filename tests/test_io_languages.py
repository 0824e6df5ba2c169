"""What cpgeo says about a bad file, in Arabic and Kurdish as in English.

The readers (cpgeo.io, cpgeo.admin) raise an InputError whose ``text(lang)`` says every
problem in the language asked for: the words from the catalogs, the names from the file
(its name, its columns, its cells) as they are. ``str()`` stays the English message.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import openpyxl
import pytest

import cpgeo
from cpgeo import _validate, admin, i18n, settings
from cpgeo import io as cio

TRANSLATED = [code for code in i18n.LANGUAGES if code != "en"]
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]*")
ARABIC = re.compile(r"[\u0600-\u06FF]")
EXTENSION = re.compile(r"(?<![\w.])\.[a-z]{2,7}\b")  # .csv, .xlsx: file types
# Names every language writes as they are: formats, standards, settings, geometry types
TECHNICAL = {
    "CSV", "XLSX", "WKT", "CRS", "EPSG", "DTD", "DOCTYPE", "XML", "MB", "GeoPackage",
    "Shapefile", "P", "code", "YYYY", "MM", "DD", "cpgeo", "settings", "max_rows",
    "Point", "LineString", "Polygon", "IQG", "Q", "N", "ADM", "_PCODE", "PCODE",
}
# The column spellings the readers look for are names of columns, not words
COLUMNS = {
    *cio._LAT, *cio._LON, *cio._WKT, *cio._NAME, *cio._GOVERNORATE,
    *admin._TABLE_PCODE, *admin._TABLE_POPULATION,
}


def _latin_left(text: str, file: Path) -> list[str]:
    """Latin words of ``text`` that are neither the file's own text nor technical names."""
    own = set(LATIN_WORD.findall(str(file)))
    if file.suffix in (".csv", ".txt") and file.exists():
        own |= set(LATIN_WORD.findall(file.read_text(encoding="utf-8")))
    if file.suffix == ".xlsx":
        own |= set(string.ascii_uppercase)  # the sheet's column letters
        book = openpyxl.load_workbook(file)
        for row in book.active.iter_rows(values_only=True):
            own |= {w for cell in row if cell is not None for w in LATIN_WORD.findall(str(cell))}
    allowed = own | TECHNICAL | {w for c in COLUMNS for w in LATIN_WORD.findall(c)}
    text = EXTENSION.sub(" ", text)
    return [w for w in LATIN_WORD.findall(text) if w not in allowed]


def _offices(tmp_path: Path) -> Path:
    """Offices with a problem in nearly every row."""
    text = (
        "id,name,latitude,longitude,governorate,established\n"
        "A,Tikrit,34.6158,43.6786,Salah al-Din,2021-05-01\n"
        "B,Nowhere,,43.5,Anbar,2021-05-01\n"  # missing coordinate
        "C,Swapped,43.6786,34.6158,Salah al-Din,2021-05-01\n"  # latitude/longitude swapped
        "D,Cairo,30.0444,31.2357,Anbar,2021-05-01\n"  # outside Iraq
        "E,Twin,34.6,43.6,Salah al-Din,2021-05-01\n"  # duplicate id (with row 11)
        "F,Oddgov,34.6,43.6,Atlantis,2021-05-01\n"  # unknown governorate
        "G,Baddate,34.6,43.6,Salah al-Din,soon\n"  # not a date
        "H,Badlat,abc,43.6,Salah al-Din,2021-05-01\n"  # not a number
        "I,Space,95,43.6,Salah al-Din,2021-05-01\n"  # not a position on Earth
        "E,Twin,34.6,43.6,Salah al-Din,2021-05-01\n"
    )
    return _write(tmp_path / "offices_bad.csv", text)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "latitude", "longitude"])
    sheet.append(["A", 34.6, 43.6, None, "stray"])
    book.save(path)
    return path


def _bad_files(tmp_path: Path) -> list[tuple[Path, str]]:
    """(file, layer kind): each is refused, for one or many reasons."""
    communities = _write(
        tmp_path / "villages.csv",
        "id,name,latitude,longitude,population\n"
        "1,Alpha,34.6,43.6,-5\n"
        "2,Beta,34.6,43.6,12.5\n"
        "3,Gamma,34.6,43.6,3.000\n"
        "4,Delta,34.6,43.6,many\n",
    )
    return [
        (_offices(tmp_path), "offices"),
        (communities, "communities"),
        (_write(tmp_path / "nocoords.csv", "id,name\nA,Tikrit\n"), "offices"),
        (_write(tmp_path / "empty.csv", ""), "offices"),
        (_write(tmp_path / "header.csv", "id,latitude,longitude\n"), "offices"),
        (_write(tmp_path / "offices.docx", "x"), "offices"),
        (tmp_path / "absent.csv", "offices"),
        (_xlsx(tmp_path / "stray.xlsx"), "offices"),
        (
            _write(tmp_path / "lines.csv", 'id,name,wkt\n1,Anbar,"LINESTRING (43 33, 44 34)"\n'),
            "boundaries",
        ),
        (_write(tmp_path / "nowkt.csv", "id,name,wkt\n1,Anbar,not a shape\n"), "boundaries"),
    ]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_problem_of_a_file_is_said_in_the_language(tmp_path: Path, lang: str) -> None:
    for file, kind in _bad_files(tmp_path):
        with pytest.raises(cpgeo.InputError) as info:
            cio.read_layer(file, kind)
        english = str(info.value)
        said = info.value.text(lang)
        assert said != english, file.name
        assert ARABIC.search(said), (file.name, said)
        assert _latin_left(said, file) == [], (file.name, said)
        # the file is named, and so is every row and column the English names
        assert file.name in said
        for number in re.findall(r"\brows? (\d+)", english):
            assert number in said, (file.name, number, said)
        assert info.value.text("en") == english


def test_the_english_message_is_unchanged(tmp_path: Path) -> None:
    with pytest.raises(cpgeo.InputError) as info:
        cio.read_layer(_offices(tmp_path), "offices")
    message = str(info.value)
    assert message.startswith("offices_bad.csv: 8 problems in the offices layer: ")
    assert "row 3, column latitude: missing coordinate" in message
    assert "rows 6, 11, column id: duplicate id 'E'" in message
    assert "row 7, column governorate: unknown governorate 'Atlantis'" in message
    assert "row 9, column latitude: 'abc' is not a number" in message
    assert "row 8, column established: 'soon' is not a date (use YYYY-MM-DD)" in message


def test_problems_read_in_arabic(tmp_path: Path) -> None:
    """Hand-checked: the row, the column and what is wrong, in Arabic."""
    with pytest.raises(cpgeo.InputError) as info:
        cio.read_layer(_offices(tmp_path), "offices")
    said = info.value.text("ar")
    assert said.startswith("offices_bad.csv: عدد المشكلات في طبقة المكاتب: 8: ")
    assert "الصف 3، العمود latitude: إحداثية مفقودة" in said
    assert "الصفوف 6، 11، العمود id: معرّف مكرر 'E'" in said
    assert "محافظة غير معروفة 'Atlantis'" in said
    # a problem is a message of its own too
    problem = info.value.problems[0]  # type: ignore[attr-defined]
    assert problem.text("ckb") == "ڕیزی 3، ستوونی latitude: پۆتانێک نییە"


def test_more_problems_than_are_listed(tmp_path: Path) -> None:
    rows = "".join(f"{n},,43.6\n" for n in range(15))
    file = _write(tmp_path / "many.csv", "id,latitude,longitude\n" + rows)
    with pytest.raises(cpgeo.InputError) as info:
        cio.read_layer(file, "offices")
    assert str(info.value).endswith("; and 5 more")
    assert info.value.text("ar").endswith("؛ و5 أخرى")
    assert info.value.text("ar").count("إحداثية مفقودة") == _validate.MAX_LISTED


def _refused(file: Path, read, english: str, lang: str, said: str) -> cpgeo.InputError:
    """Read ``file``: refused, saying ``english`` in English and ``said`` in ``lang``."""
    with pytest.raises(cpgeo.InputError) as info:
        read(file, "offices")
    assert english in str(info.value)
    assert said in info.value.text(lang)
    assert _latin_left(info.value.text(lang), file) == []
    return info.value


def test_limits_are_said_with_the_language_s_numbers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(settings, "max_rows", 2)
    rows = "".join(f"{n},34.6,43.6\n" for n in range(3))
    file = _write(tmp_path / "big.csv", "id,latitude,longitude\n" + rows)
    error = _refused(file, cio.read_layer, "more than 2 rows", "ar", "أكثر من 2 صف")
    i18n.set_digits("arab")
    try:
        assert "\u0662" in error.text("ar")  # Arabic-Indic 2
        assert "2" in str(error)
    finally:
        i18n.set_digits("latn")


def test_rows_left_out_are_summed_up_in_the_language(tmp_path: Path) -> None:
    result = cio.read_layer_partial(_offices(tmp_path), "offices")
    assert result.summary().startswith("9 of 10 rows: ")
    said = result.summary("ar")
    assert said.startswith("9 من 10 صف: ")
    assert "1 خارج العراق" in said
    assert _latin_left(said, tmp_path / "offices_bad.csv") == []
    assert dict(result.reasons) == {str(r): n for r, n in result.said_reasons.items()}


def test_no_row_free_of_problems_is_said_in_the_language(tmp_path: Path) -> None:
    file = _write(tmp_path / "allbad.csv", "id,latitude,longitude\nA,,43.6\nB,34.6,\n")
    english = "no row is free of problems"
    _refused(file, cio.read_layer_partial, english, "ckb", "هیچ ڕیزێک بێ کێشە نییە")


def test_an_area_table_s_problems_in_the_language(tmp_path: Path) -> None:
    file = _write(tmp_path / "totals.csv", "code,people\nIQG16Q01,100\nIQG16,5\n")
    with pytest.raises(cpgeo.InputError) as info:
        admin.read_area_table(file)
    said = info.value.text("ar")
    assert "لا يوجد عمود P-code" in said
    assert _latin_left(said, file) == []
    file = _write(tmp_path / "totals2.csv", "pcode,population\nIQG16Q01,100\nIQG16,-5\n")
    with pytest.raises(cpgeo.InputError) as info:
        admin.read_area_table(file)
    said = info.value.text("ckb")
    assert "قەزا" in said and "ناحیە" in said
    assert "ژمارەی دانیشتوانی '-5' نەرێنییە" in said


def test_a_message_is_its_english_text() -> None:
    message = i18n.Message("{value} is not a number", value="'x'")
    assert message == "'x' is not a number"
    assert isinstance(message, str)
    assert message.text("ar") == "\u200f'x' ليس رقمًا"
    nested = i18n.Message("{count} {reason}", count=i18n.Number(1200), reason=message)
    assert nested.text("ckb") == "1,200 'x' ژمارە نییە"
    error = cpgeo.InputError("plain text")
    assert error.text("ar") == "plain text"


def test_a_temporary_copy_is_named_as_the_upload_in_every_language(tmp_path: Path) -> None:
    copy = tmp_path / "cpgeo-upload-x" / "mine.csv"
    with pytest.raises(cpgeo.InputError) as info:
        cio.read_layer(copy, "offices")
    renamed = info.value.renamed(str(copy), "mine.csv")
    assert str(renamed).endswith("file not found: mine.csv")
    for lang in TRANSLATED:
        assert "cpgeo-upload-x" in info.value.text(lang)
        assert "cpgeo-upload-x" not in renamed.text(lang)
        assert renamed.text(lang).endswith(": mine.csv")
    assert renamed.problems == info.value.problems  # type: ignore[attr-defined]
