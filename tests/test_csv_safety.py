"""Text a spreadsheet would run as a formula is neutralised in every CSV cpgeo writes."""

from __future__ import annotations

import csv

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

import cpgeo
from cpgeo import io as cio

# Names from an upload or from OpenStreetMap that Excel or LibreOffice would run.
FORMULAS = [
    '=HYPERLINK("http://x","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "=1+1\n",
    "+964 770 123 4567",  # not a number to a spreadsheet: a formula that fails
]
HARMLESS = ["Tikrit", "'=already quoted", " =leading space", "Hamdaniya - north", "تكريت"]
# A bare carriage return, written unquoted, would start a new spreadsheet row there.
SPLIT = ["x\r=1+1", "two\r\nlines"]


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _layer() -> gpd.GeoDataFrame:
    names = FORMULAS + HARMLESS + SPLIT
    n = len(names)
    return gpd.GeoDataFrame(
        {
            "id": [f"o{i}" for i in range(n)],
            "name": pd.Series(names, dtype="str"),
            "note": pd.Series(["=cmd()", None] + ["x"] * (n - 2), dtype=object),
            "count": [-5] + [3] * (n - 1),
            "share": [-2.5] + [0.5] * (n - 1),
            "staffed": [True, False] * (n // 2) + [True] * (n % 2),
            # text that is a plain number stays as it is: there is nothing to run
            "code": pd.Series(["-5", "+3.5", "-1e3", "-.5"] + ["7"] * (n - 4), dtype="str"),
        },
        geometry=shapely.points([43.6786] * n, [34.6158] * n),
        crs="EPSG:4326",
    )


def _read_cells(path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_csv_cells_that_would_run_get_a_quote(tmp_path):
    layer = _layer()
    path = cio.write_layer(layer, tmp_path / "offices.csv")
    cells = _read_cells(path)
    assert len(cells) == len(layer)
    expected = [f"'{_lf(n)}" for n in FORMULAS] + HARMLESS + [_lf(n) for n in SPLIT]
    assert [row["name"] for row in cells] == expected
    assert "\r" not in path.read_text(encoding="utf-8")
    assert [row["note"] for row in cells][:2] == ["'=cmd()", ""]
    # numbers, booleans and plain numbers written as text are untouched
    assert cells[0]["count"] == "-5"
    assert cells[0]["share"] == "-2.5"
    assert [row["code"] for row in cells][:4] == ["-5", "+3.5", "-1e3", "-.5"]
    assert {row["staffed"] for row in cells} == {"true", "false"}
    assert float(cells[0]["latitude"]) == pytest.approx(34.6158)
    # the caller's frame is not changed
    assert list(layer["name"][: len(FORMULAS)]) == FORMULAS


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson"])
def test_geopackage_and_geojson_keep_the_text(tmp_path, suffix):
    layer = _layer()
    path = cio.write_layer(layer, tmp_path / f"offices{suffix}")
    back = pyogrio.read_dataframe(path)
    assert list(back["name"]) == FORMULAS + HARMLESS + SPLIT
    assert back["note"][0] == "=cmd()"
    assert back["count"][0] == -5


def test_a_read_layer_written_as_csv(tmp_path):
    """An upload's names and column names reach the CSV download neutralised."""
    upload = tmp_path / "upload.csv"
    upload.write_text(
        "id,name,latitude,longitude,=cmd|' /C calc'!A0\n"
        'a,"=HYPERLINK(""http://x"",""click"")",34.6158,43.6786,@SUM(1)\n'
        "b,Ramadi,33.4258,43.2992,-3\n",
        encoding="utf-8",
    )
    layer = cpgeo.read_layer(upload, "offices")
    assert layer["name"][0] == '=HYPERLINK("http://x","click")'
    path = cio.write_layer(layer, tmp_path / "download.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert "'=cmd|' /C calc'!A0" in header
    cells = _read_cells(path)
    assert cells[0]["name"] == '\'=HYPERLINK("http://x","click")'
    assert [row["'=cmd|' /C calc'!A0"] for row in cells] == ["'@SUM(1)", "-3"]


def test_plain_tables_too(tmp_path):
    table = pd.DataFrame({"name": ["=1+1", "ok"], "value": [-1, 2]})
    cells = _read_cells(cio.write_layer(table, tmp_path / "table.csv"))
    assert [row["name"] for row in cells] == ["'=1+1", "ok"]
    assert [row["value"] for row in cells] == ["-1", "2"]


def test_csv_safe_keeps_dtypes_and_missing_values():
    frame = pd.DataFrame(
        {
            "text": pd.Series(["=a", None, "b"], dtype="str"),
            "mixed": pd.Series(["@x", 5, None], dtype=object),
            "kind": pd.Series(["-x", "y", "-x"], dtype="category"),
            "number": [-1.0, 2.0, float("nan")],
            "=name": [1, 2, 3],
        }
    )
    out = cio.csv_safe(frame)
    assert list(out.columns) == ["text", "mixed", "kind", "number", "'=name"]
    assert out["text"].tolist()[0] == "'=a"
    assert pd.isna(out["text"][1])
    assert out["text"].dtype == frame["text"].dtype
    assert out["mixed"].tolist()[:2] == ["'@x", 5]
    assert out["mixed"][2] is None
    assert out["kind"].tolist() == ["'-x", "y", "'-x"]
    assert out["number"].tolist()[:2] == [-1.0, 2.0]
    assert frame["text"][0] == "=a"  # a copy


@given(st.text(max_size=12))
def test_csv_safe_text_prefixes_exactly_what_could_run(text):
    safe = cio.csv_safe_text(text)
    could_run = text[:1] in ("=", "+", "-", "@", "\t", "\r")
    plain_number = could_run and _is_plain_number(text)
    assert safe == _lf(f"'{text}" if could_run and not plain_number else text)
    assert "\r" not in safe


def _is_plain_number(text: str) -> bool:
    if not all(c in "0123456789+-.eE" for c in text):
        return False
    try:
        float(text)
    except ValueError:
        return False
    return text.lstrip("+-")[:1] in tuple("0123456789.")
