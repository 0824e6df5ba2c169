"""Cartography of the maps: scale bar, legends, markings, the area maps (cpgeo._cartography)."""

from __future__ import annotations

import re
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from PIL import Image
from pyproj import Geod
from shapely.geometry import Point, box

import cpgeo
from cpgeo import _cartography as carto
from cpgeo import maps

GEOD = Geod(ellps="WGS84")
EVIL = "<img src=x onerror=alert(1)>"
NOTICE = "ILLUSTRATIVE DATA: invented sites."
NOTE = "Sites are generalised to their district."
#: The legend's classes of a share, 0 to 20 % ... 80 to 100 % (with an en dash).
SHARE_LABELS = tuple(f"{a}\N{EN DASH}{b} %" for a, b in pairwise((0, 20, 40, 60, 80, 100)))


@pytest.fixture(scope="module")
def demo() -> cpgeo.Scenario:
    return cpgeo.load_demo()


def _km_along_parallel(lon: float, lat: float, dlon: float) -> float:
    return GEOD.inv(lon, lat, lon + dlon, lat)[2] / 1000


# ------------------------------------------------------------------ scale bar


@pytest.mark.parametrize(
    ("minx", "maxx", "lat", "km"),
    [
        (38.8, 48.6, 33.2, 200),  # Iraq: 9.8 degrees, about 910 km at 33 degrees north
        (43.0, 45.0, 36.0, 20),  # one governorate: about 180 km wide
        (44.2, 44.6, 33.3, 10),  # a city: narrower than any step gets the shortest
        (40.0, 45.0, 60.0, 50),  # far north: a degree of longitude is half as long
    ],
)
def test_scale_bar_length_is_geodesic(minx, maxx, lat, km):
    bar = carto.scale_bar(minx, maxx, lat)
    assert bar.km == km
    assert bar.lat == lat
    # measured independently at another longitude: only dlon matters on a parallel
    assert _km_along_parallel(12.0, lat, bar.dlon) == pytest.approx(km, abs=1e-6)


@given(
    lat=st.floats(min_value=-75, max_value=75),
    width=st.floats(min_value=0.05, max_value=40),
)
def test_scale_bar_is_a_round_share_of_the_width(lat, width):
    bar = carto.scale_bar(40.0, 40.0 + width, lat)
    assert bar.km in (10, 20, 50, 100, 200)
    assert _km_along_parallel(40.0, lat, bar.dlon) == pytest.approx(bar.km, abs=1e-6)
    width_km = _km_along_parallel(40.0, lat, width)
    longer = [s for s in (10, 20, 50, 100, 200) if s > bar.km]
    if bar.km > 10:
        assert bar.km <= width_km * 0.25  # no longer than a quarter of the map
    if longer:
        assert longer[0] > width_km * 0.25  # and the longest step that fits


def _artists(fig, gid: str) -> list:
    return [a for a in fig.findobj() if getattr(a, "get_gid", lambda: None)() == gid]


def _check_drawn_scale_bar(fig) -> None:
    """The drawn bar's length in degrees, measured with pyproj, is what its label says."""
    (ax,) = [a for a in fig.axes if a.get_label() != "<colorbar>"]
    (rect,) = _artists(fig, "cpgeo-scale-bar")
    assert isinstance(rect, Rectangle)
    labels = [t.get_text() for t in _artists(fig, "cpgeo-scale-label")]
    (full,) = [t for t in labels if t.endswith(" km")]
    km = float(full.removesuffix(" km"))
    ymin, ymax = ax.get_ylim()
    central = (ymin + ymax) / 2
    measured = _km_along_parallel(rect.get_x(), central, rect.get_width())
    assert measured == pytest.approx(km, rel=1e-6)
    assert ax.get_aspect() == pytest.approx(1 / np.cos(np.radians(central)))
    # and it fits in the map, at its lower left
    xmin, xmax = ax.get_xlim()
    assert xmin < rect.get_x() < rect.get_x() + rect.get_width() < (xmin + xmax) / 2
    assert ymin < rect.get_y() < central


# ------------------------------------------------------------------ the exact map


def _exact_figure(scn: cpgeo.Scenario, **kwargs):
    from cpgeo import coverage as cov

    coverage = cov.community_coverage(scn.communities, scn.offices, 50)
    load = cov.office_load(scn.offices, scn.cpfs, 50, 5)
    forums = cov.cpf_status(scn.offices, scn.cpfs, 50)
    fig = carto.scenario_figure(
        scn,
        coverage,
        load,
        forums,
        None,
        radius_km=50,
        max_cpfs=5,
        title=kwargs.pop("title", "Exact"),
        marking=kwargs.pop("marking", None),
        dpi=60,
    )
    return fig, load


def test_exact_map_is_a_map_people_can_read(demo):
    fig, _load = _exact_figure(demo, marking="RESTRICTED")
    ax = fig.axes[0]
    # no lon/lat axes: ticks, tick labels and axis labels are gone
    assert len(ax.get_xticks()) == 0 and len(ax.get_yticks()) == 0
    assert ax.get_xlabel() == "" and ax.get_ylabel() == ""
    _check_drawn_scale_bar(fig)
    assert _artists(fig, "cpgeo-north-arrow") and _artists(fig, "cpgeo-north-label")
    # every governorate named once, inside or (with a leader line) beside it
    names = sorted(t.get_text() for t in _artists(fig, "cpgeo-governorate-label"))
    assert names == sorted(demo.boundaries["governorate"].unique())
    # the legend explains the symbols, the dot sizes and the shading
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    joined = " ".join(texts)
    for expected in (
        "within 50 km of an office",
        "not covered",
        "Dot size: population",
        "under 10,000",
        "1,000,000 or more",
        "office",
        "forum",
        "forums assigned",
        "geodesic circle",
        "governorate boundary",
    ):
        assert expected in joined, expected
    # marking at the top and at the bottom of the picture
    (top,) = _artists(fig, "cpgeo-marking-top")
    (bottom,) = _artists(fig, "cpgeo-marking-bottom")
    assert top.get_text() == bottom.get_text() == "RESTRICTED"
    assert top.get_position()[1] > 0.95 and bottom.get_position()[1] < 0.05


def test_over_capacity_offices_have_their_own_shape(demo):
    fig, load = _exact_figure(demo)
    over = load[load["over_capacity"]]
    assert len(over) == 2  # Mosul and Baqubah
    (triangles,) = _artists(fig, "cpgeo-offices-over")
    (dots,) = _artists(fig, "cpgeo-offices")
    assert isinstance(triangles, PathCollection)
    offsets = np.asarray(triangles.get_offsets())
    assert np.allclose(offsets, np.column_stack([over.geometry.x, over.geometry.y]))
    assert len(dots.get_offsets()) == len(load) - len(over)
    # a triangle, not a dot in another shade: three corners
    path = triangles.get_paths()[0]
    assert len(np.unique(np.round(path.vertices, 6), axis=0)) == 3
    assert len(np.unique(np.round(dots.get_paths()[0].vertices, 6), axis=0)) > 3
    # each carries the number of its forums, which the legend explains
    counts = sorted(t.get_text() for t in _artists(fig, "cpgeo-forum-count"))
    assert counts == sorted(str(int(n)) for n in over["n_cpfs"])


def test_png_metadata_carries_title_and_marking(demo, tmp_path):
    out = maps.render_png(
        demo, tmp_path / "exact.png", title="Footprint", marking="RESTRICTED", dpi=40
    )
    with Image.open(out) as im:
        assert im.format == "PNG"
        meta = dict(im.text)
    assert meta["Title"] == "Footprint"
    assert meta["Description"] == "RESTRICTED"
    assert meta["Disclaimer"] == demo.notice
    # without a marking: the default title, and no marking at all
    plain = maps.render_png(demo, tmp_path / "plain.png", dpi=40)
    with Image.open(plain) as im:
        meta = dict(im.text)
    assert meta["Title"] == "Offices, 50-km catchments and communities"
    assert "Description" not in meta
    assert not list(tmp_path.glob(".*"))  # written atomically: no temporary file left


# ------------------------------------------------------------------ the area maps


def _areas_from(boundaries: gpd.GeoDataFrame, sites: gpd.GeoDataFrame | None = None):
    """Areas (one per boundary) with counts: of ``sites`` when given, else made up."""
    areas = boundaries[["governorate", "geometry"]].copy()
    areas["area"] = boundaries["name"] if "name" in boundaries.columns else areas["governorate"]
    n = len(areas)
    rng = np.random.default_rng(7)
    if sites is not None:
        joined = gpd.sjoin(sites, areas[["geometry"]], predicate="within")
        counts = joined.groupby("index_right").size()
        areas["offices"] = [int(counts.get(i, 0)) for i in areas.index]
    else:
        areas["offices"] = rng.integers(0, 4, n)
    areas["forums"] = areas["offices"] * 3
    areas["communities"] = rng.integers(5, 20, n)
    areas["communities_within_radius"] = areas["communities"] // 2
    areas["population"] = rng.integers(10_000, 1_000_000, n).astype(float)
    areas["population_within_radius"] = (areas["population"] * 0.5).round()
    shares = np.linspace(0.0, 1.0, n)
    areas["population_within_radius_share"] = shares
    areas.loc[areas.index[-1], ["population", "population_within_radius_share"]] = np.nan
    return areas


def _boxes() -> gpd.GeoDataFrame:
    """Two governorates (Alpha, Beta) of two districts each, as boxes in Iraq; one district
    has a hostile name."""
    rows = [
        ("Alpha", "A-North", box(42.0, 34.0, 43.5, 35.5)),
        ("Alpha", EVIL, box(42.0, 32.5, 43.5, 34.0)),
        ("Beta", "B-North", box(43.5, 34.0, 45.0, 35.5)),
        ("Beta", "B-South", box(43.5, 32.5, 45.0, 34.0)),
    ]
    return gpd.GeoDataFrame(
        {"governorate": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs="EPSG:4326",
    )


#: Sites inside the boxes, at coordinates no vertex or label point has.
SITES = gpd.GeoDataFrame(
    {"id": ["S1", "S2", "S3"]},
    geometry=[Point(42.61873, 34.77129), Point(44.23917, 33.11741), Point(43.87261, 34.36652)],
    crs="EPSG:4326",
)


def test_area_classes():
    cls = carto.classes(pd.Series([0.0, 0.19, 0.2, 0.5, 0.8, 1.0, np.nan]), "x_share")
    assert cls.index(np.array([0.0, 0.19, 0.2, 0.5, 0.8, 1.0, np.nan])).tolist() == [
        0,
        0,
        1,
        2,
        4,
        4,
        -1,
    ]
    assert cls.labels == SHARE_LABELS
    counts = carto.classes(pd.Series([0, 3, 47]), "offices")
    assert counts.breaks == (0.0, 10.0, 20.0, 30.0, 40.0, 50.0)
    assert counts.index(np.array([0, 9.9, 10, 47])).tolist() == [0, 0, 1, 4]


def test_area_figure_draws_no_points(demo):
    areas = _areas_from(demo.boundaries)
    fig = carto.area_figure(
        areas,
        demo.boundaries,
        value="population_within_radius_share",
        title="Areas",
        notice=NOTICE,
        note=NOTE,
        marking="PUBLIC",
        dpi=60,
    )
    for artist in fig.findobj():
        if isinstance(artist, PathCollection):  # what scatter draws
            assert len(artist.get_offsets()) == 0, artist
        if isinstance(artist, Line2D):
            assert artist.get_marker() in (None, "None", "", " "), artist
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Share of population within the radius"
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts[:6] == [*SHARE_LABELS, "no known population"]
    # the areas' fills are the classes of their shares; the unknown one hatched
    shares = areas["population_within_radius_share"].to_numpy()
    expected = [carto.CLASS_COLOURS[min(int(v * 5), 4)] for v in shares[:-1]]
    filled = [c for c in ax.collections if c.get_hatch() is None and len(c.get_paths()) == 17]
    assert len(filled) == 1
    from matplotlib.colors import to_hex

    assert [to_hex(c) for c in filled[0].get_facecolors()] == expected
    hatched = [c for c in ax.collections if c.get_hatch() == "////"]
    assert len(hatched) == 1 and len(hatched[0].get_paths()) == 1
    _check_drawn_scale_bar(fig)
    assert _artists(fig, "cpgeo-north-arrow")
    assert sorted(t.get_text() for t in _artists(fig, "cpgeo-governorate-label")) == sorted(
        demo.boundaries["governorate"].unique()
    )
    (note,) = _artists(fig, "cpgeo-note")
    (notice,) = _artists(fig, "cpgeo-notice")
    assert note.get_text() == NOTE and notice.get_text() == NOTICE
    assert note.get_position()[1] < ax.get_position().y0  # under the map
    assert notice.get_color() == carto.PALETTE["marking"]


def test_render_area_png(tmp_path):
    boundaries = _boxes()
    areas = _areas_from(boundaries, SITES)
    out = maps.render_area_png(
        areas,
        boundaries,
        tmp_path / "area.png",
        title="By district",
        notice=NOTICE,
        note=NOTE,
        marking="PUBLIC",
        dpi=50,
    )
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(out) as im:
        meta = dict(im.text)
    # the texts given, nothing else (no coordinate, no site)
    assert meta == {
        "Title": "By district",
        "Description": "PUBLIC",
        "Disclaimer": NOTICE,
        "Software": "cpgeo",
    }
    with pytest.raises(ValueError, match="areas lack the column"):
        maps.render_area_png(areas.drop(columns="forums"), boundaries, tmp_path / "x.png")
    with pytest.raises(ValueError, match="areas must be polygons"):
        maps.render_area_png(
            areas.assign(geometry=areas.representative_point()), boundaries, tmp_path / "x.png"
        )
    with pytest.raises(ValueError, match="areas has no CRS"):
        maps.render_area_png(
            areas.set_crs(None, allow_override=True), boundaries, tmp_path / "x.png"
        )
    assert not (tmp_path / "x.png").exists()


#: A number pair of the page: "33.1, 44.2" or "[44.2,33.1]".
_PAIR = re.compile(r"(-?\d+\.\d+)\s*,\s*(-?\d+\.\d+)")


def _iraq_pairs(html: str) -> set[tuple[float, float]]:
    """Every number pair in the page that looks like a place in Iraq, as (lon, lat)."""
    found = set()
    for a, b in _PAIR.findall(html):
        x, y = float(a), float(b)
        if 38.0 <= x <= 49.0 and 29.0 <= y <= 38.0:
            found.add((round(x, 5), round(y, 5)))
        elif 29.0 <= x <= 38.0 and 38.0 <= y <= 49.0:
            found.add((round(y, 5), round(x, 5)))
    return found


def _allowed(areas: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame) -> set[tuple[float, float]]:
    """The published boundaries' vertices, label points and bounds, rounded as sent."""
    allowed = set()
    dissolved = boundaries.dissolve(by="governorate")
    for frame in (areas, boundaries, dissolved):
        for x, y in shapely.get_coordinates(frame.geometry.to_numpy()):
            allowed.add((round(float(x), 5), round(float(y), 5)))
    for point in dissolved.geometry.representative_point():
        allowed.add((round(point.x, 5), round(point.y, 5)))
    minx, miny, maxx, maxy = boundaries.total_bounds
    for x in (minx, maxx):
        for y in (miny, maxy):
            allowed.add((round(float(x), 5), round(float(y), 5)))
    return allowed


def test_area_map_sends_no_site():
    boundaries = _boxes()
    areas = _areas_from(boundaries, SITES)
    assert areas["offices"].sum() == 3
    html = maps.map_html(
        maps.build_area_map(areas, boundaries, title="By district", notice=NOTICE, note=NOTE)
    )
    for site in SITES.geometry:
        for decimals in (5, 4, 3):
            for v in (site.x, site.y):
                assert f"{v:.{decimals}f}" not in html
    pairs = _iraq_pairs(html)
    assert pairs  # the scan sees the page's coordinates
    assert pairs <= _allowed(areas, boundaries), pairs - _allowed(areas, boundaries)
    # the governorates' names sit at their label points
    assert "Alpha" in html and "Beta" in html


def test_area_map_of_real_boundaries_sends_only_their_coordinates(demo):
    areas = _areas_from(demo.boundaries)
    html = maps.map_html(maps.build_area_map(areas, demo.boundaries))
    pairs = _iraq_pairs(html)
    allowed = _allowed(areas, demo.boundaries)
    assert len(pairs) > 500  # simplified, but the polygons are there
    assert pairs <= allowed, sorted(pairs - allowed)[:5]
    # simplified: fewer vertices than the boundaries have
    assert len(pairs) < len(allowed)


def _unescape_json(html: str) -> str:
    """The page with JSON's \\u escapes (in the scripts' strings) decoded."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)


def test_area_map_texts_are_escaped_and_titled():
    boundaries = _boxes()
    areas = _areas_from(boundaries, SITES)
    html = maps.map_html(
        maps.build_area_map(
            areas, boundaries, title="By <district>", notice=NOTICE, note=NOTE, marking="PUBLIC"
        )
    )
    plain = _unescape_json(html)
    assert EVIL not in plain
    assert "&lt;img src=x onerror=alert(1)&gt;" in plain
    assert "<title>PUBLIC — By &lt;district&gt;</title>" in html
    assert "cpgeo-marking" in html and "PUBLIC" in html
    # a tooltip per area with its counts
    first = areas.iloc[0]
    assert f"offices: {first['offices']}, forums: {first['forums']}" in plain
    assert (
        f"communities within the radius: {first['communities_within_radius']} of "
        f"{first['communities']}" in plain
    )
    assert "share of population within the radius: 0 %" in plain
    assert "share of population within the radius: unknown" in plain
    # the legend: classes, the unknown class, the note and the notice
    for text in (
        *SHARE_LABELS,
        "no known population",
        NOTE,
        NOTICE,
        "Share of population within the radius",
    ):
        assert text in plain, text
    assert all(src.startswith("data:") for src in re.findall(r'<script src="([^"]*)"', html))
    assert "jquery" not in html.lower()


def test_build_map_has_a_title_and_a_marking(demo):
    plain = maps.map_html(maps.build_map(demo))
    assert "<title>cpgeo map</title>" in plain
    assert "cpgeo-marking" not in plain
    marked = maps.map_html(
        maps.build_map(demo, title="Exact <map>", marking="RESTRICTED — do not share")
    )
    assert "<title>RESTRICTED — do not share — Exact &lt;map&gt;</title>" in marked
    assert "cpgeo-marking" in marked
    # a marking is text, never markup or a template
    hostile = maps.map_html(maps.build_map(demo, marking="{{ 6 * 7 }}<b>bold</b>"))
    assert "<b>bold</b>" not in _unescape_json(hostile)
    assert "&lt;b&gt;bold&lt;/b&gt;" in _unescape_json(hostile)
    assert "42" not in re.findall(r"<title>(.*?)</title>", hostile)[0]
    assert "{{" not in hostile
    assert '"RESTRICTED \\u2014 do not share"' in marked  # the banner's text, in its script


# ------------------------------------------------------------- Arabic and Kurdish


def _legend_texts(fig) -> list[str]:
    legend = fig.axes[0].get_legend()
    return [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]


def _texts_of(fig, gid: str) -> list[str]:
    return [t.get_text() for t in _artists(fig, gid)]


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_exact_map_speaks_the_language(demo, lang, recwarn):
    from cpgeo import coverage as cov
    from cpgeo.i18n import gettext, governorate_name

    fig = carto.scenario_figure(
        demo,
        cov.community_coverage(demo.communities, demo.offices, 50),
        cov.office_load(demo.offices, demo.cpfs, 50, 5),
        cov.cpf_status(demo.offices, demo.cpfs, 50),
        None, radius_km=50, max_cpfs=5, title="خريطة", marking=None, dpi=40, lang=lang,
    )
    fig.canvas.draw()
    texts = _legend_texts(fig)
    assert gettext("Offices and forums", lang) in texts
    assert gettext("Offices and forums", lang) != "Offices and forums"
    assert not any(re.search(r"[A-Za-z]{3}", t) for t in texts), texts
    assert governorate_name("Ninewa", lang) in _texts_of(fig, "cpgeo-governorate-label")
    assert f"200 {gettext('km', lang)}" in _texts_of(fig, "cpgeo-scale-label")
    # right to left: the words aligned right, their symbols after them (on the right)
    legend = fig.axes[0].get_legend()
    assert {t.get_horizontalalignment() for t in legend.get_texts()} == {"right"}
    renderer = fig.canvas.get_renderer()
    office = texts.index(gettext("office", lang))
    symbol = legend.legend_handles[office].get_window_extent(renderer)
    assert symbol.x0 > legend.get_texts()[office].get_window_extent(renderer).x1 - 1
    # every letter has a glyph (DejaVu Sans, upright: its oblique face has no Arabic)
    assert not [w for w in recwarn if "missing from font" in str(w.message)]


def test_area_map_legend_in_arabic(demo):
    from cpgeo.i18n import gettext

    fig = carto.area_figure(
        _areas_from(demo.boundaries), demo.boundaries, value="population_within_radius_share",
        title="t", notice=None, note="ملاحظة", marking=None, dpi=40, lang="ar",
    )
    texts = _legend_texts(fig)
    assert gettext("Share of population within the radius", "ar") in texts
    assert gettext("no known population", "ar") in texts
    assert "no known population" not in texts
    # English is as it was
    assert carto.value_title("population_within_radius_share") == (
        "Share of population within the radius"
    )


def test_matplotlib_shapes_arabic_itself():
    """Matplotlib 3.11 shapes Arabic (libraqm): no reshaping step may come before it.

    Joined, the medial letters are narrower than the same letters standing alone.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(dpi=100)
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()

    def width(text: str) -> float:
        return fig.text(0, 0, text, fontsize=20).get_window_extent(renderer).width

    assert width("\u0628" * 5) < 0.9 * 5 * width("\u0628")
