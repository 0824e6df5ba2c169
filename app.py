"""cpgeo's Streamlit app: coverage, office load, site proposals and donor snapshots.

UI only: every figure, table and map comes from the cpgeo package. The shared sidebar,
cached computations and helpers are in ``app_pages/_shared.py``; one file per page.
Run with ``make app`` (or ``streamlit run app.py``).
"""

from __future__ import annotations

import streamlit as st

from app_pages._shared import banner, handle_uploads, init_state, scenario, sidebar

st.set_page_config(page_title="cpgeo: community policing coverage", layout="wide")

init_state()
handle_uploads()
scn, token = scenario()
params = sidebar(scn)
st.session_state.ctx = (scn, token, params)
banner(scn)
st.navigation(
    [
        st.Page("app_pages/coverage.py", title="Coverage", url_path="coverage", default=True),
        st.Page("app_pages/office_load.py", title="Office load", url_path="office-load"),
        st.Page("app_pages/proposals.py", title="Site proposals", url_path="proposals"),
        st.Page("app_pages/snapshot.py", title="Snapshot", url_path="snapshot"),
        st.Page("app_pages/plans.py", title="Plans", url_path="plans"),
    ]
).run()
