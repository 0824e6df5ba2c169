"""Atomic writes: a reader, or a crash, sees the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextlib.contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` at once.

    The temporary file is hidden (its name starts with a dot) in the same folder, so the
    final rename is one step on one file system. On failure it is removed and ``path``
    is left as it was.
    """
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=folder)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # GDAL drivers want to create the file themselves
    try:
        yield tmp
        tmp.replace(path)
    finally:
        for leftover in (tmp, *folder.glob(f"{tmp.name}-*")):  # e.g. GeoPackage -wal / -shm
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
