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

No text from data is ever markup or code: texts in folium's HTML tooltips are escaped by
:func:`esc` (HTML, JavaScript template literals, and Jinja's braces, since branca compiles
every macro's output as a template on the server); the communities' texts travel as JSON
(:func:`_script_json`) and are shown as text nodes.
"""

from __future__ import annotations

import html
import json
import math
import re
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

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd

    from cpgeo.scenario import Scenario

_GEOD = Geod(ellps="WGS84")

#: Colours of the map and the PNG (also shown in the legend).
COLOURS: dict[str, str] = {
    "covered": "#1a9850",
    "uncovered": "#d73027",
    "office": "#2166ac",
    "office_over": "#b2182b",
    "catchment": "#4393c3",
    "forum": "#7b3294",
    "forum_problem": "#e66101",
    # proposed sites: near-black, unlike any status colour (orange is "forum out of range")
    "proposal": "#252525",
    "newly_covered": "#a6d96a",
    "radius_not_road": "#fdb515",
    "off_network": "#9e9e9e",
    "station": "#666666",
    "boundary": "#555555",
    "focus": "#222222",
    "background": "#f2efe9",
}

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

    Returns
    -------
    folium.Map
        With layers "Governorates", "Catchments", "Communities", "Forums", "Offices",
        "Candidate stations" and (with proposals) "Proposed sites", a layer control and a
        legend.
    """
    radius_km = settings.radius_km if radius_km is None else float(radius_km)
    max_cpfs = settings.max_cpfs if max_cpfs is None else int(max_cpfs)
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
        control_scale=True,
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

    _add_boundaries(m, scenario.boundaries, governorates)
    _add_catchments(m, load, radius_km, name="Catchments")
    if catchment == "road":
        _add_road_communities(m, coverage, radius_km)
    else:
        _add_communities(m, coverage, after=coverage_after if proposals is not None else None)
    _add_forums(m, forums, load)
    _add_offices(m, load, max_cpfs)
    if scenario.stations is not None and len(scenario.stations):
        _add_stations(m, scenario.stations, show=show_stations)
    if proposals is not None and len(proposals):
        _add_proposals(m, proposals, radius_km)
    folium.LayerControl(collapsed=False).add_to(m)
    m.add_child(
        _Legend(
            radius_km=radius_km,
            max_cpfs=max_cpfs,
            title=title,
            proposals=proposals is not None and len(proposals) > 0,
            catchment=catchment,
            stations=scenario.stations is not None and len(scenario.stations) > 0,
            newly=coverage_after is not None and proposals is not None,
        )
    )
    if marking:
        m.add_child(_Banner(marking))
    _set_page_title(m, title, marking)
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


def _add_boundaries(
    m: folium.Map,
    boundaries: gpd.GeoDataFrame,
    governorates: list[str] | tuple[str, ...] | None,
) -> None:
    if boundaries is None or len(boundaries) == 0:
        return
    focus = set(governorates or ())
    # COD-AB areas (cpgeo.admin) name their own level: districts, sub-districts
    level = int(boundaries["level"].iloc[0]) if "level" in boundaries.columns else 1
    features = []
    for i, row in enumerate(boundaries.itertuples(index=False)):
        gov = getattr(row, "governorate", None) or getattr(row, "name", "")
        tip = f"<b>{esc(gov)}</b>"
        if level > 1:
            name, code = getattr(row, "name", ""), getattr(row, "id", "")
            tip = f"<b>{esc(name)}</b> ({esc(gov)})<br>{esc(code)}"
        features.append(
            {
                "type": "Feature",
                "id": str(i),
                "geometry": _geometry(row.geometry),
                "properties": {"tip": tip, "focus": bool(gov in focus)},
            }
        )
    data = {"type": "FeatureCollection", "features": features}

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        bold = feature["properties"]["focus"]
        return {
            "color": COLOURS["focus"] if bold else COLOURS["boundary"],
            "weight": 2.5 if bold else 1,
            "fillColor": "#ffffff",
            "fillOpacity": 0.55 if bold else 0.3,
        }

    folium.GeoJson(
        data,
        name={1: "Governorates", 2: "Districts", 3: "Sub-districts"}.get(level, "Areas"),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    ).add_to(m)


def _add_catchments(
    m: folium.Map,
    offices: gpd.GeoDataFrame,
    radius_km: float,
    *,
    name: str,
    colour: str | None = None,
    dashed: bool = False,
) -> None:
    if offices is None or len(offices) == 0:
        return
    circles = geodesic_circles(
        offices.geometry.x.to_numpy(), offices.geometry.y.to_numpy(), radius_km
    )
    names = _col(offices, "name", "")
    features = [
        {
            "type": "Feature",
            "id": str(i),
            "geometry": _geometry(circles[i]),
            "properties": {
                "tip": f"{esc(names.iloc[i])}: {radius_km:g} km catchment (geodesic)",
            },
        }
        for i in range(len(offices))
    ]
    colour = colour or COLOURS["catchment"]
    style = {
        "color": colour,
        "weight": 1.5,
        "fillColor": colour,
        "fillOpacity": 0.08,
        "dashArray": "6 4" if dashed else None,
    }
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        style_function=lambda _f: style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    ).add_to(m)


def _add_communities(
    m: folium.Map, coverage: gpd.GeoDataFrame, *, after: gpd.GeoDataFrame | None = None
) -> None:
    if coverage is None or len(coverage) == 0:
        return
    _PointLayer(community_payload(coverage, after=after), name="Communities").add_to(m)


#: Styles of the communities' points, indexed by their status code (``s`` of
#: :func:`community_payload`): fill, ring, ring width (px), fill opacity, pixels added to
#: the population radius, and the tooltip's line for the status.
COMMUNITY_STATUS: tuple[tuple[str, str, float, float, float, str], ...] = (
    (COLOURS["uncovered"], "#ffffff", 0.8, 0.9, 0.0, "NOT covered"),
    (COLOURS["covered"], "#ffffff", 0.8, 0.9, 0.0, "covered"),
    (COLOURS["newly_covered"], "#1a4f1a", 0.8, 0.9, 0.0, "newly covered by the proposal"),
)

#: Road-distance classes of :func:`road_payload` (``s``), in order, and their styles (as
#: :data:`COMMUNITY_STATUS`; the tooltip's lines are built from the numbers).
ROAD_KINDS: tuple[str, ...] = ("road", "gap", "none", "far")
ROAD_STYLES: tuple[tuple[str, str, float, float, float, str], ...] = (
    (COLOURS["covered"], "#ffffff", 0.6, 0.95, 0.0, ""),
    (COLOURS["radius_not_road"], "#000000", 1.6, 0.95, 1.5, ""),
    (COLOURS["uncovered"], "#ffffff", 0.6, 0.95, 0.0, ""),
    (COLOURS["off_network"], "#ffffff", 0.6, 0.95, 0.0, ""),
)


def _codes(values: pd.Series) -> tuple[list[int], list[str]]:
    """Return ``values`` as indices into a list of their distinct texts (missing: -1)."""
    codes, uniques = pd.factorize(values)  # None, NaN and NA are -1
    return codes.tolist(), [str(u) for u in uniques]


def community_payload(
    coverage: gpd.GeoDataFrame, *, after: gpd.GeoDataFrame | None = None
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

    Returns
    -------
    dict
        ``x``, ``y``: longitude, latitude (degrees, EPSG:4326, COORD_DECIMALS decimals);
        ``s``: status (index into ``S``, the styles of :data:`COMMUNITY_STATUS`: 0 not
        covered, 1 covered, 2 newly covered); ``n``: name; ``g``: index into ``G``, the
        governorates (-1: unknown); ``p``: population (None: unknown; ``p`` itself None
        when no population is known), whose class in ``P`` (:data:`POPULATION_CLASSES`)
        sizes the marker; ``o``: index into ``O``, the nearest offices' ids (-1: none);
        ``k``: kilometres to it (one decimal, None: no office); ``S``: the styles;
        ``kind``: ``"radius"`` (how the map's script words the tooltips).
    """
    n = len(coverage)
    covered = _col(coverage, "covered", False).fillna(False).astype(bool).to_numpy()
    newly = np.zeros(n, dtype=bool)
    if after is not None and len(after) == n:
        newly = _col(after, "covered", False).fillna(False).astype(bool).to_numpy() & ~covered
    office_codes, offices = _codes(_col(coverage, "nearest_office", None))
    return {
        "kind": "radius",
        "S": [list(style) for style in COMMUNITY_STATUS],
        **_point_base(coverage),
        "s": np.where(newly, 2, covered.astype(int)).tolist(),
        "o": office_codes,
        "O": offices,
        "k": _numbers(_col(coverage, "nearest_office_km", None), 1),
    }


def road_payload(road: gpd.GeoDataFrame, max_km: float) -> dict[str, Any]:
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
        (two decimals); ``R``: ``max_km`` as shown.
    """
    by_road = _col(road, "covered_by_road", False).fillna(False).astype(bool).to_numpy()
    gap = _col(road, "radius_but_not_road", False).fillna(False).astype(bool).to_numpy()
    off = _col(road, "off_network", False).fillna(False).astype(bool).to_numpy()
    said = np.where(by_road, 0, np.where(gap, 1, 2))
    office_codes, offices = _codes(_col(road, "road_office", None))
    snap_km = pd.to_numeric(_col(road, "snap_m", None), errors="coerce") / 1000
    return {
        "kind": "road",
        "S": [list(style) for style in ROAD_STYLES],
        "R": f"{max_km:g}",
        **_point_base(road),
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


def _point_base(points: gpd.GeoDataFrame) -> dict[str, Any]:
    """Coordinates, name, governorate and population (hence marker size) of every point."""
    pops = pd.to_numeric(_col(points, "population", None), errors="coerce").to_numpy(float)
    gov_codes, govs = _codes(_col(points, "governorate", None))
    known = not np.isnan(pops).all()
    return {
        "x": np.round(points.geometry.x.to_numpy(float), COORD_DECIMALS).tolist(),
        "y": np.round(points.geometry.y.to_numpy(float), COORD_DECIMALS).tolist(),
        "n": _col(points, "name", "").astype(object).fillna("").astype(str).tolist(),
        "g": gov_codes,
        "G": govs,
        # NaN: unknown; none known (a plain list of villages): one null, not thousands
        "p": [None if v != v else int(v) for v in pops.tolist()] if known else None,
        "P": [list(c) for c in POPULATION_CLASSES],
    }


def _script_json(value: Any) -> str:
    r"""Return ``value`` as JSON that is safe inside a ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as JSON ``\u`` escapes, so that no text can close the
    script or open a comment; U+2028 and U+2029 likewise (line ends to older parsers); a
    brace that would open a Jinja delimiter as ``\u007b``.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
        ("\u2028", "\\u2028"), ("\u2029", "\\u2029"),
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
    function fixed(value, digits) { return value === null ? "?" : value.toFixed(digits); }
    function office(i) { return d.o[i] < 0 ? "" : d.O[d.o[i]]; }
    var status = {
        radius: function (el, i) {
            line(el, S[d.s[i]][5]);
            if (d.k[i] !== null && d.o[i] >= 0) {
                line(el, "nearest office: " + office(i) + " (" + fixed(d.k[i], 1) + " km)");
            }
        },
        road: function (el, i) {
            if (d.v[i] === 0) {
                line(el, fixed(d.k[i], 1) + " km by road from " + office(i));
            } else if (d.v[i] === 1) {
                line(el, "inside the " + d.R + "-km radius (" + fixed(d.q[i], 1)
                    + " km) but beyond " + d.R + " km by road", true);
            } else {
                line(el, "NOT within " + d.R + " km by road");
            }
            var off = d.s[i] === 3 ? " (off the road network: outside the extract?)" : "";
            if (d.m[i] !== null) {
                line(el, fixed(d.m[i], 2) + " km to the road" + off);
            } else if (off) {
                el.appendChild(document.createTextNode(off));
            }
        }
    }[d.kind];
    function tip(i) {
        var el = document.createElement("div"), b = document.createElement("b");
        b.textContent = d.n[i];
        el.appendChild(b);
        el.appendChild(document.createTextNode(" (" + (d.g[i] < 0 ? "" : d.G[d.g[i]]) + ")"));
        var people = population(i);
        line(el, "population " + (people === null ? "unknown" : people.toLocaleString("en-US")));
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


def _add_road_communities(m: folium.Map, road: gpd.GeoDataFrame, max_km: float) -> None:
    """Communities coloured by road distance; inside the radius but not by road: amber.

    Communities off the road network (``off_network``) are grey whatever their flags.
    """
    if road is None or len(road) == 0:
        return
    _PointLayer(road_payload(road, max_km), name="Communities (road distance)").add_to(m)


def _add_forums(m: folium.Map, forums: gpd.GeoDataFrame, offices: gpd.GeoDataFrame) -> None:
    if forums is None or len(forums) == 0:
        return
    group = folium.FeatureGroup(name="Forums")
    office_xy = {
        str(oid): (float(g.x), float(g.y))
        for oid, g in zip(offices["id"], offices.geometry, strict=True)
    }
    status = _col(forums, "status", "in_range").fillna("in_range").astype(str)
    assigned = _col(forums, "assigned_office", None)
    names = _col(forums, "name", "")
    km = _col(forums, "assigned_km", None)
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
        dist_txt = "" if dist is None or pd.isna(dist) else f" ({float(dist):.1f} km)"
        props.append(
            {
                "tip": (
                    f"<b>{esc(names.iloc[i])}</b><br>office: "
                    f"{esc(office_key) if office_key else 'none'}{dist_txt}<br>"
                    f"{esc(status.iloc[i].replace('_', ' '))}"
                ),
                "ok": ok,
            }
        )
    if lines:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": lines},
            style_function=lambda f: {
                "color": COLOURS["forum"] if f["properties"]["ok"] else COLOURS["forum_problem"],
                "weight": 1.5,
                "opacity": 0.8,
                "dashArray": None if f["properties"]["ok"] else "4 4",
            },
        ).add_to(group)
    _dots(
        _point_features(forums, props),
        lambda f: _dot_style(
            4, COLOURS["forum"] if f["properties"]["ok"] else COLOURS["forum_problem"]
        ),
    ).add_to(group)
    group.add_to(m)


def _add_offices(m: folium.Map, load: gpd.GeoDataFrame, max_cpfs: int) -> None:
    if load is None or len(load) == 0:
        return
    group = folium.FeatureGroup(name="Offices")
    over = _col(load, "over_capacity", False).fillna(False).astype(bool).to_numpy()
    n_cpfs = _col(load, "n_cpfs", None)
    capacity = _col(load, "capacity", max_cpfs)
    names = _col(load, "name", "")
    ids = _col(load, "id", "")
    props = []
    for i in range(len(load)):
        cap = capacity.iloc[i]
        cap = max_cpfs if cap is None or pd.isna(cap) else int(cap)
        count = n_cpfs.iloc[i]
        count_txt = "" if count is None or pd.isna(count) else f"{int(count)}/{cap} forums"
        props.append(
            {
                "tip": (
                    f"<b>{esc(names.iloc[i])}</b> [{esc(ids.iloc[i])}]<br>{count_txt}"
                    f"{'<br><b>OVER CAPACITY</b>' if over[i] else ''}"
                ),
                "over": bool(over[i]),
            }
        )
    _dots(
        _point_features(load, props),
        lambda f: _dot_style(
            8,
            COLOURS["office_over"] if f["properties"]["over"] else COLOURS["office"],
            weight=2,
        ),
    ).add_to(group)
    for i, geom in enumerate(load.geometry):
        if not over[i]:
            continue
        count = n_cpfs.iloc[i]
        label = "!" if count is None or pd.isna(count) else str(int(count))
        folium.Marker(
            [float(geom.y), float(geom.x)],
            icon=folium.DivIcon(
                html=f'<div class="cpgeo-badge cpgeo-over">{esc(label)}</div>',
                icon_size=(22, 22),
                icon_anchor=(-4, 26),
                class_name="cpgeo-label",
            ),
        ).add_to(group)
    group.add_to(m)


def _add_stations(m: folium.Map, stations: gpd.GeoDataFrame, *, show: bool) -> None:
    names = _col(stations, "name", "")
    props = [
        {"tip": f"<b>{esc(names.iloc[i])}</b><br>candidate station"} for i in range(len(stations))
    ]
    _dots(
        _point_features(stations, props),
        lambda _f: _dot_style(4, "#ffffff", stroke=COLOURS["station"], weight=1.5),
        name="Candidate stations",
        show=show,
    ).add_to(m)


def proposal_rank(proposals: pd.DataFrame) -> pd.Series:
    """Return the rank (1 = first chosen) of each proposed site, from its ``rank`` or ``order``."""
    for column in ("rank", "order"):
        if column in proposals.columns:
            return pd.to_numeric(proposals[column], errors="coerce")
    return pd.Series(np.arange(1, len(proposals) + 1), index=proposals.index)


def _add_proposals(m: folium.Map, proposals: gpd.GeoDataFrame, radius_km: float) -> None:
    group = folium.FeatureGroup(name="Proposed sites")
    ranks = proposal_rank(proposals)
    names = _col(proposals, "name", "")
    kinds = _col(proposals, "type", "")
    reasons = _col(proposals, "reason", "")
    circles = geodesic_circles(
        proposals.geometry.x.to_numpy(), proposals.geometry.y.to_numpy(), radius_km
    )
    for i, geom in enumerate(proposals.geometry):
        rank = ranks.iloc[i]
        rank_txt = "?" if pd.isna(rank) else str(int(rank))
        tip = (
            f"<b>#{esc(rank_txt)} {esc(names.iloc[i])}</b><br>{esc(kinds.iloc[i])}"
            f"<br>{esc(reasons.iloc[i])}"
        )
        folium.Polygon(
            [[y, x] for x, y in _round_coords(circles[i].exterior.coords)],
            color=COLOURS["proposal"],
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


def _legend_html(
    radius_km: float,
    max_cpfs: int,
    title: str | None,
    *,
    proposals: bool = True,
    catchment: Catchment = "radius",
    stations: bool = False,
    newly: bool = False,
) -> str:
    def dot(colour: str, size: float = 10, ring: str = "#ffffff") -> str:
        return (
            f'<span style="display:inline-block;width:{size}px;height:{size}px;border-radius:50%;'
            f'background:{colour};border:1px solid {ring};vertical-align:middle;margin-right:4px">'
            "</span>"
        )

    if catchment == "road":
        communities = [
            f"{dot(COLOURS['covered'])}community within {radius_km:g} km by road",
            f"{dot(COLOURS['radius_not_road'], 12, '#000000')}inside the radius, "
            f"beyond {radius_km:g} km by road",
            f"{dot(COLOURS['uncovered'])}community not covered",
            f"{dot(COLOURS['off_network'])}more than {settings.road_snap_km:g} km from any road",
        ]
    else:
        communities = [
            f"{dot(COLOURS['covered'])}community within {radius_km:g} km",
            f"{dot(COLOURS['newly_covered'], 10, '#1a4f1a')}newly within {radius_km:g} km with "
            "the proposal"
            if newly
            else "",
            f"{dot(COLOURS['uncovered'])}community not covered",
        ]
    rows = [
        *communities,
        f"{dot(COLOURS['office'], 12)}office",
        f"{dot(COLOURS['office_over'], 12)}office over capacity (&gt; {max_cpfs} forums; "
        "badge: forums assigned)",
        f"{dot(COLOURS['forum'], 8)}forum (line to its office)",
        f"{dot(COLOURS['forum_problem'], 8)}forum out of range / no office",
        f"{dot(COLOURS['proposal'], 12)}proposed site (rank; dashed: its catchment)"
        if proposals
        else "",
        f"{dot('#ffffff', 8, COLOURS['station'])}candidate police station" if stations else "",
        (
            f'<span style="display:inline-block;width:12px;height:8px;border:1.5px solid '
            f'{COLOURS["catchment"]};margin-right:4px"></span>{radius_km:g} km catchment (geodesic)'
        ),
        "dot size: population",
    ]
    head = f"<b>{esc(title)}</b><br>" if title else ""
    return head + "<br>".join(r for r in rows if r)


class _Legend(MacroElement):
    """Legend (a Leaflet control) and the plain map background, as one script element.

    An area map's legend (:class:`_AreaLegend`) adds the SVG hatching of areas without a
    value (``hatch_id``) and sits top right.
    """

    position = "bottomleft"
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
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo(map);
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
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = _legend_html(
            radius_km,
            max_cpfs,
            title,
            proposals=proposals,
            catchment=catchment,
            stations=stations,
            newly=newly,
        )
        self.background = COLOURS["background"]
        self.css = _LEGEND_CSS


_LEGEND_CSS = """
.cpgeo-legend { background: rgba(255,255,255,0.92); padding: 6px 8px; font: 12px/1.5 sans-serif;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.3); color: #222; }
.cpgeo-label { background: none; border: none; }
.cpgeo-badge { width: 22px; height: 22px; border-radius: 11px; color: #fff; font: bold 12px/22px
  sans-serif; text-align: center; border: 2px solid #fff; box-shadow: 0 0 3px rgba(0,0,0,0.5); }
.cpgeo-over { background: #b2182b; }
.cpgeo-rank { background: #252525; }
"""


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

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from cpgeo import _cartography

    radius_km = settings.radius_km if radius_km is None else float(radius_km)
    max_cpfs = settings.max_cpfs if max_cpfs is None else int(max_cpfs)
    coverage, load, forums = _resolve_inputs(scenario, coverage, load, forums, radius_km, max_cpfs)
    heading = title or f"Offices, {radius_km:g}-km catchments and communities"
    fig = _cartography.scenario_figure(
        scenario, coverage, load, forums, proposals,
        radius_km=radius_km, max_cpfs=max_cpfs, title=heading, marking=marking, dpi=dpi,
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

    _check_areas(areas, boundaries, value)
    areas = _drawable(areas)
    heading = title or _cartography.value_title(value)
    fig = _cartography.area_figure(
        areas, boundaries, value=value, title=heading, notice=notice, note=note,
        marking=marking, dpi=dpi,
    )
    return _cartography.save_png(
        fig, Path(path), title=heading, marking=marking, notice=notice, dpi=dpi
    )


#: Tolerance of the simplification of the area map's polygons, degrees (about 500 m):
#: shapely keeps a subset of the original vertices, so no new coordinate appears.
AREA_SIMPLIFY_DEG = 0.005


def _simplified(geom: Any) -> Any:
    simple = geom.simplify(AREA_SIMPLIFY_DEG, preserve_topology=True)
    return geom if simple.is_empty else simple


def _count(value: Any) -> str:
    """Return a count as text with thousands separators; missing: "unknown"."""
    if value is None or pd.isna(value):
        return "unknown"
    return f"{round(float(value)):,}"


def _area_tip(row: pd.Series) -> str:
    share = row.get("population_within_radius_share")
    share_txt = "unknown" if share is None or pd.isna(share) else f"{float(share) * 100:.0f} %"
    lines = [
        f"<b>{esc(row.get('area'))}</b> ({esc(row.get('governorate'))})",
        f"offices: {_count(row.get('offices'))}, forums: {_count(row.get('forums'))}",
        f"communities within the radius: {_count(row.get('communities_within_radius'))}"
        f" of {_count(row.get('communities'))}",
        f"population within the radius: {_count(row.get('population_within_radius'))}"
        f" of {_count(row.get('population'))}",
        f"share of population within the radius: {share_txt}",
    ]
    return "<br>".join(lines)


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

    Returns
    -------
    folium.Map
        With layers "Areas" and "Governorates" and a legend.

    Raises
    ------
    ValueError
        As :func:`render_area_png`.
    """
    from cpgeo import _cartography

    _check_areas(areas, boundaries, value)
    areas = _drawable(areas)
    heading = title or _cartography.value_title(value)
    frame = boundaries if boundaries is not None and len(boundaries) else areas
    # the opening view: a vertex of the boundaries, then fitted to their bounds (no
    # centre point is computed: it would be a coordinate of no vertex)
    start = _first_vertex(frame)
    m = folium.Map(
        location=[start[1], start[0]] if start else [0.0, 0.0],
        zoom_start=6,
        tiles=None,
        control_scale=True,
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
                    "tip": _area_tip(row),
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
        name="Areas",
        style_function=style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    ).add_to(m)
    if boundaries is not None and len(boundaries):
        _add_governorate_outlines(m, _cartography.governorates(boundaries))
    folium.LayerControl(collapsed=True).add_to(m)
    m.add_child(
        _AreaLegend(
            title=heading,
            legend_title=_cartography.value_title(value),
            labels=cls.labels,
            colours=cls.colours,
            unknown=_cartography.unknown_label(value),
            note=note,
            notice=notice,
        )
    )
    if marking:
        m.add_child(_Banner(marking))
    _set_page_title(m, heading, marking)
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


def _add_governorate_outlines(m: folium.Map, dissolved: gpd.GeoDataFrame) -> None:
    """Governorates' outlines (no fill, not interactive) and their names at label points."""
    group = folium.FeatureGroup(name="Governorates")
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
                html=f'<div class="cpgeo-gov-name">{esc(name)}</div>',
                icon_size=(120, 16),
                icon_anchor=(60, 8),
                class_name="cpgeo-label",
            ),
            interactive=False,
        ).add_to(group)
    group.add_to(m)


def _set_page_title(m: folium.Map, title: str | None, marking: str | None) -> None:
    """Set the document's ``<title>``: the marking, then the title (default "cpgeo map")."""
    text = title or "cpgeo map"
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
) -> str:
    def swatch(background: str) -> str:
        return (
            '<span style="display:inline-block;width:18px;height:12px;'
            f'background:{background};border:1px solid #7f7f7f;vertical-align:middle;'
            'margin-right:6px"></span>'
        )

    hatch = "repeating-linear-gradient(45deg,#7f7f7f 0 1px,#d9d9d9 1px 4px)"
    rows = [f"{swatch(c)}{esc(label)}" for c, label in zip(colours, labels, strict=True)]
    rows.append(f"{swatch(hatch)}{esc(unknown)}")
    rows.append(
        '<span style="display:inline-block;width:18px;height:0;border-top:2px solid #333;'
        'vertical-align:middle;margin-right:6px"></span>governorate boundary'
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

    # top right: over the sea and Iran, clear of Iraq's land
    position = "topright"

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
    ) -> None:
        from cpgeo import _cartography

        MacroElement.__init__(self)  # the template only: the contents are an area map's
        self._name = "AreaLegend"
        self.html = _area_legend_html(
            title=title, legend_title=legend_title, labels=labels, colours=colours,
            unknown=unknown, note=note, notice=notice,
        )
        self.background = COLOURS["background"]
        self.css = _LEGEND_CSS + _AREA_CSS
        self.hatch_id = _HATCH_ID
        self.unknown_colour = _cartography.UNKNOWN_COLOUR


_AREA_CSS = """
.cpgeo-legend { max-width: 320px; }
.cpgeo-title { font: bold 14px/1.3 sans-serif; margin-bottom: 4px; }
.cpgeo-note { margin-top: 6px; color: #333; font-size: 11px; }
.cpgeo-notice { margin-top: 6px; color: #b2182b; font-size: 11px; }
.cpgeo-gov-name { font: italic 12px/16px sans-serif; color: #222; text-align: center;
  white-space: nowrap; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
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
