"""``cpgeo propose``: ranked sites to rehabilitate or build, with the reason for each."""

from __future__ import annotations

import argparse

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo.cli._common import (
    add_capacity_option,
    add_json_option,
    add_layer_options,
    add_output_option,
    add_radius_option,
    json_records,
    load_scenario,
    print_json,
    print_notice,
    print_table,
    scenario_json,
    write_output,
)
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
    add_layer_options(p, "offices", "cpfs", "communities", "stations", "boundaries")
    add_radius_option(p)
    add_capacity_option(p)
    add_json_option(p)
    add_output_option(p)
    p.set_defaults(func=run_propose)


def run_propose(args: argparse.Namespace) -> int:
    """Print the ranked proposals and the before / after figures; write the sites."""
    from cpgeo.labels import reassignment_sentence
    from cpgeo.siting import plan_sites
    from cpgeo.siting.propose import SITE_FIGURE_KEYS

    if args.sites is None and args.budget is None:
        msg = "give --sites N, --budget B, or both"
        raise InputError(msg)
    if args.time_limit is not None and not args.time_limit > 0:
        msg = f"--time-limit must be a positive number of seconds, got {args.time_limit:g}"
        raise InputError(msg)
    scenario = load_scenario(args)
    types = tuple(t.strip() for t in args.types.split(",") if t.strip())
    proposal = plan_sites(
        scenario,
        args.sites,
        governorates=args.governorates,
        radius_km=args.radius_km,
        max_cpfs=args.max_cpfs,
        method=args.method,
        candidate_types=types,
        grid_km=args.grid_km,
        budget=args.budget,
        time_limit_s=args.time_limit,
    )
    out = proposal.sites
    if scenario.illustrative:
        out = out.assign(note=scenario.notice)
    write_output(out, args.output, layer="proposals", quiet=args.json)
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
    print_notice(scenario)
    proof = (
        "proven optimal"
        if proposal.optimal
        else (
            "greedy, not proven"
            if proposal.method == "greedy"
            else f"time limit reached, proven gap {proposal.gap:.2%}"
        )
    )
    print_table(
        proposal.sites,
        ["rank", "name", "type", "governorate", *SITE_FIGURE_KEYS[:2],
         "forums_served_within_capacity", "relieved_offices"],
        signed=SITE_FIGURE_KEYS,
        title=f"Proposed sites in {', '.join(proposal.governorates)} "
        f"(radius {proposal.radius_km:g} km, {proposal.max_cpfs} forums per office; {proof})",
    )
    if proposal.n_reassigned:
        print(f"0. {reassigned}")
    for row in proposal.sites.itertuples():
        print(f"{row.rank}. {row.reason}")
    print()
    print("Before -> after")
    print(summary_table(summary).to_string(index=False))
    return 0
