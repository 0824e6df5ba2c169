"""Office load: forums per office, over capacity, out of range, reassignment."""

from __future__ import annotations

import streamlit as st

from app_pages._shared import (
    context,
    downloads,
    km,
    lang,
    md,
    metric,
    num,
    page_figures,
    show_map,
    t,
    table,
    with_names,
)
from cpgeo import i18n, labels

scn, token, p = context()
fig = page_figures()
load, forums, assignment = fig.load, fig.forums, fig.assignment
st.title(t("Office load"))
c = st.columns(5)
metric(c[0], "offices_over_capacity", fig)
metric(c[1], "forums_beyond_declared_office", fig)
metric(c[2], "forums_without_office_in_range", fig)
metric(c[3], "forums_unknown_office", fig)
c[4].metric(
    labels.label("forums_served_within_capacity", lang()),
    t(
        "{part} of {whole}",
        part=num(fig["forums_served_within_capacity"]),
        whole=num(fig["forums"]),
    ),
)
sentence = labels.assignment_sentence(
    assignment.n_served,
    assignment.n_reachable,
    int(fig["forums"] or 0),
    assignment.n_moved,
    fig.radius_km,
    fig.max_cpfs,
    lang(),
)
(st.success if assignment.removes_overload else st.info)(sentence)
unknown = forums[forums["status"] == "unknown_office"]
if len(unknown):
    ids = sorted({str(i) for i in unknown["office_id"].dropna()})
    shown = ", ".join(ids[:8]) + (t(" and {n} more", n=num(len(ids) - 8)) if len(ids) > 8 else "")
    st.warning(
        md(
            t(
                "{n} of {total} forums declare an office that is not in the offices layer "
                "({ids}): they count against no office until the offices layer has those "
                "ids or the forums' office_id is corrected.",
                n=num(len(unknown)),
                total=num(len(forums)),
                ids=shown,
            )
        )
    )
first = ["id", "name", "governorate", "n_cpfs", "capacity", "over_capacity", "n_out_of_range"]
offices = load.drop(columns="geometry")
offices = offices[[c for c in first if c in offices] + [c for c in offices if c not in first]]
table(offices)
downloads(load, "office_load", "load")
if fig.by_district is not None:
    with st.expander(t("Offices and forums by district")):
        columns = [
            "governorate",
            "district_pcode",
            "district",
            "offices",
            "offices_over_capacity",
            "forums",
            "forums_served_within_capacity",
            "forums_without_office_in_range",
            "forums_beyond_declared_office",
        ]
        table(fig.by_district[columns])
        downloads(fig.by_district[columns], "load_by_district", "load_district")
st.subheader(t("Forums"))
table(forums)
downloads(forums, "forum_status", "forums")
st.subheader(t("Capacity-respecting reassignment"))
moved = assignment.cpfs[assignment.cpfs["moved"].astype(bool)]
unserved = assignment.cpfs[~assignment.cpfs["served"].astype(bool)]
if len(moved):
    st.caption(t("Forums that change office ({n}):", n=num(len(moved))))
    table(
        moved[with_names(["id", "name", "office_before", "assigned_office", "distance_km"], moved)]
    )
else:
    st.write(t("No forum needs to change office."))
if len(unserved):
    st.caption(
        t(
            "Forums that no office can serve within capacity ({n}): they have no office "
            "within {km}, or every office in range is full.",
            n=num(len(unserved)),
            km=km(p["radius_km"]),
        )
    )
    table(unserved[with_names(["id", "name", "office_before"], unserved)])
downloads(assignment.cpfs, "forum_reassignment", "assignment")
st.subheader(t("Map"))
names = dict(zip(load["id"].astype(str), i18n.place_names(load, lang()).astype(str), strict=True))
choice = st.selectbox(
    t("Zoom to office"),
    ["(all)", *names],
    key="zoom_office",
    format_func={"(all)": t("(all)"), **names}.get,
)
center = zoom = None
if choice != "(all)":
    g = load.geometry[load["id"].astype(str) == choice].iloc[0]
    center, zoom = (g.y, g.x), 9
show_map(scn, p, key="map_load", center=center, zoom=zoom)
