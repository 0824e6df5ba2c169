"""``cpgeo coverage`` and ``cpgeo load``: who is within reach, which offices are overloaded."""

from __future__ import annotations

import argparse

from cpgeo import settings
from cpgeo.cli._common import (
    add_capacity_option,
    add_layer_options,
    add_output_option,
    add_radius_option,
    load_scenario,
    print_notice,
    print_table,
    write_output,
)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``coverage`` and ``load`` commands."""
    p = subparsers.add_parser(
        "coverage",
        help="communities within the radius of an office, by governorate",
        description="Which communities lie within the radius (geodesic, WGS84) of an office, "
        "and a per-governorate summary. Defaults to the embedded demo.",
    )
    add_layer_options(p, "offices", "communities", "boundaries")
    add_radius_option(p)
    add_output_option(p)
    p.set_defaults(func=run_coverage)

    p = subparsers.add_parser(
        "load",
        help="forums per office, offices over capacity, forums out of range",
        description="Forums (CPFs) per office, offices carrying more than the capacity, "
        "forums beyond their office's radius or with no office in range, and whether a "
        "capacity-respecting reassignment exists. Defaults to the embedded demo.",
    )
    add_layer_options(p, "offices", "cpfs", "boundaries")
    add_radius_option(p)
    add_capacity_option(p)
    add_output_option(p)
    p.set_defaults(func=run_load)


def run_coverage(args: argparse.Namespace) -> int:
    """Print the coverage summary; write the communities with their coverage columns."""
    from cpgeo.coverage import community_coverage, governorate_summary

    scenario = load_scenario(args)
    radius = settings.radius_km if args.radius_km is None else args.radius_km
    covered = community_coverage(scenario.communities, scenario.offices, radius_km=radius)
    summary = governorate_summary(covered)
    print_notice(scenario)
    print_table(
        summary,
        title=f"Communities within {radius:g} km of an office "
        f"({len(scenario.offices)} offices, {len(covered)} communities)",
    )
    uncovered = covered[~covered["covered"]].sort_values("population", ascending=False)
    print_table(
        uncovered.head(15),
        ["name", "governorate", "population", "nearest_office", "nearest_office_km"],
        title=f"Largest uncovered communities ({len(uncovered)} in all)",
    )
    write_output(covered, args.output, layer="communities")
    return 0


def run_load(args: argparse.Namespace) -> int:
    """Print office load and forum status; write the offices with their load columns."""
    from cpgeo.coverage import assign_cpfs, cpf_status, office_load

    scenario = load_scenario(args)
    radius = settings.radius_km if args.radius_km is None else args.radius_km
    capacity = settings.max_cpfs if args.max_cpfs is None else args.max_cpfs
    offices = office_load(scenario.offices, scenario.cpfs, radius_km=radius, max_cpfs=capacity)
    forums = cpf_status(scenario.offices, scenario.cpfs, radius_km=radius)
    print_notice(scenario)
    print_table(
        offices,
        ["id", "name", "governorate", "n_cpfs", "capacity", "over_capacity", "n_out_of_range"],
        title=f"Forums per office (capacity {capacity}, radius {radius:g} km)",
    )
    problems = forums[forums["status"] != "in_range"]
    if len(problems):
        print_table(
            problems,
            ["id", "name", "governorate", "office_id", "assigned_office", "assigned_km", "status"],
            title=f"Forums needing attention ({len(problems)})",
        )
    over = offices[offices["over_capacity"]]
    print(f"Offices over capacity: {len(over)}"
          + (f" ({', '.join(over['id'])})" if len(over) else ""))
    assignment = assign_cpfs(scenario.offices, scenario.cpfs, radius_km=radius, max_cpfs=capacity)
    print(f"Reassignment: {assignment.message}")
    moved = assignment.cpfs[assignment.cpfs["moved"]]
    if len(moved):
        print_table(moved, ["id", "name", "office_id", "assigned_office", "distance_km"],
                    title="Forums the capacity-respecting assignment moves")
    write_output(offices, args.output, layer="offices")
    return 0
