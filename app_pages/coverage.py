"""Coverage: communities within reach of an office (radius or road), by governorate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._realdata import raster_section, road_controls, road_metrics, road_tables
from app_pages._shared import context, downloads, metric, page_figures, show_map, table
from cpgeo import labels
from cpgeo.admin import estimated_note

scn, token, p = context()
fig = page_figures()
st.title("Coverage")
mode = st.radio(
    "Catchment",
    ["radius", "road"],
    key="catchment",
    horizontal=True,
    format_func=lambda m: "Radius (geodesic)" if m == "radius" else "Road distance (OSM extract)",
)
road = road_controls(scn, token, p) if mode == "road" else None
if road is not None:
    road_metrics(road, p)
else:
    c = st.columns(4)
    c[0].metric(
        "Communities within the radius",
        f"{labels.number(fig['communities_within_radius'])} of "
        f"{labels.number(fig['communities'])}",
    )
    unknown = fig["communities_population_unknown"]
    metric(
        c[1],
        "population_within_radius_share",
        fig,
        help=f"{labels.number(fig['population_within_radius'])} of "
        f"{labels.number(fig['population'])} people"
        + (f"; {labels.number(unknown)} communities of unknown population not counted"
           if unknown else ""),
    )
    metric(c[2], "offices", fig)
    metric(c[3], "forums", fig)
    estimated = estimated_note(fig.coverage)
    if estimated:
        st.caption(estimated)
    st.caption(
        f"Within {p['radius_km']:g} km of an office (geodesic distance on WGS84)."
        + (f" {labels.number(unknown)} communities have no population figure: they count "
           "as communities, not as people." if unknown else "")
    )
show_map(
    scn,
    p,
    key="map_coverage",
    road=road,
    road_key=repr(st.session_state.road[0]) if road is not None else None,
)
if road is not None:
    road_tables(road, p)
by = "governorate"
if fig.by_district is not None:
    by = st.radio(
        "Summary rows", ["governorate", "district"], horizontal=True, key="summary_by",
        format_func=lambda b: f"By {b}",
        help="Districts come from the boundaries file's P-codes; a governorate's district "
        "rows add up to its row.",
    )
st.subheader(f"By {by} (radius)")
only = st.toggle("Only the focus governorates", value=True, key="only_focus")
rows = fig.rows(fig.governorates if only else None, by=by)
# the total row adds up the rows shown (Figures.subtotal), so it is never the country's
# total under a table of four governorates
total = fig.subtotal(fig.governorates if only else None, by=by)
shown = pd.concat(
    [rows, pd.DataFrame([{"governorate": "Total", **total.to_dict()}])], ignore_index=True
)
shown = shown.astype(rows.dtypes.to_dict())
columns = labels.DISTRICT_COLUMNS if by == "district" else labels.GOVERNORATE_COLUMNS
table(shown[list(columns)])
downloads(rows, f"coverage_by_{by}", "summary")
cov = fig.coverage
# built only while open: with thousands of communities the table would otherwise be sent
# again on every rerun (a radius change), after the map and competing with it
communities = st.expander(
    f"Communities ({len(cov):,}), nearest office and distance",
    key="communities_open",
    on_change="rerun",
)
if communities.open:
    with communities:
        uncovered = st.toggle("Only communities not covered", key="only_uncovered")
        table(cov[~cov["covered"]] if uncovered else cov)
        downloads(cov, "communities_coverage", "communities")
raster_section(scn, token, p)
