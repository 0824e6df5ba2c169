"""Site proposals: where to rehabilitate or build offices, ranked, with the reason for each."""

from __future__ import annotations

import math

import streamlit as st

import cpgeo
from app_pages._shared import context, downloads, proposals_of, show_map, table

TYPE_LABELS = {"rehabilitate": "Rehabilitate a police station", "new_build": "New build"}

scn, token, p = context()
st.title("Site proposals")
st.caption(
    f"Candidates in: {', '.join(p['governorates']) or 'no governorate selected'} "
    "(change in the sidebar). Demand: every community and every forum. Forums served "
    "within capacity come first, then the people newly within reach of an office."
)
with st.form("proposal_form"):
    c = st.columns([1, 2, 1.3])
    n_sites = c[0].number_input("Number of sites", 1, 20, 3, key="n_sites")
    kinds = c[1].multiselect(
        "Candidate types",
        list(TYPE_LABELS),
        list(TYPE_LABELS),
        key="candidate_types",
        format_func=TYPE_LABELS.get,
    )
    method = c[2].radio(
        "Method",
        ["greedy", "exact"],
        key="method",
        format_func=lambda x: (
            "Greedy (instant)" if x == "greedy" else "Exact (optimal, with proven gap)"
        ),
    )
    submitted = st.form_submit_button("Propose sites", type="primary")

request = (
    token,
    int(n_sites),
    tuple(kinds),
    tuple(p["governorates"]),
    p["radius_km"],
    p["max_cpfs"],
    method,
)
if submitted:
    try:
        with st.spinner("Solving..."):
            st.session_state.proposals = (request, proposals_of(scn, *request))
    except cpgeo.InputError as exc:
        st.session_state.proposals = None
        st.error(f"No proposal: {exc}")
result = st.session_state.proposals
if result is None or result[0][0] != token or result[0][3:6] != request[3:6]:
    st.info("Choose the number of sites and press **Propose sites**.")
    show_map(scn, p, key="map_proposals")
    st.stop()
used, proposal = result
if used != request:
    st.caption("The form has changed since this proposal: press **Propose sites** to update.")
sites = proposal.sites
if proposal.method == "exact":
    proof = (
        "proven optimal (gap 0%)"
        if proposal.optimal
        else f"best found within the time limit, proven gap {proposal.gap:.2%}"
    )
else:
    proof = "greedy with interchange: quick, no proof of optimality"
st.subheader(f"Ranked proposals ({len(sites)})")
st.caption(f"Method: {proposal.method}, {proof}.")
if len(sites) == 0:
    st.warning("No candidate adds forums served or people covered with these settings.")
for rank, row in zip(sites["rank"], sites.itertuples(index=False), strict=True):
    kind = TYPE_LABELS.get(str(row.type), str(row.type))
    st.markdown(f"**{int(rank)}. {row.name}** · {kind} · {row.governorate}  \n{row.reason}")

st.subheader("Before / after")
summary = proposal.summary.copy()
for column in ("before", "after", "change"):
    summary[column] = [
        "" if math.isnan(v) else (f"{v:+,.0f}" if column == "change" else f"{v:,.0f}")
        for v in summary[column].astype(float)
    ]
st.dataframe(summary, hide_index=True, width="stretch")
downloads(proposal.summary, "proposal_before_after", "proposal_summary")

st.subheader("Proposed sites")
table(sites)
downloads(sites, "site_proposals", "proposals")
show_map(scn, p, key="map_proposals", proposals=sites, proposals_key=repr(used))
