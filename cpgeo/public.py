"""Figures by area that can be shared: no site's location, no count that singles one out.

Community police offices are potential targets. What a public snapshot publishes about
the network is therefore generalised: every office, forum and station is counted in an
*area* and only the areas' exact aggregate figures are published, with the areas'
polygons, which come from the boundaries alone. No coordinate of a site is written.

Levels of generalisation
========================

``"district"``
    COD-AB districts (needs district or sub-district boundaries; the default then).
``"governorate"``
    Governorates (the default with governorate boundaries).
``"grid"``
    Square cells of ``cell_deg`` degrees (EPSG:4326) on a lattice anchored at 0°, 0°,
    each cut by the governorate boundaries, so that every cell belongs to one
    governorate.

Small counts
============

An area holding one or two offices (or forums) would all but point at them: its
coverage figures, with the public list of communities, narrow down where they are.
Below the governorate, an area is therefore published alone only when it holds no
office or at least ``min_count`` offices, and no forum or at least ``min_count`` forums.
The other areas of a governorate are pooled into one row, ``"<governorate>: other
areas"``; when that pool would itself hold 1 to ``min_count - 1`` offices or forums, or
would be a single area, the smallest published areas of the governorate join it until it
does not (in the end the pool may be the whole governorate). Governorate figures are
always published exactly: a governorate is the coarsest area cpgeo publishes, and its
figures are those of every other table of the snapshot. :func:`rule_text` states the
rule as it is printed in every public output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from cpgeo._errors import InputError
from cpgeo._log import log
from cpgeo.labels import GOVERNORATE_COLUMNS

if TYPE_CHECKING:
    import geopandas as gpd

    from cpgeo._figures import Figures

__all__ = ["LEVELS", "Level", "PublicAreas", "public_areas", "rule_text"]

Level = Literal["district", "governorate", "grid"]
LEVELS: tuple[str, ...] = ("district", "governorate", "grid")

#: Default least number of offices (or forums) an area must hold to be published alone.
MIN_COUNT = 3
#: Default side of a grid cell, degrees.
CELL_DEG = 0.5

#: Columns of :attr:`PublicAreas.areas` besides the figures and the geometry.
AREA_COLUMNS: tuple[str, ...] = ("area_id", "area", "governorate", "areas_pooled")

#: The figures of an area: those of :attr:`cpgeo.Figures.by_governorate`.
AREA_FIGURES: tuple[str, ...] = GOVERNORATE_COLUMNS[1:]


@dataclass(frozen=True)
class PublicAreas:
    """The network's figures by generalised area.

    Attributes
    ----------
    areas
        One row per published area (EPSG:4326 polygons from the boundaries): ``area_id``
        (a P-code, governorate name, cell name or ``<governorate>:pool``), ``area`` (its
        name), ``governorate``, ``areas_pooled`` (how many areas the row pools; 1 for an
        area published alone), :data:`AREA_FIGURES` and
        ``communities_within_radius_share`` (NaN over no community).
    level
        The level of generalisation, {"district", "governorate", "grid"}.
    min_count
        The small-count threshold applied (see the module docstring).
    cell_deg
        Grid cell side in degrees (``level="grid"`` only, else None).
    shade
        The figure an area map shades the areas by: ``population_within_radius_share``
        when at least half the communities have a known population, else
        ``communities_within_radius_share`` (a map of OpenStreetMap villages, which
        carry no population, would otherwise be all unknown).
    """

    areas: gpd.GeoDataFrame
    level: str
    min_count: int
    cell_deg: float | None
    shade: str = "population_within_radius_share"

    @property
    def rule(self) -> str:
        """The generalisation and small-count rule, as printed in public outputs."""
        return rule_text(self.level, self.min_count, self.cell_deg)


def rule_text(
    level: str, min_count: int, cell_deg: float | None = None, lang: str = "en"
) -> str:
    """Return the sentence that states how a public snapshot generalises the sites.

    ``lang`` is one of :data:`cpgeo.i18n.LANGUAGES`.
    """
    if lang != "en":
        return _rule_text(level, min_count, cell_deg, lang)
    where = {
        "district": "their district (COD-AB boundaries)",
        "governorate": "their governorate",
        "grid": f"grid cells of {cell_deg or CELL_DEG:g} degrees cut by the governorate "
        "boundaries",
    }[level]
    text = (
        f"No office, forum or station location is shown: each is counted in {where}, "
        "and only the areas' exact totals are published."
    )
    if level != "governorate":
        text += (
            f" An area is shown alone only when it holds no office or at least {min_count}, "
            f"and no forum or at least {min_count}; the other areas of a governorate are "
            "pooled into one row (\"other areas\"), enlarged until it holds none or at "
            f"least {min_count} of each. Governorate totals are exact."
        )
    return text


def _rule_text(level: str, min_count: int, cell_deg: float | None, lang: str) -> str:
    """Say the rule of :func:`rule_text` in another language (same figures, same order)."""
    from cpgeo.i18n import format_number, gettext

    where = {
        "district": gettext("their district (COD-AB boundaries)", lang),
        "governorate": gettext("their governorate", lang),
        "grid": gettext(
            "grid cells of {degrees} degrees cut by the governorate boundaries", lang
        ).format(degrees=format_number(cell_deg or CELL_DEG, lang)),
    }[level]
    text = gettext(
        "No office, forum or station location is shown: each is counted in {where}, and "
        "only the areas' exact totals are published.",
        lang,
    ).format(where=where)
    if level != "governorate":
        text += " " + gettext(
            "An area is shown alone only when it holds no office or at least {n}, and no "
            "forum or at least {n}; the other areas of a governorate are pooled into one "
            "row, enlarged until it holds none or at least {n} of each. Governorate totals "
            "are exact.",
            lang,
        ).format(n=format_number(min_count, lang))
    return text


def default_level(boundaries: gpd.GeoDataFrame | None) -> str:
    """``"district"`` when the boundaries are COD-AB districts or sub-districts."""
    from cpgeo.admin import has_districts

    return "district" if has_districts(boundaries) else "governorate"


def public_areas(
    figures: Figures,
    boundaries: gpd.GeoDataFrame,
    *,
    level: str | None = None,
    min_count: int | None = None,
    cell_deg: float | None = None,
) -> PublicAreas:
    """Generalise the network of ``figures`` to areas and apply the small-count rule.

    Parameters
    ----------
    figures
        :func:`cpgeo.figures` of the network (its coverage, load and forums layers).
    boundaries
        The scenario's boundaries (EPSG:4326): governorates, or COD-AB districts or
        sub-districts (an areas layer, see :mod:`cpgeo.admin`).
    level
        {"district", "governorate", "grid"}; default ``"district"`` when the boundaries
        have districts, else ``"governorate"``.
    min_count
        Least number of offices (and forums) an area below the governorate must hold to
        be published alone; default :data:`MIN_COUNT`. 1 publishes every area alone.
    cell_deg
        Grid cell side in degrees; default :data:`CELL_DEG` (``level="grid"`` only).

    Returns
    -------
    PublicAreas

    Raises
    ------
    InputError
        If the level is unknown, ``"district"`` is asked without district boundaries,
        ``min_count`` is below 1 or ``cell_deg`` is not a positive number.
    """
    from cpgeo.admin import has_districts

    level = default_level(boundaries) if level is None else str(level).strip().lower()
    if level not in LEVELS:
        msg = f"generalisation level {level!r} is not one of {', '.join(LEVELS)}"
        raise InputError(msg)
    if level == "district" and not has_districts(boundaries):
        msg = (
            "generalisation to districts needs COD-AB district or sub-district boundaries; "
            "these boundaries are governorates: use 'governorate' or 'grid'"
        )
        raise InputError(msg)
    threshold = MIN_COUNT if min_count is None else int(min_count)
    if threshold < 1:
        msg = f"the small-count threshold must be 1 or more, not {min_count!r}"
        raise InputError(msg)
    cell = None
    if level == "grid":
        cell = CELL_DEG if cell_deg is None else float(cell_deg)
        if not (math.isfinite(cell) and 0.05 <= cell <= 5):
            msg = f"grid cell size {cell_deg!r} degrees is not between 0.05 and 5"
            raise InputError(msg)
    if boundaries.crs is None or not boundaries.crs.equals("EPSG:4326"):
        msg = "boundaries must be in EPSG:4326 to generalise sites to areas"
        raise InputError(msg)
    polygons = _polygons(boundaries, level, cell)
    table = _table(figures, polygons, level, cell)
    if level != "governorate":
        table = _pool(table, threshold)
    areas = _with_geometry(table, polygons)
    counted = areas["communities"].to_numpy(dtype=float)
    within = areas["communities_within_radius"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        areas["communities_within_radius_share"] = np.where(counted > 0, within / counted, np.nan)
    log(
        f"public_areas: {len(areas)} areas by {level}"
        f" ({int((areas['areas_pooled'] > 1).sum())} pooled rows)"
    )
    unknown = int(figures["communities_population_unknown"] or 0)
    known_people = figures["communities"] and unknown <= figures["communities"] / 2
    shade = "population_within_radius_share" if known_people else "communities_within_radius_share"
    return PublicAreas(
        areas=areas, level=level, min_count=threshold, cell_deg=cell, shade=shade
    )


# ------------------------------------------------------------------------- polygons


def _polygons(boundaries: gpd.GeoDataFrame, level: str, cell: float | None) -> gpd.GeoDataFrame:
    """One polygon per area: ``area_id``, ``area``, ``governorate``, geometry."""
    import geopandas as gpd

    frame = boundaries[boundaries["governorate"].notna()]
    if level == "district":
        merged = frame.dissolve(by="district_pcode", as_index=False, aggfunc="first")
        return gpd.GeoDataFrame(
            {
                "area_id": merged["district_pcode"].astype(str),
                "area": merged["district"].astype("string").fillna(
                    merged["district_pcode"].astype(str)
                ),
                "governorate": merged["governorate"].astype(str),
            },
            geometry=merged.geometry.to_numpy(),
            crs="EPSG:4326",
        )
    governorates = frame.dissolve(by="governorate", as_index=False)
    if level == "governorate":
        return gpd.GeoDataFrame(
            {
                "area_id": governorates["governorate"].astype(str),
                "area": governorates["governorate"].astype(str),
                "governorate": governorates["governorate"].astype(str),
            },
            geometry=governorates.geometry.to_numpy(),
            crs="EPSG:4326",
        )
    assert cell is not None
    cells = _grid(governorates, cell)
    pieces = gpd.overlay(cells, governorates[["governorate", "geometry"]], how="intersection",
                         keep_geom_type=True)
    pieces = pieces.dissolve(by=["cell", "governorate"], as_index=False)
    return gpd.GeoDataFrame(
        {
            "area_id": pieces["cell"].astype(str) + "@" + pieces["governorate"].astype(str),
            "area": "cell " + pieces["cell"].astype(str),
            "governorate": pieces["governorate"].astype(str),
        },
        geometry=pieces.geometry.to_numpy(),
        crs="EPSG:4326",
    )


def cell_name(col: int, row: int, cell: float) -> str:
    """Name a grid cell by its south-west corner, e.g. ``33.5N 43.0E`` (lattice values)."""
    lat, lon = row * cell, col * cell
    return f"{abs(lat):g}{'N' if lat >= 0 else 'S'} {abs(lon):g}{'E' if lon >= 0 else 'W'}"


def _grid(governorates: gpd.GeoDataFrame, cell: float) -> gpd.GeoDataFrame:
    import geopandas as gpd
    from shapely.geometry import box

    minx, miny, maxx, maxy = governorates.total_bounds
    cols = range(math.floor(minx / cell), math.floor(maxx / cell) + 1)
    rows = range(math.floor(miny / cell), math.floor(maxy / cell) + 1)
    names, shapes = [], []
    for c in cols:
        for r in rows:
            names.append(cell_name(c, r, cell))
            shapes.append(box(c * cell, r * cell, (c + 1) * cell, (r + 1) * cell))
    return gpd.GeoDataFrame({"cell": names}, geometry=shapes, crs="EPSG:4326")


def _cells_of(frame: gpd.GeoDataFrame, cell: float) -> pd.Series:
    if not len(frame):
        return pd.Series([], dtype="string", index=frame.index)
    cols = np.floor(frame.geometry.x.to_numpy() / cell).astype(int)
    rows = np.floor(frame.geometry.y.to_numpy() / cell).astype(int)
    return pd.Series(
        [cell_name(c, r, cell) for c, r in zip(cols, rows, strict=True)],
        dtype="string",
        index=frame.index,
    )


# ---------------------------------------------------------------------------- table


def _table(
    figures: Figures, polygons: gpd.GeoDataFrame, level: str, cell: float | None
) -> pd.DataFrame:
    """Count the figures by area (:func:`cpgeo._figures._by_district` over area keys)."""
    from cpgeo._figures import _by_district

    if level == "governorate":
        table = figures.by_governorate.copy()
        table.insert(0, "area_id", table["governorate"].astype("string"))
        table.insert(1, "area", table["governorate"].astype("string"))
    else:

        def keyed(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
            if level == "district":
                return frame
            cells = _cells_of(frame, cell)  # type: ignore[arg-type]
            gov = frame["governorate"].astype("string") if "governorate" in frame else cells
            return frame.assign(district_pcode=cells + "@" + gov.fillna(""))

        served = figures.assignment.cpfs["served"].to_numpy(dtype=bool)
        pairs = pd.DataFrame(
            {
                "governorate": polygons["governorate"],
                "district_pcode": polygons["area_id"],
                "district": polygons["area"],
            }
        )
        table = _by_district(
            keyed(figures.coverage), keyed(figures.load), keyed(figures.forums), served,
            pairs,  # type: ignore[arg-type]
        )
        table = table.rename(columns={"district_pcode": "area_id", "district": "area"})
        if level == "grid":
            # a point of a cell that the governorate's polygon does not reach (outside
            # every boundary, or in a sliver): named by its cell
            missing = table["area"].isna() & table["area_id"].notna()
            table.loc[missing, "area"] = "cell " + table.loc[missing, "area_id"].str.split(
                "@"
            ).str[0]
    table["area_id"] = table["area_id"].astype("string").fillna("unlocated")
    table["area"] = table["area"].astype("string").fillna("outside the boundaries")
    table["governorate"] = table["governorate"].astype("string")
    table["areas_pooled"] = 1
    return table[[*AREA_COLUMNS, *AREA_FIGURES]].reset_index(drop=True)


def _small(offices: int, forums: int, threshold: int) -> bool:
    return 0 < offices < threshold or 0 < forums < threshold


def _pool(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Pool the areas that would single out a site, governorate by governorate."""
    from cpgeo._figures import subtotal

    if threshold <= 1:
        return table
    out: list[pd.DataFrame] = []
    for gov, rows in table.groupby("governorate", dropna=False, sort=False):
        small = [
            _small(int(o), int(f), threshold)
            for o, f in zip(rows["offices"], rows["forums"], strict=True)
        ]
        pooled = rows[np.array(small, dtype=bool)]
        kept = rows[~np.array(small, dtype=bool)]
        if not len(pooled):
            out.append(rows)
            continue
        # the smallest shown areas join the pool until it singles nothing out
        order = kept.assign(_size=kept["offices"] + kept["forums"]).sort_values(
            ["_size", "area_id"], kind="stable"
        )
        while len(order) and (
            len(pooled) == 1
            or _small(int(pooled["offices"].sum()), int(pooled["forums"].sum()), threshold)
        ):
            pooled = pd.concat([pooled, rows.loc[[order.index[0]]]])
            order = order.iloc[1:]
        kept = rows.loc[order.index.sort_values()]
        name = "outside the boundaries" if pd.isna(gov) else str(gov)
        row = subtotal(pooled).to_dict()
        row.update(
            area_id=f"{name}:pool",
            area=f"{name}: all areas" if not len(kept) else f"{name}: other areas",
            governorate=gov,
            areas_pooled=len(pooled),
            _members=tuple(pooled["area_id"].astype(str)),
        )
        out.extend([kept, pd.DataFrame([row])])
    merged = pd.concat(out, ignore_index=True)
    for column in AREA_FIGURES:
        if column == "population_within_radius_share":
            merged[column] = pd.to_numeric(merged[column]).astype(float)
        elif column.startswith("population"):
            merged[column] = pd.array(merged[column].tolist(), dtype="Int64")
        else:
            merged[column] = merged[column].astype("int64")
    merged["areas_pooled"] = merged["areas_pooled"].astype("int64")
    return merged


def _with_geometry(table: pd.DataFrame, polygons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Attach each row's polygon (a pooled row: the union of its members')."""
    import geopandas as gpd
    from shapely import union_all

    shapes = dict(zip(polygons["area_id"].astype(str), polygons.geometry, strict=True))
    members = table["_members"] if "_members" in table.columns else pd.Series(
        [np.nan] * len(table), index=table.index
    )
    geometry = []
    for area_id, group in zip(table["area_id"].astype(str), members, strict=True):
        ids = group if isinstance(group, tuple) else (area_id,)
        parts = [shapes[i] for i in ids if i in shapes]
        geometry.append(union_all(parts) if parts else None)
    frame = table.drop(columns="_members", errors="ignore")
    out = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    out.index.name = "area"
    return out.rename_axis(None)
