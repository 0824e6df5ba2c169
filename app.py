"""cpgeo's Streamlit app: coverage, office load, site proposals and donor snapshots.

UI only: every figure, table and map comes from the cpgeo package. The shared sidebar,
cached computations and helpers are in ``app_pages/_shared.py``; one file per page.
Run with ``make app`` (or ``streamlit run app.py``).
"""

from __future__ import annotations

import streamlit as st

from app_pages._auth import gate, pages_for
from app_pages._shared import (
    apply_digits,
    banner,
    handle_uploads,
    init_state,
    scenario,
    set_direction,
    sidebar,
    t,
)

st.set_page_config(page_title=t("cpgeo: community policing coverage"), layout="wide")
role = gate()  # the login, until it lets this session in; nothing is shown before it

init_state()
apply_digits()
handle_uploads()
scn, token = scenario()
params = sidebar(scn)
set_direction()
st.session_state.ctx = (scn, token, params)
banner(scn)
# only the pages the role may see are registered: any other URL lands on its first page
st.navigation(
    [
        st.Page(page.path, title=t(page.title), url_path=page.url_path, default=n == 0)
        for n, page in enumerate(pages_for(role))
    ]
).run()
