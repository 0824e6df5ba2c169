"""Snapshot: the footprint at a date, by governorate and donor, exported for donors."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages._shared import context, downloads, snapshot_of, table
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
snap = snapshot_of(scn, token, as_of, donor, p["radius_km"], p["max_cpfs"])
h = snap.headline
m = st.columns(4)
m[0].metric("Offices", h["offices"])
m[1].metric("Forums", h["forums"])
m[2].metric("Communities covered", f"{h['communities_covered']:,} of {h['communities']:,}")
m[3].metric(
    "Population covered",
    f"{h['population_covered']:,}",
    help=f"{h['share_covered']:.1%} of {h['population']:,}",
)
st.subheader("By governorate")
table(
    snap.by_governorate,
    share_covered=st.column_config.ProgressColumn(
        "share covered", format="percent", min_value=0.0, max_value=1.0
    ),
)
downloads(snap.by_governorate, "snapshot_by_governorate", "snap_gov")
if snap.by_donor is not None:
    st.subheader("By donor")
    table(snap.by_donor)
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
