"""Office load: forums per office, over capacity, out of range, reassignment."""

from __future__ import annotations

import streamlit as st

from app_pages._shared import context, downloads, load_of, show_map, table

scn, token, p = context()
st.title("Office load")
load, forums, assignment = load_of(scn, token, p["radius_km"], p["max_cpfs"])
status = forums["status"].astype(str)
c = st.columns(4)
c[0].metric("Offices over capacity", int(load["over_capacity"].sum()))
c[1].metric("Forums out of range", int((status == "out_of_range").sum()))
c[2].metric("Forums with no office in range", int((status == "no_office_in_range").sum()))
c[3].metric("Forums served after reassignment", f"{assignment.n_served} of {len(forums)}")
(st.success if assignment.removes_overload else st.info)(assignment.message)
first = ["id", "name", "governorate", "n_cpfs", "capacity", "over_capacity", "n_out_of_range"]
offices = load.drop(columns="geometry")
offices = offices[[c for c in first if c in offices] + [c for c in offices if c not in first]]
table(offices)
downloads(load, "office_load", "load")
st.subheader("Forums")
table(forums)
downloads(forums, "forum_status", "forums")
st.subheader("Capacity-respecting reassignment")
moved = assignment.cpfs[assignment.cpfs["moved"].astype(bool)]
if len(moved):
    table(moved)
else:
    st.write("No forum needs to move.")
downloads(assignment.cpfs, "forum_reassignment", "assignment")
st.subheader("Map")
names = dict(zip(load["id"].astype(str), load["name"].astype(str), strict=True))
choice = st.selectbox(
    "Zoom to office",
    ["(all)", *names],
    key="zoom_office",
    format_func=lambda i: names.get(i, i),
)
center = zoom = None
if choice != "(all)":
    g = load.geometry[load["id"].astype(str) == choice].iloc[0]
    center, zoom = (g.y, g.x), 9
show_map(scn, p, key="map_load", center=center, zoom=zoom)
