"""Site proposals: where to rehabilitate or build offices, ranked, with the reason for each."""

from __future__ import annotations

import streamlit as st

import cpgeo
from app_pages._shared import context, downloads, md, proposals_of, show_map, table
from cpgeo import labels

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
        st.error(f"No proposal: {md(exc)}")
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
if proposal.n_reassigned:
    st.markdown(
        "**0. Among the existing offices** · "
        + md(labels.reassignment_sentence(proposal.reassignment.to_dict(), proposal.n_reassigned))
    )
if len(sites) == 0:
    st.warning("No candidate adds forums served or people covered with these settings.")
for rank, row in zip(sites["rank"], sites.itertuples(index=False), strict=True):
    kind = TYPE_LABELS.get(str(row.type), str(row.type))
    st.markdown(
        f"**{int(rank)}. {md(row.name)}** · {md(kind)} · {md(row.governorate)}  \n{md(row.reason)}"
    )

st.subheader("Before / after")
st.caption(
    "The figures of the scenario as it is, and with the proposed sites open and every "
    "forum the proposal serves declared to the office that serves it. The steps above "
    "(0, 1, 2, ...) add up to the change."
)
summary = proposal.summary.rename_axis("figure").reset_index()
st.dataframe(labels.summary_table(proposal.summary), hide_index=True, width="stretch")
downloads(summary, "proposal_before_after", "proposal_summary")

st.subheader("Proposed sites")
table(sites)
downloads(sites, "site_proposals", "proposals")
show_map(scn, p, key="map_proposals", proposals=sites, proposals_key=repr(used))
