"""Shared test set-up: deterministic property tests, no network."""

from __future__ import annotations

import os

from hypothesis import settings

# Property tests draw the same examples on every run, so a failure reproduces on any
# machine; HYPOTHESIS_PROFILE=explore draws fresh examples for a local bug hunt.
settings.register_profile("deterministic", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
