"""Saved plans: a named scenario, its proposal options and result, in one GeoPackage.

A planner saves a plan (the input layers, the options of :func:`cpgeo.siting.plan_sites`,
the proposed sites, the date and cpgeo's version) to one ``.gpkg`` file that QGIS opens
too, reopens it later, and compares two or three plans side by side. Reopening and
proposing again with the saved options gives the same sites (the data and the model are
the same; :func:`reopen` checks it).

The GeoPackage holds the layers ``boundaries``, ``communities``, ``offices``, ``cpfs``,
``stations`` (when there are any), ``proposed_sites``, and a table ``cpgeo_plan`` of
``key`` / ``value`` text rows: ``name``, ``created`` (UTC, ISO 8601), ``cpgeo_version``,
``options`` (JSON), ``illustrative_layers`` (JSON), ``sources`` (JSON), ``method``,
``optimal``, ``gap``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyogrio

from cpgeo._errors import InputError
from cpgeo._log import log

if TYPE_CHECKING:
    import geopandas as gpd

    from cpgeo.scenario import Scenario
    from cpgeo.siting.propose import Proposal

__all__ = ["SavedPlan", "compare_plans", "open_plan", "reopen", "save_plan"]

_META = "cpgeo_plan"
_LAYERS = ("boundaries", "communities", "offices", "cpfs", "stations")
# options that are mappings (saved as JSON objects) or sequences (saved as JSON arrays)
_MAPPINGS = ("costs", "min_per_governorate", "min_share")
_SEQUENCES = ("force_in", "force_out", "candidate_types", "governorates")


@dataclass(frozen=True)
class SavedPlan:
    """A plan read back from its GeoPackage.

    Attributes
    ----------
    name
        The plan's name.
    created
        When it was saved (UTC).
    cpgeo_version
        The cpgeo version that saved it.
    scenario
        The input layers (EPSG:4326), as :func:`cpgeo.read_layer` reads them.
    options
        The keyword arguments of :func:`cpgeo.siting.plan_sites` it was proposed with.
    sites
        The proposed sites as saved (EPSG:4326, in rank order).
    method, optimal, gap
        How the proposal was found.
    path
        The file.
    """

    name: str
    created: dt.datetime
    cpgeo_version: str
    scenario: Scenario
    options: dict[str, Any]
    sites: gpd.GeoDataFrame
    method: str
    optimal: bool
    gap: float
    path: Path


def _json_options(options: Mapping[str, Any]) -> str:
    def plain(key: str, value: Any) -> Any:
        if value is None:
            return None
        if key in _MAPPINGS:
            return {str(k): float(v) for k, v in dict(value).items()}
        if key == "phases":
            return [list(v) if isinstance(v, tuple) else v for v in value]
        if key in _SEQUENCES and not isinstance(value, str):
            return [str(v) for v in value]
        return value

    return json.dumps({k: plain(k, v) for k, v in options.items()}, ensure_ascii=False)


def _read_options(text: str) -> dict[str, Any]:
    options = json.loads(text)
    if "phases" in options and options["phases"] is not None:
        options["phases"] = [tuple(v) if isinstance(v, list) else v for v in options["phases"]]
    for key in ("force_in", "force_out", "candidate_types"):
        if isinstance(options.get(key), list):
            options[key] = tuple(options[key])
    if "min_per_governorate" in options and options["min_per_governorate"] is not None:
        options["min_per_governorate"] = {
            k: int(v) for k, v in options["min_per_governorate"].items()
        }
    return options


def save_plan(
    path: str | os.PathLike[str],
    scenario: Scenario,
    proposal: Proposal,
    options: Mapping[str, Any],
    *,
    name: str,
) -> Path:
    """Save a plan to one GeoPackage, atomically (see the module docstring).

    Parameters
    ----------
    path
        A ``.gpkg`` file; replaced as a whole.
    scenario
        The input layers.
    proposal
        :func:`cpgeo.siting.plan_sites`'s answer for ``scenario`` and ``options``.
    options
        The keyword arguments it was called with (``n_sites``, ``budget``, ``phases``,
        ``radius_km``, ... as given; JSON-serialisable values, sequences, mappings).
    name
        The plan's name, for people.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from cpgeo import __version__
    from cpgeo.io import write_layers

    target = Path(path)
    layers: dict[str, Any] = {
        kind: getattr(scenario, kind)
        for kind in _LAYERS
        if getattr(scenario, kind) is not None and len(getattr(scenario, kind))
    }
    layers["proposed_sites"] = proposal.sites.reset_index(drop=True)
    meta = {
        "name": str(name),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpgeo_version": __version__,
        "options": _json_options(options),
        "illustrative_layers": json.dumps(list(scenario.illustrative_layers)),
        "sources": json.dumps(dict(scenario.sources), ensure_ascii=False),
        "method": proposal.method,
        "optimal": json.dumps(bool(proposal.optimal)),
        "gap": json.dumps(None if proposal.gap != proposal.gap else float(proposal.gap)),
    }
    layers[_META] = pd.DataFrame({"key": list(meta), "value": list(meta.values())})
    write_layers(layers, target)
    log(f"save_plan: {name!r} with {len(proposal.sites)} site(s) to {target.name}")
    return target


def open_plan(path: str | os.PathLike[str]) -> SavedPlan:
    """Read a plan saved by :func:`save_plan`.

    Raises
    ------
    InputError
        If the file is not a plan saved by cpgeo, or one of its layers does not read.
    """
    import geopandas as gpd

    from cpgeo.io import read_layer
    from cpgeo.scenario import Scenario

    source = Path(path)
    if not source.is_file():
        msg = f"{source}: no such plan file"
        raise InputError(msg)
    try:
        names = {str(n) for n, _ in pyogrio.list_layers(source)}
    except pyogrio.errors.DataSourceError as exc:
        msg = f"{source.name}: not a GeoPackage ({str(exc).splitlines()[0]})"
        raise InputError(msg) from exc
    if _META not in names:
        msg = f"{source.name}: not a plan saved by cpgeo (no {_META} table)"
        raise InputError(msg)
    table = pyogrio.read_dataframe(source, layer=_META)
    meta = dict(zip(table["key"].astype(str), table["value"].astype(str), strict=True))
    boundaries = read_layer(source, "boundaries", layer="boundaries")
    layers = {
        kind: read_layer(source, kind, layer=kind, boundaries=boundaries)
        for kind in _LAYERS[1:]
        if kind in names
    }
    scenario = Scenario(
        boundaries=boundaries,
        communities=layers["communities"],
        offices=layers["offices"],
        cpfs=layers["cpfs"],
        stations=layers.get("stations"),
        illustrative_layers=tuple(json.loads(meta.get("illustrative_layers", "[]"))),
        sources=json.loads(meta.get("sources", "{}")),
    )
    sites = (
        pyogrio.read_dataframe(source, layer="proposed_sites")
        if "proposed_sites" in names
        else gpd.GeoDataFrame(geometry=[], crs=4326)
    )
    gap = json.loads(meta.get("gap", "null"))
    created = meta.get("created")
    return SavedPlan(
        name=meta.get("name", source.stem),
        created=dt.datetime.fromisoformat(created) if created else dt.datetime.now(dt.UTC),
        cpgeo_version=meta.get("cpgeo_version", "unknown"),
        scenario=scenario,
        options=_read_options(meta.get("options", "{}")),
        sites=sites,
        method=meta.get("method", "exact"),
        optimal=bool(json.loads(meta.get("optimal", "false"))),
        gap=float("nan") if gap is None else float(gap),
        path=source,
    )


def reopen(path: str | os.PathLike[str]) -> tuple[SavedPlan, Proposal]:
    """Open a saved plan and propose again with its options and data.

    Returns the plan and the new proposal; the sites are the saved ones (same data, same
    model) unless a time limit stopped either solve before it proved its answer.
    """
    from cpgeo.siting import plan_sites

    plan = open_plan(path)
    return plan, plan_sites(plan.scenario, **plan.options)


def compare_plans(plans: Sequence[tuple[str, Proposal]]) -> pd.DataFrame:
    """Figures of two or three plans side by side, with the differences to the first.

    Parameters
    ----------
    plans
        (name, proposal) pairs; the first is the reference.

    Returns
    -------
    pandas.DataFrame
        Indexed by figure key: ``before`` (of the first plan), then per plan its figure
        after the plan (column = the plan's name) and, from the second plan on, the
        difference to the first (``<name> - <first name>``). Int64; NA for unknown.
    """
    from cpgeo._figures import COUNT_KEYS

    if not 2 <= len(plans) <= 3:
        msg = f"compare two or three plans, got {len(plans)}"
        raise InputError(msg)
    first_name, first = plans[0]
    columns: dict[str, Any] = {
        "before": pd.array([first.before[k] for k in COUNT_KEYS], dtype="Int64")
    }
    for name, proposal in plans:
        columns[name] = pd.array([proposal.after[k] for k in COUNT_KEYS], dtype="Int64")
    for name, _proposal in plans[1:]:
        columns[f"{name} - {first_name}"] = columns[name] - columns[first_name]
    return pd.DataFrame(columns, index=pd.Index(COUNT_KEYS, name="figure"))
