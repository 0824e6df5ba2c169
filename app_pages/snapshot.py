"""Snapshot: the footprint at a date, by governorate, area and donor, exported for donors.

A public snapshot (the default, and the only kind a donor account sees) shows no site's
location; a restricted one (planners and the Ministry) is exact and marked RESTRICTED.
"""

from __future__ import annotations

import streamlit as st

from app_pages._auth import role
from app_pages._shared import (
    context,
    downloads,
    md,
    metric,
    snapshot_map_of,
    snapshot_of,
    table,
)
from cpgeo import InputError, labels
from cpgeo import snapshot as snapshots
from cpgeo.public import LEVELS, default_level

scn, token, p = context()
st.title("Snapshot")
donor_only = role() == "donor"

# The choices are made in a form: a date typed and confirmed with Enter (or Apply) is the
# date of everything below, the export included.
with st.form("snapshot_choices", enter_to_submit=True, border=False):
    c = st.columns([1, 1, 1, 1])
    as_of_text = ""
    if snapshots.has_dates(scn):
        as_of_text = c[0].text_input(
            "As of (YYYY-MM-DD)",
            key="as_of",
            placeholder="today",
            help="Only offices and forums established on or before this day. Empty: today.",
        )
    donor_names = snapshots.donors(scn)
    donor = None
    if donor_names:
        donor = c[1].selectbox("Donor", ["(all)", *donor_names], key="donor")
        donor = None if donor == "(all)" else donor
    kind = "public"
    if not donor_only:
        kind = c[2].radio(
            "Kind",
            list(snapshots.KINDS),
            key="snapshot_kind",
            format_func=lambda k: "Public (to share)" if k == "public" else "Restricted (Ministry)",
            help="Public: no location of any office, forum or station, sites counted by "
            "area. Restricted: exact locations, every file marked RESTRICTED.",
        )
    districts = default_level(scn.boundaries) == "district"
    levels = [lv for lv in LEVELS if lv != "district" or districts]
    level = c[3].selectbox(
        "Sites counted by",
        levels,
        # its own widget with district boundaries: loading them makes district the choice
        key="snapshot_level_districts" if districts else "snapshot_level",
        help="How a public snapshot generalises the sites (district needs COD-AB district "
        "boundaries).",
    )
    st.form_submit_button("Apply", key="snapshot_apply")

as_of = None
if as_of_text.strip():
    try:
        as_of = snapshots.parse_date(as_of_text.strip())
    except InputError as exc:
        st.error(md(f"{exc}; the snapshot shows today's network."))
snap = snapshot_of(
    scn, token, as_of, donor, p["radius_km"], p["max_cpfs"], tuple(p["governorates"]),
    kind, level,
)
fig = snap.figures
if snap.restricted:
    st.error(snapshots.MARKING_TEXT, icon="🔒")
elif snap.public is not None:
    st.info(md(snap.public.rule))
st.caption(md(snapshots.report_title(snap)))
with st.container(key="snapshot_map"):
    st.iframe(snapshot_map_of(snap, token), height=560)

mine = snap.donor_figures()
if mine is not None:
    st.subheader(f"Attributed to {md(donor)}")
    m = st.columns(4)
    for column, key, whole in zip(
        m,
        ("offices", "forums", "communities_within_radius_attributed",
         "population_within_radius_attributed"),
        ("offices", "forums", "communities_within_radius", "population_within_radius"),
        strict=True,
    ):
        column.metric(
            labels.label(key),
            labels.number(mine[key]),
            help=f"Whole network, each community counted once: {labels.number(fig[whole])}",
        )
    st.caption(
        f"{snapshots.ATTRIBUTION_NOTE} Whole network, each community counted once: "
        f"{labels.number(fig['communities_within_radius'])} communities and "
        f"{labels.number(fig['population_within_radius'])} people within the radius. "
        "Forum status and office load are those of the whole network."
    )
st.subheader("Whole network on " + snap.date.isoformat())
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
if snap.public is not None and snap.public.level != "governorate":
    st.subheader(f"By area ({snap.public.level}, small counts pooled)")
    areas = snap.public.areas
    table(areas[list(labels.AREA_COLUMNS)])
    downloads(areas, "snapshot_by_area", "snap_area")
elif snap.restricted and snap.by_district is not None:
    st.subheader("By district")
    table(snap.by_district[list(labels.DISTRICT_COLUMNS)])
    downloads(snap.by_district, "RESTRICTED-snapshot_by_district", "snap_district")
donor_rows = snapshots.donor_table(snap)
if donor_rows is not None:
    st.subheader("By donor (attributed)")
    table(donor_rows)
    st.caption(
        f"{snapshots.ATTRIBUTION_NOTE} The last row, {snapshots.WHOLE_NETWORK.lower()}, "
        "is the de-duplicated total."
    )
    downloads(donor_rows, "snapshot_by_donor", "snap_donor")
st.subheader("Export")
st.caption(
    "A zip with a standalone HTML map (opens offline), a PNG map, an A4 PDF report, the "
    "figures as CSV, a GeoPackage and a summary with the date and sources."
    + (" Every file is named and marked RESTRICTED." if snap.restricted else
       " No file carries the location of any office, forum or station.")
)
st.download_button(
    f"Export {snap.kind} snapshot of {snap.date.isoformat()} (zip)",
    data=lambda: snapshots.snapshot_zip(snap),
    file_name=snapshots.zip_name(snap),
    mime="application/zip",
    key="export_snapshot",
    type="primary",
    on_click="ignore",
)
