"""Administrative areas (COD-AB): levels, P-code matching, districts on every layer.

Generated fixtures run everywhere; the tests marked ``shared_data`` read OCHA's real
COD-AB copies from ``../shared/data`` (or ``CPGEO_SHARED_DATA``), which are not part of
the repository.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import needs_shared_data, shared_data_dir

import cpgeo
from cpgeo._figures import subtotal
from cpgeo.admin import GOVERNORATE_PCODES, area_level, attach_areas
from cpgeo.io import read_layer
from cpgeo.regions import GOVERNORATES


def _box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(x0, y0, x1, y1)


def _cod_frame(level: int) -> gpd.GeoDataFrame:
    """Two governorates (Anbar, Salah al-Din), two districts each, two sub-districts each.

    Names in COD-AB's own spellings ("Al-Anbar", "Salah Al-Din").
    """
    rows = []
    govs = [("IQG01", "Al-Anbar", "الانبار", 40.0), ("IQG16", "Salah Al-Din", "صلاح الدين", 43.0)]
    for gcode, gname, gar, x in govs:
        for d in (1, 2):
            dcode = f"{gcode}Q{d:02d}"
            for n in (1, 2):
                rows.append({
                    "ADM3_EN": f"{gname} D{d} S{n}", "ADM3_AR": f"ناحية {d}{n}",
                    "ADM3_PCODE": f"{dcode}N{n:02d}",
                    "ADM2_EN": f"{gname} D{d}", "ADM2_AR": f"قضاء {d}", "ADM2_PCODE": dcode,
                    "ADM1_EN": gname, "ADM1_AR": gar, "ADM1_PCODE": gcode,
                    "geometry": _box(x + d - 1, 33.0 + (n - 1) * 0.5, x + d, 33.5 + (n - 1) * 0.5),
                })
    frame = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    if level == 3:
        return frame
    if level == 2:
        keep = [c for c in frame.columns if not c.startswith("ADM3")]
        return frame[keep].dissolve("ADM2_PCODE", as_index=False)[keep]
    keep = [c for c in frame.columns if c.startswith("ADM1") or c == "geometry"]
    return frame[keep].dissolve("ADM1_PCODE", as_index=False)[keep]


def _write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    frame.to_file(path, engine="pyogrio")
    return path


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_areas_at_every_level_and_format(tmp_path: Path, level: int, suffix: str) -> None:
    path = _write(_cod_frame(level), tmp_path / f"adm{level}{suffix}")
    areas = read_layer(path, "boundaries")
    assert len(areas) == {1: 2, 2: 4, 3: 8}[level]
    assert set(areas["level"]) == {level}
    assert set(areas["governorate"]) == {"Anbar", "Salah al-Din"}
    assert areas["id"].is_unique
    if level >= 2:
        assert areas["district_pcode"].str.match(r"^IQG\d\dQ\d\d$").all()
        assert (areas["district_pcode"].str[:5] == areas["governorate_pcode"]).all()
    if level == 3:
        assert (areas["subdistrict_pcode"] == areas["id"]).all()
        assert (areas["subdistrict_pcode"].str[:8] == areas["district_pcode"]).all()
        assert areas.loc[0, "name_ar"] == "ناحية 11"
    else:
        assert "subdistrict_pcode" not in areas.columns


def test_governorate_matched_by_pcode_when_the_name_is_unknown(tmp_path: Path) -> None:
    frame = _cod_frame(2)
    frame["ADM1_EN"] = "Province " + frame["ADM1_PCODE"]  # no alias knows these
    areas = read_layer(_write(frame, tmp_path / "adm2.gpkg"), "boundaries")
    assert set(areas["governorate"]) == {"Anbar", "Salah al-Din"}


def test_governorate_matched_by_alias_without_pcode(tmp_path: Path) -> None:
    frame = _cod_frame(2).drop(columns=["ADM1_PCODE"])
    areas = read_layer(_write(frame, tmp_path / "adm2.gpkg"), "boundaries")
    assert set(areas["governorate"]) == {"Anbar", "Salah al-Din"}
    assert areas["governorate_pcode"].isna().all()


def test_pcode_and_name_that_disagree_are_reported(tmp_path: Path) -> None:
    frame = _cod_frame(2)
    frame.loc[0, "ADM1_EN"] = "Ninewa"
    with pytest.raises(cpgeo.InputError, match=r"feature 1.*ADM1_EN.*'Ninewa' is Ninewa, but its"
                       r" P-code IQG01 is Anbar"):
        read_layer(_write(frame, tmp_path / "adm2.gpkg"), "boundaries")


def test_unknown_governorate_and_bad_nesting_are_reported(tmp_path: Path) -> None:
    frame = _cod_frame(3)
    frame.loc[2, "ADM1_PCODE"] = "IQG99"
    frame.loc[2, "ADM1_EN"] = "Atlantis"
    frame.loc[5, "ADM3_PCODE"] = "IQG16Q02N01"  # in the wrong district
    with pytest.raises(cpgeo.InputError) as info:
        read_layer(_write(frame, tmp_path / "adm3.gpkg"), "boundaries")
    text = str(info.value)
    assert "feature 3" in text and "unknown governorate ('IQG99' / 'Atlantis')" in text
    assert "feature 6" in text and "IQG16Q02N01 does not lie in IQG16Q01" in text
    assert "duplicate" in text  # IQG16Q02N01 is also feature 7's P-code


def test_missing_and_duplicate_pcodes_are_reported(tmp_path: Path) -> None:
    frame = _cod_frame(2)
    frame.loc[1, "ADM2_PCODE"] = None
    frame.loc[3, "ADM2_PCODE"] = frame.loc[2, "ADM2_PCODE"]
    with pytest.raises(cpgeo.InputError, match=r"feature 2, column ADM2_PCODE: missing P-code"):
        read_layer(_write(frame, tmp_path / "adm2.gpkg"), "boundaries")


@pytest.mark.parametrize(
    ("columns", "level"),
    [
        (["ADM1_PCODE", "ADM1_EN"], 1),
        (["adm2_pcode", "adm2_name", "adm1_pcode"], 2),
        (["admin3Pcode", "admin3Name_en", "admin2Pcode"], 3),
        (["governorate", "name"], 0),
    ],
)
def test_level_from_columns(columns: list[str], level: int) -> None:
    assert area_level(columns) == level


def test_governorate_pcodes_cover_every_cod_governorate() -> None:
    assert len(GOVERNORATE_PCODES) == 18
    assert set(GOVERNORATE_PCODES.values()) <= set(GOVERNORATES)
    assert set(GOVERNORATES) - set(GOVERNORATE_PCODES.values()) == {"Halabja"}


def test_points_carry_their_district_and_subdistrict(tmp_path: Path) -> None:
    areas = read_layer(_write(_cod_frame(3), tmp_path / "adm3.gpkg"), "boundaries")
    csv = tmp_path / "communities.csv"
    # inside D1 S2 of Anbar; on the edge between Anbar D1 and D2; 2 km east of the last
    # polygon (within the 5-km snap); 80 km away (no district)
    pd.DataFrame({
        "name": ["a", "b", "c", "d"],
        "lon": [40.5, 41.0, 45.0 + 0.02, 46.0],
        "lat": [33.7, 33.2, 33.2, 33.2],
        "governorate": ["Anbar", "Anbar", "Salah al-Din", "Salah al-Din"],
    }).to_csv(csv, index=False)
    layer = read_layer(csv, "communities", boundaries=areas)
    assert layer["district_pcode"].tolist()[:3] == ["IQG01Q01", "IQG01Q01", "IQG16Q02"]
    assert layer["subdistrict_pcode"].tolist()[:3] == ["IQG01Q01N02", "IQG01Q01N01",
                                                       "IQG16Q02N01"]
    assert layer["district"].iloc[0] == "Al-Anbar D1"
    assert pd.isna(layer["district_pcode"].iloc[3])


def _scenario_with(areas: gpd.GeoDataFrame) -> cpgeo.Scenario:
    """Offices, forums and communities in the fixture's two governorates."""
    rng = np.random.default_rng(7)
    n = 60
    lon = rng.uniform(40.0, 45.0, n)
    lat = rng.uniform(33.0, 34.0, n)
    gov = np.where(lon < 42.0, "Anbar", "Salah al-Din")
    gov[3] = "Salah al-Din"  # a point in an Anbar district with another governorate
    communities = gpd.GeoDataFrame(
        {"id": [f"c{i}" for i in range(n)], "name": "x", "governorate": gov,
         "population": pd.array(rng.integers(0, 5000, n), dtype="Int64")},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
    )
    communities.loc[5, "population"] = pd.NA
    offices = gpd.GeoDataFrame(
        {"id": ["o1", "o2"], "name": ["o1", "o2"], "governorate": ["Anbar", "Salah al-Din"]},
        geometry=gpd.points_from_xy([40.5, 43.5], [33.5, 33.5]), crs="EPSG:4326",
    )
    cpfs = gpd.GeoDataFrame(
        {"id": [f"f{i}" for i in range(8)], "name": "f", "governorate": ["Anbar"] * 7 + [None],
         "office_id": ["o1"] * 7 + [None]},
        geometry=gpd.points_from_xy(np.linspace(40.1, 40.9, 8), [33.4] * 8), crs="EPSG:4326",
    )
    base = cpgeo.load_demo()
    return base.with_user_layers(
        {"boundaries": areas, "communities": communities, "offices": offices, "cpfs": cpfs}, {}
    )


def _assert_districts_add_up(fig: cpgeo.Figures) -> None:
    districts = fig.by_district
    assert districts is not None
    for _, row in fig.by_governorate.iterrows():
        gov = row["governorate"]
        rows = districts[(districts["governorate"] == gov).fillna(False)] if not pd.isna(gov) \
            else districts[districts["governorate"].isna()]
        total = subtotal(rows)
        for column, value in total.items():
            expected = row[column]
            if column == "population_within_radius_share":
                assert (np.isnan(value) and np.isnan(expected)) or value == pytest.approx(expected)
            else:
                assert (pd.isna(value) and pd.isna(expected)) or value == expected, (gov, column)
    whole = subtotal(districts)
    for key in ("communities", "population", "offices", "offices_over_capacity", "forums"):
        assert whole[key] == fig[key], key


def test_district_rows_add_up_to_governorate_rows(tmp_path: Path) -> None:
    areas = read_layer(_write(_cod_frame(3), tmp_path / "adm3.gpkg"), "boundaries")
    scn = _scenario_with(areas)
    fig = cpgeo.figures(scn, radius_km=50)
    assert fig["offices_over_capacity"] == 1
    assert fig.by_district is not None
    # the community of Salah al-Din lying in an Anbar district has its own row
    odd = fig.by_district[(fig.by_district["governorate"] == "Salah al-Din")
                          & fig.by_district["district_pcode"].str.startswith("IQG01")]
    assert odd["communities"].sum() >= 1
    _assert_districts_add_up(fig)


def test_no_district_table_with_governorate_boundaries() -> None:
    assert cpgeo.figures(cpgeo.load_demo()).by_district is None


def test_attach_areas_keeps_index_and_crs(tmp_path: Path) -> None:
    areas = read_layer(_write(_cod_frame(2), tmp_path / "adm2.gpkg"), "boundaries")
    points = gpd.GeoDataFrame({"governorate": ["Anbar"]}, index=pd.Index([42], name="k"),
                              geometry=gpd.points_from_xy([40.5], [33.5]), crs="EPSG:4326")
    out = attach_areas(points, areas)
    assert out.index.tolist() == [42] and out.index.name == "k" and out.crs == points.crs
    assert out["district_pcode"].iloc[0] == "IQG01Q01"
    assert pd.isna(out["subdistrict_pcode"].iloc[0])


# ------------------------------------------------------------- the real COD-AB files

COD = shared_data_dir() / "iraq-cod-ab-2019"
shared_data = needs_shared_data("iraq-cod-ab-2019")


def _cod(level: int, suffix: str = ".geojson") -> Path:
    return COD / f"irq_admbnda_adm{level}_cso_20190603{suffix}"


@shared_data
def test_real_cod_levels_read_with_repaired_arabic() -> None:
    shapefile = pyogrio.read_dataframe(_cod(2, ".shp"))
    for level, count in ((1, 18), (2, 101), (3, 294)):
        areas = read_layer(_cod(level), "boundaries")
        assert len(areas) == count
        assert areas["id"].is_unique
        assert set(areas["level"]) == {level}
        if level == 1:
            assert sorted(areas["governorate"]) == sorted(GOVERNORATE_PCODES.values())
            # by P-code and by alias agree on every COD governorate name
            assert all(cpgeo.regions.find_governorate(n) == g
                       for n, g in zip(areas["name"], areas["governorate"], strict=True))
            continue
        truth = shapefile.set_index("ADM2_PCODE")
        codes = areas["district_pcode"]
        assert set(codes) <= set(truth.index)
        if level == 2:
            assert set(codes) == set(truth.index)
        # one name of the shapefile starts with a no-break space; cells are read trimmed
        arabic = truth.loc[codes, "ADM2_AR"].str.strip().to_numpy()
        assert (areas["district_ar"].to_numpy() == arabic).all()
        assert (areas["district"].to_numpy() == truth.loc[codes, "ADM2_EN"].to_numpy()).all()
        assert not areas["district_ar"].str.contains("Ø").any()
        gov = truth.loc[codes, "ADM1_PCODE"].map(GOVERNORATE_PCODES).to_numpy()
        assert (areas["governorate"].to_numpy() == gov).all()


@shared_data
def test_real_shapefile_and_geojson_agree() -> None:
    shp = read_layer(_cod(2, ".shp"), "boundaries").set_index("id")
    geojson = read_layer(_cod(2), "boundaries").set_index("id")
    shared = ["name", "name_ar", "governorate", "district", "district_ar"]
    pd.testing.assert_frame_equal(shp.loc[geojson.index, shared], geojson[shared])


@shared_data
def test_every_embedded_place_gets_a_district_and_subdistrict() -> None:
    areas = read_layer(_cod(3), "boundaries")
    scn = cpgeo.load_demo().with_user_layers({"boundaries": areas}, {})
    for kind in ("communities", "offices", "cpfs", "stations"):
        layer = getattr(scn, kind)
        assert layer["district_pcode"].notna().all(), kind
        assert layer["subdistrict_pcode"].notna().all(), kind
        assert (layer["subdistrict_pcode"].str[:8] == layer["district_pcode"]).all()


@shared_data
@pytest.mark.parametrize("level", [2, 3])
def test_real_district_summaries_add_up_to_governorates(level: int) -> None:
    areas = read_layer(_cod(level), "boundaries")
    scn = cpgeo.load_demo().with_user_layers({"boundaries": areas}, {})
    fig = cpgeo.figures(scn)
    assert fig.by_district is not None
    assert set(areas["district_pcode"]) <= set(fig.by_district["district_pcode"].dropna())
    _assert_districts_add_up(fig)


def test_proposed_sites_name_their_district(tmp_path: Path) -> None:
    from cpgeo.siting import plan_sites
    from cpgeo.siting.candidates import candidate_sites

    areas = read_layer(_write(_cod_frame(3), tmp_path / "adm3.gpkg"), "boundaries")
    scn = _scenario_with(areas)
    governorates = ("Anbar", "Salah al-Din")
    candidates = candidate_sites(scn, governorates=governorates)
    expected = attach_areas(candidates.drop(columns=["district", "district_pcode",
                                                     "subdistrict", "subdistrict_pcode"]), areas)
    assert candidates["district_pcode"].notna().any()
    pd.testing.assert_series_equal(candidates["district_pcode"], expected["district_pcode"])
    plan = plan_sites(scn, n_sites=2, governorates=governorates, method="greedy")
    sites = plan.sites
    assert {"district", "district_pcode", "subdistrict", "subdistrict_pcode"} <= set(sites)
    by_id = candidates.set_index("id")["district_pcode"]
    assert sites["district_pcode"].tolist() == by_id.loc[sites["id"]].tolist()
    assert plan.after.by_district is not None


def test_cli_tables_by_district(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from cpgeo.cli import main

    path = _write(_cod_frame(2), tmp_path / "adm2.gpkg")
    assert main(["figures", "--boundaries", str(path), "--by", "district"]) == 0
    text = capsys.readouterr().out
    assert "By district" in text and "IQG01Q01" in text and "Al-Anbar D1" in text
    out = tmp_path / "districts.csv"
    assert main(["coverage", "--boundaries", str(path), "--by", "district", "--json",
                 "-o", str(out)]) == 0
    payload = json.loads(capsys.readouterr().out)
    codes = {r["district_pcode"] for r in payload["by_district"]}
    assert {"IQG01Q01", "IQG01Q02", "IQG16Q01", "IQG16Q02"} <= codes
    written = pd.read_csv(out)
    assert {"governorate", "district_pcode", "district"} <= set(written.columns)
    assert main(["figures", "--by", "district"]) == 2
    assert "need district or sub-district boundaries" in capsys.readouterr().err


# ---------------------------------------------------------------- P-code tables

def _communities_in_areas(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    # sub-district IQG01Q01N01 (40-41 E, 33.0-33.5 N): 2 known (100, 50), 3 unknown;
    # IQG01Q01N02: 1 unknown; IQG16Q02N02: 1 known of 900 (above its total of 500)
    lon = [40.2, 40.4, 40.6, 40.7, 40.8, 40.5, 44.5]
    lat = [33.2, 33.2, 33.2, 33.3, 33.4, 33.7, 33.7]
    pop = pd.array([100, 50, pd.NA, pd.NA, pd.NA, pd.NA, 900], dtype="Int64")
    layer = gpd.GeoDataFrame(
        {"id": [f"c{i}" for i in range(7)], "name": "x", "governorate": "Anbar",
         "population": pop},
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
    )
    return attach_areas(layer, areas)


def test_subdistrict_totals_spread_over_communities_without_population(tmp_path: Path) -> None:
    from cpgeo.admin import ESTIMATED, FROM_FILE, estimate_population, read_area_table

    areas = read_layer(_write(_cod_frame(3), tmp_path / "adm3.gpkg"), "boundaries")
    communities = _communities_in_areas(areas)
    csv = tmp_path / "population.csv"
    pd.DataFrame({
        "ADM3_PCODE": ["IQG01Q01N01", "iqg01q01n02 ", "IQG16Q02N02", "IQG16Q01N01"],
        "T_TL": ["1,000", "77", "500", "12"],
    }).to_csv(csv, index=False)
    table = read_area_table(csv)
    assert table["pcode"].tolist()[1] == "IQG01Q01N02" and set(table["level"]) == {3}
    result = estimate_population(communities, table)
    got = result.communities["population"].tolist()
    # 1000 - 150 = 850 over three: 284 + 283 + 283; 77 to the lone one; 900 > 500 kept
    assert got == [100, 50, 284, 283, 283, 77, 900]
    assert sum(got[:5]) == 1000
    source = result.communities["population_source"].tolist()
    assert source == [FROM_FILE, FROM_FILE, *[ESTIMATED[3]] * 4, FROM_FILE]
    notes = dict(zip(result.areas["pcode"], result.areas["note"], strict=True))
    assert notes == {"IQG01Q01N01": "", "IQG01Q01N02": "",
                     "IQG16Q02N02": "its communities' own populations exceed the total",
                     "IQG16Q01N01": "no community in the area"}
    assert "estimated from sub-district totals" in result.method
    assert result.method.startswith("The populations of 4 communities are estimated")
    # the figures count the estimates as people
    assert result.communities["population"].sum() == 100 + 50 + 850 + 77 + 900


def test_area_table_problems_are_reported_by_row(tmp_path: Path) -> None:
    from cpgeo.admin import read_area_table

    csv = tmp_path / "population.csv"
    pd.DataFrame({
        "pcode": ["IQG01Q01N01", "IQG01Q01N01", "IQG01", "Baghdad", "IQG01Q02N01"],
        "population": ["10", "20", "30", "40", "-5"],
    }).to_csv(csv, index=False)
    with pytest.raises(cpgeo.InputError) as info:
        read_area_table(csv)
    text = str(info.value)
    assert "population.csv" in text
    assert "row 3, column pcode: duplicate" in text or "rows 2, 3, column pcode" in text
    assert "row 4, column pcode: 'IQG01' is not a district or sub-district P-code" in text
    assert "row 5, column pcode: 'BAGHDAD' is not" in text
    assert "row 6, column population: population '-5' is negative" in text
    (tmp_path / "bare.csv").write_text("code,value\nIQG01Q01,3\n", encoding="utf-8")
    with pytest.raises(cpgeo.InputError, match=r"bare.csv.*no P-code and no population column"):
        read_area_table(tmp_path / "bare.csv")


def test_spreading_needs_areas_on_the_communities(tmp_path: Path) -> None:
    from cpgeo.admin import estimate_population

    table = pd.DataFrame({"pcode": ["IQG01Q01N01"], "level": [3],
                          "population": pd.array([5], dtype="Int64")})
    with pytest.raises(cpgeo.InputError, match="carry no sub-district P-codes"):
        estimate_population(cpgeo.load_demo().communities, table)


def test_cli_areas_joins_and_spreads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from cpgeo.cli import main

    boundaries = _write(_cod_frame(3), tmp_path / "adm3.gpkg")
    table = tmp_path / "pop.csv"
    pd.DataFrame({"ADM3_PCODE": ["IQG01Q01N01", "IQG01Q01N02", "IQG16Q09N01"],
                  "T_TL": [1000, 77, 5]}).to_csv(table, index=False)
    communities = tmp_path / "communities.csv"
    pd.DataFrame({"name": ["a", "b", "c", "far"], "lon": [40.2, 40.4, 40.5, 44.5],
                  "lat": [33.2, 33.2, 33.7, 33.7], "population": [100, None, None, 3]},
                 ).to_csv(communities, index=False)
    out = tmp_path / "estimated.gpkg"
    assert main(["areas", str(boundaries), "--population", str(table), "--communities",
                 str(communities), "-o", str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["level"] == 3 and payload["areas"] == 8
    assert payload["population_table"]["unmatched_pcodes"] == ["IQG16Q09N01"]
    assert "estimated from sub-district totals" in payload["estimate"]["method"]
    written = cpgeo.read_layer(out, "communities")
    assert written["population"].tolist() == [100, 900, 77, 3]
    offices = tmp_path / "offices.csv"
    pd.DataFrame({"id": ["o"], "name": ["o"], "lon": [40.5], "lat": [33.25]}).to_csv(offices)
    assert main(["areas", str(boundaries), "--population", str(table), "--offices",
                 str(offices), "--radius-km", "10", "--json"]) == 0
    reach = json.loads(capsys.readouterr().out)["catchments"]
    # a 10-km circle inside one 1 x 0.5 degree sub-district of 1,000 people
    assert 0 < reach["offices"][0]["population_by_area"] < 1000 * 0.1
    assert reach["covered"] == pytest.approx(reach["offices"][0]["population_by_area"])
    assert written["population_source"].tolist() == [
        "communities file", "estimated from sub-district totals",
        "estimated from sub-district totals", "communities file"]


def test_catchment_population_by_area_against_geodesic_areas() -> None:
    from pyproj import Geod

    from cpgeo.admin import catchment_population
    from cpgeo.maps import geodesic_circle

    geod = Geod(ellps="WGS84")
    # two sub-districts side by side, 1.5 degrees each; offices: one whose 50-km circle
    # lies inside the west one, one on the shared edge (half in each)
    west = shapely.segmentize(_box(40.0, 33.0, 41.5, 34.5), 0.01)
    east = shapely.segmentize(_box(41.5, 33.0, 43.0, 34.5), 0.01)
    areas = gpd.GeoDataFrame({"id": ["IQG01Q01N01", "IQG01Q01N02"]}, geometry=[west, east],
                             crs="EPSG:4326")
    table = pd.DataFrame({"pcode": ["IQG01Q01N01", "IQG01Q01N02", "IQG01Q02N01"],
                          "level": 3, "population": pd.array([600_000, 300_000, 7],
                                                             dtype="Int64")})
    offices = gpd.GeoDataFrame({"id": ["inside", "edge"], "name": ["a", "b"]},
                               geometry=gpd.points_from_xy([40.7, 41.5], [33.75, 33.75]),
                               crs="EPSG:4326")
    result = catchment_population(offices, areas, table, radius_km=50)

    def area(shape: shapely.Geometry) -> float:
        return abs(geod.geometry_area_perimeter(shapely.segmentize(shape, 0.005))[0])

    circle_a = geodesic_circle(40.7, 33.75, 50)
    expected_a = 600_000 * area(circle_a) / area(west)
    circle_b = geodesic_circle(41.5, 33.75, 50)
    expected_b = (600_000 * area(circle_b.intersection(west)) / area(west)
                  + 300_000 * area(circle_b.intersection(east)) / area(east))
    got = result.offices.set_index("id")["population_by_area"]
    assert got["inside"] == pytest.approx(expected_a, rel=2e-3)
    assert got["edge"] == pytest.approx(expected_b, rel=2e-3)
    # the offices are 74 km apart: the catchments overlap, and the covered count once
    union = circle_a.union(circle_b)
    expected_union = (600_000 * area(union.intersection(west)) / area(west)
                      + 300_000 * area(union.intersection(east)) / area(east))
    assert result.covered == pytest.approx(expected_union, rel=2e-3)
    assert result.covered < got.sum()
    assert result.total == 900_000  # the row without an area is not counted
    assert "area share" in result.method


def test_map_names_the_areas_it_draws(tmp_path: Path) -> None:
    from cpgeo import maps

    frame = _cod_frame(3)
    frame.loc[0, "ADM3_EN"] = "<img src=x onerror=alert(1)>"
    areas = read_layer(_write(frame, tmp_path / "adm3.gpkg"), "boundaries")
    scn = _scenario_with(areas)
    fig = cpgeo.figures(scn)
    html = maps.map_html(maps.build_map(scn, fig.coverage, fig.load, forums=fig.forums,
                                        radius_km=50))
    assert '"Sub-districts"' in html or "Sub-districts" in html
    assert "IQG01Q01N01" in html and "Al-Anbar D1 S2" in html
    assert "<img src=x" not in html


def test_proposal_changes_by_district_add_up(tmp_path: Path) -> None:
    from cpgeo.siting import plan_sites

    areas = read_layer(_write(_cod_frame(3), tmp_path / "adm3.gpkg"), "boundaries")
    scn = _scenario_with(areas)
    plan = plan_sites(scn, n_sites=2, governorates=("Anbar", "Salah al-Din"), method="greedy")
    by_gov = plan.change_by("governorate").set_index("governorate")
    by_district = plan.change_by("district")
    # each new office counts in its own district
    sites = plan.sites
    assert int(by_district["offices_change"].sum()) == len(sites) == 2
    for code in sites["district_pcode"].dropna():
        assert by_district.loc[by_district["district_pcode"] == code, "offices_change"].sum() >= 1
    # a governorate's district rows add up to its row, before and after
    for gov, rows in by_district.groupby("governorate"):
        for column in ("communities_within_radius_before", "communities_within_radius_after",
                       "offices_after", "forums_served_within_capacity_after"):
            assert rows[column].sum() == by_gov.loc[gov, column], (gov, column)
    total = plan.summary
    assert by_gov["communities_within_radius_change"].sum() == total.loc[
        "communities_within_radius", "change"]
    with pytest.raises(cpgeo.InputError, match="by district need district"):
        plan_sites(cpgeo.load_demo(), 1, method="greedy").change_by("district")


def test_layers_validated_in_memory_carry_their_districts(tmp_path: Path) -> None:
    from cpgeo.io import read_layer_frame

    areas = read_layer(_write(_cod_frame(2), tmp_path / "adm2.gpkg"), "boundaries")
    frame = pd.DataFrame({"name": ["a"], "lat": [33.7], "lon": [40.5]})
    layer = read_layer_frame(frame, "communities", boundaries=areas)
    assert layer["district_pcode"].tolist() == ["IQG01Q01"]
    assert layer["governorate"].tolist() == ["Anbar"]
