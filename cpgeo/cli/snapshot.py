"""``cpgeo snapshot``: the donor footprint snapshot (map, figures, data) written to a folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from cpgeo.cli._common import (
    add_capacity_option,
    add_focus_option,
    add_json_option,
    add_layer_options,
    add_radius_option,
    json_records,
    load_scenario,
    print_figures,
    print_json,
    print_notice,
    print_table,
    scenario_json,
)
from cpgeo.labels import GOVERNORATE_COLUMNS


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
    add_focus_option(p)
    add_json_option(p)
    p.add_argument(
        "-o", "--output", type=Path, required=True, metavar="DIR", help="folder to write"
    )
    p.set_defaults(func=run_snapshot)


def run_snapshot(args: argparse.Namespace) -> int:
    """Build the snapshot, print its figures and write its files."""
    from cpgeo.snapshot import (
        ATTRIBUTION_NOTE,
        DONOR_KEYS,
        HEADLINE_KEYS,
        SNAPSHOT_FILES,
        build_snapshot,
        export_snapshot,
    )

    out: Path = args.output
    args.output = None  # a folder, not a layer file: keep it out of the layer-file checks
    scenario = load_scenario(args)
    snap = build_snapshot(
        scenario,
        as_of=args.as_of,
        donor=args.donor,
        radius_km=args.radius_km,
        max_cpfs=args.max_cpfs,
        governorates=args.governorates,
    )
    folder = export_snapshot(snap, out)
    if args.json:
        print_json(
            {
                "date": snap.date.isoformat(),
                "donor": snap.donor,
                "figures": snap.figures.as_dict(),
                "donor_figures": snap.donor_figures(),
                "by_governorate": json_records(snap.by_governorate),
                "by_donor": None if snap.by_donor is None else json_records(snap.by_donor),
                "attribution_note": None if snap.by_donor is None else ATTRIBUTION_NOTE,
                "parameters": {
                    "radius_km": snap.radius_km,
                    "max_cpfs": snap.max_cpfs,
                    "focus_governorates": list(snap.figures.governorates),
                },
                **scenario_json(snap.shown),
                "written": [str(folder / name) for name in SNAPSHOT_FILES],
            }
        )
        return 0
    print_notice(snap.shown)
    mine = snap.donor_figures()
    if mine is not None:
        print_figures(mine, DONOR_KEYS, title=f"Attributed to {snap.donor}")
    print_figures(
        snap.figures, HEADLINE_KEYS, title=f"Whole network on {snap.date.isoformat()}"
    )
    print_table(snap.by_governorate, GOVERNORATE_COLUMNS, title="By governorate")
    if snap.by_donor is not None:
        print_table(snap.by_donor, title="By donor (attributed)")
        print(ATTRIBUTION_NOTE)
        print()
    print(f"wrote {', '.join(SNAPSHOT_FILES)} to {folder}")
    return 0
