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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo._log import log

if TYPE_CHECKING:
    import geopandas as gpd

    from cpgeo.scenario import Scenario

#: Files written by :func:`export_snapshot`.
SNAPSHOT_FILES: tuple[str, ...] = (
    "map.html",
    "map.png",
    "figures.csv",
    "layers.gpkg",
    "summary.md",
)


@dataclass(frozen=True)
class Snapshot:
    """The footprint at a date (and optionally for one donor).

    Attributes
    ----------
    scenario
        The scenario after the as-of and donor filters (EPSG:4326 layers).
    coverage, load, forums
        Outputs of ``community_coverage``, ``office_load`` and ``cpf_status`` on it.
    headline
        Figure name -> value: offices, forums, communities, communities_covered,
        population, population_covered, share_covered (population share, 0..1),
        offices_over_capacity, forums_out_of_range, forums_no_office.
    by_governorate
        One row per governorate (+ "Total"): offices, forums, communities, covered,
        population, population_covered, share_covered.
    by_donor
        One row per donor (offices, forums, communities_covered, population_covered by
        that donor's offices), or None when no layer has a ``donor`` column.
    as_of, donor, radius_km, max_cpfs
        The filters and parameters used (radius in kilometres, geodesic on WGS84).
    created
        When the snapshot was computed (UTC).
    """

    scenario: Scenario
    coverage: gpd.GeoDataFrame
    load: gpd.GeoDataFrame
    forums: gpd.GeoDataFrame
    headline: dict[str, float]
    by_governorate: pd.DataFrame
    by_donor: pd.DataFrame | None
    as_of: dt.date | None
    donor: str | None
    radius_km: float
    max_cpfs: int
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def date(self) -> dt.date:
        """The date the snapshot describes: ``as_of``, else the day it was computed."""
        return self.as_of or self.created.date()

    def figures(self) -> pd.DataFrame:
        """Return every figure as one long table: table, group, metric, value."""
        rows: list[dict[str, Any]] = [
            {"table": "headline", "group": "all", "metric": k, "value": v}
            for k, v in self.headline.items()
        ]
        for table, frame, key in (
            ("governorate", self.by_governorate, "governorate"),
            ("donor", self.by_donor, "donor"),
        ):
            if frame is None:
                continue
            for record in frame.to_dict("records"):
                group = record.pop(key)
                rows.extend(
                    {"table": table, "group": group, "metric": k, "value": v}
                    for k, v in record.items()
                )
        return pd.DataFrame(rows, columns=["table", "group", "metric", "value"])


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


def _donor_rows(frame: gpd.GeoDataFrame, donor: str) -> gpd.GeoDataFrame:
    if "donor" not in frame.columns:
        return frame.iloc[0:0]
    match = frame["donor"].astype("string").str.strip().str.casefold() == donor.casefold()
    return frame.loc[match.fillna(False).to_numpy()].reset_index(drop=True)


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
        Keep only the offices and forums of this donor (case-insensitive).
    radius_km
        Catchment radius, kilometres on the WGS84 ellipsoid; default ``settings.radius_km``.
    max_cpfs
        Office capacity in forums; default ``settings.max_cpfs``.

    Returns
    -------
    Snapshot

    Raises
    ------
    InputError
        If ``as_of`` is not a date, or ``donor`` is given but no layer has a ``donor``
        column or the donor is unknown.
    """
    from cpgeo import coverage as cov

    radius_km = settings.radius_km if radius_km is None else float(radius_km)
    max_cpfs = settings.max_cpfs if max_cpfs is None else int(max_cpfs)
    day = _parse_date(as_of)
    offices, cpfs = scenario.offices, scenario.cpfs
    if day is not None:
        offices, cpfs = _established_by(offices, day), _established_by(cpfs, day)
    if donor:
        known = donors(scenario)
        if not known:
            msg = "no donor column in the offices or forums layers: cannot filter by donor"
            raise InputError(msg)
        if donor.strip().casefold() not in {d.casefold() for d in known}:
            msg = f"donor {donor!r} is not in the data; known donors: {', '.join(known)}"
            raise InputError(msg)
        offices, cpfs = _donor_rows(offices, donor.strip()), _donor_rows(cpfs, donor.strip())
    scn = replace(scenario, offices=offices, cpfs=cpfs)

    coverage = cov.community_coverage(scn.communities, scn.offices, radius_km)
    load = cov.office_load(scn.offices, scn.cpfs, radius_km, max_cpfs)
    forums = cov.cpf_status(scn.offices, scn.cpfs, radius_km)

    by_gov = _by_governorate(scn, coverage)
    total = by_gov[by_gov["governorate"] == "Total"].iloc[0]
    status = forums["status"].astype(str) if len(forums) else pd.Series(dtype=str)
    headline: dict[str, float] = {
        "offices": len(scn.offices),
        "forums": len(scn.cpfs),
        "communities": int(total["communities"]),
        "communities_covered": int(total["covered"]),
        "population": int(total["population"]),
        "population_covered": int(total["population_covered"]),
        "share_covered": float(total["share_covered"]),
        "offices_over_capacity": int(load["over_capacity"].sum()) if len(load) else 0,
        "forums_out_of_range": int((status == "out_of_range").sum()),
        "forums_no_office": int((status == "no_office_in_range").sum()),
    }
    by_donor = _by_donor(scn, radius_km) if donors(scn) else None
    snapshot = Snapshot(
        scenario=scn,
        coverage=coverage,
        load=load,
        forums=forums,
        headline=headline,
        by_governorate=by_gov,
        by_donor=by_donor,
        as_of=day,
        donor=donor.strip() if donor else None,
        radius_km=radius_km,
        max_cpfs=max_cpfs,
    )
    log(
        f"build_snapshot: {headline['offices']} offices, {headline['forums']} forums, "
        f"{headline['communities_covered']}/{headline['communities']} communities covered"
    )
    return snapshot


def _by_governorate(scn: Scenario, coverage: gpd.GeoDataFrame) -> pd.DataFrame:
    from cpgeo import coverage as cov

    summary = cov.governorate_summary(coverage).copy()
    if "governorate" not in summary.columns:  # summary indexed by governorate
        summary = summary.rename_axis("governorate").reset_index()
    summary["governorate"] = summary["governorate"].astype(str)

    def count(frame: pd.DataFrame) -> pd.Series:
        if len(frame) == 0 or "governorate" not in frame.columns:
            return pd.Series(dtype="int64")
        return frame["governorate"].astype(str).value_counts()

    offices, forums = count(scn.offices), count(scn.cpfs)
    is_total = summary["governorate"] == "Total"
    summary["offices"] = [
        int(offices.sum()) if t else int(offices.get(g, 0))
        for g, t in zip(summary["governorate"], is_total, strict=True)
    ]
    summary["forums"] = [
        int(forums.sum()) if t else int(forums.get(g, 0))
        for g, t in zip(summary["governorate"], is_total, strict=True)
    ]
    columns = [
        "governorate",
        "offices",
        "forums",
        "communities",
        "covered",
        "population",
        "population_covered",
        "share_covered",
    ]
    return summary[[c for c in columns if c in summary.columns]].reset_index(drop=True)


def _by_donor(scn: Scenario, radius_km: float) -> pd.DataFrame:
    from cpgeo import coverage as cov

    rows = []
    for name in donors(scn):
        offices = _donor_rows(scn.offices, name)
        forums = _donor_rows(scn.cpfs, name)
        if len(offices):
            covd = cov.community_coverage(scn.communities, offices, radius_km)
            covered = covd["covered"].astype(bool).to_numpy()
            n_cov = int(covered.sum())
            pop_cov = int(covd["population"].to_numpy()[covered].sum())
        else:
            n_cov, pop_cov = 0, 0
        rows.append(
            {
                "donor": name,
                "offices": len(offices),
                "forums": len(forums),
                "communities_covered": n_cov,
                "population_covered": pop_cov,
            }
        )
    return pd.DataFrame(rows)


def summary_text(snapshot: Snapshot) -> str:
    """Return the snapshot's human-readable summary (markdown)."""
    h = snapshot.headline
    scn = snapshot.scenario
    lines = [
        "# Community policing footprint snapshot",
        "",
    ]
    if scn.notice:
        lines += [f"**{scn.notice}**", ""]
    lines += [
        f"- Date: {snapshot.date.isoformat()}"
        + (" (as of; offices and forums established by then)" if snapshot.as_of else ""),
        f"- Computed: {snapshot.created.strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Donor: {snapshot.donor}" if snapshot.donor else "- Donor: all",
        f"- Catchment radius: {snapshot.radius_km:g} km (geodesic, WGS84); "
        f"office capacity: {snapshot.max_cpfs} forums",
        "",
        "## Headline figures",
        "",
        f"- Community Police Offices: {h['offices']:,}",
        f"- Community Policing Forums: {h['forums']:,}",
        f"- Communities within reach of an office: {h['communities_covered']:,} of "
        f"{h['communities']:,}",
        f"- Population within reach: {h['population_covered']:,} of {h['population']:,} "
        f"({h['share_covered']:.1%})",
        f"- Offices over capacity: {h['offices_over_capacity']:,}; forums beyond their "
        f"office's radius: {h['forums_out_of_range']:,}; forums with no office in range: "
        f"{h['forums_no_office']:,}",
        "",
        "## By governorate",
        "",
        _markdown_table(snapshot.by_governorate),
        "",
    ]
    if snapshot.by_donor is not None and len(snapshot.by_donor):
        lines += ["## By donor", "", _markdown_table(snapshot.by_donor), ""]
    lines += ["## Data sources", ""]
    lines += [f"- {layer}: {source}" for layer, source in scn.sources.items()] or ["- (none)"]
    lines += [
        "",
        "## Files",
        "",
        "- `map.html`: interactive map (opens offline, no internet needed)",
        "- `map.png`: the same map as a picture",
        "- `figures.csv`: every figure above (table, group, metric, value)",
        "- `layers.gpkg`: all layers (EPSG:4326), with coverage and load columns",
        "",
    ]
    return "\n".join(lines)


def _markdown_table(frame: pd.DataFrame) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.1f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value).replace("|", "/")

    head = "| " + " | ".join(str(c).replace("_", " ") for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join(cell(v) for v in row) + " |"
        for row in frame.astype(object).itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def _write(snapshot: Snapshot, folder: Path) -> None:
    from cpgeo import maps
    from cpgeo.io import write_layers

    scn = snapshot.scenario
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
    snapshot.figures().to_csv(folder / "figures.csv", index=False)
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


def export_snapshot(snapshot: Snapshot, out_dir: str | Path) -> Path:
    """Write the snapshot's files (see :data:`SNAPSHOT_FILES`) into ``out_dir``, atomically.

    The files are written into a temporary folder next to ``out_dir`` and moved into
    place only when all of them are written; an existing ``out_dir`` is replaced.

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _write(snapshot, tmp)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
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
