"""Template files: what a planner fills in for each layer cpgeo reads.

One template per point layer (offices, forums, communities, candidate police stations)
and one for a population table keyed by P-code. Each has the columns cpgeo reads, a
column guide, and two example rows that say they are examples: the positions are real
towns (Tikrit, Ramadi), the ids, names and numbers are placeholders to be replaced.
Every template reads back with :func:`cpgeo.read_layer` (or
:func:`cpgeo.admin.read_area_table`) unchanged.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cpgeo._errors import InputError

__all__ = ["TEMPLATE_KINDS", "Template", "template", "template_csv", "write_templates"]

EXAMPLE = "EXAMPLE - replace this row"

# Tikrit and Ramadi (GeoNames 89933, 89570): real places, so the examples read back;
# the population rows name the sub-districts they lie in (OCHA / CSO Iraq, COD-AB 2019).
_AT = ({"latitude": 34.61581, "longitude": 43.67861, "governorate": "Salah al-Din"},
       {"latitude": 33.42056, "longitude": 43.30778, "governorate": "Anbar"})


@dataclass(frozen=True)
class Template:
    """A layer's template: example rows and what each column means."""

    kind: str
    rows: tuple[dict[str, object], ...]
    guide: dict[str, str]

    def frame(self) -> pd.DataFrame:
        """Return the example rows, columns in the guide's order."""
        return pd.DataFrame(list(self.rows), columns=list(self.guide))


_POINT = {
    "id": "unique identifier (text); optional, cpgeo numbers the rows without it",
    "name": "name shown on maps and in tables",
    "latitude": "decimal degrees, WGS84 (e.g. 34.61581); or a column lat / y",
    "longitude": "decimal degrees, WGS84 (e.g. 43.67861); or a column lon / lng / x",
    "governorate": "optional; any usual spelling (Salahuddin, Al-Anbar, صلاح الدين); "
    "found from the location when empty",
}

_NOTE = {"note": "optional, any text (kept, never computed on)"}


def _points(kind: str, prefix: str, what: str, columns: dict[str, tuple[object, str]]) -> Template:
    """Build a point layer's template: two example rows at ``_AT``, point columns first.

    ``columns``: column -> (the examples' value, where ``{n}`` is the row's number; what
    the column means).
    """
    rows = tuple(
        {"id": f"{prefix}-{n}", "name": f"{EXAMPLE} ({what})", **at,
         **{c: str(value).format(n=n) for c, (value, _) in columns.items()}, "note": EXAMPLE}
        for n, at in enumerate(_AT, 1)
    )
    return Template(kind, rows, {**_POINT, **{c: m for c, (_, m) in columns.items()}, **_NOTE})


_TEMPLATES: dict[str, Template] = {
    "offices": _points("offices", "OFF", "office", {
        "established": ("2024-05-01", "optional date opened, YYYY-MM-DD (snapshots as of a "
                                      "date)"),
        "donor": ("Example donor", "optional donor who funded it (snapshots by donor)"),
    }),
    "cpfs": _points("cpfs", "CPF", "forum", {
        "office_id": ("OFF-{n}", "optional id of the office it is attached to (the offices "
                                 "file's id)"),
        "established": ("2024-06-01", "optional date founded, YYYY-MM-DD"),
        "donor": ("Example donor", "optional donor who funded it"),
    }),
    "communities": _points("communities", "COM", "community", {
        "population": ("", "optional whole number of people; leave empty when unknown "
                           "(counted as unknown, never as 0)"),
    }),
    "stations": _points("stations", "STN", "police station", {
        "cost": ("", "optional cost to rehabilitate it as an office, in the planning's cost "
                     "units; empty for the default"),
    }),
    "population": Template(
        "population",
        ({"ADM3_PCODE": "IQG16Q06N01", "T_TL": "", "note": EXAMPLE},
         {"ADM3_PCODE": "IQG01Q03N03", "T_TL": "", "note": EXAMPLE}),
        {"ADM3_PCODE": "sub-district P-code of OCHA's COD-AB (or ADM2_PCODE for districts)",
         "T_TL": "total population of the area (COD-PS's column; population also works)",
         "note": "optional, any text"},
    ),
}

#: The layers with a template.
TEMPLATE_KINDS: tuple[str, ...] = tuple(_TEMPLATES)


def template(kind: str) -> Template:
    """Return the template of ``kind`` (one of :data:`TEMPLATE_KINDS`).

    Raises
    ------
    InputError
        For another kind.
    """
    try:
        return _TEMPLATES[kind]
    except KeyError:
        msg = f"no template for {kind!r}; choose one of {', '.join(TEMPLATE_KINDS)}"
        raise InputError(msg) from None


def template_csv(kind: str) -> bytes:
    """Return the template of ``kind`` as UTF-8 CSV (with a BOM, as spreadsheets expect)."""
    buffer = io.StringIO()
    template(kind).frame().to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8-sig")


def write_templates(folder: str | os.PathLike[str]) -> list[Path]:
    """Write every template as ``<kind>_template.csv``, and a column guide, to ``folder``.

    Files are written whole (a temporary file renamed into place); existing templates
    are replaced, other files left alone.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from cpgeo._atomic import atomic_target

    def put(path: Path, payload: bytes) -> None:
        with atomic_target(path) as tmp:
            tmp.write_bytes(payload)

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in TEMPLATE_KINDS:
        path = folder / f"{kind}_template.csv"
        put(path, template_csv(kind))
        written.append(path)
    guide = pd.DataFrame(
        [(k, c, m) for k in TEMPLATE_KINDS for c, m in template(k).guide.items()],
        columns=["kind", "column", "meaning"],
    )
    path = folder / "columns_guide.csv"
    put(path, guide.to_csv(index=False).encode("utf-8-sig"))
    written.append(path)
    return written
