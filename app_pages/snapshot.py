"""Snapshot: the footprint at a date, by governorate and donor, exported for donors."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages._shared import context, downloads, md, metric, snapshot_of, table
from cpgeo import labels
from cpgeo import snapshot as snapshots

scn, token, p = context()
st.title("Snapshot")
c = st.columns(2)
as_of = None
if snapshots.has_dates(scn):
    as_of = c[0].date_input("As of", value=dt.date.today(), key="as_of")
donor_names = snapshots.donors(scn)
donor = None
if donor_names:
    donor = c[1].selectbox("Donor", ["(all)", *donor_names], key="donor")
    donor = None if donor == "(all)" else donor
snap = snapshot_of(
    scn, token, as_of, donor, p["radius_km"], p["max_cpfs"], tuple(p["governorates"])
)
fig = snap.figures
mine = snap.donor_figures()
if mine is not None:
    st.subheader(f"Attributed to {md(donor)}")
    m = st.columns(4)
    for column, key in zip(
        m,
        ("offices", "forums", "communities_within_radius_attributed",
         "population_within_radius_attributed"),
        strict=True,
    ):
        column.metric(labels.label(key), labels.number(mine[key]))
    st.caption(
        f"{snapshots.ATTRIBUTION_NOTE} Whole network, each community counted once: "
        f"{labels.number(fig['communities_within_radius'])} communities and "
        f"{labels.number(fig['population_within_radius'])} people within the radius. "
        "Forum status and office load are those of the whole network."
    )
st.subheader("Whole network" + (f" on {as_of.isoformat()}" if as_of else ""))
m = st.columns(4)
metric(m[0], "offices", fig)
metric(m[1], "forums", fig)
m[2].metric(
    labels.label("communities_within_radius"),
    f"{labels.number(fig['communities_within_radius'])} of {labels.number(fig['communities'])}",
)
metric(
    m[3],
    "population_within_radius",
    fig,
    help=f"{labels.figure('population_within_radius_share', fig['population_within_radius_share'])}"
    f" of {labels.number(fig['population'])}",
)
st.subheader("By governorate")
table(snap.by_governorate[list(labels.GOVERNORATE_COLUMNS)])
downloads(snap.by_governorate, "snapshot_by_governorate", "snap_gov")
if snap.by_district is not None:
    st.subheader("By district")
    table(snap.by_district[list(labels.DISTRICT_COLUMNS)])
    downloads(snap.by_district, "snapshot_by_district", "snap_district")
if snap.by_donor is not None:
    st.subheader("By donor (attributed)")
    table(snap.by_donor)
    st.caption(snapshots.ATTRIBUTION_NOTE)
    downloads(snap.by_donor, "snapshot_by_donor", "snap_donor")
st.subheader("Export")
st.caption(
    "A zip with a standalone HTML map (opens offline), a PNG map, the figures as "
    "CSV, all layers in one GeoPackage and a summary with the date and sources."
)
st.download_button(
    "Export snapshot (zip)",
    data=lambda: snapshots.snapshot_zip(snap),
    file_name=f"cpgeo-snapshot-{snap.date}.zip",
    mime="application/zip",
    key="export_snapshot",
    type="primary",
    on_click="ignore",
)
