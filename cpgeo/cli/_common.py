"""Helpers shared by the command modules: layer options, the scenario, output and tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cpgeo import settings
from cpgeo._errors import InputError
from cpgeo.i18n import Message, gettext, say

if TYPE_CHECKING:
    from collections.abc import Sequence

    import geopandas as gpd
    import pandas as pd

    from cpgeo.io import LoadResult
    from cpgeo.scenario import Scenario

LAYER_KINDS = ("offices", "cpfs", "communities", "stations", "boundaries")
POINT_KINDS = ("offices", "cpfs", "communities", "stations")
OUTPUT_SUFFIXES = (".gpkg", ".geojson", ".csv")
LEAVE_OUT_FLAG = "--leave-out-bad-rows"
#: Rows left out listed one by one on stderr before "and N more".
LEFT_OUT_LISTED = 10


def add_layer_options(parser: argparse.ArgumentParser, *kinds: str) -> None:
    """Add ``--offices F`` style options for ``kinds`` (default: the embedded demo).

    With a point layer among ``kinds``, also ``--leave-out-bad-rows`` and ``--left-out``.
    """
    for kind in kinds:
        parser.add_argument(
            f"--{kind}",
            type=Path,
            metavar="FILE",
            help=f"{kind} layer (CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile); "
            "default: the embedded demo",
        )
    if any(kind in POINT_KINDS for kind in kinds):
        add_bad_rows_options(parser)


def add_bad_rows_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--leave-out-bad-rows``, ``--left-out FILE.csv`` and ``--outside-km``.

    See :func:`read_point_layers`.
    """
    parser.add_argument(
        "--outside-km",
        type=float,
        default=None,
        metavar="KM",
        help="a point farther than KM beyond Iraq's border (the embedded, generalised "
        "governorates) is a bad row: refused, or left out with --leave-out-bad-rows "
        f"(default {settings.outside_iraq_tolerance_km:g})",
    )
    parser.add_argument(
        LEAVE_OUT_FLAG,
        action="store_true",
        help="load point layers without the rows that have problems (listed on stderr) "
        "instead of refusing the file; a boundaries file is still refused",
    )
    parser.add_argument(
        "--left-out",
        type=Path,
        metavar="FILE.csv",
        help=f"with {LEAVE_OUT_FLAG}: write the rows left out (layer, row, reasons, "
        "every cell) to FILE.csv",
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
    left_out = getattr(args, "left_out", None)
    if left_out is not None:
        if not getattr(args, "leave_out_bad_rows", False):
            msg = f"--left-out lists the rows {LEAVE_OUT_FLAG} leaves out; add {LEAVE_OUT_FLAG}"
            raise InputError(msg)
        if left_out.suffix.lower() != ".csv":
            msg = f"{left_out}: --left-out writes a CSV file; end its name in .csv"
            raise InputError(msg)
        if not left_out.parent.exists():
            msg = f"{left_out}: folder {left_out.parent} does not exist"
            raise InputError(msg)


def add_focus_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--governorates`` (the focus governorates of the figures)."""
    parser.add_argument(
        "--governorates",
        default=None,
        metavar="LIST",
        help="comma-separated focus governorates (default: "
        f"{', '.join(settings.FOCUS_GOVERNORATES)})",
    )


def add_lang_option(parser: argparse.ArgumentParser, *, default: str | None = "en") -> None:
    """Add ``--lang {en,ar,ckb}``: the language of what people read (JSON keeps its keys)."""
    from cpgeo.i18n import LANGUAGES

    parser.add_argument(
        "--lang",
        choices=list(LANGUAGES),
        default=default,
        help="language of the tables' headers and words: en (English, the default), ar "
        "(Arabic) or ckb (Central Kurdish, Sorani); --json output and files keep their "
        "stable English keys",
    )


def lang_of(args: argparse.Namespace) -> str:
    """Return the language asked for with ``--lang`` (English when none)."""
    return str(getattr(args, "lang", None) or "en")


def governorate_list(names: Sequence[str], lang: str) -> str:
    """Return governorates' names in ``lang``, comma-separated."""
    from cpgeo.i18n import governorate_name

    if lang == "en":
        return ", ".join(names)
    return "\u060c ".join(governorate_name(n, lang) for n in names)


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--json`` (machine-readable output on stdout, figure keys as in cpgeo.figures)."""
    parser.add_argument(
        "--json",
        action="store_true",
        help="print machine-readable JSON instead of tables (figure keys as in cpgeo.figures)",
    )


def load_scenario(args: argparse.Namespace) -> Scenario:
    """Return the demo scenario with every layer given on the command line read over it.

    Layers read from the user's files replace the demo's and are no longer illustrative.
    With ``--leave-out-bad-rows`` point layers are read without their bad rows, which are
    listed on stderr (and written to ``--left-out``); without it a file with bad rows is
    refused, the message naming the flag.
    """
    from cpgeo.data import load_demo
    from cpgeo.io import read_layer

    check_options(args)
    scenario = load_demo()  # the embedded layers, read at the default tolerance

    given = {k: getattr(args, k) for k in LAYER_KINDS if getattr(args, k, None) is not None}
    if not given:
        return scenario
    layers = {}
    boundaries = scenario.boundaries
    if "boundaries" in given:
        boundaries = read_layer(given["boundaries"], "boundaries")
        layers["boundaries"] = boundaries
    points = {kind: path for kind, path in given.items() if kind != "boundaries"}
    layers.update(read_point_layers(args, points, boundaries))
    return scenario.with_user_layers(
        layers, {kind: f"user file {path}" for kind, path in given.items()}
    )


def read_point_layers(
    args: argparse.Namespace,
    paths: Mapping[str, Path],
    boundaries: gpd.GeoDataFrame | None,
) -> dict[str, gpd.GeoDataFrame]:
    """Read point layers (kind -> file) as ``--leave-out-bad-rows`` and ``--left-out`` say.

    Without the flag a file with bad rows is refused, the message naming the flag; with
    it the bad rows are left out and listed on stderr, and written to ``--left-out``.
    Call :func:`check_options` first.
    """
    leave_out = bool(getattr(args, "leave_out_bad_rows", False))
    outside = getattr(args, "outside_km", None)
    if outside is not None and not outside >= 0:
        msg = f"--outside-km must be 0 or more km, got {outside:g}"
        raise InputError(msg)
    layers: dict[str, gpd.GeoDataFrame] = {}
    results: dict[str, LoadResult] = {}
    default = settings.outside_iraq_tolerance_km
    try:  # the user's tolerance for the user's files, for this command only
        if outside is not None:
            settings.outside_iraq_tolerance_km = float(outside)
        for kind, path in paths.items():
            if leave_out:
                results[kind] = _read_leaving_out(path, kind, boundaries)
                layers[kind] = results[kind].layer
            else:
                layers[kind] = _read_refusing(path, kind, boundaries)
    finally:
        settings.outside_iraq_tolerance_km = default
    if getattr(args, "left_out", None) is not None:
        _write_left_out(results, args.left_out)
    return layers


def _read_refusing(
    path: Path, kind: str, boundaries: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    """Read a point layer as read_layer does; a refusal for bad rows names the flag."""
    from cpgeo.io import read_layer

    try:
        return read_layer(path, kind, boundaries=boundaries)
    except InputError as exc:
        problems = getattr(exc, "problems", ())
        if problems and all(p.row is not None for p in problems):  # rows, not the file
            msg = Message(
                "{error} (to load the file without these rows, add {flag})",
                error=exc.said, flag=LEAVE_OUT_FLAG,
            )
            raise InputError(msg) from exc
        raise


def _read_leaving_out(
    path: Path, kind: str, boundaries: gpd.GeoDataFrame | None
) -> LoadResult:
    """Read a point layer without its bad rows; say on stderr which and why."""
    from cpgeo.io import read_layer_partial

    result = read_layer_partial(path, kind, boundaries=boundaries)
    if result.n_left_out:
        print(f"cpgeo: {path}: {kind}: left out {result.summary()}", file=sys.stderr)
        word = result.word
        for record in result.left_out.head(LEFT_OUT_LISTED).to_dict("records"):
            print(f"  {word} {record[word]}: {record['reasons']}", file=sys.stderr)
        if result.n_left_out > LEFT_OUT_LISTED:
            more = result.n_left_out - LEFT_OUT_LISTED
            print(f"  and {more:,} more (--left-out FILE.csv lists them all)", file=sys.stderr)
    return result


def _write_left_out(results: Mapping[str, LoadResult], path: Path) -> None:
    """Write the rows left out of every layer to one CSV (atomic, formula-safe)."""
    import pandas as pd

    from cpgeo.io import write_layer

    tables = []
    for kind, result in results.items():
        table = result.left_out
        if "layer" in table.columns:  # the file's own column steps aside
            table = table.rename(columns={"layer": "_layer"})
        tables.append(table.assign(layer=kind)[["layer", *table.columns]])
    tables = [t for t in tables if len(t)] or tables[:1]  # empty ones add no columns
    frame = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if frame.empty and "layer" not in frame.columns:
        frame = pd.DataFrame(columns=["layer", "row", "reasons"])
    write_layer(frame, path)
    print(f"cpgeo: wrote the {len(frame):,} rows left out to {path}", file=sys.stderr)


def write_output(
    frame: pd.DataFrame,
    path: Path | None,
    *,
    layer: str | None = None,
    quiet: bool = False,
    lang: str = "en",
) -> None:
    """Write ``frame`` to ``path`` (by extension), atomically; say where on stdout."""
    if path is None:
        return
    from cpgeo.io import write_layer

    write_layer(frame, path, layer=layer)
    if not quiet:
        print(gettext("wrote {path}", lang, path=str(path)))


#: The governorate cell of a table's total row, and of the rows outside every governorate.
TOTAL = "Total"
OUTSIDE = "(outside every governorate)"


def say_line(args: argparse.Namespace, message: str) -> None:
    """Print ``message`` (a :class:`cpgeo.i18n.Message`) in the command's ``--lang``."""
    print(say(message, lang_of(args)))


def print_table_of(args: argparse.Namespace, *table: Any, **options: Any) -> None:
    """:func:`print_table` in the language of the command's ``--lang``."""
    print_table(*table, lang=lang_of(args), **options)


def print_table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    title: str | Message | None = None,
    signed: Sequence[str] = ("change",),
    lang: str = "en",
) -> None:
    """Print ``frame`` (geometry dropped) as an aligned, labelled plain-text table.

    Headers and cells in ``lang``; in Arabic and Kurdish the governorates' names too.
    """
    from cpgeo.labels import display_table

    if lang != "en" and "governorate" in frame.columns:
        from cpgeo.i18n import place_names

        names = place_names(frame, lang, column="governorate")
        spoken = {TOTAL: gettext(TOTAL, lang), OUTSIDE: gettext(OUTSIDE, lang)}
        frame = frame.assign(governorate=[spoken.get(str(n), n) for n in names])
    if lang != "en" and "name" in frame.columns:
        from cpgeo.i18n import place_names

        frame = frame.assign(name=place_names(frame, lang, column="name"))
    table = display_table(frame, columns, signed=signed, lang=lang)
    if title:
        print(say(title, lang))
    if table.empty:
        print(gettext("(none)", lang))
    else:
        print(table.to_string(index=False))
    print()


def print_notice(scenario: Scenario, lang: str = "en") -> None:
    """Print the illustrative-data notice when the scenario uses demo layers."""
    if scenario.illustrative:
        notice = scenario.notice if lang == "en" else scenario.notice_in(lang)
        print(gettext("NOTE: {notice}", lang, notice=notice))
        print()


def print_figures(
    values: Mapping[str, object], keys: Sequence[str], *, title: str, lang: str = "en"
) -> None:
    """Print figures as ``label: value`` lines (labels and numbers in ``lang``)."""
    from cpgeo.labels import figure_lines

    print(title)
    for line in figure_lines(values, keys, lang):
        print(f"  {line}")
    print()


def _json_value(value: Any) -> Any:
    import math

    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as JSON-ready dicts: points as ``latitude`` / ``longitude``."""
    import geopandas as gpd
    import shapely

    table = frame
    extra: dict[str, Any] = {}
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geoms = frame.geometry.to_crs(4326) if frame.crs is not None else frame.geometry
        values = geoms.to_numpy()
        if len(values) and bool((shapely.get_type_id(values) == 0).all()):
            extra = {"latitude": shapely.get_y(values), "longitude": shapely.get_x(values)}
        table = frame.drop(columns=frame.geometry.name)
    records = []
    for i, row in enumerate(table.astype(object).to_dict("records")):
        record = {str(k): _json_value(v) for k, v in row.items()}
        record.update({k: float(v[i]) for k, v in extra.items()})
        records.append(record)
    return records


def _clean(value: Any) -> Any:
    """Make ``value`` JSON-ready, all the way down: NA and NaN as None, NumPy as Python."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return _json_value(value)


def print_json(payload: Mapping[str, Any]) -> None:
    """Print ``payload`` as JSON (UTF-8 text kept readable; NA and NaN as null)."""
    import json

    print(json.dumps(_clean(payload), ensure_ascii=False, indent=2, allow_nan=False))


def scenario_json(scenario: Scenario) -> dict[str, Any]:
    """Return what every ``--json`` output says of the data: notice, demo layers, sources."""
    return {
        "illustrative_layers": list(scenario.illustrative_layers),
        "notice": scenario.notice or None,
        "sources": dict(scenario.sources),
    }
