"""One spelling for ids and id references, whatever the column's dtype.

A spreadsheet, a GeoPackage and a pandas frame built in code write the same office id
as ``1``, ``1.0`` or ``"1"``. Matching a forum's ``office_id`` against the offices'
``id`` must not depend on which of them a file happened to use, so every id is turned
into text the same way before it is compared: whole numbers lose their ``.0``,
surrounding white space is dropped, blanks are missing.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# A whole number written with a zero fraction, as pandas writes an integer column that
# had a blank cell ("12.0"); codes with leading zeros ("007") are left alone.
_WHOLE_WITH_ZERO_FRACTION = re.compile(r"^[+-]?(0|[1-9]\d*)\.0+$")


def id_text(value: object) -> str | None:
    """Return ``value`` as id text, or None when it is missing or blank."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    if not text:
        return None
    if _WHOLE_WITH_ZERO_FRACTION.match(text):
        return text.split(".", 1)[0].lstrip("+")
    return text


def id_array(values: pd.Series | np.ndarray | list[object]) -> np.ndarray:
    """Return ids as an object array of text, None where missing (see :func:`id_text`)."""
    cells = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    return np.array([id_text(v) for v in np.asarray(cells, dtype=object)], dtype=object)
