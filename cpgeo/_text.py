"""Text repair: UTF-8 that was decoded as Latin-1 / Windows-1252 ("mojibake").

A file saved through a tool that read UTF-8 as Latin-1 turns ``ابي الخصيب`` into
``Ø§Ø¨ÙŠ Ø§Ù„Ø®ØµÙŠØ¨`` (each Arabic letter becomes two Latin ones). The repair maps each
character back to the byte it came from (Latin-1, or Windows-1252 for the few characters
it puts in 0x80-0x9F, such as ``„``) and decodes the bytes as UTF-8. A cell is repaired
only when those bytes are valid UTF-8 and differ from the cell; text that was never
mangled (Arabic, plain English, real Latin-1 words) does not decode so and is kept.
"""

from __future__ import annotations

import pandas as pd


def _byte_of(char: str) -> int | None:
    code = ord(char)
    if code < 0x100:
        return code
    try:
        encoded = char.encode("cp1252")
    except UnicodeEncodeError:
        return None
    return encoded[0]


def repair_mojibake(text: str) -> str:
    """Return ``text`` with UTF-8 mojibake undone; ``text`` itself when it is not mojibake."""
    if text.isascii():
        return text
    raw = []
    for char in text:
        byte = _byte_of(char)
        if byte is None:  # a character no Latin decoding produces: not mojibake
            return text
        raw.append(byte)
    try:
        repaired = bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return text
    return repaired


def repair_mojibake_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Repair the text columns of ``frame``; return it and the cells repaired per column."""
    repaired: dict[str, int] = {}
    out = frame
    for column in frame.columns:
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        fixed = values.map(lambda v: repair_mojibake(v) if isinstance(v, str) else v)
        present = values.notna().to_numpy(dtype=bool)
        changed = int((present & (fixed.astype(object) != values.astype(object))).sum())
        if changed:
            if out is frame:
                out = frame.copy()
            out[column] = fixed
            repaired[str(column)] = changed
    return out, repaired
