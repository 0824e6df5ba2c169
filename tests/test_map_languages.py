"""The interactive maps in Arabic and Kurdish, their palette, symbols and legends (cpgeo.maps)."""

from __future__ import annotations

import json
import re

import pytest

import cpgeo
from cpgeo import maps
from cpgeo._cartography import PALETTE

ARABIC = re.compile(r"[\u0600-\u06FF]")
#: Latin words a right-to-left legend may keep: units, a tile source's name.
ALLOWED_LATIN = {"km", "OpenStreetMap"}


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


@pytest.fixture(scope="module")
def pages(demo) -> dict[str, str]:
    """The demo map's page in each language (with the candidate stations)."""
    return {
        lang: maps.map_html(maps.build_map(demo, lang=lang, show_stations=True))
        for lang in ("en", "ar", "ckb")
    }


def _decoded(html: str) -> str:
    """The page with JSON's \\u escapes (in the scripts' strings) decoded."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)


def _legend(html: str) -> str:
    """The legend's markup, as the legend's script puts it into the page."""
    found = re.search(
        r"create\('div', 'cpgeo-legend'\);.*?div\.innerHTML = (\".*?\");\n", html, re.S
    )
    assert found is not None
    return json.loads(found.group(1))


def _tips(html: str) -> list[str]:
    """The tooltips of the map's GeoJSON features (boundaries, catchments, sites)."""
    return [json.loads(f'"{t}"') for t in re.findall(r'"tip": "((?:[^"\\]|\\.)*)"', html)]


def _payload(html: str) -> dict:
    found = re.findall(r"\n    var d = (\{.*?\});\n", html)
    assert len(found) == 1
    return json.loads(found[0])


def _text(markup: str) -> str:
    """The text of some markup (tags and their attributes dropped)."""
    return re.sub(r"<[^>]*>", " ", markup)


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_right_to_left_maps_speak_their_language(pages, lang):
    html = pages[lang]
    assert f'<html lang="{lang}" dir="rtl">' in html
    legend = _legend(html)
    assert ARABIC.search(_text(legend))
    assert re.search(r"div\.setAttribute\('dir', \"rtl\"\)", html)  # the legend's direction
    tips = _tips(html)
    assert tips and all(t.startswith('<div dir="rtl"') for t in tips)
    catchments = [t for t in tips if "(" in t and ARABIC.search(t)]
    assert catchments  # e.g. "مكتب ...: نطاق تغطية 50 كم (قياس جيوديسي)"
    # the communities' tooltips are built in the browser from words in the language
    words = _payload(html)["T"]
    assert words["dir"] == "rtl"
    assert all(ARABIC.search(words[k]) for k in ("population", "unknown", "nearest"))
    assert "{n}" in words["population"] and "{office}" in words["nearest"]
    # governorates in the payload and on the map in the language
    baghdad = "بغداد" if lang == "ar" else "بەغدا"
    assert baghdad in _payload(html)["G"]
    assert f'"{baghdad}"' in _decoded(html)  # its name on the map
    # the layer control names the layers in the language
    overlays = re.search(r"overlays\s*:\s*\{(.*?)\}", html, re.S)
    assert overlays is not None
    names = re.findall(r'"([^"]+)"\s*:\s*\w+', _decoded(overlays.group(1)))
    assert len(names) >= 8 and all(ARABIC.search(n) for n in names), names
    assert "<title>cpgeo map</title>" not in html


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_no_english_word_is_left_in_the_legend(pages, lang):
    text = _text(_legend(pages[lang]))
    latin = set(re.findall(r"[A-Za-z][A-Za-z-]*", text)) - ALLOWED_LATIN
    assert not latin, latin
    # the stations shown: their row is there, in the language
    assert ("مركز شرطة مرشح" if lang == "ar" else "بنکەی پۆلیسی پاڵێوراو") in text


def test_english_map_stays_left_to_right(pages):
    html = pages["en"]
    assert "<html>" in html and 'dir="rtl"' not in html
    legend = _text(_legend(html))
    assert not ARABIC.search(legend)
    assert "50 km catchment (geodesic)" in legend and "candidate police station" in legend
    assert _payload(html)["T"]["dir"] == "ltr"


def test_over_capacity_offices_have_a_shape_of_their_own(pages, demo):
    html = pages["en"]
    load = cpgeo.coverage.office_load(demo.offices, demo.cpfs, 50, 5)
    n_over = int(load["over_capacity"].sum())
    assert n_over >= 1
    page = _decoded(html)
    # on the map: a triangle (SVG polygon) in the marker pane, one per office over capacity
    assert page.count("cpgeo-office-over") == n_over
    assert page.count("<polygon") == n_over + 1  # and the legend's
    # in the legend: the same triangle, while an ordinary office is a round dot
    legend = _legend(html)
    over = re.search(r'<svg data-key="office_over"[^>]*>(.*?)</svg>', legend)
    assert over is not None and "<polygon" in over.group(1)
    office = re.search(r'<span class="([^"]*)" data-key="office"', legend)
    assert office is not None and "cpgeo-dot" in office.group(1)
    # every office has a tooltip on the canvas; over capacity, its dot is not drawn
    assert len([t for t in _tips(html) if "[OFF-" in t]) == len(load)
    assert page.count('"over": true') == n_over
    assert '"fillOpacity": 0, "radius": 10, "stroke": false' in page


def test_population_legend_sizes_are_the_dots_sizes(pages):
    legend = _legend(pages["en"])
    samples = re.findall(
        r'data-population="(\d+)" data-radius="(\d+)" style="width:(\d+)px;height:(\d+)px', legend
    )
    assert [int(p) for p, *_ in samples] == list(maps.POPULATION_SAMPLES)
    for people, radius, width, height in samples:
        expected = maps.marker_radius(int(people))
        # the map's script: Math.round(class radius), as Leaflet's circle markers
        js_round = max(int(maps._population_radius(int(people)) + 0.5), 1)
        assert int(radius) == expected == js_round
        assert int(width) == int(height) == 2 * expected
    assert len({r for _, r, _, _ in samples}) == len(samples)  # sizes that differ
    # the dots on the map are sized from the same classes
    assert _payload(pages["en"])["P"] == [list(c) for c in maps.POPULATION_CLASSES]
    # labelled with thousands separators, in the language
    assert "1,000,000" in legend and "10,000" in legend
    assert "1,000,000" in _legend(pages["ar"])
    assert ARABIC.search(_text(_legend(pages["ar"])).split("1,000")[0])


def test_palette_is_the_pngs(pages):
    html = pages["en"]
    d = _payload(html)
    uncovered, covered = d["S"][0], d["S"][1]
    assert covered[0] == PALETTE["covered"]
    assert uncovered[1] == PALETTE["uncovered"]  # a ring, not a filled dot
    assert uncovered[0] == "#ffffff" and uncovered[3] < covered[3]
    legend = _legend(html)
    for key in ("covered", "uncovered", "office", "office_over", "forum", "forum_problem",
                "catchment"):
        assert PALETTE[key] in legend, key
    page = html.lower()
    for old in ("#1a9850", "#d73027", "#2166ac", "#b2182b", "#7b3294", "#e66101"):
        assert old not in page, old
    assert maps.map_colours()["office_over"] == PALETTE["office_over"]


def test_offices_are_drawn_above_the_communities(pages):
    html = pages["en"]
    # the communities' layer is added to the map before the forums and offices (the
    # canvas draws in that order), and offices over capacity sit in the marker pane
    points = html.index("cpgeoPoints = d.x.length")
    offices = html.index("[OFF-")
    assert points < offices


def test_scale_bar_is_metric(pages):
    html = pages["ar"]
    found = re.search(r"L\.control\.scale\((\{.*?\})\)", html)
    assert found is not None
    options = json.loads(found.group(1))
    assert options["metric"] is True and options["imperial"] is False
    assert options["position"] == "bottomright"  # mirrored
    zoom = re.search(r"L\.control\.zoom\((\{.*?\})\)", html)
    assert zoom is not None and json.loads(zoom.group(1))["position"] == "topright"
    assert re.search(r'L\.control\.layers\(.*?"position": "topleft"', html, re.S)


def test_share_layer_by_governorate(demo, pages):
    figures = cpgeo.figures(demo)
    table = figures.by_governorate.set_index("governorate")
    found = maps._share_areas(demo.boundaries, maps._governorates(demo.boundaries),
                              figures.coverage, "en")
    assert found is not None
    areas, level = found
    assert level == "governorate"
    assert len(areas) == demo.boundaries["governorate"].nunique()
    for name, share in zip(areas["name"], areas["share"], strict=True):
        expected = table.loc[name, "population_within_radius_share"]
        if expected is None or expected != expected:
            assert share != share
        else:
            assert share == pytest.approx(float(expected))
    html = _decoded(pages["ar"])
    assert "نسبة السكان ضمن نصف القطر، حسب المحافظة" in html  # the ramp's title
    assert "cpgeo-share-legend" in html
    assert "\u206680\u2013100%\u2069" in html  # a class, isolated left to right
    # hidden at first: the map opens as fast as without it
    layer = re.search(r'"نسبة السكان ضمن نصف القطر"\s*:\s*(\w+)', html)
    assert layer is not None
    assert f"{layer.group(1)}.addTo(" not in html


def test_label_layers(pages):
    html = _decoded(pages["ar"])
    labels = re.findall(r"\n    var d = (\{\"y\".*?\}), group", html)
    assert len(labels) == 2  # governorates, offices
    governorates, offices = (json.loads(x) for x in labels)
    assert "نينوى" in governorates["t"] and governorates["css"] == "cpgeo-gov-name"
    assert len(offices["t"]) == 7 and offices["below"] is True
    assert all(ARABIC.search(t) for t in offices["t"])  # the demo's name_ar


def test_area_map_in_arabic(demo):
    from cpgeo.public import public_areas

    areas = public_areas(cpgeo.figures(demo), demo.boundaries).areas
    html = maps.map_html(maps.build_area_map(areas, demo.boundaries, lang="ar"))
    assert '<html lang="ar" dir="rtl">' in html
    tips = _tips(html)
    assert tips and all(t.startswith('<div dir="rtl"') for t in tips)
    assert any("المكاتب:" in t and "نسبة السكان ضمن نصف القطر:" in t for t in tips)
    legend = _text(_legend(html))
    assert ARABIC.search(legend)
    latin = set(re.findall(r"[A-Za-z][A-Za-z-]*", legend)) - ALLOWED_LATIN
    assert not latin, latin
    assert "<title>نسبة السكان ضمن نصف القطر</title>" in html
    assert "الانبار" in _decoded(html)  # a governorate's name on the map


def test_unknown_language_is_refused(demo):
    with pytest.raises(cpgeo.InputError, match="not one of"):
        maps.build_map(demo, lang="fr")


def test_stations_and_proposals_rows_follow_their_layers(demo):
    from cpgeo.siting import plan_sites

    plan = plan_sites(demo, 2, method="greedy")
    html = maps.map_html(maps.build_map(demo, proposals=plan.sites, lang="ar"))
    legend = _legend(html)
    for key, words in (("stations", "مركز شرطة مرشح"), ("proposals", "موقع مقترح")):
        row = re.search(rf'<div class="cpgeo-row" data-layer="{key}">(.*?)</div>', legend)
        assert row is not None and words in row.group(1), key
    # the legend's script shows each row while its layer is on the map
    assert html.count("querySelector(\n                '[data-layer=' + ") == 2
    # the proposed sites' tooltips say what each site adds, in Arabic
    tips = re.findall(r"cpgeo-rank.*?bindTooltip\(\s*`(.*?)`", html, re.S)
    assert len(tips) == len(plan.sites)
    assert all(ARABIC.search(_text(t)) and 'dir="rtl"' in t for t in tips)


def test_page_template_is_brancas_with_attributes():
    """The right-to-left page is branca's own page, with lang and dir on <html>."""
    from branca.element import Figure
    from jinja2 import Template

    ours = Template(maps._FIGURE_TEMPLATE.replace(" {attributes}", ""))
    fig = Figure(title="t")
    assert ours.render(this=fig, kwargs={}) == Figure._template.render(this=fig, kwargs={})


@pytest.mark.parametrize("level", [2, 3])
def test_share_layer_by_district(tmp_path, level):
    from test_admin import _cod_frame, _scenario_with, _write

    areas = cpgeo.read_layer(_write(_cod_frame(level), tmp_path / "adm.gpkg"), "boundaries")
    scn = _scenario_with(areas)
    figures = cpgeo.figures(scn)
    found = maps._share_areas(scn.boundaries, maps._governorates(scn.boundaries),
                              figures.coverage, "ar")
    assert found is not None
    shares, kind = found
    assert kind == "district"
    assert len(shares) == scn.boundaries["district_pcode"].nunique()
    assert all(ARABIC.search(n) for n in shares["name"])  # the districts' Arabic names
    expected = figures.by_district.dropna(subset=["district_pcode"]).groupby("district_pcode")
    got = sorted(round(float(v), 6) for v in shares["share"] if v == v)
    want = sorted(
        round(float(rows["population_within_radius"].sum() / rows["population"].sum()), 6)
        for _, rows in expected
        if rows["population"].sum()
    )
    assert got == want
    html = _decoded(maps.map_html(maps.build_map(
        scn, figures.coverage, figures.load, forums=figures.forums, lang="ar"
    )))
    assert "نسبة السكان ضمن نصف القطر، حسب القضاء" in html
