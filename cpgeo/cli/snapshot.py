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
from cpgeo.labels import AREA_COLUMNS, GOVERNORATE_COLUMNS


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``snapshot`` command."""
    p = subparsers.add_parser(
        "snapshot",
        help="write a footprint snapshot: offline HTML map, PNG map, figures, GeoPackage",
        description="Write a self-describing footprint snapshot into a folder: a standalone "
        "HTML map that opens offline, a PNG map, an A4 PDF report, the figures as CSV, a "
        "GeoPackage and a short summary with the date and the data sources. A public "
        "snapshot (the default) carries no location of any office, forum or station; a "
        "restricted one (--kind restricted) is exact and every file is named and marked "
        "RESTRICTED. Defaults to the embedded demo.",
    )
    add_layer_options(p, "offices", "cpfs", "communities", "stations", "boundaries")
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="only offices and forums established on or before DATE (YYYY-MM-DD)",
    )
    p.add_argument("--donor", metavar="NAME", help="only the offices and forums of this donor")
    p.add_argument(
        "--kind",
        choices=["public", "restricted"],
        default="public",
        help="public (default): safe to share, no location of any office, forum or station, "
        "sites counted by area; restricted: exact locations for the Ministry, every file "
        "named and marked RESTRICTED",
    )
    p.add_argument(
        "--generalise",
        choices=["district", "governorate", "grid"],
        default=None,
        help="areas a public snapshot counts the sites in (default: district with COD-AB "
        "district boundaries, else governorate)",
    )
    p.add_argument(
        "--min-count",
        type=int,
        default=None,
        metavar="N",
        help="a public snapshot shows an area alone only with no office or at least N "
        "(and likewise forums); smaller ones are pooled (default 3)",
    )
    p.add_argument(
        "--cell-deg",
        type=float,
        default=None,
        metavar="DEG",
        help="grid cell side in degrees with --generalise grid (default 0.5)",
    )
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
        MARKING_TEXT,
        build_snapshot,
        donor_table,
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
        kind=args.kind,
        level=args.generalise,
        min_count=args.min_count,
        cell_deg=args.cell_deg,
    )
    folder = export_snapshot(snap, out)
    public = snap.public
    if args.json:
        print_json(
            {
                "date": snap.date.isoformat(),
                "kind": snap.kind,
                "donor": snap.donor,
                "figures": snap.figures.as_dict(),
                "donor_figures": snap.donor_figures(),
                "by_governorate": json_records(snap.by_governorate),
                "by_area": None if snap.by_area is None else json_records(snap.by_area),
                "generalisation": None if public is None else {
                    "level": public.level,
                    "min_count": public.min_count,
                    "cell_deg": public.cell_deg,
                    "rule": public.rule,
                },
                "by_donor": None if snap.by_donor is None else json_records(snap.by_donor),
                "attribution_note": None if snap.by_donor is None else ATTRIBUTION_NOTE,
                "parameters": {
                    "radius_km": snap.radius_km,
                    "max_cpfs": snap.max_cpfs,
                    "focus_governorates": list(snap.figures.governorates),
                },
                **scenario_json(snap.shown),
                "written": [str(folder / name) for name in snap.files],
            }
        )
        return 0
    print_notice(snap.shown)
    if snap.restricted:
        print(MARKING_TEXT)
        print()
    elif public is not None:
        print(public.rule)
        print()
    mine = snap.donor_figures()
    if mine is not None:
        print_figures(mine, DONOR_KEYS, title=f"Attributed to {snap.donor}")
    print_figures(
        snap.figures, HEADLINE_KEYS, title=f"Whole network on {snap.date.isoformat()}"
    )
    print_table(snap.by_governorate, GOVERNORATE_COLUMNS, title="By governorate")
    if public is not None and public.level != "governorate":
        print_table(snap.by_area, AREA_COLUMNS, title=f"By area ({public.level})")
    donors = donor_table(snap)
    if donors is not None:
        print_table(donors, title="By donor (attributed; the last row counts each once)")
        print(ATTRIBUTION_NOTE)
        print()
    print(f"wrote {', '.join(snap.files)} to {folder}")
    return 0
