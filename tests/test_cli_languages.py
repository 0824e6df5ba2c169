"""The command line's tables and lines in Arabic and Kurdish (``cpgeo --lang ar ...``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_cli import _adm1_file, road_and_raster

from cpgeo import i18n
from cpgeo.cli import main

TRANSLATED = [code for code in i18n.LANGUAGES if code != "en"]
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]*")
# ids (OFF-RAM, osm:node/2) are codes, not words
IDS = re.compile(r"\b[A-Z]{2,}-[A-Z0-9]+\b|\bosm:\w+/\d+")
# the marking of illustrative data, P-codes
KEPT = {"ILLUSTRATIVE", "DATA", "P", "code"}


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    tmp = tmp_path_factory.mktemp("cli")
    roads, raster = road_and_raster(tmp)
    return {
        "osm": ["osm", "stations", "--xml", str(roads), "-o", str(tmp / "st.gpkg")],
        "roads": ["roads", "--graph-xml", str(roads)],
        "areas": ["areas", str(_adm1_file(tmp))],
        "population": ["population", str(raster)],
    }


@pytest.mark.parametrize("lang", TRANSLATED)
def test_tables_and_lines_are_in_the_language(
    commands: dict[str, list[str]], lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, argv in commands.items():
        assert main(["--lang", lang, *argv]) == 0, name
        out = capsys.readouterr().out
        paths = {w for arg in argv for w in LATIN_WORD.findall(arg)}
        lines = [line for line in out.splitlines() if line.strip()]
        assert lines, name
        for line in lines:
            words = LATIN_WORD.findall(IDS.sub(" ", line))
            left = [w for w in words if w not in KEPT | paths]
            assert not left, (name, line, left)


def test_a_refused_file_is_explained_in_the_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    offices = tmp_path / "mine.csv"
    offices.write_text("id,latitude,longitude\nA,34.6,43.6\nB,,43.6\n", encoding="utf-8")
    assert main(["--lang", "ar", "coverage", "--offices", str(offices)]) == 2
    err = capsys.readouterr().err
    assert "الصف 3، العمود latitude: إحداثية مفقودة" in err
    assert "لتحميل الملف دون هذه الصفوف، أضف --leave-out-bad-rows" in err
