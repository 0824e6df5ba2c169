"""``cpgeo snapshot``: the donor footprint snapshot (map, figures, data) written to a folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from cpgeo.cli._common import (
    add_capacity_option,
    add_layer_options,
    add_radius_option,
    load_scenario,
    print_notice,
    print_table,
)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``snapshot`` command."""
    p = subparsers.add_parser(
        "snapshot",
        help="write a footprint snapshot: offline HTML map, PNG map, figures, GeoPackage",
        description="Write a self-describing footprint snapshot into a folder: a standalone "
        "HTML map that opens offline, a PNG map, the figures as CSV, all layers in one "
        "GeoPackage and a short summary with the date and the data sources. Defaults to "
        "the embedded demo.",
    )
    add_layer_options(p, "offices", "cpfs", "communities", "stations", "boundaries")
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="only offices and forums established on or before DATE (YYYY-MM-DD)",
    )
    p.add_argument("--donor", metavar="NAME", help="only the offices and forums of this donor")
    add_radius_option(p)
    add_capacity_option(p)
    p.add_argument(
        "-o", "--output", type=Path, required=True, metavar="DIR", help="folder to write"
    )
    p.set_defaults(func=run_snapshot)


def run_snapshot(args: argparse.Namespace) -> int:
    """Build the snapshot, print its headline figures and write its files."""
    from cpgeo.snapshot import SNAPSHOT_FILES, build_snapshot, export_snapshot

    out: Path = args.output
    args.output = None  # a folder, not a layer file: keep it out of the layer-file checks
    scenario = load_scenario(args)
    snap = build_snapshot(
        scenario,
        as_of=args.as_of,
        donor=args.donor,
        radius_km=args.radius_km,
        max_cpfs=args.max_cpfs,
    )
    print_notice(scenario)
    print_table(snap.by_governorate, title=f"Footprint on {snap.date.isoformat()}")
    if snap.by_donor is not None:
        print_table(snap.by_donor, title="By donor")
    folder = export_snapshot(snap, out)
    print(f"wrote {', '.join(SNAPSHOT_FILES)} to {folder}")
    return 0
