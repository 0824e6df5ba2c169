"""Site proposals: where to rehabilitate or build offices, ranked, with the reason for each."""

from __future__ import annotations

import streamlit as st

import cpgeo
from app_pages._shared import (
    candidates_of,
    context,
    downloads,
    governorate,
    lang,
    md,
    num,
    plan_bytes,
    proposals_of,
    rows_by,
    sensitivity_of,
    show_map,
    t,
    table,
)
from cpgeo import i18n, labels

TYPE_LABELS = labels.VALUE_LABELS["type"]

scn, token, p = context()
st.title(t("Site proposals"))
st.caption(
    t(
        "Candidates in: {governorates} (change in the sidebar). Demand: every community and "
        "every forum. Forums served within capacity come first, then the people newly "
        "within reach of an office.",
        governorates="، ".join(governorate(g) for g in p["governorates"])
        if lang() != "en"
        else ", ".join(p["governorates"]) or t("no governorate selected"),
    )
)
candidates = candidates_of(scn, token, tuple(p["governorates"]))
site_names = dict(
    zip(
        candidates["id"].astype(str),
        labels.site_names(candidates, scn, lang()).astype(str),
        strict=True,
    )
)
with st.form("proposal_form"):
    c = st.columns([1.2, 2, 1.3])
    limit = c[0].radio(
        t("Limit"),
        ["sites", "budget", "phases"],
        key="limit_kind",
        format_func={
            "sites": t("Number of sites"),
            "budget": t("Budget"),
            "phases": t("Phases (years)"),
        }.get,
    )
    kinds = c[1].multiselect(
        t("Candidate types"),
        list(TYPE_LABELS),
        list(TYPE_LABELS),
        key="candidate_types",
        format_func={k: t(v) for k, v in TYPE_LABELS.items()}.get,
    )
    method = c[2].radio(
        t("Method"),
        ["greedy", "exact"],
        key="method",
        format_func={
            "greedy": t("Greedy (instant)"),
            "exact": t("Exact (optimal, with proven gap)"),
        }.get,
    )
    c = st.columns(4)
    n_sites = c[0].number_input(t("Number of sites"), 1, 50, 3, key="n_sites")
    budget = c[1].number_input(t("Budget (cost units)"), 0.0, 1_000.0, 5.0, step=0.5, key="budget")
    phase_text = c[2].text_input(
        t("Phases: sites (or budgets) per phase"),
        "2, 2, 1",
        key="phases_text",
        help=t(
            "e.g. 2, 2, 1 (sites per phase) or 3.5, 3.5, 2 (a budget per phase: write a "
            "decimal point)"
        ),
    )
    time_limit = c[3].number_input(t("Time limit (s)"), 1, 600, 60, key="time_limit")
    with st.expander(t("Costs, sites forced in or out, fairness across governorates")):
        c = st.columns(2)
        rehab_cost = c[0].number_input(
            t("Cost of a rehabilitation"), 0.0, 100.0, 1.0, step=0.5, key="cost_rehab"
        )
        new_cost = c[1].number_input(
            t("Cost of a new build"), 0.0, 100.0, 2.5, step=0.5, key="cost_new"
        )
        st.caption(t("A cost column in an uploaded stations file gives each station its own."))
        c = st.columns(2)
        force_in = c[0].multiselect(
            t("Always open"), list(site_names), key="force_in", format_func=site_names.get
        )
        force_out = c[1].multiselect(
            t("Never open"), list(site_names), key="force_out", format_func=site_names.get
        )
        st.caption(t("At least this many new sites in each governorate:"))
        c = st.columns(max(1, len(p["governorates"])))
        minima = {
            gov: c[i].number_input(governorate(gov), 0, 20, 0, key=f"min_sites_{gov}")
            for i, gov in enumerate(p["governorates"])
        }
        st.caption(t("At least this share of each governorate's people within the radius (%):"))
        c = st.columns(max(1, len(p["governorates"])))
        shares = {
            gov: c[i].number_input(governorate(gov), 0, 100, 0, key=f"min_share_{gov}")
            for i, gov in enumerate(p["governorates"])
        }
    submitted = st.form_submit_button(t("Propose sites"), type="primary")


def _phases(text: str) -> tuple[int | float, ...] | None:
    values: list[int | float] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            values.append(float(part) if "." in part else int(part))
        except ValueError:
            return None
    return tuple(values) or None


options: list[tuple[str, object]] = [
    ("method", method),
    ("candidate_types", tuple(kinds)),
    ("time_limit_s", float(time_limit)),
    ("costs", (("rehabilitate", float(rehab_cost)), ("new_build", float(new_cost)))),
    ("force_in", tuple(force_in)),
    ("force_out", tuple(force_out)),
    ("min_per_governorate", tuple((g, int(m)) for g, m in minima.items() if m)),
    ("min_share", tuple((g, s / 100) for g, s in shares.items() if s)),
]
phases = _phases(phase_text)
if limit == "sites":
    options.append(("n_sites", int(n_sites)))
elif limit == "budget":
    options.append(("budget", float(budget)))
else:
    options.append(("phases", phases))
request = (token, tuple(p["governorates"]), p["radius_km"], p["max_cpfs"], tuple(options))
if submitted:
    if limit == "phases" and phases is None:
        st.error(t("Phases: write numbers separated by commas, e.g. 2, 2, 1 or 3.5, 3.5, 2."))
    else:
        try:
            with st.spinner(t("Solving...")):
                st.session_state.proposals = (request, proposals_of(scn, *request))
        except cpgeo.InputError as exc:
            st.session_state.proposals = None
            st.error(t("No proposal: {reason}", reason=md(exc)))
result = st.session_state.proposals
if result is None or result[0][:4] != request[:4]:
    st.info(t("Choose how much to open and press **Propose sites**."))
    show_map(scn, p, key="map_proposals")
    st.stop()
used, proposal = result
if used != request:
    st.caption(t("The form has changed since this proposal: press **Propose sites** to update."))
sites = proposal.sites
if proposal.method == "exact":
    proof = (
        t("proven optimal (gap 0%)")
        if proposal.optimal
        else t(
            "best found within the time limit, proven gap {gap}",
            gap=i18n.format_number(proposal.gap, lang(), decimals=2, percent=True),
        )
    )
else:
    proof = t("greedy with interchange: quick, no proof of optimality")
st.subheader(t("Ranked proposals ({n})", n=num(len(sites))))
st.caption(
    t(
        "Method: {method}, {proof}.",
        method=t("exact") if proposal.method == "exact" else t("greedy"),
        proof=proof,
    )
)
if proposal.n_reassigned:
    st.markdown(
        "**"
        + t("0. Among the existing offices")
        + "** · "
        + md(
            labels.reassignment_sentence(
                proposal.reassignment.to_dict(), proposal.n_reassigned, lang()
            )
        )
    )
if len(sites) == 0:
    st.warning(t("No candidate adds forums served or people covered with these settings."))
phased = len(proposal.phases.columns) > 2
site_label = labels.site_names(sites, scn, lang())
for rank, name, row in zip(sites["rank"], site_label, sites.to_dict("records"), strict=True):
    kind = t(TYPE_LABELS.get(str(row["type"]), str(row["type"])))
    when = " · " + t("phase {n}", n=int(row["phase"])) if phased else ""
    reason = row["reason"] if lang() == "en" else labels.site_summary(row, lang())
    st.markdown(
        f"**{int(rank)}. {md(name)}** · {md(kind)} · {md(governorate(row['governorate']))}"
        f"{when} · " + t("cost {cost}", cost=format(row["cost"], "g")) + f"  \n{md(reason)}"
    )

st.subheader(t("Before / after"))
st.caption(
    t(
        "The figures of the scenario as it is, and with the proposed sites open and every "
        "forum the proposal serves declared to the office that serves it. The steps above "
        "(0, 1, 2, ...) add up to the change."
    )
)
summary = proposal.summary.rename_axis("figure").reset_index()
st.dataframe(labels.summary_table(proposal.summary, lang()), hide_index=True, width="stretch")
downloads(summary, "proposal_before_after", "proposal_summary")
with st.expander(t("By governorate or district: the figures before and after")):
    by = "governorate"
    if proposal.before.by_district is not None:
        by = rows_by(t("Rows"), "proposal_change_by")
    change = proposal.change_by(by)
    table(change)
    downloads(change, f"proposal_by_{by}", "proposal_change_by")
if phased:
    st.subheader(t("After each phase"))
    st.dataframe(labels.summary_table(proposal.phases, lang()), hide_index=True, width="stretch")
    downloads(proposal.phases.reset_index(), "proposal_by_phase", "proposal_phases")

st.subheader(t("Proposed sites"))
shown_sites = sites.assign(name=site_label)
if lang() != "en":  # the stored reasons are English: the same figures, said in the language
    shown_sites["reason"] = [labels.site_summary(r, lang()) for r in sites.to_dict("records")]
table(shown_sites)
downloads(sites, "site_proposals", "proposals")
show_map(
    scn,
    p,
    key="map_proposals",
    proposals=sites,
    proposals_key=repr(used),
    after=proposal.after.coverage,
)

st.subheader(t("Save as a plan"))
c = st.columns([3, 1], vertical_alignment="bottom")
plan_name = c[0].text_input(t("Plan name"), t("Plan A"), key="plan_name")
c[1].download_button(
    t("Save plan (.gpkg)"),
    data=lambda: plan_bytes(scn, proposal, used, plan_name),
    file_name=f"cpgeo-plan-{plan_name.strip() or 'plan'}.gpkg".replace(" ", "_"),
    mime="application/geopackage+sqlite3",
    key="save_plan",
    on_click="ignore",
)

st.subheader(t("Sensitivity: the same decision at other radii, and by road"))
st.caption(
    t(
        "The proposal above, with the same options, at each radius. A site chosen in every "
        "case is robust: the choice does not hang on the exact catchment."
    )
)
loaded = st.session_state.get("road")
c = st.columns([3, 1], vertical_alignment="bottom")
radii_text = c[0].text_input(t("Radii (km)"), "40, 50, 60", key="sensitivity_radii")
pressed = c[1].button(t("Compare"), key="sensitivity_run")
along_roads = False
if loaded is not None:
    along_roads = st.checkbox(
        t(
            "Also by road: each radius along the roads of {name} (the road network loaded on "
            "the Coverage page; the figures stay by radius)",
            name=md(loaded[2]),
        ),
        key="sensitivity_by_road",
    )
else:
    st.caption(
        t(
            "To compare with road distance, load a road network on the Coverage page "
            "(Road distance)."
        )
    )
if pressed:
    try:
        radii = tuple(float(r) for r in radii_text.replace(";", ",").split(",") if r.strip())
        roads, digest = (loaded[3], loaded[0][1]) if along_roads else (None, "")
        with st.spinner(t("Proposing in each case...")):
            st.session_state.sensitivity = (
                used,
                sensitivity_of(scn, used[0], used[1], radii, used[3], used[4], roads, digest),
            )
    except ValueError as exc:  # a radius that is not a number, or no plan at a radius
        st.session_state.sensitivity = None
        st.error(t("No comparison: {reason}", reason=md(exc)))
stored = st.session_state.get("sensitivity")
if stored is not None and stored[0] == used:
    result_by_radius = stored[1]
    robust = result_by_radius.robust
    st.caption(
        t(
            "{n} of {total} sites chosen in every case ({cases}).",
            n=num(len(robust)),
            total=num(len(result_by_radius.sites)),
            cases=md(", ".join(c.removeprefix("rank at ") for c in result_by_radius.cases)),
        )
    )
    table(result_by_radius.sites)
    downloads(result_by_radius.sites, "site_sensitivity", "sensitivity")
    if len(robust):
        shown = robust.assign(
            rank=range(1, len(robust) + 1),
            reason=t("Chosen in every case: ")
            + ", ".join(c.removeprefix("rank at ") for c in result_by_radius.cases),
        )
        show_map(scn, p, key="map_robust", proposals=shown, proposals_key=f"robust:{used!r}")
