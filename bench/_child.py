"""Run one measurement of a benchmark in a child process, so that its peak memory is its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(script: str, *args: str, timeout: float) -> dict:
    """Run ``script --child args...``; return the JSON of its last stdout line.

    A timeout or a failure comes back as ``{"error": ...}`` so that a benchmark prints it
    beside the other figures rather than stopping.
    """
    cmd = [sys.executable, script, "--child", *args]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout > {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])
