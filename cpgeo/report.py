"""The PDF report: A4 pages a donor can print and file (layout only).

:func:`write_report` receives text that is ready to read (labels, formatted figures,
tables of text cells from :func:`cpgeo.labels.display_table`) and a map picture; it
knows nothing of geometry or of how the figures were computed.

Why fpdf2
---------
- It is a pure Python wheel, and its dependencies (Pillow, fontTools, defusedxml) ship
  wheels for every common platform: ``pip install .`` works on any machine, including
  the locked-down laptop of a field office, with no system libraries. WeasyPrint needs
  Pango and GLib (and, before version 53, cairo) from the operating system, which is
  where installs fail on Windows and in slim containers.
- It embeds TrueType fonts and subsets them (only the glyphs used are stored), so names
  such as "Şêx" or an Arabic governorate name print on any reader, and the file stays
  small. The core PDF fonts (Helvetica and friends) cover Latin-1 only.
- It shapes text with HarfBuzz (``uharfbuzz``) when asked, which Arabic needs: joined
  letter forms and right-to-left order. It is one documented switch in the same library
  (see :func:`_fonts`), not a separate reshaping and bidi step before every string.
- It gives direct control of the document metadata (title, subject, keywords, dates),
  which carries the handling marking.
- It is actively maintained, typed, and its table layout breaks across pages and
  repeats the header row. ReportLab would work too; its layout engine (Platypus) is a
  larger framework than a few pages of text, tables and one picture need, with more
  of our own code for page templates, and its richer tooling is a commercial add-on.

Text from data is printed as plain text: never read as markup (``markdown=False``,
no HTML) and never turned into links.

Languages
---------
``write_report(..., lang=)`` sets the report's own words (section headings, "page N of
M") in English, Arabic or Central Kurdish (:mod:`cpgeo.i18n`). Arabic and Kurdish
pages are laid out right to left: HarfBuzz shapes the text (joined letters, bidi order
with Latin names and numbers kept left to right inside a line), lines start at the
right margin, tables read from the right (their first column rightmost) and the footer
is mirrored. DejaVu Sans and DejaVu Sans Bold (matplotlib's) carry the Arabic letters,
with those Kurdish adds (U+06CE, U+06C6, U+06B5, U+0695, U+06D5); DejaVu Sans Oblique
does not, so an Arabic-script report sets its captions upright.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import cast

import matplotlib
import pandas as pd
from fpdf import FPDF, FontFace
from fpdf import __version__ as fpdf_version
from fpdf.enums import CellBordersLayout
from fpdf.fonts import TTFFont

from cpgeo._atomic import atomic_target
from cpgeo._log import log
from cpgeo.i18n import gettext, is_rtl, language

#: The font family registered by :func:`_fonts` (DejaVu Sans, bundled with matplotlib).
FONT = "DejaVuSans"

# Colours (RGB 0-255). The marking and the notice use the same red.
_RED = (178, 24, 24)
_INK = (33, 33, 33)
_GREY = (110, 110, 110)
_RULE = (185, 185, 185)
_HEAD_FILL = (228, 233, 240)
_STRIPE_FILL = (246, 247, 249)

# Page geometry, millimetres.
_MARGIN = 15.0
_TOP = 24.0  # the header sits above this
_BOTTOM = 24.0  # the footer sits below this
_PAD_V = 0.9
_PAD_H = 1.1

#: Table font sizes tried in turn (points): the largest at which the table fits wins.
#: Below the last one a table reads better on landscape pages.
_TABLE_SIZES = (9.0, 8.5, 8.0, 7.5, 7.0)
#: The header row is set this much smaller than the cells (points): it is bold.
_HEAD_SMALLER = 0.5

_NUMERIC = re.compile(r"^[+\-\u2212]?\d[\d,]*(\.\d+)?( ?%| points)?$")
#: A number as Babel writes it for Arabic and Kurdish (digits of either system, Arabic
#: separators, the percent signs), once the direction marks are taken out.
_NUMERIC_RTL = re.compile(
    r"^[+\-\u2212]?[\d\u0660-\u0669][\d\u0660-\u0669,.\u066b\u066c]*[%\u066a]?$"
)
_MARKS = re.compile(r"[\u200e\u200f\u061c\u00a0 ]")

#: The HarfBuzz language (BCP 47) of each right-to-left language.
_SHAPING_LANGUAGE = {"ar": "ar", "ckb": "ckb"}
_ELLIPSIS = "\u2026"


def _fonts(pdf: FPDF, lang: str = "en") -> None:
    """Register the embedded TrueType fonts and select the body font.

    DejaVu Sans comes with matplotlib (a dependency already), covers Latin, Cyrillic,
    Greek and Arabic (with the letters of Kurdish), and is embedded as a subset. This
    is the one place that switches on text shaping (HarfBuzz, through uharfbuzz) for
    a right-to-left language, so that Arabic script is joined and laid out right to
    left everywhere in the report; its "italic" is upright DejaVu Sans, as the oblique
    face has no Arabic letters.
    """
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    rtl = is_rtl(lang)
    pdf.add_font(FONT, "", folder / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", folder / "DejaVuSans-Bold.ttf")
    pdf.add_font(FONT, "I", folder / ("DejaVuSans.ttf" if rtl else "DejaVuSans-Oblique.ttf"))
    if rtl:
        pdf.set_text_shaping(
            True, direction="rtl", script="arab", language=_SHAPING_LANGUAGE[language(lang)]
        )
    pdf.set_font(FONT, "", 10)


def _rtl(pdf: FPDF) -> bool:
    """Return True when the report is laid out right to left."""
    return bool(getattr(pdf, "rtl", False))


def _start(pdf: FPDF) -> str:
    """Where a line starts: left, or right in a right-to-left report."""
    return "R" if _rtl(pdf) else "L"


def _mirror(align: str) -> str:
    return {"LEFT": "RIGHT", "RIGHT": "LEFT", "L": "R", "R": "L"}.get(align, align)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Return ``text`` shortened with an ellipsis to fit ``width`` (current font)."""
    text = " ".join(text.split())
    if pdf.get_string_width(text) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if pdf.get_string_width(text[:mid].rstrip() + _ELLIPSIS) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + _ELLIPSIS


class _Report(FPDF):
    """An A4 document whose every page carries the header and footer of the report."""

    def __init__(
        self,
        *,
        title: str,
        date: str,
        marking: str | None,
        notice: str | None,
        lang: str = "en",
    ):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.lang = language(lang)
        self.rtl = is_rtl(self.lang)
        self.report_title = title
        self.report_date = date
        self.marking = marking
        self.notice = notice
        # The page total is substituted only where the footer asks for it, so a "{nb}"
        # in a donor's name or a note is printed as it is (see header and footer).
        self.alias_nb_pages("")
        self.set_margins(_MARGIN, _TOP, _MARGIN)
        self.set_auto_page_break(True, margin=_BOTTOM)
        _fonts(self, self.lang)

    def header(self) -> None:
        """Print the marking centred at the top, then the short title and a rule."""
        self.alias_nb_pages("")
        y = 8.0
        if self.marking:
            self.set_xy(_MARGIN, y)
            self.set_font(FONT, "B", 10)
            self.set_text_color(*_RED)
            self.cell(self.epw, 5, _fit(self, self.marking, self.epw), align="C")
            y += 6.0
        self.set_xy(_MARGIN, y)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*_GREY)
        self.cell(self.epw, 4, _fit(self, self.report_title, self.epw), align=_start(self))
        self.set_draw_color(*_RULE)
        self.set_line_width(0.2)
        self.line(_MARGIN, y + 4.6, self.w - _MARGIN, y + 4.6)
        self.set_xy(_MARGIN, _TOP)
        self._body_style()

    def footer(self) -> None:
        """Print the notice (shortened), a rule, then date, marking and "page N of M"."""
        base = self.h - 13.0
        if self.notice:
            self.set_xy(_MARGIN, base - 5.5)
            self.set_font(FONT, "", 7)
            self.set_text_color(*_RED)
            self.cell(self.epw, 4, _fit(self, self.notice, self.epw), align="C")
        self.set_draw_color(*_RULE)
        self.set_line_width(0.2)
        self.line(_MARGIN, base, self.w - _MARGIN, base)
        third = self.epw / 3
        # the date where a line starts, the page number where it ends (mirrored in RTL)
        date_x, page_x = (2 * third, 0.0) if self.rtl else (0.0, 2 * third)
        self.set_xy(_MARGIN + date_x, base + 1.5)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*_GREY)
        self.cell(third, 5, _fit(self, self.report_date, third), align=_start(self))
        if self.marking:
            self.set_xy(_MARGIN + third, base + 1.5)
            self.set_font(FONT, "B", 9)
            self.set_text_color(*_RED)
            self.cell(third, 5, _fit(self, self.marking, third), align="C")
        self.set_xy(_MARGIN + page_x, base + 1.5)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*_GREY)
        self.alias_nb_pages("{nb}")
        page = gettext("page {page} of {total}", self.lang).format(
            page=self.page_no(), total="{nb}"
        )
        self.cell(third, 5, page, align=_mirror("R") if self.rtl else "R")
        # Left on: output() substitutes the total only when an alias is set. The next
        # page's header turns it off before any other text.
        self._body_style()

    def release(self) -> None:
        """Close the font files (output() does it, but not when a step before it fails)."""
        for font in self.fonts.values():
            if isinstance(font, TTFFont):
                font.close()

    def _body_style(self) -> None:
        self.set_font(FONT, "", 9.5)
        self.set_text_color(*_INK)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.2)


def write_report(
    path: str | Path,
    *,
    title: str,
    date: str,
    subtitle: Sequence[str] = (),
    marking: str | None = None,
    notice: str | None = None,
    map_png: str | Path | None = None,
    map_caption: str | None = None,
    headline: Sequence[tuple[str, str]] = (),
    tables: Sequence[tuple[str, pd.DataFrame]] = (),
    notes: Sequence[str] = (),
    sources: Sequence[tuple[str, str]] = (),
    data_date: str | None = None,
    author: str = "cpgeo",
    lang: str = "en",
) -> Path:
    """Write an A4 PDF report: title page with the map, figures, tables, notes, sources.

    Page 1 holds the title, the subtitle lines, the notice (boxed, red), the headline
    figures and the map: full width, or as large as the rest of the page allows (aspect
    kept), or on a page of its own when less than 60% of its full-width height is left.
    The tables, the notes and the data sources follow. Every page has a header (marking,
    short title) and a footer (date, marking, notice shortened, "page N of M"). All text
    is printed as plain text.

    Parameters
    ----------
    path
        The PDF to write; replaced atomically (a reader sees the old file or the new
        one). Its folder is created if needed.
    title
        The report's title, e.g. "Community policing footprint — Germany".
    date
        The date the report describes, as it should read ("2024-06-30").
    subtitle
        Lines printed under the title (donor, radius, when computed...).
    marking
        A handling marking such as "RESTRICTED", printed in red at the top and bottom
        of every page and put in the title, subject and keywords of the metadata.
    notice
        A notice that the data are illustrative: boxed in red on page 1 and, shortened
        to one line, in the footer of every page.
    map_png
        The map picture (with its own scale bar, north arrow and legend).
    map_caption
        A line under the map (e.g. how the sites were generalised).
    headline
        ``(label, value)`` pairs of formatted figures, shown in two columns.
    tables
        ``(heading, frame)`` pairs. A frame's columns are the header row and its cells
        are text (anything else is printed with ``str``; missing values as blanks); the
        index is not shown. A long table continues over pages with its header row
        repeated; a wide one gets a smaller font and wrapped headers, and goes on
        landscape pages when it cannot fit across a portrait page.
    notes
        Paragraphs, printed under "Notes".
    sources
        ``(layer, source)`` pairs, printed as a "Data sources" table.
    data_date
        Printed as "Data as of ..." in the data sources section.
    author
        The author in the metadata.
    lang
        {"en", "ar", "ckb"}: the language of the report's own words (headings, page
        numbers) and of its metadata; Arabic and Kurdish are shaped and laid out right
        to left (see the module docstring). The other text is printed as given.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    if map_png is not None and not Path(map_png).is_file():
        msg = f"write_report: map picture {map_png} not found"
        raise FileNotFoundError(msg)
    lang = language(lang)
    pdf = _Report(title=title, date=date, marking=marking, notice=notice, lang=lang)
    try:
        _metadata(pdf, title=title, date=date, marking=marking, author=author, lang=lang)
        pdf.add_page()
        _title_block(pdf, title, date, subtitle)
        if notice:
            _notice_box(pdf, notice)
        if headline:
            _headline(pdf, headline)
        if map_png is not None:
            _map(pdf, Path(map_png), map_caption)
        for heading, frame in tables:
            _table(pdf, heading, frame)
        if notes:
            _portrait(pdf)
            _section(pdf, gettext("Notes", lang))
            for paragraph in notes:
                _paragraph(pdf, paragraph)
        if sources or data_date:
            _portrait(pdf)
            _section(pdf, gettext("Data sources", lang))
            if sources:
                frame = pd.DataFrame(
                    [list(s) for s in sources],
                    columns=[gettext("Layer", lang), gettext("Source", lang)],
                )
                frame = _oriented(pdf, frame)
                _grid(pdf, frame, _layout(pdf, frame, allow_landscape=False))
            if data_date:
                pdf.ln(2)
                _paragraph(pdf, gettext("Data as of {date}.", lang).format(date=data_date))
        with atomic_target(path) as tmp:
            pdf.output(str(tmp))
    finally:
        pdf.release()
    log(f"write_report: {pdf.pages_count} pages to {path}")
    return path


def _metadata(
    pdf: FPDF, *, title: str, date: str, marking: str | None, author: str, lang: str = "en"
) -> None:
    try:
        cpgeo_version = version("cpgeo")
    except PackageNotFoundError:  # a source tree that is not installed
        cpgeo_version = "0+unknown"
    prefix = f"{marking} \u2014 " if marking else ""
    pdf.set_title(prefix + title)
    pdf.set_subject(f"{prefix}{title}, {date}")
    pdf.set_keywords(", ".join([*([marking] if marking else []), "community policing", date]))
    pdf.set_author(author)
    pdf.set_creator(f"cpgeo {cpgeo_version}")
    pdf.set_producer(f"fpdf2 {fpdf_version}")
    pdf.set_creation_date(dt.datetime.now(dt.UTC))
    pdf.set_lang(lang)


def _title_block(pdf: FPDF, title: str, date: str, subtitle: Sequence[str]) -> None:
    pdf.set_font(FONT, "B", 17)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(0, 7.5, title, align=_start(pdf), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 5, date, align=_start(pdf), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9.5)
    pdf.set_text_color(*_GREY)
    for line in subtitle:
        pdf.multi_cell(0, 4.8, line, align=_start(pdf), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_INK)
    pdf.ln(3)


def _notice_box(pdf: FPDF, notice: str) -> None:
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*_RED)
    pdf.set_draw_color(*_RED)
    pdf.set_line_width(0.5)
    pdf.multi_cell(
        0, 4.6, notice, align=_start(pdf), border=1, padding=(2, 3), new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    pdf.ln(4)


def _headline(pdf: FPDF, headline: Sequence[tuple[str, str]]) -> None:
    """Print the figures in two columns (read down the left column, then the right)."""
    half = math.ceil(len(headline) / 2)
    left, right = headline[:half], headline[half:]
    size = 8.5
    pdf.set_font(FONT, "B", size)
    value_w = max(pdf.get_string_width(v) for _, v in headline) + 2 * _PAD_H + 1
    value_w = min(max(value_w, 18.0), 0.2 * pdf.epw)
    gap = 6.0
    label_w = (pdf.epw - gap - 2 * value_w) / 2
    pdf.set_font(FONT, "", size)
    plain = FontFace(family=FONT, emphasis="", size_pt=size, color=_INK)
    bold = FontFace(family=FONT, emphasis="B", size_pt=size, color=_INK)
    rtl = _rtl(pdf)
    widths = (label_w, value_w, gap, label_w, value_w)
    with pdf.table(
        col_widths=widths[::-1] if rtl else widths,
        width=pdf.epw,
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        line_height=size * 0.3528 * 1.3,
        padding=(_PAD_V + 0.3, _PAD_H),
        markdown=False,
        v_align="MIDDLE",
    ) as table:
        for i in range(half):
            row = table.row()
            # right to left: the first column of figures on the right, labels outermost
            for pairs in (right, left) if rtl else (left, right):
                if i < len(pairs):
                    cells = [(pairs[i][0], "LEFT", plain), (pairs[i][1], "RIGHT", bold)]
                    if rtl:
                        cells = [(text, _mirror(a), style) for text, a, style in cells[::-1]]
                    for text, align, style in cells:
                        row.cell(text, align=align, style=style)
                else:
                    row.cell("")
                    row.cell("")
                if pairs is (right if rtl else left):
                    row.cell("", border=CellBordersLayout.NONE)
    pdf.ln(4)


def _map(pdf: FPDF, png: Path, caption: str | None) -> None:
    from PIL import Image

    with Image.open(png) as image:
        px_w, px_h = image.size
    caption_h = 0.0
    if caption:
        pdf.set_font(FONT, "I", 8)
        lines = pdf.multi_cell(pdf.epw, 3.8, caption, dry_run=True, output="LINES")
        caption_h = 3.8 * len(cast("list[str]", lines)) + 1.5
    full = pdf.epw * px_h / px_w  # height at full width
    room = pdf.page_break_trigger - pdf.get_y() - caption_h
    if room < 0.6 * full:  # rather a page of its own than a postage stamp
        pdf.add_page(same=True)
        room = pdf.page_break_trigger - pdf.get_y() - caption_h
    h = min(full, room)
    w = h * px_w / px_h
    x = pdf.l_margin + (pdf.epw - w) / 2
    pdf.image(str(png), x=x, y=pdf.get_y(), w=w, h=h)
    pdf.set_y(pdf.get_y() + h + 1.5)
    if caption:
        pdf.set_font(FONT, "I", 8)
        pdf.set_text_color(*_GREY)
        pdf.multi_cell(0, 3.8, caption, align=_start(pdf), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*_INK)
    pdf.ln(3)


def _portrait(pdf: FPDF) -> None:
    """Go back to a portrait page after a table printed on landscape pages."""
    if pdf.cur_orientation.name != "PORTRAIT":
        pdf.add_page(orientation="portrait")


def _section(pdf: FPDF, heading: str, *, keep_with: float = 25.0) -> None:
    """Print a section heading, on the next page rather than alone at the bottom."""
    if pdf.will_page_break(10 + keep_with):
        pdf.add_page(same=True)
    elif pdf.get_y() > pdf.t_margin + 1:
        pdf.ln(3)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(0, 6, heading, align=_start(pdf), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    pdf.set_font(FONT, "", 9.5)


def _paragraph(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "", 9.5)
    pdf.set_text_color(*_INK)
    pdf.multi_cell(
        0, 4.8, text, align=_start(pdf), new_x="LMARGIN", new_y="NEXT", markdown=False
    )
    pdf.ln(2)


@dataclass(frozen=True)
class _Layout:
    """How a table is printed: font size (pt), column widths (mm), alignments, page."""

    size: float
    widths: tuple[float, ...]
    align: tuple[str, ...]
    landscape: bool


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _cells(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    header = [_text(c) for c in frame.columns]
    rows = [[_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return header, rows


#: A cell this short (characters) is a name or a number: kept on one line.
_SHORT = 30

#: A word wider than this (mm, e.g. a web address) may be broken anywhere.
_LONGEST_WORD = 60.0


def _widths(pdf: FPDF, texts: Sequence[str], style: str, size: float) -> tuple[float, float]:
    """Return the width of the widest text and the width below which one would be cut.

    A short text (a name, a number) counts whole: it is not to wrap. A longer one may
    wrap at spaces, so only its longest word counts. Millimetres, padding included.
    """
    pdf.set_font(FONT, style, size)
    slack = 2 * _PAD_H + 0.4
    whole, least = 0.0, 0.0
    # fpdf2 breaks a shaped line by the widths of the letters unjoined (wider than the
    # joined word): measured so, an Arabic header's word is not cut in two
    shaping, pdf.text_shaping = pdf.text_shaping, None
    try:
        for text in texts:
            width = pdf.get_string_width(text)
            whole = max(whole, width)
            if len(text) > _SHORT:
                width = max((pdf.get_string_width(w) for w in text.split()), default=0.0)
            least = max(least, min(width, _LONGEST_WORD - slack))
    finally:
        pdf.text_shaping = shaping
    return whole + slack, least + slack


def _layout(pdf: FPDF, frame: pd.DataFrame, *, allow_landscape: bool = True) -> _Layout:
    """Choose the font size, column widths and page orientation of a table.

    No column is narrower than its header's longest word or than its cells allow: a
    short cell (a name, a number) stays on one line, a longer one wraps at spaces, and
    only a word wider than 60 mm (a web address) is broken. The largest font size at
    which that fits across a portrait page wins; if none does, the table goes on
    landscape pages. Space left over goes to unwrapping cells, then headers.
    """
    header, rows = _cells(frame)
    columns = [[r[j] for r in rows] for j in range(len(header))]
    rtl = _rtl(pdf)
    unknown = {"unknown", gettext("unknown", getattr(pdf, "lang", "en"))}
    align = tuple(
        ("LEFT" if rtl else "RIGHT")
        if any(c for c in col) and all(not c or _numeric(c) or c in unknown for c in col)
        else ("RIGHT" if rtl else "LEFT")
        for col in columns
    )
    portrait = pdf.w if pdf.cur_orientation.name == "PORTRAIT" else pdf.h
    landscape_w = (pdf.h if pdf.cur_orientation.name == "PORTRAIT" else pdf.w) - 2 * _MARGIN
    portrait_w = portrait - 2 * _MARGIN

    def measures(size: float) -> tuple[list[float], list[float], list[float]]:
        floor, cells, heads = [], [], []
        for name, col in zip(header, columns, strict=True):
            head_least = _widths(pdf, name.split(), "B", size - _HEAD_SMALLER)[1]
            head_whole = _widths(pdf, [name], "B", size - _HEAD_SMALLER)[0]
            cell_whole, cell_least = _widths(pdf, col, "", size)
            floor.append(max(head_least, cell_least))
            cells.append(max(head_least, cell_least, cell_whole))
            heads.append(max(head_whole, cell_least, cell_whole))
        return floor, cells, heads

    options = [(portrait_w, False)] + ([(landscape_w, True)] if allow_landscape else [])
    fitting = next(
        (
            (width, size, landscape)
            for width, landscape in options
            for size in _TABLE_SIZES
            if sum(measures(size)[0]) <= width
        ),
        None,
    )
    if fitting is None:  # too wide even on landscape pages at the smallest size: squeeze
        width, landscape = options[-1]
        size = _TABLE_SIZES[-1]
        floor = measures(size)[0]
        return _Layout(size, tuple(w * width / sum(floor) for w in floor), align, landscape)

    width, size, landscape = fitting
    floor, cells, heads = measures(size)
    widths = floor
    for target in (cells, heads):
        want = [max(t - w, 0.0) for t, w in zip(target, widths, strict=True)]
        spare = width - sum(widths)
        if sum(want) <= 0 or spare <= 0:
            continue
        share = min(1.0, spare / sum(want))
        widths = [w + d * share for w, d in zip(widths, want, strict=True)]
    if sum(widths) >= 0.6 * width:  # a table that nearly fills the page fills it
        widths = [w * width / sum(widths) for w in widths]
    return _Layout(size, tuple(widths), align, landscape)


def _numeric(text: str) -> bool:
    """Return True for a number as :mod:`cpgeo.labels` writes it, in any language."""
    return bool(_NUMERIC.match(text) or _NUMERIC_RTL.match(_MARKS.sub("", text)))


def _oriented(pdf: FPDF, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its columns right to left in a right-to-left report."""
    return frame[frame.columns[::-1]] if _rtl(pdf) else frame


def _table(pdf: FPDF, heading: str, frame: pd.DataFrame) -> None:
    frame = _oriented(pdf, frame)
    layout = _layout(pdf, frame)
    if layout.landscape:
        if pdf.cur_orientation.name != "LANDSCAPE":
            pdf.add_page(orientation="landscape")
    else:
        _portrait(pdf)
    _section(pdf, heading, keep_with=30.0)
    _grid(pdf, frame, layout)
    if frame.empty:
        _paragraph(pdf, gettext("No rows.", getattr(pdf, "lang", "en")))


def _grid(pdf: FPDF, frame: pd.DataFrame, layout: _Layout) -> None:
    header, rows = _cells(frame)
    size = layout.size
    heading_style = FontFace(
        family=FONT,
        emphasis="B",
        size_pt=size - _HEAD_SMALLER,
        color=_INK,
        fill_color=_HEAD_FILL,
    )
    pdf.set_font(FONT, "", size)
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.15)
    with pdf.table(
        col_widths=layout.widths,
        width=min(sum(layout.widths), pdf.epw),  # rounding must not exceed the page
        align="RIGHT" if _rtl(pdf) else "LEFT",
        text_align=layout.align,
        v_align="MIDDLE",
        headings_style=heading_style,
        borders_layout="HORIZONTAL_LINES",
        cell_fill_color=_STRIPE_FILL,
        cell_fill_mode="EVEN_ROWS",
        line_height=size * 0.3528 * 1.25,
        padding=(_PAD_V, _PAD_H),
        markdown=False,
        repeat_headings=1,
    ) as table:
        head = table.row()
        for name in header:
            head.cell(name, v_align="BOTTOM")
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(3)
    pdf.set_font(FONT, "", 9.5)
