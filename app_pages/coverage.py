"""Coverage: communities within reach of an office, by governorate."""

from __future__ import annotations

import streamlit as st

from app_pages._shared import context, coverage_of, downloads, show_map

scn, token, p = context()
st.title("Coverage")
cov, summary = coverage_of(scn, token, p["radius_km"])
total = summary[summary["governorate"] == "Total"].iloc[0]
c = st.columns(4)
c[0].metric("Communities covered", f"{int(total['covered']):,} of {int(total['communities']):,}")
c[1].metric(
    "Population covered",
    f"{total['share_covered']:.1%}",
    help=f"{int(total['population_covered']):,} of {int(total['population']):,}",
)
c[2].metric("Offices", f"{len(scn.offices):,}")
c[3].metric("Forums", f"{len(scn.cpfs):,}")
st.caption(f"Within {p['radius_km']:g} km of an office (geodesic distance on WGS84).")
show_map(scn, p, key="map_coverage")
st.subheader("By governorate")
focus = summary["governorate"].isin([*p["governorates"], "Total"])
only = st.toggle("Only the focus governorates", value=True, key="only_focus")
st.dataframe(
    summary[focus] if only else summary,
    hide_index=True,
    width="stretch",
    column_config={
        "share_covered": st.column_config.ProgressColumn(
            "share covered", format="percent", min_value=0.0, max_value=1.0
        )
    },
)
downloads(summary, "coverage_by_governorate", "summary")
with st.expander(f"Communities ({len(cov):,}), nearest office and distance"):
    uncovered = st.toggle("Only communities not covered", key="only_uncovered")
    table = cov[~cov["covered"]] if uncovered else cov
    st.dataframe(table.drop(columns="geometry"), hide_index=True, width="stretch")
    downloads(cov, "communities_coverage", "communities")
