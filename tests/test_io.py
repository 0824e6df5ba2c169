"""Reading, validating and writing layers (cpgeo.io, cpgeo.regions, cpgeo._validate)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import CRS, Geod, Transformer

import cpgeo
from cpgeo import io as cio
from cpgeo import settings
from cpgeo._paths import data_dir
from cpgeo.regions import (
    GOVERNORATES,
    assign_governorates,
    canonical_governorate,
    find_governorate,
    load_boundaries,
)

GEOD = Geod(ellps="WGS84")

# Town centres, hand-checked against published coordinates and the governorate each
# town is the seat of, or lies in (lat, lon).
TOWNS = {
    "Tikrit": (34.6158, 43.6786, "Salah al-Din"),
    "Samarra": (34.1983, 43.8742, "Salah al-Din"),
    "Ramadi": (33.4258, 43.2992, "Anbar"),
    "Fallujah": (33.3500, 43.7833, "Anbar"),
    "Baqubah": (33.7466, 44.6437, "Diyala"),
    "Mosul": (36.3350, 43.1189, "Ninewa"),
    "Qayyarah": (35.8000, 43.2900, "Ninewa"),
    "Hamdaniya": (36.2700, 43.3800, "Ninewa"),
    "Kirkuk": (35.4681, 44.3922, "Kirkuk"),
    "Erbil": (36.1900, 44.0089, "Erbil"),
    "Basra": (30.5085, 47.7804, "Basra"),
    "Najaf": (32.0259, 44.3462, "Najaf"),
}


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def offices_frame() -> pd.DataFrame:
    """A small, valid offices table in plain columns."""
    rows = []
    for n, (town, (lat, lon, _)) in enumerate(TOWNS.items(), start=1):
        rows.append(
            {
                "id": f"OFF-{n:02d}",
                "name": f"{town} office",
                "latitude": lat + 1e-7 * n,  # digits beyond what a short repr would keep
                "longitude": lon - 3e-8 * n,
                "established": f"20{10 + n:02d}-0{1 + n % 9}-15",
                "donor": ["Germany", "Canada", "Netherlands", "United States"][n % 4],
                "staffed": n % 2 == 0,
            }
        )
    return pd.DataFrame(rows)


def point_outside(km: float) -> tuple[float, float]:
    """(lon, lat) ``km`` west of Iraq's westernmost vertex (Anbar, on the Jordan border)."""
    iraq = shapely.union_all(load_boundaries().geometry.to_numpy())
    coords = shapely.get_coordinates(iraq)
    lon0, lat0 = coords[np.argmin(coords[:, 0])]
    lon, lat, _ = GEOD.fwd(lon0, lat0, 270.0, km * 1000.0)
    return float(lon), float(lat)


def reference_km_outside(lon: float, lat: float, polygon: shapely.Geometry) -> float:
    """Distance to ``polygon`` in an azimuthal equidistant projection centred on the point.

    Distances from the centre of that projection are geodesic distances; the polygon is
    densified first so its edges follow the lines drawn in longitude / latitude.
    """
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    to_aeqd = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
    dense = shapely.segmentize(polygon, 0.002)
    projected = shapely.transform(dense, lambda xy: np.column_stack(to_aeqd.transform(*xy.T)))
    return float(shapely.distance(shapely.Point(0, 0), projected)) / 1000.0


# --- regions -------------------------------------------------------------------------


def test_load_boundaries_is_cached_copy_in_4326():
    first = load_boundaries()
    first.loc[0, "governorate"] = "changed"
    second = load_boundaries()
    assert second.loc[0, "governorate"] != "changed"
    assert second.crs.equals("EPSG:4326")
    assert len(second) == 18


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("Salahuddin", "Salah al-Din"),
        ("Salah ad-Din", "Salah al-Din"),
        ("Sala ad-Din", "Salah al-Din"),
        ("SALAH AL DIN governorate", "Salah al-Din"),
        ("صلاح الدين", "Salah al-Din"),
        ("Ninawa", "Ninewa"),
        ("Nineveh", "Ninewa"),
        ("Al-Anbar", "Anbar"),
        ("Anbar", "Anbar"),
        ("al anbar", "Anbar"),
        ("At-Ta'mim", "Kirkuk"),
        ("Kirkuk", "Kirkuk"),
        ("Diyālá", "Diyala"),
        ("Al-Basrah", "Basra"),
        ("Arbil", "Erbil"),
        ("Qadisiyyah", "Al-Qadisiyah"),
    ],
)
def test_canonical_governorate(spelling, canonical):
    assert canonical_governorate(spelling) == canonical


def test_canonical_names_match_the_boundaries_file():
    names = set(load_boundaries()["governorate"])
    assert names == set(GOVERNORATES) - {"Halabja"}
    # The source's own names, as the file keeps them, all map back.
    for source_name, governorate in load_boundaries()[["source_name", "governorate"]].to_numpy():
        assert find_governorate(source_name) == governorate


def test_unknown_governorate_raises():
    with pytest.raises(cpgeo.InputError, match="unknown governorate 'Atlantis'"):
        canonical_governorate("Atlantis")
    assert find_governorate("Atlantis") is None
    assert find_governorate(None) is None


def test_assign_governorates_hand_checked_towns():
    lat, lon, expected = zip(*TOWNS.values(), strict=True)
    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326", index=list(TOWNS))
    names, km = assign_governorates(points)
    assert names.to_dict() == dict(zip(TOWNS, expected, strict=True))
    assert (km == 0.0).all()


def test_assign_governorates_snap_and_distance_match_geodesic_reference():
    boundaries = load_boundaries()
    anbar = boundaries.loc[boundaries["governorate"] == "Anbar", "geometry"].iloc[0]
    pts = [point_outside(km) for km in (2.0, 10.0, 100.0)]
    series = gpd.GeoSeries(gpd.points_from_xy(*zip(*pts, strict=True)), crs="EPSG:4326")
    assert not series.intersects(shapely.union_all(boundaries.geometry.to_numpy())).any()
    names, km = assign_governorates(series, boundaries)
    references = [reference_km_outside(lon, lat, anbar) for lon, lat in pts]
    np.testing.assert_allclose(km.to_numpy(), references, atol=0.05)
    assert references[0] < settings.governorate_snap_km < references[1]
    assert names[0] == "Anbar"
    assert pd.isna(names[1]) and pd.isna(names[2])


def test_assign_governorates_needs_a_crs():
    points = gpd.GeoSeries(gpd.points_from_xy([44.0], [33.0]))
    with pytest.raises(cpgeo.InputError, match="points have no CRS"):
        assign_governorates(points)


# --- the embedded data ---------------------------------------------------------------


def test_embedded_communities_load_keeping_their_governorates():
    path = data_dir() / "communities" / "iraq_geonames_places.csv"
    raw = pd.read_csv(path)
    gdf = cpgeo.read_layer(path, "communities")
    assert len(gdf) == len(raw) == 162  # data/communities/README.md: 169 records, 7 dropped
    assert list(gdf["id"]) == list(raw["id"])
    assert list(gdf["governorate"]) == list(raw["governorate"])
    # Unknown populations (empty cells) stay <NA>.
    pd.testing.assert_series_equal(
        gdf["population"], raw["population"].astype("Int64"), check_names=False
    )
    np.testing.assert_array_equal(gdf.geometry.x, raw["longitude"])
    np.testing.assert_array_equal(gdf.geometry.y, raw["latitude"])
    assert gdf.crs.equals("EPSG:4326")
    assert isinstance(gdf.index, pd.RangeIndex)


def test_embedded_boundaries_read_as_boundaries_layer():
    path = data_dir() / "boundaries" / "iraq_governorates.geojson"
    gdf = cpgeo.read_layer(path, "boundaries")
    assert list(gdf["governorate"]) == list(load_boundaries()["governorate"])
    assert list(gdf["id"]) == list(load_boundaries()["id"])


# --- reading: formats and schema -----------------------------------------------------


def test_csv_schema_defaults_and_fill(tmp_path):
    path = write_csv(
        tmp_path / "towns.csv",
        "Lat;Lng;Population;place\n34,6158;43,6786;160000;Tikrit\n33.4258;43.2992;;Ramadi\n",
    )
    gdf = cpgeo.read_layer(path, "communities")
    assert list(gdf["id"]) == ["communities-1", "communities-2"]
    assert list(gdf["name"]) == ["communities-1", "communities-2"]
    assert list(gdf["governorate"]) == ["Salah al-Din", "Anbar"]
    assert gdf["population"].tolist() == [160000, pd.NA]  # unknown, not 0
    assert str(gdf["population"].dtype) == "Int64"
    assert list(gdf["place"]) == ["Tikrit", "Ramadi"]
    assert gdf.geometry.x[0] == pytest.approx(43.6786, abs=1e-12)
    assert "Lat" not in gdf.columns


def test_user_governorate_is_canonicalised_and_blanks_filled(tmp_path):
    path = write_csv(
        tmp_path / "offices.csv",
        "ID,lat,lon,Governorate\nA,34.6158,43.6786,Salahuddin\nB,36.335,43.1189,\n",
    )
    gdf = cpgeo.read_layer(path, "offices")
    assert list(gdf["id"]) == ["A", "B"]
    assert list(gdf["governorate"]) == ["Salah al-Din", "Ninewa"]


def test_wkt_geometry_column(tmp_path):
    path = write_csv(
        tmp_path / "stations.csv",
        'code,geometry\nS1,"POINT (43.2992 33.4258)"\nS2,"POINT Z (44.6437 33.7466 50)"\n',
    )
    gdf = cpgeo.read_layer(path, "stations")
    assert list(gdf["governorate"]) == ["Anbar", "Diyala"]
    assert not gdf.has_z.any()


def test_cpfs_office_ids_and_dates(tmp_path):
    path = write_csv(
        tmp_path / "cpfs.csv",
        "id,latitude,longitude,office_id,established,donor\n"
        "F1,34.6158,43.6786,OFF-1,2019-05-01,Germany\n"
        "F2,33.4258,43.2992,,01/06/2020,\n"
        "F3,33.7466,44.6437,7,2018,Canada\n",
    )
    gdf = cpgeo.read_layer(path, "cpfs")
    assert list(gdf["office_id"].fillna("<none>")) == ["OFF-1", "<none>", "7"]
    assert list(gdf["established"]) == [
        pd.Timestamp("2019-05-01"),
        pd.Timestamp("2020-06-01"),
        pd.Timestamp("2018-01-01"),
    ]
    assert gdf["donor"].isna().tolist() == [False, True, False]


def test_cpfs_without_office_column_have_empty_office_ids(tmp_path):
    path = write_csv(tmp_path / "cpfs.csv", "latitude,longitude\n34.6158,43.6786\n")
    gdf = cpgeo.read_layer(path, "cpfs")
    assert gdf["office_id"].isna().all()


def test_point_just_outside_snaps_and_10_km_outside_is_kept_without_governorate(tmp_path):
    (lon2, lat2), (lon10, lat10) = point_outside(2.0), point_outside(10.0)
    path = write_csv(
        tmp_path / "edge.csv",
        f"id,latitude,longitude\nnear,{lat2!r},{lon2!r}\nfar,{lat10!r},{lon10!r}\n",
    )
    gdf = cpgeo.read_layer(path, "offices")
    assert gdf.loc[0, "governorate"] == "Anbar"
    assert pd.isna(gdf.loc[1, "governorate"])


def test_custom_boundaries_fill_governorate(tmp_path):
    square = shapely.box(43.0, 34.0, 44.0, 35.0)
    custom = gpd.GeoDataFrame({"governorate": ["Salah al-Din"]}, geometry=[square], crs=4326)
    path = write_csv(tmp_path / "o.csv", "lat,lon\n34.6158,43.6786\n36.335,43.1189\n")
    gdf = cpgeo.read_layer(path, "offices", boundaries=custom)
    assert gdf.loc[0, "governorate"] == "Salah al-Din"
    assert pd.isna(gdf.loc[1, "governorate"])


def test_read_layer_frame_in_memory():
    frame = offices_frame()
    gdf = cio.read_layer_frame(frame, "offices")
    assert list(gdf["id"]) == list(frame["id"])
    assert list(gdf["governorate"]) == [t[2] for t in TOWNS.values()]
    bad = frame.assign(latitude=frame["latitude"].astype(object))
    bad.loc[2, "latitude"] = "north"
    with pytest.raises(cpgeo.InputError, match=r"^<upload>: .*row 3, column latitude: 'north'"):
        cio.read_layer_frame(bad, "offices")


def test_read_layer_frame_reprojects_geodataframe():
    frame = offices_frame()
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=["latitude", "longitude"]),
        geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]),
        crs="EPSG:4326",
    ).to_crs("EPSG:32638")
    out = cio.read_layer_frame(gdf, "offices", source="mine")
    np.testing.assert_allclose(out.geometry.y, frame["latitude"], atol=1e-9)
    with pytest.raises(cpgeo.InputError, match=r"mine: .*column geometry: the data has no CRS"):
        cio.read_layer_frame(gdf.set_crs(None, allow_override=True), "offices", source="mine")


# --- round trips ---------------------------------------------------------------------


def _write_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for record in frame.itertuples(index=False):
        sheet.append(list(record))
    book.save(path)
    return path


def _shapefile_ready(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Field names cut to 10 characters and dates as text, as a Shapefile stores them."""
    out = gdf.drop(columns="staffed").rename(
        columns={"governorate": "governorat", "established": "establishe"}
    )
    out["establishe"] = out["establishe"].dt.strftime("%Y-%m-%d")
    return out


def _write_zipped_shapefile(gdf: gpd.GeoDataFrame, folder: Path) -> Path:
    shp = folder / "shp" / "offices.shp"
    shp.parent.mkdir()
    pyogrio.write_dataframe(_shapefile_ready(gdf), shp)
    archive = folder / "offices.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, f"offices/{part.name}")
    return archive


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg", "zip", "shp"])
def test_round_trip_every_format(tmp_path, fmt):
    frame = offices_frame()
    source = cio.read_layer_frame(frame, "offices")
    if fmt in ("csv", "geojson", "gpkg"):
        path = cio.write_layer(source, tmp_path / f"offices.{fmt}")
    elif fmt == "xlsx":
        path = _write_xlsx(frame, tmp_path / "offices.xlsx")
    elif fmt == "zip":
        path = _write_zipped_shapefile(source, tmp_path)
    else:
        path = tmp_path / "offices.shp"
        pyogrio.write_dataframe(_shapefile_ready(source), path)
    back = cpgeo.read_layer(path, "offices")
    assert list(back["id"]) == list(frame["id"])
    assert list(back["name"]) == list(frame["name"])
    assert list(back["governorate"]) == [t[2] for t in TOWNS.values()]
    np.testing.assert_allclose(back.geometry.y, frame["latitude"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(back.geometry.x, frame["longitude"], rtol=0, atol=1e-9)
    assert list(back["established"]) == list(pd.to_datetime(frame["established"]))
    assert list(back["donor"]) == list(frame["donor"])
    if fmt in ("csv", "xlsx", "geojson", "gpkg"):
        assert list(back["staffed"]) == list(frame["staffed"])
    assert isinstance(back.index, pd.RangeIndex)
    assert back.crs.equals("EPSG:4326")


def test_csv_writes_lat_lon_for_points_and_wkt_otherwise(tmp_path):
    points = cio.read_layer_frame(offices_frame(), "offices")
    text = cio.write_layer(points, tmp_path / "p.csv").read_text()
    header = text.splitlines()[0].split(",")
    assert header[-2:] == ["latitude", "longitude"]
    assert "geometry" not in header
    assert ",2011-02-15," in text  # dates without a time
    assert ",true," in text or ",false," in text
    boundaries = load_boundaries().head(2)
    cio.write_layer(boundaries, tmp_path / "b.csv")
    back = pd.read_csv(tmp_path / "b.csv")
    geoms = shapely.from_wkt(back["geometry"].to_numpy())
    assert shapely.equals_exact(geoms, boundaries.geometry.to_numpy(), tolerance=1e-12).all()


def test_write_reprojects_to_4326(tmp_path):
    source = cio.read_layer_frame(offices_frame(), "offices")
    path = cio.write_layer(source.to_crs("EPSG:32638"), tmp_path / "u.geojson")
    back = cpgeo.read_layer(path, "offices")
    np.testing.assert_allclose(back.geometry.y, source.geometry.y, atol=1e-9)


def test_write_layers_several_layers_and_a_table(tmp_path):
    offices = cio.read_layer_frame(offices_frame(), "offices")
    table = pd.DataFrame({"governorate": ["Anbar", "Diyala"], "share": [0.5, 1.0]})
    path = cio.write_layers({"offices": offices, "summary": table}, tmp_path / "all.gpkg")
    names = [name for name, _ in pyogrio.list_layers(path)]
    assert names == ["offices", "summary"]
    assert list(cpgeo.read_layer(path, "offices", layer="offices")["id"]) == list(offices["id"])
    summary = pyogrio.read_dataframe(path, layer="summary", read_geometry=False)
    assert list(summary["share"]) == [0.5, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.gpkg"]


def test_write_layer_names_the_geopackage_layer(tmp_path):
    gdf = cio.read_layer_frame(offices_frame(), "offices")
    path = cio.write_layer(gdf, tmp_path / "out.gpkg", layer="offices")
    assert [name for name, _ in pyogrio.list_layers(path)] == ["offices"]
    default = cio.write_layer(gdf, tmp_path / "plain.gpkg")
    assert [name for name, _ in pyogrio.list_layers(default)] == ["plain"]


def test_write_unsupported_extension(tmp_path):
    gdf = cio.read_layer_frame(offices_frame(), "offices")
    with pytest.raises(cpgeo.InputError, match=r"out\.shp: cannot write '\.shp'"):
        cio.write_layer(gdf, tmp_path / "out.shp")
    with pytest.raises(cpgeo.InputError, match=r"out\.csv: several layers go into a GeoPackage"):
        cio.write_layers({"a": gdf}, tmp_path / "out.csv")
    with pytest.raises(cpgeo.InputError, match=r"x\.gpkg layer x: the layer has no CRS"):
        cio.write_layer(gdf.set_crs(None, allow_override=True), tmp_path / "x.gpkg")


@pytest.mark.parametrize("ext", ["csv", "geojson", "gpkg"])
def test_write_is_atomic(tmp_path, monkeypatch, ext):
    gdf = cio.read_layer_frame(offices_frame(), "offices")
    path = cio.write_layer(gdf.head(3), tmp_path / f"out.{ext}")
    before = path.read_bytes()

    def half_write(frame, target, *args, **kwargs):
        Path(target).write_bytes(b"partial")
        msg = "disk full"
        raise OSError(msg)

    if ext == "csv":
        monkeypatch.setattr(pd.DataFrame, "to_csv", half_write)
    else:
        monkeypatch.setattr(pyogrio, "write_dataframe", half_write)
    with pytest.raises(OSError, match="disk full"):
        cio.write_layer(gdf, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# --- bad input -----------------------------------------------------------------------


def test_missing_file_and_unknown_kind(tmp_path):
    with pytest.raises(cpgeo.InputError, match=r"nothere\.csv: .*file not found"):
        cpgeo.read_layer(tmp_path / "nothere.csv", "offices")
    with pytest.raises(cpgeo.InputError, match="unknown layer kind 'schools'"):
        cpgeo.read_layer(tmp_path / "nothere.csv", "schools")


def test_unsupported_extension(tmp_path):
    path = write_csv(tmp_path / "offices.kml", "<kml/>")
    with pytest.raises(cpgeo.InputError, match=r"offices\.kml: .*unsupported file type '\.kml'"):
        cpgeo.read_layer(path, "offices")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n \n", "the file is empty"),
        ("header.csv", b"id,latitude,longitude\n", "has a header but no data rows"),
        ("binary.csv", b"PK\x03\x04\x00\x00garbage", "the file is not text"),
        ("bad.xlsx", b"id,latitude\n1,2\n", "cannot read the file as XLSX"),
        ("bad.gpkg", b"not a geopackage at all", "cannot read the file"),
        ("bad.geojson", b'{"type": "FeatureCollection", "features": [', "cannot read the file"),
        ("bad.zip", b"not a zip", "cannot read the file as a zip archive"),
        ("empty.gpkg", b"", "the file is empty"),
    ],
)
def test_empty_or_unreadable_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(cpgeo.InputError, match=rf"^{re.escape(name)}: 1 problem in .*{message}"):
        cpgeo.read_layer(path, "offices")


def test_empty_xlsx(tmp_path):
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(cpgeo.InputError, match=r"empty\.xlsx: .*the file is empty"):
        cpgeo.read_layer(path, "offices")


def test_missing_coordinate_columns_names_what_was_looked_for(tmp_path):
    path = write_csv(tmp_path / "nocoords.csv", "id,name,east,north\nA,x,44,33\n")
    with pytest.raises(
        cpgeo.InputError,
        match=r"nocoords\.csv: .*no coordinate columns: looked for latitude \(latitude, lat, y.*"
        r"longitude \(longitude, lon, lng, long, x.*found id, name, east, north",
    ):
        cpgeo.read_layer(path, "offices")


def test_missing_and_non_numeric_coordinates(tmp_path):
    path = write_csv(
        tmp_path / "coords.csv",
        "id,latitude,longitude\nA,34.6158,43.6786\nB,,43.2992\nC,33.7466,abc\nD,,\n",
    )
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(path, "offices")
    message = str(info.value)
    assert message.startswith("coords.csv: 3 problems in the offices layer: ")
    assert "row 3, column latitude: missing coordinate" in message
    assert "row 4, column longitude: 'abc' is not a number" in message
    assert "row 5, column latitude/longitude: missing coordinates" in message
    assert len(info.value.problems) == 3


def test_swapped_coordinates(tmp_path):
    # Baghdad with latitude and longitude exchanged.
    path = write_csv(tmp_path / "swapped.csv", "id,lat,lon\nA,34.6158,43.6786\nB,44.36,33.31\n")
    with pytest.raises(
        cpgeo.InputError,
        match=r"swapped\.csv: 1 problem .*row 3, column lat/lon: latitude 44\.36 and "
        r"longitude 33\.31 look swapped",
    ):
        cpgeo.read_layer(path, "offices")


def test_point_100_km_outside_iraq_is_rejected(tmp_path):
    lon, lat = point_outside(100.0)
    path = write_csv(
        tmp_path / "far.csv", f"id,latitude,longitude\nA,34.6158,43.6786\nB,{lat},{lon}\n"
    )
    with pytest.raises(
        cpgeo.InputError,
        match=r"far\.csv: 1 problem .*row 3, column latitude/longitude: point at latitude "
        r".* is 100\.0 km outside Iraq",
    ):
        cpgeo.read_layer(path, "offices")


def test_duplicate_ids(tmp_path):
    path = write_csv(
        tmp_path / "dup.csv",
        "id,latitude,longitude\nA,34.6158,43.6786\nB,33.4258,43.2992\nA,33.7466,44.6437\n",
    )
    with pytest.raises(
        cpgeo.InputError, match=r"dup\.csv: .*rows 2, 4, column id: duplicate id 'A'"
    ):
        cpgeo.read_layer(path, "offices")


def test_bad_populations(tmp_path):
    path = write_csv(
        tmp_path / "pop.csv",
        "name,latitude,longitude,pop\n"
        "a,34.6158,43.6786,-5\n"
        "b,33.4258,43.2992,12.5\n"
        "c,33.7466,44.6437,many\n"
        "d,36.335,43.1189,1200\n",
    )
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(path, "communities")
    message = str(info.value)
    assert message.startswith("pop.csv: 3 problems in the communities layer")
    assert "row 2, column pop: population '-5' is negative" in message
    assert "row 3, column pop: population '12.5' is not a whole number" in message
    assert "row 4, column pop: population 'many' is not a number" in message


# --- numbers: one parser for every cell ----------------------------------------------

# Tikrit, Ramadi, Baqubah, Mosul, Kirkuk, Erbil, Basra: (lat, lon) with three decimals.
SEVEN = [(34.616, 43.679), (33.426, 43.299), (33.747, 44.644), (36.335, 43.119),
         (35.468, 44.392), (36.190, 44.009), (30.509, 47.780)]


def communities_csv(path: Path, populations: list[str], *, lat: list[str] | None = None) -> Path:
    """A comma-separated communities file, every cell quoted (as spreadsheets save it)."""
    lats = lat or [f"{la:.3f}" for la, _ in SEVEN]
    lines = ['"id","latitude","longitude","population"']
    for n, (pop, la, (_, lo)) in enumerate(zip(populations, lats, SEVEN, strict=False)):
        lines.append(f'"C{n + 1}","{la}","{lo:.3f}","{pop}"')
    return write_csv(path, "\n".join(lines) + "\n")


def test_population_thousands_separators_and_digits_in_csv(tmp_path):
    cells = ["12,000", "1,234,567", "12 000", "12\u00a0000", "١٢٬٠٠٠", "۱۲۳۴", "1,234.0"]  # noqa: RUF001
    gdf = cpgeo.read_layer(communities_csv(tmp_path / "pop.csv", cells), "communities")
    assert str(gdf["population"].dtype) == "Int64"
    assert gdf["population"].tolist() == [12000, 1234567, 12000, 12000, 12000, 1234, 1234]
    # Three-decimal coordinates are decimals: 33.426, not 33426.
    np.testing.assert_allclose(gdf.geometry.y, [la for la, _ in SEVEN], rtol=0, atol=1e-12)
    # A dot before three digits is a thousands separator in a count when the decimal
    # reading is no whole number: 3.500 people are 3500.
    cells = ["3.500", "12,000", "800", "", "12 000", "0", "7"]
    gdf = cpgeo.read_layer(communities_csv(tmp_path / "dots.csv", cells), "communities")
    assert gdf["population"].tolist() == [3500, 12000, 800, pd.NA, 12000, 0, 7]


def test_population_12_000_with_a_dot_is_ambiguous_and_named(tmp_path):
    cells = ["1200", "", "5000", "800", "", "12.000", "9"]
    path = communities_csv(tmp_path / "towns.csv", cells)
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(path, "communities")
    assert str(info.value) == (
        "towns.csv: 1 problem in the communities layer: row 7, column population: "
        "'12.000' is ambiguous: 12 or 12,000? write it without a thousands separator"
    )


def test_population_column_convention_settles_it(tmp_path):
    # 1.234.567 shows dots for thousands (and so commas for decimals): 12.000 is 12000.
    cells = ["1.234.567", "12.000", "3.500", "700", "", "", ""]
    gdf = cpgeo.read_layer(communities_csv(tmp_path / "eu.csv", cells), "communities")
    assert gdf["population"].tolist()[:4] == [1234567, 12000, 3500, 700]
    # 1,234,567 shows commas for thousands: 12.000 is 12 and 3.500 is no whole number.
    cells = ["1,234,567", "12.000", "3.500", "700", "", "", ""]
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(communities_csv(tmp_path / "en.csv", cells), "communities")
    assert str(info.value) == (
        "en.csv: 1 problem in the communities layer: row 4, column population: "
        "population '3.500' is not a whole number"
    )


def test_population_invalid_grouping_and_rubbish(tmp_path):
    cells = ["1,23,4", "12 00", "nan", "inf", "1e5", "-1,000", "12,5"]
    path = communities_csv(tmp_path / "bad.csv", cells)
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(path, "communities")
    problems = [str(p) for p in info.value.problems]
    grouping = "is not a number (digits are grouped wrongly"
    assert problems[0].startswith(f"row 2, column population: population '1,23,4' {grouping}")
    assert problems[1].startswith(f"row 3, column population: population '12 00' {grouping}")
    # "nan" is an empty cell to the CSV reader, so row 4 is unknown, not a problem.
    assert problems[2] == "row 5, column population: population 'inf' is not a number"
    assert problems[3].startswith("row 6, column population: population '1e5' is not a number")
    assert problems[4] == "row 7, column population: population '-1,000' is negative"
    assert problems[5] == "row 8, column population: population '12,5' is not a whole number"
    assert len(problems) == 6


def test_unknown_population_is_na_not_zero(tmp_path):
    gdf = cpgeo.read_layer(
        communities_csv(tmp_path / "gaps.csv", ["", "0", " ", "12", "", "", "7"]), "communities"
    )
    assert str(gdf["population"].dtype) == "Int64"
    assert gdf["population"].isna().tolist() == [True, False, True, False, True, True, False]
    assert gdf["population"].dropna().tolist() == [0, 12, 7]
    path = write_csv(tmp_path / "nopop.csv", "id,latitude,longitude\nA,34.616,43.679\n")
    gdf = cpgeo.read_layer(path, "communities")
    assert str(gdf["population"].dtype) == "Int64"
    assert gdf["population"].isna().all()
    frame = pd.DataFrame({"latitude": [34.616, 33.426], "longitude": [43.679, 43.299],
                          "population": [1500.0, np.nan]})
    gdf = cio.read_layer_frame(frame, "communities")
    assert gdf["population"].tolist() == [1500, pd.NA]


@pytest.mark.parametrize("fmt", ["csv", "gpkg", "geojson"])
def test_unknown_population_survives_a_round_trip(tmp_path, fmt):
    frame = pd.DataFrame({"id": ["A", "B"], "latitude": [34.616, 33.426],
                          "longitude": [43.679, 43.299], "population": ["12,000", ""]})
    gdf = cio.read_layer_frame(frame, "communities")
    back = cpgeo.read_layer(cio.write_layer(gdf, tmp_path / f"c.{fmt}"), "communities")
    assert str(back["population"].dtype) == "Int64"
    assert back["population"].tolist() == [12000, pd.NA]
    if fmt == "csv":
        assert "12000," in (tmp_path / "c.csv").read_text()  # not "12000.0"


def test_latitude_33_500_with_a_comma_is_ambiguous(tmp_path):
    lat = ["33,500", "34.616", "33.747", "36.335", "35.468", "36.190", "30.509"]
    path = communities_csv(tmp_path / "lat.csv", ["1"] * 7, lat=lat)
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(path, "communities")
    assert str(info.value) == (
        "lat.csv: 1 problem in the communities layer: row 2, column latitude: '33,500' is "
        "ambiguous: 33.5 or 33,500? write it with a decimal point and without a thousands "
        "separator"
    )


def test_latitude_decimal_commas_settle_the_column(tmp_path):
    # Every three-decimal comma cell would be ambiguous alone; 33,25 settles the column.
    path = write_csv(
        tmp_path / "comma.csv",
        "id;lat;lon\nA;34,616;43,679\nB;33,25;43,2992\nC;٣٣٫٧٤٧;٤٤٫٦٤٤\nD;36,335;43,119\n",  # noqa: RUF001
    )
    gdf = cpgeo.read_layer(path, "offices")
    np.testing.assert_allclose(gdf.geometry.y, [34.616, 33.25, 33.747, 36.335], atol=1e-12)
    np.testing.assert_allclose(gdf.geometry.x, [43.679, 43.2992, 44.644, 43.119], atol=1e-12)
    assert gdf["governorate"].tolist() == ["Salah al-Din", "Anbar", "Diyala", "Ninewa"]


def test_coordinates_as_text_nan_and_inf_are_rejected():
    frame = pd.DataFrame({"latitude": ["34.616", "nan", "inf"],
                          "longitude": ["43.679", "43.299", "44.644"]})
    with pytest.raises(cpgeo.InputError) as info:
        cio.read_layer_frame(frame, "offices", source="mem")
    assert str(info.value) == (
        "mem: 2 problems in the offices layer: row 2, column latitude: 'nan' is not a "
        "number; row 3, column latitude: 'inf' is not a number"
    )


def test_xlsx_text_and_number_cells(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "latitude", "longitude", "population", "area_km2"])
    sheet.append(["A", 34.616, 43.679, "12,000", "1.234,5"])
    sheet.append(["B", "33,4258", 43.299, 4500, "12,000"])
    sheet.append(["C", 33.747, 44.644, "3.500", 7])
    sheet.append(["D", 36.335, 43.119, None, None])
    path = tmp_path / "book.xlsx"
    book.save(path)
    gdf = cpgeo.read_layer(path, "communities")
    assert gdf["population"].tolist() == [12000, 4500, 3500, pd.NA]
    assert gdf.geometry.y[1] == pytest.approx(33.4258, abs=1e-12)
    # The extra column writes 1.234,5: its 12,000 is twelve, not twelve thousand.
    assert gdf["area_km2"].tolist()[:3] == [1234.5, 12.0, 7.0]
    assert pd.isna(gdf["area_km2"][3])

    # 33,4258 shows the latitudes' decimal comma, so 33,500 is 33.5; the population
    # column has no such evidence, so 12.000 is reported, at its spreadsheet row.
    sheet.append(["E", "33,500", 43.119, "12.000", None])
    book.save(path)
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(path, "communities")
    assert [str(p) for p in info.value.problems] == [
        "row 6, column population: '12.000' is ambiguous: 12 or 12,000? write it without a "
        "thousands separator",
    ]
    sheet["D6"] = "12000"
    book.save(path)
    assert cpgeo.read_layer(path, "communities").geometry.y[4] == pytest.approx(33.5)


def test_extra_numeric_columns(tmp_path):
    path = write_csv(
        tmp_path / "extra.csv",
        "id;latitude;longitude;households;area;code;note\n"
        "A;34.616;43.679;1 234;1.234,5;0012;12,000\n"
        "B;33.426;43.299;;12,000;0013;\n"
        "C;33.747;44.644;١٢;33,5;0014;7\n",
    )
    gdf = cpgeo.read_layer(path, "offices")
    # Whole numbers stay integers, <NA> where empty (never 12.0 and NaN).
    assert str(gdf["households"].dtype) == "Int64"
    assert gdf["households"].tolist() == [1234, pd.NA, 12]
    assert gdf["area"].tolist() == [1234.5, 12.0, 33.5]
    assert gdf["code"].tolist() == ["0012", "0013", "0014"]
    # 12,000 alone in a real-valued column is ambiguous: the column stays text.
    assert gdf["note"].tolist()[0] == "12,000"


def test_unknown_governorate_name(tmp_path):
    path = write_csv(
        tmp_path / "gov.csv",
        "id,latitude,longitude,governorate\nA,34.6158,43.6786,Salahuddin\nB,33.42,43.29,Atlantis\n",
    )
    with pytest.raises(
        cpgeo.InputError,
        match=r"gov\.csv: 1 problem .*row 3, column governorate: unknown governorate 'Atlantis'",
    ):
        cpgeo.read_layer(path, "offices")


def test_malformed_office_id(tmp_path):
    path = write_csv(
        tmp_path / "cpfs.csv",
        "id,latitude,longitude,office_id\n"
        'F1,34.6158,43.6786,"OFF-1, OFF-2"\n'
        "F2,33.42,43.29,OFF 3\n",
    )
    with pytest.raises(
        cpgeo.InputError,
        match=r"cpfs\.csv: 2 problems .*row 2, column office_id: office_id 'OFF-1, OFF-2' is "
        r"malformed.*row 3, column office_id: office_id 'OFF 3' is malformed",
    ):
        cpgeo.read_layer(path, "cpfs")


def test_bad_date(tmp_path):
    path = write_csv(
        tmp_path / "dates.csv", "id,latitude,longitude,established\nA,34.6158,43.6786,31/31/2019\n"
    )
    with pytest.raises(
        cpgeo.InputError,
        match=r"dates\.csv: 1 problem .*row 2, column established: '31/31/2019' is not a date",
    ):
        cpgeo.read_layer(path, "offices")


def test_all_problems_reported_at_once_and_long_lists_summarised(tmp_path):
    lines = ["id,latitude,longitude,population"]
    lines += [f"P{n},34.6,x{n},1" for n in range(12)]  # rows 2..13: bad longitude
    lines += ["Q,34.6,43.6,-1", "Q,34.6,43.6,2"]  # rows 14, 15
    path = write_csv(tmp_path / "many.csv", "\n".join(lines) + "\n")
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(path, "communities")
    message = str(info.value)
    assert message.startswith("many.csv: 14 problems in the communities layer: ")
    assert message.endswith("; and 4 more")
    assert "row 2, column longitude: 'x0' is not a number" in message
    assert "\n" not in message
    rows = [p.row for p in info.value.problems]
    assert "rows 14, 15" in rows
    assert "row 14" in rows  # the negative population


def test_blank_lines_keep_csv_row_numbers(tmp_path):
    path = write_csv(
        tmp_path / "gaps.csv", "id,latitude,longitude\nA,34.6,43.6\n\n,,\nB,33.4,bad\n"
    )
    with pytest.raises(cpgeo.InputError, match=r"gaps\.csv: 1 problem .*row 5, column longitude"):
        cpgeo.read_layer(path, "offices")


def test_xlsx_row_numbers_are_spreadsheet_rows(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "first"
    sheet.append(["ignored"])
    sheet.append(["no coordinates here"])
    other = book.create_sheet("offices")
    other.append(["id", "Latitude", "Longitude", "established"])
    other.append(["A", 34.6158, 43.6786, dt.datetime(2019, 5, 1)])
    other.append([None, None, None, None])
    other.append(["B", "north", 43.2992, "2020-01-01"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    with pytest.raises(cpgeo.InputError, match=r"book\.xlsx: 1 problem .*row 4, column Latitude"):
        cpgeo.read_layer(path, "offices", layer="offices")
    with pytest.raises(cpgeo.InputError, match=r"book\.xlsx: .*no sheet 'nope'"):
        cpgeo.read_layer(path, "offices", layer="nope")
    with pytest.raises(cpgeo.InputError, match=r"book\.xlsx: .*no coordinate columns"):
        cpgeo.read_layer(path, "offices")


def test_polygons_in_a_point_layer_name_their_features(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"]},
        geometry=[shapely.Point(43.6786, 34.6158), shapely.box(43, 33, 44, 34), None],
        crs="EPSG:4326",
    )
    path = tmp_path / "mixed.geojson"
    pyogrio.write_dataframe(gdf, path)
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(path, "offices")
    message = str(info.value)
    assert message.startswith("mixed.geojson: 2 problems")
    assert "feature 2, column geometry: a Polygon where a point is expected" in message
    assert "feature 3, column geometry: missing geometry" in message


def test_shapefile_without_crs(tmp_path):
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(43.6786, 34.6158)])
    path = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        pyogrio.write_dataframe(gdf, path)
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(
        cpgeo.InputError,
        match=r"nocrs\.shp: .*column geometry: the file has no coordinate reference",
    ):
        cpgeo.read_layer(path, "offices")


def test_vector_file_in_another_crs_is_reprojected(tmp_path):
    frame = offices_frame()
    gdf = gpd.GeoDataFrame(
        frame[["id"]],
        geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]),
        crs="EPSG:4326",
    ).to_crs("EPSG:32638")
    path = tmp_path / "utm.gpkg"
    pyogrio.write_dataframe(gdf, path)
    back = cpgeo.read_layer(path, "offices")
    assert back.crs.equals("EPSG:4326")
    np.testing.assert_allclose(back.geometry.x, frame["longitude"], atol=1e-9)


def test_boundaries_layer_needs_known_names(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"shapeName": ["Ninawa", "Neverland"]},
        geometry=[shapely.box(42, 35, 43, 36), shapely.box(43, 35, 44, 36)],
        crs="EPSG:4326",
    )
    path = tmp_path / "adm1.geojson"
    pyogrio.write_dataframe(gdf, path)
    with pytest.raises(
        cpgeo.InputError,
        match=r"adm1\.geojson: 1 problem .*feature 2, column shapeName: 'Neverland' is not a "
        "governorate name",
    ):
        cpgeo.read_layer(path, "boundaries")
    good = gdf.iloc[:1]
    pyogrio.write_dataframe(good, tmp_path / "one.geojson")
    out = cpgeo.read_layer(tmp_path / "one.geojson", "boundaries")
    assert list(out["governorate"]) == ["Ninewa"]
    assert list(out["id"]) == ["boundaries-1"]


# --- leaving bad rows out ----------------------------------------------------------------

# Row 2 good; 3 missing latitude; 4 blank line (numbering kept); 5 duplicate id with 8;
# 6 good; 7 100 km outside Iraq; 8 duplicate of 5; 9 unreadable longitude and a bad
# population; 10 good, with a name a spreadsheet would run.
def _messy_communities(path: Path) -> Path:
    lon, lat = point_outside(100.0)
    return write_csv(
        path,
        "id,name,latitude,longitude,population,note\n"
        "A,Tikrit,34.6158,43.6786,160000,ok\n"
        "B,Ramadi,,43.2992,5,no latitude\n"
        "\n"
        "C,Mosul,36.335,43.1189,12,first C\n"
        "D,Baqubah,33.7466,44.6437,,ok\n"
        f"E,Far,{lat},{lon},3,far\n"
        "C,Kirkuk,35.4681,44.3922,7,second C\n"
        "F,Erbil,36.19,east,many,two problems\n"
        "G,=cmd(),30.5085,47.7804,9,ok\n",
    )


def test_leave_out_lists_exactly_the_bad_rows_and_keeps_the_others(tmp_path):
    path = _messy_communities(tmp_path / "messy.csv")
    with pytest.raises(cpgeo.InputError, match=r"messy\.csv: 5 problems"):
        cpgeo.read_layer(path, "communities")  # the default still refuses
    result = cio.read_layer_partial(path, "communities")
    # the rows kept are exactly what read_layer makes of a file holding only them
    lines = path.read_text(encoding="utf-8").splitlines()
    clean = write_csv(tmp_path / "clean.csv", "\n".join(lines[i] for i in (0, 1, 5, 9)) + "\n")
    expected = cpgeo.read_layer(clean, "communities")
    assert list(result.layer["id"]) == ["A", "D", "G"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(result.layer.drop(columns="geometry")),
        pd.DataFrame(expected.drop(columns="geometry")),
    )
    assert result.layer.geometry.geom_equals_exact(expected.geometry, 0).all()
    assert result.layer.crs.equals("EPSG:4326")
    left = result.left_out
    assert list(left.columns) == [
        "row", "reasons", "id", "name", "latitude", "longitude", "population", "note"
    ]
    assert left["row"].tolist() == [3, 5, 7, 8, 9]
    # every cell as the file has it
    assert left.drop(columns=["row", "reasons"]).fillna("").to_numpy().tolist() == [
        line.split(",") for line in (lines[2], lines[4], lines[6], lines[7], lines[8])
    ]
    lon, lat = point_outside(100.0)
    assert left["reasons"].tolist() == [
        "column latitude: missing coordinate",
        "column id: duplicate id 'C' (rows 5, 8: all of them left out)",
        f"column latitude/longitude: point at latitude {lat:g}, longitude {lon:g} is "
        "100.0 km outside Iraq (more than 25 km)",
        "column id: duplicate id 'C' (rows 5, 8: all of them left out)",
        "column longitude: 'east' is not a number; "
        "column population: population 'many' is not a number",
    ]
    # most first, ties in file order
    assert list(result.reasons.items()) == [
        ("sharing an id", 2),
        ("missing coordinates", 1),
        ("outside Iraq", 1),
        ("with an unreadable longitude", 1),
        ("with a bad population", 1),
    ]
    assert result.summary() == (
        "5 of 8 rows: 2 sharing an id, 1 missing coordinates, 1 outside Iraq, 1 with an "
        "unreadable longitude, 1 with a bad population"
    )
    assert (result.n_left_out, result.n_read, result.word) == (5, 8, "row")
    # the problems are the ones refusing the file names, and make the same message
    with pytest.raises(cpgeo.InputError) as info:
        cpgeo.read_layer(path, "communities")
    assert [str(p) for p in result.problems] == [str(p) for p in info.value.problems]
    assert str(result.error()) == str(info.value)


def test_read_layer_leave_out_returns_the_layer_and_logs_a_warning(tmp_path, caplog):
    path = _messy_communities(tmp_path / "messy.csv")
    with caplog.at_level(logging.WARNING, logger="cpgeo"):
        gdf = cpgeo.read_layer(path, "communities", bad_rows="leave_out")
    assert list(gdf["id"]) == ["A", "D", "G"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "read_layer: messy.csv: left out 5 of 8 rows: 2 sharing an id, 1 missing "
        "coordinates, 1 outside Iraq, 1 with an unreadable longitude, 1 with a bad population"
    ]
    with pytest.raises(cpgeo.InputError, match="bad_rows must be 'refuse' or 'leave_out'"):
        cpgeo.read_layer(path, "communities", bad_rows="skip")  # type: ignore[arg-type]


def test_a_clean_file_leaves_nothing_out(tmp_path, caplog):
    path = write_csv(tmp_path / "ok.csv", "id,latitude,longitude\nA,34.6158,43.6786\n")
    with caplog.at_level(logging.WARNING, logger="cpgeo"):
        result = cio.read_layer_partial(path, "offices")
    assert not caplog.records
    assert result.n_left_out == 0
    assert list(result.left_out.columns[:2]) == ["row", "reasons"]
    assert result.error() is None
    assert result.summary() == "0 of 1 row"


def test_a_file_with_only_bad_rows_is_refused_even_leaving_rows_out(tmp_path):
    path = write_csv(tmp_path / "bad.csv", "id,latitude,longitude\nA,,43.6\nB,33.4,abc\n")
    with pytest.raises(
        cpgeo.InputError,
        match=r"bad\.csv: 2 problems .*row 2, .*row 3, .*; no row is free of problems, so "
        "there is nothing to load$",
    ) as info:
        cio.read_layer_partial(path, "offices")
    assert len(info.value.problems) == 2


def test_duplicate_ids_leave_out_every_row_sharing_the_id(tmp_path):
    path = write_csv(
        tmp_path / "dup.csv",
        "id,latitude,longitude\nA,34.6158,43.6786\nB,33.4258,43.2992\nA,33.7466,44.6437\n"
        "B,36.335,43.1189\nC,35.4681,44.3922\nA,36.19,44.0089\n",
    )
    result = cio.read_layer_partial(path, "offices")
    assert list(result.layer["id"]) == ["C"]
    assert result.left_out["row"].tolist() == [2, 3, 4, 5, 7]
    assert result.left_out["id"].tolist() == ["A", "B", "A", "B", "A"]
    assert result.left_out["reasons"].tolist()[:2] == [
        "column id: duplicate id 'A' (rows 2, 4, 7: all of them left out)",
        "column id: duplicate id 'B' (rows 3, 5: all of them left out)",
    ]
    assert result.reasons == {"sharing an id": 5}


def test_points_outside_iraq_beyond_the_tolerance_are_left_out(tmp_path, monkeypatch):
    far, near = point_outside(100.0), point_outside(10.0)
    path = write_csv(
        tmp_path / "edge.csv",
        "id,latitude,longitude\nA,34.6158,43.6786\n"
        f"FAR,{far[1]},{far[0]}\nNEAR,{near[1]},{near[0]}\n",
    )
    result = cio.read_layer_partial(path, "offices")  # tolerance 25 km: the near one stays
    assert list(result.layer["id"]) == ["A", "NEAR"]
    assert result.left_out["id"].tolist() == ["FAR"]
    assert result.reasons == {"outside Iraq": 1}
    monkeypatch.setattr(settings, "outside_iraq_tolerance_km", 5.0)
    result = cio.read_layer_partial(path, "offices")
    assert list(result.layer["id"]) == ["A"]
    assert result.left_out["id"].tolist() == ["FAR", "NEAR"]
    assert "10.0 km outside Iraq (more than 5 km)" in result.left_out["reasons"].iloc[1]


def test_whole_file_problems_are_refused_even_leaving_rows_out(tmp_path):
    path = write_csv(tmp_path / "nocoords.csv", "id,east,north\nA,1,2\n")
    with pytest.raises(cpgeo.InputError, match=r"nocoords\.csv: .*no coordinate columns"):
        cio.read_layer_partial(path, "offices")
    with pytest.raises(cpgeo.InputError, match=r"missing\.csv: .*file not found"):
        cio.read_layer_partial(tmp_path / "missing.csv", "offices")
    boundaries = tmp_path / "adm1.geojson"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"shapeName": ["Ninawa"]}, geometry=[shapely.box(42, 35, 43, 36)],
                         crs="EPSG:4326"),
        boundaries,
    )
    with pytest.raises(cpgeo.InputError, match="left out of point layers only"):
        cio.read_layer_partial(boundaries, "boundaries")


def test_left_out_features_of_a_vector_file_keep_their_number_and_geometry(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"id": ["A", "B", "C"], "row": ["x", "y", "z"]},
        geometry=[
            shapely.Point(43.6786, 34.6158),
            shapely.box(43, 33, 44, 34),
            shapely.Point(44.6437, 33.7466),
        ],
        crs="EPSG:4326",
    )
    path = tmp_path / "mixed.geojson"
    pyogrio.write_dataframe(gdf, path)
    result = cio.read_layer_partial(path, "offices")
    assert list(result.layer["id"]) == ["A", "C"]
    left = result.left_out
    # the file's own "row" column steps aside for nothing: the number is a feature's
    assert list(left.columns) == ["feature", "reasons", "id", "row", "geometry"]
    assert left["feature"].tolist() == [2]
    assert left["reasons"].tolist() == [
        "column geometry: a Polygon where a point is expected"
    ]
    assert shapely.from_wkt(left["geometry"].iloc[0]).equals(shapely.box(43, 33, 44, 34))
    assert result.summary() == "1 of 3 features: 1 not points"


def test_a_file_column_named_like_the_row_number_steps_aside(tmp_path):
    path = write_csv(
        tmp_path / "cols.csv", "row,reasons,latitude,longitude\n1,r,34.6,43.6\n2,s,,43.6\n"
    )
    left = cio.read_layer_partial(path, "offices").left_out
    assert list(left.columns) == ["row", "reasons", "_row", "_reasons", "latitude", "longitude"]
    assert left[["row", "_row", "_reasons"]].to_numpy().tolist() == [[3, "2", "s"]]


def test_xlsx_row_with_only_a_value_beyond_the_header_is_listed(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for values in (["id", "latitude", "longitude"], ["A", 34.6158, 43.6786],
                   [None, None, None, "stray"], ["B", 33.4258, 43.2992, "x"]):
        sheet.append(values)
    book.save(tmp_path / "wide.xlsx")
    result = cio.read_layer_partial(tmp_path / "wide.xlsx", "offices")
    assert list(result.layer["id"]) == ["A"]
    left = result.left_out
    assert left["row"].tolist() == [3, 4]
    assert left["id"].tolist()[1] == "B"
    assert pd.isna(left["id"].iloc[0])  # the row's only cell is beyond the named columns
    assert all("column D: a value beyond the last named column" in r for r in left["reasons"])


def test_set_aside_rows_refuses_a_problem_of_the_whole_file():
    from cpgeo import _validate

    problems = _validate.Problems("f.csv", "offices")
    problems.add("row 2", "id", "missing id")
    problems.add(None, None, "something about the whole file")
    with pytest.raises(cpgeo.InputError, match=r"f\.csv: 2 problems .*row 2.*whole file"):
        problems.set_aside_rows(["row 2", "row 3"])
    problems.items.pop()
    keep = problems.set_aside_rows(["row 2", "row 3"])
    assert keep.tolist() == [False, True]
    assert [p.row for p in problems.left_out] == ["row 2"]
    assert not problems.items
