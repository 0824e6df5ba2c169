"""End to end in headless Chromium: every page in English, Arabic and Kurdish.

Run by ``make e2e``. Each page is opened by its link with ``?lang=`` in a fresh browser at
1440 x 900 (a planner's laptop), screenshotted to tests/artifacts/lang_<lang>_<page>.png,
and checked: the document's direction, Arabic script in the map's legend and tooltips,
the map starting above the fold. The first render of the map is timed in each language.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from test_browser import (
    ARTIFACTS,
    FRAME,
    ROOT,
    _new_page,
    _poll_frames,
    _streamlit,
    _wait_map,
    browser,  # noqa: F401 (the fixture: one Chromium for the module)
)

from cpgeo import i18n

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1440, "height": 900}
# the first page (coverage) is the app's front page, at its root
PAGES = ["", "office-load", "proposals", "snapshot", "plans"]
ARABIC = re.compile(r"[\u0600-\u06FF]")
# the tooltip of every office marker and of the first communities, as text
TOOLTIPS = """() => {
  const m = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])
    .find(v => v instanceof L.Map);
  const out = [];
  m.eachLayer(l => {
    if (l.cpgeoTip && l.cpgeoData) {
      const n = Math.min(5, l.cpgeoData.x.length);
      for (let i = 0; i < n; i++) out.push(l.cpgeoTip(i).textContent);
    } else if (l.getTooltip && l.getTooltip()) {
      const c = l.getTooltip().getContent();
      const text = v => typeof v === 'string' ? v.replace(/<[^>]*>/g, ' ')
        : (v && v.textContent) || '';
      // a layer group's tooltip (folium's GeoJson) is made per feature by a function
      if (typeof c === 'function' && l.eachLayer) l.eachLayer(ch => out.push(text(c(ch))));
      else out.push(text(c));
    }
  });
  return out;
}"""
LEGEND = "() => [...document.querySelectorAll('.cpgeo-legend')].map(e => e.innerText).join(' ')"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with _streamlit(ROOT / "app.py", "streamlit_languages.log") as url:
        yield url


def _open(chromium, url: str, blocked: list[str]):
    context, page = _new_page(chromium, url, blocked)
    page.set_viewport_size(VIEWPORT)
    return context, page


def _legend_frame(page, timeout_s: float = 30.0):
    """Return the page's map frame once its legend is drawn (every map has one)."""
    page.wait_for_selector(FRAME, state="attached", timeout=timeout_s * 1000)
    found = _poll_frames(page, lambda f: f if f.evaluate(LEGEND).strip() else None,
                         timeout_s, 0.1)
    if found is None:
        page.screenshot(path=str(ARTIFACTS / "failure_languages.png"))
        pytest.fail("the map's legend did not draw")
    return found


def _first_render(chromium, server: str, lang: str, n_points: int) -> float:
    """Median of three fresh browsers: link opened -> every community drawn on the map."""
    times = []
    for _ in range(3):
        context, page = _open(chromium, server, [])
        t0 = time.perf_counter()
        page.goto(f"{server}/?lang={lang}")
        _wait_map(page, n_points)
        times.append(time.perf_counter() - t0)
        context.close()
    return sorted(times)[1]


def test_every_page_in_every_language(server, browser):  # noqa: F811 (the fixture)
    import cpgeo

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    n_points = len(cpgeo.load_demo().communities)
    blocked: list[str] = []
    context, page = _open(browser, server, blocked)
    page.goto(server)
    _wait_map(page, n_points, timeout_s=90)  # the server's own first start is not measured
    context.close()

    seconds = {}
    for lang in i18n.LANGUAGES:
        seconds[lang] = _first_render(browser, server, lang, n_points)
        for path in PAGES:
            context, page = _open(browser, server, blocked)
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(f"{server}/{path}?lang={lang}")
            page.locator("h1").first.wait_for(timeout=60_000)
            direction = "rtl" if i18n.is_rtl(lang) else "ltr"
            # an English page leaves the document as it is: left to right, Streamlit's "en"
            page.wait_for_function(
                "d => (document.documentElement.getAttribute('dir') || 'ltr') === d"
                " && getComputedStyle(document.body).direction === d",
                arg=direction,
                timeout=20_000,
            )
            assert page.evaluate("() => document.documentElement.lang || 'en'") == lang
            title = page.locator("h1").first.inner_text()
            if lang != "en":
                assert ARABIC.search(title), (lang, path, title)
            if path != "plans":  # plans shows its maps once plans are uploaded
                frame = _legend_frame(page)
                legend = frame.evaluate(LEGEND)
                tips = [t for t in frame.evaluate(TOOLTIPS) if t.strip()]
                assert legend and tips, (lang, path)
                if lang != "en":
                    assert ARABIC.search(legend), (lang, path, legend[:200])
                    assert any(ARABIC.search(t) for t in tips), (lang, path, tips[:5])
                    assert frame.evaluate("() => document.documentElement.dir") == "rtl"
                if path == "":
                    # the map is the first thing on the page: its top in the upper half
                    box = page.locator(FRAME).first.bounding_box()
                    assert box is not None and box["y"] < VIEWPORT["height"] / 2, box
            page.wait_for_timeout(500)
            name = path or "coverage"
            assert not page.get_by_text("Page not found").count(), (lang, name)
            page.screenshot(path=str(ARTIFACTS / f"lang_{lang}_{name}.png"))
            assert not errors, (lang, path, errors)
            context.close()
    assert not blocked, blocked[:5]
    figures = ", ".join(f"{lang} {s:.2f} s" for lang, s in seconds.items())
    print(f"\nTIMINGS fresh browser -> full map, median of 3, by language: {figures}")
    (ARTIFACTS / "timings_languages.txt").write_text(figures + "\n", encoding="utf-8")
    # a figure to read beside the English one of the same run, not a machine's stopwatch:
    # Arabic and Kurdish maps carry the same data with other words
    for lang in ("ar", "ckb"):
        assert seconds[lang] < 1.5 * seconds["en"] + 0.5, figures


def test_a_bad_upload_is_explained_in_arabic(server, browser):  # noqa: F811 (the fixture)
    """An upload with a bad row: the message in Arabic, right to left, with the file's names."""
    bad = ARTIFACTS / "offices_bad_ar.csv"
    bad.write_text(
        "id,name,latitude,longitude\nA,Good,33.3,44.4\nB,Swapped,44.5,33.4\n", encoding="utf-8"
    )
    blocked: list[str] = []
    context, page = _open(browser, server, blocked)
    page.goto(f"{server}/?lang=ar")
    _legend_frame(page)
    side = page.locator('[data-testid="stSidebar"]')
    side.get_by_text(i18n.gettext("Your files", "ar")).click()
    uploader = side.locator('[data-testid="stFileUploader"]').first
    uploader.wait_for(timeout=30_000)
    uploader.locator('input[type="file"]').set_input_files(str(bad))
    alert = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').filter(
        has_text=i18n.gettext("Upload not used: {keeps}. {message}", "ar").split(":")[0]
    )
    alert.wait_for(timeout=30_000)
    message = alert.inner_text()
    assert "offices_bad_ar.csv" in message, message
    assert "الصف 3" in message and "مقلوبان" in message, message
    assert "swapped" not in message and "row 3" not in message, message
    assert page.evaluate("document.documentElement.dir") == "rtl"
    alert.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "lang_ar_bad_upload.png"))
    context.close()
    assert not blocked, blocked[:5]
