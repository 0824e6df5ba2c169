"""The figures: one function of the scenario gives every number cpgeo shows.

The app's metrics, the CLI's tables and ``--json``, snapshots and the before / after of
a site proposal all read :func:`figures`, so the same question always gets the same
number. Keys are stable (they are also the keys of every ``--json`` output); labels and
sentences belong to the presentation (:mod:`cpgeo.labels`).

======================================  ==================================================
key                                     meaning
======================================  ==================================================
``communities``                         rows of the communities layer
``population``                          their population (see "Unknown population")
``communities_population_unknown``      communities whose population is unknown
``communities_within_radius``           within the radius of at least one office
``population_within_radius``            their population
``population_within_radius_share``      ``population_within_radius / population`` (0..1)
``communities_outside_radius_focus``    not within the radius, in the focus governorates
``population_outside_radius_focus``     their population
``offices``                             offices
``offices_over_capacity``               offices with more than ``max_cpfs`` forums as
                                        declared (``office_id``, else the nearest office
                                        in range), see :func:`cpgeo.coverage.office_load`
``forums``                              forums
``forums_served_within_capacity``       forums the best capacity-respecting assignment
                                        within the radius serves
``forums_without_office_in_range``      forums with no office within the radius at all
``forums_beyond_declared_office``       forums whose declared office is beyond the radius
``forums_unknown_office``               forums whose declared ``office_id`` is not an
                                        office of the offices layer
======================================  ==================================================

Unknown population
    A community's population is unknown when its cell is empty (NA). Unknown counts as
    unknown, never as 0: a population figure is the sum over the communities whose
    population is known, and it is itself unknown (None / NA) when the communities it
    sums are all of unknown population. ``communities_population_unknown`` says how
    many were left out. A figure over no community at all is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cpgeo._errors import InputError
from cpgeo._log import log
from cpgeo.admin import has_districts
from cpgeo.regions import resolve_governorates

if TYPE_CHECKING:
    import geopandas as gpd

    from cpgeo.coverage import CpfAssignment
    from cpgeo.scenario import Scenario

__all__ = ["COUNT_KEYS", "FIGURE_KEYS", "SHARE_KEY", "Figures", "figures", "subtotal"]

#: Every figure key, in the order outputs list them.
FIGURE_KEYS: tuple[str, ...] = (
    "communities",
    "population",
    "communities_population_unknown",
    "communities_within_radius",
    "population_within_radius",
    "population_within_radius_share",
    "communities_outside_radius_focus",
    "population_outside_radius_focus",
    "offices",
    "offices_over_capacity",
    "forums",
    "forums_served_within_capacity",
    "forums_without_office_in_range",
    "forums_beyond_declared_office",
    "forums_unknown_office",
)

#: The one figure that is a share (0..1), not a count.
SHARE_KEY = "population_within_radius_share"

#: The figures that are counts of communities, people, offices or forums.
COUNT_KEYS: tuple[str, ...] = tuple(k for k in FIGURE_KEYS if k != SHARE_KEY)

#: Columns of :attr:`Figures.by_governorate` after ``governorate``: counts, then the share.
_TABLE_COUNTS = (
    "communities",
    "population",
    "communities_population_unknown",
    "communities_within_radius",
    "population_within_radius",
    "communities_outside_radius",
    "population_outside_radius",
    "offices",
    "offices_over_capacity",
    "forums",
    "forums_served_within_capacity",
    "forums_without_office_in_range",
    "forums_beyond_declared_office",
    "forums_unknown_office",
)
_PEOPLE = ("population", "population_within_radius", "population_outside_radius")
# the communities each population column sums
_COUNTED_BY = {
    "population": "communities",
    "population_within_radius": "communities_within_radius",
    "population_outside_radius": "communities_outside_radius",
}

Value = int | float | None


@dataclass(frozen=True)
class Figures(Mapping[str, Value]):
    """The figures of one scenario, and the frames they were counted from.

    Read a figure by key (``fig["offices_over_capacity"]``); counts are ``int``, the
    share a ``float``, and an unknown population ``None``.

    Attributes
    ----------
    data
        Key -> value for every key of :data:`FIGURE_KEYS` (also read as ``fig[key]``).
    by_governorate
        One row per governorate (canonical name; NA for points in no governorate),
        sorted by name, no total row. Columns: ``governorate``, the counts
        ``communities``, ``population`` (Int64, NA when unknown),
        ``communities_population_unknown``, ``communities_within_radius``,
        ``population_within_radius``, ``communities_outside_radius``,
        ``population_outside_radius``, ``offices``, ``offices_over_capacity``,
        ``forums``, ``forums_served_within_capacity``,
        ``forums_without_office_in_range``, ``forums_beyond_declared_office``,
        ``forums_unknown_office`` (offices and forums by their own governorate), and
        ``population_within_radius_share`` (float, NaN when the population is unknown or
        0). :func:`subtotal` adds rows up.
    coverage
        :func:`cpgeo.coverage.community_coverage` of the communities.
    load, forums, assignment
        :func:`cpgeo.coverage.office_load`, :func:`cpgeo.coverage.cpf_status` and
        :func:`cpgeo.coverage.assign_cpfs` of the offices and forums.
    radius_km
        Catchment radius, km, geodesic on the WGS84 ellipsoid.
    max_cpfs
        Forums one office can serve.
    governorates
        The focus governorates (canonical names).
    by_district
        With district or sub-district boundaries (:mod:`cpgeo.admin`): one row per
        governorate and district, columns ``governorate``, ``district_pcode``,
        ``district``, then those of :attr:`by_governorate`; sorted by governorate,
        then P-code. A point counts in its own governorate's row for the district it
        lies in, so a governorate's rows add up (:func:`subtotal`) to its row of
        :attr:`by_governorate`. None with governorate boundaries.
    """

    data: dict[str, Value]
    by_governorate: pd.DataFrame
    coverage: gpd.GeoDataFrame
    load: gpd.GeoDataFrame
    forums: gpd.GeoDataFrame
    assignment: CpfAssignment
    radius_km: float
    max_cpfs: int
    governorates: tuple[str, ...]
    by_district: pd.DataFrame | None = None

    def __getitem__(self, key: str) -> Value:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def as_dict(self) -> dict[str, Value]:
        """Return key -> value (plain ``int`` / ``float`` / ``None``, ready for JSON)."""
        return dict(self.data)

    def table(self, by: str = "governorate") -> pd.DataFrame:
        """:attr:`by_governorate` or :attr:`by_district`, by ``{"governorate", "district"}``.

        Raises
        ------
        InputError
            For ``"district"`` without district boundaries, or another ``by``.
        """
        if by == "governorate":
            return self.by_governorate
        if by == "district":
            if self.by_district is None:
                msg = ("figures by district need district or sub-district boundaries with "
                       "P-codes (OCHA COD-AB adm2 or adm3)")
                raise InputError(msg)
            return self.by_district
        msg = f"by must be 'governorate' or 'district', got {by!r}"
        raise InputError(msg)

    def rows(
        self, governorates: Iterable[str] | None = None, *, by: str = "governorate"
    ) -> pd.DataFrame:
        """Rows of :meth:`table` ``(by)`` in ``governorates`` (all rows for None)."""
        frame = self.table(by)
        if governorates is None:
            return frame
        wanted = set(governorates)
        keep = frame["governorate"].isin(wanted).fillna(False)
        return frame[keep.to_numpy(dtype=bool)]

    def subtotal(
        self, governorates: Iterable[str] | None = None, *, by: str = "governorate"
    ) -> pd.Series:
        """Add up :meth:`rows` (see :func:`subtotal`); by district or by governorate the same.

        Over all rows it gives the figures themselves (under the table's column names).
        """
        return subtotal(self.rows(governorates, by=by))

    def to_frame(self) -> pd.DataFrame:
        """Return the figures as a two-column table ``key``, ``value``."""
        return pd.DataFrame(
            {"key": list(self.data), "value": pd.array(list(self.data.values()), "object")}
        )


def _people(population: pd.Series, known: pd.Series, mask: np.ndarray) -> int | None:
    """Return the population of the ``mask`` rows: 0 for none, None when all are unknown."""
    if not mask.any():
        return 0
    if not known[mask].any():
        return None
    return int(population[mask & known.to_numpy()].sum())


def _share(within: Value, total: Value) -> float | None:
    if within is None or total is None or not total:
        return None
    return float(within) / float(total)


def _count_by(frame: pd.DataFrame, mask: np.ndarray | None = None) -> pd.Series:
    gov = frame["governorate"] if "governorate" in frame.columns else pd.Series(
        pd.NA, index=frame.index, dtype="string"
    )
    gov = gov.astype("string")
    if mask is not None:
        gov = gov[mask]
    return gov.value_counts(dropna=False)


def _population(coverage: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Return the population with unknown as 0, and the mask of known populations."""
    if "population" in coverage.columns:
        population = pd.to_numeric(coverage["population"], errors="coerce").astype("Float64")
    else:
        population = pd.Series(pd.NA, index=coverage.index, dtype="Float64")
    known = population.notna()
    return population.fillna(0), known


def _governorates(coverage: pd.DataFrame) -> pd.Series:
    if "governorate" in coverage.columns:
        return coverage["governorate"].astype("string")
    return pd.Series(pd.NA, index=coverage.index, dtype="string")


def community_table(
    coverage: pd.DataFrame, governorates: Iterable[object] = ()
) -> pd.DataFrame:
    """Community figures per governorate from :func:`cpgeo.coverage.community_coverage`.

    Rows: ``governorates`` and every governorate the communities name, sorted, then NA
    for communities in no governorate (when there are any). Columns as the community
    part of :attr:`Figures.by_governorate`.
    """
    population, known = _population(coverage)
    gov = _governorates(coverage)
    covered = coverage["covered"].to_numpy(dtype=bool)
    names = {str(n) for n in governorates if not pd.isna(n)}
    names.update(gov.dropna().tolist())
    keys: list[object] = [*sorted(names)]
    if gov.isna().any():
        keys.append(pd.NA)
    records = []
    for name in keys:
        here = (gov.isna() if name is pd.NA else gov == name).fillna(False).to_numpy(dtype=bool)
        records.append(
            {
                "governorate": name,
                "communities": int(here.sum()),
                "population": _people(population, known, here),
                "communities_population_unknown": int((here & ~known.to_numpy()).sum()),
                "communities_within_radius": int((here & covered).sum()),
                "population_within_radius": _people(population, known, here & covered),
                "communities_outside_radius": int((here & ~covered).sum()),
                "population_outside_radius": _people(population, known, here & ~covered),
            }
        )
    columns = ["governorate", *_TABLE_COUNTS[:7]]
    return _typed_table(pd.DataFrame.from_records(records, columns=columns))


def _by_governorate(
    coverage: gpd.GeoDataFrame,
    load: gpd.GeoDataFrame,
    forums: gpd.GeoDataFrame,
    served: np.ndarray,
    boundaries: gpd.GeoDataFrame,
) -> pd.DataFrame:
    names: set[object] = set(boundaries["governorate"].dropna().astype(str))
    for frame in (load, forums):
        if "governorate" in frame.columns:
            names.update(frame["governorate"].astype("string").dropna().tolist())
    table = community_table(coverage, names)
    status = forums["status"].astype(str).to_numpy() if len(forums) else np.array([], dtype=str)
    no_office = (
        forums["offices_in_range"].to_numpy() == 0 if len(forums) else np.zeros(0, dtype=bool)
    )
    office_counts = {
        "offices": _count_by(load),
        "offices_over_capacity": _count_by(load, load["over_capacity"].to_numpy(dtype=bool)),
        "forums": _count_by(forums),
        "forums_served_within_capacity": _count_by(forums, served),
        "forums_without_office_in_range": _count_by(forums, no_office),
        "forums_beyond_declared_office": _count_by(forums, status == "out_of_range"),
        "forums_unknown_office": _count_by(forums, status == "unknown_office"),
    }
    if not table["governorate"].isna().any() and any(
        counts.index.isna().any() for counts in office_counts.values()
    ):
        table = _typed_table(
            pd.concat([table, pd.DataFrame({"governorate": [pd.NA]})], ignore_index=True)
            # no community there: its counts and people are 0 (not unknown)
            .fillna(dict.fromkeys(_TABLE_COUNTS[:7], 0))
        )
    for key, counts in office_counts.items():
        lookup = {(None if pd.isna(k) else str(k)): int(v) for k, v in counts.items()}
        table[key] = [
            lookup.get(None if pd.isna(g) else str(g), 0) for g in table["governorate"]
        ]
    share = table.pop("population_within_radius_share")
    table["population_within_radius_share"] = share
    return table


# Joins a governorate and a district P-code into one group key; neither contains it.
_SEP = "\t"


def _district_key(frame: pd.DataFrame) -> pd.Series:
    """``governorate<TAB>district_pcode`` per row (NA only when both are missing)."""
    gov = _governorates(frame).fillna("")
    code = (
        frame["district_pcode"].astype("string").fillna("")
        if "district_pcode" in frame.columns
        else pd.Series("", index=frame.index, dtype="string")
    )
    key = gov + _SEP + code
    return key.where(key != _SEP, pd.NA)


def _by_district(
    coverage: gpd.GeoDataFrame,
    load: gpd.GeoDataFrame,
    forums: gpd.GeoDataFrame,
    served: np.ndarray,
    areas: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """:func:`_by_governorate` with one row per (governorate, district) pair.

    The pairs are those of the areas layer and those the points carry: a point whose
    own governorate is not its district's (boundaries that differ at the borders)
    counts in its own governorate's row for that district, so the rows of a
    governorate add up to its row of the governorate table.
    """
    def keyed(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        return frame.assign(governorate=_district_key(frame))

    pairs = areas[["governorate", "district_pcode"]].drop_duplicates()
    table = _by_governorate(
        keyed(coverage), keyed(load), keyed(forums), served,
        pd.DataFrame({"governorate": _district_key(pairs)}),  # type: ignore[arg-type]
    )
    split = table.pop("governorate").astype("string").str.split(_SEP, n=1, expand=True)
    gov = split[0].replace("", pd.NA) if len(table) else pd.Series(dtype="string")
    code = split[1].replace("", pd.NA) if len(table) else pd.Series(dtype="string")
    names = areas.drop_duplicates("district_pcode").set_index("district_pcode")
    table.insert(0, "governorate", gov.astype("string").to_numpy())
    table.insert(1, "district_pcode", code.astype("string").to_numpy())
    table.insert(2, "district", code.map(names["district"]).astype("string").to_numpy())
    return table


def _typed_table(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table["governorate"] = table["governorate"].astype("string")
    for column in _TABLE_COUNTS:
        if column not in table.columns:
            continue
        dtype = "Int64" if column in _PEOPLE else "int64"
        table[column] = pd.array(table[column].tolist(), dtype=dtype)
    within = table["population_within_radius"].astype("Float64")
    total = table["population"].astype("Float64")
    share = (within / total.where(total > 0)).astype("float64")
    table["population_within_radius_share"] = share.to_numpy(dtype=float, na_value=np.nan)
    return table.reset_index(drop=True)


def subtotal(table: pd.DataFrame) -> pd.Series:
    """Add up rows of :attr:`Figures.by_governorate` (e.g. the focus governorates).

    Counts are summed; a population is the sum of the rows' known populations, unknown
    only when every row's is unknown (and 0 over no community); the share is
    recomputed from the sums.

    Returns
    -------
    pandas.Series
        The table's count and share columns (not ``governorate`` nor the district's).
    """
    values: dict[str, object] = {}
    for column in _TABLE_COUNTS:
        if column not in table.columns:
            continue
        series = table[column]
        if column in _PEOPLE:
            # a row over no community says 0 whatever is unknown elsewhere: only rows
            # that count communities tell whether any of their people are known
            counts = table[_COUNTED_BY[column]]
            known = (series.notna() & (counts > 0)).to_numpy(dtype=bool)
            if known.any():
                values[column] = int(series[known].sum())
            else:
                values[column] = 0 if int(counts.sum()) == 0 else pd.NA
        else:
            values[column] = int(series.sum())
    within, total = values.get("population_within_radius"), values.get("population")
    share = None if within is pd.NA or total is pd.NA else _share(within, total)  # type: ignore[arg-type]
    values["population_within_radius_share"] = np.nan if share is None else share
    return pd.Series(values, dtype=object)


def figures(
    scenario: Scenario,
    *,
    radius_km: float | None = None,
    max_cpfs: int | None = None,
    governorates: Iterable[str] | str | None = None,
) -> Figures:
    """Every figure of ``scenario``, by key (see the module's table of keys).

    Parameters
    ----------
    scenario
        Layers in EPSG:4326 (see :class:`cpgeo.Scenario`).
    radius_km
        Catchment radius, kilometres on the WGS84 ellipsoid, inclusive; None means
        ``settings.radius_km``.
    max_cpfs
        Forums one office can serve; None means ``settings.max_cpfs``.
    governorates
        The focus governorates of the ``*_focus`` figures; None means
        ``settings.FOCUS_GOVERNORATES``.

    Returns
    -------
    Figures
        A mapping key -> value, with the per-governorate table and the frames counted.

    Raises
    ------
    InputError
        On a layer without a CRS or with non-point geometries, duplicate office ids, a
        negative radius or capacity, or an unknown governorate.
    """
    from cpgeo.coverage import community_coverage
    from cpgeo.coverage._index import resolve_radius
    from cpgeo.coverage._load import _resolve_capacity, network_state

    radius = resolve_radius(radius_km)
    capacity = _resolve_capacity(max_cpfs)
    focus = resolve_governorates(governorates)
    coverage = community_coverage(scenario.communities, scenario.offices, radius)
    load, forums, assignment = network_state(scenario.offices, scenario.cpfs, radius, capacity)

    population, known = _population(coverage)
    covered = coverage["covered"].to_numpy(dtype=bool)
    gov = coverage["governorate"] if "governorate" in coverage.columns else None
    in_focus = (
        gov.isin(focus).fillna(False).to_numpy(dtype=bool)
        if gov is not None
        else np.zeros(len(coverage), dtype=bool)
    )
    everyone = np.ones(len(coverage), dtype=bool)
    status = forums["status"].astype(str).to_numpy() if len(forums) else np.array([], dtype=str)
    in_range = forums["offices_in_range"].to_numpy() if len(forums) else np.array([], dtype=int)
    total = _people(population, known, everyone)
    within = _people(population, known, covered)
    values: dict[str, Value] = {
        "communities": len(coverage),
        "population": total,
        "communities_population_unknown": int((~known).sum()),
        "communities_within_radius": int(covered.sum()),
        "population_within_radius": within,
        "population_within_radius_share": _share(within, total),
        "communities_outside_radius_focus": int((~covered & in_focus).sum()),
        "population_outside_radius_focus": _people(population, known, ~covered & in_focus),
        "offices": len(load),
        "offices_over_capacity": int(load["over_capacity"].sum()) if len(load) else 0,
        "forums": len(forums),
        "forums_served_within_capacity": assignment.n_served,
        "forums_without_office_in_range": int((in_range == 0).sum()),
        "forums_beyond_declared_office": int((status == "out_of_range").sum()),
        "forums_unknown_office": int((status == "unknown_office").sum()),
    }
    served = assignment.cpfs["served"].to_numpy(dtype=bool)
    table = _by_governorate(coverage, load, forums, served, scenario.boundaries)
    districts = (
        _by_district(coverage, load, forums, served, scenario.boundaries)
        if has_districts(scenario.boundaries)
        else None
    )
    log(
        f"figures: {values['communities_within_radius']} of {values['communities']} "
        f"communities within {radius:g} km, {values['offices_over_capacity']} of "
        f"{values['offices']} offices over capacity, {values['forums_served_within_capacity']}"
        f" of {values['forums']} forums served within capacity"
    )
    return Figures(
        data=values,
        by_governorate=table,
        by_district=districts,
        coverage=coverage,
        load=load,
        forums=forums,
        assignment=assignment,
        radius_km=radius,
        max_cpfs=capacity,
        governorates=focus,
    )
