"""One logging helper: quiet by default, one summary line per public function."""

from __future__ import annotations

import logging
import sys

from cpgeo import settings

_LOGGER = logging.getLogger("cpgeo")
_LOGGER.addHandler(logging.NullHandler())


def log(message: str, level: int | None = None) -> None:
    """Log ``message`` on the ``cpgeo`` logger (and to stderr if ``settings.log_console``)."""
    level = settings.log_level if level is None else level
    if settings.log_console and not any(
        isinstance(h, logging.StreamHandler) and h.stream is sys.stderr for h in _LOGGER.handlers
    ):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s cpgeo %(levelname)s %(message)s"))
        _LOGGER.addHandler(handler)
        _LOGGER.setLevel(settings.log_level)
    _LOGGER.log(level, message)
