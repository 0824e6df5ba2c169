"""Site proposals: where to rehabilitate or build offices."""

from __future__ import annotations

import streamlit as st

from app_pages._shared import context, downloads, proposals_of, show_map
from cpgeo import maps

scn, token, p = context()
st.title("Site proposals")
st.caption(
    f"Candidates in: {', '.join(p['governorates']) or 'no governorate selected'} "
    "(change in the sidebar). Demand: every community."
)
with st.form("proposal_form"):
    c = st.columns(3)
    n_sites = c[0].number_input("Number of sites", 1, 20, 3, key="n_sites")
    kinds = c[1].multiselect(
        "Candidate types",
        ["rehabilitate", "new_build"],
        ["rehabilitate", "new_build"],
        key="candidate_types",
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
if submitted:
    with st.spinner("Solving..."):
        st.session_state.proposals = (
            token,
            p["radius_km"],
            p["max_cpfs"],
            proposals_of(
                scn,
                token,
                int(n_sites),
                tuple(kinds),
                p["governorates"],
                p["radius_km"],
                p["max_cpfs"],
                method,
            ),
        )
result = st.session_state.proposals
if result is None or result[:3] != (token, p["radius_km"], p["max_cpfs"]):
    st.info("Choose the number of sites and press **Propose sites**.")
    show_map(scn, p, key="map_proposals")
    st.stop()
proposal = result[3]
ranked = getattr(proposal, "sites", proposal)
st.subheader("Ranked proposals")
for row in ranked.itertuples():
    st.markdown(
        f"**{maps.proposal_rank(ranked).loc[row.Index]:.0f}. {row.name}** "
        f"({getattr(row, 'type', '')}, {getattr(row, 'governorate', '')}): "
        f"{getattr(row, 'reason', '')}"
    )
before_after = getattr(proposal, "before_after", None)
if before_after is not None:
    st.subheader("Before / after")
    st.dataframe(before_after, width="stretch")
for name in ("optimal", "gap", "method"):
    if hasattr(proposal, name):
        st.caption(f"{name}: {getattr(proposal, name)}")
st.dataframe(ranked.drop(columns="geometry"), hide_index=True, width="stretch")
downloads(ranked, "site_proposals", "proposals")
show_map(scn, p, key="map_proposals", proposals=ranked)
