"""Template files read back as they are, say they are examples, and cover what cpgeo reads."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import cpgeo
from cpgeo.admin import read_area_table
from cpgeo.cli import main
from cpgeo.templates import EXAMPLE, TEMPLATE_KINDS, template, template_csv


@pytest.mark.parametrize("kind", [k for k in TEMPLATE_KINDS if k != "population"])
def test_point_templates_read_back(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(template_csv(kind))
    layer = cpgeo.read_layer(path, kind)
    frame = template(kind).frame()
    assert len(layer) == len(frame) == 2
    assert layer["id"].tolist() == frame["id"].tolist()
    assert layer["governorate"].tolist() == ["Salah al-Din", "Anbar"]
    assert layer["name"].str.startswith(EXAMPLE).all()
    # every column of the template survives the reading (coordinates become geometry)
    kept = set(frame.columns) - {"latitude", "longitude"}
    assert kept <= set(layer.columns)


def test_population_template_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "population.csv"
    path.write_bytes(template_csv("population"))
    table = read_area_table(path)
    assert table["pcode"].tolist() == ["IQG16Q06N01", "IQG01Q03N03"]
    assert table["population"].isna().all()  # to be filled in, not invented


def test_templates_carry_the_columns_cpgeo_reads() -> None:
    assert {"population"} <= set(template("communities").guide)
    assert {"office_id", "established", "donor"} <= set(template("cpfs").guide)
    assert {"established", "donor"} <= set(template("offices").guide)
    assert {"cost"} <= set(template("stations").guide)
    with pytest.raises(cpgeo.InputError, match="no template for 'roads'"):
        template("roads")


def test_cli_writes_templates_and_guide(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["templates", str(tmp_path / "t"), "--json"]) == 0
    written = [Path(p) for p in json.loads(capsys.readouterr().out)["written"]]
    assert {p.name for p in written} == {f"{k}_template.csv" for k in TEMPLATE_KINDS} | {
        "columns_guide.csv"
    }
    guide = pd.read_csv(tmp_path / "t" / "columns_guide.csv", encoding="utf-8-sig")
    assert set(guide["kind"]) == set(TEMPLATE_KINDS)
    assert not any(tmp_path.joinpath("t").glob(".*"))  # no temporary file left behind
    for path in written:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # spreadsheets read it as UTF-8
