"""Rebuild data/boundaries/iraq_governorates.geojson.

Source: Natural Earth 1:10m Admin-1 states and provinces v4.1.0 (public domain), as
shipped in Debian's package ``qgis-common`` (``usr/share/qgis/resources/data/world_map.gpkg``,
layer ``states_provinces``). Fetch and unpack it first:

    apt-get download qgis-common && dpkg -x qgis-common_*.deb /tmp/qgis-common
    python scripts/build_boundaries.py /tmp/qgis-common

Keeps the 18 rows with ``adm0_a3 == "IRQ"``, adds canonical English names and ISO 3166-2
codes (checked against pycountry), keeps the source's own names, and checks the total
geodesic area against 437,900 km² (within 1%).
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import pycountry
from pyproj import Geod

sys.path.insert(0, str(Path(__file__).parent))
from _governorates import FIPS_TO_GOVERNORATE

OUT = Path(__file__).resolve().parent.parent / "data" / "boundaries" / "iraq_governorates.geojson"
GPKG = "usr/share/qgis/resources/data/world_map.gpkg"
EXPECTED_AREA_KM2 = 437_900


def main(root: str) -> None:
    gdf = gpd.read_file(Path(root) / GPKG, layer="states_provinces", where="adm0_a3 = 'IRQ'")
    if len(gdf) != 18:
        raise SystemExit(f"expected 18 Iraqi governorates, found {len(gdf)}")
    iso_names = {s.code: s.name for s in pycountry.subdivisions.get(country_code="IQ")}
    rows = []
    for _, r in gdf.sort_values("fips").iterrows():
        name, iso = FIPS_TO_GOVERNORATE[r["fips"]]
        if iso not in iso_names:
            raise SystemExit(f"{iso} is not an ISO 3166-2 code of Iraq")
        rows.append(
            {
                "id": iso,
                "name": name,
                "governorate": name,
                "iso_3166_2": iso,
                "iso_name": iso_names[iso],
                "fips": r["fips"],
                "source_name": r["name"],
                "geometry": r.geometry,
            }
        )
    out = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    geod = Geod(ellps="WGS84")
    areas = [abs(geod.geometry_area_perimeter(g)[0]) for g in out.geometry]
    out["area_km2"] = [round(a / 1e6, 1) for a in areas]
    total = out["area_km2"].sum()
    if abs(total - EXPECTED_AREA_KM2) / EXPECTED_AREA_KM2 > 0.01:
        raise SystemExit(f"total area {total:.0f} km² is not within 1% of {EXPECTED_AREA_KM2}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".tmp")
    out.to_file(tmp, driver="GeoJSON", COORDINATE_PRECISION=6)
    tmp.replace(OUT)
    print(f"wrote {OUT} ({len(out)} governorates, {total:,.0f} km²)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/qgis-common")
