"""``cpgeo figures``, ``cpgeo coverage`` and ``cpgeo load``: the scenario's figures.

All three print numbers from :func:`cpgeo.figures`, so that they agree with each other,
with the app and with snapshots.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cpgeo._figures import FIGURE_KEYS
from cpgeo.cli._common import (
    add_capacity_option,
    add_focus_option,
    add_json_option,
    add_layer_options,
    add_output_option,
    add_radius_option,
    json_records,
    load_scenario,
    print_figures,
    print_json,
    print_notice,
    print_table,
    scenario_json,
    write_output,
)
from cpgeo.labels import DISTRICT_COLUMNS, GOVERNORATE_COLUMNS

if TYPE_CHECKING:
    from cpgeo import Figures

# the figures of communities and people, then those of offices and forums
_COMMUNITY_KEYS = FIGURE_KEYS[: FIGURE_KEYS.index("offices")]
_FORUM_KEYS = FIGURE_KEYS[FIGURE_KEYS.index("offices") :]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``figures``, ``coverage`` and ``load`` commands."""
    p = subparsers.add_parser(
        "figures",
        help="every figure of the scenario (coverage, load, forums), by governorate",
        description="Every figure cpgeo reports for the scenario: communities and people "
        "within the radius (geodesic, WGS84), offices over capacity, forums served within "
        "capacity and forums needing attention, in total and by governorate. The app, "
        "snapshots and proposals show the same numbers. Defaults to the embedded demo.",
    )
    add_layer_options(p, "offices", "cpfs", "communities", "boundaries")
    add_radius_option(p)
    add_capacity_option(p)
    add_focus_option(p)
    _add_by_option(p)
    add_json_option(p)
    add_output_option(p)
    p.set_defaults(func=run_figures)

    p = subparsers.add_parser(
        "coverage",
        help="communities within the radius of an office, by governorate",
        description="Which communities lie within the radius (geodesic, WGS84) of an office, "
        "and a per-governorate summary. Defaults to the embedded demo.",
    )
    add_layer_options(p, "offices", "communities", "boundaries")
    add_radius_option(p)
    add_focus_option(p)
    _add_by_option(p)
    add_json_option(p)
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
    add_json_option(p)
    add_output_option(p)
    p.set_defaults(func=run_load)


def _add_by_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        choices=("governorate", "district"),
        default="governorate",
        help="the summary table's rows: governorates, or districts (needs --boundaries with "
        "district or sub-district P-codes, e.g. OCHA COD-AB adm2 / adm3); default governorate",
    )


def _summary(fig: Figures, args: argparse.Namespace) -> tuple[Any, list[str], str]:
    """Return the summary table asked for (``--by``), its columns and its title."""
    by = getattr(args, "by", "governorate")
    table = fig.table(by)
    columns = list(DISTRICT_COLUMNS if by == "district" else GOVERNORATE_COLUMNS)
    return table, columns, f"By {by}"


def _figures(args: argparse.Namespace) -> tuple[Any, Figures]:
    from cpgeo import figures

    scenario = load_scenario(args)
    fig = figures(
        scenario,
        radius_km=args.radius_km,
        max_cpfs=getattr(args, "max_cpfs", None),
        governorates=getattr(args, "governorates", None),
    )
    return scenario, fig


def _print_json(args: argparse.Namespace, scenario: Any, fig: Figures, **body: Any) -> None:
    """Print ``body`` with what every output of these commands says: parameters, data."""
    print_json(
        {
            **body,
            "parameters": {
                "radius_km": fig.radius_km,
                "max_cpfs": fig.max_cpfs,
                "focus_governorates": list(fig.governorates),
            },
            **scenario_json(scenario),
            "written": None if args.output is None else str(args.output),
        }
    )


def run_figures(args: argparse.Namespace) -> int:
    """Print every figure and the per-governorate table; write the table."""
    scenario, fig = _figures(args)
    summary, columns, title = _summary(fig, args)
    write_output(summary, args.output, layer="figures", quiet=args.json)
    if args.json:
        _print_json(
            args,
            scenario,
            fig,
            figures=fig.as_dict(),
            by_governorate=json_records(fig.by_governorate),
            by_district=None if fig.by_district is None else json_records(fig.by_district),
        )
        return 0
    print_notice(scenario)
    print_figures(
        fig,
        (*_COMMUNITY_KEYS, *_FORUM_KEYS),
        title=f"Figures (radius {fig.radius_km:g} km, {fig.max_cpfs} forums per office; focus: "
        f"{', '.join(fig.governorates)})",
    )
    print_table(summary, columns, title=title)
    return 0


def run_coverage(args: argparse.Namespace) -> int:
    """Print the coverage figures by governorate; write the communities with their coverage."""
    scenario, fig = _figures(args)
    covered = fig.coverage
    write_output(covered, args.output, layer="communities", quiet=args.json)
    uncovered = covered[~covered["covered"]].sort_values(
        "population", ascending=False, na_position="last"
    )
    if args.json:
        _print_json(
            args,
            scenario,
            fig,
            figures={k: fig[k] for k in _COMMUNITY_KEYS},
            by_governorate=json_records(
                fig.by_governorate[["governorate", *_community_columns(fig)]]
            ),
            by_district=None if fig.by_district is None else json_records(
                fig.by_district[[*DISTRICT_COLUMNS[:3], *_community_columns(fig)]]
            ),
        )
        return 0
    print_notice(scenario)
    print_figures(
        fig,
        _COMMUNITY_KEYS,
        title=f"Communities within {fig.radius_km:g} km of an office "
        f"({fig['offices']:,} offices; focus: {', '.join(fig.governorates)})",
    )
    summary, columns, title = _summary(fig, args)
    keys = [c for c in columns if not c.startswith(("communities", "population", "offices",
                                                      "forums"))]
    print_table(summary, [*keys, *_community_columns(fig)], title=title)
    print_table(
        uncovered.head(15),
        ["name", "governorate", "population", "nearest_office", "nearest_office_km"],
        title=f"Largest communities outside the radius ({len(uncovered):,} in all)",
    )
    return 0


def _community_columns(fig: Figures) -> list[str]:
    return [
        c
        for c in fig.by_governorate.columns
        if c.startswith(("communities", "population"))
    ]


def run_load(args: argparse.Namespace) -> int:
    """Print office load and forum status; write the offices with their load columns."""
    from cpgeo.labels import assignment_sentence

    scenario, fig = _figures(args)
    offices, forums, assignment = fig.load, fig.forums, fig.assignment
    write_output(offices, args.output, layer="offices", quiet=args.json)
    problems = forums[(forums["status"] != "in_range") | (forums["offices_in_range"] == 0)]
    moved = assignment.cpfs[assignment.cpfs["moved"]]
    unserved = assignment.cpfs[~assignment.cpfs["served"]]
    sentence = assignment_sentence(
        assignment.n_served,
        assignment.n_reachable,
        fig["forums"],  # type: ignore[arg-type]
        assignment.n_moved,
        fig.radius_km,
        fig.max_cpfs,
    )
    if args.json:
        _print_json(
            args,
            scenario,
            fig,
            figures={k: fig[k] for k in _FORUM_KEYS},
            offices=json_records(offices),
            forums_needing_attention=json_records(problems),
            reassignment={
                "removes_overload": assignment.removes_overload,
                "forums_moved": assignment.n_moved,
                "moved": json_records(moved),
                "not_served": json_records(unserved),
            },
        )
        return 0
    print_notice(scenario)
    print_figures(
        fig,
        _FORUM_KEYS,
        title=f"Office load (capacity {fig.max_cpfs}, radius {fig.radius_km:g} km)",
    )
    print_table(
        offices,
        ["id", "name", "governorate", "n_cpfs", "capacity", "over_capacity", "n_out_of_range"],
        title="Forums per office",
    )
    if len(problems):
        print_table(
            problems,
            ["id", "name", "governorate", "office_id", "assigned_office", "assigned_km",
             "offices_in_range", "status"],
            title=f"Forums needing attention ({len(problems):,})",
        )
    print(f"Reassignment: {sentence}")
    if len(moved):
        print_table(
            moved,
            ["id", "name", "office_before", "assigned_office", "distance_km"],
            title="Forums the capacity-respecting assignment moves",
        )
    if len(unserved):
        print_table(
            unserved,
            ["id", "name", "office_before"],
            title="Forums no office can serve within capacity",
        )
    return 0
