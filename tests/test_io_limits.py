"""Limits on input files: too many rows, zip bombs, XML entities, lying XLSX dimensions."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely

import cpgeo
from cpgeo import _limits, settings

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
GIB = 1 << 30


def _points(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"o{i}" for i in range(n)], "name": [f"Office {i}" for i in range(n)]},
        geometry=shapely.points([43.6786 + (i % 1000) / 10_000 for i in range(n)], [34.6158] * n),
        crs="EPSG:4326",
    )


def _zeros(archive: zipfile.ZipFile, name: str, size: int) -> None:
    """Stream ``size`` zero bytes into the member ``name`` (a zip bomb's payload)."""
    chunk = bytes(16 * MIB)
    with archive.open(name, "w", force_zip64=True) as member:
        for _ in range(size // len(chunk)):
            member.write(chunk)
        member.write(bytes(size % len(chunk)))


def _never_decompress(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a member was decompressed")

    monkeypatch.setattr(zipfile.ZipExtFile, "read", refuse)
    monkeypatch.setattr(zipfile.ZipExtFile, "read1", refuse)
    monkeypatch.setattr(pyogrio, "read_dataframe", refuse)


# --- CSV rows --------------------------------------------------------------------------

_MEASURE = """
import json, resource, sys, time
import cpgeo
try:  # warm up the CSV reader (a table without coordinates fails before the boundaries)
    cpgeo.read_layer(sys.argv[2], "communities")
except cpgeo.InputError:
    pass
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    cpgeo.read_layer(sys.argv[1], "communities")
    message = None
except cpgeo.InputError as exc:
    message = str(exc)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_kb": base, "peak_kb": peak, "seconds": seconds, "message": message}))
"""


def test_csv_over_max_rows_refused_before_loading(tmp_path):
    """2,000,000 rows: refused by counting, in a few MB, not by loading the file."""
    assert settings.max_rows == 1_000_000
    big = tmp_path / "communities.csv"
    with big.open("w", encoding="utf-8") as file:
        file.write("id,name,governorate,latitude,longitude,population\n")
        for start in range(0, 2_000_000, 100_000):
            file.write(
                "".join(
                    f"c{i},Village {i},Ninewa,36.{i % 99991:05d},43.{i % 99989:05d},{i % 5000}\n"
                    for i in range(start, start + 100_000)
                )
            )
    small = tmp_path / "small.csv"
    small.write_text("id,name\na,Tikrit\n", encoding="utf-8")
    size_kb = big.stat().st_size / 1024
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(big), str(small)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    print(
        f"\n{size_kb / 1024:.0f} MB CSV: refused in {result['seconds']:.2f} s, peak RSS "
        f"+{(result['peak_kb'] - result['base_kb']) / 1024:.1f} MB"
    )
    assert result["message"] is not None
    assert re.search(
        r"^communities\.csv: .*more than 1,000,000 rows \(the limit, cpgeo\.settings\.max_rows\)",
        result["message"],
    )
    # Streaming in 1 MiB chunks: the peak grows by a few MB, not by the file's ~90 MB
    # (loading it took over 1 GB).
    assert result["peak_kb"] - result["base_kb"] < max(size_kb / 10, 8 * 1024)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_csv_rows_are_records_not_lines(tmp_path, monkeypatch, newline):
    monkeypatch.setattr(settings, "max_rows", 3)
    header = "id,name,latitude,longitude"
    rows = [f'a{i},"line one{newline}line two",34.6{i},43.67' for i in range(3)]
    fits = tmp_path / "fits.csv"
    # 3 rows spread over 7 lines, and blank lines, which the reader drops
    fits.write_bytes(newline.join([header, *rows, "", ",,,", ""]).encode())
    assert len(cpgeo.read_layer(fits, "offices")) == 3
    over = tmp_path / "over.csv"
    over.write_bytes(newline.join([header, *rows, "a9,x,34.69,43.67"]).encode())
    with pytest.raises(
        cpgeo.InputError,
        match=r"over\.csv: .*more than 3 rows \(the limit, cpgeo\.settings\.max_rows\)",
    ):
        cpgeo.read_layer(over, "offices")


# --- zip archives ----------------------------------------------------------------------


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


_OFFICES = [
    ["id", "name", "latitude", "longitude", "population"],
    ["A", "Tikrit", 34.6158, 43.6786, 1000],
    ["B", "Samarra", 34.1983, 43.8742, 2000],
    ["C", "Ramadi", 33.4258, 43.2992, 3000],
    ["D", "Mosul", 36.3350, 43.1189, 4000],
    ["E", "Kirkuk", 35.4681, 44.3922, 5000],
]


def _rewrite(path: Path, out: Path, *, change=None, add=None) -> Path:
    """Copy a zip, changing members (name -> bytes -> bytes) and adding some (archive ->)."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            data = source.read(info)
            if change and info.filename in change:
                data = change[info.filename](data)
            dest.writestr(info.filename, data)
        if add:
            add(dest)
    return out


def _zip_bomb(path: Path, size: int, *, level: int = 1) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        _zeros(archive, "bomb/bomb.shp", size)
        archive.writestr("bomb/bomb.prj", 'GEOGCS["WGS 84"]')  # any small sibling
    return path


def _xlsx_bomb(tmp_path: Path, size: int, *, level: int = 1) -> Path:
    book = _workbook(tmp_path / "plain.xlsx", _OFFICES)

    def add(archive: zipfile.ZipFile) -> None:
        archive.compresslevel = level
        _zeros(archive, "xl/media/image1.png", size)

    return _rewrite(book, tmp_path / "bomb.xlsx", add=add)


@pytest.mark.parametrize("fmt", ["zip", "xlsx"])
def test_zip_bomb_refused_unread(tmp_path, monkeypatch, fmt):
    """2 GiB of zeros (9 MB compressed) is refused from the archive's directory alone."""
    if fmt == "zip":
        path = _zip_bomb(tmp_path / "bomb.zip", 2 * GIB)
    else:
        path = _xlsx_bomb(tmp_path, 2 * GIB)
    print(f"\n{fmt} bomb: {path.stat().st_size / MIB:.1f} MB for 2,048 MB")
    _never_decompress(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(
        cpgeo.InputError,
        match=rf"bomb\.{fmt}: .*expands to 2,048 MB, more than 1,024 MB "
        r"\(the limit, cpgeo\.settings\.max_uncompressed_mb\); refused unread",
    ):
        cpgeo.read_layer(path, "offices")
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("fmt", ["zip", "xlsx"])
def test_compression_ratio_refused_unread(tmp_path, monkeypatch, fmt):
    """Under the size cap, a member compressed 1,000 times is still a bomb."""
    if fmt == "zip":
        path = _zip_bomb(tmp_path / "bomb.zip", 64 * MIB, level=9)
        member = "bomb/bomb.shp"
    else:
        path = _xlsx_bomb(tmp_path, 64 * MIB, level=9)
        member = "xl/media/image1.png"
    _never_decompress(monkeypatch)
    with pytest.raises(
        cpgeo.InputError,
        match=rf"bomb\.{fmt}: .*member {member} expands 1,0\d\d times .*more than 200 times "
        r"\(the limit, cpgeo\.settings\.max_compression_ratio\)",
    ):
        cpgeo.read_layer(path, "offices")


def test_zip_that_lies_about_its_sizes_refused(tmp_path):
    """A member declaring fewer bytes than its data holds: GDAL would read them all."""
    gdf = _points(2000)
    gdf["note"] = "x" * 200
    shp = tmp_path / "shp" / "offices.shp"
    shp.parent.mkdir()
    pyogrio.write_dataframe(gdf, shp)
    path = tmp_path / "offices.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in shp.parent.iterdir():
            archive.write(part, f"offices/{part.name}")
    with zipfile.ZipFile(path) as archive:
        dbf = archive.getinfo("offices/offices.dbf")
    data = bytearray(path.read_bytes())
    declared = dbf.file_size // 10
    # the uncompressed size in the member's local header and in the central directory
    local = dbf.header_offset
    assert int.from_bytes(data[local + 22 : local + 26], "little") == dbf.file_size
    data[local + 22 : local + 26] = declared.to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    while int.from_bytes(data[central + 42 : central + 46], "little") != local:
        central = data.find(b"PK\x01\x02", central + 4)
    assert int.from_bytes(data[central + 24 : central + 28], "little") == dbf.file_size
    data[central + 24 : central + 28] = declared.to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(
        cpgeo.InputError,
        match=r"offices\.zip: .*cannot unpack offices/offices\.dbf: Bad CRC-32 .*does not hold "
        r"what its directory declares",
    ):
        cpgeo.read_layer(path, "offices")


def test_wide_blank_dbf_fields_are_not_a_bomb(tmp_path):
    """A .dbf pads text with spaces to the field's width: it compresses far beyond 200."""
    n = 4000
    gdf = _points(n)
    for k in range(12):
        gdf[f"note{k}"] = [("x" * 254 if i == 0 else "") for i in range(n)]
    shp = tmp_path / "shp" / "wide.shp"
    shp.parent.mkdir()
    pyogrio.write_dataframe(gdf, shp)
    path = tmp_path / "wide.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in shp.parent.iterdir():
            archive.write(part, f"wide/{part.name}")
    with zipfile.ZipFile(path) as archive:
        dbf = archive.getinfo("wide/wide.dbf")
    assert dbf.file_size > MIB
    assert dbf.file_size / dbf.compress_size > settings.max_compression_ratio
    assert len(cpgeo.read_layer(path, "offices")) == n


def test_only_the_shapefile_read_counts(tmp_path):
    """Members of an archive that are not the Shapefile read are not judged."""
    shp = tmp_path / "shp" / "offices.shp"
    shp.parent.mkdir()
    pyogrio.write_dataframe(_points(3), shp)
    path = tmp_path / "offices.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for part in shp.parent.iterdir():
            archive.write(part, f"offices/{part.name}")
        _zeros(archive, "offices/readme.txt", 16 * MIB)
    assert len(cpgeo.read_layer(path, "offices")) == 3


# --- XLSX ------------------------------------------------------------------------------

_SHEET = "xl/worksheets/sheet1.xml"
_BOMB_DTD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)


def _with_dtd(data: bytes, *, padding: bytes = b"") -> bytes:
    data = data.replace(
        b"<v>1000</v>", b'<v>1000</v></c><c r="F2" t="inlineStr"><is><t>&c;</t></is>'
    )
    return padding + _BOMB_DTD + data


@pytest.mark.parametrize("part", [_SHEET, "xl/workbook.xml", "xl/styles.xml"])
def test_xlsx_with_a_dtd_refused(tmp_path, part):
    book = _workbook(tmp_path / "plain.xlsx", _OFFICES)
    path = _rewrite(book, tmp_path / "book.xlsx", change={part: _with_dtd})
    with pytest.raises(
        cpgeo.InputError,
        match=rf"book\.xlsx: .*part {re.escape(part)} declares a DTD \(<!DOCTYPE\); a workbook "
        r"never needs one \(refused, as a possible XML entity bomb\)",
    ):
        cpgeo.read_layer(path, "offices")


def test_xlsx_dtd_behind_a_long_prolog_refused(tmp_path):
    book = _workbook(tmp_path / "plain.xlsx", _OFFICES)
    padding = b"<!--" + b" " * 100_000 + b"-->"
    path = _rewrite(
        book, tmp_path / "book.xlsx", change={_SHEET: lambda d: _with_dtd(d, padding=padding)}
    )
    with pytest.raises(
        cpgeo.InputError, match=rf"book\.xlsx: .*part {_SHEET} has an XML prolog longer than"
    ):
        cpgeo.read_layer(path, "offices")


def test_xlsx_entities_refused_by_defusedxml_too(tmp_path, monkeypatch):
    """Without cpgeo's own check, defusedxml (through openpyxl) refuses the entities."""
    assert openpyxl.DEFUSEDXML, "defusedxml is a dependency: openpyxl must be using it"
    monkeypatch.setattr(_limits, "check_xml_prologs", lambda archive, problems: None)
    book = _workbook(tmp_path / "plain.xlsx", _OFFICES)
    for part in (_SHEET, "xl/workbook.xml"):
        path = _rewrite(book, tmp_path / "book.xlsx", change={part: _with_dtd})
        with pytest.raises(
            cpgeo.InputError,
            match=r"book\.xlsx: .*the workbook's XML declares entities or a DTD "
            r"\(EntitiesForbidden.*\), which a workbook never needs",
        ):
            cpgeo.read_layer(path, "offices")


def test_xlsx_stored_dimension_is_not_trusted(tmp_path):
    """A writer that stores a too-small <dimension> loses no rows and no columns."""
    book = _workbook(tmp_path / "plain.xlsx", _OFFICES)

    def shrink(data: bytes) -> bytes:
        changed = re.sub(rb'<dimension ref="[A-Z0-9:]+"\s*/>', b'<dimension ref="A1:C3"/>', data)
        assert changed != data
        return changed

    path = _rewrite(book, tmp_path / "book.xlsx", change={_SHEET: shrink})
    gdf = cpgeo.read_layer(path, "communities")
    assert list(gdf["id"]) == ["A", "B", "C", "D", "E"]
    assert list(gdf["population"]) == [1000, 2000, 3000, 4000, 5000]
    assert gdf.geometry.x.tolist()[-1] == pytest.approx(44.3922)


def test_xlsx_values_beyond_the_last_named_column_reported(tmp_path):
    rows = [list(r) for r in _OFFICES]
    rows[5] += [None, "stray note"]  # spreadsheet row 6, column G
    rows.append([None] * 5 + ["alone", "and more"])  # row 7: only stray cells
    path = _workbook(tmp_path / "book.xlsx", rows)
    with pytest.raises(cpgeo.InputError) as caught:
        cpgeo.read_layer(path, "communities")
    message = str(caught.value)
    assert message.startswith("book.xlsx: 2 problems in the communities layer: ")
    assert (
        "row 6, column G: a value beyond the last named column (E, 'population'); "
        "name its column or clear it"
    ) in message
    assert (
        "row 7, column F: a value beyond the last named column (E, 'population') "
        "(and 1 more in this row)"
    ) in message


def test_xlsx_over_max_rows_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "max_rows", 4)
    path = _workbook(tmp_path / "book.xlsx", _OFFICES)
    with pytest.raises(
        cpgeo.InputError,
        match=r"book\.xlsx: .*more than 4 rows \(the limit, cpgeo\.settings\.max_rows\)",
    ):
        cpgeo.read_layer(path, "offices")
    monkeypatch.setattr(settings, "max_rows", 5)
    assert len(cpgeo.read_layer(path, "offices")) == 5


# --- vector files ----------------------------------------------------------------------


def _vector(tmp_path: Path, fmt: str, gdf: gpd.GeoDataFrame) -> Path:
    if fmt in ("gpkg", "geojson"):
        path = tmp_path / f"offices.{fmt}"
        pyogrio.write_dataframe(gdf, path)
        return path
    shp = tmp_path / "shp" / "offices.shp"
    shp.parent.mkdir()
    pyogrio.write_dataframe(gdf, shp)
    if fmt == "shp":
        return shp
    path = tmp_path / "offices.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in shp.parent.iterdir():
            archive.write(part, f"offices/{part.name}")
    return path


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp", "zip"])
def test_vector_feature_count_checked_before_reading(tmp_path, monkeypatch, fmt):
    path = _vector(tmp_path, fmt, _points(4))
    monkeypatch.setattr(settings, "max_rows", 3)

    def refuse(*args, **kwargs):
        raise AssertionError("the features were read")

    monkeypatch.setattr(pyogrio, "read_dataframe", refuse)
    with pytest.raises(
        cpgeo.InputError,
        match=rf"offices\.{fmt}: .*the file has 4 features, more than 3 features "
        r"\(the limit, cpgeo\.settings\.max_rows\)",
    ):
        cpgeo.read_layer(path, "offices")


def test_vector_unknown_count_stops_one_past_the_limit(tmp_path, monkeypatch):
    path = _vector(tmp_path, "gpkg", _points(6))
    monkeypatch.setattr(settings, "max_rows", 3)
    read = pyogrio.read_dataframe
    calls: list[int | None] = []

    def counting(*args, **kwargs):
        calls.append(kwargs.get("max_features"))
        return read(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "read_info", lambda *a, **k: {"features": -1})
    monkeypatch.setattr(pyogrio, "read_dataframe", counting)
    with pytest.raises(cpgeo.InputError, match=r"more than 3 features \(the limit"):
        cpgeo.read_layer(path, "offices")
    assert calls == [4]


# --- the app ---------------------------------------------------------------------------


def test_streamlit_upload_limit_is_the_setting():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == settings.max_upload_mb
    assert isinstance(settings.max_upload_mb, int)


def test_limits_are_sane():
    assert settings.max_rows >= 100_000
    assert settings.max_uncompressed_mb * MIB > settings.max_upload_mb * MIB
    assert 10 < settings.max_compression_ratio < 1030
