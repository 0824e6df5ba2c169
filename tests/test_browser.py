"""End to end in headless Chromium: the app draws its map offline and reacts to controls.

Run by ``make e2e``. Chromium is the system one (/usr/bin/chromium); every request that
does not go to the local Streamlit server is blocked, so the map must draw offline.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FRAME = 'iframe[title="streamlit_folium.st_folium"]'
# Leaflet layers drawn in the map frame, by kind
COUNT_LAYERS = """() => {
  const m = window.map || window.map_div;
  if (!m || !window.L) return null;
  const c = {polygons: 0, circle_markers: 0, lines: 0, markers: 0};
  m.eachLayer(l => {
    if (l instanceof L.CircleMarker) c.circle_markers++;
    else if (l instanceof L.Polygon) c.polygons++;
    else if (l instanceof L.Polyline) c.lines++;
    else if (l instanceof L.Marker) c.markers++;
  });
  return c;
}"""

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = (ARTIFACTS / "streamlit.log").read_text(errors="replace")
                pytest.fail(f"streamlit did not start:\n{out[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _new_page(browser, url: str, blocked: list[str]):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)

    def route(r):
        if r.request.url.startswith(url) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context, context.new_page()


def _map_frame(page, timeout_s: float = 30.0, min_circles: int = 1, legend: str = ""):
    """Wait until the map frame has drawn its layers; return (frame, layer counts)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for handle in page.query_selector_all(FRAME):
            frame = handle.content_frame()
            if frame is None:
                continue
            try:
                counts = frame.evaluate(COUNT_LAYERS)
            except Exception:  # the frame is being replaced
                counts = None
            if counts and counts["circle_markers"] >= min_circles:
                try:
                    text = frame.evaluate(
                        "() => (document.querySelector('.cpgeo-legend') || {}).innerText || ''"
                    )
                except Exception:  # the frame is being replaced
                    continue
                if legend in text:
                    return frame, counts
        time.sleep(0.05)
    pytest.fail("the Leaflet map did not draw")


def _covered_text(page) -> str:
    return page.locator('[data-testid="stMetricValue"]').first.inner_text()


def test_map_offline_controls_proposal_snapshot(server, browser):
    import cpgeo

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    demo = cpgeo.load_demo()
    blocked: list[str] = []
    context, page = _new_page(browser, server, blocked)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # warm the server's caches once (its own first start-up is not what is measured)
    page.goto(server)
    _map_frame(page, timeout_s=90)
    context.close()

    # a fresh browser context: time until the full map is drawn
    context, page = _new_page(browser, server, blocked)
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    page.goto(server)
    _frame, counts = _map_frame(page, min_circles=len(demo.communities))
    t_map = time.perf_counter() - t0
    n_boundaries = len(demo.boundaries)
    # governorate polygons (multi-polygons count once per layer) + one catchment per office
    assert counts["polygons"] >= n_boundaries + len(demo.offices)
    assert counts["circle_markers"] >= len(demo.communities) + len(demo.offices) + len(demo.cpfs)
    assert counts["lines"] >= 1  # forum -> office lines
    assert counts["markers"] >= 1  # over-capacity badges
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "coverage.png"), full_page=False)

    # change the radius: the covered figure and the map change
    before = _covered_text(page)
    slider = page.locator('[data-testid="stSlider"] input[type="range"]').first
    slider.focus()
    t0 = time.perf_counter()
    slider.press("ArrowRight")  # 50 -> 55 km
    page.wait_for_function(
        "b => document.querySelector('[data-testid=\"stMetricValue\"]').innerText !== b",
        arg=before,
        timeout=15_000,
    )
    t_figure = time.perf_counter() - t0
    _map_frame(page, legend="55 km catchment")
    t_control = time.perf_counter() - t0
    page.wait_for_timeout(300)
    after = _covered_text(page)
    assert after != before
    page.screenshot(path=str(ARTIFACTS / "coverage_radius55.png"))
    print(
        f"\nfresh browser -> full map: {t_map:.2f} s; radius change -> figure: {t_figure:.2f} s,"
        f" -> map redrawn: {t_control:.2f} s; covered {before} -> {after}"
    )
    assert t_map < 3.0
    assert t_figure < 1.0

    # a site proposal
    page.get_by_role("link", name="Site proposals").click()
    page.get_by_role("button", name="Propose sites").click()
    page.get_by_text("Ranked proposals").wait_for(timeout=60_000)
    _map_frame(page)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "proposals.png"), full_page=True)

    # office load page
    page.get_by_role("link", name="Office load").click()
    page.get_by_text("Offices over capacity").wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "office_load.png"), full_page=True)

    # export a snapshot
    page.get_by_role("link", name="Snapshot").click()
    button = page.get_by_role("button", name="Export snapshot (zip)")
    button.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "snapshot.png"), full_page=True)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    target = ARTIFACTS / "snapshot.zip"
    info.value.save_as(target)
    names = {n.split("/")[-1] for n in zipfile.ZipFile(target).namelist()}
    assert {"map.html", "map.png", "figures.csv", "layers.gpkg", "summary.md"} <= names

    # the exported standalone map opens offline
    html_path = ARTIFACTS / "snapshot_map.html"
    with zipfile.ZipFile(target) as archive:
        member = next(n for n in archive.namelist() if n.endswith("map.html"))
        html_path.write_bytes(archive.read(member))
    standalone = context.new_page()
    standalone.goto(html_path.as_uri())
    standalone.wait_for_function(
        "() => window.L && document.querySelectorAll('.leaflet-pane').length > 0"
    )
    standalone.wait_for_timeout(300)
    standalone.screenshot(path=str(ARTIFACTS / "snapshot_map.png"))
    context.close()

    assert not blocked, blocked[:5]
    assert not errors, errors[:5]
