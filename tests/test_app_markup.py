"""Nothing let in: text from a file is shown as text in the app, never as markup.

Names, donors and file names that are markdown images, links or HTML go through every
page (uploads, office load, a proposal, a donor snapshot); no text element may carry
them as live markup: an image or a link would make the offline app call out, and HTML
would run in the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import cpgeo

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "![x](http://evil.example/x.png)"
LINK = "[click](http://evil.example/)"
HTML = "<img src=http://evil.example/y.png>"
# a live image or link: "](" not escaped, or an HTML tag not escaped
LIVE = re.compile(r"(?<!\\)\]\(|(?<!\\)<\s*(img|a|script|iframe)\b", re.I)


def _csv(rows: list[dict[str, object]]) -> bytes:
    head = list(rows[0])
    lines = [",".join(head)] + [
        ",".join(f'"{r[h]!s}"' for h in head) for r in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def _texts(at: AppTest) -> list[str]:
    out: list[str] = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader",
                 "title", "header"):
        out.extend(str(e.value) for e in getattr(at, kind))
    out.extend(str(m.label) + " " + str(m.value) for m in at.metric)
    return out


@pytest.fixture(scope="module")
def hostile_files() -> dict[str, tuple[str, bytes]]:
    demo = cpgeo.load_demo()
    towns = demo.communities.set_index("name")
    mosul, baqubah = towns.loc["Mosul"].geometry, towns.loc["Baqubah"].geometry
    offices = _csv(
        [
            {"id": "O1", "name": IMAGE, "latitude": mosul.y, "longitude": mosul.x,
             "donor": LINK},
            {"id": "O2", "name": HTML, "latitude": baqubah.y, "longitude": baqubah.x,
             "donor": "Germany"},
        ]
    )
    forums = _csv(
        [
            {"id": f"F{i}", "name": f"{LINK} {i}", "latitude": mosul.y + 0.01 * i,
             "longitude": mosul.x, "office_id": "O1" if i < 7 else "ZZ9", "donor": LINK}
            for i in range(9)
        ]
    )
    stations = _csv(
        [
            # near Mosul, whose overloaded office it would relieve
            {"id": "S1", "name": IMAGE, "latitude": mosul.y + 0.3, "longitude": mosul.x},
            {"id": "S2", "name": HTML, "latitude": towns.loc["Ramadi"].geometry.y,
             "longitude": towns.loc["Ramadi"].geometry.x},
        ]
    )
    return {
        "offices": (f"{IMAGE}.csv", offices),
        "cpfs": ("forums.csv", forums),
        "stations": ("stations.csv", stations),
    }


def test_no_page_renders_markup_from_the_data(hostile_files):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.sidebar.radio(key="data_source").set_value("files").run()
    for kind, (name, payload) in hostile_files.items():
        at.file_uploader(key=f"upload_{kind}").set_value((name, payload, "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    seen = _texts(at)
    at.switch_page("app_pages/office_load.py").run()
    seen += _texts(at)
    assert any("ZZ9" in t for t in seen), seen  # the unknown-office warning was shown
    at.switch_page("app_pages/proposals.py").run()
    at.radio(key="method").set_value("greedy")
    at.multiselect(key="candidate_types").set_value(["rehabilitate"])
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    proposals = _texts(at)
    assert any("Rehabilitating" in t for t in proposals), proposals  # a hostile station
    seen += proposals
    at.switch_page("app_pages/snapshot.py").run()
    at.selectbox(key="donor").set_value(LINK).run()
    assert not at.exception, [e.value for e in at.exception]
    seen += _texts(at)
    # the hostile text did reach the pages ...
    joined = "\n".join(seen)
    assert "evil.example" in joined
    # ... but never as live markup
    live = [t for t in seen if LIVE.search(t)]
    assert not live, live[:3]


def test_a_bad_upload_named_like_markup_is_reported_as_text():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.sidebar.radio(key="data_source").set_value("files").run()
    bad = b"id,name,latitude,longitude\nA,x,33.3,44.4\nB,y,,44.5\n"
    at.file_uploader(key="upload_offices").set_value((f"{IMAGE}.csv", bad, "text/csv"))
    at.run()
    errors = [e.value for e in at.error]
    assert errors and all("evil.example" in e for e in errors)
    assert not [e for e in errors if LIVE.search(e)]
