"""Public and restricted snapshots: what each writes, and how a restricted one is marked."""

from __future__ import annotations

import sqlite3
import zipfile
from io import BytesIO
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from PIL import Image
from pypdf import PdfReader

import cpgeo
from cpgeo.cli import main
from cpgeo.snapshot import (
    MARKING,
    RESTRICTED_FILES,
    SNAPSHOT_FILES,
    WHOLE_NETWORK,
    build_snapshot,
    donor_table,
    export_snapshot,
    snapshot_zip,
    zip_name,
)


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


@pytest.fixture(scope="module")
def exported(demo: cpgeo.Scenario, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("kinds")
    return {
        kind: export_snapshot(build_snapshot(demo, kind=kind, donor="Canada"), root / kind)
        for kind in ("public", "restricted")
    }


def test_public_is_the_default_and_names_its_files_plainly(demo, exported) -> None:
    assert build_snapshot(demo).kind == "public"
    assert build_snapshot(demo, donor="Germany").kind == "public"
    assert sorted(p.name for p in exported["public"].iterdir()) == sorted(SNAPSHOT_FILES)
    assert sorted(p.name for p in exported["restricted"].iterdir()) == sorted(RESTRICTED_FILES)
    assert all(name.startswith(f"{MARKING}-") for name in RESTRICTED_FILES)
    with pytest.raises(cpgeo.InputError, match="not one of public, restricted"):
        build_snapshot(demo, kind="secret")


def test_public_layers_hold_areas_and_boundaries_only(exported) -> None:
    layers = {name for name, _ in pyogrio.list_layers(exported["public"] / "layers.gpkg")}
    assert layers == {"areas", "boundaries"}
    areas = pyogrio.read_dataframe(exported["public"] / "layers.gpkg", layer="areas")
    # an area the boundaries do not draw (Halabja in the demo) has no shape, only figures
    assert set(areas.geometry.dropna().geom_type) <= {"Polygon", "MultiPolygon"}
    boundaries = pyogrio.read_dataframe(exported["public"] / "layers.gpkg", layer="boundaries")
    assert "source_name" not in boundaries.columns  # only names and P-codes of areas
    figures = pd.read_csv(exported["public"] / "figures.csv", dtype=str)
    assert "district" not in set(figures["table"])


def test_every_restricted_file_is_marked_in_its_metadata(exported) -> None:
    folder = exported["restricted"]
    # GeoPackage: every layer's description; opening it leaves no .aux.xml beside it
    with sqlite3.connect(folder / f"{MARKING}-layers.gpkg") as db:
        descriptions = [d for (d,) in db.execute("select description from gpkg_contents")]
    assert descriptions and all(MARKING in d for d in descriptions)
    pyogrio.read_info(folder / f"{MARKING}-layers.gpkg", layer="offices")
    assert not list(folder.glob("*.aux.xml"))
    # PNG: its text chunks
    with Image.open(folder / f"{MARKING}-map.png") as png:
        assert any(MARKING in str(v) for v in png.info.values()), png.info
    # PDF: the title and every page
    reader = PdfReader(folder / f"{MARKING}-report.pdf")
    assert MARKING in (reader.metadata.title or "")
    assert all(MARKING in page.extract_text() for page in reader.pages)
    # HTML: the document's title and the page
    html = (folder / f"{MARKING}-map.html").read_text(encoding="utf-8")
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert MARKING in title
    summary = (folder / f"{MARKING}-summary.md").read_text(encoding="utf-8").splitlines()
    assert MARKING in summary[0] and MARKING in summary[-1]


def test_public_files_are_not_marked_and_state_the_rule(exported) -> None:
    folder = exported["public"]
    with sqlite3.connect(folder / "layers.gpkg") as db:
        descriptions = [d for (d,) in db.execute("select description from gpkg_contents")]
    assert not any(MARKING in d for d in descriptions)
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    text = " ".join(p.extract_text() for p in PdfReader(folder / "report.pdf").pages)
    assert "No office, forum or station location is shown" in summary
    assert "No office, forum or station location is shown" in " ".join(text.split())
    assert MARKING not in text


def test_the_zip_is_named_and_marked_by_kind(demo) -> None:
    restricted = build_snapshot(demo, kind="restricted")
    assert zip_name(restricted).startswith(f"{MARKING}-")
    assert not zip_name(build_snapshot(demo)).startswith(MARKING)
    archive = zipfile.ZipFile(BytesIO(snapshot_zip(restricted)))
    assert all(n.startswith(f"{MARKING}-") for n in archive.namelist())
    assert MARKING.encode() in archive.comment


def test_kinds_are_never_mixed_in_one_folder(demo, tmp_path) -> None:
    out = export_snapshot(build_snapshot(demo, kind="restricted"), tmp_path / "s")
    with pytest.raises(cpgeo.InputError, match="holds a restricted snapshot"):
        export_snapshot(build_snapshot(demo), out)
    assert sorted(p.name for p in out.iterdir()) == sorted(RESTRICTED_FILES)
    public = export_snapshot(build_snapshot(demo), tmp_path / "p")
    with pytest.raises(cpgeo.InputError, match="holds a public snapshot"):
        export_snapshot(build_snapshot(demo, kind="restricted"), public)


def test_the_donor_table_ends_with_the_de_duplicated_whole(demo) -> None:
    snap = build_snapshot(demo)
    table = donor_table(snap)
    last = table.iloc[-1]
    assert last["donor"] == WHOLE_NETWORK
    assert last["population_within_radius_attributed"] == snap.figures["population_within_radius"]
    assert last["offices"] == snap.figures["offices"] == table.iloc[:-1]["offices"].sum()
    # attributed coverage overlaps: the donors' rows add up to more than the whole
    donors = table.iloc[:-1]["population_within_radius_attributed"].sum()
    assert donors > last["population_within_radius_attributed"]


def test_cli_kinds(tmp_path, capsys) -> None:
    assert main(["snapshot", "--generalise", "grid", "-o", str(tmp_path / "pub")]) == 0
    printed = capsys.readouterr().out
    assert "grid cells of 0.5 degrees" in printed
    assert "By area (grid)" in printed
    assert main(["snapshot", "--kind", "restricted", "-o", str(tmp_path / "res")]) == 0
    assert MARKING in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "res").iterdir()) == sorted(RESTRICTED_FILES)
    assert main(["snapshot", "--generalise", "district", "-o", str(tmp_path / "x")]) == 2
    assert "needs COD-AB district" in capsys.readouterr().err
