"""Plans: reopen saved plans and compare two or three side by side."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import streamlit as st

import cpgeo
from app_pages._shared import (
    context,
    downloads,
    error_text,
    lang,
    md,
    num,
    shown_as,
    t,
    table,
)
from cpgeo import labels, maps


@st.cache_data(show_spinner=False, max_entries=6)
def reopened(name: str, digest: str, _payload: bytes):
    """Reopen a saved plan (proposed again from its own data and options)."""
    from cpgeo.plans import reopen

    with tempfile.TemporaryDirectory(prefix="cpgeo-plan-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(_payload)
        try:
            plan, proposal = reopen(path)
        except cpgeo.InputError as exc:
            raise shown_as(exc, path, name) from None
    return plan, proposal


@st.cache_data(show_spinner=False, max_entries=6)
def plan_map(digest: str, _plan, _proposal, lang: str = "en") -> str:
    """Return the plan's proposals map as one standalone HTML page."""
    fig = _proposal.before
    m = maps.build_map(
        _plan.scenario,
        fig.coverage,
        fig.load,
        _proposal.sites,
        forums=fig.forums,
        radius_km=_proposal.radius_km,
        max_cpfs=_proposal.max_cpfs,
        coverage_after=_proposal.after.coverage,
        title=_plan.name,
        lang=lang,
    )
    return maps.map_html(m)


scn, token, p = context()
st.title(t("Plans"))
st.caption(
    t(
        "Save a proposal as a plan on the **Site proposals** page (one GeoPackage with the "
        "data, the options and the sites; QGIS opens it too). Upload two or three plans "
        "here to compare them: each is proposed again from its own data and options."
    )
)
files = st.file_uploader(
    t("Saved plans (.gpkg)"), type=["gpkg"], accept_multiple_files=True, key="plan_files"
)
opened = []
for file in (files or [])[:3]:
    payload = file.getvalue()
    digest = hashlib.sha256(payload).hexdigest()[:16]
    try:
        plan, proposal = reopened(file.name, digest, payload)
    except cpgeo.InputError as exc:
        st.error(md(error_text(exc, file.name)))
        continue
    opened.append((digest, plan, proposal))
if files and len(files) > 3:
    st.warning(t("Only the first three plans are compared."))
if not opened:
    st.info(t("Upload saved plans to compare them."))
    st.stop()
for _digest, plan, proposal in opened:
    same = proposal.sites["id"].tolist() == plan.sites["id"].tolist()
    st.markdown(
        f"**{md(plan.name)}** · "
        + t(
            "saved {when} UTC by cpgeo {version}",
            when=plan.created.strftime("%Y-%m-%d %H:%M"),
            version=md(plan.cpgeo_version),
        )
        + " · "
        + t("sites: {n}", n=num(len(proposal.sites)))
        + " · "
        + (
            t("the same sites as saved")
            if same
            else "**" + t("different sites from the saved ones") + "**"
        )
    )
    if plan.scenario.illustrative:
        st.caption(md(plan.scenario.notice_in(lang())))
if len(opened) >= 2:
    from cpgeo.plans import compare_plans

    names = [plan.name for _d, plan, _p in opened]
    if len(set(names)) < len(names):  # two plans of one name: tell them apart
        names = [f"{n} ({i + 1})" for i, n in enumerate(names)]
    side = compare_plans([(n, pr) for n, (_d, _pl, pr) in zip(names, opened, strict=True)])
    st.subheader(t("Side by side"))
    st.dataframe(labels.summary_table(side, lang()), hide_index=True, width="stretch")
    downloads(side.reset_index(), "plans_side_by_side", "plans_side")
columns = st.columns(len(opened))
for column, (digest, plan, proposal) in zip(columns, opened, strict=True):
    with column:
        st.markdown(f"**{md(plan.name)}**")
        columns = ["rank", "phase", "name", "type", "governorate", "cost"]
        table(
            proposal.sites[columns].assign(
                name=labels.site_names(proposal.sites, plan.scenario, lang())
            )
        )
        st.iframe(plan_map(digest, plan, proposal, lang()), height=420)
