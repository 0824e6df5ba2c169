"""Footprint snapshots for donors: the figures, a map and the data, at a date.

A snapshot is self-describing: its summary states the date, the data sources and, for
the demo, the illustrative-data notice. :func:`export_snapshot` writes it as a folder
(standalone HTML map that opens offline, PNG map, figures CSV, all layers in one
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

if TYPE_CHECKING:
    import geopandas as gpd

    from cpgeo._figures import Figures
    from cpgeo.scenario import Scenario

#: Files written by :func:`export_snapshot`.
SNAPSHOT_FILES: tuple[str, ...] = (
    "map.html",
    "map.png",
    "figures.csv",
    "layers.gpkg",
    "summary.md",
)


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
    created
        When the snapshot was computed (UTC).
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
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

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
        ``"governorate"``, ``"district"`` (group: the district's P-code, its rows also
        carrying ``governorate`` and ``district`` as keys; only with district boundaries)
        or ``"donor"`` (attributed).
        """
        rows: list[dict[str, Any]] = [
            {"table": "figures", "group": "all", "key": k, "value": v}
            for k, v in self.figures.items()
        ]
        for table, frame, key in (
            ("governorate", self.by_governorate, "governorate"),
            ("district", self.by_district, "district_pcode"),
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


def _parse_date(value: str | dt.date | None) -> dt.date | None:
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

    Returns
    -------
    Snapshot

    Raises
    ------
    InputError
        If ``as_of`` is not a date, or ``donor`` is given but no layer has a ``donor``
        column or the donor is unknown.
    """
    from cpgeo import figures
    from cpgeo.coverage import community_coverage

    radius_km = settings.radius_km if radius_km is None else float(radius_km)
    max_cpfs = settings.max_cpfs if max_cpfs is None else int(max_cpfs)
    day = _parse_date(as_of)
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
    )
    log(
        f"build_snapshot: {fig['offices']} offices, {fig['forums']} forums at "
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
    """Return the snapshot's human-readable summary (markdown)."""
    from cpgeo.labels import display_table, figure_lines

    fig = snapshot.figures
    scn = snapshot.shown
    lines = ["# Community policing footprint snapshot", ""]
    if scn.notice:
        lines += [f"**{_md(scn.notice)}**", ""]
    lines += [
        f"- Date: {snapshot.date.isoformat()}"
        + (" (as of; offices and forums established by then)" if snapshot.as_of else ""),
        f"- Computed: {snapshot.created.strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Donor: {_md(snapshot.donor)}" if snapshot.donor else "- Donor: all",
        f"- Catchment radius: {snapshot.radius_km:g} km (geodesic, WGS84); "
        f"office capacity: {snapshot.max_cpfs} forums",
        "",
    ]
    mine = snapshot.donor_figures()
    if mine is not None:
        lines += [f"## Attributed to {_md(snapshot.donor)}", ""]
        lines += [f"- {line}" for line in figure_lines(
            {k: mine[k] for k in DONOR_KEYS}, DONOR_KEYS
        )]
        lines += [
            "",
            f"_{ATTRIBUTION_NOTE}_ {_whole_network(fig)}",
            "",
            "Forum status and office load are those of the whole network at the date.",
            "",
        ]
    lines += ["## Whole network at the date", ""]
    lines += [f"- {_md(line)}" for line in figure_lines(fig, HEADLINE_KEYS)]
    lines += ["", "## By governorate", "", _markdown_table(display_table(fig.by_governorate)), ""]
    if fig.by_district is not None:
        lines += ["## By district", "", _markdown_table(display_table(fig.by_district)), ""]
    if snapshot.by_donor is not None and len(snapshot.by_donor):
        lines += [
            "## By donor (attributed)",
            "",
            _markdown_table(display_table(snapshot.by_donor)),
            "",
            f"_{ATTRIBUTION_NOTE}_ {_whole_network(fig)}",
            "",
        ]
    lines += ["## Data sources", ""]
    lines += [f"- {layer}: {_md(source)}" for layer, source in scn.sources.items()] or ["- (none)"]
    lines += [
        "",
        "## Files",
        "",
        "- `map.html`: interactive map (opens offline, no internet needed)",
        "- `map.png`: the same map as a picture",
        "- `figures.csv`: every figure above (table, group, key, value)",
        "- `layers.gpkg`: all layers (EPSG:4326), with coverage and load columns",
        "",
    ]
    return "\n".join(lines)


def _whole_network(fig: Figures) -> str:
    from cpgeo.labels import figure

    return (
        "Whole network, each community counted once: "
        f"{figure('communities_within_radius', fig['communities_within_radius'])} communities "
        f"and {figure('population_within_radius', fig['population_within_radius'])} people "
        "within the radius."
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


def _write(snapshot: Snapshot, folder: Path) -> None:
    from cpgeo import maps
    from cpgeo.io import write_layers

    scn = snapshot.shown
    title = f"Footprint on {snapshot.date.isoformat()}" + (
        f" ({snapshot.donor})" if snapshot.donor else ""
    )
    m = maps.build_map(
        scn,
        snapshot.coverage,
        snapshot.load,
        forums=snapshot.forums,
        radius_km=snapshot.radius_km,
        max_cpfs=snapshot.max_cpfs,
        title=title + (" - ILLUSTRATIVE DATA" if scn.illustrative else ""),
    )
    maps.save_html(m, folder / "map.html")
    maps.render_png(
        scn,
        folder / "map.png",
        snapshot.coverage,
        snapshot.load,
        forums=snapshot.forums,
        radius_km=snapshot.radius_km,
        max_cpfs=snapshot.max_cpfs,
        title=title,
    )
    write_table(snapshot.figures_table(), folder / "figures.csv")
    layers: dict[str, Any] = {
        "boundaries": scn.boundaries,
        "communities": snapshot.coverage,
        "offices": snapshot.load,
        "cpfs": snapshot.forums,
    }
    if scn.stations is not None:
        layers["stations"] = scn.stations
    write_layers(layers, folder / "layers.gpkg")
    (folder / "summary.md").write_text(summary_text(snapshot), encoding="utf-8")


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


def _check_folder(out: Path) -> None:
    """Refuse a folder that holds anything but an earlier snapshot's own files."""
    if out.exists() and not out.is_dir():
        msg = f"{out}: is a file, not a folder; give a folder for the snapshot"
        raise InputError(msg)
    if not out.is_dir():
        return
    foreign = sorted(
        p.name
        for p in out.iterdir()
        if p.name not in SNAPSHOT_FILES and not p.name.startswith(_TEMPORARY_PREFIX)
    )
    if foreign:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        shown = ", ".join(foreign[:3]) + more
        msg = (
            f"{out}: the folder holds files that are not a cpgeo snapshot's ({shown}); "
            "cpgeo writes a snapshot only into a new or empty folder or over an earlier "
            "snapshot, and never deletes other files: choose another folder"
        )
        raise InputError(msg)


def export_snapshot(snapshot: Snapshot, out_dir: str | Path) -> Path:
    """Write the snapshot's files (see :data:`SNAPSHOT_FILES`) into ``out_dir``.

    ``out_dir`` is created when missing. An existing folder is accepted only when it is
    empty or holds an earlier snapshot (only :data:`SNAPSHOT_FILES`); then only those
    files are replaced. Nothing else is ever deleted or overwritten. The files are all
    written into a temporary folder inside ``out_dir`` first, then each is moved into
    place in one step: a reader (or a crash) sees each file old or new, never half
    written.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    InputError
        If ``out_dir`` is a file, or a folder holding files that are not a snapshot's.
    """
    out = Path(out_dir)
    _check_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_TEMPORARY_PREFIX, dir=out))
    try:
        _write(snapshot, tmp)
        for name in SNAPSHOT_FILES:
            (tmp / name).replace(out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the temporary folder made above, only
    log(f"export_snapshot: wrote {len(SNAPSHOT_FILES)} files to {out}")
    return out


def snapshot_zip(snapshot: Snapshot) -> bytes:
    """Return the snapshot's files as a zip archive (in memory), e.g. for a download."""
    with tempfile.TemporaryDirectory(prefix="cpgeo-snapshot-") as tmp:
        folder = export_snapshot(snapshot, Path(tmp) / "snapshot")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in SNAPSHOT_FILES:
                archive.write(folder / name, arcname=f"snapshot-{snapshot.date}/{name}")
    return buffer.getvalue()
