"""Where the embedded data lives, whether cpgeo runs from a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """Return the folder holding ``boundaries/``, ``communities/`` and ``demo/``."""
    for candidate in (_PACKAGE / "_data", _PACKAGE.parent / "data"):
        if (candidate / "boundaries").is_dir():
            return candidate
    msg = (
        "cpgeo's embedded data is missing: looked in "
        f"{_PACKAGE / '_data'} and {_PACKAGE.parent / 'data'}"
    )
    raise FileNotFoundError(msg)
