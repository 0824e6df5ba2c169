"""``cpgeo population``: people within reach of each office, from a population raster."""

from __future__ import annotations

import argparse
from pathlib import Path

from cpgeo import settings
from cpgeo.cli._common import (
    OUTPUT_SUFFIXES,
    OUTSIDE,
    TOTAL,
    add_json_option,
    add_layer_options,
    add_output_option,
    add_radius_option,
    json_records,
    lang_of,
    load_scenario,
    print_json,
    print_notice,
    print_table_of,
    scenario_json,
    write_output,
)
from cpgeo.i18n import Message


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``population`` command."""
    p = subparsers.add_parser(
        "population",
        help="population within the radius of each office, from a raster",
        description="Sum a population raster (e.g. WorldPop, GHSL; GeoTIFF in EPSG:4326 "
        "or a projected CRS) within the geodesic radius of each office: a cell counts "
        "when its centre is within the radius; nodata, NaN and negative cells are "
        "ignored. Offices default to the embedded demo.",
    )
    p.add_argument("raster", type=Path, metavar="RASTER", help="population raster file")
    add_layer_options(p, "offices", "boundaries")
    add_radius_option(p)
    p.add_argument(
        "--by-governorate", action="store_true",
        help="also print people covered / not covered by any office per governorate "
        "(reads the whole raster)",
    )
    p.add_argument("--summary-output", type=Path, metavar="FILE",
                   help="write the per-governorate table to FILE (.csv; implies "
                   "--by-governorate)")
    add_json_option(p)
    add_output_option(p)
    p.set_defaults(func=run_population)


def run_population(args: argparse.Namespace) -> int:
    """Print and write the population per office (and per governorate when asked)."""
    from cpgeo._errors import InputError
    from cpgeo.population import population_coverage, population_within, raster_total

    summary_out = args.summary_output
    if summary_out is not None and summary_out.suffix.lower() not in OUTPUT_SUFFIXES:
        msg = f"{summary_out}: output must end in {', '.join(OUTPUT_SUFFIXES)}"
        raise InputError(msg)
    scenario = load_scenario(args)
    radius = settings.radius_km if args.radius_km is None else args.radius_km
    people = population_within(args.raster, scenario.offices, radius)
    offices = scenario.offices.copy()
    offices["population_within"] = people.to_numpy()
    table = None
    if args.by_governorate or summary_out is not None:
        table = population_coverage(args.raster, scenario.offices, scenario.boundaries, radius)
        write_output(table, summary_out, quiet=args.json, lang=lang_of(args))
    write_output(offices, args.output, layer="offices", quiet=args.json, lang=lang_of(args))
    if args.json:
        print_json(
            {
                "offices": json_records(
                    offices[["id", "name", "governorate", "population_within", "geometry"]]
                ),
                "by_governorate": None if table is None else json_records(table),
                "total": None if table is None else raster_total(table).to_dict(),
                "radius_km": radius,
                **scenario_json(scenario),
                "written": [str(p) for p in (args.output, summary_out) if p is not None],
            }
        )
        return 0
    if args.offices is None:  # only the demo offices are illustrative here
        print_notice(scenario, lang_of(args))
    print_table_of(
        args,
        offices.sort_values("population_within", ascending=False),
        ["id", "name", "governorate", "population_within"],
        title=Message(
            "People within {km} km of each office (cell centres, geodesic)", km=f"{radius:g}"
        ),
    )
    if table is not None:
        import pandas as pd

        rows = pd.concat(
            [table.fillna({"governorate": OUTSIDE}),
             pd.DataFrame([{"governorate": TOTAL, **raster_total(table).to_dict()}])],
            ignore_index=True,
        )
        title = Message(
            "People within {km} km of any office, by governorate", km=f"{radius:g}"
        )
        print_table_of(args, rows, title=title)
    return 0


