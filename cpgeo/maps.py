"""Maps of a scenario: an offline folium map (interactive) and a matplotlib PNG (static).

The exact maps (:func:`build_map`, :func:`render_png`) show every site; the area maps
(:func:`build_area_map`, :func:`render_area_png`) are choropleths of counts by area, for
public use, and show none. The PNGs' cartography lives in :mod:`cpgeo._cartography`.

The folium map loads Leaflet from the installed XStatic packages (inlined as ``data:``
URIs, or from a static folder), never from a CDN, and needs no tile server: with
``basemap="none"`` every vector layer draws on a plain background.

Catchments are true geodesic circles on the WGS84 ellipsoid (vertices computed with
``pyproj.Geod.fwd``), not Leaflet's screen circles. Communities (thousands of villages)
are one compact payload drawn by one canvas layer, their tooltips built in the browser.

Every word the maps show is looked up in the catalogs (:func:`cpgeo.i18n.gettext`) for
the map's ``lang`` (English, Arabic, Central Kurdish), numbers are written as the
language writes them and places named in it where the data has the names; Arabic and
Kurdish pages are right to left (``<html dir="rtl">``, legend and tooltips mirrored).
Symbols use the PNG's Okabe-Ito palette (:func:`map_colours`): an office over capacity
is an orange triangle ringed in black, not only a colour; communities not covered are
rings, lighter than the offices drawn over them.

No text from data is ever markup or code: texts in folium's HTML tooltips are escaped by
:func:`esc` (HTML, JavaScript template literals, and Jinja's braces, since branca compiles
every macro's output as a template on the server); the communities' texts travel as JSON
(:func:`_script_json`) and are shown as text nodes.
"""

from __future__ import annotations

import functools
import html
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import folium
import numpy as np
import pandas as pd
from branca.element import Element, Figure, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template
from pyproj import Geod
from shapely.geometry import Polygon

from cpgeo import settings
from cpgeo._assets import local_links
from cpgeo._errors import InputError
from cpgeo.i18n import (
    digits_in_use,
    format_number,
    gettext,
    governorate_name,
    is_rtl,
    language,
    place_names,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import geopandas as gpd

    from cpgeo.scenario import Scenario

_GEOD = Geod(ellps="WGS84")

#: Colours of the interactive map's symbols that the PNG's Okabe-Ito palette
#: (:data:`cpgeo._cartography.PALETTE`) has no entry for; :func:`map_colours` gives both.
COLOURS: dict[str, str] = {
    # proposed sites: near-black, unlike any status colour
    "proposal": "#252525",
    "radius_not_road": "#fdb515",
    "off_network": "#9e9e9e",
    "station": "#666666",
    "focus": "#222222",
    "ring": "#000000",
}


@functools.cache
def map_colours() -> dict[str, str]:
    """Return the colours of the interactive map: the PNG's PALETTE, then :data:`COLOURS`.

    The same Okabe-Ito colours as :func:`render_png` for every symbol both maps draw
    (communities, offices, offices over capacity, forums, catchments, boundaries), so
    that the two maps read alike with any colour vision.
    """
    from cpgeo._cartography import PALETTE  # imports this module: not at the top

    return {**PALETTE, **COLOURS}


#: Community population classes (lower bounds) and their marker radius in pixels.
POPULATION_CLASSES: tuple[tuple[int, float], ...] = (
    (0, 2.5),
    (10_000, 4.0),
    (50_000, 5.5),
    (200_000, 7.5),
    (1_000_000, 10.0),
)

Basemap = Literal["none", "osm"]
Catchment = Literal["radius", "road"]

#: Decimals kept in the coordinates sent to the browser: 1e-5 degree is at most 1.1 m,
#: far below a pixel at any zoom the maps use, and halves the size of the map's data.
COORD_DECIMALS = 5


def _round_coords(coordinates: Any) -> Any:
    """Return GeoJSON ``coordinates`` (nested sequences) rounded to COORD_DECIMALS."""
    if (
        isinstance(coordinates, (list, tuple))
        and coordinates
        and isinstance(coordinates[0], (int, float, np.floating))
    ):
        return [round(float(c), COORD_DECIMALS) for c in coordinates]
    return [_round_coords(c) for c in coordinates]


def _geometry(geom: Any) -> dict[str, Any]:
    """Return a shapely geometry as a GeoJSON mapping with rounded coordinates."""
    mapping = geom.__geo_interface__
    if mapping["type"] == "GeometryCollection":
        return {
            "type": "GeometryCollection",
            "geometries": [_geometry(g) for g in geom.geoms],
        }
    return {"type": mapping["type"], "coordinates": _round_coords(mapping["coordinates"])}


#: Characters escaped beyond ``html.escape``: the backtick, dollar and backslash (JavaScript
#: template literals), and the braces, because branca compiles every macro's output as a
#: Jinja template: ``{{ ... }}`` in a name would otherwise be evaluated on the server.
_MORE_ENTITIES: tuple[tuple[str, str], ...] = (
    ("`", "&#96;"), ("$", "&#36;"), ("\\", "&#92;"), ("{", "&#123;"), ("}", "&#125;"),
)


def esc(value: Any) -> str:
    """Return ``value`` as text safe inside HTML and inside a JavaScript template literal.

    ``html.escape`` plus the backtick, the dollar sign, the backslash and the braces, so
    that a name like ``<script>alert(1)</script>``, ``${alert(1)}`` or ``{{ 7 * 7 }}``
    shows as text (see :data:`_MORE_ENTITIES`). Missing values give an empty string.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    text = html.escape(str(value), quote=True)
    for char, entity in _MORE_ENTITIES:
        text = text.replace(char, entity)
    return text


def geodesic_circle(lon: float, lat: float, radius_km: float, *, n: int = 128) -> Polygon:
    """Return the geodesic circle of ``radius_km`` around a point as a polygon.

    Parameters
    ----------
    lon, lat
        Centre, degrees (EPSG:4326).
    radius_km
        Radius, kilometres on the WGS84 ellipsoid; every vertex is at this geodesic
        distance from the centre.
    n
        Number of vertices (equally spaced azimuths).

    Returns
    -------
    shapely.Polygon
        Vertices as (lon, lat) in EPSG:4326.
    """
    return geodesic_circles(np.array([lon]), np.array([lat]), radius_km, n=n)[0]


def geodesic_circles(
    lons: np.ndarray, lats: np.ndarray, radius_km: float, *, n: int = 128
) -> list[Polygon]:
    """Return a geodesic circle (see :func:`geodesic_circle`) around each point, vectorised."""
    lons = np.asarray(lons, dtype=float)
    lats = np.asarray(lats, dtype=float)
    if radius_km <= 0 or not math.isfinite(radius_km):
        msg = f"radius_km must be a positive number, got {radius_km}"
        raise ValueError(msg)
    azimuths = np.linspace(0.0, 360.0, n, endpoint=False)
    m = len(lons)
    lon_v, lat_v, _ = _GEOD.fwd(
        np.repeat(lons, n),
        np.repeat(lats, n),
        np.tile(azimuths, m),
        np.full(m * n, radius_km * 1000.0),
    )
    lon_v = np.asarray(lon_v).reshape(m, n)
    lat_v = np.asarray(lat_v).reshape(m, n)
    return [Polygon(np.column_stack([lon_v[i], lat_v[i]])) for i in range(m)]


def _check_crs(gdf: gpd.GeoDataFrame | None, name: str) -> None:
    if gdf is None or len(gdf) == 0:
        return
    if gdf.crs is None:
        msg = f"{name} has no CRS; cpgeo layers are EPSG:4326"
        raise ValueError(msg)
    if gdf.crs.to_epsg() != 4326:
        msg = f"{name} is in {gdf.crs.to_string()}, expected EPSG:4326"
        raise ValueError(msg)


def _population_radius(population: Any) -> float:
    value = 0 if population is None or pd.isna(population) else float(population)
    radius = POPULATION_CLASSES[0][1]
    for bound, r in POPULATION_CLASSES:
        if value >= bound:
            radius = r
    return radius


def _col(frame: pd.DataFrame, name: str, default: Any = None) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([default] * len(frame), index=frame.index, dtype=object)


def _dot_style(
    radius: float, fill: str, *, stroke: str = "#ffffff", weight: float = 1.0,
    opacity: float = 1.0,
) -> dict[str, Any]:
    """Leaflet style of one circle marker."""
    return {
        "radius": radius,
        "color": stroke,
        "weight": weight,
        "fillColor": fill,
        "fill": True,
        "fillOpacity": opacity,
    }


def _dots(
    data: dict[str, Any], style: Callable[[dict[str, Any]], dict[str, Any]], **kwargs: Any
) -> folium.GeoJson:
    """Point features drawn as canvas circle markers, with their ``tip`` as tooltip."""
    return folium.GeoJson(
        data,
        marker=folium.CircleMarker(radius=3),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        **kwargs,
    )


def _point_features(gdf: gpd.GeoDataFrame, props: list[dict[str, Any]]) -> dict[str, Any]:
    xs = gdf.geometry.x.to_numpy()
    ys = gdf.geometry.y.to_numpy()
    features = [
        {
            "type": "Feature",
            "id": str(i),
            "geometry": {
                "type": "Point",
                "coordinates": [
                    round(float(xs[i]), COORD_DECIMALS),
                    round(float(ys[i]), COORD_DECIMALS),
                ],
            },
            "properties": props[i],
        }
        for i in range(len(gdf))
    ]
    return {"type": "FeatureCollection", "features": features}


def _resolve_inputs(
    scenario: Scenario,
    coverage: gpd.GeoDataFrame | None,
    load: gpd.GeoDataFrame | None,
    forums: gpd.GeoDataFrame | None,
    radius_km: float,
    max_cpfs: int,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from cpgeo import coverage as cov

    if coverage is None:
        coverage = cov.community_coverage(scenario.communities, scenario.offices, radius_km)
    if load is None:
        load = cov.office_load(scenario.offices, scenario.cpfs, radius_km, max_cpfs)
    if forums is None:
        forums = cov.cpf_status(scenario.offices, scenario.cpfs, radius_km)
    return coverage, load, forums


def build_map(
    scenario: Scenario,
    coverage: gpd.GeoDataFrame | None = None,
    load: gpd.GeoDataFrame | None = None,
    proposals: gpd.GeoDataFrame | None = None,
    *,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
    forums: gpd.GeoDataFrame | None = None,
    basemap: Basemap = "none",
    governorates: list[str] | tuple[str, ...] | None = None,
    show_stations: bool = False,
    assets_base_url: str | None = None,
    title: str | None = None,
    catchment: Catchment = "radius",
    center: tuple[float, float] | None = None,
    zoom: float | None = None,
    coverage_after: gpd.GeoDataFrame | None = None,
    marking: str | None = None,
    lang: str = "en",
    shares: str = "hidden",
) -> folium.Map:
    """Return an interactive folium map of a scenario that draws without internet access.

    Parameters
    ----------
    scenario
        The layers (EPSG:4326).
    coverage
        Output of :func:`cpgeo.coverage.community_coverage`; computed when None. With
        ``catchment="road"``, the output of :func:`cpgeo.coverage.network_coverage`.
    load
        Output of :func:`cpgeo.coverage.office_load` (offices with ``n_cpfs``,
        ``over_capacity``); computed when None.
    proposals
        Output of :func:`cpgeo.siting.propose_sites` (ranked points), or None.
    radius_km
        Catchment radius, kilometres on the WGS84 ellipsoid; default ``settings.radius_km``.
    max_cpfs
        Office capacity in forums; default ``settings.max_cpfs``.
    forums
        Output of :func:`cpgeo.coverage.cpf_status` (``assigned_office``, ``status``);
        computed when None.
    basemap
        ``{"none", "osm"}``: no tiles (plain background, works offline) or OpenStreetMap
        tiles (need internet).
    governorates
        Governorates to outline in bold. The map opens on the whole of the boundaries.
    show_stations
        Show the candidate police stations layer when the map opens.
    assets_base_url
        None to inline Leaflet as ``data:`` URIs; else the URL of a folder filled by
        :func:`cpgeo._assets.copy_assets`.
    title
        Optional heading drawn over the map; also the page's ``<title>`` (default
        "cpgeo map").
    catchment
        ``{"radius", "road"}``: colour communities by the geodesic radius, or by road
        distance (``covered_by_road``), with those inside the radius but beyond it by
        road in a colour of their own.
    center, zoom
        Open the map on (latitude, longitude), degrees, at this Leaflet zoom level,
        instead of on the whole of the boundaries.
    coverage_after
        With ``proposals``: the communities' coverage once the proposal is carried out
        (e.g. ``Proposal.after.coverage``); communities it newly covers get a colour of
        their own.
    marking
        A security marking, e.g. "RESTRICTED — exact locations of offices and forums; do
        not share": a banner at the top of the map, and the start of the page's title.
    lang
        ``{"en", "ar", "ckb"}`` (see :func:`cpgeo.i18n.language`): the language of every
        word the map shows (legend, tooltips, layer names, the default title), its
        numbers' format, and the names of places where the data has them
        (:func:`cpgeo.i18n.place_names`). Arabic and Kurdish maps are right to left: the
        page is ``dir="rtl"``, the legend, tooltips and controls are mirrored. Data keys
        and the payload's property names do not change.
    shares
        ``{"none", "hidden", "shown"}``: the "Share of the population within the radius"
        layer left out (the lightest page, the app's first map), in the layer control
        but off (exported maps), or on when the map opens.

    Returns
    -------
    folium.Map
        With the overlays "Governorates" (or "Districts", "Sub-districts"), "Share of the
        population within the radius" (a choropleth by governorate, or by district with
        district boundaries; hidden at first, its legend shown with it), "Catchments",
        "Communities", "Forums", "Offices", "Candidate stations", (with proposals)
        "Proposed sites", "Governorate names" (at representative points, moved off the
        offices where they can be) and "Office names" (hidden at first), all named in
        ``lang``; a layer control, a legend (symbols, population dot sizes; the stations'
        and proposals' rows shown while their layers are), a metric scale bar and zoom
        buttons.
    """
    radius_km = settings.radius_km if radius_km is None else float(radius_km)
    max_cpfs = settings.max_cpfs if max_cpfs is None else int(max_cpfs)
    lang = language(lang)
    for name, layer in (
        ("boundaries", scenario.boundaries),
        ("communities", scenario.communities),
        ("offices", scenario.offices),
        ("cpfs", scenario.cpfs),
        ("stations", scenario.stations),
        ("proposals", proposals),
    ):
        _check_crs(layer, name)
    if catchment not in ("radius", "road"):
        msg = f"catchment must be 'radius' or 'road', got {catchment!r}"
        raise ValueError(msg)
    if catchment == "road" and (coverage is None or "covered_by_road" not in coverage.columns):
        msg = "catchment='road' needs the output of cpgeo.coverage.network_coverage"
        raise ValueError(msg)
    coverage, load, forums = _resolve_inputs(scenario, coverage, load, forums, radius_km, max_cpfs)

    m = folium.Map(
        location=[33.2, 43.7],
        zoom_start=6,
        tiles=None,
        prefer_canvas=True,
        zoom_control=False,  # added by _Page, with its titles in the language
        zoom_snap=0.25,
    )
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(m)
    elif basemap != "none":
        msg = f"basemap must be 'none' or 'osm', got {basemap!r}"
        raise ValueError(msg)
    bounds = _bounds(scenario.boundaries)
    if center is not None:
        m.location = [float(center[0]), float(center[1])]
        m.options["zoom"] = float(zoom if zoom is not None else 9)
    elif bounds is not None:
        # before any layer, at once (no zoom animation): every layer is drawn once, at the
        # final view, not first at the opening view and again after fitting
        fit = folium.map.FitBounds(bounds)
        fit.options["animate"] = False
        m.add_child(fit)

    boundary_layer = _add_boundaries(m, scenario.boundaries, governorates, lang=lang)
    dissolved = _governorates(scenario.boundaries)
    if shares not in ("none", "hidden", "shown"):
        msg = f"shares must be 'none', 'hidden' or 'shown', not {shares!r}"
        raise InputError(msg)
    share_layer = (
        None
        if shares == "none"
        else _add_share_layer(
            m, scenario.boundaries, dissolved, coverage, lang=lang, show=shares == "shown"
        )
    )
    _add_catchments(m, load, radius_km, name=gettext("Catchments", lang), lang=lang)
    if catchment == "road":
        _add_road_communities(m, coverage, radius_km, lang=lang)
    else:
        _add_communities(
            m, coverage, after=coverage_after if proposals is not None else None, lang=lang
        )
    _add_forums(m, forums, load, lang=lang)
    _add_offices(m, load, max_cpfs, lang=lang)
    stations = None
    if scenario.stations is not None and len(scenario.stations):
        stations = _add_stations(m, scenario.stations, show=show_stations, lang=lang)
    follows: dict[str, Any] = {}
    if stations is not None:
        follows["stations"] = stations
    if proposals is not None and len(proposals):
        follows["proposals"] = _add_proposals(m, proposals, radius_km, lang=lang)
    _add_governorate_names(
        m, dissolved, lang=lang, avoid=_sites(load, 14) + _sites(forums, 6)
    )
    _add_office_names(m, load, lang=lang)
    rtl = is_rtl(lang)
    folium.LayerControl(position="topleft" if rtl else "topright", collapsed=False).add_to(m)
    if share_layer is not None:
        m.add_child(_ShareLegend(share_layer, boundary_layer, lang=lang))
    m.add_child(
        _Legend(
            radius_km=radius_km,
            max_cpfs=max_cpfs,
            title=title,
            proposals=proposals is not None and len(proposals) > 0,
            catchment=catchment,
            stations=stations is not None,
            newly=coverage_after is not None and proposals is not None,
            lang=lang,
            follows=follows,
        )
    )
    if marking:
        m.add_child(_Banner(marking))
    _set_page_title(m, title, marking, lang=lang)
    m.add_child(_Page(lang))
    m.add_child(_MapReady())
    make_offline(m, base_url=assets_base_url)
    # jQuery only serves folium's popups, which these maps do not use: ~120 kB less to ship
    m.default_js = [(n, u) for n, u in m.default_js if n != "jquery"]
    return m


def _bounds(boundaries: gpd.GeoDataFrame) -> list[list[float]] | None:
    """Return [[south, west], [north, east]] of all the boundaries (the whole country)."""
    if boundaries is None or len(boundaries) == 0:
        return None
    minx, miny, maxx, maxy = boundaries.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _tip(text: str, lang: str) -> str:
    """Return a tooltip's markup, in a right-to-left block for a right-to-left language."""
    return f'<div dir="rtl" lang="{lang}">{text}</div>' if is_rtl(lang) else text


def _number(value: Any, lang: str, decimals: int | None = None) -> str:
    """Return a number as ``lang`` writes it (thousands separators; missing: "unknown")."""
    if value is None or pd.isna(value):
        return gettext("unknown", lang)
    return format_number(float(value) if decimals else round(float(value)), lang,
                         decimals=decimals)


def _percent(share: Any, lang: str) -> str:
    """Return a share (0..1) as a whole percentage in ``lang`` (English: ``"55 %"``)."""
    if share is None or pd.isna(share):
        return gettext("unknown", lang)
    if lang == "en":  # as the PNG's classes write it
        return f"{float(share) * 100:.0f} %"
    return format_number(float(share), lang, decimals=0, percent=True)


def _boundary_level(boundaries: gpd.GeoDataFrame) -> int:
    """Return the boundaries' admin level: COD-AB areas (cpgeo.admin) name it, else 1."""
    return int(boundaries["level"].iloc[0]) if "level" in boundaries.columns else 1


#: Layer names of the boundaries by admin level.
_LEVEL_LAYERS = {1: "Governorates", 2: "Districts", 3: "Sub-districts"}


def _add_boundaries(
    m: folium.Map,
    boundaries: gpd.GeoDataFrame,
    governorates: list[str] | tuple[str, ...] | None,
    *,
    lang: str = "en",
) -> folium.GeoJson | None:
    if boundaries is None or len(boundaries) == 0:
        return None
    colours = map_colours()
    focus = set(governorates or ())
    level = _boundary_level(boundaries)
    gov_column = "governorate" if "governorate" in boundaries.columns else "name"
    govs = _col(boundaries, gov_column, "")
    gov_names = place_names(boundaries, lang, column="governorate") if lang != "en" else None
    names = place_names(boundaries, lang) if level > 1 else None
    codes = _col(boundaries, "id", "")
    features = []
    for i, geom in enumerate(boundaries.geometry):
        gov = govs.iloc[i] if not pd.isna(govs.iloc[i]) else ""
        shown = gov if gov_names is None or pd.isna(gov_names.iloc[i]) else gov_names.iloc[i]
        tip = f"<b>{esc(shown)}</b>"
        if names is not None:
            tip = f"<b>{esc(names.iloc[i])}</b> ({esc(shown)})<br>{esc(codes.iloc[i])}"
        features.append(
            {
                "type": "Feature",
                "id": str(i),
                "geometry": _geometry(geom),
                "properties": {"tip": _tip(tip, lang), "focus": bool(gov in focus)},
            }
        )
    data = {"type": "FeatureCollection", "features": features}

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        bold = feature["properties"]["focus"]
        return {
            "color": colours["focus"] if bold else colours["boundary"],
            "weight": 2.5 if bold else 1,
            "fillColor": colours["land"],
            "fillOpacity": 0.85 if bold else 0.6,
        }

    layer = folium.GeoJson(
        data,
        name=gettext(_LEVEL_LAYERS.get(level, "Areas"), lang),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    )
    layer.add_to(m)
    return layer


def _governorates(boundaries: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Return the boundaries dissolved by governorate with label points, or None.

    See :func:`cpgeo._cartography.governorates`; None without boundaries or when they
    name no governorate.
    """
    from cpgeo import _cartography

    if boundaries is None or len(boundaries) == 0:
        return None
    try:
        return _cartography.governorates(boundaries)
    except ValueError:  # boundaries that name no governorate
        return None


def _people_by(keys: pd.Series, coverage: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the population and the population within the radius by key.

    As :func:`cpgeo._figures.community_table` counts them: the known populations added
    up, NaN where no community of the key has a known population.
    """
    population = pd.to_numeric(_col(coverage, "population", None), errors="coerce")
    covered = _col(coverage, "covered", False).fillna(False).astype(bool)
    frame = pd.DataFrame(
        {
            "key": keys.astype("string").to_numpy(),
            "population": population.to_numpy(float),
            "within": population.where(covered).to_numpy(float),
            "covered": covered.to_numpy(bool),
        }
    ).dropna(subset=["key"])
    grouped = frame.groupby("key")
    within = grouped["within"].sum(min_count=1)
    # no community within the radius: 0 people (unknown only when those within are)
    within = within.where(within.notna() | (grouped["covered"].sum() > 0), 0.0)
    return pd.DataFrame(
        {"population": grouped["population"].sum(min_count=1), "population_within_radius": within}
    )


def _share_areas(
    boundaries: gpd.GeoDataFrame,
    dissolved: gpd.GeoDataFrame | None,
    coverage: gpd.GeoDataFrame,
    lang: str,
) -> tuple[gpd.GeoDataFrame, str] | None:
    """Return the areas of the share choropleth and their level.

    Districts when both the boundaries and the communities know them (see
    :func:`cpgeo.admin.has_districts`), else governorates (``dissolved``, see
    :func:`_governorates`): polygons (EPSG:4326, simplified as the area map's) with
    ``name`` (in ``lang``), ``population``, ``population_within_radius`` and ``share``
    (0..1, NaN when no population is known); None without boundaries or communities.
    """
    import geopandas as gpd

    from cpgeo.admin import has_districts

    if coverage is None or len(coverage) == 0 or "covered" not in coverage.columns:
        return None
    if has_districts(boundaries) and "district_pcode" in coverage.columns:
        level = "district"
        frame = boundaries[boundaries["district_pcode"].notna()]
        merged = frame.dissolve(by="district_pcode", as_index=False, aggfunc="first")
        if _boundary_level(boundaries) == 2:  # name_ar is the district's own
            names = place_names(merged, lang, column="district")
        elif lang != "en" and "district_ar" in merged.columns:  # sub-districts' layer
            names = place_names(merged.assign(name_ar=merged["district_ar"]), lang, "district")
        else:
            names = merged["district"].astype("string")
        names = names.fillna(merged["district_pcode"].astype("string"))
        keys = merged["district_pcode"].astype(str)
        people = _people_by(_col(coverage, "district_pcode", None), coverage)
        geoms = list(merged.geometry)
    elif dissolved is not None and len(dissolved):
        level = "governorate"
        keys = pd.Series(dissolved.index.astype(str), index=dissolved.index)
        names = keys.map(lambda g: governorate_name(g, lang))
        people = _people_by(_col(coverage, "governorate", None), coverage)
        geoms = list(dissolved.geometry)
    else:
        return None
    population = keys.map(people["population"]).astype(float)
    within = keys.map(people["population_within_radius"]).astype(float)
    share = (within / population).where(population > 0)
    areas = gpd.GeoDataFrame(
        {
            "name": names.to_numpy(),
            "population": population.to_numpy(),
            "population_within_radius": within.to_numpy(),
            "share": share.to_numpy(float),
        },
        geometry=[_simplified(g, SHARE_SIMPLIFY_DEG) for g in geoms],
        crs="EPSG:4326",
    )
    return areas, level


@dataclass(frozen=True)
class _Shares:
    """What the share choropleth's legend needs: its layer, level and classes."""

    layer: folium.GeoJson
    level: str  # "governorate" or "district"
    classes: Any  # cpgeo._cartography.Classes


def _add_share_layer(
    m: folium.Map,
    boundaries: gpd.GeoDataFrame,
    dissolved: gpd.GeoDataFrame | None,
    coverage: gpd.GeoDataFrame,
    *,
    lang: str = "en",
    show: bool = False,
) -> _Shares | None:
    """Add the share of the population within the radius by governorate or district.

    Hidden at first unless ``show``.
    """
    from cpgeo import _cartography

    if boundaries is None or len(boundaries) == 0:
        return None
    found = _share_areas(boundaries, dissolved, coverage, lang)
    if found is None:
        return None
    areas, level = found
    cls = _cartography.classes(areas["share"], "population_within_radius_share")
    index = cls.index(areas["share"].to_numpy(float))
    template = gettext("population within the radius: {within} of {population}", lang)
    features = []
    for i, geom in enumerate(areas.geometry):
        row = areas.iloc[i]
        tip = (
            f"<b>{esc(row['name'])}</b>: {esc(_percent(row['share'], lang))}<br>"
            + esc(template.format(
                within=_number(row["population_within_radius"], lang),
                population=_number(row["population"], lang),
            ))
        )
        features.append(
            {
                "type": "Feature",
                "id": str(i),
                "geometry": _geometry(geom),
                "properties": {
                    "tip": _tip(tip, lang),
                    "fill": cls.colours[index[i]] if index[i] >= 0 else "",
                },
            }
        )

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        fill = feature["properties"]["fill"]
        return {
            "color": "#ffffff",
            "weight": 0.8,
            "fillColor": fill or _cartography.UNKNOWN_COLOUR,
            "fillOpacity": 0.8,
        }

    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=gettext("Share of the population within the radius", lang),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        show=show,
    )
    layer.add_to(m)
    return _Shares(layer, level, cls)


def _add_catchments(
    m: folium.Map,
    offices: gpd.GeoDataFrame,
    radius_km: float,
    *,
    name: str,
    colour: str | None = None,
    dashed: bool = False,
    lang: str = "en",
) -> None:
    if offices is None or len(offices) == 0:
        return
    circles = geodesic_circles(
        offices.geometry.x.to_numpy(), offices.geometry.y.to_numpy(), radius_km
    )
    names = place_names(offices, lang).fillna("")
    template = gettext("{name}: {km} km catchment (geodesic)", lang)
    km = format_number(radius_km, lang)
    features = [
        {
            "type": "Feature",
            "id": str(i),
            "geometry": _geometry(circles[i]),
            "properties": {
                "tip": _tip(template.format(name=esc(names.iloc[i]), km=km), lang),
            },
        }
        for i in range(len(offices))
    ]
    colour = colour or map_colours()["catchment"]
    style = {
        "color": colour,
        "weight": 1.5,
        "fillColor": colour,
        "fillOpacity": 0.1,
        "dashArray": "6 4" if dashed else None,
    }
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        style_function=lambda _f: style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    ).add_to(m)


def _add_communities(
    m: folium.Map,
    coverage: gpd.GeoDataFrame,
    *,
    after: gpd.GeoDataFrame | None = None,
    lang: str = "en",
) -> None:
    if coverage is None or len(coverage) == 0:
        return
    _PointLayer(
        community_payload(coverage, after=after, lang=lang), name=gettext("Communities", lang)
    ).add_to(m)


#: A community's style: fill, ring, ring width (px), fill opacity, pixels added to the
#: population radius, and the tooltip's line for its status.
Style = tuple[str, str, float, float, float, str]


def community_styles(lang: str = "en") -> tuple[Style, ...]:
    """Return the styles of the communities' points, by status code.

    Indexed by ``s`` of :func:`community_payload`: not covered, covered, newly covered.

    Not covered: a ring (vermillion on a pale fill), lighter than the filled dots of
    the covered, so that a country of uncovered villages does not drown the offices;
    newly covered: the covered green ringed in black, a pixel larger.
    """
    c = map_colours()
    return (
        ("#ffffff", c["uncovered"], 1.5, 0.7, 0.0, gettext("NOT covered", lang)),
        (c["covered"], "#ffffff", 0.8, 0.9, 0.0, gettext("covered", lang)),
        (c["covered"], c["ring"], 1.6, 0.9, 1.0, gettext("newly covered by the proposal", lang)),
    )


#: Road-distance classes of :func:`road_payload` (``s``), in order (styles:
#: :func:`road_styles`).
ROAD_KINDS: tuple[str, ...] = ("road", "gap", "none", "far")


def road_styles() -> tuple[Style, ...]:
    """Return the styles of :data:`ROAD_KINDS` (as :func:`community_styles`).

    The tooltip's lines are built from the numbers. Inside the radius but beyond it by
    road is amber ringed in black, a little larger.
    """
    c = map_colours()
    return (
        (c["covered"], "#ffffff", 0.6, 0.95, 0.0, ""),
        (c["radius_not_road"], c["ring"], 1.6, 0.95, 1.5, ""),
        ("#ffffff", c["uncovered"], 1.5, 0.7, 0.0, ""),
        (c["off_network"], "#ffffff", 0.6, 0.95, 0.0, ""),
    )


def _codes(values: pd.Series) -> tuple[list[int], list[str]]:
    """Return ``values`` as indices into a list of their distinct texts (missing: -1)."""
    codes, uniques = pd.factorize(values)  # None, NaN and NA are -1
    return codes.tolist(), [str(u) for u in uniques]


def community_payload(
    coverage: gpd.GeoDataFrame, *, after: gpd.GeoDataFrame | None = None, lang: str = "en"
) -> dict[str, Any]:
    """Return the communities of a coverage table as one compact, columnar payload.

    What the browser needs to draw and describe every community, one list per property
    (index ``i`` of every list is the ``i``-th row of ``coverage``), built with numpy
    rather than one GeoJSON feature and one HTML string per point: with 11,443 villages
    the map's document is 0.8 MB instead of 4.3 MB and builds in 0.05 s instead of 0.8 s.
    Texts are plain (not escaped): the map's script shows them as text nodes, never as
    markup.

    Parameters
    ----------
    coverage
        Output of :func:`cpgeo.coverage.community_coverage` (EPSG:4326).
    after
        The same communities once a proposal is carried out, or None; communities it
        newly covers get status 2.
    lang
        The language of the names (:func:`cpgeo.i18n.place_names`), the governorates
        and the tooltips' words.

    Returns
    -------
    dict
        ``x``, ``y``: longitude, latitude (degrees, EPSG:4326, COORD_DECIMALS decimals);
        ``s``: status (index into ``S``, the styles of :func:`community_styles`: 0 not
        covered, 1 covered, 2 newly covered); ``n``: name; ``g``: index into ``G``, the
        governorates (-1: unknown); ``p``: population (None: unknown; ``p`` itself None
        when no population is known), whose class in ``P`` (:data:`POPULATION_CLASSES`)
        sizes the marker; ``o``: index into ``O``, the nearest offices' ids (-1: none);
        ``k``: kilometres to it (one decimal, None: no office); ``S``: the styles;
        ``kind``: ``"radius"`` (how the map's script words the tooltips); ``T``: the
        tooltips' words in ``lang`` (templates with ``{name}`` fields, filled in the
        browser) and ``dir``, their direction.
    """
    n = len(coverage)
    covered = _col(coverage, "covered", False).fillna(False).astype(bool).to_numpy()
    newly = np.zeros(n, dtype=bool)
    if after is not None and len(after) == n:
        newly = _col(after, "covered", False).fillna(False).astype(bool).to_numpy() & ~covered
    office_codes, offices = _codes(_col(coverage, "nearest_office", None))
    return {
        "kind": "radius",
        "S": [list(style) for style in community_styles(lang)],
        "T": _tip_words(lang, road=False),
        **_point_base(coverage, lang),
        "s": np.where(newly, 2, covered.astype(int)).tolist(),
        "o": office_codes,
        "O": offices,
        "k": _numbers(_col(coverage, "nearest_office_km", None), 1),
    }


def road_payload(road: gpd.GeoDataFrame, max_km: float, *, lang: str = "en") -> dict[str, Any]:
    """Return communities coloured by road distance as one payload (as :func:`community_payload`).

    Parameters
    ----------
    road
        Output of :func:`cpgeo.coverage.network_coverage` (EPSG:4326).
    max_km
        The radius and the road distance compared, kilometres.

    Returns
    -------
    dict
        ``x``, ``y``, ``n``, ``g``, ``G``, ``p``, ``P`` as in :func:`community_payload`;
        ``s``: index into :data:`ROAD_KINDS` (within ``max_km`` by road, inside the radius
        but beyond it by road, neither, off the road network); ``v``: what the tooltip
        says (0 by road, 1 inside the radius only, 2 neither); ``k``: road kilometres
        (one decimal) to ``O[o]``, the office reached; ``q``: kilometres to the nearest
        office in a straight line; ``m``: kilometres from the community to the road
        (two decimals); ``R``: ``max_km`` as shown; ``T``: the tooltips' words in
        ``lang``, as in :func:`community_payload`.
    """
    by_road = _col(road, "covered_by_road", False).fillna(False).astype(bool).to_numpy()
    gap = _col(road, "radius_but_not_road", False).fillna(False).astype(bool).to_numpy()
    off = _col(road, "off_network", False).fillna(False).astype(bool).to_numpy()
    said = np.where(by_road, 0, np.where(gap, 1, 2))
    office_codes, offices = _codes(_col(road, "road_office", None))
    snap_km = pd.to_numeric(_col(road, "snap_m", None), errors="coerce") / 1000
    return {
        "kind": "road",
        "S": [list(style) for style in road_styles()],
        "T": _tip_words(lang, road=True),
        "R": format_number(max_km, lang),
        **_point_base(road, lang),
        "s": np.where(off, 3, said).tolist(),
        "v": said.tolist(),
        "k": _numbers(_col(road, "road_km", None), 1),
        "o": office_codes,
        "O": offices,
        "q": _numbers(_col(road, "nearest_office_km", None), 1),
        "m": _numbers(snap_km, 2),
    }


def _numbers(values: pd.Series, decimals: int) -> list[float | None]:
    """Return ``values`` rounded, missing ones as None (``null`` in the payload)."""
    rounded = pd.to_numeric(values, errors="coerce").round(decimals).to_numpy(float)
    return [None if v != v else v for v in rounded.tolist()]  # NaN != NaN


def _tip_words(lang: str, *, road: bool) -> dict[str, str]:
    """Return the words of the communities' tooltips in ``lang``, as templates."""
    words = {
        "dir": "rtl" if is_rtl(lang) else "ltr",
        # the digits of the numbers made in the browser (cpgeo.i18n.set_digits)
        "digits": "arab" if lang != "en" and digits_in_use() == "arab" else "latn",
        "population": gettext("population {n}", lang),
        "unknown": gettext("unknown", lang),
    }
    if road:
        words.update(
            road=gettext("{km} km by road from {office}", lang),
            gap=gettext("inside the {r}-km radius ({km} km) but beyond {r} km by road", lang),
            none=gettext("NOT within {r} km by road", lang),
            snap=gettext("{km} km to the road", lang),
            off=" " + gettext("(off the road network: outside the extract?)", lang),
        )
    else:
        words["nearest"] = gettext("nearest office: {office} ({km} km)", lang)
    return words


def _point_base(points: gpd.GeoDataFrame, lang: str = "en") -> dict[str, Any]:
    """Coordinates, name, governorate and population (hence marker size) of every point."""
    pops = pd.to_numeric(_col(points, "population", None), errors="coerce").to_numpy(float)
    gov_codes, govs = _codes(_col(points, "governorate", None))
    known = not np.isnan(pops).all()
    names = place_names(points, lang) if "name" in points.columns else _col(points, "name", "")
    return {
        "x": np.round(points.geometry.x.to_numpy(float), COORD_DECIMALS).tolist(),
        "y": np.round(points.geometry.y.to_numpy(float), COORD_DECIMALS).tolist(),
        "n": names.astype(object).fillna("").astype(str).tolist(),
        "g": gov_codes,
        "G": [governorate_name(g, lang) for g in govs],
        # NaN: unknown; none known (a plain list of villages): one null, not thousands
        "p": [None if v != v else int(v) for v in pops.tolist()] if known else None,
        "P": [list(c) for c in POPULATION_CLASSES],
    }


def _script_json(value: Any) -> str:
    r"""Return ``value`` as JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as JSON ``\u`` escapes, so that no text can close the
    script or open a comment; U+2028 and U+2029 likewise (line ends to older parsers); the
    backtick and the dollar sign too (no text reads as a JavaScript template literal,
    wherever the JSON ends up); a brace that would open a Jinja delimiter as ``\u007b``.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
        ("\u2028", "\\u2028"), ("\u2029", "\\u2029"), ("`", "\\u0060"), ("$", "\\u0024"),
    ):
        text = text.replace(char, escape)
    # no Jinja delimiter either ({{, {%, {#: only inside strings, as JSON's own braces are
    # followed by a quote or a brace that closes), in case the text ever meets a template
    return _JINJA_OPEN.sub(r"\\u007b", text)


_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


class _Raw(Element):
    """Text put into the page as it is, never compiled as a Jinja template.

    branca compiles every macro's output as a template before it renders the page, so a
    ``{{ ... }}`` in data placed by a macro would run on the server; data sent this way
    is not.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Raw"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _PointLayer(folium.map.Layer):
    """Communities as one Leaflet path on the map's canvas, drawn and described in the browser.

    The payload (:func:`community_payload`) is sent once, as JSON in the script (not
    through Jinja: see :class:`_Raw`). The script draws every point on the map's canvas
    renderer as one path (no Leaflet layer, GeoJSON feature or HTML string per point),
    finds the point under the mouse through a grid, and builds its tooltip from the
    point's properties as text nodes: no per-point markup is sent, none is parsed.
    """

    def __init__(self, payload: dict[str, Any], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PointLayer"
        self.payload = payload

    def render(self, **kwargs: Any) -> Any:
        root = self.get_root()
        if not isinstance(root, Figure):
            msg = "a point layer renders inside a folium map"
            raise TypeError(msg)
        script = _POINTS_JS.replace("__NAME__", self.get_name()).replace(
            "__DATA__", _script_json(self.payload)
        )
        root.script.add_child(_Raw(script), name=self.get_name())
        return super().render(**kwargs)  # adds the layer to the map when shown


# One Leaflet path that draws every point on the map's canvas renderer (the map prefers
# canvas): the renderer redraws, clips and hit-tests it like any of its paths, so it keeps
# its place between catchments and forums, toggles in the layer control, and hovers. Drawn
# like L.circleMarker (same rounding of the radius, fill then ring per point, in order).
_POINTS_JS = """
var __NAME__ = (function () {
    var d = __DATA__;
    var S = d.S;  // styles: fill, ring, ring width, fill opacity, added radius, status text
    var TAU = Math.PI * 2, CELL = 32, n = d.x.length, size = new Float64Array(n);
    for (var i = 0; i < n; i++) {  // marker radius (px) of the population class
        var v = d.p === null || d.p[i] === null ? 0 : d.p[i], r = d.P[0][1];
        for (var c = 0; c < d.P.length; c++) { if (v >= d.P[c][0]) { r = d.P[c][1]; } }
        size[i] = r;
    }
    function population(i) { return d.p === null ? null : d.p[i]; }
    function radius(i) { return Math.max(Math.round(size[i] + S[d.s[i]][4]), 1); }
    var Points = L.Path.extend({
        options: {interactive: true, weight: 1.6, fill: true},
        _project: function () {
            var map = this._map, r = 0;
            var px = this._px = new Float64Array(n), py = this._py = new Float64Array(n);
            var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
            for (var i = 0; i < n; i++) {
                var p = map.latLngToLayerPoint([d.y[i], d.x[i]]);
                px[i] = p.x; py[i] = p.y;
                if (p.x < x0) { x0 = p.x; } if (p.x > x1) { x1 = p.x; }
                if (p.y < y0) { y0 = p.y; } if (p.y > y1) { y1 = p.y; }
                if (radius(i) > r) { r = radius(i); }
            }
            var pad = r + this._clickTolerance() + 1;
            this._pxBounds = n ? L.bounds([x0 - pad, y0 - pad], [x1 + pad, y1 + pad]) : null;
            this._grid = null;  // hit-test grid, built on the first hover at this zoom
        },
        _update: function () { if (this._map) { this._updatePath(); } },
        _updatePath: function () {
            var renderer = this._renderer;
            if (!renderer._drawing) { return; }
            var ctx = renderer._ctx, view = renderer._bounds, px = this._px, py = this._py;
            var last = null;
            if (ctx.setLineDash) { ctx.setLineDash([]); }
            for (var i = 0; i < px.length; i++) {
                var r = radius(i), x = px[i], y = py[i];
                if (x + r < view.min.x || x - r > view.max.x || y + r < view.min.y
                    || y - r > view.max.y) { continue; }
                var st = S[d.s[i]];
                if (st !== last) {
                    last = st;
                    ctx.fillStyle = st[0]; ctx.strokeStyle = st[1]; ctx.lineWidth = st[2];
                }
                ctx.beginPath();
                ctx.arc(x, y, r, 0, TAU, false);
                ctx.globalAlpha = st[3];
                ctx.fill("evenodd");
                ctx.globalAlpha = 1;
                ctx.stroke();
            }
        },
        _containsPoint: function (p) {
            var px = this._px, py = this._py, grid = this._grid;
            if (!px) { return false; }
            if (!grid) {
                grid = this._grid = new Map();
                for (var i = 0; i < px.length; i++) {
                    var key = Math.floor(px[i] / CELL) + ":" + Math.floor(py[i] / CELL);
                    var cell = grid.get(key);
                    if (cell) { cell.push(i); } else { grid.set(key, [i]); }
                }
            }
            var cx = Math.floor(p.x / CELL), cy = Math.floor(p.y / CELL);
            var tol = this._renderer.options.tolerance || 0, hit = -1;
            for (var gx = cx - 1; gx <= cx + 1; gx++) {
                for (var gy = cy - 1; gy <= cy + 1; gy++) {
                    var found = grid.get(gx + ":" + gy) || [];
                    for (var k = 0; k < found.length; k++) {
                        var j = found[k], dx = px[j] - p.x, dy = py[j] - p.y;
                        var r = radius(j) + S[d.s[j]][2] / 2 + tol;
                        if (j > hit && dx * dx + dy * dy <= r * r) { hit = j; }  // topmost
                    }
                }
            }
            if (hit >= 0 && hit !== this._hit) {
                this._hit = hit;
                if (this.isTooltipOpen()) { this.getTooltip().update(); }
            }
            return hit >= 0;
        }
    });
    // texts from the data go in as text nodes only: never as markup
    function line(el, text, bold) {
        el.appendChild(document.createElement("br"));
        var node = document.createTextNode(text);
        if (bold) {
            var b = document.createElement("b");
            b.appendChild(node);
            node = b;
        }
        el.appendChild(node);
    }
    var ARABIC = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669";
    function digits(text) {  // Arabic-Indic digits and separators, when asked for
        if (d.T.digits !== "arab") return text;
        return String(text).replace(/[0-9.,]/g, function (c) {
            return c === "." ? "\u066b" : c === "," ? "\u066c" : ARABIC[+c];
        });
    }
    function fixed(value, n) { return value === null ? "?" : digits(value.toFixed(n)); }
    function office(i) { return d.o[i] < 0 ? "" : d.O[d.o[i]]; }
    var T = d.T;  // the words, in the map's language: templates with {fields}
    function fill(template, fields) {
        return template.replace(/\\{(\\w+)\\}/g, function (all, key) {
            return key in fields ? fields[key] : all;
        });
    }
    var status = {
        radius: function (el, i) {
            line(el, S[d.s[i]][5]);
            if (d.k[i] !== null && d.o[i] >= 0) {
                line(el, fill(T.nearest, {office: office(i), km: fixed(d.k[i], 1)}));
            }
        },
        road: function (el, i) {
            if (d.v[i] === 0) {
                line(el, fill(T.road, {km: fixed(d.k[i], 1), office: office(i)}));
            } else if (d.v[i] === 1) {
                line(el, fill(T.gap, {r: digits(d.R), km: fixed(d.q[i], 1)}), true);
            } else {
                line(el, fill(T.none, {r: digits(d.R)}));
            }
            var off = d.s[i] === 3 ? T.off : "";
            if (d.m[i] !== null) {
                line(el, fill(T.snap, {km: fixed(d.m[i], 2)}) + off);
            } else if (off) {
                el.appendChild(document.createTextNode(off));
            }
        }
    }[d.kind];
    function tip(i) {
        var el = document.createElement("div"), b = document.createElement("b");
        el.dir = T.dir;
        b.textContent = d.n[i];
        el.appendChild(b);
        el.appendChild(document.createTextNode(" (" + (d.g[i] < 0 ? "" : d.G[d.g[i]]) + ")"));
        var people = population(i);
        line(el, fill(T.population, {
            n: people === null ? T.unknown : digits(people.toLocaleString("en-US"))
        }));
        status(el, i);
        return el;
    }
    var layer = new Points();
    layer.bindTooltip(function () { return tip(layer._hit); }, {sticky: true});
    layer.cpgeoPoints = d.x.length;
    layer.cpgeoTip = tip;
    layer.cpgeoData = d;
    return layer;
})();
"""


class _MapReady(MacroElement):
    """Mark the document once the map has drawn: ``data-cpgeo-points`` on ``<html>``.

    Set two animation frames after the end of the map's script (the canvas renderer draws
    on the first), once no zoom animation runs, to the number of community points on the
    map: a readiness signal for tests and for anyone who embeds the page.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }}, n = 0;
            map.eachLayer(function (layer) {
                if (layer.cpgeoPoints !== undefined) { n += layer.cpgeoPoints; }
            });
            function mark() {
                if (map._animatingZoom) { map.once("zoomend", mark); return; }
                requestAnimationFrame(function () {
                    requestAnimationFrame(function () {
                        document.documentElement.setAttribute("data-cpgeo-points", String(n));
                    });
                });
            }
            mark();
        })();
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapReady"


def _add_road_communities(
    m: folium.Map, road: gpd.GeoDataFrame, max_km: float, *, lang: str = "en"
) -> None:
    """Communities coloured by road distance; inside the radius but not by road: amber.

    Communities off the road network (``off_network``) are grey whatever their flags.
    """
    if road is None or len(road) == 0:
        return
    _PointLayer(
        road_payload(road, max_km, lang=lang),
        name=gettext("Communities (road distance)", lang),
    ).add_to(m)


#: What a forum's ``status`` (:data:`cpgeo.coverage.CPF_STATUSES`) says in its tooltip.
_FORUM_STATUS = {
    "in_range": "in range",
    "out_of_range": "out of range",
    "no_office_in_range": "no office in range",
    "unknown_office": "unknown office",
}


def _add_forums(
    m: folium.Map, forums: gpd.GeoDataFrame, offices: gpd.GeoDataFrame, *, lang: str = "en"
) -> None:
    if forums is None or len(forums) == 0:
        return
    colours = map_colours()
    group = folium.FeatureGroup(name=gettext("Forums", lang))
    office_xy = {
        str(oid): (float(g.x), float(g.y))
        for oid, g in zip(offices["id"], offices.geometry, strict=True)
    }
    status = _col(forums, "status", "in_range").fillna("in_range").astype(str)
    assigned = _col(forums, "assigned_office", None)
    names = place_names(forums, lang).fillna("") if "name" in forums else _col(forums, "name", "")
    km = _col(forums, "assigned_km", None)
    office_word = gettext("office: {office}", lang)
    lines = []
    props = []
    for i, geom in enumerate(forums.geometry):
        office = assigned.iloc[i]
        office_key = None if office is None or pd.isna(office) else str(office)
        ok = status.iloc[i] == "in_range"
        if office_key in office_xy:
            lines.append(
                {
                    "type": "Feature",
                    "id": str(i),
                    "geometry": {
                        "type": "LineString",
                        "coordinates": _round_coords(
                            [[float(geom.x), float(geom.y)], list(office_xy[office_key])]
                        ),
                    },
                    "properties": {"ok": ok},
                }
            )
        dist = km.iloc[i]
        dist_txt = (
            "" if dist is None or pd.isna(dist) else f" ({_number(dist, lang, 1)} km)"
        )
        state = status.iloc[i]
        said = _FORUM_STATUS.get(state)
        state_txt = gettext(said, lang) if said else state.replace("_", " ")
        shown_office = office_word.format(office=office_key or gettext("none", lang))
        props.append(
            {
                "tip": _tip(
                    f"<b>{esc(names.iloc[i])}</b><br>{esc(shown_office)}{dist_txt}<br>"
                    f"{esc(state_txt)}",
                    lang,
                ),
                "ok": ok,
            }
        )
    if lines:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": lines},
            style_function=lambda f: {
                "color": colours["forum"] if f["properties"]["ok"] else colours["link_problem"],
                "weight": 1.5,
                "opacity": 0.8,
                "dashArray": None if f["properties"]["ok"] else "4 4",
            },
        ).add_to(group)
    _dots(
        _point_features(forums, props),
        lambda f: _dot_style(4, colours["forum"], weight=1)
        if f["properties"]["ok"]
        else _dot_style(4.5, colours["forum_problem"], stroke=colours["ring"], weight=1.2),
    ).add_to(group)
    group.add_to(m)


#: Side of the triangle of an office over capacity, pixels (an ordinary office is a
#: dot of radius 7).
OVER_SIZE = 24


def over_capacity_symbol(size: int = OVER_SIZE) -> str:
    """Return the symbol of an office over capacity: an orange triangle ringed in black.

    As on the PNG (:func:`render_png`): a shape of its own, not only a colour, so that it
    reads with any colour vision and in grey scale. Inline SVG (no URL), ``size`` pixels
    wide.
    """
    c = map_colours()
    h = round(size * 0.9)
    return (
        f'<svg class="cpgeo-triangle" width="{size}" height="{h}" viewBox="0 0 24 22"'
        ' aria-hidden="true" style="vertical-align:middle;overflow:visible">'
        f'<polygon points="12,1.5 22.5,20.5 1.5,20.5" fill="{c["office_over"]}"'
        f' stroke="{c["ring"]}" stroke-width="2.2" stroke-linejoin="round"/></svg>'
    )


def _add_offices(
    m: folium.Map, load: gpd.GeoDataFrame, max_cpfs: int, *, lang: str = "en"
) -> None:
    if load is None or len(load) == 0:
        return
    colours = map_colours()
    group = folium.FeatureGroup(name=gettext("Offices", lang))
    over = _col(load, "over_capacity", False).fillna(False).astype(bool).to_numpy()
    n_cpfs = _col(load, "n_cpfs", None)
    capacity = _col(load, "capacity", max_cpfs)
    names = place_names(load, lang).fillna("") if "name" in load else _col(load, "name", "")
    ids = _col(load, "id", "")
    forums_word = gettext("{count}/{capacity} forums", lang)
    over_word = esc(gettext("OVER CAPACITY", lang))
    tips = []
    for i in range(len(load)):
        cap = capacity.iloc[i]
        cap = max_cpfs if cap is None or pd.isna(cap) else int(cap)
        count = n_cpfs.iloc[i]
        count_txt = (
            ""
            if count is None or pd.isna(count)
            else esc(forums_word.format(
                count=format_number(int(count), lang), capacity=format_number(cap, lang)
            ))
        )
        tips.append(
            _tip(
                f"<b>{esc(names.iloc[i])}</b> [{esc(ids.iloc[i])}]<br>{count_txt}"
                f"{f'<br><b>{over_word}</b>' if over[i] else ''}",
                lang,
            )
        )
    hidden = {"radius": 10, "stroke": False, "fill": True, "fillOpacity": 0}
    _dots(
        _point_features(load, [{"tip": tips[i], "over": bool(over[i])} for i in range(len(load))]),
        # over capacity: no dot, only what hovers it (the triangle shows it)
        lambda f: hidden if f["properties"]["over"] else _dot_style(7, colours["office"], weight=2),
    ).add_to(group)
    # over capacity: a triangle in the marker pane, above every dot of the canvas (not
    # interactive: the office's invisible dot under it carries its tooltip)
    symbol = over_capacity_symbol()
    for i, geom in enumerate(load.geometry):
        if not over[i]:
            continue
        location = [round(float(geom.y), COORD_DECIMALS), round(float(geom.x), COORD_DECIMALS)]
        folium.Marker(
            location,
            icon=folium.DivIcon(
                html=symbol,
                icon_size=(OVER_SIZE, round(OVER_SIZE * 0.9)),
                icon_anchor=(OVER_SIZE // 2, round(OVER_SIZE * 0.6)),
                class_name="cpgeo-label cpgeo-office-over",
            ),
            interactive=False,
        ).add_to(group)
        count = n_cpfs.iloc[i]
        label = "!" if count is None or pd.isna(count) else format_number(int(count), lang)
        folium.Marker(
            location,
            icon=folium.DivIcon(
                html=f'<div class="cpgeo-badge cpgeo-over">{esc(label)}</div>',
                icon_size=(22, 22),
                icon_anchor=(-4, 26),
                class_name="cpgeo-label",
            ),
            interactive=False,
        ).add_to(group)
    group.add_to(m)


def _add_stations(
    m: folium.Map, stations: gpd.GeoDataFrame, *, show: bool, lang: str = "en"
) -> folium.GeoJson:
    names = place_names(stations, lang).fillna("") if "name" in stations else _col(
        stations, "name", ""
    )
    word = esc(gettext("candidate police station", lang))
    props = [
        {"tip": _tip(f"<b>{esc(names.iloc[i])}</b><br>{word}", lang)}
        for i in range(len(stations))
    ]
    layer = _dots(
        _point_features(stations, props),
        lambda _f: _dot_style(4, "#ffffff", stroke=map_colours()["station"], weight=1.5),
        name=gettext("Candidate stations", lang),
        show=show,
    )
    layer.add_to(m)
    return layer


def proposal_rank(proposals: pd.DataFrame) -> pd.Series:
    """Return the rank (1 = first chosen) of each proposed site, from its ``rank`` or ``order``."""
    for column in ("rank", "order"):
        if column in proposals.columns:
            return pd.to_numeric(proposals[column], errors="coerce")
    return pd.Series(np.arange(1, len(proposals) + 1), index=proposals.index)


#: What a candidate's ``type`` (:data:`cpgeo.siting.candidates.CANDIDATE_TYPES`) is called.
_SITE_TYPES = {"rehabilitate": "rehabilitation", "new_build": "new build"}


def _site_reason(site: pd.Series, lang: str) -> str:
    """Return a proposed site's reason in ``lang``.

    Its stored English sentence, else said from its per-site figures
    (:func:`cpgeo.labels.site_summary`, when that is available).
    """
    from cpgeo import labels

    summary = getattr(labels, "site_summary", None)
    if lang == "en" or summary is None:
        return "" if pd.isna(site.get("reason", "")) else str(site.get("reason", ""))
    return str(summary(site.to_dict(), lang))


def _add_proposals(
    m: folium.Map, proposals: gpd.GeoDataFrame, radius_km: float, *, lang: str = "en"
) -> folium.FeatureGroup:
    colour = map_colours()["proposal"]
    group = folium.FeatureGroup(name=gettext("Proposed sites", lang))
    ranks = proposal_rank(proposals)
    names = place_names(proposals, lang).fillna("") if "name" in proposals else _col(
        proposals, "name", ""
    )
    kinds = _col(proposals, "type", "")
    circles = geodesic_circles(
        proposals.geometry.x.to_numpy(), proposals.geometry.y.to_numpy(), radius_km
    )
    for i, geom in enumerate(proposals.geometry):
        rank = ranks.iloc[i]
        rank_txt = "?" if pd.isna(rank) else format_number(int(rank), lang)
        kind = kinds.iloc[i]
        kind_txt = "" if pd.isna(kind) else str(kind)
        kind_txt = gettext(_SITE_TYPES[kind_txt], lang) if kind_txt in _SITE_TYPES else kind_txt
        tip = _tip(
            f"<b>#{esc(rank_txt)} {esc(names.iloc[i])}</b><br>{esc(kind_txt)}"
            f"<br>{esc(_site_reason(proposals.iloc[i], lang))}",
            lang,
        )
        folium.Polygon(
            [[y, x] for x, y in _round_coords(circles[i].exterior.coords)],
            color=colour,
            weight=2,
            dash_array="6 4",
            fill=True,
            fill_opacity=0.06,
        ).add_to(group)
        folium.Marker(
            [float(geom.y), float(geom.x)],
            icon=folium.DivIcon(
                html=f'<div class="cpgeo-badge cpgeo-rank">{esc(rank_txt)}</div>',
                icon_size=(24, 24),
                # below left of the site: an office's over-capacity badge sits above right
                icon_anchor=(28, -4),
                class_name="cpgeo-label",
            ),
            tooltip=folium.Tooltip(tip),
        ).add_to(group)
    group.add_to(m)
    return group


class _Labels(folium.map.Layer):
    """Names written on the map (not interactive), as one payload and one layer group.

    The names travel as JSON (see :class:`_Raw`) and become text nodes of Leaflet div
    icons in the browser: one small script, no template or markup per name. ``below``
    writes each name under its point (offices) instead of centred on it.
    """

    def __init__(
        self,
        points: list[tuple[float, float, str]],
        *,
        name: str,
        css: str,
        lang: str,
        below: bool = False,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "Labels"
        self.payload = {
            "y": [round(float(lat), COORD_DECIMALS) for lat, _, _ in points],
            "x": [round(float(lon), COORD_DECIMALS) for _, lon, _ in points],
            "t": [str(text) for _, _, text in points],
            "css": css,
            "lang": lang,
            "below": below,
        }

    def render(self, **kwargs: Any) -> Any:
        root = self.get_root()
        if not isinstance(root, Figure):
            msg = "a label layer renders inside a folium map"
            raise TypeError(msg)
        script = _LABELS_JS.replace("__NAME__", self.get_name()).replace(
            "__DATA__", _script_json(self.payload)
        )
        root.script.add_child(_Raw(script), name=self.get_name())
        return super().render(**kwargs)


_LABELS_JS = """
var __NAME__ = (function () {
    var d = __DATA__, group = L.layerGroup();
    for (var i = 0; i < d.t.length; i++) {
        var el = document.createElement("div");
        el.className = d.css;
        el.lang = d.lang;
        el.textContent = d.t[i];  // a text node: never markup
        L.marker([d.y[i], d.x[i]], {
            interactive: false, keyboard: false,
            icon: L.divIcon({html: el, className: "cpgeo-label", iconSize: [200, 16],
                             iconAnchor: d.below ? [100, -9] : [100, 8]})
        }).addTo(group);
    }
    return group;
})();
"""


#: Degrees of longitude per pixel at the zoom the map opens on Iraq with (about 6.5):
#: the scale at which the governorates' names are placed clear of the sites.
_DEG_PER_PX = 360.0 / (256 * 2**6.5)

#: Where a name may move from its label point, in its own heights (dy) and widths (dx).
_NAME_MOVES: tuple[tuple[float, float], ...] = (
    (0.0, 0.0), (0.0, -1.2), (0.0, 1.2), (0.0, -2.4), (0.0, 2.4), (0.6, 0.0), (-0.6, 0.0),
    (0.6, -1.2), (-0.6, -1.2), (0.6, 1.2), (-0.6, 1.2), (0.0, -3.6), (0.0, 3.6),
)


def _name_places(
    dissolved: gpd.GeoDataFrame, names: list[str], avoid: list[tuple[float, float, float]]
) -> list[tuple[float, float]]:
    """Return where to write each governorate's name: (lat, lon), degrees.

    Its label point, or the first of :data:`_NAME_MOVES` that stays in the governorate
    and, at the opening zoom, covers no site of ``avoid`` (lon, lat and a margin in
    pixels): names must not hide offices. Sizes are estimated (7 pixels a character).
    """
    from shapely.geometry import Point

    places = []
    for name, geom, point in zip(names, dissolved.geometry, dissolved["label"], strict=True):
        lat_px = _DEG_PER_PX * math.cos(math.radians(point.y))  # Web Mercator
        half_w, half_h = (len(name) * 3.5 + 4) * _DEG_PER_PX, 9 * lat_px
        best = (point.y, point.x)
        for dx, dy in _NAME_MOVES:
            x, y = point.x + dx * 2 * half_w, point.y + dy * 2 * half_h
            if (dx or dy) and not geom.contains(Point(x, y)):
                continue
            if not any(
                abs(ax - x) < half_w + pad * _DEG_PER_PX and abs(ay - y) < half_h + pad * lat_px
                for ax, ay, pad in avoid
            ):
                best = (y, x)
                break
        places.append(best)
    return places


def _add_governorate_names(
    m: folium.Map,
    dissolved: gpd.GeoDataFrame | None,
    *,
    lang: str = "en",
    avoid: Sequence[tuple[float, float, float]] = (),
) -> None:
    """Add the governorates' names in ``lang`` at their label points, as an overlay.

    ``dissolved``: :func:`_governorates` (label points: representative points of the
    boundaries dissolved by governorate), each moved clear of the sites of ``avoid`` if
    it can be (see :func:`_name_places`).
    """
    if dissolved is None or len(dissolved) == 0:
        return
    names = [governorate_name(name, lang) for name in dissolved.index]
    places = _name_places(dissolved, names, list(avoid))
    _Labels(
        [(lat, lon, name) for (lat, lon), name in zip(places, names, strict=True)],
        name=gettext("Governorate names", lang),
        css="cpgeo-gov-name",
        lang=lang,
    ).add_to(m)


def _sites(layer: gpd.GeoDataFrame | None, pad: float) -> list[tuple[float, float, float]]:
    """Return the points of ``layer`` as (lon, lat, margin in pixels)."""
    if layer is None or len(layer) == 0:
        return []
    return [(float(g.x), float(g.y), pad) for g in layer.geometry]


def _add_office_names(m: folium.Map, load: gpd.GeoDataFrame, *, lang: str = "en") -> None:
    """Add the offices' names in ``lang``, under each office, as an overlay hidden at first."""
    if load is None or len(load) == 0:
        return
    names = place_names(load, lang).fillna("") if "name" in load else _col(load, "name", "")
    points = [(g.y, g.x, names.iloc[i]) for i, g in enumerate(load.geometry)]
    _Labels(
        points, name=gettext("Office names", lang), css="cpgeo-office-name", lang=lang,
        below=True, show=False,
    ).add_to(m)


#: Populations of the legend's sample dots (sized as the communities' dots).
POPULATION_SAMPLES: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000)


def marker_radius(population: Any, added: float = 0.0) -> int:
    """Return the radius in pixels of a community's dot, as the map's script draws it.

    The population class's radius (:data:`POPULATION_CLASSES`) plus ``added``, rounded
    half up as ``Math.round`` (and as Leaflet's circle markers), at least 1.
    """
    return max(math.floor(_population_radius(population) + added + 0.5), 1)


def _symbol(
    colour: str, size: float, *, ring: str = "#ffffff", width: float = 1.0, key: str = "",
    extra: str = "",
) -> str:
    """Return a dot of the legend, ``size`` pixels across (ring included)."""
    data = f' data-key="{key}"' if key else ""
    return (
        f'<span class="cpgeo-sym cpgeo-dot"{data}{extra} style="width:{size:g}px;'
        f'height:{size:g}px;background:{colour};border:{width:g}px solid {ring}"></span>'
    )


def _population_legend(lang: str) -> str:
    """Sample dots of the population classes, sized by :func:`marker_radius`."""
    colour = map_colours()["covered"]
    items = []
    for people in POPULATION_SAMPLES:
        r = marker_radius(people)
        dot = _symbol(
            colour, 2 * r, width=0.8,
            extra=f' data-population="{people}" data-radius="{r}"',
        )
        items.append(
            f'<span class="cpgeo-pop-item">{dot}{esc(format_number(people, lang))}</span>'
        )
    title = esc(gettext("Population (dot size)", lang))
    return f'<div class="cpgeo-pop"><b>{title}</b><br>{"".join(items)}</div>'


def _legend_html(
    radius_km: float,
    max_cpfs: int,
    title: str | None,
    *,
    proposals: bool = True,
    catchment: Catchment = "radius",
    stations: bool = False,
    newly: bool = False,
    lang: str = "en",
) -> str:
    c = map_colours()
    km = format_number(radius_km, lang)

    def say(message: str, **fields: Any) -> str:
        return esc(gettext(message, lang).format(**fields))

    def status(style: Style, key: str, size: float = 10) -> str:
        return _symbol(style[0], size, ring=style[1], width=max(style[2], 1.0), key=key)

    if catchment == "road":
        road = road_styles()
        snap = format_number(settings.road_snap_km, lang)
        communities = [
            f"{status(road[0], 'road')}{say('community within {km} km by road', km=km)}",
            f"{status(road[1], 'gap', 12)}"
            f"{say('inside the radius, beyond {km} km by road', km=km)}",
            f"{status(road[2], 'none')}{say('community not covered')}",
            f"{status(road[3], 'far')}{say('more than {km} km from any road', km=snap)}",
        ]
    else:
        styles = community_styles(lang)
        communities = [
            f"{status(styles[1], 'covered')}{say('community within {km} km', km=km)}",
            f"{status(styles[2], 'newly', 12)}"
            f"{say('newly within {km} km with the proposal', km=km)}"
            if newly
            else "",
            f"{status(styles[0], 'uncovered')}{say('community not covered')}",
        ]
    over = over_capacity_symbol(16).replace("<svg ", '<svg data-key="office_over" ', 1)
    catchment_box = (
        f'<span class="cpgeo-sym" data-key="catchment" style="width:14px;height:9px;'
        f'border:1.5px solid {c["catchment"]};background:{c["catchment"]}33"></span>'
    )
    rows = [
        *communities,
        f"{_symbol(c['office'], 14, width=2, key='office')}{say('office')}",
        f'<span class="cpgeo-sym">{over}</span>'
        f"{say('office over capacity (more than {max} forums; number: forums assigned)', max=format_number(max_cpfs, lang))}",  # noqa: E501
        f"{_symbol(c['forum'], 8, key='forum')}{say('forum (line to its office)')}",
        f"{_symbol(c['forum_problem'], 9, ring=c['ring'], width=1.2, key='forum_problem')}"
        f"{say('forum out of range / no office')}",
        '<div class="cpgeo-row" data-layer="proposals">'
        f"{_symbol(c['proposal'], 12, key='proposal')}"
        f"{say('proposed site (number: its rank; dashed: its catchment)')}</div>"
        if proposals
        else "",
        '<div class="cpgeo-row" data-layer="stations">'
        f"{_symbol('#ffffff', 8, ring=c['station'], width=1.5, key='station')}"
        f"{say('candidate police station')}</div>"
        if stations
        else "",
        f"{catchment_box}{say('{km} km catchment (geodesic)', km=km)}",
    ]
    head = f'<div class="cpgeo-title">{esc(title)}</div>' if title else ""
    body = "".join(
        r if r.startswith("<div") else f'<div class="cpgeo-row">{r}</div>' for r in rows if r
    )
    return f"{head}{body}{_population_legend(lang)}"


class _Legend(MacroElement):
    """Legend (a Leaflet control) and the plain map background, as one script element.

    An area map's legend (:class:`_AreaLegend`) adds the SVG hatching of areas without a
    value (``hatch_id``) and sits top right.
    """

    # bottom left in every language: over the empty south-western desert (the bottom
    # right is Basra's offices and communities)
    position = "bottomleft"
    #: Whether a right-to-left language puts the legend in the mirrored corner.
    mirror = False
    #: Legend rows (``data-layer`` key) shown only while their layer is on the map.
    follows: dict[str, Any] = {}  # noqa: RUF012  (read only; set per instance)
    hatch_id: str | None = None
    unknown_colour: str | None = None

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            map.getContainer().style.background = {{ this.background|tojson }};
            var css = document.createElement('style');
            css.innerHTML = {{ this.css|tojson }};
            document.head.appendChild(css);
            {% if this.hatch_id %}
            var svg = map.getPanes().overlayPane.querySelector('svg');
            if (svg && !document.getElementById({{ this.hatch_id|tojson }})) {
                var ns = svg.namespaceURI;  // SVG's: no URL in the page
                var defs = document.createElementNS(ns, 'defs');
                var pattern = document.createElementNS(ns, 'pattern');
                pattern.setAttribute('id', {{ this.hatch_id|tojson }});
                pattern.setAttribute('patternUnits', 'userSpaceOnUse');
                pattern.setAttribute('width', '6');
                pattern.setAttribute('height', '6');
                pattern.setAttribute('patternTransform', 'rotate(45)');
                var back = document.createElementNS(ns, 'rect');
                back.setAttribute('width', '6');
                back.setAttribute('height', '6');
                back.setAttribute('fill', {{ this.unknown_colour|tojson }});
                var line = document.createElementNS(ns, 'line');
                line.setAttribute('x1', '0'); line.setAttribute('y1', '0');
                line.setAttribute('x2', '0'); line.setAttribute('y2', '6');
                line.setAttribute('stroke', '#7f7f7f');
                line.setAttribute('stroke-width', '1.5');
                pattern.appendChild(back);
                pattern.appendChild(line);
                defs.appendChild(pattern);
                svg.insertBefore(defs, svg.firstChild);
            }
            {% endif %}
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'cpgeo-legend');
                div.setAttribute('dir', {{ this.dir|tojson }});
                div.setAttribute('lang', {{ this.lang|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
            {% for key, layer in this.follows.items() %}
            (function (layer, row) {  // a row shown while its layer is
                if (!row) { return; }
                function sync() { row.style.display = map.hasLayer(layer) ? '' : 'none'; }
                map.on('overlayadd overlayremove', sync);
                sync();
            })({{ layer.get_name() }}, legend.getContainer().querySelector(
                '[data-layer=' + {{ key|tojson }} + ']'));
            {% endfor %}
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        *,
        radius_km: float,
        max_cpfs: int,
        title: str | None,
        proposals: bool = True,
        catchment: Catchment = "radius",
        stations: bool = False,
        newly: bool = False,
        lang: str = "en",
        follows: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.follows = follows or {}
        self.html = _legend_html(
            radius_km,
            max_cpfs,
            title,
            proposals=proposals,
            catchment=catchment,
            stations=stations,
            newly=newly,
            lang=lang,
        )
        self._place(lang)
        self.css = _LEGEND_CSS + (_RTL_CSS if is_rtl(lang) else "")

    def _place(self, lang: str) -> None:
        """Direction, language and background; mirrored for a right-to-left language."""
        self.lang = lang
        self.dir = "rtl" if is_rtl(lang) else "ltr"
        if is_rtl(lang) and self.mirror:
            self.position = _MIRRORED[self.position]
        self.background = map_colours()["background"]


#: Each corner of the map and its mirror image (for right-to-left languages).
_MIRRORED = {
    "bottomleft": "bottomright",
    "bottomright": "bottomleft",
    "topleft": "topright",
    "topright": "topleft",
}


_LEGEND_CSS = """
.cpgeo-legend { background: rgba(255,255,255,0.94); padding: 6px 8px; font: 12px/1.6 sans-serif;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.3); color: #222; max-width: 360px; }
.cpgeo-legend .cpgeo-title { font: bold 13px/1.3 sans-serif; margin-bottom: 4px; }
.cpgeo-sym { display: inline-block; vertical-align: middle; margin-inline-end: 6px;
  box-sizing: border-box; }
.cpgeo-dot { border-radius: 50%; }
.cpgeo-row { white-space: normal; }
.cpgeo-pop { margin-top: 4px; padding-top: 3px; border-top: 1px solid #ddd; }
.cpgeo-pop-item { display: inline-block; margin-inline-end: 10px; white-space: nowrap; }
.cpgeo-ramp span.cpgeo-sym { width: 18px; height: 12px; border: 1px solid #7f7f7f; }
.cpgeo-label { background: none; border: none; }
.cpgeo-badge { width: 22px; height: 22px; border-radius: 11px; color: #000; font: bold 12px/18px
  sans-serif; text-align: center; border: 2px solid #000; box-sizing: border-box;
  box-shadow: 0 0 0 1.5px #fff; }
.cpgeo-over { background: #E69F00; }
.cpgeo-rank { background: #252525; color: #fff; border-color: #fff; box-shadow: 0 0 3px #000; }
.cpgeo-gov-name, .cpgeo-office-name { font: 12px/16px sans-serif; color: #222;
  text-align: center; white-space: nowrap; pointer-events: none;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.cpgeo-gov-name { font-style: italic; color: #444; }
.cpgeo-office-name { font-weight: bold; color: #0b3a5c; }
"""

#: Right-to-left pages: text starts at the right; Arabic script is not set in italics.
_RTL_CSS = """
.cpgeo-legend, .leaflet-tooltip, .leaflet-control-layers { direction: rtl; text-align: right; }
.cpgeo-gov-name { font-style: normal; }
.leaflet-control-scale, .leaflet-control-zoom { direction: ltr; }
"""


def _class_labels(classes: Any, lang: str) -> tuple[str, ...]:
    """Return the classes' labels in ``lang`` (English: as the classes give them).

    A range of numbers is isolated left to right (U+2066 ... U+2069) in a right-to-left
    language, so that "0-20 %" does not read "20-0 %".
    """
    if lang == "en":
        return tuple(classes.labels)
    out = []
    for lo, hi in itertools.pairwise(classes.breaks):
        if classes.share:
            text = (
                f"{format_number(lo * 100, lang, decimals=0)}\N{EN DASH}"
                f"{format_number(hi, lang, decimals=0, percent=True)}"
            )
        else:
            text = f"{format_number(lo, lang, decimals=0)}\N{EN DASH}" + format_number(
                hi, lang, decimals=0
            )
        out.append(f"\u2066{text}\u2069" if is_rtl(lang) else text)
    return tuple(out)


def _ramp_html(
    title: str, labels: tuple[str, ...], colours: tuple[str, ...], unknown: str, lang: str
) -> str:
    rows = [
        f'<span class="cpgeo-sym" style="background:{c}"></span>{esc(label)}'
        for c, label in zip(colours, labels, strict=True)
    ]
    hatch = "repeating-linear-gradient(45deg,#7f7f7f 0 1px,#d9d9d9 1px 4px)"
    rows.append(f'<span class="cpgeo-sym" style="background:{hatch}"></span>{esc(unknown)}')
    return f'<div class="cpgeo-ramp"><b>{esc(title)}</b><br>{"<br>".join(rows)}</div>'


class _ShareLegend(MacroElement):
    """The share choropleth's legend: a ramp of its classes, shown while the layer is.

    When the layer is switched on it is put behind the other overlays of the canvas, just
    above the boundaries' land, so that no dot or catchment is hidden under it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var layer = {{ this.layer.get_name() }};
            {% if this.below %}var below = {{ this.below.get_name() }};{% endif %}
            var ramp = L.control({position: {{ this.position|tojson }}});
            ramp.onAdd = function () {
                var div = L.DomUtil.create('div', 'cpgeo-legend cpgeo-share-legend');
                div.setAttribute('dir', {{ this.dir|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            map.on('overlayadd', function (e) {
                if (e.layer !== layer) { return; }
                layer.bringToBack();
                {% if this.below %}below.bringToBack();{% endif %}
                ramp.addTo(map);
            });
            map.on('overlayremove', function (e) { if (e.layer === layer) { ramp.remove(); } });
            if (map.hasLayer(layer)) { ramp.addTo(map); }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, shares: _Shares, below: folium.GeoJson | None, *, lang: str) -> None:
        from cpgeo import _cartography

        super().__init__()
        self._name = "ShareLegend"
        self.layer = shares.layer
        self.below = below
        self.dir = "rtl" if is_rtl(lang) else "ltr"
        # under the zoom buttons: over Syria and Turkey, or Iran, clear of Iraq's land
        self.position = "topright" if is_rtl(lang) else "topleft"
        title = (
            gettext("Share of the population within the radius, by district", lang)
            if shares.level == "district"
            else gettext("Share of the population within the radius, by governorate", lang)
        )
        self.html = _ramp_html(
            title,
            _class_labels(shares.classes, lang),
            shares.classes.colours,
            gettext(_cartography.unknown_label("population_within_radius_share"), lang),
            lang,
        )


class _Page(MacroElement):
    """The page's language and direction, the zoom buttons and a metric scale bar.

    ``<html>`` gets ``lang`` and ``dir`` (the document's template, per map); the zoom
    buttons (titled in the language) sit top left, or top right in a right-to-left
    language, and the scale bar (kilometres only) in the corner below them.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            L.control.zoom({{ this.zoom|tojson }}).addTo(map);
            L.control.scale({{ this.scale|tojson }}).addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, lang: str) -> None:
        super().__init__()
        self._name = "Page"
        self.lang = lang
        rtl = is_rtl(lang)
        self.zoom = {
            "position": "topright" if rtl else "topleft",
            "zoomInTitle": gettext("Zoom in", lang),
            "zoomOutTitle": gettext("Zoom out", lang),
        }
        self.scale = {
            "position": "bottomright" if rtl else "bottomleft",
            "metric": True,
            "imperial": False,
            "maxWidth": 150,
        }

    def render(self, **kwargs: Any) -> Any:
        root = self.get_root()
        if isinstance(root, Figure) and self.lang != "en":
            direction = "rtl" if is_rtl(self.lang) else "ltr"
            root._template = Template(  # this page's only: the class keeps branca's
                _FIGURE_TEMPLATE.replace("{attributes}", f'lang="{self.lang}" dir="{direction}"')
            )
        return super().render(**kwargs)


#: branca's page template (``branca.element.Figure``, 0.8) with attributes on ``<html>``.
_FIGURE_TEMPLATE = (
    "<!DOCTYPE html>\n"
    "<html {attributes}>\n"
    "<head>\n"
    "{% if this.title %}<title>{{this.title}}</title>{% endif %}"
    "    {{this.header.render(**kwargs)}}\n"
    "</head>\n"
    "<body>\n"
    "    {{this.html.render(**kwargs)}}\n"
    "</body>\n"
    "<script>\n"
    "    {{this.script.render(**kwargs)}}\n"
    "</script>\n"
    "</html>\n"
)


def make_offline(m: folium.Map, *, base_url: str | None = None) -> folium.Map:
    """Point every asset link of ``m`` and its children at local copies, in place.

    Parameters
    ----------
    m
        A folium map.
    base_url
        None to inline assets as ``data:`` URIs; else the URL of a folder filled by
        :func:`cpgeo._assets.copy_assets`.

    Returns
    -------
    folium.Map
        ``m``, whose elements' ``default_js`` / ``default_css`` (set per instance; the
        folium classes are left unchanged) no longer name any CDN.

    Raises
    ------
    ValueError
        If an element needs an asset that has no local copy.
    """
    stack: list[Any] = [m]
    while stack:
        element = stack.pop()
        if isinstance(element, JSCSSMixin):
            element.default_js = local_links(list(element.default_js), base_url=base_url)
            element.default_css = local_links(list(element.default_css), base_url=base_url)
        stack.extend(getattr(element, "_children", {}).values())
    return m


def map_html(m: folium.Map) -> str:
    """Return ``m`` as one standalone HTML document (assets inlined; opens offline)."""
    make_offline(m)
    return m.get_root().render()


def save_html(m: folium.Map, path: str | Path) -> Path:
    """Write ``m`` as a standalone HTML file that opens without internet access, atomically."""
    from cpgeo._atomic import atomic_target

    path = Path(path)
    with atomic_target(path) as tmp:
        tmp.write_text(map_html(m), encoding="utf-8")
    return path


def render_png(
    scenario: Scenario,
    path: str | Path,
    coverage: gpd.GeoDataFrame | None = None,
    load: gpd.GeoDataFrame | None = None,
    proposals: gpd.GeoDataFrame | None = None,
    *,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
    forums: gpd.GeoDataFrame | None = None,
    title: str | None = None,
    dpi: int = 150,
    marking: str | None = None,
    lang: str = "en",
) -> Path:
    """Draw the exact map of a scenario as a PNG with matplotlib (no tile server), atomically.

    Every office, forum and community at its own place: a map for restricted use. The
    map is plate carrée (EPSG:4326) with the aspect corrected for the central latitude,
    north up, with a scale bar (geodesic length on WGS84 at the central latitude), a
    north arrow, the governorates' names and, beside the map, a legend of every symbol:
    the communities' status and population classes (dot size), offices, offices over
    capacity (orange triangles with the number of forums assigned), forums and their
    links, the catchments. Colours are colour-blind safe (Okabe-Ito). The
    illustrative-data notice is printed under the map when the scenario has one.

    Parameters
    ----------
    scenario, coverage, load, proposals, radius_km, max_cpfs, forums
        As in :func:`build_map`.
    path
        The PNG to write (replaced at once: a reader never sees half of it).
    title
        The map's heading; default "Offices, {radius}-km catchments and communities".
        Written in the PNG's ``Title`` text chunk too.
    dpi
        Resolution, dots per inch (the picture is 9.6 inches high, as wide as the map's
        shape and the legend beside it need).
    marking
        A security marking such as ``"RESTRICTED"``: printed at the top and the bottom
        of the picture and written in the PNG's ``Description`` text chunk.
    lang
        ``{"en", "ar", "ckb"}``: the language of the legend and the default title (see
        :func:`cpgeo._cartography.scenario_figure`).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from cpgeo import _cartography

    lang = language(lang)
    radius_km = settings.radius_km if radius_km is None else float(radius_km)
    max_cpfs = settings.max_cpfs if max_cpfs is None else int(max_cpfs)
    coverage, load, forums = _resolve_inputs(scenario, coverage, load, forums, radius_km, max_cpfs)
    heading = title or gettext("Offices, {km}-km catchments and communities", lang).format(
        km=format_number(radius_km, lang)
    )
    fig = _cartography.scenario_figure(
        scenario, coverage, load, forums, proposals,
        radius_km=radius_km, max_cpfs=max_cpfs, title=heading, marking=marking, dpi=dpi,
        lang=lang,
    )
    return _cartography.save_png(
        fig, Path(path), title=heading, marking=marking, notice=scenario.notice, dpi=dpi
    )


#: Columns an area map needs besides its value (see :func:`render_area_png`).
AREA_COLUMNS: tuple[str, ...] = (
    "area",
    "governorate",
    "offices",
    "forums",
    "communities",
    "communities_within_radius",
    "population",
    "population_within_radius",
    "population_within_radius_share",
)


def _drawable(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the areas that have a geometry (a table's "unknown" row has none)."""
    geoms = areas.geometry
    return areas[(geoms.notna() & ~geoms.is_empty).to_numpy()]


def _check_areas(areas: gpd.GeoDataFrame, boundaries: gpd.GeoDataFrame, value: str) -> None:
    _check_crs(areas, "areas")
    _check_crs(boundaries, "boundaries")
    missing = [c for c in dict.fromkeys((*AREA_COLUMNS, value)) if c not in areas.columns]
    if missing:
        msg = f"areas lack the column(s) {', '.join(missing)}"
        raise ValueError(msg)
    kinds = set(areas.geometry.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        msg = f"areas must be polygons, got {', '.join(sorted(kinds))}"
        raise ValueError(msg)


def render_area_png(
    areas: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    path: str | Path,
    *,
    value: str = "population_within_radius_share",
    title: str | None = None,
    notice: str | None = None,
    note: str | None = None,
    marking: str | None = None,
    dpi: int = 150,
    lang: str = "en",
) -> Path:
    """Draw a choropleth of areas as a PNG, atomically: polygons and names, no site at all.

    For public snapshots: the picture shows areas shaded by ``value``, the governorates'
    outlines and names, a scale bar (geodesic length on WGS84 at the central latitude), a
    north arrow and a legend; no office, forum or community is drawn. Every position in
    the picture comes from the geometry of ``areas`` and ``boundaries``; the PNG's text
    chunks hold the title, the marking and the notice only.

    Parameters
    ----------
    areas
        Polygons (EPSG:4326) with the columns ``area`` (name), ``governorate``,
        ``offices``, ``forums``, ``communities``, ``communities_within_radius``,
        ``population``, ``population_within_radius`` (counts) and
        ``population_within_radius_share`` (0..1, NaN when the population is unknown).
        Rows without a geometry are left out.
    boundaries
        The governorates or finer areas (EPSG:4326) with a ``governorate`` column:
        outlined (dissolved by governorate) and named.
    path
        The PNG to write.
    value
        The column that shades the areas: a share (``*_share``, 0..1) in the classes
        0-20-40-60-80-100 %, any other count in five equal classes from 0. Areas without a
        value are grey and hatched ("no known population").
    title
        The heading; default "Share of population within the radius" (the value's name).
        Written in the PNG's ``Title`` text chunk too.
    notice
        The illustrative-data notice, printed in red under the map.
    note
        A note printed under the map, e.g. how the sites were generalised.
    marking
        A security marking: printed at the top and the bottom of the picture and written
        in the PNG's ``Description`` text chunk.
    dpi
        Resolution, dots per inch.
    lang
        ``{"en", "ar", "ckb"}``: the language of the legend and the default title (see
        :func:`cpgeo._cartography.area_figure`).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If a layer is not in EPSG:4326, ``areas`` lacks a column or holds other than
        polygons.
    """
    from cpgeo import _cartography

    lang = language(lang)
    _check_areas(areas, boundaries, value)
    areas = _drawable(areas)
    heading = title or gettext(_cartography.value_title(value), lang)
    fig = _cartography.area_figure(
        areas, boundaries, value=value, title=heading, notice=notice, note=note,
        marking=marking, dpi=dpi, lang=lang,
    )
    return _cartography.save_png(
        fig, Path(path), title=heading, marking=marking, notice=notice, dpi=dpi
    )


#: Tolerance of the simplification of the area map's polygons, degrees (about 500 m):
#: shapely keeps a subset of the original vertices, so no new coordinate appears.
AREA_SIMPLIFY_DEG = 0.005


#: Simplification of the share layer's fills on the main map, degrees (about 2 km): a
#: fill under the outlines drawn exactly, it needs no finer edge, and the page that opens
#: first stays as light as it was before the layer
SHARE_SIMPLIFY_DEG = 0.02


def _simplified(geom: Any, tolerance: float = AREA_SIMPLIFY_DEG) -> Any:
    simple = geom.simplify(tolerance, preserve_topology=True)
    return geom if simple.is_empty else simple


def _area_tip(row: pd.Series, lang: str = "en") -> str:
    gov = row.get("governorate")
    gov_txt = "" if gov is None or pd.isna(gov) else governorate_name(str(gov), lang)
    area = row.get("area")
    area_txt = gov_txt if area is not None and not pd.isna(area) and area == gov else area

    def say(message: str, **fields: Any) -> str:
        return esc(gettext(message, lang).format(**fields))

    def count(column: str) -> str:
        return _number(row.get(column), lang)

    lines = [
        f"<b>{esc(area_txt)}</b> ({esc(gov_txt)})",
        say("offices: {offices}, forums: {forums}", offices=count("offices"),
            forums=count("forums")),
        say("communities within the radius: {within} of {total}",
            within=count("communities_within_radius"), total=count("communities")),
        say("population within the radius: {within} of {population}",
            within=count("population_within_radius"), population=count("population")),
        say("share of population within the radius: {share}",
            share=_percent(row.get("population_within_radius_share"), lang)),
    ]
    return _tip("<br>".join(lines), lang)


def build_area_map(
    areas: gpd.GeoDataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    value: str = "population_within_radius_share",
    title: str | None = None,
    notice: str | None = None,
    note: str | None = None,
    marking: str | None = None,
    assets_base_url: str | None = None,
    lang: str = "en",
) -> folium.Map:
    """Return an interactive choropleth of areas that draws without internet access.

    The interactive version of :func:`render_area_png`, for public snapshots: areas
    shaded by ``value`` with a tooltip each (name, governorate, offices, forums,
    communities and population within the radius, the share in %), the governorates'
    outlines and names, a legend with the classes, the note and the notice, the title
    (also the page's ``<title>``).

    Every coordinate in the page comes from the geometry of ``areas`` and
    ``boundaries``: the polygons' vertices (simplified by shapely, which keeps a subset of
    them, and rounded to COORD_DECIMALS decimals), the governorates' label points
    (shapely ``representative_point`` of the boundaries dissolved by governorate) and
    the corners of the boundaries' bounds (the opening view). No site is sent.

    Parameters
    ----------
    areas, boundaries, value, title, notice, note, marking
        As in :func:`render_area_png`; ``marking`` is shown as a banner at the top of
        the map and in the page's title.
    assets_base_url
        As in :func:`build_map`.
    lang
        As in :func:`build_map`: the words (tooltips, legend, layer names, the default
        title), numbers and governorate names in this language, right to left for Arabic
        and Kurdish. ``title``, ``note``, ``notice`` and ``marking`` are shown as given.

    Returns
    -------
    folium.Map
        With layers "Areas" and "Governorates" (named in ``lang``), a legend and a metric
        scale bar.

    Raises
    ------
    ValueError
        As :func:`render_area_png`.
    """
    from cpgeo import _cartography

    lang = language(lang)
    _check_areas(areas, boundaries, value)
    areas = _drawable(areas)
    legend_title = gettext(_cartography.value_title(value), lang)
    heading = title or legend_title
    frame = boundaries if boundaries is not None and len(boundaries) else areas
    # the opening view: a vertex of the boundaries, then fitted to their bounds (no
    # centre point is computed: it would be a coordinate of no vertex)
    start = _first_vertex(frame)
    m = folium.Map(
        location=[start[1], start[0]] if start else [0.0, 0.0],
        zoom_start=6,
        tiles=None,
        zoom_control=False,  # added by _Page
        zoom_snap=0.25,
    )
    bounds = _bounds(frame)
    if bounds is not None:
        fit = folium.map.FitBounds(_round_coords(bounds))
        fit.options["animate"] = False
        m.add_child(fit)
    cls = _cartography.classes(areas[value], value)
    index = cls.index(pd.to_numeric(areas[value], errors="coerce").to_numpy(float))
    features = []
    for i, (_, row) in enumerate(areas.iterrows()):
        features.append(
            {
                "type": "Feature",
                "id": str(i),
                "geometry": _geometry(_simplified(row.geometry)),
                "properties": {
                    "tip": _area_tip(row, lang),
                    "fill": cls.colours[index[i]] if index[i] >= 0 else "",
                },
            }
        )

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        fill = feature["properties"]["fill"]
        return {
            "color": "#ffffff" if fill else "#7f7f7f",
            "weight": 0.8,
            "fillColor": fill or f"url(#{_HATCH_ID})",
            "fillOpacity": 0.85 if fill else 1.0,
        }

    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=gettext("Areas", lang),
        style_function=style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    ).add_to(m)
    if boundaries is not None and len(boundaries):
        _add_governorate_outlines(m, _cartography.governorates(boundaries), lang=lang)
    rtl = is_rtl(lang)
    folium.LayerControl(position="topleft" if rtl else "topright", collapsed=True).add_to(m)
    m.add_child(
        _AreaLegend(
            title=heading,
            legend_title=legend_title,
            labels=_class_labels(cls, lang),
            colours=cls.colours,
            unknown=gettext(_cartography.unknown_label(value), lang),
            note=note,
            notice=notice,
            lang=lang,
        )
    )
    if marking:
        m.add_child(_Banner(marking))
    _set_page_title(m, heading, marking, lang=lang)
    m.add_child(_Page(lang))
    m.add_child(_MapReady())
    make_offline(m, base_url=assets_base_url)
    m.default_js = [(n, u) for n, u in m.default_js if n != "jquery"]
    return m


def _first_vertex(frame: gpd.GeoDataFrame) -> tuple[float, float] | None:
    """Return the first vertex (lon, lat), rounded as sent, of the first non-empty geometry."""
    import shapely

    for geom in frame.geometry:
        if geom is not None and not geom.is_empty:
            x, y = shapely.get_coordinates(geom)[0]
            return round(float(x), COORD_DECIMALS), round(float(y), COORD_DECIMALS)
    return None


def _add_governorate_outlines(
    m: folium.Map, dissolved: gpd.GeoDataFrame, *, lang: str = "en"
) -> None:
    """Governorates' outlines (no fill, not interactive) and their names at label points."""
    group = folium.FeatureGroup(name=gettext("Governorates", lang))
    features = [
        {
            "type": "Feature",
            "id": str(i),
            "geometry": _geometry(_simplified(geom)),
            "properties": {},
        }
        for i, geom in enumerate(dissolved.geometry)
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda _f: {"color": "#333333", "weight": 1.6, "fill": False},
        interactive=False,
    ).add_to(group)
    for name, point in zip(dissolved.index, dissolved["label"], strict=True):
        folium.Marker(
            [round(float(point.y), COORD_DECIMALS), round(float(point.x), COORD_DECIMALS)],
            icon=folium.DivIcon(
                html=f'<div class="cpgeo-gov-name">{esc(governorate_name(name, lang))}</div>',
                icon_size=(120, 16),
                icon_anchor=(60, 8),
                class_name="cpgeo-label",
            ),
            interactive=False,
        ).add_to(group)
    group.add_to(m)


def _set_page_title(
    m: folium.Map, title: str | None, marking: str | None, *, lang: str = "en"
) -> None:
    """Set the document's ``<title>``: the marking, then the title (default "cpgeo map")."""
    text = title or gettext("cpgeo map", lang)
    if marking:
        text = f"{marking} — {text}"
    root = m.get_root()
    if isinstance(root, Figure):
        # branca writes the title as it is: escape it here (and its braces: see esc)
        root.title = esc(text)


_HATCH_ID = "cpgeo-hatch"


def _area_legend_html(
    *,
    title: str | None,
    legend_title: str,
    labels: tuple[str, ...],
    colours: tuple[str, ...],
    unknown: str,
    note: str | None,
    notice: str | None,
    lang: str = "en",
) -> str:
    def swatch(background: str) -> str:
        return (
            '<span class="cpgeo-sym" style="width:18px;height:12px;'
            f'background:{background};border:1px solid #7f7f7f"></span>'
        )

    hatch = "repeating-linear-gradient(45deg,#7f7f7f 0 1px,#d9d9d9 1px 4px)"
    rows = [f"{swatch(c)}{esc(label)}" for c, label in zip(colours, labels, strict=True)]
    rows.append(f"{swatch(hatch)}{esc(unknown)}")
    rows.append(
        '<span class="cpgeo-sym" style="width:18px;height:0;border-top:2px solid #333">'
        f"</span>{esc(gettext('governorate boundary', lang))}"
    )
    parts = []
    if title:
        parts.append(f'<div class="cpgeo-title">{esc(title)}</div>')
    parts.append(f"<b>{esc(legend_title)}</b><br>" + "<br>".join(rows))
    if note:
        parts.append(f'<div class="cpgeo-note">{esc(note)}</div>')
    if notice:
        parts.append(f'<div class="cpgeo-notice">{esc(notice)}</div>')
    return "".join(parts)


class _AreaLegend(_Legend):
    """Legend of an area map (classes, note, notice), its background and its hatching.

    The hatching of areas without a value is an SVG pattern in the map's overlay pane,
    which the areas' fill (``url(#cpgeo-hatch)``) names.
    """

    # top right: over the sea and Iran, clear of Iraq's land (right to left: top left,
    # over Syria, with the layer control)
    position = "topright"
    mirror = True

    def __init__(
        self,
        *,
        title: str | None,
        legend_title: str,
        labels: tuple[str, ...],
        colours: tuple[str, ...],
        unknown: str,
        note: str | None,
        notice: str | None,
        lang: str = "en",
    ) -> None:
        from cpgeo import _cartography

        MacroElement.__init__(self)  # the template only: the contents are an area map's
        self._name = "AreaLegend"
        self.html = _area_legend_html(
            title=title, legend_title=legend_title, labels=labels, colours=colours,
            unknown=unknown, note=note, notice=notice, lang=lang,
        )
        self._place(lang)
        self.css = _LEGEND_CSS + _AREA_CSS + (_RTL_CSS if is_rtl(lang) else "")
        self.hatch_id = _HATCH_ID
        self.unknown_colour = _cartography.UNKNOWN_COLOUR


_AREA_CSS = """
.cpgeo-legend { max-width: 320px; }
.cpgeo-title { font: bold 14px/1.3 sans-serif; margin-bottom: 4px; }
.cpgeo-note { margin-top: 6px; color: #333; font-size: 11px; }
.cpgeo-notice { margin-top: 6px; color: #b2182b; font-size: 11px; }
"""


class _Banner(MacroElement):
    """A security marking in a fixed banner at the top of the map (not a Leaflet control)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var map = {{ this._parent.get_name() }};
            var div = document.createElement('div');
            div.className = 'cpgeo-marking';
            div.setAttribute('role', 'note');
            div.innerHTML = {{ this.html|tojson }};
            div.style.cssText = {{ this.style|tojson }};
            map.getContainer().appendChild(div);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, marking: str) -> None:
        super().__init__()
        self._name = "Banner"
        self.html = esc(marking)
        self.style = (
            "position:absolute;top:8px;left:50%;transform:translateX(-50%);z-index:1000;"
            "background:#fff;color:#b2182b;border:2px solid #b2182b;padding:3px 12px;"
            "font:bold 14px/1.4 sans-serif;pointer-events:none;max-width:70%;text-align:center;"
            "box-shadow:0 1px 4px rgba(0,0,0,0.3)"
        )
