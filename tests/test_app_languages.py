"""The app in English, Arabic and Kurdish: every string from the catalogs, none left out.

Two checks that hold each other up. The first reads the app's source (and cpgeo's) with
Babel's extractor, as a translator's tool would, and fails on any message the catalogs do
not translate. The second walks every page in Arabic and in Kurdish with
streamlit.testing, a proposal made on the proposals page, and fails on any word in
Latin letters on the page that is not a name from the data or one of the few names that
stay as they are in every language (file formats, products, P-codes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from babel.messages.extract import extract_from_file
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

import cpgeo
from cpgeo import i18n, labels
from cpgeo.scenario import ILLUSTRATIVE_LAYER_NAMES

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [code for code in i18n.LANGUAGES if code != "en"]
PAGE_TITLES = {
    "app_pages/coverage.py": "Coverage",
    "app_pages/office_load.py": "Office load",
    "app_pages/proposals.py": "Site proposals",
    "app_pages/snapshot.py": "Snapshot",
    "app_pages/plans.py": "Plans",
}
PAGES = list(PAGE_TITLES)

# Names that every language writes as they are: file formats, products, standards,
# units of code (P-code), the marking of illustrative data, the date format asked for.
KEPT = {
    "CSV", "XLSX", "GeoJSON", "GeoPackage", "GeoTIFF", "Shapefile", "PBF", "XML", "OSM",
    "OpenStreetMap", "OCHA", "COD", "AB", "PS", "P", "WGS84", "WorldPop", "GHSL", "EPSG",
    "QGIS", "cpgeo", "ILLUSTRATIVE", "DATA", "YYYY", "MM", "DD", "gpkg", "osm", "pbf", "xml",
    "zip", "PDF", "PNG", "HTML", "UTC", "CPFs", "users", "add", "CPGEO_USERS",
    # the language menu names each language in that language, its label in all three
    "English", "Language",
    # read as one word each (the hyphen joins), or cut by the digits
    "COD-AB", "COD-PS", "P-code", "P-codes", "YYYY-MM-DD", "WGS",
}
# ids and keys of the data (OFF-BGD, new_build:geonames:98293) are codes, not words
QUOTES = "'\u2018\u2019-"  # the apostrophes and quotes of transliterated names
CODE = re.compile(rf"^[\w.{QUOTES}]+(:[\w.{QUOTES}]+)+$|^[A-Z]{{2,}}-\w+$")
LATIN_WORD = re.compile(rf"[A-Za-z][A-Za-z_{QUOTES}]*")
# backtick code, file names and extensions are not words of the language
NOT_WORDS = re.compile(r"`[^`]*`|[\w.-]+\.(csv|gpkg|zip)\b|\([^)]*\.[a-z]+\)|\.[a-z]{2,5}\b")


# t(), gettext() and Message() take the message first; a reader's Problems.add(row,
# column, message) third and Problems.fail(column, message) second (a plain text there
# is said in any language too)
KEYWORDS = {"t": None, "gettext": None, "Message": None, "add": (3,), "fail": (2,)}


def _app_messages() -> set[str]:
    """Every message the app and cpgeo pass to t() / gettext(), as Babel extracts it."""
    files = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    # cpgeo itself: labels, maps, snapshots, the readers of files, the CLI's tables
    files += sorted((ROOT / "cpgeo").rglob("*.py"))
    found: set[str] = set()
    for path in files:
        for _line, message, _comments, _context in extract_from_file(
            "python", path, keywords=KEYWORDS
        ):
            if isinstance(message, str) and message:
                found.add(message)
    return found


def _dynamic_messages() -> set[str]:
    """Messages the app looks up by value (names of layers, pages, coded values)."""
    from app_pages._auth import PAGES as PAGE_SPECS
    from app_pages._shared import KINDS, TOTAL
    from cpgeo import snapshot

    out = {*labels.FIGURE_LABELS.values(), *KINDS.values(), "Population by P-code", TOTAL}
    out |= {snapshot.WHOLE_NETWORK, snapshot.ATTRIBUTION_NOTE, snapshot.MARKING_TEXT}
    out |= {page.title for page in PAGE_SPECS}
    out |= {words for values in labels.VALUE_LABELS.values() for words in values.values()}
    out |= set(ILLUSTRATIVE_LAYER_NAMES.values())
    out |= _reader_messages()
    from cpgeo.cli import _common, osm

    out |= {_common.TOTAL, _common.OUTSIDE, *osm._FEATURES.values()}
    return out


def _reader_messages() -> set[str]:
    """Messages the readers of files choose by value (by layer, count, convention)."""
    from cpgeo import _limits, _numbers, _validate, admin, io

    out = {*_validate.KIND_WORDS.values(), *_validate._WHERE_WORDS.values()}
    out |= {reason for _needle, reason in _validate._REASONS}
    out |= set(_validate._NOT_A_NUMBER.values())
    out |= {*_limits._TOO_MANY.values(), *io._OF_ROWS.values(), *_numbers._AMBIGUOUS.values()}
    out |= {*admin._MISSING_COLUMNS.values(), admin._LEVEL_NAMES[2], admin._LEVEL_NAMES[3]}
    return out


def test_extraction_finds_the_app_messages() -> None:
    messages = _app_messages()
    assert "Capacity (forums per office)" in messages
    assert "{part} of {whole}" in messages
    assert len(messages) > 200


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_app_message_has_a_translation(lang: str) -> None:
    missing = i18n.untranslated(sorted(_app_messages() | _dynamic_messages()), lang)
    assert not missing, missing


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_their_fields(lang: str) -> None:
    """A translation names the same {fields} as its message: none lost, none invented."""
    fields = re.compile(r"\{(\w*)\}")
    wrong = []
    for message in sorted(_app_messages() | _dynamic_messages()):
        text = i18n.gettext(message, lang)
        if sorted(fields.findall(text)) != sorted(fields.findall(message)):
            wrong.append((message, text))
    assert not wrong, wrong


# ------------------------------------------------------------------------ the walk


def _data_words() -> set[str]:
    """Words of the names the data has only in Latin letters, and of ids.

    The embedded communities (GeoNames) and their towns have no Arabic or Kurdish names,
    so those stay as the data writes them; offices, forums and stations have theirs
    (``name_ar``, ``name_ckb``), so their English names are not allowed.
    """
    demo = cpgeo.load_demo()
    values: list[str] = []
    values += demo.communities["name"].dropna().astype(str).tolist()
    for layer in (demo.offices, demo.cpfs, demo.stations):
        values += layer["id"].astype(str).tolist() + layer["town"].astype(str).tolist()
    values += demo.communities["id"].astype(str).tolist()
    return {word for value in values for word in LATIN_WORD.findall(value)}


def _texts(node: object, out: list[str]) -> None:
    """Collect the visible strings of an AppTest element tree (labels, bodies, options)."""
    kind = type(node).__name__
    label = getattr(node, "label", None)
    if kind in {"Expander", "Tab"} and isinstance(label, str):
        out.append(label)
    proto = getattr(node, "proto", None)
    if proto is not None and hasattr(proto, "DESCRIPTOR") and kind not in {"Html", "Exception"}:
        fields = MessageToDict(proto)
        for key in ("body", "label", "help", "placeholder", "caption"):
            if isinstance(fields.get(key), str):
                out.append(fields[key])
        out.extend(o for o in fields.get("options", []) if isinstance(o, str))
        if kind == "Dataframe":
            config = json.loads(fields.get("columns") or "{}")
            out.extend(str(c.get("label", "")) for c in config.values() if isinstance(c, dict))
            frame = node.value  # type: ignore[attr-defined]
            for column in frame.columns:
                if pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(
                    frame[column]
                ):
                    out.extend(frame[column].dropna().astype(str).tolist())
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _texts(child, out)


def _english(texts: list[str], allowed: set[str]) -> list[tuple[str, str]]:
    """Return (word, text) for each Latin word of ``texts`` that is not allowed."""
    found = []
    for text in texts:
        if CODE.match(text.strip()):
            continue
        cleaned = NOT_WORDS.sub(" ", text)
        for word in LATIN_WORD.findall(cleaned):
            if word.strip(QUOTES) not in allowed and word not in allowed:
                found.append((word, text))
    return found


def _walk(lang: str) -> dict[str, list[str]]:
    """Open every page in ``lang`` (a proposal made on the proposals page); their texts."""
    pages: dict[str, list[str]] = {}
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["lang"] = lang
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        at.switch_page(page).run()
        title = i18n.gettext(PAGE_TITLES[page], lang)
        assert [t.value for t in at.title] == [title], (page, [t.value for t in at.title])
        assert not at.exception, (page, [e.value for e in at.exception])
        if page.endswith("proposals.py"):
            wanted = i18n.gettext("Propose sites", lang)
            next(b for b in at.button if b.label == wanted).click().run()
            assert not at.exception, [e.value for e in at.exception]
            assert at.session_state.proposals is not None
        texts: list[str] = []
        _texts(at._tree, texts)
        pages[page] = texts
    return pages


@pytest.fixture(scope="module")
def walks() -> dict[str, dict[str, list[str]]]:
    return {lang: _walk(lang) for lang in TRANSLATED}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_english_left_on_any_page(walks, lang: str) -> None:
    allowed = KEPT | _data_words()
    for page, texts in walks[lang].items():
        written = [text for text in texts if re.search(r"[\u0600-\u06FF]", text)]
        assert len(written) >= 10, (page, len(written))
        left = _english(texts, allowed)
        assert not left, (page, left[:20])


def test_the_walk_finds_english() -> None:
    """The check fails on an English word that is not a name from the data."""
    allowed = KEPT | _data_words()
    assert _english(["Radius (km)"], allowed) == [("Radius", "Radius (km)"), ("km", "Radius (km)")]
    assert _english(["نصف القطر (Baghdad, CSV)"], allowed) == []


def test_language_from_the_link_and_the_sidebar() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "ckb"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == i18n.gettext("Coverage", "ckb")
    assert at.query_params["lang"] == ["ckb"] or at.query_params["lang"] == "ckb"
    # the page's direction is set for the browser (right to left), in the page itself
    scripts = [h.proto.body for h in at.get("html")]
    assert any('"dir", "rtl"' in body for body in scripts), scripts
    at.sidebar.selectbox(key="lang").set_value("en").run()
    assert at.title[0].value == "Coverage"
    assert any('"dir", "ltr"' in h.proto.body for h in at.get("html"))
    assert at.query_params["lang"] in ("en", ["en"])


def test_an_unknown_language_in_the_link_reads_english_and_says_so() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "fr"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Coverage"
    assert any("language" in i.value for i in at.info), [i.value for i in at.info]


def test_arabic_indic_digits_are_an_option() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "ar"
    at.run()
    western = {m.label: m.value for m in at.metric}
    assert any(re.search(r"[0-9]", v) for v in western.values()), western
    at.sidebar.toggle(key="digits_arab").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    arabic = {m.label: m.value for m in at.metric}
    assert arabic.keys() == western.keys()
    for label, value in arabic.items():
        assert not re.search(r"[0-9]", value), (label, value)
        assert re.search(r"[\u0660-\u0669]", value), (label, value)
    # the same figures, other digits
    arabic_digits = "".join(chr(0x660 + n) for n in range(10)) + "\u066b\u066c\u066a"
    to_western = str.maketrans(arabic_digits, "0123456789.,%")
    assert {k: v.translate(to_western) for k, v in arabic.items()} == {
        k: v.replace("\u066a", "%") for k, v in western.items()
    }
    table = at.dataframe[0].value
    cells = " ".join(table.astype(str).to_numpy().ravel().tolist())
    assert re.search(r"[\u0660-\u0669]", cells) and not re.search(r"[0-9]", cells), cells[:300]
    # English pages keep Western digits whatever the toggle said
    at.sidebar.selectbox(key="lang").set_value("en").run()
    assert all(not re.search(r"[\u0660-\u0669]", m.value) for m in at.metric)
    # the choice belonged to that session's runs, not to this thread
    assert i18n.digits_in_use() == "latn"


def test_a_bad_upload_is_explained_in_the_page_s_language() -> None:
    """What is wrong with an uploaded file is said in Arabic, then in Kurdish once chosen."""
    csv = (
        "id,name,latitude,longitude\n"
        "T,Tikrit,34.6158,43.6786\n"
        "R,Ramadi,33.4258,43.2992\n"
        "X,Nowhere,,44.5\n"
    )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["lang"] = "ar"
    at.run()
    at.sidebar.radio(key="data_source").set_value("files").run()
    at.file_uploader(key="upload_offices").set_value(("mine.csv", csv.encode(), "text/csv"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    allowed = KEPT | {"mine", "csv", "latitude", "Load"}
    for lang, row, missing in (
        ("ar", "الصف 4", "إحداثية مفقودة"),
        ("ckb", "ڕیزی 4", "پۆتانێک نییە"),
    ):
        errors = [e.value for e in at.error]
        assert errors, lang
        assert all(row in e and missing in e for e in errors), (lang, errors)
        assert not _english(errors, allowed), (lang, _english(errors, allowed))
        at.sidebar.selectbox(key="lang").set_value("ckb").run()
    # used without the bad row: what was left out, and why, in Kurdish
    at.button(key="leave_out_offices").click().run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.warning if "mine" in w.value]
    assert len(warnings) == 1, [w.value for w in at.warning]
    assert "پۆتانەکان نین" in warnings[0], warnings
    assert not _english(warnings, allowed), _english(warnings, allowed)
