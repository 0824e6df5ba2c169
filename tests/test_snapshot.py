"""Donor footprint snapshots: figures, filters, the exported files and the CLI."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from io import BytesIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import Geod

import cpgeo
from cpgeo.cli import main
from cpgeo.snapshot import (
    ATTRIBUTION_NOTE,
    SNAPSHOT_FILES,
    build_snapshot,
    export_snapshot,
    snapshot_zip,
    summary_text,
)

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


def _covered_population(communities: gpd.GeoDataFrame, offices: gpd.GeoDataFrame, km: float):
    """Brute-force reference with pyproj: (communities covered, population covered)."""
    cx, cy = communities.geometry.x.to_numpy(), communities.geometry.y.to_numpy()
    covered = np.zeros(len(communities), dtype=bool)
    for ox, oy in zip(offices.geometry.x, offices.geometry.y, strict=True):
        _, _, d = GEOD.inv(np.full(len(cx), ox), np.full(len(cx), oy), cx, cy)
        covered |= d <= km * 1000
    population = pd.to_numeric(communities["population"], errors="coerce").fillna(0)
    return int(covered.sum()), int(population.to_numpy()[covered].sum())


def test_figures_match_brute_force(demo):
    snap = build_snapshot(demo, radius_km=50)
    n, pop = _covered_population(demo.communities, demo.offices, 50)
    assert snap.figures["offices"] == len(demo.offices)
    assert snap.figures["forums"] == len(demo.cpfs)
    assert snap.figures["communities_within_radius"] == n
    assert snap.figures["population_within_radius"] == pop
    assert snap.figures.as_dict() == cpgeo.figures(demo).as_dict()
    # no "Total" row in the library's tables; rows add up to the figures
    assert "Total" not in set(snap.by_governorate["governorate"].dropna())
    total = snap.figures.subtotal()
    assert total["offices"] == len(demo.offices)
    assert total["forums"] == len(demo.cpfs)
    assert total["population_within_radius"] == pop


def test_as_of_and_donor_filters(demo):
    day = dt.date(2018, 1, 1)
    snap = build_snapshot(demo, as_of=day)
    dates = pd.to_datetime(demo.offices["established"])
    assert snap.figures["offices"] == int((dates <= pd.Timestamp(day)).sum())
    assert snap.figures["offices"] < len(demo.offices)
    assert snap.date == day
    donor = "Germany"
    snap = build_snapshot(demo, donor="germany")
    expect = demo.offices[demo.offices["donor"] == donor]
    mine = snap.donor_figures()
    assert snap.donor == donor
    assert mine["offices"] == len(expect) == len(snap.load)
    n, pop = _covered_population(demo.communities, expect, 50)
    assert mine["communities_within_radius_attributed"] == n
    assert mine["population_within_radius_attributed"] == pop
    # the whole network's figures stay the whole network's
    assert snap.figures.as_dict() == cpgeo.figures(demo).as_dict()
    by_donor = build_snapshot(demo).by_donor.set_index("donor")
    assert by_donor.loc[donor, "offices"] == len(expect)
    assert by_donor.loc[donor, "communities_within_radius_attributed"] == n


def test_a_forums_status_is_the_whole_networks(demo):
    # a Germany-funded forum declared to an office another donor funds
    status = cpgeo.figures(demo).forums
    others = demo.offices.loc[demo.offices["donor"] != "Germany", "id"]
    near = status.index[
        status["assigned_office"].isin(others).to_numpy() & (status["status"] == "in_range")
    ][0]
    office = demo.offices.set_index("id").loc[status.loc[near, "assigned_office"]]
    office["id"] = status.loc[near, "assigned_office"]
    forums = demo.cpfs.copy()
    forums.loc[near, "donor"] = "Germany"
    forums.loc[near, "office_id"] = office["id"]
    scn = demo.with_layers(cpfs=forums)
    whole = cpgeo.figures(scn).forums.set_index("id")
    snap = build_snapshot(scn, donor="Germany")
    shown = snap.forums.set_index("id")
    forum_id = forums.loc[near, "id"]
    assert forum_id in shown.index
    assert shown.loc[forum_id, "status"] == whole.loc[forum_id, "status"]
    assert shown.loc[forum_id, "assigned_office"] == office["id"]
    # the donor's forum figures agree with the statuses drawn
    mine = snap.donor_figures()
    assert mine["forums_without_office_in_range"] == int((shown["offices_in_range"] == 0).sum())
    assert mine["forums"] == len(shown)


def test_donor_figures_are_attributed_and_say_so(demo, tmp_path):
    snap = build_snapshot(demo)
    by_donor = snap.by_donor
    total = snap.figures["population_within_radius"]
    # catchments overlap: the donors' attributed populations add up to more than the total
    assert by_donor["population_within_radius_attributed"].sum() > total
    text = summary_text(snap)
    assert ATTRIBUTION_NOTE in text
    assert f"{total:,} people" in text


def test_bad_filters(demo):
    with pytest.raises(cpgeo.InputError, match="not a date"):
        build_snapshot(demo, as_of="21/11/2026")
    with pytest.raises(cpgeo.InputError, match="known donors"):
        build_snapshot(demo, donor="Atlantis")
    no_donor = demo.with_layers(
        offices=demo.offices.drop(columns="donor"), cpfs=demo.cpfs.drop(columns="donor")
    )
    with pytest.raises(cpgeo.InputError, match="no donor column"):
        build_snapshot(no_donor, donor="Germany")


def test_export_writes_every_file_offline(demo, tmp_path):
    snap = build_snapshot(demo, as_of="2019-06-30")
    out = export_snapshot(snap, tmp_path / "snap")
    assert sorted(p.name for p in out.iterdir()) == sorted(SNAPSHOT_FILES)
    html = (out / "map.html").read_text(encoding="utf-8")
    sources = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=[\"']([^\"']*)", html, re.I)
    assert sources and all(s.startswith("data:") for s in sources)
    assert re.search(r"https?://", html) is None
    assert (out / "map.png").read_bytes()[:4] == b"\x89PNG"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert demo.notice in summary
    assert "2019-06-30" in summary
    for source in demo.sources.values():
        assert source in summary
    figures = pd.read_csv(out / "figures.csv", dtype=str, keep_default_na=False)
    whole = figures[figures["table"] == "figures"].set_index("key")["value"]
    for key, value in snap.figures.items():
        # counts are written as whole numbers ("7", never "7.0"), unknown as empty
        expected = "" if value is None else repr(value) if isinstance(value, float) else str(value)
        assert whole[key] == expected, key
    layers = {name for name, _ in pyogrio.list_layers(out / "layers.gpkg")}
    assert layers == {"areas", "boundaries"}  # public: no layer of sites
    exact = export_snapshot(build_snapshot(demo, kind="restricted"), tmp_path / "exact")
    layers = {name for name, _ in pyogrio.list_layers(exact / "RESTRICTED-layers.gpkg")}
    assert {"boundaries", "communities", "offices", "cpfs"} <= layers
    # a second export replaces the snapshot's own files, leaving no temporary folder
    before = (out / "summary.md").stat().st_mtime_ns
    export_snapshot(snap, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(SNAPSHOT_FILES)
    assert (out / "summary.md").stat().st_mtime_ns >= before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exact", "snap"]


def test_export_never_deletes_what_it_did_not_write(demo, tmp_path):
    snap = build_snapshot(demo)
    desktop = tmp_path / "Desktop"
    desktop.mkdir()
    (desktop / "thesis.docx").write_bytes(b"years of work")
    (desktop / "photos").mkdir()
    listed = re.escape("not a cpgeo snapshot's (photos, thesis.docx)")
    with pytest.raises(cpgeo.InputError, match=listed):
        export_snapshot(snap, desktop)
    assert (desktop / "thesis.docx").read_bytes() == b"years of work"
    assert sorted(p.name for p in desktop.iterdir()) == ["photos", "thesis.docx"]
    # an earlier snapshot with a file of the user's added to it: refused as well
    out = export_snapshot(snap, tmp_path / "snap")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(cpgeo.InputError, match=r"notes\.txt"):
        export_snapshot(snap, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    # a file where the folder should be
    with pytest.raises(cpgeo.InputError, match="is a file, not a folder"):
        export_snapshot(snap, desktop / "thesis.docx")


def test_cli_snapshot_into_a_folder_of_other_files(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("keep", encoding="utf-8")
    assert main(["snapshot", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "keep.txt" in err and len(err.strip().splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_zip_contains_every_file(demo):
    archive = zipfile.ZipFile(BytesIO(snapshot_zip(build_snapshot(demo))))
    assert sorted(n.split("/")[-1] for n in archive.namelist()) == sorted(SNAPSHOT_FILES)


def test_cli_snapshot(tmp_path, capsys):
    assert main(["snapshot", "--donor", "Canada", "-o", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "ILLUSTRATIVE DATA" in printed
    assert "By donor" in printed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(SNAPSHOT_FILES)
    assert main(["snapshot", "--as-of", "yesterday", "-o", str(tmp_path / "x")]) == 2
    assert "not a date" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_figures_csv_lets_no_formula_through(demo, tmp_path):
    offices = demo.offices.copy()
    offices.loc[0, "donor"] = '=HYPERLINK("http://evil.example","click")'
    snap = build_snapshot(demo.with_layers(offices=offices), kind="restricted")
    out = export_snapshot(snap, tmp_path / "snap")
    table = pd.read_csv(out / "RESTRICTED-figures.csv", dtype=str, keep_default_na=False)
    groups = table.loc[table["table"] == "donor", "group"]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in set(groups)
    assert not any(g.startswith("=") for g in table["group"])
    # the GeoPackage keeps the text as it is
    layer = pyogrio.read_dataframe(out / "RESTRICTED-layers.gpkg", layer="offices")
    assert layer["donor"].iloc[0].startswith("=HYPERLINK")
