"""The ``cpgeo`` command line: tables on stdout, outputs by extension, exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import cpgeo
from cpgeo.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_coverage_on_demo_prints_summary_and_notice(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "coverage")
    assert code == 0
    assert "ILLUSTRATIVE" in out
    for governorate in ("Salah al-Din", "Anbar", "Diyala", "Ninewa"):
        assert governorate in out
    # counts print as whole numbers with separators, shares as percentages
    assert ".0 " not in out and "Share of the population within the radius:" in out


def test_radius_changes_the_answer(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    counts = []
    for radius in ("30", "80"):
        out_file = tmp_path / f"c{radius}.csv"
        assert _run(capsys, "coverage", "--radius-km", radius, "-o", str(out_file))[0] == 0
        counts.append(pd.read_csv(out_file)["covered"].sum())
    assert counts[0] < counts[1]


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".csv"])
def test_outputs_by_extension(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              suffix: str) -> None:
    out_file = tmp_path / f"offices{suffix}"
    code, out, _ = _run(capsys, "load", "-o", str(out_file))
    assert code == 0
    assert f"wrote {out_file}" in out
    frame = pd.read_csv(out_file) if suffix == ".csv" else gpd.read_file(out_file)
    assert len(frame) == 7
    assert {"n_cpfs", "over_capacity"} <= set(frame.columns)
    assert not list(tmp_path.glob("*.tmp*"))


def test_load_reports_overload_and_reassignment(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "load")
    assert code == 0
    assert "Offices over capacity: 2" in out
    assert "OFF-MOS" in out and "OFF-BAQ" in out
    assert "no_office_in_range" in out and "out_of_range" in out
    # the sentence counts the same forums without an office in range as the figure
    fig = cpgeo.figures(cpgeo.load_demo())
    assert f"Forums with no office in range: {fig['forums_without_office_in_range']}" in out
    assert f"{fig['forums_without_office_in_range']} forums have no office within 50 km" in out


def test_figures_json_is_the_figures_function(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "figures", "--json", "--radius-km", "60", "--max-cpfs", "4")
    assert code == 0
    payload = json.loads(out)
    fig = cpgeo.figures(cpgeo.load_demo(), radius_km=60, max_cpfs=4)
    assert payload["figures"] == fig.as_dict()
    assert list(payload["figures"]) == list(cpgeo.FIGURE_KEYS)
    rows = {r["governorate"]: r for r in payload["by_governorate"]}
    for row in fig.by_governorate.itertuples(index=False):
        assert rows[row.governorate]["offices"] == row.offices
    assert payload["illustrative_layers"] == ["offices", "cpfs", "stations"]
    for command in ("coverage", "load"):
        code, out, _ = _run(capsys, command, "--json")
        assert code == 0
        got = json.loads(out)["figures"]
        assert got == {k: cpgeo.figures(cpgeo.load_demo())[k] for k in got}


def test_notice_names_the_demo_layers_still_in_use(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    offices = tmp_path / "offices.csv"
    offices.write_text("id,name,latitude,longitude\nA,Ramadi,33.42,43.31\n")
    code, out, _ = _run(capsys, "figures", "--offices", str(offices))
    assert code == 0
    notice = next(line for line in out.splitlines() if line.startswith("NOTE:"))
    assert "forums and candidate police stations" in notice
    assert "offices" not in notice.replace("police stations", "")
    code, out, _ = _run(capsys, "figures", "--offices", str(offices), "--json")
    assert json.loads(out)["illustrative_layers"] == ["cpfs", "stations"]


def test_missing_file_is_one_line_exit_2(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    code, _, err = _run(capsys, "coverage", "--offices", str(tmp_path / "nope.csv"))
    assert code == 2
    assert "nope.csv" in err
    assert len(err.strip().splitlines()) == 1


def test_swapped_coordinates_name_the_row(capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    bad = tmp_path / "offices.csv"
    # Tikrit with latitude and longitude exchanged in the second data row
    bad.write_text("id,name,latitude,longitude\nA,Ramadi,33.42,43.31\nB,Tikrit,43.68,34.62\n")
    code, _, err = _run(capsys, "load", "--offices", str(bad))
    assert code == 2
    assert "offices.csv" in err and "swapped" in err
    assert "row 3" in err and "latitude" in err


def test_bad_radius_and_output_are_rejected(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    code, _, err = _run(capsys, "coverage", "--radius-km", "-5")
    assert code == 2 and "--radius-km" in err
    code, _, err = _run(capsys, "coverage", "-o", str(tmp_path / "out.shp"))
    assert code == 2 and ".gpkg" in err


def _adm1_file(tmp_path: Path) -> Path:
    """One COD-AB style governorate (Anbar, by its P-code) as a GeoPackage."""
    import geopandas as gpd
    import shapely

    path = tmp_path / "adm1.gpkg"
    gpd.GeoDataFrame({"ADM1_PCODE": ["IQG01"], "ADM1_EN": ["Al-Anbar"]},
                     geometry=[shapely.box(39.0, 32.0, 44.0, 35.0)], crs="EPSG:4326",
                     ).to_file(path)
    return path


def test_outside_km_sets_how_far_beyond_the_border_a_point_may_lie(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # 10 km and 37 km west of the Syrian border near Al-Qaim (the embedded boundary)
    communities = tmp_path / "c.csv"
    communities.write_text("name,lat,lon\nnear,34.37,40.55\nfar,34.37,40.0\n",
                           encoding="utf-8")
    code, _, err = _run(capsys, "coverage", "--communities", str(communities))
    assert code == 2 and "row 3" in err and "row 2" not in err
    code, _, err = _run(capsys, "coverage", "--communities", str(communities),
                        "--outside-km", "0")
    assert code == 2 and "row 2" in err and "row 3" in err and "more than 0 km" in err
    code, out, err = _run(capsys, "coverage", "--communities", str(communities),
                          "--outside-km", "0", "--leave-out-bad-rows", "--json")
    assert code == 2 and "nothing to load" in err
    code, _, err = _run(capsys, "coverage", "--communities", str(communities),
                        "--outside-km", "-1")
    assert code == 2 and "--outside-km must be 0 or more" in err
    code, out, _ = _run(capsys, "coverage", "--communities", str(communities),
                        "--outside-km", "50", "--json")
    assert code == 0 and json.loads(out)["figures"]["communities"] == 2
    # the tolerance was this command's only
    from cpgeo import settings

    assert settings.outside_iraq_tolerance_km == 25.0


def road_and_raster(tmp_path: Path) -> tuple[Path, Path]:
    """Ramadi -> Fallujah by one road, a police station at Fallujah; a raster of people."""
    import numpy as np
    from test_network import write_osm
    from test_population import from_origin, write_raster

    roads = write_osm(
        tmp_path / "roads.osm",
        {1: (43.30778, 33.42056), 2: (43.78599, 33.34913, {"amenity": "police"})},
        {10: ([1, 2], {"highway": "primary"})},
    )
    raster = write_raster(
        tmp_path / "people.tif",
        np.full((20, 20), 10.0),
        crs="EPSG:4326",
        transform=from_origin(43.0, 33.6, 0.05, 0.05),
    )
    return roads, raster


def test_every_command_speaks_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--json on every command: one JSON document on stdout, nothing else."""
    roads, raster = road_and_raster(tmp_path)
    users = tmp_path / "users.toml"
    users.write_text('[users."dora@donor.example.org"]\nrole = "donor"\n', encoding="utf-8")
    runs = {
        "figures": ["figures"],
        "coverage": ["coverage"],
        "load": ["load"],
        "propose": ["propose", "--sites", "1", "--method", "greedy", "--save",
                    str(tmp_path / "plan.gpkg")],
        "plans": ["plans", str(tmp_path / "plan.gpkg")],
        "snapshot": ["snapshot", "-o", str(tmp_path / "snap")],
        "osm": ["osm", "stations", "--xml", str(roads), "-o", str(tmp_path / "st.gpkg")],
        "roads": ["roads", "--graph-xml", str(roads)],
        "templates": ["templates", str(tmp_path / "templates")],
        "areas": ["areas", str(_adm1_file(tmp_path))],
        "users": ["users", "list", str(users)],
        "population": ["population", str(raster)],
    }
    import argparse

    from cpgeo.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(runs) == set(sub.choices), "a command without a --json check"
    for name, argv in runs.items():
        code, out, err = _run(capsys, *argv, "--json")
        assert code == 0, (name, err)
        payload = json.loads(out)  # fails on any stray line ("wrote ...", solver banners)
        assert isinstance(payload, dict), name
    assert payload["offices"][0]["population_within"] >= 0


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from cpgeo.cli import main; rc = main(['coverage']); "
        "sys.stdout.flush(); sys.exit(rc)"
    )
    child = subprocess.run(
        f'"{sys.executable}" -c "{code}" | head -3',
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert len(child.stdout.splitlines()) == 3
    assert "Traceback" not in child.stderr and "BrokenPipe" not in child.stderr, child.stderr


def test_exact_solves_print_no_solver_banner(capsys: pytest.CaptureFixture[str]) -> None:
    import os
    import subprocess
    import sys

    child = subprocess.run(
        [sys.executable, "-m", "cpgeo.cli", "propose", "--sites", "2", "--method", "exact",
         "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ),
    )
    assert child.returncode == 0, child.stderr
    assert "HiGHS" not in child.stdout and "Copyright" not in child.stdout
    assert json.loads(child.stdout)["optimal"] is True


def test_every_error_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cpgeo.snapshot

    def broken(*args, **kwargs):
        msg = "radius_km must be a positive number, got 0"
        raise ValueError(msg)

    monkeypatch.setattr(cpgeo.snapshot, "build_snapshot", broken)
    code, _, err = _run(capsys, "snapshot", "-o", str(tmp_path / "s"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "radius_km" in err
    monkeypatch.undo()
    # an output "folder" that is a file: the operating system refuses the write
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = _run(capsys, "load", "-o", str(blocker / "out.csv"))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "not_a_folder" in err


def test_propose_sensitivity_by_road(tmp_path, capsys):
    """``--sensitivity-roads``: each radius is tried along the roads too, in the JSON."""
    from test_network import write_osm

    # a short road by Ramadi: the demo's Ramadi places join it, the rest are off it
    nodes = {1: (43.25, 33.42), 2: (43.30, 33.42), 3: (43.35, 33.43)}
    roads = write_osm(tmp_path / "roads.osm", nodes, {10: ([1, 2, 3], {"highway": "primary"})})
    code = main(["propose", "--sites", "2", "--method", "greedy", "--sensitivity", "50",
                 "--sensitivity-roads", str(roads), "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    cases = payload["sensitivity"]["cases"]
    assert cases == ["rank at 50 km", "rank at 50 km by road"]
    assert all(cases[1] in site for site in payload["sensitivity"]["sites"])
    assert main(["propose", "--sites", "2", "--sensitivity", "50"]) == 2
    assert "at least two different radii" in capsys.readouterr().err


def _offices_with_bad_rows(path: Path) -> Path:
    # row 3 has no latitude, rows 2 and 5 share an id: only row 4 is good
    path.write_text(
        "id,name,latitude,longitude\n"
        "A,Ramadi,33.42,43.31\n"
        "B,=HYPERLINK(\"http://x\"),,43.3\n"
        "C,Tikrit,34.6158,43.6786\n"
        "A,@SUM(1),36.335,43.1189\n",
        encoding="utf-8",
    )
    return path


def test_bad_rows_refuse_the_file_and_the_message_names_the_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    offices = _offices_with_bad_rows(tmp_path / "offices.csv")
    code, _, err = _run(capsys, "figures", "--offices", str(offices))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "offices.csv: 2 problems" in err and "row 3" in err
    assert "add --leave-out-bad-rows" in err
    # a problem of the whole file is not mended by leaving rows out: no flag named
    code, _, err = _run(capsys, "figures", "--offices", str(tmp_path / "nope.csv"))
    assert code == 2 and "file not found" in err and "--leave-out-bad-rows" not in err


def test_leave_out_bad_rows_flag_loads_the_rest_and_writes_them(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    offices = _offices_with_bad_rows(tmp_path / "offices.csv")
    listed = tmp_path / "left_out.csv"
    code, out, err = _run(capsys, "figures", "--offices", str(offices), "--json",
                          "--leave-out-bad-rows", "--left-out", str(listed))
    assert code == 0
    payload = json.loads(out)  # stdout stays JSON: the report goes to stderr
    assert payload["illustrative_layers"] == ["cpfs", "stations"]
    ref = cpgeo.figures(
        cpgeo.load_demo().with_user_layers(
            {"offices": cpgeo.read_layer(offices, "offices", bad_rows="leave_out")},
            {"offices": "x"},
        )
    )
    assert payload["figures"] == ref.as_dict()
    assert f"{offices}: offices: left out 3 of 4 rows: 2 sharing an id, 1 missing" in err
    assert "  row 3: column latitude: missing coordinate" in err
    assert "  row 5: column id: duplicate id 'A' (rows 2, 5: all of them left out)" in err
    assert f"wrote the 3 rows left out to {listed}" in err
    table = pd.read_csv(listed, dtype=str, keep_default_na=False)
    assert table.columns.tolist() == ["layer", "row", "reasons", "id", "name", "latitude",
                                      "longitude"]
    assert table["row"].tolist() == ["2", "3", "5"]
    assert set(table["layer"]) == {"offices"}
    # cells a spreadsheet would run are neutralised, as in every CSV cpgeo writes
    assert table["name"].tolist() == ["Ramadi", "'=HYPERLINK(\"http://x\")", "'@SUM(1)"]
    assert table["latitude"].tolist() == ["33.42", "", "36.335"]
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically, nothing left behind
    # the kept rows are the layer used: Tikrit's office alone
    code, out, _ = _run(capsys, "load", "--offices", str(offices), "--leave-out-bad-rows",
                        "--json")
    assert code == 0
    assert [o["id"] for o in json.loads(out)["offices"]] == ["C"]


def test_left_out_file_needs_the_flag_and_a_csv_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    offices = _offices_with_bad_rows(tmp_path / "offices.csv")
    code, _, err = _run(capsys, "figures", "--offices", str(offices),
                        "--left-out", str(tmp_path / "l.csv"))
    assert code == 2 and "add --leave-out-bad-rows" in err and "--left-out" in err
    code, _, err = _run(capsys, "figures", "--offices", str(offices), "--leave-out-bad-rows",
                        "--left-out", str(tmp_path / "l.gpkg"))
    assert code == 2 and "end its name in .csv" in err
    assert not list(tmp_path.glob("l.*"))


@pytest.mark.parametrize("where", ["before", "after"])
def test_lang_sets_the_tables_words_and_leaves_json_alone(
    capsys: pytest.CaptureFixture[str], where: str
) -> None:
    from cpgeo.i18n import governorate_name
    from cpgeo.labels import label

    argv = ["--lang", "ar", "coverage"] if where == "before" else ["coverage", "--lang", "ar"]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    for key in ("governorate", "population_within_radius", "nearest_office_km"):
        assert label(key, "ar") in out, key
    assert governorate_name("Ninewa", "ar") in out
    for english in ("Governorate", "Population within the radius", "By governorate"):
        assert english not in out, english
    # Kurdish for the load table; English stays the default
    code, out, _ = _run(capsys, "load", "--lang", "ckb")
    assert code == 0 and label("over_capacity", "ckb") in out
    assert "Over capacity" in _run(capsys, "load")[1]
    # --json: the same keys and numbers in every language
    english = json.loads(_run(capsys, "figures", "--json")[1])
    arabic = json.loads(_run(capsys, "--lang", "ar", "figures", "--json")[1])
    assert arabic == english
    with pytest.raises(SystemExit) as exit_:
        main(["coverage", "--lang", "fr"])
    assert exit_.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err
