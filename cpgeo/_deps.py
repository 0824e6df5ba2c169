"""Lazy imports of heavy optional dependencies, with a clear message when one is missing."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` for ``feature``, or raise an ImportError that says how to get it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - every such module is a declared dependency
        msg = (
            f"{feature} needs the {module} package; install it with "
            f"`pip install {module}` (it is a dependency of cpgeo)"
        )
        raise ImportError(msg) from exc
