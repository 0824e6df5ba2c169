"""One session's uploads never show in another's (streamlit.testing, no browser).

Every AppTest here runs in this one process, so all of them share the app's
``st.cache_data`` / ``st.cache_resource`` caches, as the sessions of one Streamlit server
do. A session's view is everything its pages put in the element tree: tables (decoded),
metrics, text and the map, an ``st.iframe`` whose whole HTML page is in the tree
(``IFrame.srcdoc``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe, Table

import cpgeo

ROOT = Path(__file__).resolve().parents[1]
PAGES = (
    "app_pages/coverage.py",
    "app_pages/office_load.py",
    "app_pages/proposals.py",
    "app_pages/snapshot.py",
)


def _offices_csv(rows: list[tuple[str, str, float, float]]) -> bytes:
    lines = ["id,name,latitude,longitude"]
    lines += [f"{i},{name},{lat},{lon}" for i, name, lat, lon in rows]
    return ("\n".join(lines) + "\n").encode()


# Session A's offices and session B's: ids and names found nowhere else (ASCII, so that
# they read the same in every element's text), placed at real towns in the focus
# governorates. B's file has one office more, so the "Offices" metrics differ too.
A_ROWS = [
    ("ZQA-101", "Alphaqarn Tikrit Post", 34.61, 43.68),
    ("ZQA-102", "Alphaqarn Samarra Post", 34.20, 43.87),
    ("ZQA-103", "Alphaqarn Ramadi Post", 33.42, 43.30),
]
B_ROWS = [
    ("YKB-201", "Bravokel Mosul Post", 36.34, 43.13),
    ("YKB-202", "Bravokel Baqubah Post", 33.75, 44.64),
    ("YKB-203", "Bravokel Fallujah Post", 33.35, 43.78),
    ("YKB-204", "Bravokel Baiji Post", 34.93, 43.49),
]
A_MARKS = [m for row in A_ROWS for m in row[:2]]
B_MARKS = [m for row in B_ROWS for m in row[:2]]


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Start and end each test with empty app caches (they are process-wide)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _session() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _upload(at: AppTest, name: str, payload: bytes) -> AppTest:
    """Switch the sidebar to "Your files" and upload ``payload`` as the offices layer."""
    if at.sidebar.radio(key="data_source").value != "files":
        at.sidebar.radio(key="data_source").set_value("files").run()
    at.file_uploader(key="upload_offices").set_value((name, payload, "text/csv"))
    at.run()
    _ok(at)
    assert not at.sidebar.error, [e.value for e in at.sidebar.error]
    return at


def _maps(at: AppTest) -> list[str]:
    """The map pages (HTML) in the session's view."""
    return [frame.proto.srcdoc for frame in at.get("iframe")]


def _view(at: AppTest) -> dict[str, str]:
    """What the session shows on its current page, as text, by where it is shown."""
    frames = [
        node.value.to_csv(index=False)
        for node in at._tree  # every node of the page, main area and sidebar
        if isinstance(node, Dataframe | Table)
    ]
    metrics = [f"{m.label}: {m.value}" for m in at.metric]
    # everything else the page holds (text, captions, widgets' labels and options), each
    # element's message as text
    others = [
        text_format.MessageToString(node.proto, as_utf8=True)
        for node in at._tree
        if getattr(node, "proto", None) is not None
        and not isinstance(node, Dataframe | Table)
        and node.type != "iframe"
    ]
    return {
        "tables": "\n".join(frames),
        "metrics": "\n".join(metrics),
        "map": "\n".join(_maps(at)),
        "page": "\n".join(others),
    }


def _tour(at: AppTest) -> dict[str, dict[str, str]]:
    """Visit every page (running the default proposal on its page); return each view."""
    views = {}
    for page in PAGES:
        at.switch_page(page).run()
        _ok(at)
        if page.endswith("proposals.py"):
            at.button[0].click().run()  # "Propose sites", greedy by default
            _ok(at)
            assert any(s.value.startswith("Ranked proposals") for s in at.subheader)
        views[page] = _view(at)
    at.switch_page(PAGES[0]).run()
    return views


def _found(views: dict[str, dict[str, str]], marks: list[str]) -> list[str]:
    """Where each mark shows: ``"page / where: mark"``."""
    return [
        f"{page} / {where}: {mark}"
        for page, view in views.items()
        for where, text in view.items()
        for mark in marks
        if mark in text
    ]


def _offices_metric(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "Offices")


def test_one_sessions_upload_never_shows_in_another():
    demo_offices = f"{len(cpgeo.load_demo().offices):,}"
    a = _upload(_session(), "offices.csv", _offices_csv(A_ROWS))
    a_views = _tour(a)
    # A sees its own offices: in tables, in the map, and its count in the metrics
    assert _offices_metric(a) == "3"
    seen = _found(a_views, A_MARKS)
    for mark in A_MARKS:
        assert any(s.endswith(f": {mark}") and "/ map:" in s for s in seen), mark
        assert any(s.endswith(f": {mark}") and "/ tables:" in s for s in seen), mark

    # B opens the app on the demo while A's results fill the shared caches
    b = _session()
    assert _offices_metric(b) == demo_offices
    b_views = _tour(b)
    assert not _found(b_views, A_MARKS)
    assert _offices_metric(b) == demo_offices

    # then on its own upload, under another name
    _upload(b, "our_offices.csv", _offices_csv(B_ROWS))
    b_views = _tour(b)
    assert not _found(b_views, A_MARKS)
    assert _offices_metric(b) == "4"
    for mark in B_MARKS:
        assert any(s.endswith(f": {mark}") and "/ map:" in s for s in _found(b_views, [mark]))

    # A, run again after B, still shows its own offices and none of B's
    a.run()
    _ok(a)
    a_views = _tour(a)
    assert _offices_metric(a) == "3"
    assert set(_found(a_views, A_MARKS)) == set(seen)
    assert not _found(a_views, B_MARKS)


def test_caches_are_keyed_by_the_uploads_content_not_its_name():
    # two files of the same name and size, offices at the same places: only their ids
    # and names differ
    b_rows = [
        (i.replace("ZQA-1", "YKB-2"), n.replace("Alphaqarn", "Bravokeln"), lat, lon)
        for i, n, lat, lon in A_ROWS
    ]
    b_marks = [m for row in b_rows for m in row[:2]]
    a_file, b_file = _offices_csv(A_ROWS), _offices_csv(b_rows)
    assert len(a_file) == len(b_file)
    assert a_file != b_file

    a = _upload(_session(), "offices.csv", a_file)
    a_views = _tour(a)
    assert _found(a_views, A_MARKS)
    b = _upload(_session(), "offices.csv", b_file)
    b_views = _tour(b)
    assert not _found(b_views, A_MARKS)
    for mark in b_marks:
        where = _found(b_views, [mark])
        assert any("/ map:" in s for s in where) and any("/ tables:" in s for s in where), mark
    # the same places under other ids: the figures agree, only the names tell them apart
    assert [m.value for m in b.metric] == [m.value for m in a.metric]


def _colliding_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every upload's data token the same, as a broken cache key would."""
    import app_pages._shared as shared

    scenario = shared.scenario

    def colliding() -> tuple[cpgeo.Scenario, str]:
        scn, token = scenario()
        return scn, token if token == "demo" else "offices:same-for-every-upload"

    # app.py imports scenario from app_pages._shared on every run: the patch takes effect
    monkeypatch.setattr(shared, "scenario", colliding)


def test_the_check_catches_a_leak(monkeypatch):
    """With a token that collides, the check above sees A's offices in B's view."""
    _colliding_token(monkeypatch)
    a = _upload(_session(), "offices.csv", _offices_csv(A_ROWS))
    _tour(a)
    b = _upload(_session(), "our_offices.csv", _offices_csv(B_ROWS))
    leaks = _found(_tour(b), A_MARKS)
    assert any("/ map:" in s for s in leaks), leaks
    assert any("/ tables:" in s for s in leaks), leaks
    assert _offices_metric(b) == "3"  # A's count, served to B from the cache




def test_the_snapshot_names_the_sessions_own_file(monkeypatch):
    import app_pages._shared as shared

    # the export is made on click (a callable), which AppTest does not run: record what the
    # Snapshot page got from its cached function instead
    got = []
    snapshot_of = shared.snapshot_of

    def spy(*args, **kwargs):
        got.append(snapshot_of(*args, **kwargs))
        return got[-1]

    monkeypatch.setattr(shared, "snapshot_of", spy)
    payload = _offices_csv(A_ROWS)
    a = _upload(_session(), "alpha_offices.csv", payload)
    a.switch_page(PAGES[3]).run()
    _ok(a)
    b = _upload(_session(), "bravo_offices.csv", payload)
    b.switch_page(PAGES[3]).run()
    _ok(b)
    summary = cpgeo.snapshot.summary_text(got[-1])
    assert "alpha" not in summary
    assert "bravo" in summary


def _swapped_boundaries() -> bytes:
    """The embedded governorates with Salah al-Din's and Anbar's outlines swapped."""
    frame = cpgeo.load_demo().boundaries[["governorate", "geometry"]].copy()
    i = frame.index[frame["governorate"] == "Salah al-Din"][0]
    j = frame.index[frame["governorate"] == "Anbar"][0]
    frame.loc[[i, j], "geometry"] = frame.loc[[j, i], "geometry"].to_numpy()
    return frame.to_json().encode()


def _office_governorates(at: AppTest) -> dict[str, str]:
    at.switch_page(PAGES[1]).run()
    _ok(at)
    load = next(
        df.value for df in at.dataframe if {"id", "name", "governorate"} <= set(df.value.columns)
    )
    return dict(zip(load["id"], load["governorate"], strict=True))


def test_the_same_files_in_another_order_get_their_own_figures():
    offices, boundaries = _offices_csv(A_ROWS), _swapped_boundaries()
    # A: offices first (read with the embedded governorates), then the boundaries
    a = _upload(_session(), "offices.csv", offices)
    a.file_uploader(key="upload_boundaries").set_value(("gov.geojson", boundaries, "text/csv"))
    a.run()
    _ok(a)
    # B: the boundaries first, then the same offices, read with them
    b = _session()
    b.sidebar.radio(key="data_source").set_value("files").run()
    b.file_uploader(key="upload_boundaries").set_value(("gov.geojson", boundaries, "text/csv"))
    b.run()
    _upload(b, "offices.csv", offices)
    # with the swapped outlines, Tikrit and Samarra are in the polygon named Anbar
    assert _office_governorates(b)["ZQA-101"] == "Anbar"
    assert _office_governorates(a)["ZQA-101"] == "Anbar"
