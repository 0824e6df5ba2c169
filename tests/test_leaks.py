"""The leak scanner of ``tests/_leaks.py``: clean files pass, every planted leak is found.

The scanner proves that public snapshots hold no site location, so it is tested like
product code: each channel a leak could take (text, scaled integers, projected metres,
GeoPackage geometry and attributes, PNG and PDF metadata, embedded payloads, archives,
raw floats) gets a file with one coordinate planted, and each test fails if the scanner
misses it. Files are built in ``tmp_path``; random bytes are seeded.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import sqlite3
import struct
import time
import zipfile
import zlib
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pyogrio
import pytest
import shapely
from _leaks import Hit, ScanResult, describe, scan
from fpdf import FPDF
from pyproj import Geod, Transformer

mpl.use("Agg")
import matplotlib.pyplot as plt

GEOD = Geod(ellps="WGS84")
#: Baghdad and Mosul (lon, lat), EPSG:4326
SITES = np.array([[44.3661, 33.3152], [43.13, 36.34]])
LON, LAT = SITES[0]
#: Far from both sites: the Western Desert and the marshes
FAR = [(40.1234, 32.9876), (47.25, 30.75), (41.5, 34.25)]


def _scan(*paths: Path, **options) -> ScanResult:
    return scan(list(paths), SITES, **options)


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _hits(result: ScanResult, *, file: str | None = None, where: str = "") -> list[Hit]:
    """Hits of site 0 (within 50 m of it), in ``file`` and at a ``where`` containing text."""
    return [
        h
        for h in result.hits
        if (file is None or h.file == file)
        and where in h.where
        and h.site == 0
        and h.distance_km < 0.05
    ]


def _assert_found(result: ScanResult, *, file: str | None = None, where: str = "") -> None:
    assert _hits(result, file=file, where=where), describe(result)


def _offset(km: float, azimuth: float = 0.0) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(LON, LAT, azimuth, km * 1000)
    return float(lon), float(lat)


# -- clean files -------------------------------------------------------------------


def _png(metadata: dict[str, str] | None = None) -> bytes:
    fig, ax = plt.subplots(figsize=(3, 2), dpi=60)
    ax.plot([40.1, 41.2, 47.3], [31.0, 32.5, 30.7], "o-")
    ax.set_title("Footprint 2025-01-01")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata=metadata or {})
    plt.close(fig)
    return buffer.getvalue()


def _pdf(lines: list[str], *, title: str = "Footprint report", ttf: bool = False) -> bytes:
    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author("cpgeo")
    pdf.add_page()
    if ttf:  # an embedded subset, as the report's: glyph codes, not characters, in streams
        pdf.add_font("dejavu", "", Path(mpl.get_data_path()) / "fonts/ttf/DejaVuSans.ttf")
        pdf.set_font("dejavu", size=11)
    else:
        pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _polygons(centres: list[tuple[float, float]], **columns) -> gpd.GeoDataFrame:
    geoms = [shapely.Point(x, y).buffer(0.3, quad_segs=8) for x, y in centres]
    return gpd.GeoDataFrame(
        {"name": [f"d{k}" for k in range(len(centres))], **columns}, geometry=geoms, crs="EPSG:4326"
    )


def _gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    for name, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", append=path.exists())
    return path


def _clean_snapshot(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    png = _png({"Title": "Footprint", "Description": "offices 7, forums 32, radius 50 km"})
    markers = ",\n".join(f"L.marker([{lat}, {lon}]).addTo(map)" for lon, lat in FAR)
    _write(
        folder,
        "map.html",
        f"""<!doctype html><html><head><style>
        body {{ width: 100%; margin: 0 0 0 0; }} .legend {{ opacity: 0.85; top: 12px; }}
        </style></head><body><div id="map" style="height: 100%"></div>
        <img src="data:image/png;base64,{base64.b64encode(png).decode()}">
        <script>var map = L.map("map").setView([{FAR[0][1]}, {FAR[0][0]}], 6);
        {markers};
        var figures = {{"offices": 7, "forums": 32, "population": 412345,
                        "within": 331234, "share": 0.4455, "date": "2025-01-01"}};
        </script></body></html>""",
    )
    _write(
        folder,
        "figures.csv",
        "\n".join(
            [
                "figure,governorate,value",
                "offices,Baghdad,44",
                "forums,Baghdad,33",
                "population_within_radius,Baghdad,4123456",
                "population_within_radius,Ninewa,3345678",
                "communities_within_radius,Basrah,443",
                "share_within_radius,Basrah,0.3315",
            ]
        )
        + "\n",
    )
    _write(
        folder,
        "summary.md",
        "# Footprint on 2025-01-01\n\n| governorate | offices |\n"
        "|---|---|\n| Baghdad | 44 |\n| Ninewa | 33 |\n\nRadius 50 km; 44.4% covered.\n",
    )
    _write(folder, "map.png", png)
    _write(
        folder,
        "report.pdf",
        _pdf(["Offices: 7", "Forums: 32", "Population 4123456", "Baghdad 44 33", "Share 0.3315"]),
    )
    _gpkg(folder / "layers.gpkg", {"boundaries": _polygons(FAR, offices=[3, 4, 0])})
    return folder


def test_clean_snapshot_has_no_hits(tmp_path):
    result = _scan(_clean_snapshot(tmp_path / "snap"))
    assert result.hits == (), describe(result)
    assert result.files == 6
    on_disk = sum(p.stat().st_size for p in (tmp_path / "snap").iterdir())
    # decoded payloads (pixels, streams, cells, the data URI) are read on top of the files
    assert result.bytes_scanned > on_disk


def test_clean_snapshot_zipped_has_no_hits(tmp_path):
    folder = _clean_snapshot(tmp_path / "snap")
    archive = tmp_path / "snap.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, arcname=f"snapshot/{path.name}")
    result = _scan(archive)
    assert result.hits == (), describe(result)
    assert result.files == 7


def test_random_bytes_have_no_hits(tmp_path):
    rng = np.random.default_rng(7)
    result = _scan(_write(tmp_path, "noise.bin", rng.bytes(200_000)))
    assert result.hits == (), describe(result)
    assert result.bytes_scanned >= 200_000


# -- planted leaks: text -------------------------------------------------------------


def test_leaflet_marker_lat_lon(tmp_path):
    _write(tmp_path, "map.html", f"<script>L.marker([{LAT}, {LON}]).addTo(map);</script>")
    result = _scan(tmp_path)
    _assert_found(result, file="map.html", where="text offset")
    hit = _hits(result)[0]
    assert (hit.lon, hit.lat) == (LON, LAT)
    assert hit.distance_km == pytest.approx(0.0, abs=1e-6)


def test_lon_lat_order(tmp_path):
    _write(tmp_path, "map.js", f"var p = {{coordinates: [{LON}, {LAT}]}};")
    _assert_found(_scan(tmp_path), file="map.js", where="lon, lat")


def test_numbers_inside_strings_and_between_other_numbers(tmp_path):
    _write(tmp_path, "a.js", f'var s = "id=12;y={LAT};z=3;x={LON}";')
    _assert_found(_scan(tmp_path), file="a.js")


def test_rounded_to_two_decimals(tmp_path):
    lon, lat = round(LON, 2), round(LAT, 2)
    _write(tmp_path, "summary.md", f"Office near {lat}, {lon}.\n")
    result = _scan(tmp_path)
    hits = [h for h in result.hits if h.file == "summary.md"]
    assert hits, describe(result)
    assert hits[0].distance_km < 5
    _, _, metres = GEOD.inv(lon, lat, LON, LAT)
    assert hits[0].distance_km == pytest.approx(metres / 1000)


def test_geojson_point(tmp_path):
    feature = {
        "type": "Feature",
        "properties": {"name": "office"},
        "geometry": {"type": "Point", "coordinates": [LON, LAT]},
    }
    _write(
        tmp_path,
        "offices.geojson",
        json.dumps({"type": "FeatureCollection", "features": [feature]}),
    )
    _assert_found(_scan(tmp_path), file="offices.geojson")


def test_csv_lon_lat_columns(tmp_path):
    _write(
        tmp_path,
        "figures.csv",
        f"name,population,lon,lat\nA,1200,{FAR[0][0]},{FAR[0][1]}\nB,300,{LON},{LAT}\n",
    )
    _assert_found(_scan(tmp_path), file="figures.csv")


def test_exponent_notation(tmp_path):
    _write(tmp_path, "a.json", '{"x": 4.43661e1, "y": "3331.52E-2"}')
    _write(tmp_path, "b.json", "[443661e-4, 0.333152E+2]")
    result = _scan(tmp_path)
    _assert_found(result, file="a.json")
    _assert_found(result, file="b.json")


@pytest.mark.parametrize("scale", [1e-4, 1e-5, 1e-6, 1e-7])
def test_scaled_integers(tmp_path, scale):
    _write(tmp_path, "a.json", f'{{"e": {round(LON / scale)}, "n": {round(LAT / scale)}}}')
    result = _scan(tmp_path)
    _assert_found(result, file="a.json", where=f"x {scale:g}")


def test_web_mercator_metres(tmp_path):
    x, y = Transformer.from_crs(4326, 3857, always_xy=True).transform(LON, LAT)
    _write(tmp_path, "tiles.js", f"var centre = {{x: {x:.2f}, y: {y:.2f}}};")
    _assert_found(_scan(tmp_path), file="tiles.js", where="EPSG:3857")


@pytest.mark.parametrize("epsg", [32638, 32637])
def test_utm_metres(tmp_path, epsg):
    e, n = Transformer.from_crs(4326, epsg, always_xy=True).transform(LON, LAT)
    # whole metres, northing first: still found
    _write(tmp_path, "survey.csv", f"id,northing,easting\n1,{round(n)},{round(e)}\n")
    result = _scan(tmp_path)
    hits = [h for h in result.hits if f"EPSG:{epsg}" in h.where]
    assert hits, describe(result)
    assert hits[0].distance_km < 0.01


def test_digits_inside_an_identifier_are_not_metres(tmp_path):
    """A random hex id (folium names every element so) may hold digit runs that read as
    UTM metres; inside a word they are not numbers. The same digits as numbers are."""
    e, n = Transformer.from_crs(4326, 32638, always_xy=True).transform(LON, LAT)
    _write(tmp_path, "ids.js", f"var geo_json_a{round(e)}f{round(n)}c = L.geoJson();")
    assert not _scan(tmp_path).hits
    _write(tmp_path, "ids.js", f"var x = {round(e)}, y = {round(n)};")
    assert [h for h in _scan(tmp_path).hits if "EPSG:32638" in h.where]


def test_degrees_minutes_seconds(tmp_path):
    def dms(value: float) -> str:
        d = int(value)
        m = int((value - d) * 60)
        s = (value - d - m / 60) * 3600
        return f"{d}\u00b0{m}'{s:.1f}\""

    _write(tmp_path, "note.txt", f"Office at {dms(LAT)}N {dms(LON)}E, open daily.")
    _assert_found(_scan(tmp_path), file="note.txt", where="dms")


def test_url_encoded_and_html_entities(tmp_path):
    _write(
        tmp_path,
        "a.html",
        f'<a href="/map?c={LAT}%20{LON}">x</a>'.replace(f"{LAT}%20", f"{LAT}%20"),
    )
    _write(tmp_path, "b.html", "<p>" + "".join(f"&#{ord(c)};" for c in f"{LAT} {LON}") + "</p>")
    _write(tmp_path, "c.json", "".join(f"\\u{ord(c):04x}" for c in f"[{LAT},{LON}]"))
    result = _scan(tmp_path)
    _assert_found(result, file="b.html", where="html-unescaped")
    _assert_found(result, file="c.json", where="unicode-unescaped")
    _write(
        tmp_path,
        "d.html",
        f"<a href='?q={int(LAT)}%2E{str(LAT).split('.')[1]}%2C"
        f"{int(LON)}%2E{str(LON).split('.')[1]}'>x</a>",
    )
    _assert_found(_scan(tmp_path), file="d.html", where="url-decoded")


def test_utf16_text(tmp_path):
    _write(tmp_path, "notes.txt", f"Office: {LAT}, {LON}\n".encode("utf-16"))
    _assert_found(_scan(tmp_path), file="notes.txt", where="utf-16")


# -- planted leaks: embedded payloads ------------------------------------------------


def test_data_uri_with_a_leaking_png(tmp_path):
    png = _png({"Description": f"made at {LAT} {LON}"})
    page = f'<html><img src="data:image/png;base64,{base64.b64encode(png).decode()}"></html>'
    _write(tmp_path, "map.html", page)
    _assert_found(_scan(tmp_path), file="map.html!data:image/png#1", where="png tEXt")


def test_data_uri_of_text(tmp_path):
    csv = f"lon,lat\n{LON},{LAT}\n".encode()
    _write(
        tmp_path,
        "map.html",
        f'<a href="data:text/csv;base64,{base64.b64encode(csv).decode()}'
        '" download="x.csv">csv</a>'
        f'<a href="data:text/plain,{LAT}%2C{LON}">t</a>',
    )
    result = _scan(tmp_path)
    _assert_found(result, file="map.html!data:text/csv#1")
    _assert_found(result, file="map.html!data:text/plain#2")


def test_bare_base64_string(tmp_path):
    payload = json.dumps({"office": {"lat": LAT, "lng": LON}, "note": "x" * 40}).encode()
    _write(tmp_path, "app.js", f'var blob = atob("{base64.b64encode(payload).decode()}");')
    result = _scan(tmp_path)
    assert any(h.file.startswith("app.js!base64@") for h in _hits(result)), describe(result)


def test_hex_and_escaped_float_bytes(tmp_path):
    raw = struct.pack("<dd", LON, LAT)
    _write(tmp_path, "a.js", f'var h = "{raw.hex()}";')
    _write(tmp_path, "b.py", "b = b'" + "".join(f"\\x{c:02x}" for c in raw) + "'\n")
    result = _scan(tmp_path)
    assert any(h.file.startswith("a.js!hex@") for h in _hits(result)), describe(result)
    assert any(h.file.startswith("b.py!bytes@") for h in _hits(result)), describe(result)


def test_zip_member(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("deep/points.csv", f"lon,lat\n{LON},{LAT}\n")
    archive = tmp_path / "snap.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("snapshot/summary.md", "# nothing here\n")
        zf.writestr("snapshot/inner.zip", inner.getvalue())
    result = _scan(archive)
    _assert_found(result, file="snap.zip!snapshot/inner.zip!deep/points.csv")
    assert result.files == 4  # the archive, two members, the inner member


def test_gzip_and_zlib_payloads(tmp_path):
    text = f"[{LON}, {LAT}]".encode()
    _write(tmp_path, "a.json.gz", gzip.compress(text))
    _write(tmp_path, "b.bin", zlib.compress(text))
    result = _scan(tmp_path)
    _assert_found(result, file="a.json.gz!gzip")
    _assert_found(result, file="b.bin!zlib")


# -- planted leaks: GeoPackage -------------------------------------------------------


@pytest.fixture
def point_gpkg(tmp_path) -> Path:
    offices = gpd.GeoDataFrame(
        {"name": ["HQ"]}, geometry=[shapely.Point(LON, LAT)], crs="EPSG:4326"
    )
    return _gpkg(tmp_path / "layers.gpkg", {"boundaries": _polygons(FAR[:2]), "offices": offices})


def test_gpkg_point_layer_geometry_blob(point_gpkg):
    _assert_found(_scan(point_gpkg), file="layers.gpkg", where="gpkg table offices geom row 1")


def test_gpkg_point_layer_contents_bbox(point_gpkg):
    _assert_found(_scan(point_gpkg), file="layers.gpkg", where="gpkg_contents offices bbox")


def test_gpkg_point_layer_read_by_ogr(point_gpkg):
    _assert_found(_scan(point_gpkg), file="layers.gpkg", where="ogr layer offices feature 0")


def test_gpkg_deleted_feature_left_in_the_file(tmp_path):
    # a deleted row stays in the page's free space: only the raw float scan sees it
    offices = gpd.GeoDataFrame(
        {"name": ["far", "HQ"]},
        geometry=[shapely.Point(*FAR[0]), shapely.Point(LON, LAT)],
        crs="EPSG:4326",
    )
    path = _gpkg(tmp_path / "layers.gpkg", {"offices": offices})
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA secure_delete = OFF")
        db.execute("DELETE FROM offices WHERE name = 'HQ'")
        db.commit()
    result = _scan(path)
    _assert_found(result, file="layers.gpkg", where="float64-le")
    assert not _hits(result, where="gpkg table offices geom"), describe(result)


def test_gpkg_spatial_index_float32(point_gpkg):
    # the R*Tree keeps each feature's box as float32 (rounded outwards): within a metre
    result = _scan(point_gpkg)
    hits = [h for h in result.hits if "rtree_offices_geom_node data row 1 box" in h.where]
    assert hits, describe(result)
    assert min(h.distance_km for h in hits) < 0.01


def test_gpkg_multipolygon_z_vertex(tmp_path):
    near = shapely.MultiPolygon(
        [
            shapely.Polygon([(40.0, 31.0, 1), (40.5, 31.0, 1), (40.5, 31.5, 1)]),
            shapely.Polygon([(LON, LAT, 5), (LON + 0.2, LAT + 1, 5), (LON + 0.3, LAT + 1.2, 5)]),
        ]
    )
    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[near], crs="EPSG:4326")
    result = _scan(_gpkg(tmp_path / "z.gpkg", {"zones": frame}))
    _assert_found(result, where="gpkg table zones geom row 1 vertex")


def test_gpkg_float_in_attribute_columns(tmp_path):
    frame = _polygons(FAR[:2], hidden_y=[1.5, LAT], hidden_x=[2.5, LON])
    result = _scan(_gpkg(tmp_path / "layers.gpkg", {"boundaries": frame}))
    _assert_found(result, where="gpkg table boundaries row 2")


def test_gpkg_text_attribute(tmp_path):
    frame = _polygons(FAR[:1], note=[f"office at {LAT}N {LON}E"])
    _assert_found(_scan(_gpkg(tmp_path / "layers.gpkg", {"b": frame})), where="gpkg table b")


# -- planted leaks: PNG ----------------------------------------------------------------


def test_png_text_metadata(tmp_path):
    _write(tmp_path, "map.png", _png({"Title": f"Baghdad office {LAT},{LON}"}))
    _assert_found(_scan(tmp_path), file="map.png", where="png tEXt Title")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _with_chunk(png: bytes, chunk: bytes) -> bytes:
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def test_png_compressed_text_chunks(tmp_path):
    text = f"[{LON}, {LAT}]".encode()
    _write(
        tmp_path,
        "z.png",
        _with_chunk(_png(), _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(text))),
    )
    _write(
        tmp_path,
        "i.png",
        _with_chunk(
            _png(), _chunk(b"iTXt", b"Comment\x00\x01\x00en\x00\x00" + zlib.compress(text))
        ),
    )
    result = _scan(tmp_path)
    _assert_found(result, file="z.png", where="png zTXt Comment")
    _assert_found(result, file="i.png", where="png iTXt Comment")


def test_png_pixels(tmp_path):
    # raw float bytes hidden in the pixel data, which IDAT compresses
    rows = np.zeros((4, 1 + 16 * 3), dtype=np.uint8)
    rows[2, 1:17] = np.frombuffer(struct.pack("<dd", LON, LAT), dtype=np.uint8)
    header = struct.pack(">IIBBBBB", 16, 4, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes()))
        + _chunk(b"IEND", b"")
    )
    _write(tmp_path, "px.png", png)
    _assert_found(_scan(tmp_path), file="px.png!png pixels", where="float64-le")


def test_exif_gps(tmp_path):
    def rational(value: float) -> bytes:
        d = int(value)
        m = int((value - d) * 60)
        s = round((value - d - m / 60) * 3600 * 1000)
        return struct.pack("<6I", d, 1, m, 1, s, 1000)

    # TIFF: IFD0 with the GPS pointer, then the GPS IFD with refs and rationals
    gps_at = 8 + 2 + 12 + 4
    data_at = gps_at + 2 + 4 * 12 + 4
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x8825, 4, 1, gps_at) + b"\0" * 4
    gps = (
        struct.pack("<H", 4)
        + b"".join(
            [
                struct.pack("<HHI4s", 1, 2, 2, b"N\0\0\0"),
                struct.pack("<HHII", 2, 5, 3, data_at),
                struct.pack("<HHI4s", 3, 2, 2, b"E\0\0\0"),
                struct.pack("<HHII", 4, 5, 3, data_at + 24),
            ]
        )
        + b"\0" * 4
    )
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd0 + gps + rational(LAT) + rational(LON)
    _write(tmp_path, "photo.png", _with_chunk(_png(), _chunk(b"eXIf", tiff)))
    _assert_found(_scan(tmp_path), file="photo.png", where="png eXIf GPS")


# -- planted leaks: PDF -------------------------------------------------------------------


@pytest.mark.parametrize("ttf", [False, True])
def test_pdf_page_text(tmp_path, ttf):
    _write(tmp_path, "report.pdf", _pdf(["Offices: 7", f"HQ at {LAT}, {LON}"], ttf=ttf))
    result = _scan(tmp_path)
    _assert_found(result, file="report.pdf", where="pdf page 1 text")


def test_pdf_metadata_only(tmp_path):
    _write(tmp_path, "report.pdf", _pdf(["Offices: 7"], title=f"Report {LAT} {LON}"))
    result = _scan(tmp_path)
    _assert_found(result, file="report.pdf", where="pdf info /Title")
    assert not _hits(result, where="pdf page"), describe(result)


def test_pdf_stream_in_unreferenced_object(tmp_path):
    # an object no page and no xref entry points to, in a Flate stream
    pdf = _pdf(["Offices: 7"])
    body = zlib.compress(f"BT ({LON} {LAT}) Tj ET".encode())
    orphan = (
        b"999 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body)
        + body
        + b"\nendstream\nendobj\n"
    )
    end = pdf.rindex(b"xref")
    _write(tmp_path, "report.pdf", pdf[:end] + orphan + pdf[end:])
    _assert_found(_scan(tmp_path), file=None, where="text offset")


def test_pdf_page_positions_are_no_coordinates(tmp_path):
    # 15 mm from the left and 13 mm from the bottom of the page, in points
    site = np.array([[42.52, 36.85]])
    drawing = b"BT /F1 12 Tf 42.52 36.85 Td (Offices: 7) Tj ET 0.5 w 42.52 36.85 m 90 36.85 l S"
    pdf = _pdf(["Offices: 7"])
    end = pdf.rindex(b"xref")

    def with_stream(content: bytes) -> bytes:
        body = zlib.compress(content)
        head = b"998 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body)
        return pdf[:end] + head + body + b"\nendstream\nendobj\n" + pdf[end:]

    path = _write(tmp_path, "report.pdf", with_stream(drawing))
    result = scan([path], site)
    assert result.hits == (), describe(result)
    _write(tmp_path, "report.pdf", with_stream(drawing + b" BT (HQ 36.85 42.52) Tj ET"))
    assert scan([path], site).hits


# -- planted leaks: raw binary -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [("<d", "float64-le"), (">d", "float64-be"), ("<f", "float32-le"), (">f", "float32-be")],
)
def test_raw_floats_in_random_bytes(tmp_path, fmt, kind):
    rng = np.random.default_rng(3)
    gap = rng.bytes(16)  # lon and lat apart, at an odd offset
    data = rng.bytes(40_001) + struct.pack(fmt, LON) + gap + struct.pack(fmt, LAT) + rng.bytes(999)
    _write(tmp_path, "blob.bin", data)
    result = _scan(tmp_path)
    hits = [h for h in result.hits if h.where.startswith(kind) and h.distance_km < 0.01]
    assert hits, describe(result)
    assert hits[0].where.startswith(f"{kind} offset 40001")


def test_raw_floats_lat_before_lon(tmp_path):
    rng = np.random.default_rng(4)
    data = rng.bytes(1003) + struct.pack(">d", LAT) + rng.bytes(40) + struct.pack(">d", LON)
    _write(tmp_path, "blob.bin", data + rng.bytes(100))
    _assert_found(_scan(tmp_path), where="float64-be offset 1051")


def test_raw_floats_too_far_apart_are_no_pair(tmp_path):
    rng = np.random.default_rng(5)
    data = struct.pack("<d", LON) + rng.bytes(200) + struct.pack("<d", LAT)
    _write(tmp_path, "blob.bin", rng.bytes(10) + data + rng.bytes(10))
    assert not _hits(_scan(tmp_path))
    _write(tmp_path, "blob.bin", rng.bytes(10) + data[:8] + data[-8:] + rng.bytes(10))
    _assert_found(_scan(tmp_path), where="float64-le offset 10 (lat at 18)")


# -- what is no hit ---------------------------------------------------------------------------


@pytest.mark.parametrize("azimuth", [0.0, 90.0, 225.0])
def test_six_km_away_is_no_hit_four_km_is(tmp_path, azimuth):
    six = _offset(6.0, azimuth)
    four = _offset(4.0, azimuth)
    _write(tmp_path, "six.js", f"L.marker([{six[1]:.6f}, {six[0]:.6f}])")
    _write(tmp_path, "six.bin", b"\x01" * 9 + struct.pack("<dd", *six) + b"\x02" * 9)
    result = _scan(tmp_path)
    assert result.hits == (), describe(result)
    _write(tmp_path, "four.js", f"L.marker([{four[1]:.6f}, {four[0]:.6f}])")
    result = _scan(tmp_path)
    assert [h.file for h in result.hits] == ["four.js"], describe(result)
    assert result.hits[0].distance_km == pytest.approx(4.0, abs=1e-3)


def test_radius_is_an_option(tmp_path):
    six = _offset(6.0)
    _write(tmp_path, "six.js", f"[{six[0]:.6f}, {six[1]:.6f}]")
    assert len(_scan(tmp_path, radius_km=7.0).hits) == 1


def test_nearest_site_is_reported(tmp_path):
    lon, lat = 43.131, 36.339
    _write(tmp_path, "a.csv", f"lon,lat\n{lon},{lat}\n")
    result = _scan(tmp_path)
    assert len(result.hits) == 1, describe(result)
    hit = result.hits[0]
    _, _, metres = GEOD.inv(lon, lat, *SITES[1])
    assert hit.site == 1
    assert hit.distance_km == pytest.approx(metres / 1000)


def test_allowed_coordinates_are_no_hit(tmp_path):
    # a public boundary passing near the site: its vertices, and the numbers that pair
    # up across two of its vertices, are no hit; a site among them still is
    ring = [(LON + 0.01 * k, LAT - 0.005 * k) for k in range(1, 8)]
    coords = ", ".join(f"[{x:.4f}, {y:.4f}]" for x, y in ring)
    _write(tmp_path, "bounds.geojson", f'{{"type": "LineString", "coordinates": [{coords}]}}')
    line = gpd.GeoDataFrame(geometry=[shapely.LineString(ring)], crs="EPSG:4326")
    _gpkg(tmp_path / "layers.gpkg", {"boundaries": line})
    allowed = np.round(np.array(ring), 4)
    result = _scan(tmp_path, allowed=allowed)
    assert result.hits == (), describe(result)
    assert _scan(tmp_path).hits  # the same files without ``allowed``: hits
    _write(tmp_path, "more.geojson", f'{{"coordinates": [{coords}, [{LON}, {LAT}]]}}')
    result = _scan(tmp_path, allowed=allowed)
    assert [h.file for h in result.hits] == ["more.geojson"], describe(result)


def test_allowed_tolerance(tmp_path):
    _write(tmp_path, "a.js", f"[{LON + 5e-5:.6f}, {LAT - 5e-5:.6f}]")
    allowed = SITES[:1]
    assert _scan(tmp_path, allowed=allowed).hits == ()
    assert _scan(tmp_path, allowed=allowed, allowed_tolerance_deg=1e-5).hits


def test_public_polygons_near_a_site_with_allowed_vertices(tmp_path):
    # hundreds of small public polygons around the site, as a GeoPackage with its
    # R*Tree (inner nodes mix the boxes of several polygons), envelopes and extent
    rng = np.random.default_rng(8)
    centres = np.column_stack(
        [LON + rng.uniform(-0.015, 0.015, 400), LAT + rng.uniform(-0.015, 0.015, 400)]
    )
    polygons = [
        shapely.Polygon(c + rng.uniform(-0.004, 0.004, (5, 2))).convex_hull for c in centres
    ]
    frame = gpd.GeoDataFrame(
        {"name": [f"p{k}" for k in range(400)]}, geometry=polygons, crs="EPSG:4326"
    )
    # public points that also carry their coordinates as attributes (stored as doubles)
    villages = gpd.GeoDataFrame(
        {"lng": centres[:, 0], "lat": centres[:, 1]},
        geometry=gpd.points_from_xy(*centres.T),
        crs="EPSG:4326",
    )
    _gpkg(tmp_path / "layers.gpkg", {"areas": frame, "villages": villages})
    _write(tmp_path, "areas.geojson", frame.to_json())
    allowed = np.concatenate([shapely.get_coordinates(frame.geometry.array), centres])
    _write(tmp_path, "vertices.npy", allowed.astype("<f8").tobytes())
    result = _scan(tmp_path, allowed=allowed)
    assert result.hits == (), describe(result)
    assert len(_scan(tmp_path).hits) > 1000  # the same files, nothing allowed


def test_bytes_of_allowed_doubles_are_not_read_again(tmp_path):
    # allowed doubles at the site whose low halves read as float32 are 2 km from it: the
    # doubles explain those bytes
    def double_over(value: float, low_half: float) -> float:
        high = struct.unpack("<Q", struct.pack("<d", value))[0] >> 32
        low = struct.unpack("<I", struct.pack("<f", low_half))[0]
        return struct.unpack("<d", struct.pack("<Q", high << 32 | low))[0]

    lon, lat = double_over(LON, LON + 0.02), double_over(LAT, LAT + 0.01)
    rng = np.random.default_rng(9)
    path = _write(tmp_path, "a.bin", rng.bytes(99) + struct.pack("<dd", lon, lat) + rng.bytes(99))
    kinds = {h.where.split()[0] for h in _scan(path).hits}
    assert kinds == {"float64-le", "float32-le"}
    result = _scan(path, allowed=np.array([[lon, lat]]))
    assert result.hits == (), describe(result)


def test_shares_and_one_decimal_numbers_are_no_coordinates(tmp_path):
    # 44.4 % and 33.3 % read as degrees would be 3.5 km from the site
    _write(
        tmp_path,
        "summary.md",
        "Covered: 44.37% of people, 33.32% of communities.\n"
        "Mean distance 44.4 km, median 33.3 km.\n",
    )
    assert _scan(tmp_path).hits == ()


def test_pixels_of_one_colour_are_no_coordinates(tmp_path):
    # grey (66, 66, 66) pixels read as float32 are 48.5645; black ones before them 32.0
    site = np.array([[48.5645, 32.0]])
    rows = np.zeros((64, 1 + 64 * 3), dtype=np.uint8)
    rows[:, 1 + 3 * 8 :] = 0x42
    rows[::3, 1 + 3 * 40 : 1 + 3 * 44] = 0
    header = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes()))
        + _chunk(b"IEND", b"")
    )
    path = _write(tmp_path, "grey.png", png)
    result = scan([path], site)
    assert result.hits == (), describe(result)
    assert result.bytes_scanned > rows.size


@pytest.mark.parametrize(
    ("sites", "match"),
    [
        (np.array([44.0, 33.0]), r"sites: expected an \(n, 2\) array"),
        (np.array([[44.0, np.nan]]), r"sites: expected an \(n, 2\) array"),
    ],
)
def test_bad_sites_raise(tmp_path, sites, match):
    with pytest.raises(ValueError, match=match):
        scan([tmp_path], sites)


def test_bad_radius_raises(tmp_path):
    with pytest.raises(ValueError, match="radius_km: expected a positive"):
        scan([tmp_path], SITES, radius_km=0)


# -- speed ----------------------------------------------------------------------------------


def test_five_megabytes_of_random_bytes(tmp_path):
    rng = np.random.default_rng(11)
    path = _write(tmp_path, "big.bin", rng.bytes(5 * 2**20))
    start = time.perf_counter()
    result = _scan(path)
    elapsed = time.perf_counter() - start
    print(f"scanned {result.bytes_scanned} bytes in {elapsed:.2f} s, {len(result.hits)} hits")
    assert result.bytes_scanned >= 5 * 2**20
