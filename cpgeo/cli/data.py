"""``cpgeo templates`` and ``cpgeo areas``: the files a planner brings, and checks of them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from cpgeo.cli._common import (
    add_bad_rows_options,
    add_json_option,
    add_output_option,
    add_radius_option,
    check_options,
    json_records,
    lang_of,
    print_json,
    print_table_of,
    read_point_layers,
    say_line,
    write_output,
)
from cpgeo.i18n import Message, Number


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``templates`` and ``areas`` commands."""
    p = subparsers.add_parser(
        "templates",
        help="write template CSV files for offices, forums, communities, stations, population",
        description="Write one template CSV per layer (offices, forums, communities, "
        "candidate police stations, population by P-code) with the columns cpgeo reads and "
        "two example rows marked EXAMPLE, and columns_guide.csv saying what each column "
        "means. Every template reads back as it is.",
    )
    p.add_argument("folder", type=Path, metavar="FOLDER", help="folder to write them to")
    add_json_option(p)
    p.set_defaults(func=run_templates)

    p = subparsers.add_parser(
        "areas",
        help="read administrative boundaries (COD-AB, any level) and join a P-code table",
        description="Read governorate, district or sub-district boundaries with P-codes "
        "(OCHA COD-AB: ADM1/ADM2/ADM3 columns; shapefile, GeoJSON, GeoPackage), match the "
        "governorates by P-code or name, and list the areas per governorate. With "
        "--population, join a table keyed by P-code (e.g. COD-PS population by "
        "sub-district); with --communities too, spread each area's total over its "
        "communities that have no population (labelled 'estimated from sub-district "
        "totals') and write them with -o.",
    )
    p.add_argument("boundaries", type=Path, metavar="BOUNDARIES", help="boundaries file")
    p.add_argument("--population", type=Path, metavar="TABLE",
                   help="CSV / XLSX keyed by P-code with a population column (T_TL, population)")
    p.add_argument("--communities", type=Path, metavar="FILE",
                   help="communities whose unknown populations are spread from the table")
    p.add_argument("--offices", type=Path, metavar="FILE",
                   help="offices whose catchments' people are estimated from the table by "
                   "area share (each area's total spread evenly over its surface)")
    add_radius_option(p)
    add_bad_rows_options(p)
    add_json_option(p)
    add_output_option(p)
    p.set_defaults(func=run_areas)


def run_templates(args: argparse.Namespace) -> int:
    """Write the templates and say where."""
    from cpgeo.templates import write_templates

    written = write_templates(args.folder)
    if args.json:
        print_json({"written": [str(p) for p in written]})
        return 0
    for path in written:
        print(f"wrote {path}")
    return 0


def run_areas(args: argparse.Namespace) -> int:
    """Read the areas; join and spread a population table when given."""
    from cpgeo._errors import InputError
    from cpgeo.admin import catchment_population, estimate_population, read_area_table
    from cpgeo.io import read_layer

    check_options(args)
    areas = read_layer(args.boundaries, "boundaries")
    if "level" not in areas.columns:
        msg = f"{args.boundaries.name}: no P-code columns (ADM1_PCODE, ADM2_PCODE, ADM3_PCODE)"
        raise InputError(msg)
    per = areas.groupby("governorate", dropna=False).size().rename("areas").reset_index()
    level = int(areas["level"].iloc[0]) if len(areas) else 0
    body: dict[str, object] = {
        "file": str(args.boundaries),
        "level": level,
        "areas": len(areas),
        "by_governorate": json_records(per),
    }
    joined: dict[str, Any] | None = None
    estimate = None
    reach = None
    if args.population is not None:
        table = read_area_table(args.population)
        known = set(areas["id"].astype(str))
        unmatched = sorted(set(table["pcode"]) - known)
        joined = {
            "rows": len(table),
            "matched": len(table) - len(unmatched),
            "unmatched_pcodes": unmatched,
            "population": int(table["population"].dropna().sum()),
        }
        body["population_table"] = joined
        given = {k: getattr(args, k) for k in ("communities", "offices")
                 if getattr(args, k) is not None}
        layers = read_point_layers(args, given, areas)  # one call: one --left-out file
        if "communities" in layers:
            estimate = estimate_population(layers["communities"], table)
            write_output(estimate.communities, args.output, layer="communities",
                         quiet=args.json, lang=lang_of(args))
            body["estimate"] = {"method": estimate.method,
                                "areas": json_records(estimate.areas)}
        if "offices" in layers:
            reach = catchment_population(layers["offices"], areas, table, args.radius_km)
            body["catchments"] = {"method": reach.method, "covered": reach.covered,
                                  "total": reach.total,
                                  "offices": json_records(reach.offices)}
    elif args.communities is not None or args.offices is not None:
        msg = "--communities and --offices need --population (the table of area totals)"
        raise InputError(msg)
    if args.json:
        body["written"] = None if args.output is None or estimate is None else str(args.output)
        print_json(body)
        return 0
    say_line(args, Message(
        "level-{level} areas: {areas}; governorates: {governorates} ({file})",
        level=level, areas=Number(len(areas)),
        governorates=Number(areas["governorate"].nunique()), file=args.boundaries.name,
    ))
    title = Message("Areas per governorate")
    print_table_of(args, per, ["governorate", "areas"], title=title)
    if joined is not None:
        say_line(args, Message(
            "Population table: {matched} of {rows} P-codes match an area; {people} people in all",
            matched=Number(joined["matched"]), rows=Number(joined["rows"]),
            people=Number(joined["population"]),
        ))
        if joined["unmatched_pcodes"]:
            say_line(args, Message(
                "P-codes without an area: {codes}", codes=", ".join(joined["unmatched_pcodes"][:20])
            ))
    if reach is not None:
        title = Message("People within the radius of each office, by area share")
        print_table_of(args, reach.offices, ["id", "name", "population_by_area"], title=title)
        say_line(args, Message(
            "Within the radius of any office: {covered} of {total} people; {method}",
            covered=Number(round(reach.covered)), total=Number(round(reach.total)),
            method=reach.method,
        ))
    if estimate is not None:
        print(estimate.method)
        skipped = estimate.areas[estimate.areas["note"] != ""]
        if len(skipped):
            print_table_of(args, pd.DataFrame(skipped), ["pcode", "population", "known", "note"],
                           title=Message("Areas whose total was not spread"))
    return 0


