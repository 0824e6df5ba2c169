"""Coverage: communities within reach of an office (radius or road), by governorate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._realdata import raster_section, road_controls, road_metrics, road_tables
from app_pages._shared import (
    TOTAL,
    context,
    downloads,
    km,
    lang,
    metric,
    num,
    page_figures,
    rows_by,
    show_map,
    t,
    table,
)
from cpgeo import labels
from cpgeo.admin import estimated_note

scn, token, p = context()
fig = page_figures()
st.title(t("Coverage"))
# one row of choice and figures, then the map: at 1440 x 900 the map starts above the fold
row = st.columns([1.4, 1, 1, 1, 1], vertical_alignment="bottom")
mode = row[0].radio(
    t("Catchment"),
    ["radius", "road"],
    key="catchment",
    format_func={
        "radius": t("Radius (geodesic)"),
        "road": t("Road distance (OSM extract)"),
    }.get,
)
shaded = row[0].toggle(
    t("Shade by share of the population within the radius"),
    key="map_shares",
    help=t("Governorates (or districts) coloured by the share of their people within the "
           "radius."),
)
road = road_controls(scn, token, p) if mode == "road" else None
notes: list[str] = []
if road is not None:
    road_metrics(road, p)
else:
    row[1].metric(
        labels.label("communities_within_radius", lang()),
        t(
            "{part} of {whole}",
            part=num(fig["communities_within_radius"]),
            whole=num(fig["communities"]),
        ),
    )
    unknown = fig["communities_population_unknown"]
    metric(
        row[2],
        "population_within_radius_share",
        fig,
        help=t(
            "{part} of {whole} people",
            part=num(fig["population_within_radius"]),
            whole=num(fig["population"]),
        )
        + (
            t("; communities of unknown population, not counted: {n}", n=num(unknown))
            if unknown
            else ""
        ),
    )
    metric(row[3], "offices", fig)
    metric(row[4], "forums", fig)
    notes.append(
        t("Within {km} of an office (geodesic distance on WGS84).", km=km(p["radius_km"]))
        + (
            " "
            + t(
                "Communities with no population figure: {n}. They count as "
                "communities, not as people.",
                n=num(unknown),
            )
            if unknown
            else ""
        )
    )
    estimated = estimated_note(fig.coverage)
    if estimated:
        notes.append(estimated)
show_map(
    scn,
    p,
    key="map_coverage",
    road=road,
    road_key=repr(st.session_state.road[0]) if road is not None else None,
    shares="shown" if shaded else "none",
)
for note in notes:
    st.caption(note)
if road is not None:
    road_tables(road, p)
by = "governorate"
if fig.by_district is not None:
    by = rows_by(
        t("Summary rows"),
        "summary_by",
        help=t(
            "Districts come from the boundaries file's P-codes; a governorate's district "
            "rows add up to its row."
        ),
    )
st.subheader(t("By governorate (radius)") if by == "governorate" else t("By district (radius)"))
only = st.toggle(t("Only the focus governorates"), value=True, key="only_focus")
rows = fig.rows(fig.governorates if only else None, by=by)
# the total row adds up the rows shown (Figures.subtotal), so it is never the country's
# total under a table of four governorates
total = fig.subtotal(fig.governorates if only else None, by=by)
shown = pd.concat(
    [rows, pd.DataFrame([{"governorate": TOTAL, **total.to_dict()}])], ignore_index=True
)
shown = shown.astype(rows.dtypes.to_dict())
columns = labels.DISTRICT_COLUMNS if by == "district" else labels.GOVERNORATE_COLUMNS
table(shown[list(columns)], total=True)
downloads(rows, f"coverage_by_{by}", "summary")
cov = fig.coverage
# built only while open: with thousands of communities the table would otherwise be sent
# again on every rerun (a radius change), after the map and competing with it
communities = st.expander(
    t("Communities ({n}), nearest office and distance", n=num(len(cov))),
    key="communities_open",
    on_change="rerun",
)
if communities.open:
    with communities:
        uncovered = st.toggle(t("Only communities not covered"), key="only_uncovered")
        table(cov[~cov["covered"]] if uncovered else cov)
        downloads(cov, "communities_coverage", "communities")
raster_section(scn, token, p)
