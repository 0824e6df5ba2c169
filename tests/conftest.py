"""Shared test set-up: deterministic property tests, no network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so a failure reproduces on any
# machine; HYPOTHESIS_PROFILE=explore draws fresh examples for a local bug hunt.
settings.register_profile("deterministic", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


def shared_data_dir() -> Path:
    """The real-data copies kept outside the repository (``CPGEO_SHARED_DATA`` overrides)."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    return Path(os.environ.get("CPGEO_SHARED_DATA", default))


def needs_shared_data(folder: str) -> pytest.MarkDecorator:
    """Mark a test that reads ``folder`` of the real data: it runs where the copies are.

    The copies may not be committed, so a machine without them cannot run these tests;
    ``.ci/run`` says whether it found them.
    """
    path = shared_data_dir() / folder
    return pytest.mark.skipif(
        not path.is_dir(), reason=f"real data not found at {path} (set CPGEO_SHARED_DATA)"
    )
