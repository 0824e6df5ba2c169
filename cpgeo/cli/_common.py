"""Helpers shared by the command modules: layer options, the scenario, output and tables."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cpgeo import settings
from cpgeo._errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from cpgeo.scenario import Scenario

LAYER_KINDS = ("offices", "cpfs", "communities", "stations", "boundaries")
OUTPUT_SUFFIXES = (".gpkg", ".geojson", ".csv")
# Layers that are illustrative in the demo: while any of them is not replaced by the
# user's own file, outputs carry the illustrative-data notice.
_ILLUSTRATIVE = ("offices", "cpfs", "stations")


def add_layer_options(parser: argparse.ArgumentParser, *kinds: str) -> None:
    """Add ``--offices F`` style options for ``kinds`` (default: the embedded demo)."""
    for kind in kinds:
        parser.add_argument(
            f"--{kind}",
            type=Path,
            metavar="FILE",
            help=f"{kind} layer (CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile); "
            "default: the embedded demo",
        )


def add_radius_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--radius-km``."""
    parser.add_argument(
        "--radius-km",
        type=float,
        default=None,
        help=f"catchment radius in km, geodesic on WGS84 (default {settings.radius_km:g})",
    )


def add_capacity_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--max-cpfs``."""
    parser.add_argument(
        "--max-cpfs",
        type=int,
        default=None,
        help=f"forums one office can serve (default {settings.max_cpfs})",
    )


def add_output_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """Add ``-o/--output`` (.gpkg, .geojson or .csv)."""
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=required,
        metavar="OUT",
        help="write the result to OUT (.gpkg, .geojson or .csv)",
    )


def check_options(args: argparse.Namespace) -> None:
    """Reject bad numeric options and output paths before any work is done."""
    radius = getattr(args, "radius_km", None)
    if radius is not None and not radius > 0:
        msg = f"--radius-km must be a positive number of kilometres, got {radius:g}"
        raise InputError(msg)
    capacity = getattr(args, "max_cpfs", None)
    if capacity is not None and capacity < 0:
        msg = f"--max-cpfs must be 0 or more, got {capacity}"
        raise InputError(msg)
    out = getattr(args, "output", None)
    if out is not None and out.suffix.lower() not in OUTPUT_SUFFIXES:
        msg = f"{out}: output must end in {', '.join(OUTPUT_SUFFIXES)}"
        raise InputError(msg)
    if out is not None and not out.parent.exists():
        msg = f"{out}: folder {out.parent} does not exist"
        raise InputError(msg)


def load_scenario(args: argparse.Namespace) -> Scenario:
    """Return the demo scenario with every layer given on the command line read over it."""
    from cpgeo.data import load_demo
    from cpgeo.io import read_layer

    check_options(args)
    scenario = load_demo()
    given = {k: getattr(args, k) for k in LAYER_KINDS if getattr(args, k, None) is not None}
    if not given:
        return scenario
    boundaries = scenario.boundaries
    if "boundaries" in given:
        boundaries = read_layer(given.pop("boundaries"), "boundaries")
    layers = {k: read_layer(path, k, boundaries=boundaries) for k, path in given.items()}
    sources = dict(scenario.sources)
    sources.update({k: f"user file {getattr(args, k)}" for k in layers})
    if boundaries is not scenario.boundaries:
        sources["boundaries"] = f"user file {args.boundaries}"
    illustrative = any(k not in layers for k in _ILLUSTRATIVE)
    from dataclasses import replace

    return replace(
        scenario, boundaries=boundaries, illustrative=illustrative, sources=sources, **layers
    )


def write_output(frame: pd.DataFrame, path: Path | None, *, layer: str | None = None) -> None:
    """Write ``frame`` to ``path`` (by extension), atomically; say where on stdout."""
    if path is None:
        return
    from cpgeo.io import write_layer

    write_layer(frame, path, layer=layer)
    print(f"wrote {path}")


def print_table(
    frame: pd.DataFrame, columns: Sequence[str] | None = None, *, title: str | None = None
) -> None:
    """Print ``frame`` (geometry dropped) as an aligned plain-text table."""
    import pandas as pd

    table = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    if columns is not None:
        table = table[[c for c in columns if c in table.columns]]
    table = table.astype(object).where(table.notna(), "")
    if title:
        print(title)
    with pd.option_context(
        "display.max_rows", 500, "display.max_columns", 50, "display.width", 200,
        "display.float_format", "{:,.1f}".format,
    ):
        print(table.to_string(index=False))
    print()


def print_notice(scenario: Scenario) -> None:
    """Print the illustrative-data notice when the scenario uses demo layers."""
    if scenario.illustrative:
        print(f"NOTE: {scenario.notice}")
        print()
