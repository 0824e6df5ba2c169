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
    lang_of,
    load_scenario,
    print_figures,
    print_json,
    print_notice,
    print_table,
    scenario_json,
)
from cpgeo.i18n import format_date, gettext
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
        "RESTRICTED. --lang ar or ckb writes the summary, the report and the maps' words in "
        "Arabic or Central Kurdish (right to left; RESTRICTED stays beside its translation); "
        "the data files keep their English column names and keys. Defaults to the embedded "
        "demo.",
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
        WHOLE_NETWORK,
        attribution_note,
        build_snapshot,
        donor_table,
        export_snapshot,
        marking_text,
        public_rule,
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
        lang=lang_of(args),
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
                "generalisation": None
                if public is None
                else {
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
    lang = snap.lang
    print_notice(snap.shown, lang)
    if snap.restricted:
        print(marking_text(lang))
        print()
    elif public is not None:
        print(public_rule(snap))
        print()
    mine = snap.donor_figures()
    if mine is not None:
        print_figures(
            mine,
            DONOR_KEYS,
            title=gettext("Attributed to {name}", lang, name=snap.donor),
            lang=lang,
        )
    day = snap.date.isoformat() if lang == "en" else format_date(snap.date, lang)
    print_figures(
        snap.figures,
        HEADLINE_KEYS,
        title=gettext("Whole network on {date}", lang, date=day),
        lang=lang,
    )
    print_table(
        snap.by_governorate, GOVERNORATE_COLUMNS, title=gettext("By governorate", lang), lang=lang
    )
    if public is not None and public.level != "governorate":
        print_table(
            snap.by_area,
            AREA_COLUMNS,
            lang=lang,
            title=gettext("By area ({level})", lang, level=gettext(public.level, lang)),
        )
    donors = donor_table(snap)
    if donors is not None:
        if lang != "en":
            donors = donors.assign(
                donor=[
                    gettext(WHOLE_NETWORK, lang) if d == WHOLE_NETWORK else d
                    for d in donors["donor"]
                ]
            )
        print_table(
            donors,
            lang=lang,
            title=gettext("By donor (attributed; the last row counts each once)", lang),
        )
        print(attribution_note(lang))
        print()
    print(gettext("wrote {files} to {folder}", lang, files=", ".join(snap.files), folder=folder))
    return 0
