"""Coverage: communities within reach of an office (radius or road), by governorate."""

from __future__ import annotations

import streamlit as st

from app_pages._realdata import raster_section, road_controls, road_metrics, road_tables
from app_pages._shared import context, coverage_of, downloads, show_map, table
from cpgeo.coverage import governorate_summary

scn, token, p = context()
st.title("Coverage")
mode = st.radio(
    "Catchment",
    ["radius", "road"],
    key="catchment",
    horizontal=True,
    format_func=lambda m: "Radius (geodesic)" if m == "radius" else "Road distance (OSM extract)",
)
road = road_controls(scn, token, p) if mode == "road" else None
cov, summary = coverage_of(scn, token, p["radius_km"])
if road is not None:
    road_metrics(road, p)
else:
    total = summary[summary["governorate"] == "Total"].iloc[0]
    c = st.columns(4)
    c[0].metric(
        "Communities covered", f"{int(total['covered']):,} of {int(total['communities']):,}"
    )
    c[1].metric(
        "Population covered",
        f"{total['share_covered']:.1%}",
        help=f"{int(total['population_covered']):,} of {int(total['population']):,}",
    )
    c[2].metric("Offices", f"{len(scn.offices):,}")
    c[3].metric("Forums", f"{len(scn.cpfs):,}")
    st.caption(f"Within {p['radius_km']:g} km of an office (geodesic distance on WGS84).")
show_map(
    scn,
    p,
    key="map_coverage",
    road=road,
    road_key=repr(st.session_state.road[0]) if road is not None else None,
)
if road is not None:
    road_tables(road, p)
st.subheader("By governorate (radius)")
only = st.toggle("Only the focus governorates", value=True, key="only_focus")
# the Total row must add up the rows shown, so the focus table is summarised afresh
shown = (
    governorate_summary(cov[cov["governorate"].isin(p["governorates"])]) if only else summary
)
table(
    shown,
    share_covered=st.column_config.ProgressColumn(
        "share covered", format="percent", min_value=0.0, max_value=1.0
    ),
)
downloads(shown, "coverage_by_governorate", "summary")
with st.expander(f"Communities ({len(cov):,}), nearest office and distance"):
    uncovered = st.toggle("Only communities not covered", key="only_uncovered")
    table(cov[~cov["covered"]] if uncovered else cov)
    downloads(cov, "communities_coverage", "communities")
raster_section(scn, token, p)
