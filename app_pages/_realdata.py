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
from app_pages._shared import downloads, md, table
from cpgeo import labels
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
            raise cpgeo.InputError(str(exc).replace(str(path), name)) from None


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
        "Road distance needs a road network: upload an OpenStreetMap extract of the area, "
        "PBF (.osm.pbf, e.g. a national extract) or XML (.osm / .osm.xml, e.g. an export "
        "of the region's OSM data or the output of `cpgeo osm`). Communities and offices "
        "snap to the nearest point of a road; distances are along the roads, one-way "
        "streets respected. Nothing is downloaded."
    )
    c = st.columns([3, 1], vertical_alignment="bottom")
    file = c[0].file_uploader("OSM extract (PBF or XML)", type=OSM_TYPES, key="osm_upload")
    pressed = c[1].button(
        "Compute road distances", key="road_run", type="primary", disabled=file is None
    )
    if file is None:
        st.info("Upload an OSM XML extract to measure catchments by road.")
        return None
    payload = file.getvalue()
    digest = digest_of(payload)
    request = (token, digest, p["radius_km"])
    if pressed:
        try:
            started = time.perf_counter()
            with st.spinner("Building the road graph and measuring road distances..."):
                graph = road_graph(digest, file.name, payload)
                road = road_coverage_of(scn, token, graph, digest, p["radius_km"])
            seconds = time.perf_counter() - started
            st.session_state.road = (request, road, file.name, graph, seconds)
        except cpgeo.InputError as exc:
            st.session_state.road = None
            st.error(md(f"{file.name}: {exc}" if file.name not in str(exc) else str(exc)))
            return None
    stored = st.session_state.get("road")
    if stored is None or stored[0] != request:
        st.info("Press **Compute road distances** to measure this data and radius by road.")
        return None
    _request, road, name, graph, seconds = stored
    segments, length_km = road_extent(graph)
    st.caption(
        f"Road graph of {md(name)}: {segments:,} road segments, {length_km:,.0f} km of road; "
        f"computed in {seconds:.1f} s."
    )
    return road


def road_metrics(road: Any, p: dict[str, Any]) -> None:
    km = p["radius_km"]
    gap = road["radius_but_not_road"].astype(bool)
    c = st.columns(4)
    c[0].metric("Covered by road", f"{int(road['covered_by_road'].sum()):,} of {len(road):,}")
    c[1].metric("Within the radius", f"{int(road['within_radius'].sum()):,}")
    c[2].metric(
        "Inside the radius, beyond by road",
        f"{int(gap.sum()):,}",
        help=f"Within {km:g} km of an office as the crow flies, more than {km:g} km by road.",
    )
    far = road["off_network"].astype(bool)
    c[3].metric(
        f"More than {cpgeo.settings.road_snap_km:g} km from a road",
        f"{int(far.sum()):,}",
        help="Distance from the community to the nearest road of the network; a large "
        "one usually means the extract does not cover the community.",
    )
    st.caption(
        f"Within {km:g} km of an office along the roads, from the point of the road "
        "nearest the office to the point nearest the community (the distances off the "
        "road are reported beside it, not added)."
    )
    if far.any():
        st.warning(
            f"{int(far.sum()):,} of {len(road):,} communities are more than "
            f"{cpgeo.settings.road_snap_km:g} km "
            "from any road of the extract (grey on the map): they count as unreachable by "
            "road. Use an extract that covers them."
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
    km = p["radius_km"]
    gap = road[road["radius_but_not_road"].astype(bool)]
    st.subheader(f"Inside the {km:g}-km radius but beyond {km:g} km by road ({len(gap):,})")
    columns = [c for c in ROAD_COLUMNS if c in road.columns]
    if len(gap):
        table(gap[[*columns, "geometry"]], **_road_formats())
    else:
        st.write("None: every community inside the radius is also within reach by road.")
    downloads(gap, "inside_radius_beyond_road", "road_gap")
    with st.expander(f"Road distance of every community ({len(road):,})"):
        table(road[[*columns, "geometry"]], **_road_formats())
        downloads(road, "communities_road_distance", "road_all")


def _road_formats() -> dict[str, Any]:
    number = st.column_config.NumberColumn
    return {
        "nearest_office_km": number("radius km (geodesic)", format="%.1f"),
        "road_km": number("road km", format="%.1f"),
        "snap_m": number("snap m", format="%.0f", help="community to the nearest road, metres"),
        "office_snap_m": number(
            "office snap m", format="%.0f", help="that office to the nearest road, metres"
        ),
    }


# ------------------------------------------------------------------- population raster


def raster_section(scn: cpgeo.Scenario, token: str, p: dict[str, Any]) -> None:
    st.subheader("Population from a raster")
    st.caption(
        "Upload a gridded population raster (GeoTIFF, people per cell, e.g. WorldPop or "
        "GHSL; EPSG:4326 or projected). A cell counts when its centre is within the "
        "geodesic radius of an office; nodata cells hold nobody. Read in strips, never "
        "whole."
    )
    c = st.columns([3, 1], vertical_alignment="bottom")
    file = c[0].file_uploader("Population raster", type=RASTER_TYPES, key="raster_upload")
    pressed = c[1].button(
        "Compute population", key="raster_run", type="primary", disabled=file is None
    )
    if file is None:
        return
    payload = file.getvalue()
    digest = digest_of(payload)
    request = (token, digest, p["radius_km"])
    if pressed:
        try:
            started = time.perf_counter()
            with st.spinner("Summing the raster..."):
                result = raster_population_of(
                    scn, token, digest, file.name, payload, p["radius_km"]
                )
            st.session_state.raster = (request, result, file.name, time.perf_counter() - started)
        except (cpgeo.InputError, OSError) as exc:
            st.session_state.raster = None
            text = str(exc)
            st.error(md(text if file.name in text else f"{file.name}: {text}"))
            return
    stored = st.session_state.get("raster")
    if stored is None or stored[0] != request:
        st.info("Press **Compute population** for this raster, data and radius.")
        return
    _request, (offices, by_gov), name, seconds = stored
    total = raster_total(by_gov)
    m = st.columns(3)
    m[0].metric("People on the raster", labels.number(total["population"]))
    m[1].metric(
        f"Within {p['radius_km']:g} km of an office",
        labels.number(total["population_within_radius"]),
        help=f"{labels.share(total['population_within_radius_share'])} of the raster's people",
    )
    m[2].metric("Not covered", labels.number(total["population_outside_radius"]))
    st.caption(f"{md(name)}, summed in {seconds:.1f} s.")
    st.markdown(f"**Population within {p['radius_km']:g} km of each office**")
    st.caption("Catchments overlap: a person near two offices counts for both.")
    table(offices)
    downloads(offices, "office_population_within", "raster_offices")
    st.markdown("**Covered and not covered, by governorate** (each person counted once)")
    peopled = by_gov[by_gov["population"] > 0]
    if len(peopled) < len(by_gov):
        st.caption(f"{len(by_gov) - len(peopled)} governorates with nobody on the raster hidden.")
    shown = pd.concat(
        [peopled, pd.DataFrame([{"governorate": "Total", **total.to_dict()}])],
        ignore_index=True,
    )
    shown["governorate"] = shown["governorate"].fillna("(outside every governorate)")
    table(shown)
    downloads(by_gov, "population_coverage_by_governorate", "raster_gov")
