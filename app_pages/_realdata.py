"""Coverage page sections on the user's own real data: road distance and population rasters.

UI only: the road graph, road distances and raster sums come from cpgeo. Uploads go
through temporary files that are deleted as soon as they have been read.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import cpgeo
from app_pages._shared import (
    TOTAL,
    downloads,
    error_text,
    km,
    lang,
    md,
    num,
    shown_as,
    t,
    table,
)
from cpgeo import i18n, labels
from cpgeo.coverage.network import road_extent
from cpgeo.population import raster_total

OSM_TYPES = ["osm", "xml", "pbf"]
RASTER_TYPES = ["tif", "tiff"]


@contextmanager
def _temporary_copy(name: str, payload: bytes) -> Iterator[Path]:
    """Write an upload to a temporary folder that is removed on exit, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="cpgeo-upload-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(payload)
        try:
            yield path
        except cpgeo.InputError as exc:
            raise shown_as(exc, path, name) from None


def digest_of(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:16]


@st.cache_resource(show_spinner=False, max_entries=4)
def road_graph(digest: str, _name: str, _payload: bytes) -> Any:
    """Read the roads of an OSM upload (PBF or XML, by its name), once per content."""
    from cpgeo.coverage.network import read_roads

    # The copy keeps the upload's own name, so ``.osm.pbf`` reaches read_roads whole.
    with _temporary_copy(_name, _payload) as path:
        return read_roads(path)


@st.cache_data(show_spinner=False, max_entries=16)
def road_coverage_of(_scn: cpgeo.Scenario, token: str, _graph: Any, digest: str, max_km: float):
    from cpgeo.coverage.network import network_coverage

    return network_coverage(_scn.communities, _scn.offices, _graph, max_km)


@st.cache_data(show_spinner=False, max_entries=8)
def raster_population_of(
    _scn: cpgeo.Scenario, token: str, digest: str, _name: str, _payload: bytes, radius_km: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum the population within the radius of each office and per governorate."""
    from cpgeo.population import population_coverage, population_within

    with _temporary_copy(_name, _payload) as path:
        within = population_within(path, _scn.offices, radius_km)
        by_gov = population_coverage(path, _scn.offices, _scn.boundaries, radius_km)
    offices = _scn.offices[["id", "name", "governorate", "geometry"]].copy()
    offices["population_within"] = within.to_numpy().round()
    return offices, by_gov


# ------------------------------------------------------------------------ road distance


def road_controls(scn: cpgeo.Scenario, token: str, p: dict[str, Any]) -> Any:
    """Upload + button; return the road coverage of this data and radius, or None."""
    st.caption(
        t(
            "Road distance needs a road network: upload an OpenStreetMap extract of the "
            "area, PBF (.osm.pbf, e.g. a national extract) or XML (.osm / .osm.xml, e.g. an "
            "export of the region's OSM data or the output of `cpgeo osm`). Communities "
            "and offices snap to the nearest point of a road; distances are along the "
            "roads, one-way streets respected. Nothing is downloaded."
        )
    )
    c = st.columns([3, 1], vertical_alignment="bottom")
    file = c[0].file_uploader(t("OSM extract (PBF or XML)"), type=OSM_TYPES, key="osm_upload")
    pressed = c[1].button(
        t("Compute road distances"), key="road_run", type="primary", disabled=file is None
    )
    if file is None:
        st.info(t("Upload an OSM XML extract to measure catchments by road."))
        return None
    payload = file.getvalue()
    digest = digest_of(payload)
    request = (token, digest, p["radius_km"])
    if pressed:
        try:
            started = time.perf_counter()
            with st.spinner(t("Building the road graph and measuring road distances...")):
                graph = road_graph(digest, file.name, payload)
                road = road_coverage_of(scn, token, graph, digest, p["radius_km"])
            seconds = time.perf_counter() - started
            st.session_state.road = (request, road, file.name, graph, seconds)
        except cpgeo.InputError as exc:
            st.session_state.road = None
            st.error(md(error_text(exc, file.name)))
            return None
    stored = st.session_state.get("road")
    if stored is None or stored[0] != request:
        st.info(t("Press **Compute road distances** to measure this data and radius by road."))
        return None
    _request, road, name, graph, seconds = stored
    segments, length_km = road_extent(graph)
    st.caption(
        t(
            "Road graph of {name}: {segments} road segments, {length} of road; computed "
            "in {seconds} s.",
            name=md(name),
            segments=num(segments),
            length=km(round(length_km)),
            seconds=format(seconds, ".1f"),
        )
    )
    return road


def road_metrics(road: Any, p: dict[str, Any]) -> None:
    radius = km(p["radius_km"])
    gap = road["radius_but_not_road"].astype(bool)
    c = st.columns(4)
    c[0].metric(
        t("Covered by road"),
        t("{part} of {whole}", part=num(int(road["covered_by_road"].sum())), whole=num(len(road))),
    )
    c[1].metric(t("Within the radius"), num(int(road["within_radius"].sum())))
    c[2].metric(
        t("Inside the radius, beyond by road"),
        num(int(gap.sum())),
        help=t("Within {km} of an office as the crow flies, more than {km} by road.", km=radius),
    )
    far = road["off_network"].astype(bool)
    snap = km(cpgeo.settings.road_snap_km)
    c[3].metric(
        t("More than {km} from a road", km=snap),
        num(int(far.sum())),
        help=t(
            "Distance from the community to the nearest road of the network; a large "
            "one usually means the extract does not cover the community."
        ),
    )
    st.caption(
        t(
            "Within {km} of an office along the roads, from the point of the road nearest "
            "the office to the point nearest the community (the distances off the road are "
            "reported beside it, not added).",
            km=radius,
        )
    )
    if far.any():
        st.warning(
            t(
                "{n} of {total} communities are more than {km} from any road of the "
                "extract (grey on the map): they count as unreachable by road. Use an "
                "extract that covers them.",
                n=num(int(far.sum())),
                total=num(len(road)),
                km=snap,
            )
        )


ROAD_COLUMNS = [
    "id",
    "name",
    "governorate",
    "population",
    "nearest_office_km",
    "road_km",
    "road_office",
    "snap_m",
    "office_snap_m",
    "covered_by_road",
    "within_radius",
    "radius_but_not_road",
]


def road_tables(road: Any, p: dict[str, Any]) -> None:
    radius = km(p["radius_km"])
    gap = road[road["radius_but_not_road"].astype(bool)]
    st.subheader(
        t(
            "Inside the {r}-km radius but beyond {km} by road ({n})",
            r=i18n.format_number(p["radius_km"], lang()),
            km=radius,
            n=num(len(gap)),
        )
    )
    columns = [c for c in ROAD_COLUMNS if c in road.columns]
    if len(gap):
        table(gap[[*columns, "geometry"]], **_road_formats())
    else:
        st.write(t("None: every community inside the radius is also within reach by road."))
    downloads(gap, "inside_radius_beyond_road", "road_gap")
    with st.expander(t("Road distance of every community ({n})", n=num(len(road)))):
        table(road[[*columns, "geometry"]], **_road_formats())
        downloads(road, "communities_road_distance", "road_all")


def _road_formats() -> dict[str, Any]:
    number = st.column_config.NumberColumn
    return {
        "nearest_office_km": number(t("radius km (geodesic)"), format="%.1f"),
        "road_km": number(t("road km"), format="%.1f"),
        "snap_m": number(
            t("snap m"), format="%.0f", help=t("community to the nearest road, metres")
        ),
        "office_snap_m": number(
            t("office snap m"), format="%.0f", help=t("that office to the nearest road, metres")
        ),
    }


# ------------------------------------------------------------------- population raster


def raster_section(scn: cpgeo.Scenario, token: str, p: dict[str, Any]) -> None:
    st.subheader(t("Population from a raster"))
    st.caption(
        t(
            "Upload a gridded population raster (GeoTIFF, people per cell, e.g. WorldPop or "
            "GHSL; EPSG:4326 or projected). A cell counts when its centre is within the "
            "geodesic radius of an office; nodata cells hold nobody. Read in strips, never "
            "whole."
        )
    )
    c = st.columns([3, 1], vertical_alignment="bottom")
    file = c[0].file_uploader(t("Population raster"), type=RASTER_TYPES, key="raster_upload")
    pressed = c[1].button(
        t("Compute population"), key="raster_run", type="primary", disabled=file is None
    )
    if file is None:
        return
    payload = file.getvalue()
    digest = digest_of(payload)
    request = (token, digest, p["radius_km"])
    if pressed:
        try:
            started = time.perf_counter()
            with st.spinner(t("Summing the raster...")):
                result = raster_population_of(
                    scn, token, digest, file.name, payload, p["radius_km"]
                )
            st.session_state.raster = (request, result, file.name, time.perf_counter() - started)
        except (cpgeo.InputError, OSError) as exc:
            st.session_state.raster = None
            st.error(md(error_text(exc, file.name)))
            return
    stored = st.session_state.get("raster")
    if stored is None or stored[0] != request:
        st.info(t("Press **Compute population** for this raster, data and radius."))
        return
    _request, (offices, by_gov), name, seconds = stored
    total = raster_total(by_gov)
    m = st.columns(3)
    radius = km(p["radius_km"])
    m[0].metric(t("People on the raster"), num(total["population"]))
    m[1].metric(
        t("Within {km} of an office", km=radius),
        num(total["population_within_radius"]),
        help=t(
            "{share} of the raster's people",
            share=labels.share(total["population_within_radius_share"], lang=lang()),
        ),
    )
    m[2].metric(t("Not covered"), num(total["population_outside_radius"]))
    st.caption(t("{name}, summed in {seconds} s.", name=md(name), seconds=format(seconds, ".1f")))
    st.markdown("**" + t("Population within {km} of each office", km=radius) + "**")
    st.caption(t("Catchments overlap: a person near two offices counts for both."))
    table(offices)
    downloads(offices, "office_population_within", "raster_offices")
    st.markdown(
        "**"
        + t("Covered and not covered, by governorate")
        + "** "
        + t("(each person counted once)")
    )
    peopled = by_gov[by_gov["population"] > 0]
    if len(peopled) < len(by_gov):
        st.caption(
            t(
                "Governorates with nobody on the raster, hidden: {n}.",
                n=num(len(by_gov) - len(peopled)),
            )
        )
    shown = pd.concat(
        [peopled, pd.DataFrame([{"governorate": TOTAL, **total.to_dict()}])],
        ignore_index=True,
    )
    shown["governorate"] = shown["governorate"].fillna(t("(outside every governorate)"))
    table(shown, total=True)
    downloads(by_gov, "population_coverage_by_governorate", "raster_gov")
