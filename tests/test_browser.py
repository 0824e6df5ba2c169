"""End to end in headless Chromium: the app draws its map offline and reacts to controls.

Run by ``make e2e``. Chromium is the system one (/usr/bin/chromium); every request that
does not go to the local Streamlit server fails (no other host resolves) and is recorded,
so the map must draw offline and the test fails if anything tried to leave.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    # no host but the local server resolves: nothing can be fetched from elsewhere
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FRAME = 'iframe[data-testid="stIFrame"]'
# Leaflet layers drawn in the map frame, by kind (folium names its map map_<id>); the
# communities are one layer of points (cpgeo.maps), counted as the points it draws
COUNT_LAYERS = """() => {
  if (!window.L) return null;
  const m = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])
    .find(v => v instanceof L.Map);
  if (!m) return null;
  const c = {polygons: 0, circle_markers: 0, lines: 0, markers: 0, points: 0};
  m.eachLayer(l => {
    if (l.cpgeoPoints !== undefined) c.points += l.cpgeoPoints;
    else if (l instanceof L.CircleMarker) c.circle_markers++;
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


@contextmanager
def _streamlit(script: Path, log_name: str) -> Iterator[str]:
    """Run ``streamlit run script`` on a free port; yield its URL."""
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / log_name).open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
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
                out = (ARTIFACTS / log_name).read_text(errors="replace")
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
def server() -> Iterator[str]:
    with _streamlit(ROOT / "app.py", "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def baseline_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A one-metric Streamlit page: the floor of any Streamlit page on this machine."""
    script = tmp_path_factory.mktemp("baseline") / "baseline.py"
    script.write_text('import streamlit as st\n\nst.metric("Offices", 7)\n', encoding="utf-8")
    with _streamlit(script, "streamlit_baseline.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _new_page(browser, url: str, blocked: list[str]):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    local = re.compile(rf"^({re.escape(url)}(/|$)|data:|blob:|file:|about:)")

    # every request that would leave the local server is recorded (the browser cannot
    # resolve any other host, see CHROMIUM_ARGS); listening costs nothing, whereas routing
    # requests through the test would slow every request down and distort the timings
    def seen(request) -> None:
        if not local.match(request.url):
            blocked.append(request.url)

    context.on("request", seen)
    return context, context.new_page()


def _wait_map(page, min_circles: int, timeout_s: float = 30.0, ranks: int = 0) -> dict:
    """Wait, polling inside the browser, until the map frame has drawn its layers."""
    deadline = time.monotonic() + timeout_s
    while True:
        left_ms = max(1.0, deadline - time.monotonic()) * 1000
        try:
            handle = page.wait_for_selector(FRAME, state="attached", timeout=left_ms)
            # Chromium may pause animation frames in an iframe scrolled out of view, and
            # the wait below polls on them: bring the map into view first
            handle.scroll_into_view_if_needed(timeout=left_ms)
            frame = handle.content_frame()
            frame.wait_for_function(
                f"([n, r]) => {{ const c = ({COUNT_LAYERS})(); return c && c.points >= n"
                " && document.querySelectorAll('.cpgeo-rank').length >= r; }",
                arg=[min_circles, ranks],
                timeout=left_ms,
                polling="raf",
            )
            return frame.evaluate(COUNT_LAYERS)
        except Exception as exc:  # the frame was replaced by a newer map: wait for that
            replaced = "detached" in str(exc) or "not attached" in str(exc)
            if not replaced or time.monotonic() > deadline:
                page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
                frames = [f.url[:80] for f in page.frames]
                pytest.fail(f"the map did not draw ({exc}); frames: {frames}")


LEGEND_TEXT = "() => (document.querySelector('.cpgeo-legend') || {}).innerText || ''"


def _poll_frames(page, check, timeout_s: float, interval_s: float):
    """Return the first truthy ``check(frame)`` of any map frame, polling until the deadline.

    A frame being replaced (its evaluation fails) is skipped; None at the deadline.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for handle in page.query_selector_all(FRAME):
            frame = handle.content_frame()
            if frame is None:
                continue
            try:
                found = check(frame)
            except Exception:  # the frame is being replaced
                continue
            if found:
                return found
        time.sleep(interval_s)
    return None


def _map_frame(page, timeout_s: float = 30.0, min_circles: int = 1, legend: str = ""):
    """Wait until the map frame has drawn its layers; return (frame, layer counts)."""

    def drawn(frame):
        counts = frame.evaluate(COUNT_LAYERS)
        if counts and counts["points"] >= min_circles and legend in frame.evaluate(LEGEND_TEXT):
            return frame, counts
        return None

    found = _poll_frames(page, drawn, timeout_s, 0.05)
    if found is None:
        pytest.fail("the Leaflet map did not draw")
    return found


def _covered_text(page) -> str:
    return page.locator('[data-testid="stMetricValue"]').first.inner_text()


def _shot(page, name: str, *, full_page: bool = True) -> None:
    """Screenshot; full_page grows the viewport to Streamlit's scrolling main area."""
    page.wait_for_timeout(400)
    size = page.viewport_size
    if full_page and size:
        height = page.evaluate(
            '() => Math.max(...[...document.querySelectorAll(\'[data-testid="stMain"],'
            ' [data-testid="stSidebarContent"]\')].map(e => e.scrollHeight), 0)'
        )
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
        page.wait_for_timeout(600)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
    if size:
        page.set_viewport_size(size)


def _baseline_seconds(browser, url: str) -> float:
    """Median time for a fresh browser to show the one-metric page."""
    times = []
    for _ in range(3):
        context, page = _new_page(browser, url, [])
        t0 = time.perf_counter()
        page.goto(url)
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
        times.append(time.perf_counter() - t0)
        context.close()
    return sorted(times)[1]


def test_map_offline_controls_proposal_snapshot(server, baseline_server, browser):
    import cpgeo

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    demo = cpgeo.load_demo()
    n_points = len(demo.communities)
    blocked: list[str] = []
    errors: list[str] = []

    # warm the server once (its own first start-up and imports are not what is measured)
    context, page = _new_page(browser, server, blocked)
    page.goto(server)
    _wait_map(page, n_points, timeout_s=90)
    context.close()

    # fresh browsers (new contexts: empty cache): time until the full map is drawn
    t_maps = []
    for _ in range(3):
        context, page = _new_page(browser, server, blocked)
        page.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.perf_counter()
        page.goto(server)
        counts = _wait_map(page, n_points)
        t_maps.append(time.perf_counter() - t0)
        context.close()
    context, page = _new_page(browser, server, blocked)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    counts = _wait_map(page, n_points)
    # governorate polygons (multi-polygons count once per layer) + one catchment per office
    assert counts["polygons"] >= len(demo.boundaries) + len(demo.offices)
    assert counts["points"] == len(demo.communities)
    assert counts["circle_markers"] >= len(demo.offices) + len(demo.cpfs)
    assert counts["lines"] >= 1  # forum -> office lines
    assert counts["markers"] >= 1  # over-capacity badges
    page.get_by_text("ILLUSTRATIVE DATA").first.wait_for(timeout=10_000)
    _shot(page, "coverage")

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
        polling="raf",
    )
    t_figure = time.perf_counter() - t0
    _map_frame(page, legend="55 km catchment")
    t_control = time.perf_counter() - t0
    after = _covered_text(page)
    assert after != before
    _shot(page, "coverage_radius55", full_page=False)
    t_map = sorted(t_maps)[len(t_maps) // 2]
    # Timings are figures to read, not assertions: they depend on the machine (the same
    # code measured 1.9 s and 3.1 s on two machines of this project's kind). Beside them,
    # the floor of any Streamlit page here, measured in the same run: a fresh browser
    # showing a page with one metric and nothing else.
    t_floor = _baseline_seconds(browser, baseline_server)
    timings = (
        f"fresh browser -> full map: {', '.join(f'{t:.2f}' for t in t_maps)} s "
        f"(median {t_map:.2f} s; a one-metric Streamlit page: {t_floor:.2f} s, "
        f"{t_map / t_floor:.1f}x); radius change -> new figure: {t_figure:.2f} s, "
        f"-> map redrawn: {t_control:.2f} s; covered {before} -> {after}"
    )
    print(f"\nTIMINGS {timings}")
    (ARTIFACTS / "timings.txt").write_text(timings + "\n", encoding="utf-8")

    # a site proposal, exact, with its proven gap and before/after figures
    page.get_by_role("link", name="Site proposals").click()
    page.get_by_role("button", name="Propose sites").wait_for(timeout=30_000)
    page.get_by_text("Exact (optimal, with proven gap)").click()
    page.get_by_role("button", name="Propose sites").click()
    page.get_by_text("Ranked proposals").wait_for(timeout=60_000)
    page.get_by_text("proven optimal").wait_for(timeout=10_000)
    page.get_by_text("Before / after").wait_for(timeout=10_000)
    _wait_map(page, n_points, ranks=1)
    with page.expect_download(timeout=60_000) as info:
        page.locator('[data-testid="stDownloadButton"] button').filter(has_text="CSV").last.click()
    proposals_csv = ARTIFACTS / "site_proposals.csv"
    info.value.save_as(proposals_csv)
    assert "reason" in proposals_csv.read_text(encoding="utf-8").splitlines()[0]
    _shot(page, "proposals")

    # a phased plan with a governorate minimum: phases listed and tabled
    page.get_by_text("Phases (years)").click()
    page.get_by_text("Costs, sites forced in or out, fairness across governorates").click()
    options = page.locator('[data-testid="stExpander"]').filter(has_text="Always open")
    minimum = options.locator('input[type="number"][aria-label="Anbar"]').first
    minimum.fill("1")
    minimum.press("Tab")
    page.get_by_role("button", name="Propose sites").click()
    page.get_by_text("After each phase").wait_for(timeout=90_000)
    page.get_by_text("· phase 3").first.wait_for(timeout=10_000)
    body = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    assert "Anbar" in body and "phase 1" in body
    _shot(page, "proposals_phased")

    # office load page
    page.get_by_role("link", name="Office load").click()
    # the proposals page's tables say "Offices over capacity" too: wait for the new page
    page.get_by_role("heading", name="Office load").wait_for(timeout=30_000)
    page.get_by_text("Offices over capacity").first.wait_for(timeout=30_000)
    _wait_map(page, n_points)
    _shot(page, "office_load")

    # export a public snapshot as of a date typed and confirmed with Enter (the export
    # is of that date at once, not once the field has lost focus)
    page.get_by_role("link", name="Snapshot").click()
    as_of = page.get_by_role("textbox", name="As of (YYYY-MM-DD)")
    as_of.wait_for(timeout=30_000)
    as_of.fill("2019-01-01")
    as_of.press("Enter")
    button = page.get_by_role("button", name="Export public snapshot of 2019-01-01 (zip)")
    button.wait_for(timeout=30_000)
    page.get_by_role("heading", name="Whole network on 2019-01-01").wait_for(timeout=30_000)
    # the page shows the snapshot's own map: areas, no site
    snapshot_frame = _poll_frames(
        page,
        lambda f: (c := f.evaluate(COUNT_LAYERS)) and c["polygons"] > 0 and c,
        30.0,
        0.2,
    )
    assert snapshot_frame, "the snapshot page shows no map"
    assert snapshot_frame["circle_markers"] == snapshot_frame["points"] == 0, snapshot_frame
    _shot(page, "snapshot")
    with page.expect_download(timeout=60_000) as info:
        button.click()
    target = ARTIFACTS / "snapshot.zip"
    info.value.save_as(target)
    names = {n.split("/")[-1] for n in zipfile.ZipFile(target).namelist()}
    assert set(names) == {
        "map.html", "map.png", "report.pdf", "figures.csv", "layers.gpkg", "summary.md"
    }
    with zipfile.ZipFile(target) as archive:
        summary = archive.read(next(n for n in archive.namelist() if n.endswith("summary.md")))
    assert "Date: 2019-01-01" in summary.decode("utf-8")

    # the exported standalone map opens offline
    html_path = ARTIFACTS / "snapshot_map.html"
    with zipfile.ZipFile(target) as archive:
        member = next(n for n in archive.namelist() if n.endswith("map.html"))
        html_path.write_bytes(archive.read(member))
        (ARTIFACTS / "snapshot_map_static.png").write_bytes(
            archive.read(next(n for n in archive.namelist() if n.endswith("map.png")))
        )
    standalone = context.new_page()
    standalone.goto(html_path.as_uri())
    standalone.wait_for_function(
        "() => window.L && document.querySelectorAll('.leaflet-pane').length > 0"
    )
    _shot(standalone, "snapshot_map", full_page=False)
    standalone.close()

    # road distance from an OSM extract, and population from a raster, on the Coverage page
    page.get_by_role("link", name="Coverage").click()
    _wait_map(page, n_points)
    t_road, t_raster = _road_and_raster(page, n_points)
    timings += f"; road distance (button -> map): {t_road:.2f} s; raster: {t_raster:.2f} s"
    print(
        f"TIMINGS road distance (button -> table and map): {t_road:.2f} s, "
        f"population raster (button -> tables): {t_raster:.2f} s"
    )
    (ARTIFACTS / "timings.txt").write_text(timings + "\n", encoding="utf-8")

    # a good upload, then a bad one over it (latitude and longitude swapped in row 3): a
    # message naming the file, row and column, and the good upload stays in use
    page.get_by_text("Radius (geodesic)").click()
    page.get_by_text("Communities within the radius").first.wait_for(timeout=30_000)
    _wait_map(page, n_points)
    demo_covered = _covered_text(page)
    good = ARTIFACTS / "offices_good.csv"
    good.write_text(
        "id,name,latitude,longitude\nA,Good,33.3,44.4\nB,Tikrit,34.62,43.68\n", encoding="utf-8"
    )
    bad = ARTIFACTS / "offices_swapped.csv"
    bad.write_text(
        "id,name,latitude,longitude\nA,Good,33.3,44.4\nB,Swapped,44.5,33.4\n", encoding="utf-8"
    )
    page.locator('[data-testid="stSidebar"]').get_by_text("Your files").click()
    uploader = page.locator('[data-testid="stSidebar"] [data-testid="stFileUploader"]').first
    uploader.wait_for(timeout=30_000)
    uploader.locator('input[type="file"]').set_input_files(str(good))
    page.wait_for_function(
        "b => document.querySelector('[data-testid=\"stMetricValue\"]').innerText !== b",
        arg=demo_covered,
        timeout=30_000,
    )
    _wait_map(page, n_points)
    covered = _covered_text(page)
    uploader.locator('input[type="file"]').set_input_files(str(bad))
    alert = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').filter(
        has_text="Upload not used"
    )
    alert.wait_for(timeout=30_000)
    message = alert.inner_text()
    assert "offices_good.csv stays in use" in message, message
    assert "offices_swapped.csv" in message, message
    assert "row 3" in message, message
    assert "latitude" in message, message
    assert "swapped" in message, message
    _wait_map(page, n_points)
    assert _covered_text(page) == covered != demo_covered
    page.get_by_text("ILLUSTRATIVE DATA").first.wait_for(timeout=10_000)
    _shot(page, "bad_upload", full_page=False)
    context.close()

    assert not blocked, blocked[:5]
    assert not errors, errors[:5]


def _road_and_raster(page, n_points: int) -> tuple[float, float]:
    """Road mode with a generated OSM extract, then a generated raster; return timings."""
    from test_app_realdata import NODES, RASTER_SHAPE, RASTER_TRANSFORM, WAYS
    from test_network import write_osm
    from test_population import population_values, write_raster

    osm = write_osm(ARTIFACTS / "roads_fallujah.osm", NODES, WAYS)
    tif = write_raster(
        ARTIFACTS / "population.tif",
        population_values(RASTER_SHAPE, 7),
        crs="EPSG:4326",
        transform=RASTER_TRANSFORM,
    )
    main = page.locator('[data-testid="stMain"]')
    page.get_by_text("Road distance (OSM extract)").click()
    main.get_by_text("Upload an OSM XML extract").wait_for(timeout=30_000)
    main.locator('[data-testid="stFileUploader"]').first.locator(
        'input[type="file"]'
    ).set_input_files(str(osm))
    button = page.get_by_role("button", name="Compute road distances")
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some(b => "
        "b.innerText.includes('Compute road distances') && !b.disabled)",
        timeout=30_000,
    )
    t0 = time.perf_counter()
    button.click()
    # the radius is 55 km by now (set above); Fallujah is still 57 km by road from Baghdad
    main.get_by_text("beyond 55 km by road (").first.wait_for(timeout=60_000)
    _map_frame(page, min_circles=n_points, legend="beyond 55 km by road")
    t_road = time.perf_counter() - t0
    # the tables are drawn on a canvas: the count in the heading is what can be read
    heading = main.get_by_text("beyond 55 km by road (").first.inner_text()
    assert int(re.search(r"\((\d+)\)", heading).group(1)) >= 1, heading  # Fallujah at least
    _shot(page, "coverage_road")

    uploader = main.locator('[data-testid="stFileUploader"]').last
    uploader.locator('input[type="file"]').set_input_files(str(tif))
    page.wait_for_function(
        "() => [...document.querySelectorAll('button')].some(b => "
        "b.innerText.includes('Compute population') && !b.disabled)",
        timeout=30_000,
    )
    t0 = time.perf_counter()
    page.get_by_role("button", name="Compute population").click()
    main.get_by_text("Population within 55 km of each office").wait_for(timeout=60_000)
    main.get_by_text("Covered and not covered, by governorate").wait_for(timeout=60_000)
    t_raster = time.perf_counter() - t0
    _shot(page, "coverage_raster")
    return t_road, t_raster


#: Generated villages of the large-upload test (the real OSM extract holds 11,443).
N_VILLAGES = 11_000
#: Hostile village name: must show as text in the tooltip, never become an element.
EVIL_NAME = "<img src=x onerror=alert(1)>"
# the communities' layer of the map frame has drawn this many points (see cpgeo.maps)
POINTS_DRAWN = "() => Number(document.documentElement.getAttribute('data-cpgeo-points'))"


def _villages_csv(path: Path, n: int, *, seed: int = 11) -> Path:
    """Write ``n`` seeded random villages inside Iraq's governorates (lng, lat, Name)."""
    import numpy as np
    import shapely

    from cpgeo.regions import load_boundaries

    country = shapely.union_all(load_boundaries().geometry.to_numpy())
    minx, miny, maxx, maxy = country.bounds
    rng = np.random.default_rng(seed)
    xs: list[float] = []
    ys: list[float] = []
    while len(xs) < n:
        x = rng.uniform(minx, maxx, 4 * n)
        y = rng.uniform(miny, maxy, 4 * n)
        inside = shapely.contains_xy(country, x, y)
        xs.extend(x[inside].tolist())
        ys.extend(y[inside].tolist())
    rows = ["lng,lat,Name"]
    for i in range(n):
        name = f'"{EVIL_NAME}"' if i == 0 else f"Village {i}"
        rows.append(f"{xs[i]:.6f},{ys[i]:.6f},{name}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _wait_points(page, n: int, *, legend: str = "", timeout_s: float = 60.0):
    """Wait until a map frame has drawn ``n`` community points (and shows ``legend``)."""

    def drawn(frame):
        if frame.evaluate(POINTS_DRAWN) == n and (not legend or legend in frame.evaluate(
                LEGEND_TEXT)):
            return frame
        return None

    found = _poll_frames(page, drawn, timeout_s, 0.02)
    if found is None:
        page.screenshot(path=str(ARTIFACTS / "failure_villages.png"))
        pytest.fail(f"the map of {n} communities did not draw in {timeout_s:g} s")
    return found


def _upload_villages(page, csv: Path) -> float:
    """Choose "Your files" and upload ``csv`` as communities; return when it was sent."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Your files").click()
    uploader = sidebar.locator('[data-testid="stFileUploader"]').filter(has_text="Communities")
    uploader.locator('input[type="file"]').wait_for(state="attached")
    sent = time.perf_counter()
    uploader.locator('input[type="file"]').set_input_files(str(csv))
    return sent


def test_map_of_11000_villages_is_fast(server, browser, tmp_path):
    """11,000 uploaded villages: all drawn, tooltips as text; the times against 3 s and 1 s."""
    csv = _villages_csv(tmp_path / "villages.csv", N_VILLAGES)
    blocked: list[str] = []
    errors: list[str] = []

    # the first upload reads the file and computes the figures and the map (cached by the
    # server for every later session, as for the demo in the test above)
    context, page = _new_page(browser, server, blocked)
    page.goto(server)
    t0 = time.perf_counter()
    _upload_villages(page, csv)
    _wait_points(page, N_VILLAGES, timeout_s=120)
    t_first = time.perf_counter() - t0
    context.close()

    # fresh browsers: open the app, choose "Your files", upload, until all points are drawn
    t_fresh, t_pages, t_uploads = [], [], []
    for _ in range(3):
        context, page = _new_page(browser, server, blocked)
        page.on("pageerror", lambda e: errors.append(str(e)))
        t0 = time.perf_counter()
        page.goto(server)
        page.locator('[data-testid="stSidebar"]').get_by_text("Your files").wait_for()
        t_pages.append(time.perf_counter() - t0)
        sent = _upload_villages(page, csv)
        frame = _wait_points(page, N_VILLAGES)
        t_fresh.append(time.perf_counter() - t0)
        t_uploads.append(time.perf_counter() - sent)
        context.close()

    context, page = _new_page(browser, server, blocked)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    _upload_villages(page, csv)
    frame = _wait_points(page, N_VILLAGES)
    assert "11,000" in _covered_text(page)
    _shot(page, "villages_11000")
    # the hostile name is a text in the tooltip, not an element of the page: zoom on the
    # village and hover it with the mouse (the layer finds the point under the mouse)
    frame.evaluate(
        """() => {
          const m = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])
            .find(v => v instanceof L.Map);
          m.eachLayer(l => { if (l.cpgeoData) window.villages = l; });
          const d = window.villages.cpgeoData;
          m.setView([d.y[0], d.x[0]], 13, {animate: false});
          window.villageAt = () => m.latLngToContainerPoint([d.y[0], d.x[0]]);
        }"""
    )
    element = frame.frame_element()
    element.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = element.bounding_box()
    at = frame.evaluate("() => window.villageAt()")
    page.mouse.move(box["x"] + at["x"], box["y"] + at["y"])
    page.mouse.move(box["x"] + at["x"] + 1, box["y"] + at["y"])
    tip = frame.locator(".leaflet-tooltip")
    tip.wait_for(timeout=5_000)
    assert tip.locator("b").inner_text() == EVIL_NAME
    assert "nearest office:" in tip.inner_text()
    assert frame.locator("img").count() == 0  # no element made from the name
    _shot(page, "villages_11000_tooltip", full_page=False)

    # radius changes, each to a radius not yet seen with these data: the new map
    slider = page.locator('[data-testid="stSlider"] input[type="range"]').first
    t_radius = []
    for km in (55, 60, 65):
        slider.focus()
        t0 = time.perf_counter()
        slider.press("ArrowRight")
        _wait_points(page, N_VILLAGES, legend=f"{km} km catchment")
        t_radius.append(time.perf_counter() - t0)
    _shot(page, "villages_11000_radius65", full_page=False)
    context.close()

    t_map = sorted(t_fresh)[1]
    t_change = sorted(t_radius)[1]

    def times(values: list[float]) -> str:
        return ", ".join(f"{t:.2f}" for t in values)

    # Printed against the targets (3 s, 1 s), not asserted: wall-clock times follow the
    # machine's load (see README, Performance). What made the old map slow, a document
    # of megabytes built point by point, is asserted in test_maps.
    met = "met" if t_map < 3.0 and t_change < 1.0 else "NOT met on this run"
    timings = (
        f"{N_VILLAGES:,} villages: fresh browser -> full map: {times(t_fresh)} s (median "
        f"{t_map:.2f} s; of which app open -> sidebar {times(t_pages)} s, file sent -> "
        f"map drawn {times(t_uploads)} s; first upload, uncached: {t_first:.2f} s); "
        f"radius change -> new map: {times(t_radius)} s (median {t_change:.2f} s); "
        f"targets 3 s / 1 s: {met}"
    )
    print(f"\nTIMINGS {timings}")
    (ARTIFACTS / "timings_villages.txt").write_text(timings + "\n", encoding="utf-8")
    assert not blocked, blocked[:5]
    assert not errors, errors[:5]


def _tips(browser, html_path: Path) -> tuple[list[dict], list[str]]:
    """Open a standalone map; return every point's tooltip (lines, bold) and page alerts."""
    page = browser.new_page()
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.goto(html_path.as_uri())
    page.wait_for_function(f"() => ({POINTS_DRAWN})() > 0")
    tips = page.evaluate(
        """() => {
          const m = Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k])
            .find(v => v instanceof L.Map);
          let layer = null;
          m.eachLayer(l => { if (l.cpgeoData) layer = l; });
          return layer.cpgeoData.x.map((_, i) => {
            const el = layer.cpgeoTip(i), lines = [''];
            el.childNodes.forEach(n => {
              if (n.nodeName === 'BR') lines.push('');
              else lines[lines.length - 1] += n.textContent;
            });
            return {lines, html: el.innerHTML,
                    bold: [...el.querySelectorAll('b')].map(b => b.textContent),
                    elements: el.querySelectorAll('*:not(b):not(br)').length};
          });
        }"""
    )
    page.wait_for_timeout(300)  # an <img onerror> made from a name would have fired by now
    page.close()
    return tips, alerts


def test_point_tooltips_are_built_as_text(browser, tmp_path):
    """The communities' tooltips, built in the browser, say what they said as HTML strings."""
    from test_maps import HOSTILE, _derived, _road_coverage, _scenario

    from cpgeo import maps

    scn = _scenario()
    cov, load, forums = _derived(scn)
    cov.loc[cov.index[0], "name"] = HOSTILE
    cov.loc[cov.index[1], "population"] = float("nan")
    path = tmp_path / "radius.html"
    maps.save_html(maps.build_map(scn, cov, load, forums=forums, radius_km=50), path)
    tips, alerts = _tips(browser, path)
    assert len(tips) == len(cov)
    for tip, row in zip(tips, cov.itertuples(), strict=True):
        pop = row.population
        population = "unknown" if pop != pop else f"{int(pop):,}"  # NaN: unknown
        assert tip["bold"] == [row.name]
        assert tip["lines"] == [
            f"{row.name} ({row.governorate})",
            f"population {population}",
            "covered" if row.covered else "NOT covered",
            f"nearest office: {row.nearest_office} ({row.nearest_office_km:.1f} km)",
        ]
        assert tip["elements"] == 0  # only <b> and <br>: nothing made from the data
    assert "&lt;img src=x onerror=alert(1)&gt;" in tips[0]["html"]
    assert not alerts

    road = _road_coverage(scn, cov)
    path = tmp_path / "road.html"
    maps.save_html(
        maps.build_map(scn, road, load, forums=forums, radius_km=50, catchment="road"), path
    )
    tips, alerts = _tips(browser, path)
    lines = [t["lines"][2:] for t in tips]
    assert lines == [
        ["12.5 km by road from OFF-1", "0.25 km to the road"],
        ["inside the 50-km radius (30.0 km) but beyond 50 km by road", "1.50 km to the road"],
        ["NOT within 50 km by road", "5.00 km to the road"],
        ["NOT within 50 km by road", "9.00 km to the road (off the road network: outside the "
         "extract?)"],
    ]
    assert tips[1]["bold"][1].startswith("inside the 50-km radius")
    assert not alerts
