"""Load benchmark: concurrent app sessions in headless Chromium against one Streamlit server.

Starts ``streamlit run app.py`` (headless, file watcher off, a free loopback port), then
drives sessions with Playwright's async API: one headless Chromium (/usr/bin/chromium, the
browser test's arguments: no host but the local server resolves), one browser context per
session. Each session:

1. **open**: load the app (Coverage page) until the Leaflet map in the map frame has drawn
   a circle marker for every community (and more: offices, forums);
2. **greedy**: go to "Site proposals" (the page change is timed apart, as "proposals
   page"), press "Propose sites" with the default method (greedy) and wait for "Ranked
   proposals" with the greedy caption;
3. **exact**: choose "Exact (optimal, with proven gap)", press "Propose sites" again and
   wait for the caption saying "proven optimal" or "proven gap".

Order of the run: one warm-up session (the server's first imports, cold caches: reported,
not compared), one session alone (the baseline), then ``--sessions`` sessions at once. The
app's ``st.cache_data`` / ``st.cache_resource`` caches are shared by every session of the
server, so by default the baseline and the concurrent sessions ask for the warm-up's view
and get its figures, map and proposals from the cache: the figures measure serving and
rendering under contention. ``--distinct`` gives the baseline and every concurrent session
its own capacity (``?capacity=``, 1 to 20 forums per office), so each one computes its own
figures, map and both proposals: the worst case of users with different settings.

Prints per step p50 / p95 / max over the concurrent sessions (percentiles by linear
interpolation), how many sessions got every answer, the baseline, the ratio of the
concurrent p50 to the baseline, and the load average at start and end. The browsers run
on the server's machine and share its CPUs: a table of CPU seconds per phase (streamlit
server, Chromium + Playwright, anything else on the machine, from /proc) tells how much of
the time the server itself took. Exits 1 if any session failed to get an answer or the
whole run exceeded ``--timeout``.

Usage: ``python bench/load.py [--sessions 10] [--distinct] [--timeout 600]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
# one definition of the browser set-up and of "the map has drawn", shared with `make e2e`
from test_browser import CHROMIUM, CHROMIUM_ARGS, COUNT_LAYERS, FRAME  # noqa: E402

STEPS = ("open", "proposals page", "greedy", "exact")
MAIN_STEPS = ("open", "greedy", "exact")
EXACT_LABEL = "Exact (optimal, with proven gap)"
# the exact caption: "proven optimal (gap 0%)" or "... within the time limit, proven gap x%"
PROVEN_RE = re.compile(r"Method: exact, .*proven (optimal|gap)")
STEP_TIMEOUT_S = 180.0
SERVER_START_S = 90.0
CAPACITIES = range(1, 21)  # the app's capacity input: 1 to 20 forums per office


@dataclass
class Session:
    """One browser session's step latencies (s) and, if it failed, where and why."""

    name: str
    query: str = ""
    times: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(step in self.times for step in STEPS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(log_path: Path) -> Iterator[tuple[str, int]]:
    """Run the app on a free loopback port until the block ends; yield its URL and pid."""
    port = _free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_S
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    msg = f"streamlit did not start (log {log_path}):\n{tail}"
                    raise RuntimeError(msg)
                time.sleep(0.3)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _wait_map(page, min_circles: int, timeout_s: float) -> dict:
    """Wait until the map frame has drawn ``min_circles`` circle markers; return counts."""
    deadline = time.monotonic() + timeout_s
    while True:
        left_ms = max(1.0, deadline - time.monotonic()) * 1000
        try:
            handle = await page.wait_for_selector(FRAME, state="attached", timeout=left_ms)
            # an iframe out of view may be throttled: bring the map into view first
            await handle.scroll_into_view_if_needed(timeout=left_ms)
            frame = await handle.content_frame()
            if frame is None:
                raise RuntimeError("map frame not attached")
            await frame.wait_for_function(
                f"n => {{ const c = ({COUNT_LAYERS})(); return c && c.circle_markers >= n; }}",
                arg=min_circles,
                timeout=left_ms,
                polling=50,
            )
            return await frame.evaluate(COUNT_LAYERS)
        except Exception as exc:  # the frame was replaced by a newer map: wait for that
            replaced = any(w in str(exc) for w in ("detached", "not attached", "destroyed"))
            if not replaced or time.monotonic() > deadline:
                raise


async def run_session(browser, url: str, session: Session, n_points: int) -> Session:
    """Drive one session through its steps, filling ``session.times`` as it goes."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    step = "open"
    try:
        page = await context.new_page()
        page.set_default_timeout(STEP_TIMEOUT_S * 1000)
        t0 = time.perf_counter()
        await page.goto(url + session.query)
        await _wait_map(page, n_points, STEP_TIMEOUT_S)
        session.times[step] = time.perf_counter() - t0

        step = "proposals page"
        button = page.get_by_role("button", name="Propose sites")
        t0 = time.perf_counter()
        await page.get_by_role("link", name="Site proposals").click()
        await button.wait_for()
        session.times[step] = time.perf_counter() - t0

        step = "greedy"
        t0 = time.perf_counter()
        await button.click()
        await page.get_by_text("Ranked proposals").first.wait_for()
        await page.get_by_text("Method: greedy").first.wait_for()
        session.times[step] = time.perf_counter() - t0

        step = "exact"
        await page.get_by_text(EXACT_LABEL).click()
        t0 = time.perf_counter()
        await button.click()
        # the greedy list stays on screen while the page reruns: wait for the exact caption
        await page.get_by_text("Ranked proposals").first.wait_for()
        await (
            page.locator('[data-testid="stCaptionContainer"]')
            .filter(has_text=PROVEN_RE)
            .first.wait_for()
        )
        session.times[step] = time.perf_counter() - t0
    except asyncio.CancelledError:
        session.error = f"{step}: cut off by the run's time limit"
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        session.error = f"{step}: {first}"
    finally:
        with contextlib.suppress(Exception):  # the browser may be going away with the run
            await asyncio.shield(context.close())
    return session


def _proc_cpu() -> dict[int, tuple[int, float]]:
    """Return pid -> (parent pid, CPU seconds of it and of its reaped children)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # fields after the command name: ppid is 4th, utime stime cutime cstime 14th-17th
            f = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process has gone
            continue
        out[int(entry.name)] = (int(f[1]), sum(int(v) for v in f[11:15]) / tick)
    return out


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far: whole machine, streamlit server, this process's browser tree.

    The browser tree is every descendant of this process but the server (the Playwright
    driver, Chromium and its renderers); a renderer's time counts once its browser has
    reaped it (as the browser's ``cutime``), so close contexts before the last snapshot.
    """
    tick = os.sysconf("SC_CLK_TCK")
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    # user nice system idle iowait irq softirq steal: all but idle and iowait are busy
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4)) / tick
    procs = _proc_cpu()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = 0.0, [c for c in children.get(os.getpid(), []) if c != server_pid]
    while todo:
        pid = todo.pop()
        tree += procs[pid][1]
        todo += children.get(pid, [])
    server = procs.get(server_pid, (0, 0.0))[1]
    return {"wall": time.perf_counter(), "machine": busy, "server": server, "browser": tree}


def _spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    spent = {k: after[k] - before[k] for k in before}
    spent["other"] = spent["machine"] - spent["server"] - spent["browser"]
    return spent


def _query(capacity: int | None) -> str:
    return "" if capacity is None else f"/?capacity={capacity}"


async def run_all(
    url: str, server_pid: int, n_sessions: int, *, distinct: bool, timeout_s: float
) -> tuple[Session, Session, list[Session], dict[str, dict[str, float]]]:
    """Warm-up, baseline alone, then ``n_sessions`` at once.

    Returns the three results and, per phase, its wall time and CPU seconds (see
    :func:`cpu_snapshot`).
    """
    from playwright.async_api import async_playwright

    import cpgeo

    n_points = len(cpgeo.load_demo().communities)
    default = cpgeo.settings.max_cpfs
    others = [c for c in CAPACITIES if c != default]
    if distinct and n_sessions + 1 > len(others):
        msg = f"--distinct allows at most {len(others) - 1} sessions (one capacity each)"
        raise SystemExit(msg)
    caps = others[: n_sessions + 1] if distinct else [None] * (n_sessions + 1)

    warm = Session("warm-up")
    base = Session("baseline", _query(caps[0]))
    phases: dict[str, dict[str, float]] = {}
    crowd = [Session(f"s{i + 1:02d}", _query(c)) for i, c in enumerate(caps[1:])]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            start = time.monotonic()

            async def within_budget(coro):
                left = timeout_s - (time.monotonic() - start)
                return await asyncio.wait_for(coro, timeout=max(1.0, left))

            async def phase(name: str, sessions: list[Session]) -> None:
                before = cpu_snapshot(server_pid)
                try:
                    await within_budget(
                        asyncio.gather(*(run_session(browser, url, s, n_points) for s in sessions))
                    )
                finally:
                    phases[name] = _spent(before, cpu_snapshot(server_pid))

            try:
                await phase("warm-up", [warm])
                await phase("baseline", [base])
                await phase(f"{len(crowd)} concurrent", crowd)
            except TimeoutError:
                for s in (warm, base, *crowd):
                    if not s.ok and s.error is None:
                        s.error = f"run exceeded --timeout {timeout_s:g} s"
        finally:
            await browser.close()
    return warm, base, crowd, phases


def _fmt(values: list[float]) -> tuple[str, str, str]:
    if not values:
        return "-", "-", "-"
    a = np.asarray(values)
    return tuple(f"{v:.2f}" for v in (np.percentile(a, 50), np.percentile(a, 95), a.max()))


def report(
    warm: Session,
    base: Session,
    crowd: list[Session],
    phases: dict[str, dict[str, float]],
    load: list,
) -> None:
    """Print the figures as Markdown tables."""
    n = len(crowd)
    print(
        f"\n{n} concurrent sessions; seconds per step; {sum(s.ok for s in crowd)} of {n} "
        "sessions got every answer\n"
    )
    print("| step | answered | p50 | p95 | max | alone (baseline) | p50 / alone |")
    print("|---|---|---|---|---|---|---|")
    for step in STEPS:
        values = [s.times[step] for s in crowd if step in s.times]
        p50, p95, top = _fmt(values)
        alone = base.times.get(step)
        ratio = f"{np.percentile(values, 50) / alone:.1f}x" if values and alone else "-"
        name = step if step in MAIN_STEPS else f"({step})"
        print(
            f"| {name} | {len(values)}/{n} | {p50} | {p95} | {top} | "
            f"{'-' if alone is None else f'{alone:.2f}'} | {ratio} |"
        )
    warm_text = ", ".join(f"{k} {v:.2f} s" for k, v in warm.times.items())
    print(f"\nwarm-up session (first after start, cold caches): {warm_text or '-'}")
    cpus = os.cpu_count() or 1
    print(
        "\n| phase | wall s | CPU s busy (of available) | streamlit server | "
        "Chromium + Playwright | anything else |"
    )
    print("|---|---|---|---|---|---|")
    for name, c in phases.items():
        print(
            f"| {name} | {c['wall']:.1f} | {c['machine']:.1f} ({c['wall'] * cpus:.1f}) | "
            f"{c['server']:.1f} | {c['browser']:.1f} | {c['other']:.1f} |"
        )
    print(f"\nload average (1, 5, 15 min) at start: {load[0]}; at end: {load[1]}; {cpus} CPUs")
    for s in (warm, base, *crowd):
        if not s.ok:
            print(f"FAILED {s.name}{s.query}: {s.error}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="concurrent sessions")
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="a capacity of its own for every session: nothing comes from the shared cache",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="whole run, seconds")
    args = parser.parse_args(argv)
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")

    def loadavg() -> str:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())

    load = [loadavg()]
    with tempfile.TemporaryDirectory(prefix="cpgeo-load-") as folder:
        log = Path(folder) / "streamlit.log"
        try:
            with streamlit_server(log) as (url, pid):
                print(
                    f"streamlit at {url}; {args.sessions} sessions"
                    f"{' with distinct capacities' if args.distinct else ''}",
                    flush=True,
                )
                warm, base, crowd, phases = asyncio.run(
                    run_all(url, pid, args.sessions, distinct=args.distinct, timeout_s=args.timeout)
                )
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
        load.append(loadavg())
        report(warm, base, crowd, phases, load)
        if not all(s.ok for s in (warm, base, *crowd)):
            tail = log.read_text(errors="replace")[-2000:]
            print(f"\nstreamlit log (end):\n{tail}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
