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
    "plans": "app_pages/plans.py",
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
    assert _metrics(at)["Communities within the radius"] == f"{_covered(50):,} of {n:,}"
    assert any("ILLUSTRATIVE DATA" in w.value for w in at.warning)
    assert at.query_params["radius"] == "50"
    at.sidebar.slider(key="radius").set_value(100.0).run()
    assert not at.exception
    assert _metrics(at)["Communities within the radius"] == f"{_covered(100):,} of {n:,}"
    assert _covered(100) != _covered(50)
    assert at.query_params["radius"] == "100"


def _governorate_table(at: AppTest):
    return next(
        df.value for df in at.dataframe
        if "governorate" in df.value.columns and "population_within_radius_share" in df.value
    )


def test_focus_table_total_adds_up_the_rows_shown():
    at = _app()
    focus = _governorate_table(at)
    rows = focus[focus["governorate"] != "Total"]
    assert set(rows["governorate"]) == set(cpgeo.settings.FOCUS_GOVERNORATES)
    total = focus[focus["governorate"] == "Total"].iloc[0]
    for column in ("communities", "communities_within_radius", "population",
                   "population_within_radius", "offices", "forums"):
        assert int(total[column]) == int(rows[column].astype(int).sum()), column
    # the rows are the figures' own
    fig = cpgeo.figures(cpgeo.load_demo())
    ref = fig.rows(cpgeo.settings.FOCUS_GOVERNORATES).set_index("governorate")
    for row in rows.itertuples(index=False):
        assert row.communities_within_radius == ref.loc[row.governorate,
                                                        "communities_within_radius"]


def test_query_params_restore_the_view():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["radius"] = "25"
    at.run()
    assert at.sidebar.slider(key="radius").value == 25.0
    n = len(cpgeo.load_demo().communities)
    assert _metrics(at)["Communities within the radius"] == f"{_covered(25):,} of {n:,}"


def test_office_load_page_agrees_with_itself():
    at = _app("load")
    m = _metrics(at)
    fig = cpgeo.figures(cpgeo.load_demo())
    # the demo's README promises: Mosul and Baqubah over capacity, Qayyarah out of range,
    # Qayyarah and three forums without a declared office have no office in range
    assert m["Offices over capacity"] == "2"
    assert m["Forums beyond their declared office's radius"] == "1"
    assert m["Forums with no office in range"] == str(fig["forums_without_office_in_range"])
    assert fig["forums_without_office_in_range"] == 4
    assert m["Forums declaring an unknown office"] == "0"
    # the sentence under the metrics counts the same forums as the metric
    message = " ".join(x.value for x in [*at.info, *at.success])
    assert "4 forums have no office within 50 km" in message
    # "moved" forums are served ones (the unserved are listed apart)
    moved = next(df.value for df in at.dataframe if "office_before" in df.value.columns)
    assert moved["id"].tolist() == ["CPF-24"]
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
    listed = [m.value for m in at.markdown if m.value.startswith("**") and ". " in m.value]
    sites = [text for text in listed if not text.startswith("**0.")]
    assert len(sites) == len(ref.sites) >= 1
    for rank, (text, name) in enumerate(zip(sites, ref.sites["name"], strict=True), 1):
        assert text.startswith(f"**{rank}. {name}**")
    captions = " ".join(c.value for c in at.caption)
    assert ("proven optimal" if method == "exact" else "no proof of optimality") in captions
    # before / after: the figures function's numbers, under their labels
    table = next(df.value for df in at.dataframe if "Before" in df.value.columns)
    assert len(table) == len(ref.summary)
    fig = cpgeo.figures(demo)
    label = dict(zip(table["Figure"], table["Before"], strict=True))
    assert label["Communities within the radius"] == f"{fig['communities_within_radius']:,}"
    assert label["Offices over capacity"] == str(fig["offices_over_capacity"])
    for before, after, change in zip(table["Before"], table["After"], table["Change"],
                                     strict=True):
        if "unknown" in (before, after):
            continue
        num = [int(v.replace(",", "")) for v in (before, after, change)]
        assert num[1] - num[0] == num[2]


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
    # the choices apply together, when the form is submitted (Enter or Apply)
    at.selectbox(key="donor").set_value("Canada")
    at.button(key="snapshot_apply").click().run()
    n_canada = int((demo.offices["donor"] == "Canada").sum())
    assert "Attributed to Canada" in [s.value for s in at.subheader]
    values = [x.value for x in at.metric if x.label == "Offices"]
    # attributed to Canada first, then the whole network
    assert values == [str(n_canada), str(len(demo.offices))]
    assert any("attributed" in c.value for c in at.caption)
    # public by default: the rule is stated; the export says its kind and date
    assert any("No office, forum or station location is shown" in i.value for i in at.info)
    assert "public" in at.get("download_button")[-1].proto.label


def test_snapshot_as_of_date_applies_when_submitted():
    at = _app("snapshot")
    at.text_input(key="as_of").input("2019-01-01")
    at.button(key="snapshot_apply").click().run()
    assert not at.exception
    from cpgeo.snapshot import build_snapshot

    expected = build_snapshot(cpgeo.load_demo(), as_of="2019-01-01").figures
    assert _metrics(at)["Offices"] == str(expected["offices"])
    assert "Whole network on 2019-01-01" in [s.value for s in at.subheader]
    export = at.get("download_button")[-1].proto
    assert "2019-01-01" in export.label
    # a date that is not one is said, and today's network is shown
    at.text_input(key="as_of").input("01/2019")
    at.button(key="snapshot_apply").click().run()
    assert any("not a date" in e.value for e in at.error)


def test_snapshot_restricted_kind_is_marked():
    at = _app("snapshot")
    at.radio(key="snapshot_kind").set_value("restricted")
    at.button(key="snapshot_apply").click().run()
    assert not at.exception
    assert any("RESTRICTED" in e.value for e in at.error)
    assert "RESTRICTED" in at.get("download_button")[-1].proto.label.upper()


def _upload(at: AppTest, kind: str, name: str, payload: bytes) -> None:
    at.file_uploader(key=f"upload_{kind}").set_value((name, payload, "text/csv"))


def test_uploaded_offices_the_notice_and_unknown_offices():
    demo = cpgeo.load_demo()
    towns = demo.communities.set_index("name").loc[["Tikrīt", "Ramadi", "Al-Hamdaniya"]]
    csv = "id,name,latitude,longitude\n" + "".join(
        f"{i},{n},{g.y},{g.x}\n" for i, n, g in zip("TRH", towns.index, towns.geometry,
                                                    strict=True)
    )
    at = _app()
    at.sidebar.radio(key="data_source").set_value("files").run()
    _upload(at, "offices", "mine.csv", csv.encode())
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notices = [w.value for w in at.warning if "ILLUSTRATIVE" in w.value]
    assert len(notices) == 1
    assert "forums and candidate police stations" in notices[0]
    assert "offices" not in notices[0].replace("police stations", "")
    at.switch_page(PAGES["load"]).run()
    m = _metrics(at)
    declared = int(demo.cpfs["office_id"].notna().sum())  # every declared id is the demo's
    assert m["Forums declaring an unknown office"] == str(declared)
    assert any("declare an office that is not in the offices layer" in w.value
               for w in at.warning)


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


@pytest.mark.parametrize(
    ("params", "radius", "capacity"),
    [
        ({"radius": "nan"}, 50.0, 5),
        ({"radius": "1000"}, 150.0, 5),
        ({"radius": "-7", "capacity": "-1"}, 5.0, 1),
        ({"radius": "inf", "capacity": "999"}, 50.0, 20),
        ({"radius": "abc", "capacity": "x"}, 50.0, 5),
        ({"radius": "52", "capacity": "2.4"}, 50.0, 2),
        ({"gov": "Atlantis", "basemap": "evil"}, 50.0, 5),
    ],
)
def test_query_params_are_validated_and_clamped(params, radius, capacity):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.slider(key="radius").value == radius
    assert at.sidebar.number_input(key="capacity").value == capacity
    assert at.sidebar.multiselect(key="governorates").value == list(
        cpgeo.settings.FOCUS_GOVERNORATES
    )
    assert any("could not be used as given" in i.value for i in at.info)
    # the page works with what was kept
    assert "Communities within the radius" in _metrics(at)


def test_query_params_accept_governorate_spellings():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["gov"] = ["Al-Anbar", "Ninawa"]
    at.run()
    assert not at.exception
    assert at.sidebar.multiselect(key="governorates").value == ["Anbar", "Ninewa"]
    assert not any("could not be used as given" in i.value for i in at.info)


def test_proposals_page_decision_options():
    from cpgeo.siting import plan_sites

    at = _app("proposals")
    at.radio(key="limit_kind").set_value("phases")
    at.text_input(key="phases_text").set_value("2, 1")
    at.number_input(key="min_sites_Diyala").set_value(1)
    at.multiselect(key="force_out").set_value(["rehabilitate:STN-10"])
    at.number_input(key="cost_new").set_value(3.0)
    at.radio(key="method").set_value("exact")
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    ref = plan_sites(
        cpgeo.load_demo(), phases=[2, 1], min_per_governorate={"Diyala": 1},
        force_out=["rehabilitate:STN-10"], costs={"rehabilitate": 1.0, "new_build": 3.0},
        method="exact",
    )
    shown = next(df.value for df in at.dataframe if "phase" in df.value.columns)
    assert shown["id"].tolist() == ref.sites["id"].tolist()
    assert shown["phase"].tolist() == ref.sites["phase"].tolist()
    assert "After each phase" in [s.value for s in at.subheader]
    listed = [m.value for m in at.markdown if m.value.startswith("**1.")]
    assert listed and "phase 1" in listed[0]
    # a budget instead
    at.radio(key="limit_kind").set_value("budget")
    at.number_input(key="budget").set_value(3.5)
    at.button[0].click().run()
    assert not at.exception
    shown = next(df.value for df in at.dataframe if "cost" in df.value.columns)
    assert shown["cost"].sum() <= 3.5
    # conditions no plan can meet: a clear message, no exception
    at.radio(key="limit_kind").set_value("sites")
    at.number_input(key="n_sites").set_value(1)
    for gov in ("Anbar", "Ninewa"):
        at.number_input(key=f"min_sites_{gov}").set_value(1)
    at.button[0].click().run()
    assert not at.exception
    assert any("No proposal" in e.value and "opens at most 1" in e.value for e in at.error)


def test_proposals_page_sensitivity():
    from cpgeo.siting import sensitivity

    at = _app("proposals")
    at.radio(key="method").set_value("greedy")
    at.button[0].click().run()
    at.text_input(key="sensitivity_radii").set_value("48, 50, 52")
    at.button(key="sensitivity_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    ref = sensitivity(cpgeo.load_demo(), (48, 50, 52), 3, method="greedy")
    shown = next(df.value for df in at.dataframe if "robust" in df.value.columns)
    assert shown["id"].tolist() == ref.sites["id"].tolist()
    assert shown["robust"].tolist() == ref.sites["robust"].tolist()
    assert any(f"{len(ref.robust)} of {len(ref.sites)} sites chosen in every case" in c.value
               for c in at.caption)
    assert len(at.get("iframe")) >= 2  # the proposals map and the robust sites' map
    at.text_input(key="sensitivity_radii").set_value("50, abc")
    at.button(key="sensitivity_run").click().run()
    assert not at.exception
    assert any("No comparison" in e.value for e in at.error)


def test_proposals_page_sensitivity_by_road():
    """With a road network loaded, each radius is tried along the roads too."""
    from test_siting_plan import _around_the_river

    _, graph = _around_the_river()
    at = _app("proposals")
    at.radio(key="method").set_value("greedy")
    at.button[0].click().run()
    assert "sensitivity_by_road" not in [c.key for c in at.checkbox]  # no roads yet
    at.session_state.road = (("token", "digest-of-river", 50.0), None, "river.osm", graph, 0.1)
    at.run()
    at.checkbox(key="sensitivity_by_road").check()
    at.text_input(key="sensitivity_radii").set_value("50")
    at.button(key="sensitivity_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = next(df.value for df in at.dataframe if "robust" in df.value.columns)
    assert "rank at 50 km by road" in shown.columns and "rank at 50 km" in shown.columns
    # the demo's places are far from these few roads: by road no site is chosen
    assert shown["rank at 50 km by road"].isna().all()
    assert not shown["robust"].any()


def test_save_a_plan_and_compare_two(tmp_path):
    from cpgeo.plans import open_plan, save_plan
    from cpgeo.siting import plan_sites

    at = _app("proposals")
    at.radio(key="method").set_value("greedy")
    at.button[0].click().run()
    assert not at.exception
    # the page's save button makes the same file save_plan makes
    from app_pages._shared import plan_bytes

    demo = cpgeo.load_demo()
    request, proposal = at.session_state.proposals
    saved = tmp_path / "from_app.gpkg"
    saved.write_bytes(plan_bytes(demo, proposal, request, "From the app"))
    plan = open_plan(saved)
    assert plan.name == "From the app"
    assert plan.sites["id"].tolist() == proposal.sites["id"].tolist()
    other = plan_sites(demo, 4, method="greedy")
    second = save_plan(tmp_path / "four.gpkg", demo, other, {"n_sites": 4, "method": "greedy"},
                       name="Four sites")
    at.switch_page(PAGES["plans"]).run()
    assert any("Upload saved plans" in i.value for i in at.info)
    # two uploads: the side-by-side table appears with both names
    at.file_uploader(key="plan_files").set_value(
        [("from_app.gpkg", saved.read_bytes(), "application/geopackage+sqlite3"),
         ("four.gpkg", second.read_bytes(), "application/geopackage+sqlite3")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    side = next(df.value for df in at.dataframe if "Four sites - From the app" in df.value)
    assert len(side) == len(proposal.summary)
    assert any("the same sites as saved" in m.value for m in at.markdown)


def test_upload_with_bad_rows_offers_to_leave_them_out():
    from app_pages._shared import file_bytes

    csv = (
        "id,name,latitude,longitude\n"
        "T,Tikrit,34.6158,43.6786\n"
        "R,Ramadi,33.4258,43.2992\n"
        "X,=1+1 *bold* [link](http://x),,44.5\n"
    )
    at = _app()
    at.sidebar.radio(key="data_source").set_value("files").run()
    _upload(at, "offices", "my_[offices].csv", csv.encode())
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # refused as before, with the choice next to the error
    assert any("Upload not used" in e.value and "row 4" in e.value for e in at.error)
    choice = at.button(key="leave_out_offices")
    assert choice.label == "Load without the 1 bad row (use the other 2)"
    assert "offices" not in at.session_state["uploads"]
    choice.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert at.session_state["uploads"]["offices"][2]["id"].tolist() == ["T", "R"]
    # the count and the reasons, the file's name escaped (never markdown)
    said = [w.value for w in at.warning if "left out" in w.value]
    assert said == [
        "my\\_\\[offices\\].csv: 1 row left out (1 missing coordinates); the other 2 rows "
        "are in use."
    ]
    labels = [b.label for b in at.get("download_button")]
    assert "Download the 1 row left out (CSV)" in labels
    # the download: the row, its reason and its cells, formula-safe
    name, _digest, result = at.session_state["upload_left_out"]["offices"]
    assert name == "my_[offices].csv"
    lines = file_bytes(result.left_out, ".csv").decode("utf-8").splitlines()
    assert lines == [
        "row,reasons,id,name,latitude,longitude",
        "4,column latitude: missing coordinate,X,'=1+1 *bold* [link](http://x),,44.5",
    ]
    # the offices in use are the two kept
    assert at.session_state["ctx"][0].offices["id"].tolist() == ["T", "R"]
    # another file with a bad row is refused unless chosen again; the file it would
    # replace stays in use, and so does what was said of its rows left out
    _upload(at, "offices", "other.csv", csv.replace("X,", "Y,").encode())
    at.run()
    assert any("other.csv" in e.value and "my\\_\\[offices\\].csv stays in use" in e.value
               for e in at.error)
    assert [w.value for w in at.warning if "left out" in w.value] == said
    assert at.button(key="leave_out_offices").label.startswith("Load without the 1 bad row")
    # once the file is removed, nothing is said of its rows left out any more
    at.file_uploader(key="upload_offices").set_value(None)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "offices" not in at.session_state["uploads"]
    assert not [w.value for w in at.warning if "left out" in w.value]
    assert "Download the 1 row left out (CSV)" not in [b.label for b in at.get("download_button")]
    # nor when a file without problems replaces it
    _upload(at, "offices", "my_[offices].csv", csv.encode())
    at.run()
    at.button(key="leave_out_offices").click().run()
    assert [w.value for w in at.warning if "left out" in w.value] == said
    _upload(at, "offices", "clean.csv", "\n".join(csv.splitlines()[:3]).encode())
    at.run()
    assert not at.error
    assert at.session_state["uploads"]["offices"][0] == "clean.csv"
    assert not [w.value for w in at.warning if "left out" in w.value]


def test_district_boundaries_population_by_pcode_and_templates(tmp_path):
    """COD-AB style sub-districts uploaded: tables by district, estimates labelled."""
    import io

    import pandas as pd
    from test_admin import _cod_frame, _write

    path = _write(_cod_frame(3), tmp_path / "adm3.gpkg")
    # Ramadi (33.42 N, 43.31 E) and Tikrit (34.62 N, 43.68 E) lie in no fixture box; put
    # communities in two fixture sub-districts, without populations
    communities = "name,latitude,longitude\na,33.2,40.5\nb,33.3,40.6\nc,33.7,41.5\n"
    table = pd.DataFrame({"ADM3_PCODE": ["IQG01Q01N01", "IQG01Q02N02"], "T_TL": [900, 40]})
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)

    at = _app()
    at.sidebar.radio(key="data_source").set_value("files").run()
    at.file_uploader(key="upload_boundaries").set_value(
        ("adm3.gpkg", path.read_bytes(), "application/geopackage+sqlite3"))
    at.run()
    _upload(at, "communities", "villages.csv", communities.encode())
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    at.radio(key="summary_by").set_value("district").run()
    assert "By district (radius)" in [s.value for s in at.subheader]
    frames = [d.value for d in at.dataframe]
    districts = next(f for f in frames if "district_pcode" in f.columns)
    assert {"IQG01Q01", "IQG01Q02"} <= set(districts["district_pcode"])
    assert not any("estimates, not counts" in c.value for c in at.caption)

    at.file_uploader(key="upload_area_population").set_value(
        ("pop.csv", buffer.getvalue().encode(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [c.value for c in at.caption if "estimates, not counts" in c.value]
    assert notes == ["The populations of 3 communities are estimated from sub-district "
                     "totals: estimates, not counts, and part of the population figures."]
    scn = at.session_state["ctx"][0]
    assert scn.communities["population"].tolist() == [450, 450, 40]
    assert "estimated from sub-district totals" in scn.sources["communities"]
    # the templates are offered for download
    labels = [b.label for b in at.sidebar.get("download_button")]
    assert sum("template" in label for label in labels) == 5


def test_load_and_proposal_pages_by_district(tmp_path):
    from test_admin import _cod_frame, _write

    path = _write(_cod_frame(3), tmp_path / "adm3.gpkg")
    at = _app()
    at.sidebar.radio(key="data_source").set_value("files").run()
    at.file_uploader(key="upload_boundaries").set_value(
        ("adm3.gpkg", path.read_bytes(), "application/geopackage+sqlite3"))
    at.run()
    at.switch_page(PAGES["load"]).run()
    assert not at.exception, [e.value for e in at.exception]
    by_district = next(d.value for d in at.dataframe
                       if {"district_pcode", "offices_over_capacity"} <= set(d.value.columns))
    fig = at.session_state["ctx"]
    scn = fig[0]
    expected = cpgeo.figures(scn, governorates=fig[2]["governorates"] or None).by_district
    assert by_district["offices"].sum() == expected["offices"].sum() == len(scn.offices)
    at.switch_page(PAGES["proposals"]).run()
    at.number_input(key="n_sites").set_value(2)
    at.radio(key="method").set_value("greedy")
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.radio(key="proposal_change_by").set_value("district").run()
    change = next(d.value for d in at.dataframe if "offices_change" in d.value.columns)
    assert "district_pcode" in change.columns
    assert change["offices_change"].sum() == 2


def test_snapshot_counts_by_district_once_district_boundaries_are_loaded(tmp_path):
    from test_admin import _cod_frame, _write

    at = _app("snapshot")
    assert at.selectbox(key="snapshot_level").value == "governorate"
    path = _write(_cod_frame(2), tmp_path / "adm2.gpkg")
    at.sidebar.radio(key="data_source").set_value("files").run()
    at.file_uploader(key="upload_boundaries").set_value(
        ("adm2.gpkg", path.read_bytes(), "application/geopackage+sqlite3"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    level = at.selectbox(key="snapshot_level_districts")
    assert level.value == "district" and "District" in level.options
    assert any("counted in their district" in i.value for i in at.info)
