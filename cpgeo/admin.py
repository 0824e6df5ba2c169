"""Administrative areas: governorates, districts and sub-districts with their P-codes.

OCHA's Common Operational Dataset of administrative boundaries (COD-AB) names each
area in English and Arabic and gives it a P-code that nests: governorate ``IQG16``
(Salah al-Din), its district ``IQG16Q01`` (Al-Daur), that district's sub-district
``IQG16Q01N02``. A boundaries file at any of the three levels (``ADM1_*``, ``ADM2_*`` or
``ADM3_*`` columns; also the ``admin1Pcode`` / ``adm1_pcode`` spellings of other COD
releases) becomes an *areas layer*: one row per area, its own names and P-code, and the
names and P-codes of the governorate and district it lies in. Governorates are matched
to cpgeo's canonical names by P-code, else by name through the alias table of
:mod:`cpgeo.regions` (``"Salah Al-Din"``, ``"Al-Anbar"``, ``"Kerbala"``), never by
exact string; a P-code and a name that disagree are reported, not guessed.

An areas layer serves as the scenario's boundaries: every point layer then carries the
district and sub-district of each point (:func:`attach_areas`) and the figures come by
district as well as by governorate (:attr:`cpgeo.Figures.by_district`).

Columns of an areas layer
=========================

======================  ===========================================================
column                  meaning
======================  ===========================================================
``id``                  the area's own P-code
``name``                its English name
``name_ar``             its Arabic name (NA when the file has none)
``level``               1 governorate, 2 district, 3 sub-district
``governorate``         canonical governorate name (:data:`cpgeo.regions.GOVERNORATES`)
``governorate_pcode``   the governorate's P-code (NA when the file has none)
``district``            district name (levels 2 and 3)
``district_pcode``      district P-code
``subdistrict``         sub-district name (level 3)
``subdistrict_pcode``   sub-district P-code
======================  ===========================================================
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from cpgeo import _validate as v
from cpgeo import settings
from cpgeo._log import log
from cpgeo.i18n import Message
from cpgeo.regions import find_governorate, locate_points

__all__ = [
    "AREA_COLUMNS",
    "BY_AREA_SHARE",
    "ESTIMATED",
    "FROM_FILE",
    "GOVERNORATE_PCODES",
    "CatchmentPopulation",
    "PopulationEstimate",
    "area_level",
    "areas_from_frame",
    "attach_areas",
    "catchment_population",
    "estimate_population",
    "estimated_note",
    "has_districts",
    "read_area_table",
]

#: Iraq's governorate P-codes (OCHA / CSO Iraq, COD-AB 2019) -> canonical name.
GOVERNORATE_PCODES: dict[str, str] = {
    "IQG01": "Anbar",
    "IQG02": "Basra",
    "IQG03": "Muthanna",
    "IQG04": "Najaf",
    "IQG05": "Al-Qadisiyah",
    "IQG06": "Sulaymaniyah",
    "IQG07": "Babil",
    "IQG08": "Baghdad",
    "IQG09": "Duhok",
    "IQG10": "Diyala",
    "IQG11": "Erbil",
    "IQG12": "Karbala",
    "IQG13": "Kirkuk",
    "IQG14": "Maysan",
    "IQG15": "Ninewa",
    "IQG16": "Salah al-Din",
    "IQG17": "Dhi Qar",
    "IQG18": "Wasit",
}

#: Columns :func:`attach_areas` gives a point layer (names and P-codes of its areas).
AREA_COLUMNS: tuple[str, ...] = (
    "district",
    "district_pcode",
    "subdistrict",
    "subdistrict_pcode",
)

# The units' column names per level, in the spellings of COD-AB releases:
# ADM2_PCODE / ADM2_EN / ADM2_AR (2019), adm2_pcode / adm2_name / adm2_name1 (2024),
# admin2Pcode / admin2Name_en / admin2Name_ar (older).
_PCODE = ("adm{n}_pcode", "admin{n}pcode", "adm{n}pcode")
_NAME_EN = ("adm{n}_en", "adm{n}_name", "admin{n}name_en", "adm{n}name")
_NAME_AR = ("adm{n}_ar", "adm{n}_name1", "admin{n}name_ar")
_LEVEL_NAMES = {1: "governorate", 2: "district", 3: "subdistrict"}
#: What an area table lacks, by (no P-code column?, no population column?).
_MISSING_COLUMNS = {
    (True, True): "no P-code and no population column (looked for {codes}; {totals})",
    (True, False): "no P-code column (looked for {codes}; {totals})",
    (False, True): "no population column (looked for {codes}; {totals})",
}


@dataclass(frozen=True)
class _Columns:
    """The file's columns holding each level's P-code, English and Arabic name."""

    pcode: dict[int, str]
    name: dict[int, str]
    name_ar: dict[int, str]

    @property
    def level(self) -> int:
        return max(self.pcode) if self.pcode else 0


def _find(columns: Sequence[str], patterns: Sequence[str], n: int) -> str | None:
    lower = {str(c).lower(): str(c) for c in columns}
    for pattern in patterns:
        found = lower.get(pattern.format(n=n))
        if found is not None:
            return found
    return None


def _columns(columns: Sequence[str]) -> _Columns:
    pcode: dict[int, str] = {}
    name: dict[int, str] = {}
    name_ar: dict[int, str] = {}
    for n in (1, 2, 3):
        for store, patterns in ((pcode, _PCODE), (name, _NAME_EN), (name_ar, _NAME_AR)):
            found = _find(columns, patterns, n)
            if found is not None:
                store[n] = found
    return _Columns(pcode, name, name_ar)


def area_level(columns: Sequence[str]) -> int:
    """Return the admin level whose P-codes ``columns`` hold (1-3), or 0 for none.

    Level 1 counts only with a governorate P-code column; levels 2 and 3 need their own
    P-code column (``ADM2_PCODE``, ``ADM3_PCODE``, any case or COD spelling).
    """
    return _columns(columns).level


def has_districts(layer: pd.DataFrame | None) -> bool:
    """Tell whether ``layer`` is an areas layer of districts or sub-districts."""
    return layer is not None and "district_pcode" in layer.columns


def _governorates(
    frame: pd.DataFrame, cols: _Columns, labels: Sequence[str], problems: v.Problems
) -> tuple[pd.Series, pd.Series]:
    """Canonical governorate and its P-code per row: by P-code, else by name."""
    n = len(frame)
    codes = (
        v.as_text(frame[cols.pcode[1]]).str.strip().str.upper()
        if 1 in cols.pcode
        else pd.Series([None] * n, dtype="str")
    )
    names = v.as_text(frame[cols.name[1]]) if 1 in cols.name else pd.Series([None] * n, dtype="str")
    result: list[str | None] = []
    for i in range(n):
        code = None if pd.isna(codes.iloc[i]) else str(codes.iloc[i])
        name = None if pd.isna(names.iloc[i]) else str(names.iloc[i])
        by_code = GOVERNORATE_PCODES.get(code) if code else None
        by_name = find_governorate(name) if name else None
        if by_code and by_name and by_code != by_name:
            problems.add(
                labels[i],
                cols.name[1],
                Message(
                    "governorate {name} is {by_name}, but its P-code {code} is {by_code}",
                    name=repr(name), by_name=by_name, code=code, by_code=by_code,
                ),
            )
        found = by_code or by_name
        if found is None:
            column = cols.name.get(1) or cols.pcode.get(1)
            given = " / ".join(repr(x) for x in (code, name) if x)
            what = given or Message("none given")
            problems.add(labels[i], column, Message("unknown governorate ({what})", what=what))
        result.append(found)
    return pd.Series(result, dtype="str"), codes


def areas_from_frame(
    frame: pd.DataFrame,
    geoms: np.ndarray,
    *,
    problems: v.Problems,
    labels: Sequence[str],
) -> gpd.GeoDataFrame:
    """Build an areas layer from a boundaries table with COD-AB columns.

    Parameters
    ----------
    frame
        Attribute table (positional rows), mojibake already repaired.
    geoms
        Polygons in EPSG:4326, aligned with ``frame``.
    problems, labels
        Where problems are recorded, and how each row is named in them.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of the module's table, then the file's other columns, then
        ``geometry`` (EPSG:4326, RangeIndex).

    Raises
    ------
    InputError
        Missing or duplicate P-codes of the file's level, unknown governorates, a
        governorate P-code that disagrees with its name, a P-code that does not nest in
        its governorate's or district's: every problem at once, by feature and column.
    """
    frame = frame.reset_index(drop=True)
    cols = _columns(list(frame.columns))
    level = cols.level
    if level == 0:
        raise problems.fail(None, "no P-code column (ADM1_PCODE, ADM2_PCODE or ADM3_PCODE)")
    own = v.as_text(frame[cols.pcode[level]]).str.strip().str.upper()
    for i in np.flatnonzero(own.isna().to_numpy()).tolist():
        problems.add(labels[i], cols.pcode[level], "missing P-code")
    v.check_ids(own, labels, cols.pcode[level], problems)
    governorate, gov_code = _governorates(frame, cols, labels, problems)

    out = pd.DataFrame({"id": own})
    name_col = cols.name.get(level)
    out["name"] = v.as_text(frame[name_col]) if name_col else own
    out["name"] = out["name"].where(out["name"].notna(), own)
    out["name_ar"] = (
        v.as_text(frame[cols.name_ar[level]])
        if level in cols.name_ar
        else pd.Series([None] * len(frame), dtype="str")
    )
    out["level"] = np.full(len(frame), level, dtype=np.int64)
    out["governorate"] = governorate.to_numpy()
    out["governorate_pcode"] = gov_code.to_numpy()
    for n in (2, 3):
        if n > level:
            break
        word = _LEVEL_NAMES[n]
        code_col = cols.pcode.get(n)
        if code_col is None:
            msg = Message(
                "level-{level} areas without a {area} P-code column",
                level=level, area=Message(word),
            )
            problems.add(None, None, msg)
            continue
        codes = v.as_text(frame[code_col]).str.strip().str.upper()
        names = v.as_text(frame[cols.name[n]]) if n in cols.name else codes
        out[word] = names.where(names.notna(), codes).to_numpy()
        out[f"{word}_pcode"] = codes.to_numpy()
        out[f"{word}_ar"] = (
            v.as_text(frame[cols.name_ar[n]]).to_numpy() if n in cols.name_ar else None
        )
    _check_nesting(out, level, labels, problems)
    problems.raise_if_any()

    used = {*cols.pcode.values(), *cols.name.values(), *cols.name_ar.values()}
    for column in frame.columns:
        if column in used or str(column) in out.columns or str(column).lower() == "geometry":
            continue
        out[str(column)] = frame[column].to_numpy()
    gdf = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    gdf.index = pd.RangeIndex(len(gdf))
    log(f"areas: {len(gdf)} {_LEVEL_NAMES[level]} areas in "
        f"{gdf['governorate'].nunique()} governorates")
    return gdf


def _check_nesting(
    out: pd.DataFrame, level: int, labels: Sequence[str], problems: v.Problems
) -> None:
    """Check that a district's P-code starts with its governorate's, and so on down."""
    pairs = [("governorate_pcode", "district_pcode"), ("district_pcode", "subdistrict_pcode")]
    for parent, child in pairs[: level - 1]:
        if parent not in out.columns or child not in out.columns:
            continue
        for i, (p, c) in enumerate(zip(out[parent], out[child], strict=True)):
            if pd.isna(p) or pd.isna(c):
                continue
            if not str(c).startswith(str(p)):
                msg = Message("P-code {code} does not lie in {parent}", code=c, parent=p)
                problems.add(labels[i], None, msg)


def attach_areas(
    layer: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    snap_km: float | None = None,
) -> gpd.GeoDataFrame:
    """Return a copy of a point layer with the district and sub-district of each point.

    A point inside an area (or on its edge) takes it; a point outside every area takes
    the nearest one within ``snap_km`` (geodesic, WGS84), as governorates are assigned
    (:func:`cpgeo.regions.locate_points`); beyond it the area columns are NA.

    Parameters
    ----------
    layer
        Points (EPSG:4326).
    areas
        An areas layer (see the module's table) of districts or sub-districts.
    snap_km
        Default ``settings.governorate_snap_km``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``layer`` (same index and CRS) with :data:`AREA_COLUMNS` set (``subdistrict*``
        NA for district areas); a point's ``governorate`` is kept as it was.
    """
    snap = settings.governorate_snap_km if snap_km is None else float(snap_km)
    out = layer.copy()
    position, _ = locate_points(layer, areas, snap_km=snap) if len(layer) else (
        np.zeros(0, dtype=np.int64),
        None,
    )
    found = position >= 0
    for column in AREA_COLUMNS:
        values = np.full(len(out), None, dtype=object)
        if column in areas.columns and found.any():
            values[found] = areas[column].to_numpy(dtype=object)[position[found]]
        out[column] = pd.Series(values, index=out.index, dtype="str")
    if "governorate" in out.columns and "governorate" in areas.columns and found.any():
        theirs = areas["governorate"].to_numpy(dtype=object)[position[found]]
        mine = out["governorate"].to_numpy(dtype=object)[found]
        differ = int(sum(1 for a, b in zip(mine, theirs, strict=True)
                         if not pd.isna(a) and a != b))
        if differ:
            log(f"attach_areas: {differ} points lie in a district of another governorate "
                "than their own (the boundaries differ at the borders); their governorate "
                "is kept")
    log(f"attach_areas: {int(found.sum())} of {len(out)} points in a district")
    return out


_PCODE_SHAPE = re.compile(r"^IQG\d{2}(Q\d{2}(N\d{2})?)?$")


def looks_like_pcode(value: object) -> bool:
    """Tell whether ``value`` is an Iraqi COD P-code (``IQG16``, ``IQG16Q01``, ...)."""
    return isinstance(value, str) and bool(_PCODE_SHAPE.match(value.strip().upper()))


# ------------------------------------------------------------------ tables by P-code

#: ``population_source`` of a community whose population was spread from area totals.
ESTIMATED = {2: "estimated from district totals", 3: "estimated from sub-district totals"}
#: ``population_source`` of a population from the communities' own file.
FROM_FILE = "communities file"

# P-code column of a table, then its population column (COD-PS writes the total T_TL).
_TABLE_PCODE = ("pcode", "p_code", "p-code", "adm3_pcode", "adm2_pcode", "admin3pcode",
                "admin2pcode", "adm3pcode", "adm2pcode")
_TABLE_POPULATION = ("population", "pop", "t_tl", "total", "total_population", "people")


def read_area_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a table keyed by district or sub-district P-code (CSV or XLSX).

    The form in which OCHA publishes population statistics (COD-PS): one row per area,
    its P-code (``ADM3_PCODE``, ``ADM2_PCODE``, ``pcode`` ...) and its population
    (``population``, ``pop``, ``T_TL``, ``total`` ...). All the rows are of one level.

    Returns
    -------
    pandas.DataFrame
        ``pcode`` (upper case), ``level`` (2 or 3), ``population`` (Int64 >= 0, NA for
        an empty cell), then the file's other columns.

    Raises
    ------
    InputError
        No P-code or population column; missing, malformed, duplicate or mixed-level
        P-codes; bad populations: every problem at once, by row and column.
    """
    from cpgeo.io import read_table

    path = Path(path)
    frame, rows = read_table(path, "area table")
    problems = v.Problems(path.name, "area table")
    labels = [f"row {n}" for n in rows]
    lower = {str(c).lower(): str(c) for c in frame.columns}
    code_col = next((lower[c] for c in _TABLE_PCODE if c in lower), None)
    pop_col = next((lower[c] for c in _TABLE_POPULATION if c in lower), None)
    if code_col is None or pop_col is None:
        msg = Message(
            _MISSING_COLUMNS[code_col is None, pop_col is None],
            codes=", ".join(_TABLE_PCODE[:3]),
            totals=", ".join(_TABLE_POPULATION[:4]),
        )
        raise problems.fail(None, msg)
    codes = v.as_text(frame[code_col]).str.strip().str.upper()
    level = np.zeros(len(frame), dtype=np.int64)
    for i, code in enumerate(codes):
        if pd.isna(code):
            problems.add(labels[i], code_col, "missing P-code")
        elif not looks_like_pcode(code) or len(code) == 5:
            msg = Message(
                "{code} is not a district or sub-district P-code (IQG16Q01, IQG16Q01N02)",
                code=repr(code),
            )
            problems.add(labels[i], code_col, msg)
        else:
            level[i] = 2 if len(code) == 8 else 3
    v.check_ids(codes, labels, code_col, problems)
    levels = set(level[level > 0].tolist())
    if len(levels) > 1:
        problems.add(None, code_col, "the table mixes district and sub-district P-codes")
    population = v.parse_population(frame[pop_col], labels, pop_col, problems)
    problems.raise_if_any()
    out = pd.DataFrame({"pcode": codes.to_numpy(), "level": level, "population": population})
    for column in frame.columns:
        if column not in (code_col, pop_col) and str(column) not in out.columns:
            out[str(column)] = frame[column].to_numpy()
    log(f"read_area_table: {len(out)} areas from {path.name}")
    return out


def _spread(total: int, n: int) -> np.ndarray:
    """``total`` split into ``n`` whole shares that differ by at most one and add up."""
    base, extra = divmod(int(total), int(n))
    return np.array([base + 1] * extra + [base] * (n - extra), dtype=np.int64)


@dataclass(frozen=True)
class PopulationEstimate:
    """Communities with populations spread from area totals, and how it went.

    Attributes
    ----------
    communities
        The communities (same index, CRS and columns) with ``population`` filled where
        it was unknown and could be estimated, and ``population_source``:
        :data:`FROM_FILE`, ``ESTIMATED[level]`` or NA (still unknown).
    areas
        One row per area of the table: ``pcode``, ``population`` (the table's total),
        ``known`` (people of its communities with a population of their own),
        ``communities_estimated``, ``estimated`` (people spread over them), and
        ``note`` ("" or why nothing was spread: no community without a population,
        no community in the area, or known people already above the total).
    method
        One sentence stating the method, for outputs.
    """

    communities: gpd.GeoDataFrame
    areas: pd.DataFrame
    method: str


def estimate_population(
    communities: gpd.GeoDataFrame, table: pd.DataFrame
) -> PopulationEstimate:
    """Spread area population totals over the communities that have no population.

    For each area of ``table`` (see :func:`read_area_table`): the communities in it
    (by their ``subdistrict_pcode`` or ``district_pcode``, see :func:`attach_areas`)
    whose population is unknown share what the total leaves after the known ones,
    ``max(total - known, 0)``, in equal whole shares that add up to it exactly. Known
    populations are never changed. An area whose known people already exceed its total
    spreads nothing (its estimates stay unknown) and says so.

    Raises
    ------
    InputError
        When the communities carry no areas of the table's level (load district or
        sub-district boundaries first).
    """
    from cpgeo._errors import InputError

    level = int(table["level"].max()) if len(table) else 3
    column = "subdistrict_pcode" if level == 3 else "district_pcode"
    if column not in communities.columns or communities[column].isna().all():
        word = "sub-district" if level == 3 else "district"
        msg = (f"the communities carry no {word} P-codes: load {word} boundaries (OCHA "
               f"COD-AB adm{level}) before spreading {word} totals")
        raise InputError(msg)
    out = communities.copy()
    population = pd.array(out["population"], dtype="Int64") if "population" in out else \
        pd.array([pd.NA] * len(out), dtype="Int64")
    known = np.asarray(~pd.isna(population), dtype=bool)
    values = np.where(known, np.asarray(population.fillna(0), dtype=np.int64), 0)
    source = np.full(len(out), None, dtype=object)
    source[known] = FROM_FILE
    where = out[column].astype("string").to_numpy(dtype=object, na_value=None)
    records = []
    for code, total in zip(table["pcode"], table["population"], strict=True):
        here = where == code
        mine = values[here & known]
        unknown = np.flatnonzero(here & ~known)
        rest = None if pd.isna(total) else int(total) - int(mine.sum())
        note = ""
        if not here.any():
            note = "no community in the area"
        elif pd.isna(total):
            note = "no total in the table"
        elif rest is not None and rest < 0:
            note = "its communities' own populations exceed the total"
        elif not unknown.size:
            note = "every community has a population"
        estimated = 0
        if not note and rest is not None:
            shares = _spread(rest, unknown.size)
            values[unknown] = shares
            known[unknown] = True
            source[unknown] = ESTIMATED[level]
            estimated = int(shares.sum())
        records.append({
            "pcode": code, "population": total, "known": int(mine.sum()),
            "communities_estimated": 0 if note else int(unknown.size),
            "estimated": estimated, "note": note,
        })
    out["population"] = pd.arrays.IntegerArray(values, ~known)
    out["population_source"] = pd.Series(source, index=out.index, dtype="str")
    areas = pd.DataFrame.from_records(records, columns=["pcode", "population", "known",
                                                         "communities_estimated", "estimated",
                                                         "note"])
    n_est = int(areas["communities_estimated"].sum())
    word = "sub-district" if level == 3 else "district"
    whose = (f"The population of {n_est:,} community is" if n_est == 1
             else f"The populations of {n_est:,} communities are")
    method = (
        f"{whose} {ESTIMATED[level]}: in each {word}, "
        f"the people of the {word}'s total not accounted for by communities with a "
        "population of their own are shared equally among those without one (whole "
        "numbers adding up to it). They are estimates, not counts."
    )
    log(f"estimate_population: {n_est} communities in {int((areas['estimated'] > 0).sum())} "
        f"{word}s estimated, {int((areas['note'] != '').sum())} {word}s spread nothing")
    return PopulationEstimate(out, areas, method)


# An equal-area projection over Iraq (Albers, standard parallels 30 and 37 N): areas and
# their ratios without the distortion of degrees.
_EQUAL_AREA = "+proj=aea +lat_1=30 +lat_2=37 +lat_0=33 +lon_0=44 +datum=WGS84 +units=m"

#: ``method`` of :func:`catchment_population`.
BY_AREA_SHARE = (
    "estimated by area share: each area's total is taken as spread evenly over its "
    "surface, and a catchment counts the share of each area's surface it covers "
    "(catchments are geodesic circles drawn with 128 vertices; surfaces measured in an "
    "equal-area projection). An estimate, not a count."
)


@dataclass(frozen=True)
class CatchmentPopulation:
    """People within each office's radius, estimated from area totals by area share.

    Attributes
    ----------
    offices
        ``id``, ``name``, ``population_by_area`` (float, people within that
        office's radius; catchments overlap, so these do not add up to the covered).
    covered
        People within the radius of at least one office (the union of the catchments).
    total
        People of every area of the table that the boundaries hold.
    method
        :data:`BY_AREA_SHARE`.
    """

    offices: pd.DataFrame
    covered: float
    total: float
    method: str = BY_AREA_SHARE


def catchment_population(
    offices: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    table: pd.DataFrame,
    radius_km: float | None = None,
) -> CatchmentPopulation:
    """Estimate the people within each office's radius from area totals (by area share).

    Each area of ``table`` (see :func:`read_area_table`) present in ``areas`` (an areas
    layer of the same level) holds its total evenly over its surface; a catchment
    (the geodesic circle of ``radius_km`` around an office, WGS84) takes the share of
    each area's surface it covers. For a raster population, use
    :func:`cpgeo.population.population_within` instead.

    Raises
    ------
    InputError
        On a non-positive radius, or a table whose P-codes match no area.
    """
    import shapely

    from cpgeo._errors import InputError
    from cpgeo.coverage._index import resolve_radius
    from cpgeo.maps import geodesic_circles

    radius = resolve_radius(radius_km)
    totals = table.dropna(subset=["population"]).set_index("pcode")["population"]
    here = areas[areas["id"].astype(str).isin(totals.index)]
    if not len(here):
        msg = "no P-code of the population table matches an area of the boundaries"
        raise InputError(msg)
    people = totals.loc[here["id"].astype(str)].to_numpy(dtype=float)
    shapes = here.geometry.to_crs(_EQUAL_AREA).to_numpy()
    surface = shapely.area(shapes)
    density = np.divide(people, surface, out=np.zeros_like(people), where=surface > 0)
    points = offices.geometry.to_crs("EPSG:4326")
    circles = gpd.GeoSeries(
        geodesic_circles(points.x.to_numpy(), points.y.to_numpy(), radius), crs="EPSG:4326"
    ).to_crs(_EQUAL_AREA).to_numpy()

    def within(shape: object) -> float:
        hit = shapely.intersects(shapes, shape)
        if not hit.any():
            return 0.0
        share = shapely.area(shapely.intersection(shapes[hit], shape))
        return float(np.sum(share * density[hit]))

    each = np.array([within(c) for c in circles]) if len(circles) else np.zeros(0)
    union = shapely.union_all(circles) if len(circles) else None
    covered = within(union) if union is not None else 0.0
    frame = pd.DataFrame({
        "id": offices["id"].astype(str).to_numpy() if "id" in offices else np.arange(len(each)),
        "name": offices["name"].astype(str).to_numpy() if "name" in offices else None,
        "population_by_area": each,
    })
    log(f"catchment_population: {covered:,.0f} of {people.sum():,.0f} people within "
        f"{radius:g} km of {len(frame)} offices (by area share)")
    return CatchmentPopulation(frame, covered, float(people.sum()))


def estimated_note(communities: pd.DataFrame) -> str:
    """Say how many populations of ``communities`` are estimates, and from what ("" if none)."""
    if "population_source" not in communities.columns:
        return ""
    source = communities["population_source"].astype("string")
    counts = source[source.str.startswith("estimated", na=False)].value_counts()
    parts = [f"{'population of' if n == 1 else 'populations of'} {int(n):,} "
             f"{'community is' if n == 1 else 'communities are'} {how}"
             for how, n in counts.items()]
    if not parts:
        return ""
    return ("The " + "; the ".join(parts) + ": estimates, not counts, and part of the "
            "population figures.")
