"""``cpgeo propose``: ranked sites to rehabilitate or build, with the reason for each."""

from __future__ import annotations

import argparse

from cpgeo import settings
from cpgeo._errors import InputError
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
        "--time-limit", type=float, default=None, metavar="S", help="solver time limit (s)"
    )
    add_layer_options(p, "offices", "cpfs", "communities", "stations", "boundaries")
    add_radius_option(p)
    add_capacity_option(p)
    add_output_option(p)
    p.set_defaults(func=run_propose)


def run_propose(args: argparse.Namespace) -> int:
    """Print the ranked proposals and the before / after lines; write the sites."""
    from cpgeo.siting import plan_sites

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
    print_notice(scenario)
    proof = (
        "proven optimal"
        if proposal.optimal
        else ("greedy, not proven" if proposal.method == "greedy" else f"gap {proposal.gap:.2%}")
    )
    print_table(
        proposal.sites,
        [
            "rank",
            "name",
            "type",
            "governorate",
            "new_communities",
            "new_population",
            "cpfs_absorbed",
            "relieved_offices",
        ],
        title=f"Proposed sites in {', '.join(proposal.governorates)} "
        f"(radius {proposal.radius_km:g} km, {proposal.max_cpfs} forums per office; {proof})",
    )
    for row in proposal.sites.itertuples():
        print(f"{row.rank}. {row.reason}")
    print()
    print("Before -> after")
    for line in proposal.summary_lines():
        print(f"  {line}")
    out = proposal.sites
    if scenario.illustrative:
        out = out.assign(note=scenario.notice)
    write_output(out, args.output, layer="proposals")
    return 0
