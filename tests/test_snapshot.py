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
from cpgeo.snapshot import SNAPSHOT_FILES, build_snapshot, export_snapshot, snapshot_zip

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
    return int(covered.sum()), int(communities["population"].to_numpy()[covered].sum())


def test_headline_matches_brute_force(demo):
    snap = build_snapshot(demo, radius_km=50)
    n, pop = _covered_population(demo.communities, demo.offices, 50)
    assert snap.headline["offices"] == len(demo.offices)
    assert snap.headline["forums"] == len(demo.cpfs)
    assert snap.headline["communities_covered"] == n
    assert snap.headline["population_covered"] == pop
    total = snap.by_governorate.set_index("governorate").loc["Total"]
    assert total["offices"] == len(demo.offices)
    assert total["forums"] == len(demo.cpfs)


def test_as_of_and_donor_filters(demo):
    day = dt.date(2018, 1, 1)
    snap = build_snapshot(demo, as_of=day)
    dates = pd.to_datetime(demo.offices["established"])
    assert snap.headline["offices"] == int((dates <= pd.Timestamp(day)).sum())
    assert snap.headline["offices"] < len(demo.offices)
    assert snap.date == day
    donor = "Germany"
    snap = build_snapshot(demo, donor="germany")
    expect = demo.offices[demo.offices["donor"] == donor]
    assert snap.headline["offices"] == len(expect)
    n, pop = _covered_population(demo.communities, expect, 50)
    assert snap.headline["population_covered"] == pop
    by_donor = build_snapshot(demo).by_donor.set_index("donor")
    assert by_donor.loc[donor, "offices"] == len(expect)
    assert by_donor.loc[donor, "communities_covered"] == n


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
    figures = pd.read_csv(out / "figures.csv")
    row = figures[(figures["table"] == "headline") & (figures["metric"] == "offices")]
    assert float(row["value"].iloc[0]) == snap.headline["offices"]
    layers = {name for name, _ in pyogrio.list_layers(out / "layers.gpkg")}
    assert {"boundaries", "communities", "offices", "cpfs"} <= layers
    # a second export replaces the folder as a whole, leaving no temporary folder behind
    (out / "stale.txt").write_text("old", encoding="utf-8")
    export_snapshot(snap, out)
    assert not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]


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
