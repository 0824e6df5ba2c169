"""Mojibake repair: UTF-8 decoded as Latin-1 / Windows-1252, as in COD-AB GeoJSON copies."""

from __future__ import annotations

import json
import logging

import pandas as pd
import pytest

from cpgeo._text import repair_mojibake, repair_mojibake_columns
from cpgeo.io import read_layer

ARABIC = ["الانبار", "ابي الخصيب", "صلاح الدين", "نينوى", "ديالى", "الحلة"]


def mangle(text: str) -> str:
    """What a tool reading UTF-8 as Windows-1252 shows (Latin-1 where 1252 has no char)."""
    return "".join(
        bytes([b]).decode("cp1252") if bytes([b]) not in (b"\x81", b"\x8d", b"\x8f", b"\x90",
                                                          b"\x9d") else chr(b)
        for b in text.encode("utf-8")
    )


@pytest.mark.parametrize("text", [*ARABIC, "café", "Ţūz Khūrmātū", "Sāmarrā\u2019", "ئەربیل"])
def test_mangled_text_is_repaired(text: str) -> None:
    mangled = mangle(text)
    assert mangled != text
    assert repair_mojibake(mangled) == text


@pytest.mark.parametrize("text", [*ARABIC, "Ramadi", "Ţūz Khūrmātū", "Sāmarrā\u2019", "café",
                                  "Ålesund", "ئەربیل", "", "Ø"])
def test_text_never_mangled_is_kept(text: str) -> None:
    assert repair_mojibake(text) == text


def test_columns_count_only_the_cells_repaired() -> None:
    frame = pd.DataFrame({
        "name_ar": [mangle(ARABIC[0]), ARABIC[1], None],
        "name_en": ["Al-Anbar", None, "Babil"],
        "population": [1, 2, 3],
    })
    fixed, repaired = repair_mojibake_columns(frame)
    assert repaired == {"name_ar": 1}
    assert fixed["name_ar"].tolist()[:2] == ARABIC[:2] and fixed["name_ar"].isna().iloc[2]
    assert frame["name_ar"].iloc[0] == mangle(ARABIC[0])  # the input is left as it was


def test_a_mangled_geojson_reads_with_its_arabic_names(tmp_path, caplog) -> None:
    features = [
        {"type": "Feature",
         "properties": {"id": f"C{k}", "name": f"Town {k}", "name_ar": mangle(text)},
         "geometry": {"type": "Point", "coordinates": [43.3 + 0.01 * k, 33.4]}}
        for k, text in enumerate(ARABIC)
    ]
    path = tmp_path / "towns.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="cpgeo"):
        layer = read_layer(path, "communities")
    assert layer["name_ar"].tolist() == ARABIC
    assert any("towns.geojson" in r.message and "name_ar (6)" in r.message
               for r in caplog.records)
