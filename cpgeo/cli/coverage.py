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
    governorate_list,
    json_records,
    lang_of,
    load_scenario,
    print_figures,
    print_json,
    print_notice,
    print_table,
    scenario_json,
    write_output,
)
from cpgeo.i18n import gettext
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
    lang = lang_of(args)
    columns = list(DISTRICT_COLUMNS if by == "district" else GOVERNORATE_COLUMNS)
    title = gettext("By district", lang) if by == "district" else gettext("By governorate", lang)
    return table, columns, title


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
    write_output(summary, args.output, layer="figures", quiet=args.json, lang=lang_of(args))
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
    lang = lang_of(args)
    print_notice(scenario, lang)
    print_figures(
        fig,
        (*_COMMUNITY_KEYS, *_FORUM_KEYS),
        title=gettext(
            "Figures (radius {km} km, {n} forums per office; focus: {focus})", lang,
            km=_km(fig.radius_km, lang), n=fig.max_cpfs,
            focus=governorate_list(fig.governorates, lang),
        ),
        lang=lang,
    )
    print_table(summary, columns, title=title, lang=lang)
    return 0


def _km(value: float, lang: str) -> str:
    from cpgeo.i18n import format_number

    return f"{value:g}" if lang == "en" else format_number(value, lang)


def run_coverage(args: argparse.Namespace) -> int:
    """Print the coverage figures by governorate; write the communities with their coverage."""
    scenario, fig = _figures(args)
    covered = fig.coverage
    write_output(covered, args.output, layer="communities", quiet=args.json, lang=lang_of(args))
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
    lang = lang_of(args)
    print_notice(scenario, lang)
    print_figures(
        fig,
        _COMMUNITY_KEYS,
        title=gettext(
            "Communities within {km} km of an office ({n} offices; focus: {focus})", lang,
            km=_km(fig.radius_km, lang), n=_count(fig["offices"], lang),
            focus=governorate_list(fig.governorates, lang),
        ),
        lang=lang,
    )
    summary, columns, title = _summary(fig, args)
    keys = [c for c in columns if not c.startswith(("communities", "population", "offices",
                                                      "forums"))]
    print_table(summary, [*keys, *_community_columns(fig)], title=title, lang=lang)
    largest = uncovered.head(15)
    if lang != "en":
        from cpgeo.i18n import place_names

        largest = largest.assign(name=place_names(largest, lang))
    print_table(
        largest,
        ["name", "governorate", "population", "nearest_office", "nearest_office_km"],
        title=gettext("Largest communities outside the radius ({n} in all)", lang,
                  n=_count(len(uncovered), lang)),
        lang=lang,
    )
    return 0


def _count(value: object, lang: str) -> str:
    from cpgeo.labels import number

    return number(value, lang=lang)


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
    write_output(offices, args.output, layer="offices", quiet=args.json, lang=lang_of(args))
    problems = forums[(forums["status"] != "in_range") | (forums["offices_in_range"] == 0)]
    moved = assignment.cpfs[assignment.cpfs["moved"]]
    unserved = assignment.cpfs[~assignment.cpfs["served"]]
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
    lang = lang_of(args)
    sentence = assignment_sentence(
        assignment.n_served,
        assignment.n_reachable,
        fig["forums"],  # type: ignore[arg-type]
        assignment.n_moved,
        fig.radius_km,
        fig.max_cpfs,
        lang,
    )
    print_notice(scenario, lang)
    print_figures(
        fig,
        _FORUM_KEYS,
        title=gettext("Office load (capacity {n}, radius {km} km)", lang,
                  n=fig.max_cpfs, km=_km(fig.radius_km, lang)),
        lang=lang,
    )
    print_table(
        offices,
        ["id", "name", "governorate", "n_cpfs", "capacity", "over_capacity", "n_out_of_range"],
        title=gettext("Forums per office", lang),
        lang=lang,
    )
    if len(problems):
        print_table(
            problems,
            ["id", "name", "governorate", "office_id", "assigned_office", "assigned_km",
             "offices_in_range", "status"],
            title=gettext("Forums needing attention ({n})", lang, n=_count(len(problems), lang)),
            lang=lang,
        )
    print(gettext("Reassignment: {sentence}", lang, sentence=sentence))
    if len(moved):
        print_table(
            moved,
            ["id", "name", "office_before", "assigned_office", "distance_km"],
            title=gettext("Forums the capacity-respecting assignment moves", lang),
            lang=lang,
        )
    if len(unserved):
        print_table(
            unserved,
            ["id", "name", "office_before"],
            title=gettext("Forums no office can serve within capacity", lang),
            lang=lang,
        )
    return 0
