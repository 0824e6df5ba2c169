"""``cpgeo osm`` (stations and places from OpenStreetMap) and ``cpgeo roads`` (road distance)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cpgeo import settings
from cpgeo._errors import InputError, NetworkUnavailableError
from cpgeo.cli._common import (
    TOTAL,
    add_json_option,
    add_layer_options,
    add_output_option,
    add_radius_option,
    check_options,
    json_records,
    lang_of,
    load_scenario,
    print_json,
    print_notice,
    print_table_of,
    say_line,
    scenario_json,
    write_output,
)
from cpgeo.i18n import Message, Number


def _add_source_options(
    parser: argparse.ArgumentParser, *, xml_flag: str, xml_help: str = "local OSM XML file (.osm)"
) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(xml_flag, type=Path, metavar="FILE", help=xml_help)
    group.add_argument(
        "--place", metavar="NAME",
        help="governorate (its embedded polygon) or place name, downloaded from Overpass "
        f"(needs internet; cached in {settings.cache_folder})",
    )
    group.add_argument(
        "--bbox", type=float, nargs=4, metavar=("W", "S", "E", "N"),
        help="bounding box in degrees (min lon, min lat, max lon, max lat), downloaded",
    )


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``osm`` and ``roads`` commands."""
    p = subparsers.add_parser(
        "osm",
        help="police stations or populated places from OpenStreetMap",
        description="Read police stations (amenity=police) or populated places "
        "(place=city|town|village|hamlet, with population when tagged) from a local OSM "
        "XML file or from Overpass, as a stations / communities layer with governorates.",
    )
    p.add_argument("what", choices=("stations", "places"), help="which features to read")
    _add_source_options(p, xml_flag="--xml")
    p.add_argument("--keep-outside", action="store_true",
                   help="keep features outside Iraq's governorates (default: drop them)")
    add_json_option(p)
    add_output_option(p, required=True)
    p.set_defaults(func=run_osm)

    p = subparsers.add_parser(
        "roads",
        help="road distance from the nearest office to each community",
        description="Snap communities and offices to the nearest point of an OpenStreetMap "
        "road (anywhere along it, not only at junctions) and find each community's "
        "shortest distance along the roads from an office (cut off at the radius; the "
        "off-road snapping distances are reported, not added); flag communities within "
        "the radius as the crow flies but not by road. Offices and communities default to "
        "the embedded demo.",
    )
    _add_source_options(
        p, xml_flag="--graph-xml",
        xml_help="local road file: OSM PBF (.osm.pbf, e.g. a national extract) or OSM XML "
        "(.osm), by its name ending",
    )
    add_layer_options(p, "offices", "communities", "boundaries")
    add_radius_option(p)
    p.add_argument("--travel-time", action="store_true",
                   help="add travel_min (minutes at default speeds per road type)")
    p.add_argument("--max-snap-km", type=float, default=None,
                   help="points farther than this (km) from every road are off the "
                   f"network (default {settings.road_snap_km:g})")
    add_json_option(p)
    add_output_option(p)
    p.set_defaults(func=run_roads)


def _query(args: argparse.Namespace) -> str | tuple[float, float, float, float]:
    if args.place is not None:
        return str(args.place)
    west, south, east, north = args.bbox
    return (west, south, east, north)


def _offline(args: argparse.Namespace, exc: NetworkUnavailableError) -> int:
    print(f"cpgeo {args.command}: error: {exc}", file=sys.stderr)
    return 2


def run_osm(args: argparse.Namespace) -> int:
    """Read stations or places and write them as a layer (exit 2 when offline)."""
    try:
        return _run_osm(args)
    except NetworkUnavailableError as exc:
        return _offline(args, exc)


def run_roads(args: argparse.Namespace) -> int:
    """Compare road and radius coverage (exit 2 when a download is asked for offline)."""
    try:
        return _run_roads(args)
    except NetworkUnavailableError as exc:
        return _offline(args, exc)


#: What ``cpgeo osm`` reads, as its tables name it.
_FEATURES = {"stations": "Police stations", "places": "Places"}


def _run_osm(args: argparse.Namespace) -> int:
    from cpgeo import osm

    check_options(args)
    if args.xml is not None:
        reader = osm.stations_from_xml if args.what == "stations" else osm.places_from_xml
        layer = reader(args.xml, keep_outside=args.keep_outside)
        source = str(args.xml)
    else:
        online = osm.stations_from_place if args.what == "stations" else osm.places_from_place
        layer = online(_query(args), keep_outside=args.keep_outside)
        source = "Overpass"
    columns = ["id", "name", "governorate"] + (["population", "place"]
                                               if args.what == "places" else [])
    counts = layer.groupby("governorate", dropna=False).size().rename("count").reset_index()
    write_output(layer, args.output, layer=args.what, quiet=args.json, lang=lang_of(args))
    if args.json:
        print_json(
            {
                args.what: len(layer),
                "by_governorate": json_records(counts.rename(columns={"count": args.what})),
                "source": source,
                "written": str(args.output),
            }
        )
        return 0
    title = Message(
        "{layer} from {source}, by governorate: {n}",
        layer=Message(_FEATURES[args.what]), source=source, n=Number(len(layer)),
    )
    print_table_of(args, counts, title=title)
    print_table_of(args, layer.head(10), columns, title=Message("First rows"))
    return 0


def _run_roads(args: argparse.Namespace) -> int:
    """Print road versus radius coverage per governorate; write the communities."""
    import pandas as pd

    from cpgeo.coverage import network_coverage
    from cpgeo.coverage.network import read_roads, road_extent, road_graph_from_place

    scenario = load_scenario(args)
    if args.graph_xml is not None:
        graph = read_roads(args.graph_xml)
    else:
        graph = road_graph_from_place(_query(args))
    radius = settings.radius_km if args.radius_km is None else args.radius_km
    out = network_coverage(scenario.communities, scenario.offices, graph, radius,
                           travel_time=args.travel_time, max_snap_km=args.max_snap_km)
    if "governorate" not in out.columns:
        msg = "communities have no governorate column"
        raise InputError(msg)
    population = pd.to_numeric(out["population"], errors="coerce")
    table = (
        out.assign(
            communities=1,
            population_radius=population.where(out["within_radius"], 0),
            population_road=population.where(out["covered_by_road"], 0),
        )
        .groupby("governorate", dropna=False)[
            ["communities", "within_radius", "covered_by_road", "radius_but_not_road",
             "off_network", "population_radius", "population_road"]
        ]
        .sum(min_count=0)
        .reset_index()
    )
    for column in ("population_radius", "population_road"):
        table[column] = table[column].round().astype("Int64")
    # Segments and km, not nodes: a node count depends on simplification, not on the roads.
    segments, road_km = road_extent(graph)
    write_output(out, args.output, layer="communities", quiet=args.json, lang=lang_of(args))
    totals = {
        "communities": len(out),
        "within_radius": int(out["within_radius"].sum()),
        "covered_by_road": int(out["covered_by_road"].sum()),
        "radius_but_not_road": int(out["radius_but_not_road"].sum()),
        "off_network": int(out["off_network"].sum()),
    }
    if args.json:
        print_json(
            {
                "figures": totals,
                "by_governorate": json_records(table),
                "road_segments": segments,
                "road_km": road_km,
                "radius_km": radius,
                **scenario_json(scenario),
                "written": None if args.output is None else str(args.output),
            }
        )
        return 0
    total = pd.DataFrame([{"governorate": TOTAL, **totals,
                           "population_radius": table["population_radius"].sum(),
                           "population_road": table["population_road"].sum()}])
    table = pd.concat([table, total], ignore_index=True)
    if args.offices is None:  # only the demo offices are illustrative here
        print_notice(scenario, lang_of(args))
    title = Message(
        "Communities within {km} km: as the crow flies and by road; "
        "offices: {offices}; road segments: {segments} ({road_km} km of road)",
        km=f"{radius:g}", offices=Number(len(scenario.offices)), segments=Number(segments),
        road_km=Number(road_km, 1),
    )
    print_table_of(args, table, title=title)
    gap = out[out["radius_but_not_road"]].sort_values("population", ascending=False)
    if len(gap):
        columns = ["name", "governorate", "population", "nearest_office_km", "road_km", "snap_m"]
        title = Message("Within the radius but not by road ({n})", n=Number(len(gap)))
        print_table_of(args, gap.head(15), columns, title=title)
    else:
        say_line(args, Message("Within the radius but not by road: none"))
    return 0


