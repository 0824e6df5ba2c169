"""Words for the figures: labels, number formats and sentences (presentation only).

Every number comes from :func:`cpgeo.figures` (or a site proposal's per-site figures);
this module only says them. The app, the CLI and snapshots all use these labels and
formats, so a figure reads the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from cpgeo.i18n import format_number, gettext

#: Figure key -> English label.
FIGURE_LABELS: dict[str, str] = {
    "communities": "Communities",
    "population": "Population",
    "communities_population_unknown": "Communities of unknown population",
    "communities_within_radius": "Communities within the radius",
    "population_within_radius": "Population within the radius",
    "population_within_radius_share": "Share of the population within the radius",
    "communities_outside_radius_focus": "Communities outside the radius, focus governorates",
    "population_outside_radius_focus": "Population outside the radius, focus governorates",
    "offices": "Offices",
    "offices_over_capacity": "Offices over capacity",
    "forums": "Forums",
    "forums_served_within_capacity": "Forums served within capacity",
    "forums_without_office_in_range": "Forums with no office in range",
    "forums_beyond_declared_office": "Forums beyond their declared office's radius",
    "forums_unknown_office": "Forums declaring an unknown office",
    # per-governorate columns
    "governorate": "Governorate",
    "district": "District",
    "population_by_area": "Population (estimated by area share)",
    "district_pcode": "District P-code",
    "subdistrict": "Sub-district",
    "subdistrict_pcode": "Sub-district P-code",
    "communities_outside_radius": "Communities outside the radius",
    "population_outside_radius": "Population outside the radius",
    "communities_within_radius_attributed": "Communities within the radius (attributed)",
    "population_within_radius_attributed": "Population within the radius (attributed)",
    "donor": "Donor",
    "area": "Area",
    "area_id": "Area code",
    "areas_pooled": "Areas pooled",
    # other columns people read
    "figure": "Figure",
    "before": "Before",
    "after": "After",
    "change": "Change",
    "rank": "Rank",
    "phase": "Phase",
    "id": "Id",
    "name": "Name",
    "type": "Type",
    "cost": "Cost",
    "relieved_offices": "Relieves",
    "forums_assigned": "Forums assigned",
    "new_community_names": "Communities newly within the radius",
    "reason": "Reason",
    "n_cpfs": "Forums",
    "capacity": "Capacity",
    "over_capacity": "Over capacity",
    "n_out_of_range": "Forums beyond radius",
    "office_id": "Declared office",
    "assigned_office": "Office",
    "office_before": "Office today",
    "assigned_km": "Distance (km)",
    "distance_km": "Distance (km)",
    "offices_in_range": "Offices in range",
    "status": "Status",
    "nearest_office": "Nearest office",
    "nearest_office_km": "Nearest office (km)",
    "covered": "Within the radius",
    "served": "Served",
    "moved": "Moves",
    "established": "Established",
    "town": "Town",
    "town_geonameid": "GeoNames id of the town",
    "geonameid": "GeoNames id",
    "geonames_admin1": "GeoNames admin-1 code",
    "iso_3166_2": "ISO 3166-2 code",
    "note": "Note",
    "population_source": "Source of the population figure",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "within_radius": "Within the radius",
    "covered_by_road": "Within reach by road",
    "radius_but_not_road": "Inside the radius, beyond by road",
    "road_office": "Nearest office by road",
    "road_km": "Road distance (km)",
    "off_network": "Far from any road",
    "place": "Place",
    "population_within": "Population within the radius",
    "population_radius": "Population within the radius",
    "population_road": "Population within reach by road",
    "areas": "Areas",
    "pcode": "P-code",
    "known": "Population already known",
    "count": "Count",
}

#: The per-governorate columns a reader's table shows (files keep them all).
GOVERNORATE_COLUMNS: tuple[str, ...] = (
    "governorate",
    "communities",
    "communities_within_radius",
    "population",
    "population_within_radius",
    "population_within_radius_share",
    "offices",
    "offices_over_capacity",
    "forums",
    "forums_served_within_capacity",
    "forums_without_office_in_range",
)

#: The district table's columns: the district, then those of GOVERNORATE_COLUMNS.
DISTRICT_COLUMNS: tuple[str, ...] = (
    "governorate", "district_pcode", "district", *GOVERNORATE_COLUMNS[1:]
)

#: The public snapshot's table by generalised area (see :mod:`cpgeo.public`).
AREA_COLUMNS: tuple[str, ...] = ("governorate", "area", "areas_pooled", *GOVERNORATE_COLUMNS[1:])

#: Text shown for an unknown value (population of communities without one).
UNKNOWN = "unknown"

#: Column -> its coded values -> what they say (data keeps the codes; only labels change).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "status": {
        "in_range": "within its office's radius",
        "out_of_range": "beyond its office's radius",
        "no_office_in_range": "no office in range",
        "unknown_office": "declares an unknown office",
    },
    "type": {"rehabilitate": "Rehabilitate a police station", "new_build": "New build"},
    "note": {"illustrative demo data, not a real site": "illustrative demo data, not a real site"},
}


def site_names(sites: pd.DataFrame, scenario: Any, lang: str = "en") -> pd.Series:
    """Return the names of candidate or proposed sites in ``lang``.

    ``sites`` is :func:`cpgeo.siting.candidate_sites` or a proposal's sites (ids
    ``"rehabilitate:<station id>"``, ``"new_build:<community id>"``, ``"grid:..."``). A
    station reads as its ``name_ar`` / ``name_ckb`` where the stations layer has one; a
    new office as "New office in" and the community's name in that language where the
    communities layer has one (else as the data writes it).
    """
    from cpgeo.i18n import place_names

    names = sites["name"].astype("string")
    if lang == "en" or not len(sites):
        return names
    kind = sites["id"].astype(str).str.split(":", n=1).str[0]
    source = sites["id"].astype(str).str.split(":", n=1).str[-1]
    out = names.copy()
    stations = getattr(scenario, "stations", None)
    if stations is not None and len(stations):
        local = dict(zip(stations["id"].astype(str), place_names(stations, lang), strict=True))
        rehab = kind == "rehabilitate"
        out[rehab] = source[rehab].map(local).fillna(names[rehab])
    communities = scenario.communities
    local = dict(zip(communities["id"].astype(str), place_names(communities, lang), strict=True))
    place = sites.get("place")
    new = kind == "new_build"
    where = source[new].map(local)
    if place is not None:
        where = where.fillna(place[new].astype("string"))
    template = gettext("New office in {place}", lang)
    out[new] = [template.format(place=p) for p in where.fillna(names[new])]
    return out


def value_label(column: str, value: object, lang: str = "en") -> object:
    """Return what a coded value of ``column`` says, in ``lang`` (other values as given)."""
    words = VALUE_LABELS.get(column, {}).get(str(value))
    return value if words is None else gettext(words, lang)


def label(key: str, lang: str = "en") -> str:
    """Return the label of a figure or column key (the key itself when it has none).

    ``<figure>_before``, ``_after`` and ``_change`` (a proposal by area) read as the
    figure's label followed by "before", "after" or "change". ``lang`` is one of
    :data:`cpgeo.i18n.LANGUAGES`: the label in that language (the key stays the same).
    """
    if key.startswith("phase ") and key[6:].isdigit():
        return f"{gettext('Phase', lang)} {key[6:]}"
    for suffix in ("_before", "_after", "_change"):
        if key.endswith(suffix) and key[: -len(suffix)] in FIGURE_LABELS:
            word = gettext(suffix[1:].capitalize(), lang)
            word = word if lang != "en" else suffix[1:]
            return f"{gettext(FIGURE_LABELS[key[: -len(suffix)]], lang)}: {word}"
    if key in FIGURE_LABELS:
        return gettext(FIGURE_LABELS[key], lang)
    return key.replace("_", " ")


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def number(value: object, *, signed: bool = False, lang: str = "en") -> str:
    """Format a count: thousands separators, never a decimal point; ``unknown`` for NA.

    ``lang`` gives the separators (and the word for unknown) of that language.
    """
    if _missing(value):
        return gettext(UNKNOWN, lang)
    whole = round(float(value))  # type: ignore[arg-type]
    if lang == "en":
        return f"{whole:+,d}" if signed and whole else f"{whole:,d}"
    sign = "+" if signed and whole > 0 else "-" if whole < 0 else ""
    return sign + format_number(abs(whole), lang, decimals=0)


def share(value: object, *, signed: bool = False, lang: str = "en") -> str:
    """Format a share (0..1) as a percentage with one decimal; ``unknown`` for NA."""
    if _missing(value):
        return gettext(UNKNOWN, lang)
    if signed:
        points = float(value) * 100  # type: ignore[arg-type]
        if lang == "en":
            return f"{points:+.1f} points"
        sign = "+" if points > 0 else "-" if points < 0 else ""
        text = sign + format_number(abs(points), lang, decimals=1)
        return gettext("{value} points", lang).format(value=text)
    if lang == "en":
        return f"{float(value):.1%}"  # type: ignore[arg-type]
    return format_number(float(value), lang, decimals=1, percent=True)  # type: ignore[arg-type]


def figure(key: str, value: object, *, signed: bool = False, lang: str = "en") -> str:
    """Format the value of figure ``key`` (a share as a percentage, else a count)."""
    if key.endswith("_share"):
        return share(value, signed=signed, lang=lang)
    return number(value, signed=signed, lang=lang)


def labelled(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Return ``frame`` with its columns renamed to their labels (for display only)."""
    return frame.rename(columns={c: label(c, lang) for c in frame.columns if c != "geometry"})


def people(count: object, lang: str = "en") -> str:
    """``"12,000 people"``, or ``"people of unknown number"``."""
    if _missing(count):
        return gettext("people of unknown number", lang)
    return gettext("{n} people", lang).format(n=number(count, lang=lang))


def _count(value: object) -> int:
    """Return a change or count of a figures mapping as an int (0 when missing)."""
    return 0 if _missing(value) or value is None else int(value)  # type: ignore[call-overload]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,d} {one if n == 1 else many}"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def assignment_sentence(
    n_served: int,
    n_reachable: int,
    n_forums: int,
    n_moved: int,
    radius_km: float,
    capacity: int,
    lang: str = "en",
) -> str:
    """Say what the capacity-respecting reassignment of forums achieves (in ``lang``)."""
    if lang != "en":
        return _assignment_sentence(
            n_served, n_reachable, n_forums, n_moved, radius_km, capacity, lang
        )
    if n_served == n_reachable:
        moves = _plural(n_moved, "forum changes", "forums change")
        text = (
            f"All {n_reachable:,d} forums with an office within {radius_km:g} km can be served "
            f"with no office above {capacity} forums ({moves} office)"
        )
    else:
        text = (
            f"No reassignment removes the overload: at most {n_served:,d} of the "
            f"{n_reachable:,d} forums with an office within {radius_km:g} km can be served at "
            f"{capacity} per office"
        )
    unreachable = n_forums - n_reachable
    if unreachable:
        alone = _plural(unreachable, "forum has", "forums have")
        text += f"; {alone} no office within {radius_km:g} km"
    return text + "."


def _assignment_sentence(
    n_served: int,
    n_reachable: int,
    n_forums: int,
    n_moved: int,
    radius_km: float,
    capacity: int,
    lang: str,
) -> str:
    """Say the sentence of :func:`assignment_sentence` in another language."""
    values = {
        "n": number(n_reachable, lang=lang),
        "served": number(n_served, lang=lang),
        "moved": number(n_moved, lang=lang),
        "km": format_number(radius_km, lang),
        "capacity": number(capacity, lang=lang),
    }
    if n_served == n_reachable:
        text = gettext(
            "All {n} forums with an office within {km} km can be served with no office "
            "above {capacity} forums (forums that change office: {moved})",
            lang,
        ).format(**values)
    else:
        text = gettext(
            "No reassignment removes the overload: at most {served} of the {n} forums "
            "with an office within {km} km can be served at {capacity} per office",
            lang,
        ).format(**values)
    unreachable = n_forums - n_reachable
    if unreachable:
        text += gettext("; forums with no office within {km} km: {alone}", lang).format(
            alone=number(unreachable, lang=lang), **values
        )
    return text + "."


def site_reason(
    *,
    site_type: str,
    place: str,
    governorate: object,
    changes: Mapping[str, object],
    relieved: Sequence[str],
    radius_km: float,
    unknown_population: int = 0,
) -> str:
    """One sentence for a minister, built from a site's per-site figures.

    Parameters
    ----------
    site_type
        ``"rehabilitate"`` or ``"new_build"``.
    place, governorate
        The station's or community's name (or the grid point's position), and the
        governorate.
    changes
        The site's per-site figures: figure key -> change when it is added after the
        higher-ranked sites.
    relieved
        Names of offices over capacity before this site that carry fewer forums with it.
    radius_km
        The catchment radius, km.
    unknown_population
        How many of the communities it newly covers have an unknown population.
    """
    where = "" if _missing(governorate) else f" in {governorate}"
    subject = (
        f"Rehabilitating {place}"
        if site_type == "rehabilitate"
        else f"Building a new office {'at' if place[:1].isdigit() else 'in'} {place}"
    )
    clauses: list[str] = []
    n_new = _count(changes.get("communities_within_radius"))
    if n_new:
        if unknown_population >= n_new:
            count = "population unknown"
        elif unknown_population:
            count = (
                f"{people(changes.get('population_within_radius'))}; "
                f"{unknown_population:,d} of unknown population"
            )
        else:
            count = people(changes.get("population_within_radius"))
        clauses.append(
            f"brings {_plural(n_new, 'community', 'communities')} ({count}) within "
            f"{radius_km:g} km of an office for the first time"
        )
    served = _count(changes.get("forums_served_within_capacity"))
    first_office = -_count(changes.get("forums_without_office_in_range"))
    if served:
        detail = []
        if first_office > 0:
            detail.append(f"{first_office:,d} of them with no office in range before")
        if relieved:
            detail.append(f"relieving overloaded {_and(list(relieved))}")
        clauses.append(
            f"lets {_plural(served, 'more forum', 'more forums')} be served within capacity"
            + (f" ({'; '.join(detail)})" if detail else "")
        )
    elif relieved:
        clauses.append(f"relieves overloaded {_and(list(relieved))}")
    if not clauses:
        clauses.append("adds nothing that the higher-ranked sites do not already give")
    return f"{subject}{where} {_and(clauses)}."


#: The per-site figures a site's summary names, in this order (the rest follow from them).
_SITE_SUMMARY_KEYS = (
    "communities_within_radius",
    "population_within_radius",
    "forums_served_within_capacity",
    "offices_over_capacity",
    "forums_without_office_in_range",
)


def site_summary(site: Mapping[str, object], lang: str = "en") -> str:
    """Say what a proposed site adds, from its per-site figures, in ``lang``.

    The counterpart of :func:`site_reason` (whose English sentence is stored with the
    proposal) for every language: the same figures as ``label +change`` clauses, and the
    overloaded offices the site relieves.
    """
    clauses = [
        f"{label(key, lang)} {figure(key, site.get(key), signed=True, lang=lang)}"
        for key in _SITE_SUMMARY_KEYS
        if not _missing(site.get(key)) and _count(site.get(key)) != 0
    ]
    relieved = str(site.get("relieved_offices") or "").strip()
    if relieved:
        clauses.append(gettext("relieves overloaded {offices}", lang).format(offices=relieved))
    if not clauses:
        return gettext("adds nothing that the higher-ranked sites do not already give", lang)
    return "; ".join(clauses) + "."


def reassignment_sentence(
    changes: Mapping[str, object], n_moved: int, lang: str = "en"
) -> str:
    """Say what re-declaring forums among the existing offices changes, before any site."""
    if not n_moved:
        return gettext("No forum needs to change office among the existing offices.", lang)
    if lang != "en":
        keys = ("offices_over_capacity", "forums_beyond_declared_office", "forums_unknown_office")
        changed = [
            f"{label(key, lang)} {number(_count(changes.get(key)), signed=True, lang=lang)}"
            for key in keys
            if _count(changes.get(key)) < 0
        ]
        subject = gettext("Forums re-declared to other existing offices: {n}", lang).format(
            n=number(n_moved, lang=lang)
        )
        if not changed:
            return subject + gettext("; none of the figures changes.", lang)
        return f"{subject}; {'; '.join(changed)}."
    effects = []
    for key, one, many in (
        ("offices_over_capacity", "office", "offices"),
        ("forums_beyond_declared_office", "forum", "forums"),
        ("forums_unknown_office", "forum", "forums"),
    ):
        fewer = -_count(changes.get(key))
        if fewer > 0:
            what = {
                "offices_over_capacity": "over capacity",
                "forums_beyond_declared_office": "beyond their declared office's radius",
                "forums_unknown_office": "declaring an unknown office",
            }[key]
            effects.append(f"{_plural(fewer, one, many)} fewer {what}")
    subject = (
        f"Re-declaring {_plural(n_moved, 'forum', 'forums')} to "
        f"{'another existing office' if n_moved == 1 else 'other existing offices'}"
    )
    if not effects:
        return f"{subject} changes none of the figures."
    return f"{subject}: {_and(effects)}."


def _cell(column: str, value: object, *, signed: bool = False, lang: str = "en") -> str:
    if _missing(value):
        return gettext(UNKNOWN, lang) if "population" in column else ""
    if isinstance(value, bool):
        return gettext("yes", lang) if value else gettext("no", lang)
    if column.endswith("_share") or column == "share_covered":
        return share(value, signed=signed, lang=lang)
    if isinstance(value, int) or (isinstance(value, float) and column.startswith(_COUNT_PREFIXES)):
        return number(value, signed=signed, lang=lang)
    if isinstance(value, float):
        return f"{value:,.1f}" if lang == "en" else format_number(value, lang, decimals=1)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


_COUNT_PREFIXES = ("communities", "population", "offices", "forums", "n_")


def display_table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    signed: Sequence[str] = ("change",),
    lang: str = "en",
) -> pd.DataFrame:
    """Return ``frame`` as text for reading: counts with separators, shares as percents.

    Geometry is dropped; an unknown population reads ``unknown``; the ``signed``
    columns (changes) carry a sign; columns are renamed to their labels. For display
    only: files keep the numbers and the keys.
    """
    table = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    if columns is not None:
        table = table[[c for c in columns if c in table.columns]]
    out = pd.DataFrame(index=table.index)
    for column in table.columns:
        values = table[column].astype(object).tolist()
        sign = column in signed
        out[label(str(column), lang)] = [
            _cell(str(column), _python(v), signed=sign, lang=lang) for v in values
        ]
    return out


def _python(value: object) -> object:
    """NumPy scalars as Python ones, so that formats can tell ints from floats."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            return value.item()  # type: ignore[union-attr]
        except (ValueError, AttributeError):
            return value
    return value


def summary_table(summary: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Return a table indexed by figure key (before / after, phases, plans) as text.

    Columns named ``change`` or ``... - ...`` (differences) carry a sign.
    """
    table = summary.rename_axis("figure").reset_index()
    table["figure"] = [label(str(k), lang) for k in table["figure"]]
    signed = [c for c in table.columns if c == "change" or " - " in str(c)]
    return display_table(table, signed=signed, lang=lang)


def figure_lines(
    values: Mapping[str, object], keys: Sequence[str], lang: str = "en"
) -> list[str]:
    """Return ``label: value`` lines for the figures ``keys``."""
    return [f"{label(k, lang)}: {figure(k, values.get(k), lang=lang)}" for k in keys]
