"""The PDF report: read back with pypdf (text, fonts, images, metadata) and rendered."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import fpdf
import pandas as pd
import pytest
from pypdf import PdfReader

from cpgeo import report
from cpgeo.report import write_report

NOTICE = (
    "ILLUSTRATIVE DATA: the offices and forums in this report are invented for "
    "demonstration, placed at real towns; they are not the programme's real sites."
)
HEADLINE = [
    ("Communities", "162"),
    ("Population", "25,805,437"),
    ("Communities within the radius", "37"),
    ("Share of the population within the radius", "55.6%"),
    ("Offices", "7"),
    ("Offices over capacity", "2"),
    ("Forums", "32"),
]
SOURCES = [
    ("Administrative boundaries", "OCHA COD-AB Iraq 2021"),
    ("Communities", "OpenStreetMap contributors (ODbL)"),
]
NOTES = [
    "Figures by donor are attributed and add up to more than the total.",
    "Counts below five are shown as fewer than five.",
]
TRICKY = "<b>x</b> **y** [link](http://evil)"
NON_LATIN = "Şêx — محافظة"
A4 = (595.28, 841.89)


def _long_table(n: int = 120) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Forum id": [f"CPF-{i:03d}" for i in range(n)],
            "Community": [f"Village {i}" for i in range(n)],
            "Declared office": [f"CPO-{i % 9:02d}" for i in range(n)],
            "Distance (km)": [f"{i * 0.7:.1f}" for i in range(n)],
        }
    )


def _wide_table() -> pd.DataFrame:
    """Eleven columns with long headers and wide numbers, like the governorate table."""
    headers = [
        "Governorate",
        "Communities",
        "Communities within the radius",
        "Population",
        "Population within the radius",
        "Share of the population within the radius",
        "Offices",
        "Offices over capacity",
        "Forums",
        "Forums served within capacity",
        "Forums with no office in range",
    ]
    rows = [
        [f"Governorate {i}", "19", "7", "8,466,000", "8,466,000", "100.0%", "1", "0", "9", "5", "2"]
        for i in range(18)
    ]
    rows.append(["Sulaymaniyah", *rows[0][1:]])
    return pd.DataFrame(rows, columns=headers)


def _map_png(folder: Path) -> Path:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 4.2), dpi=50)
    ax = fig.add_subplot()
    ax.plot([44, 45, 46], [33, 34, 33], "o-")
    path = folder / "map.png"
    fig.savefig(path)
    return path


def _write(path: Path, **kwargs: object) -> Path:
    options: dict[str, object] = {
        "title": "Community policing footprint — Germany",
        "date": "2024-06-30",
    }
    options.update(kwargs)
    return write_report(path, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    return _write(
        folder / "full.pdf",
        subtitle=["Donor: Germany", "Radius 50 km"],
        marking="RESTRICTED",
        notice=NOTICE,
        map_png=_map_png(folder),
        map_caption="Sites generalised to the district.",
        headline=HEADLINE,
        tables=[
            ("Figures by governorate", _wide_table()),
            ("Forums", _long_table()),
            ("Names", pd.DataFrame({"Name": [TRICKY, NON_LATIN, "{nb}"]})),
        ],
        notes=NOTES,
        sources=SOURCES,
        data_date="2024-05-31",
    )


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No marking, no notice, no map."""
    folder = tmp_path_factory.mktemp("plain")
    return _write(folder / "plain.pdf", headline=HEADLINE, tables=[("Forums", _long_table(10))])


def _texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def _flat(text: str) -> str:
    """Text with every run of white space as one space (lines wrap anywhere)."""
    return " ".join(text.split())


def test_returns_the_path_and_writes_a_pdf(full: Path) -> None:
    assert full.read_bytes().startswith(b"%PDF-")
    assert len(PdfReader(full).pages) >= 4


def test_title_date_subtitle_and_headline_on_page_one(full: Path) -> None:
    first = _flat(_texts(full)[0])
    assert "Community policing footprint — Germany" in first
    assert "2024-06-30" in first
    assert "Donor: Germany" in first
    assert "Radius 50 km" in first
    assert "Sites generalised to the district." in first
    for label, value in HEADLINE:
        assert re.search(rf"{re.escape(label)} {re.escape(value)}(?!\S)", first), label


def test_every_cell_of_the_wide_table_is_printed(full: Path) -> None:
    text = _flat(" ".join(_texts(full)))
    frame = _wide_table()
    for row in frame.itertuples(index=False):
        assert " ".join(row) in text
    for header in frame.columns:
        assert all(word in text for word in header.split())


def test_long_table_spans_pages_with_its_header_row_repeated(full: Path) -> None:
    texts = _texts(full)
    pages = [i for i, t in enumerate(texts) if "CPF-" in t]
    assert len(pages) >= 3
    assert pages == list(range(pages[0], pages[-1] + 1))
    for i in pages:
        assert "Forum id Community Declared office Distance (km)" in _flat(texts[i]), i
    text = _flat(" ".join(texts))
    for i in (0, 57, 119):
        assert f"CPF-{i:03d} Village {i} CPO-{i % 9:02d} {i * 0.7:.1f}" in text


def test_sources_data_date_and_notes(full: Path) -> None:
    text = _flat(" ".join(_texts(full)))
    assert "Data sources" in text
    for layer, source in SOURCES:
        assert f"{layer} {source}" in text
    assert "Data as of 2024-05-31." in text
    assert "Notes" in text
    for note in NOTES:
        assert note in text


def test_marking_in_header_and_footer_of_every_page(full: Path) -> None:
    texts = _texts(full)
    for i, text in enumerate(texts):
        assert text.count("RESTRICTED") >= 2, f"page {i + 1}"
        assert text.lstrip().startswith("RESTRICTED"), f"page {i + 1}"  # header first
        assert f"page {i + 1} of {len(texts)}" in text
        assert "2024-06-30" in text


def test_marking_in_the_metadata(full: Path) -> None:
    meta = PdfReader(full).metadata
    assert meta is not None
    assert meta.title == "RESTRICTED — Community policing footprint — Germany"
    assert "RESTRICTED" in (meta.subject or "")
    assert "RESTRICTED" in str(meta.get("/Keywords"))


def test_no_marking_anywhere_when_not_given(plain: Path) -> None:
    reader = PdfReader(plain)
    assert all("RESTRICTED" not in page.extract_text() for page in reader.pages)
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Community policing footprint — Germany"
    assert "RESTRICTED" not in f"{meta.subject} {meta.get('/Keywords')}"
    assert all("ILLUSTRATIVE" not in page.extract_text() for page in reader.pages)


def test_metadata(full: Path) -> None:
    meta = PdfReader(full).metadata
    assert meta is not None
    assert meta.author == "cpgeo"
    assert (meta.creator or "").startswith("cpgeo")
    assert (meta.producer or "").startswith("fpdf2")
    created = meta.creation_date
    assert created is not None
    assert created.utcoffset() == dt.timedelta(0)
    now = dt.datetime.now(dt.UTC)
    assert now - dt.timedelta(minutes=10) < created <= now + dt.timedelta(seconds=5)


def test_notice_boxed_on_page_one_and_in_every_footer(full: Path) -> None:
    texts = _texts(full)
    assert NOTICE in _flat(texts[0])
    for i, text in enumerate(texts):
        assert "ILLUSTRATIVE DATA: the offices and forums" in text, f"page {i + 1}"


def test_text_from_data_is_never_markup_nor_a_link(full: Path) -> None:
    text = " ".join(_texts(full))
    assert TRICKY in text
    assert "{nb}" in text  # the page-total alias is not applied to data
    for page in PdfReader(full).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            assert action is None or "/URI" not in action.get_object()
    assert b"/URI" not in full.read_bytes()


def test_non_latin_text_with_an_embedded_font(full: Path) -> None:
    text = unicodedata.normalize("NFKC", " ".join(_texts(full)))
    assert "Şêx —" in text
    arabic = "محافظة"
    # without shaping the glyphs are stored in visual order, right to left
    assert arabic in text or arabic[::-1] in text
    for page in PdfReader(full).pages:
        resources: Any = page["/Resources"]
        fonts: list[Any] = [f.get_object() for f in resources["/Font"].values()]
        names = [str(f["/BaseFont"]) for f in fonts]
        assert names
        assert all("DejaVuSans" in n for n in names), names
        assert not any("Helvetica" in n for n in names)
        for font in fonts:  # a Type0 font whose descendant carries the font file
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor.get_object()


def test_pages_are_a4_portrait(full: Path, plain: Path) -> None:
    for path in (full, plain):
        for page in PdfReader(path).pages:
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            assert width == pytest.approx(A4[0], abs=0.5)
            assert height == pytest.approx(A4[1], abs=0.5)


def test_eleven_columns_fit_a_portrait_page() -> None:
    pdf = report._Report(title="t", date="d", marking=None, notice=None)
    pdf.add_page()
    layout = report._layout(pdf, _wide_table())
    assert not layout.landscape
    assert layout.size >= 7
    assert sum(layout.widths) <= pdf.epw + 1e-6
    assert layout.align[0] == "LEFT"
    assert set(layout.align[1:]) == {"RIGHT"}
    pdf.release()


def test_too_wide_a_table_goes_landscape_then_back(tmp_path: Path) -> None:
    wide = pd.DataFrame(
        {f"Column number {j}": [f"{i * j * 1013:,d}" for i in range(5)] for j in range(18)}
    )
    path = _write(tmp_path / "wide.pdf", tables=[("Wide", wide)], notes=["After the table."])
    pages = PdfReader(path).pages
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in pages]
    texts = [p.extract_text() for p in pages]
    wide_pages = [i for i, t in enumerate(texts) if "Column number 17" in _flat(t)]
    assert wide_pages
    for i in wide_pages:
        assert sizes[i] == pytest.approx((A4[1], A4[0]), abs=0.5)  # landscape
    last = len(pages) - 1
    assert "After the table." in texts[last]
    assert sizes[last] == pytest.approx(A4, abs=0.5)  # back to portrait
    assert "4,052 5,065" in _flat(" ".join(texts))  # cells of row 1, columns 4 and 5


def _image_count(page: object) -> int:
    xobjects = page["/Resources"].get("/XObject") or {}  # type: ignore[index]
    return sum(1 for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image")


def test_map_image_on_page_one(full: Path, plain: Path) -> None:
    assert _image_count(PdfReader(full).pages[0]) == 1
    assert all(_image_count(p) == 0 for p in PdfReader(full).pages[1:])
    assert all(_image_count(p) == 0 for p in PdfReader(plain).pages)


def _placements(path: Path) -> list[tuple[float, float, float, float]]:
    """Width, height, x and y (pt) of each image drawn on page 1."""
    content = PdfReader(path).pages[0].get_contents()
    assert content is not None
    found = re.findall(
        r"([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm\s*/I\d+ Do",
        content.get_data().decode("latin-1"),
    )
    return [(float(w), float(h), float(x), float(y)) for w, h, x, y in found]


def test_map_full_width_with_its_aspect_kept(full: Path, tmp_path: Path) -> None:
    png = _map_png(tmp_path)  # 200 x 210 pixels
    alone = _write(tmp_path / "map.pdf", map_png=png)
    usable = A4[0] - 2 * report._MARGIN * 72 / 25.4
    [(w, h, x, _)] = _placements(alone)
    assert w == pytest.approx(usable, abs=0.5)
    assert h / w == pytest.approx(210 / 200, rel=0.01)
    [(w, h, x, _)] = _placements(full)  # less room: smaller, still centred, same shape
    assert 0.6 * usable < w <= usable + 0.5
    assert h / w == pytest.approx(210 / 200, rel=0.01)
    assert x + w / 2 == pytest.approx(A4[0] / 2, abs=0.5)


def test_missing_map_picture(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"map picture .*nowhere\.png not found"):
        _write(tmp_path / "r.pdf", map_png=tmp_path / "nowhere.png")
    assert not (tmp_path / "r.pdf").exists()


def test_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF- the old report")

    def half_written(self: fpdf.FPDF, name: str = "", *args: object, **kwargs: object) -> None:
        Path(name).write_bytes(b"%PDF-1.4 half")
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(fpdf.FPDF, "output", half_written)
    with pytest.raises(OSError, match="disk full"):
        _write(path, headline=HEADLINE)
    assert path.read_bytes() == b"%PDF- the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_pages_render(full: Path, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    result = subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(full), str(tmp_path / "page")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # poppler reports broken content streams here
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == len(PdfReader(full).pages)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)


# ------------------------------------------------------------- Arabic and Kurdish

ARABIC_TITLE = "انتشار الشرطة المجتمعية، Germany\u200f، 30 حزيران 2024"
ARABIC_TABLE = pd.DataFrame(
    {"المحافظة": ["نينوى", "الانبار"], "المكاتب": ["3", "1"], "السكان": ["1,842,818", "غير معروف"]}
)


def _words(path: Path) -> list[tuple[str, float]]:
    """Each text run of page 1 with its x position (points from the left)."""
    runs: list[tuple[str, float]] = []

    def visit(text: str, _cm: Any, tm: Any, _font: Any, _size: Any) -> None:
        if text.strip():
            runs.append((text, float(tm[4])))

    PdfReader(path).pages[0].extract_text(visitor_text=visit)
    return runs


@pytest.mark.parametrize("lang", ["ar", "ckb"])
def test_a_right_to_left_report_is_shaped_and_starts_on_the_right(
    tmp_path: Path, lang: str
) -> None:
    path = _write(
        tmp_path / f"{lang}.pdf", title=ARABIC_TITLE, date="30 حزيران 2024",
        marking="RESTRICTED · مقيَّد التداول", notes=["ملاحظة للتجربة"],
        tables=[("حسب المحافظة", ARABIC_TABLE)], sources=SOURCES, lang=lang,
    )
    text = _flat(" ".join(_texts(path)))
    for words in ("الشرطة المجتمعية", "نينوى", "ملاحظة للتجربة", "RESTRICTED", "Germany"):
        assert words in text, words
    reader = PdfReader(path)
    # the report's own words in the language (the Arabic catalog says "Notes" so)
    from cpgeo.i18n import gettext

    for heading in ("Notes", "Data sources"):
        assert gettext(heading, lang) in text and gettext(heading, lang) != heading
    assert reader.trailer["/Root"]["/Lang"] == lang
    # shaped: the joined forms are other glyphs than the letters alone, so the title's
    # words take less room than their letters side by side (HarfBuzz did the shaping)
    pdf = _shaping_pdf(lang)
    joined = pdf.get_string_width("الشرطة المجتمعية")
    pdf.set_text_shaping(False)
    assert joined < 0.95 * pdf.get_string_width("الشرطة المجتمعية")
    _close(pdf)
    # right to left: a short line ends at the right margin, the first column is rightmost
    runs = _words(path)
    note_x = min(x for t, x in runs if "للتجربة" in t)
    assert note_x > A4[0] * 0.6
    governorate_x = max(x for t, x in runs if "المحافظة" in t and len(t) < 12)
    population_x = min(x for t, x in runs if "السكان" in t)
    assert governorate_x > population_x


def _shaping_pdf(lang: str) -> fpdf.FPDF:
    pdf = fpdf.FPDF()
    report._fonts(pdf, lang)
    return pdf


def _close(pdf: fpdf.FPDF) -> None:
    for font in pdf.fonts.values():
        font.close()  # type: ignore[union-attr]


def test_an_english_report_is_not_shaped_nor_mirrored(full: Path) -> None:
    pdf = _shaping_pdf("en")
    assert pdf.text_shaping is None
    _close(pdf)
    assert PdfReader(full).trailer["/Root"]["/Lang"] == "en"
