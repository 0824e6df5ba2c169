"""Nothing half-written: a process killed in the middle of an export leaves the old file.

Each case starts a child process that writes over an existing output and makes the
writer stop half way (it writes part of the data, says so, and waits); the test then
kills the child with SIGKILL, as a power cut or an out-of-memory kill would, and checks
that the output is still the old one, whole.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

import cpgeo
from cpgeo.io import write_layer
from cpgeo.snapshot import SNAPSHOT_FILES, build_snapshot, export_snapshot

CHILD = r"""
import pathlib, sys, time

import pandas as pd
import pyogrio

import cpgeo
import cpgeo.io
import cpgeo.snapshot

target, kind, marker = sys.argv[1:4]
frame = cpgeo.load_demo().communities


def stop_here():
    pathlib.Path(marker).write_text("half way")
    time.sleep(120)


if kind == "gpkg":
    real = pyogrio.write_dataframe

    def half(df, path, **kw):
        real(df.iloc[: len(df) // 2], path, **kw)
        stop_here()

    pyogrio.write_dataframe = half
    cpgeo.io.write_layer(frame, target)
elif kind == "csv":
    real = pd.DataFrame.to_csv

    def half(self, path, **kw):
        text = real(self, None, **kw)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text[: len(text) // 2])
            out.flush()
        stop_here()

    pd.DataFrame.to_csv = half
    cpgeo.io.write_layer(frame, target)
else:
    real = cpgeo.io.write_layers

    def half(layers, path, **kw):
        real(layers, path, **kw)
        stop_here()

    cpgeo.io.write_layers = half
    snap = cpgeo.snapshot.build_snapshot(cpgeo.load_demo(), as_of="2018-06-30")
    cpgeo.snapshot.export_snapshot(snap, target)
"""


def _kill_half_way(tmp_path: Path, target: Path, kind: str) -> None:
    marker = tmp_path / f"{kind}.marker"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), kind, str(marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if child.poll() is not None:
            pytest.fail(f"the writer ended before it was half way: {child.stderr.read()!r}")
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail("the writer never got half way")
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("suffix", [".gpkg", ".csv"])
def test_a_layer_killed_half_way_leaves_the_old_file(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"communities{suffix}"
    old = cpgeo.load_demo().communities.head(5)
    write_layer(old, target)
    before = target.read_bytes()
    _kill_half_way(tmp_path, target, suffix.lstrip("."))
    assert target.read_bytes() == before
    read = pyogrio.read_dataframe(target) if suffix == ".gpkg" else pd.read_csv(target)
    assert read["id"].tolist() == old["id"].tolist()
    # the half-written data is in a hidden temporary file, under no name a user opens
    visible = {p.name for p in tmp_path.iterdir() if not p.name.startswith(".")}
    assert visible == {target.name, f"{suffix.lstrip('.')}.marker"}


def test_a_snapshot_killed_half_way_leaves_the_old_snapshot(tmp_path: Path) -> None:
    out = export_snapshot(build_snapshot(cpgeo.load_demo()), tmp_path / "snapshot")
    before = {name: (out / name).read_bytes() for name in SNAPSHOT_FILES}
    _kill_half_way(tmp_path, out, "snapshot")
    for name in SNAPSHOT_FILES:
        assert (out / name).read_bytes() == before[name], name
    # the next export still works there (the dead export's temporary folder is its own)
    export_snapshot(build_snapshot(cpgeo.load_demo(), as_of="2018-06-30"), out)
    assert "2018-06-30" in (out / "summary.md").read_text(encoding="utf-8")
