"""Snapshots in Arabic and Kurdish: the words in the language, the data keys unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from PIL import Image
from pypdf import PdfReader

import cpgeo
from cpgeo.cli import main
from cpgeo.i18n import gettext, governorate_name
from cpgeo.snapshot import (
    MARKING,
    RESTRICTED_FILES,
    SNAPSHOT_FILES,
    build_snapshot,
    export_snapshot,
    marking,
    report_title,
    summary_text,
)

ARABIC = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


@pytest.fixture(scope="module")
def written(demo: cpgeo.Scenario, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An English, an Arabic (restricted, by donor) and a Kurdish (public) snapshot."""
    root = tmp_path_factory.mktemp("languages")
    return {
        "en": export_snapshot(build_snapshot(demo, kind="restricted", donor="Canada"),
                              root / "en"),
        "ar": export_snapshot(build_snapshot(demo, kind="restricted", donor="Canada",
                                             lang="ar"), root / "ar"),
        "ckb": export_snapshot(build_snapshot(demo, lang="ckb"), root / "ckb"),
    }


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_the_summary_is_in_the_language_and_keeps_the_marking(demo) -> None:
    snap = build_snapshot(demo, kind="restricted", donor="Canada", lang="ar")
    assert snap.lang == "ar"
    text = summary_text(snap)
    lines = text.splitlines()
    # the English marking word first, its translation beside it, first and last line
    assert lines[0].startswith(f"**{MARKING} ") and lines[-1].startswith(f"**{MARKING} ")
    assert gettext(MARKING, "ar") in lines[0] and gettext(MARKING, "ar") != MARKING
    assert report_title(snap).startswith(f"{marking('ar')}: ")
    for words in ("الشرطة المجتمعية", "مصادر البيانات", "حسب المحافظة", "المكاتب",
                  governorate_name("Ninewa", "ar")):
        assert words in text, words
    # no English heading is left
    for heading in ("## Data sources", "## By governorate", "## Whole network", "## Files"):
        assert heading not in text
    # Kurdish likewise, in its own words
    kurdish = summary_text(build_snapshot(demo, lang="ckb"))
    assert "پۆلیسی کۆمەڵگا" in kurdish and governorate_name("Ninewa", "ckb") in kurdish
    assert "No office, forum or station location is shown" not in kurdish


def test_languages_are_checked(demo) -> None:
    with pytest.raises(cpgeo.InputError, match="not one of en, ar, ckb"):
        build_snapshot(demo, lang="fr")
    assert build_snapshot(demo, lang="ar-IQ").lang == "ar"
    assert build_snapshot(demo).lang == "en"


def test_files_are_named_and_keyed_the_same_in_every_language(written) -> None:
    assert sorted(p.name for p in written["ar"].iterdir()) == sorted(RESTRICTED_FILES)
    assert sorted(p.name for p in written["ckb"].iterdir()) == sorted(SNAPSHOT_FILES)
    en = pd.read_csv(written["en"] / f"{MARKING}-figures.csv", dtype=str)
    ar = pd.read_csv(written["ar"] / f"{MARKING}-figures.csv", dtype=str)
    # the same table, keys and values: only the human parts change with the language
    pd.testing.assert_frame_equal(en, ar)
    for layer in ("offices", "cpfs", "communities"):
        columns = [
            pyogrio.read_info(written[lang] / f"{MARKING}-layers.gpkg", layer=layer)["fields"]
            for lang in ("en", "ar")
        ]
        assert list(columns[0]) == list(columns[1])


def test_the_arabic_report_is_arabic_and_marked_on_every_page(written) -> None:
    path = written["ar"] / f"{MARKING}-report.pdf"
    reader = PdfReader(path)
    assert all(MARKING in page.extract_text() for page in reader.pages)
    assert MARKING in (reader.metadata.title or "")
    assert reader.trailer["/Root"]["/Lang"] == "ar"
    text = _pdf_text(path)
    for words in ("الشرطة المجتمعية", "مصادر البيانات", "ملاحظات", "المحافظة",
                  governorate_name("Ninewa", "ar"), gettext(MARKING, "ar"), "Canada"):
        assert words in text, words
    for english in ("Data sources", "Notes", "By governorate", "page 1 of"):
        assert english not in text, english


def test_the_kurdish_public_report_states_the_rule_in_kurdish(written) -> None:
    text = _pdf_text(written["ckb"] / "report.pdf")
    assert gettext("Data sources", "ckb") in text
    assert "شوێنی هیچ نووسینگە" in text  # no office's location is shown
    assert MARKING not in text
    with Image.open(written["ckb"] / "map.png") as png:
        assert ARABIC.search(png.info["Title"])  # the map's title in Kurdish


def test_cli_snapshot_lang(tmp_path, capsys) -> None:
    assert main(["snapshot", "--lang", "ckb", "-o", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert gettext("By governorate", "ckb") in out and "By governorate" not in out
    assert governorate_name("Anbar", "ckb") in out
    summary = (tmp_path / "s" / "summary.md").read_text(encoding="utf-8")
    assert "پۆلیسی کۆمەڵگا" in summary
    # JSON keeps its keys in every language
    assert main(["--lang", "ar", "snapshot", "--json", "-o", str(tmp_path / "j")]) == 0
    assert '"population_within_radius"' in capsys.readouterr().out


@pytest.mark.parametrize(("lang", "level"), [("ar", "grid"), ("ckb", "governorate")])
def test_a_public_snapshot_in_any_language_carries_no_site(lang, level, tmp_path) -> None:
    """The leak scan of ``test_snapshot_leaks.py``, on snapshots in Arabic and Kurdish."""
    from _leaks import scan
    from test_snapshot_leaks import _allowed, _scenario

    scn, sites = _scenario(cpgeo.load_demo(), 11)
    snap = build_snapshot(scn, kind="public", level=level, lang=lang)
    folder = export_snapshot(snap, tmp_path / "public")
    result = scan(sorted(folder.iterdir()), sites,
                  allowed=_allowed(snap.public.areas, scn.boundaries, level))
    assert result.files == len(SNAPSHOT_FILES) and not result.hits, result.hits[:5]
    assert ARABIC.search((folder / "summary.md").read_text(encoding="utf-8"))
