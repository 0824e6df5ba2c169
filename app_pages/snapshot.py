"""Snapshot: the footprint at a date, by governorate, area and donor, exported for donors.

A public snapshot (the default, and the only kind a donor account sees) shows no site's
location; a restricted one (planners and the Ministry) is exact and marked RESTRICTED.
"""

from __future__ import annotations

import streamlit as st

from app_pages._auth import role
from app_pages._shared import (
    context,
    digits,
    downloads,
    lang,
    md,
    metric,
    num,
    snapshot_map_of,
    snapshot_of,
    t,
    table,
)
from cpgeo import InputError, i18n, labels
from cpgeo import snapshot as snapshots
from cpgeo.public import LEVELS, default_level, rule_text

#: How a public snapshot may count the sites -> the choice's name
LEVEL_NAMES = {
    "governorate": lambda: t("Governorate"),
    "district": lambda: t("District"),
    "grid": lambda: t("Grid cells"),
}

scn, token, p = context()
st.title(t("Snapshot"))
donor_only = role() == "donor"

# The choices are made in a form: a date typed and confirmed with Enter (or Apply) is the
# date of everything below, the export included.
with st.form("snapshot_choices", enter_to_submit=True, border=False):
    c = st.columns([1, 1, 1, 1])
    as_of_text = ""
    if snapshots.has_dates(scn):
        as_of_text = c[0].text_input(
            t("As of (YYYY-MM-DD)"),
            key="as_of",
            placeholder=t("today"),
            help=t("Only offices and forums established on or before this day. Empty: today."),
        )
    donor_names = snapshots.donors(scn)
    donor = None
    if donor_names:
        donor = c[1].selectbox(
            t("Donor"),
            ["(all)", *donor_names],
            key="donor",
            format_func={
                "(all)": t("(all)"),
                **{d: i18n.country_name(d, lang()) for d in donor_names},
            }.get,
        )
        donor = None if donor == "(all)" else donor
    kind = "public"
    if not donor_only:
        kind = c[2].radio(
            t("Kind"),
            list(snapshots.KINDS),
            key="snapshot_kind",
            format_func={
                "public": t("Public (to share)"),
                "restricted": t("Restricted (Ministry)"),
            }.get,
            help=t(
                "Public: no location of any office, forum or station, sites counted by "
                "area. Restricted: exact locations, every file marked RESTRICTED."
            ),
        )
    districts = default_level(scn.boundaries) == "district"
    levels = [lv for lv in LEVELS if lv != "district" or districts]
    level = c[3].selectbox(
        t("Sites counted by"),
        levels,
        format_func={lv: LEVEL_NAMES[lv]() for lv in levels}.get,
        # its own widget with district boundaries: loading them makes district the choice
        key="snapshot_level_districts" if districts else "snapshot_level",
        help=t(
            "How a public snapshot generalises the sites (district needs COD-AB district "
            "boundaries)."
        ),
    )
    st.form_submit_button(t("Apply"), key="snapshot_apply")

as_of = None
if as_of_text.strip():
    try:
        as_of = snapshots.parse_date(as_of_text.strip())
    except InputError as exc:
        st.error(md(t("{problem}; the snapshot shows today's network.", problem=exc)))
snap = snapshot_of(
    scn,
    token,
    as_of,
    donor,
    p["radius_km"],
    p["max_cpfs"],
    tuple(p["governorates"]),
    kind,
    level,
    lang(),
    digits(),
)
fig = snap.figures
if snap.restricted:
    st.error(snapshots.marking_text(lang()), icon="🔒")
elif snap.public is not None:
    pub = snap.public
    st.info(md(rule_text(pub.level, pub.min_count, pub.cell_deg, lang())))
st.caption(md(snapshots.report_title(snap)))
with st.container(key="snapshot_map"):
    st.iframe(snapshot_map_of(snap, token), height=560)

mine = snap.donor_figures()
if mine is not None:
    st.subheader(t("Attributed to {donor}", donor=md(i18n.country_name(str(donor), lang()))))
    m = st.columns(4)
    for column, key, whole in zip(
        m,
        (
            "offices",
            "forums",
            "communities_within_radius_attributed",
            "population_within_radius_attributed",
        ),
        ("offices", "forums", "communities_within_radius", "population_within_radius"),
        strict=True,
    ):
        column.metric(
            labels.label(key, lang()),
            num(mine[key]),
            help=t("Whole network, each community counted once: {n}", n=num(fig[whole])),
        )
    st.caption(
        snapshots.attribution_note(lang())
        + " "
        + t(
            "Whole network, each community counted once: {communities} communities and "
            "{people} people within the radius. Forum status and office load are those of "
            "the whole network.",
            communities=num(fig["communities_within_radius"]),
            people=num(fig["population_within_radius"]),
        )
    )
# English pages keep the ISO date of the exports; the others say the date in words
day = snap.date.isoformat() if lang() == "en" else i18n.format_date(snap.date, lang())
st.subheader(t("Whole network on {date}", date=day))
m = st.columns(4)
metric(m[0], "offices", fig)
metric(m[1], "forums", fig)
m[2].metric(
    labels.label("communities_within_radius", lang()),
    t(
        "{part} of {whole}",
        part=num(fig["communities_within_radius"]),
        whole=num(fig["communities"]),
    ),
)
metric(
    m[3],
    "population_within_radius",
    fig,
    help=t(
        "{share} of {whole}",
        share=labels.share(fig["population_within_radius_share"], lang=lang()),
        whole=num(fig["population"]),
    ),
)
st.subheader(t("By governorate"))
table(snap.by_governorate[list(labels.GOVERNORATE_COLUMNS)])
downloads(snap.by_governorate, "snapshot_by_governorate", "snap_gov")
if snap.public is not None and snap.public.level != "governorate":
    st.subheader(
        t("By area ({level}, small counts pooled)", level=LEVEL_NAMES[snap.public.level]())
    )
    areas = snap.public.areas
    table(areas[list(labels.AREA_COLUMNS)])
    downloads(areas, "snapshot_by_area", "snap_area")
elif snap.restricted and snap.by_district is not None:
    st.subheader(t("By district"))
    table(snap.by_district[list(labels.DISTRICT_COLUMNS)])
    downloads(snap.by_district, "RESTRICTED-snapshot_by_district", "snap_district")
donor_rows = snapshots.donor_table(snap)
if donor_rows is not None:
    st.subheader(t("By donor (attributed)"))
    table(donor_rows, total=True)
    st.caption(
        snapshots.attribution_note(lang())
        + " "
        + t(
            "The last row, {whole}, is the de-duplicated total.",
            whole=t(snapshots.WHOLE_NETWORK).lower(),
        )
    )
    downloads(donor_rows, "snapshot_by_donor", "snap_donor")
st.subheader(t("Export"))
st.caption(
    t(
        "A zip with a standalone HTML map (opens offline), a PNG map, an A4 PDF report, the "
        "figures as CSV, a GeoPackage and a summary with the date and sources."
    )
    + " "
    + (
        t("Every file is named and marked RESTRICTED.")
        if snap.restricted
        else t("No file carries the location of any office, forum or station.")
    )
)
st.download_button(
    (
        t("Export restricted snapshot of {date} (zip)")
        if snap.restricted
        else t("Export public snapshot of {date} (zip)")
    ).format(date=snap.date.isoformat()),
    data=lambda: snapshots.snapshot_zip(snap),
    file_name=snapshots.zip_name(snap),
    mime="application/zip",
    key="export_snapshot",
    type="primary",
    on_click="ignore",
)
