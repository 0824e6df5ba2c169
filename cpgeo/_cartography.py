"""Static maps drawn with matplotlib: the map furniture and the two PNG maps.

Both maps are plate carrée (longitude, latitude in EPSG:4326) with the aspect corrected
for the central latitude, north up. Around the map: a scale bar whose length is
geodesic (WGS84) along the central parallel, a north arrow, the governorates' names, a
legend beside the map (never over the data), the notes under it, and an optional
security marking at the top and the bottom of the picture. Colours are colour-blind
safe: the Okabe-Ito palette for the symbols, ColorBrewer's YlGnBu for the classes of the
choropleth.

The area map (:func:`area_figure`) draws polygons and names only: no point of any site.

Both maps take ``lang`` {"en", "ar", "ckb"}: the legend, the scale bar's unit and the
governorates' names in that language (:mod:`cpgeo.i18n`); titles, notes and markings
are passed in already written. Matplotlib (3.11 and later) lays text out with libraqm,
so Arabic and Kurdish are shaped (joined letters) and ordered right to left as given,
with no reshaping step; DejaVu Sans, matplotlib's default font, has their letters. In a
right-to-left language the legend's symbols stand to the right of their words, which
are aligned right, and the notes end at the map's right edge.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import offset_copy
from pyproj import Geod

from cpgeo.i18n import format_number, gettext, governorate_name, is_rtl
from cpgeo.maps import (
    COLOURS,
    POPULATION_CLASSES,
    _col,
    _population_radius,
    geodesic_circles,
    proposal_rank,
)

if TYPE_CHECKING:
    from pathlib import Path

    import geopandas as gpd
    from matplotlib.axes import Axes
    from matplotlib.text import Text
    from matplotlib.typing import LineStyleType

    from cpgeo.scenario import Scenario

_GEOD = Geod(ellps="WGS84")

#: Symbols of the exact map (Okabe-Ito: told apart with any colour vision; shapes differ
#: where a status matters).
PALETTE: dict[str, str] = {
    "covered": "#009E73",  # bluish green
    "uncovered": "#D55E00",  # vermillion
    "office": "#0072B2",  # blue
    "office_over": "#E69F00",  # orange, as a triangle ringed in black
    "catchment": "#56B4E9",  # sky blue
    "forum": "#CC79A7",  # reddish purple
    "forum_problem": "#F0E442",  # yellow, ringed in black
    "link_problem": "#444444",
    "proposal": COLOURS["proposal"],
    "boundary": "#8c8c8c",
    "governorate": "#333333",
    "background": "#eef3f7",
    "land": "#ffffff",
    "marking": "#b2182b",
}

#: Classes of a share (0..1) on the area map, as lower bounds; the last class includes 1.
SHARE_BREAKS: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

#: ColorBrewer YlGnBu, 5 classes (colour-blind safe, prints in grey scale in order).
CLASS_COLOURS: tuple[str, ...] = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")

#: Fill of an area whose value is unknown (hatched over it on the PNG).
UNKNOWN_COLOUR = "#d9d9d9"

#: Between the bounds of a class in its label: an en dash, as in "20 to 40 %" typeset.
_DASH = "\N{EN DASH}"

#: Lengths a scale bar may have, kilometres.
SCALE_STEPS_KM: tuple[int, ...] = (10, 20, 50, 100, 200)

#: Titles of the values an area map can show.
VALUE_TITLES: dict[str, str] = {
    "population_within_radius_share": "Share of population within the radius",
    "communities_within_radius_share": "Share of communities within the radius",
    "population_within_radius": "Population within the radius",
    "population": "Population",
    "communities_within_radius": "Communities within the radius",
    "communities": "Communities",
    "offices": "Offices",
    "forums": "Forums",
}

#: Figure layout, inches: the figure's height, the map's height at most and width at
#: most, the room beside the map for the legend, under it for the notes, and the margin.
_FIG_HEIGHT = 9.6
_MAP_HEIGHT = 7.2
_MAP_WIDTH = 9.0
_LEGEND_WIDTH = 3.4
_MAP_BOTTOM = 1.3
_MARGIN = 0.3
_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: ``km`` kilometres span ``dlon`` degrees of longitude at ``lat``.

    The length is geodesic on the WGS84 ellipsoid between two points of the parallel
    ``lat`` (degrees, EPSG:4326), ``dlon`` degrees apart.
    """

    km: int
    dlon: float
    lat: float


def scale_bar(minx: float, maxx: float, lat: float, *, fraction: float = 0.25) -> ScaleBar:
    """Return the scale bar of a map spanning ``minx``..``maxx`` degrees of longitude.

    Parameters
    ----------
    minx, maxx
        The map's extent in longitude, degrees (EPSG:4326).
    lat
        The map's central latitude, degrees: where the bar's length is true.
    fraction
        The bar is the longest of :data:`SCALE_STEPS_KM` no longer than this share of the
        map's width (the shortest step when the map is narrower).

    Returns
    -------
    ScaleBar
        ``dlon`` such that the geodesic distance (WGS84) between ``(x, lat)`` and
        ``(x + dlon, lat)`` is ``km`` kilometres, to a millimetre.
    """
    width_km = _parallel_km(maxx - minx, lat)
    fitting = [s for s in SCALE_STEPS_KM if s <= width_km * fraction]
    km = fitting[-1] if fitting else SCALE_STEPS_KM[0]
    target = km * 1000.0
    # the distance grows with dlon almost linearly: a few secant steps converge
    dlon = km / _parallel_km(1.0, lat)
    for _ in range(4):
        dlon *= target / (_parallel_km(dlon, lat) * 1000.0)
    return ScaleBar(km=km, dlon=float(dlon), lat=float(lat))


def _parallel_km(dlon: float, lat: float) -> float:
    """Geodesic kilometres (WGS84) between two points of the parallel ``lat``, ``dlon`` apart."""
    _, _, metres = _GEOD.inv(0.0, lat, dlon, lat)
    return float(metres) / 1000.0


def _number(value: float, lang: str) -> str:
    """Return a count or length as it reads in ``lang`` (separators of its locale)."""
    return f"{value:,.0f}" if lang == "en" else format_number(value, lang)


def draw_scale_bar(
    ax: Axes, bar: ScaleBar, *, x: float, y: float, height: float, lang: str = "en"
) -> None:
    """Draw ``bar`` with its lower-left corner at ``(x, y)`` in data coordinates (degrees).

    Two segments, black and white, labelled 0, half and full length in kilometres (the
    unit in ``lang``); the artists have the gid ``cpgeo-scale-bar`` (the whole bar) and
    ``cpgeo-scale-half``.
    """
    half = bar.dlon / 2
    pad = height * 0.9
    ax.add_patch(
        Rectangle(
            (x - pad, y - pad * 0.6), bar.dlon + 2 * pad, height + pad * 3.4, facecolor="white",
            edgecolor="none", alpha=0.85, zorder=20,
        )
    )
    ax.add_patch(
        Rectangle(
            (x, y), bar.dlon, height, facecolor="white", edgecolor="black", linewidth=0.8,
            zorder=21, gid="cpgeo-scale-bar",
        )
    )
    ax.add_patch(
        Rectangle(
            (x, y), half, height, facecolor="black", edgecolor="black", linewidth=0.8, zorder=22,
            gid="cpgeo-scale-half",
        )
    )
    full = f"{bar.km} km" if lang == "en" else f"{bar.km} {gettext('km', lang)}"
    labels = ((x, "0"), (x + half, f"{bar.km / 2:g}"), (x + bar.dlon, full))
    for lx, text in labels:
        ax.text(
            lx, y + height * 1.6, text, ha="center", va="bottom", fontsize=7.5, zorder=23,
            gid="cpgeo-scale-label",
        )


def draw_north_arrow(ax: Axes, *, dx: float = 30.0, height: float = 46.0) -> None:
    """Draw a north arrow beside the map, ``dx`` points right of its lower right corner.

    Outside the map, so that it never hides data (gids ``cpgeo-north-arrow`` and
    ``cpgeo-north-label``). The map is plate carrée, north up: north is the axes' upward
    direction everywhere.
    """
    fig = ax.figure
    if not isinstance(fig, Figure):  # offsets in points need the figure's dpi
        msg = "the north arrow needs axes of a top-level matplotlib Figure"
        raise TypeError(msg)

    def at(y: float) -> Any:
        return offset_copy(ax.transAxes, fig=fig, x=dx, y=y, units="points")

    ax.annotate(
        "", xy=(1.0, 0.0), xycoords=at(4 + height), xytext=(1.0, 0.0), textcoords=at(4),
        arrowprops={"facecolor": "black", "edgecolor": "white", "width": 5, "headwidth": 14,
                    "headlength": 14, "linewidth": 0.8},
        annotation_clip=False, zorder=20, gid="cpgeo-north-arrow",
    )
    ax.text(
        1.0, 0.0, "N", transform=at(6 + height), ha="center", va="bottom", fontsize=13,
        fontweight="bold", zorder=20, gid="cpgeo-north-label",
    )


def governorate_column(boundaries: gpd.GeoDataFrame) -> str:
    """Return the column naming each boundary's governorate: ``governorate``, else ``name``."""
    for column in ("governorate", "name"):
        if column in boundaries.columns:
            return column
    msg = "boundaries need a 'governorate' (or 'name') column to be labelled"
    raise ValueError(msg)


def governorates(boundaries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the boundaries dissolved by governorate, largest first, with a label point.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, index ``governorate`` (the names, as text), columns ``geometry`` (the
        union of the governorate's boundaries) and ``label`` (its shapely
        ``representative_point``: inside it, and derived from the boundaries alone).
    """
    column = governorate_column(boundaries)
    frame = boundaries[[column, "geometry"]].copy()
    frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    dissolved = frame.dissolve(by=column, sort=True)
    dissolved.index = dissolved.index.astype(str)
    dissolved.index.name = "governorate"
    dissolved = dissolved[dissolved.index != ""]
    # the largest governorates get their label first; the small ones move if they must
    km2 = [abs(_GEOD.geometry_area_perimeter(g)[0]) for g in dissolved.geometry]
    order = np.argsort(-np.asarray(km2, dtype=float), kind="stable")
    dissolved = dissolved.iloc[order]
    dissolved["label"] = dissolved.geometry.representative_point()
    return dissolved


def label_governorates(
    ax: Axes,
    dissolved: gpd.GeoDataFrame,
    *,
    fontsize: float = 8.0,
    zorder: float = 15,
    avoid: np.ndarray | None = None,
    lang: str = "en",
) -> list[Text]:
    """Write each governorate's name at its label point, clear of other names and sites.

    The names are those of :func:`cpgeo.i18n.governorate_name` in ``lang`` (italic in
    English, upright in Arabic script).

    A name that overlaps an earlier one, or covers a point of ``avoid`` (rows of lon,
    lat and the weight of covering it: the sites' symbols), moves up or down by its
    height, or a little sideways, to the first place where it does not (see
    :func:`_declutter`).
    Returns the texts (gid ``cpgeo-governorate-label``).
    """
    texts = [
        ax.text(
            point.x, point.y, governorate_name(name, lang), ha="center", va="center",
            fontsize=fontsize,
            color=PALETTE["governorate"], zorder=zorder, path_effects=_HALO,
            # DejaVu Sans Oblique has no Arabic letters: Arabic-script names stand upright
            fontstyle="normal" if is_rtl(lang) else "italic",
            gid="cpgeo-governorate-label",
        )
        for name, point in zip(dissolved.index, dissolved["label"], strict=True)
    ]
    _declutter(ax, texts, avoid, list(dissolved.geometry))
    return texts


#: Where a name may move, in its own heights (dy) and widths (dx), in order of preference.
_MOVES: tuple[tuple[float, float], ...] = (
    (0.0, 0.0), (0.0, 1.1), (0.0, -1.1), (0.0, 2.2), (0.0, -2.2), (0.55, 0.0), (-0.55, 0.0),
    (0.55, 1.1), (-0.55, 1.1), (0.55, -1.1), (-0.55, -1.1), (0.0, 3.3), (0.0, -3.3), (1.1, 0.0),
    (-1.1, 0.0), (0.0, 4.4), (0.0, -4.4), (1.1, 2.2), (-1.1, 2.2), (1.1, -2.2), (-1.1, -2.2),
)


def _declutter(ax: Axes, texts: list[Text], avoid: np.ndarray | None, within: list[Any]) -> None:
    """Move the texts apart from one another and off the points of ``avoid``.

    A text moves to the place of :data:`_MOVES` that overlaps no earlier text and covers
    the least weight of points (``avoid``: rows of x, y, weight), the first such,
    keeping its anchor inside its polygon of ``within`` (a name does not wander into a
    neighbour). When every place inside covers a point of weight 1 or more (an office
    in a small, crowded governorate), it goes to the first place outside that covers
    none, with a thin leader line to its label point, if there is one.
    """
    fig = ax.get_figure()
    if fig is None or not texts or not isinstance(fig.canvas, FigureCanvasAgg):
        return
    ax.apply_aspect()
    renderer = fig.canvas.get_renderer()
    avoid = np.empty((0, 3)) if avoid is None or not len(avoid) else np.asarray(avoid, float)
    points = ax.transData.transform(avoid[:, :2]) if len(avoid) else np.empty((0, 2))
    weights = avoid[:, 2] if len(avoid) else np.empty(0)
    to_data = ax.transData.inverted()
    pad = 5.0 * fig.dpi / 72  # 5 points: an office's symbol is 8 points wide
    placed: list[Any] = []

    def hits(box: Any) -> float:
        grown = box.padded(pad)
        inside = (
            (points[:, 0] >= grown.x0)
            & (points[:, 0] <= grown.x1)
            & (points[:, 1] >= grown.y0)
            & (points[:, 1] <= grown.y1)
        )
        return float(weights[inside].sum())

    for text, polygon in zip(texts, within, strict=True):
        anchor = text.get_position()
        px, py = ax.transData.transform(anchor)
        size = text.get_window_extent(renderer)
        options = []  # (outside, hits, order, position, box) of each free place
        for order, (dx, dy) in enumerate(_MOVES):
            position = tuple(to_data.transform((px + dx * size.width, py + dy * size.height)))
            text.set_position(position)
            box = text.get_window_extent(renderer)
            if any(box.overlaps(other) for other in placed):
                continue
            outside = bool(dx or dy) and not shapely.contains_xy(polygon, *position)
            options.append((outside, hits(box), order, position, box))
        inside = [o for o in options if not o[0]]
        best = min(inside, key=lambda o: (o[1], o[2])) if inside else None
        if best is None or best[1] >= 1:
            clear = [o for o in options if o[0] and o[1] == 0]
            best = min(clear, key=lambda o: o[2]) if clear else best
        if best is None:
            text.set_position(anchor)
            placed.append(size)
            continue
        text.set_position(best[3])
        placed.append(best[4])
        if best[0]:
            ax.plot(
                [anchor[0], best[3][0]], [anchor[1], best[3][1]], color=PALETTE["governorate"],
                linewidth=0.5, zorder=text.get_zorder(), gid="cpgeo-leader",
            )


def _new_figure(dpi: int) -> tuple[Figure, Axes]:
    """Return a figure (drawn by Agg) and the axes of its map, without ticks."""
    fig = Figure(figsize=(_MARGIN + _MAP_WIDTH + _LEGEND_WIDTH, _FIG_HEIGHT), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.02, 0.13, 0.7, 0.75))  # placed by _frame_extent
    ax.set_facecolor(PALETTE["background"])
    for spine in ax.spines.values():
        spine.set_edgecolor("#999999")
        spine.set_linewidth(0.6)
    return fig, ax


def _frame_extent(ax: Axes, bounds: np.ndarray | None) -> tuple[float, float, float, float]:
    """Set the map's extent around ``bounds`` (minx, miny, maxx, maxy), its aspect and size.

    The figure's width follows the map's shape, so that the legend sits right beside
    it. Returns the extent shown (minx, miny, maxx, maxy), degrees.
    """
    if bounds is None or not np.isfinite(bounds).all():
        bounds = np.array([38.5, 28.8, 48.9, 37.6])  # settings.IRAQ_BBOX
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    # a margin; the wider one at the bottom holds the scale bar
    pad_x = max((maxx - minx) * 0.04, 0.05)
    pad_y = max((maxy - miny) * 0.06, 0.05)
    extent = (minx - pad_x, miny - pad_y * 1.6, maxx + pad_x, maxy + pad_y)
    aspect = 1.0 / math.cos(math.radians((extent[1] + extent[3]) / 2))
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect(aspect)
    # plate carrée: a degree of latitude is ``aspect`` times as long as one of longitude
    shape = (extent[2] - extent[0]) / ((extent[3] - extent[1]) * aspect)  # width / height
    height = _MAP_HEIGHT
    width = height * shape
    if width > _MAP_WIDTH:
        width, height = _MAP_WIDTH, _MAP_WIDTH / shape
    width = max(width, 4.0)  # a narrow map keeps room for its title
    fig = ax.figure
    if isinstance(fig, Figure):
        fig_width = _MARGIN + width + _LEGEND_WIDTH
        fig.set_size_inches(fig_width, _FIG_HEIGHT)
        ax.set_position(
            (
                _MARGIN / fig_width, _MAP_BOTTOM / _FIG_HEIGHT, width / fig_width,
                height / _FIG_HEIGHT,
            )
        )
    return extent


def _clear_axes(ax: Axes) -> None:
    """Remove the ticks, tick labels and axis labels: it is a map (geopandas adds labels)."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def _furniture(
    ax: Axes, extent: tuple[float, float, float, float], lang: str = "en"
) -> ScaleBar:
    """Draw the scale bar (bottom left, in the margin under the data) and the north arrow."""
    minx, miny, maxx, maxy = extent
    bar = scale_bar(minx, maxx, (miny + maxy) / 2)
    height = (maxy - miny) * 0.011
    draw_scale_bar(
        ax, bar, x=minx + (maxx - minx) * 0.03, y=miny + (maxy - miny) * 0.03, height=height,
        lang=lang,
    )
    draw_north_arrow(ax)
    _clear_axes(ax)
    return bar


def _texts_around(
    fig: Figure,
    *,
    title: str,
    marking: str | None,
    notice: str | None,
    note: str | None,
    rtl: bool = False,
) -> None:
    """Title above the map, note and notice under it, the marking at the top and bottom.

    Right to left (``rtl``), the note and the notice end at the map's right edge.
    """
    top = 0.975
    if marking:
        for y, va, gid in (
            (0.988, "top", "cpgeo-marking-top"),
            (0.012, "bottom", "cpgeo-marking-bottom"),
        ):
            fig.text(
                0.5,
                y,
                marking,
                ha="center",
                va=va,
                fontsize=15,
                fontweight="bold",
                color=PALETTE["marking"],
                gid=gid,
                bbox={
                    "boxstyle": "square,pad=0.3",
                    "facecolor": "white",
                    "edgecolor": PALETTE["marking"],
                    "linewidth": 1.5,
                },
            )
        top = 0.94
    fig.text(
        0.5, top, title, ha="center", va="top", fontsize=13, fontweight="bold", gid="cpgeo-title"
    )
    lines: list[tuple[str, str, str]] = []
    if note:
        lines.append((note, "#333333", "cpgeo-note"))
    if notice:
        lines.append((notice, PALETTE["marking"], "cpgeo-notice"))
    width_in, height_in = fig.get_size_inches()
    y = (_MAP_BOTTOM - 0.15) / height_in
    x, ha, wide = _MARGIN / width_in, "left", width_in
    if rtl and fig.axes:
        # ending at the map's right edge, the lines are no wider than the map
        x, ha = fig.axes[0].get_position().x1, "right"
        wide = (x - _MARGIN / width_in) * width_in
    for text, colour, gid in lines:
        # about 16 characters of 7.5-point text an inch
        wrapped = "\n".join(textwrap.wrap(str(text), int(wide * 16))) or str(text)
        fig.text(x, y, wrapped, ha=ha, va="top", fontsize=7.5, color=colour, gid=gid)
        y -= (0.14 * (wrapped.count("\n") + 1) + 0.06) / height_in


def _section(label: str) -> tuple[Patch, str]:
    """Return an invisible handle and ``label``: a heading inside the legend."""
    return Patch(facecolor="none", edgecolor="none"), label


def _legend(
    ax: Axes,
    entries: list[tuple[Any, str]],
    headings: set[str],
    *,
    title: str | None = None,
    rtl: bool = False,
) -> None:
    """Draw the legend beside the map (its upper left corner at the map's right edge).

    Right to left (``rtl``), each symbol stands right of its words, aligned right.
    """
    handles = [h for h, _ in entries]
    labels = [label for _, label in entries]
    legend = ax.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False,
        handlelength=2.2, handleheight=1.3, borderaxespad=0.0, title=title,
        title_fontproperties={"weight": "bold", "size": 9},
        alignment="right" if rtl else "left", markerfirst=not rtl,
    )
    if rtl:
        for text in legend.get_texts():
            text.set_horizontalalignment("right")
    for text in legend.get_texts():
        if text.get_text() in headings:
            text.set_fontweight("bold")
    legend.set_gid("cpgeo-legend")


def _png_metadata(title: str, marking: str | None, notice: str | None) -> dict[str, str | None]:
    """PNG text chunks: the title always; the marking and the notice when given."""
    return {
        "Title": title,
        "Description": marking or None,
        "Disclaimer": notice or None,
        "Software": "cpgeo",
    }


def save_png(
    fig: Figure,
    path: Path,
    *,
    title: str,
    marking: str | None,
    notice: str | None,
    dpi: int,
) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically, its title and marking in the metadata."""
    from cpgeo._atomic import atomic_target

    with atomic_target(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", metadata=_png_metadata(title, marking, notice))
    return path


# ---------------------------------------------------------------- the exact (restricted) map


def _marker_size(radius_px: float) -> float:
    """Return the scatter area (points²) of a community whose HTML marker has this radius."""
    return radius_px**2 * 0.9


def _symbol(
    marker: str,
    face: str,
    size: float,
    *,
    edge: str = "white",
    edge_width: float = 1.0,
    line: LineStyleType = "",
    line_colour: str | None = None,
) -> Line2D:
    """Return a legend handle: a marker, on a line when ``line`` is a line style."""
    return Line2D(
        [], [], marker=marker, markersize=size, markerfacecolor=face, markeredgecolor=edge,
        markeredgewidth=edge_width, linestyle=line or "", linewidth=0.8,
        color=line_colour or face,
    )


def _population_entries(lang: str = "en") -> list[tuple[Any, str]]:
    """Return legend rows of three population classes: the smallest, a middle one, the largest."""
    rows = []
    last = len(POPULATION_CLASSES) - 1
    for i in (0, last // 2, last):
        bound, radius = POPULATION_CLASSES[i]
        if i == 0:
            label = gettext("under {n}", lang).format(n=_number(POPULATION_CLASSES[1][0], lang))
        elif i == last:
            label = gettext("{n} or more", lang).format(n=_number(bound, lang))
        else:
            label = gettext("{low} to {high}", lang).format(
                low=_number(bound, lang), high=_number(POPULATION_CLASSES[i + 1][0], lang)
            )
        size = math.sqrt(_marker_size(radius))
        rows.append((_symbol("o", "#9e9e9e", size, edge_width=0.3), label))
    return rows


def scenario_figure(
    scenario: Scenario,
    coverage: gpd.GeoDataFrame,
    load: gpd.GeoDataFrame,
    forums: gpd.GeoDataFrame,
    proposals: gpd.GeoDataFrame | None,
    *,
    radius_km: float,
    max_cpfs: int,
    title: str,
    marking: str | None,
    dpi: int,
    lang: str = "en",
    notice: str | None = None,
) -> Figure:
    """Return the exact map of a scenario (every office, forum and community) as a Figure.

    See :func:`cpgeo.maps.render_png`; the inputs are already resolved. ``lang``
    {"en", "ar", "ckb"}: the legend, the scale bar and the governorates' names in that
    language (``title`` and ``marking`` are given written). ``notice``: the
    illustrative-data notice to print, default the scenario's in ``lang``.
    """
    fig, ax = _new_figure(dpi)
    boundaries = scenario.boundaries
    has_boundaries = boundaries is not None and len(boundaries) > 0
    extent = _frame_extent(ax, boundaries.total_bounds if has_boundaries else None)
    if proposals is not None and not len(proposals):
        proposals = None
    pops = pd.to_numeric(_col(coverage, "population", None), errors="coerce")
    if has_boundaries:
        boundaries.plot(ax=ax, aspect=None, facecolor=PALETTE["land"],
                        edgecolor=PALETTE["boundary"], linewidth=0.4, zorder=1)
        dissolved = governorates(boundaries)
        dissolved.boundary.plot(ax=ax, aspect=None, color=PALETTE["governorate"],
                                linewidth=0.9, zorder=2)
    _draw_scenario(ax, coverage, pops, load, forums, proposals, radius_km)
    if has_boundaries:
        big = coverage[pops.fillna(0).to_numpy(float) >= POPULATION_CLASSES[2][0]]
        # an office, forum or proposed site must not be hidden; a large town should not
        sites = [
            np.column_stack([f.geometry.x, f.geometry.y, np.full(len(f), weight)])
            for f, weight in ((load, 1.0), (forums, 1.0), (proposals, 1.0), (big, 0.1))
            if f is not None and len(f)
        ]
        # over the catchments, under the sites; moved off the offices, forums and towns
        label_governorates(
            ax, dissolved, zorder=3.5, avoid=np.vstack(sites) if sites else None, lang=lang
        )
    _furniture(ax, extent, lang)
    km = f"{radius_km:g}" if lang == "en" else format_number(radius_km, lang)
    capacity = f"{max_cpfs}" if lang == "en" else format_number(max_cpfs, lang)

    def say(message: str, **values: str) -> str:
        return gettext(message, lang).format(**values)

    heads = [say(h) for h in ("Communities", "Dot size: population", "Offices and forums",
                              "Areas")]
    entries = [
        _section(heads[0]),
        (_symbol("o", PALETTE["covered"], 6), say("within {km} km of an office", km=km)),
        (_symbol("o", PALETTE["uncovered"], 6), say("not covered")),
    ]
    if len(coverage) and pops.notna().any():
        entries += [_section(heads[1]), *_population_entries(lang)]
    entries += [
        _section(heads[2]),
        (_symbol("o", PALETTE["office"], 8), say("office")),
        (
            _symbol("^", PALETTE["office_over"], 11, edge="black", edge_width=1.4),
            say("office over capacity (more than {n}\nforums); the number beside it:\n"
                "forums assigned to it", n=capacity),
        ),
        (_symbol("s", PALETTE["forum"], 5, line="-"), say("forum, line to its office")),
        (
            _symbol("s", PALETTE["forum_problem"], 6, edge="black", line="--",
                    line_colour=PALETTE["link_problem"]),
            say("forum out of range or without\nan office (dashed: to its office)"),
        ),
    ]
    if proposals is not None:
        entries += [
            (_symbol("o", PALETTE["proposal"], 9), say("proposed site (number: its rank)")),
            (Line2D([], [], linestyle="--", color=PALETTE["proposal"]),
             say("catchment of a proposed site")),
        ]
    entries += [
        _section(heads[3]),
        (
            Patch(facecolor=to_rgba(PALETTE["catchment"], 0.16), edgecolor=PALETTE["catchment"]),
            say("within {km} km of an office\n(geodesic circle; darker where\n"
                "catchments overlap)", km=km),
        ),
    ]
    if has_boundaries:
        entries.append((Line2D([], [], color=PALETTE["governorate"], linewidth=0.9),
                        say("governorate boundary, name")))
    rtl = is_rtl(lang)
    _legend(ax, entries, set(heads), rtl=rtl)
    _texts_around(
        fig, title=title, marking=marking,
        notice=_notice(scenario, lang) if notice is None else notice, note=None, rtl=rtl,
    )
    return fig


def _notice(scenario: Scenario, lang: str) -> str:
    """Return the scenario's illustrative-data notice in ``lang`` ("" when it has none)."""
    return scenario.notice if lang == "en" else scenario.notice_in(lang)


def _draw_scenario(
    ax: Axes,
    coverage: gpd.GeoDataFrame,
    pops: pd.Series,
    load: gpd.GeoDataFrame,
    forums: gpd.GeoDataFrame,
    proposals: gpd.GeoDataFrame | None,
    radius_km: float,
) -> None:
    """Draw the catchments, communities, forums, offices and proposed sites."""
    if len(load):
        for circle in geodesic_circles(load.geometry.x.to_numpy(), load.geometry.y.to_numpy(),
                                       radius_km):
            xs, ys = circle.exterior.xy
            ax.fill(xs, ys, facecolor=PALETTE["catchment"], alpha=0.16,
                    edgecolor=PALETTE["catchment"], linewidth=0.8, zorder=3)
    if proposals is not None:
        for circle in geodesic_circles(proposals.geometry.x.to_numpy(),
                                       proposals.geometry.y.to_numpy(), radius_km):
            xs, ys = circle.exterior.xy
            ax.plot(xs, ys, color=PALETTE["proposal"], linestyle="--", linewidth=1, zorder=3)
    if len(coverage):
        covered = _col(coverage, "covered", False).fillna(False).astype(bool).to_numpy()
        ax.scatter(
            coverage.geometry.x, coverage.geometry.y,
            s=np.array([_marker_size(_population_radius(p)) for p in pops]),
            c=np.where(covered, PALETTE["covered"], PALETTE["uncovered"]),
            edgecolors="white", linewidths=0.3, zorder=4, gid="cpgeo-communities",
        )
    _draw_forums(ax, forums, load)
    _draw_offices(ax, load)
    if proposals is not None:
        ax.scatter(proposals.geometry.x, proposals.geometry.y, s=130, c=PALETTE["proposal"],
                   edgecolors="white", zorder=9)
        for rank, geom in zip(proposal_rank(proposals), proposals.geometry, strict=True):
            ax.annotate("?" if pd.isna(rank) else str(int(rank)), (geom.x, geom.y),
                        ha="center", va="center", color="white", fontsize=7,
                        fontweight="bold", zorder=10)


def _draw_forums(ax: Axes, forums: gpd.GeoDataFrame, load: gpd.GeoDataFrame) -> None:
    """Forums: purple squares linked to their office; out of range, yellow, dashed links."""
    if not len(forums):
        return
    office_xy = {str(o): (g.x, g.y) for o, g in zip(load["id"], load.geometry, strict=True)}
    status = _col(forums, "status", "in_range").fillna("in_range").astype(str).to_numpy()
    assigned = _col(forums, "assigned_office", None)
    for i, geom in enumerate(forums.geometry):
        office = assigned.iloc[i]
        if office is not None and not pd.isna(office) and str(office) in office_xy:
            ox, oy = office_xy[str(office)]
            ok = status[i] == "in_range"
            ax.plot([geom.x, ox], [geom.y, oy],
                    color=PALETTE["forum"] if ok else PALETTE["link_problem"],
                    linewidth=0.7, linestyle="-" if ok else "--", zorder=5)
    ok = status == "in_range"
    xs, ys = forums.geometry.x.to_numpy(), forums.geometry.y.to_numpy()
    ax.scatter(xs[ok], ys[ok], s=16, c=PALETTE["forum"], marker="s", edgecolors="white",
               linewidths=0.4, zorder=6)
    ax.scatter(xs[~ok], ys[~ok], s=26, c=PALETTE["forum_problem"], marker="s",
               edgecolors="black", linewidths=0.8, zorder=6)


def _draw_offices(ax: Axes, load: gpd.GeoDataFrame) -> None:
    """Offices: blue dots; over capacity, orange triangles ringed in black with their count."""
    if not len(load):
        return
    over = _col(load, "over_capacity", False).fillna(False).astype(bool).to_numpy()
    xs, ys = load.geometry.x.to_numpy(), load.geometry.y.to_numpy()
    ax.scatter(xs[~over], ys[~over], s=64, c=PALETTE["office"], edgecolors="white",
               linewidths=1.2, zorder=7, gid="cpgeo-offices")
    ax.scatter(xs[over], ys[over], s=150, c=PALETTE["office_over"], marker="^",
               edgecolors="black", linewidths=1.6, zorder=8, gid="cpgeo-offices-over")
    n_cpfs = _col(load, "n_cpfs", None)
    for i in np.flatnonzero(over):
        count = n_cpfs.iloc[i]
        ax.annotate(
            "!" if pd.isna(count) else str(int(count)), (xs[i], ys[i]), xytext=(8, 5),
            textcoords="offset points", ha="left", va="bottom", fontsize=8.5,
            fontweight="bold", color="black", zorder=12, gid="cpgeo-forum-count",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "black",
                  "linewidth": 0.6},
        )


# ---------------------------------------------------------------- the area (public) map


@dataclass(frozen=True)
class Classes:
    """Classes of an area map's value: ``breaks`` (n + 1 bounds), their labels and colours."""

    breaks: tuple[float, ...]
    labels: tuple[str, ...]
    colours: tuple[str, ...]
    share: bool

    def index(self, values: np.ndarray) -> np.ndarray:
        """Class of each value (0..n-1; -1 when missing); the last class includes its top."""
        values = np.asarray(values, dtype=float)
        inner = np.asarray(self.breaks[1:-1], dtype=float)
        out = np.searchsorted(inner, values, side="right")
        return np.where(np.isnan(values), -1, out)


def value_title(value: str, lang: str = "en") -> str:
    """Return the legend's title of an area map showing the column ``value``, in ``lang``."""
    if value in VALUE_TITLES:
        return gettext(VALUE_TITLES[value], lang)
    if lang != "en":
        from cpgeo.labels import label

        return label(value, lang)
    return value.replace("_", " ").capitalize()


def unknown_label(value: str, lang: str = "en") -> str:
    """Return what the legend calls an area with no value, in ``lang``.

    A share has no value where the area holds no community of known population: none
    at all in the data, or only communities whose population is unknown.
    """
    if "population" in value:
        return gettext("no known population", lang)
    if "communities" in value:
        return gettext("no community in the data", lang)
    return gettext("unknown", lang)


def classes(values: pd.Series, value: str, lang: str = "en") -> Classes:
    """Return the classes of ``values`` (the column ``value``).

    A share (a name ending in ``_share``, 0..1): 0-20-40-60-80-100 %. Any other value:
    five equal classes from 0, of a round width, up to the largest value. The labels'
    numbers are written as ``lang`` writes them.
    """
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(float)
    share = value.endswith("_share")
    if share:
        breaks = SHARE_BREAKS
        labels = tuple(
            f"{lo * 100:.0f}{_DASH}{hi * 100:.0f} %" for lo, hi in itertools.pairwise(breaks)
        )
        return Classes(breaks, labels, CLASS_COLOURS, share=True)
    top = float(np.nanmax(numbers)) if np.isfinite(numbers).any() else 1.0
    step = _nice_step(max(top, 1.0) / len(CLASS_COLOURS))
    breaks = tuple(float(step * i) for i in range(len(CLASS_COLOURS) + 1))
    labels = tuple(
        f"{_number(breaks[i], lang)}{_DASH}{_number(breaks[i + 1], lang)}"
        for i in range(len(breaks) - 1)
    )
    return Classes(breaks, labels, CLASS_COLOURS, share=False)


def _nice_step(raw: float) -> float:
    """Return the smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``raw``."""
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * power >= raw:
            return factor * power
    return 10.0 * power


def area_figure(
    areas: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    value: str,
    title: str,
    notice: str | None,
    note: str | None,
    marking: str | None,
    dpi: int,
    lang: str = "en",
) -> Figure:
    """Return the choropleth of ``areas`` by ``value`` as a Figure: polygons and names only.

    See :func:`cpgeo.maps.render_area_png`. ``lang`` {"en", "ar", "ckb"}: the legend,
    the scale bar and the governorates' names in that language (``title``, ``note``,
    ``notice`` and ``marking`` are given written).
    """
    fig, ax = _new_figure(dpi)
    frames = [f for f in (areas, boundaries) if f is not None and len(f)]
    bounds = None
    if frames:
        all_bounds = np.array([f.total_bounds for f in frames])
        bounds = np.array(
            [
                all_bounds[:, 0].min(),
                all_bounds[:, 1].min(),
                all_bounds[:, 2].max(),
                all_bounds[:, 3].max(),
            ]
        )
    extent = _frame_extent(ax, bounds)
    cls = classes(areas[value], value, lang)
    index = cls.index(pd.to_numeric(areas[value], errors="coerce").to_numpy(float))
    if boundaries is not None and len(boundaries):
        boundaries.plot(ax=ax, aspect=None, facecolor=PALETTE["land"], edgecolor="none", zorder=1)
    known = index >= 0
    if known.any():
        areas[known].plot(
            ax=ax,
            aspect=None,
            color=[cls.colours[i] for i in index[known]],
            edgecolor="#ffffff",
            linewidth=0.4,
            zorder=2,
        )
    if (~known).any():
        areas[~known].plot(
            ax=ax,
            aspect=None,
            facecolor=UNKNOWN_COLOUR,
            edgecolor="#7f7f7f",
            hatch="////",
            linewidth=0.4,
            zorder=2,
        )
    dissolved = None
    if boundaries is not None and len(boundaries):
        dissolved = governorates(boundaries)
        dissolved.boundary.plot(
            ax=ax, aspect=None, color=PALETTE["governorate"], linewidth=1.0, zorder=3
        )
        label_governorates(ax, dissolved, lang=lang)
    _furniture(ax, extent, lang)
    entries: list[tuple[Any, str]] = [
        (Patch(facecolor=colour, edgecolor="#7f7f7f", linewidth=0.4), label)
        for colour, label in zip(cls.colours, cls.labels, strict=True)
    ]
    entries.append(
        (
            Patch(facecolor=UNKNOWN_COLOUR, edgecolor="#7f7f7f", hatch="////", linewidth=0.4),
            unknown_label(value, lang),
        )
    )
    if dissolved is not None:
        entries.append(
            (
                Line2D([], [], color=PALETTE["governorate"], linewidth=1.0),
                gettext("governorate boundary, name", lang),
            )
        )
    rtl = is_rtl(lang)
    _legend(ax, entries, set(), title=value_title(value, lang), rtl=rtl)
    _texts_around(fig, title=title, marking=marking, notice=notice, note=note, rtl=rtl)
    return fig
