"""Footprint snapshots for donors: the figures, a map and the data, at a date.

A snapshot is one of two kinds, always chosen explicitly:

``"public"`` (the default)
    Safe to forward, print and post: no exact location of any office, forum or station
    in any of its files. Sites are counted in areas (districts, governorates or grid
    cells, see :mod:`cpgeo.public`), areas that would single out a site are pooled, and
    the map shades the areas by the share of their population within the radius. The
    rule applied is printed in every file.
``"restricted"``
    For the Ministry: the exact network (offices, forums, stations, catchments), marked
    RESTRICTED on every page, in every file's name and in the files' metadata.

A snapshot is self-describing: its summary and report state the date, the data sources
and, for the demo, the illustrative-data notice. Its human parts (summary, report, map
legends and titles) are in the snapshot's language (``lang``: English, Arabic or Central
Kurdish, see :mod:`cpgeo.i18n`); its data (the CSV's and the GeoPackage's columns, the
figure keys) keep their stable English keys in every language. In Arabic and Kurdish the
English marking word RESTRICTED stays beside its translation, so that the marking reads
the same to anyone, and file names never change. :func:`export_snapshot` writes it as a
folder (standalone HTML map that opens offline, PNG map, A4 PDF report, figures CSV, a
GeoPackage, a markdown summary), atomically.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo._log import log
from cpgeo.i18n import format_date, format_number, gettext, language

if TYPE_CHECKING:
    import geopandas as gpd

    from cpgeo._figures import Figures
    from cpgeo.public import PublicAreas
    from cpgeo.scenario import Scenario

#: The two kinds of snapshot.
KINDS: tuple[str, ...] = ("public", "restricted")

#: The marking of a restricted snapshot: in every file's name, on every page, in metadata.
MARKING = "RESTRICTED"

#: What the marking says wherever there is room for a sentence.
MARKING_TEXT = (
    "RESTRICTED: exact locations of community policing offices, forums and police stations. "
    "For the Ministry of Interior only; do not forward, print for display or post."
)

#: The marking where there is room for one line only (the PNG's banners).
MARKING_LINE = "RESTRICTED: exact locations; Ministry of Interior only"

#: The files of a snapshot, in order (a restricted snapshot's carry the marking first).
_FILES: tuple[str, ...] = (
    "map.html",
    "map.png",
    "report.pdf",
    "figures.csv",
    "layers.gpkg",
    "summary.md",
)

#: Files written by :func:`export_snapshot` for a public snapshot.
SNAPSHOT_FILES: tuple[str, ...] = _FILES

#: Files written for a restricted snapshot.
RESTRICTED_FILES: tuple[str, ...] = tuple(f"{MARKING}-{name}" for name in _FILES)


def marking(lang: str = "en") -> str:
    """Return the marking word in ``lang``: ``RESTRICTED``, with its translation beside it."""
    code = language(lang)
    return MARKING if code == "en" else f"{MARKING} \u00b7 {gettext(MARKING, code)}"


def marking_text(lang: str = "en") -> str:
    """Return :data:`MARKING_TEXT` in ``lang`` (the English word RESTRICTED first)."""
    code = language(lang)
    return MARKING_TEXT if code == "en" else f"{MARKING} \u00b7 {gettext(MARKING_TEXT, code)}"


def marking_line(lang: str = "en") -> str:
    """Return :data:`MARKING_LINE` in ``lang`` (the English word RESTRICTED first)."""
    code = language(lang)
    return MARKING_LINE if code == "en" else f"{MARKING} \u00b7 {gettext(MARKING_LINE, code)}"


def _day(value: dt.date, lang: str) -> str:
    """Return a date as it reads: ISO in English (2024-06-30), else in words.

    In words because a right-to-left line reorders the parts of 2024-06-30.
    """
    return value.isoformat() if lang == "en" else format_date(value, lang)


def _name(text: object, lang: str) -> str:
    """Return a name from the data closed with a right-to-left mark in Arabic and Kurdish.

    So that a Latin name ("Canada") does not draw the number after it into its own
    left-to-right run ("Canada، 3 كانون" would read the 3 before the name).
    """
    return str(text) if lang == "en" else f"{text}\u200f"


def _km(value: float, lang: str) -> str:
    return f"{value:g}" if lang == "en" else format_number(value, lang)


def snapshot_files(kind: str) -> tuple[str, ...]:
    """Return the names of the files of a snapshot of ``kind`` {"public", "restricted"}."""
    return RESTRICTED_FILES if kind == "restricted" else SNAPSHOT_FILES


#: Why donor figures are "attributed": said wherever they are shown.
ATTRIBUTION_NOTE = (
    "Figures by donor are attributed: a community within the radius of offices of "
    "several donors counts for each of them, so the donors' figures add up to more than "
    "the total, which counts every community once."
)

#: Per-donor figures (columns of :attr:`Snapshot.by_donor` after ``donor``).
DONOR_KEYS: tuple[str, ...] = (
    "offices",
    "offices_over_capacity",
    "forums",
    "forums_served_within_capacity",
    "forums_without_office_in_range",
    "communities_within_radius_attributed",
    "population_within_radius_attributed",
)


@dataclass(frozen=True)
class Snapshot:
    """The footprint at a date (and optionally as attributed to one donor).

    The network at the date (offices and forums established by then) is one network,
    whoever funded its parts: a forum's status and the office load are facts of the
    whole network, and :attr:`figures` are :func:`cpgeo.figures` of it. A donor's view
    shows that donor's offices and forums with those statuses, and the figures
    attributed to the donor (see :data:`ATTRIBUTION_NOTE`).

    Attributes
    ----------
    scenario
        The whole network at the date (EPSG:4326 layers).
    figures
        :func:`cpgeo.figures` of :attr:`scenario`.
    donor
        The donor whose part is shown, or None for all.
    shown
        The layers drawn and written: :attr:`scenario` for all donors, else the donor's
        offices and forums (communities and boundaries unchanged).
    coverage, load, forums
        Communities coloured by the shown offices' catchments, the shown offices with
        their load in the whole network, and the shown forums with their status in the
        whole network.
    by_donor
        One row per donor (:data:`DONOR_KEYS`), or None when no layer has a ``donor``
        column.
    as_of, radius_km, max_cpfs
        The date filter and parameters (radius in kilometres, geodesic on WGS84).
    kind
        {"public", "restricted"} (see the module docstring).
    public
        The figures by generalised area (a public snapshot's map and area table), else
        None.
    created
        When the snapshot was computed (UTC).
    lang
        The language of the human parts {"en", "ar", "ckb"} (data keys never change).
    """

    scenario: Scenario
    figures: Figures
    donor: str | None
    shown: Scenario
    coverage: gpd.GeoDataFrame
    load: gpd.GeoDataFrame
    forums: gpd.GeoDataFrame
    by_donor: pd.DataFrame | None
    as_of: dt.date | None
    radius_km: float
    max_cpfs: int
    kind: str = "public"
    public: PublicAreas | None = None
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    lang: str = "en"

    @property
    def restricted(self) -> bool:
        """True for a restricted snapshot (exact locations)."""
        return self.kind == "restricted"

    @property
    def files(self) -> tuple[str, ...]:
        """The names of the files :func:`export_snapshot` writes for this snapshot."""
        return snapshot_files(self.kind)

    @property
    def by_area(self) -> pd.DataFrame | None:
        """A public snapshot's figures by generalised area (no geometry), else None."""
        if self.public is None:
            return None
        return pd.DataFrame(self.public.areas.drop(columns="geometry"))

    @property
    def date(self) -> dt.date:
        """The date the snapshot describes: ``as_of``, else the day it was computed."""
        return self.as_of or self.created.date()

    @property
    def by_governorate(self) -> pd.DataFrame:
        """:attr:`Figures.by_governorate` of the whole network at the date."""
        return self.figures.by_governorate

    @property
    def by_district(self) -> pd.DataFrame | None:
        """:attr:`Figures.by_district` at the date (None without district boundaries)."""
        return self.figures.by_district

    def donor_figures(self) -> dict[str, Any] | None:
        """Return the chosen donor's row of :attr:`by_donor` (key -> value), or None."""
        if self.donor is None or self.by_donor is None:
            return None
        row = self.by_donor[self.by_donor["donor"].str.casefold() == self.donor.casefold()]
        return {k: _plain(row.iloc[0][k]) for k in DONOR_KEYS} if len(row) else None

    def figures_table(self) -> pd.DataFrame:
        """Every figure as one long table: ``table``, ``group``, ``key``, ``value``.

        ``table`` is ``"figures"`` (the whole network, group ``"all"``),
        ``"governorate"``, ``"district"`` (restricted snapshots with district boundaries;
        group: the district's P-code, its rows also carrying ``governorate`` and
        ``district`` as keys), ``"area"`` (public snapshots: the generalised areas, group
        ``area_id``) or ``"donor"`` (attributed).
        """
        rows: list[dict[str, Any]] = [
            {"table": "figures", "group": "all", "key": k, "value": v}
            for k, v in self.figures.items()
        ]
        # a public snapshot's districts are its areas: pooled where a count is small
        districts = ("district", self.by_district, "district_pcode")
        if not self.restricted:
            districts = ("area", self.by_area, "area_id")
        for table, frame, key in (
            ("governorate", self.by_governorate, "governorate"),
            districts,
            ("donor", self.by_donor, "donor"),
        ):
            if frame is None:
                continue
            for record in frame.astype(object).to_dict("records"):
                group = record.pop(key)
                rows.extend(
                    {"table": table, "group": _plain(group), "key": k, "value": _plain(v)}
                    for k, v in record.items()
                )
        frame = pd.DataFrame(
            {c: pd.array([r[c] for r in rows], dtype=object) for c in ("table", "group", "key")}
        )
        # one column of counts and shares: object, so that 7 stays 7 (not 7.0)
        frame["value"] = pd.array([r["value"] for r in rows], dtype=object)
        return frame


def _plain(value: Any) -> Any:
    """Return a table cell as a plain Python value (None for NA)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def parse_date(value: str | dt.date | None) -> dt.date | None:
    """Read an as-of date (``YYYY-MM-DD``); raise InputError naming the value if it is not."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        msg = f"as-of date {value!r} is not a date in the form YYYY-MM-DD"
        raise InputError(msg) from None


def _established_by(frame: gpd.GeoDataFrame, as_of: dt.date) -> gpd.GeoDataFrame:
    """Rows established on or before ``as_of``; rows without a date are kept."""
    if "established" not in frame.columns or len(frame) == 0:
        return frame
    dates = pd.to_datetime(frame["established"], errors="coerce")
    keep = dates.isna() | (dates <= pd.Timestamp(as_of))
    return frame.loc[keep.to_numpy()].reset_index(drop=True)


def donors(scenario: Scenario) -> list[str]:
    """Return the donor names found in the offices and forums layers, sorted."""
    names: set[str] = set()
    for frame in (scenario.offices, scenario.cpfs):
        if "donor" in frame.columns:
            names.update(str(d).strip() for d in frame["donor"].dropna() if str(d).strip())
    return sorted(names)


def has_dates(scenario: Scenario) -> bool:
    """Return True when offices or forums carry an ``established`` date column."""
    return any("established" in f.columns for f in (scenario.offices, scenario.cpfs))


def build_snapshot(
    scenario: Scenario,
    *,
    as_of: str | dt.date | None = None,
    donor: str | None = None,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
    governorates: Iterable[str] | str | None = None,
    kind: str = "public",
    level: str | None = None,
    min_count: int | None = None,
    cell_deg: float | None = None,
    lang: str = "en",
) -> Snapshot:
    """Compute the footprint figures of ``scenario``.

    Parameters
    ----------
    scenario
        Layers in EPSG:4326.
    as_of
        Keep only offices and forums whose ``established`` date is on or before this day
        (rows without a date are kept); ignored when there is no ``established`` column.
    donor
        Show the offices and forums of this donor (case-insensitive), with their status
        in the whole network and the figures attributed to the donor.
    radius_km
        Catchment radius, kilometres on the WGS84 ellipsoid; default ``settings.radius_km``.
    max_cpfs
        Office capacity in forums; default ``settings.max_cpfs``.
    governorates
        Focus governorates of the figures; default ``settings.FOCUS_GOVERNORATES``.
    kind
        {"public", "restricted"}: a public snapshot carries no site's location (see the
        module docstring); a restricted one is exact and marked RESTRICTED.
    level, min_count, cell_deg
        How a public snapshot generalises the sites (:func:`cpgeo.public.public_areas`):
        {"district", "governorate", "grid"} (default district with COD-AB district
        boundaries, else governorate), the small-count threshold and the grid cell side
        in degrees.
    lang
        The language of the snapshot's summary, report and maps: {"en", "ar", "ckb"}
        (see :data:`cpgeo.i18n.LANGUAGES`). The figures and the data files' keys are the
        same in every language.

    Returns
    -------
    Snapshot

    Raises
    ------
    InputError
        If ``as_of`` is not a date, ``kind`` or ``lang`` is unknown, ``donor`` is given but no layer
        has a ``donor`` column or the donor is unknown, or the generalisation asked for
        cannot be made (see :func:`cpgeo.public.public_areas`).
    """
    from cpgeo import figures
    from cpgeo.coverage import community_coverage
    from cpgeo.public import public_areas

    kind = str(kind).strip().lower()
    if kind not in KINDS:
        msg = f"snapshot kind {kind!r} is not one of {', '.join(KINDS)}"
        raise InputError(msg)
    lang = language(lang)

    radius_km = settings.radius_km if radius_km is None else float(radius_km)
    max_cpfs = settings.max_cpfs if max_cpfs is None else int(max_cpfs)
    day = parse_date(as_of)
    offices, cpfs = scenario.offices, scenario.cpfs
    if day is not None:
        offices, cpfs = _established_by(offices, day), _established_by(cpfs, day)
    whole = replace(scenario, offices=offices, cpfs=cpfs)
    fig = figures(whole, radius_km=radius_km, max_cpfs=max_cpfs, governorates=governorates)
    name = None
    shown, coverage, load, forums = whole, fig.coverage, fig.load, fig.forums
    if donor:
        known = donors(scenario)
        if not known:
            msg = "no donor column in the offices or forums layers: cannot filter by donor"
            raise InputError(msg)
        matches = [d for d in known if d.casefold() == donor.strip().casefold()]
        if not matches:
            msg = f"donor {donor!r} is not in the data; known donors: {', '.join(known)}"
            raise InputError(msg)
        name = matches[0]
        office_rows, forum_rows = _donor_mask(fig.load, name), _donor_mask(fig.forums, name)
        load = fig.load.loc[office_rows].reset_index(drop=True)
        forums = fig.forums.loc[forum_rows].reset_index(drop=True)
        shown = replace(whole, offices=offices.loc[office_rows].reset_index(drop=True),
                        cpfs=cpfs.loc[forum_rows].reset_index(drop=True))
        coverage = community_coverage(whole.communities, shown.offices, radius_km)
    by_donor = _by_donor(whole, fig) if donors(whole) else None
    public = None
    if kind == "public":
        public = public_areas(
            fig, whole.boundaries, level=level, min_count=min_count, cell_deg=cell_deg
        )
    snapshot = Snapshot(
        scenario=whole,
        figures=fig,
        donor=name,
        shown=shown,
        coverage=coverage,
        load=load,
        forums=forums,
        by_donor=by_donor,
        as_of=day,
        radius_km=fig.radius_km,
        max_cpfs=fig.max_cpfs,
        kind=kind,
        public=public,
        lang=lang,
    )
    log(
        f"build_snapshot: {kind}, {fig['offices']} offices, {fig['forums']} forums at "
        f"{snapshot.date.isoformat()}" + (f", shown for {name}" if name else "")
    )
    return snapshot


def _donor_mask(frame: pd.DataFrame, donor: str) -> np.ndarray:
    if "donor" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    match = frame["donor"].astype("string").str.strip().str.casefold() == donor.casefold()
    return match.fillna(False).to_numpy(dtype=bool)


def _by_donor(scn: Scenario, fig: Figures) -> pd.DataFrame:
    """Per-donor figures: facts of the whole network, coverage attributed."""
    from cpgeo._figures import _people, _population
    from cpgeo.coverage import community_coverage

    population, known = _population(fig.coverage)
    served = fig.assignment.cpfs["served"].to_numpy(dtype=bool)
    no_office = fig.forums["offices_in_range"].to_numpy() == 0
    rows = []
    for name in donors(scn):
        offices = _donor_mask(fig.load, name)
        forums = _donor_mask(fig.forums, name)
        if offices.any():
            covd = community_coverage(scn.communities, fig.load.loc[offices], fig.radius_km)
            covered = covd["covered"].to_numpy(dtype=bool)
        else:
            covered = np.zeros(len(fig.coverage), dtype=bool)
        rows.append(
            {
                "donor": name,
                "offices": int(offices.sum()),
                "offices_over_capacity": int(
                    (offices & fig.load["over_capacity"].to_numpy(dtype=bool)).sum()
                ),
                "forums": int(forums.sum()),
                "forums_served_within_capacity": int((forums & served).sum()),
                "forums_without_office_in_range": int((forums & no_office).sum()),
                "communities_within_radius_attributed": int(covered.sum()),
                "population_within_radius_attributed": _people(population, known, covered),
            }
        )
    table = pd.DataFrame(rows, columns=["donor", *DONOR_KEYS])
    table["population_within_radius_attributed"] = pd.array(
        table["population_within_radius_attributed"].tolist(), dtype="Int64"
    )
    return table


#: The figures a snapshot's summary lists, in order.
HEADLINE_KEYS: tuple[str, ...] = (
    "offices",
    "forums",
    "communities",
    "communities_within_radius",
    "population",
    "population_within_radius",
    "population_within_radius_share",
    "communities_population_unknown",
    "offices_over_capacity",
    "forums_served_within_capacity",
    "forums_without_office_in_range",
    "forums_beyond_declared_office",
    "forums_unknown_office",
)


def summary_text(snapshot: Snapshot) -> str:
    """Return the snapshot's human-readable summary (markdown), in :attr:`Snapshot.lang`."""
    from cpgeo.labels import figure_lines

    lang = snapshot.lang
    fig = snapshot.figures
    scn = snapshot.shown
    notice = _notice(snapshot)
    lines = [f"**{marking_text(lang)}**", ""] if snapshot.restricted else []
    lines += [f"# {report_title(snapshot)}", ""]
    if notice:
        lines += [f"**{_md(notice)}**", ""]
    lines += [f"- {_md(line)}" for line in _particulars(snapshot)]
    lines += [""]
    if snapshot.public is not None:
        lines += [f"_{_md(public_rule(snapshot))}_", ""]
    mine = snapshot.donor_figures()
    if mine is not None:
        lines += [f"## {gettext('Attributed to {name}', lang, name=_md(snapshot.donor))}", ""]
        lines += [f"- {line}" for line in figure_lines(
            {k: mine[k] for k in DONOR_KEYS}, DONOR_KEYS, lang
        )]
        lines += [
            "",
            f"_{attribution_note(lang)}_ {_whole_network(fig, lang)}",
            "",
            gettext(_STATUS_NOTE, lang),
            "",
        ]
    lines += [f"## {gettext('Whole network at the date', lang)}", ""]
    lines += [f"- {_md(line)}" for line in figure_lines(fig, HEADLINE_KEYS, lang)]
    for heading, frame in _tables(snapshot):
        lines += ["", f"## {_md(heading)}", "", _markdown_table(frame)]
    lines += [""]
    if snapshot.by_donor is not None and len(snapshot.by_donor):
        lines += [f"_{attribution_note(lang)}_ {_whole_network(fig, lang)}", ""]
    lines += [f"## {gettext('Data sources', lang)}", ""]
    lines += [
        f"- {_layer_name(layer, lang)}: {_md(source)}" for layer, source in scn.sources.items()
    ] or [f"- {gettext('(none)', lang)}"]
    lines += ["", f"## {gettext('Files', lang)}", ""]
    lines += [f"- `{name}`: {what}" for name, what in zip(
        snapshot.files, _file_notes(snapshot), strict=True
    )]
    lines += [""]
    if snapshot.restricted:
        lines += [f"**{marking_text(lang)}**", ""]
    return "\n".join(lines)


#: Said wherever donors' figures are shown.
_STATUS_NOTE = "Forum status and office load are those of the whole network at the date."


def attribution_note(lang: str = "en") -> str:
    """Return :data:`ATTRIBUTION_NOTE` in ``lang``."""
    return gettext(ATTRIBUTION_NOTE, language(lang))


def _notice(snapshot: Snapshot) -> str:
    """Return the illustrative-data notice of the shown layers in the snapshot's language."""
    scn = snapshot.shown
    if snapshot.lang == "en" or not scn.notice:
        return scn.notice
    return scn.notice_in(snapshot.lang)


def _layer_name(layer: str, lang: str) -> str:
    """Return a layer's name as a reader says it (English keeps the key)."""
    if lang == "en":
        return layer
    from cpgeo.labels import label

    if layer in _LAYER_WORDS:
        return gettext(_LAYER_WORDS[layer], lang)
    return label({"cpfs": "forums"}.get(layer, layer), lang)


#: Layers whose name is not a figure's label.
_LAYER_WORDS = {"boundaries": "administrative boundaries", "stations": "police stations"}


def report_title(snapshot: Snapshot) -> str:
    """Return the title: what, for whom and when (RESTRICTED first when it is)."""
    lang = snapshot.lang
    who = _name(snapshot.donor, lang) if snapshot.donor else gettext("all donors", lang)
    title = gettext(
        "Community policing footprint, {who}, {date}", lang, who=who,
        date=_day(snapshot.date, lang),
    )
    return f"{marking(lang)}: {title}" if snapshot.restricted else title


#: How a public snapshot's level reads in its sentences.
_LEVEL_WORDS = {"district": "district", "governorate": "governorate", "grid": "grid"}


def _particulars(snapshot: Snapshot) -> list[str]:
    """Return the lines that say what the snapshot is: date, donor, parameters, kind."""
    lang = snapshot.lang
    created = snapshot.created
    computed = (
        created.strftime("%Y-%m-%d %H:%M UTC")
        if lang == "en"
        else f"{format_date(created.date(), lang)}\u060c {created.strftime('%H:%M')} UTC"
    )
    lines = [
        gettext("Date: {date}", lang, date=_day(snapshot.date, lang))
        + (
            " " + gettext("(as of; offices and forums established by then)", lang)
            if snapshot.as_of
            else ""
        ),
        gettext("Computed: {when}", lang, when=computed),
        gettext("Donor: {donor}", lang, donor=_name(snapshot.donor, lang)) if snapshot.donor
        else gettext("Donor: all", lang),
        gettext(
            "Catchment radius: {km} km (geodesic, WGS84); office capacity: {n} forums",
            lang, km=_km(snapshot.radius_km, lang), n=snapshot.max_cpfs,
        ),
    ]
    if snapshot.restricted:
        lines.append(
            gettext("Kind: restricted (exact locations of offices, forums and stations)", lang)
        )
    else:
        assert snapshot.public is not None
        level = snapshot.public.level
        lines.append(
            gettext(
                "Kind: public (safe to share: no site locations; sites counted by {level})",
                lang, level=gettext(_LEVEL_WORDS.get(level, level), lang),
            )
        )
    return lines


def public_rule(snapshot: Snapshot) -> str:
    """Return the public snapshot's generalisation rule in its language ("" if restricted).

    English is :attr:`cpgeo.public.PublicAreas.rule` word for word.
    """
    from cpgeo.public import rule_text

    public = snapshot.public
    if public is None:
        return ""
    return rule_text(public.level, public.min_count, public.cell_deg, snapshot.lang)


def _tables(snapshot: Snapshot) -> list[tuple[str, pd.DataFrame]]:
    """Return the tables as text (heading, frame of labelled columns and formatted cells)."""
    from cpgeo.labels import AREA_COLUMNS, GOVERNORATE_COLUMNS, display_table

    lang = snapshot.lang
    fig = snapshot.figures
    out = [(
        gettext("By governorate", lang),
        display_table(_named(fig.by_governorate, lang), GOVERNORATE_COLUMNS, lang=lang),
    )]
    if snapshot.public is not None and snapshot.public.level != "governorate":
        level = snapshot.public.level
        out.append(
            (gettext("By area ({level}, small counts pooled)", lang,
                level=gettext(_LEVEL_WORDS.get(level, level), lang)),
             display_table(_named(snapshot.public.areas, lang), AREA_COLUMNS, lang=lang))
        )
    elif snapshot.restricted and fig.by_district is not None:
        out.append(
            (gettext("By district", lang), display_table(_named(fig.by_district, lang), lang=lang))
        )
    donors_ = donor_table(snapshot)
    if donors_ is not None and len(snapshot.by_donor):  # type: ignore[arg-type]
        if lang != "en":
            donors_ = donors_.assign(
                donor=[gettext(WHOLE_NETWORK, lang) if d == WHOLE_NETWORK else d
                       for d in donors_["donor"]]
            )
        out.append(
            (gettext("By donor (attributed; catchments overlap)", lang),
             display_table(donors_, lang=lang))
        )
    return out


def _named(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with its governorates named in ``lang`` (for display only)."""
    if lang == "en" or "governorate" not in frame.columns:
        return frame
    from cpgeo.i18n import place_names

    return frame.assign(governorate=place_names(frame, lang, column="governorate"))


def _file_notes(snapshot: Snapshot) -> tuple[str, ...]:
    lang = snapshot.lang
    layers = (
        "all layers (EPSG:4326), with coverage and load columns"
        if snapshot.restricted
        else "the areas with their figures, and the boundaries (EPSG:4326); no site"
    )
    notes = (
        "interactive map (opens offline, no internet needed)",
        "the same map as a picture",
        "the report (A4 PDF): map, figures, tables, sources",
        "every figure above (table, group, key, value)",
        layers,
        "this summary",
    )
    return tuple(gettext(note, lang) for note in notes)


def _whole_network(fig: Figures, lang: str = "en") -> str:
    from cpgeo.labels import figure

    return gettext(
        "Whole network, each community counted once: {communities} communities and "
        "{people} people within the radius.",
        lang,
        communities=figure("communities_within_radius", fig["communities_within_radius"],
                           lang=lang),
        people=figure("population_within_radius", fig["population_within_radius"], lang=lang),
    )


def _md(text: object) -> str:
    """Text from data, made inert in markdown (no links, images, emphasis or tables)."""
    out = str(text)
    for char in "\\`*_[]<>!|#":
        out = out.replace(char, "\\" + char)
    return out


def _markdown_table(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(_md(c) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(_md(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


#: The boundaries' columns a public snapshot publishes (names and P-codes of areas).
_BOUNDARY_COLUMNS = (
    "id", "name", "name_ar", "level", "governorate", "governorate_pcode", "district",
    "district_pcode", "subdistrict", "subdistrict_pcode",
)


def _write(snapshot: Snapshot, folder: Path) -> None:
    """Write the snapshot's files into ``folder`` (named as :attr:`Snapshot.files`)."""
    names = dict(zip(_FILES, snapshot.files, strict=True))
    if snapshot.restricted:
        _write_maps_restricted(snapshot, folder, names)
    else:
        _write_maps_public(snapshot, folder, names)
    _write_report(snapshot, folder / names["report.pdf"], folder / names["map.png"])
    write_table(snapshot.figures_table(), folder / names["figures.csv"])
    (folder / names["summary.md"]).write_text(summary_text(snapshot), encoding="utf-8")


def _public_boundaries(snapshot: Snapshot) -> gpd.GeoDataFrame:
    """Return the boundaries with only the names and P-codes of their areas."""
    boundaries = snapshot.shown.boundaries
    keep = [c for c in _BOUNDARY_COLUMNS if c in boundaries.columns]
    return boundaries[[*keep, boundaries.geometry.name]]


def _with_lang(func: Any, options: dict[str, Any], lang: str) -> dict[str, Any]:
    """``options`` with ``lang`` added when ``func`` takes it (the maps may not yet)."""
    import inspect

    if lang != "en" and "lang" in inspect.signature(func).parameters:
        return {**options, "lang": lang}
    return options


def snapshot_map(snapshot: Snapshot, *, assets_base_url: str | None = None) -> Any:
    """Return the snapshot's interactive map (a folium.Map that draws offline).

    A public snapshot's map shades its areas (:attr:`Snapshot.public`) and draws no
    site; a restricted one's is the exact network with the RESTRICTED banner. Its title,
    marking and notes are in the snapshot's language; the legend and tooltips too where
    :mod:`cpgeo.maps` takes a language.
    """
    from cpgeo import maps

    lang = snapshot.lang
    title = _map_title(snapshot)
    notice = _notice(snapshot) or None
    if snapshot.public is None:
        return maps.build_map(
            snapshot.shown,
            snapshot.coverage,
            snapshot.load,
            **_with_lang(maps.build_map, {
                "forums": snapshot.forums,
                "radius_km": snapshot.radius_km,
                "max_cpfs": snapshot.max_cpfs,
                "title": f"{marking(lang)}: {title}",
                "marking": marking_text(lang),
                "assets_base_url": assets_base_url,
            }, lang),
        )
    return maps.build_area_map(
        snapshot.public.areas,
        _public_boundaries(snapshot),
        **_with_lang(maps.build_area_map, {
            "value": snapshot.public.shade,
            "title": title,
            "notice": notice,
            "note": public_rule(snapshot),
            "assets_base_url": assets_base_url,
        }, lang),
    )


def donor_table(snapshot: Snapshot) -> pd.DataFrame | None:
    """Return :attr:`Snapshot.by_donor` with the whole network's row last.

    The donors' rows are attributed (catchments overlap, see :data:`ATTRIBUTION_NOTE`);
    the last row, ``"Whole network (each community once)"``, is de-duplicated: the
    figures of the whole network at the date.
    """
    if snapshot.by_donor is None:
        return None
    fig = snapshot.figures
    total = {
        "donor": WHOLE_NETWORK,
        "offices": fig["offices"],
        "offices_over_capacity": fig["offices_over_capacity"],
        "forums": fig["forums"],
        "forums_served_within_capacity": fig["forums_served_within_capacity"],
        "forums_without_office_in_range": fig["forums_without_office_in_range"],
        "communities_within_radius_attributed": fig["communities_within_radius"],
        "population_within_radius_attributed": fig["population_within_radius"],
    }
    table = pd.concat([snapshot.by_donor, pd.DataFrame([total])], ignore_index=True)
    table["population_within_radius_attributed"] = pd.array(
        table["population_within_radius_attributed"].tolist(), dtype="Int64"
    )
    return table


#: The last row of :func:`donor_table`.
WHOLE_NETWORK = "Whole network (each community once)"


def _map_title(snapshot: Snapshot) -> str:
    lang = snapshot.lang
    title = gettext("Footprint on {date}", lang, date=_day(snapshot.date, lang)) + (
        f" ({_name(snapshot.donor, lang)})" if snapshot.donor else ""
    )
    if not snapshot.shown.illustrative:
        return title
    if lang == "en":
        return title + " - ILLUSTRATIVE DATA"
    # the English words stay, as on every notice of illustrative data
    return f"{title} - ILLUSTRATIVE DATA \u00b7 {gettext('illustrative data', lang)}"


def _write_maps_restricted(snapshot: Snapshot, folder: Path, names: dict[str, str]) -> None:
    from cpgeo import maps
    from cpgeo.io import write_layers

    lang = snapshot.lang
    scn = snapshot.shown
    title = _map_title(snapshot)
    common: dict[str, Any] = {
        "forums": snapshot.forums,
        "radius_km": snapshot.radius_km,
        "max_cpfs": snapshot.max_cpfs,
        "title": f"{marking(lang)}: {title}",
        "marking": marking_line(lang),
    }
    maps.save_html(snapshot_map(snapshot), folder / names["map.html"])
    maps.render_png(
        scn, folder / names["map.png"], snapshot.coverage, snapshot.load,
        **_with_lang(maps.render_png, common, lang),
    )
    layers: dict[str, Any] = {
        "boundaries": scn.boundaries,
        "communities": snapshot.coverage,
        "offices": snapshot.load,
        "cpfs": snapshot.forums,
    }
    if scn.stations is not None:
        layers["stations"] = scn.stations
    # the data's description stays English: software and scanners read it
    write_layers(layers, folder / names["layers.gpkg"], description=MARKING_TEXT)


def _write_maps_public(snapshot: Snapshot, folder: Path, names: dict[str, str]) -> None:
    """Write the public maps and layers: areas and boundaries only, no point of a site."""
    from cpgeo import maps
    from cpgeo.io import write_layers

    public = snapshot.public
    assert public is not None
    boundaries = _public_boundaries(snapshot)
    common: dict[str, Any] = {
        "title": _map_title(snapshot),
        "notice": _notice(snapshot) or None,
        "note": public_rule(snapshot),
        "value": public.shade,
    }
    maps.save_html(snapshot_map(snapshot), folder / names["map.html"])
    maps.render_area_png(
        public.areas, boundaries, folder / names["map.png"],
        **_with_lang(maps.render_area_png, common, snapshot.lang),
    )
    write_layers(
        {"areas": public.areas, "boundaries": boundaries},
        folder / names["layers.gpkg"],
        description=f"cpgeo public footprint snapshot, {snapshot.date.isoformat()}. "
        + public.rule,
    )


#: The figures on the report's first page (the summary and the CSV carry them all).
REPORT_KEYS: tuple[str, ...] = (
    "offices",
    "forums",
    "communities_within_radius",
    "population_within_radius",
    "population_within_radius_share",
    "offices_over_capacity",
    "forums_served_within_capacity",
    "forums_without_office_in_range",
)

#: A donor's figures on the report's first page.
REPORT_DONOR_KEYS: tuple[str, ...] = (
    "offices",
    "forums",
    "communities_within_radius_attributed",
    "population_within_radius_attributed",
)


def _write_report(snapshot: Snapshot, path: Path, map_png: Path) -> None:
    """Write the A4 report: title, map, headline figures, tables, notes and sources."""
    from cpgeo.labels import figure, label
    from cpgeo.report import write_report

    lang = snapshot.lang
    fig = snapshot.figures
    mine = snapshot.donor_figures()
    notes = []
    if mine is None:
        headline = [(label(k, lang), figure(k, fig[k], lang=lang)) for k in REPORT_KEYS]
    else:
        headline = [(f"{label(k, lang)}, {snapshot.donor}" if lang == "en"
                     else f"{label(k, lang)}\u060c {_name(snapshot.donor, lang)}",
                     figure(k, mine[k], lang=lang))
                    for k in REPORT_DONOR_KEYS]
        headline += [(gettext("{label}, whole network", lang, label=label(k, lang)),
                      figure(k, fig[k], lang=lang))
                     for k in REPORT_KEYS[:6]]
    if snapshot.by_donor is not None and len(snapshot.by_donor):
        notes.append(f"{attribution_note(lang)} {_whole_network(fig, lang)}")
        notes.append(gettext(_STATUS_NOTE, lang))
    if snapshot.public is not None:
        notes.insert(0, public_rule(snapshot))
    else:
        notes.insert(0, marking_text(lang))
    day = _day(snapshot.date, lang)
    write_report(
        path,
        title=report_title(snapshot),
        date=day,
        subtitle=_particulars(snapshot)[1:],
        marking=marking(lang) if snapshot.restricted else None,
        notice=_notice(snapshot) or None,
        map_png=map_png,
        map_caption=public_rule(snapshot) if snapshot.public is not None else None,
        headline=headline,
        tables=_tables(snapshot),
        notes=notes,
        sources=[(_layer_name(k, lang), v) for k, v in snapshot.shown.sources.items()],
        data_date=(
            gettext("offices and forums established by {date}", lang, date=day)
            if snapshot.as_of
            else gettext("offices and forums as loaded on {date}", lang,
                    date=_day(snapshot.created.date(), lang))
        ),
        lang=lang,
    )


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write a long figures table as CSV: counts as whole numbers, shares as decimals."""
    from cpgeo.io import csv_safe

    out = table.copy()
    out["value"] = [
        "" if v is None else (repr(float(v)) if isinstance(v, float) else str(v))
        for v in out["value"]
    ]
    # group names come from the data (governorates, donors): no formula gets through
    csv_safe(out.reset_index(drop=True)).to_csv(path, index=False, lineterminator="\n")


#: Prefix of the temporary folder an export writes into, inside the output folder.
_TEMPORARY_PREFIX = ".cpgeo-snapshot-"


def _check_folder(out: Path, kind: str) -> None:
    """Refuse a folder that holds anything but an earlier snapshot's own files.

    An earlier snapshot of the other kind is refused too: a public snapshot is never
    written beside a restricted one (a folder forwarded whole would carry both).
    """
    if out.exists() and not out.is_dir():
        msg = f"{out}: is a file, not a folder; give a folder for the snapshot"
        raise InputError(msg)
    if not out.is_dir():
        return
    own = snapshot_files(kind)
    other = snapshot_files("public" if kind == "restricted" else "restricted")
    names = [p.name for p in out.iterdir() if not p.name.startswith(_TEMPORARY_PREFIX)]
    if any(name in other and name not in own for name in names):
        msg = (
            f"{out}: the folder holds a {'public' if kind == 'restricted' else 'restricted'} "
            f"snapshot; a {kind} snapshot is never written beside it: choose another folder"
        )
        raise InputError(msg)
    foreign = sorted(name for name in names if name not in own)
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        shown = ", ".join(foreign[:3]) + more
        msg = (
            f"{out}: the folder holds files that are not a cpgeo snapshot's ({shown}); "
            "cpgeo writes a snapshot only into a new or empty folder or over an earlier "
            "snapshot, and never deletes other files: choose another folder"
        )
        raise InputError(msg)


def export_snapshot(snapshot: Snapshot, out_dir: str | Path, *, lang: str | None = None) -> Path:
    """Write the snapshot's files (:attr:`Snapshot.files`) into ``out_dir``.

    ``lang`` {"en", "ar", "ckb"} writes the human parts (summary, report, map titles,
    legends and notes) in that language instead of :attr:`Snapshot.lang`; the file
    names, the CSV's and the GeoPackage's columns and keys are the same in every
    language.

    ``out_dir`` is created when missing. An existing folder is accepted only when it is
    empty or holds an earlier snapshot of the same kind (only its files); then only
    those files are replaced. Nothing else is ever deleted or overwritten. The files are
    all written into a temporary folder inside ``out_dir`` first, then each is moved
    into place in one step: a reader (or a crash) sees each file old or new, never half
    written.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    InputError
        If ``out_dir`` is a file, or a folder holding files that are not a snapshot's of
        this kind, or ``lang`` is not a language of :data:`cpgeo.i18n.LANGUAGES`.
    """
    if lang is not None:
        snapshot = replace(snapshot, lang=language(lang))
    out = Path(out_dir)
    _check_folder(out, snapshot.kind)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_TEMPORARY_PREFIX, dir=out))
    try:
        _write(snapshot, tmp)
        for name in snapshot.files:
            (tmp / name).replace(out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the temporary folder made above, only
    log(
        f"export_snapshot: wrote {len(snapshot.files)} {snapshot.kind} files "
        f"({snapshot.lang}) to {out}"
    )
    return out


def zip_name(snapshot: Snapshot) -> str:
    """Return the zip's file name (RESTRICTED first for a restricted snapshot)."""
    stem = f"cpgeo-snapshot-{snapshot.date}"
    return f"{MARKING}-{stem}.zip" if snapshot.restricted else f"{stem}.zip"


def snapshot_zip(snapshot: Snapshot, *, lang: str | None = None) -> bytes:
    """Return the snapshot's files as a zip archive (in memory), e.g. for a download.

    ``lang`` as in :func:`export_snapshot`.
    """
    folder_name = zip_name(snapshot).removesuffix(".zip")
    with tempfile.TemporaryDirectory(prefix="cpgeo-snapshot-") as tmp:
        folder = export_snapshot(snapshot, Path(tmp) / "snapshot", lang=lang)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            if snapshot.restricted:
                archive.comment = MARKING_TEXT.encode("utf-8")
            for name in snapshot.files:
                archive.write(folder / name, arcname=f"{folder_name}/{name}")
    return buffer.getvalue()
