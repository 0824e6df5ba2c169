"""``cpgeo propose``: ranked sites to rehabilitate or build, with the reason for each."""

from __future__ import annotations

import argparse
from pathlib import Path

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo.cli._common import (
    add_capacity_option,
    add_json_option,
    add_layer_options,
    add_output_option,
    add_radius_option,
    governorate_list,
    json_records,
    lang_of,
    load_scenario,
    print_json,
    print_notice,
    print_table,
    scenario_json,
    write_output,
)
from cpgeo.i18n import gettext
from cpgeo.labels import summary_table


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``propose`` command."""
    p = subparsers.add_parser(
        "propose",
        help="propose office sites (rehabilitate a station or build new), ranked",
        description="Choose sites for new Community Police Offices in the chosen "
        "governorates: first serve the most forums within capacity, then bring the most "
        "people within the radius (geodesic, WGS84). Defaults to the embedded demo.",
    )
    p.add_argument(
        "--sites", type=int, default=None, metavar="N", help="number of sites to propose"
    )
    p.add_argument(
        "--budget",
        type=float,
        default=None,
        help="total cost allowed instead of (or besides) --sites; rehabilitation costs "
        "1.0, a new build 2.5 by default",
    )
    p.add_argument(
        "--governorates",
        default=None,
        metavar="LIST",
        help="comma-separated governorates for the candidates (default: "
        f"{', '.join(settings.FOCUS_GOVERNORATES)})",
    )
    p.add_argument("--method", choices=("exact", "greedy"), default="exact")
    p.add_argument(
        "--types",
        default="rehabilitate,new_build",
        metavar="LIST",
        help="candidate types: rehabilitate, new_build (default both)",
    )
    p.add_argument(
        "--grid-km", type=float, default=None, help="also try grid points this far apart (km)"
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        metavar="S",
        help="solver time limit in seconds (default 60); the answer then states its gap",
    )
    p.add_argument(
        "--costs",
        default=None,
        metavar="LIST",
        help="costs by type or by site, e.g. 'new_build=3,STN-04=0.5' (a cost column in "
        "the stations file also gives each station its own cost)",
    )
    p.add_argument("--force-in", default=None, metavar="IDS",
                   help="comma-separated candidates (or station / community ids) to open")
    p.add_argument("--force-out", default=None, metavar="IDS",
                   help="comma-separated candidates (or station / community ids) never to open")
    p.add_argument(
        "--min-per-governorate",
        default=None,
        metavar="LIST",
        help="minimum new sites per governorate, e.g. 'Anbar=1,Ninewa=2'",
    )
    p.add_argument(
        "--min-share",
        default=None,
        metavar="LIST",
        help="minimum share of a governorate's population within the radius after the "
        "plan, e.g. 'Salah al-Din=0.6'",
    )
    p.add_argument("--phases", default=None, metavar="COUNTS",
                   help="a phased plan: sites per phase, e.g. '2,2,1' (instead of --sites)")
    p.add_argument(
        "--phase-budgets",
        default=None,
        metavar="BUDGETS",
        help="a phased plan: budget per phase, e.g. '3.5,3.5,2' (instead of --budget)",
    )
    p.add_argument(
        "--sensitivity",
        default=None,
        metavar="RADII",
        help="also propose at these radii (km), e.g. '40,50,60', and mark the sites chosen "
        "at every one (robust)",
    )
    p.add_argument(
        "--sensitivity-roads",
        type=Path,
        default=None,
        metavar="ROADS.osm.pbf",
        help="with --sensitivity: also try each radius along the roads of this "
        "OpenStreetMap extract (PBF .osm.pbf or XML .osm, by its name ending)",
    )
    p.add_argument("--save", type=Path, default=None, metavar="PLAN.gpkg",
                   help="save the plan (data, options, sites) to one GeoPackage")
    p.add_argument("--name", default=None, help="the saved plan's name (default: the file's)")
    add_layer_options(p, "offices", "cpfs", "communities", "stations", "boundaries")
    add_radius_option(p)
    add_capacity_option(p)
    add_json_option(p)
    add_output_option(p)
    p.set_defaults(func=run_propose)

    p = subparsers.add_parser(
        "plans",
        help="reopen saved plans and compare two or three side by side",
        description="Reopen plans saved with `cpgeo propose --save` (each proposed again "
        "from its own data and options) and print their figures side by side, with the "
        "differences to the first.",
    )
    p.add_argument("plans", nargs="+", type=Path, metavar="PLAN.gpkg")
    add_json_option(p)
    p.set_defaults(func=run_plans)


def run_plans(args: argparse.Namespace) -> int:
    """Reopen saved plans; print each one's sites and the figures side by side."""
    from cpgeo.plans import compare_plans, reopen

    opened = [reopen(path) for path in args.plans]
    table = compare_plans([(plan.name, proposal) for plan, proposal in opened]) if len(
        opened
    ) > 1 else None
    if args.json:
        print_json(
            {
                "plans": [
                    {
                        "name": plan.name,
                        "file": str(plan.path),
                        "created": plan.created.isoformat(),
                        "cpgeo_version": plan.cpgeo_version,
                        "same_sites_as_saved": (
                            proposal.sites["id"].tolist() == plan.sites["id"].tolist()
                        ),
                        "sites": json_records(proposal.sites),
                        "after": proposal.after.as_dict(),
                    }
                    for plan, proposal in opened
                ],
                "comparison": None
                if table is None
                else {c: {k: table.loc[k, c] for k in table.index} for c in table.columns},
            }
        )
        return 0
    lang = lang_of(args)
    for plan, proposal in opened:
        same = proposal.sites["id"].tolist() == plan.sites["id"].tolist()
        print(f"{plan.name} ({plan.path.name}, saved {plan.created:%Y-%m-%d %H:%M} UTC by "
              f"cpgeo {plan.cpgeo_version}): "
              + ("the same sites as saved" if same else "DIFFERENT sites from the saved ones"))
        print_table(proposal.sites, ["rank", "phase", "name", "type", "governorate", "cost"],
                    lang=lang)
    if table is not None:
        print(gettext("Side by side", lang))
        print(summary_table(table, lang).to_string(index=False))
    return 0


def _pairs(text: str | None, option: str, number: type) -> dict[str, float] | None:
    """Read ``'Anbar=1,Ninewa=2'`` as ``{"Anbar": 1, "Ninewa": 2}``."""
    if text is None:
        return None
    out: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = number(value.strip())
        except ValueError:
            msg = f"{option}: {part.strip()!r} is not NAME={number.__name__.upper()}"
            raise InputError(msg) from None
    return out


def _items(text: str | None) -> list[str]:
    return [] if text is None else [t.strip() for t in text.split(",") if t.strip()]


def _phase_list(
    args: argparse.Namespace,
) -> list[int | float | tuple[int | None, float | None]] | None:
    counts, budgets = _items(args.phases), _items(args.phase_budgets)
    if not counts and not budgets:
        return None
    if counts and budgets:
        if len(counts) != len(budgets):
            msg = "--phases and --phase-budgets need as many entries each"
            raise InputError(msg)
        return [
            (int(_number(c, int, "--phases")), float(_number(b, float, "--phase-budgets")))
            for c, b in zip(counts, budgets, strict=True)
        ]
    if counts:
        return [_number(c, int, "--phases") for c in counts]
    return [_number(b, float, "--phase-budgets") for b in budgets]


def _number(text: str, kind: type, option: str) -> int | float:
    try:
        return kind(text)  # type: ignore[no-any-return]
    except ValueError:
        msg = f"{option}: {text!r} is not a {'whole number' if kind is int else 'number'}"
        raise InputError(msg) from None


def run_propose(args: argparse.Namespace) -> int:
    """Print the ranked proposals and the before / after figures; write the sites."""
    from cpgeo.labels import reassignment_sentence, share
    from cpgeo.siting import plan_sites
    from cpgeo.siting.propose import SITE_FIGURE_KEYS

    if args.sites is None and args.budget is None and not (args.phases or args.phase_budgets):
        msg = "give --sites N, --budget B, or both (or --phases / --phase-budgets)"
        raise InputError(msg)
    if args.time_limit is not None and not args.time_limit > 0:
        msg = f"--time-limit must be a positive number of seconds, got {args.time_limit:g}"
        raise InputError(msg)
    scenario = load_scenario(args)
    types = tuple(t.strip() for t in args.types.split(",") if t.strip())
    options = {
        "costs": _pairs(args.costs, "--costs", float),
        "force_in": _items(args.force_in),
        "force_out": _items(args.force_out),
        "min_per_governorate": _pairs(args.min_per_governorate, "--min-per-governorate", int),
        "min_share": _pairs(args.min_share, "--min-share", float),
        "phases": _phase_list(args),
        "governorates": args.governorates,
        "max_cpfs": args.max_cpfs,
        "method": args.method,
        "candidate_types": types,
        "grid_km": args.grid_km,
        "budget": args.budget,
        "time_limit_s": args.time_limit,
    }
    proposal = plan_sites(scenario, args.sites, radius_km=args.radius_km, **options)
    robust = None
    if args.sensitivity is not None:
        from cpgeo.siting import sensitivity

        radii = [_number(r, float, "--sensitivity") for r in _items(args.sensitivity)]
        roads = None
        if args.sensitivity_roads is not None:
            from cpgeo.coverage.network import read_roads

            roads = read_roads(args.sensitivity_roads)
        robust = sensitivity(scenario, radii, args.sites, roads=roads, **options)
    out = proposal.sites
    if scenario.illustrative:
        out = out.assign(note=scenario.notice)
    write_output(out, args.output, layer="proposals", quiet=args.json, lang=lang_of(args))
    if args.save is not None:
        from cpgeo.plans import save_plan

        saved = {"n_sites": args.sites, "radius_km": args.radius_km, **options}
        save_plan(args.save, scenario, proposal, saved, name=args.name or args.save.stem)
        if not args.json:
            print(f"saved the plan to {args.save}")
    reassigned = reassignment_sentence(proposal.reassignment.to_dict(), proposal.n_reassigned)
    summary = proposal.summary
    if args.json:
        print_json(
            {
                "before": proposal.before.as_dict(),
                "after": proposal.after.as_dict(),
                "change": {k: summary.loc[k, "change"] for k in summary.index},
                "reassignment": {
                    "forums_redeclared": proposal.n_reassigned,
                    "change": proposal.reassignment.to_dict(),
                    "text": reassigned,
                },
                "sites": json_records(proposal.sites),
                "phases": {
                    column: {k: proposal.phases.loc[k, column] for k in proposal.phases.index}
                    for column in proposal.phases.columns
                },
                "sensitivity": None if robust is None else {
                    "radii_km": list(robust.radii),
                    "cases": robust.cases,
                    "sites": json_records(robust.sites),
                },
                "method": proposal.method,
                "optimal": proposal.optimal,
                "gap": proposal.gap,
                "parameters": {
                    "radius_km": proposal.radius_km,
                    "max_cpfs": proposal.max_cpfs,
                    "governorates": list(proposal.governorates),
                },
                **scenario_json(scenario),
                "written": None if args.output is None else str(args.output),
            }
        )
        return 0
    lang = lang_of(args)
    print_notice(scenario, lang)
    proof = (
        gettext("proven optimal", lang)
        if proposal.optimal
        else (
            gettext("greedy, not proven", lang)
            if proposal.method == "greedy"
            else gettext("time limit reached, proven gap {gap}", lang, gap=(
                f"{proposal.gap:.2%}" if lang == "en" else share(proposal.gap, lang=lang)
            ))
        )
    )
    if lang != "en":
        reassigned = reassignment_sentence(
            proposal.reassignment.to_dict(), proposal.n_reassigned, lang
        )
    print_table(
        proposal.sites,
        ["rank", *(["phase"] if len(proposal.phases.columns) > 2 else []), "name", "type",
         "governorate", "cost", *SITE_FIGURE_KEYS[:2], "forums_served_within_capacity",
         "relieved_offices"],
        signed=SITE_FIGURE_KEYS,
        lang=lang,
        title=gettext(
            "Proposed sites in {where} (radius {km} km, {n} forums per office; {proof})", lang,
            where=governorate_list(proposal.governorates, lang), km=f"{proposal.radius_km:g}",
            n=proposal.max_cpfs, proof=proof,
        ),
    )
    if proposal.n_reassigned:
        print(f"0. {reassigned}")
    for row in proposal.sites.itertuples():
        print(f"{row.rank}. {row.reason}")
    print()
    print(gettext("Before -> after", lang))
    print(summary_table(summary, lang).to_string(index=False))
    if len(proposal.phases.columns) > 2:
        print()
        print(gettext("After each phase", lang))
        print(summary_table(proposal.phases, lang).to_string(index=False))
    if robust is not None:
        print()
        print_table(
            robust.sites.drop(columns=["type"]),
            lang=lang,
            title="The same decision "
            + ", ".join(c.removeprefix("rank ") for c in robust.cases)
            + f" ({len(robust.robust)} site(s) chosen in every case: robust)",
        )
    return 0
