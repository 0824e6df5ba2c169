"""The Streamlit app, page by page, with streamlit.testing (no browser)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod
from streamlit.testing.v1 import AppTest

import cpgeo

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "coverage": "app_pages/coverage.py",
    "load": "app_pages/office_load.py",
    "proposals": "app_pages/proposals.py",
    "snapshot": "app_pages/snapshot.py",
}
GEOD = Geod(ellps="WGS84")


def _covered(radius_km: float) -> int:
    demo = cpgeo.load_demo()
    c, o = demo.communities, demo.offices
    covered = np.zeros(len(c), dtype=bool)
    for ox, oy in zip(o.geometry.x, o.geometry.y, strict=True):
        _, _, d = GEOD.inv(np.full(len(c), ox), np.full(len(c), oy), c.geometry.x, c.geometry.y)
        covered |= d <= radius_km * 1000
    return int(covered.sum())


def _app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    if page is not None:
        at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_coverage_page_and_radius():
    at = _app()
    n = len(cpgeo.load_demo().communities)
    assert _metrics(at)["Communities covered"] == f"{_covered(50)} of {n}"
    assert any("ILLUSTRATIVE DATA" in w.value for w in at.warning)
    assert at.query_params["radius"] == "50"
    at.sidebar.slider(key="radius").set_value(100.0).run()
    assert not at.exception
    assert _metrics(at)["Communities covered"] == f"{_covered(100)} of {n}"
    assert _covered(100) != _covered(50)
    assert at.query_params["radius"] == "100"


def test_focus_table_total_adds_up_the_rows_shown():
    at = _app()
    focus = next(
        df.value for df in at.dataframe
        if "governorate" in df.value.columns and "share_covered" in df.value.columns
    )
    rows = focus[focus["governorate"] != "Total"]
    assert set(rows["governorate"]) == set(cpgeo.settings.FOCUS_GOVERNORATES)
    total = focus[focus["governorate"] == "Total"].iloc[0]
    for column in ("communities", "covered", "population", "population_covered"):
        assert int(total[column]) == int(rows[column].astype(int).sum()), column


def test_query_params_restore_the_view():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["radius"] = "25"
    at.run()
    assert at.sidebar.slider(key="radius").value == 25.0
    n = len(cpgeo.load_demo().communities)
    assert _metrics(at)["Communities covered"] == f"{_covered(25)} of {n}"


def test_office_load_page():
    at = _app("load")
    m = _metrics(at)
    # the demo's README promises: Mosul and Baqubah over capacity, Qayyarah out of range,
    # three forums with no office in range
    assert m["Offices over capacity"] == "2"
    assert m["Forums out of range"] == "1"
    assert m["Forums with no office in range"] == "3"
    assert len(at.dataframe) >= 3
    at.sidebar.number_input(key="capacity").set_value(10).run()
    assert _metrics(at)["Offices over capacity"] == "0"


@pytest.mark.parametrize("method", ["greedy", "exact"])
def test_proposals_page_runs_a_proposal(method):
    from cpgeo.siting import plan_sites

    at = _app("proposals")
    assert any("Propose sites" in i.value for i in at.info)
    at.number_input(key="n_sites").set_value(2)
    at.radio(key="method").set_value(method)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    demo = cpgeo.load_demo()
    ref = plan_sites(demo, 2, method=method)
    assert f"Ranked proposals ({len(ref.sites)})" in [s.value for s in at.subheader]
    listed = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(listed) == len(ref.sites) >= 1
    for rank, (text, name) in enumerate(zip(listed, ref.sites["name"], strict=True), 1):
        assert text.startswith(f"**{rank}. {name}**")
    captions = " ".join(c.value for c in at.caption)
    assert ("proven optimal" if method == "exact" else "no proof of optimality") in captions
    # before / after: "after" minus "before" is the change, for every measure
    table = at.dataframe[0].value
    assert len(table) == len(ref.summary)
    num = [[float(v.replace(",", "")) for v in table[c]] for c in ("before", "after", "change")]
    for before, after, change in zip(*num, strict=True):
        assert after - before == pytest.approx(change)
    # a new covered community raises the covered count: the before figure is the
    # coverage page's own brute-force count
    assert num[0][0] == _covered(50)


def test_proposal_goes_stale_when_the_radius_changes():
    at = _app("proposals")
    at.button[0].click().run()
    assert any(s.value.startswith("Ranked proposals") for s in at.subheader)
    at.sidebar.slider(key="radius").set_value(60.0).run()
    assert not at.exception
    assert not any(s.value.startswith("Ranked proposals") for s in at.subheader)
    assert any("Propose sites" in i.value for i in at.info)


def test_snapshot_page():
    at = _app("snapshot")
    m = _metrics(at)
    demo = cpgeo.load_demo()
    assert m["Offices"] == str(len(demo.offices))
    assert m["Forums"] == str(len(demo.cpfs))
    assert at.selectbox(key="donor").options[0] == "(all)"
    at.selectbox(key="donor").set_value("Canada").run()
    n_canada = int((demo.offices["donor"] == "Canada").sum())
    assert _metrics(at)["Offices"] == str(n_canada)


def test_bad_upload_message_names_the_file(tmp_path):
    from app_pages._shared import demo_scenario, read_upload

    bad = b"id,name,latitude,longitude\nA,x,33.3,44.4\nB,y,,44.5\n"
    with pytest.raises(cpgeo.InputError, match=r"offices_bad\.csv.*row") as info:
        read_upload("offices_bad.csv", bad, "offices", demo_scenario().boundaries, "embedded")
    assert "cpgeo-upload-" not in str(info.value)
    assert not any(
        p.name.startswith("cpgeo-upload-")
        for p in Path("/tmp").iterdir()
        if p.stat().st_mtime > tmp_path.stat().st_mtime
    )
